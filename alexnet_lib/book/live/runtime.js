// The explorers' runtime: builds an explorer's controls from its Python spec, recomputes and redraws on every
// move, entirely in the browser (the book's static pages have no kernel). Each explorer's own file registers
// {compute, draw}; `compute` mirrors the library's Python, which tests/book/test_live.py checks over many settings.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const kinds = {};

  /** An impossible setting: shown as a red line, never as a console error. */
  class Impossible extends Error {}

  // ---------------------------------------------------------------- numbers shared with alexnet_lib.book.live.prng

  /** The i-th number of stream `seed`, uniform in [0, 1): mulberry32's mix of seed·0x9E3779B1 + (i+1)·0x6D2B79F5. */
  function uniform(seed, i) {
    let t = (Math.imul(seed, 0x9E3779B1) + Math.imul(i + 1, 0x6D2B79F5)) >>> 0;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  function uniforms(seed, n) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = uniform(seed, i);
    return out;
  }
  /** n standard normals from stream `seed` (Box-Muller on pairs of uniforms, the cosine half). */
  function normals(seed, n) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u1 = 1 - uniform(seed, 2 * i), u2 = uniform(seed, 2 * i + 1);
      out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
    return out;
  }

  // ---------------------------------------------------------------- formatting

  const escape = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                                                                '"': "&quot;", "'": "&#39;"})[c]);
  /** 1,234,567 */
  const int = (n) => Math.round(n).toLocaleString("en-US");
  /** Three significant figures, like Python's '.3g'. */
  function g3(x, digits = 3) {
    if (!isFinite(x)) return String(x);
    if (x === 0) return "0";
    const e = Math.floor(Math.log10(Math.abs(x)));
    if (e < -4 || e >= digits) return x.toExponential(digits - 1).replace(/\.?0+e/, "e");
    return String(Number(x.toPrecision(digits)));
  }
  /** 156, 48.1 k, 37.8 M, 1.6 G */
  function short(v) {
    for (const [scale, unit] of [[1e9, " G"], [1e6, " M"], [1e3, " k"]]) if (v >= scale) return g3(v / scale) + unit;
    return int(v);
  }
  const pct = (x, d = 1) => (100 * x).toFixed(d) + "%";

  // ---------------------------------------------------------------- drawing

  const ruler = document.createElement("canvas").getContext("2d");
  /** The width in px of `s` in the page's sans-serif at `size` px (what the SVG's text will take). */
  function measure(s, size, weight) {
    ruler.font = `${weight || "normal"} ${size}px ${getComputedStyle(document.body).fontFamily || "sans-serif"}`;
    return ruler.measureText(String(s)).width;
  }

  /** An SVG of `width` × `height` px with small helpers; text uses the page's colour (light and dark themes). */
  function figure(width, height) {
    const el = document.createElementNS(SVG, "svg");
    el.setAttribute("width", width);
    el.setAttribute("height", height);
    el.setAttribute("viewBox", `0 0 ${width} ${height}`);
    el.setAttribute("role", "img");
    el.style.maxWidth = "100%";
    el.style.height = "auto";
    const add = (parent, tag, attrs, text) => {
      const node = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      parent.appendChild(node);
      return node;
    };
    const api = {
      el, width, height, add,
      group: (attrs) => add(el, "g", attrs),
      rect: (x, y, w, h, attrs, parent) => add(parent || el, "rect", {x, y, width: Math.max(0, w), height: Math.max(0, h),
                                                                        ...attrs}),
      line: (x1, y1, x2, y2, attrs, parent) => add(parent || el, "line", {x1, y1, x2, y2, stroke: "currentColor",
                                                                           ...attrs}),
      path: (d, attrs, parent) => add(parent || el, "path", {d, fill: "none", stroke: "currentColor", ...attrs}),
      /** Text that never runs past the picture's edges (or `fit` px): smaller, then squeezed, where it would. */
      text(x, y, s, attrs = {}, parent) {
        const {fit, ...rest} = attrs, size = rest["font-size"] || 12, anchor = rest["text-anchor"] || "start";
        const room = rest.transform ? Infinity
          : anchor === "start" ? width - x : anchor === "end" ? x : 2 * Math.min(x, width - x);
        const most = Math.min(fit || Infinity, room) - 2;
        let fontSize = size, wide = measure(s, fontSize, rest["font-weight"]);
        if (wide > most) {
          fontSize = Math.max(8, (size * most) / wide);
          wide = measure(s, fontSize, rest["font-weight"]);
        }
        const node = add(parent || el, "text", {x, y, fill: "currentColor", ...rest, "font-size": +fontSize.toFixed(2)}, s);
        if (wide > most) {
          node.setAttribute("textLength", Math.max(1, most).toFixed(1));
          node.setAttribute("lengthAdjust", "spacingAndGlyphs");
        }
        return node;
      },
      title: (s) => add(el, "title", {}, s),
      /** A plot area: maps data to px for a box at (x, y, w, h) with ranges [x0, x1] × [y0, y1] (log when asked). */
      axes(x, y, w, h, xr, yr, opts = {}) {
        const f = (v, r, log) => log ? (Math.log10(v) - Math.log10(r[0])) / (Math.log10(r[1]) - Math.log10(r[0]))
                                     : (v - r[0]) / (r[1] - r[0]);
        const ax = {
          x: (v) => x + w * f(v, xr, opts.xlog), y: (v) => y + h - h * f(v, yr, opts.ylog), box: [x, y, w, h],
          frame() {
            api.rect(x, y, w, h, {fill: "none", stroke: "currentColor", "stroke-opacity": 0.5});
            return ax;
          },
          xticks(ticks, fmt = String) {
            for (const t of ticks) {
              api.line(ax.x(t), y + h, ax.x(t), y + h + 4, {"stroke-opacity": 0.6});
              api.text(ax.x(t), y + h + 16, fmt(t), {"text-anchor": "middle", "font-size": 11});
            }
            return ax;
          },
          yticks(ticks, fmt = String) {
            for (const t of ticks) {
              api.line(x, ax.y(t), x + w, ax.y(t), {"stroke-opacity": 0.12});
              api.text(x - 5, ax.y(t) + 4, fmt(t), {"text-anchor": "end", "font-size": 11});
            }
            return ax;
          },
          labels(xlabel, ylabel) {
            if (xlabel) api.text(x + w / 2, y + h + 32, xlabel, {"text-anchor": "middle", "font-size": 12});
            if (ylabel) api.text(12, y + h / 2, ylabel, {"text-anchor": "middle", "font-size": 12,
                                                        transform: `rotate(-90 12 ${y + h / 2})`});
            return ax;
          },
          polyline(xs, ys, attrs) {
            const pts = [];
            xs.forEach((v, i) => { if (isFinite(ys[i]) && ys[i] !== null) pts.push(`${ax.x(v).toFixed(1)},${ax.y(ys[i]).toFixed(1)}`); });
            if (pts.length) api.add(el, "polyline", {points: pts.join(" "), fill: "none", stroke: "currentColor",
                                                     "stroke-width": 2, ...attrs});
            return ax;
          },
        };
        return ax;
      },
    };
    return api;
  }

  /** Decades from 10^a to 10^b, for log axes. */
  const decades = (lo, hi) => {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out;
  };

  const COLOURS = {input: "#4c72b0", padding: "#b8b8b8", unused: "#dd8452", window: ["#55a868", "#8172b3", "#c44e52",
                                                                                   "#937860"]};

  /** One row of `n` cells (the first and last `pad` of them padding) and the windows of size k and stride s that
   *  slide over it, stacked in lanes so overlapping windows stay apart; cells no window reaches are orange.
   *  `labels` (optional) writes a number in each cell. Returns the height used. */
  function strip(fig, x, y, w, n, pad, k, s, outputs, labels) {
    const cell = w / n, lanes = Math.min(4, Math.max(1, Math.ceil(k / s))), lane = 9;
    const reached = (outputs - 1) * s + k;
    for (let i = 0; i < n; i++) {
      const kind = i >= reached ? "unused" : i < pad || i >= n - pad ? "padding" : "input";
      fig.rect(x + i * cell, y + lanes * lane + 4, cell, 18, {fill: COLOURS[kind], stroke: n <= 80 ? "white" : "none",
                                                            "stroke-width": 0.5, "data-cell": kind});
      if (labels && cell >= 9) fig.text(x + (i + 0.5) * cell, y + lanes * lane + 17, String(labels[i]),
                                        {"text-anchor": "middle", "font-size": Math.min(11, cell - 1),
                                         fill: labels[i] ? "white" : "black"});
    }
    for (let j = 0; j < outputs; j++) {
      const l = j % lanes;
      // A ceil-mode window may hang over the edge: draw the part that reads the row.
      fig.rect(x + j * s * cell + 0.5, y + l * lane, Math.min(k, n - j * s) * cell - 1, lane - 2,
               {fill: COLOURS.window[l % 4], "fill-opacity": 0.85, "data-window": j});
    }
    return lanes * lane + 24;
  }

  /** The key under a strip. */
  function key(fig, x, y, entries) {
    for (const [colour, label] of entries) {
      fig.rect(x, y - 9, 10, 10, {fill: colour});
      fig.text(x + 14, y, label, {"font-size": 11});
      x += 22 + 6.2 * label.length;  // text is not measured (the figure may be off screen): 11 px text ≈ 6.2 px/char
    }
  }


  // ---------------------------------------------------------------- layer arithmetic (alexnet_lib.net.shapes)

  /** Output side of a conv or pool window; an Impossible names the layer when the window does not fit. */
  function windowOutput(spec, size) {
    const {kernel: k, stride: s, padding: p} = spec, span = size + 2 * p - k;
    if (spec.type === "pool" && spec.ceil_mode) {
      let out = Math.ceil(span / s) + 1;
      if ((out - 1) * s >= size + p) out -= 1;
      if (out < 1) throw new Impossible(`${spec.label || spec.name}: no pooling window fits a ${size}×${size} map`);
      return out;
    }
    if (span < 0) throw new Impossible(`${spec.label || spec.name} gets a ${size}×${size} map, smaller than its ` +
                                       `${k}×${k} window` + (p ? ` even with padding ${p}` : ""));
    return Math.floor(span / s) + 1;
  }

  /** layer_table's rows for `specs` (from alexnet_lib.net.shapes.layer_specs) on a channels × size × size input:
   *  each {name, type, shape, params, macs, input} where input is how many values the layer reads. */
  function layerTable(specs, channels, size) {
    let shape = [channels, size, size];
    const rows = [];
    for (const spec of specs) {
      const input = shape.reduce((a, b) => a * b, 1);
      let params = 0, macs = 0;
      if (spec.type === "conv") {
        const side = windowOutput(spec, shape[1]), per = (spec.in / spec.groups) * spec.kernel * spec.kernel;
        shape = [spec.out, side, side];
        params = spec.out * per + (spec.bias ? spec.out : 0);
        macs = spec.out * side * side * per;
      } else if (spec.type === "pool") {
        const side = windowOutput(spec, shape[1]);
        shape = [shape[0], side, side];
      } else if (spec.type === "linear") {
        params = input * spec.out + (spec.bias ? spec.out : 0);
        macs = input * spec.out;
        shape = [spec.out];
      }
      rows.push({name: spec.name, label: spec.label, type: spec.type, groups: spec.groups || 1, shape, params, macs,
                 input});
    }
    return rows;
  }

  // ---------------------------------------------------------------- controls

  function controlValue(c, input) {
    if (c.kind === "bool") return input.checked;
    if (c.kind === "choice") return c.options[Number(input.value)];
    if (c.kind === "log") return 10 ** Number(input.value);
    return Number(input.value);
  }

  function readout(c, value) {
    if (c.kind === "log") return value.toExponential(c.digits).replace("e+0", "").replace("e+", "e").replace("e0", "");
    if (c.kind === "float") return value.toFixed(c.digits);
    return String(value);
  }

  function makeControl(c, onChange) {
    const row = document.createElement("label");
    row.className = "ax-control ax-" + c.kind;
    row.dataset.name = c.name;
    const name = document.createElement("span");
    name.className = "ax-label";
    name.textContent = c.label;
    let input;
    if (c.kind === "bool") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = c.value;
      row.append(input, name);
    } else if (c.kind === "choice") {
      input = document.createElement("select");
      c.options.forEach((o, i) => {
        const opt = document.createElement("option");
        opt.value = String(i);
        opt.textContent = String(o);
        if (o === c.value) opt.selected = true;
        input.appendChild(opt);
      });
      row.append(name, input);
    } else {
      input = document.createElement("input");
      input.type = "range";
      input.min = c.low;
      input.max = c.high;
      input.step = c.step;
      input.value = c.kind === "log" ? Math.log10(c.value) : c.value;
      row.append(name, input);
    }
    input.name = c.name;
    input.setAttribute("aria-label", c.label);
    const out = document.createElement("output");
    if (c.kind !== "bool" && c.kind !== "choice") row.appendChild(out);
    const update = () => {
      const v = controlValue(c, input);
      out.textContent = readout(c, v);
      return v;
    };
    update();
    input.addEventListener(c.kind === "bool" || c.kind === "choice" ? "change" : "input", () => onChange(c.name, update()));
    return {row, input, get value() { return controlValue(c, input); }};
  }

  // ---------------------------------------------------------------- one explorer on the page

  function mount(root, spec) {
    const kind = kinds[spec.kind];
    root.textContent = "";
    root.classList.add("ax-live");
    const settings = {};
    const controls = document.createElement("div");
    controls.className = "ax-controls";
    const result = document.createElement("div");
    result.className = "ax-result";
    result.setAttribute("aria-live", "polite");
    const picture = document.createElement("div");
    picture.className = "ax-figure";
    let timer = null;
    const update = () => {
      timer = null;
      let r;
      try {
        r = kind.compute(settings, spec.data);
      } catch (e) {
        if (!(e instanceof Impossible)) throw e;
        root.dataset.error = e.message;
        root.dataset.values = "{}";
        result.innerHTML = `<span class="ax-error">Impossible setting: ${escape(e.message)}</span>`;
        picture.textContent = "";
        root.dataset.settings = JSON.stringify(settings);
        root.dataset.updates = String(Number(root.dataset.updates || 0) + 1);
        return;
      }
      delete root.dataset.error;
      result.innerHTML = r.html;
      const width = Math.max(280, Math.min(picture.clientWidth || root.clientWidth || 640, spec.max_width || 760));
      const fig = kind.draw(settings, r, spec.data, width);
      picture.textContent = "";
      if (fig) picture.appendChild(fig.el);
      root.dataset.values = JSON.stringify(r.values);
      root.dataset.settings = JSON.stringify(settings);
      root.dataset.updates = String(Number(root.dataset.updates || 0) + 1);
    };
    for (const c of spec.controls) {
      const made = makeControl(c, (name, value) => {
        settings[name] = value;
        // Coalesce a burst of slider events into one redraw per frame.
        if (timer === null) timer = requestAnimationFrame(update);
      });
      settings[c.name] = made.value;
      controls.appendChild(made.row);
    }
    root.append(controls, result, picture);
    update();
    let lastWidth = picture.clientWidth;
    if (window.ResizeObserver) {
      new ResizeObserver(() => {
        if (picture.clientWidth !== lastWidth && timer === null) {
          lastWidth = picture.clientWidth;
          timer = requestAnimationFrame(update);
        }
      }).observe(picture);
    }
  }

  /** What `compute` gives for one setting: its values, or {error}. The tests call this for many settings. */
  function evaluate(name, settings, data) {
    try {
      return kinds[name].compute(settings, data).values;
    } catch (e) {
      if (e instanceof Impossible) return {error: e.message};
      throw e;
    }
  }

  window.AlexNetExplorers = {
    register: (name, kind) => { kinds[name] = kind; }, mount, evaluate, Impossible, uniform, uniforms, normals,
    layerTable, figure, strip, key, COLOURS, decades, escape, int, g3, short, pct,
  };
})();
