"""What the output layer is for: its cost J, its score, and what Y holds; one registry entry per output activation.

=============  ==========================  =====================================================  =========
output g[L]    task                        cost J                                                 score
=============  ==========================  =====================================================  =========
sigmoid        binary classification       -(1/m) sum(Y log A + (1 - Y) log(1 - A))               accuracy
softmax        multi-class classification  -(1/m) sum_j sum_k Y[k, j] log A[k, j]                 accuracy
linear         regression                  (1/2m) sum_j ||A[:, j] - Y[:, j]||^2                   R^2
=============  ==========================  =====================================================  =========

Each cost is paired with its output activation so that ``dZ[L] = A[L] - Y`` in
every row (the engine's ``output_delta``): the 1/2 of the squared error is there
for that.  The score of regression is the coefficient of determination
R^2 = 1 - sum (Y - A)^2 / sum (Y - mean(Y))^2, averaged over the outputs (as
scikit-learn's ``r2_score``).

>>> import numpy as np
>>> from deepstep.tasks import task_for
>>> reg = task_for("linear")
>>> reg.cost(np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]]))   # (1/(2*2)) (1 + 4)
1.25
>>> float(reg.score(np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 2.0, 4.0]])))   # 1 - 1 / (14/3)
0.7857142857142857
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DeepstepError, check_real_targets, check_Y
from .cost import (
    cost_derivative,
    cross_entropies,
    cross_entropy,
    mean_squared_error,
    mean_squared_errors,
    squared_error_derivative,
)

__all__ = ["Task", "TASKS", "task_for", "r2_score", "column_classes"]

Array = np.ndarray


def column_classes(A: Array) -> Array:
    """The class of each column, (m,): A > 0.5 for one row (a sigmoid output or 0/1 labels), else the row of the
    largest entry (softmax outputs or one-hot labels); of a stack A (k, n[L], m), each one's, (k, m)."""
    return (A[..., 0, :] > 0.5) if A.shape[-2] == 1 else A.argmax(axis=-2)


def _sums_of_squares(AL: Array, Y: Array, weights: Array | None = None) -> Array:
    """sum_j (A[k, j] - Y[k, j])^2 for each output k, shape (n[L],) (each term times w_j with ``weights`` (m,))."""
    D = AL - Y
    return np.einsum("kj,kj->k", D, D) if weights is None else np.einsum("kj,kj,j->k", D, D, weights)


def _mean(Y: Array, weights: Array | None = None) -> Array:
    """Each output's mean over the examples, (n[L], 1) (weighted by ``weights`` (m,) where given)."""
    return Y.mean(axis=1, keepdims=True) if weights is None else (Y @ weights / weights.sum())[:, np.newaxis]


def _r2_from(residual: Array, total: Array) -> float:
    """Mean over the outputs of 1 - residual/total (a constant target: 1 when predicted exactly, else 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1), np.where(residual == 0, 1.0, 0.0))
    return float(per.mean())


def r2_score(AL: Array, Y: Array, weights: Array | None = None) -> float:
    """R^2 = 1 - sum (Y - A)^2 / sum (Y - mean(Y))^2 per output, averaged over the n[L] outputs (with ``weights``
    (m,): each example's terms times its weight, the weighted mean).

    R^2 does not change when Y and A are scaled together, so each output is first divided by a power of two near
    its largest magnitude (exact): targets near 1e308 or 1e-200 score as targets near 1 do, never inf or NaN.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        peak = np.maximum(np.abs(Y).max(axis=1, keepdims=True), np.abs(AL).max(axis=1, keepdims=True))
    if not np.isfinite(peak).all():
        return _r2_from(_sums_of_squares(AL, Y, weights), _sums_of_squares(_mean(Y, weights), Y, weights))
    _, exponent = np.frexp(peak)
    with np.errstate(under="ignore"):
        A1, Y1 = np.ldexp(AL, -exponent), np.ldexp(Y, -exponent)
    return _r2_from(_sums_of_squares(A1, Y1, weights), _sums_of_squares(_mean(Y1, weights), Y1, weights))


@dataclass(frozen=True)
class Task:
    """An output layer's task.

    Attributes
    ----------
    name : str
        "classification" or "regression".
    score_name : str
        The history series and log key of the score: "accuracy" or "r2".
    """

    name: str
    score_name: str

    @property
    def is_classification(self) -> bool:
        return self.name == "classification"

    def cost(self, AL: Array, Y: Array, weights: Array | None = None) -> float:
        """J of A[L] (n[L], m) against Y (n[L], m), without the L2 term (checked arrays: the loop's form); with
        ``weights`` s (1, m) (mean 1), each example's loss counts s_j times."""
        return cross_entropy(AL, Y, weights) if self.is_classification else mean_squared_error(AL, Y, weights)

    def costs(self, ALs: Array, Y: Array) -> list[float]:
        """:meth:`cost` of each A[L] in a stack ``ALs`` (k, n[L], m) against Y (n[L], m) or each its own (Y (k, n[L],
        m)): the same floats, in one pass."""
        return cross_entropies(ALs, Y) if self.is_classification else mean_squared_errors(ALs, Y)

    def derivative(self, AL: Array, Y: Array) -> Array:
        """dA[L] = m dJ/dA[L] (the 1/m is dW's): -(Y/A - (1 - Y)/(1 - A)) for cross-entropy, A - Y for squared error."""
        return cost_derivative(AL, Y) if self.is_classification else squared_error_derivative(AL, Y)

    # the loop adds up a score over mini-batches: "tally" per batch, "score_of" over the epoch
    def tally(self, AL: Array, Y: Array, labels: Array | None) -> Any:
        """What one batch adds to the epoch's score: examples right, or the residual sums of squares."""
        if self.is_classification:
            return int(np.count_nonzero(column_classes(AL) == labels))
        return _sums_of_squares(AL, Y)

    def tallies(self, ALs: Array, Y: Array, labels: Array | None) -> list:
        """:meth:`tally` of each A[L] in a stack ``ALs`` (k, n[L], m) against Y and ``labels`` (m,), or each against
        its own (Y (k, n[L], m), labels (k, m)): the same values (the classes of the whole stack in one pass)."""
        if self.is_classification:
            return [int(n) for n in np.count_nonzero(column_classes(ALs) == labels, axis=1)]
        return [_sums_of_squares(AL, y) for AL, y in zip(ALs, np.broadcast_to(Y, ALs.shape), strict=True)]

    def score_of(self, tally: Any, m: int, reference: Any) -> float:
        """The epoch's score from the summed tallies: accuracy = right / m, or R^2 against ``reference``."""
        if self.is_classification:
            return tally / m
        return _r2_from(tally, reference)

    def check_targets(self, Y: Any, m: int, n_y: int, name: str = "Y") -> Array:
        """Y checked for this task: 0/1 (one-hot) labels, or finite real values; shape (n_y, m)."""
        return check_Y(Y, m, n_y, name) if self.is_classification else check_real_targets(Y, m, n_y, name)

    def reference(self, Y: Array) -> Any:
        """What score_of compares with: nothing for accuracy, sum_j (Y - mean(Y))^2 per output for R^2."""
        return None if self.is_classification else _sums_of_squares(Y.mean(axis=1, keepdims=True), Y)

    def score(self, AL: Array, Y: Array, labels: Array | None = None) -> float:
        """The score of A[L] against Y in one go (accuracy or R^2)."""
        if labels is None and self.is_classification:
            labels = column_classes(Y)
        return self.score_of(self.tally(AL, Y, labels), Y.shape[1], self.reference(Y))


CLASSIFICATION = Task("classification", "accuracy")
REGRESSION = Task("regression", "r2")

TASKS: dict[str, Task] = {"sigmoid": CLASSIFICATION, "softmax": CLASSIFICATION, "linear": REGRESSION}
"""The registry: output activation name -> its :class:`Task`."""


def task_for(output_activation: str) -> Task:
    """The task of an output activation (its registry entry), or DeepstepError."""
    try:
        return TASKS[output_activation]
    except (KeyError, TypeError):
        raise DeepstepError(f"output_activation: expected one of {sorted(TASKS)}, got {output_activation!r}") from None
