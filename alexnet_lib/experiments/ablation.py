"""Ablations: train the same Fashion-MNIST AlexNet with one piece switched, over the same seeds, and record it.

`run_ablation` trains every (variant, seed) pair through `fit` with identical data, order, recipe and
initial RNG state, so the only difference between two runs with the same seed is the switched piece.
`summarize` pairs the seeds and `verdict` compares the t-interval of the paired differences with the
paper's effect (see `alexnet_lib.stats`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import torch

from .._checks import check_int, check_seeds
from ..loader import fashion_mnist_loaders
from ..devices import choose_precision, parse_device
from ..lrn import lrn_activity
from ..model import alexnet_fashion, count_parameters, fashion_config
from ..recipes import get_recipe
from ..stats import Interval, paired_differences, t_interval, verdict_line
from ..tables import Table
from ..train import evaluate, fit
from .schema import make_record, save, validate

def _check_variants(variants: object) -> None:
    """ValueErrors for variants that are not at least two {label: alexnet_fashion overrides}."""
    if not isinstance(variants, dict) or len(variants) < 2:
        raise ValueError("variants must be a dict of at least two {label: alexnet_fashion overrides}")
    for label, overrides in variants.items():
        if not isinstance(label, str) or not isinstance(overrides, dict):
            raise ValueError(f"variant {label!r} must map a string label to a dict of overrides")


def run_ablation(name: str, variants: dict[str, dict[str, Any]], *, seeds: Sequence[int] = (0,), epochs: int = 1,
                 size: int = 67, train_subset: int = 1024, test_subset: int = 512, batch_size: int = 64,
                 recipe: str = "fast", lr: Optional[float] = None, device: Union[str, torch.device] = "cpu",
                 fast: bool = True, out: Union[str, Path, None] = None, progress: bool = False,
                 question: str = "") -> dict[str, Any]:
    """Train `alexnet_fashion(input_size=size, **overrides)` per variant and seed; the record, written to `out`."""
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a non-empty string, e.g. 'lrn'")
    seeds = check_seeds("seeds", seeds)
    _check_variants(variants)
    for arg, value in (("epochs", epochs), ("size", size), ("train_subset", train_subset),
                       ("test_subset", test_subset), ("batch_size", batch_size)):
        check_int(arg, value, 1)
    for label, overrides in variants.items():
        try:  # a variant the network cannot be built with fails here, before any training
            fashion_config(**{"input_size": size, **overrides})
        except ValueError as e:
            raise ValueError(f"variant {label!r}: {e}") from None
    device = parse_device(device)
    recipe_obj = get_recipe(recipe, lr=lr)
    started = time.perf_counter()
    runs = []
    for seed in seeds:
        for label, overrides in variants.items():
            runs.append(_one_run(label, overrides, seed, epochs, size, train_subset, test_subset, batch_size,
                                 recipe_obj, device, fast, progress))
    settings = {"model": "alexnet_fashion", "variants": variants, "seeds": seeds, "epochs": epochs, "size": size,
                "train_subset": train_subset, "test_subset": test_subset, "batch_size": batch_size,
                "recipe": recipe_obj.name, "recipe_settings": dict(recipe_obj.__dict__), "fast": fast,
                "precision": choose_precision(device, fast).label,
                "data": "Fashion-MNIST, class-balanced seeded subsets of the official train and test sets"}
    return save(make_record(name, question, settings, runs, device, started), out)


def _one_run(label: str, overrides: dict[str, Any], seed: int, epochs: int, size: int, train_subset: int,
             test_subset: int, batch_size: int, recipe: Any, device: torch.device, fast: bool,
             progress: bool) -> dict[str, Any]:
    """One training run of one variant with one seed, and its measurements."""
    t0 = time.perf_counter()
    # The data subset and order depend on the seed only, so both variants see the very same batches.
    train, test, _ = fashion_mnist_loaders(batch_size=batch_size, size=size, device=device,
                                           train_subset=train_subset, test_subset=test_subset, seed=seed)
    model = alexnet_fashion(input_size=size, **overrides)
    history = fit(model, train, test, epochs=epochs, recipe=recipe, device=device, fast=fast, seed=seed,
                  progress=progress)
    # Training accuracy in eval mode (no dropout), so train - test is a fair overfitting gap.
    on_train = evaluate(model, train, fast=fast, device=device)
    last = history.epochs[-1]
    x, _ = next(iter(test))
    activity = [a.__dict__ for a in lrn_activity(model, x[:64])]
    return {"variant": label, "seed": seed, "test_acc": last["test_acc"], "test_loss": last["test_loss"],
            "train_acc": on_train.accuracy, "train_loss": on_train.loss,
            "parameters": count_parameters(model),
            "epochs": [{k: e[k] for k in ("epoch", "train_loss", "train_acc", "test_acc", "test_loss", "seconds",
                                           "images_per_s")} for e in history.epochs],
            "lrn_activity": activity, "seconds": time.perf_counter() - t0}


# ----------------------------------------------------------------------------- reading results

_RUN_KEYS = {"variant", "seed", "test_acc", "test_loss", "train_acc", "train_loss", "epochs", "seconds"}


def validate_ablation(record: object, where: str = "record") -> dict[str, Any]:
    """`record` if it is an experiment record with every variant x seed run present and values in range."""
    record = validate(record, where)
    settings, runs = record["settings"], record["runs"]
    for one in runs:
        missing = _RUN_KEYS - set(one)
        if missing:
            raise ValueError(f"{where}: a run lacks {sorted(missing)}")
        for key in ("test_acc", "train_acc"):
            if not 0 <= one[key] <= 1:
                raise ValueError(f"{where}: {key}={one[key]} of {one['variant']}/{one['seed']} is not in [0, 1]")
    expected = {(v, s) for v in settings["variants"] for s in settings["seeds"]}
    got = {(r["variant"], r["seed"]) for r in runs}
    if got != expected or len(runs) != len(expected):
        raise ValueError(f"{where}: runs cover {sorted(got)}, expected every variant x seed {sorted(expected)}")
    return record


@dataclass(frozen=True)
class VariantSummary:
    """One variant's results over seeds: test accuracy with its t-interval, train accuracy and the gap."""

    variant: str
    test_acc: Interval
    train_acc: float
    gap: float  # train accuracy - test accuracy, both in eval mode


def summarize(record: dict[str, Any]) -> dict[str, Any]:
    """Per-variant intervals, and the paired per-seed differences of the first variant minus the second."""
    validate_ablation(record)
    labels = list(record["settings"]["variants"])
    seeds = record["settings"]["seeds"]
    by = {(r["variant"], r["seed"]): r for r in record["runs"]}
    variants = {}
    for label in labels:
        accs = [by[(label, s)]["test_acc"] for s in seeds]
        trains = [by[(label, s)]["train_acc"] for s in seeds]
        variants[label] = VariantSummary(label, t_interval(accs), sum(trains) / len(trains),
                                         sum(t - a for t, a in zip(trains, accs)) / len(seeds))
    a, b = labels[0], labels[1]
    diffs = paired_differences([by[(a, s)]["test_acc"] for s in seeds], [by[(b, s)]["test_acc"] for s in seeds])
    return {"variants": variants, "first": a, "second": b, "diffs": diffs, "difference": t_interval(diffs)}


def verdict(record: dict[str, Any], paper_effect: float) -> str:
    """The verdict on the first variant's gain in test accuracy over the second, against the paper's (a fraction)."""
    s = summarize(record)
    return verdict_line(f"{s['first']} minus {s['second']}, test accuracy", s["difference"], paper_effect,
                        scale=100, unit=" points")


def summary_table(record: dict[str, Any]) -> Table:
    """Per variant: mean test accuracy with its 95% t-interval over seeds (cut to [0, 1]), train accuracy, gap."""
    rows = []
    for v in summarize(record)["variants"].values():
        i = v.test_acc
        # An accuracy lies in [0, 1]; a t-interval on three seeds can reach past either end.
        ci = "n/a (one seed)" if i.n == 1 else f"[{max(0.0, i.low):.2%}, {min(1.0, i.high):.2%}]"
        rows.append((v.variant, str(i.n), f"{i.mean:.2%}", ci, f"{v.train_acc:.2%}", f"{v.gap:+.2%}"))
    return Table(("variant", "seeds", "test acc", "95% t-interval", "train acc", "gap"), tuple(rows),
                 numeric=(1, 2, 4, 5))


@dataclass(frozen=True)
class Ablation:
    """One recorded ablation: its question, the paper's claimed gain, the variants and the recorded settings."""

    name: str
    question: str
    paper_gain: float  # the paper's gain in test accuracy (a fraction) of the first variant over the second
    variants: dict
    settings: dict

    def run(self, out: Union[str, Path, None] = None, progress: bool = True, **overrides: Any) -> dict[str, Any]:
        """Run the ablation with its settings (or overrides of them); the record, written to `out` if given."""
        return run_ablation(self.name, self.variants, out=out, progress=progress, question=self.question,
                            **{**self.settings, **overrides})

    def verdict(self, record: dict[str, Any]) -> str:
        """The verdict on the paper's gain from `record` (see `verdict`)."""
        return verdict(record, self.paper_gain)


def settings_text(record: dict[str, Any]) -> str:
    """The budget of a record in one line."""
    st = record["settings"]
    lr = st.get("recipe_settings", {}).get("lr")
    return (f"{len(st['seeds'])} seed(s) x {len(st['variants'])} variants, {st['epochs']} epoch(s) over "
            f"{st['train_subset']:,} training images at {st['size']}x{st['size']}, tested on {st['test_subset']:,}, "
            f"recipe '{st['recipe']}' at lr {lr:g}, batch {st['batch_size']}, {st['precision']}")
