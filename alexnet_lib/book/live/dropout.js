// The dropout explorer: a grid of positive activations before and after dropout with drop probability p.
// Mirrors alexnet_lib.book.explorers.dropout_grid (DropoutExplorer.reference), from the shared random streams.
(function (A) {
  function apply(s, d) {
    const n = d.side * d.side, before = Array.from(A.uniforms(d.value_stream, n), (u) => 2 * u);
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    if (!s.training) {
      const scale = s.inverted ? 1 : 1 - s.p, after = before.map((v) => v * scale);
      return {before, after, kept: n, scale, over: mean(after)};
    }
    const scale = s.inverted ? 1 / (1 - s.p) : 1, u = A.uniforms(s.seed, n);
    const after = before.map((v, i) => (u[i] >= s.p ? v * scale : 0));
    const many = A.uniforms(d.many_stream, d.masks * n);
    let total = 0;
    for (let m = 0; m < d.masks; m++) for (let i = 0; i < n; i++) if (many[m * n + i] >= s.p) total += before[i] * scale;
    return {before, after, kept: after.filter((v, i) => u[i] >= s.p).length, scale, over: total / (d.masks * n)};
  }

  A.register("dropout", {
    compute(s, d) {
      const r = apply(s, d), n = d.side * d.side;
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const mode = s.training ? `training: kept ${r.kept} of ${n} units, survivors × ${A.g3(r.scale)}`
                              : `eval: every unit kept, × ${A.g3(r.scale)}`;
      const text = `${mode}; mean before ${mean(r.before).toFixed(3)}, after ${mean(r.after).toFixed(3)} ` +
                   `(over ${d.masks.toLocaleString("en-US")} masks: ${r.over.toFixed(3)})`;
      return {values: {kept: r.kept, mean_before: mean(r.before), mean_after: mean(r.after), mean_over_masks: r.over,
                       after: r.after},
              html: `<b>${A.escape(text)}</b>`};
    },
    draw(s, r, d, width) {
      const side = d.side, two = width >= 560, panel = Math.min(two ? (width - 40) / 2 : width - 20, 300);
      const cell = panel / side, fig = A.figure(width, two ? panel + 40 : 2 * panel + 70);
      const before = Array.from(A.uniforms(d.value_stream, side * side), (u) => 2 * u);
      const top = Math.max(2, ...r.values.after);
      const shade = (v) => `hsl(215, 60%, ${Math.round(96 - 66 * Math.min(1, v / top))}%)`;
      const grid = (x0, y0, values, title) => {
        fig.text(x0, y0 - 8, title, {"font-size": 12});
        values.forEach((v, i) => {
          const x = x0 + (i % side) * cell, y = y0 + Math.floor(i / side) * cell;
          fig.rect(x, y, cell, cell, {fill: v === 0 ? "#222" : shade(v), stroke: "white", "stroke-width": 0.5,
                                      "data-dropped": v === 0 ? 1 : 0});
        });
      };
      const kind = s.inverted ? "inverted" : "paper's plain";
      grid(0, 24, before, "before");
      grid(two ? panel + 30 : 0, two ? 24 : panel + 60,
           r.values.after, `after: ${kind} dropout, p = ${s.p.toFixed(2)}${s.training ? "" : " (eval)"}`);
      return fig;
    },
  });
})(window.AlexNetExplorers);
