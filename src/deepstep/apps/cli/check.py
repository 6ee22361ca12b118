"""``deepstep check FILE``: a learner's own implementation of the course's exercises, checked, the mistake named."""

from __future__ import annotations

import argparse
from typing import Any

from .common import positive_float, positive_int

__all__ = ["add_parser", "cmd_check"]

ASSIGNMENTS = ("c1w2", "c1w3", "c1w4", "c2w1", "c2w2")


def add_parser(sub: Any) -> None:
    """The ``check`` subcommand on ``sub`` (argparse's subparsers)."""
    c = sub.add_parser("check", help="check your own implementation of the course's exercises",
                       description="Find the functions of the course's programming exercises in FILE (a .py file "
                                   "or a .ipynb notebook, its code cells in order) by their names and signatures, "
                                   "run each on the course's kind of cases and on generated ones in a child process "
                                   "under a time and a memory limit, and compare it with deepstep's reference. A "
                                   "wrong function is named with its mistake (scale_m, transpose, sign, ...), the "
                                   "first quantity that differs and a hint. Exit status 0 when every function "
                                   "found passes, 1 when one does not, 2 on a usage error.")
    c.add_argument("file", help="your .py file or .ipynb notebook (only read)")
    c.add_argument("--assignment", choices=ASSIGNMENTS,
                   help="c1w2 (logistic regression), c1w3 (one hidden layer), c1w4 (deep network step by step), "
                        "c2w1 (regularization, dropout), c2w2 (optimization); default: the names and signatures "
                        "decide")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    c.add_argument("--timeout", type=positive_float, default=10.0, help="seconds per function (default 10)")
    c.add_argument("--memory-mb", type=positive_int, default=1024,
                   help="memory your code may allocate, MiB (default 1024)")
    c.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from ..checker import check

    report = check(args.file, args.assignment, timeout=args.timeout, memory_mb=args.memory_mb)
    print(report.to_json() if args.json else report)
    return report.exit_code
