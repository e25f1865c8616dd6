// AlexNet on one GPU or split over two: parameters, multiply-adds, and the values one image sends between the GPUs
// at each layer, for the input size and split chosen. Mirrors alexnet_lib.toolkits.architecture.gpu_traffic and
// alexnet_lib.toolkits.lenet.alexnet_shapes (TowersExplorer.reference).
(function (A) {
  A.register("towers", {
    compute(s, d) {
      const grouped = s.split === d.splits[1], gpus = s.split === d.splits[0] ? 1 : 2;
      const specs = grouped ? d.grouped : d.plain;
      const rows = A.layerTable(specs, d.channels, s.input_size).filter((r) => r.type === "conv" || r.type === "linear");
      // On two GPUs each holds half of every layer's units; a layer whose units read both halves of its input
      // (an ungrouped convolution or a fully connected layer) needs the other GPU's half first.
      const traffic = rows.map((r, i) => (gpus === 2 && i > 0 && r.groups === 1 ? r.input : 0));
      const params = rows.reduce((a, r) => a + r.params, 0), macs = rows.reduce((a, r) => a + r.macs, 0);
      const crossing = traffic.reduce((a, b) => a + b, 0), mb = (crossing * 4 * s.batch) / 1e6;
      const text = `${s.input_size}×${s.input_size} input, ${s.split}: ` + (gpus === 1
        ? `one GPU holds all ${A.int(params)} parameters and does all ${A.int(macs)} multiply-adds per image; nothing crosses`
        : `${A.int(params)} parameters, about ${A.int(params / 2)} per GPU; ${A.int(macs)} multiply-adds per image; ` +
          `${A.int(crossing)} values cross between the GPUs per image in the forward pass ` +
          `(${mb.toFixed(1)} MB of float32 for a batch of ${s.batch}, and as much again going back)`);
      return {values: {params, macs, crossing, layers: rows.map((r, i) => [r.label, r.params, r.macs, traffic[i]])},
              html: A.escape(text), rows, traffic, gpus, mb};
    },
    draw(s, r, d, width) {
      const rows = r.rows, left = 64, h = 24, fig = A.figure(width, 76 + h * rows.length + 20);
      fig.text(0, 14, `AlexNet, ${s.input_size}×${s.input_size} input, ${s.split}` +
               (r.gpus === 2 ? `: ${r.mb.toFixed(1)} MB cross per batch of ${s.batch}` : ""), {"font-size": 13});
      const mid = left + (width - left) * 0.55, pmax = Math.max(...rows.map((x) => x.params));
      const tmax = Math.max(1, ...r.traffic);
      fig.text(left, 34, "parameters per layer", {"font-size": 12, "font-weight": "bold"});
      fig.text(mid + 10, 34, r.gpus === 1 ? "nothing crosses" : "sent, per image",
               {"font-size": 12, "font-weight": "bold"});
      rows.forEach((row, i) => {
        const y = 48 + i * h, w = ((mid - left - 50) * row.params) / pmax;
        fig.text(left - 6, y + 14, row.label, {"text-anchor": "end", "font-size": 11});
        if (r.gpus === 2) {  // each GPU's half, side by side in the bar
          fig.rect(left, y + 2, w / 2, h - 8, {fill: "#4c72b0", "data-bar": "gpu1"});
          fig.rect(left + w / 2, y + 2, w / 2, h - 8, {fill: "#55a868", "data-bar": "gpu2"});
        } else fig.rect(left, y + 2, w, h - 8, {fill: "#4c72b0", "data-bar": "gpu"});
        fig.text(left + w + 4, y + 14, A.short(row.params), {"font-size": 10});
        const t = r.traffic[i];
        if (t > 0) {
          const tw = ((width - mid - 70) * t) / tmax;
          fig.rect(mid + 10, y + 2, tw, h - 8, {fill: "#c44e52", "data-bar": "traffic"});
          fig.text(mid + 14 + tw, y + 14, A.short(t), {"font-size": 10});
        }
      });
      const y = 60 + h * rows.length;
      if (r.gpus === 2) A.key(fig, left, y, [["#4c72b0", "GPU 1's half"], ["#55a868", "GPU 2's half"],
                                             ["#c44e52", "sent between GPUs"]]);
      return fig;
    },
  });
})(window.AlexNetExplorers);
