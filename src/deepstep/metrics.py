"""Classification metrics from true and predicted labels of shape (1, m).

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
"""

from __future__ import annotations

import numpy as np

from .errors import DeepstepError, as_array, check_positive_int

__all__ = ["confusion_matrix", "precision_recall_f1", "classification_report"]


def _class_indices(y: np.ndarray, name: str, n_classes: int | None) -> np.ndarray:
    """Labels as int64 class indices 0, 1, ...: whole numbers >= 0 (and < n_classes when given), or DeepstepError."""
    y = as_array(y, name).ravel()
    if y.dtype.kind == "f" and not (np.isfinite(y).all() and (y == np.round(y)).all()):
        raise DeepstepError(f"{name}: expected class indices (whole numbers), got values such as "
                            f"{y[~(np.isfinite(y) & (y == np.round(y)))][:3].tolist()}")
    if y.size and y.min() < 0:
        raise DeepstepError(f"{name}: expected class indices >= 0, got {y.min():g}")
    if n_classes is not None and y.size and y.max() >= n_classes:
        raise DeepstepError(f"{name}: expected class indices below {n_classes} (the number of classes), "
                            f"got {y.max():g}")
    return y.astype(np.int64)


def _labels(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    t, p = _class_indices(y_true, "y_true", n_classes), _class_indices(y_pred, "y_pred", n_classes)
    if t.shape != p.shape or t.size == 0:
        raise DeepstepError(f"y_pred: expected {t.size} labels like y_true, got {p.size}")
    return t, p


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of examples of true class i predicted as class j; shape (n_classes, n_classes)."""
    if n_classes is not None:
        n_classes = check_positive_int(n_classes, "n_classes")
    t, p = _labels(y_true, y_pred, n_classes)
    k = n_classes or int(max(t.max(), p.max(), 1)) + 1
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C


def precision_recall_f1(y_true: np.ndarray, y_pred: np.ndarray, positive: int = 1) -> tuple[float, float, float]:
    """Precision TP/(TP+FP), recall TP/(TP+FN) and F1 = 2PR/(P+R) of class ``positive`` (0 where undefined)."""
    t, p = _labels(y_true, y_pred)
    tp = int(np.sum((p == positive) & (t == positive)))
    fp = int(np.sum((p == positive) & (t != positive)))
    fn = int(np.sum((p != positive) & (t == positive)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict:
    """Accuracy, confusion matrix, and per-class precision, recall and F1, as plain JSON data."""
    t, p = _labels(y_true, y_pred, len(classes))
    C = confusion_matrix(t, p, len(classes))
    per_class = {}
    for k, name in enumerate(classes):
        precision, recall, f1 = precision_recall_f1(t, p, positive=k)
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": int(C[k].sum())}
    return {"accuracy": float(np.mean(t == p)), "confusion_matrix": C.tolist(), "classes": per_class}
