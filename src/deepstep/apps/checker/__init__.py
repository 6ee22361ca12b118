"""``deepstep check``: a learner's own implementation of the course's exercises, checked, and the mistake named.

:func:`check` takes a ``.py`` file, a notebook (``.ipynb``, its code cells in order), a module or a namespace (a
notebook's ``globals()``), finds every function of the course's exercises defined there by the course's names and
signatures, runs each in a child process under a time and a memory limit on the course's kind of cases and on
generated ones, compares it with deepstep's reference (:mod:`deepstep.core.course`), and names the mistake of a
wrong one from a catalogue (:mod:`.mistakes`) with the first quantity that differs and a hint.  The parts:
:mod:`.exercises` (what is checked, with the known wrong versions), :mod:`.compare`, :mod:`.harness` (what runs in
the child), :mod:`.runner` (the child process and its limits); this module gives the :class:`Report`.

Examples
--------
>>> import numpy as np
>>> import deepstep as ds
>>> def linear_backward(dZ, cache):
...     A_prev, W, b = cache
...     return W.T @ dZ, dZ @ A_prev.T, np.sum(dZ, axis=1, keepdims=True)   # no 1/m
>>> report = ds.check({"linear_backward": linear_backward, "np": np})
>>> report.functions["linear_backward"]["status"], report.functions["linear_backward"]["mistake"]
('fail', 'scale_m')
"""

from __future__ import annotations

import html
import json
import os
import types
from collections.abc import Mapping
from typing import Any

from ...errors import DeepstepError
from . import harness, runner
from .exercises import ASSIGNMENTS, EXERCISES
from .mistakes import MISTAKES

__all__ = ["check", "Report", "MISTAKES", "ASSIGNMENTS", "CheckError"]


class CheckError(DeepstepError):
    """A usage error of ``check``: the file, the assignment, a limit."""


class Report:
    """What ``check`` found: per function its status (``pass``, ``fail``, ``error``, ``timeout``, ``missing``),
    the mistake's kind, a message with the first quantity that differs, the expected and the got value, notes.

    Shown as text (``str(report)``), Markdown and HTML (in Jupyter), and JSON (:meth:`to_json`).
    """

    def __init__(self, target: str, functions: dict[str, dict], problems: list[str], assignments: list[str]) -> None:
        self.target = target
        self.functions = functions
        self.problems = problems
        self.assignments = assignments

    @property
    def passed(self) -> bool:
        """Whether every function found passes (missing ones do not count)."""
        found = [r for r in self.functions.values() if r["status"] != "missing"]
        return bool(found) and all(r["status"] == "pass" for r in found)

    @property
    def exit_code(self) -> int:
        """0 when every function found passes, else 1."""
        return 0 if self.passed else 1

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "assignments": self.assignments, "problems": self.problems,
                "functions": self.functions}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, allow_nan=False)

    @staticmethod
    def _verdict(r: dict) -> str:
        if r["status"] == "fail":
            return f"FAIL  {r['mistake']}: {MISTAKES[r['mistake']][0]}"
        return {"pass": "pass", "error": "ERROR", "timeout": "TIMEOUT", "missing": "missing"}[r["status"]]

    def _details(self) -> list[tuple[str, dict, str]]:
        return [(n, r, MISTAKES[r["mistake"]][1] if r.get("mistake") else "")
                for n, r in self.functions.items() if r["status"] in ("fail", "error", "timeout")]

    def __str__(self) -> str:
        width = max([len(n) for n in self.functions] + [8])
        lines = [f"deepstep check {self.target}" + (f" ({', '.join(self.assignments)})" if self.assignments else "")]
        lines += [f"  {n:<{width}}  {self._verdict(r)}" for n, r in self.functions.items()]
        if not self.functions:
            lines.append("  no function of the course's exercises found (they are found by the course's names)")
        for p in self.problems:
            lines.append(f"  note: {p}")
        for n, r, hint in self._details():
            lines += ["", f"{n}: {r['message']}"]
            lines += [f"  {note}" for note in r.get("notes", [])]
            if hint:
                lines.append(f"  hint: {hint}")
        for n, r in self.functions.items():  # what a passing function's check adds, beyond "it agrees"
            notes = [note for note in r.get("notes", []) if not note.startswith("its gradients are those of")]
            if r["status"] == "pass" and notes:
                lines += ["", f"{n}: passes"] + [f"  {note}" for note in notes]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = ["| function | verdict |", "| --- | --- |"]
        rows += [f"| `{n}` | {self._verdict(r)} |" for n, r in self.functions.items()]
        out = [f"**deepstep check** {self.target}", "", *rows]
        for n, r, hint in self._details():
            out += ["", f"**`{n}`**: {r['message']}"] + [f"- {note}" for note in r.get("notes", [])]
            if hint:
                out.append(f"- *hint*: {hint}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(f"<tr><td><code>{esc(n)}</code></td><td>{esc(self._verdict(r))}</td></tr>"
                       for n, r in self.functions.items())
        parts = [f"<p><b>deepstep check</b> {esc(self.target)}</p><table><tr><th>function</th><th>verdict</th></tr>"
                 f"{rows}</table>"]
        for n, r, hint in self._details():
            notes = "".join(f"<li>{esc(note)}</li>" for note in r.get("notes", []))
            if hint:
                notes += f"<li><i>hint</i>: {esc(hint)}</li>"
            parts.append(f"<p><code>{esc(n)}</code>: {esc(r['message'])}</p><ul>{notes}</ul>")
        return "".join(parts)

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for r in self.functions.values():
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        return f"Report({self.target!r}: {counts})"


def _missing(held: list[str], found: dict[str, dict]) -> dict[str, dict]:
    out = {}
    for ex in EXERCISES:
        if ex.assignment in held and ex.name not in found and ex.name not in out and not _helper_only(ex):
            out[ex.name] = harness.FunctionResult(ex.name, "missing", ex.assignment,
                                                  message="not defined").as_dict()
    return out


def _helper_only(ex: Any) -> bool:
    """C2W1's forward_propagation and backward_propagation are given by the course, not written by the learner."""
    return ex.assignment == "c2w1" and ex.name in ("forward_propagation", "backward_propagation")


def check(target: Any, assignment: str | None = None, *, timeout: float = runner.TIMEOUT,
          memory_mb: int = runner.MEMORY >> 20) -> Report:
    """Check a learner's implementation of the course's exercises.

    Parameters
    ----------
    target : str, path, module or mapping
        A ``.py`` file or a ``.ipynb`` notebook (its code cells in order), a module, or a namespace such as a
        notebook's ``globals()``.  Nothing of it is changed.
    assignment : {"c1w2", "c1w3", "c1w4", "c2w1", "c2w2"}, optional
        Which assignment's functions to check; without it the functions' names, signatures and results decide, and
        a name two assignments share is reported as ambiguous when neither fits.
    timeout : float
        Seconds each function may take; one that takes longer is stopped and reported as ``timeout``.
    memory_mb : int
        Memory the code may allocate (MiB), in the child process that runs it.

    Returns
    -------
    Report
        ``report.functions[name]["status"]`` and ``["mistake"]``; ``str(report)`` the text, and in Jupyter it shows
        itself.
    """
    if assignment is not None and assignment not in ASSIGNMENTS:
        raise CheckError(f"assignment: expected one of {list(ASSIGNMENTS)}, got {assignment!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
        raise CheckError(f"timeout: expected seconds in (0, 600], got {timeout!r}")
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or not 64 <= memory_mb <= 16384:
        raise CheckError(f"memory_mb: expected an integer in [64, 16384], got {memory_mb!r}")
    if isinstance(target, (str, os.PathLike)):
        path = os.fspath(target)
        if not path.endswith((".py", ".ipynb")):
            raise CheckError(f"file: expected a .py file or a .ipynb notebook, got {path!r}")
        if not os.path.isfile(path):
            raise CheckError(f"file: no such file: {path!r}")
        try:
            source = harness.read_source(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CheckError(f"file: cannot read {path!r} as {'a notebook' if path.endswith('.ipynb') else 'Python'}"
                             f" ({type(exc).__name__})") from None

        def load() -> tuple:
            ns, defined, problems = harness.load_namespace(source, assignment)
            return ns, defined, problems, source
        label = path
    elif isinstance(target, (types.ModuleType, Mapping)):
        ns = dict(vars(target)) if isinstance(target, types.ModuleType) else target
        package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        names = [n for n, v in ns.items() if isinstance(v, types.FunctionType)  # the learner's, not deepstep's
                 and not os.path.abspath(v.__code__.co_filename).startswith(package + os.sep)]
        label = getattr(target, "__name__", "the namespace") if isinstance(target, types.ModuleType) \
            else "the namespace"

        def load() -> tuple:
            return ns, names, [], None
    else:
        raise CheckError(f"target: expected a file's path, a module or a namespace (a dict such as globals()), got "
                         f"{type(target).__name__}")
    results, problems, held = runner.run(load, assignment, float(timeout), int(memory_mb) << 20)
    harness.annotate(results)
    found = dict(results)
    found.update(_missing(held, results))
    return Report(label, found, problems, held)
