// The pooling explorer: how many windows read each input position, for window z and stride s on W inputs, with
// PyTorch's floor or ceil mode. Mirrors alexnet_lib.toolkits.pooling.pool_coverage and overlap, and
// alexnet_lib.net.shapes.pool_output_size (PoolingExplorer.reference).
(function (A) {
  A.register("pooling", {
    compute(s) {
      const {size: W, window: z, stride: t, ceil_mode: ceil} = s;
      if (!ceil && z > W) throw new A.Impossible(`the window z=${z} is larger than the input (W=${W}); use z ≤ ${W}`);
      let outputs = (ceil ? Math.ceil((W - z) / t) : Math.floor((W - z) / t)) + 1;
      // PyTorch drops a last window that would start beyond the input, as pool_output_size does.
      const dropped = ceil && (outputs - 1) * t >= W;
      if (dropped) outputs -= 1;
      if (outputs < 1) throw new A.Impossible(`with ceil_mode, z=${z} and stride ${t} leave no window on W=${W}`);
      const coverage = new Array(W).fill(0);
      for (let j = 0; j < outputs; j++) for (let i = j * t; i < Math.min(W, j * t + z); i++) coverage[i]++;
      const overlap = Math.max(0, z - t), twice = coverage.filter((c) => c > 1).length;
      const never = coverage.filter((c) => c === 0).length;
      const kind = z > t ? "overlapping" : z === t ? "non-overlapping" : "with gaps between windows";
      const rounding = ceil ? `⌈(${W} − ${z}) / ${t}⌉ + 1` : `⌊(${W} − ${z}) / ${t}⌋ + 1`;
      const last = (outputs - 1) * t + z - W;  // how far the last window reaches past the input
      const edge = ceil && last > 0 ? `; the last window hangs ${last} input(s) over the edge and reads what is there` :
                   dropped ? "; a window that would start past the input is dropped" : "";
      const text = `${rounding} = ${outputs} outputs; ${kind}: neighbouring windows share ${overlap} ` +
                   `input(s); ${twice} inputs read by two or more windows, ${never} never read${edge}`;
      return {values: {outputs, coverage, overlap, twice, never},
              html: `<b>output size ${outputs}</b> &nbsp; ${A.escape(text)}`};
    },
    draw(s, r, data, width) {
      const v = r.values, fig = A.figure(width, 110);
      fig.title("pooling windows over one row; each cell says how many windows read it");
      fig.text(0, 14, `z=${s.window}, s=${s.stride} on W=${s.size}${s.ceil_mode ? " (ceil mode)" : ""}: ` +
               `${s.size - v.never} of ${s.size} inputs read, ` +
               `${v.twice} by two or more windows`, {"font-size": 12});
      const h = A.strip(fig, 0, 22, width, s.size, 0, s.window, s.stride, v.outputs, v.coverage);
      A.key(fig, 0, 22 + h + 14, [[A.COLOURS.input, "read"], [A.COLOURS.unused, "never read"]]);
      return fig;
    },
  });
})(window.AlexNetExplorers);
