"""The training engine: `evaluate`, the one training loop `fit`, and `train` (Fashion-MNIST at 224x224 in one call).

Profiles and precision live in `alexnet_lib.devices`, recipes in `alexnet_lib.recipes`; what a run leaves on
disk (history, checkpoints, provenance) is written through `alexnet_lib.records`.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Union

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ._checks import check_bool, check_int
from .budget import Pacer, check_minutes, measure, plan_budget
from .devices import (PROFILES, Precision, autocast, choose_precision, choose_profile, cpu_has_bf16,  # noqa: F401
                      default_device, parse_device)
from .distributed import current_shard, max_across, sum_across
from .host_memory import keep_freed_memory
from .metrics import accuracy, confusion_matrix
from .model import count_parameters, init_weights
from .recipes import RECIPES, Recipe, get_recipe, lr_at, make_optimizer, step_optimizer  # noqa: F401
from .records import History, load_checkpoint, provenance, remove_stale_temp_files, save_checkpoint  # noqa: F401

# ----------------------------------------------------------------------------- evaluation


@dataclass
class Evaluation:
    """Accuracy, mean loss and the confusion matrix (rows: true class, columns: predicted)."""

    accuracy: float
    loss: float
    confusion: torch.Tensor


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, num_classes: int = 10, fast: bool = True,
             device: Union[str, torch.device, None] = None, precision: Optional[str] = None) -> Evaluation:
    """Accuracy, loss and confusion matrix of `model` on every batch of `loader`, in eval mode.

    A loader sharded across torchrun's processes is evaluated a share per process and the counts summed.
    """
    check_int("num_classes", num_classes, 2, 100_000)
    check_bool("fast", fast)
    first = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    if first is None:
        raise ValueError(f"model={type(model).__name__} must be a torch.nn.Module with parameters to evaluate")
    device = parse_device(device) if device is not None else first.device
    numerics = choose_precision(device, fast, precision)
    was_training = model.training
    model.eval()
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    try:
        for x, y in loader:
            with autocast(device, numerics):
                logits = model(x)
            if logits.shape[-1] != num_classes:
                raise ValueError(f"the model gives {logits.shape[-1]} class scores but num_classes={num_classes}")
            loss_sum += F.cross_entropy(logits.float(), y, reduction="sum").double()
            confusion += confusion_matrix(y, logits.argmax(1), num_classes, check=False)
    finally:
        model.train(was_training)
    if getattr(getattr(loader, "shard", None), "world", 1) > 1:
        sum_across(confusion)
        sum_across(loss_sum)
    confusion = confusion.cpu()
    if int(confusion.sum()) == 0:
        raise ValueError("evaluate() got an empty loader: give it at least one batch")
    return Evaluation(accuracy=accuracy(confusion), loss=float(loss_sum) / int(confusion.sum()), confusion=confusion)


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


def _resume_conflicts(saved: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """The settings a resumed run would change, as 'key: checkpoint value -> requested value'."""
    keys = sorted(set(saved) | set(now))
    return [f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in keys if saved.get(k) != now.get(k)]


def fit(model: nn.Module, train_loader: Any, test_loader: Any = None, *, epochs: int = 1,
        recipe: Union[str, Recipe] = "fast", lr: Optional[float] = None,
        device: Union[str, torch.device, None] = None, fast: bool = True, seed: int = 0,
        checkpoint: Union[str, Path, None] = None, resume: bool = False, overwrite: bool = False,
        reinit: bool = True, profile: Optional[str] = None, progress: bool = True, num_classes: int = 10,
        evaluate_on: Optional[Mapping[str, Any]] = None, on_step: Optional[Callable[[Step], bool]] = None,
        max_steps: Optional[int] = None, precision: Optional[str] = None,
        extra_config: Optional[dict[str, Any]] = None, pacer: Optional[Pacer] = None) -> History:
    """Train `model` on `train_loader` for `epochs`, evaluating on `test_loader` after each epoch.

    The loaders are `alexnet_lib.loader.DeviceLoader`s (anything iterable with `set_epoch`, `num_images`
    and `batch_size` works). `evaluate_on` names more loaders to evaluate (in eval mode) at each epoch end,
    recorded as `<name>_acc` and `<name>_loss`; the `paper` recipe's plateau watches `val_acc` when one of
    them is named "val" (a split of the training set), else the test accuracy. `on_step` sees every step
    and stops training by returning True. `max_steps` ends the run after that many steps (the schedule is
    planned for exactly that many); a `pacer` (`alexnet_lib.budget.Pacer`) sets that number instead and
    re-plans it, and the epochs, as the run goes, recording each re-plan in the config. `precision`
    forces "fp32", "bf16" or "fp16" instead of the device's choice. With `checkpoint`, the state is
    written atomically at each epoch end; `resume=True` continues from it and reproduces the
    uninterrupted run (or starts fresh if there is none yet), and refuses if the settings differ from the
    checkpoint's. An existing checkpoint is never replaced unless `resume` or `overwrite`.

    Under torchrun (see `alexnet_lib.distributed`) the loaders are sharded, the model is wrapped in
    DistributedDataParallel, every loss is normalised by the global batch, so N processes take the same
    steps as one process with the same batch, and only rank 0 prints and writes the checkpoint.
    """
    check_int("epochs", epochs, 1, 10_000)
    check_int("seed", seed, 0)
    for name, flag in (("resume", resume), ("overwrite", overwrite), ("fast", fast), ("reinit", reinit)):
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
    numerics = choose_precision(device, fast, precision)
    steps_per_epoch = len(train_loader)
    if steps_per_epoch < 1:
        raise ValueError("train_loader yields no batches: give it at least one image")
    if pacer is not None:
        if max_steps is not None:
            raise ValueError("give max_steps (a fixed length) or pacer (a budget that sets it), not both")
        if pacer.plan.steps_per_epoch != steps_per_epoch:
            raise ValueError(f"the pacer's plan has {pacer.plan.steps_per_epoch} steps per epoch but train_loader "
                             f"{steps_per_epoch}: plan for this loader (alexnet_lib.budget.plan_budget)")
        max_steps = pacer.steps
    total_steps = steps_per_epoch * epochs
    if max_steps is not None:
        total_steps = min(total_steps, check_int("max_steps", max_steps, 1))
    shard = current_shard()
    if shard.world > 1 and getattr(getattr(train_loader, "shard", None), "world", 1) != shard.world:
        raise ValueError(f"this process is one of {shard.world} under torchrun, but train_loader is not sharded "
                         f"across them: build it with shard=alexnet_lib.distributed.current_shard()")
    progress = progress and shard.rank == 0
    ckpt_path = Path(checkpoint) if checkpoint is not None else None
    if resume and ckpt_path is None:
        raise ValueError("resume=True needs checkpoint=PATH: the file a previous fit() wrote")
    if ckpt_path is not None and ckpt_path.is_dir():
        raise ValueError(f"checkpoint={str(ckpt_path)!r} is a folder; give a file path such as run/checkpoint.pt")
    if ckpt_path is not None and ckpt_path.exists() and not (resume or overwrite):
        raise ValueError(f"{ckpt_path} already holds another run's checkpoint; resume it (resume=True, "
                         f"--resume) or replace it (overwrite=True, --overwrite), or write somewhere else")
    state = load_checkpoint(ckpt_path) if resume and ckpt_path.exists() else None
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    history = History(
        config={"model": type(model).__name__,
                "parameters": count_parameters(model),
                "recipe": recipe.name, "recipe_settings": asdict(recipe), "profile": profile,
                "epochs": epochs, "batch_size": getattr(train_loader, "batch_size", None),
                "size": getattr(train_loader, "size", None),
                "train_images": getattr(train_loader, "num_images", None),
                "test_images": getattr(test_loader, "num_images", None) if test_loader is not None else None,
                "seed": seed, "precision": numerics.label, "reinit": reinit,
                **({"max_steps": total_steps} if max_steps is not None else {}),
                **({"processes": shard.world} if shard.world > 1 else {}), **(extra_config or {}),
                **({"budget": pacer.to_dict()} if pacer is not None else {})},
        provenance=provenance(device),
    )
    if state is not None:
        conflicts = _resume_conflicts(state["history"].get("config", {}), history.config)
        if conflicts:
            raise ValueError(f"{ckpt_path} was written with other settings than this run asks for "
                             f"({'; '.join(conflicts)}); resume with the checkpoint's settings, or start a new "
                             f"run (another --out, or --overwrite)")

    torch.manual_seed(seed)
    if reinit and state is None:  # the recipe's init is part of the recipe
        init_weights(model, recipe.init)
    model.to(device)
    if numerics.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, recipe)
    scaler = torch.amp.GradScaler(device.type) if numerics.grad_scaler else None
    plateau = (torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.1, patience=0)
               if recipe.schedule == "plateau" else None)
    start_epoch = 0
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if plateau is not None and state.get("plateau") is not None:
            plateau.load_state_dict(state["plateau"])
        torch.set_rng_state(state["rng"])
        history.epochs = state["history"]["epochs"]
        history.provenance = {**history.provenance, "resumed_after_epoch": state["epoch"] + 1}
        start_epoch = state["epoch"] + 1
    net = model
    if shard.world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)

    # Large tensors are freed and re-allocated at every step: keep their memory in the process meanwhile.
    with keep_freed_memory(device):
        net.train()
        seconds = sum(e.get("train_seconds", 0.0) for e in history.epochs)
        images = start_epoch * getattr(train_loader, "num_images", 0)
        stopped = False
        epoch = start_epoch
        # A pacer may lengthen or shorten the run as it goes: the loop reads `epochs` and `total_steps` afresh.
        while epoch < epochs and epoch * steps_per_epoch < total_steps and not stopped:
            if hasattr(train_loader, "set_epoch"):
                train_loader.set_epoch(epoch)
            if shard.world > 1:  # each process its own dropout masks, reproducible on --resume
                torch.manual_seed(seed * 1_000_003 + epoch * 1_009 + shard.rank)
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
                if numerics.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)  # no-op when the loader did it
                with autocast(device, numerics):
                    logits = net(x)
                    if shard.world > 1:
                        # DDP averages gradients over processes; a sum over this shard scaled by world / global
                        # batch makes that average the gradient of the global batch's mean loss, even for a
                        # short last batch split unevenly.
                        local = F.cross_entropy(logits.float(), y, label_smoothing=recipe.label_smoothing,
                                                reduction="sum")
                        loss = local * (shard.world / train_loader.global_batch(i))
                    else:
                        loss = F.cross_entropy(logits.float(), y, label_smoothing=recipe.label_smoothing)
                step_optimizer(loss, optimizer, scaler)
                # Accumulate on the device; the host reads these only every CHECK_EVERY steps.
                loss_d = loss.detach() if shard.world == 1 else local.detach() / max(1, y.shape[0])
                loss_sum += loss_d.double() * y.shape[0]
                correct += (logits.detach().argmax(1) == y).sum()
                seen += y.shape[0]
                bad_now = ~torch.isfinite(loss_d)
                first_bad = torch.where(bad_now & (first_bad < 0), step, first_bad)
                bar.update(1)
                if on_step is not None:
                    images_now = images + seen
                    stopped = bool(on_step(Step(step + 1, epoch, images_now, seconds + time.perf_counter() - t0,
                                                loss_d, logits.detach(), y)))
                    if shard.world > 1:  # one process asking to stop stops them all, at the same step
                        stopped = bool(max_across(torch.tensor(int(stopped), device=device)))
                planned_end = step + 1 >= total_steps
                if (i + 1) % CHECK_EVERY == 0 or i + 1 == steps_per_epoch or stopped or planned_end:
                    # From the second epoch on, this run wrote a checkpoint or resumed from one.
                    _stop_if_nonfinite(int(max_across(first_bad)), recipe, ckpt_path is not None and epoch > 0)
                    if pacer is not None and pacer.due(step + 1):  # the device was just read: the time is true
                        total_steps = pacer.revise(step + 1, seconds + time.perf_counter() - t0)
                        epochs = math.ceil(total_steps / steps_per_epoch)
                        history.config.update(epochs=epochs, max_steps=total_steps, budget=pacer.to_dict())
                        planned_end = step + 1 >= total_steps
                if stopped or planned_end:
                    break
            train_seconds = time.perf_counter() - t0
            seen_t = sum_across(torch.tensor([seen], dtype=torch.float64, device=device))
            sum_across(loss_sum)
            sum_across(correct)
            seen = int(seen_t.item())
            seconds += train_seconds
            images += seen
            record = {"epoch": epoch + 1, "steps": epoch * steps_per_epoch + i + 1,
                      "train_loss": float(loss_sum) / seen, "train_acc": int(correct) / seen,
                      "lr": optimizer.param_groups[0]["lr"], "train_seconds": train_seconds,
                      "images_per_s": seen / train_seconds}
            if test_loader is not None:
                ev = evaluate(model, test_loader, num_classes=num_classes, fast=fast, device=device,
                              precision=precision)
                record["test_acc"], record["test_loss"] = ev.accuracy, ev.loss
            for name, loader in (evaluate_on or {}).items():
                ev = evaluate(model, loader, num_classes=num_classes, fast=fast, device=device, precision=precision)
                record[f"{name}_acc"], record[f"{name}_loss"] = ev.accuracy, ev.loss
            watched = record.get("val_acc", record.get("test_acc"))
            if plateau is not None and watched is not None:
                plateau.step(watched)
            record["seconds"] = time.perf_counter() - t0
            bar.set_postfix(loss=f"{record['train_loss']:.3f}", acc=f"{record['train_acc']:.3f}",
                            test=f"{record.get('test_acc', float('nan')):.3f}")
            bar.close()
            history.epochs.append(record)
            if ckpt_path is not None and not stopped and shard.rank == 0:  # a part-epoch must not pass for a whole one
                save_checkpoint({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                 "plateau": plateau.state_dict() if plateau is not None else None,
                                 "rng": torch.get_rng_state(), "epoch": epoch,
                                 "history": history.to_dict()}, ckpt_path)
            epoch += 1
    return history


def _stop_if_nonfinite(first_bad_step: int, recipe: Recipe, kept_checkpoint: bool) -> None:
    if first_bad_step >= 0:
        rate = "peak learning rate" if recipe.schedule == "onecycle" else "learning rate"
        kept = "; the last epoch's checkpoint was kept" if kept_checkpoint else ""
        raise NonFiniteLossError(
            f"the training loss became NaN or infinite at step {first_bad_step} (counting from 0) with "
            f"{rate} {recipe.lr:g}: training stopped{kept}. Try a lower learning rate, e.g. lr={recipe.lr / 10:g}.")


# ----------------------------------------------------------------------------- one call


def train(profile: Optional[str] = None, recipe: Union[str, Recipe] = "fast", epochs: Optional[int] = None,
          out: Union[str, Path, None] = None, model: Optional[nn.Module] = None,
          device: Union[str, torch.device, None] = None, resume: bool = False, overwrite: bool = False,
          fast: bool = True, seed: int = 0, lr: Optional[float] = None, root: Union[str, Path, None] = None,
          progress: bool = True, verbose: bool = True, minutes: Optional[float] = None,
          images: Optional[int] = None, dropout: Optional[float] = None,
          precision: Optional[str] = None) -> tuple[nn.Module, History]:
    """Train an AlexNet on Fashion-MNIST at 224x224 with a profile chosen by device; print the settings.

    `minutes` (or a profile with a budget, as `cpu`) sizes the run to that much wall-clock time on this
    machine: a few timed steps measure its speed, then the number of steps (and the learning-rate
    schedule with it) is planned to fill the budget; the plan and its predicted end are printed, and the
    run is re-planned at each tenth from the speed its steps really had, to end on time. `images`
    trains on a class-balanced subset of that many; `dropout` sets the classifier's dropout (default 0.5).
    Without `lr`, the recipe's rate is scaled by the profile's `lr_scale`, which suits its batch size.
    The profile's validation images are held out of training and evaluated as `val_acc` each epoch.
    Under torchrun, the processes train data-parallel and rank 0 alone prints and writes.

    With `out`, writes `out/history.json` and `out/checkpoint.pt` (atomically); a folder that already holds
    a run is refused unless `resume` (continue it, with its plan) or `overwrite` (replace it).
    """
    from . import distributed
    from .loader import fashion_mnist_splits
    from .model import alexnet_d2l

    t_start = time.perf_counter()
    shard, device = distributed.start(parse_device(device))
    main = shard.rank == 0
    verbose = verbose and main
    prof = choose_profile(profile, device)
    if minutes is not None and epochs is not None:
        raise ValueError("give minutes (a time budget) or epochs (a fixed length), not both")
    budget = minutes if minutes is not None else (prof.minutes if epochs is None else None)
    if budget is not None:
        check_minutes(budget)  # now, not after a minute of measuring
    n_epochs = check_int("epochs", epochs, 1, 10_000) if epochs is not None else prof.epochs
    if images is not None:
        check_int("images", images, 1, hint=" (training images, drawn class-balanced)")
    rec = get_recipe(recipe, lr=lr)
    if lr is None:
        rec = replace(rec, lr=rec.lr * prof.lr_scale)
    numerics = choose_precision(device, fast, precision)
    if not fast and precision not in (None, "auto", "fp32"):
        raise ValueError(f"fast=False (--no-fast) asks for fp32 but precision={precision!r} for {precision}: give one "
                         f"of them")
    out_dir = Path(out) if out is not None else None
    ckpt = out_dir / "checkpoint.pt" if out_dir is not None else None
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise ValueError(f"out={str(out_dir)!r} is a file; give a folder for history.json and checkpoint.pt")
        if resume and overwrite:
            raise ValueError("resume continues the run in out and overwrite replaces it: choose one")
        if not (resume or overwrite) and ((out_dir / "history.json").exists() or ckpt.exists()):
            raise ValueError(f"{out_dir} already holds a run; continue it with resume=True (--resume), replace it "
                             f"with overwrite=True (--overwrite), or choose another folder")
    check_int("seed", seed, 0)
    if model is not None and dropout is not None:
        raise ValueError("dropout= sets the dropout of the default alexnet_d2l; with your own model, set it there")
    model_name = type(model).__name__ if model is not None else "alexnet_d2l"
    if model is None:
        model = alexnet_d2l() if dropout is None else alexnet_d2l(dropout=dropout)
        dropout = model.config.dropout  # recorded even when defaulted, so a resume compares like with like
    splits = fashion_mnist_splits(
        batch_size=prof.batch_size, size=prof.size, device=device, validation=prof.validation,
        train_subset=images if images is not None else prof.train_subset, test_subset=prof.test_subset,
        seed=seed, root=root, channels_last=numerics.channels_last, shard=shard)
    if out_dir is not None and main:
        try:  # find an unwritable folder now, not after an epoch of training
            out_dir.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=out_dir).close()
        except OSError as e:
            raise ValueError(f"out={str(out_dir)!r} cannot be written ({e.strerror or e}); choose a folder you "
                             f"can write") from None
        remove_stale_temp_files(out_dir)
    val_images = splits.val.num_images if splits.val is not None else 0
    if verbose:
        print(f"profile {prof.name} ({prof.description}) · device {device} ({provenance(device)['device_name']})"
              + (f" · {shard.world} processes" if shard.world > 1 else "") + "\n"
              f"{splits.train.num_images} train / {val_images} validation / {splits.test.num_images} test images "
              f"at {prof.size}x{prof.size} · batch {prof.batch_size} · recipe {rec.name} (lr {rec.lr:g}) · "
              f"{numerics.label}")
    saved = None
    if resume and ckpt is not None and ckpt.exists():
        # Only the settings are wanted here (fit reads the weights): mapped, the 375 MB are not read twice.
        saved = load_checkpoint(ckpt, mmap=True).get("history", {}).get("config", {})
    resumed_plan, max_steps, pacer = None, None, None
    if saved is not None and "budget" in saved:  # a resumed run keeps the plan it had, re-planned as it went
        if minutes is not None and minutes != saved["budget"]["minutes"]:
            raise ValueError(f"{ckpt} was planned for {saved['budget']['minutes']:g} minutes; resume it without "
                             f"--minutes (it keeps its plan), or start a new run with --overwrite")
        resumed_plan, max_steps, n_epochs = saved["budget"], saved["max_steps"], saved["epochs"]
        if verbose:
            print(f"resuming the planned run: {max_steps} steps over {n_epochs} epoch(s)")
    elif saved is not None and budget is not None:
        if minutes is not None:
            raise ValueError(f"{ckpt} was started with epochs={saved.get('epochs')}, not a time budget; resume it "
                             f"with --epochs {saved.get('epochs')}, or start a new run with --overwrite")
        budget, n_epochs = None, saved.get("epochs", n_epochs)  # the profile's budget gives way to the run's epochs
    elif budget is not None:
        speeds = measure(model, splits.train, splits.test, rec, device, fast, precision)
        made = plan_budget(budget, speeds, len(splits.train), prof.batch_size, splits.train.num_images,
                           val_images + splits.test.num_images, spent_seconds=time.perf_counter() - t_start)
        n_epochs = made.epochs
        pacer = Pacer(made, deadline=t_start + budget * 60, device=device, say=tqdm.write if verbose else None)
        if verbose:
            print(made.text())
    if resumed_plan is None and pacer is None and verbose:
        print(f"{n_epochs} epoch(s)")
    history = fit(model, splits.train, splits.test, epochs=n_epochs, recipe=rec, device=device, fast=fast,
                  seed=seed, checkpoint=ckpt, resume=resume, overwrite=overwrite, profile=prof.name,
                  progress=progress, evaluate_on={"val": splits.val} if splits.val is not None else None,
                  max_steps=max_steps, precision=precision, pacer=pacer,
                  extra_config={"model": model_name, **({"dropout": dropout} if model_name == "alexnet_d2l" else {}),
                                **({"budget": resumed_plan} if resumed_plan is not None else {})})
    # This process's wall time: after a resume, the time of the part it ran.
    history.provenance["wall_seconds"] = time.perf_counter() - t_start
    if out_dir is not None and main:
        history.save(out_dir / "history.json")
    if verbose:
        print(history.summary())
        if "budget" in history.config:
            print(history.budget_summary())
    return model, history
