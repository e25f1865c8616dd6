// The output-size explorer: conv output ⌊(W − K + 2P) / S⌋ + 1, what it leaves unused, and an optional max-pool.
// Mirrors alexnet_lib.net.shapes.conv_arithmetic and pool_output_size (OutputSizeExplorer.reference).
(function (A) {
  A.register("output_size", {
    compute(s) {
      const {size: W, kernel: K, stride: S, padding: P} = s;
      const span = W + 2 * P - K;
      if (span < 0) throw new A.Impossible(`kernel K=${K} is larger than the padded input (W + 2P = ${W + 2 * P}); ` +
                                           `use K ≤ ${W + 2 * P} or add padding`);
      const conv = Math.floor(span / S) + 1, remainder = span % S, dropped = Math.max(0, remainder - P);
      let text = `conv: ⌊(${W} − ${K} + 2·${P}) / ${S}⌋ + 1 = ${conv}` +
                 (remainder === 0 ? " (exact)" : ` (${remainder} left over, ${dropped} of them real input)`);
      let pooled = null;
      if (s.use_pool) {
        const z = s.pool_kernel, t = s.pool_stride;
        if (z > conv) throw new A.Impossible(`pooling: the window z=${z} is larger than the ${conv}-wide conv output; ` +
                                             `use z ≤ ${conv} or a larger input`);
        pooled = Math.floor((conv - z) / t) + 1;
        text += ` → pool: ⌊(${conv} − ${z}) / ${t}⌋ + 1 = ${pooled}`;
      }
      const output = pooled === null ? conv : pooled;
      return {values: {conv, remainder, dropped, exact: remainder === 0, pooled, output},
              html: `<b>output size ${output}</b> &nbsp; ${A.escape(text)}`};
    },
    draw(s, r, data, width) {
      const {size: W, kernel: K, stride: S, padding: P} = s, v = r.values;
      const fig = A.figure(width, s.use_pool ? 210 : 120);
      fig.title(`conv windows over the padded input${s.use_pool ? ", then pooling windows over the conv output" : ""}`);
      fig.text(0, 14, `input: W=${W} + 2·P=${P}, windows K=${K}, stride S=${S} → ${v.conv} outputs` +
               (v.remainder ? ` · ${v.remainder} cell(s) never covered` : " · exact"), {"font-size": 12});
      let y = 22 + A.strip(fig, 0, 22, width, W + 2 * P, P, K, S, v.conv);
      A.key(fig, 0, y + 14, [[A.COLOURS.input, "input"], [A.COLOURS.padding, "padding"],
                             [A.COLOURS.unused, "never covered"]]);
      if (s.use_pool) {
        y += 44;
        fig.text(0, y, `conv output: ${v.conv} values, pooled by z=${s.pool_kernel}, s=${s.pool_stride} → ` +
                 `${v.pooled}`, {"font-size": 12});
        A.strip(fig, 0, y + 8, width, v.conv, 0, s.pool_kernel, s.pool_stride, v.pooled);
      }
      return fig;
    },
  });
})(window.AlexNetExplorers);
