"""A diagnostic instead of silence: what a trained network's results say went wrong, and what to try.

Two signs the course teaches to look for, checked after training:

* a classifier that predicts **one class for every training example** has learned
  nothing but the majority (unscaled inputs saturate the first layer; a learning
  rate too small never leaves the start, too large jumps past);
* a cost that **has not moved** from its first value.

>>> import numpy as np
>>> import deepstep as ds
>>> from deepstep.diagnostics import diagnose
>>> X = np.array([[1.0, 2.0, 3.0, 4.0]]) * 1000
>>> Y = np.array([[0, 0, 1, 1]])
>>> net = ds.DeepNetwork([1, 1], init="zeros")
>>> _ = net.fit(X, Y, learning_rate=1e-12, num_iterations=3)
>>> for note in diagnose(net, X, Y):
...     print(note.split(";")[0])
the cost has not moved: 0.693147 after 3 iterations, from 0.693147
the model predicts class '1' for every training example
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["diagnose", "COST_UNMOVED"]

COST_UNMOVED = 1e-3
"""The cost "has not moved" when its last value is within this share of its first."""


def diagnose(net: Any, X: np.ndarray, Y: np.ndarray) -> list[str]:
    """Notes (one line each, empty when all looks sound) on a trained network and its training examples.

    Parameters
    ----------
    net : DeepNetwork
        Trained: its ``history`` holds the costs.
    X : ndarray of shape (n[0], m)
    Y : ndarray of shape (n[L], m) or (1, m)
        The training examples, as given to ``fit``.
    """
    notes = []
    cost = net.history.cost
    if len(cost) >= 2 and abs(cost[-1] - cost[0]) <= COST_UNMOVED * abs(cost[0]):
        notes.append(f"the cost has not moved: {cost[-1]:.6g} after {len(cost)} iterations, from {cost[0]:.6g}; "
                     "try a larger learning rate, or optimizer 'adam'" + _scale_hint(net))
    if net.task.is_classification:
        predicted = np.unique(net.predict(X))
        truth = Y if Y.shape[0] == 1 else Y.argmax(axis=0)  # (1, m) labels or class indices, or one-hot columns
        if predicted.size == 1 and np.unique(truth).size > 1:
            names = net.metadata.get("classes")
            which = names[int(predicted[0])] if names and int(predicted[0]) < len(names) else str(int(predicted[0]))
            notes.append(f"the model predicts class {which!r} for every training example; "
                         "try another learning rate (smaller when the cost jumps, larger when it barely falls), "
                         "optimizer 'adam', or more iterations" + _scale_hint(net))
    return notes


def _scale_hint(net: Any) -> str:
    if getattr(net, "standardizer", None) is not None:
        return ""
    return "; and scale the inputs (standardize the features: --standardize, or DeepNetwork(standardize=True))"
