"""The chapters' experiments: the one record schema, tiny-budget runs, and the readings of the recorded runs."""

import json
import math

import pytest
import torch

from alexnet_lib import records
from alexnet_lib.experiments import SCHEMA, dropout, load, make_record, recipes, relu_tanh, save, validate, where_text
from alexnet_lib.model import alexnet_d2l
from tests.chapters import ROOT

# ----------------------------------------------------------------------------- the record schema


def test_make_record_save_and_load_round_trip(tmp_path):
    record = make_record("demo", "Does it work?", {"epochs": 1}, [{"seed": 0, "acc": 0.5}], "cpu", started=0.0)
    assert record["schema"] == SCHEMA and record["experiment"] == "demo" and record["question"] == "Does it work?"
    assert record["provenance"]["seconds"] > 0 and record["provenance"]["torch"] == str(torch.__version__)
    assert save(record, None) is record and not list(tmp_path.iterdir())  # no out: nothing written
    path = tmp_path / "demo.json"
    save(record, path)
    assert load(path) == json.loads(json.dumps(record)) == load(str(path), experiment="demo")
    with pytest.raises(ValueError, match="records experiment 'demo', not 'lrn'"):
        load(path, experiment="lrn")


@pytest.mark.parametrize("change, match", [
    (lambda r: r.pop("schema"), "is not an experiment record"),
    (lambda r: r.update(schema="alexnet_lib.experiment/0"), "is not an experiment record"),
    (lambda r: r.pop("provenance"), r"lacks \['provenance'\]"),
    (lambda r: r.update(runs={"a": 1}), "'runs' must be a list of objects"),
    (lambda r: r.update(runs=[1]), "'runs' must be a list of objects"),
])
def test_validate_catches_damage(change, match):
    record = make_record("demo", "?", {}, [], "cpu")
    change(record)
    with pytest.raises(ValueError, match=match):
        validate(record)


def test_a_damaged_record_is_never_written(tmp_path):
    with pytest.raises(ValueError, match="the record to write is not an experiment record"):
        save({"experiment": "x"}, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


def test_load_errors_are_value_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not a readable experiment record"):
        load(bad)
    with pytest.raises(ValueError, match="must be a run name"):
        load("../secrets")


def test_where_text():
    record = make_record("demo", "?", {}, [], "cpu", started=0.0)
    record["provenance"].update(date="2026-01-02T03:04:05+00:00", device_name="Test CPU", threads=2, seconds=90.0)
    assert where_text(record) == (f"recorded 2026-01-02T03:04:05+00:00 on Test CPU (2 threads, torch "
                                  f"{torch.__version__}) in 1.5 min")
    record["provenance"]["code"] = "made by an earlier loop"  # an old record says how it was made
    assert where_text(record).endswith("in 1.5 min; made by an earlier loop")


# ----------------------------------------------------------------------------- relu_tanh: the paper's Figure 1


def test_four_layer_net_shapes():
    for activation, kind in (("relu", torch.nn.ReLU), ("tanh", torch.nn.Tanh)):
        net = relu_tanh.four_layer_net(activation, width=8)
        assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
        assert sum(isinstance(m, kind) for m in net) == 3
        assert [m.out_channels for m in net if isinstance(m, torch.nn.Conv2d)] == [8, 16, 16]
        assert [m.kernel_size for m in net if isinstance(m, torch.nn.Conv2d)] == [(5, 5), (5, 5), (3, 3)]
        assert net[-1].in_features == 16 * 3 * 3  # 28 -> 14 -> 7 -> 3
        assert not any(isinstance(m, (torch.nn.Dropout, torch.nn.BatchNorm2d)) for m in net)  # no regularisation
    with pytest.raises(ValueError, match="activation='elu' is not valid"):
        relu_tanh.four_layer_net("elu")


@pytest.fixture(scope="module")
def tiny_relu_tanh(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "relu_tanh.json"
    record = relu_tanh.run(out=out, lrs=(0.05, 0.1), thresholds=(0.8, 0.6), primary=0.6, max_epochs=1,
                           batch_size=32, width=4, window=2, log_every=1, train_subset=160, progress=False)
    return out, record


def test_run_relu_tanh_tiny(tiny_relu_tanh):
    out, record = tiny_relu_tanh
    assert load(out, "relu_tanh") == json.loads(json.dumps(record))
    assert record["settings"]["train_images"] == 160 and record["settings"]["thresholds"] == [0.8, 0.6]
    assert [(r["activation"], r["lr"]) for r in record["runs"]] == [("relu", 0.05), ("relu", 0.1), ("tanh", 0.05),
                                                                   ("tanh", 0.1)]
    for run in record["runs"]:
        assert 0 < run["epochs"] <= 1 + 1e-9 and run["epochs"] == pytest.approx(run["steps"] * 32 / 160)
        # With log_every=1 every step is on the curve: the first point at or below a threshold is where it was met.
        for key in ("0.8", "0.6"):
            first = next((p for p in run["curve"] if p["train_error"] is not None and p["train_error"] <= float(key)),
                         None)
            assert (run["reached"][key] and run["reached"][key]["step"]) == (first and first["step"]), key
        assert [p["step"] for p in run["curve"]] == list(range(1, run["steps"] + 1))
        assert run["curve"][0]["train_error"] is None  # the window of 2 batches is not full after one
    best = relu_tanh.best_lrs(record)
    assert set(best) == {"relu", "tanh"} and set(best.values()) <= {0.05, 0.1}


def test_train_to_thresholds_is_seeded_and_checks_its_arguments(tiny_relu_tanh):
    from alexnet_lib.loader import DeviceLoader

    g = torch.Generator().manual_seed(0)
    loader = DeviceLoader(torch.randint(0, 256, (96, 28, 28), generator=g, dtype=torch.uint8), torch.arange(96) % 10,
                          batch_size=32, size=28, shuffle=True)
    a = relu_tanh.train_to_thresholds("tanh", 0.05, loader, (0.7,), max_epochs=1, width=4, window=1, log_every=1)
    b = relu_tanh.train_to_thresholds("tanh", 0.05, loader, (0.7,), max_epochs=1, width=4, window=1, log_every=1)
    c = relu_tanh.train_to_thresholds("tanh", 0.05, loader, (0.7,), max_epochs=1, width=4, window=1, log_every=1,
                                      seed=1)
    assert [p["loss"] for p in a["curve"]] == [p["loss"] for p in b["curve"]] != [p["loss"] for p in c["curve"]]
    assert a["steps"] == 3  # one epoch of 96 images in batches of 32
    capped = relu_tanh.train_to_thresholds("relu", 0.05, loader, (0.01,), max_epochs=2, width=4, max_steps=4)
    assert capped["steps"] == 4 and capped["reached"] == {"0.01": None}
    with pytest.raises(ValueError, match="thresholds is empty"):
        relu_tanh.train_to_thresholds("relu", 0.1, loader, ())
    with pytest.raises(ValueError, match="lr=-1"):
        relu_tanh.train_to_thresholds("relu", -1, loader, (0.5,))
    with pytest.raises(ValueError, match="threshold=1.5"):
        relu_tanh.train_to_thresholds("relu", 0.1, loader, (1.5,))


def test_run_relu_tanh_refuses_bad_settings_before_training():
    with pytest.raises(ValueError, match="primary=0.2 must be one of thresholds"):
        relu_tanh.run(thresholds=(0.25, 0.1), primary=0.2)
    with pytest.raises(ValueError, match="lrs is empty"):
        relu_tanh.run(lrs=())


def figure1(relu: dict, tanh: dict) -> dict:
    """A record with two lrs per activation; `relu`/`tanh` map lr to (step reached at 10%, epochs run)."""
    runs = []
    for act, lrs in (("relu", relu), ("tanh", tanh)):
        for lr, (step, epochs) in lrs.items():
            got = None if step is None else {"step": step, "epoch": step / 100, "seconds": step / 10}
            runs.append({"activation": act, "lr": lr, "reached": {"0.1": got}, "epochs": epochs, "seconds": epochs * 10,
                         "steps": epochs * 100, "curve": [{"train_error": 0.3 if step is None else 0.1}]})
    return make_record("relu_tanh", "?", {"thresholds": [0.1], "primary": 0.1}, runs)


def test_speedups_and_verdict_from_known_steps():
    record = figure1(relu={0.01: (300, 3.0), 0.1: (100, 1.0)}, tanh={0.01: (None, 8.0), 0.1: (600, 6.0)})
    assert relu_tanh.best_lrs(record) == {"relu": 0.1, "tanh": 0.1}
    row = relu_tanh.speedups(record)["0.1"]
    assert (row["relu_epochs"], row["tanh_epochs"]) == (1.0, 6.0)
    assert row["speedup_epochs"] == pytest.approx(6.0) and row["speedup_seconds"] == pytest.approx(6.0)
    assert row["lower_bound"] is False
    assert relu_tanh.verdict(record) == ("ReLU's speed-up over tanh in epochs to 10% training error: inconclusive "
                                         "(mean 6x, n = 1, no interval from one seed; the paper: 6x, no effect: 1x)")


def test_a_tanh_run_out_of_budget_gives_a_lower_bound():
    record = figure1(relu={0.1: (200, 2.0)}, tanh={0.1: (None, 8.0), 0.3: (None, 8.0)})
    row = relu_tanh.speedups(record)["0.1"]
    assert row["tanh_epochs"] is None and row["lower_bound"] is True
    assert row["speedup_epochs"] == pytest.approx(8.0 / 2.0)  # the epochs tanh ran, over ReLU's
    assert "(a lower bound: tanh ran out of budget)" in relu_tanh.verdict(record)


def test_a_relu_that_never_gets_there_is_inconclusive():
    record = figure1(relu={0.1: (None, 8.0)}, tanh={0.1: (None, 8.0)})
    assert relu_tanh.speedups(record)["0.1"]["speedup_epochs"] is None
    assert relu_tanh.verdict(record).startswith("inconclusive: the ReLU network never reached")


def test_best_lr_ties_go_to_the_lower_final_error():
    record = figure1(relu={0.01: (None, 8.0), 0.1: (None, 8.0)}, tanh={0.1: (None, 8.0)})
    record["runs"][0]["curve"] = [{"train_error": None}, {"train_error": 0.4}]
    record["runs"][1]["curve"] = [{"train_error": 0.2}]
    assert relu_tanh.best_lrs(record)["relu"] == 0.1


# ----------------------------------------------------------------------------- dropout


def test_dropout_classifier_is_alexnets_classifier_on_pixels():
    ours = [m for m in dropout.dropout_classifier(0.5) if not isinstance(m, torch.nn.Flatten)]
    d2l = list(alexnet_d2l().classifier)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in d2l]
    assert ours[0].in_features == 784 and d2l[0].in_features == 6400
    for a, b in zip(ours[1:], d2l[1:]):
        if isinstance(a, torch.nn.Linear):
            assert a.weight.shape == b.weight.shape
        if type(a).__name__ == "Dropout":
            assert a.p == b.p == 0.5
    assert not any(type(m).__name__ == "Dropout" for m in dropout.dropout_classifier(0.0))
    with pytest.raises(ValueError, match=r"p=1 must be a finite number >= 0 and < 1"):
        dropout.dropout_classifier(1)


def test_run_dropout_tiny(tmp_path):
    record = dropout.run(out=tmp_path / "d.json", train_subset=100, test_subset=50, epochs=2, batch_size=25,
                         hidden=32, loss_threshold=5.0, progress=False)
    assert load(tmp_path / "d.json", "dropout") == json.loads(json.dumps(record))
    assert [r["p"] for r in record["runs"]] == [0.0, 0.5]
    for run in record["runs"]:
        assert [(e["epoch"], e["step"]) for e in run["epochs"]] == [(1, 4), (2, 8)]
        assert all(0 <= e["train_acc"] <= 1 and 0 <= e["test_acc"] <= 1 for e in run["epochs"])
        assert run["epochs"][0]["seconds"] < run["epochs"][1]["seconds"]  # cumulative
    s = dropout.summary(record)
    assert s["0"]["iterations"] == 4  # 5 nats is above the untrained loss ln(10) = 2.3: met after epoch 1
    assert s["0.5"]["gap"] == pytest.approx(s["0.5"]["train_acc"] - s["0.5"]["test_acc"])
    assert record["settings"]["loss_thresholds"] == [5.0, 0.5, 0.2, 0.1, 0.05]


def test_iterations_to_converge_by_hand():
    run = {"epochs": [{"step": 10, "train_loss": 0.5, "train_loss_running": 0.9},
                      {"step": 20, "train_loss": 0.08, "train_loss_running": 0.3},
                      {"step": 30, "train_loss": 0.05, "train_loss_running": 0.09}]}
    assert dropout.iterations_to_converge(run, 0.1) == 20  # the eval-mode loss by default
    assert dropout.iterations_to_converge(run, 0.1, key="train_loss_running") == 30
    assert dropout.iterations_to_converge(run, 0.5) == 10  # "at or below"
    assert dropout.iterations_to_converge(run, 0.01) is None


def dropout_record(steps0, steps5, threshold=0.1):
    def run(p, step):
        losses = [1.0, 1.0] if step is None else [1.0 if s < step else 0.05 for s in (10, 20, 30, 40)]
        steps = (10, 20) if step is None else (10, 20, 30, 40)
        return {"p": p, "epochs": [{"step": s, "train_loss": loss, "train_loss_running": loss, "train_acc": 0.9,
                                    "test_acc": 0.8, "test_loss": 0.5} for s, loss in zip(steps, losses)]}
    return make_record("dropout", "?", {"loss_threshold": threshold, "loss_thresholds": [threshold]},
                       [run(0.0, steps0), run(0.5, steps5)])


def test_dropout_verdict_from_known_iterations():
    record = dropout_record(20, 40)
    assert dropout.summary(record)["0"]["iterations"] == 20 and dropout.summary(record)["0.5"]["iterations"] == 40
    line = dropout.verdict(record)
    assert line.startswith("dropout's slowdown") and "eval-mode" in line and "0.1 nats" in line
    assert line.endswith(": inconclusive (mean 2x, n = 1, no interval from one seed; the paper: 2x, no effect: 1x)")
    assert "dropout active" in dropout.verdict(record, key="train_loss_running")
    assert dropout.verdict(dropout_record(20, None)) == ("inconclusive: the dropout run never reached 0.1 nats "
                                                         "within the run")
    assert dropout.verdict(dropout_record(None, 20)).startswith("inconclusive: p=0 never reached")
    one_arm = dropout_record(20, 40)
    one_arm["runs"].pop()
    with pytest.raises(ValueError, match="needs a p=0 run and a run with dropout"):
        dropout.verdict(one_arm)


def test_dropout_refuses_bad_settings_before_training():
    with pytest.raises(ValueError, match="lr=0 must be a finite number > 0"):
        dropout.train_dropout(0.5, None, None, lr=0)
    with pytest.raises(ValueError, match="epochs=0"):
        dropout.train_dropout(0.5, None, None, epochs=0)
    with pytest.raises(ValueError, match="loss_threshold=-1"):
        dropout.run(loss_threshold=-1)
    with pytest.raises(ValueError, match="p=1.0"):
        dropout.run(ps=(0.0, 1.0))


# ----------------------------------------------------------------------------- recipes


def test_recipes_refuses_an_unknown_recipe_before_training():
    with pytest.raises(ValueError, match="recipe='adam' is not valid"):
        recipes.run(recipes=("fast", "adam"))
    with pytest.raises(ValueError, match="lr=0"):
        recipes.run(lr=0)


# ----------------------------------------------------------------------------- the committed records


def _check_provenance(record):
    prov = record["provenance"]
    for key in ("device_name", "torch", "date", "seconds", "threads"):
        assert key in prov, f"provenance lacks {key}"
    assert prov["seconds"] > 0


def test_recorded_relu_tanh_run():
    record = load("relu_tanh")
    _check_provenance(record)
    s = record["settings"]
    assert s["primary"] in s["thresholds"] and s["regularisation"] == "none"
    assert len(record["runs"]) == 2 * len(s["lrs"])
    best = relu_tanh.best_runs(record)
    assert {r["lr"] for r in best.values()} <= set(s["lrs"])
    assert best["relu"]["reached"][f"{s['primary']:g}"] is not None, "ReLU reaches the primary threshold"
    # The speed-up is the ratio of the epochs at which the fastest run of each activation got there.
    key = f"{s['primary']:g}"
    fastest = {act: min((r["reached"][key]["step"], r["reached"][key]["epoch"]) for r in record["runs"]
                        if r["activation"] == act and r["reached"][key] is not None) for act in ("relu", "tanh")}
    row = relu_tanh.speedups(record)[key]
    assert row["speedup_epochs"] == pytest.approx(fastest["tanh"][1] / fastest["relu"][1]) and not row["lower_bound"]
    for run in record["runs"]:
        assert run["epochs"] <= s["max_epochs"] + 1e-9
        assert run["epochs"] == pytest.approx(run["steps"] * s["batch_size"] / s["train_images"], rel=0.01)
    assert relu_tanh.verdict(record).split(": ")[1].split(" ")[0] in ("confirmed", "contradicted", "inconclusive")


def test_recorded_dropout_run():
    record = load("dropout")
    _check_provenance(record)
    st = record["settings"]
    assert [r["p"] for r in record["runs"]] == st["ps"] == [0.0, 0.5]
    steps_per_epoch = math.ceil(st["train_images"] / st["batch_size"])
    for run in record["runs"]:
        assert [e["step"] for e in run["epochs"]] == [steps_per_epoch * (i + 1) for i in range(st["epochs"])]
    s = dropout.summary(record)
    assert s["0"]["train_acc"] >= s["0.5"]["train_acc"] - 0.01  # dropout does not fit the training data better
    assert s["0"]["iterations"] is not None


def test_recorded_recipes_run():
    record = load("recipes")
    _check_provenance(record)
    assert [r["recipe"] for r in record["runs"]] == record["settings"]["recipes"]
    for run in record["runs"]:
        assert len(run["epochs"]) == record["settings"]["epochs"]
        assert all(0 <= e["test_acc"] <= 1 for e in run["epochs"])
    final = {r["recipe"]: r["epochs"][-1]["test_acc"] for r in record["runs"]}
    assert final["fast"] == max(final.values()) and final["fast"] > 0.5  # what the chapter concludes


def test_load_by_name_uses_the_clone_and_explains_a_miss(tmp_path, monkeypatch):
    assert load("dropout") == json.loads((ROOT / "data" / "runs" / "dropout.json").read_text())
    with pytest.raises(ValueError, match="records experiment 'dropout', not 'lrn'"):
        load("dropout", experiment="lrn")
    monkeypatch.setattr(records, "RUNS_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(records, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.chdir(tmp_path)

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(ValueError, match="could not be fetched.*no network"):
        load("dropout")


@pytest.mark.parametrize("name", ["relu_tanh", "dropout", "recipes", "lrn", "pooling"])
def test_cli_record_runs_the_experiments_run_into_out(name, tmp_path, monkeypatch, capsys):
    import importlib

    from alexnet_lib.__main__ import main

    module = importlib.import_module(f"alexnet_lib.experiments.{name}")
    calls = []
    monkeypatch.setattr(module, "run", lambda out=None, **kwargs: calls.append((out, kwargs)))
    assert main(["record", name, "--out", str(tmp_path / "r.json")]) == 0
    assert calls == [(tmp_path / "r.json", {})] and f"wrote {tmp_path / 'r.json'}" in capsys.readouterr().out
    monkeypatch.setattr(records, "RUNS_DIR", tmp_path / "runs")  # never the committed records, even by mistake
    assert main(["record", name]) == 0
    assert calls[-1][0] == tmp_path / "runs" / f"{name}.json"  # by default, data/runs/NAME.json


def test_cli_record_refuses_an_unknown_experiment(capsys):
    from alexnet_lib.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["record", "alexnet"])
    assert exit_.value.code == 2 and "invalid choice: 'alexnet'" in capsys.readouterr().err
