"""The L-layer network and its trainer (batch or mini-batch gradient descent).

Logistic regression, the one-hidden-layer network and the L-layer network are
the same engine with different ``layer_dims``:

>>> import numpy as np
>>> import deepstep as ds
>>> X = np.array([[0.0, 1.0, 2.0, 3.0]])
>>> Y = np.array([[0, 0, 1, 1]])
>>> logreg = ds.DeepNetwork([1, 1], init="zeros")
>>> history = logreg.fit(X, Y, learning_rate=0.5, num_iterations=500)
>>> bool(history.cost[0] == np.log(2))   # zero weights: A = 0.5 everywhere
True
>>> logreg.predict(X)
array([[0, 0, 1, 1]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import get_activation
from .backward import backward_from_dZL
from .cost import compute_cost, output_dZ
from .errors import DeepstepError, check_learning_rate, check_parameters, check_positive_int, check_X, check_Y
from .forward import forward_no_cache, linear_activation_forward
from .initialization import RngLike, as_dtype, as_rng, initialize_parameters
from .update import gradient_descent_step

__all__ = ["DeepNetwork", "History"]


@dataclass
class History:
    """What one call of :meth:`DeepNetwork.fit` did.

    ``cost[i]`` is the cost of the forward pass of iteration i, before that
    iteration's update (with mini-batches: the mean batch cost of epoch i).
    """

    cost: list[float] = field(default_factory=list)
    learning_rate: float | None = None
    batch_size: int | None = None

    def __len__(self) -> int:
        return len(self.cost)


class DeepNetwork:
    """A fully-connected network: ``layer_dims = [n[0], n[1], ..., n[L]]``.

    Parameters
    ----------
    layer_dims : sequence of int
        Input size, hidden sizes, output size.  [n_x, 1] is logistic regression.
    hidden_activation : str
        g[1] .. g[L-1]: "relu", "leaky_relu", "tanh", "sigmoid" (or "leaky_relu:SLOPE").
    output_activation : {"sigmoid", "softmax"}
        g[L]: sigmoid for one output unit (binary), softmax for n[L] >= 2 classes.
    init : {"auto", "small", "xavier", "he", "zeros"}
        See :func:`deepstep.initialize_parameters`.
    rng : None, int, Generator or RandomState
        Randomness for the initial weights and the mini-batch shuffles.
    dtype : float32 or float64
        Dtype of parameters, activations and gradients.

    Attributes
    ----------
    parameters : dict
        "W{l}" of shape (n[l], n[l-1]) and "b{l}" of shape (n[l], 1).
    history : History
        The costs of every fit so far, one after the other.
    """

    def __init__(
        self,
        layer_dims: list[int],
        hidden_activation: str = "relu",
        output_activation: str = "sigmoid",
        init: str = "auto",
        rng: RngLike = None,
        dtype: Any = np.float64,
    ) -> None:
        self.hidden = get_activation(hidden_activation)
        self.output = get_activation(output_activation)
        self.dtype = as_dtype(dtype)
        self._rng = as_rng(rng)
        self.parameters = initialize_parameters(
            layer_dims, init, self._rng, self.dtype, hidden_activation=hidden_activation
        )
        self.layer_dims = [self.parameters["W1"].shape[1]] + [
            self.parameters[f"W{l}"].shape[0] for l in range(1, len(self.parameters) // 2 + 1)
        ]
        n_out = self.layer_dims[-1]
        if (self.output.name, n_out > 1) not in (("sigmoid", False), ("softmax", True)):
            raise DeepstepError(
                f"output_activation: expected 'sigmoid' with one output unit or 'softmax' with two or more, "
                f"got {self.output.name!r} with n[L] = {n_out}"
            )
        self.init = init
        self.history = History()
        self.metadata: dict[str, Any] = {}  # kept in model files: classes, input shape, training settings

    @property
    def hidden_activation(self) -> str:
        return self.hidden.name

    @property
    def output_activation(self) -> str:
        return self.output.name

    @property
    def L(self) -> int:
        """Number of layers with parameters."""
        return len(self.layer_dims) - 1

    # -- data checks -------------------------------------------------------
    def _inputs(self, X: Any) -> np.ndarray:
        """X checked and in the network's dtype (a copy only when the dtype differs)."""
        return check_X(X, self.layer_dims[0]).astype(self.dtype, copy=False)

    def _targets(self, Y: Any, m: int) -> np.ndarray:
        """Y as (n[L], m) 0/1 targets in the network's dtype; softmax also takes (1, m) class indices."""
        n_out = self.layer_dims[-1]
        if n_out > 1 and isinstance(Y, np.ndarray) and Y.shape == (1, m):
            labels = Y[0]
            if not (np.issubdtype(Y.dtype, np.number) and (labels == np.round(labels)).all()
                    and labels.min() >= 0 and labels.max() < n_out):
                raise DeepstepError(f"Y: expected class indices 0..{n_out - 1}, got values {np.unique(labels)[:5]}")
            Y = np.eye(n_out, dtype=self.dtype)[:, labels.astype(np.intp)]
        return check_Y(Y, m, n_y=n_out).astype(self.dtype, copy=False)

    # -- training ----------------------------------------------------------
    def _forward(self, X: np.ndarray) -> tuple[np.ndarray, list]:
        A, caches = X, []
        for l in range(1, self.L + 1):
            g = self.output if l == self.L else self.hidden
            A, cache = linear_activation_forward(A, self.parameters[f"W{l}"], self.parameters[f"b{l}"], g)
            caches.append(cache)
        return A, caches

    def _step(self, X: np.ndarray, Y: np.ndarray, alpha: float) -> float:
        """One forward pass, cost, backward pass and update on (X, Y); returns the cost before the update."""
        AL, caches = self._forward(X)
        cost = compute_cost(AL, Y)
        grads = backward_from_dZL(output_dZ(AL, Y), caches, self.hidden, keep_dA0=False)
        gradient_descent_step(self.parameters, grads, alpha)
        return cost

    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        learning_rate: float = 0.0075,
        num_iterations: int = 2500,
        batch_size: int | None = None,
        callback: Callable[[int, float], Any] | None = None,
    ) -> History:
        """Train by gradient descent, continuing from the current parameters.

        Parameters
        ----------
        X : ndarray of shape (n[0], m)
        Y : ndarray of shape (n[L], m)
            0/1 labels (one-hot columns, or (1, m) class indices, for softmax).
        learning_rate : float
            alpha.
        num_iterations : int
            Full-batch iterations, or epochs when ``batch_size`` is set.
        batch_size : int, optional
            Mini-batch size; each epoch shuffles the examples with the network's rng.
        callback : callable, optional
            Called as ``callback(i, cost)`` after iteration (epoch) i.

        Returns
        -------
        History
            ``cost[i]``: the cost of iteration i before its update.
        """
        alpha = check_learning_rate(learning_rate)
        iterations = check_positive_int(num_iterations, "num_iterations")
        batch = check_positive_int(batch_size, "batch_size", allow_none=True)
        X = self._inputs(X)
        m = X.shape[1]
        Y = self._targets(Y, m)
        history = History(learning_rate=alpha, batch_size=batch)
        with np.errstate(over="ignore", invalid="ignore"):
            for i in range(iterations):
                if batch is None or batch >= m:
                    cost = self._step(X, Y, alpha)
                else:
                    perm = self._rng.permutation(m)
                    costs = [
                        self._step(X[:, idx], Y[:, idx], alpha)
                        for idx in (perm[k : k + batch] for k in range(0, m, batch))
                    ]
                    cost = float(np.mean(costs))
                if not np.isfinite(cost):
                    raise DeepstepError(
                        f"learning_rate: training diverged at iteration {i} (cost {cost}); "
                        f"try a smaller learning rate than {alpha}"
                    )
                history.cost.append(cost)
                self.history.cost.append(cost)
                if callback is not None:
                    callback(i, cost)
        return history

    # -- prediction ----------------------------------------------------------
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """A[L] of shape (n[L], m), computed without keeping caches."""
        return forward_no_cache(self._inputs(X), self.parameters, self.hidden, self.output)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels of shape (1, m): 1 where A[L] > 0.5 (sigmoid), else the most likely class (softmax)."""
        A = self.predict_proba(X)
        if A.shape[0] == 1:
            return (A > 0.5).astype(np.int64)
        return A.argmax(axis=0).astype(np.int64)[np.newaxis, :]

    def accuracy(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Fraction of the m examples whose predicted label equals Y's, in [0, 1]."""
        X = self._inputs(X)
        Y = self._targets(Y, X.shape[1])
        truth = Y if Y.shape[0] == 1 else Y.argmax(axis=0)[np.newaxis, :]
        return float(np.mean(self.predict(X) == truth))

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The cross-entropy cost J on (X, Y) with the current parameters."""
        X = self._inputs(X)
        return compute_cost(self.predict_proba(X), self._targets(Y, X.shape[1]))

    def __repr__(self) -> str:
        return (
            f"DeepNetwork({self.layer_dims}, hidden_activation={self.hidden_activation!r}, "
            f"output_activation={self.output_activation!r}, dtype={self.dtype.name})"
        )

    # -- model files (see deepstep.model_io) ---------------------------------
    def save(self, path: str) -> None:
        """Write this network to a ``.npz`` model file, atomically (:func:`deepstep.model_io.save_model`)."""
        from .model_io import save_model

        save_model(self, path)

    @classmethod
    def from_parameters(
        cls,
        parameters: dict[str, np.ndarray],
        hidden_activation: str = "relu",
        output_activation: str = "sigmoid",
        rng: RngLike = None,
    ) -> DeepNetwork:
        """A network holding copies of given parameters ("W{l}" (n[l], n[l-1]), "b{l}" (n[l], 1))."""
        dims = check_parameters(parameters)
        dtype = parameters["W1"].dtype
        net = cls(dims, hidden_activation, output_activation, init="small", rng=0, dtype=dtype)
        if rng is not None:
            net._rng = as_rng(rng)
        net.parameters = {k: np.array(v, dtype=dtype) for k, v in parameters.items()}
        return net
