"""What a run leaves on disk: atomic writes, JSON reading, provenance, History, checkpoints and data/runs."""

import datetime as dt
import io
import json
import math
import os
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import torch

from alexnet_lib.engine import records
from alexnet_lib.engine.recipes import RECIPES, lr_at
from alexnet_lib.engine.records import (
    RUNS_DIR,
    TIMEOUT_S,
    History,
    load_checkpoint,
    load_record,
    provenance,
    run_path,
    run_url,
    save_checkpoint,
)
from alexnet_lib.files import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    content_checksum,
    read_json,
    remove_stale_temp_files,
    write_checked_json,
)
from alexnet_lib.net.model import alexnet_d2l, count_parameters
from tests.chapters import ROOT

RUNS = sorted((ROOT / "data" / "runs").glob("*.json"))


def only_value_error(call) -> ValueError:
    """The ValueError `call()` raises: exactly one, not a JSON/Unicode subclass, and no chained traceback."""
    with pytest.raises(ValueError) as err:
        call()
    assert type(err.value) is ValueError and err.value.__suppress_context__
    return err.value


# ----------------------------------------------------------------------------- atomic writes


def test_atomic_write_gives_a_normal_file_and_no_temp(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "sub" / "h.json", "{}\n")
    finally:
        os.umask(old)
    assert path.read_text() == "{}\n"
    assert (path.stat().st_mode & 0o777) == 0o644  # what open() would give, not mkstemp's 0o600
    assert [p.name for p in path.parent.iterdir()] == ["h.json"]


def test_atomic_write_json_and_bytes_round_trip(tmp_path):
    data = {"a": [1, 2.5, None], "é": "ü"}
    text = atomic_write_json(tmp_path / "x.json", data).read_text(encoding="utf-8")
    assert json.loads(text) == data and text.endswith("\n") and "\n " in text
    compact = atomic_write_json(tmp_path / "y.json", data, indent=None).read_text(encoding="utf-8")
    assert compact == json.dumps(data, separators=(",", ":")) + "\n"
    assert atomic_write_bytes(tmp_path / "b.bin", b"\x00\xff").read_bytes() == b"\x00\xff"


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = atomic_write_text(tmp_path / "h.json", "old\n")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # fails inside the write, after the temp file exists
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["h.json"]


def test_a_failed_rename_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = atomic_write_text(tmp_path / "h.json", "old\n")

    def disk_full(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new\n")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["h.json"]


def test_atomic_write_refuses_a_folder_and_a_file_in_the_folder_path(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        atomic_write_text(tmp_path, "x")
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="part of its folder path is a file"):
        atomic_write_text(tmp_path / "f" / "h.json", "x")


def test_remove_stale_temp_files_removes_only_what_an_interrupted_write_leaves(tmp_path):
    stale = tmp_path / ".history.json.k2j3h4.tmp"  # the name mkstemp gives in atomic_write
    keep = [tmp_path / "history.json", tmp_path / "notes.tmp", tmp_path / ".hidden"]
    for p in [stale, *keep]:
        p.write_text("x")
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert not stale.exists() and all(p.exists() for p in keep)
    assert remove_stale_temp_files(tmp_path) == []
    assert remove_stale_temp_files(tmp_path / "missing") == []


# ----------------------------------------------------------------------------- read_json


def test_read_json_reads_utf8(tmp_path):
    (tmp_path / "a.json").write_bytes('{"class": "T-shirt/top", "é": 1}'.encode("utf-8"))
    assert read_json(tmp_path / "a.json") == {"class": "T-shirt/top", "é": 1}


def test_read_json_missing_file(tmp_path):
    err = only_value_error(lambda: read_json(tmp_path / "none.json", "run history", "; re-run it"))
    assert str(err) == f"{tmp_path / 'none.json'} does not exist: expected a run history; re-run it"


@pytest.mark.parametrize("content, kind", [
    (b'{"a": "\xff\xfe"}', "UnicodeDecodeError"),  # Latin-1 bytes are not UTF-8
    (b'{"a": 1', "JSONDecodeError"),
    (b"", "JSONDecodeError"),
])
def test_read_json_damaged_file_is_one_value_error(tmp_path, content, kind):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    err = only_value_error(lambda: read_json(path, "recorded run", "; restore it with git"))
    assert str(err).startswith(f"{path} is not a readable recorded run ({kind}")
    assert str(err).endswith("; restore it with git")


def test_read_json_on_a_folder_is_a_value_error(tmp_path):
    assert "is not a readable" in str(only_value_error(lambda: read_json(tmp_path)))


# ----------------------------------------------------------------------------- provenance


def test_provenance_names_this_machine():
    p = provenance("cpu")
    assert p["device"] == "cpu" and p["torch"] == torch.__version__ and p["threads"] == torch.get_num_threads()
    assert p["cpu_count"] == os.cpu_count() and p["device_name"]
    assert dt.datetime.fromisoformat(p["date"]).tzinfo is not None
    # cpu_flags lists the speed-deciding flags this CPU has, read independently from /proc/cpuinfo.
    try:
        line = next(x for x in Path("/proc/cpuinfo").read_text().splitlines() if x.startswith("flags"))
        have = set(line.split(":", 1)[1].split())
    except (OSError, StopIteration):
        have = set()
    assert p["cpu_flags"].split() == [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in have]
    json.dumps(p)  # JSON-ready


# ----------------------------------------------------------------------------- History


def history() -> History:
    return History(config={"model": "net", "recipe": "fast", "profile": "smoke", "train_images": 64, "size": 28,
                             "precision": "fp32"},
                     provenance={"device_name": "cpu"},
                     epochs=[{"epoch": 1, "train_loss": 1.5, "train_acc": 0.4, "test_acc": 0.5, "seconds": 10.0,
                              "images_per_s": 6.4},
                             {"epoch": 2, "train_loss": 0.9, "train_acc": 0.7, "test_acc": 0.75, "seconds": 20.0,
                              "images_per_s": 3.2}])


def test_history_round_trip_through_a_file(tmp_path):
    h = history()
    again = History.load(h.save(tmp_path / "h.json"))
    assert again == h and again is not h
    assert set(json.loads((tmp_path / "h.json").read_text())) == {"config", "provenance", "epochs", "checksum"}


def test_history_final_accuracy_and_summary():
    h = history()
    assert h.final_test_acc == 0.75 and History().final_test_acc is None
    text = h.summary()
    assert "net · recipe fast · profile smoke · 64 train images at 28px" in text
    assert "2 epochs in 30 s" in text and "test acc 0.7500" in text and "3.2 images/s" in text
    assert History().summary().endswith("no epoch finished")


@pytest.mark.parametrize("bad, match", [
    ([], "no 'epochs' list"), ({"epochs": "x"}, "no 'epochs' list"), ({"epochs": [1]}, "every entry"),
])
def test_history_from_dict_refuses_what_fit_did_not_write(bad, match):
    with pytest.raises(ValueError, match=match):
        History.from_dict(bad)


def test_history_load_of_a_damaged_file(tmp_path):
    (tmp_path / "h.json").write_text("{")
    assert "not a readable run history" in str(only_value_error(lambda: History.load(tmp_path / "h.json")))


# ----------------------------------------------------------------------------- checkpoints


def state() -> dict:
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    # Two epochs done: the second (0-based epoch 1) wrote this state.
    return {"model": net.state_dict(), "optimizer": opt.state_dict(), "rng": torch.get_rng_state(), "epoch": 1,
            "history": history().to_dict(), "plateau": None}


def test_checkpoint_round_trip_holds_tensors_and_plain_data(tmp_path):
    s = state()
    loaded = load_checkpoint(save_checkpoint(s, tmp_path / "ck.pt"))
    assert set(loaded) == set(s) | {"checksum"} and loaded["epoch"] == 1 and loaded["history"] == s["history"]
    assert all(torch.equal(loaded["model"][k], v) for k, v in s["model"].items())
    assert torch.equal(loaded["rng"], s["rng"])
    momentum = [d["optimizer"]["state"][0]["momentum_buffer"] for d in (loaded, s)]
    assert torch.equal(*momentum)
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]


def test_a_checkpoint_holding_this_machines_provenance_loads(tmp_path):
    """What fit writes: the history's provenance comes from provenance(), whose values must be plain data."""
    h = history()
    h.provenance = provenance("cpu")
    not_plain = {k: type(v).__name__ for k, v in h.provenance.items() if type(v) not in (str, int, float, bool)}
    assert not_plain == {}  # e.g. torch.__version__ is a TorchVersion, which weights_only=True refuses
    loaded = load_checkpoint(save_checkpoint({**state(), "history": h.to_dict()}, tmp_path / "ck.pt"))
    assert loaded["history"]["provenance"] == h.provenance


class RunsCode:
    """Unpickling this calls os.system: what a tampered checkpoint could do with a full torch.load."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_a_checkpoint_that_would_run_code_is_refused_unread(tmp_path):
    marker = tmp_path / "pwned"
    crafted = tmp_path / "ck.pt"
    torch.save({**state(), "history": RunsCode(f"touch {marker}")}, crafted)
    with pytest.raises(ValueError, match="beyond tensors and plain data .*posix.system.*refused unread"):
        load_checkpoint(crafted)
    assert not marker.exists()  # the command never ran
    # The payload is live: an unrestricted load would have run it.
    torch.load(crafted, weights_only=False)
    assert marker.exists()


def test_the_refusal_names_the_blocked_call_and_never_advises_an_unsafe_load(tmp_path):
    crafted = tmp_path / "ck.pt"
    torch.save({**state(), "history": RunsCode("true")}, crafted)
    with pytest.raises(ValueError) as err:
        load_checkpoint(crafted)
    assert "system" in str(err.value) and "weights_only` set to `False`" not in str(err.value)


def test_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist.*train without resume"):
        load_checkpoint(tmp_path / "none.pt")
    good = save_checkpoint(state(), tmp_path / "ck.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(good[: len(good) // 2])  # an interrupted copy
    with pytest.raises(ValueError, match="cannot be read.*delete it and train again"):
        load_checkpoint(tmp_path / "cut.pt")
    (tmp_path / "text.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="checkpoint .*text.pt"):
        load_checkpoint(tmp_path / "text.pt")
    torch.save({"model": {}, "epoch": 0}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"lacks \['checksum', 'history', 'optimizer', 'rng'\].*not written by "
                                         r"alexnet_lib.engine.loop.fit"):
        load_checkpoint(tmp_path / "other.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="lacks"):
        load_checkpoint(tmp_path / "list.pt")


def test_a_damaged_checkpoint_is_refused_not_trusted(tmp_path):
    """torch.load does not check a zip's CRCs: a changed weight byte loads silently unless the content is hashed."""
    s = state()
    raw = bytearray(save_checkpoint(s, tmp_path / "ck.pt").read_bytes())
    weights = s["model"]["weight"].numpy().tobytes()
    at = raw.find(weights)  # the weight tensor's bytes, stored uncompressed in the zip
    assert at > 0
    raw[at] ^= 0xFF
    (tmp_path / "flipped.pt").write_bytes(raw)
    with pytest.raises(ValueError, match="is damaged: its content does not match the checksum"):
        load_checkpoint(tmp_path / "flipped.pt")
    # An edited field with its checksum recomputed (a careful forger) still has to agree with its history.
    for change, match in ((dict(epoch=999), "epoch=999 but its history records 2 epochs"),
                          (dict(epoch=-1), "epoch=-1 is not a count of finished epochs"),
                          (dict(model={"weight": [1, 2]}), "its model weights are not a state dict of tensors")):
        save_checkpoint({**state(), **change}, tmp_path / "edited.pt")
        with pytest.raises(ValueError, match=f"disagrees with itself: {match}"):
            load_checkpoint(tmp_path / "edited.pt")


def test_a_checkpoint_that_cannot_be_written_says_why_and_keeps_the_old_one(tmp_path, monkeypatch):
    import errno

    path = save_checkpoint(state(), tmp_path / "ck.pt")
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(ValueError, match=r"could not write the checkpoint .*No space left on device.*the previous "
                                         r"checkpoint, if any, is untouched"):
        save_checkpoint(state(), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["ck.pt"]


# ----------------------------------------------------------------------------- recorded runs: where they come from

URL = "https://raw.githubusercontent.com/alexnet-rebuilt/alexnet-rebuilt/main/data/runs/lrn.json"


def test_run_url_points_at_the_raw_file_on_main():
    assert run_url("lrn") == URL


def test_the_clones_copy_is_found_first():
    assert run_path("cpu_fast") == RUNS_DIR / "cpu_fast.json" == ROOT / "data" / "runs" / "cpu_fast.json"
    on_disk = json.loads((ROOT / "data" / "runs" / "cpu_fast.json").read_text())
    assert on_disk.pop("checksum").startswith("sha256:") and load_record("cpu_fast") == on_disk


@pytest.mark.parametrize("bad", ["", "../x", ".hidden", "a/b", "lrn.json/..", 3, None])
def test_bad_names_are_refused(bad):
    with pytest.raises(ValueError, match="must be a run name"):
        run_path(bad)


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """No clone: data/runs is missing, the cache is empty, and the working folder has no data/ either."""
    monkeypatch.setattr(records, "RUNS_DIR", tmp_path / "none")
    monkeypatch.setattr(records, "CACHE_DIR", tmp_path / "cache")
    work = tmp_path / "work" / "chapters"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return tmp_path


def fake_urlopen(monkeypatch, body: bytes = None, error: Exception = None) -> list:
    calls = []

    def urlopen(url, timeout):
        calls.append((url, timeout))
        if error is not None:
            raise error
        return io.BytesIO(body)

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    return calls


def test_a_chapters_parent_data_folder_is_found(elsewhere, monkeypatch):
    calls = fake_urlopen(monkeypatch, error=OSError("must not be called"))
    runs = elsewhere / "work" / "data" / "runs"
    runs.mkdir(parents=True)
    write_checked_json(runs / "lrn.json", {"from": "parent"})
    assert load_record("lrn") == {"from": "parent"} and calls == []


def test_fetched_once_into_the_cache(elsewhere, monkeypatch):
    body = {"epochs": [], "checksum": content_checksum({"epochs": []})}
    calls = fake_urlopen(monkeypatch, json.dumps(body).encode())
    assert load_record("lrn") == {"epochs": []}
    assert load_record("lrn") == {"epochs": []}  # the second time from the cache
    assert calls == [(URL, TIMEOUT_S)]
    assert json.loads((elsewhere / "cache" / "lrn.json").read_text()) == body


def test_a_fetched_record_without_its_checksum_is_not_cached(elsewhere, monkeypatch):
    fake_urlopen(monkeypatch, json.dumps({"epochs": []}).encode())
    with pytest.raises(ValueError, match="could not be fetched.*carries no checksum") as err:
        load_record("lrn")
    assert "stamp" not in str(err.value)  # a download cannot be stamped; the clone is the way
    assert not (elsewhere / "cache" / "lrn.json").exists()


def test_offline_miss_says_what_to_do_and_caches_nothing(elsewhere, monkeypatch):
    fake_urlopen(monkeypatch, error=OSError("no network"))
    with pytest.raises(ValueError) as err:
        run_path("lrn")
    msg = str(err.value)
    assert "data/runs/lrn.json is not here and could not be fetched from" in msg
    assert URL in msg and "no network" in msg and "clone https://github.com/alexnet-rebuilt/alexnet-rebuilt" in msg
    assert not (elsewhere / "cache").exists()


def test_a_fetched_page_that_is_not_json_is_not_cached(elsewhere, monkeypatch):
    fake_urlopen(monkeypatch, b"<html>404: Not Found</html>")
    with pytest.raises(ValueError, match="could not be fetched"):
        load_record("lrn")
    assert not (elsewhere / "cache" / "lrn.json").exists()


def test_a_record_that_is_not_an_object_is_refused(elsewhere):
    (elsewhere / "cache").mkdir()
    (elsewhere / "cache" / "lrn.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="holds a JSON list, not a recorded run"):
        load_record("lrn")
    (elsewhere / "cache" / "lrn.json").write_text("{")
    with pytest.raises(ValueError, match="not a readable recorded run.*delete it to fetch it again"):
        load_record("lrn")


# ----------------------------------------------------------------------------- the committed records


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_every_record_carries_its_provenance(path):
    prov = read_json(path).get("provenance", {})
    for key in ("device_name", "torch", "date", "threads"):
        assert prov.get(key), f"{path.name}: provenance has no {key!r}"
    assert dt.datetime.fromisoformat(prov["date"]).tzinfo is not None


def test_the_reference_training_run_agrees_with_the_recipe_model_and_clock():
    h = History.from_dict(load_record("cpu_fast"), "cpu_fast")
    c = h.config
    assert c["model"] == "alexnet_d2l" and c["parameters"] == count_parameters(alexnet_d2l())
    assert (c["size"], c["profile"], c["train_images"], c["test_images"]) == (224, "cpu", 48_000, 10_000)
    # The recorded settings are the recipe the book describes (all but the prose).
    recipe = RECIPES[c["recipe"]]
    assert {k: v for k, v in c["recipe_settings"].items() if k != "description"} == \
           {k: v for k, v in asdict(recipe).items() if k != "description"}
    steps_per_epoch = math.ceil(c["train_images"] / c["batch_size"])
    total = steps_per_epoch * c["epochs"]
    assert [e["epoch"] for e in h.epochs] == list(range(1, c["epochs"] + 1))
    for e in h.epochs:
        # The logged lr is the schedule's at the epoch's last step; the speed is images over training time.
        assert e["lr"] == pytest.approx(lr_at(recipe, e["epoch"] * steps_per_epoch - 1, total), rel=1e-12)
        assert e["images_per_s"] == pytest.approx(c["train_images"] / e["train_seconds"], rel=1e-9)
        assert e["seconds"] >= e["train_seconds"] and 0.1 < e["test_acc"] <= 1
    assert h.final_test_acc >= 0.90  # what the book's text claims for this run


@pytest.mark.parametrize("name", ["cpu_minutes30_fp32", "cpu_minutes30_fp32_seed1"])
def test_the_budgeted_records_ran_their_replanned_steps_within_ten_percent_of_the_budget(name):
    h = History.from_dict(load_record(name), name)
    c, plan = h.config, h.config["budget"]
    assert (c["profile"], c["batch_size"], plan["minutes"], c["precision"]) == ("cpu", 64, 30, "fp32")
    looks = plan["replans"]
    assert looks and [r["at_step"] for r in looks] == sorted({r["at_step"] for r in looks})
    last = looks[-1]["steps"]
    assert c["max_steps"] == last == h.epochs[-1]["steps"]
    # The last step's rate follows the plan in force when it ran: the last re-plan made before it.
    in_force = [plan["steps"]] + [r["steps"] for r in looks if r["at_step"] <= last - 1]
    recipe = replace(RECIPES[c["recipe"]], lr=c["recipe_settings"]["lr"])
    assert h.epochs[-1]["lr"] == pytest.approx(lr_at(recipe, last - 1, in_force[-1]), rel=1e-12)
    assert abs(h.provenance["wall_seconds"] / (plan["minutes"] * 60) - 1) <= 0.10  # what the book says of them


def test_the_training_share_ignores_what_is_not_a_number():
    h = History(provenance={"wall_seconds": 100.0}, epochs=[{"train_seconds": 60.0}, {"train_seconds": "x"}, {}])
    assert h.training_share == 0.6 and History().training_share is None
