"""Records and histories carry the checksum of their content; a damaged or hand-edited one is refused in words."""

import json

import pytest

from alexnet_lib.__main__ import main
from alexnet_lib.engine import records
from alexnet_lib.engine.records import History, load_record
from alexnet_lib.experiments import schema
from alexnet_lib.files import (
    CHECKSUM_KEY,
    content_checksum,
    read_checked_json,
    stamp_json,
    write_checked_json,
)
from tests.chapters import ROOT

RUNS = sorted((ROOT / "data" / "runs").glob("*.json"))


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_every_committed_record_carries_its_matching_checksum(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data[CHECKSUM_KEY] == content_checksum(data)
    assert load_record(path.stem) == {k: v for k, v in data.items() if k != CHECKSUM_KEY}


def test_round_trip_and_the_checksum_ignores_layout_not_content(tmp_path):
    data = {"b": [1, 2.5, None], "a": {"é": "x"}}
    path = write_checked_json(tmp_path / "r.json", data, indent=2)
    assert read_checked_json(path) == data
    stored = json.loads(path.read_text())
    path.write_text(json.dumps(stored, indent=7, sort_keys=True))  # re-indented: the same content
    assert read_checked_json(path) == data
    stored["b"][1] = 2.51
    path.write_text(json.dumps(stored))
    with pytest.raises(ValueError, match="damaged or hand-edited.*stamp it again: python -m alexnet_lib stamp --force"):
        read_checked_json(path, "recorded run")


def test_a_file_without_a_checksum_is_refused_with_the_way_to_stamp_it(tmp_path):
    (tmp_path / "h.json").write_text('{"epochs": []}')
    stamp = r"carries no checksum.*re-run training.*python -m alexnet_lib stamp .*h\.json"
    with pytest.raises(ValueError, match=stamp):
        History.load(tmp_path / "h.json")


def test_stamp_keeps_the_layout_and_refuses_a_mismatch_unless_forced(tmp_path):
    path = tmp_path / "old.json"
    old = json.dumps({"epochs": [{"epoch": 1, "seconds": 2.0}], "config": {}}, indent=2) + "\n"
    path.write_text(old)
    assert "stamped" in stamp_json(path)
    new = path.read_text()
    assert new.startswith(old.rstrip("}\n")) and new.count("\n") == old.count("\n") + 1  # a one-line addition
    assert "already matches" in stamp_json(path)
    assert History.load(path).epochs == [{"epoch": 1, "seconds": 2.0}]
    path.write_text(new.replace("2.0", "3.0"))
    with pytest.raises(ValueError, match="does not match its content.*--force"):
        stamp_json(path)
    assert "stamped" in stamp_json(path, force=True) and History.load(path).epochs[0]["seconds"] == 3.0


def test_stamp_command_line(tmp_path, capsys):
    (tmp_path / "a.json").write_text('{"x": 1}\n')
    (tmp_path / "l.json").write_text("[1]\n")
    assert main(["stamp", str(tmp_path / "a.json")]) == 0 and "stamped" in capsys.readouterr().out
    assert main(["stamp", str(tmp_path / "l.json")]) == 2
    assert "only an object can carry a checksum" in capsys.readouterr().err


def test_experiment_records_and_histories_are_written_with_their_checksum(tmp_path):
    record = schema.make_record("demo", "q?", {}, [{"seed": 0}])
    schema.save(record, tmp_path / "demo.json")
    assert json.loads((tmp_path / "demo.json").read_text())[CHECKSUM_KEY].startswith("sha256:")
    History(epochs=[{"epoch": 1}]).save(tmp_path / "h.json")
    assert json.loads((tmp_path / "h.json").read_text())[CHECKSUM_KEY] == content_checksum({
        "config": {}, "provenance": {}, "epochs": [{"epoch": 1}]})


def test_a_hand_edited_committed_record_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "RUNS_DIR", tmp_path)
    text = (ROOT / "data" / "runs" / "cpu_fast.json").read_text()
    (tmp_path / "cpu_fast.json").write_text(text.replace('"epoch": 1', '"epoch": 7', 1))
    with pytest.raises(ValueError, match="cpu_fast.json is damaged or hand-edited.*restore it with git"):
        load_record("cpu_fast")


BUDGET = {"minutes": 5.0, "steps": 10, "batch_size": 8, "seconds_per_step": 0.5, "images": 80, "train_images": 800,
          "predicted_seconds": 290.0, "replans": [{"at_step": 2, "seconds_per_step": 0.4, "steps": 11}]}


@pytest.mark.parametrize("edit, field", [
    (lambda d: d["epochs"][0].update(seconds="12"), r"epochs\[0\].seconds"),
    (lambda d: d["epochs"][0].update(test_acc=[0.5]), r"epochs\[0\].test_acc"),
    (lambda d: d["epochs"][0].update(epoch="1"), r"epochs\[0\].epoch"),
    (lambda d: d["epochs"][0].update(train_loss=True), r"epochs\[0\].train_loss"),
    (lambda d: d["provenance"].update(wall_seconds="long"), "provenance.wall_seconds"),
    (lambda d: d["config"]["budget"].pop("minutes"), "config.budget.minutes"),
    (lambda d: d["config"]["budget"].update(minutes=0), "config.budget.minutes"),
    (lambda d: d["config"]["budget"].update(seconds_per_step="fast"), "config.budget.seconds_per_step"),
    (lambda d: d["config"].update(budget=[5]), "config.budget is a list"),
    (lambda d: d["config"]["budget"].update(replans={"a": 1}), "config.budget.replans is a dict"),
    (lambda d: d["config"]["budget"]["replans"][0].pop("steps"), r"config.budget.replans\[0\].steps"),
    (lambda d: d["config"]["budget"]["replans"].append(3), r"config.budget.replans\[1\].at_step"),
])
def test_a_history_with_a_wrong_field_type_names_the_field(tmp_path, edit, field):
    good = {"config": {"budget": json.loads(json.dumps(BUDGET))}, "provenance": {"wall_seconds": 300.0},
            "epochs": [{"epoch": 1, "seconds": 12.0, "test_acc": 0.5, "train_loss": 0.3}]}
    assert "budget 5 min" in History.from_dict(good).budget_summary()  # the unedited one works
    edit(good)
    with pytest.raises(ValueError, match=field):
        History.from_dict(good, "h.json")
    write_checked_json(tmp_path / "h.json", good)  # stamped after the edit: still refused, by field
    with pytest.raises(ValueError, match=field):
        History.load(tmp_path / "h.json")
