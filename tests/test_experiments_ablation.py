"""The ablation runner on a tiny budget, its validation, summaries and verdicts, and the two recorded ablations."""

import functools
import json

import pytest

from alexnet_lib.experiments import SCHEMA, load
from alexnet_lib.experiments import lrn as lrn_experiment
from alexnet_lib.experiments import pooling as pooling_experiment
from alexnet_lib.experiments.ablation import (Ablation, run_ablation, settings_text, summarize, summary_table,
                                              validate_ablation, verdict)
from alexnet_lib.model import alexnet_fashion, count_parameters
from alexnet_lib.tables import Table

LRN_VARIANTS = lrn_experiment.ABLATION.variants
#: The LRN variants with narrow layers, so that a tiny run takes a second, not ten.
NARROW = {label: {**overrides, "hidden": 64, "channels": [16, 32, 32, 32, 16]}
          for label, overrides in LRN_VARIANTS.items()}
@functools.lru_cache(maxsize=None)
def _parameters(size: int, overrides: str) -> int:
    return count_parameters(alexnet_fashion(input_size=size, **json.loads(overrides)))


def parameters(size: int, overrides: dict) -> int:
    """Parameters of alexnet_fashion(input_size=size, **overrides), built here (once per distinct network)."""
    return _parameters(size, json.dumps(overrides, sort_keys=True))


TINY = dict(seeds=[0], epochs=1, size=67, train_subset=32, test_subset=16, batch_size=16, fast=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "tiny.json"
    return run_ablation("tiny", NARROW, out=path, question="Does LRN help?", **TINY), path


def test_tiny_run_records_everything(tiny):
    record, path = tiny
    assert load(path, "tiny") == json.loads(json.dumps(record))
    assert record["schema"] == SCHEMA and record["question"] == "Does LRN help?"
    st = record["settings"]
    assert (st["train_subset"], st["size"], st["seeds"], st["precision"]) == (32, 67, [0], "fp32")
    assert [(r["variant"], r["seed"]) for r in record["runs"]] == [("LRN", 0), ("no LRN", 0)]
    for run in record["runs"]:
        assert 0 <= run["test_acc"] <= 1 and 0 <= run["train_acc"] <= 1 and run["epochs"][0]["epoch"] == 1
        assert run["parameters"] == parameters(67, NARROW[run["variant"]])
        assert (len(run["lrn_activity"]) == 2) == (run["variant"] == "LRN")  # one entry per LRN layer
    assert record["provenance"]["device_name"] and record["provenance"]["seconds"] > 0
    assert not list(path.parent.glob(".*.tmp"))  # atomic write leaves no temp file


def test_same_seed_same_run(tiny):
    record, _ = tiny
    again = run_ablation("tiny", NARROW, **TINY)
    for a, b in zip(record["runs"], again["runs"]):
        assert a["epochs"][0]["train_loss"] == b["epochs"][0]["train_loss"]  # fp32 on the CPU: bit for bit
        assert a["test_acc"] == b["test_acc"]


def synthetic(record, accs, trains=None):
    """A copy of `record` with one seed per (first variant, second variant) pair of test accuracies."""
    first, second = record["settings"]["variants"]
    trains = trains or [(0.9, 0.9)] * len(accs)
    runs = [{**record["runs"][0], "variant": v, "seed": seed, "test_acc": acc, "train_acc": tr}
            for seed, (pair, tpair) in enumerate(zip(accs, trains)) for v, acc, tr in zip((first, second), pair, tpair)]
    return {**record, "settings": {**record["settings"], "seeds": list(range(len(accs)))}, "runs": runs}


def test_summarize_pairs_seeds_and_computes_intervals_by_hand(tiny):
    record = synthetic(tiny[0], [(0.80, 0.78), (0.82, 0.79), (0.81, 0.80)], trains=[(0.9, 0.95)] * 3)
    s = summarize(record)
    assert (s["first"], s["second"]) == ("LRN", "no LRN")
    assert s["diffs"] == pytest.approx([0.02, 0.03, 0.01])
    # mean 0.02, sd 0.01, se 0.01 / sqrt(3), t_{0.975, 2} = 4.3027.
    d = s["difference"]
    assert (d.n, d.mean) == (3, pytest.approx(0.02))
    assert (d.low, d.high) == (pytest.approx(0.02 - 4.3027 * 0.01 / 3 ** 0.5, abs=1e-5),
                               pytest.approx(0.02 + 4.3027 * 0.01 / 3 ** 0.5, abs=1e-5))
    lrn = s["variants"]["LRN"]
    assert lrn.test_acc.mean == pytest.approx(0.81) and lrn.train_acc == pytest.approx(0.9)
    assert lrn.gap == pytest.approx(0.09) and s["variants"]["no LRN"].gap == pytest.approx(0.95 - 0.79)


@pytest.mark.parametrize("accs, word", [
    ([(0.815, 0.80), (0.816, 0.80), (0.814, 0.80)], "confirmed"),  # about the paper's 1.4 points, tightly
    ([(0.803, 0.80), (0.804, 0.80), (0.805, 0.80)], "contradicted"),  # a real gain, but a fraction of 1.4 points
    ([(0.80, 0.70), (0.70, 0.80)], "inconclusive"),  # the seeds disagree
])
def test_verdict_weighs_the_paired_noise(tiny, accs, word):
    line = verdict(synthetic(tiny[0], accs), 0.014)
    assert line.startswith(f"LRN minus no LRN, test accuracy: {word} (")
    assert "the paper: +1.4 points" in line
    assert lrn_experiment.ABLATION.verdict(synthetic(tiny[0], accs)) == line


def test_one_seed_is_inconclusive(tiny):
    assert "inconclusive" in verdict(tiny[0], 0.014) and "no interval from one seed" in verdict(tiny[0], 0.014)


def test_summary_table_and_settings_text(tiny):
    record = synthetic(tiny[0], [(0.80, 0.78), (0.82, 0.79)])
    table = summary_table(record)
    assert isinstance(table, Table) and table.headers[:3] == ("variant", "seeds", "test acc")
    assert table.rows[0][:3] == ("LRN", "2", "81.00%") and table.rows[1][:3] == ("no LRN", "2", "78.50%")
    assert summary_table(tiny[0]).rows[0][3] == "n/a (one seed)"
    assert settings_text(tiny[0]) == ("1 seed(s) x 2 variants, 1 epoch(s) over 32 training images at 67x67, "
                                      "tested on 16, recipe 'fast' at lr 0.05, batch 16, fp32")


@pytest.mark.parametrize("change, match", [
    (lambda r: r.pop("schema"), "not an experiment record"),
    (lambda r: r["runs"].pop(), "expected every variant x seed"),
    (lambda r: r["runs"].append(dict(r["runs"][0])), "expected every variant x seed"),
    (lambda r: r["runs"][0].update(test_acc=1.5), r"test_acc=1.5 of LRN/0 is not in \[0, 1\]"),
    (lambda r: r["runs"][1].pop("train_loss"), r"a run lacks \['train_loss'\]"),
])
def test_validation_catches_damage(tiny, change, match):
    record = json.loads(json.dumps(tiny[0]))
    change(record)
    with pytest.raises(ValueError, match=match):
        validate_ablation(record)


@pytest.mark.parametrize("kwargs, match", [
    (dict(variants={"a": {}}), "at least two"),
    (dict(variants={"a": {}, "b": {"colour": 1}}), r"unknown AlexNetConfig field\(s\) \['colour'\]"),
    (dict(seeds=[]), "seeds"),
    (dict(seeds=[1, 1]), "must not repeat a seed"),
    (dict(epochs=0), "epochs=0"),
    (dict(size=40), "too small"),
    (dict(recipe="adam"), "recipe='adam'"),
])
def test_bad_settings_fail_before_training(kwargs, match):
    args = {"variants": NARROW, **TINY, **kwargs}
    with pytest.raises(ValueError, match=match):
        run_ablation("bad", **args)


def test_an_ablation_runs_with_its_settings_overridden(tmp_path):
    tiny = Ablation("mini", "?", 0.01, {"a": {"lrn": True, "hidden": 8, "channels": [8] * 5},
                                         "b": {"lrn": False, "hidden": 8, "channels": [8] * 5}},
                    dict(TINY, train_subset=10_000))
    record = tiny.run(out=tmp_path / "m.json", progress=False, train_subset=16, test_subset=16)
    assert record["settings"]["train_subset"] == 16 and record["experiment"] == "mini"
    assert load(tmp_path / "m.json")["runs"] == json.loads(json.dumps(record["runs"]))


# ----------------------------------------------------------------------------- the two recorded ablations


@pytest.mark.parametrize("experiment", [lrn_experiment, pooling_experiment], ids=["lrn", "pooling"])
def test_recorded_ablations(experiment):
    ablation = experiment.ABLATION
    record = validate_ablation(load(ablation.name))
    st, prov = record["settings"], record["provenance"]
    assert st["variants"] == ablation.variants and len(st["seeds"]) >= 2
    for key in ("seeds", "epochs", "size", "train_subset", "test_subset", "batch_size", "recipe"):
        assert st[key] == ablation.settings[key], key  # the record is what run() would make again
    assert prov["torch"] and prov["date"] and prov["device_name"] and prov["seconds"] > 0
    for run in record["runs"]:
        assert len(run["epochs"]) == st["epochs"]
        assert run["parameters"] == parameters(st["size"], st["variants"][run["variant"]])
    assert ablation.verdict(record).split(": ")[1].split(" ")[0] in ("confirmed", "contradicted", "inconclusive")


def test_the_overlapping_pooling_runs_are_the_lrn_chapters_lrn_runs():
    lrn, pooling = load("lrn"), load("pooling")
    by = lambda record, variant: {r["seed"]: r["test_acc"] for r in record["runs"] if r["variant"] == variant}  # noqa: E731
    # The same network (LRN on, 3/2 pooling), seeds and budget: the same accuracies.
    assert by(lrn, "LRN") == by(pooling, "overlapping z=3, s=2")
