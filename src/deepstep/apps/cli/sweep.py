"""``deepstep sweep``: the command line of :func:`deepstep.sweep.sweep`, with the files it writes and ``--resume``
(``deepstep.sweep_command`` of deepstep 0.2).

Into ``--out`` it writes, as each run finishes, its model file (``run-K.npz``, or ``best.npz`` when it is the
best so far with ``--keep best``) and one line of ``runs.jsonl`` (the journal: its row and history).  At the end
(and on Ctrl-C or SIGTERM) it writes ``results.csv``, ``results.json`` and the comparison plots.  ``--resume``
reads the journal and runs only the runs it does not hold; a journal line is appended only after its model file
is in place, so a sweep killed at any moment resumes with nothing lost (a torn last line is ignored).

Nothing silently wrong:

* ``--out`` is locked (``fcntl.flock`` on ``sweep.lock`` in it) for as long as the sweep runs: a second sweep into
  it is refused in one line naming ``--out``.  The kernel lets go of the lock when its process ends however it
  ends (SIGKILL too), so a dead sweep's folder is never locked for ever.
* The journal is read defensively (:func:`_read_journal`): a damaged first line (the header) refuses
  ``--resume`` in one line naming the file; any other damaged line (not UTF-8, not strict JSON, NaN, a missing
  or wrongly typed field, a setting the sweep would refuse) is dropped with a note, and its run runs again.
* Each journal line names the model file it went with and that file's SHA-256; a model file that is not the one
  its line says (another run's file copied over it, a damaged one, one of other settings) is not taken: its run
  runs again, with a note.
* Each model file carries the split it was scored on (``metadata["training"]``: seed, test fraction, ...), so
  that ``deepstep evaluate`` draws the sweep's own test split.
* ``--jobs`` beyond the cores is brought down to them, with a note; a grid of more than
  :data:`deepstep.sweep.MAX_RUNS` runs is refused before anything is built.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import math
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ...atomic import atomic_path
from ...core.tasks import TASKS
from ...errors import DeepstepError
from ...model.files import write_json
from ...model.network import DeepNetwork, one_hot
from ...training.loop import History
from ...training.settings import SETTINGS as TABLE_ROWS
from ...training.settings import TABLE, Setting, optimizer_from
from ..sweep import (
    CHOOSING_FRACTION,
    SETTINGS,
    STATUSES,
    Range,
    SweepInterrupted,
    SweepResult,
    _cores,
    best_row,
    check_run_count,
    check_setting,
    class_weighted,
    settings_key,
    sweep,
    sweep_key,
)
from .common import (
    DEFAULT_PRESET,
    PRESETS,
    UsageError,
    _dataset_key,
    _flag,
    _held_out,
    _load_data,
    _output_folder,
    _split_held,
    _standardizes,
    add_setting_flags,
    class_weight_of,
    delimiter_arg,
    fraction_arg,
    positive_float,
    positive_int,
    seed_arg,
    setting_type,
    size_arg,
    weight_column_of,
)

JOURNAL = "runs.jsonl"
JOURNAL_VERSION = 1
LOCK = "sweep.lock"
"""The file in --out that a running sweep holds locked (and writes its pid into)."""
MAX_JOURNAL_BYTES = 2**31
"""A journal larger than this (2 GiB) is not read."""
MAX_NOTES = 10
"""Notes printed about damaged journal lines or model files, at most (then how many more)."""


# -- flags ----------------------------------------------------------------------------------------------------
def hidden_arg(text: str) -> tuple[int, ...]:
    """One hidden-layer design: "4" (one layer of 4 units), "20-7-5" (three layers), "none" (no hidden layer:
    logistic or softmax regression)."""
    return setting_type(TABLE_ROWS["hidden"])(text)


GRID_ORDER = ("hidden", "hidden_activation", "init", "learning_rate", "num_iterations", "batch_size", "optimizer",
              "beta", "beta1", "beta2", "epsilon", "schedule", "lr_decay", "lr_decay_every", "l2", "keep_prob",
              "early_stopping", "method", "dtype", "batch_norm")
"""The order of the list flags, which is the order of the grid's axes (the last varies fastest): it numbers the
runs, so a journal's run K stays the same run.  Every setting the table lists in a sweep, once (a new one goes
at the end)."""

LISTS: dict[str, Setting] = {TABLE_ROWS[name].dest: TABLE_ROWS[name] for name in GRID_ORDER}
"""Every setting of a run a sweep takes as a list (flag, as argparse stores it -> its row of the table)."""

NOT_COMPARED = ("out", "jobs", "resume", "scheduler", "connect_timeout", "quiet", "func", "command", "run_command")
"""Flags --resume may change: where and how the runs are done, not what they are."""


def add_parser(sub: Any) -> None:
    """The ``sweep`` subcommand on ``sub`` (argparse's subparsers)."""
    w = sub.add_parser(
        "sweep", help="train one network per combination of settings and compare them",
        description="Any setting of a run may be a comma-separated list; the sweep is their product (or --samples "
                    "N combinations drawn with --seed). Each run is seeded from --seed and its own settings, so its "
                    "result does not depend on --jobs or --scheduler. Writes results.csv, results.json, model "
                    "files, the journal runs.jsonl and the comparison plots into --out. A number setting may also "
                    "be a range drawn at random for each of --samples N runs (random search, reproducible from "
                    "--seed): log:1e-4..1 (the course's alpha = 10**r), lin:0.5..0.9, or 1-log:1e-3..1e-1 (beta = "
                    "1 - 10**r). The best run is chosen on held-out examples (--validation-fraction, default 0.2), "
                    "never on the test set.",
        epilog="examples:\n  deepstep sweep --hidden 1,2,3,4,5,20,50 --hidden-activation tanh --learning-rate 1.2 "
               "--iterations 5000\n  deepstep sweep --dataset cats --hidden none --init zeros --learning-rate "
               "0.01,0.001,0.0001 --iterations 1500\n  deepstep sweep --learning-rate log:1e-4..1 --optimizer "
               "momentum --beta 1-log:1e-3..1e-1 --samples 20\n  deepstep sweep ... --jobs 2   |   --scheduler "
               "tcp://HOST:8786\n\nCtrl-C stops the sweep and keeps the finished runs; the same command with "
               "--resume runs the rest.", formatter_class=argparse.RawDescriptionHelpFormatter)
    w.add_argument("--dataset", default="planar", help="as for train (default planar)")
    add_setting_flags(w, LISTS.values(), lists=True)  # --hidden, --learning-rate, ...: comma-separated lists
    add_setting_flags(w, [s for s in TABLE if s.sweep == "single" and s.kind is bool])  # --standardize
    w.add_argument("--samples", type=positive_int, help="draw N combinations instead of the whole product")
    w.add_argument("--keep", choices=["all", "best"], default="all", help="model files of every run, or the best")
    w.add_argument("--seed", type=seed_arg, default=TABLE_ROWS["seed"].default)
    w.add_argument("--validation-fraction", type=fraction_arg, metavar="F",
                   help=f"hold out F of the training set (per class) to choose the best run on (default "
                        f"{CHOOSING_FRACTION:g}, unless --no-hold-out)")
    w.add_argument("--no-hold-out", action="store_true",
                   help="train every run on the whole training set and choose on the training score (as the "
                        "course's own comparisons report train and test figures); never on the test score")
    w.add_argument("--test-fraction", type=fraction_arg, default=0.2)
    w.add_argument("--test-data", metavar="FILE")
    w.add_argument("--task", choices=["auto", "classification", "regression"], default="auto")
    w.add_argument("--label-column")
    w.add_argument("--columns", metavar="A,B,...", help="the feature columns of a CSV file to take")
    w.add_argument("--drop-columns", metavar="A,B,...", help="feature columns of a CSV file to leave out")
    w.add_argument("--delimiter", type=delimiter_arg, default=",")
    w.add_argument("--weight-column", metavar="NAME", help="a CSV column of per-example weights (numbers >= 0; not "
                   "a feature): each run trains with them, and the scores count each example that many times")
    w.add_argument("--class-weight", metavar="balanced|CLASS=W,...", help="weigh each class in every run's cost: "
                   "balanced (class c: m / (k m_c), scikit-learn's rule) or weights by class name; times "
                   "--weight-column's (the scores are weighted by the weight column only, as train's)")
    w.add_argument("--image-size", type=size_arg, metavar="HxW",
                   help="size a folder's pictures are resized to (default: their own, or the most common)")
    w.add_argument("--out", help="output folder (default runs/sweep-DATASET)")
    where = w.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=positive_int, default=1,
                       help="local worker processes (default 1; at most the cores: more are brought down to them)")
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
    """JSON-ready: tuples as lists (the rows' hidden sizes), a range as its text ("log:0.0001..1")."""
    if isinstance(value, Range):
        return str(value)
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Damaged(Exception):
    """A journal line that is not what deepstep writes (why, in its message)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not strict JSON")


def _parse(raw: bytes) -> Any:
    """One journal line as JSON, strictly (UTF-8; no NaN or Infinity), or _Damaged saying why."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise _Damaged("it is not UTF-8 text") from None
    except RecursionError:
        raise _Damaged("it is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, NaN, an integer of too many digits
        raise _Damaged(f"it is not strict JSON ({' '.join(str(exc).split())[:80]})") from None


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_digest(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _check_header(header: Any) -> str | None:
    """Why ``header`` is not a journal's first line (None when it is)."""
    if not isinstance(header, dict):
        return "not a JSON object"
    version = header.get("journal")
    if type(version) is not int or version != JOURNAL_VERSION:
        return f"no \"journal\": {JOURNAL_VERSION}"
    if not isinstance(header.get("command"), dict):
        return "no \"command\" object"
    if not _is_digest(header.get("data_key")):
        return "no \"data_key\""
    score = header.get("score_name")
    if score not in [task.score_name for task in TASKS.values()]:
        return "no known \"score_name\""
    if header.get("score_column") not in (f"val_{score}", f"test_{score}", f"train_{score}"):
        return "no known \"score_column\""
    return None


def _row_keys(header: dict) -> set[str]:
    """The keys of every journal row of a sweep with this header (the command always has test data)."""
    score = header["score_name"]
    scores = {f"train_{score}", f"test_{score}"} | ({f"val_{score}"} if header["score_column"].startswith("val_")
                                                    else set())
    return {"run", *SETTINGS, "cost", *scores, "iterations", "seconds", "status", "message"}


def _setting(key: str, value: Any) -> Any:
    """A journal row's setting as the sweep holds it, or _Damaged: it must be the canonical form itself."""
    value = tuple(value) if key in ("hidden", "keep_prob") and isinstance(value, list) else value
    try:
        canonical = check_setting(key, value, key)
        same = settings_key({key: canonical}) == settings_key({key: value})
    except Exception:  # a refused value of any shape (a dict, nested lists, ...): the line is damaged
        raise _Damaged(f"its {key} is not a value the sweep takes") from None
    if not same or (key == "output_activation" and canonical == "auto"):
        raise _Damaged(f"its {key} is not a value the sweep writes")
    return canonical


def _check_entry(entry: Any, header: dict, max_run: int) -> tuple[dict, dict, dict | None]:
    """A journal line after the header as (row, history, model), checked field by field, or _Damaged."""
    if not isinstance(entry, dict):
        raise _Damaged("it is not a JSON object")
    if not {"row", "history"} <= set(entry) <= {"row", "history", "model"}:
        raise _Damaged("it does not hold exactly a row, a history and a model")
    raw, history, model = entry["row"], entry["history"], entry.get("model")
    if not isinstance(raw, dict) or set(raw) != _row_keys(header):
        raise _Damaged("its row does not have the columns of this sweep")
    run = raw["run"]
    if type(run) is not int or not 0 <= run < max_run:
        raise _Damaged("its run is not a run index")
    row = {k: _setting(k, v) if k in SETTINGS else v for k, v in raw.items()}
    if row["status"] not in STATUSES or row["status"] == "cancelled":
        raise _Damaged("its status is not that of a finished run")
    if not isinstance(row["message"], str):
        raise _Damaged("its message is not text")
    if type(row["iterations"]) is not int or row["iterations"] < 0:
        raise _Damaged("its iterations is not a count")
    for key in sorted(_row_keys(header) - {"run", *SETTINGS, "iterations", "status", "message"}):
        if row[key] is not None and not _is_real(row[key]):
            raise _Damaged(f"its {key} is not a number")
    if not isinstance(history, dict) or not set(history) <= {*History._SERIES, "learning_rate", "batch_size",
                                                             "method", "optimizer"}:
        raise _Damaged("its history is not one a run writes")
    for key in History._SERIES:
        series = history.get(key, [])
        if not isinstance(series, list) or not all(v is None or _is_real(v) for v in series):
            raise _Damaged(f"its history's {key} is not a list of numbers")
    if model is not None and not (isinstance(model, dict) and set(model) == {"file", "sha256"}
                                  and model["file"] in (f"run-{run}.npz", "best.npz")
                                  and _is_digest(model["sha256"])):
        raise _Damaged("its model is not a model file's name and SHA-256")
    return row, history, model


def _journal_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes without the newline, whether the line ended with one), one line in memory at a time."""
    with open(path, "rb") as f:
        for k, raw in enumerate(f, 1):
            yield k, raw.rstrip(b"\n"), raw.endswith(b"\n")


def _read_journal(path: Path, max_run: int | None = None) -> tuple[dict, list[tuple[int, dict]], list[str]]:
    """The journal's header, its run entries (line number, {"row", "history", "model"}) and the notes about the
    lines dropped.

    A damaged header is refused (a UsageError naming the file: it says what the sweep was, nothing can be resumed
    without it); any other damaged line is dropped with a note (its run runs again), but for a torn last line (no
    newline: a kill mid-write), dropped without one.  Never anything but a UsageError."""
    max_run = _max_runs() if max_run is None else max_run
    try:
        size = path.stat().st_size
        if size > MAX_JOURNAL_BYTES:
            raise UsageError(f"--resume: {path} holds {size} bytes, more than a journal's {MAX_JOURNAL_BYTES}; it is "
                             "not a journal deepstep wrote")
        header, entries, notes = None, [], []
        for k, raw, whole in _journal_lines(path):
            try:
                value = _parse(raw)
                if header is None:
                    why = _check_header(value)
                    if why is not None:
                        raise UsageError(f"--resume: {path} line 1 is not the header of a sweep journal deepstep "
                                         f"wrote ({why}); give another --out to start a new sweep")
                    header = value
                    continue
                row, history, model = _check_entry(value, header, max_run)
            except _Damaged as exc:
                if header is None:
                    raise UsageError(f"--resume: {path} line 1 is not the header of a sweep journal deepstep wrote "
                                     f"({exc}); give another --out to start a new sweep") from None
                if whole:
                    notes.append(f"{path} line {k} is damaged ({exc}): dropped (a run it held runs again)")
                continue
            entries.append((k, {"row": row, "history": history, "model": model}))
    except OSError as exc:
        raise UsageError(f"--resume: cannot read {path} ({exc.strerror or type(exc).__name__})") from None
    if header is None:
        raise UsageError(f"--resume: {path} is empty, not a sweep journal deepstep wrote; give another --out to "
                         "start a new sweep")
    return header, entries, notes


def _entry_json(entry: dict) -> dict:
    """A checked journal entry as its line holds it."""
    out = {"row": {k: _plain(v) for k, v in entry["row"].items()}, "history": entry["history"]}
    if entry.get("model") is not None:
        out["model"] = entry["model"]
    return out


def _command(args: argparse.Namespace) -> dict[str, Any]:
    """The flags that say what the runs are (compared by --resume), JSON-ready."""
    return {k: json.loads(json.dumps(v, default=_plain)) for k, v in sorted(vars(args).items())
            if k not in NOT_COMPARED}


def _settings_of(row: dict) -> str:
    return settings_key({k: row[k] for k in SETTINGS})


def _model_of(path: Path, entry: dict, seed: int) -> tuple[DeepNetwork | None, str | None]:
    """The network in ``path`` when it is the one the journal entry went with (its SHA-256, when the entry has one;
    its run, seed and settings), else None and why not."""
    row, model = entry["row"], entry.get("model")
    if not path.exists():
        return None, f"{path.name} is missing"
    try:
        if model is not None and model["file"] == path.name and _sha256(path) != model["sha256"]:
            return None, f"{path.name} is not the file run {row['run']} wrote (its SHA-256 is not the journal's)"
        net = DeepNetwork.load(path)
    except (DeepstepError, OSError) as exc:
        return None, f"{path.name} cannot be read ({' '.join(str(exc).split())[:120]})"
    tag = net.metadata.get("sweep")
    try:
        same = (isinstance(tag, dict) and tag.get("run") == row["run"] and tag.get("seed") == seed
                and isinstance(tag.get("settings"), dict) and settings_key(tag["settings"]) == _settings_of(row))
    except (TypeError, ValueError):  # settings that are not plain JSON
        same = False
    if not same:
        return None, f"{path.name} is not the model of run {row['run']} (its run, seed or settings differ)"
    return net, None


def _previous(out: Path, args: argparse.Namespace, header: dict, entries: list[tuple[int, dict]], column: str
              ) -> tuple[SweepResult, list[dict], list[str]]:
    """The journal's finished runs as a SweepResult for :func:`sweep`'s ``previous`` (their networks read back
    from their model files; a run whose file is missing, damaged or not its own is left out, so it runs again,
    with a note), the journal entries kept and the notes."""
    command = _command(args)
    for key in sorted(set(command) | set(header["command"])):
        if command.get(key) != header["command"].get(key):
            flag = _flag(key)
            raise UsageError(f"--resume: the sweep in {out} was run with {flag} {_shown(header['command'].get(key))},"
                             f" got {flag} {_shown(command.get(key))}; give the same flags, or another --out")
    if header["score_column"] != column:
        raise UsageError(f"--resume: the sweep in {out} compared its runs by {header['score_column']}, this one "
                         f"compares them by {column}; give another --out")
    notes, kept, seen = [], [], set()
    for k, entry in entries:
        settings = _settings_of(entry["row"])
        if settings in seen:
            notes.append(f"{out / JOURNAL} line {k} holds run {entry['row']['run']} again: dropped")
            continue
        seen.add(settings)
        kept.append(entry)
    networks: list[DeepNetwork | None] = [None] * len(kept)
    finished = [i for i, e in enumerate(kept) if e["row"]["status"] in ("ok", "diverged")]
    if args.keep == "all":
        checks = [(i, out / f"run-{kept[i]['row']['run']}.npz") for i in finished]
    else:  # only the best run's file is kept: best.npz must be that run's
        best = best_row([e["row"] for e in kept], column)
        checks = [] if best is None else [(next(i for i, e in enumerate(kept) if e["row"] is best), out / "best.npz")]
    dropped = set()
    for i, path in checks:
        networks[i], why = _model_of(path, kept[i], args.seed)
        if why is not None:
            notes.append(f"{why}: run {kept[i]['row']['run']} runs again")
            dropped.add(i)
    kept = [e for i, e in enumerate(kept) if i not in dropped]
    networks = [n for i, n in enumerate(networks) if i not in dropped]
    previous = SweepResult([e["row"] for e in kept], [e["history"] for e in kept], networks, header["score_name"],
                           header["score_column"], args.seed, data_key=header["data_key"])
    return previous, kept, notes


def _print_notes(notes: list[str]) -> None:
    for note in notes[:MAX_NOTES]:
        print(f"note: --resume: {note}", file=sys.stderr)
    if len(notes) > MAX_NOTES:
        print(f"note: --resume: and {len(notes) - MAX_NOTES} more", file=sys.stderr)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        text = ",".join("-".join(map(str, v)) if isinstance(v, list) else str(v) for v in value)
    else:
        text = "(not given)" if value is None else str(value)
    return text if len(text) <= 200 else text[:200] + "..."




# -- the command ---------------------------------------------------------------------------------------------
def _grid(args: argparse.Namespace, preset: dict, data: Any) -> tuple[dict[str, list], dict[str, Any]]:
    """The grid (flags given a list of several values) and the fixed settings (the preset's, then the flags')."""
    fixed: dict[str, Any] = {"hidden": tuple(preset["hidden"]), "hidden_activation": preset["hidden_activation"],
                             "init": preset["init"], "learning_rate": preset["learning_rate"],
                             "num_iterations": preset["iterations"], "standardize": _standardizes(args, data.name),
                             "output_activation": "linear" if data.task == "regression" else "auto"}
    grid: dict[str, list] = {}
    for flag, row in LISTS.items():
        key = row.name
        values = getattr(args, flag)
        if values is None:
            continue
        fixed.pop(key, None)
        if len(values) == 1 and not isinstance(values[0], Range):  # (a range is drawn from: the grid's)
            fixed[key] = values[0]
        else:
            grid[key] = values
    return grid, fixed


def _check_optimizer_flags(grid: dict[str, list], fixed: dict[str, Any]) -> None:
    """An optimizer flag that no run of the sweep can take (``--beta`` with ``--optimizer adam`` alone, a decay
    rate with only the constant schedule) is refused, as train refuses it; where only some runs cannot take it,
    those runs are recorded as failed and say why."""
    def values(key: str) -> list:  # a range stands for a value it draws (its low end)
        return [v.endpoints()[0] if isinstance(v, Range) else v for v in (grid.get(key) or [fixed.get(key)])]

    failures = []
    for optimizer in values("optimizer"):
        for schedule in values("schedule"):
            try:
                optimizer_from({**{s.name: values(s.name)[0] for s in TABLE if s.takes in ("optimizer", "schedule")},
                                "optimizer": optimizer, "schedule": schedule}, flag=_flag)
                return
            except DeepstepError as exc:
                failures.append(str(exc))
    raise UsageError(f"{failures[0]}; no run of the sweep can take it")




def _score_names(data: Any, validation: Any) -> tuple[str, str]:
    """The task's score ("accuracy", "r2") and the column the sweep compares runs by (validation; the test score is
    reported, never used to choose)."""
    name = next(task.score_name for task in TASKS.values() if task.name == data.task)
    return name, f"{'val' if validation is not None else 'train'}_{name}"


def _max_runs() -> int:
    """deepstep.sweep.MAX_RUNS, read now (the package's ``sweep`` is the function, so by the module's name)."""
    return importlib.import_module("..sweep", __package__).MAX_RUNS


def _run_count(args: argparse.Namespace) -> int:
    """The number of runs the flags make, counted before anything is loaded or built
    (:func:`deepstep.sweep.check_run_count`); a UsageError naming the flags beyond the bound."""
    drawn = [_flag(flag) for flag in LISTS if any(isinstance(x, Range) for x in (getattr(args, flag) or ()))]
    if drawn:  # random search: each run draws its values
        if args.samples is None:
            raise UsageError(f"{drawn[0]}: a range is drawn from once per run: give --samples N (how many runs)")
        if args.samples > _max_runs():
            raise UsageError(f"--samples: expected at most {_max_runs()} runs (deepstep.sweep.MAX_RUNS), got "
                             f"{args.samples}")
        return args.samples
    sizes = {_flag(flag): len(v) for flag in LISTS if (v := getattr(args, flag)) is not None and len(v) > 1}
    try:
        return check_run_count(list(sizes.values()), args.samples)
    except DeepstepError as exc:
        head, _, rest = str(exc).partition(": ")
        if head != "grid":
            raise UsageError(_flagged(str(exc))) from None
        longest = max(sizes, key=lambda flag: sizes[flag])
        made = " x ".join(f"{flag} {n}" for flag, n in sizes.items())
        raise UsageError(f"{longest}: the lists make {made} = {math.prod(sizes.values())} runs, more than "
                         f"{_max_runs()} (deepstep.sweep.MAX_RUNS); shorten them, or draw some of them with "
                         "--samples N") from None


def _jobs(args: argparse.Namespace) -> int:
    """--jobs, brought down to the cores this process may use (with a note)."""
    cores = _cores()
    if args.jobs <= cores:
        return args.jobs
    print(f"note: --jobs {args.jobs} is more than the {cores} core(s) this process may use; running {cores} worker "
          "process(es)", file=sys.stderr)
    return cores


@contextlib.contextmanager
def _only_sweep_in(out: Path) -> Iterator[None]:
    """Hold ``out``/sweep.lock locked meanwhile: a second sweep into ``out`` is refused (one line naming --out).
    The lock (``fcntl.flock``; ``msvcrt.locking`` on Windows) belongs to the open file, so the kernel lets go of it
    when this process ends, however it ends; the file stays, with the last owner's pid in it."""
    path = out / LOCK
    try:
        f = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out: cannot open {path} ({exc.strerror or type(exc).__name__})") from None
    try:
        try:
            if sys.platform == "win32":  # pragma: no cover
                import msvcrt

                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise
                except OSError as exc:  # a file system without locks: say so, rather than sweep unguarded
                    raise UsageError(f"--out: cannot lock {path} ({exc.strerror or type(exc).__name__}); give an "
                                     "--out on a local disk") from None
        except OSError:  # held by another process
            f.seek(0)
            owner = f.read(20).strip()
            who = f" (process {owner})" if owner.isdigit() else ""
            raise UsageError(f"--out: {out} is in use by another running sweep{who}; wait for it to end, or give "
                             "another --out") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        yield
    finally:
        f.close()


def cmd_sweep(args: argparse.Namespace) -> int:
    """Train one network per combination of the listed settings; write the table, models and pictures."""
    from ...data.datasets import resolve_name

    name = resolve_name(args.dataset)
    if args.early_stopping is not None and args.validation_fraction is None:
        raise UsageError("--early-stopping: watches the validation cost; give --validation-fraction too")
    n_runs = _run_count(args)
    data = _load_data(args, name)
    out = _output_folder(Path(args.out) if args.out else Path("runs") / f"sweep-{Path(str(name)).stem}")
    with _only_sweep_in(out):
        return _sweep_into(out, args, name, data, n_runs)


def _every_class(data: Any, train_Y: np.ndarray, validation: tuple | None, test: tuple) -> tuple:
    """The sets' labels as one-hot columns of every class of the data set where the examples trained on lack its
    last ones (the sweep counts labels 0 .. max + 1; ``train`` counts the data set's classes): one softmax unit per
    class, as ``train`` builds, and the test and validation labels of those classes in range.  Elsewhere the labels
    as they are (the sweep's data key, and so ``--resume`` of a journal, unchanged)."""
    k = len(data.classes) if data.task == "classification" and data.classes is not None else 0
    if k <= 2 or train_Y.shape[0] != 1 or not train_Y.size or int(train_Y.max()) + 1 >= k:
        return train_Y, validation, test

    def columns(Y: np.ndarray) -> np.ndarray:
        return one_hot(np.asarray(Y[0], dtype=np.int64), k)

    def pair_of(pair: tuple | None) -> tuple | None:
        return None if pair is None else (pair[0], columns(pair[1]), *pair[2:])

    return columns(train_Y), pair_of(validation), pair_of(test)


def _sweep_into(out: Path, args: argparse.Namespace, name: Any, data: Any, n_runs: int) -> int:
    """The sweep, into ``out`` (locked by this process)."""
    preset = PRESETS.get(name, DEFAULT_PRESET)
    journal = out / JOURNAL
    if args.resume and not journal.exists():
        raise UsageError(f"--resume: there is no sweep to continue in {out} (no {JOURNAL}); drop --resume to start")
    if not args.resume and journal.exists():
        raise UsageError(f"--out: {out} holds a sweep already ({JOURNAL}); continue it with --resume, or give "
                         "another --out")
    grid, fixed = _grid(args, preset, data)
    _check_optimizer_flags(grid, fixed)
    held_note = None
    if args.no_hold_out and args.validation_fraction is not None:
        raise UsageError("--no-hold-out: trains on the whole training set; drop --validation-fraction, or it")
    if args.validation_fraction is None and not args.no_hold_out:  # choosing on the test set would tune on it
        args.validation_fraction = CHOOSING_FRACTION
        held_note = (f"no --validation-fraction: {CHOOSING_FRACTION:g} of the training set is held out (per class, "
                     "--seed) to choose the best run on; the test score is reported, never used to choose")
    held = _held_out(args, data)
    train_X, train_Y, validation = _split_held(data, held)
    # the weight column's weights train the runs (times --class-weight's) and weigh every score, as train's metrics
    column_weights = weight_column_of(data, held)
    if validation is not None and data.train_weights is not None:
        validation = (*validation, data.train_weights[held])
    test = (data.test_X, data.test_Y) if data.test_weights is None else (data.test_X, data.test_Y, data.test_weights)
    train_Y, validation, test = _every_class(data, train_Y, validation, test)
    class_weight = class_weight_of(args, data)
    score_name, column = _score_names(data, validation)
    try:
        key = sweep_key(train_X, train_Y, validation, test, class_weighted(train_Y, column_weights, class_weight),
                        column_weights)
    except DeepstepError as exc:
        raise UsageError(_flagged(str(exc))) from None
    jobs = _jobs(args)
    previous = None
    if args.resume:
        header, entries, notes = _read_journal(journal)
        previous, kept, more = _previous(out, args, header, entries, column)
        _print_notes(notes + more)
        with atomic_path(journal) as tmp:  # without damaged lines, or runs whose model files are not theirs
            tmp.write_text("".join(_json_line(e) for e in [header, *map(_entry_json, kept)]), encoding="utf-8")
        print(f"resuming the sweep in {out}: {len(previous.rows)} finished run(s) kept")
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else f"{jobs} process(es)"
    split = {"seed": args.seed, "test_fraction": args.test_fraction,
             "image_size": list(data.image_shape[:2]) if data.image_shape else None,
             "channels": data.image_shape[2] if data.image_shape else None,
             "label_column": args.label_column, "delimiter": args.delimiter,
             "test_data": str(Path(args.test_data).resolve()) if args.test_data else None,
             "validation_fraction": args.validation_fraction, "weight_column": args.weight_column,
             "class_weight": args.class_weight}
    metadata = dict(classes=list(data.classes) if data.classes else None, dataset=_dataset_key(name),
                    kind=data.kind, image_shape=list(data.image_shape) if data.image_shape else None,
                    task=data.task, features=data.features, label=getattr(data, "label", None), training=split)
    header = {"journal": JOURNAL_VERSION, "command": _command(args), "data_key": key, "score_name": score_name,
              "score_column": column}

    def on_run(row: dict, history: dict, net: Any, best: bool) -> None:
        if not journal.exists():  # written with the first finished run: a sweep refused at its start leaves none
            with atomic_path(journal) as tmp:
                tmp.write_text(_json_line(header), encoding="utf-8")
        entry = {"row": {k: _plain(v) for k, v in row.items()}, "history": history}
        if net is not None and (args.keep == "all" or best):
            net.metadata.update(metadata)
            path = out / (f"run-{row['run']}.npz" if args.keep == "all" else "best.npz")
            net.save(path)
            entry["model"] = {"file": path.name, "sha256": _sha256(path)}
        _append(journal, entry)
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
        if held_note:
            print(held_note, flush=True)
        result = sweep(train_X, train_Y, grid, samples=args.samples, fixed=fixed, validation_data=validation,
                       hold_out=None, test_data=test, seed=args.seed, n_jobs=jobs, keep="all", client=args.scheduler,
                       connect_timeout=args.connect_timeout, previous=previous, on_run=on_run,
                       sample_weight=column_weights, class_weight=class_weight)
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


_SETTING_FLAGS = {row.name: row.option for row in LISTS.values()}


def _flagged(message: str) -> str:
    """A message of :func:`sweep` about one of its arguments ("client: ...", "grid['hidden'][2]: ...",
    "fixed['beta']: ..."), naming the flag instead."""
    head, sep, rest = message.partition(": ")
    setting = re.match(r"^(?:grid|fixed)\['(\w+)'\](?:\[\d+\])?$", head)
    flags = {"client": "--scheduler", "previous": "--resume", "samples": "--samples", "n_jobs": "--jobs",
             "sample_weight": "--weight-column", "validation_data[2]": "--weight-column",
             "test_data[2]": "--weight-column", "class_weight": "--class-weight", **_SETTING_FLAGS}
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
    test_column = f"test_{result.score_name}"  # reported beside, never chosen by
    shown = [*result.varying, column, *([test_column] if any(test_column in r for r in result.rows) else []), "cost",
             "seconds", "status"]
    print("  ".join(f"{k:>14}" for k in ["run", *shown]))
    for row in ordered:
        print("  ".join(f"{_cell(v):>14}" for v in [row["run"], *(row.get(k) for k in shown)]))
    best = result.best
    if best is not None:
        test = f" (test {_cell(best[test_column])}, reported, not chosen by)" if test_column in best else ""
        print(f"best: run {best['run']} ({result.label(best)}), {column} {_cell(best[column])}{test}")
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
