"""Command line: `python -m alexnet_lib {train,data,bench,analyse,student}`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence


def _train(args: argparse.Namespace) -> int:
    from .train import train

    out = Path(args.out) if args.out else Path("runs-local") / f"{args.profile or 'auto'}-{args.recipe}"
    _, history = train(profile=args.profile, recipe=args.recipe, epochs=args.epochs, out=out,
                       device=args.device, resume=args.resume, fast=not args.no_fast, seed=args.seed,
                       lr=args.lr, progress=not args.no_progress)
    print(f"wrote {out / 'history.json'} and {out / 'checkpoint.pt'}")
    return 0


def _data(args: argparse.Namespace) -> int:
    from .data import describe_data, load_fashion_mnist

    load_fashion_mnist(root=args.root, download=not args.no_fetch)
    print(describe_data(args.root))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .bench import run_benchmark

    result = run_benchmark(images=args.images, batch_size=args.batch_size, workers=args.workers,
                           device=args.device)
    print(result.report())
    return 0


def _analyse(args: argparse.Namespace) -> int:
    import json

    from .analysis import analyse, model_from_checkpoint, save_analysis

    run = Path(args.run)
    history = json.loads((run / "history.json").read_text())
    record = analyse(model_from_checkpoint(run / "checkpoint.pt"), history)
    print(f"test accuracy {record['test_accuracy']:.4f}; wrote {save_analysis(record, args.out)}")
    return 0


def _student(args: argparse.Namespace) -> int:
    from .student import make_student_notebook

    for nb in args.notebooks:
        print(f"wrote {make_student_notebook(nb, args.out)}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the command line and run one subcommand."""
    p = argparse.ArgumentParser(prog="python -m alexnet_lib", description="AlexNet, rebuilt: the course library.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train alexnet_d2l on Fashion-MNIST at 224x224")
    t.add_argument("--profile", choices=["smoke", "cpu", "full"], help="default: by device ($ALEXNET_PROFILE)")
    t.add_argument("--recipe", default="fast", choices=["fast", "paper", "d2l"])
    t.add_argument("--epochs", type=int, help="default: the profile's")
    t.add_argument("--lr", type=float, help="default: the recipe's")
    t.add_argument("--out", help="folder for history.json and checkpoint.pt (default runs-local/PROFILE-RECIPE)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    t.add_argument("--device", help="cpu, cuda, mps (default: the fastest present)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--no-fast", action="store_true", help="plain fp32, no autocast or channels_last")
    t.add_argument("--no-progress", action="store_true")
    t.set_defaults(func=_train)

    d = sub.add_parser("data", help="say where Fashion-MNIST was found, fetching the official files if needed")
    d.add_argument("--root", help="a folder holding the four official files")
    d.add_argument("--no-fetch", action="store_true", help="only look, never download")
    d.set_defaults(func=_data)

    b = sub.add_parser("bench", help="images/s of d2l's training loop against alexnet_lib.fit")
    b.add_argument("--images", type=int, default=768)
    b.add_argument("--batch-size", type=int, default=128)
    b.add_argument("--workers", type=int, default=4, help="DataLoader workers for d2l's way (d2l uses 4)")
    b.add_argument("--device")
    b.set_defaults(func=_bench)

    a = sub.add_parser("analyse", help="confusion, mistakes, conv1 filters and neighbours of a trained run")
    a.add_argument("run", help="a folder written by `train --out` (history.json and checkpoint.pt)")
    a.add_argument("--out", required=True, help="the analysis JSON to write, e.g. data/runs/cpu_fast_analysis.json")
    a.set_defaults(func=_analyse)

    s = sub.add_parser("student", help="write student versions of chapter notebooks (solutions removed)")
    s.add_argument("notebooks", nargs="+")
    s.add_argument("--out", default="student", help="output folder (default: student/)")
    s.set_defaults(func=_student)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
