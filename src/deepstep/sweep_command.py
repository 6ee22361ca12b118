"""``deepstep sweep``: the command line of :func:`deepstep.sweep.sweep`, with the files it writes and ``--resume``.

Into ``--out`` it writes, as each run finishes, its model file (``run-K.npz``, or ``best.npz`` when it is the
best so far with ``--keep best``) and one line of ``runs.jsonl`` (the journal: its row and history).  At the end
(and on Ctrl-C or SIGTERM) it writes ``results.csv``, ``results.json`` and the comparison plots.  ``--resume``
reads the journal and runs only the runs it does not hold; a journal line is appended only after its model file
is in place, so a sweep killed at any moment resumes with nothing lost (a torn last line is ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .cli import (
    DEFAULT_PRESET,
    PRESETS,
    UsageError,
    _dataset_key,
    _flag,
    _hold_out,
    _output_folder,
    _standardizes,
    beta_arg,
    delimiter_arg,
    fraction_arg,
    keep_prob_arg,
    nonnegative_float,
    positive_float,
    positive_int,
    seed_arg,
    size_arg,
)
from .errors import DeepstepError
from .model_io import ModelFileError, atomic_path, write_json
from .network import DeepNetwork
from .optimizers import HYPERPARAMETERS, build_optimizer
from .schedules import SCHEDULES
from .sweep import SETTINGS, SweepInterrupted, SweepResult, check_setting, data_key, sweep
from .tasks import TASKS
from .training import METHODS

JOURNAL = "runs.jsonl"
JOURNAL_VERSION = 1


# -- flags -------------------------------------------------------------------------------------------------
def hidden_arg(text: str) -> tuple[int, ...]:
    """One hidden-layer design: "4" (one layer of 4 units), "20-7-5" (three layers), "none" (no hidden layer:
    logistic or softmax regression)."""
    if text.lower() == "none":
        return ()
    try:
        sizes = tuple(int(t) for t in text.split("-"))
    except ValueError:
        sizes = ()
    if not sizes or any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected hidden sizes such as 4 or 20-7-5 (or none), got {text!r}")
    return sizes


def _list_of(convert: Callable[[str], Any], key: str) -> Callable[[str], list]:
    """A flag taking one value or a comma-separated list of them, each read by ``convert`` and checked as the
    sweep's setting ``key`` would be (so that a bad value stops the command before any run)."""
    def parse(text: str) -> list:
        items = [t.strip() for t in text.split(",")]
        if not all(items):
            raise argparse.ArgumentTypeError(f"expected a comma-separated list without empty items, got {text!r}")
        values = []
        for item in items:
            value = convert(item)
            try:
                values.append(check_setting(key, value, key))
            except DeepstepError as exc:
                raise argparse.ArgumentTypeError(f"{item!r}: {str(exc).partition(': ')[2]}") from None
            if values[-1] in values[:-1]:
                raise argparse.ArgumentTypeError(f"{item!r} is in the list twice, got {text!r}")
        return values
    parse.__name__ = key  # argparse names the type in some messages
    return parse


def _lowercase(text: str) -> str:
    return text.lower()


LISTS: dict[str, tuple[str, Callable[[str], Any], str]] = {
    # flag (as argparse stores it) -> (sweep setting, how one value is read, help)
    "hidden": ("hidden", hidden_arg, "hidden sizes: 1,2,3,4,5,20,50 or 20-7-5,10 (none: no hidden layer)"),
    "hidden_activation": ("hidden_activation", str, "e.g. relu,tanh (leaky_relu:SLOPE too)"),
    "init": ("init", _lowercase, "e.g. he,xavier (auto, small, zeros)"),
    "learning_rate": ("learning_rate", positive_float, "e.g. 0.01,0.001,0.0001"),
    "iterations": ("num_iterations", positive_int, "iterations (epochs with --batch-size)"),
    "batch_size": ("batch_size", positive_int, "mini-batch sizes (default: the whole set)"),
    "optimizer": ("optimizer", _lowercase, "e.g. gd,momentum,rmsprop,adam"),
    "beta": ("beta", beta_arg, "momentum's beta"),
    "beta1": ("beta1", beta_arg, "Adam's beta1"),
    "beta2": ("beta2", beta_arg, "Adam's and RMSprop's beta2"),
    "epsilon": ("epsilon", positive_float, "Adam's and RMSprop's epsilon"),
    "schedule": ("schedule", _lowercase, f"learning-rate decay: {', '.join(SCHEDULES)}"),
    "lr_decay": ("lr_decay", nonnegative_float, "the schedule's decay rate"),
    "lr_decay_every": ("lr_decay_every", positive_int, "the schedule's interval"),
    "l2": ("l2", nonnegative_float, "L2 regularization lambda"),
    "keep_prob": ("keep_prob", keep_prob_arg, "dropout keep probability of the hidden layers"),
    "early_stopping": ("early_stopping", positive_int, "patience (needs --validation-fraction)"),
    "method": ("method", _lowercase, f"first-layer method: {', '.join(METHODS)}"),
    "dtype": ("dtype", _lowercase, "float64 and/or float32"),
}
"""Every setting of a run that ``deepstep train`` takes, as a flag taking a list."""

NOT_COMPARED = ("out", "jobs", "resume", "scheduler", "connect_timeout", "quiet", "func", "command")
"""Flags --resume may change: where and how the runs are done, not what they are."""


def add_parser(sub: Any) -> None:
    """The ``sweep`` subcommand on ``sub`` (argparse's subparsers)."""
    w = sub.add_parser(
        "sweep", help="train one network per combination of settings and compare them",
        description="Any setting of a run may be a comma-separated list; the sweep is their product (or --samples "
                    "N combinations drawn with --seed). Each run is seeded from --seed and its own settings, so its "
                    "result does not depend on --jobs or --scheduler. Writes results.csv, results.json, model "
                    "files, the journal runs.jsonl and the comparison plots into --out.",
        epilog="examples:\n  deepstep sweep --hidden 1,2,3,4,5,20,50 --hidden-activation tanh --learning-rate 1.2 "
               "--iterations 5000\n  deepstep sweep --dataset cats --hidden none --init zeros --learning-rate "
               "0.01,0.001,0.0001 --iterations 1500\n  deepstep sweep ... --jobs 2   |   --scheduler "
               "tcp://HOST:8786\n\nCtrl-C stops the sweep and keeps the finished runs; the same command with "
               "--resume runs the rest.", formatter_class=argparse.RawDescriptionHelpFormatter)
    w.add_argument("--dataset", default="planar", help="as for train (default planar)")
    for flag, (key, convert, text) in LISTS.items():
        w.add_argument(_flag(flag), dest=flag, type=_list_of(convert, key), help=text,
                       metavar=f"{flag.upper()}[,...]")
    w.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=None,
                   help="as for train (default: on for .csv/.npz files)")
    w.add_argument("--samples", type=positive_int, help="draw N combinations instead of the whole product")
    w.add_argument("--keep", choices=["all", "best"], default="all", help="model files of every run, or the best")
    w.add_argument("--seed", type=seed_arg, default=1)
    w.add_argument("--validation-fraction", type=fraction_arg, metavar="F")
    w.add_argument("--test-fraction", type=fraction_arg, default=0.2)
    w.add_argument("--test-data", metavar="FILE")
    w.add_argument("--task", choices=["auto", "classification", "regression"], default="auto")
    w.add_argument("--label-column")
    w.add_argument("--delimiter", type=delimiter_arg, default=",")
    w.add_argument("--image-size", type=size_arg, default=(64, 64), metavar="HxW")
    w.add_argument("--out", help="output folder (default runs/sweep-DATASET)")
    where = w.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=positive_int, default=1, help="local worker processes (default 1)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run each run as a task on this Dask cluster (pip install 'deepstep[cluster]')")
    w.add_argument("--connect-timeout", type=positive_float, default=10.0, metavar="SECONDS",
                   help="how long to wait for --scheduler (default 10)")
    w.add_argument("--resume", action="store_true",
                   help="continue the sweep in --out: run only the runs its journal does not hold")
    w.add_argument("--quiet", action="store_true", help="no line per finished run")
    w.set_defaults(func=cmd_sweep)


# -- the journal ---------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """JSON-ready: tuples as lists (the rows' hidden sizes)."""
    return list(value) if isinstance(value, tuple) else value


def _row_from_json(row: dict) -> dict:
    return {k: (tuple(v) if k in ("hidden", "keep_prob") and isinstance(v, list) else v) for k, v in row.items()}


def _json_line(entry: dict) -> str:
    return json.dumps(entry, allow_nan=False, separators=(",", ":")) + "\n"


def _append(path: Path, entry: dict) -> None:
    """One journal line, flushed to the disk before the next run is counted."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(_json_line(entry))
        f.flush()
        os.fsync(f.fileno())


def _read_journal(path: Path) -> tuple[dict, list[dict]]:
    """The journal's header and its run entries (a torn last line, from a kill mid-write, is dropped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    entries = []
    for k, line in enumerate(lines):
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            if k == len(lines) - 1:
                break
            raise UsageError(f"--resume: {path} line {k + 1} is not JSON; it is not a journal deepstep wrote") from None
    if not entries or not isinstance(entries[0], dict) or entries[0].get("journal") != JOURNAL_VERSION:
        raise UsageError(f"--resume: {path} is not a sweep journal deepstep wrote")
    return entries[0], entries[1:]


def _command(args: argparse.Namespace) -> dict[str, Any]:
    """The flags that say what the runs are (compared by --resume), JSON-ready."""
    return {k: json.loads(json.dumps(v, default=_plain)) for k, v in sorted(vars(args).items())
            if k not in NOT_COMPARED}


def _previous(out: Path, args: argparse.Namespace, header: dict, entries: list[dict]
              ) -> tuple[SweepResult, list[dict]]:
    """The journal's finished runs as a SweepResult for :func:`sweep`'s ``previous`` (their networks read back
    from their model files; a run whose file is missing or damaged is left out, so it runs again), and the
    journal entries kept."""
    command = _command(args)
    for key in sorted(set(command) | set(header["command"])):
        if command.get(key) != header["command"].get(key):
            flag = _flag(key)
            raise UsageError(f"--resume: the sweep in {out} was run with {flag} {_shown(header['command'].get(key))},"
                             f" got {flag} {_shown(command.get(key))}; give the same flags, or another --out")
    rows, histories, networks, kept = [], [], [], []
    best = None
    if args.keep == "best" and (out / "best.npz").exists():
        try:
            best = DeepNetwork.load(out / "best.npz")
        except ModelFileError:
            best = None
    for entry in entries:
        row = _row_from_json(entry["row"])
        net = None
        if row["status"] in ("ok", "diverged"):
            if args.keep == "all":
                try:
                    net = DeepNetwork.load(out / f"run-{row['run']}.npz")
                except (ModelFileError, OSError):
                    continue  # its model file is gone: run it again
            elif best is not None and (best.metadata.get("sweep") or {}).get("run") == row["run"]:
                net = best
        rows.append(row)
        histories.append(entry.get("history") or {})
        networks.append(net)
        kept.append(entry)
    return SweepResult(rows, histories, networks, header["score_name"], header["score_column"], args.seed,
                       data_key=header["data_key"]), kept


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join("-".join(map(str, v)) if isinstance(v, list) else str(v) for v in value)
    return "(not given)" if value is None else str(value)


# -- the command ---------------------------------------------------------------------------------------------
def _grid(args: argparse.Namespace, preset: dict, data: Any) -> tuple[dict[str, list], dict[str, Any]]:
    """The grid (flags given a list of several values) and the fixed settings (the preset's, then the flags')."""
    fixed: dict[str, Any] = {"hidden": tuple(preset["hidden"]), "hidden_activation": preset["hidden_activation"],
                             "init": preset["init"], "learning_rate": preset["learning_rate"],
                             "num_iterations": preset["iterations"], "standardize": _standardizes(args, data.name),
                             "output_activation": "linear" if data.task == "regression" else "auto"}
    grid: dict[str, list] = {}
    for flag, (key, _, _) in LISTS.items():
        values = getattr(args, flag)
        if values is None:
            continue
        fixed.pop(key, None)
        if len(values) == 1:
            fixed[key] = values[0]
        else:
            grid[key] = values
    return grid, fixed


def _check_optimizer_flags(grid: dict[str, list], fixed: dict[str, Any]) -> None:
    """An optimizer flag that no run of the sweep can take (``--beta`` with ``--optimizer adam`` alone, a decay
    rate with only the constant schedule) is refused, as train refuses it; where only some runs cannot take it,
    those runs are recorded as failed and say why."""
    def values(key: str) -> list:
        return grid.get(key) or [fixed.get(key)]

    failures = []
    for optimizer in values("optimizer"):
        for schedule in values("schedule"):
            try:
                build_optimizer(optimizer or "gd", schedule=schedule, lr_decay=values("lr_decay")[0],
                                lr_decay_every=values("lr_decay_every")[0], flag=_flag,
                                **{k: values(k)[0] for k in HYPERPARAMETERS})
                return
            except DeepstepError as exc:
                failures.append(str(exc))
    raise UsageError(f"{failures[0]}; no run of the sweep can take it")


def _score_names(data: Any, validation: Any) -> tuple[str, str]:
    """The task's score ("accuracy", "r2") and the column the sweep compares runs by (validation, else test)."""
    name = next(task.score_name for task in TASKS.values() if task.name == data.task)
    return name, f"{'val' if validation is not None else 'test'}_{name}"


def cmd_sweep(args: argparse.Namespace) -> int:
    """Train one network per combination of the listed settings; write the table, models and pictures."""
    from .datasets import load_dataset, resolve_name

    name = resolve_name(args.dataset)
    preset = PRESETS.get(name, DEFAULT_PRESET)
    if args.early_stopping is not None and args.validation_fraction is None:
        raise UsageError("--early-stopping: watches the validation cost; give --validation-fraction too")
    data = load_dataset(name, rng=args.seed, test_fraction=args.test_fraction, image_size=args.image_size,
                        label_column=args.label_column, task=args.task, delimiter=args.delimiter,
                        test_data=args.test_data)
    out = _output_folder(Path(args.out) if args.out else Path("runs") / f"sweep-{Path(str(name)).stem}")
    journal = out / JOURNAL
    if args.resume and not journal.exists():
        raise UsageError(f"--resume: there is no sweep to continue in {out} (no {JOURNAL}); drop --resume to start")
    if not args.resume and journal.exists():
        raise UsageError(f"--out: {out} holds a sweep already ({JOURNAL}); continue it with --resume, or give "
                         "another --out")
    grid, fixed = _grid(args, preset, data)
    _check_optimizer_flags(grid, fixed)
    train_X, train_Y, validation = _hold_out(args, data)
    test = (data.test_X, data.test_Y)
    score_name, column = _score_names(data, validation)
    key = data_key(train_X, train_Y, *(validation or (None, None)), *test)
    previous = None
    if args.resume:
        header, entries = _read_journal(journal)
        previous, kept = _previous(out, args, header, entries)
        with atomic_path(journal) as tmp:  # without a torn last line, or runs whose model files are gone
            tmp.write_text("".join(_json_line(e) for e in [header, *kept]), encoding="utf-8")
        print(f"resuming the sweep in {out}: {len(previous.rows)} finished run(s) kept")
    n_runs = args.samples or (int(np.prod([len(v) for v in grid.values()])) if grid else 1)
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else f"{args.jobs} process(es)"
    metadata = dict(classes=list(data.classes) if data.classes else None, dataset=_dataset_key(name),
                    task=data.task, features=data.features)
    header = {"journal": JOURNAL_VERSION, "command": _command(args), "data_key": key, "score_name": score_name,
              "score_column": column}

    def on_run(row: dict, history: dict, net: Any, best: bool) -> None:
        if not journal.exists():  # written with the first finished run: a sweep refused at its start leaves none
            with atomic_path(journal) as tmp:
                tmp.write_text(_json_line(header), encoding="utf-8")
        if net is not None and (args.keep == "all" or best):
            net.metadata.update(metadata)
            net.save(out / (f"run-{row['run']}.npz" if args.keep == "all" else "best.npz"))
        _append(journal, {"row": {k: _plain(v) for k, v in row.items()}, "history": history})
        if not args.quiet:
            score = row.get(column)
            shown = "" if score is None else f", {column} {score:.4g}"
            why = f": {row['message']}" if row["message"] else ""
            print(f"  run {row['run']} {row['status']}{shown} ({row['seconds'] or 0:.1f} s){why}", flush=True)

    interrupted = False
    previous_term = signal.signal(signal.SIGTERM, _interrupt)  # (put back when the sweep ends)
    try:
        print(f"sweeping {n_runs} run(s) on {data.name} ({', '.join(grid) or 'one setting'}) with {where} -> {out}/",
              flush=True)
        result = sweep(train_X, train_Y, grid, samples=args.samples, fixed=fixed, validation_data=validation,
                       test_data=test, seed=args.seed, n_jobs=args.jobs, keep="all", client=args.scheduler,
                       connect_timeout=args.connect_timeout, previous=previous, on_run=on_run)
    except SweepInterrupted as exc:
        result, interrupted = exc.result, True
    except KeyboardInterrupt:  # before the first run started
        print(f"\ninterrupted before any run; run the same command{' with --resume' if args.resume else ''} again",
              file=sys.stderr)
        return 130
    except DeepstepError as exc:
        raise UsageError(_flagged(str(exc))) from None
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    _write_results(out, args, name, result, (train_X, train_Y) if train_X.shape[0] == 2 else None)
    if interrupted:
        finished = sum(r["status"] != "cancelled" for r in result.rows)
        again = "run the same command with --resume for the rest" if journal.exists() else \
            "no run had finished; run the same command again"
        print(f"\ninterrupted: {finished} finished run(s) kept in {out}; {again}", file=sys.stderr)
        return 130
    if result.best is None:
        print("no run finished training (each failed or diverged: see the message column)", file=sys.stderr)
        return 1
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM stops a sweep as Ctrl-C does (the finished runs are written)."""
    raise KeyboardInterrupt


_SETTING_FLAGS = {key: _flag(flag) for flag, (key, _, _) in LISTS.items()}


def _flagged(message: str) -> str:
    """A message of :func:`sweep` about one of its arguments ("client: ...", "grid['hidden'][2]: ...",
    "fixed['beta']: ..."), naming the flag instead."""
    head, sep, rest = message.partition(": ")
    setting = re.match(r"^(?:grid|fixed)\['(\w+)'\](?:\[\d+\])?$", head)
    flags = {"client": "--scheduler", "previous": "--resume", "samples": "--samples", **_SETTING_FLAGS}
    key = setting.group(1) if setting else head
    return f"{flags[key]}: {rest}" if sep and key in flags else message


def _write_results(out: Path, args: argparse.Namespace, name: Any, result: SweepResult, points: Any) -> None:
    """results.csv, results.json, the table on stdout and the comparison plots (the decision boundaries over
    ``points``, the training (X, Y), for 2-D data)."""
    rows = [{k: _plain(v) for k, v in row.items()} for row in result.rows]
    write_json(out / "results.json", {"dataset": str(name), "seed": args.seed, "varying": list(result.varying),
                                      "score": result.score_column, "rows": rows})
    _write_csv(out / "results.csv", rows)
    column = result.score_column
    ordered = sorted(result.rows, key=lambda r: (r["status"] != "ok", -(r.get(column) or -np.inf), r["run"]))
    shown = [*result.varying, column, "cost", "seconds", "status"]
    print("  ".join(f"{k:>14}" for k in ["run", *shown]))
    for row in ordered:
        print("  ".join(f"{_cell(v):>14}" for v in [row["run"], *(row.get(k) for k in shown)]))
    best = result.best
    if best is not None:
        print(f"best: run {best['run']} ({result.label(best)}), {column} {_cell(best[column])}")
    plots = []
    try:
        if any(h.get("cost") for h in result.histories):
            result.plot_costs(out / "costs.png")
            plots.append("costs.png")
        if points is not None and any(n is not None for n in result.networks):
            result.plot_decision_boundaries(*points, out / "decision_boundaries.png")
            plots.append("decision_boundaries.png")
    except DeepstepError as exc:  # matplotlib missing: the table and the models are written
        print(f"note: no plots ({exc})", file=sys.stderr)
    files = len(list(out.glob("run-*.npz"))) if args.keep == "all" else int((out / "best.npz").exists())
    print(f"wrote {out / 'results.csv'}, {out / 'results.json'}, {files} model file(s)"
          + (f" and {', '.join(plots)}" if plots else ""))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return "-".join(map(str, value)) or "none"
    return "" if value is None else str(value)


def _write_csv(path: Path, rows: list[dict]) -> None:
    import csv
    import io

    keys = list(dict.fromkeys(k for row in rows for k in row))
    text = io.StringIO()
    w = csv.DictWriter(text, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: ("-".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()})
    with atomic_path(path) as tmp:
        tmp.write_text(text.getvalue())


__all__ = ["JOURNAL", "LISTS", "SETTINGS", "add_parser", "cmd_sweep", "hidden_arg"]
