"""Everything a run leaves on disk: provenance, the History JSON, checkpoints, and `data/runs`.

Import-light on purpose: torch is imported only by the functions that need it (checkpoints, device names),
so writing or reading a record does not load the training engine.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from .. import REPOSITORY_URL, __version__
from ..files import atomic_write, atomic_write_text, read_checked_json, verify_checked, write_checked_json

if TYPE_CHECKING:
    import torch

#: Where the recorded runs live in a clone of the repository.
RUNS_DIR = Path(__file__).resolve().parents[2] / "data" / "runs"
#: Where fetched copies are kept when the package is installed without the repository (e.g. in Colab).
CACHE_DIR = Path("~/.cache/alexnet_lib/runs").expanduser()
TIMEOUT_S = 30.0
_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$")


# ----------------------------------------------------------------------------- provenance


def _cpu_info() -> tuple[str, str]:
    """The CPU's model name and the flags that decide its speed here (AVX2, AVX-512, bf16, AMX)."""
    name, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not name:
                name = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
    return name or platform.processor() or platform.machine(), " ".join(f for f in wanted if f in flags)


def provenance(device: Union[str, "torch.device", None] = None) -> dict[str, Any]:
    """Where and with what a run happened: device name and CPU features, versions, threads, date."""
    import torch

    device = torch.device(device) if device is not None else torch.device("cpu")
    cpu_name, cpu_flags = _cpu_info()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name
    return {
        "device": str(device),
        "device_name": name,
        "cpu_flags": cpu_flags,
        "torch": str(torch.__version__),  # a plain str: checkpoints load with weights_only=True
        "alexnet_lib": __version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


# ----------------------------------------------------------------------------- a run's history


@dataclass
class History:
    """A run's per-epoch metrics, its configuration and its provenance; saved as JSON."""

    config: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    epochs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final_test_acc(self) -> Optional[float]:
        """Test accuracy after the last epoch (None if never evaluated)."""
        return self.epochs[-1].get("test_acc") if self.epochs else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {"config": self.config, "provenance": self.provenance, "epochs": self.epochs}

    def save(self, path: Union[str, Path]) -> Path:
        """Write the history as JSON with the checksum of its content, atomically."""
        return write_checked_json(path, self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: object, where: str = "history") -> "History":
        """A History from `to_dict()`'s output, checked."""
        if not isinstance(d, dict) or not isinstance(d.get("epochs"), list):
            raise ValueError(f"{where} has no 'epochs' list: not a history written by alexnet_lib")
        for key in ("config", "provenance"):
            if not isinstance(d.get(key) or {}, dict):
                raise ValueError(f"{where}: '{key}' must be a JSON object, got {type(d[key]).__name__}")
        if not all(isinstance(e, dict) for e in d["epochs"]):
            raise ValueError(f"{where}: every entry of 'epochs' must be an object of metrics")
        _check_history_fields(d, where)
        return cls(config=dict(d.get("config") or {}), provenance=dict(d.get("provenance") or {}),
                   epochs=list(d["epochs"]))

    @classmethod
    def load(cls, path: Union[str, Path]) -> "History":
        """Read a history JSON written by `save`, its checksum verified."""
        fix = "; re-run training to recreate it"
        return cls.from_dict(read_checked_json(path, "run history", fix), str(path))

    def summary(self) -> str:
        """Two lines: what ran where, and how it ended."""
        c, p = self.config, self.provenance
        head = (f"{c.get('model', '?')} · recipe {c.get('recipe', '?')} · profile {c.get('profile', '?')} · "
                f"{c.get('train_images', '?')} train images at {c.get('size', '?')}px · {p.get('device_name', '?')} "
                f"({c.get('precision', '?')})")
        if not self.epochs:
            return head + "\nno epoch finished"
        e = self.epochs[-1]

        def num(value: Any, fmt: str) -> str:  # a hand-edited or older history may lack a metric
            return format(value, fmt) if isinstance(value, (int, float)) else "n/a"

        seconds = sum(x.get("seconds", 0) for x in self.epochs)
        return (head + f"\n{len(self.epochs)} epochs in {seconds:.0f} s · "
                f"train loss {num(e.get('train_loss'), '.4f')} · train acc {num(e.get('train_acc'), '.4f')} · "
                f"test acc {num(e.get('test_acc'), '.4f')} · "
                f"{num(e.get('images_per_s'), '.1f')} images/s")


    @property
    def training_share(self) -> Optional[float]:
        """The share of the run's wall time spent in training steps (None before the run recorded its time)."""
        wall = self.provenance.get("wall_seconds")
        if not isinstance(wall, (int, float)) or wall <= 0:
            return None
        seconds = [e.get("train_seconds") for e in self.epochs]  # a hand-edited history may hold anything here
        return sum(x for x in seconds if isinstance(x, (int, float)) and not isinstance(x, bool)) / wall

    def budget_summary(self) -> str:
        """How a run with a time budget (`train(minutes=...)`) was planned and how long it really took."""
        plan, p = self.config.get("budget"), self.provenance
        if not isinstance(plan, dict):
            raise ValueError("this run had no time budget (train(minutes=...) records one as config['budget'])")
        wall = p.get("wall_seconds")
        took = (f"took {wall / 60:.1f} min ({wall / (plan['minutes'] * 60):.0%} of the budget)"
                if isinstance(wall, (int, float)) else "did not record how long it took")
        replans = plan.get("replans") or []  # runs recorded before re-planning existed have none
        last = replans[-1] if replans else None
        replanned = (f"re-planned {len(replans)} time{'s' if len(replans) > 1 else ''} as it ran (last at step "
                     f"{last['at_step']}, at {plan['batch_size'] / last['seconds_per_step']:.1f} images/s) to "
                     f"{last['steps']} steps; " if last else "")
        if p.get("resumed_after_epoch") and isinstance(wall, (int, float)):
            took = f"was resumed after epoch {p['resumed_after_epoch']}, and that last part took {wall / 60:.1f} min"
        return (f"budget {plan['minutes']:g} min on {p.get('device_name', '?')} ({self.config.get('precision', '?')}): "
                f"measured {plan['batch_size'] / plan['seconds_per_step']:.1f} training images/s, planned "
                f"{plan['steps']} steps = {plan['images']:,} images "
                f"({plan['images'] / plan['train_images']:.2f} epochs), "
                f"predicted {plan['predicted_seconds'] / 60:.1f} min; {replanned}{took}"
                + (f", {self.training_share:.0%} of it training" if self.training_share is not None
                   and not p.get("resumed_after_epoch") else "") + "; test accuracy "
                + (f"{self.final_test_acc:.2%}" if self.final_test_acc is not None else "n/a"))


#: The fields of a history that its summaries compute with, and the kind of number each must be.
_EPOCH_NUMBERS = ("steps", "train_loss", "train_acc", "lr", "train_seconds", "images_per_s", "val_acc", "val_loss",
                  "seconds", "test_acc", "test_loss")
_PLAN_NUMBERS = ("minutes", "steps", "batch_size", "seconds_per_step", "images", "train_images", "predicted_seconds")
_REPLAN_NUMBERS = ("at_step", "seconds_per_step", "steps")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_history_fields(d: dict[str, Any], where: str) -> None:
    """Refuse a history whose fields have the wrong type, naming the field: a hand edit must not end in a raw
    KeyError or TypeError pages later, in a summary or a plot."""
    fix = "; restore the file or re-run training to recreate it"
    for i, e in enumerate(d["epochs"]):
        if "epoch" in e and (not isinstance(e["epoch"], int) or isinstance(e["epoch"], bool)):
            raise ValueError(f"{where}: epochs[{i}].epoch is {e['epoch']!r}, not a whole number{fix}")
        for key in _EPOCH_NUMBERS:  # absent or null is allowed: older runs did not record every metric
            if e.get(key) is not None and not _is_number(e[key]):
                raise ValueError(f"{where}: epochs[{i}].{key} is {e[key]!r}, not a number{fix}")
    prov = d.get("provenance") or {}
    for key in ("wall_seconds", "resumed_after_epoch"):
        if prov.get(key) is not None and not _is_number(prov[key]):
            raise ValueError(f"{where}: provenance.{key} is {prov[key]!r}, not a number{fix}")
    plan = (d.get("config") or {}).get("budget")
    if plan is None:
        return
    if not isinstance(plan, dict):
        raise ValueError(f"{where}: config.budget is a {type(plan).__name__}, not the plan object{fix}")
    for key in _PLAN_NUMBERS:
        if not _is_number(plan.get(key)) or plan[key] <= 0:
            raise ValueError(f"{where}: config.budget.{key} is {plan.get(key, 'missing')!r}, not a positive "
                             f"number{fix}")
    replans = plan.get("replans") or []
    if not isinstance(replans, list):
        raise ValueError(f"{where}: config.budget.replans is a {type(replans).__name__}, not a list{fix}")
    for i, r in enumerate(replans):
        bad = [k for k in _REPLAN_NUMBERS if not isinstance(r, dict) or not _is_number(r.get(k)) or r[k] <= 0]
        if bad:
            raise ValueError(f"{where}: config.budget.replans[{i}].{bad[0]} is missing or not a positive "
                             f"number{fix}")


# ----------------------------------------------------------------------------- checkpoints

CHECKPOINT_KEYS = frozenset({"model", "optimizer", "rng", "epoch", "history", "checksum"})


def state_checksum(state: dict[str, Any]) -> str:
    """SHA-256 of a training state's content: every tensor's dtype, shape and bytes and every other value, in a
    fixed order ("checksum" itself left out). torch.load does not verify a checkpoint's bytes; this does."""
    import torch

    digest = hashlib.sha256()

    def feed(key: str, value: Any) -> None:
        digest.update(key.encode())
        if isinstance(value, torch.Tensor):
            t = value.detach().to("cpu").contiguous().reshape(-1)
            digest.update(f"{t.dtype}{tuple(value.shape)}".encode())
            digest.update(t.view(torch.uint8).numpy().tobytes())
        elif isinstance(value, dict):
            for k in sorted(value, key=str):
                feed(f"{key}/{k}", value[k])
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                feed(f"{key}[{i}]", v)
        else:
            digest.update(repr(value).encode())

    for k in sorted(state):
        if k != "checksum":
            feed(k, state[k])
    return digest.hexdigest()


def save_checkpoint(state: dict[str, Any], path: Union[str, Path]) -> Path:
    """torch.save a training state to `path` atomically, with the checksum of its content inside."""
    import torch

    state = {**state, "checksum": state_checksum(state)}
    try:
        return atomic_write(path, lambda tmp: torch.save(state, tmp))
    except OSError as e:  # disk full, file-size limit, a folder taken away: say which, and that nothing was replaced
        raise ValueError(f"could not write the checkpoint {path} ({e.strerror or e}); the previous checkpoint, if "
                         f"any, is untouched. Free some space (a checkpoint of alexnet_d2l takes about 375 MB) or "
                         f"write elsewhere (--out)") from None


def load_checkpoint(path: Union[str, Path], mmap: bool = False) -> dict[str, Any]:
    """Read a checkpoint written by `fit` as data only (`weights_only=True`: a crafted file cannot run code).

    `mmap=True` maps the tensors instead of reading them, for a caller that only wants the history.
    """
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist (or is not a file); train without resume first")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as e:
        blocked = [line.strip() for line in str(e).splitlines() if "GLOBAL" in line or "Unsupported" in line]
        if blocked:  # torch names the Python object the file asked for; tensors and plain data never need one
            raise ValueError(f"checkpoint {path} asks to load Python objects beyond tensors and plain data "
                             f"({blocked[0]}), so it was refused unread: it was not written by "
                             f"alexnet_lib.engine.loop.fit "
                             f"or has been tampered with. Do not load it with weights_only=False; delete it and "
                             f"train again without resume") from None
        raise ValueError(f"checkpoint {path} cannot be read (UnpicklingError: {str(e).splitlines()[0]}); delete "
                         f"it and train again without resume") from None
    except Exception as e:  # torch raises many kinds for a damaged file
        raise ValueError(f"checkpoint {path} cannot be read ({type(e).__name__}: {e}); delete it and "
                         "train again without resume") from None
    missing = CHECKPOINT_KEYS - set(state) if isinstance(state, dict) else CHECKPOINT_KEYS
    if missing:
        raise ValueError(f"checkpoint {path} lacks {sorted(missing)}: it was not written by "
                         f"alexnet_lib.engine.loop.fit (or by a version without checksums); train again without resume")
    if state["checksum"] != state_checksum(state):
        raise ValueError(f"checkpoint {path} is damaged: its content does not match the checksum written with it "
                         f"(a changed byte, a bad copy or an edit); it was not used. Delete it and train again "
                         f"without resume")
    _check_state_fields(state, path)
    return state


def _check_state_fields(state: dict[str, Any], path: Path) -> None:
    """Refuse a checkpoint whose fields disagree with each other: its epoch, its history, its weights."""
    import torch

    history, epoch = state["history"], state["epoch"]
    epochs = history.get("epochs") if isinstance(history, dict) else None
    problem = None
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        problem = f"epoch={epoch!r} is not a count of finished epochs"
    elif not isinstance(epochs, list) or len(epochs) != epoch + 1:
        problem = f"epoch={epoch} but its history records {len(epochs) if isinstance(epochs, list) else 'no'} epochs"
    elif not isinstance(epochs[-1], dict) or epochs[-1].get("epoch") != epoch + 1:
        problem = f"epoch={epoch} but its history's last epoch is {epochs[-1].get('epoch')!r}"
    elif not isinstance(history.get("config"), dict):
        problem = "its history has no config"
    elif not isinstance(state["model"], dict) or not all(isinstance(v, torch.Tensor) for v in state["model"].values()):
        problem = "its model weights are not a state dict of tensors"
    if problem:
        raise ValueError(f"checkpoint {path} disagrees with itself: {problem}; it was not used. Delete it and "
                         f"train again without resume")


# ----------------------------------------------------------------------------- recorded runs (data/runs)


def run_url(name: str) -> str:
    """The raw-file address of a recorded run on the repository's main branch."""
    raw = REPOSITORY_URL.replace("https://github.com/", "https://raw.githubusercontent.com/")
    return f"{raw}/main/data/runs/{name}.json"


def run_path(name: str) -> Path:
    """The local file of recorded run `name`: the clone's data/runs, a chapter's ../data/runs, else a fetched copy."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name={name!r} must be a run name such as 'cpu_fast' or 'lrn' (a file in data/runs/)")
    for folder in (RUNS_DIR, Path.cwd() / "data" / "runs", Path.cwd().parent / "data" / "runs", CACHE_DIR):
        if (folder / f"{name}.json").is_file():
            return folder / f"{name}.json"
    url = run_url(name)
    try:  # an installed package has no data/ folder: fetch the committed record once
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            text = response.read().decode("utf-8")
        # a bad download is not cached as the record
        verify_checked(json.loads(text), url, "recorded run", stampable=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"data/runs/{name}.json is not here and could not be fetched from {url} ({e}); "
                         f"clone {REPOSITORY_URL} and run the chapter from the clone") from e
    return atomic_write_text(CACHE_DIR / f"{name}.json", text)


def load_record(name: str) -> dict[str, Any]:
    """The parsed JSON object of recorded run `name`, its checksum verified and removed (see `run_path` for where
    it comes from)."""
    return read_checked_json(run_path(name), "recorded run", "; delete it to fetch it again, or restore it with git")
