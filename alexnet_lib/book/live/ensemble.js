// The ensembles explorer: a recorded group's top-k accuracy against ensemble size, and one test image on which its
// members disagree, with each member's class probabilities and the mean of the first `size` of them (computed here).
// Mirrors alexnet_lib.experiments.ensembles (EnsembleExplorer.reference); accuracies are the record's own.
(function (A) {
  const MEMBER = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974",
                  "#64b5cd"];

  function view(s, d) {
    const v = d.views[String(s.group)][s.position], members = v.members.slice(0, s.size), C = d.classes.length;
    const mean = Array.from({length: C}, (_, c) => members.reduce((a, p) => a + p[c], 0) / members.length);
    return {index: v.index, label: v.label, members, mean, said: members.map((p) => p.indexOf(Math.max(...p))),
            verdict: mean.indexOf(Math.max(...mean))};
  }

  A.register("ensemble", {
    compute(s, d) {
      const acc = d.accuracy[String(s.group)], accuracy = acc[s.size - 1][s.k - 1], alone = acc[0][s.k - 1];
      const w = view(s, d), cls = d.classes, top = (p) => Math.max(...p);
      const text = `group ${s.group}: ensembles of ${s.size} reach top-${s.k} accuracy ${A.pct(accuracy, 2)} (one ` +
        `member: ${A.pct(alone, 2)}, chance ${A.pct(s.k / cls.length, 0)}). Test image ${w.index} (${cls[w.label]}): ` +
        `the members say ${w.members.map((p, m) => `${cls[w.said[m]]} (${A.pct(top(p), 0)})`).join(", ")}; their ` +
        `mean says ${cls[w.verdict]} (${A.pct(top(w.mean), 0)})`;
      return {values: {accuracy, alone, index: w.index, label: w.label, mean: w.mean, verdict: w.verdict},
              html: A.escape(text), view: w};
    },
    draw(s, r, d, width) {
      const two = width >= 640, pw = two ? (width - 30) * 0.4 : width, bw = two ? width - pw - 30 : width;
      const fig = A.figure(width, two ? 300 : 600), sizes = Array.from({length: d.members}, (_, i) => i + 1);
      // Left (top on a phone): top-k accuracy against the number of members averaged, one line per group.
      const all = d.groups.flatMap((g) => d.accuracy[String(g)].map((row) => row[s.k - 1]));
      const lo = Math.min(...all), hi = Math.max(...all), pad = Math.max(0.005, (hi - lo) * 0.15);
      fig.text(50, 14, `top-${s.k} accuracy, ensembles of 1 to ${d.members}`, {"font-size": 12});
      const ax = fig.axes(50, 24, pw - 60, 210, [0.7, d.members + 0.3], [lo - pad, hi + pad]).frame();
      ax.yticks([lo, (lo + hi) / 2, hi], (v) => A.pct(v, 1)).xticks(sizes).labels("members averaged", "");
      d.groups.forEach((g, i) => {
        const ys = d.accuracy[String(g)].map((row) => row[s.k - 1]);
        ax.polyline(sizes, ys, {stroke: MEMBER[i], "stroke-width": g === s.group ? 3 : 1, "stroke-opacity":
                                g === s.group ? 1 : 0.5, "data-group": g});
        fig.text(pw - 60, 40 + 14 * i, `group ${g}`, {fill: MEMBER[i], "font-size": 11});
      });
      fig.add(fig.el, "circle", {cx: ax.x(s.size), cy: ax.y(r.values.accuracy), r: 7, fill: "none", stroke: "currentColor"});
      // Right (below on a phone): the members' probabilities for one disagreement image, and their mean.
      const w = r.view, x0 = two ? pw + 30 : 0, y0 = two ? 0 : 300, C = d.classes.length;
      const bx = fig.axes(x0 + 40, y0 + 24, bw - 50, 170, [-0.5, C - 0.5], [0, 1]).frame();
      bx.yticks([0, 0.5, 1], (v) => v.toFixed(1));
      fig.text(x0 + 40, y0 + 14, `test image ${w.index} (▶ its class): the mean of ${s.size} is ` +
               (w.verdict === w.label ? "right" : "wrong"), {"font-size": 12});
      const slot = (bx.x(1) - bx.x(0)) * 0.8, bar = slot / (s.size + 1);
      for (let c = 0; c < C; c++) {
        const left = bx.x(c) - slot / 2;
        w.members.forEach((p, m) => fig.rect(left + m * bar, bx.y(p[c]), bar, bx.y(0) - bx.y(p[c]),
                                             {fill: MEMBER[m % 10], "data-member": m + 1}));
        fig.rect(left + s.size * bar, bx.y(w.mean[c]), bar, bx.y(0) - bx.y(w.mean[c]),
                 {fill: "none", stroke: "currentColor", "stroke-width": 1.5, "data-mean": c});
        fig.text(bx.x(c), y0 + 206, (c === w.label ? "▶ " : "") + d.classes[c], {"font-size": 10, "text-anchor": "end",
                 transform: `rotate(-40 ${bx.x(c)} ${y0 + 206})`});
      }
      return fig;
    },
  });
})(window.AlexNetExplorers);
