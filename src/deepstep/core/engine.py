"""The engine: the kernels of one layer, and forward/backward passes over reused buffers.

The kernels are the maths of the course, one function each, written with
``out=`` buffers so that the course's step functions (:mod:`deepstep.forward`,
:mod:`deepstep.backward`, which allocate) and the training loop (which reuses
buffers from batch to batch) run the *same* code:

* :func:`linear` -- ``Z = W A_prev + b``
* :func:`output_delta` -- ``dZ[L] = A[L] - Y`` (sigmoid or softmax output with the cross-entropy cost)
* :func:`weight_gradients` -- ``dW = (1/m) dZ A_prev^T``, ``db = (1/m) sum(dZ, axis=1)``
* :func:`input_gradient` -- ``dA_prev = W^T dZ``
* :func:`add_l2_gradient` -- ``dW += (lambd/m) W``
* :func:`dropout_mask`, :func:`apply_dropout` -- inverted dropout ``A = A * D / keep_prob``

:class:`Engine` runs them layer by layer: :meth:`Engine.forward` fills Z[l]/A[l]
(hidden activations computed in place where the activation has its in-place
pair), :meth:`Engine.backward` fills the raw gradients dW[l], db[l] exactly as
the contract defines them.  The learning rate is the optimizer's business
(:mod:`deepstep.optimizers`); the first layer may be handed to a strategy
(:mod:`deepstep.gram`) that never forms dW[1].

Examples
--------
>>> import numpy as np
>>> from deepstep.engine import linear, weight_gradients
>>> Z = linear(np.array([[3.0, -1.0]]), np.array([[1.0], [2.0]]), np.array([[0.5]]))
>>> Z
array([[1.5]])
>>> dW, db = weight_gradients(np.array([[1.0, 3.0]]), np.array([[1.0, 2.0]]))
>>> dW, db
(array([[3.5]]), array([[2.]]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import layers as _layers
from .activations import Activation

__all__ = [
    "Engine",
    "forward_no_cache",
    "linear",
    "output_delta",
    "weight_gradients",
    "bias_gradient",
    "input_gradient",
    "add_l2_gradient",
    "l2_cost",
    "dropout_mask",
    "apply_dropout",
]

Array = np.ndarray


# the kernels live in deepstep.core.kernels (the layer kinds use them too); they are this module's names as before
from .kernels import (  # noqa: E402
    add_l2_gradient,
    apply_dropout,
    bias_gradient,
    dropout_mask,
    input_gradient,
    l2_cost,
    linear,
    output_delta,
    weight_gradients,
)

#: Prediction runs over at most this many activation values at once (columns in chunks; 32 MiB as float64), so
#: that predicting many examples with wide layers (a decision boundary's grid) never holds n[l] x m at once.
PREDICT_CHUNK_VALUES = 2**22


def forward_no_cache(X: Array, parameters: Any, hidden: Activation, output: Activation, state: Any = None) -> Array:
    """A[L] (n[L], m) from X (n[0], m), keeping no caches (prediction; inputs not checked): batch-normalized
    layers use ``state``'s running averages.

    When the widest layer times m exceeds :data:`PREDICT_CHUNK_VALUES`, the columns go through in chunks (each
    column's result is the same computation either way).
    """
    L = sum(1 for k in parameters if k[:1] == "W" and k[1:].isdigit())
    m = X.shape[1]
    widest = max(parameters[f"W{l}"].shape[0] for l in range(1, L + 1))
    step = max(1, PREDICT_CHUNK_VALUES // max(1, widest))
    if m <= step:
        return _forward_columns(X, parameters, hidden, output, state)
    first = _forward_columns(X[:, :step], parameters, hidden, output, state)
    out = np.empty((first.shape[0], m), dtype=first.dtype)
    out[:, :step] = first
    for j in range(step, m, step):
        out[:, j:j + step] = _forward_columns(X[:, j:j + step], parameters, hidden, output, state)
    return out


def _forward_columns(X: Array, parameters: Any, hidden: Activation, output: Activation, state: Any) -> Array:
    return forward_layers(X, parameters, hidden, output, state=state, training=state is None)


def forward_layers(A: Array, parameters: Any, hidden: Activation, output: Activation, start: int = 1,
                   masks: Any = None, Z_start: Array | None = None, state: Any = None,
                   training: bool = True) -> Array:
    """A[L] (n[L], m) from A[start-1], keeping no caches: ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g[l](Z[l])``
    (and ``A[l] := A[l] * D[l] / keep_prob[l]`` where ``masks[l-1]`` is given) for l = start .. L.

    The one cache-free traversal (prediction, gradient checking and ``explain``'s replays): the network's
    layers (:func:`deepstep.core.layers.layers_for`), each through its own forward.

    Parameters
    ----------
    A : ndarray of shape (n[start-1], m)
        A[start-1] (X for start = 1); not read when ``Z_start`` is given.
    parameters : mapping
        "W{l}" (n[l], n[l-1]) and "b{l}" (n[l], 1) for l = 1 .. L.
    hidden, output : Activation
        g[1..L-1] and g[L].
    start : int
        The first layer to run.
    masks : sequence, optional
        ``masks[l-1]``: the dropout ``(D, keep_prob)`` of layer l, or None.
    Z_start : ndarray, optional
        Z[start] already formed (the Gram form's first layer gives it); then A is not used.
    """
    return _layers.forward_layers(A, parameters, _layers.layers_of(parameters, hidden, output), start, masks,
                                  Z_start, state=state, training=training)


# -- the passes over reused buffers ----------------------------------------------------------


class Engine:
    """Forward and backward passes of one network, over buffers reused from batch to batch.

    The traversal of :func:`deepstep.core.layers.forward_layers` and ``backward_layers`` with each layer
    kind's buffered pair (``forward_`` / ``backward_``, right under the plain pair in its class), so a new layer
    kind brings its own fast path and this loop does not change.

    Parameters
    ----------
    layer_dims : list of int
        [n[0], ..., n[L]].
    hidden, output : Activation
        g[1] = ... = g[L-1] and g[L] (sigmoid or softmax: dZ[L] = A[L] - Y).
    dtype : numpy dtype
    keep_prob : sequence of L-1 floats
        Inverted-dropout keep probability of each hidden layer (1.0: no dropout).
    lambd : float
        L2 strength; the gradients returned include (lambd/m) W[l].

    Notes
    -----
    After :meth:`forward`, ``A[L]`` holds the output; :meth:`backward` writes
    dZ[L] over it.  The gradients ``dW[l]``, ``db[l]`` are the engine's own
    buffers (the optimizer may use them as scratch).  With ``first`` (a first-layer
    strategy, :mod:`deepstep.gram`), Z[1] comes from the strategy and dZ[1] is
    left in :attr:`dZ1` instead of forming dW[1].
    """

    def __init__(
        self,
        layer_dims: list[int],
        hidden: Activation,
        output: Activation,
        dtype: np.dtype,
        keep_prob: Sequence[float],
        lambd: float = 0.0,
        batch_norm: Sequence[int] = (),
        unrolled: bool = True,
    ) -> None:
        self.dims = list(layer_dims)
        self.L = len(layer_dims) - 1
        self.layers = _layers.layers_for(hidden, output, self.L, batch_norm)
        self.hidden, self.output = hidden, output
        self.dtype = dtype
        # index l = 0..L; input and output layers keep everything (an empty keep_prob: no dropout)
        self.keep_prob = [1.0, *keep_prob] + [1.0] * (self.L - len(keep_prob))
        self.lambd = float(lambd)
        #: every parameter's gradient ("dW1", "db1", "dgamma2" ...), the engine's own buffers; dW[l], db[l]: views
        self.grads = {"d" + key: np.empty(shape, dtype) for l, layer in enumerate(self.layers, 1)
                      for key, shape in layer.parameter_shapes(l, self.dims[l], self.dims[l - 1]).items()}
        self.dW = [None] + [self.grads[f"dW{l}"] for l in range(1, self.L + 1)]
        self.db = [None] + [self.grads.get(f"db{l}") for l in range(1, self.L + 1)]
        self.params: Any = None  # the parameters by key (what a batch-normalized layer reads), set by the run
        self.state: Any = None  # the running averages of batch normalization, moved by its layers
        self.masks: list = [None] * (self.L + 1)
        self.dZ1: Array | None = None
        self._buffers: dict[int, list] = {}
        self._A: list = []
        self._m = 0
        #: every layer dense with an in-place hidden activation: :meth:`forward` and :meth:`backward` run the
        #: unrolled passes (:meth:`_forward_dense`, :meth:`_backward_dense`) -- the same kernels in the same order
        #: as the layers' ``forward_`` / ``backward_``, without the per-layer dispatch (``unrolled=False``: the
        #: traversal; ``tests/core/test_engine.py`` holds the two equal bit for bit)
        self.unrolled = (bool(unrolled) and hidden.in_place and all(layer.kind == "dense" for layer in self.layers)
                         and self.keep_prob[self.L] == 1.0)  # (no dropout on the output: fit never asks for it)

    def _buffers_for(self, m: int) -> list:
        if m not in self._buffers:
            d, L = self.dims, self.L
            self._buffers[m] = [None] + [
                layer.buffers(l, d[l], d[l - 1], m, self.dtype, self.keep_prob[l], l == L)
                for l, layer in enumerate(self.layers, 1)]
        return self._buffers[m]

    def forward(
        self,
        W: list,
        b: list,
        X: Array,
        rng: np.random.Generator | np.random.RandomState | None = None,
        first: Callable[[Array], Array] | None = None,
    ) -> Array:
        """A[L] (n[L], m) of the batch X (n[0], m); dropout masks drawn from ``rng`` in layer order.

        ``W``, ``b``: lists indexed 1..L.  ``first(out)`` writes Z[1] into ``out`` when given.
        """
        if self.unrolled:
            return self._forward_dense(W, b, X, rng, first)
        m = X.shape[1]
        buf = self._buffers_for(m)
        self._m, L = m, self.L
        A = X
        A_used = [X]
        for l, layer in enumerate(self.layers, 1):
            if layer.kind == "batch_norm":
                A, self.masks[l] = layer.forward_(self.params, l, A, buf[l], l == L, rng, self.keep_prob[l],
                                                  self.state)
                A_used.append(A)
                continue
            if l == 1 and first is not None:
                first(buf[1].Z)
            A, self.masks[l] = layer.forward_(W[l], b[l], A, buf[l], l == L, rng, self.keep_prob[l],
                                              Z_ready=l == 1 and first is not None)
            A_used.append(A)
        self._A = A_used
        return A_used[L]

    def backward(self, Y: Array, W: list, skip_first: bool = False, weights: Array | None = None) -> None:
        """Fill dW[l], db[l] (l = 1..L; from l = 2 with ``skip_first``, leaving dZ[1] in :attr:`dZ1`); with
        ``weights`` s (1, m), example j's dZ[L] counts s_j times: dZ[L] = s * (A[L] - Y)."""
        if self.unrolled:
            return self._backward_dense(Y, W, skip_first, weights)
        buf, A, L = self._buffers[self._m], self._A, self.L
        dZ: Array | None = output_delta(A[L], Y, out=A[L])
        if weights is not None:
            dZ *= weights
        dA = None
        for l in range(L, 0, -1):
            layer = self.layers[l - 1]
            if layer.kind == "batch_norm":
                dA = layer.backward_(dA, buf[l], self.params, l, A[l - 1], self.grads, self.lambd, dZ)
                dZ = None
                continue
            first_skipped = l == 1 and skip_first  # dW[1] is the strategy's; db[1] is not
            dA, dZ = layer.backward_(dA, buf[l], W[l], A[l - 1], None if first_skipped else self.dW[l],
                                     self.db[l], self.masks[l], self.keep_prob[l], self.lambd, dZ)
            if first_skipped:
                self.dZ1 = dZ
            dZ = None

    # -- the unrolled passes of a dense network (Dense.forward_ / backward_, layer after layer, inline) ---------
    def _forward_dense(self, W: list, b: list, X: Array, rng: Any, first: Callable[[Array], Array] | None) -> Array:
        """:meth:`forward` of a network of dense layers: ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g(Z[l])`` in place
        (then ``A[l] * D[l] / keep_prob[l]``), ``A[L] = g[L](Z[L])``."""
        m = X.shape[1]
        buf = self._buffers[m] if m in self._buffers else self._buffers_for(m)
        self._m, L, masks, keep = m, self.L, self.masks, self.keep_prob
        g_ = self.hidden.forward_
        A = X
        A_used = [X]
        for l in range(1, L + 1):
            bl = buf[l]
            Z = bl.Z
            if l == 1 and first is not None:
                first(Z)
            else:
                linear(W[l], A, b[l], out=Z)
            if l == L:
                A = self.output.g(Z)
            else:
                A = g_(Z)
                if bl.Ad is not None:
                    masks[l] = D = dropout_mask(rng, A.shape, keep[l])
                    A = apply_dropout(A, D, keep[l], out=bl.Ad)
            A_used.append(A)
        self._A = A_used
        return A

    def _backward_dense(self, Y: Array, W: list, skip_first: bool, weights: Array | None) -> None:
        """:meth:`backward` of a network of dense layers: ``dZ[L] = A[L] - Y``, then for l = L .. 1 ``dW[l]``,
        ``db[l]``, ``dA[l-1] = W[l]^T dZ[l]`` and ``dZ[l-1] = dA[l-1] * g'(Z[l-1])`` (through the dropout mask)."""
        buf, A, L, keep = self._buffers[self._m], self._A, self.L, self.keep_prob
        dZ = output_delta(A[L], Y, out=A[L])
        if weights is not None:
            dZ *= weights
        g_back = self.hidden.backward_
        for l in range(L, 0, -1):
            if l == 1 and skip_first:  # dW[1] is the strategy's; db[1] is not
                bias_gradient(dZ, self.db[1])
                self.dZ1 = dZ
                return
            weight_gradients(dZ, A[l - 1], self.dW[l], self.db[l], buf[l].S)
            if self.lambd:
                add_l2_gradient(self.dW[l], W[l], self.lambd, self._m)
            if l == 1:
                return
            dA = input_gradient(W[l], dZ, out=buf[l].dA_prev)
            below = buf[l - 1]
            if below.Ad is not None:
                apply_dropout(dA, self.masks[l - 1], keep[l - 1], out=dA)
            dZ = g_back(dA, below.Z)  # in place: the Z buffer holds A[l-1], which the derivative reads
