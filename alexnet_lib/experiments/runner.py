"""The one experiment runner: arms x paired seeds on `fit`, each arm's learning rate chosen without the test set.

An `Experiment` names its arms (what differs between them: model and recipe overrides), a base recipe,
a model, the paper's claims it tests and its scales (a live one for the page, a CPU one of about ten
minutes on two cores, a GPU one that can resolve the paper's effects). `run_experiment` does, per arm:

1. *selection*: train with the first seed at every learning rate of the scale's grid and keep the one
   that scores best on the experiment's criterion: validation accuracy (a split carved from the
   training set) or, for a claim about training speed, fewest steps to a training-error level;
2. *measurement*: train with every other seed at that learning rate (the first seed's run is reused).

Runs with the same seed see the same images in the same order from the same RNG state, so seeds pair
across arms. Every curve point is measured in eval mode on one fixed subset of the training images.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

import torch
from torch import nn

from .._checks import check_choice, check_int
from ..data.augment import resize_for
from ..data.loader import DeviceLoader, fashion_mnist_splits
from ..device import parse_device
from ..engine.loop import NonFiniteLossError, Step, evaluate, fit
from ..engine.precision import choose_precision
from ..engine.recipes import Recipe
from ..net.activations import four_layer_net
from ..net.model import alexnet_fashion, fashion_config
from ..tables import Table
from ..toolkits.depth import without_conv
from .sample import decode_hits, encode_hits, paired_sample_error, sample_error_of_mean
from .schema import make_record, save, validate, where_text
from .stats import Interval, paired_differences, ratio_interval, t_interval, verdict, verdict_line, with_sample_error


@dataclass(frozen=True)
class Arm:
    """One arm: overrides of the experiment's model arguments and of its recipe, and its data augmentation.

    `augment=True` trains on section 4.1's random patches and mirror images of images resized in the
    paper's proportion 256 : 224 (`alexnet_lib.data.augment.resize_for`), and evaluates on their centre patches.
    """

    model: dict = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)
    augment: bool = False


@dataclass(frozen=True)
class Target:
    """A level on a curve: the first curve point at which `curve` (e.g. "train_error"), averaged over the last
    `window` points (1: that point alone; more: a bouncing curve must stay down, not touch it once), is at or
    below `level`."""

    curve: str
    level: float
    window: int = 1

    def __post_init__(self) -> None:
        check_int("window", self.window, 1, 1000)

    def __str__(self) -> str:
        text = f"{self.curve.replace('_', ' ')} <= {self.level:g}"
        return text if self.window == 1 else f"{text} (mean of {self.window} curve points)"


@dataclass(frozen=True)
class Claim:
    """A claim tested by paired seeds: arm `a` against arm `b` on `metric`, with the paper's figure.

    `metric` is a run's key ("test_acc") or a `Target` (steps to reach it); `metric_b`, when given, is what
    arm `b` is read on instead (so one arm can be compared with itself: ten test patches against one).
    `kind` "difference" compares a - b (null 0), "ratio" a / b (null 1, a t-interval on the log scale).
    `paper` is the paper's effect on that scale, or None when the paper (or this course) gives only a
    direction: "a beats b".
    """

    text: str
    a: str
    b: str
    metric: Union[str, Target]
    kind: str = "difference"
    paper: Optional[float] = None
    source: str = ""  # where the paper says it
    metric_b: Union[str, Target, None] = None
    others: str = ""  # what others' re-tests found, printed beside ours


@dataclass(frozen=True)
class Scale:
    """How big every run of an experiment is, and which seeds and learning rates it tries."""

    name: str
    size: int
    train_images: Optional[int]  # None: every image left after the validation split
    validation: int
    test_images: Optional[int]  # None: the whole test set
    epochs: int
    batch_size: int
    seeds: tuple
    lrs: tuple
    curve_images: int = 512
    log_every: int = 25  # steps between curve points
    device: str = "cpu"
    model: dict = field(default_factory=dict)  # the scale's network: overrides of the experiment's model arguments
    recipe: dict = field(default_factory=dict)  # what the scale's network needs of the recipe (e.g. its init)
    differs: str = ""  # how this scale's network and data differ from the paper's, said beside every verdict


@dataclass(frozen=True)
class Experiment:
    """What one recorded experiment compares, how it trains, and what it concludes."""

    name: str
    question: str
    model: str  # a name of BUILDERS
    arms: dict  # label -> Arm
    recipe: Recipe
    claims: tuple
    scales: dict  # name -> Scale
    select: Union[str, Target] = "val_acc"  # or a Target: fewest steps to it wins, and a run ends there
    precision: str = "auto"  # "fp32" where bf16 would blur the effect (LRN: it rounds k + alpha * sum to k)
    probe: Optional[Callable[[nn.Module, torch.Tensor], dict]] = None  # logged at every curve point
    base_model: dict = field(default_factory=dict)  # arguments every arm's model shares
    # More end-of-run numbers, from the trained model and the arm's test loader, named in extra_metrics.
    extra: Optional[Callable[[nn.Module, DeviceLoader], dict]] = None
    extra_metrics: tuple = ()

    def run(self, scale: Union[str, Scale] = "cpu", out: Union[str, Path, None] = None, progress: bool = True,
            root: Union[str, Path, None] = None) -> dict[str, Any]:
        """Run every arm at `scale` (a name of `scales` or a Scale); the record, written to `out` if given."""
        return run_experiment(self, scale, out=out, progress=progress, root=root)


def _four_layer_net(size: int, **kwargs: Any) -> nn.Module:
    if size != 28:
        raise ValueError(f"four_layer_net takes 28x28 inputs, not {size}x{size}")
    return four_layer_net(**kwargs)


def _alexnet_fashion(size: int, remove: Optional[str] = None, **kwargs: Any) -> nn.Module:
    if remove is None:
        return alexnet_fashion(input_size=size, **kwargs)
    return without_conv(remove, fashion_config(input_size=size, **kwargs), meta=False)


#: The models an experiment can name (a name, so the record says which).
BUILDERS: dict[str, Callable[..., nn.Module]] = {"four_layer_net": _four_layer_net,
                                                  "alexnet_fashion": _alexnet_fashion}


def build_model(experiment: Experiment, label: str, scale: Scale) -> nn.Module:
    """The model of arm `label` of `experiment` at `scale`: the experiment's arguments, the scale's, then the arm's."""
    arm = experiment.arms[check_choice("arm", label, experiment.arms)]
    return BUILDERS[experiment.model](scale.size, **{**experiment.base_model, **scale.model, **arm.model})


def arm_recipe(experiment: Experiment, label: str, scale: Scale, lr: Optional[float] = None) -> Recipe:
    """The recipe of arm `label` at `scale`: the experiment's, with the scale's overrides, then the arm's (and `lr`)."""
    arm = experiment.arms[check_choice("arm", label, experiment.arms)]
    recipe = replace(experiment.recipe, **{**scale.recipe, **arm.recipe})
    return recipe if lr is None else replace(recipe, lr=lr)


def _check_experiment(experiment: Experiment, scale: Scale) -> None:
    """ValueErrors, before any training, for an experiment or scale that cannot run."""
    if not isinstance(experiment, Experiment):
        raise ValueError(f"experiment={experiment!r} must be an Experiment, e.g. "
                         f"alexnet_lib.experiments.lrn.EXPERIMENT")
    if len(experiment.arms) < 2:
        raise ValueError(f"{experiment.name}: an experiment compares at least two arms")
    check_choice("model", experiment.model, BUILDERS)
    for arg in ("size", "epochs", "batch_size", "validation", "curve_images", "log_every"):
        check_int(arg, getattr(scale, arg), 1)
    if not scale.seeds or len(set(scale.seeds)) != len(scale.seeds):
        raise ValueError(f"seeds={scale.seeds!r} must be distinct seeds, at least one (three or more for an interval)")
    if not scale.lrs:
        raise ValueError("lrs is empty: give the learning rates to choose from")
    for label in experiment.arms:
        try:  # an arm the network cannot be built with fails here, before any training
            build_model(experiment, label, scale)
            arm_recipe(experiment, label, scale)
        except (TypeError, ValueError) as e:
            raise ValueError(f"arm {label!r}: {e}") from None
    if experiment.select != "val_acc" and not isinstance(experiment.select, Target):
        raise ValueError(f"select={experiment.select!r} must be 'val_acc' or a Target: a choice never reads the "
                         f"test set")
    if bool(experiment.extra) != bool(experiment.extra_metrics):
        raise ValueError(f"{experiment.name}: extra (a function) and extra_metrics (the names it returns) go together")
    for c in experiment.claims:
        for arm in (c.a, c.b):
            check_choice("claim arm", arm, experiment.arms)
        check_choice("kind", c.kind, ("difference", "ratio"))
        for metric in (c.metric, c.metric_b):
            if metric is not None:
                _check_metric(metric, experiment.extra_metrics)
        if c.a == c.b and c.metric_b in (None, c.metric):
            raise ValueError(f"claim {c.text!r} compares arm {c.a!r} with itself on one metric: give metric_b")


# ----------------------------------------------------------------------------- running


def run_experiment(experiment: Experiment, scale: Union[str, Scale] = "cpu", out: Union[str, Path, None] = None,
                   progress: bool = True, root: Union[str, Path, None] = None) -> dict[str, Any]:
    """Select each arm's learning rate with the first seed, then run every other seed; the record, written to `out`."""
    if isinstance(scale, str):
        scale = experiment.scales[check_choice("scale", scale, experiment.scales)]
    device = scale_device(scale)
    _check_experiment(experiment, scale)
    started = time.perf_counter()
    splits = {}
    runs: list[dict[str, Any]] = []
    for seed in scale.seeds:
        # The training subset and its order depend on the seed only: every arm sees the same batches.
        splits[seed] = fashion_mnist_splits(batch_size=scale.batch_size, size=scale.size, device=device,
                                            validation=scale.validation, train_subset=scale.train_images,
                                            test_subset=scale.test_images, seed=seed, root=root)
    chosen: dict[str, float] = {}
    first = scale.seeds[0]
    for label in experiment.arms:

        def train_at(lr: float, best: Optional[dict[str, Any]], label: str = label) -> dict[str, Any]:
            # A speed run that has taken as many steps as the best so far cannot win: stop it there.
            cap = best["steps"] if best is not None and isinstance(experiment.select, Target) else None
            one = one_run(experiment, label, lr, first, splits[first], scale, device, cap)
            if progress:
                print(_progress_line(experiment, one), flush=True)
            return one

        best, tried = select_rate(scale.lrs, train_at, lambda one, best: _better(experiment.select, one, best))
        runs += tried
        best["chosen"] = True
        chosen[label] = best["lr"]
    for seed in scale.seeds[1:]:
        for label in experiment.arms:
            one = one_run(experiment, label, chosen[label], seed, splits[seed], scale, device, None)
            one["chosen"] = True
            runs.append(one)
            if progress:
                print(_progress_line(experiment, one), flush=True)
    subset = ("a seeded, class-balanced subset per seed" if scale.train_images is not None else
              "all those left after the validation split, in each seed's order")
    settings = {"model": experiment.model, "base_model": experiment.base_model,
                "arms": {k: asdict(v) for k, v in experiment.arms.items()},
                "recipe": asdict(experiment.recipe), "scale": asdict(scale),
                "select": _target_dict(experiment.select),
                "chosen_lr": chosen, "precision": choose_precision(device, experiment.precision).label,
                "claims": [{**asdict(c), "metric": _target_dict(c.metric), "metric_b": _target_dict(c.metric_b)}
                           for c in experiment.claims],
                **({"extra_metrics": list(experiment.extra_metrics)} if experiment.extra_metrics else {}),
                "data": f"Fashion-MNIST at {scale.size}x{scale.size}: {splits[first].train.num_images:,} training "
                        f"images ({subset}), {scale.validation:,} validation images carved from the training set, "
                        f"{splits[first].test.num_images:,} test images"}
    # As JSON has it (tuples become lists), so the returned record equals the one read back from `out`.
    settings = json.loads(json.dumps(settings))
    return save(make_record(experiment.name, experiment.question, settings, runs, device, started), out)


def scale_device(scale: Scale) -> torch.device:
    """The device `scale` runs on, or a ValueError that says to record at the cpu scale where it is missing."""
    try:
        return parse_device(scale.device)
    except ValueError as e:
        raise ValueError(f"the {scale.name} scale runs on {scale.device!r}, which this machine cannot use ({e}); "
                         f"record at the cpu scale (--scale cpu) here") from None


#: One run of an experiment, as its record keeps it.
Run = dict[str, Any]


def select_rate(lrs: Sequence[float], train_at: Callable[[float, Optional[Run]], Run],
                better: Callable[[Run, Run], bool]) -> tuple[Run, list[Run]]:
    """The course's rule for a learning rate: one run at every rate of `lrs` on the first seed; the best wins.

    `train_at(lr, best so far)` trains one run; a run replaces the best when it is `better` on the validation
    split (never the test set). Returns the winning run and every run tried, in order. Every experiment, the
    ensembles too, chooses this way.
    """
    best: Optional[Run] = None
    tried = []
    for lr in lrs:
        one = train_at(lr, best)
        tried.append(one)
        if best is None or better(one, best):
            best = one
    return best, tried


def _target_dict(t: Union[str, Target, None]) -> Any:
    return asdict(t) if isinstance(t, Target) else t


def _progress_line(experiment: Experiment, run: dict[str, Any]) -> str:
    reached = ""
    if isinstance(experiment.select, Target):
        got = steps_to(run, experiment.select)
        reached = f", {experiment.select} at step {got}" if got is not None else f", not {experiment.select}"
    return (f"{run['arm']:>24} seed {run['seed']} lr {run['lr']:<6g} val {run['val_acc']:.3f} "
            f"test {run['test_acc']:.3f}{reached} ({run['seconds']:.0f} s)")


def _better(select: Union[str, Target], one: dict[str, Any], best: dict[str, Any]) -> bool:
    """Whether run `one` beats `best` on the selection criterion (never the test set)."""
    if isinstance(select, Target):
        a, b = steps_to(one, select), steps_to(best, select)
        return (a if a is not None else math.inf, -one["val_acc"]) < (b if b is not None else math.inf,
                                                                       -best["val_acc"])
    return one[select] > best[select]


def _curve_loader(train: DeviceLoader, n: int) -> DeviceLoader:
    """The first `n` images of the training subset, in a fixed order (centre patches): every curve point reads them."""
    n = min(n, train.num_images)
    return DeviceLoader(train.images[:n].cpu(), train.labels[:n].cpu(), batch_size=256, size=train.size,
                        device=train.device, resize=train.resize)


def arm_loaders(splits: Any, arm: Arm, size: int) -> tuple[DeviceLoader, DeviceLoader, DeviceLoader]:
    """The (train, validation, test) loaders of `arm`: with augmentation, random patches to train, centre ones to
    test."""
    if not arm.augment:
        return splits.train, splits.val, splits.test
    side = resize_for(size)
    return (splits.train.with_settings(resize=side, augment=True), splits.val.with_settings(resize=side),
            splits.test.with_settings(resize=side))


def one_run(experiment: Experiment, label: str, lr: float, seed: int, splits: Any, scale: Scale,
             device: torch.device, max_steps: Optional[int]) -> dict[str, Any]:
    """Train arm `label` once with `fit`: its curve, final accuracies, extra metrics and timings.

    The one way every experiment trains a run; `splits` are its (train, val, test) loaders by seed.
    """
    arm = experiment.arms[label]
    recipe = arm_recipe(experiment, label, scale, lr)
    model = build_model(experiment, label, scale)
    train, val_data, test_data = arm_loaders(splits, arm, scale.size)
    curve_data = _curve_loader(train, scale.curve_images)
    probe_x = next(iter(curve_data))[0]
    curve: list[dict[str, Any]] = []
    eval_seconds = [0.0]

    def point(step: int, images: int, seconds: float) -> dict[str, Any]:
        t0 = time.perf_counter()
        ev = evaluate(model, curve_data, device=device, precision=experiment.precision)
        p = {"step": step, "epoch": images / train.num_images, "seconds": seconds - eval_seconds[0],
             "train_error": 1.0 - ev.accuracy, "train_loss": _finite(ev.loss)}
        if experiment.probe is not None:
            p.update(experiment.probe(model, probe_x))
        curve.append(p)
        eval_seconds[0] += time.perf_counter() - t0
        return p

    last = {"step": 0, "images": 0, "seconds": 0.0}

    def on_step(s: Step) -> bool:
        last.update(step=s.step, images=s.images, seconds=s.seconds)
        if s.step % scale.log_every:
            return s.step == max_steps
        point(s.step, s.images, s.seconds)
        return (isinstance(experiment.select, Target) and steps_to({"curve": curve}, experiment.select) is not None
                or s.step == max_steps)

    t0 = time.perf_counter()
    diverged = False
    try:
        # Curve points are evaluated in eval mode: they draw no random numbers and leave the run as it was.
        fit(model, train, None, epochs=scale.epochs, recipe=recipe, device=device, precision=experiment.precision,
            seed=seed, progress=False, on_step=on_step)
    except NonFiniteLossError:
        diverged = True
    if not diverged and (not curve or curve[-1]["step"] != last["step"]):
        point(last["step"], last["images"], last["seconds"])
    val = evaluate(model, val_data, device=device, precision=experiment.precision)
    test = evaluate(model, test_data, device=device, precision=experiment.precision)
    train_acc = 1.0 - curve[-1]["train_error"] if curve else None
    extra = experiment.extra(model, test_data) if experiment.extra is not None else {}
    if {k for k in extra if not k.endswith("_hits")} != set(experiment.extra_metrics):
        raise ValueError(f"{experiment.name}: extra returned {sorted(extra)}, not extra_metrics "
                         f"{sorted(experiment.extra_metrics)}")
    return {"arm": label, "seed": seed, "lr": lr, "chosen": False, "diverged": diverged, "steps": last["step"],
            "val_acc": val.accuracy, "test_acc": test.accuracy, "test_loss": _finite(test.loss),
            "test_hits": encode_hits(test.hits),
            "train_acc": train_acc, "gap": train_acc - test.accuracy if train_acc is not None else None,
            **extra, "curve": curve, "seconds": time.perf_counter() - t0}


def _finite(x: float) -> Optional[float]:
    """`x`, or None where a diverged run gave inf or NaN (which strict JSON cannot hold)."""
    return x if math.isfinite(x) else None


# ----------------------------------------------------------------------------- reading a record


def steps_to(run: dict[str, Any], target: Target) -> Optional[int]:
    """The step of the first curve point of `run` at which `target` is met; None if the run never got there (a
    diverged point, None, never meets it)."""
    values = []
    for p in run["curve"]:
        values.append(p[target.curve])
        recent = values[-target.window:]
        if len(recent) == target.window and None not in recent and sum(recent) / target.window <= target.level:
            return p["step"]
    return None


def _as_target(metric: Any) -> Union[str, Target]:
    return Target(**metric) if isinstance(metric, dict) else metric


_RUN_KEYS = {"arm", "seed", "lr", "chosen", "diverged", "steps", "val_acc", "test_acc", "curve", "seconds"}


def validate_runs(record: object, where: str = "record") -> dict[str, Any]:
    """`record` if it is a runner record whose chosen runs cover every arm x seed once, else a ValueError."""
    record = validate(record, where)
    settings = record["settings"]
    for key in ("arms", "scale", "chosen_lr", "claims"):
        if key not in settings:
            raise ValueError(f"{where}: settings lack {key!r}; not a record of alexnet_lib.experiments.runner")
    for one in record["runs"]:
        missing = _RUN_KEYS - set(one)
        if missing:
            raise ValueError(f"{where}: a run lacks {sorted(missing)}")
        for key in ("val_acc", "test_acc"):
            if not 0 <= one[key] <= 1:
                raise ValueError(f"{where}: {key}={one[key]} of {one['arm']}/{one['seed']} is not in [0, 1]")
    expected = {(a, s) for a in settings["arms"] for s in settings["scale"]["seeds"]}
    got = [(r["arm"], r["seed"]) for r in record["runs"] if r["chosen"]]
    if sorted(got) != sorted(expected):
        raise ValueError(f"{where}: the chosen runs cover {sorted(got)}, expected each arm x seed once: "
                         f"{sorted(expected)}")
    return record


def chosen_runs(record: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """(arm, seed) -> the run at the arm's chosen learning rate."""
    return {(r["arm"], r["seed"]): r for r in validate_runs(record)["runs"] if r["chosen"]}


@dataclass(frozen=True)
class Finding:
    """One claim judged from paired seeds: the per-seed effects, their interval, the verdict and its line."""

    claim: Claim
    effects: tuple  # per seed: a - b, or a / b
    interval: Optional[Interval]
    word: str
    line: str
    censored: tuple = ()  # seeds whose `a` run never reached the target (its effect is a lower bound)

    @property
    def per_seed(self) -> str:
        """The per-seed effects in the verdict's units, e.g. '+0.40, -0.30 points' or '0.61x, 0.90x'."""
        if not self.effects:
            return "none (the comparison could not be made)"
        unit, scale = _units(self.claim)
        if self.claim.kind == "ratio":
            return ", ".join(f"{e:.2f}{unit}" for e in self.effects)
        digits = "+.2f" if unit == " points" else "+.3g"
        return ", ".join(f"{e * scale:{digits}}" for e in self.effects) + unit


def _units(claim: Claim) -> tuple[str, float]:
    """How a claim's effects are shown: (unit, factor), e.g. (" points", 100) for an accuracy difference."""
    if claim.kind == "ratio":
        return "x", 1.0
    metric = _as_target(claim.metric)
    return (" points", 100.0) if isinstance(metric, str) and metric.endswith(("_acc", "gap")) else ("", 1.0)


#: The mean validation accuracy at which an arm of an accuracy record counts as trained (a network at the CPU scale
#: that trains reaches 88-90% on Fashion-MNIST); below it, a claim on that arm gets no verdict.
TRAINED = 0.85

#: The final numbers a claim or a choice can read (gap: training minus test accuracy); a Target reads a curve.
RUN_METRICS = ("val_acc", "test_acc", "gap")


def _check_metric(metric: Any, extra: Sequence[str] = ()) -> Union[str, Target]:
    """`metric` as a run key of RUN_METRICS (or of an experiment's `extra`) or a Target, else a ValueError."""
    metric = _as_target(metric)
    if not isinstance(metric, Target):
        check_choice("metric", metric, RUN_METRICS + tuple(extra))
    return metric


def _metric(run: dict[str, Any], metric: Union[str, Target]) -> Optional[float]:
    if isinstance(metric, Target):
        got = steps_to(run, metric)
        return None if got is None else float(got)
    return run[metric]


def _hits_key(metric: Union[str, Target]) -> Optional[str]:
    """Which per-image hits a metric is made of ("test_acc": "test_hits"; a gap's test part too); None for a Target."""
    if isinstance(metric, Target) or metric == "val_acc":
        return None
    return "test_hits" if metric == "gap" else metric.replace("_acc", "_hits")


def sample_error(record: dict[str, Any], claim: Claim) -> float:
    """The test sample's standard error of `claim`'s mean effect, from the per-image hits its runs keep (0 for a
    claim on steps, or a record made before runs kept their hits)."""
    metric = _as_target(claim.metric)
    metric_b = _as_target(claim.metric_b) if claim.metric_b is not None else metric
    keys = _hits_key(metric), _hits_key(metric_b)
    runs = chosen_runs(record)
    seeds = record["settings"]["scale"]["seeds"]
    pairs = [(runs[(claim.a, s)], runs[(claim.b, s)]) for s in seeds]
    if None in keys or any(keys[0] not in a or keys[1] not in b for a, b in pairs):
        return 0.0
    images = record["settings"]["scale"].get("test_images")
    a_hits, b_hits = [], []
    for a, b in pairs:
        for run, key, hits in ((a, keys[0], a_hits), (b, keys[1], b_hits)):
            got = decode_hits(run[key], images)
            acc = key.replace("_hits", "_acc")
            if acc in run and abs(float(got.mean()) - run[acc]) > 0.5 / len(got):
                raise ValueError(f"{run['arm']}/{run['seed']}: its stored {key} give {float(got.mean()):.4f}, its "
                                 f"{acc} is {run[acc]:.4f}; the record is damaged, re-record it")
            hits.append(got)
    return paired_sample_error(a_hits, b_hits)


def finding(record: dict[str, Any], claim: Claim) -> Finding:
    """Judge `claim` on `record`'s chosen runs: paired over seeds, a t-interval widened by the test sample's error,
    one of three words."""
    runs = chosen_runs(record)
    seeds = record["settings"]["scale"]["seeds"]
    for arm in (claim.a, claim.b):
        check_choice("claim arm", arm, record["settings"]["arms"])
    extra = record["settings"].get("extra_metrics", ())
    metric = _check_metric(claim.metric, extra)
    metric_b = _check_metric(claim.metric_b, extra) if claim.metric_b is not None else metric
    null = 1.0 if claim.kind == "ratio" else 0.0
    unit, scale = _units(claim)
    if record["settings"].get("select") == "val_acc":  # an accuracy record: no verdict from an arm that never trained
        for arm in dict.fromkeys((claim.a, claim.b)):
            val = sum(runs[(arm, s)]["val_acc"] for s in seeds) / len(seeds)
            if val < TRAINED:
                why = (f"{arm} reached {val:.1%} on validation, below the {TRAINED:.0%} at which this course counts "
                       f"a Fashion-MNIST network as trained: no verdict")
                return Finding(claim, (), None, "inconclusive", f"{claim.text}: inconclusive ({why})")
    a_vals, b_vals, censored = [], [], []
    for seed in seeds:
        a, b = runs[(claim.a, seed)], runs[(claim.b, seed)]
        va, vb = _metric(a, metric), _metric(b, metric_b)
        if vb is None or (va is None and not isinstance(metric, Target)):
            word = "inconclusive"
            why = (f"{claim.b}, seed {seed}, never reached {metric_b}: this budget cannot tell"
                   if isinstance(metric_b,
                                 Target) and vb is None else f"seed {seed} diverged: there is nothing to compare")
            return Finding(claim, (), None, word, f"{claim.text}: {word} ({why})")
        if va is None:  # `a` ran out of steps first: its true value is at least the steps it took
            va = float(a["steps"])
            censored.append(seed)
        a_vals.append(va)
        b_vals.append(vb)
    if claim.kind == "ratio":
        effects = [x / y for x, y in zip(a_vals, b_vals)]
        interval = ratio_interval(effects)
    else:
        effects = paired_differences(a_vals, b_vals)
        interval = with_sample_error(t_interval(effects), sample_error(record, claim))
    what = claim.text + (f" (seeds {censored} never reached {metric}: lower bounds)" if censored else "")
    return Finding(claim, tuple(effects), interval, verdict(interval, claim.paper, null),
                   verdict_line(what, interval, claim.paper, null, scale=scale, unit=unit,
                                log=claim.kind == "ratio"), tuple(censored))


def last_fifth_fall(run: dict[str, Any], key: str = "train_loss") -> Optional[float]:
    """How much of a run's fall in `key` came in the last fifth of its steps (about 0: it had levelled off).

    Read off its curve: (value at 80% of the steps - value at the end) / (value at the start - value at the end);
    None for a run with fewer than three curve points or no fall at all.
    """
    curve = [p for p in run["curve"] if p.get(key) is not None]
    if len(curve) < 3 or curve[0][key] <= curve[-1][key]:
        return None
    at = next(p for p in curve if p["step"] >= 0.8 * curve[-1]["step"])
    return (at[key] - curve[-1][key]) / (curve[0][key] - curve[-1][key])


def arms_table(record: dict[str, Any]) -> Table:
    """Per arm: the chosen learning rate; over seeds the mean validation and test accuracy, the test accuracy's 95%
    interval (the seeds' spread and the test sample's error), and how much of the training loss's fall came in the
    last fifth of the steps (small: the arm had reached its plateau)."""
    runs = chosen_runs(record)
    seeds = record["settings"]["scale"]["seeds"]
    images = record["settings"]["scale"].get("test_images")
    rows = []
    for label in record["settings"]["arms"]:
        mine = [runs[(label, s)] for s in seeds]
        tests = t_interval([r["test_acc"] for r in mine])
        if all("test_hits" in r for r in mine):
            hits = [decode_hits(r["test_hits"], images) for r in mine]
            tests = with_sample_error(tests, sample_error_of_mean(hits))
        vals = [r["val_acc"] for r in mine]
        falls = [f for f in (last_fifth_fall(r) for r in mine) if f is not None]
        # An accuracy lies in [0, 1]; a t-interval on three seeds can reach past either end.
        ci = "n/a (one seed)" if tests.n == 1 else f"[{max(0.0, tests.low):.2%}, {min(1.0, tests.high):.2%}]"
        rows.append((label, f"{record['settings']['chosen_lr'][label]:g}", str(tests.n),
                     f"{sum(vals) / len(vals):.2%}", f"{tests.mean:.2%}", ci,
                     f"{sum(falls) / len(falls):.1%}" if falls else "n/a"))
    return Table(("arm", "chosen lr", "seeds", "val acc", "test acc", "95% interval", "loss fall, last fifth"),
                 tuple(rows), numeric=(1, 2, 3, 4, 6))


def selection_table(record: dict[str, Any]) -> Table:
    """Every learning rate tried on the first seed, per arm, with what the choice read (never the test set)."""
    select = _as_target(record["settings"]["select"])
    first = record["settings"]["scale"]["seeds"][0]
    rows = []
    for r in validate_runs(record)["runs"]:
        if r["seed"] != first:
            continue
        score = (f"{r['val_acc']:.2%}" if not isinstance(select, Target) else
                 str(steps_to(r, select) or f"> {r['steps']}") + (" (diverged)" if r["diverged"] else ""))
        rows.append((r["arm"], f"{r['lr']:g}", score, "chosen" if r["chosen"] else ""))
    what = "val acc" if not isinstance(select, Target) else f"steps to {select}"
    return Table(("arm", "lr", what, ""), tuple(rows), numeric=(1, 2))


def settings_text(record: dict[str, Any]) -> str:
    """The budget of a record in one line: seeds, arms, images, epochs, size, batch, precision."""
    st = record["settings"]
    sc = st["scale"]
    differs = f"; how it differs from the paper: {sc['differs']}" if sc.get("differs") else ""
    return (f"{len(sc['seeds'])} seeds x {len(st['arms'])} arms ({sc['name']} scale), learning rates "
            f"{', '.join(f'{lr:g}' for lr in sc['lrs'])} tried per arm on seed {sc['seeds'][0]}; "
            f"up to {sc['epochs']} epoch(s) of batch {sc['batch_size']}; {st['data']}; {st['precision']}{differs}")


def findings(record: dict[str, Any]) -> list[Finding]:
    """The finding of every claim the record was made to test (its settings keep the claims)."""
    return [finding(record, Claim(**{**c, "metric": _as_target(c["metric"]),
                                     "metric_b": _as_target(c.get("metric_b"))}))
            for c in validate_runs(record)["settings"]["claims"]]


def report(record: dict[str, Any]) -> str:
    """Where and how the record was made, its budget, and one verdict line per claim."""
    lines = [where_text(record), settings_text(record), ""]
    for f in findings(record):
        lines += [f.line] + ([f"   (where it is claimed: {f.claim.source})"] if f.claim.source else [])
        lines += [f"   (others' re-tests: {f.claim.others})"] if f.claim.others else []
    return "\n".join(lines)


def curve_table(record: dict[str, Any], keys: Sequence[str]) -> Table:
    """Per arm and curve key: the mean over seeds at the first curve point and at the last (the run's end)."""
    runs = chosen_runs(record)
    seeds = record["settings"]["scale"]["seeds"]
    rows = []
    for label in record["settings"]["arms"]:
        cells = [label]
        for key in keys:
            points = [runs[(label, s)]["curve"] for s in seeds]
            if any(key not in c[0] for c in points if c):
                raise ValueError(f"the record's curves have no {key!r}; they have {sorted(points[0][0])}")
            if not all(points):  # a run that diverged before its first curve point
                cells += ["n/a", "n/a"]
                continue
            first = sum(c[0][key] for c in points) / len(points)
            last = sum(c[-1][key] for c in points) / len(points)
            shown = "{:.3f}" if key.endswith("loss") else "{:.1%}"  # a loss in nats, a share or an error in percent
            cells += [shown.format(first), shown.format(last)]
        rows.append(tuple(cells))
    step = record["settings"]["scale"]["log_every"]
    header = ("arm",) + tuple(f"{key.replace('_', ' ')} {when}" for key in keys for when in (f"at step {step}",
                                                                                             "at end"))
    return Table(header, tuple(rows), numeric=tuple(range(1, 1 + 2 * len(keys))))
