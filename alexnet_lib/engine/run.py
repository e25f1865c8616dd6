"""`train`: Fashion-MNIST at 224x224 in one call (data, profile, measuring and planning a budget, then `fit`)."""

from __future__ import annotations

import contextlib
import copy
import math
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import distributed
from .._checks import check_int
from ..data.loader import DeviceLoader, fashion_mnist_splits
from ..device import parse_device
from ..distributed import current_shard, max_across
from ..files import folder_lock, remove_stale_temp_files
from ..net.model import AlexNet, alexnet_d2l
from .budget import Pacer, Speeds, check_minutes, plan_budget, smallest_budget, validation_images
from .host_memory import keep_freed_memory
from .loop import evaluate, fit
from .precision import choose_precision
from .profiles import Profile, choose_profile
from .recipes import Recipe, get_recipe
from .records import History, load_checkpoint, provenance


def _wait(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(model: nn.Module, train_loader: Any, eval_loader: Any, recipe: Recipe, device: torch.device,
            precision: Optional[str] = None, steps: int = 4, say: Optional[Callable[[str], None]] = None) -> Speeds:
    """Time `steps` training steps of `fit` (after two untimed) and two evaluation batches, on a copy of `model`.

    `say` (e.g. print) hears what is being measured before it starts, and what was found after.
    """
    check_int("steps", steps, 1, 100)
    t_start = time.perf_counter()
    if say is not None:
        say(f"measuring this machine: {steps + 3} training steps of {train_loader.batch_size} images and 3 "
            f"evaluation batches, on a copy of the model ...")
    net = copy.deepcopy(model)
    stamps: list[float] = []

    def stamp(step: Any) -> bool:
        _wait(device)
        stamps.append(time.perf_counter())
        return False

    # The first steps pay for kernel selection and memory growth; on a 2-core CPU, timing from the second
    # step and taking the median still overestimated a 30-minute run's steps by 11%, so: two untimed, the fastest.
    total = steps + 3
    fit(net, train_loader, None, epochs=math.ceil(total / len(train_loader)), recipe=recipe, device=device,
        precision=precision, reinit=False, progress=False, on_step=stamp, max_steps=total)
    step_seconds = min(b - a for a, b in zip(stamps[2:], stamps[3:]))
    batch = [next(iter(eval_loader))]
    rates = []
    with keep_freed_memory(device):  # as inside fit, where the run's evaluations happen
        for i in range(3):  # one untimed, then the faster of two
            _wait(device)
            t0 = time.perf_counter()
            evaluate(net, batch, device=device, precision=precision)
            if i:
                rates.append(batch[0][0].shape[0] / max(time.perf_counter() - t0, 1e-9))
    del net
    # Every process must plan the same run: plan for the slowest one.
    worst = max_across(torch.tensor([step_seconds, 1.0 / max(rates)], dtype=torch.float64, device=device)).tolist()
    shard = current_shard()
    if shard.world > 1:
        worst[1] /= shard.world  # each process evaluates 1/world of the images
    speeds = Speeds(worst[0], 1.0 / worst[1])
    if say is not None:
        rate = train_loader.batch_size / speeds.seconds_per_step
        say(f"measured in {time.perf_counter() - t_start:.0f} s: {rate:.1f} training images/s, "
            f"{speeds.eval_images_per_s:.0f} evaluated images/s")
    return speeds


def train(profile: Optional[str] = None, recipe: Union[str, Recipe] = "fast", epochs: Optional[int] = None,
          out: Union[str, Path, None] = None, model: Optional[nn.Module] = None,
          device: Union[str, torch.device, None] = None, resume: bool = False, overwrite: bool = False,
          precision: Optional[str] = None, seed: int = 0, lr: Optional[float] = None,
          root: Union[str, Path, None] = None, progress: bool = True, verbose: bool = True,
          minutes: Optional[float] = None, images: Optional[int] = None,
          dropout: Optional[float] = None) -> tuple[nn.Module, History]:
    """Train an AlexNet on Fashion-MNIST at 224x224 with a profile chosen by device; print the settings.

    `minutes` (or a profile with a budget, as `cpu`) sizes the run to that much wall-clock time on this
    machine: a few timed steps measure its speed, then the number of steps (and the learning-rate
    schedule with it) is planned to fill the budget; the plan and its predicted end are printed, and the
    run is re-planned at each tenth from the speed its steps really had, to end on time. `images`
    trains on a class-balanced subset of that many; `dropout` sets the classifier's dropout (default 0.5).
    Without `lr`, the recipe's rate is scaled by the profile's `lr_scale`, which suits its batch size.
    `precision` ("auto", "fp32", "bf16" or "fp16") overrides the device's choice. The profile's
    validation images are held out of training and evaluated as `val_acc` each epoch; with a budget, a
    subset of them sized to it, and the test set once, after the last step (both counted in the plan).
    Under torchrun, the processes train data-parallel and rank 0 alone prints and writes.

    With `out`, writes `out/history.json` and `out/checkpoint.pt` (atomically); a folder that already holds
    a run is refused unless `resume` (continue it, with its plan) or `overwrite` (replace it).
    """
    t_start = time.perf_counter()
    shard, device = distributed.start(parse_device(device))
    verbose = verbose and shard.rank == 0
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
    numerics = choose_precision(device, precision)
    out_dir = _check_out(out, resume, overwrite)
    ckpt = out_dir / "checkpoint.pt" if out_dir is not None else None
    check_int("seed", seed, 0, 2 ** 63 - 1)
    if device.type == "cpu" and precision == "fp16" and verbose:
        print("note: fp16 on a CPU is emulated and runs many times slower than fp32; it is here to try the path a "
              "GPU without bf16 (Colab's T4) takes, not to train")
    if model is not None and dropout is not None:
        raise ValueError("dropout= sets the dropout of the default alexnet_d2l; with your own model, set it there")
    default = model is None
    model_name = type(model).__name__ if model is not None else _default_name(prof)
    if model is None:
        model = _default_model(prof, dropout)
        dropout = model.config.dropout  # recorded even when defaulted, so a resume compares like with like
    splits = fashion_mnist_splits(
        batch_size=prof.batch_size, size=prof.size, device=device, validation=prof.validation,
        train_subset=images if images is not None else prof.train_subset, test_subset=prof.test_subset,
        seed=seed, root=root, channels_last=numerics.channels_last, shard=shard)
    with contextlib.ExitStack() as held:
        if out_dir is not None and shard.rank == 0:
            held.enter_context(_claim(out_dir))  # one run at a time; a refused run leaves no empty folder
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
        resumed_plan, max_steps, pacer, val = None, None, None, splits.val
        if saved is not None and (budget is not None or "budget" in saved):
            resumed_plan, max_steps, n_epochs = _resumed_length(saved, ckpt, minutes, n_epochs, verbose)
            val = _validation_subset(splits.val, resumed_plan.get("eval_images_per_epoch") if resumed_plan else None)
        elif budget is not None:
            speeds = measure(model, splits.train, splits.test, rec, device, precision, say=print if verbose else None)
            n_val = validation_images(budget, speeds, val_images, len(splits.train)) if val_images else 0
            val = _validation_subset(splits.val, n_val)
            plan = plan_budget(budget, speeds, len(splits.train), prof.batch_size, splits.train.num_images, n_val,
                               spent_seconds=time.perf_counter() - t_start, final_eval_images=splits.test.num_images)
            n_epochs = plan.epochs
            pacer = Pacer(plan, deadline=t_start + budget * 60, device=device, say=tqdm.write if verbose else None)
            if verbose:
                print(plan.text())
                if n_val:
                    print(f"validation: {n_val:,} of the {val_images:,} held-out images at each epoch's end (standard "
                          f"error of an accuracy near 90%: {100 * math.sqrt(0.09 / n_val):.1f} points); the "
                          f"{splits.test.num_images:,} test images once, at the end")
                print(f"the smallest budget that trains here: "
                      f"{smallest_budget(speeds, n_val, plan.spent_seconds, splits.test.num_images):g} min")
        if resumed_plan is None and pacer is None and verbose:
            print(f"{n_epochs} epoch(s)")
        budgeted = pacer is not None or resumed_plan is not None  # the test set once at the end, not every epoch
        extra = {"model": model_name, **({"dropout": dropout} if default else {}),
                 **({"budget": resumed_plan} if resumed_plan is not None else {})}
        history = fit(model, splits.train, None if budgeted else splits.test, epochs=n_epochs, recipe=rec,
                      device=device, precision=precision, seed=seed, checkpoint=ckpt, resume=resume,
                      overwrite=overwrite, profile=prof.name, progress=progress,
                      evaluate_on={"val": val} if val is not None else None, max_steps=max_steps, pacer=pacer,
                      extra_config=extra)
        if budgeted and history.epochs:
            test = evaluate(model, splits.test, device=device, precision=precision)
            history.epochs[-1].update(test_acc=test.accuracy, test_loss=test.loss)
            history.config["final_test_images"] = splits.test.num_images
        # This process's wall time: after a resume, the time of the part it ran.
        history.provenance["wall_seconds"] = time.perf_counter() - t_start
        if out_dir is not None and shard.rank == 0:
            history.save(out_dir / "history.json")
        if verbose:
            print(history.summary())
            if "budget" in history.config:
                print(history.budget_summary())
    return model, history


def _default_name(prof: Profile) -> str:
    """The name a run records for the default network: alexnet_d2l, or a narrower one for the smoke profile."""
    return "alexnet_d2l" if prof.hidden is None else f"alexnet_d2l_hidden{prof.hidden}"


def _default_model(prof: Profile, dropout: Optional[float]) -> AlexNet:
    """alexnet_d2l with the profile's width of hidden FC layers (smoke's is narrower, so its checkpoint is small)."""
    build = alexnet_d2l if dropout is None else lambda: alexnet_d2l(dropout=dropout)
    if prof.hidden is None:
        return build()
    with torch.device("meta"), torch.random.fork_rng(devices=[]):  # its configuration only: no weights, no draws
        config = build().config
    return AlexNet(replace(config, hidden=prof.hidden))


def _validation_subset(val: Any, n: Optional[int]) -> Any:
    """The first `n` images' worth of the validation loader as a class-balanced subset (all of it for None)."""
    if val is None or n is None or n >= val.num_images:
        return val
    return DeviceLoader(val.images, val.labels, batch_size=val.batch_size, size=val.size, device=val.device,
                        subset=n, channels_last=val.channels_last, shard=val.shard)


def _check_out(out: Union[str, Path, None], resume: bool, overwrite: bool) -> Optional[Path]:
    """`out` as a folder that may take this run: refused if it is a file, or holds a run not to be continued."""
    if out is None:
        return None
    out_dir = Path(out).expanduser()  # a quoted '~/runs' means the home folder, as unquoted it would
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out={str(out_dir)!r} is a file; give a folder for history.json and checkpoint.pt")
    if resume and overwrite:
        raise ValueError("resume continues the run in out and overwrite replaces it: choose one")
    for name in ("history.json", "checkpoint.pt"):
        if (out_dir / name).is_dir():
            raise ValueError(f"{out_dir / name} is a folder, so the run could not be saved there; move it away or "
                             f"choose another folder")
    if resume and (out_dir / "history.json").exists() and not (out_dir / "checkpoint.pt").exists():
        raise ValueError(f"{out_dir} holds history.json but no checkpoint.pt, so there is nothing to resume, and "
                         f"starting afresh would replace that history; replace it with overwrite=True (--overwrite), "
                         f"or choose another folder")
    if not (resume or overwrite) and ((out_dir / "history.json").exists() or (out_dir / "checkpoint.pt").exists()):
        raise ValueError(f"{out_dir} already holds a run; continue it with resume=True (--resume), replace it "
                         f"with overwrite=True (--overwrite), or choose another folder")
    return out_dir


@contextlib.contextmanager
def _claim(out_dir: Path) -> Iterator[None]:
    """Hold `out_dir` for this run: created and proved writable now, locked while the run lasts, and removed again
    if this run created it and fails before writing anything there."""
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out_dir).close()  # an unwritable folder found now, not after an epoch
    except OSError as e:
        raise ValueError(f"out={str(out_dir)!r} cannot be written ({e.strerror or e}); choose a folder you "
                         f"can write") from None
    try:
        with folder_lock(out_dir):
            remove_stale_temp_files(out_dir)
            yield
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if empty: whatever the run wrote stays
        raise


def _resumed_length(saved: dict[str, Any], ckpt: Path, minutes: Optional[float], n_epochs: int,
                    verbose: bool) -> tuple[Optional[dict[str, Any]], Optional[int], int]:
    """A resumed run's plan, steps and epochs: the plan it had (re-planned as it went), or its fixed epochs."""
    if "budget" in saved:
        if minutes is not None and minutes != saved["budget"]["minutes"]:
            raise ValueError(f"{ckpt} was planned for {saved['budget']['minutes']:g} minutes; resume it without "
                             f"--minutes (it keeps its plan), or start a new run with --overwrite")
        if verbose:
            print(f"resuming the planned run: {saved['max_steps']} steps over {saved['epochs']} epoch(s)")
        return saved["budget"], saved["max_steps"], saved["epochs"]
    if minutes is not None:
        raise ValueError(f"{ckpt} was started with epochs={saved.get('epochs')}, not a time budget; resume it "
                         f"with --epochs {saved.get('epochs')}, or start a new run with --overwrite")
    return None, None, saved.get("epochs", n_epochs)  # the profile's budget gives way to the run's epochs
