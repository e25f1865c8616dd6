"""Training engine: profiles, recipes, `fit`, `evaluate`, checkpoints and run provenance."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import platform
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from . import __version__

# ----------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Profile:
    """How much data and how many epochs a run uses."""

    name: str
    epochs: int
    batch_size: int
    train_subset: Optional[int]
    test_subset: Optional[int]
    size: int
    description: str


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", epochs=1, batch_size=32, train_subset=640, test_subset=320, size=224,
                     description="seconds: proves the whole path works (CI, nbval)"),
    "cpu": Profile("cpu", epochs=2, batch_size=128, train_subset=48_000, test_subset=None, size=224,
                   description="about 30 minutes on a 2-core laptop CPU at ~60 images/s: 2 epochs over a "
                               "balanced 48,000 of the 60,000 training images at 224x224, full test set"),
    "full": Profile("full", epochs=10, batch_size=128, train_subset=None, test_subset=None, size=224,
                    description="a GPU: all 60,000 images, enough epochs for >= 0.92 test accuracy"),
}


def default_device() -> torch.device:
    """The fastest device present: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def choose_profile(name: Optional[str] = None, device: Union[str, torch.device, None] = None) -> Profile:
    """Pick a profile: the argument, else `$ALEXNET_PROFILE`, else `smoke` under CI, else by device."""
    name = name or os.environ.get("ALEXNET_PROFILE") or None
    if name is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            name = "smoke"
        else:
            dev = torch.device(device) if device is not None else default_device()
            name = "full" if dev.type == "cuda" else "cpu"
    if name not in PROFILES:
        raise ValueError(f"profile={name!r} is unknown; choose one of {sorted(PROFILES)} "
                         "(argument or $ALEXNET_PROFILE)")
    return PROFILES[name]


# ----------------------------------------------------------------------------- recipes


@dataclass(frozen=True)
class Recipe:
    """Optimiser, schedule, initialisation and loss: everything about training except the data."""

    name: str
    lr: float
    momentum: float = 0.0
    weight_decay: float = 0.0
    nesterov: bool = False
    schedule: str = "constant"  # constant | plateau | onecycle
    warmup: float = 0.0  # fraction of all steps spent warming up (onecycle)
    init: str = "xavier"  # see alexnet_lib.model.init_weights
    label_smoothing: float = 0.0
    description: str = ""


RECIPES: dict[str, Recipe] = {
    "paper": Recipe("paper", lr=0.01, momentum=0.9, weight_decay=5e-4, schedule="plateau", init="paper",
                    description="Krizhevsky et al. 2012: SGD, momentum 0.9, weight decay 5e-4, lr 0.01 "
                                "divided by 10 when accuracy stops improving (the paper watched validation "
                                "error; here the test set stands in), N(0, 0.01) init"),
    "d2l": Recipe("d2l", lr=0.01, schedule="constant", init="xavier",
                  description="Dive into Deep Learning: plain SGD, lr 0.01, Xavier init"),
    "fast": Recipe("fast", lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True, schedule="onecycle",
                   warmup=0.15, init="kaiming", label_smoothing=0.1,
                   description="this course's default: Nesterov SGD (momentum 0.9, weight decay 5e-4), "
                               "lr warmed up to 0.05 over the first 15% of steps then cosine-annealed to 0, "
                               "Kaiming init, label smoothing 0.1"),
}


def get_recipe(recipe: Union[str, Recipe], **overrides: Any) -> Recipe:
    """Look a recipe up by name (or take one as is) and apply field overrides."""
    if isinstance(recipe, str):
        if recipe not in RECIPES:
            raise ValueError(f"recipe={recipe!r} is unknown; choose one of {sorted(RECIPES)}")
        recipe = RECIPES[recipe]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return replace(recipe, **overrides) if overrides else recipe


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """SGD as the recipe says; weight decay only on weights, never on biases."""
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": recipe.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.SGD(groups, lr=recipe.lr, momentum=recipe.momentum,
                           nesterov=recipe.nesterov and recipe.momentum > 0)


def lr_at(recipe: Recipe, step: int, total_steps: int) -> float:
    """Learning rate of the `onecycle` schedule at a step (linear warmup, then cosine to zero)."""
    warm = max(1, int(recipe.warmup * total_steps))
    if step < warm:
        return recipe.lr * (step + 1) / warm
    progress = (step - warm) / max(1, total_steps - warm)
    return recipe.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


# ----------------------------------------------------------------------------- speed settings


@dataclass(frozen=True)
class Precision:
    """The numeric settings a run uses on its device."""

    autocast_dtype: Optional[torch.dtype]
    channels_last: bool
    grad_scaler: bool

    @property
    def label(self) -> str:
        """Short human label, e.g. 'bf16 autocast + channels_last'."""
        if self.autocast_dtype is None:
            return "fp32" + (" + channels_last" if self.channels_last else "")
        name = {torch.bfloat16: "bf16", torch.float16: "fp16"}[self.autocast_dtype]
        return f"{name} autocast" + (" + channels_last" if self.channels_last else "")


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX), where bf16 autocast pays off."""
    check = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool((check and check()) or (amx and amx()))


def choose_precision(device: torch.device, fast: bool = True) -> Precision:
    """bf16 autocast + channels_last where they help (CUDA, bf16 CPUs); fp16 + loss scaling on older GPUs."""
    if not fast:
        return Precision(None, False, False)
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported(including_emulation=False):
            return Precision(torch.bfloat16, True, False)
        return Precision(torch.float16, True, True)
    if device.type == "cpu" and cpu_has_bf16():
        return Precision(torch.bfloat16, True, False)
    return Precision(None, False, False)


def _autocast(device: torch.device, precision: Precision):
    if precision.autocast_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=precision.autocast_dtype)


# ----------------------------------------------------------------------------- history


def provenance(device: torch.device) -> dict[str, Any]:
    """Where and with what a run happened: device name, versions, threads, date."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = _cpu_name()
    return {
        "device": str(device),
        "device_name": name,
        "torch": torch.__version__,
        "alexnet_lib": __version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class History:
    """A run's per-epoch metrics, its configuration and its provenance; saved as JSON."""

    config: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    epochs: list[dict[str, Any]] = field(default_factory=list)

    def column(self, key: str) -> list[Any]:
        """One metric across epochs, e.g. `history.column("test_acc")`."""
        return [e[key] for e in self.epochs]

    @property
    def final_test_acc(self) -> Optional[float]:
        """Test accuracy after the last epoch (None if never evaluated)."""
        return self.epochs[-1].get("test_acc") if self.epochs else None

    @property
    def train_seconds(self) -> float:
        """Seconds spent in training steps, evaluation excluded."""
        return sum(e["train_seconds"] for e in self.epochs)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {"config": self.config, "provenance": self.provenance, "epochs": self.epochs}

    def save(self, path: Union[str, Path]) -> Path:
        """Write the history as JSON, atomically."""
        return atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Union[str, Path]) -> "History":
        """Read a history JSON written by `save`."""
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{path} is not a readable run history ({e}); re-run training to recreate it") from e
        if not isinstance(d, dict) or "epochs" not in d:
            raise ValueError(f"{path} has no 'epochs' list: not a history written by alexnet_lib")
        return cls(config=d.get("config", {}), provenance=d.get("provenance", {}), epochs=d["epochs"])

    def summary(self) -> str:
        """Two lines: what ran where, and how it ended."""
        c, p = self.config, self.provenance
        head = (f"{c.get('model', '?')} · recipe {c.get('recipe', '?')} · profile {c.get('profile', '?')} · "
                f"{c.get('train_images', '?')} train images at {c.get('size', '?')}px · {p.get('device_name', '?')} "
                f"({c.get('precision', '?')})")
        if not self.epochs:
            return head + "\nno epoch finished"
        e = self.epochs[-1]
        acc = f"{e['test_acc']:.4f}" if e.get("test_acc") is not None else "n/a"
        return (head + f"\n{len(self.epochs)} epochs in {sum(x['seconds'] for x in self.epochs):.0f} s · "
                f"train loss {e['train_loss']:.4f} · train acc {e['train_acc']:.4f} · test acc {acc} · "
                f"{e['images_per_s']:.1f} images/s")


def _umask_mode() -> int:
    """The permissions a plain open() would give a new file (mkstemp's own are owner-only)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _atomic(path: Path, write: Callable[[str], None]) -> Path:
    """Let `write` fill a temp file beside `path`, then rename it over `path`: no reader sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text to `path` atomically."""
    return _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_torch_save(obj: Any, path: Path) -> Path:
    """torch.save to `path` atomically."""
    return _atomic(path, lambda tmp: torch.save(obj, tmp))


# ----------------------------------------------------------------------------- evaluation


@dataclass
class Evaluation:
    """Accuracy, mean loss and the confusion matrix (rows: true class, columns: predicted)."""

    accuracy: float
    loss: float
    confusion: torch.Tensor

    def most_confused(self, k: int = 5) -> list[tuple[int, int, int]]:
        """The k largest off-diagonal cells as (true, predicted, count)."""
        c = self.confusion.clone()
        c.fill_diagonal_(0)
        values, idx = c.flatten().topk(k)
        n = c.shape[1]
        return [(int(i) // n, int(i) % n, int(v)) for v, i in zip(values, idx)]


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, num_classes: int = 10, fast: bool = True,
             device: Union[str, torch.device, None] = None) -> Evaluation:
    """Accuracy, loss and confusion matrix of `model` on every batch of `loader`."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    precision = choose_precision(device, fast)
    was_training = model.training
    model.eval()
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.long, device=device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    try:
        for x, y in loader:
            with _autocast(device, precision):
                logits = model(x)
            loss_sum += F.cross_entropy(logits.float(), y, reduction="sum").double()
            confusion += torch.bincount(y * num_classes + logits.argmax(1), minlength=num_classes ** 2)
    finally:
        model.train(was_training)
    confusion = confusion.view(num_classes, num_classes).cpu()
    total = int(confusion.sum())
    if total == 0:
        raise ValueError("evaluate() got an empty loader: give it at least one batch")
    return Evaluation(accuracy=float(confusion.diag().sum()) / total, loss=float(loss_sum) / total,
                      confusion=confusion)


# ----------------------------------------------------------------------------- training


class NonFiniteLossError(RuntimeError):
    """Training stopped because the loss became NaN or infinite."""


#: How often (in steps) the loop looks at the loss on the host: rarely, so GPUs never wait on it.
CHECK_EVERY = 25


def fit(model: nn.Module, train_loader: Any, test_loader: Any = None, *, epochs: int = 1,
        recipe: Union[str, Recipe] = "fast", lr: Optional[float] = None,
        device: Union[str, torch.device, None] = None, fast: bool = True, seed: int = 0,
        checkpoint: Union[str, Path, None] = None, resume: bool = False, reinit: bool = True,
        profile: Optional[str] = None, progress: bool = True, num_classes: int = 10,
        extra_config: Optional[dict[str, Any]] = None) -> History:
    """Train `model` on `train_loader` for `epochs`, evaluating on `test_loader` after each epoch.

    The loaders are `alexnet_lib.data.DeviceLoader`s (anything iterable with `set_epoch`, `num_images`
    and `batch_size` works). With `checkpoint`, the state is written atomically at each epoch end;
    `resume=True` continues from it and reproduces the uninterrupted run.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs={epochs!r} must be a positive integer")
    recipe = get_recipe(recipe, lr=lr)
    device = torch.device(device) if device is not None else default_device()
    precision = choose_precision(device, fast)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    torch.manual_seed(seed)
    if reinit and not resume:
        from .model import init_weights  # the recipe's init is part of the recipe

        init_weights(model, recipe.init)
    model.to(device)
    if precision.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, recipe)
    scaler = torch.amp.GradScaler(device.type) if precision.grad_scaler else None
    steps_per_epoch = len(train_loader)
    total_steps = steps_per_epoch * epochs
    plateau = (torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.1, patience=0)
               if recipe.schedule == "plateau" else None)

    history = History(
        config={"model": type(model).__name__,
                "parameters": sum(p.numel() for p in model.parameters()),
                "recipe": recipe.name, "recipe_settings": asdict(recipe), "profile": profile,
                "epochs": epochs, "batch_size": getattr(train_loader, "batch_size", None),
                "size": getattr(train_loader, "size", None),
                "train_images": getattr(train_loader, "num_images", None),
                "test_images": getattr(test_loader, "num_images", None) if test_loader is not None else None,
                "seed": seed, "precision": precision.label, **(extra_config or {})},
        provenance=provenance(device),
    )
    start_epoch = 0
    ckpt_path = Path(checkpoint) if checkpoint is not None else None
    if resume:
        if ckpt_path is None:
            raise ValueError("resume=True needs checkpoint=PATH: the file a previous fit() wrote")
        if ckpt_path.exists():
            state = load_checkpoint(ckpt_path)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if plateau is not None and state.get("plateau") is not None:
                plateau.load_state_dict(state["plateau"])
            torch.set_rng_state(state["rng"])
            history.epochs = state["history"]["epochs"]
            start_epoch = state["epoch"] + 1
            if start_epoch >= epochs:
                return history

    model.train()
    for epoch in range(start_epoch, epochs):
        if hasattr(train_loader, "set_epoch"):
            train_loader.set_epoch(epoch)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        seen = 0
        first_bad = torch.full((), -1, dtype=torch.long, device=device)
        bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress,
                   leave=True, unit="batch")
        t0 = time.perf_counter()
        for i, (x, y) in enumerate(train_loader):
            step = epoch * steps_per_epoch + i
            if recipe.schedule == "onecycle":
                for g in optimizer.param_groups:
                    g["lr"] = lr_at(recipe, step, total_steps)
            if precision.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)  # no-op when the loader did it
            with _autocast(device, precision):
                logits = model(x)
                loss = F.cross_entropy(logits.float(), y, label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            # Accumulate on the device; the host reads these only every CHECK_EVERY steps.
            loss_d = loss.detach()
            loss_sum += loss_d.double() * y.shape[0]
            correct += (logits.detach().argmax(1) == y).sum()
            seen += y.shape[0]
            bad_now = ~torch.isfinite(loss_d)
            first_bad = torch.where(bad_now & (first_bad < 0), torch.full_like(first_bad, step), first_bad)
            if (i + 1) % CHECK_EVERY == 0 or i + 1 == steps_per_epoch:
                _stop_if_nonfinite(int(first_bad), recipe)
            bar.update(1)
        train_seconds = time.perf_counter() - t0
        record = {"epoch": epoch + 1, "train_loss": float(loss_sum) / seen, "train_acc": int(correct) / seen,
                  "lr": optimizer.param_groups[0]["lr"], "train_seconds": train_seconds,
                  "images_per_s": seen / train_seconds}
        if test_loader is not None:
            ev = evaluate(model, test_loader, num_classes=num_classes, fast=fast, device=device)
            record["test_acc"], record["test_loss"] = ev.accuracy, ev.loss
            if plateau is not None:
                plateau.step(ev.accuracy)
        record["seconds"] = time.perf_counter() - t0
        bar.set_postfix(loss=f"{record['train_loss']:.3f}", acc=f"{record['train_acc']:.3f}",
                        test=f"{record.get('test_acc', float('nan')):.3f}")
        bar.close()
        history.epochs.append(record)
        if ckpt_path is not None:
            atomic_torch_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                               "plateau": plateau.state_dict() if plateau is not None else None,
                               "rng": torch.get_rng_state(), "epoch": epoch,
                               "history": history.to_dict()}, ckpt_path)
    return history


def _stop_if_nonfinite(first_bad_step: int, recipe: Recipe) -> None:
    if first_bad_step >= 0:
        raise NonFiniteLossError(
            f"the training loss became NaN or infinite at step {first_bad_step} (counting from 0) with "
            f"learning rate {recipe.lr:g}; training stopped and the last epoch's checkpoint was kept. "
            f"Try a lower learning rate, e.g. lr={recipe.lr / 10:g}.")


def load_checkpoint(path: Union[str, Path]) -> dict[str, Any]:
    """Read a checkpoint written by `fit`, with a clear error if it is damaged."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # torch raises many kinds for a damaged file
        raise ValueError(f"checkpoint {path} cannot be read ({type(e).__name__}: {e}); delete it and "
                         "train again without resume") from e
    missing = {"model", "optimizer", "rng", "epoch", "history"} - set(state)
    if missing:
        raise ValueError(f"checkpoint {path} lacks {sorted(missing)}: it was not written by alexnet_lib.fit")
    return state


# ----------------------------------------------------------------------------- one call


def train(profile: Optional[str] = None, recipe: Union[str, Recipe] = "fast", epochs: Optional[int] = None,
          out: Union[str, Path, None] = None, model: Optional[nn.Module] = None,
          device: Union[str, torch.device, None] = None, resume: bool = False, fast: bool = True,
          seed: int = 0, lr: Optional[float] = None, root: Union[str, Path, None] = None,
          progress: bool = True, verbose: bool = True) -> tuple[nn.Module, History]:
    """Train an AlexNet on Fashion-MNIST at 224x224 with a profile chosen by device; print the settings.

    With `out`, writes `out/history.json` and `out/checkpoint.pt` (atomically).
    """
    from .data import fashion_mnist_loaders
    from .model import alexnet_d2l

    device = torch.device(device) if device is not None else default_device()
    prof = choose_profile(profile, device)
    n_epochs = epochs if epochs is not None else prof.epochs
    rec = get_recipe(recipe, lr=lr)
    precision = choose_precision(device, fast)
    model_name = type(model).__name__ if model is not None else "alexnet_d2l"
    if model is None:
        model = alexnet_d2l()
    train_loader, test_loader, classes = fashion_mnist_loaders(
        batch_size=prof.batch_size, size=prof.size, device=device, train_subset=prof.train_subset,
        test_subset=prof.test_subset, seed=seed, root=root, channels_last=precision.channels_last)
    if verbose:
        print(f"profile {prof.name} ({prof.description}) · device {device} ({provenance(device)['device_name']})\n"
              f"{train_loader.num_images} train / {test_loader.num_images} test images at {prof.size}x{prof.size}"
              f" · batch {prof.batch_size} · {n_epochs} epoch(s) · recipe {rec.name} · {precision.label}")
    out_dir = Path(out) if out is not None else None
    history = fit(model, train_loader, test_loader, epochs=n_epochs, recipe=rec, device=device, fast=fast,
                  seed=seed, checkpoint=out_dir / "checkpoint.pt" if out_dir else None, resume=resume,
                  profile=prof.name, progress=progress, extra_config={"model": model_name})
    if out_dir is not None:
        history.save(out_dir / "history.json")
    if verbose:
        print(history.summary())
    return model, history
