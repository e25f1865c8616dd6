"""The training loop: `evaluate`, `fit` (the one loop every run goes through) and the ten-patch evaluation.

`alexnet_lib.engine.run.train` builds the data and plans a budget, then calls `fit`; recipes (optimiser,
schedule, init) are in `recipes`, precision in `precision`, what a run leaves on disk in `records`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Union

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from .._checks import check_bool, check_int
from ..data.augment import TenPatches, resize_for
from ..data.loader import DeviceLoader
from ..device import parse_device
from ..distributed import current_shard, max_across, sum_across
from ..net.model import count_parameters, init_weights
from .budget import Pacer
from .host_memory import keep_freed_memory
from .metrics import accuracy, confusion_matrix
from .precision import Precision, autocast, choose_precision
from .recipes import Recipe, Schedule, get_recipe, make_optimizer, step_optimizer
from .records import History, load_checkpoint, provenance, save_checkpoint

# ----------------------------------------------------------------------------- evaluation


@dataclass
class Evaluation:
    """Accuracy, mean loss, the confusion matrix (rows: true class, columns: predicted) and, per image in the
    loader's order, whether its class was ranked first (1.0) or not (0.0)."""

    accuracy: float
    loss: float
    confusion: torch.Tensor
    hits: Optional[torch.Tensor] = None


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, num_classes: int = 10,
             device: Union[str, torch.device, None] = None, precision: Optional[str] = None) -> Evaluation:
    """Accuracy, loss, confusion matrix and per-image hits of `model` on every batch of `loader`, in eval mode.

    A loader sharded across torchrun's processes is evaluated a share per process and the counts summed (the
    hits stay this process's share).
    """
    check_int("num_classes", num_classes, 2, 100_000)
    first = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    if first is None:
        raise ValueError(f"model={type(model).__name__} must be a torch.nn.Module with parameters to evaluate")
    device = parse_device(device) if device is not None else first.device
    numerics = choose_precision(device, precision)
    was_training = model.training
    model.eval()
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    hits = []
    try:
        for x, y in loader:
            with autocast(device, numerics):
                logits = model(x)
            if logits.shape[-1] != num_classes:
                raise ValueError(f"the model gives {logits.shape[-1]} class scores but num_classes={num_classes}")
            loss_sum += F.cross_entropy(logits.float(), y, reduction="sum").double()
            predicted = logits.argmax(1)
            confusion += confusion_matrix(y, predicted, num_classes, check=False)
            hits.append(predicted == y)
    finally:
        model.train(was_training)
    if getattr(getattr(loader, "shard", None), "world", 1) > 1:
        sum_across(confusion)
        sum_across(loss_sum)
    confusion = confusion.cpu()
    if int(confusion.sum()) == 0:
        raise ValueError("evaluate() got an empty loader: give it at least one batch")
    return Evaluation(accuracy=accuracy(confusion), loss=float(loss_sum) / int(confusion.sum()), confusion=confusion,
                      hits=torch.cat(hits).float().cpu())


def evaluate_ten_patches(model: nn.Module, loader: DeviceLoader, precision: Optional[str] = None) -> Evaluation:
    """Evaluate `model` as section 4.1 tests: the softmax averaged over ten patches of every image.

    `loader` gives the patches' size and, if it crops (`resize`), the side they are cut from; otherwise the
    images are resized in the paper's proportion (`resize_for`).
    """
    side = loader.resize or resize_for(loader.size)
    return evaluate(TenPatches(model, loader.size), loader.with_settings(size=side, resize=None, augment=False),
                    precision=precision)


# ----------------------------------------------------------------------------- training


class NonFiniteLossError(RuntimeError):
    """Training stopped because the loss became NaN or infinite."""


#: How often (in steps) the loop looks at the loss on the host: rarely, so GPUs never wait on it.
CHECK_EVERY = 25


@dataclass
class Step:
    """What `fit` hands an `on_step` callback after every optimiser step (tensors stay on the device)."""

    step: int  # steps done so far, counting from 1
    epoch: int  # 0-based
    images: int  # images seen so far
    seconds: float  # training seconds so far, evaluation excluded
    loss: torch.Tensor
    logits: torch.Tensor
    labels: torch.Tensor


def fit(model: nn.Module, train_loader: Any, test_loader: Any = None, *, epochs: int = 1,
        recipe: Union[str, Recipe] = "fast", lr: Optional[float] = None,
        device: Union[str, torch.device, None] = None, precision: Optional[str] = None, seed: int = 0,
        checkpoint: Union[str, Path, None] = None, resume: bool = False, overwrite: bool = False,
        reinit: bool = True, profile: Optional[str] = None, progress: bool = True, num_classes: int = 10,
        evaluate_on: Optional[Mapping[str, Any]] = None, on_step: Optional[Callable[[Step], bool]] = None,
        max_steps: Optional[int] = None, extra_config: Optional[dict[str, Any]] = None,
        pacer: Optional[Pacer] = None) -> History:
    """Train `model` on `train_loader` for `epochs`, evaluating on `test_loader` after each epoch.

    The loaders are `alexnet_lib.data.loader.DeviceLoader`s (anything iterable with `set_epoch`, `num_images`
    and `batch_size` works). `evaluate_on` names more loaders to evaluate (in eval mode) at each epoch end,
    recorded as `<name>_acc` and `<name>_loss`; the `paper` recipe's plateau watches `val_acc` when one of
    them is named "val" (a split of the training set), else the test accuracy. `on_step` sees every step
    and stops training by returning True. `max_steps` ends the run after that many steps (the schedule is
    planned for exactly that many); a `pacer` (`alexnet_lib.engine.budget.Pacer`) sets that number instead
    and re-plans it, and the epochs, as the run goes, recording each re-plan in the config. `precision`
    ("auto", "fp32", "bf16" or "fp16") forces a precision instead of the device's choice. With
    `checkpoint`, the state is written atomically at each epoch end; `resume=True` continues from it and
    reproduces the uninterrupted run (or starts fresh if there is none yet), and refuses if the settings
    differ from the checkpoint's. An existing checkpoint is never replaced unless `resume` or `overwrite`.

    Under torchrun (see `alexnet_lib.distributed`) the loaders are sharded, the model is wrapped in
    DistributedDataParallel, every loss is normalised by the global batch, so N processes take the same
    steps as one process with the same batch, and only rank 0 prints and writes the checkpoint.
    """
    recipe, device, numerics, total_steps, ckpt = _check_fit(
        train_loader, epochs, recipe, lr, device, precision, seed, checkpoint, resume, overwrite, reinit,
        evaluate_on, on_step, max_steps, pacer)
    shard, steps_per_epoch = current_shard(), len(train_loader)
    state = load_checkpoint(ckpt) if resume and ckpt.exists() else None
    history = History(config=_run_config(model, train_loader, test_loader, recipe, profile, epochs, seed, numerics,
                                         reinit, total_steps if max_steps is not None or pacer else None,
                                         shard, extra_config, pacer),
                      provenance=provenance(device))
    torch.manual_seed(seed)
    if reinit and state is None:  # the recipe's init is part of the recipe
        init_weights(model, recipe.init)
    model.to(device)
    if numerics.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, recipe)
    schedule = Schedule(recipe, optimizer, total_steps)
    scaler = torch.amp.GradScaler(device.type) if numerics.grad_scaler else None
    start_epoch = _restore(state, ckpt, model, optimizer, schedule, history) if state is not None else 0
    net = model
    if shard.world > 1:
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    # Large tensors are freed and re-allocated at every step: keep their memory in the process meanwhile.
    with keep_freed_memory(device):
        net.train()
        seconds = sum(e.get("train_seconds", 0.0) for e in history.epochs)
        images = start_epoch * getattr(train_loader, "num_images", 0)
        epoch, stopped = start_epoch, False
        # A pacer may lengthen or shorten the run as it goes: the loop reads `epochs` and the schedule afresh.
        while epoch < epochs and epoch * steps_per_epoch < schedule.total_steps and not stopped:
            if hasattr(train_loader, "set_epoch"):
                train_loader.set_epoch(epoch)
            if shard.world > 1:  # each process its own dropout masks, reproducible on --resume
                torch.manual_seed(seed * 1_000_003 + epoch * 1_009 + shard.rank)
            sums = _Sums(device)
            bar = tqdm(total=_planned(epoch, steps_per_epoch, schedule), desc=f"epoch {epoch + 1}/{epochs}",
                       disable=not progress or shard.rank, leave=True, unit="step")
            t0 = time.perf_counter()
            for i, (x, y) in enumerate(train_loader):
                step = epoch * steps_per_epoch + i
                schedule.before_step(step)
                if numerics.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)  # no-op when the loader did it
                with autocast(device, numerics):
                    logits = net(x)
                    loss, image_loss = _loss(logits, y, recipe, shard, train_loader, i)
                step_optimizer(loss, optimizer, scaler)
                sums.add(image_loss, logits, y, step)  # on the device: the host reads them every CHECK_EVERY steps
                bar.update(1)
                if on_step is not None:
                    now = seconds + time.perf_counter() - t0
                    stopped = _stop_asked(on_step, Step(step + 1, epoch, images + sums.seen, now, image_loss,
                                                        logits.detach(), y), device)
                planned_end = step + 1 >= schedule.total_steps
                if (i + 1) % CHECK_EVERY == 0 or i + 1 == steps_per_epoch or stopped or planned_end:
                    # From the second epoch on, this run wrote a checkpoint or resumed from one.
                    _stop_if_nonfinite(int(max_across(sums.first_bad)), recipe, ckpt is not None and epoch > 0)
                    if pacer is not None and pacer.due(step + 1):  # the device was just read: the time is true
                        schedule.total_steps = pacer.revise(step + 1, seconds + time.perf_counter() - t0)
                        epochs = math.ceil(schedule.total_steps / steps_per_epoch)
                        history.config.update(epochs=epochs, max_steps=schedule.total_steps, budget=pacer.to_dict())
                        planned_end = step + 1 >= schedule.total_steps
                        bar.total = _planned(epoch, steps_per_epoch, schedule)
                    if pacer is not None:
                        bar.set_postfix_str(f"plan {schedule.total_steps} steps, {images + sums.seen:,} images, "
                                            f"{_clock(pacer.seconds_left())} to the deadline", refresh=False)
                if stopped or planned_end:
                    break
            record, seen = _end_epoch(model, sums, epoch, epoch * steps_per_epoch + i + 1, t0, optimizer, schedule,
                                      test_loader, evaluate_on, num_classes, device, precision, bar)
            seconds, images = seconds + record["train_seconds"], images + seen
            history.epochs.append(record)
            if ckpt is not None and not stopped and shard.rank == 0:  # a part-epoch must not pass for a whole one
                save_checkpoint({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                 "plateau": schedule.state_dict(), "rng": torch.get_rng_state(), "epoch": epoch,
                                 "history": history.to_dict()}, ckpt)
            epoch += 1
    return history


# ----------------------------------------------------------------------------- fit's parts


def _planned(epoch: int, steps_per_epoch: int, schedule: Schedule) -> int:
    """The steps this epoch takes under the plan as it stands: a whole epoch, or what is left of the run."""
    return max(1, min(steps_per_epoch, schedule.total_steps - epoch * steps_per_epoch))


def _clock(seconds: float) -> str:
    """Seconds as m:ss (or h:mm:ss), negative when past."""
    sign, seconds = ("-" if seconds < 0 else ""), int(abs(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{sign}{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{sign}{rest // 60}:{rest % 60:02d}"


class _Sums:
    """One epoch's loss, correct answers, images and first non-finite step, kept on the device."""

    def __init__(self, device: torch.device) -> None:
        self.loss = torch.zeros((), dtype=torch.float64, device=device)
        self.correct = torch.zeros((), dtype=torch.long, device=device)
        self.first_bad = torch.full((), -1, dtype=torch.long, device=device)
        self.seen = 0

    def add(self, image_loss: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor, step: int) -> None:
        """Count one batch, with no host read."""
        self.loss += image_loss.double() * labels.shape[0]
        self.correct += (logits.detach().argmax(1) == labels).sum()
        self.seen += labels.shape[0]
        bad_now = ~torch.isfinite(image_loss)
        self.first_bad = torch.where(bad_now & (self.first_bad < 0), step, self.first_bad)


def _loss(logits: torch.Tensor, y: torch.Tensor, recipe: Recipe, shard: Any, train_loader: Any,
          i: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss to back-propagate, and the batch's mean loss per image (detached) to record."""
    if shard.world == 1:
        loss = F.cross_entropy(logits.float(), y, label_smoothing=recipe.label_smoothing)
        return loss, loss.detach()
    # DDP averages gradients over processes; a sum over this shard scaled by world / global batch makes that
    # average the gradient of the global batch's mean loss, even for a short last batch split unevenly.
    local = F.cross_entropy(logits.float(), y, label_smoothing=recipe.label_smoothing, reduction="sum")
    return local * (shard.world / train_loader.global_batch(i)), local.detach() / max(1, y.shape[0])


def _stop_asked(on_step: Callable[[Step], bool], step: Step, device: torch.device) -> bool:
    """What `on_step` answers; under torchrun one process asking to stop stops them all, at the same step."""
    stopped = bool(on_step(step))
    if current_shard().world > 1:
        stopped = bool(max_across(torch.tensor(int(stopped), device=device)))
    return stopped


def _end_epoch(model: nn.Module, sums: _Sums, epoch: int, steps: int, t0: float, optimizer: torch.optim.Optimizer,
               schedule: Schedule, test_loader: Any, evaluate_on: Optional[Mapping[str, Any]], num_classes: int,
               device: torch.device, precision: Optional[str], bar: Any) -> tuple[dict[str, Any], int]:
    """The epoch's record and its images: its sums across processes, then the evaluations the schedule may watch."""
    train_seconds = time.perf_counter() - t0
    seen_t = sum_across(torch.tensor([sums.seen], dtype=torch.float64, device=device))
    sum_across(sums.loss)
    sum_across(sums.correct)
    seen = int(seen_t.item())
    record = {"epoch": epoch + 1, "steps": steps, "train_loss": float(sums.loss) / seen,
              "train_acc": int(sums.correct) / seen, "lr": optimizer.param_groups[0]["lr"],
              "train_seconds": train_seconds, "images_per_s": seen / train_seconds}
    for name, loader in [*([("test", test_loader)] if test_loader is not None else []), *(evaluate_on or {}).items()]:
        ev = evaluate(model, loader, num_classes=num_classes, device=device, precision=precision)
        record[f"{name}_acc"], record[f"{name}_loss"] = ev.accuracy, ev.loss
    schedule.after_epoch(record.get("val_acc", record.get("test_acc")))
    record["seconds"] = time.perf_counter() - t0
    bar.set_postfix(loss=f"{record['train_loss']:.3f}", acc=f"{record['train_acc']:.3f}",
                    test=f"{record.get('test_acc', float('nan')):.3f}")
    bar.close()
    return record, seen


def _stop_if_nonfinite(first_bad_step: int, recipe: Recipe, kept_checkpoint: bool) -> None:
    if first_bad_step >= 0:
        rate = "peak learning rate" if recipe.schedule == "onecycle" else "learning rate"
        kept = "; the last epoch's checkpoint was kept" if kept_checkpoint else ""
        raise NonFiniteLossError(
            f"the training loss became NaN or infinite at step {first_bad_step} (counting from 0) with "
            f"{rate} {recipe.lr:g}: training stopped{kept}. Try a lower learning rate, e.g. lr={recipe.lr / 10:g}.")


def _check_fit(train_loader: Any, epochs: int, recipe: Union[str, Recipe], lr: Optional[float],
               device: Union[str, torch.device, None], precision: Optional[str], seed: int,
               checkpoint: Union[str, Path, None], resume: bool, overwrite: bool, reinit: bool,
               evaluate_on: Optional[Mapping[str, Any]], on_step: Any, max_steps: Optional[int],
               pacer: Optional[Pacer]) -> tuple[Recipe, torch.device, Precision, int, Optional[Path]]:
    """Every argument of `fit` checked before any work: the recipe, device, precision, steps and checkpoint."""
    check_int("epochs", epochs, 1, 10_000)
    check_int("seed", seed, 0)
    for name, flag in (("resume", resume), ("overwrite", overwrite), ("reinit", reinit)):
        check_bool(name, flag)
    if resume and overwrite:
        raise ValueError("resume=True continues the checkpoint and overwrite=True replaces it: choose one")
    if evaluate_on is not None and not (isinstance(evaluate_on, Mapping)
                                        and all(isinstance(k, str) for k in evaluate_on)):
        raise ValueError(f"evaluate_on={evaluate_on!r} must be a dict of name -> loader, e.g. {{'train_eval': train}}")
    if on_step is not None and not callable(on_step):
        raise ValueError(f"on_step={on_step!r} must be a function of one Step that returns True to stop")
    recipe = get_recipe(recipe, lr=lr)
    device = parse_device(device)
    numerics = choose_precision(device, precision)
    steps_per_epoch = len(train_loader)
    if steps_per_epoch < 1:
        raise ValueError("train_loader yields no batches: give it at least one image")
    if pacer is not None:
        if max_steps is not None:
            raise ValueError("give max_steps (a fixed length) or pacer (a budget that sets it), not both")
        if pacer.plan.steps_per_epoch != steps_per_epoch:
            raise ValueError(f"the pacer's plan has {pacer.plan.steps_per_epoch} steps per epoch but train_loader "
                             f"{steps_per_epoch}: plan for this loader (alexnet_lib.engine.budget.plan_budget)")
        max_steps = pacer.steps
    total_steps = steps_per_epoch * epochs
    if max_steps is not None:
        total_steps = min(total_steps, check_int("max_steps", max_steps, 1))
    shard = current_shard()
    if shard.world > 1 and getattr(getattr(train_loader, "shard", None), "world", 1) != shard.world:
        raise ValueError(f"this process is one of {shard.world} under torchrun, but train_loader is not sharded "
                         f"across them: build it with shard=alexnet_lib.distributed.current_shard()")
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if resume and ckpt is None:
        raise ValueError("resume=True needs checkpoint=PATH: the file a previous fit() wrote")
    if ckpt is not None and ckpt.is_dir():
        raise ValueError(f"checkpoint={str(ckpt)!r} is a folder; give a file path such as run/checkpoint.pt")
    if ckpt is not None and ckpt.exists() and not (resume or overwrite):
        raise ValueError(f"{ckpt} already holds another run's checkpoint; resume it (resume=True, "
                         f"--resume) or replace it (overwrite=True, --overwrite), or write somewhere else")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    return recipe, device, numerics, total_steps, ckpt


def _run_config(model: nn.Module, train_loader: Any, test_loader: Any, recipe: Recipe, profile: Optional[str],
                epochs: int, seed: int, numerics: Precision, reinit: bool, max_steps: Optional[int], shard: Any,
                extra_config: Optional[dict[str, Any]], pacer: Optional[Pacer]) -> dict[str, Any]:
    """What the run is, as recorded in its history and compared on --resume."""
    return {"model": type(model).__name__, "parameters": count_parameters(model),
            "recipe": recipe.name, "recipe_settings": asdict(recipe), "profile": profile,
            "epochs": epochs, "batch_size": getattr(train_loader, "batch_size", None),
            "size": getattr(train_loader, "size", None),
            "train_images": getattr(train_loader, "num_images", None),
            "test_images": getattr(test_loader, "num_images", None) if test_loader is not None else None,
            "seed": seed, "precision": numerics.label, "reinit": reinit,
            **({"max_steps": max_steps} if max_steps is not None else {}),
            **({"processes": shard.world} if shard.world > 1 else {}), **(extra_config or {}),
            **({"budget": pacer.to_dict()} if pacer is not None else {})}


def _restore(state: Mapping[str, Any], ckpt: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
             schedule: Schedule, history: History) -> int:
    """Continue from a checkpoint written with the same settings; the epoch to start from."""
    saved = state["history"].get("config", {})
    conflicts = [f"{k}: {saved.get(k)!r} -> {history.config.get(k)!r}" for k in sorted(set(saved) | set(history.config))
                 if saved.get(k) != history.config.get(k)]
    if conflicts:
        raise ValueError(f"{ckpt} was written with other settings than this run asks for ({'; '.join(conflicts)}); "
                         f"resume with the checkpoint's settings, or start a new run (another --out, or --overwrite)")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state.get("plateau"))
    torch.set_rng_state(state["rng"])
    history.epochs = state["history"]["epochs"]
    history.provenance = {**history.provenance, "resumed_after_epoch": state["epoch"] + 1}
    return state["epoch"] + 1
