// LeNet-5 against AlexNet: every weighted layer's output shape and its parameters, multiply-adds or output values,
// for the input sizes the sliders choose. Mirrors alexnet_lib.book.history (LeNetAlexNetExplorer.reference),
// which measures the same numbers with forward hooks on the real networks.
(function (A) {
  const COLOURS = {conv: "#4c72b0", linear: "#dd8452"};
  const read = {"parameters": (r) => r.params, "multiply-adds": (r) => r.macs,
                "output values": (r) => r.shape.reduce((a, b) => a * b, 1)};

  function table(specs, channels, size, net) {
    try {
      return A.layerTable(specs, channels, size).filter((r) => r.type === "conv" || r.type === "linear");
    } catch (e) {
      if (e instanceof A.Impossible) throw new A.Impossible(`${net}: ${e.message}`);
      throw e;
    }
  }
  const flat = (rows) => rows[rows.findIndex((r) => r.type === "linear") - 1].shape.join("×");
  const sum = (rows, f) => rows.reduce((a, r) => a + f(r), 0);

  A.register("layers", {
    compute(s, d) {
      const lenetSpecs = d.lenet.map((l, i) => (i === 0 ? {...l, padding: s.c1_padding} : l));
      const lenet = table(lenetSpecs, d.lenet_channels, s.lenet_size, "LeNet-5");
      const alexnet = table(d.alexnet, d.alexnet_channels, s.alexnet_size, "AlexNet");
      const v = {lenet: lenet.map((r) => [r.label, r.shape, r.params, r.macs]),
                 alexnet: alexnet.map((r) => [r.label, r.shape, r.params, r.macs]),
                 lenet_params: sum(lenet, read.parameters), lenet_macs: sum(lenet, read["multiply-adds"]),
                 alexnet_params: sum(alexnet, read.parameters), alexnet_macs: sum(alexnet, read["multiply-adds"])};
      const text = `LeNet-5 on ${s.lenet_size}×${s.lenet_size} (C1 padding ${s.c1_padding}): ${flat(lenet)} values ` +
        `reach F6, ${A.int(v.lenet_params)} parameters, ${A.int(v.lenet_macs)} multiply-adds; AlexNet on ` +
        `${s.alexnet_size}×${s.alexnet_size}: ${flat(alexnet)} reach FC1, ${A.int(v.alexnet_params)} ` +
        `parameters, ${A.int(v.alexnet_macs)} multiply-adds; AlexNet has ${A.int(v.alexnet_params / v.lenet_params)}× ` +
        `the parameters and ${A.int(v.alexnet_macs / v.lenet_macs)}× the multiply-adds. The bars show ${s.quantity}`;
      return {values: v, html: A.escape(text), rows: {lenet, alexnet}};
    },
    draw(s, r, d, width) {
      const two = width >= 640, pw = two ? (width - 20) / 2 : width, f = read[s.quantity];
      const all = [...r.rows.lenet, ...r.rows.alexnet].map((x) => Math.max(1, f(x)));
      const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)) + 0.6);
      const panelH = (n) => 40 + 22 * n + 30;
      const fig = A.figure(width, two ? panelH(8) : panelH(5) + panelH(8) + 10);
      const panel = (x0, y0, rows, name, size) => {
        const total = rows.reduce((a, x) => a + f(x), 0), left = 118;
        fig.text(x0, y0 + 14, `${name}, input ${size}×${size}: ${A.short(total)} ${s.quantity}`,
                 {"font-size": 12, "font-weight": "bold"});
        const ax = fig.axes(x0 + left, y0 + 28, pw - left - 10, 22 * rows.length, [1, hi], [rows.length, 0],
                            {xlog: true});
        rows.forEach((row, i) => {
          const v = Math.max(1, f(row)), y = ax.y(i) + 3;
          fig.rect(x0 + left, y, ax.x(v) - (x0 + left), 16, {fill: COLOURS[row.type], "data-bar": row.type});
          fig.text(x0 + left - 4, y + 12, `${row.label} ${row.shape.join("×")}`, {"text-anchor": "end", "font-size": 10});
          fig.text(ax.x(v) + 4, y + 12, A.short(f(row)), {"font-size": 10});
        });
        ax.xticks(A.decades(1, hi).filter((t, i) => i % 3 === 0), (t) => `1e${Math.round(Math.log10(t))}`);
      };
      panel(0, 0, r.rows.lenet, "LeNet-5", s.lenet_size);
      panel(two ? pw + 20 : 0, two ? 0 : panelH(5) + 10, r.rows.alexnet, "AlexNet", s.alexnet_size);
      return fig;
    },
  });
})(window.AlexNetExplorers);
