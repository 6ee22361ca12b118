"""The folded step: a full-batch dense step with the biases folded into the products and alpha/m into dZ[L].

The engine (:class:`deepstep.core.engine.Engine`) makes the course's operations one by one: ``Z = W A_prev + b`` is a
product and an addition, ``dW = (1/m) dZ A_prev^T`` and ``db = (1/m) sum(dZ)`` a division, a product and a sum, and
the update ``P := P - alpha dP`` a multiplication and a subtraction.  On the small layers of a full-batch run each
NumPy call costs more than its arithmetic (1-2 us; the cat pictures' step made some 60 of them around its one large
product).  This step makes the same maths in fewer calls:

* each hidden A[l] is kept with a row of ones under it, ``A~[l] = [A[l]; 1]`` (n[l] + 1, m), and each W[l] with
  b[l] beside it, ``W~[l] = [W[l] b[l]]`` (n[l], n[l-1] + 1), so that ``Z[l] = W~[l] A~[l-1]`` is one product and
  ``dW~[l] = dZ[l] A~[l-1]^T = [dW[l] db[l]]`` (m times) another;
* alpha/m multiplies dZ[L] once, ``dZ[L] = (alpha/m) (A[L] - Y)``: every gradient below comes scaled, and gradient
  descent is one subtraction over the flat array that holds every dense parameter, ``P := P - dP``.

The first layer is the Gram form's (:mod:`deepstep.core.gram`): Z[1] = T X + b[1] from its tensor, and its update
``T := T - (alpha/m) dZ[1] X^T`` is ``K := K - dZ[1]``, ``T X := T X - dZ[1] G``.  The values are the engine's to
rounding (the sums run in another order): ``tests/core/test_folded.py`` holds the two equal to 1e-12 relative in
float64, and the step's gradients to centered finite differences.

Which runs take it is one rule, :func:`applies`: gradient descent (a linear update whose learning rate may fold),
the Gram form's first layer, dense layers with an in-place hidden activation, no L2, dropout or example weights.
The plain path keeps the engine's own bits, which model files of deepstep 0.2 resume with bit for bit.

Examples
--------
>>> import numpy as np
>>> W, b = np.array([[1.0, 2.0]]), np.array([[0.5]])
>>> Wb = np.hstack([W, b])          # W~ = [W b]
>>> A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])   # A~ = [A; 1]: the row of ones under the examples
>>> Wb @ A                          # W A + b
array([[1.5, 2.5]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import Activation
from .gram import GramFirstLayer
from .kernels import linear, output_delta
from .optimizers import GradientDescent

__all__ = ["FoldedStep", "applies", "blocks"]

Array = np.ndarray


def applies(gram_first: bool, optimizer: Any, l2: float, dropout: bool, weighted: bool, batch_norm: Any,
            hidden: Activation, L: int, minibatch: bool = False) -> str | None:
    """None where the folded step trains a run, else the reason it does not.

    ``gram_first``: the first layer is in Gram form; ``minibatch``: the run is in mini-batches (a full-batch run
    with a plain first layer keeps the engine's bits); ``optimizer``: the run's (gradient descent itself, not a
    subclass with its own update, nor an object whose ``step`` a caller replaced: the playground's budget is such a
    hook); ``l2``, ``dropout``, ``weighted`` (example weights), ``batch_norm`` (the
    normalized layers): all off; ``hidden``: an activation with an in-place pair; ``L`` layers, at least 2.
    """
    if L < 2:
        return "one layer (the folded step's hidden layers hold the biases' row of ones)"
    if not (gram_first or minibatch):
        return "a full batch with a plain first layer (that path keeps the engine's bits)"
    if type(optimizer) is not GradientDescent:
        return f"the {getattr(optimizer, 'name', optimizer)!r} update is not plain gradient descent"
    if "step" in vars(optimizer):
        return "the optimizer's step is replaced on the object (a caller's hook runs at each update)"
    if l2:
        return "L2 regularization (the biases are not decayed: they cannot share W's update)"
    if dropout:
        return "dropout"
    if weighted:
        return "example weights"
    if batch_norm:
        return "batch normalization"
    if not hidden.in_place:
        return f"the hidden activation {hidden.name!r} has no in-place pair"
    return None


def blocks(layer_dims: list[int], gram_first: bool) -> list[tuple[int, tuple[int, int]]]:
    """The flat array's blocks under the folded step, in order: (l, shape) of W~[l] = [W[l] b[l]] for each l; with
    the first layer in Gram form, W~[2] .. W~[L] and then (1, (n[1], 1)): b[1] alone (W[1] is the Gram form's)."""
    d = layer_dims
    if not gram_first:
        return [(l, (d[l], d[l - 1] + 1)) for l in range(1, len(d))]
    return [(l, (d[l], d[l - 1] + 1)) for l in range(2, len(d))] + [(1, (d[1], 1))]


class _Buffers:
    """What one batch size writes: A~[l] = [A[l]; 1] (n[l] + 1, m) for l = 1 .. L-1 (the ones row written once),
    Z[L], dA[l] (then dZ[l] over it), and under the Gram form U = [dZ[1]; dZ[1] G] (2, n[1], m), dA[1] its first
    half (the update of the factors [K; T X] is then one subtraction)."""

    def __init__(self, dims: list[int], m: int, dtype: np.dtype, gram: bool) -> None:
        L = len(dims) - 1
        self.A: list = [None] + [np.ones((dims[l] + 1, m), dtype) for l in range(1, L)]
        self.ZL = np.empty((dims[L], m), dtype)
        self.U = np.empty((2, dims[1], m), dtype) if gram else None
        dA1 = self.U[0] if gram else np.empty((dims[1], m), dtype)
        self.dA: list = [None, dA1] + [np.empty((dims[l], m), dtype) for l in range(2, L)]


class FoldedStep:
    """Forward, backward and gradient-descent update of a dense network, folded (see the module).

    Parameters
    ----------
    layer_dims : list of int
        [n[0], ..., n[L]], L >= 2.
    hidden, output : Activation
        g[1..L-1] (with an in-place pair) and g[L].
    first : GramFirstLayer or None
        The first layer's Gram form (its tensor W[1] is updated in place), or None: W[1] is a matrix.
    Wb : list
        ``Wb[l]`` = W~[l] (n[l], n[l-1] + 1), views into ``flat``; under the Gram form ``Wb[1]`` = b[1] (n[1], 1).
    dWb : list
        Their gradients' buffers (views into ``dflat``), the same shapes.
    flat, dflat : ndarray (P,)
        Every dense parameter, and its gradient, as one flat array each (the blocks of :func:`blocks`).
    """

    def __init__(self, layer_dims: list[int], hidden: Activation, output: Activation, first: GramFirstLayer | None,
                 Wb: list, dWb: list, flat: Array, dflat: Array) -> None:
        self.dims = list(layer_dims)
        self.L = L = len(layer_dims) - 1
        self.hidden, self.output, self.first = hidden, output, first
        self.Wb, self.dWb, self.flat, self.dflat = Wb, dWb, flat, dflat
        self.dtype = flat.dtype
        lo = 2 if first is not None else 1
        self._W = [None] * lo + [Wb[l][:, :-1] for l in range(lo, L + 1)]  # W[l]: views of W~[l]
        self._b1 = Wb[1] if first is not None else Wb[1][:, -1:]
        self._buffers: dict[int, _Buffers] = {}
        self._X: Array | None = None
        self._buf: _Buffers | None = None

    def forward(self, X: Array) -> Array:
        """A[L] (n[L], m) of the batch X (n[0], m): ``Z[1] = W[1] X + b[1]`` (T X + b[1] under the Gram form, whose X
        is the run's), ``A~[l] = [g(Z[l]); 1]``, ``Z[l] = W~[l] A~[l-1]``, ``A[L] = g[L](Z[L])`` (a new array: the
        caller's cost reads it, :meth:`backward` writes dZ[L] over it)."""
        m = X.shape[1]
        buf = self._buffers.get(m)
        if buf is None:
            buf = self._buffers[m] = _Buffers(self.dims, m, self.dtype, self.first is not None)
        self._X, self._buf = X, buf
        A, L, g_ = buf.A, self.L, self.hidden.forward_
        Z1 = A[1][:-1]
        if self.first is not None:
            self.first.Z1(self._b1, out=Z1)
        else:
            linear(self._W[1], X, self._b1, out=Z1)
        g_(Z1)
        for l in range(2, L):
            g_(np.dot(self.Wb[l], A[l - 1], out=A[l][:-1]))
        np.dot(self.Wb[L], A[L - 1], out=buf.ZL)
        return self.output.g(buf.ZL)

    def backward(self, AL: Array, Y: Array, lr: float) -> None:
        """The update from A[L] (overwritten): ``dZ[L] = (alpha/m) (A[L] - Y)``; for l = L .. 2
        ``dW~[l] = dZ[l] A~[l-1]^T`` and ``dZ[l-1] = (W[l]^T dZ[l]) * g'(Z[l-1])``; ``dW[1] = dZ[1] X^T``,
        ``db[1] = sum(dZ[1])`` (under the Gram form ``K -= dZ[1]`` and ``T X -= dZ[1] G`` instead of dW[1], one
        subtraction); then every dense parameter ``P := P - dP`` in one pass."""
        buf, X = self._buf, self._X
        A, dA, g_back = buf.A, buf.dA, self.hidden.backward_
        dZ = output_delta(AL, Y, out=AL)
        dZ *= self.dtype.type(float(lr) / X.shape[1])  # (a float32 alpha of a schedule divided in float64 first)
        for l in range(self.L, 1, -1):
            np.dot(dZ, A[l - 1].T, out=self.dWb[l])
            dA_prev = np.dot(self._W[l].T, dZ, out=dA[l - 1])
            dZ = g_back(dA_prev, A[l - 1][:-1])  # A[l-1]'s last use (it may be overwritten)
        if self.first is None:
            np.matmul(dZ, X.T, out=self.dWb[1][:, :-1])
            np.add.reduce(dZ, axis=1, keepdims=True, out=self.dWb[1][:, -1:])
        else:
            np.add.reduce(dZ, axis=1, keepdims=True, out=self.dWb[1])
            np.dot(dZ, self.first.basis.G, out=buf.U[1])
            self.first.W.KT -= buf.U  # [K; T X] -= [dZ[1]; dZ[1] G]
        np.subtract(self.flat, self.dflat, out=self.flat)
