"""``deepstep demo``: the planar model, and the cat model when ``DEEPSTEP_DATA`` has the pictures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ...errors import DeepstepError

__all__ = ["add_parser", "cmd_demo"]


def add_parser(sub: Any) -> None:
    """The ``demo`` subcommand on ``sub`` (argparse's subparsers)."""
    d = sub.add_parser("demo", help="train the planar model, and the cat model when DEEPSTEP_DATA has the pictures")
    d.add_argument("--out", default="runs")
    d.add_argument("--quiet", action="store_true")
    d.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``deepstep train`` on planar (and cats), through ``args.run_command`` (the dispatcher)."""
    from ...data.datasets import load_cat_dataset

    runs = Path(args.out)
    jobs = [["train", "--dataset", "planar", "--out", str(runs / "planar")]]
    try:
        load_cat_dataset()
        jobs.append(["train", "--dataset", "cats", "--layers", "12288,20,7,5,1", "--init", "xavier",
                     "--learning-rate", "0.0075", "--iterations", "2500", "--seed", "1", "--out", str(runs / "cats")])
    except DeepstepError as exc:
        print(f"skipping the cat model: {exc}")
    for job in jobs:
        print("$ deepstep " + " ".join(job))
        code = args.run_command(job + (["--quiet"] if args.quiet else []))
        if code:
            return code
    return 0

