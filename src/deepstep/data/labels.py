"""Labels as they come (numbers or text, a .npz's own 'classes') made into class indices or real targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import DeepstepError, _describe, check_number
from .common import DatasetError

# -- your own data: labels -------------------------------------------------------------


def _number_name(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _encode_labels(values: np.ndarray, name: str) -> tuple[np.ndarray, list[str]]:
    """Labels (any numbers or strings) -> (1, m) int64 indices into their sorted distinct values, and names."""
    if values.dtype.kind in "biuf":
        v = values.astype(np.float64)
        if not np.isfinite(v).all():
            raise DatasetError(f"{name}: expected finite labels, got NaN or inf")
        distinct, Y = np.unique(v, return_inverse=True)
        classes = [_number_name(c) for c in distinct]
    elif values.dtype.kind in "SU":
        strings = np.char.strip(_decode_utf8(values, f"{name}: expected UTF-8 text labels") if values.dtype.kind == "S"
                                else values)
        distinct, Y = np.unique(strings, return_inverse=True)
        classes = [str(c) for c in distinct]
    else:
        raise DatasetError(f"{name}: expected numbers or strings as labels, got dtype {values.dtype}")
    if len(classes) < 2:
        raise DatasetError(f"{name}: expected at least two different labels (classes), got only {classes}")
    return Y.reshape(1, -1).astype(np.int64), classes


def _decode_utf8(values: np.ndarray, expected: str) -> np.ndarray:
    """Byte strings as text, or DatasetError starting with ``expected`` and quoting the first undecodable one."""
    try:
        return np.char.decode(values, "utf-8")
    except UnicodeDecodeError:
        bad = next(b for b in values.ravel().tolist() if not _is_utf8(b))
        raise DatasetError(f"{expected}, got the bytes {bad[:40]!r}{'...' if len(bad) > 40 else ''}, which are "
                           f"not UTF-8") from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


TASKS = ("auto", "classification", "regression")
"""What the labels of a file are for: "auto" takes classes, and refuses labels that look real-valued."""

# "auto" calls integer labels real-valued when they have more distinct values than this and than m / 10
MAX_AUTO_CLASSES = 20


def _check_task(task: Any) -> str:
    if not isinstance(task, str) or task not in TASKS:
        raise DatasetError(f"task: expected one of {list(TASKS)}, got {_describe(task)}")
    return task


def _continuous(values: np.ndarray) -> str | None:
    """Why numeric labels look like a real-valued target rather than classes (None when they look like classes)."""
    fractional = values[values != np.round(values)]
    if fractional.size:
        return f"non-integer values such as {_number_name(fractional[0])}"
    distinct = np.unique(values).size
    if distinct > MAX_AUTO_CLASSES and distinct > values.size / 10:
        return f"{distinct} distinct values among {values.size} examples"
    return None


def targets(parts: Sequence[np.ndarray], task: str, name: str, names: np.ndarray | None = None
            ) -> tuple[list[np.ndarray], list[str] | None, str]:
    """Label arrays (one per file: the training file, and a test file) as the targets of one task.

    Parameters
    ----------
    parts : list of 1-D arrays
        Labels as read: numbers or strings.
    task : {"auto", "classification", "regression"}
        "classification": the distinct labels of all parts, sorted, are the classes.  "regression": the labels
        must be numbers, kept as float64 values.  "auto": classification, unless the labels are numbers that
        look like a real-valued target (a non-integer value, or more than 20 distinct values and more than
        m / 10): then DatasetError asks for task="regression" (``--task regression``) -- a real target is never
        silently made into hundreds of classes.
    name : str
        How the labels are named in messages.
    names : array of str, optional
        Class names stored with the labels (a .npz's ``classes``): the labels are indices into them.

    Returns
    -------
    Ys : list of (1, m) arrays
        int64 class indices, or float64 values for regression.
    classes : list of str, or None for regression
    task : "classification" or "regression"
    """
    if names is not None:
        if task == "regression":
            raise DatasetError(f"task: 'regression' takes real-valued labels, and {name} holds class indices "
                               "into its 'classes'")
        out = [_npz_targets(Y, names, name) for Y in parts]
        return [Y for Y, _ in out], out[0][1], "classification"
    numeric = all(Y.dtype.kind in "biuf" for Y in parts)
    if task == "regression":
        if not numeric:
            text = next(Y for Y in parts if Y.dtype.kind not in "biuf")
            raise DatasetError(f"{name}: expected numbers as regression targets, got text such as "
                               f"{str(text.ravel()[0])[:40]!r}")
        values = [Y.astype(np.float64).reshape(1, -1) for Y in parts]
        if not all(np.isfinite(v).all() for v in values):
            raise DatasetError(f"{name}: expected finite targets, got NaN or inf")
        return values, None, "regression"
    joined = np.concatenate([Y.ravel() for Y in parts])
    if task == "auto" and numeric:
        v = joined.astype(np.float64)
        why = _continuous(v) if np.isfinite(v).all() else None
        if why is not None:
            raise DatasetError(f"{name}: expected class labels, got what looks like a real-valued target ({why}); "
                               "train a regression (task='regression', deepstep train --task regression), or give "
                               "task='classification' (--task classification) to take each value as a class")
    Y, classes = _encode_labels(joined, name)
    bounds = np.cumsum([0] + [P.size for P in parts])
    return [Y[:, a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)], classes, "classification"


def _npz_targets(Y: np.ndarray, names: np.ndarray, where: str) -> tuple[np.ndarray, list[str]]:
    """Y of a .npz with its own 'classes': (1, m) class indices into those names, checked."""
    if names.ndim != 1 or names.dtype.kind not in "SU" or names.size < 2:
        raise DatasetError(f"classes: expected at least two class names with {where}, got {_describe(names)}")
    if names.dtype.kind == "S":
        names = _decode_utf8(names, f"classes: expected UTF-8 class names with {where}")
    classes = [str(c) for c in names.tolist()]
    ok = Y.dtype.kind in "biu" or (Y.dtype.kind == "f" and np.isfinite(Y).all() and (Y == np.round(Y)).all())
    if not ok or Y.min() < 0 or Y.max() >= len(classes):
        raise DatasetError(f"Y: expected class indices 0..{len(classes) - 1} (into 'classes') in {where}, "
                           f"got {_describe(Y)}")
    return Y.reshape(1, -1).astype(np.int64), classes




def balanced_class_weights(indices: np.ndarray, n_classes: int) -> np.ndarray:
    """The weight of each class under scikit-learn's "balanced" rule, m / (k m_c) for class c of m_c of the m
    examples (0 for a class with none): every class then weighs as much in the cost.

    >>> balanced_class_weights(np.array([0, 0, 0, 1]), 2).tolist()
    [0.6666666666666666, 2.0]
    """
    counts = np.bincount(indices, minlength=n_classes).astype(np.float64)
    return np.where(counts > 0, indices.size / (n_classes * np.maximum(counts, 1)), 0.0)


def class_weights(spec: Any, indices: np.ndarray, n_classes: int, name: str = "class_weight") -> np.ndarray:
    """The weight of each of ``n_classes`` classes, shape (n_classes,): ``spec`` "balanced"
    (:func:`balanced_class_weights` of the examples' class ``indices``) or a dict class index -> weight >= 0 (the
    others 1).

    >>> class_weights({1: 3.0}, np.array([0, 1, 1]), 2).tolist()
    [1.0, 3.0]
    """
    if isinstance(spec, str) and spec == "balanced":
        return balanced_class_weights(indices, n_classes)
    if not isinstance(spec, Mapping):
        raise DeepstepError(f"{name}: expected 'balanced' or a dict class -> weight, got {_describe(spec)}")
    out = np.ones(n_classes)
    for key, w in spec.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or not 0 <= key < n_classes:
            raise DeepstepError(f"{name}: expected classes 0 .. {n_classes - 1} as keys, got {key!r}")
        out[int(key)] = check_number(w, f"{name}[{key!r}]", low=0, expected="a weight >= 0")
    return out
