"""Recorded runs under data/runs/ carry their provenance, so every number the book shows can be traced."""

import json

import pytest

from alexnet_lib.train import History
from tests.chapters import ROOT

RUNS = sorted((ROOT / "data" / "runs").glob("*.json"))


def test_the_reference_training_run_is_recorded():
    assert (ROOT / "data" / "runs" / "cpu_fast.json").exists()


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_run_has_provenance(path):
    record = json.loads(path.read_text())
    prov = record.get("provenance", {})
    for key in ("device_name", "torch", "date"):
        assert prov.get(key), f"{path.name}: provenance has no {key!r}"


def test_training_history_loads_and_is_consistent():
    h = History.load(ROOT / "data" / "runs" / "cpu_fast.json")
    assert h.config["size"] == 224 and h.config["profile"] == "cpu"
    assert [e["epoch"] for e in h.epochs] == list(range(1, len(h.epochs) + 1))
    assert all(0.1 < e["test_acc"] <= 1 for e in h.epochs)  # far above chance (0.1) at every epoch
