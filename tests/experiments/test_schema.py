"""The one record schema of the chapters' experiments, loading records by name, and the `record` command."""

import json

import pytest
import torch

from alexnet_lib.engine import records
from alexnet_lib.experiments.schema import SCHEMA, load, make_record, save, validate, where_text
from tests.chapters import ROOT, without_checksum

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


def test_load_by_name_uses_the_clone_and_explains_a_miss(tmp_path, monkeypatch):
    assert load("dropout") == without_checksum(ROOT / "data" / "runs" / "dropout.json")
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

    class Spy:  # stands in for the experiment: records how the command calls it
        def run(self, scale, out=None):
            calls.append((scale, out))

    monkeypatch.setattr(module, "EXPERIMENT", Spy())
    assert main(["record", name, "--out", str(tmp_path / "r.json")]) == 0
    assert calls == [("cpu", tmp_path / "r.json")] and f"wrote {tmp_path / 'r.json'}" in capsys.readouterr().out
    monkeypatch.setattr(records, "RUNS_DIR", tmp_path / "runs")  # never the committed records, even by mistake
    assert main(["record", name]) == 0
    assert calls[-1] == ("cpu", tmp_path / "runs" / f"{name}.json")  # by default, data/runs/NAME.json
    assert main(["record", name, "--scale", "gpu"]) == 0
    assert calls[-1] == ("gpu", tmp_path / "runs" / f"{name}_gpu.json")


def test_cli_record_refuses_an_unknown_experiment(capsys):
    from alexnet_lib.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["record", "alexnet"])
    assert exit_.value.code == 2 and "invalid choice: 'alexnet'" in capsys.readouterr().err
