"""Command line: `python -m alexnet_lib {train,data,bench,analyse,record,stamp,execute,student}`.

Every library error becomes one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from .engine.precision import PRECISIONS
from .engine.profiles import PROFILES
from .engine.recipes import RECIPES
from .experiments import EXPERIMENTS


def _train(args: argparse.Namespace) -> int:
    from . import distributed
    from .engine.run import train

    if args.nproc != 1 and not distributed.launched_by_torchrun():
        argv = [a for i, a in enumerate(args.argv) if not (a == "--nproc" or a.startswith("--nproc=") or
                                                            (i and args.argv[i - 1] == "--nproc"))]
        return distributed.launch(args.nproc, argv)  # its processes see WORLD_SIZE and train below

    out = Path(args.out).expanduser() if args.out else Path("runs-local") / f"{args.profile or 'auto'}-{args.recipe}"
    try:
        train(profile=args.profile, recipe=args.recipe, epochs=args.epochs, out=out, device=args.device,
              resume=args.resume, overwrite=args.overwrite, seed=args.seed, lr=args.lr,
              progress=not args.no_progress, minutes=args.minutes, images=args.images, dropout=args.dropout,
              precision=args.precision)
        if distributed.is_main():
            print(f"wrote {out / 'history.json'} and {out / 'checkpoint.pt'}")
    finally:
        distributed.stop()
    return 0


def _data(args: argparse.Namespace) -> int:
    from .data.fashion_mnist import describe_data, load_fashion_mnist

    load_fashion_mnist(root=args.root, download=not args.no_fetch)
    print(describe_data(args.root))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .experiments.bench import run_benchmark
    from .files import check_output_file

    out = check_output_file(args.out, "--out") if args.out else None  # now, not after minutes of measuring
    result = run_benchmark(images=args.images, batch_size=args.batch_size, workers=args.workers,
                           device=args.device, precision=args.precision)
    print(result.report())
    if out is not None:
        print(f"wrote {result.save(out)}")
    return 0


def _analyse(args: argparse.Namespace) -> int:
    from .engine.records import History
    from .files import check_output_file, write_checked_json
    from .toolkits.analysis import analyse, model_from_checkpoint

    run = Path(args.run).expanduser()
    if not run.is_dir():
        raise ValueError(f"{run} is not a folder written by `train --out` (history.json and checkpoint.pt)")
    out = check_output_file(args.out if args.out else run / "analysis.json", "--out")
    history = History.load(run / "history.json")
    model = model_from_checkpoint(run / "checkpoint.pt")
    print(f"analysing {run}: predictions and features of the 10,000 test images and of the neighbour pool, then "
          f"the nearest neighbours (a few minutes on a CPU) ...", flush=True)
    record = analyse(model, history.to_dict())
    # written with its checksum, as data/runs/*_analysis.json must be to load
    print(f"test accuracy {record['test_accuracy']:.4f}; wrote {write_checked_json(out, record, indent=None)}")
    return 0


def _record(args: argparse.Namespace) -> int:
    import importlib

    from .engine.records import RUNS_DIR
    from .files import check_output_file

    module = importlib.import_module(f".experiments.{args.experiment}", __package__)
    suffix = "" if args.scale == "cpu" else f"_{args.scale}"
    out = check_output_file(args.out if args.out else RUNS_DIR / f"{args.experiment}{suffix}.json", "--out")
    module.EXPERIMENT.run(args.scale, out=out)
    print(f"wrote {out}")
    return 0


def _execute(args: argparse.Namespace) -> int:
    from .book.notebooks import execute

    for nb in args.notebooks:
        print(f"executing {nb} ...", flush=True)
        print(f"wrote {execute(nb, profile=args.profile)}")
    return 0


def _student(args: argparse.Namespace) -> int:
    from .book.student import make_student_notebooks

    for path in make_student_notebooks(args.notebooks, args.out):
        print(f"wrote {path}")
    return 0


def _stamp(args: argparse.Namespace) -> int:
    from .files import stamp_json

    for path in args.files:
        print(stamp_json(path, force=args.force))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m alexnet_lib", description="AlexNet, rebuilt: the course library.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train alexnet_d2l on Fashion-MNIST at 224x224 (data-parallel with --nproc N, "
                                     "or under torchrun --nproc_per_node=N -m alexnet_lib train ...)")
    t.add_argument("--profile", choices=list(PROFILES), help="default: $ALEXNET_PROFILE, else by device")
    t.add_argument("--recipe", default="fast", choices=list(RECIPES))
    t.add_argument("--epochs", type=int, help="default: the profile's")
    t.add_argument("--minutes", type=float,
                   help="a time budget instead of epochs: measure this machine, then train as much as fits")
    t.add_argument("--images", type=int, help="train on a class-balanced subset of this many images")
    t.add_argument("--dropout", type=float, help="the classifier's dropout probability (default 0.5)")
    t.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="force a numeric precision (default: the device's best; fp32 is plain fp32, no autocast or "
                        "channels_last; fp16 uses loss scaling)")
    t.add_argument("--lr", type=float,
                   help="default: the recipe's, scaled to the profile's batch (printed with the settings)")
    t.add_argument("--out", help="folder for history.json and checkpoint.pt (default runs-local/PROFILE-RECIPE)")
    t.add_argument("--resume", action="store_true", help="continue the run in OUT (a fresh run if it has none yet)")
    t.add_argument("--overwrite", action="store_true", help="replace a run that OUT already holds")
    t.add_argument("--device", help="cpu, cuda, mps (default: the fastest present)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--nproc", type=int, default=1,
                   help="train data-parallel in this many processes (torchrun's machinery; an error is one line, "
                        "without torchrun's traceback)")
    t.add_argument("--no-progress", action="store_true")
    t.set_defaults(func=_train)

    d = sub.add_parser("data", help="say where Fashion-MNIST was found, fetching the official files if needed")
    d.add_argument("--root", help="a folder holding the four official files")
    d.add_argument("--no-fetch", action="store_true", help="only look, never download")
    d.set_defaults(func=_data)

    b = sub.add_parser("bench", help="images/s of d2l's training loop against alexnet_lib.engine.loop.fit")
    b.add_argument("--images", type=int, default=768)
    b.add_argument("--batch-size", type=int, default=128)
    b.add_argument("--workers", type=int, default=4, help="DataLoader workers for d2l's way (d2l uses 4)")
    b.add_argument("--device")
    b.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="our loop's precision (default: the device's best; fp32 compares like with like)")
    b.add_argument("--out", help="also write the measurement and its provenance as JSON (e.g. data/runs/bench.json)")
    b.set_defaults(func=_bench)

    a = sub.add_parser("analyse", help="confusion, mistakes, conv1 filters and neighbours of a trained run")
    a.add_argument("run", help="a folder written by `train --out` (history.json and checkpoint.pt)")
    a.add_argument("--out", help="the analysis JSON to write (default: RUN/analysis.json, beside the run)")
    a.set_defaults(func=_analyse)

    r = sub.add_parser("record", help="re-make a recorded experiment of the chapters (data/runs/NAME.json)")
    r.add_argument("experiment", choices=EXPERIMENTS)
    r.add_argument("--scale", default="cpu", choices=["live", "cpu", "gpu"],
                   help="cpu: about ten minutes on 2 cores (default); gpu: the size that resolves the paper's "
                        "effects, on a CUDA device; live: seconds, for a try")
    r.add_argument("--out", help="where to write the record (default: data/runs/EXPERIMENT.json, or "
                                 "data/runs/EXPERIMENT_gpu.json for --scale gpu)")
    r.set_defaults(func=_record)

    st = sub.add_parser("stamp", help="add the checksum of its content to a record or history.json written before "
                                      "checksums existed (they are refused unstamped)")
    st.add_argument("files", nargs="+", help="JSON files, e.g. data/runs/*.json or RUN/history.json")
    st.add_argument("--force", action="store_true",
                    help="stamp anew a file whose checksum no longer matches: only for an edit you made yourself")
    st.set_defaults(func=_stamp)

    e = sub.add_parser("execute", help="re-execute chapter notebooks for the book: inline figures, widget state")
    e.add_argument("notebooks", nargs="+", help="e.g. chapters/*.ipynb")
    e.add_argument("--profile", default="smoke", choices=list(PROFILES),
                   help="the training profile the chapters run (default: smoke, as CI and nbval)")
    e.set_defaults(func=_execute)

    s = sub.add_parser("student", help="write student versions of chapter notebooks with nbgrader's "
                                       "generate_assignment (pip install nbgrader==0.9.6)")
    s.add_argument("notebooks", nargs="+")
    s.add_argument("--out", default="student", help="output folder (default: student/)")
    s.set_defaults(func=_student)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the command line and run one subcommand; errors are one line on stderr and exit code 2."""
    args = _parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for --nproc, which starts this command again
    from .distributed import error_line
    from .engine.loop import NonFiniteLossError

    def say(line: str) -> None:  # under torchrun, an error every process meets is printed once
        print(error_line(line), file=sys.stderr)

    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; a training run continues from its last epoch with --resume", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, NonFiniteLossError) as e:
        say(f"error: {e}")
        return 2
    except OSError as e:
        say(f"error: {e.strerror or e} ({e.filename or 'no file named'})")
        return 2
    except Exception as e:  # a bug of ours: say so in one line; ALEXNET_DEBUG=1 shows the traceback
        if os.environ.get("ALEXNET_DEBUG"):
            raise
        say(f"internal error: {type(e).__name__}: {e} (run with ALEXNET_DEBUG=1 for the traceback, and please "
            f"report it)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
