// The time-budget planner: minutes in; steps, images, epochs and the expected accuracy out, from a recorded run's
// measured speeds. Mirrors alexnet_lib.engine.budget.plan_budget and validation_images, and interpolates the
// recorded budgets' mean test accuracy (BudgetExplorer.reference). Left: the chosen run's curves.
(function (A) {
  function plan(minutes, run, d) {
    const b = run.budget, sps = b.seconds_per_step, eps = b.eval_images_per_s, spe = b.steps_per_epoch;
    const epochsGuess = Math.max(1, Math.ceil((minutes * 60) / sps / Math.max(1, spe)));
    const affordable = Math.round((d.validation_share * minutes * 60 * eps) / epochsGuess);
    const evalImages = Math.min(run.validation_available, Math.max(d.validation_min, affordable));
    const epochEnd = evalImages / eps + d.epoch_end_steps * sps, final = b.final_eval_images / eps;
    const available = minutes * 60 - b.spent_seconds - final, epochSeconds = spe * sps + epochEnd;
    const full = Math.max(0, Math.floor(available / epochSeconds));
    const rest = Math.floor((available - full * epochSeconds - epochEnd) / sps);
    const steps = full * spe + Math.max(0, Math.min(rest, spe));
    if (steps < d.min_steps) {
      const need = Math.ceil((b.spent_seconds + d.min_steps * sps + epochEnd + final) / 6) / 10;
      throw new A.Impossible(`${minutes} minutes leave too little time to train on that machine (${Math.max(0, steps)} ` +
                             `steps); give at least ${need} minutes`);
    }
    const epochs = Math.ceil(steps / spe), q = Math.floor(steps / spe), r = steps % spe;
    const images = q * b.train_images + Math.min(r * b.batch_size, b.train_images);
    const trainSeconds = steps * sps, evalSeconds = epochs * epochEnd;
    return {steps, epochs, images, eval_images: evalImages, train_seconds: trainSeconds,
            predicted_seconds: b.spent_seconds + trainSeconds + evalSeconds + final};
  }

  /** The mean recorded test accuracy at `minutes`, interpolated in log(minutes) between recorded budgets. */
  function expected(minutes, d) {
    const pts = d.means;
    if (minutes < pts[0][0] || minutes > pts[pts.length - 1][0]) return null;
    for (let i = 0; i < pts.length - 1; i++) {
      const [m0, a0] = pts[i], [m1, a1] = pts[i + 1];
      if (minutes <= m1) return m1 === m0 ? a0 : a0 + ((a1 - a0) * Math.log(minutes / m0)) / Math.log(m1 / m0);
    }
    return pts[pts.length - 1][1];
  }

  A.register("budget", {
    compute(s, d) {
      const run = d.runs.find((r) => r.label === s.run), p = plan(s.minutes, run, d), acc = expected(s.minutes, d);
      const b = run.budget;
      const text = `${s.minutes} minutes at the speed of the ${run.label} run (${(b.batch_size / b.seconds_per_step).toFixed(1)} ` +
        `images/s on ${run.device}): ${A.int(p.steps)} steps = ${A.int(p.images)} images ` +
        `(${(p.images / b.train_images).toFixed(2)} epochs), ${(p.train_seconds / 60).toFixed(1)} min of it training; ` +
        `validating ${A.int(p.eval_images)} images per epoch. ` +
        (acc === null ? `Expected accuracy: not recorded (the records span ${d.means[0][0]} to ` +
                        `${d.means[d.means.length - 1][0]} minutes)`
                      : `Expected test accuracy about ${A.pct(acc, 1)} (between the recorded budgets' means)`);
      return {values: {...p, expected: acc}, html: A.escape(text)};
    },
    draw(s, r, d, width) {
      const run = d.runs.find((x) => x.label === s.run), two = width >= 640, pw = two ? (width - 30) / 2 : width;
      const fig = A.figure(width, two ? 290 : 580);
      // Left (top on a phone): the chosen run, minute by minute: validation accuracy at each epoch end, the test.
      let t = 0;
      const xs = [0], val = [null];
      for (const e of run.epochs) { t += e.seconds / 60; xs.push(t); val.push(e.val_acc); }
      const lo = Math.min(...val.filter((v) => v !== null), run.test_acc) - 0.02;
      const ax = fig.axes(50, 24, pw - 60, 200, [0, Math.max(t, run.minutes)], [lo, 1]).frame();
      ax.yticks([lo, (lo + 1) / 2, 1], (v) => A.pct(v, 0)).xticks([0, run.minutes / 2, run.minutes].map((v) => +v.toFixed(1)))
        .labels("minutes", "accuracy");
      ax.polyline(xs.slice(1), val.slice(1), {stroke: "#4c72b0", "data-curve": "validation"});
      xs.slice(1).forEach((x, i) => fig.add(fig.el, "circle", {cx: ax.x(x), cy: ax.y(val[i + 1]), r: 4, fill: "#4c72b0"}));
      fig.add(fig.el, "circle", {cx: ax.x(t), cy: ax.y(run.test_acc), r: 5, fill: "#c44e52", "data-point": "test"});
      fig.text(50, 14, `${run.label}: validation at epoch ends (blue), test at the end (red)`, {"font-size": 11});
      // Right (below on a phone): test accuracy against the budget, recorded seeds and their mean; your budget.
      const x0 = two ? pw + 30 : 0, y0 = two ? 0 : 290, all = d.runs.map((x) => x.test_acc);
      const mins = d.means.map((m) => m[0]), lo2 = Math.min(...all) - 0.02, hi2 = Math.max(...all) + 0.01;
      const bx = fig.axes(x0 + 50, y0 + 24, pw - 60, 200, [Math.min(1, mins[0]), 60], [lo2, hi2], {xlog: true}).frame();
      bx.xticks([1, ...mins, 60]).yticks([lo2, hi2], (v) => A.pct(v, 1)).labels("budget, minutes (log)", "");
      fig.text(x0 + 50, y0 + 14, "test accuracy of every recorded budget; the line: mean over seeds", {"font-size": 11});
      for (const x of d.runs) {
        const e = 1.96 * Math.sqrt((x.test_acc * (1 - x.test_acc)) / x.test_images);  // the test sample's 95% error
        fig.line(bx.x(x.minutes), bx.y(x.test_acc - e), bx.x(x.minutes), bx.y(x.test_acc + e), {stroke: "#4c72b0"});
        fig.add(fig.el, "circle", {cx: bx.x(x.minutes), cy: bx.y(x.test_acc), r: 3.5, fill: "#4c72b0"});
      }
      bx.polyline(mins, d.means.map((m) => m[1]), {stroke: "#4c72b0", "stroke-width": 1.5});
      fig.line(bx.x(s.minutes), y0 + 24, bx.x(s.minutes), y0 + 224, {stroke: "#dd8452", "stroke-width": 2,
                                                                     "data-marker": "minutes"});
      if (r.values.expected !== null)
        fig.add(fig.el, "circle", {cx: bx.x(s.minutes), cy: bx.y(r.values.expected), r: 6, fill: "#dd8452"});
      fig.text(Math.min(bx.x(s.minutes) + 4, x0 + pw - 70), y0 + 40, `${s.minutes} min`, {"font-size": 11, fill: "#dd8452"});
      return fig;
    },
  });
})(window.AlexNetExplorers);
