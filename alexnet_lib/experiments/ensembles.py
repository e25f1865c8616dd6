"""Ensembles: the softmax outputs of k small AlexNets averaged, against the members alone (the paper's section 6).

The paper's five CNNs reach a top-1 error of 38.1% on the ILSVRC-2012 validation set where one reaches 40.7%
(Table 2). Here every member is the small AlexNet of the other experiments' CPU scale (32x32 Fashion-MNIST,
`fast` recipe with Xavier init, in fp32), trained with `alexnet_lib.engine.loop.fit` on one fixed, class-balanced
training subset.
Members differ only in their seed, which sets their initial weights, their dropout masks and the order
in which they see the images. The learning rate is chosen once, by the runner's rule
(`runner.select_rate`): the first member is trained at every rate of the scale's grid and the one with
the best accuracy on a validation split carved from the training set wins (never the test set); every
other member trains at that rate. Each member is trained by the runner (`runner.one_run`) as the one arm of
`MEMBER`; the runner's own loop over arms and seeds is not used, because members share one training
subset (an arm's subset follows its seed) and each keeps its test probabilities, from which every
ensemble is made.

Members are grouped: each scale seed is a *group* of `members` networks, and groups are independent.
Per group the record keeps every member's test-set probabilities (float16, compressed), so every number
below can be recomputed from the record: each member's top-k accuracy, and for ensemble sizes 1 ... k the
top-k accuracy of the averaged probabilities, averaged over every subset of members of that size. The claim
compares, per group, the full ensemble's top-1 accuracy with the mean of its members' top-1 accuracies;
the groups give the paired values of a t-interval (`alexnet_lib.experiments.stats`).
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import torch
from torch import nn

from .._checks import check_choice, check_int
from ..data.loader import DeviceLoader, Splits, fashion_mnist_splits
from ..engine.metrics import top_k_accuracy, top_k_hits
from ..engine.precision import choose_precision
from ..engine.recipes import RECIPES, Recipe
from ..tables import Table
from ..toolkits.paper_results import ensemble_gain
from .runner import Arm, Experiment, Scale, one_run, scale_device, select_rate
from .sample import paired_sample_error
from .schema import load, make_record, save, validate, where_text
from .sizes import alexnet_scales
from .stats import Interval, paired_differences, t_interval, verdict, verdict_line, with_sample_error

NAME = "ensembles"
QUESTION = ("How much does averaging the softmax outputs of k independently trained small AlexNets gain over "
            "its members, in top-1, top-2 and top-5 accuracy?")
MODEL = "alexnet_fashion"
#: The pooling experiment's network: ceil-mode pooling reads every row and column, and pool3 gives 2x2 maps.
BASE_MODEL = {"lrn": False, "pool_ceil_mode": True}
RECIPE: Recipe = RECIPES["fast"]
PRECISION = "fp32"  # as the other experiments record
#: The claim: the full ensemble's top-1 accuracy minus the mean of its members', per group.
CLAIM = "the ensemble's top-1 accuracy minus the mean of its members' top-1 accuracy, per group"
SOURCE = "Table 2: 5 CNNs against 1 CNN, top-1 error 40.7% -> 38.1% on ILSVRC-2012 validation"


@dataclass(frozen=True)
class EnsembleScale:
    """How big every member run is (a runner `Scale`: its seeds are the groups) and how many members a group has."""

    scale: Scale
    members: int

    @property
    def name(self) -> str:
        """The scale's name: live, cpu or gpu."""
        return self.scale.name

    @property
    def groups(self) -> tuple:
        """The group seeds: one independent ensemble per seed."""
        return tuple(self.scale.seeds)

    def seed(self, group: int, member: int) -> int:
        """The training seed of member `member` of group `group`: distinct for every member of every group."""
        return group * self.members + member


def _scales() -> dict[str, EnsembleScale]:
    """Live (seconds), cpu (the paper's five members, three groups, about 20 minutes on two cores) and gpu."""
    base = alexnet_scales(10)
    return {
        # One group of two members, 32 steps of 32 images each: a try in seconds, for tests and the page.
        "live": EnsembleScale(replace(base["live"], train_images=512, epochs=2, batch_size=32, test_images=500),
                              members=2),
        # The CPU scale's small AlexNet for 4 epochs (about 88% right alone); five members as the paper's, three
        # groups: 16 runs in about 20 minutes on two cores.
        "cpu": EnsembleScale(replace(base["cpu"], seeds=(0, 1, 2), epochs=4), members=5),
        # The paper's five members, 135x135 inputs, the whole training set for 10 epochs, four groups: 22 runs on a
        # CUDA GPU. Its record keeps 20 x 10,000 test probabilities, a few megabytes.
        "gpu": EnsembleScale(replace(base["gpu"], seeds=(0, 1, 2, 3)), members=5),
    }


SCALES = _scales()


# ----------------------------------------------------------------------------- probabilities, stored compactly


def encode_probabilities(probs: torch.Tensor) -> str:
    """(images, classes) probabilities as text: float16, zlib-compressed, base64."""
    data = probs.detach().to("cpu", torch.float16).contiguous().numpy().tobytes()
    return base64.b64encode(zlib.compress(data, 9)).decode("ascii")


def decode_probabilities(text: str, images: int, classes: int) -> torch.Tensor:
    """The float32 tensor (images, classes) that `encode_probabilities` stored; a ValueError if it does not fit."""
    try:
        raw = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    except (ValueError, zlib.error, AttributeError) as e:
        raise ValueError(f"stored probabilities are not base64 of zlib-compressed float16 ({e})") from None
    if len(raw) != images * classes * 2:
        raise ValueError(f"stored probabilities hold {len(raw) // 2} values, expected {images} x {classes}")
    return torch.frombuffer(bytearray(raw), dtype=torch.float16).reshape(images, classes).float()


@torch.no_grad()
def softmax_outputs(model: nn.Module, loader: DeviceLoader) -> torch.Tensor:
    """Softmax outputs (images, classes) of `model` on every batch of `loader`, in eval mode, on the CPU."""
    was = model.training
    model.eval()
    try:
        return torch.cat([model(x).float().softmax(1).cpu() for x, _ in loader])
    finally:
        model.train(was)


def mean_probabilities(members: Sequence[torch.Tensor]) -> torch.Tensor:
    """The ensemble's prediction from its members' probabilities: their mean (the softmax is already taken)."""
    if not members:
        raise ValueError("an ensemble needs at least one member's probabilities")
    return torch.stack(list(members)).mean(0)


def top_ks(probs: torch.Tensor, labels: torch.Tensor) -> list[float]:
    """Top-k accuracy for k = 1 ... classes."""
    return [top_k_accuracy(probs, labels, k) for k in range(1, probs.shape[1] + 1)]


def by_size(members: Sequence[torch.Tensor], labels: torch.Tensor) -> list[dict[str, Any]]:
    """For ensemble sizes 1 ... len(members): top-k accuracies averaged over every subset of that size."""
    rows = []
    for size in range(1, len(members) + 1):
        subsets = list(itertools.combinations(range(len(members)), size))
        accs = [top_ks(mean_probabilities([members[i] for i in s]), labels) for s in subsets]
        rows.append({"size": size, "subsets": len(subsets), "top_k": [sum(a) / len(a) for a in zip(*accs)]})
    return rows


# ----------------------------------------------------------------------------- running


def _member_loader(splits: Splits, scale: Scale, seed: int) -> DeviceLoader:
    """The fixed training subset in the order of `seed`: every member sees the same images, in its own order."""
    train = splits.train
    return DeviceLoader(train.images.cpu(), train.labels.cpu(), batch_size=scale.batch_size, size=scale.size,
                        shuffle=True, seed=seed, device=train.device)


#: A member, as the runner trains an arm: the experiment's network, recipe and precision, and its softmax
#: outputs on the test set kept as an end-of-run number.
MEMBER = Experiment(NAME, QUESTION, MODEL, {"member": Arm()}, RECIPE, claims=(), scales={}, precision=PRECISION,
                    base_model=BASE_MODEL, extra=lambda model, test: {"probabilities": softmax_outputs(model, test)},
                    extra_metrics=("probabilities",))


def _train_member(group: int, member: int, seed: int, lr: float, splits: Splits, scale: Scale,
                  device: torch.device) -> tuple[dict[str, Any], Optional[torch.Tensor]]:
    """Train one member through the runner (`runner.one_run`); its run and its test probabilities."""
    own = splits._replace(train=_member_loader(splits, scale, seed))  # the shared subset in the member's order
    one = one_run(MEMBER, "member", lr, seed, own, scale, device, None)
    diverged = one["diverged"]
    run = {"group": group, "member": member, "seed": seed, "lr": lr, "chosen": False, "diverged": diverged,
           "steps": None if diverged else one["steps"], "val_acc": None if diverged else one["val_acc"],
           "seconds": one["seconds"]}
    return run, None if diverged else one["probabilities"]


def _store(run: dict[str, Any], probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Keep a chosen member's probabilities in its run, and its top-k accuracies as the stored values give them."""
    run["chosen"] = True
    run["probabilities"] = encode_probabilities(probs)
    stored = decode_probabilities(run["probabilities"], *probs.shape)  # every number is read from what is kept
    run["test_top_k"] = top_ks(stored, labels)
    return stored


def run(scale: Union[str, EnsembleScale] = "cpu", out: Union[str, Path, None] = None, progress: bool = True,
        root: Union[str, Path, None] = None) -> dict[str, Any]:
    """Choose the learning rate on validation, train every group's members, measure them and their ensembles."""
    if isinstance(scale, str):
        scale = SCALES[check_choice("scale", scale, SCALES)]
    if not isinstance(scale, EnsembleScale):
        raise ValueError(f"scale={scale!r} must be one of {', '.join(SCALES)} or an EnsembleScale")
    check_int("members", scale.members, 1, 20, hint=" (each group averages this many networks)")
    s = scale.scale
    if not scale.groups or len(set(scale.groups)) != len(scale.groups):
        raise ValueError(f"seeds={scale.groups!r} must be distinct group seeds, at least one (three for an interval)")
    if not s.lrs:
        raise ValueError("lrs is empty: give the learning rates to choose from")
    device = scale_device(s)
    started = time.perf_counter()
    # One training subset, one validation split, one test subset for every member of every group.
    splits = fashion_mnist_splits(batch_size=s.batch_size, size=s.size, device=device, validation=s.validation,
                                  train_subset=s.train_images, test_subset=s.test_images, seed=0, root=root)
    labels = splits.test.labels.cpu()
    runs: list[dict[str, Any]] = []

    def say(one: dict[str, Any]) -> None:
        if progress:
            top1 = f"test top-1 {one['test_top_k'][0]:.3f}" if one["chosen"] else "(not chosen)"
            print(f"group {one['group']} member {one['member']} seed {one['seed']} lr {one['lr']:<6g} "
                  f"val {one['val_acc']:.3f} {top1} ({one['seconds']:.0f} s)", flush=True)

    first_group, probabilities = scale.groups[0], {}

    def train_at(lr: float, best: Optional[dict[str, Any]]) -> dict[str, Any]:
        one, probabilities[lr] = _train_member(first_group, 0, scale.seed(first_group, 0), lr, splits, s, device)
        if progress and len(s.lrs) > 1:
            print(f"  lr {lr:g}: " + ("diverged" if one["diverged"] else f"val {one['val_acc']:.3f}"), flush=True)
        return one

    best, tried = select_rate(s.lrs, train_at, lambda one, best: not one["diverged"] and (
        best["diverged"] or one["val_acc"] > best["val_acc"]))
    runs += tried
    if best["diverged"]:
        raise ValueError(f"every learning rate of {s.lrs} diverged on the first member; try smaller ones")
    lr, best_probs = best["lr"], probabilities[best["lr"]]
    members: dict[int, list[torch.Tensor]] = {g: [] for g in scale.groups}
    members[first_group].append(_store(best, best_probs, labels))
    say(best)
    for group in scale.groups:
        for member in range(len(members[group]), scale.members):
            one, probs = _train_member(group, member, scale.seed(group, member), lr, splits, s, device)
            if probs is None:
                raise ValueError(f"member {member} of group {group} diverged at the chosen lr {lr:g}; record "
                                 f"again with smaller learning rates")
            members[group].append(_store(one, probs, labels))
            runs.append(one)
            say(one)
    ensembles = [{"group": g, "sizes": by_size(members[g], labels)} for g in scale.groups]
    settings = {"model": MODEL, "base_model": BASE_MODEL, "recipe": asdict(RECIPE), "scale": asdict(s),
                "members": scale.members, "chosen_lr": lr, "precision": choose_precision(device, PRECISION).label,
                "classes": list(splits.classes),
                "claim": {"text": CLAIM, "paper": ensemble_gain("top-1 val"), "source": SOURCE},
                "data": f"Fashion-MNIST at {s.size}x{s.size}: {splits.train.num_images:,} training images (one "
                        f"seeded, class-balanced subset for every member), {s.validation:,} validation images "
                        f"carved from the training set, {splits.test.num_images:,} test images"}
    settings = json.loads(json.dumps(settings))  # as JSON has it, so the returned record equals the one read back
    record = make_record(NAME, QUESTION, settings, runs, device, started)
    record["test_labels"] = "".join(str(int(y)) for y in labels)  # ten classes: one digit each
    record["ensembles"] = ensembles
    return save(validate_record(record, "the record to write"), out)


@dataclass(frozen=True)
class EnsembleExperiment:
    """The experiment as `python -m alexnet_lib record ensembles` runs it: a name, a question, scales, `run`."""

    name: str
    question: str
    scales: dict

    def run(self, scale: Union[str, EnsembleScale] = "cpu", out: Union[str, Path, None] = None,
            progress: bool = True, root: Union[str, Path, None] = None) -> dict[str, Any]:
        """Run the experiment at `scale` (live, cpu or gpu); the record, written to `out` if given."""
        return run(scale, out=out, progress=progress, root=root)


EXPERIMENT = EnsembleExperiment(NAME, QUESTION, SCALES)


# ----------------------------------------------------------------------------- reading a record


def validate_record(record: object, where: str = "record") -> dict[str, Any]:
    """`record` if it is an ensembles record whose chosen members fill every group, else a ValueError."""
    record = validate(record, where, NAME)
    for key in ("test_labels", "ensembles"):
        if key not in record:
            raise ValueError(f"{where} lacks {key!r}: not a record of alexnet_lib.experiments.ensembles")
    st = record["settings"]
    for key in ("scale", "members", "chosen_lr", "classes", "claim"):
        if key not in st:
            raise ValueError(f"{where}: settings lack {key!r}; not a record of alexnet_lib.experiments.ensembles")
    groups, k = st["scale"]["seeds"], st["members"]
    got = sorted((r["group"], r["member"]) for r in record["runs"] if r.get("chosen"))
    want = sorted((g, m) for g in groups for m in range(k))
    if got != want:
        raise ValueError(f"{where}: the chosen members are {got}, expected every group x member once: {want}")
    labels = record["test_labels"]
    digits = "0123456789"[:len(st["classes"])]
    if not isinstance(labels, str) or not labels or any(c not in digits for c in labels):
        raise ValueError(f"{where}: test_labels must be a string of class digits 0 to {len(st['classes']) - 1}")
    for r in record["runs"]:
        if r["val_acc"] is not None and not 0 <= r["val_acc"] <= 1:
            raise ValueError(f"{where}: val_acc={r['val_acc']} of group {r['group']} member {r['member']} "
                             f"is not in [0, 1]")
        if r.get("chosen") and ("probabilities" not in r or len(r.get("test_top_k", ())) != len(st["classes"])):
            raise ValueError(f"{where}: chosen member {r['group']}/{r['member']} lacks its probabilities or its "
                             f"{len(st['classes'])} top-k accuracies")
    if sorted(e["group"] for e in record["ensembles"]) != sorted(groups):
        raise ValueError(f"{where}: ensembles are given for groups {[e['group'] for e in record['ensembles']]}, "
                         f"expected {groups}")
    return record


def load_ensembles(name_or_path: Union[str, Path] = NAME) -> dict[str, Any]:
    """The committed record (data/runs/ensembles.json, fetched if need be) or one at a path, validated."""
    return validate_record(load(name_or_path, NAME), str(name_or_path))


def record_labels(record: dict[str, Any]) -> torch.Tensor:
    """The record's test labels as an int64 tensor."""
    return torch.tensor([int(c) for c in record["test_labels"]], dtype=torch.int64)


def member_probabilities(record: dict[str, Any]) -> dict[int, list[torch.Tensor]]:
    """group -> its members' stored test probabilities (float32, images x classes), in member order."""
    n, c = len(record["test_labels"]), len(record["settings"]["classes"])
    out: dict[int, list[torch.Tensor]] = {g: [] for g in record["settings"]["scale"]["seeds"]}
    for r in sorted((r for r in record["runs"] if r["chosen"]), key=lambda r: (r["group"], r["member"])):
        out[r["group"]].append(decode_probabilities(r["probabilities"], n, c))
    return out


def members(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The chosen member runs, by group then member."""
    return sorted((r for r in record["runs"] if r["chosen"]), key=lambda r: (r["group"], r["member"]))


def ensemble_accuracy(record: dict[str, Any], group: int, size: int, k: int = 1) -> float:
    """Top-`k` accuracy of `group`'s ensembles of `size` members (averaged over every subset of that size)."""
    groups = {e["group"]: e for e in record["ensembles"]}
    entry = groups[check_choice("group", group, groups)]
    sizes = {row["size"]: row for row in entry["sizes"]}
    top = sizes[check_choice("size", size, sizes)]["top_k"]
    return top[check_int("k", k, 1, len(top)) - 1]


def gains(record: dict[str, Any], k: int = 1) -> list[float]:
    """Per group: the full ensemble's top-`k` accuracy minus the mean of its members' top-`k` accuracies."""
    groups, size = record["settings"]["scale"]["seeds"], record["settings"]["members"]
    full = [ensemble_accuracy(record, g, size, k) for g in groups]
    alone = [sum(r["test_top_k"][k - 1] for r in members(record) if r["group"] == g) / size for g in groups]
    return paired_differences(full, alone)


def test_sample_errors(record: dict[str, Any], k: int = 1) -> list[float]:
    """Per group, the standard error of its top-`k` gain from the test sample alone (image to image variation).

    Every group is measured on the same test images, so the t-interval over groups does not contain this
    part of the uncertainty: a gain measured on other test images would differ by about this much.
    """
    return [paired_sample_error([full], [alone]) for full, alone in _per_image_gains(record, k)]


def _per_image_gains(record: dict[str, Any], k: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per group, per test image: the full ensemble's top-`k` credit and its members' mean credit."""
    labels = record_labels(validate_record(record))
    return [(top_k_hits(mean_probabilities(probs), labels, k), torch.stack([top_k_hits(p, labels, k)
                                                                            for p in probs]).mean(0))
            for probs in member_probabilities(record).values()]


def sample_error(record: dict[str, Any], k: int = 1) -> float:
    """The test sample's standard error of the mean gain over groups (the groups share the test images)."""
    full, alone = zip(*_per_image_gains(record, k))
    return paired_sample_error(full, alone)


@dataclass(frozen=True)
class EnsembleFinding:
    """The claim judged from the groups: per-group gains, their interval, the verdict word and its line."""

    gains: tuple
    interval: Interval
    paper: float
    word: str
    line: str


def finding(record: dict[str, Any]) -> EnsembleFinding:
    """The top-1 claim judged on `record`: a t-interval over the groups' gains, widened by the test sample's error,
    against the paper's +2.6 points."""
    record = validate_record(record)
    values = gains(record, 1)
    paper = record["settings"]["claim"]["paper"]
    interval = with_sample_error(t_interval(values), sample_error(record, 1))
    return EnsembleFinding(tuple(values), interval, paper, verdict(interval, paper),
                           verdict_line(CLAIM, interval, paper, scale=100, unit=" points"))


def settings_text(record: dict[str, Any]) -> str:
    """The budget of a record in one line: groups, members, images, epochs, size, batch, precision, chosen lr."""
    st = record["settings"]
    sc = st["scale"]
    differs = f"; how it differs from the paper: {sc['differs']}" if sc.get("differs") else ""
    return (f"{len(sc['seeds'])} groups x {st['members']} members ({sc['name']} scale); learning rates "
            f"{', '.join(f'{lr:g}' for lr in sc['lrs'])} tried on the first member, {st['chosen_lr']:g} chosen on "
            f"validation; {sc['epochs']} epoch(s) of batch {sc['batch_size']}; {st['data']}; {st['precision']}"
            f"{differs}")


def report(record: dict[str, Any]) -> str:
    """Where and how the record was made, its budget, and the verdict line with where the paper says it."""
    f = finding(record)
    return "\n".join([where_text(record), settings_text(record), "", f.line,
                      f"   (the paper: {record['settings']['claim']['source']})"])


def groups_table(record: dict[str, Any], k: int = 1) -> Table:
    """One column per group: each member's top-`k` accuracy, their mean, the ensembles of 2 ... members, the gain."""
    record = validate_record(record)
    groups, size = record["settings"]["scale"]["seeds"], record["settings"]["members"]
    alone = {g: [r["test_top_k"][k - 1] for r in members(record) if r["group"] == g] for g in groups}
    rows = [(f"member {m + 1}", *(f"{alone[g][m]:.2%}" for g in groups)) for m in range(size)]
    rows.append(("members' mean", *(f"{sum(alone[g]) / size:.2%}" for g in groups)))
    rows += [(f"ensemble of {m}", *(f"{ensemble_accuracy(record, g, m, k):.2%}" for g in groups))
             for m in range(2, size + 1)]
    rows.append(("gain (points)", *(f"{gain * 100:+.2f}" for gain in gains(record, k))))
    return Table((f"top-{k} accuracy", *(f"group {g}" for g in groups)), tuple(rows),
                 numeric=tuple(range(1, len(groups) + 1)))


def top_k_table(record: dict[str, Any], ks: Sequence[int] = (1, 2, 5)) -> Table:
    """Per k: chance, the members' and the full ensembles' mean top-k accuracy over all groups, and the gain."""
    record = validate_record(record)
    classes = len(record["settings"]["classes"])
    groups, size = record["settings"]["scale"]["seeds"], record["settings"]["members"]
    rows = []
    for k in ks:
        check_int("k", k, 1, classes)
        alone = [r["test_top_k"][k - 1] for r in members(record)]
        full = [ensemble_accuracy(record, g, size, k) for g in groups]
        g = gains(record, k)
        rows.append((f"top-{k}", f"{k / classes:.0%}", f"{sum(alone) / len(alone):.2%}",
                     f"{sum(full) / len(full):.2%}", f"{sum(g) / len(g) * 100:+.2f}",
                     f"{(1 - sum(alone) / len(alone)):.2%}", f"{(1 - sum(full) / len(full)):.2%}"))
    return Table(("", "chance", "one member", f"ensemble of {size}", "gain (points)", "error: one",
                  "error: ensemble"), tuple(rows), numeric=(1, 2, 3, 4, 5, 6))


def selection_table(record: dict[str, Any]) -> Table:
    """Every learning rate tried on the first member, with its validation accuracy (never the test set)."""
    rows = []
    for r in validate_record(record)["runs"]:
        if (r["group"], r["member"]) != (record["settings"]["scale"]["seeds"][0], 0):
            continue
        score = "diverged" if r["diverged"] else f"{r['val_acc']:.2%}"
        rows.append((f"{r['lr']:g}", score, "chosen" if r["chosen"] else ""))
    return Table(("lr", "val acc", ""), tuple(rows), numeric=(0, 1))


def disagreements(record: dict[str, Any], group: int) -> list[int]:
    """The test images (positions in the record) on whose top-1 class the members of `group` do not all agree."""
    probs = member_probabilities(record)[check_choice("group", group, record["settings"]["scale"]["seeds"])]
    top = torch.stack([p.argmax(1) for p in probs])
    return [int(i) for i in (top != top[0]).any(0).nonzero().flatten()]


def record_images(record: dict[str, Any], root: Union[str, Path, None] = None) -> torch.Tensor:
    """The record's test images (uint8, images x 28 x 28), drawn again as the run drew them; labels checked."""
    sc = record["settings"]["scale"]
    splits = fashion_mnist_splits(batch_size=sc["batch_size"], size=sc["size"], validation=sc["validation"],
                                  train_subset=sc["train_images"], test_subset=sc["test_images"], seed=0, root=root)
    if not torch.equal(splits.test.labels.cpu(), record_labels(record)):
        raise ValueError("the test images drawn now do not carry the record's labels: the data or the subset rule "
                         "changed since the record was made")
    return splits.test.images.cpu()


__all__ = ["NAME", "QUESTION", "CLAIM", "SCALES", "EnsembleScale", "EXPERIMENT", "EnsembleExperiment", "run",
           "encode_probabilities", "decode_probabilities", "softmax_outputs", "mean_probabilities", "top_ks",
           "by_size", "validate_record", "load_ensembles", "record_labels", "member_probabilities", "members",
           "ensemble_accuracy", "gains", "test_sample_errors", "EnsembleFinding", "finding", "settings_text",
           "report", "groups_table", "top_k_table", "selection_table", "disagreements", "record_images"]
