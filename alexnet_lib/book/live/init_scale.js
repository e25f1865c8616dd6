// The init-scale explorer: the ReLU/tanh chapter's four_layer_net(width=16) at a chosen weight std, on ten
// Fashion-MNIST test images. Mirrors alexnet_lib.book.init_scale.init_scale_profile (InitScaleExplorer.reference):
// weights std × normals(seed) in the order conv1, conv2, conv3, linear (PyTorch's layouts), every bias 0 but
// conv2's (1 when asked); per activation layer the share of saturated (unit, image) pairs and of dead units (as
// unit_fractions counts them), per stage the spread of the values across images. float64 throughout.
(function (A) {
  const act = {relu: (h) => (h > 0 ? h : 0), tanh: Math.tanh};
  const slope = {relu: (h) => (h > 0 ? 1 : 0), tanh: (h) => { const t = Math.tanh(h); return 1 - t ** 2; }};
  const COLOURS = {relu: "#4c72b0", tanh: "#dd8452", dead: "#c44e52", line: "#55a868"};
  const LAYERS = ["conv1", "conv2", "conv3"];
  let images = null, weights = null;

  /** The batch, normalised as alexnet_lib.book.init_scale.normalized does: count × side × side, row-major. */
  function batch(d) {
    if (images && images.key === d.pixels) return images.x;
    const raw = atob(d.pixels), x = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) x[i] = (raw.charCodeAt(i) / 255 - d.mean) / d.std;
    images = {key: d.pixels, x};
    return x;
  }

  /** The standard normals of stream `seed` the weights are drawn from (one stream for the whole network). */
  function stream(seed, d) {
    let n = d.linear.in * d.linear.out;
    for (const c of d.convs) n += c.out * c.in * c.kernel * c.kernel;
    if (!weights || weights.seed !== seed || weights.n !== n) weights = {seed, n, z: A.normals(seed, n)};
    return weights.z;
  }

  /** A 'same'-padded convolution with zero padding: x is B×C×S×S, w (from `at` in z, times std) O×C×k×k. */
  function conv(x, B, C, S, z, at, std, bias, O, k, p) {
    const T = S + 2 * p - k + 1, out = new Float64Array(B * O * T * T), w = new Float64Array(O * C * k * k);
    for (let i = 0; i < w.length; i++) w[i] = z[at + i] * std;  // the weight itself, rounded as torch rounds it
    for (let b = 0; b < B; b++)
      for (let o = 0; o < O; o++) {
        const ob = (b * O + o) * T * T;
        for (let c = 0; c < C; c++) {
          const xb = (b * C + c) * S * S;
          for (let ky = 0; ky < k; ky++) {
            const y0 = Math.max(0, p - ky), y1 = Math.min(T, S + p - ky);
            for (let kx = 0; kx < k; kx++) {
              const wv = w[((o * C + c) * k + ky) * k + kx], x0 = Math.max(0, p - kx), x1 = Math.min(T, S + p - kx);
              for (let y = y0; y < y1; y++) {
                const row = xb + (y + ky - p) * S + kx - p, orow = ob + y * T;
                for (let xx = x0; xx < x1; xx++) out[orow + xx] += wv * x[row + xx];
              }
            }
          }
        }
        for (let i = 0; i < T * T; i++) out[ob + i] += bias;
      }
    return {h: out, side: T};
  }

  /** 2×2 max-pooling, stride 2, a last odd row and column dropped (PyTorch's floor mode). */
  function pool(x, B, C, S) {
    const T = Math.floor(S / 2), out = new Float64Array(B * C * T * T);
    for (let m = 0; m < B * C; m++)
      for (let y = 0; y < T; y++)
        for (let xx = 0; xx < T; xx++) {
          const i = m * S * S + 2 * y * S + 2 * xx;
          out[m * T * T + y * T + xx] = Math.max(x[i], x[i + 1], x[i + S], x[i + S + 1]);
        }
    return out;
  }

  /** [spread, share]: the RMS over units of each unit's std across the B images, and that over the RMS of z. */
  function spread(z, B) {
    const U = z.length / B;
    let vars = 0, squares = 0;
    for (let u = 0; u < U; u++) {
      let mean = 0;
      for (let b = 0; b < B; b++) mean += z[b * U + u];
      mean /= B;
      let v = 0;
      for (let b = 0; b < B; b++) { const e = z[b * U + u] - mean; v += e * e; squares += z[b * U + u] ** 2; }
      vars += v / B;
    }
    const across = Math.sqrt(vars / U), size = Math.sqrt(squares / (B * U));
    return [across, size > 0 ? across / size : 0];
  }

  function profile(s, d) {
    const B = d.count, z = stream(s.seed, d), name = s.activation;
    let x = batch(d), C = 1, S = d.side, at = 0;
    const saturated = [], dead = [], spreads = [], shares = [];
    const see = (v) => { const [a, r] = spread(v, B); spreads.push(a); shares.push(r); };
    see(x);
    d.convs.forEach((c, l) => {
      const {h, side} = conv(x, B, C, S, z, at, s.std, l === 1 && s.conv2_bias ? 1 : 0, c.out, c.kernel, c.padding);
      at += c.out * c.in * c.kernel * c.kernel;
      const U = c.out * side * side, a = new Float64Array(h.length), stuckAll = new Uint8Array(U).fill(1);
      let stuck = 0;
      for (let b = 0; b < B; b++)
        for (let u = 0; u < U; u++) {
          const v = h[b * U + u], flat = slope[name](v) < d.threshold;
          if (flat) stuck++; else stuckAll[u] = 0;
          a[b * U + u] = act[name](v);
        }
      saturated.push(stuck / (B * U));
      dead.push(stuckAll.reduce((n, v) => n + v, 0) / U);
      see(a);
      x = pool(a, B, c.out, side);
      C = c.out;
      S = Math.floor(side / d.pool);
    });
    const I = d.linear.in, O = d.linear.out, logits = new Float64Array(B * O);
    for (let o = 0; o < O; o++)
      for (let b = 0; b < B; b++) {
        let sum = 0;
        for (let i = 0; i < I; i++) sum += z[at + o * I + i] * s.std * x[b * I + i];
        logits[b * O + o] = sum;
      }
    see(logits);
    return {saturated, dead, spread: spreads, share: shares};
  }

  const share = (r) => `${A.g3(100 * r)}%`;
  const setting = (s) => `${s.activation}, weight std ${A.g3(s.std)}, ` +
                         `${s.conv2_bias ? "conv2 bias 1" : "every bias 0"}, seed ${s.seed}`;

  A.register("init_scale", {
    compute(s, d) {
      const v = profile(s, d), last = v.spread.length - 1;
      const three = (xs) => xs.map((x) => A.pct(x, 0)).join(" / ");
      const text = `${setting(s)}: saturated ${three(v.saturated)}, dead ${three(v.dead)} (conv1 / conv2 / conv3); ` +
                   `the logits differ from image to image by ${A.g3(v.spread[last])} ` +
                   `(${share(v.share[last])} of their size)`;
      return {values: v, html: `<b>${A.escape(text)}</b>`};
    },
    draw(s, r, d, width) {
      const v = r.values, wide = width >= 560, pw = wide ? width / 2 : width, ph = 250;
      const fig = A.figure(width, wide ? ph + 24 : 2 * ph + 24);
      fig.text(8, 16, setting(s), {"font-size": 12});

      // Left (or top): saturated and dead shares per layer.
      let ox = 0, oy = 24;
      fig.text(ox + 8, oy + 14, "saturated pairs and dead units, per layer", {"font-size": 12, fit: pw - 12});
      const bars = fig.axes(ox + 44, oy + 34, pw - 58, 152, [0, 3], [0, 1]).frame();
      bars.yticks([0, 0.25, 0.5, 0.75, 1], (t) => A.pct(t, 0));
      bars.xticks([0.5, 1.5, 2.5], (t) => LAYERS[Math.floor(t)]);
      LAYERS.forEach((layer, l) => {
        for (const [k, value, colour, left] of [["saturated", v.saturated[l], COLOURS[s.activation], 0.12],
                                                ["dead", v.dead[l], COLOURS.dead, 0.52]]) {
          const x0 = bars.x(l + left), x1 = bars.x(l + left + 0.36), y = bars.y(value);
          fig.rect(x0, y, x1 - x0, bars.y(0) - y, {fill: colour, "data-bar": `${layer} ${k}`});
          fig.text((x0 + x1) / 2, y - 3, A.pct(value, 0), {"text-anchor": "middle", "font-size": 10});
        }
      });
      A.key(fig, ox + 44, oy + 226, [[COLOURS[s.activation], "saturated (unit, image) pairs"],
                                     [COLOURS.dead, "dead units"]]);

      // Right (or bottom): how much the values still differ from image to image, stage by stage.
      ox = wide ? pw : 0;
      oy = wide ? 24 : 24 + ph;
      fig.text(ox + 8, oy + 14, "spread across images (log), and its share of the values' size",
               {"font-size": 12, fit: pw - 12});
      const shown = v.spread.filter((x) => x > 0);
      const yr = [10 ** Math.floor(Math.log10(Math.min(...shown))), 10 ** Math.ceil(Math.log10(Math.max(...shown)))];
      if (yr[0] === yr[1]) { yr[0] /= 10; yr[1] *= 10; }
      const line = fig.axes(ox + 50, oy + 34, pw - 70, 152, [-0.3, v.spread.length - 0.7], yr, {ylog: true}).frame();
      const dec = A.decades(yr[0], yr[1]), step = Math.ceil(dec.length / 5);
      line.yticks(dec.filter((_, i) => i % step === 0), (t) => `1e${Math.round(Math.log10(t))}`);
      line.xticks(d.stages.map((_, i) => i), (i) => d.stages[i]);
      const xs = d.stages.map((_, i) => i), ys = v.spread.map((x) => (x > 0 ? x : null));
      line.polyline(xs, ys, {stroke: COLOURS.line, "data-line": "spread"});
      xs.forEach((i) => {
        if (ys[i] === null) return;
        fig.add(fig.el, "circle", {cx: line.x(i), cy: line.y(ys[i]), r: 3, fill: COLOURS.line});
        fig.text(line.x(i), line.y(ys[i]) - 7, share(v.share[i]), {"text-anchor": "middle", "font-size": 10});
      });
      fig.text(ox + 50, oy + 226, "labels: spread ÷ RMS of the values (the part that depends on the image)",
               {"font-size": 11, fit: pw - 56});
      return fig;
    },
  });
})(window.AlexNetExplorers);
