"""What runs in the child process: a learner's code loaded, each exercise function found and checked.

:func:`load_namespace` executes the file's imports, definitions and constant assignments (not its calls, loops or
training runs), with the course's helper modules (``dnn_utils``, ``reg_utils``, ``public_tests`` ...) stood in by
deepstep's; :func:`check_function` runs one function on its cases and names the mistake of a wrong result; the
finite-difference check (:func:`own_gradients`) holds a backward function to the learner's *own* forward and cost.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import os
import re
import signal
import sys
import threading
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...core import course as ref
from .compare import MISSING, Difference, first_difference, generic_mistake, is_scalar, leaf, summary
from .exercises import _NO_MATCH, ASSIGNMENTS, EXERCISES, HARNESS_SEED, Case, Exercise, fresh

__all__ = ["Source", "read_source", "load_namespace", "assignments_of", "candidates", "check_function",
           "check_one", "check_all", "annotate", "FunctionResult"]

#: Function names that only one assignment defines: they tell which assignments a file holds.
MARKERS: dict[str, set[str]] = {
    "c1w2": {"initialize_with_zeros", "propagate", "optimize"},
    "c1w3": {"layer_sizes", "nn_model"},
    "c1w4": {"initialize_parameters_deep", "linear_forward", "linear_activation_forward", "L_model_forward",
             "linear_backward", "linear_activation_backward", "L_model_backward", "L_layer_model",
             "two_layer_model"},
    "c2w1": {"compute_cost_with_regularization", "backward_propagation_with_regularization",
             "forward_propagation_with_dropout", "backward_propagation_with_dropout"},
    "c2w2": {"update_parameters_with_gd", "random_mini_batches", "initialize_velocity",
             "update_parameters_with_momentum", "initialize_adam", "update_parameters_with_adam", "update_lr",
             "schedule_lr_decay"},
}

#: The course's helper modules, stood in: name -> what they give.
HELPERS: dict[str, dict[str, Any]] = {
    "dnn_utils": {"sigmoid": ref.sigmoid_cached, "relu": ref.relu_cached, "sigmoid_backward": ref.sigmoid_backward,
                  "relu_backward": ref.relu_backward},
    "reg_utils": {"sigmoid": ref.sigmoid, "relu": ref.relu, "compute_cost": ref.mean_cost,
                  "forward_propagation": ref.forward_propagation_3,
                  "backward_propagation": ref.backward_propagation_plain},
    "planar_utils": {"sigmoid": ref.sigmoid},
    "opt_utils": {"sigmoid": ref.sigmoid, "relu": ref.relu, "forward_propagation": ref.forward_propagation_3,
                  "backward_propagation": ref.backward_propagation_plain,
                  "compute_cost": lambda a3, Y: ref.mean_cost(a3, Y) * Y.shape[1]},  # opt_utils': the sum
}
HELPERS["dnn_utils_v2"] = HELPERS["dnn_utils"]
HELPERS["opt_utils_v1a"] = HELPERS["opt_utils"]
#: what a file of an assignment finds in its namespace without importing it (the notebook imported it before)
ASSIGNMENT_HELPERS = {"c1w3": "planar_utils", "c1w4": "dnn_utils", "c2w1": "reg_utils", "c2w2": "opt_utils"}
#: modules of the course that are not here (tests, data loaders): importing them gives do-nothing stand-ins
STAND_INS = ("public_tests", "test_cases", "testCases", "testCases_v2", "testCases_v4a", "lr_utils", "dlai_tools",
             "dlai_tools.testing_utils", "test_utils", "dnn_app_utils_v3", "gc_utils")

#: The course's thresholds for a gradient check: below 1e-7 the backward is right (2e-7 in C2W1's exercise);
#: above 1e-3 it is surely wrong.
GRADIENT_THRESHOLD = 2e-7


@dataclass
class Source:
    """A learner's code: its text as one module, and where each line came from (a notebook's cells)."""

    path: str
    text: str
    cells: list[int] | None = None  # line i (1-based) of the text is in cell cells[i - 1] (notebooks)
    cell_lines: list[int] | None = None  # and is line cell_lines[i - 1] of that cell
    chunks: list[tuple[int, int]] | None = None  # each cell's first and last line (notebooks)

    def trees(self) -> tuple[list[ast.stmt], list[str]]:
        """The statements of the code (each cell parsed on its own, with the text's line numbers), and the
        syntax errors met (a cell that does not parse is left out; the others stay)."""
        pieces = [(1, len(self.text.splitlines()))] if self.chunks is None else self.chunks
        lines = self.text.splitlines()
        body: list[ast.stmt] = []
        problems = []
        for first, last in pieces:
            chunk = "\n".join(lines[first - 1:last]) + "\n"
            try:
                tree = ast.parse(chunk, filename=self.path)
            except SyntaxError as exc:
                problems.append(f"syntax error at {self.where((exc.lineno or 1) + first - 1)}: {exc.msg}"
                                + ("; that cell is left out" if self.chunks is not None else ""))
                continue
            ast.increment_lineno(tree, first - 1)
            body += tree.body
        return body, problems

    def where(self, line: int) -> str:
        if self.cells is None or not 1 <= line <= len(self.cells):
            return f"line {line}"
        return f"cell {self.cells[line - 1]}, line {self.cell_lines[line - 1]}"


#: IPython's own syntax on a line: a magic, a shell escape, ``x = !ls``, ``help?``: blanked (not Python)
_IPYTHON_LINE = re.compile(r"^\s*([%!]|\w[\w.]*\s*=\s*[%!])|\?\s*$")


def read_source(path: str) -> Source:
    """A ``.py`` file's text, or a notebook's code cells in order (IPython's own lines blanked, a ``%%`` cell left
    out); the notebook's cells are kept apart (:attr:`Source.chunks`) so that one that does not parse leaves the
    others."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not path.endswith(".ipynb"):
        return Source(path, text)
    nb = json.loads(text)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        raise ValueError("not a notebook: no list of cells")
    lines: list[str] = []
    cells: list[int] = []
    cell_lines: list[int] = []
    chunks: list[tuple[int, int]] = []
    for k, cell in enumerate(nb.get("cells", []), 1):  # cells counted as the notebook shows them, all kinds
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(map(str, src)) if isinstance(src, list) else str(src)
        if src.lstrip().startswith("%%"):  # a cell magic (%%bash, %%time ...): not Python
            continue
        first = len(lines) + 1
        for i, line in enumerate(src.splitlines(), 1):
            lines.append("" if _IPYTHON_LINE.search(line) else line)
            cells.append(k)
            cell_lines.append(i)
        lines.append("")
        cells.append(k)
        cell_lines.append(len(src.splitlines()) + 1)
        chunks.append((first, len(lines)))
    return Source(path, "\n".join(lines) + "\n", cells, cell_lines, chunks)


def _stand_in(name: str, contents: dict[str, Any] | None = None) -> types.ModuleType:
    """A course module stood in: what the checked functions use, and a do-nothing function for any other name
    (a notebook's ``from dnn_app_utils import load_data, plot_costs`` imports, and its exercises are checked)."""
    module = types.ModuleType(name)
    module.__dict__.update(contents or {})
    module.__all__ = list(contents or {})

    def anything(attr: str) -> Callable:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return lambda *a, **k: None
    module.__getattr__ = anything  # type: ignore[method-assign]
    return module


def install_helpers() -> None:
    """Put the stand-ins of the course's helper modules where ``import`` finds them (in the child process)."""
    for name, contents in HELPERS.items():
        sys.modules[name] = _stand_in(name, contents)
    for name in STAND_INS:
        sys.modules[name] = _stand_in(name)


def _has_call(node: ast.AST) -> bool:
    return any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)) for n in ast.walk(node))


def assignments_of(names: set[str]) -> list[str]:
    """The assignments whose marker functions are among ``names``, in the course's order."""
    return [a for a in ASSIGNMENTS if MARKERS[a] & names]


#: Seconds a top-level assignment that calls something may take while the code loads (``relu = make_relu()``
#: runs; ``parameters = L_layer_model(...)`` over a data set is stopped and left out).
STATEMENT_SECONDS = 2.0


class _TooLong(Exception):
    pass


def _run_statement(code: Any, ns: dict[str, Any], limited: bool) -> None:
    """exec ``code``; ``limited``: stopped after :data:`STATEMENT_SECONDS` (in the main thread, where signals go)."""
    if not limited or threading.current_thread() is not threading.main_thread():
        exec(code, ns)  # noqa: S102 -- the learner's own file, in the child process, under its limits
        return

    def stop(signum: int, frame: Any) -> None:
        raise _TooLong

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, STATEMENT_SECONDS)
    try:
        exec(code, ns)  # noqa: S102
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_namespace(source: Source, assignment: str | None = None) -> tuple[dict[str, Any], list[str], list[str]]:
    """Execute the learner's imports, definitions and assignments (not its bare calls, loops or tests: an
    assignment that calls something may take :data:`STATEMENT_SECONDS`); returns (namespace, the names of the
    functions defined, the problems met: a definition that could not run, an import that failed, a syntax
    error)."""
    body, problems = source.trees()
    defined = {node.name: node for node in body if isinstance(node, ast.FunctionDef)}
    held = [assignment] if assignment else assignments_of(set(defined))
    ns: dict[str, Any] = {"__name__": "__learner__", "np": np, "numpy": np}
    for a in reversed(held):
        helper = ASSIGNMENT_HELPERS.get(a)
        if helper:
            ns.update(HELPERS[helper])
    folder = os.path.dirname(os.path.abspath(source.path)) if os.path.isfile(source.path) else None
    if folder and folder not in sys.path:  # the learner's own modules beside the file import
        sys.path.insert(0, folder)
    for node in body:
        kind = type(node).__name__
        calls = False
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            pass
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            calls = _has_call(node.value)
        else:
            continue
        code = compile(ast.Module(body=[node], type_ignores=[]), source.path, "exec")
        try:
            _run_statement(code, ns, calls)
        except _TooLong:
            problems.append(f"the assignment at {source.where(node.lineno)} took more than {STATEMENT_SECONDS:g} s "
                            "and was left out")
        except BaseException as exc:  # noqa: BLE001 -- a missing module, a decorator that fails: left out, said
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
                what = "import" if isinstance(node, (ast.Import, ast.ImportFrom)) else kind
                problems.append(f"{what} at {source.where(node.lineno)} could not run: {type(exc).__name__}: {exc}")
    return ns, [name for name in defined if callable(ns.get(name))], problems


def _arity(fn: Callable) -> tuple[int, int] | None:
    """(required, total) positional parameters of ``fn``, or None when it takes *args."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    required = total = 0
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL,):
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            total += 1
            required += p.default is p.empty
    return required, total


def fits(ex: Exercise, fn: Callable) -> bool:
    """Whether ``fn``'s signature can be the exercise's: it takes the course's arguments (and at most the extra
    ones an older version of the course had, such as C1W3's ``compute_cost(A2, Y, parameters)``)."""
    arity = _arity(fn)
    if arity is None:
        return True
    required, total = arity
    needed = ex.required if ex.required is not None else len(ex.params)
    return required <= len(ex.params) + len(ex.extra) and total >= needed


def candidates(name: str, fn: Callable, held: list[str], assignment: str | None) -> list[Exercise]:
    """The exercises ``fn`` may be: by name and signature, and of the assignments the file holds where it names
    them (a helper of another week pasted into the file, such as dnn_utils' ``sigmoid``, is not checked)."""
    found = [ex for ex in EXERCISES if ex.name == name and (assignment is None or ex.assignment == assignment)]
    fitting = [ex for ex in found if fits(ex, fn)]
    if held:
        fitting = [ex for ex in fitting if ex.assignment in held]
    return fitting


# -- one function ------------------------------------------------------------------------------------------------
@dataclass
class FunctionResult:
    """What the check of one function found (the JSON of the report's entry)."""

    name: str
    status: str  # "pass", "fail", "error", "timeout", "missing"
    assignment: str | None = None
    mistake: str | None = None
    message: str = ""
    case: str | None = None
    quantity: str | None = None
    expected: Any = None
    got: Any = None
    notes: list[str] = field(default_factory=list)
    blamed: list[str] = field(default_factory=list)  # the learner's other functions its mistake comes from

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "assignment": self.assignment, "mistake": self.mistake,
                "message": self.message, "case": self.case, "quantity": self.quantity,
                "expected": self.expected, "got": self.got, "notes": list(self.notes), "blamed": list(self.blamed)}


def _user_line(exc: BaseException, source: Source | None) -> str:
    """Where in the learner's file the exception came from: the last frame in it."""
    if source is None:
        frames = traceback.extract_tb(exc.__traceback__)
        mine = [f for f in frames if "deepstep" not in f.filename.replace("\\", "/").split("/site-packages/")[-1]
                or "__learner__" in f.filename]
        if mine:
            return f" (at {mine[-1].filename}, line {mine[-1].lineno})"
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == source.path]
    if not frames:
        return ""
    lineno = frames[-1].lineno or 0
    lines = source.text.splitlines()
    text = lines[lineno - 1].strip() if 1 <= lineno <= len(lines) else ""  # the code as read (a notebook's cell)
    return f" (at {source.where(lineno)}: {text})"


def _padded(fn: Callable, *args: Any) -> Any:
    """fn(*args), with None for the extra arguments an older course version's signature has (C1W3's
    ``compute_cost(A2, Y, parameters)``: unused by the formula)."""
    arity = _arity(fn)
    if arity is not None and arity[0] > len(args):
        args = args + (None,) * (arity[0] - len(args))
    return fn(*args)


def _call(fn: Callable, case: Case, args: tuple) -> Any:
    np.random.seed(HARNESS_SEED if case.seed is None else case.seed)  # noqa: NPY002 -- the learner's world
    with np.errstate(all="ignore"):
        return _padded(fn, *args)


def _named(ex: Exercise, expected: Any, got: Any) -> Difference | None:
    """The first difference, with a returned tuple's entries named as the course names them."""
    names = ex.outputs
    if names and len(names) == 1:
        return first_difference(expected, got, names[0])
    if names and isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)):
            return Difference("result", expected, got, "type")
        if len(got) != len(expected):
            return Difference("result", expected, got, "length")
        for i, (n, e, g) in enumerate(zip(names, expected, got, strict=False)):
            d = first_difference(e, g, n, (i,))
            if d is not None:
                return d
        return None
    return first_difference(expected, got, ROOTS.get(ex.name, "result"))


#: what the course calls the one value a function returns (where its exercise names no outputs)
ROOTS = {"L_model_backward": "grads", "backward_propagation": "grads", "backward_propagation_with_regularization":
         "gradients", "backward_propagation_with_dropout": "gradients", "update_parameters": "parameters",
         "update_parameters_with_gd": "parameters", "initialize_parameters": "parameters",
         "initialize_parameters_deep": "parameters", "initialize_velocity": "v", "random_mini_batches":
         "mini_batches", "update_lr": "learning_rate", "schedule_lr_decay": "learning_rate", "sigmoid": "s",
         "predict": "Y_prediction"}


def _plain(value: Any) -> Any:
    """A JSON-able summary of a quantity (small arrays in full, large ones by their first entries)."""
    if isinstance(value, np.ndarray):
        if value.size <= 24:
            if value.dtype.kind not in "fiub":
                return {"shape": list(value.shape), "dtype": str(value.dtype), "values": str(value.tolist())}
            values = np.asarray(value, dtype=float).round(10)
            plain = [v if math.isfinite(v) else str(v) for v in values.ravel().tolist()]  # strict JSON: "nan", "inf"
            return {"shape": list(value.shape), "dtype": str(value.dtype),
                    "values": np.array(plain, dtype=object).reshape(value.shape).tolist()}
        return {"shape": list(value.shape), "dtype": str(value.dtype), "summary": summary(value)}
    if is_scalar(value):
        v = float(value)
        return v if math.isfinite(v) else str(v)
    if isinstance(value, dict):
        return {"type": "dict", "keys": sorted(map(str, value))}
    if isinstance(value, (tuple, list)):
        return {"type": type(value).__name__, "length": len(value)}
    if value is None:
        return None
    return {"type": type(value).__name__, "repr": repr(value)[:80]}


def _diagnose(ex: Exercise, case: Case, got: Any, d: Difference) -> str | None:
    """The mistake: the known wrong version whose whole result the learner's equals, else the one whose result
    agrees at the first quantity that differs (a mistake in one layer or one entry), else what the difference
    itself says (a transposed, reshaped, negated or m times larger quantity)."""
    outs = []
    for kind, mutant in ex.mutants:
        out = _call(mutant, case, fresh(case.args))
        if out is _NO_MATCH:
            continue
        if ex.expected_for is not None:
            out = ex.expected_for(out, got)
        if _named(ex, out, got) is None:
            return kind
        outs.append((kind, out))
    if d.reason in ("value", "shape") and d.keys:
        for kind, out in outs:
            theirs = leaf(out, d.keys)
            if theirs is not MISSING and first_difference(theirs, d.got) is None:
                return kind
    kind = generic_mistake(d, case.m)
    if kind is None and ex.value_kind and d.reason == "value":
        kind = ex.value_kind
    if kind is None and d.reason in ("type", "shape", "length", "missing") and \
            d.path.split("[", 1)[0] in ("cache", "caches"):  # the cache holds something else than the course's
        kind = "cache_mixup"
    return kind


def _factor_of_m(d: Difference, m: int) -> str:
    """The factor between got and expected, in terms of m (a scale_m mistake)."""
    with np.errstate(all="ignore"):
        e, g = np.asarray(d.expected, dtype=float).ravel(), np.asarray(d.got, dtype=float).ravel()
        ratio = float(np.median(g[e != 0] / e[e != 0])) if e.size == g.size and np.any(e != 0) else math.nan
    for text, value in (("m", m), ("1/m", 1 / m), ("m^2", m * m), ("1/m^2", 1 / m ** 2), ("2", 2), ("1/2", 0.5)):
        if math.isfinite(ratio) and abs(ratio - value) <= 1e-6 * value:
            return f"{d.path} is {text} times what it should be (m = {m} examples in this case)"
    return f"{d.path} is {ratio:.6g} times what it should be (m = {m})"


def _parameter_names(fn: Callable, ex: Exercise) -> list[str]:
    """The learner's names of the parameters (the course's where they cannot be read)."""
    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return (names + list(ex.params[len(names):]))[: len(ex.params)] if names else list(ex.params)


def _may_update(ex: Exercise, fn: Callable) -> bool:
    """Whether changing its arguments is the course's own way: C2W2's updates, and C1W4's ``update_parameters``
    in the older notebook (v8a), which names its argument ``parameters`` and updates that dict."""
    if ex.updates_inputs:
        return True
    return ex.updates_if_named is not None and _parameter_names(fn, ex)[:1] == [ex.updates_if_named]


def check_function(ex: Exercise, fn: Callable, source: Source | None = None) -> FunctionResult:
    """Run ``fn`` on the exercise's cases; the first case that fails, diagnosed."""
    errors: list[tuple[Case, BaseException]] = []
    failures: list[tuple[Case, Any, Difference]] = []
    mutated: tuple[Case, Difference] | None = None
    for case in ex.cases():
        args = fresh(case.args)
        before = fresh(case.args)
        expected = _call(ex.reference, case, fresh(case.args))
        try:
            got = _call(fn, case, args)
        except BaseException as exc:  # noqa: BLE001 -- the learner's exception (SystemExit too) is a result
            errors.append((case, exc))
            continue
        if not _may_update(ex, fn) and mutated is None:
            names = _parameter_names(fn, ex)
            changed = first_difference(dict(zip(names, before, strict=False)), dict(zip(names, args, strict=False)),
                                       "arguments")
            if changed is not None:
                mutated = (case, changed)
        if ex.expected_for is not None:
            expected = ex.expected_for(expected, got)
        d = _named(ex, expected, got)
        if d is not None:
            failures.append((case, got, d))
    result = FunctionResult(ex.name, "pass", ex.assignment)
    if failures:
        kind = None
        for case, got, d in failures:  # the first case whose result a mistake explains
            kind = _diagnose(ex, case, got, d)
            if kind is not None:
                break
        if kind is None:
            case, got, d = failures[0]
        result.status, result.mistake = "fail", kind or "other"
        result.case, result.quantity = case.label, d.path
        if kind == "scale_m" and case.m:
            result.notes.append(_factor_of_m(d, case.m))
        result.expected, result.got = _plain(d.expected), _plain(d.got)
        why = {"value": "has other values", "shape": "has another shape", "type": "is of another type",
               "missing": "is missing", "length": "has another length"}[d.reason]
        result.message = f"on the case '{case.label}', {d.path} {why}: expected {summary(d.expected)}, got " \
                         f"{summary(d.got)}"
    if mutated is not None:
        case, d = mutated
        argument = d.path[len("arguments['"):].split("']", 1)[0]
        text = f"it changed its argument {argument} in place (case '{case.label}': {d.path[len('arguments'):]})"
        if result.status == "pass":
            result.status, result.mistake, result.case = "fail", "mutates_input", case.label
            result.quantity, result.message = d.path, text
            result.expected, result.got = _plain(d.expected), _plain(d.got)
        else:
            result.notes.append(f"also: {text}")
    if errors:
        case, exc = errors[0]
        text = f"{type(exc).__name__}: {exc}{_user_line(exc, source)}"
        if result.status == "pass":
            result.status, result.case = "error", case.label
            result.message = f"on the case '{case.label}' it raised {text}"
        else:
            result.notes.append(f"on the case '{case.label}' it raised {text}")
    return result


# -- the learner's own forward and cost ---------------------------------------------------------------------------
def _relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    num = float(np.linalg.norm(a - b))
    den = float(np.linalg.norm(a) + np.linalg.norm(b))
    return num / den if den else 0.0


def _finite_differences(J: Callable[[dict], float], theta: dict, eps: float = 1e-6) -> dict:
    approx = {}
    for key, P in theta.items():
        g = np.zeros_like(P, dtype=float)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + eps
            plus = float(J(theta))
            P[idx] = old - eps
            minus = float(J(theta))
            P[idx] = old
            g[idx] = (plus - minus) / (2 * eps)
        approx[key] = g
    return approx


def _labels01(rng: np.random.Generator, m: int) -> np.ndarray:
    return (rng.random((1, m)) > 0.5).astype(float)


def _propagate_problem(ns: dict, rng: np.random.Generator) -> tuple:
    propagate = ns["propagate"]
    w, X, Y = rng.standard_normal((3, 1)), rng.standard_normal((3, 5)), _labels01(rng, 5)
    theta = {"w": w, "b": np.array([[0.3]])}
    grads, cost = propagate(w.copy(), 0.3, X, Y)
    mine = {"w": grads["dw"], "b": np.reshape(np.asarray(grads["db"], float), (1, 1))}
    return theta, lambda t: propagate(t["w"], float(t["b"][0, 0]), X, Y)[1], mine, {}, \
        "your propagate's own cost", cost


def _network_problem(fwd_name: str, dims: list[int], deep: bool) -> Callable:
    def problem(ns: dict, rng: np.random.Generator) -> tuple:
        fwd, cost, back = ns[fwd_name], ns["compute_cost"], ns["L_model_backward" if deep else "backward_propagation"]
        theta = {k: v * 0.5 for k, v in ex_params(rng, dims).items()}
        X, Y = rng.standard_normal((dims[0], 6)), _labels01(rng, 6)
        AL, cache = fwd(X, fresh((theta,))[0])
        grads = back(AL, Y, cache) if deep else back(fresh((theta,))[0], cache, X, Y)
        return theta, lambda t: _padded(cost, fwd(X, t)[0], Y), {k: grads["d" + k] for k in theta}, {}, \
            f"your {fwd_name} and compute_cost", AL
    return problem


def _regularized_problem(ns: dict, rng: np.random.Generator) -> tuple:
    cost, back = ns["compute_cost_with_regularization"], ns["backward_propagation_with_regularization"]
    fwd = ns.get("forward_propagation") if callable(ns.get("forward_propagation")) else ref.forward_propagation_3
    theta, lambd = ex_params(rng, [3, 2, 3, 1]), 0.7
    X, Y = rng.standard_normal((3, 5)), _labels01(rng, 5)
    A3, cache = fwd(X, fresh((theta,))[0])
    grads = back(X, Y, cache, lambd)
    return theta, lambda t: cost(fwd(X, t)[0], Y, t, lambd), {k: grads["d" + k] for k in theta}, {}, \
        "your compute_cost_with_regularization (and the course's forward_propagation)", A3


def _dropout_problem(ns: dict, rng: np.random.Generator) -> tuple:
    fwd, back = ns["forward_propagation_with_dropout"], ns["backward_propagation_with_dropout"]
    theta, kp = ex_params(rng, [3, 4, 3, 1]), 0.7
    X, Y = rng.standard_normal((3, 6)), _labels01(rng, 6)
    A3, cache = fwd(X, fresh((theta,))[0], kp)
    grads = back(X, Y, cache, kp)
    # the forward seeds its masks itself (np.random.seed(1)): every call drops the same units
    return theta, lambda t: ref.mean_cost(fwd(X, t, kp)[0], Y), {k: grads["d" + k] for k in theta}, {}, \
        "your forward_propagation_with_dropout (its masks seeded inside) and the course's compute_cost", A3


def _layer_problem(activation: str | None) -> Callable:
    """linear_backward (activation None) or linear_activation_backward: with J = (1/m) sum(dA * A) of the
    learner's own forward step, dW and db are J's gradients and dA_prev is m times J's gradient in A_prev."""
    def problem(ns: dict, rng: np.random.Generator) -> tuple:
        m = 5
        theta = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal((3, 1)),
                 "A_prev": rng.standard_normal((4, m))}
        dA = rng.standard_normal((3, m))
        if activation is None:
            fwd, back = ns["linear_forward"], ns["linear_backward"]
            out, cache = fwd(*fresh((theta["A_prev"], theta["W"], theta["b"])))

            def J(t: dict) -> float:
                return float(np.sum(dA * fwd(t["A_prev"], t["W"], t["b"])[0])) / m
            dA_prev, dW, db = back(dA.copy(), cache)
            what = "your linear_forward"
        else:
            fwd, back = ns["linear_activation_forward"], ns["linear_activation_backward"]
            out, cache = fwd(*fresh((theta["A_prev"], theta["W"], theta["b"])), activation)

            def J(t: dict) -> float:
                return float(np.sum(dA * fwd(t["A_prev"], t["W"], t["b"], activation)[0])) / m
            dA_prev, dW, db = back(dA.copy(), cache, activation)
            what = f"your linear_activation_forward ({activation})"
        return theta, J, {"W": dW, "b": db, "A_prev": dA_prev}, {"A_prev": m}, what, out
    return problem


#: exercise -> the learner's functions it needs, and the problem: (theta, J(theta), the learner's gradients, a
#: factor per parameter (dA_prev carries no 1/m), what J is)
PROBLEMS: dict[str, tuple[tuple[str, ...], list[Callable]]] = {
    "c1w2.propagate": (("propagate",), [_propagate_problem]),
    "c1w3.backward_propagation": (("forward_propagation", "compute_cost"),
                                  [_network_problem("forward_propagation", [3, 4, 1], False)]),
    "c1w4.L_model_backward": (("L_model_forward", "compute_cost"),
                              [_network_problem("L_model_forward", [4, 3, 2, 1], True)]),
    "c1w4.linear_backward": (("linear_forward",), [_layer_problem(None)]),
    "c1w4.linear_activation_backward": (("linear_activation_forward",),
                                        [_layer_problem("relu"), _layer_problem("sigmoid")]),
    "c2w1.backward_propagation_with_regularization": (("compute_cost_with_regularization",), [_regularized_problem]),
    "c2w1.backward_propagation_with_dropout": (("forward_propagation_with_dropout",), [_dropout_problem]),
}


def own_gradients(ex: Exercise, ns: dict[str, Any]) -> str | None:
    """Whether a backward function's gradients are those of the learner's own forward and cost, by centered
    finite differences in float64 (a text for the report), or None where the check does not apply."""
    needs, problems = PROBLEMS.get(ex.key, ((), []))
    if not problems or not all(callable(ns.get(f)) for f in needs + (ex.name,)):
        return None
    worst: tuple[str, float, str] | None = None
    for i, problem in enumerate(problems):
        with np.errstate(all="ignore"):
            theta, J, mine, factor, what, out = problem(ns, np.random.default_rng(7 + i))
            theta = {k: np.array(v, dtype=float) for k, v in theta.items()}
            if np.asarray(out).dtype == np.float32:
                return f"its gradients were not held to finite differences: the forward pass ({what}) is in " \
                       "float32, where a centered difference of step 1e-6 is mostly rounding (its results were " \
                       "compared with the reference all the same)"
            approx = _finite_differences(lambda t, J=J: float(np.squeeze(J(t))), theta)
        for key in theta:
            got = np.asarray(mine[key], dtype=float)
            if got.shape != approx[key].shape:
                return f"its d{key} has shape {got.shape}, {key} has {approx[key].shape}"
            diff = _relative_difference(got, approx[key] * factor.get(key, 1))
            if not math.isfinite(diff):
                return f"its d{key} is not finite"
            if worst is None or diff > worst[1]:
                worst = (key, diff, what)
    key, diff, what = worst
    if diff < GRADIENT_THRESHOLD:
        return f"its gradients are those of {what}: centered finite differences agree (largest relative " \
               f"difference {diff:.1e}, d{key}; the course's threshold is 2e-7)"
    return f"its gradients are not those of {what}: d{key} differs from centered finite differences by a " \
           f"relative {diff:.1e} (the course: below 1e-7 is right, above 1e-3 surely wrong)"


def ex_params(rng: np.random.Generator, dims: list[int]) -> dict:
    return {k: v for l in range(1, len(dims)) for k, v in
            ((f"W{l}", rng.standard_normal((dims[l], dims[l - 1]))), (f"b{l}", rng.standard_normal((dims[l], 1))))}


# -- every function of a file -----------------------------------------------------------------------------------
def check_one(name: str, ns: dict[str, Any], held: list[str], assignment: str | None,
              source: Source | None, statuses: dict[str, str] | None = None) -> FunctionResult | None:
    """The check of the function ``name`` of the namespace: against each exercise it may be; the first that passes,
    else the first (named ambiguous when there were several); None when it can be none (not checked)."""
    fn = ns[name]
    exs = candidates(name, fn, held, assignment)
    if not exs:
        return None
    references = {e.name: e.reference for e in EXERCISES if e.assignment == exs[0].assignment}
    stuck = [u for u, status in (statuses or {}).items() if status in ("timeout", "error") and u != name
             and u in references and callable(ns.get(u)) and getattr(ns[u], "__globals__", None) is fn.__globals__]
    if stuck:  # the learner's functions that loop, crash or raise: the course's stand in for them
        g = fn.__globals__
        saved = {u: g.get(u) for u in stuck}
        g.update({u: references[u] for u in stuck})
        try:
            result = check_one(name, ns, held, assignment, source, {k: v for k, v in (statuses or {}).items()
                                                                    if k not in stuck})
        finally:
            g.update(saved)
        called = [u for u in stuck if u in _called_deeper(ns, fn) or u in PROBLEMS.get(exs[0].key, ((), []))[0]]
        if called:
            result.notes.insert(0, f"checked with the course's {', '.join(called)} in place of yours, which "
                                   f"{'does' if len(called) == 1 else 'do'} not run (above)")
        return result
    results = [check_function(ex, fn, source) for ex in exs]
    passed = [r for r in results if r.status == "pass"]
    result = passed[0] if passed else results[0]
    if len(exs) > 1:
        which = ", ".join(ex.assignment for ex in exs)
        if not passed:
            result.notes.append(f"ambiguous: {name} is an exercise of {which}; checked as {result.assignment}'s "
                                f"(pass --assignment to choose)")
        elif len(passed) < len(results):
            result.notes.append(f"{name} is an exercise of {which}; it is {result.assignment}'s")
    ex = next(e for e in exs if e.assignment == result.assignment)
    blame(ex, fn, ns, result, held, source)
    broken = [f for f in PROBLEMS.get(ex.key, ((), []))[0] if f != name and (statuses or {}).get(f, "pass") != "pass"]
    if result.blamed or result.status in ("error", "timeout"):
        pass  # its mistake is another function's, or it does not run: finite differences would say nothing more
    elif broken:  # its own forward is wrong, loops or crashes: the finite differences would only show that
        result.notes.append(f"its gradients were not held to finite differences of your {', '.join(broken)}, "
                            "which is wrong (above)")
    elif ex.key in PROBLEMS:
        try:
            note = own_gradients(ex, ns)
        except Exception as exc:  # noqa: BLE001 -- the learner's forward, cost or backward raised
            note = f"its gradients could not be held to finite differences of your own forward and cost: they " \
                   f"raised {type(exc).__name__}: {exc}{_user_line(exc, source)}"
        if note:
            result.notes.append(note)
    return result


def blame(ex: Exercise, fn: Callable, ns: dict[str, Any], result: FunctionResult, held: list[str],
          source: Source | None) -> None:
    """A function that calls the learner's other exercise functions: when it fails, run it again with those
    replaced by the course's; if it then passes, the mistake is theirs, and it says so."""
    if result.status == "pass" or not ex.uses:
        return
    called = _called_deeper(ns, fn)  # (its own calls first, then theirs)
    used = [u for u in ex.uses if u in called]
    if not used:
        return
    exs = {u: next(e for e in EXERCISES if e.name == u and e.assignment == ex.assignment) for u in used}
    g = fn.__globals__
    saved = {u: g.get(u) for u in used}
    try:
        g.update({u: e.reference for u, e in exs.items()})
        alone = check_function(ex, fn, source)
    finally:
        g.update(saved)
    if alone.status == "pass":
        theirs = {u: check_function(exs[u], ns[u], source) for u in used}
        inner = [u for u in used if theirs[u].status != "pass"] or used
        # a wrong function that calls another wrong one may be wrong only through it: name the innermost
        roots = [u for u in inner if not any(v in exs[u].uses for v in inner if v != u)] or inner
        who = " and ".join(roots)
        result.notes.insert(0, f"with the course's {', '.join(used)} in place of yours it passes: the mistake is "
                               f"in your {who}")
        result.message = f"wrong because your {who} {'is' if len(roots) == 1 else 'are'} wrong; " + result.message
        result.blamed = roots
        result.mistake = theirs[roots[0]].mistake or result.mistake
    else:
        result.mistake, result.message = alone.mistake, alone.message
        result.case, result.quantity, result.expected, result.got = alone.case, alone.quantity, alone.expected, \
            alone.got


def _called_deeper(ns: dict[str, Any], fn: Callable, depth: int = 3) -> list[str]:
    names: list[str] = []
    frontier = [fn]
    for _ in range(depth):
        nxt = []
        for f in frontier:
            for n in getattr(getattr(f, "__code__", None), "co_names", ()):
                g = ns.get(n)
                if callable(g) and hasattr(g, "__code__") and n not in names:
                    names.append(n)
                    nxt.append(g)
        frontier = nxt
    return names


def exercise_names() -> set[str]:
    return {ex.name for ex in EXERCISES}


def annotate(results: dict[str, dict]) -> None:
    """A backward function whose forward is wrong too: say the forward first (the check runs on its results)."""
    for name, r in results.items():
        ex = next((e for e in EXERCISES if e.name == name and e.assignment == r.get("assignment")), None)
        for f in (ex.forward if ex else ()):
            if f != name and f in results and results[f]["status"] != "pass":
                r["notes"].insert(0, f"your {f} is wrong too ({results[f]['mistake'] or results[f]['status']}): "
                                     "fix it first, since this function's gradients are those of its results")


def check_all(ns: dict[str, Any], defined: list[str], assignment: str | None,
              source: Source | None) -> dict[str, dict]:
    """Every exercise function defined, checked in this process (in the order of definition)."""
    held = [assignment] if assignment else assignments_of(set(defined))
    names = [n for n in defined if n in exercise_names()]
    results: dict[str, dict] = {}
    for n in names:
        r = check_one(n, ns, held, assignment, source, {k: r["status"] for k, r in results.items()})
        if r is not None:
            results[n] = r.as_dict()
    annotate(results)
    return results
