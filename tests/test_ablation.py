"""The ablation runner on a tiny budget, its validation and summaries, and the two recorded experiments."""

import json
import math

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from alexnet_lib import plots  # noqa: E402
from alexnet_lib.ablation import (LRN_VARIANTS, POOLING_VARIANTS, SCHEMA, load_ablation, run_ablation,  # noqa: E402
                                  summarize, summary_text, validate_ablation, verdict, where_text)
from tests.chapters import ROOT  # noqa: E402

TINY = dict(seeds=[0], epochs=1, size=67, train_subset=32, test_subset=16, batch_size=16)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "tiny.json"
    return run_ablation("tiny", LRN_VARIANTS, path=path, **TINY), path


def test_tiny_run_records_everything(tiny):
    record, path = tiny
    assert load_ablation(path) == json.loads(json.dumps(record))
    assert record["schema"] == SCHEMA and record["settings"]["train_subset"] == 32
    assert {r["variant"] for r in record["runs"]} == set(LRN_VARIANTS)
    for run in record["runs"]:
        assert 0 <= run["test_acc"] <= 1 and run["epochs"][0]["epoch"] == 1
        assert (len(run["lrn_activity"]) == 2) == (run["variant"] == "LRN")
    assert record["provenance"]["device_name"] and record["provenance"]["seconds"] > 0
    assert not list(path.parent.glob(".*.tmp"))  # atomic write leaves no temp file


def test_same_seed_same_start(tiny):
    record, _ = tiny
    again = run_ablation("tiny", LRN_VARIANTS, **TINY)
    for a, b in zip(record["runs"], again["runs"]):
        # bf16 kernels may differ in the last bits between runs; the loss must agree closely.
        assert math.isclose(a["epochs"][0]["train_loss"], b["epochs"][0]["train_loss"], rel_tol=1e-2)


def test_summary_and_verdict(tiny):
    record, _ = tiny
    s = summarize(record)
    assert s["first"] == "LRN" and s["n"] == 1 and math.isnan(s["sem_diff"])
    assert "one seed cannot separate" in verdict(s, 0.014)
    assert "LRN" in summary_text(record) and "67x67" in where_text(record)
    fig = plots.plot_ablation(_synthetic(record, [(0.80, 0.70), (0.70, 0.80)]))
    assert len(fig.axes) == 1


def _synthetic(record, accs):
    """A copy of `record` with one seed per (first variant, second variant) test-accuracy pair."""
    first, second = record["settings"]["variants"]
    runs = [{**record["runs"][0], "variant": v, "seed": seed, "test_acc": acc}
            for seed, pair in enumerate(accs) for v, acc in zip((first, second), pair)]
    return {**record, "settings": {**record["settings"], "seeds": list(range(len(accs)))}, "runs": runs}


@pytest.mark.parametrize("accs,expected", [
    ([(0.80, 0.70), (0.70, 0.80)], "within noise"),
    ([(0.81, 0.80), (0.82, 0.80), (0.815, 0.80)], "LRN helps here"),
    ([(0.79, 0.80), (0.78, 0.80), (0.785, 0.80)], "LRN hurts here"),
])
def test_verdict_weighs_the_paired_noise(tiny, accs, expected):
    s = summarize(_synthetic(tiny[0], accs))
    assert expected in verdict(s, 0.014)
    assert s["wins"] == sum(a > b for a, b in accs)


@pytest.mark.parametrize("change,match", [
    (lambda r: r.pop("schema"), "not an ablation record"),
    (lambda r: r["runs"].pop(), "expected every variant"),
    (lambda r: r["runs"][0].update(test_acc=1.5), "not in"),
    (lambda r: r["provenance"].pop("torch"), "provenance lacks"),
])
def test_validation_catches_damage(tiny, change, match):
    record = json.loads(json.dumps(tiny[0]))
    change(record)
    with pytest.raises(ValueError, match=match):
        validate_ablation(record)


@pytest.mark.parametrize("kwargs,match", [
    (dict(variants={"a": {}}), "at least two"),
    (dict(variants={"a": {}, "b": {"colour": 1}}), "unknown"),
    (dict(seeds=[]), "seeds"),
    (dict(epochs=0), "epochs"),
    (dict(size=40), "too small"),
])
def test_bad_settings_fail_before_training(kwargs, match):
    args = {"variants": LRN_VARIANTS, **TINY, **kwargs}
    with pytest.raises(ValueError, match=match):
        run_ablation("bad", **args)


def test_load_rejects_a_broken_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match="not a readable"):
        load_ablation(bad)


@pytest.mark.parametrize("name,variants", [("lrn", LRN_VARIANTS), ("pooling", POOLING_VARIANTS)])
def test_recorded_experiments(name, variants):
    record = load_ablation(ROOT / "data" / "runs" / f"{name}.json")
    st, prov = record["settings"], record["provenance"]
    assert st["variants"] == variants and len(st["seeds"]) >= 2
    assert prov["torch"] and prov["date"] and prov["device_name"] and prov["seconds"] > 0
    for run in record["runs"]:
        assert len(run["epochs"]) == st["epochs"]
