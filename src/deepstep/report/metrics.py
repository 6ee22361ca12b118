"""Metrics: classification from true and predicted labels of shape (1, m); regression from true and predicted
values of shape (n[L], m) (R^2, mean absolute error, root mean squared error).

Examples
--------
>>> import numpy as np
>>> from deepstep.metrics import confusion_matrix, precision_recall_f1
>>> y_true, y_pred = np.array([[1, 1, 0, 0, 1]]), np.array([[1, 0, 0, 1, 1]])
>>> confusion_matrix(y_true, y_pred)
array([[1, 1],
       [1, 2]])
>>> [round(v, 4) for v in precision_recall_f1(y_true, y_pred)]
[0.6667, 0.6667, 0.6667]
>>> from deepstep.metrics import r2_score, mean_absolute_error
>>> Y, A = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 2.0, 4.0]])
>>> round(r2_score(Y, A), 6), round(mean_absolute_error(Y, A), 6)   # 1 - 1/2, (0 + 0 + 1)/3
(0.5, 0.333333)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import limits
from ..errors import DeepstepError, _describe, as_array, check_positive_int, check_weight_row

__all__ = ["confusion_matrix", "precision_recall_f1", "classification_report", "r2_score", "mean_absolute_error",
           "root_mean_squared_error", "regression_report"]


def _show(v: np.generic) -> str:
    """A label as it reads: exact for integers (2**64 - 1, not 1.84467e+19), %g for floats."""
    return str(int(v)) if np.issubdtype(type(v), np.integer) else f"{v:g}"


def _class_indices(y: np.ndarray, name: str, n_classes: int | None) -> np.ndarray:
    """Labels as int64 class indices 0, 1, ...: whole numbers >= 0 and below n_classes (when given) and below
    :data:`deepstep.limits.MAX_CLASSES`, or DeepstepError; checked before any cast (no wrap-around, no warning)."""
    y = as_array(y, name).ravel()
    if y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.round(y)).all()):
        raise DeepstepError(f"{name}: expected class indices (whole numbers), got values such as "
                            f"{y[~(np.isfinite(y) & (y == np.round(y)))][:3].tolist()}")
    if not y.size:
        return y.astype(np.int64)
    if y.min() < 0:
        raise DeepstepError(f"{name}: expected class indices >= 0, got {_show(y.min())}")
    if n_classes is not None and y.max() >= n_classes:
        raise DeepstepError(f"{name}: expected class indices below {n_classes} (the number of classes), "
                            f"got {_show(y.max())}")
    if y.max() >= limits.MAX_CLASSES:
        raise DeepstepError(f"{name}: expected class indices below {limits.MAX_CLASSES} (at most "
                            f"{limits.MAX_CLASSES} classes, deepstep.limits.MAX_CLASSES), got {_show(y.max())}")
    return y.astype(np.int64)


def _labels(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    t, p = _class_indices(y_true, "y_true", n_classes), _class_indices(y_pred, "y_pred", n_classes)
    if t.shape != p.shape or t.size == 0:
        raise DeepstepError(f"y_pred: expected {t.size} labels like y_true, got {p.size}")
    return t, p


def _check_n_classes(n_classes: object) -> int:
    k = check_positive_int(n_classes, "n_classes")
    if k > limits.MAX_CLASSES:
        raise DeepstepError(f"n_classes: expected at most {limits.MAX_CLASSES} classes "
                            f"(deepstep.limits.MAX_CLASSES), got {k}")
    return k


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None,
                     sample_weight: object = None) -> np.ndarray:
    """C[i, j] = number of examples of true class i predicted as class j; shape (n_classes, n_classes).

    Without ``n_classes`` the classes are 0 .. max(label) (at least 0 and 1).  Class indices and ``n_classes``
    are at most :data:`deepstep.limits.MAX_CLASSES` (the matrix has n_classes**2 entries).  With
    ``sample_weight`` (m numbers >= 0), C[i, j] sums the weights of those examples (float64).
    """
    if n_classes is not None:
        n_classes = _check_n_classes(n_classes)
    t, p = _labels(y_true, y_pred, n_classes)
    w = check_weight_row(sample_weight, t.size)
    k = n_classes or int(max(t.max(), p.max(), 1)) + 1
    C = np.zeros((k, k), dtype=np.int64 if w is None else np.float64)
    np.add.at(C, (t, p), 1 if w is None else w)
    return C


def precision_recall_f1(y_true: np.ndarray, y_pred: np.ndarray, positive: int = 1,
                        sample_weight: object = None) -> tuple[float, float, float]:
    """Precision TP/(TP+FP), recall TP/(TP+FN) and F1 = 2PR/(P+R) of class ``positive`` (0 where undefined); with
    ``sample_weight``, TP, FP and FN sum the examples' weights."""
    t, p = _labels(y_true, y_pred)
    if isinstance(positive, (bool, np.bool_)) or not isinstance(positive, (int, np.integer)) or positive < 0 \
            or positive >= limits.MAX_CLASSES:
        raise DeepstepError(f"positive: expected a class index (an integer >= 0), got {_describe(positive)}")
    w = check_weight_row(sample_weight, t.size)
    count = np.count_nonzero if w is None else (lambda mask: float(np.dot(mask, w)))
    tp = count((p == positive) & (t == positive))
    fp = count((p == positive) & (t != positive))
    fn = count((p != positive) & (t == positive))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def _check_classes(classes: object) -> list[str]:
    """Class names: a list or tuple of distinct strings, at most MAX_CLASSES of them; or DeepstepError."""
    if not isinstance(classes, (list, tuple)) or not classes or not all(isinstance(c, str) for c in classes):
        raise DeepstepError(f"classes: expected None or a list of class names (strings) such as ['non-cat', 'cat'], "
                            f"got {_describe(classes)}")
    if len(set(classes)) != len(classes):
        repeated = sorted({c for c in classes if classes.count(c) > 1})[:3]
        raise DeepstepError(f"classes: expected distinct class names, got {repeated} more than once")
    if len(classes) > limits.MAX_CLASSES:
        raise DeepstepError(f"classes: expected at most {limits.MAX_CLASSES} class names "
                            f"(deepstep.limits.MAX_CLASSES), got {len(classes)}")
    return list(classes)


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str] | None = None,
                          sample_weight: object = None) -> dict:
    """Accuracy, confusion matrix, per-class precision, recall and F1, and their averages over the classes
    (``macro``: each class alike; ``weighted``: by support), as plain JSON data.  With ``sample_weight`` every
    count is a sum of the examples' weights (support and the confusion matrix too), as scikit-learn's metrics take
    ``sample_weight``.

    ``classes`` names the classes 0, 1, ... (labels must be below its length); None names them "0", "1", ...
    up to the largest label (at least "0" and "1").

    >>> report = classification_report(np.array([[0, 1, 1]]), np.array([[0, 1, 0]]))
    >>> report["accuracy"], report["confusion_matrix"], sorted(report["classes"])
    (0.6666666666666666, [[1, 0], [1, 1]], ['0', '1'])
    """
    if classes is None:
        t, p = _labels(y_true, y_pred)
        names = [str(k) for k in range(int(max(t.max(), p.max(), 1)) + 1)]
    else:
        names = _check_classes(classes)
        t, p = _labels(y_true, y_pred, len(names))
    w = check_weight_row(sample_weight, t.size)
    C = confusion_matrix(t, p, len(names), w)
    per_class = {}
    for k, name in enumerate(names):
        precision, recall, f1 = precision_recall_f1(t, p, positive=k, sample_weight=w)
        support = C[k].sum()
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1,
                           "support": int(support) if w is None else float(support)}
    support = np.array([r["support"] for r in per_class.values()], dtype=np.float64)
    averages = {}
    for how, weights in (("macro", np.ones_like(support)), ("weighted", support)):
        total = weights.sum()
        averages[how] = {key: float(np.dot([r[key] for r in per_class.values()], weights) / total) if total else 0.0
                         for key in ("precision", "recall", "f1")}
    accuracy = float(np.mean(t == p)) if w is None else float(np.dot(t == p, w) / w.sum())
    return {"accuracy": accuracy, "confusion_matrix": C.tolist(), "classes": per_class, **averages}


# -- regression ------------------------------------------------------------------------------------------


def _values(Y: np.ndarray, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True values Y and predictions A: finite arrays of one shape (n[L], m), m >= 1, as float64."""
    Y, A = as_array(Y, "Y"), as_array(A, "A")
    Y, A = (np.atleast_2d(v).astype(np.float64) for v in (Y, A))
    if Y.shape != A.shape or Y.ndim != 2 or Y.shape[1] == 0:
        raise DeepstepError(f"A: expected predictions of the true values' shape (n[L], m), got {A.shape} for {Y.shape}")
    if not (np.isfinite(Y).all() and np.isfinite(A).all()):
        raise DeepstepError("Y: expected finite true values and predictions, got NaN or inf")
    return Y, A


def r2_score(Y: np.ndarray, A: np.ndarray, sample_weight: object = None) -> float:
    """R^2 = 1 - sum (Y - A)^2 / sum (Y - mean(Y))^2 per output (row), averaged over the outputs.

    1 is a perfect fit, 0 is no better than predicting the mean; a constant row scores 1 when predicted exactly,
    else 0 (as scikit-learn's ``r2_score``).  With ``sample_weight`` w: the sums weigh each example by w_j and
    mean(Y) is the weighted mean.
    """
    from ..core.tasks import r2_score as r2

    Y, A = _values(Y, A)
    w = check_weight_row(sample_weight, Y.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        value = r2(A, Y, w)
    if not np.isfinite(value):
        raise DeepstepError("Y: expected values whose squares are finite, got values beyond the float range")
    return value


def _mean(E: np.ndarray, w: np.ndarray | None) -> float:
    """The mean of E (n[L], m) over its entries, example j counted w_j times where ``w`` (m,) is given:
    mean_k (sum_j w_j E[k, j] / sum_j w_j)."""
    return float(np.mean(E) if w is None else np.mean(E @ w) / w.sum())


def mean_absolute_error(Y: np.ndarray, A: np.ndarray, sample_weight: object = None) -> float:
    """MAE = (1 / (n[L] m)) sum |Y - A| (with ``sample_weight`` w: sum_j w_j |Y - A| / (n[L] sum w))."""
    Y, A = _values(Y, A)
    w = check_weight_row(sample_weight, Y.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        E = np.abs(Y / 2 - A / 2)  # halves: Y - A of +-1e308 does not overflow
        value = 2 * _mean(E, w)
    if not np.isfinite(value):
        raise DeepstepError("Y: expected values whose differences are finite, got values beyond the float range")
    return value


def root_mean_squared_error(Y: np.ndarray, A: np.ndarray, sample_weight: object = None) -> float:
    """RMSE = sqrt((1 / (n[L] m)) sum (Y - A)^2) (with ``sample_weight`` w: the mean weighs example j by w_j)."""
    Y, A = _values(Y, A)
    w = check_weight_row(sample_weight, Y.shape[1])
    D = Y / 2 - A / 2  # halves: Y - A of +-1e308 does not overflow
    scale = float(np.max(np.abs(D))) if Y.size else 0.0
    if scale == 0:
        return 0.0
    with np.errstate(over="ignore", under="ignore"):
        squares = (D / scale) ** 2  # scaled: no overflow of the squares
        value = 2 * scale * float(np.sqrt(_mean(squares, w)))
    if not np.isfinite(value):
        raise DeepstepError("Y: expected values whose differences are finite, got values beyond the float range")
    return value


def regression_report(Y: np.ndarray, A: np.ndarray, sample_weight: object = None) -> dict:
    """R^2, MAE and RMSE of predictions A against true values Y (weighted by ``sample_weight`` where given), and
    m."""
    return {"r2": r2_score(Y, A, sample_weight), "mae": mean_absolute_error(Y, A, sample_weight),
            "rmse": root_mean_squared_error(Y, A, sample_weight), "m": int(np.atleast_2d(as_array(Y, "Y")).shape[1])}
