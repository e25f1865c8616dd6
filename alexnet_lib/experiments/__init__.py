"""The chapters' recorded experiments: one runner, one record schema, one loader, one `out=`.

Every experiment is an `runner.Experiment` (arms, a recipe, the paper's claims, a live, a CPU and a GPU
scale, `sizes`) run by `runner.run_experiment` through `alexnet_lib.engine.loop.fit`: each arm's learning rate is
chosen on a validation split carved from the training set, seeds are paired across arms, every run keeps
which test images it got right (`sample`), and `runner.findings` turns a record into one verdict per claim,
its interval holding the test sample's error (see `alexnet_lib.experiments.stats`). `load(name)` reads a committed
record from `data/runs/` (fetched from the repository when the package is installed alone).

- `relu_tanh`: the paper's Figure 1 (ReLU against tanh, each its own init and both the paper's, steps to 25% error);
- `lrn`: an LRN that acts against the constant it becomes when it does not;
- `pooling`: overlapping against non-overlapping pooling, with equal maps and every position read;
- `dropout`: dropout in AlexNet's classifier (iterations to converge, test accuracy);
- `recipes`: the `fast` recipe with one part removed at a time;
- `augmentation`: random patches and mirrors against none on a small training set, ten test patches against one;
- `depth`: AlexNet with all five convolutions against AlexNet without its fourth;
- `ensembles`: groups of small AlexNets whose softmax outputs are averaged, against their members
  (each member trained by the runner's `one_run`, the rate chosen by its `select_rate`, the same record
  schema; groups of members in place of arms and seeds).
"""

from .schema import SCHEMA, load, make_record, save, validate, where_text

#: The experiments `python -m alexnet_lib record NAME` re-makes, each a module here writing data/runs/NAME.json.
EXPERIMENTS = ("relu_tanh", "dropout", "recipes", "lrn", "pooling", "augmentation", "depth", "ensembles")

__all__ = ["EXPERIMENTS", "SCHEMA", "load", "make_record", "save", "validate", "where_text"]
