// The activation explorer: how the gradient fades or grows on its way down a deep stack of random layers.
// Mirrors alexnet_lib.book.explorers.gradient_profiles (ActivationExplorer.reference): a bias-free stack of
// `depth` Linear(width, width) layers with weights N(0, scale²/width) from the shared random streams, loss
// ½‖a_L − target‖² / batch, and the norm of the gradient at each layer's pre-activation, first layer first.
(function (A) {
  const f = {relu: (h) => (h > 0 ? h : 0), tanh: Math.tanh, sigmoid: (h) => 1 / (1 + Math.exp(-h))};
  const df = {relu: (h, a) => (h > 0 ? 1 : 0), tanh: (h, a) => 1 - a * a, sigmoid: (h, a) => a * (1 - a)};
  const COLOURS = {relu: "#4c72b0", tanh: "#dd8452", sigmoid: "#55a868"};
  let cache = null;

  function streams(d) {
    const n = d.width * d.width;
    if (!cache || cache.key !== `${d.width},${d.batch},${d.max_depth}`)
      cache = {key: `${d.width},${d.batch},${d.max_depth}`, w: A.normals(d.weight_stream, d.max_depth * n),
               x: A.normals(d.input_stream, d.batch * d.width), t: A.normals(d.target_stream, d.batch * d.width)};
    return cache;
  }

  function norms(name, depth, scale, d) {
    const {width: n, batch: B} = d, {w, x, t} = streams(d), c = scale / Math.sqrt(n), nn = n * n;
    const hs = [], as = [];
    let a = x;
    for (let l = 0; l < depth; l++) {
      const h = new Float64Array(B * n), out = new Float64Array(B * n), W = l * nn;
      for (let b = 0; b < B; b++)
        for (let o = 0; o < n; o++) {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += a[b * n + i] * w[W + o * n + i];
          h[b * n + o] = c * sum;
          out[b * n + o] = f[name](c * sum);
        }
      hs.push(h); as.push(out); a = out;
    }
    const result = new Array(depth);
    let g = new Float64Array(B * n);
    for (let j = 0; j < B * n; j++) g[j] = (a[j] - t[j]) / B;  // dLoss/da_L
    for (let l = depth - 1; l >= 0; l--) {
      const h = hs[l], out = as[l], delta = new Float64Array(B * n);
      let sq = 0;
      for (let j = 0; j < B * n; j++) { delta[j] = g[j] * df[name](h[j], out[j]); sq += delta[j] * delta[j]; }
      result[l] = Math.sqrt(sq);
      if (l === 0) break;
      const W = l * nn, below = new Float64Array(B * n);
      for (let b = 0; b < B; b++)
        for (let o = 0; o < n; o++) {
          const dv = delta[b * n + o];
          if (dv === 0) continue;
          for (let i = 0; i < n; i++) below[b * n + i] += dv * c * w[W + o * n + i];
        }
      g = below;
    }
    return result;
  }

  A.register("activation", {
    compute(s, d) {
      const profiles = {};
      for (const name of d.names) profiles[name] = norms(name, s.depth, s.weight_scale, d);
      const mine = profiles[s.activation], ratio = mine[0] === 0 ? Infinity : mine[mine.length - 1] / mine[0];
      const how = ratio === Infinity ? "exactly 0, infinitely smaller than"
        : ratio >= 1 ? `${A.g3(ratio)} times smaller than` : `${A.g3(1 / ratio)} times larger than`;
      const text = `${s.activation}, ${s.depth} layers, weight scale ${s.weight_scale.toFixed(2)}: the first layer's ` +
                   `gradient is ${how} the last layer's`;
      return {values: {profiles, ratio: isFinite(ratio) ? ratio : null}, html: `<b>${A.escape(text)}</b>`};
    },
    draw(s, r, d, width) {
      const fig = A.figure(width, 320), all = [];
      for (const p of Object.values(r.values.profiles)) for (const v of p) if (v > 0) all.push(v);
      const lo = Math.min(...all), hi = Math.max(...all), xs = Array.from({length: s.depth}, (_, i) => i + 1);
      const yr = [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi))];
      if (yr[0] === yr[1]) { yr[0] /= 10; yr[1] *= 10; }
      const ax = fig.axes(62, 30, width - 80, 220, [1, Math.max(2, s.depth)], yr, {ylog: true}).frame();
      const dec = A.decades(yr[0], yr[1]), step = Math.ceil(dec.length / 6);
      ax.yticks(dec.filter((_, i) => i % step === 0), (v) => `1e${Math.round(Math.log10(v))}`);
      ax.xticks([1, ...[10, 20, 30, 40, 50].filter((v) => v < s.depth), s.depth]);
      ax.labels("layer (1 = first, next to the input)", "gradient norm (log)");
      fig.text(62, 18, `depth ${s.depth}, weight scale ${s.weight_scale.toFixed(2)}`, {"font-size": 12});
      let x = 62;
      for (const name of d.names) {  // the lines, and their key under the axis label
        ax.polyline(xs, r.values.profiles[name].map((v) => (v > 0 ? v : null)),
                    {stroke: COLOURS[name], "stroke-width": name === s.activation ? 3 : 1.2,
                     "stroke-opacity": name === s.activation ? 1 : 0.6, "data-line": name});
        fig.rect(x, 300, 14, 3, {fill: COLOURS[name]});
        fig.text(x + 18, 306, name, {"font-size": 11, "font-weight": name === s.activation ? "bold" : "normal"});
        x += 80;
      }
      return fig;
    },
  });
})(window.AlexNetExplorers);
