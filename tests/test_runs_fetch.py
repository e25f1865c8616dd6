"""Recorded runs resolve to the clone's copy, or are fetched once into the cache (as in Colab)."""

import io
import json

import pytest

from alexnet_lib import runs


def test_clone_copy_is_found():
    assert runs.run_path("cpu_fast") == runs.RUNS_DIR / "cpu_fast.json"
    assert runs.load_json("cpu_fast")["config"]["profile"] == "cpu"


@pytest.mark.parametrize("bad", ["", "../x", ".hidden", "a/b", 3])
def test_bad_names_are_refused(bad):
    with pytest.raises(ValueError, match="must be a run name"):
        runs.run_path(bad)


def test_fetched_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "RUNS_DIR", tmp_path / "none")
    monkeypatch.setattr(runs, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.chdir(tmp_path)
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        return io.BytesIO(json.dumps({"epochs": []}).encode())

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    assert runs.load_json("lrn") == {"epochs": []}
    assert runs.load_json("lrn") == {"epochs": []}  # the second time from the cache
    assert calls == ["https://raw.githubusercontent.com/alexnet-rebuilt/alexnet-rebuilt/main/data/runs/lrn.json"]
    assert (tmp_path / "cache" / "lrn.json").is_file()


def test_offline_miss_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "RUNS_DIR", tmp_path / "none")
    monkeypatch.setattr(runs, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.chdir(tmp_path)

    def offline(url, timeout):
        raise OSError("no network")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(ValueError, match="could not be fetched.*no network.*clone"):
        runs.run_path("lrn")
    assert not (tmp_path / "cache").exists()  # nothing half-written
