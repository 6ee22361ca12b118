"""``deepstep lr-find``: the learning-rate range test (:func:`deepstep.lr_find`) on the data and network ``deepstep
train`` would use, with one line ``suggested learning rate: VALUE`` and a plot of the cost against the rate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...errors import DeepstepError
from ...training.lr_find import lr_find
from ...training.settings import SETTINGS
from .common import (
    DEFAULT_PRESET,
    PRESETS,
    UsageError,
    _build_network,
    _default_out,
    _hold_out,
    _load_data,
    _output_folder,
    add_data_flags,
    optimizer_of,
    positive_float,
    positive_int,
)

__all__ = ["add_parser", "cmd_lr_find"]

#: train's run settings that the range test sets itself or has no use for: given, they are refused by name
NOT_FOR_LR_FIND = ("learning_rate", "num_iterations", "keep_prob", "schedule", "lr_decay", "lr_decay_every",
                   "early_stopping", "method")
#: the arguments of lr_find's errors, as flags
FLAGS = {"start": "--start", "end": "--end", "steps": "--steps", "stop_factor": "--steps", "batch_size": "--batch-size",
         "l2": "--l2", "optimizer": "--optimizer", "X": "--dataset", "Y": "--dataset", "rng": "--seed"}


def add_parser(sub: Any) -> None:
    """The ``lr-find`` subcommand on ``sub`` (argparse's subparsers)."""
    f = sub.add_parser(
        "lr-find", help="the learning-rate range test: what learning rate to start from",
        description="Train a copy of the network deepstep train would build, one step at each learning rate from "
                    "--start to --end (geometrically spaced), stopping once the cost diverges; print the suggested "
                    "rate on one line and draw the cost against the rate (lr_find.png in --out). Takes train's data "
                    "and network flags; --optimizer, --batch-size and --l2 shape the steps.")
    add_data_flags(f)
    f.add_argument("--start", type=positive_float, default=1e-6, help="the first learning rate (default 1e-6)")
    f.add_argument("--end", type=positive_float, default=10.0, help="the last learning rate (default 10)")
    f.add_argument("--steps", type=positive_int, default=100, help="rates tried, one step each (default 100)")
    f.set_defaults(func=cmd_lr_find)


def cmd_lr_find(args: argparse.Namespace) -> int:
    from ...data.datasets import resolve_name

    for key in NOT_FOR_LR_FIND:
        row = SETTINGS[key]
        if getattr(args, row.dest) != row.train_default:
            raise UsageError(f"{row.option}: the range test sets the rate of each step and takes one step per rate; "
                             f"give {row.option} to deepstep train")
    name = resolve_name(args.dataset)
    preset = PRESETS.get(name, DEFAULT_PRESET)
    data = _load_data(args, name)
    net = _build_network(args, data, preset)
    X, Y, _ = _hold_out(args, data)  # (the examples train would train on)
    try:
        found = lr_find(net, X, Y, start=args.start, end=args.end, steps=args.steps, batch_size=args.batch_size,
                        optimizer=optimizer_of(args), l2=args.l2, rng=args.seed)
    except DeepstepError as exc:  # named by its flag
        argument, _, rest = str(exc).partition(": ")
        raise UsageError(f"{FLAGS.get(argument, '--' + argument.replace('_', '-'))}: {rest}") from None
    out = _output_folder(Path(args.out) if args.out else _default_out(name))
    print(f"learning-rate range test of {net} on {data.name}: {len(found.rates)} rates from {found.rates[0]:.3g} "
          f"to {found.rates[-1]:.3g} ({found.stopped}), {found.optimizer}")
    try:
        found.plot(out / "lr_find.png")
        print(f"wrote {out / 'lr_find.png'}")
    except DeepstepError as exc:  # matplotlib not installed: the suggestion stands without the plot
        print(f"note: no plot: {exc}", file=sys.stderr)
    print(f"suggested learning rate: {found.suggestion:.4g}")
    return 0
