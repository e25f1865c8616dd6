"""Ablations: train the same Fashion-MNIST AlexNet with one piece switched, over the same seeds, and record it.

`run_ablation` trains every (variant, seed) pair with identical data, order, recipe and initial RNG
state, so the only difference between two runs with the same seed is the switched piece. The result is
a JSON-ready dict with every setting, per-seed results and provenance; `load_ablation` reads it back
and checks its schema; `summarize` computes the numbers a chapter states.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import torch

from .data import fashion_mnist_loaders
from .model import AlexNetConfig, alexnet_fashion
from .normalization import lrn_activity
from .runs import RUNS_DIR, run_path
from .train import atomic_write_text, choose_precision, evaluate, fit, get_recipe, provenance

SCHEMA = "alexnet_lib.ablation/1"
#: The variants the two concept chapters compare (overrides of `alexnet_fashion`).
LRN_VARIANTS: dict[str, dict[str, Any]] = {"LRN": {"lrn": True}, "no LRN": {"lrn": False}}
POOLING_VARIANTS: dict[str, dict[str, Any]] = {"overlapping z=3, s=2": {"pool_kernel": 3, "pool_stride": 2},
                                               "non-overlapping z=2, s=2": {"pool_kernel": 2, "pool_stride": 2}}
_CONFIG_FIELDS = set(AlexNetConfig.__dataclass_fields__)


def _check_settings(variants: object, seeds: object, epochs: object, size: object, train_subset: object,
                    test_subset: object, batch_size: object) -> None:
    """ValueErrors for nonsense ablation settings, before any training starts."""
    if not isinstance(variants, dict) or len(variants) < 2:
        raise ValueError("variants must be a dict of at least two {label: alexnet_fashion overrides}")
    for label, overrides in variants.items():
        if not isinstance(label, str) or not isinstance(overrides, dict):
            raise ValueError(f"variant {label!r} must map a string label to a dict of overrides")
        unknown = sorted(set(overrides) - _CONFIG_FIELDS)
        if unknown:
            raise ValueError(f"variant {label!r} sets unknown AlexNetConfig field(s) {unknown}")
    if (not isinstance(seeds, (list, tuple)) or not seeds
            or any(isinstance(s, bool) or not isinstance(s, int) for s in seeds) or len(set(seeds)) != len(seeds)):
        raise ValueError(f"seeds={seeds!r} must be a non-empty list of distinct integers")
    for name, value in (("epochs", epochs), ("size", size), ("train_subset", train_subset),
                        ("test_subset", test_subset), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer")


def run_ablation(name: str, variants: dict[str, dict[str, Any]], *, seeds: Sequence[int] = (0,), epochs: int = 1,
                 size: int = 67, train_subset: int = 1024, test_subset: int = 512, batch_size: int = 64,
                 recipe: str = "fast", lr: Optional[float] = None, device: Union[str, torch.device] = "cpu",
                 fast: bool = True, path: Union[str, Path, None] = None, progress: bool = False,
                 question: str = "") -> dict[str, Any]:
    """Train `alexnet_fashion(input_size=size, **overrides)` per variant and seed; return (and save) the record."""
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a non-empty string, e.g. 'lrn'")
    seeds = list(seeds) if isinstance(seeds, (list, tuple, range)) else seeds
    _check_settings(variants, seeds, epochs, size, train_subset, test_subset, batch_size)
    for label, overrides in variants.items():
        AlexNetConfig(**{"in_channels": 1, "num_classes": 10, "input_size": size, **overrides})  # fails early
    device = torch.device(device)
    recipe_obj = get_recipe(recipe, lr=lr)
    started = time.perf_counter()
    prov = provenance(device)
    runs = []
    for seed in seeds:
        for label, overrides in variants.items():
            runs.append(_one_run(label, overrides, seed, epochs, size, train_subset, test_subset, batch_size,
                                 recipe_obj, device, fast, progress))
    record = {
        "schema": SCHEMA,
        "name": name,
        "question": question,
        "settings": {"model": "alexnet_fashion", "variants": variants, "seeds": seeds, "epochs": epochs,
                     "size": size, "train_subset": train_subset, "test_subset": test_subset,
                     "batch_size": batch_size, "recipe": recipe_obj.name,
                     "recipe_settings": {k: v for k, v in recipe_obj.__dict__.items()}, "fast": fast,
                     "precision": choose_precision(device, fast).label,
                     "data": "Fashion-MNIST, class-balanced seeded subsets of the official train and test sets"},
        "provenance": {**prov, "seconds": time.perf_counter() - started},
        "runs": runs,
    }
    if path is not None:
        atomic_write_text(Path(path), json.dumps(record, indent=1) + "\n")
    return record


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
            "parameters": sum(p.numel() for p in model.parameters()),
            "epochs": [{k: e[k] for k in ("epoch", "train_loss", "train_acc", "test_acc", "test_loss", "seconds",
                                           "images_per_s")} for e in history.epochs],
            "lrn_activity": activity, "seconds": time.perf_counter() - t0}


# ----------------------------------------------------------------------------- reading results

_RUN_KEYS = {"variant", "seed", "test_acc", "test_loss", "train_acc", "train_loss", "epochs", "seconds"}
_SETTING_KEYS = {"variants", "seeds", "epochs", "size", "train_subset", "test_subset", "batch_size", "recipe",
                 "precision"}
_PROVENANCE_KEYS = {"device_name", "torch", "date", "seconds"}


def validate_ablation(record: object, where: str = "record") -> dict[str, Any]:
    """Return `record` if it has the ablation schema (every run present, values in range), else ValueError."""
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise ValueError(f"{where} is not an ablation record (schema {SCHEMA!r}); re-run run_ablation")
    for key, keys in (("settings", _SETTING_KEYS), ("provenance", _PROVENANCE_KEYS)):
        missing = keys - set(record.get(key, {}))
        if missing:
            raise ValueError(f"{where}: {key} lacks {sorted(missing)}")
    settings, runs = record["settings"], record.get("runs")
    if not isinstance(runs, list):
        raise ValueError(f"{where}: 'runs' must be a list")
    for run in runs:
        missing = _RUN_KEYS - set(run)
        if missing:
            raise ValueError(f"{where}: a run lacks {sorted(missing)}")
        for key in ("test_acc", "train_acc"):
            if not 0 <= run[key] <= 1:
                raise ValueError(f"{where}: {key}={run[key]} of {run['variant']}/{run['seed']} is not in [0, 1]")
    expected = {(v, s) for v in settings["variants"] for s in settings["seeds"]}
    got = {(r["variant"], r["seed"]) for r in runs}
    if got != expected or len(runs) != len(expected):
        raise ValueError(f"{where}: runs cover {sorted(got)}, expected every variant x seed {sorted(expected)}")
    return record


def load_ablation(path: Union[str, Path]) -> dict[str, Any]:
    """Read and validate a JSON record written by `run_ablation`."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not a readable ablation record ({e})") from e
    return validate_ablation(record, str(path))


@dataclass(frozen=True)
class VariantSummary:
    """Mean and spread of one variant's results over seeds."""

    variant: str
    seeds: int
    test_acc: float
    test_acc_std: float
    train_acc: float
    gap: float  # train accuracy - test accuracy, in eval mode

    @property
    def test_error(self) -> float:
        return 1 - self.test_acc


def _std(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def summarize(record: dict[str, Any]) -> dict[str, Any]:
    """Per-variant means over seeds and the paired per-seed difference of the first variant minus the second."""
    validate_ablation(record)
    labels = list(record["settings"]["variants"])
    variants = {}
    for label in labels:
        runs = [r for r in record["runs"] if r["variant"] == label]
        accs = [r["test_acc"] for r in runs]
        trains = [r["train_acc"] for r in runs]
        variants[label] = VariantSummary(label, len(runs), sum(accs) / len(accs), _std(accs),
                                         sum(trains) / len(trains),
                                         sum(t - a for t, a in zip(trains, accs)) / len(runs))
    a, b = labels[0], labels[1]
    by_seed = {(r["variant"], r["seed"]): r for r in record["runs"]}
    diffs = [by_seed[(a, s)]["test_acc"] - by_seed[(b, s)]["test_acc"] for s in record["settings"]["seeds"]]
    mean = sum(diffs) / len(diffs)
    # A paired standard error: seeds are shared, so seed-to-seed luck cancels in each difference.
    sem = _std(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else float("nan")
    return {"variants": variants, "first": a, "second": b, "diffs": diffs, "mean_diff": mean, "sem_diff": sem,
            "wins": sum(d > 0 for d in diffs), "n": len(diffs)}


def verdict(summary: dict[str, Any], claimed: float) -> str:
    """One sentence: did the first variant beat the second by about the `claimed` accuracy (a fraction)?"""
    d, sem, n = summary["mean_diff"], summary["sem_diff"], summary["n"]
    noise = 2 * sem if not math.isnan(sem) else float("inf")
    first, second = summary["first"], summary["second"]
    head = (f"{first} minus {second}: {d:+.2%} test accuracy (mean of {n} paired seed(s), {summary['wins']} of {n} "
            f"in favour of {first}")
    head += f", ±{noise:.2%} at two standard errors)" if not math.isinf(noise) else ")"
    if math.isinf(noise):
        call = "one seed cannot separate the effect from noise"
    elif abs(d) <= noise:
        call = (f"within noise: this budget cannot confirm or refute the paper's {claimed:+.1%}")
    elif d > 0:
        call = f"{first} helps here, as the paper claims ({claimed:+.1%} on ImageNet)"
    else:
        call = f"{first} hurts here, against the paper's claim ({claimed:+.1%} on ImageNet)"
    return f"{head}; {call}"


def summary_text(record: dict[str, Any]) -> str:
    """A small table: per variant, mean test accuracy ± std over seeds, train accuracy and the gap."""
    s = summarize(record)
    lines = [f"{'variant':26} {'seeds':>5} {'test acc':>16} {'test error':>10} {'train acc':>9} {'gap':>7}"]
    for v in s["variants"].values():
        lines.append(f"{v.variant:26} {v.seeds:>5} {v.test_acc:>8.2%} ± {v.test_acc_std:<5.2%} {v.test_error:>10.2%} "
                     f"{v.train_acc:>9.2%} {v.gap:>+7.2%}")
    return "\n".join(lines)


def where_text(record: dict[str, Any]) -> str:
    """Where, when and with what settings a record was made."""
    st, p = record["settings"], record["provenance"]
    return (f"recorded {p['date']} on {p['device_name']} ({p.get('threads', '?')} threads, torch {p['torch']}, "
            f"{st['precision']}) in {p['seconds'] / 60:.1f} min: {len(st['seeds'])} seed(s) x {len(st['variants'])} "
            f"variants, {st['epochs']} epoch(s) over {st['train_subset']:,} training images at "
            f"{st['size']}x{st['size']}, tested on {st['test_subset']:,}, recipe '{st['recipe']}', "
            f"batch {st['batch_size']}")


# ----------------------------------------------------------------------------- the chapters' recorded experiments

#: Claimed gains of the paper (ImageNet, top-1 error), as fractions, for `verdict`.
PAPER_CLAIMS = {"lrn": 0.014, "pooling": 0.004}
#: The settings each chapter's record was made with; sized for about ten minutes on a 2-core CPU.
EXPERIMENTS: dict[str, dict[str, Any]] = {
    # fp32 (fast=False): bf16 would round k + alpha * sum to k whenever the sum is small; on this CPU fp32 is as fast.
    "lrn": dict(variants=LRN_VARIANTS, seeds=[0, 1, 2], epochs=2, size=67, train_subset=4000, test_subset=2000,
                batch_size=32, recipe="fast", fast=False,
                question="Does local response normalisation raise the test accuracy of a paper-faithful AlexNet?"),
    "pooling": dict(variants=POOLING_VARIANTS, seeds=[0, 1, 2], epochs=2, size=67, train_subset=4000,
                    test_subset=2000, batch_size=32, recipe="fast", fast=False,
                    question="Does overlapping pooling (z=3, s=2) beat non-overlapping pooling (z=s=2)?"),
}


def load_recorded(name: str) -> dict[str, Any]:
    """The recorded ablation `name` ('lrn', 'pooling'): the clone's data/runs copy, else fetched; validated."""
    return load_ablation(run_path(name))


def record_experiment(name: str, path: Union[str, Path, None] = None, progress: bool = True) -> dict[str, Any]:
    """Run one of EXPERIMENTS with its fixed settings and write it to data/runs/<name>.json (or `path`)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"name={name!r} must be one of {sorted(EXPERIMENTS)}")
    target = Path(path) if path is not None else RUNS_DIR / f"{name}.json"
    return run_ablation(name, path=target, progress=progress, **EXPERIMENTS[name])


__all__ = ["SCHEMA", "LRN_VARIANTS", "POOLING_VARIANTS", "run_ablation", "validate_ablation", "load_ablation",
           "VariantSummary", "summarize", "verdict", "summary_text", "where_text", "RUNS_DIR", "PAPER_CLAIMS",
           "EXPERIMENTS", "record_experiment", "load_recorded"]
