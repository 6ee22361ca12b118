"""The backward step of a layer, and back-propagation through the network.

Layer l, given dA[l] and its cache ((A[l-1], W[l], b[l]), Z[l]):

* ``dZ[l] = dA[l] * g[l]'(Z[l])``
* ``dW[l] = (1/m) dZ[l] A[l-1]^T``
* ``db[l] = (1/m) sum(dZ[l], axis=1, keepdims=True)``
* ``dA[l-1] = W[l]^T dZ[l]``

Every dFoo has exactly Foo's shape and dtype.

Examples
--------
>>> import numpy as np
>>> from deepstep import linear_backward
>>> dA_prev, dW, db = linear_backward(np.array([[1.0, 3.0]]),
...     (np.array([[1.0, 2.0]]), np.array([[0.5]]), np.array([[0.0]])))
>>> dA_prev, dW, db
(array([[0.5, 1.5]]), array([[3.5]]), array([[2.]]))
"""

from __future__ import annotations

import numpy as np

from .activations import Activation, get_activation, get_hidden_activation
from .cost import cost_derivative
from .errors import DeepstepError, check_arrays
from .forward import Cache, LinearCache

__all__ = ["linear_backward", "linear_activation_backward", "model_backward", "backward_from_dZL"]


def _shape(value: object) -> object:
    return getattr(value, "shape", type(value).__name__)


def weight_gradients(dZ: np.ndarray, A_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dW = (1/m) dZ A_prev^T, shape (n[l], n[l-1]); db = (1/m) sum(dZ, axis=1), shape (n[l], 1)."""
    m = A_prev.shape[1]
    return (dZ @ A_prev.T) / m, dZ.sum(axis=1, keepdims=True) / m


def linear_backward(dZ: np.ndarray, cache: LinearCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear part of a layer's backward step.

    Parameters
    ----------
    dZ : ndarray of shape (n[l], m)
    cache : tuple (A_prev, W, b)
        A_prev of shape (n[l-1], m), W of shape (n[l], n[l-1]), b of shape (n[l], 1).

    Returns
    -------
    dA_prev : ndarray of shape (n[l-1], m)
        W^T dZ.
    dW : ndarray of shape (n[l], n[l-1])
        (1/m) dZ A_prev^T.
    db : ndarray of shape (n[l], 1)
        (1/m) sum(dZ, axis=1, keepdims=True).
    """
    A_prev, W, b = cache
    check_arrays(dZ=dZ, A_prev=A_prev, W=W)
    if dZ.shape != (W.shape[0], A_prev.shape[1]):
        raise DeepstepError(
            f"dZ: expected shape {(W.shape[0], A_prev.shape[1])} (n[l], m), got shape {dZ.shape}"
        )
    dW, db = weight_gradients(dZ, A_prev)
    return W.T @ dZ, dW, db


def linear_activation_backward(
    dA: np.ndarray, cache: Cache, activation: str | Activation
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One layer's backward step: dZ = dA * g'(Z), then :func:`linear_backward`.

    Parameters
    ----------
    dA : ndarray of shape (n[l], m)
    cache : tuple ((A_prev, W, b), Z)
    activation : str

    Returns
    -------
    dA_prev : ndarray of shape (n[l-1], m)
    dW : ndarray of shape (n[l], n[l-1])
    db : ndarray of shape (n[l], 1)
    """
    linear_cache, Z = cache
    check_arrays(dA=dA, Z=Z)
    if dA.shape != Z.shape:
        raise DeepstepError(f"dA: expected shape {Z.shape} (the shape of Z), got shape {dA.shape}")
    dZ = get_activation(activation).backward(dA, Z)
    return linear_backward(dZ, linear_cache)


def backward_from_dZL(
    dZL: np.ndarray,
    caches: list[Cache],
    hidden_activation: str | Activation = "relu",
) -> dict[str, np.ndarray]:
    """Back-propagate from dZ[L] down to layer 1.

    Layer l stores "dW{l}", "db{l}" and its dA[l-1] as "dA{l-1}".
    """
    hidden = get_hidden_activation(hidden_activation)
    L = len(caches)
    grads: dict[str, np.ndarray] = {}
    dZ = dZL
    for l in range(L, 0, -1):
        (A_prev, W, _), Z = caches[l - 1]
        if l < L:
            dZ = hidden.backward(grads[f"dA{l}"], Z)
        grads[f"dW{l}"], grads[f"db{l}"] = weight_gradients(dZ, A_prev)
        grads[f"dA{l - 1}"] = W.T @ dZ
    return grads


def model_backward(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: list[Cache],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
) -> dict[str, np.ndarray]:
    """Back-propagation through the L-layer network, from dA[L] of the cross-entropy cost.

    Parameters
    ----------
    AL : ndarray of shape (n[L], m)
    Y : ndarray of shape (n[L], m)
    caches : list of L tuples ((A[l-1], W[l], b[l]), Z[l])
        As returned by :func:`deepstep.model_forward`, or built by hand.

    Returns
    -------
    grads : dict
        "dA{l-1}" of shape (n[l-1], m), "dW{l}" of shape (n[l], n[l-1]),
        "db{l}" of shape (n[l], 1), for l = 1..L.

    Notes
    -----
    This is the chain rule as the course writes it, dZ[L] = dA[L] * g'(Z[L]).
    Where a sigmoid output saturates (A[L] rounds to exactly 0 or 1, e.g. Z[L]
    beyond about 37 in float64) that product loses the gradient: g'(Z[L])
    rounds to 0 while dA[L] would be infinite, and A[L] is clipped to keep it
    finite.  The trainer uses the combined dZ[L] = A[L] - Y, which stays exact.
    """
    if not isinstance(caches, (list, tuple)) or not caches:
        raise DeepstepError(f"caches: expected a list of L >= 1 layer caches ((A_prev, W, b), Z), got {caches!r}")
    dAL = cost_derivative(AL, Y)  # dA[L] = -(Y/A[L] - (1-Y)/(1-A[L]))
    _, ZL = caches[-1]
    if not isinstance(ZL, np.ndarray) or ZL.shape != AL.shape:
        raise DeepstepError(
            f"caches: expected the last cache's Z[L] to have AL's shape {AL.shape}, got {_shape(ZL)}"
        )
    dZL = get_activation(output_activation, "output_activation").backward(dAL, ZL)
    return backward_from_dZL(dZL, caches, hidden_activation)
