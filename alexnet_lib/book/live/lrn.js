// The LRN explorer: one pixel's activations across channels, a, and b = a / (k + α Σ a_j²)^β over the n channels
// centred on each. Mirrors alexnet_lib.toolkits.lrn.lrn_profile and lrn_denominator (LRNExplorer.reference).
(function (A) {
  A.register("lrn", {
    compute(s, d) {
      const {k, n, alpha, beta, scale} = s;
      if (n % 2 === 0) throw new A.Impossible(`n=${n} must be odd: the window of n channels is centred on channel i ` +
                                              `(the paper uses n=5)`);
      if (!(k > 0)) throw new A.Impossible("k must be greater than 0: it keeps the denominator away from zero");
      const a = d.profile.map((v) => v * scale), C = a.length, half = Math.min((n - 1) / 2, C - 1);
      const divisor = a.map((_, i) => {
        let sum = 0;
        for (let j = Math.max(0, i - half); j <= Math.min(C - 1, i + half); j++) sum += a[j] * a[j];
        return (k + alpha * sum) ** beta;
      });
      const b = a.map((v, i) => v / divisor[i]);
      let strongest = 0;
      b.forEach((v, i) => { if (v > b[strongest]) strongest = i; });
      const lo = Math.min(...divisor), hi = Math.max(...divisor), spread = hi / lo;
      const text = `divisors from ${A.g3(lo)} to ${A.g3(hi)} (k^β alone: ${A.g3(k ** beta)}); strongest output: ` +
                   `channel ${strongest} (${A.g3(a[strongest])} → ${A.g3(b[strongest])}); largest/smallest divisor = ` +
                   `${A.g3(spread)}` + (spread < 1.01 ? " — LRN is just a constant scale here" : "");
      return {values: {before: a, after: b, divisor, strongest}, html: A.escape(text)};
    },
    draw(s, r, d, width) {
      const two = width >= 600, pw = two ? (width - 40) / 2 : width, fig = A.figure(width, two ? 260 : 500);
      const C = r.values.before.length, xs = [...Array(C).keys()];
      const bars = (x0, y0, values, title, colour) => {
        const top = Math.max(1e-12, ...values.map(Math.abs));
        const ax = fig.axes(x0 + 46, y0 + 24, pw - 56, 180, [-0.5, C - 0.5], [Math.min(0, ...values), top]).frame();
        fig.text(x0 + 46, y0 + 14, title, {"font-size": 12});
        ax.yticks([0, top / 2, top], A.g3);
        ax.xticks(xs.filter((i) => i % 5 === 0));
        values.forEach((v, i) => fig.rect(ax.x(i - 0.38), Math.min(ax.y(v), ax.y(0)), ax.x(0.38) - ax.x(-0.38),
                                          Math.abs(ax.y(v) - ax.y(0)), {fill: colour, "data-channel": i}));
        fig.text(x0 + 46 + (pw - 56) / 2, y0 + 236, "channel", {"text-anchor": "middle", "font-size": 11});
      };
      bars(0, 0, r.values.before, `a: activations (× ${A.g3(s.scale)})`, "#4c72b0");
      bars(two ? pw + 40 : 0, two ? 0 : 250, r.values.after,
           `b = LRN(a): k=${A.g3(s.k)}, n=${s.n}, α=${s.alpha.toExponential(1)}, β=${A.g3(s.beta)}`, "#dd8452");
      return fig;
    },
  });
})(window.AlexNetExplorers);
