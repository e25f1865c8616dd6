// The patch explorer: a Fashion-MNIST test image as the loader resizes it, and the patch the network sees (one
// training patch, mirrored or not, or the ten test patches). Mirrors alexnet_lib.data.loader's resize (bilinear,
// align_corners=False, after normalising) and alexnet_lib.data.augment's crops (PatchExplorer.reference).
(function (A) {
  const cache = {};

  /** Test image `index`, normalised and resized to side × side, as a Float64Array (row-major). */
  function resized(d, index) {
    if (cache[index]) return cache[index];
    const raw = atob(d.pixels), n = d.original, R = d.resize, img = new Float64Array(R * R);
    const px = (y, x) => (raw.charCodeAt(index * n * n + y * n + x) / 255 - d.mean) / d.std;
    const scale = n / R;
    const src = (i) => {  // PyTorch's source coordinate for output i, clamped at 0
      const s = (i + 0.5) * scale - 0.5;
      const c = Math.max(0, s), i0 = Math.min(Math.floor(c), n - 1);
      return [i0, Math.min(i0 + 1, n - 1), c - i0];
    };
    for (let y = 0; y < R; y++) {
      const [y0, y1, ly] = src(y);
      for (let x = 0; x < R; x++) {
        const [x0, x1, lx] = src(x);
        img[y * R + x] = (1 - ly) * ((1 - lx) * px(y0, x0) + lx * px(y0, x1)) + ly * ((1 - lx) * px(y1, x0) + lx * px(y1, x1));
      }
    }
    return (cache[index] = img);
  }

  function crop(img, R, size, top, left, flip) {
    const out = new Float64Array(size * size);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) out[y * size + x] = img[(top + y) * R + left + (flip ? size - 1 - x : x)];
    return out;
  }

  const summary = (p, size) => ({sum: p.reduce((a, b) => a + b, 0),
                                 corners: [p[0], p[size - 1], p[(size - 1) * size], p[size * size - 1],
                                           p[Math.floor(size / 2) * size + Math.floor(size / 2)]]});

  function patches(s, d) {
    const img = resized(d, s.index), R = d.resize, C = d.crop, far = R - C, mid = Math.floor(far / 2);
    if (s.mode === d.modes[0]) return [{top: s.top, left: s.left, flip: s.flip, pixels: crop(img, R, C, s.top, s.left, s.flip)}];
    const five = [[0, 0], [0, far], [far, 0], [far, far], [mid, mid]];
    return [false, true].flatMap((flip) => five.map(([top, left]) => ({top, left, flip,
                                                                      pixels: crop(img, R, C, top, left, flip)})));
  }

  function paint(canvas, pixels, side, lo, hi) {
    canvas.width = canvas.height = side;
    const ctx = canvas.getContext("2d"), im = ctx.createImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      const v = Math.round(255 - (255 * (pixels[i] - lo)) / (hi - lo));  // dark garments on white
      im.data[4 * i] = im.data[4 * i + 1] = im.data[4 * i + 2] = Math.max(0, Math.min(255, v));
      im.data[4 * i + 3] = 255;
    }
    ctx.putImageData(im, 0, 0);
  }

  A.register("patch", {
    compute(s, d) {
      const ps = patches(s, d), C = d.crop, R = d.resize;
      const text = s.mode === d.modes[0]
        ? `test image ${s.index} (${d.classes[d.labels[s.index]]}): one of ${A.int((R - C + 1) ** 2 * 2)} training ` +
          `patches (${R - C + 1}² positions × 2 mirrors), here at row ${s.top}, column ${s.left}${s.flip ? ", mirrored" : ""}`
        : `test image ${s.index} (${d.classes[d.labels[s.index]]}): the ten ${C}×${C} test patches, whose softmax ` +
          `outputs are averaged into one prediction`;
      return {values: {patches: ps.map((p) => ({top: p.top, left: p.left, flip: p.flip, ...summary(p.pixels, C)}))},
              html: A.escape(text), ps};
    },
    draw(s, r, d, width) {
      const box = document.createElement("div"), R = d.resize, C = d.crop, img = resized(d, s.index);
      const lo = (0 - d.mean) / d.std, hi = (1 - d.mean) / d.std;
      box.className = "ax-canvases";
      const add = (pixels, side, caption, px) => {
        const fig = document.createElement("figure"), canvas = document.createElement("canvas");
        paint(canvas, pixels, side, lo, hi);
        canvas.style.width = canvas.style.height = `${px}px`;
        const cap = document.createElement("figcaption");
        cap.textContent = caption;
        fig.append(canvas, cap);
        box.appendChild(fig);
        return canvas;
      };
      if (s.mode === d.modes[0]) {
        const px = Math.min(256, (width - 24) / (width >= 560 ? 2 : 1));
        const whole = add(img, R, `resized to ${R}×${R}; the patch outlined`, px);
        const ctx = whole.getContext("2d");
        ctx.strokeStyle = "#dd8452";
        ctx.lineWidth = 3;
        ctx.strokeRect(s.left + 1.5, s.top + 1.5, C - 3, C - 3);
        add(r.ps[0].pixels, C, `the ${C}×${C} patch the network sees${s.flip ? ", mirrored" : ""}`, px * C / R);
      } else {
        const names = ["top left", "top right", "bottom left", "bottom right", "centre"];
        const px = Math.min(128, (width - 60) / (width >= 560 ? 5 : 2));
        r.ps.forEach((p, i) => add(p.pixels, C, names[i % 5] + (p.flip ? ", mirrored" : ""), px));
      }
      return {el: box};
    },
  });
})(window.AlexNetExplorers);
