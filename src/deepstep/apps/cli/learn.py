"""The learning tools on the command line: ``deepstep explain``, ``deepstep vectorize`` and ``deepstep playground``
(``deepstep.learn_command`` of deepstep 0.2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ...atomic import atomic_path
from ...core.activations import hidden_activation_names
from ...errors import DeepstepError
from ...training.settings import SETTINGS
from .common import (
    DEFAULT_PRESET,
    PRESETS,
    UsageError,
    _build_network,
    _check_examples,
    _number,
    add_setting_flags,
    layers_arg,
    optimizer_of,
    positive_int,
    seed_arg,
    setting_type,
)

__all__ = ["add_parser", "add_parsers", "cmd_explain", "cmd_playground", "cmd_vectorize"]


def add_parser(sub: Any) -> None:
    """The ``explain``, ``vectorize`` and ``playground`` subcommands on ``sub`` (argparse's subparsers)."""
    x = sub.add_parser(
        "explain", help="one training iteration written out layer by layer, every gradient checked",
        description="Write out one iteration of gradient descent in the course's notation: Z[l] = W[l] A[l-1] + "
                    "b[l] with the shapes of each factor, A[l] = g(Z[l]), the cost, then dZ[l], dW[l], db[l], "
                    "dA[l-1] backwards and the update. Small arrays are shown in full, large ones as shape, mean, "
                    "min and max. Each gradient is compared with centered finite differences and its relative error "
                    "printed beside it.",
        epilog="example: deepstep explain --dataset planar --layers 2,4,1 --hidden-activation tanh -m 5")
    x.add_argument("--dataset", default="planar", help="cats, planar, moons, circles, blobs, spiral, xor, gaussian "
                   "or a .npz/.csv file (default planar)")
    x.add_argument("--layers", type=layers_arg, help="layer sizes n[0],...,n[L] (default: the data set's preset)")
    x.add_argument("--hidden-activation", help=f"{', '.join(hidden_activation_names())} or leaky_relu:SLOPE")
    x.add_argument("--init", choices=["auto", "small", "xavier", "he", "zeros"])
    x.add_argument("--seed", type=setting_type(SETTINGS["seed"]), default=1,
                   help="seeds the weights and which examples (default 1)")
    x.add_argument("-m", type=positive_int, default=4, help="examples, drawn from the training set (default 4)")
    x.add_argument("--learning-rate", type=setting_type(SETTINGS["learning_rate"]),
                   help="alpha of the update (default: the preset's)")
    x.add_argument("--l2", type=setting_type(SETTINGS["l2"]), default=0.0, metavar="LAMBDA")
    x.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=None,
                   help="standardize the features as train does (default: on for .csv/.npz files)")
    x.add_argument("--optimizer", choices=list(SETTINGS["optimizer"].choices), default="gd",
                   help="the update written out: gd, momentum, rmsprop or adam (their first step, from zero state)")
    add_setting_flags(x, [SETTINGS[name] for name in ("beta", "beta1", "beta2", "epsilon", "keep_prob")])
    x.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None,
                   help="batch normalization on the hidden layers: the mean, variance, Z_norm and Z~ written out, "
                        "and dgamma, dbeta, dZ checked")
    x.add_argument("--format", choices=["text", "markdown", "html"], default="text")
    x.add_argument("--out", metavar="FILE", help="write to FILE (atomically) instead of printing")
    x.set_defaults(func=cmd_explain)

    v = sub.add_parser(
        "vectorize", help="time a Python loop against the vectorized NumPy expression",
        description="The course's vectorization lesson on your machine: the dot product of two random vectors of "
                    "n elements, and the logistic-regression gradient dw, db over n/100 examples of 100 features, "
                    "each as a Python loop and as one NumPy expression; checks that both give the same numbers and "
                    "prints both times and the speed-up (the lecture: about 450 ms against 1.5 ms for n = "
                    "1,000,000).")
    v.add_argument("-n", type=positive_int, default=1_000_000, help="elements (default 1000000)")
    v.add_argument("--repeats", type=positive_int, default=7,
                   help="timings of each version (each at least 20 ms); their median counts (default 7)")
    v.add_argument("--seed", type=seed_arg, default=1)
    v.set_defaults(func=cmd_vectorize)

    p = sub.add_parser(
        "playground", help="a web page where a network learns 2-D points while you watch",
        description="Start a local web server for the playground and print its address: pick a data set (or "
                    "upload a CSV of 2-D points), the layers, activation, optimizer and the rest; Start, Pause, Step "
                    "and Reset; watch the decision boundary, the cost curves, the weights and each step's equations. "
                    "Needs pip install 'deepstep[playground]'. Ctrl-C stops it.")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_arg, default=8000, help="the port (default 8000; 0: any free one)")
    p.set_defaults(func=cmd_playground)


def cmd_explain(args: argparse.Namespace) -> int:
    from ...data.datasets import load_dataset, resolve_name
    from ...data.standardize import Standardizer
    from ..explain import explain

    name = resolve_name(args.dataset)
    preset = PRESETS.get(name, DEFAULT_PRESET)
    data = load_dataset(name, rng=args.seed)
    if args.layers is not None:
        _check_examples(args.layers, args.m)
    m_train = data.train_X.shape[1]
    if args.m > m_train:
        raise UsageError(f"-m: expected at most {m_train} examples (the training set of {data.name}), got {args.m}")
    net = _build_network(args, data, preset, dtype="float64")
    if args.keep_prob < 1 and net.L == 1:
        raise UsageError(f"--keep-prob: dropout acts on hidden layers and the network {list(net.layer_dims)} has "
                         f"none, got {args.keep_prob:g}")
    if net.standardize:
        net.standardizer = Standardizer.fit(data.train_X)
        if data.task == "regression":
            net.target_standardizer = Standardizer.fit(data.train_Y, "Y")
    pick = np.sort(np.random.default_rng([args.seed, 2]).choice(m_train, args.m, replace=False))
    explanation = explain(net, data.train_X[:, pick], data.train_Y[:, pick],  # class indices or targets, as fit
                          learning_rate=args.learning_rate or preset["learning_rate"], l2=args.l2, rng=args.seed,
                          optimizer=optimizer_of(args), keep_prob=args.keep_prob)
    text = explanation.render(args.format)
    if args.format == "html":
        text = f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>deepstep explain</title></head><body>" \
               f"{text}</body></html>\n"
    if args.out:
        with atomic_path(Path(args.out)) as tmp:
            tmp.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


add_parsers = add_parser  # (its name in deepstep 0.2's learn_command)


def port_arg(text: str) -> int:
    """A port number, 0 (any free one) to 65535."""
    return _number(text, int, lambda v: 0 <= v <= 65535, "a port from 0 to 65535")


def cmd_playground(args: argparse.Namespace) -> int:
    from ..playground import serve

    def ready(url: str) -> None:
        print(f"deepstep playground at {url} (Ctrl-C stops it)", flush=True)

    try:
        serve(args.host, args.port, ready=ready)
    except DeepstepError as exc:
        raise UsageError(f"--{exc}") from None  # "port: ..." / "host: ..." as the flags
    except KeyboardInterrupt:
        pass
    return 0


def cmd_vectorize(args: argparse.Namespace) -> int:
    from ..vectorize import lesson

    rows = lesson(args.n, args.repeats, args.seed)
    spread = " (+- half the spread of their middle half)" if args.repeats >= 3 else ""
    print(f"a Python loop against one NumPy expression on this machine: the median of {args.repeats} timings"
          f"{spread}")
    print(f"{'case':<30} {'size':<44} {'loop':>17} {'vectorized':>17} {'speed-up':>9}  same result")
    for row in rows:
        same = "yes" if row.agree else f"NO (differ by {row.difference:.2g})"
        spreads = (row.loop_spread, row.vector_spread) if args.repeats >= 3 else (None, None)
        print(f"{row.case:<30} {row.size:<44} {_ms(row.loop_seconds, spreads[0]):>17} "
              f"{_ms(row.vector_seconds, spreads[1]):>17} {row.speedup:>8.0f}x  {same}")
    from ..vectorize import BUSY_OTHERS, BUSY_SPREAD

    for row in rows:
        if row.others > BUSY_OTHERS:
            print(f"note: other processes used {row.others:.0%} of this machine's CPUs while the {row.case} was "
                  "timed: it is too busy to measure well (every timing slows alike); run again when it is quieter")
        elif args.repeats >= 3 and max(row.loop_spread, row.vector_spread) > BUSY_SPREAD:
            print(f"note: the timings of the {row.case} spread over more than half their median: the machine is too "
                  "busy to measure well; run again when it is quieter (or with more --repeats)")
    return 0 if all(row.agree for row in rows) else 1


def _ms(seconds: float, spread: float | None = None) -> str:
    if spread is None:  # (fewer than 3 timings: no spread to speak of)
        return f"{seconds * 1000:.3g} ms"
    return f"{seconds * 1000:.3g} ms +-{spread * 50:.0f}%"  # (half the spread, in percent of the median)
