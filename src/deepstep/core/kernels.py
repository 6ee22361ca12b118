"""The kernels of one layer: the maths of the course, one function each, written with ``out=`` buffers so that
the course's step functions (which allocate), the layer kinds (:mod:`deepstep.core.layers`) and the training loop's
engine (which reuses buffers from batch to batch) run the *same* code.

* :func:`linear` -- ``Z = W A_prev + b``
* :func:`output_delta` -- ``dZ[L] = A[L] - Y`` (sigmoid or softmax output with the cross-entropy cost)
* :func:`weight_gradients` -- ``dW = (1/m) dZ A_prev^T``, ``db = (1/m) sum(dZ, axis=1)``
* :func:`input_gradient` -- ``dA_prev = W^T dZ``
* :func:`add_l2_gradient` -- ``dW += (lambd/m) W``
* :func:`dropout_mask`, :func:`apply_dropout` -- inverted dropout ``A = A * D / keep_prob``
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["linear", "output_delta", "weight_gradients", "scales_dZ", "bias_gradient", "input_gradient",
           "add_l2_gradient", "l2_cost", "dropout_mask", "apply_dropout"]

Array = np.ndarray


def linear(W: Array, A_prev: Array, b: Array, out: Array | None = None) -> Array:
    """Z = W A_prev + b: W (n[l], n[l-1]), A_prev (n[l-1], m), b (n[l], 1) -> Z (n[l], m)."""
    if out is None:  # (integer arrays give a float Z when b is float)
        return np.matmul(W, A_prev) + b
    Z = np.matmul(W, A_prev, out=out)
    Z += b
    return Z


def output_delta(AL: Array, Y: Array, out: Array | None = None) -> Array:
    """dZ[L] = A[L] - Y, (n[L], m): the output step of a sigmoid or softmax output with the cross-entropy cost."""
    return np.subtract(AL, Y, out=out)


def weight_gradients(
    dZ: Array, A_prev: Array, dW: Array | None = None, db: Array | None = None, scratch: Array | None = None
) -> tuple[Array, Array]:
    """dW = (1/m) dZ A_prev^T, shape (n[l], n[l-1]); db = (1/m) sum(dZ, axis=1, keepdims=True), shape (n[l], 1).

    Where dZ (n[l], m) is not much larger than dW (n[l], n[l-1]) -- the cat pictures' first layer: 20 x 209
    against 20 x 12288, or any small layer -- the 1/m goes on dZ: dW = (dZ / m) A_prev^T and db = sum(dZ / m),
    three operations, using ``scratch`` (dZ's shape) when given; else dW = (dZ A_prev^T) / m.  dZ itself is
    left as it is.
    """
    m = A_prev.shape[1]
    if dW is None:  # allocating (the course's functions): the same choice, so the same bits as the loop's
        if scales_dZ(m, A_prev.shape[0]):
            S = dZ / m
            return S @ A_prev.T, np.add.reduce(S, axis=1, keepdims=True)
        return np.matmul(dZ, A_prev.T) / m, bias_gradient(dZ, db)
    if scales_dZ(m, A_prev.shape[0]):
        S = np.divide(dZ, m, out=scratch)
        np.matmul(S, A_prev.T, out=dW)
        return dW, np.add.reduce(S, axis=1, keepdims=True, out=db)
    np.matmul(dZ, A_prev.T, out=dW)
    dW /= m
    return dW, bias_gradient(dZ, db)


def scales_dZ(m: int, n_prev: int) -> bool:
    """Whether :func:`weight_gradients` puts 1/m on dZ (n[l], m) rather than on dW (n[l], n[l-1])."""
    return m <= 4 * n_prev or m * n_prev <= 65536


def bias_gradient(dZ: Array, out: Array | None = None) -> Array:
    """db = (1/m) sum(dZ, axis=1, keepdims=True), shape (n[l], 1)."""
    if out is None:
        return np.add.reduce(dZ, axis=1, keepdims=True) / dZ.shape[1]
    db = np.add.reduce(dZ, axis=1, keepdims=True, out=out)
    db /= dZ.shape[1]
    return db


def input_gradient(W: Array, dZ: Array, out: Array | None = None) -> Array:
    """dA_prev = W^T dZ: W (n[l], n[l-1]), dZ (n[l], m) -> (n[l-1], m)."""
    return np.matmul(W.T, dZ, out=out)


def add_l2_gradient(dW: Array, W: Array, lambd: float, m: int) -> Array:
    """dW += (lambd/m) W, in place (the gradient of the L2 term (lambd/2m) ||W||_F^2)."""
    dW += (lambd / m) * W
    return dW


def l2_cost(squared_norms: Sequence[float], lambd: float, m: int) -> float:
    """(lambd / 2m) * sum over l of ||W[l]||_F^2, from the squared norms."""
    return lambd / (2 * m) * float(sum(squared_norms))


def dropout_mask(rng: np.random.Generator | np.random.RandomState, shape: tuple[int, int], keep_prob: float) -> Array:
    """D of ``shape``: True with probability keep_prob (``rng.random(shape) < keep_prob``, as the course draws it)."""
    return rng.random(shape) < keep_prob


def apply_dropout(A: Array, D: Array, keep_prob: float, out: Array | None = None) -> Array:
    """Inverted dropout: A * D / keep_prob (also dA * D / keep_prob on the way back); a new array without ``out``
    (a float one for integer A)."""
    if out is None:
        return np.multiply(A, D) / keep_prob
    out = np.multiply(A, D, out=out)
    out /= keep_prob
    return out
