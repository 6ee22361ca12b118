"""The Gram-matrix ("dual") form of the first layer: a first-layer strategy for full-batch training.

With full-batch training whose update is a linear combination of gradients and
parameters (gradient descent, momentum, L2, any learning-rate schedule, dropout on
hidden layers), every first-layer quantity stays of the form

    T = sum_i a_i B_i + K X^T        (n[1], n[0])

where the B_i are fixed n[1] x n[0] matrices (W[1] when training started, and
the optimizer's state such as momentum's v when it was not zero), a holds one
number per B_i, and K is (n[1], m): the update of W[1] is
``(1/m) dZ[1] X^T (+ (lambd/m) W[1])``, which is of that form.  The trainer
then never needs W[1] itself, only the products with the examples

    T X = sum_i a_i (B_i X) + K G,     G = X^T X  (m, m, computed once),

so that Z[1] = W[1] X + b[1] costs nothing and each update one product dZ[1] G
of n[1] m^2 multiply-adds instead of 2 n[1] n[0] m.  :class:`GramTensor` holds
(a, K, T X) and supports exactly the linear operations the optimizers'
kernels use (``*=``, ``+=``, ``-=`` and scalar products), so that momentum runs
its own kernel on it.  W[1] is formed (``np.asarray(T)``) only when somebody reads
it; ||W[1]||_F^2 for the L2 cost and validation (with H = X^T X_val, computed
once) cost O(n[1] m) and O(n[1] m m_val).

Which runs it applies to, and when it pays off, is one rule: :func:`applies`
and :func:`pays_off`.  It never applies to RMSprop or Adam (their element-wise
division and square take the update out of the span of the examples) nor to
mini-batches (each batch spans different examples).

Examples
--------
>>> import numpy as np
>>> from deepstep.gram import gram_matrix, GramBasis
>>> X = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])   # n[0] = 3 features, m = 2 examples
>>> gram_matrix(X)
array([[2., 1.],
       [1., 5.]])
>>> W1 = np.array([[1.0, -1.0, 0.5]])
>>> basis = GramBasis(X, [W1])
>>> W = basis.anchor(0)                        # W[1] itself
>>> g = basis.gradient(np.array([[0.25, -0.5]]))    # (1/m) dZ[1] X^T
>>> g *= 0.1
>>> W -= g                                      # gradient descent, learning rate 0.1
>>> bool(np.allclose(np.asarray(W), W1 - 0.1 / 2 * np.array([[0.25, -0.5]]) @ X.T))
True
>>> bool(np.allclose(W.TX, np.asarray(W) @ X))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .kernels import add_l2_gradient

__all__ = ["GramFirstLayer", "GramBasis", "GramTensor", "applies", "pays_off", "gram_matrix", "gram_pays_off"]

Array = np.ndarray


def gram_matrix(X: Array, X2: Array | None = None, dtype: Any = None) -> Array:
    """The Gram matrix of the examples: G = X^T X (m, m), or X^T X2 (m, m2).

    Each entry is a sum of n[0] products (12288 for the cat pictures), so G is
    accumulated in float64 and rounded once to ``dtype`` (default X's): every entry of a
    float32 G is then the float32 nearest the exact dot product, whatever the
    BLAS's summation order.  It is made once per run.
    """
    wide = np.promote_types(X.dtype, np.float64)
    Xw = X.astype(wide, copy=False)
    X2w = Xw if X2 is None else X2.astype(wide, copy=False)
    return (Xw.T @ X2w).astype(X.dtype if dtype is None else dtype, copy=False)


def applies(full_batch: bool, optimizer: Any, first_normalized: bool = False) -> str | None:
    """None where the Gram form applies to a run, else the reason it does not.

    It applies wherever the first layer's update stays in the span of the
    examples: full batch, with an optimizer whose update is linear (gradient
    descent, momentum), with or without L2, a learning-rate schedule and dropout on
    hidden layers (deepstep has no dropout on the input), and a first layer without
    batch normalization (``first_normalized``: its layer kind is not the Gram form's).
    """
    if first_normalized:
        return "batch normalization on layer 1 (the Gram form is a dense first layer's)"
    if not full_batch:
        return "it needs full-batch training (batch_size None or >= m)"
    if not getattr(optimizer, "linear", False):
        return f"the {getattr(optimizer, 'name', optimizer)!r} update is not linear in the gradients"
    return None


def pays_off(n0: int, n1: int, m: int, num_iterations: int) -> bool:
    """Whether the Gram form of the first layer does less arithmetic than the plain one.

    Counting multiply-adds of the first layer over a run of T full-batch
    iterations: plain, ``2 n1 n0 m`` per iteration (W[1] X and dZ[1] X^T); Gram,
    ``n1 m^2`` per iteration (dZ[1] G), plus once ``n0 m^2`` for G, ``n1 n0 m`` for
    W[1] X and ``n1 n0 m`` for W[1] at the end.  Chosen when m < n0 and
    ``T n1 (2 n0 - m) > n0 (m + 2 n1)``.

    Examples
    --------
    >>> pays_off(12288, 20, 209, 2500)   # the cat pictures
    True
    >>> pays_off(784, 256, 60000, 100)   # more examples than features
    False
    """
    if m >= n0:
        return False
    return num_iterations * n1 * (2 * n0 - m) > n0 * (m + 2 * n1)


gram_pays_off = pays_off  # the name of earlier versions


class GramFirstLayer:
    """The first layer of a full-batch run in Gram form: the training loop's strategy beside the plain path.

    The plain path keeps W[1] as a matrix: ``Z[1] = W[1] X + b[1]``, ``dW[1] = (1/m) dZ[1] X^T
    (+ (lambd/m) W[1])``.  This strategy holds W[1], and the optimizer's state of dW[1], as
    :class:`GramTensor` of one :class:`GramBasis` instead, and gives the loop the same three things: Z[1]
    (:meth:`Z1`), dW[1] (:meth:`gradient`) and Z[1] of the validation examples (:meth:`Z1_val`);
    ``tests/core/test_gram.py`` holds the two paths equal.  :meth:`finish` forms the matrices again.

    Parameters
    ----------
    X : ndarray (n[0], m)
        The training examples (the whole batch).
    W1 : ndarray (n[1], n[0])
        W[1] at the start of the run.
    state : dict
        The optimizer's state, ``state[slot]["dW1"]`` (n[1], n[0]) for each slot: replaced by tensors, and
        by matrices again at :meth:`finish`.
    X_val : ndarray (n[0], m_val), optional
    """

    def __init__(self, X: Array, W1: Array, state: dict, X_val: Array | None = None) -> None:
        slots = [slot for slot in state if np.any(state[slot]["dW1"])]
        self.basis = basis = GramBasis(X, [W1] + [state[slot]["dW1"] for slot in slots], X_val)
        for slot in state:
            state[slot]["dW1"] = basis.anchor(1 + slots.index(slot)) if slot in slots else basis.zeros()
        self.state = state
        self.W = basis.anchor(0)  # W[1], as the loop and the optimizer see it
        self._dense_W1 = W1  # the network's own array: W[1] is formed into it at the end
        self._g = basis.zeros()  # dW[1]'s tensor, reused every iteration
        self._formed: tuple[int, Array] | None = None  # (version, W[1] formed at it)
        #: bumped by whoever moves W[1] or the state (:meth:`moved`): a formed W[1] is reused until then
        self.version = 0

    def Z1(self, b1: Array, out: Array) -> Array:
        """Z[1] = W[1] X + b[1] into ``out`` (n[1], m): ``T X + b[1]``, no product with X."""
        return np.add(self.W.TX, b1, out=out)

    def gradient(self, dZ1: Array, lambd: float = 0.0) -> GramTensor:
        """dW[1] = (1/m) dZ[1] X^T (+ (lambd/m) W[1]), as a tensor (one product dZ[1] G)."""
        g = self.basis.gradient(dZ1, self._g)
        if lambd:
            add_l2_gradient(g, self.W, lambd, self.basis.m)
        return g

    def Z1_val(self, b1: Array) -> Array:
        """Z[1] of the validation examples, (n[1], m_val): ``T X_val + b[1]`` (in the network's dtype)."""
        Z = self.W.times_val()
        Z += b1
        return Z.astype(self.basis.dtype, copy=False)

    def moved(self) -> None:
        """Note that W[1] changed (an update, a state put back): :meth:`W1` forms it anew."""
        self.version += 1

    def W1(self) -> Array:
        """W[1] as a matrix: formed now, or the one formed since W[1] last :meth:`moved` (a run's last epoch's
        signals and its end read the same W[1]: it is formed once)."""
        if self._formed is None or self._formed[0] != self.version:
            self._formed = (self.version, np.asarray(self.W))
        return self._formed[1]

    def finish(self) -> Array:
        """The optimizer's state as matrices again; returns the network's W[1] array (the caller fills it)."""
        for slot in self.state:
            self.state[slot]["dW1"] = np.asarray(self.state[slot]["dW1"])
        return self._dense_W1


class GramBasis:
    """What every :class:`GramTensor` of one run shares: X, G = X^T X, the anchors B_i and their products.

    Parameters
    ----------
    X : ndarray (n[0], m)
    anchors : list of ndarray (n[1], n[0])
        Fixed matrices the tensors may hold multiples of (W[1] at the start, ...).
    X_val : ndarray (n[0], m_val), optional
        Validation examples: H = X^T X_val and B_i X_val are computed once.

    Notes
    -----
    The tensors' factors (a, K, T X) are held in float64 for a float32 network (:attr:`wide`): the updates add up
    in T X without the rounding of float32 at T X's own scale, where a float32 T X drifts from the plain path (the
    cat pictures' run ended at cost 0.068 against 0.084).  The one large product of an update, dZ[1] G, stays in
    the network's dtype (G rounded once; the product of K rounded to it), as the plain path's products do; Z[1] and
    the formed W[1] are rounded to the network's dtype (:attr:`dtype`).
    """

    def __init__(self, X: Array, anchors: Sequence[Array], X_val: Array | None = None) -> None:
        self.X = X
        self.dtype = X.dtype
        self.wide = wide = np.promote_types(X.dtype, np.float64)
        self.m = X.shape[1]
        self.G = gram_matrix(X)  # the network's dtype: the product of each update is in it
        narrow = self.dtype != wide
        self._narrow: tuple[Array, Array] | None = None  # float32 K and its product (see gradient)
        self.n1 = anchors[0].shape[0] if len(anchors) else 0
        if narrow:
            self._narrow = (np.empty((self.n1, self.m), self.dtype), np.empty((self.n1, self.m), self.dtype))
        self.B = [np.array(B, dtype=self.dtype) for B in anchors]  # copies: the anchors must not move
        Bw = [B.astype(wide, copy=False) for B in self.B]  # (the products with them in float64)
        Xw = X.astype(wide, copy=False)
        self.BX = [B @ Xw for B in Bw]
        k = len(self.B)
        self.M = np.array([[float(np.vdot(Bw[i], Bw[j])) for j in range(k)] for i in range(k)]).reshape(k, k)
        self.H = self.BXv = None
        if X_val is not None:
            self.H = gram_matrix(X, X_val, dtype=wide)
            Xv = X_val.astype(wide, copy=False)
            self.BXv = [B @ Xv for B in Bw]

    def anchor(self, i: int) -> GramTensor:
        """The tensor equal to anchor B_i."""
        T = self.zeros()
        T.a[i] = 1.0
        T.TX[...] = self.BX[i]
        return T

    def zeros(self) -> GramTensor:
        return GramTensor(self, np.zeros(len(self.B)), np.zeros((2, self.n1, self.m), self.wide))

    def gradient(self, dZ1: Array, out: GramTensor | None = None) -> GramTensor:
        """dW[1] = (1/m) dZ[1] X^T, as a tensor: K = dZ[1] / m, T X = dZ[1] G / m (into ``out``'s arrays when given)."""
        if out is None:
            out = self.zeros()
        np.divide(dZ1, self.m, out=out.K)
        if self._narrow is None:
            np.matmul(out.K, self.G, out=out.TX)
        else:  # a float32 network: K rounded to float32, its product with G in float32, kept in float64
            K, KG = self._narrow
            np.copyto(K, out.K, casting="same_kind")
            np.matmul(K, self.G, out=KG)
            np.copyto(out.TX, KG)
        out.a[...] = 0.0
        return out


class GramTensor:
    """T = sum_i a_i B_i + K X^T, held as (a, K, T X); see the module docstring.

    K and T X are the two halves of one (2, n[1], m) array ``KT`` (``K = KT[0]``, ``TX = KT[1]``, each
    C-contiguous: a product writes into either), so that each linear operation is two NumPy calls.  Supports
    ``T *= s``, ``T += U``, ``T -= U``, ``s * T``, ``np.asarray(T)`` (forms the
    (n[1], n[0]) matrix), :meth:`sq_norm` and :meth:`times_val`.
    """

    __array_priority__ = 100.0  # s * T and T * s come here, not to NumPy

    def __init__(self, basis: GramBasis, a: Array, KT: Array) -> None:
        self.basis, self.a, self.KT = basis, a, KT
        self.K, self.TX = KT[0], KT[1]

    @property
    def shape(self) -> tuple[int, int]:
        return (self.basis.n1, self.basis.X.shape[0])

    @property
    def dtype(self) -> np.dtype:
        return self.basis.dtype

    def __imul__(self, s: float) -> GramTensor:
        self.a *= s
        self.KT *= s
        return self

    def __mul__(self, s: float) -> GramTensor:
        return GramTensor(self.basis, self.a * s, self.KT * s)

    __rmul__ = __mul__

    def __iadd__(self, other: GramTensor) -> GramTensor:
        self.a += other.a
        self.KT += other.KT
        return self

    def __isub__(self, other: GramTensor) -> GramTensor:
        self.a -= other.a
        self.KT -= other.KT
        return self

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        """The (n[1], n[0]) matrix: sum_i a_i B_i + K X^T (in the network's dtype unless ``dtype`` is given)."""
        basis = self.basis
        T = self.K @ basis.X.T.astype(basis.wide, copy=False)
        for ai, B in zip(self.a, basis.B, strict=True):
            if ai == 1.0:  # (W[1]'s anchor, the usual case: 1 * B is B, without the temporary)
                T += B
            elif ai:
                T += ai * B
        return T.astype(basis.dtype if dtype is None else dtype, copy=False)

    def sq_norm(self) -> float:
        """||T||_F^2 = a^T M a + sum_i a_i <B_i X, K> + <K, T X>, in O(n[1] m)."""
        total = float(self.a @ self.basis.M @ self.a) + float(np.vdot(self.K, self.TX))
        for ai, BX in zip(self.a, self.basis.BX, strict=True):
            if ai:
                total += ai * float(np.vdot(BX, self.K))
        return total

    def times_val(self) -> Array:
        """T X_val = sum_i a_i (B_i X_val) + K H, (n[1], m_val)."""
        out = self.K @ self.basis.H
        for ai, BXv in zip(self.a, self.basis.BXv, strict=True):
            if ai:
                out += ai * BXv
        return out

    def copy(self) -> GramTensor:
        return GramTensor(self.basis, self.a.copy(), self.KT.copy())

    def copyto(self, src: GramTensor) -> None:
        """Make this tensor equal to ``src`` (same basis), in place."""
        self.a[...] = src.a
        np.copyto(self.KT, src.KT)
