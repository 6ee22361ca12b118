"""The backward step of a layer, and back-propagation through the network.

Layer l, given dA[l] and its cache ((A[l-1], W[l], b[l]), Z[l]):

* ``dZ[l] = dA[l] * g[l]'(Z[l])``
* ``dW[l] = (1/m) dZ[l] A[l-1]^T``
* ``db[l] = (1/m) sum(dZ[l], axis=1, keepdims=True)``
* ``dA[l-1] = W[l]^T dZ[l]``

Every dFoo has exactly Foo's shape and dtype.  With L2 (``lambd``), dW[l] gains
(lambd/m) W[l]; with dropout, dA[l] is masked as A[l] was: dA[l] * D[l] / keep_prob.
The arithmetic is the engine's (:mod:`deepstep.engine`), the same the training loop runs.

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

from typing import Any

import numpy as np

from .activations import Activation, get_activation, get_hidden_activation
from .cost import cost_derivative
from .engine import add_l2_gradient, apply_dropout, input_gradient, weight_gradients
from .errors import DeepstepError, _describe, check_arrays
from .forward import Cache, LinearCache

__all__ = ["linear_backward", "linear_activation_backward", "model_backward", "backward_from_dZL"]


def _is_array_triple(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and all(isinstance(v, np.ndarray) for v in value)


def _linear_cache(cache: Any) -> LinearCache:
    """(A_prev, W, b), or a clear error naming the cache that came instead."""
    if isinstance(cache, tuple) and len(cache) == 3 and not isinstance(cache[0], tuple):
        return cache  # check_arrays names a part that is not an array
    if isinstance(cache, tuple) and len(cache) in (2, 3) and _is_array_triple(cache[0]):
        raise DeepstepError(
            "cache: expected the linear cache (A_prev, W, b) that linear_forward returns, got an activation cache "
            "((A_prev, W, b), Z) as linear_activation_forward returns; pass its first element, cache[0]"
        )
    raise DeepstepError(f"cache: expected the linear cache (A_prev, W, b) of three arrays, got {_describe(cache)}")


def _activation_cache(cache: Any) -> tuple[LinearCache, np.ndarray, Any]:
    """((A_prev, W, b), Z[, (D, keep_prob)]) unpacked, or a clear error naming the cache that came instead."""
    if isinstance(cache, tuple) and len(cache) in (2, 3) and _is_array_triple(cache[0]) \
            and isinstance(cache[1], np.ndarray):
        dropout = cache[2] if len(cache) == 3 else None
        if dropout is not None and not (isinstance(dropout, tuple) and len(dropout) == 2
                                        and isinstance(dropout[0], np.ndarray)):
            raise DeepstepError(f"cache: expected (D, keep_prob) as the third element, got {_describe(dropout)}")
        return cache[0], cache[1], dropout
    if _is_array_triple(cache):
        raise DeepstepError(
            "cache: expected the activation cache ((A_prev, W, b), Z) that linear_activation_forward returns, got a "
            "linear cache (A_prev, W, b) as linear_forward returns"
        )
    raise DeepstepError(f"cache: expected the activation cache ((A_prev, W, b), Z), got {_describe(cache)}")


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
    A_prev, W, b = _linear_cache(cache)
    dZ, A_prev, W = check_arrays(dZ=dZ, A_prev=A_prev, W=W)
    if dZ.shape != (W.shape[0], A_prev.shape[1]):
        raise DeepstepError(
            f"dZ: expected shape {(W.shape[0], A_prev.shape[1])} (n[l], m), got shape {dZ.shape}"
        )
    dW, db = weight_gradients(dZ, A_prev)
    return input_gradient(W, dZ), dW, db


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
    linear_cache, Z, dropout = _activation_cache(cache)
    dA, Z = check_arrays(dA=dA, Z=Z)
    if dA.shape != Z.shape:
        raise DeepstepError(f"dA: expected shape {Z.shape} (the shape of Z), got shape {dA.shape}")
    if dropout is not None:
        dA = apply_dropout(dA, *dropout)
    dZ = get_activation(activation).backward(dA, Z)
    return linear_backward(dZ, linear_cache)


def backward_from_dZL(
    dZL: np.ndarray,
    caches: list[Cache],
    hidden_activation: str | Activation = "relu",
    lambd: float = 0.0,
) -> dict[str, np.ndarray]:
    """Back-propagate from dZ[L] down to layer 1.

    Layer l stores "dW{l}", "db{l}" and its dA[l-1] as "dA{l-1}"; with ``lambd``,
    dW[l] includes (lambd/m) W[l].
    """
    hidden = get_hidden_activation(hidden_activation)
    L = len(caches)
    grads: dict[str, np.ndarray] = {}
    dZ = dZL
    for l in range(L, 0, -1):
        (A_prev, W, _), Z, dropout = _activation_cache(caches[l - 1])
        if l < L:
            dA = grads[f"dA{l}"]
            if dropout is not None:
                dA = apply_dropout(dA, *dropout)
            dZ = hidden.backward(dA, Z)
        dW, db = weight_gradients(dZ, A_prev)
        if lambd:
            add_l2_gradient(dW, W, lambd, A_prev.shape[1])
        grads[f"dW{l}"], grads[f"db{l}"] = dW, db
        grads[f"dA{l - 1}"] = input_gradient(W, dZ)
    return grads


def model_backward(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: list[Cache],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
    lambd: float = 0.0,
) -> dict[str, np.ndarray]:
    """Back-propagation through the L-layer network, from dA[L] of the cross-entropy cost.

    Parameters
    ----------
    AL : ndarray of shape (n[L], m)
        Any finite values other than exactly 0 and 1, where dA[L] is defined (caches built by
        hand need not hold sigmoid(Z[L])).
    Y : ndarray of shape (n[L], m)
    caches : list of L tuples ((A[l-1], W[l], b[l]), Z[l])
        As returned by :func:`deepstep.model_forward` (with dropout masks), or built by hand.
    lambd : float
        L2 strength: dW[l] gains (lambd/m) W[l].

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
    rounds to 0 while dA[L] would be infinite, and A[L] is moved a hair off 0 and 1.
    The trainer uses the combined dZ[L] = A[L] - Y, which stays exact.
    """
    from .training import check_l2

    lambd = check_l2(lambd)
    if not isinstance(caches, (list, tuple)) or not caches:
        raise DeepstepError(f"caches: expected a list of L >= 1 layer caches ((A_prev, W, b), Z), got "
                            f"{_describe(caches)}")
    dAL = cost_derivative(AL, Y)  # dA[L] = -(Y/A[L] - (1-Y)/(1-A[L]))
    _, ZL, _ = _activation_cache(caches[-1])
    if ZL.shape != AL.shape:
        raise DeepstepError(f"caches: expected the last cache's Z[L] to have AL's shape {AL.shape}, got {ZL.shape}")
    dZL = get_activation(output_activation, "output_activation").backward(dAL, ZL)
    return backward_from_dZL(dZL, caches, hidden_activation, lambd)
