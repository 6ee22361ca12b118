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

from . import activations, gram
from .activations import Activation, check_output_activation, get_activation, get_hidden_activation
from .cost import compute_cost, cross_entropy
from .errors import (
    DeepstepError,
    as_dtype_checked,
    check_learning_rate,
    check_parameters,
    check_positive_int,
    check_X,
    check_Y,
)
from .forward import forward_no_cache
from .gram import gram_pays_off
from .initialization import RngLike, as_dtype, as_rng, initialize_parameters

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
    method: str | None = None  # "plain" or "gram": how the first layer was trained (see DeepNetwork.fit)

    def __len__(self) -> int:
        return len(self.cost)


_METHODS = ("auto", "plain", "gram")


@dataclass(frozen=True)
class _InPlace:
    """A hidden activation computed in place: A[l] overwrites Z[l], and g'(Z[l]) is read off A[l].

    ``forward(Z)`` returns A = g(Z) in Z's buffer; ``backward(dA, A)`` returns
    dZ = dA * g'(Z) in dA's buffer, and may overwrite A (its last use).  Both
    give exactly the values of the activation's own ``g`` and ``backward``.
    """

    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _relu_backward(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    return np.multiply(dA, A > 0, out=dA)  # A > 0 exactly where Z > 0


def _tanh_backward(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
    np.multiply(A, A, out=A)
    np.subtract(1.0, A, out=A)  # 1 - tanh(Z)^2
    return np.multiply(dA, A, out=dA)


def _leaky_in_place(slope: float) -> _InPlace:
    # for 0 <= slope <= 1: where(Z > 0, Z, slope Z) = max(Z, slope Z), and A > 0 exactly where Z > 0
    def forward(Z: np.ndarray) -> np.ndarray:
        return np.maximum(Z, slope * Z, out=Z)

    def backward(dA: np.ndarray, A: np.ndarray) -> np.ndarray:
        one, s = dA.dtype.type(1.0), dA.dtype.type(slope)
        return np.multiply(dA, np.where(A > 0, one, s), out=dA)

    return _InPlace(forward, backward)


def _in_place(g: Activation) -> _InPlace | None:
    """The in-place form of a hidden activation, or None where it has none (sigmoid, custom ones)."""
    if g.g is activations.relu and g.dg is activations.relu_prime:
        return _InPlace(lambda Z: np.maximum(Z, 0, out=Z), _relu_backward)
    if g.g is activations.tanh and g.dg is activations.tanh_prime:
        return _InPlace(lambda Z: np.tanh(Z, out=Z), _tanh_backward)
    if g.name.partition(":")[0] == "leaky_relu" and g.dg is not None:
        probe = np.array([-1.0, 1.0])
        slope = -float(g.g(probe)[0])  # the exact slope (the name shows it rounded)
        exact = np.array_equal(g.g(probe), [-slope, 1.0]) and np.array_equal(g.dg(probe), [slope, 1.0])
        if exact and 0.0 <= slope <= 1.0:
            return _leaky_in_place(slope)
    return None


@dataclass
class _GramState:
    """The first layer in Gram form (:mod:`deepstep.gram`) during a full-batch run."""

    X: np.ndarray  # (n[0], m)
    G: np.ndarray  # X^T X, (m, m)
    P: np.ndarray  # W[1] X, (n[1], m), kept instead of W[1]
    S: np.ndarray  # sum of the iterations' dZ[1], (n[1], m)


class _Trainer:
    """Gradient descent on a network's parameters, in place, with buffers reused from batch to batch.

    The maths of :func:`deepstep.model_forward`, :func:`deepstep.model_backward`
    and :func:`deepstep.update_parameters`, with fewer temporaries:

    * Z[l] = W[l] A[l-1] + b[l] goes into a buffer kept per batch width m, and
      relu, leaky_relu and tanh turn it into A[l] in place (:class:`_InPlace`);
    * dZ[L] = A[L] - Y is written over A[L];
    * dA[l-1] = W[l]^T dZ[l] goes into a buffer and becomes dZ[l-1] in place;
      dA[0] is never computed;
    * dZ[L] is multiplied by alpha/m once, so that by linearity every later
      dZ[l] carries that factor and alpha dW[l] = (alpha/m) dZ[l] A[l-1]^T is
      one product, alpha db[l] one sum (in the Gram form, where dZ[1] itself is
      needed, dW[l] and db[l] are scaled instead);
    * once the whole step's gradients are known, W[l] and b[l] are updated in place.

    Between :meth:`start_gram` and :meth:`finish` the first layer is trained in
    its Gram form (:mod:`deepstep.gram`).
    """

    def __init__(self, net: DeepNetwork, alpha: float, column_major: bool = False) -> None:
        self.alpha = alpha
        self.L = net.L
        self.dims = net.layer_dims
        self.dtype = net.dtype
        self.parameters = net.parameters
        self.W = [None] + [net.parameters[f"W{l}"] for l in range(1, self.L + 1)]
        if column_major:  # working copies; dW = dZ A_prev^T is quicker into column-major memory
            self.W[1:] = [np.asfortranarray(W) for W in self.W[1:]]
        self.b = [None] + [net.parameters[f"b{l}"] for l in range(1, self.L + 1)]
        self.dW = [None] + [np.empty_like(W) for W in self.W[1:]]  # holds alpha dW[l]
        self.db = [None] + [np.empty_like(b) for b in self.b[1:]]  # holds alpha db[l]
        self.hidden = net.hidden
        self.output = net.output
        self.in_place = _in_place(net.hidden)
        self._buffers: dict[int, tuple[list, list]] = {}
        self.gram_state: _GramState | None = None

    def _buffers_for(self, m: int) -> tuple[list, list]:
        """Z[l] (n[l], m) for l = 1..L and dA[l] (n[l], m) for l = 1..L-1, made once per batch width m."""
        if m not in self._buffers:
            Z = [None] + [np.empty((n, m), self.dtype) for n in self.dims[1:]]
            dA = [None] + [np.empty((n, m), self.dtype) for n in self.dims[1:-1]]
            self._buffers[m] = (Z, dA)
        return self._buffers[m]

    def start_gram(self, X: np.ndarray) -> None:
        """Train the first layer in its Gram form on the full batch X until :meth:`finish`."""
        P = gram.first_layer_products(self.W[1], X)
        self.gram_state = _GramState(X, gram.gram_matrix(X), P, np.zeros_like(P))

    def sync(self) -> None:
        """Copy column-major working copies of W[l] back into the network's parameters."""
        for l in range(1, self.L + 1):
            W = self.parameters[f"W{l}"]
            if W is not self.W[l]:
                W[...] = self.W[l]

    def finish(self) -> None:
        """Leave the network's parameters as after the steps done (W[1] from S after a Gram-form run)."""
        if self.gram_state is not None:
            state, self.gram_state = self.gram_state, None
            self.W[1][...] = gram.first_layer_weights(self.W[1], state.S, state.X, self.alpha)
        self.sync()

    def step(self, X: np.ndarray, Y: np.ndarray) -> float:
        """One forward pass, cost, backward pass and update on (X, Y); returns the cost before the update."""
        L, W, b, dW, db, state = self.L, self.W, self.b, self.dW, self.db, self.gram_state
        m = X.shape[1]
        Zs, dAs = self._buffers_for(m)
        A: list[np.ndarray] = [X]
        Z: list[np.ndarray | None] = [None]
        for l in range(1, L + 1):
            Zl = Zs[l]
            if l == 1 and state is not None:
                np.add(state.P, b[1], out=Zl)
            else:
                np.matmul(W[l], A[l - 1], out=Zl)
                Zl += b[l]
            Z.append(Zl)
            if l == L:
                A.append(self.output.g(Zl))
            elif self.in_place is not None:
                A.append(self.in_place.forward(Zl))
            else:
                A.append(self.hidden.g(Zl))
        cost = cross_entropy(A[L], Y)

        step = self.alpha / m
        dZ = np.subtract(A[L], Y, out=A[L])  # dZ[L] = A[L] - Y
        if state is None:
            dZ *= step  # then every dA, dZ, dW and db below carries the factor alpha/m too
        for l in range(L, 0, -1):
            if l == 1 and state is not None:  # dZ[1] goes to the Gram form, below
                np.add.reduce(dZ, axis=1, keepdims=True, out=db[1])
                db[1] *= step
                break
            np.matmul(dZ, A[l - 1].T, out=dW[l])
            np.add.reduce(dZ, axis=1, keepdims=True, out=db[l])
            if state is not None:
                dW[l] *= step
                db[l] *= step
            if l > 1:
                dA = np.matmul(W[l].T, dZ, out=dAs[l - 1])
                if self.in_place is not None:
                    dZ = self.in_place.backward(dA, A[l - 1])
                else:
                    dZ = self.hidden.backward(dA, Z[l - 1])

        for l in range(1, L + 1):
            if l > 1 or state is None:
                W[l] -= dW[l]
            b[l] -= db[l]
        if state is not None:  # dZ is dZ[1]
            state.S += dZ
            state.P = gram.update_products(state.P, dZ, state.G, self.alpha)
        return cost


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
        self.hidden = get_hidden_activation(hidden_activation)
        self.output = get_activation(output_activation, "output_activation")
        self.dtype = as_dtype(dtype)
        self._rng = as_rng(rng)
        self.parameters = initialize_parameters(
            layer_dims, init, self._rng, self.dtype, hidden_activation=hidden_activation
        )
        self.layer_dims = [self.parameters["W1"].shape[1]] + [
            self.parameters[f"W{l}"].shape[0] for l in range(1, len(self.parameters) // 2 + 1)
        ]
        check_output_activation(self.output, self.layer_dims[-1])
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
        return as_dtype_checked(check_X(X, self.layer_dims[0]), self.dtype)

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
    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        learning_rate: float = 0.0075,
        num_iterations: int = 2500,
        batch_size: int | None = None,
        callback: Callable[[int, float], Any] | None = None,
        method: str = "auto",
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
            A mini-batch run works on an example-major copy of X (none is made
            when X is already Fortran-ordered, e.g. the transpose of an (m, n[0]) array).
        callback : callable, optional
            Called as ``callback(i, cost)`` after iteration (epoch) i.  With
            method "gram", ``parameters["W1"]`` is formed when fit returns: a
            callback still sees it as it was when fit started.
        method : {"auto", "plain", "gram"}
            How the first layer is trained; both give the same gradient descent, up to rounding.
            "plain" updates W[1] every iteration.  "gram" (full batch only) keeps
            P = W[1] X and updates it with G = X^T X, and forms W[1] once when
            training stops (:mod:`deepstep.gram`).  "auto" takes "gram" for a full
            batch when m < n[0] and ``num_iterations`` repays the one-off cost of G
            (:func:`deepstep.gram.gram_pays_off`), "plain" otherwise.

        Returns
        -------
        History
            ``cost[i]``: the cost of iteration i before its update; ``method``: the method used.

        Raises
        ------
        DeepstepError
            For bad arguments ("gram" with mini-batches included), or when the cost
            stops being finite (training diverged): then ``parameters`` and
            ``history`` are put back as they were when this call started.  Any other
            exception that stops training (KeyboardInterrupt, or one raised by
            ``callback``) leaves ``parameters`` as after the steps done: raised from
            ``callback``, after whole iterations (epochs), so that training resumes
            exactly where it stopped.
        """
        if not isinstance(method, str) or method not in _METHODS:
            raise DeepstepError(f"method: expected one of {list(_METHODS)}, got {method!r}")
        alpha = check_learning_rate(learning_rate)
        iterations = check_positive_int(num_iterations, "num_iterations")
        batch = check_positive_int(batch_size, "batch_size", allow_none=True)
        X = self._inputs(X)
        m = X.shape[1]
        Y = self._targets(Y, m)
        full_batch = batch is None or batch >= m
        if method == "gram" and not full_batch:
            raise DeepstepError(
                f"method: 'gram' needs full-batch training (batch_size None or >= m = {m}), "
                f"got batch_size {batch}; use method='plain' or 'auto'"
            )
        if method == "auto":
            pays = full_batch and gram_pays_off(self.layer_dims[0], self.layer_dims[1], m, iterations)
            method = "gram" if pays else "plain"
        history = History(learning_rate=alpha, batch_size=batch, method=method)
        self.history.method = method
        trainer = _Trainer(self, alpha, column_major=not full_batch)
        if full_batch:

            def iteration() -> float:
                return trainer.step(X, Y)

        else:  # example-major copies: a mini-batch is then contiguous rows, not scattered columns
            XT = X.T if X.flags.f_contiguous else np.ascontiguousarray(X.T)
            YT = np.ascontiguousarray(Y.T)

            def iteration() -> float:
                perm = self._rng.permutation(m)
                batches = (perm[k : k + batch] for k in range(0, m, batch))
                costs = [trainer.step(XT[idx].T, YT[idx].T) for idx in batches]
                trainer.sync()
                return float(np.mean(costs))

        start = {key: P.copy() for key, P in self.parameters.items()}
        done_before = len(self.history.cost)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                try:
                    if method == "gram":
                        trainer.start_gram(X)
                    for i in range(iterations):
                        cost = iteration()
                        if not np.isfinite(cost):
                            raise DeepstepError(
                                f"learning_rate: training diverged at iteration {done_before + i} (cost {cost}); "
                                f"try a smaller learning rate than {alpha}"
                            )
                        history.cost.append(cost)
                        self.history.cost.append(cost)
                        if callback is not None:
                            callback(i, cost)
                finally:
                    trainer.finish()
        except DeepstepError:  # diverged: back to where this call started, not to weights of inf and NaN
            for key, P in self.parameters.items():
                P[...] = start[key]
            del self.history.cost[done_before:]
            raise
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
