"""The chapters' experiments on a tiny budget, and the schema and provenance of the recorded runs."""

import json
import math

import pytest
import torch

from alexnet_lib import experiments as ex
from alexnet_lib import runs
from alexnet_lib.model import alexnet_d2l

RUNS = ex.RUNS_DIR


def test_four_layer_net_shapes():
    for activation, kind in (("relu", torch.nn.ReLU), ("tanh", torch.nn.Tanh)):
        net = ex.four_layer_net(activation, width=8)
        assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
        assert sum(isinstance(m, kind) for m in net) == 3
        assert sum(isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) for m in net) == 4
        assert not any(isinstance(m, (torch.nn.Dropout, torch.nn.BatchNorm2d)) for m in net)  # no regularisation
    with pytest.raises(ValueError, match="activation='elu'"):
        ex.four_layer_net("elu")


def test_dropout_classifier_is_alexnets_classifier_on_pixels():
    ours = [m for m in ex.dropout_classifier(0.5) if not isinstance(m, torch.nn.Flatten)]
    d2l = list(alexnet_d2l().classifier)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in d2l]
    assert ours[0].in_features == 784 and d2l[0].in_features == 6400
    for a, b in zip(ours[1:], d2l[1:]):
        if isinstance(a, torch.nn.Linear):
            assert a.weight.shape == b.weight.shape
        if type(a).__name__ == "Dropout":
            assert a.p == b.p == 0.5
    assert not any(type(m).__name__ == "Dropout" for m in ex.dropout_classifier(0.0))
    with pytest.raises(ValueError, match=r"p=1 must be a number in \[0, 1\)"):
        ex.dropout_classifier(1)


@pytest.fixture(scope="module")
def tiny_relu_tanh(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "relu_tanh.json"
    record = ex.run_relu_tanh(out=out, lrs=(0.05, 0.1), thresholds=(0.8, 0.6), primary=0.6, max_epochs=2,
                              batch_size=32, width=4, window=2, log_every=1, train_subset=320, progress=False)
    return out, record


def test_run_relu_tanh_tiny(tiny_relu_tanh):
    out, record = tiny_relu_tanh
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    assert len(record["runs"]) == 4 and set(record["best_lr"]) == {"relu", "tanh"}
    for run in record["runs"]:
        assert 0 < run["epochs"] <= 2 + 1e-9
        hit = [run["reached"][k] for k in ("0.8", "0.6")]
        if hit[1] is not None:  # the lower error cannot come first
            assert hit[0] is not None and hit[0]["step"] <= hit[1]["step"]
        steps = [p["step"] for p in run["curve"]]
        assert steps == sorted(steps) and all(p["train_error"] is None or 0 <= p["train_error"] <= 1
                                              for p in run["curve"])
    table = ex.speedups(record)
    assert set(table) == {"0.8", "0.6"}
    for row in table.values():
        if row["relu_epochs"] and row["tanh_epochs"]:
            assert row["speedup_epochs"] == pytest.approx(row["tanh_epochs"] / row["relu_epochs"])


def test_train_to_thresholds_is_deterministic():
    loader, _ = ex._loaders(96, 1, 32, 0, None)
    a = ex.train_to_thresholds("tanh", 0.05, loader, (0.7,), max_epochs=1, width=4, window=1, log_every=1)
    b = ex.train_to_thresholds("tanh", 0.05, loader, (0.7,), max_epochs=1, width=4, window=1, log_every=1)
    assert [p["loss"] for p in a["curve"]] == [p["loss"] for p in b["curve"]]
    with pytest.raises(ValueError, match="thresholds is empty"):
        ex.train_to_thresholds("relu", 0.1, loader, ())
    with pytest.raises(ValueError, match="lr=-1"):
        ex.train_to_thresholds("relu", -1, loader, (0.5,))


def test_run_relu_tanh_rejects_a_primary_outside_thresholds():
    with pytest.raises(ValueError, match="primary=0.2"):
        ex.run_relu_tanh(thresholds=(0.25, 0.1), primary=0.2)


def test_verdicts():
    assert ex.verdict(6.3).startswith("confirmed")
    assert ex.verdict(12.0).startswith("confirmed in direction, larger")
    assert ex.verdict(2.0).startswith("only partly confirmed")
    assert ex.verdict(0.8).startswith("not confirmed")
    assert ex.verdict(5.0, lower_bound=True).startswith("confirmed (at least")
    assert ex.verdict(None).startswith("not measurable")


def test_run_dropout_tiny(tmp_path):
    record = ex.run_dropout(out=tmp_path / "d.json", train_subset=100, test_subset=50, epochs=2, batch_size=25,
                            hidden=32, loss_threshold=5.0, progress=False)
    assert [r["p"] for r in record["runs"]] == [0.0, 0.5]
    for run in record["runs"]:
        assert [e["epoch"] for e in run["epochs"]] == [1, 2] and run["epochs"][-1]["step"] == 8
        assert all(0 <= e["train_acc"] <= 1 and 0 <= e["test_acc"] <= 1 for e in run["epochs"])
    summary = ex.dropout_summary(record)
    assert summary["0"]["iterations"] == 4  # a threshold of 5 nats is met after the first epoch's 4 steps
    assert summary["0.5"]["gap"] == pytest.approx(summary["0.5"]["train_acc"] - summary["0.5"]["test_acc"])
    assert ex.load_run(tmp_path / "d.json", "dropout")["experiment"] == "dropout"


def test_load_run_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not a readable recorded run"):
        ex.load_run(bad)
    bad.write_text('{"experiment": "dropout"}')
    with pytest.raises(ValueError, match="lacks"):
        ex.load_run(bad)


def _check_provenance(record):
    prov = record["provenance"]
    for key in ("device_name", "torch", "date", "seconds", "threads"):
        assert key in prov, f"provenance lacks {key}"
    assert prov["seconds"] > 0


def test_recorded_relu_tanh_run():
    record = ex.load_run(RUNS / "relu_tanh.json", "relu_tanh")
    _check_provenance(record)
    s = record["settings"]
    assert s["primary"] in s["thresholds"] and s["regularisation"] == "none"
    assert len(record["runs"]) == 2 * len(s["lrs"])
    best = ex.best_runs(record)
    assert {r["lr"] for r in best.values()} <= set(s["lrs"])
    assert best["relu"]["reached"][f"{s['primary']:g}"] is not None, "ReLU reaches the primary threshold"
    row = ex.speedups(record)[f"{s['primary']:g}"]
    assert row["speedup_epochs"] is not None and math.isfinite(row["speedup_epochs"])


def test_recorded_dropout_run():
    record = ex.load_run(RUNS / "dropout.json", "dropout")
    _check_provenance(record)
    assert [r["p"] for r in record["runs"]] == [0.0, 0.5]
    for run in record["runs"]:
        assert len(run["epochs"]) == record["settings"]["epochs"]
    summary = ex.dropout_summary(record)
    assert summary["0"]["train_acc"] >= summary["0.5"]["train_acc"] - 0.01  # dropout does not fit the data better


def test_recorded_run_finds_the_repository_copy_and_explains_a_miss(tmp_path, monkeypatch):
    assert ex.recorded_run("dropout")["experiment"] == "dropout"
    with pytest.raises(ValueError, match="must be a run name"):
        ex.recorded_run("../secrets")
    monkeypatch.setattr(runs, "RUNS_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(runs, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.chdir(tmp_path)

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(ValueError, match="could not be fetched.*no network"):
        ex.recorded_run("dropout")


def test_train_dropout_rejects_bad_settings():
    with pytest.raises(ValueError, match="lr=0 must be a positive number"):
        ex.train_dropout(0.5, None, None, lr=0)
    with pytest.raises(ValueError, match="epochs=0"):
        ex.train_dropout(0.5, None, None, epochs=0)
    with pytest.raises(ValueError, match="loss_threshold=-1"):
        ex.run_dropout(loss_threshold=-1)
