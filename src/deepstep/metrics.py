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

from .errors import DeepstepError

__all__ = ["confusion_matrix", "precision_recall_f1", "classification_report"]


def _labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if t.shape != p.shape or t.size == 0:
        raise DeepstepError(f"y_pred: expected {t.size} labels like y_true, got {p.size}")
    return t.astype(np.int64), p.astype(np.int64)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of examples of true class i predicted as class j; shape (n_classes, n_classes)."""
    t, p = _labels(y_true, y_pred)
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
    t, p = _labels(y_true, y_pred)
    C = confusion_matrix(t, p, len(classes))
    per_class = {}
    for k, name in enumerate(classes):
        precision, recall, f1 = precision_recall_f1(t, p, positive=k)
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": int(C[k].sum())}
    return {"accuracy": float(np.mean(t == p)), "confusion_matrix": C.tolist(), "classes": per_class}
