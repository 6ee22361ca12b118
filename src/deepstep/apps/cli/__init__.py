"""The ``deepstep`` command: train, evaluate, predict, export, sweep, explain, vectorize, playground, gradcheck,
info, check, demo.

Every error the user can cause (a missing file, a bad flag value, a picture of the wrong size for the model)
prints one line and exits with status 2.

This package is the dispatcher: :data:`SUBCOMMANDS` lists the subcommand modules, each of which has
``add_parser(subparsers)`` and its ``cmd_*`` functions and imports only :mod:`.common` (what they share).
Adding a subcommand: one new module, and its line in :data:`SUBCOMMANDS`.  The names of deepstep 0.2's
``deepstep.cli`` stay importable from here.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from types import ModuleType

from ..._version import __version__
from ...errors import DeepstepError
from . import check, demo, gradcheck, learn, lr_find, sweep, train
from .common import (  # noqa: F401  (deepstep 0.2's deepstep.cli names, kept importable)
    DEFAULT_PRESET,
    PRESETS,
    Parser,
    UsageError,
    _build_network,
    _check_examples,
    _dataset_key,
    _default_out,
    _flag,
    _hold_out,
    _number,
    _output_folder,
    _outputs,
    _standardizes,
    beta_arg,
    delimiter_arg,
    error_line,
    fraction_arg,
    keep_prob_arg,
    layers_arg,
    nonnegative_float,
    nonnegative_int,
    positive_float,
    positive_int,
    seed_arg,
    size_arg,
)
from .demo import cmd_demo  # noqa: F401
from .gradcheck import cmd_gradcheck, cmd_info  # noqa: F401
from .train import _StopRequest, cmd_evaluate, cmd_export, cmd_predict, cmd_train, load_model  # noqa: F401

SUBCOMMANDS: tuple[ModuleType, ...] = (
    train,  # train, evaluate, predict, export
    lr_find,  # lr-find
    sweep,  # sweep
    learn,  # explain, vectorize, playground
    gradcheck,  # gradcheck, info
    check,  # check (a learner's own functions)
    demo,  # demo
)
"""The subcommand modules, in the order ``deepstep --help`` lists them."""

__all__ = ["DEFAULT_PRESET", "PRESETS", "SUBCOMMANDS", "Parser", "UsageError", "beta_arg", "build_parser",
           "cmd_demo", "cmd_evaluate", "cmd_export", "cmd_gradcheck", "cmd_info", "cmd_predict", "cmd_train",
           "delimiter_arg", "error_line", "fraction_arg", "keep_prob_arg", "layers_arg", "load_model", "main",
           "nonnegative_float", "nonnegative_int", "positive_float", "positive_int", "seed_arg", "size_arg"]


def build_parser() -> Parser:
    """The parser of every subcommand (each module of :data:`SUBCOMMANDS` adds its own)."""
    parser = Parser(prog="deepstep", description="Build, train and explain fully-connected deep networks.")
    parser.add_argument("--version", action="version", version=f"deepstep {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 for a check that fails, 2 for a usage error (one line on stderr), 130 after Ctrl-C, 141
        (quietly) where the reader of the output went away.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.run_command = main  # how a subcommand runs another (demo runs train) without importing this package
    try:
        status = args.func(args)
        sys.stdout.flush()  # (here, where a reader that went away is caught below, not at the interpreter's exit)
        return status
    except BrokenPipeError as exc:
        if not _stdout_gone():  # a pipe of ours to something else (a worker): an error like any other
            print(error_line(f"deepstep {args.command}", str(exc)), end="", file=sys.stderr)
            return 2
        # the reader of our output went away (deepstep evaluate | head): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is still buffered goes nowhere
        return 128 + signal.SIGPIPE
    except (DeepstepError, OSError) as exc:
        print(error_line(f"deepstep {args.command}", str(exc) or type(exc).__name__), end="", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside a training loop (loading, evaluating, plotting)
        print(f"\ndeepstep {args.command}: interrupted", file=sys.stderr)
        return 130


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it."""
    try:
        import select

        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # (no poll on this platform, no file descriptor)
        return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
