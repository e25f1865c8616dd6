"""The chapters' recorded experiments: one module each, one record schema, one loader, one `out=`.

Every module trains through `alexnet_lib.train.fit` and offers `run(out=None, ...)`, which returns the
record and writes it atomically to `out` when given. `load(name)` reads a committed record from
`data/runs/` (fetched from the repository when the package is installed alone) and checks its schema.

- `relu_tanh`: the paper's Figure 1 on Fashion-MNIST (ReLU against tanh, steps to a training error);
- `dropout`: AlexNet's classifier with and without dropout (generalisation gap, iterations to converge);
- `recipes`: alexnet_d2l trained with each recipe on the same small budget;
- `lrn`, `pooling`: ablations of a small-input AlexNet through `ablation`, over paired seeds.
"""

from .schema import SCHEMA, load, make_record, save, validate, where_text

__all__ = ["SCHEMA", "load", "make_record", "save", "validate", "where_text"]
