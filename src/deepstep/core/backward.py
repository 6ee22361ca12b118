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

from ..errors import DeepstepError, _describe, as_array, check_l2, check_number, finite_result
from .activations import Activation, get_activation, get_hidden_activation
from .engine import apply_dropout, input_gradient, weight_gradients
from .forward import Cache, LinearCache
from .layers import backward_layers, layer_of_cache
from .tasks import CLASSIFICATION, TASKS

# (backward_from_dZL is the unchecked core the checked functions share: public in the module, not in __all__)
__all__ = ["linear_backward", "linear_activation_backward", "model_backward"]

Dropout = tuple[np.ndarray, float]


def _is_array_triple(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and all(isinstance(v, np.ndarray) for v in value)


def _name(part: str, where: str) -> str:
    """A cache part in messages: "W" in the one cache of a layer function, "W of caches[0]" in model_backward."""
    return part if where == "cache" else f"{part} of {where}"


def _linear_cache(cache: Any) -> LinearCache:
    """linear_backward's cache (A_prev, W, b) checked, or a clear error naming the cache that came instead."""
    if isinstance(cache, tuple) and len(cache) in (2, 3) and _is_array_triple(cache[0]):
        raise DeepstepError(
            "cache: expected the linear cache (A_prev, W, b) that linear_forward returns, got an activation cache "
            "((A_prev, W, b), Z) as linear_activation_forward returns; pass its first element, cache[0]"
        )
    return _linear_parts(cache, "cache")


def _linear_parts(cache: Any, where: str) -> LinearCache:
    """(A_prev, W, b) as plain arrays (:func:`deepstep.errors.as_array`) of shapes (n[l-1], m) with m >= 1,
    (n[l], n[l-1]) and (n[l], 1); ``where`` names the cache in messages."""
    if not (isinstance(cache, tuple) and len(cache) == 3):
        raise DeepstepError(f"{where}: expected the linear cache (A_prev, W, b) of three arrays, got "
                            f"{_describe(cache)}")
    A_prev, W, b = (as_array(value, _name(part, where)) for part, value in zip(("A_prev", "W", "b"), cache,
                                                                              strict=True))
    if A_prev.ndim != 2 or W.ndim != 2 or W.shape[1] != A_prev.shape[0] or b.shape != (W.shape[0], 1) \
            or A_prev.shape[1] == 0:
        raise DeepstepError(
            f"{where}: expected (A_prev, W, b) of shapes (n[l-1], m) with m >= 1, (n[l], n[l-1]) and (n[l], 1), "
            f"got A_prev {A_prev.shape}, W {W.shape}, b {b.shape}"
        )
    return A_prev, W, b


def _activation_cache(cache: Any, where: str = "cache") -> tuple[LinearCache, np.ndarray, Dropout | None]:
    """((A_prev, W, b), Z[, (D, keep_prob)]) checked and unpacked: plain arrays of matching shapes, Z (n[l], m),
    the dropout mask D as booleans of Z's shape and 0 < keep_prob <= 1; ``where`` names the cache in messages."""
    if _is_array_triple(cache):
        raise DeepstepError(
            f"{where}: expected the activation cache ((A_prev, W, b), Z) that linear_activation_forward returns, "
            "got a linear cache (A_prev, W, b) as linear_forward returns"
        )
    if not (isinstance(cache, tuple) and len(cache) in (2, 3) and isinstance(cache[0], tuple)):
        raise DeepstepError(f"{where}: expected the activation cache ((A_prev, W, b), Z), got {_describe(cache)}")
    A_prev, W, b = _linear_parts(cache[0], where)
    Z = as_array(cache[1], _name("Z", where))
    if Z.shape != (W.shape[0], A_prev.shape[1]):
        raise DeepstepError(f"{where}: expected Z of shape {(W.shape[0], A_prev.shape[1])} (n[l] of W, m of "
                            f"A_prev), got shape {Z.shape}")
    return (A_prev, W, b), Z, (_dropout(cache[2], Z.shape, where) if len(cache) == 3 else None)


def _dropout(dropout: Any, shape: tuple[int, ...], where: str) -> Dropout:
    """A cache's (D, keep_prob): D a 0/1 mask of Z's shape (as booleans), 0 < keep_prob <= 1."""
    if not (isinstance(dropout, tuple) and len(dropout) == 2):
        raise DeepstepError(f"{where}: expected (D, keep_prob) as the third element, got {_describe(dropout)}")
    D = as_array(dropout[0], f"D of {where}[2]")
    if D.shape != shape:
        raise DeepstepError(f"D of {where}[2]: expected the dropout mask of Z's shape {shape}, got shape {D.shape}")
    if D.dtype != np.bool_:
        if not ((D == 0) | (D == 1)).all():
            raise DeepstepError(f"D of {where}[2]: expected a dropout mask of 0s and 1s (or booleans)")
        D = D != 0
    keep_prob = check_number(dropout[1], f"keep_prob of {where}[2]", low=0, low_inclusive=False, high=1,
                             expected="a finite number with 0 < keep_prob <= 1")
    return D, keep_prob


def _linear_step(dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dA_prev, dW, db) of a layer, unchecked."""
    dW, db = weight_gradients(dZ, A_prev)
    return input_gradient(W, dZ), dW, db


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

    Raises
    ------
    DeepstepError
        For a cache or dZ of the wrong type or shape, and where finite inputs overflow (naming the one to scale).
    """
    A_prev, W, _ = _linear_cache(cache)
    dZ = as_array(dZ, "dZ")
    if dZ.shape != (W.shape[0], A_prev.shape[1]):
        raise DeepstepError(
            f"dZ: expected shape {(W.shape[0], A_prev.shape[1])} (n[l], m), got shape {dZ.shape}"
        )
    return finite_result(lambda: _linear_step(dZ, A_prev, W), "linear_backward", dZ=dZ, A_prev=A_prev, W=W)


def linear_activation_backward(
    dA: np.ndarray, cache: Cache, activation: str | Activation
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One layer's backward step: dZ = dA * g'(Z), then :func:`linear_backward`.

    Parameters
    ----------
    dA : ndarray of shape (n[l], m)
    cache : tuple ((A_prev, W, b), Z), or ((A_prev, W, b), Z, (D, keep_prob)) with dropout
    activation : str

    Returns
    -------
    dA_prev : ndarray of shape (n[l-1], m)
    dW : ndarray of shape (n[l], n[l-1])
    db : ndarray of shape (n[l], 1)

    Raises
    ------
    DeepstepError
        For a cache or dA of the wrong type or shape, and where finite inputs overflow (naming the one to scale).
    """
    (A_prev, W, _), Z, dropout = _activation_cache(cache)
    dA = as_array(dA, "dA")
    if dA.shape != Z.shape:
        raise DeepstepError(f"dA: expected shape {Z.shape} (the shape of Z), got shape {dA.shape}")
    g = get_activation(activation)

    def step() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dZ = g.backward(dA if dropout is None else apply_dropout(dA, *dropout), Z)
        return _linear_step(dZ, A_prev, W)

    return finite_result(step, "linear_activation_backward", dA=dA, A_prev=A_prev, W=W, Z=Z)


def backward_from_dZL(
    dZL: np.ndarray,
    caches: list[Cache],
    hidden_activation: str | Activation = "relu",
    lambd: float = 0.0,
    keep_dZ: bool = False,
) -> dict[str, np.ndarray]:
    """Back-propagate from dZ[L] down to layer 1 (the caches are not checked: :func:`model_backward` checks them).

    Layer l stores "dW{l}", "db{l}" and its dA[l-1] as "dA{l-1}" (and "dZ{l}" with ``keep_dZ``, as
    :func:`deepstep.explain` writes every step out); with ``lambd``, dW[l] includes (lambd/m) W[l].  The one
    backward traversal of the step functions, gradient checking and explain.
    """
    hidden = get_hidden_activation(hidden_activation)
    return backward_layers(dZL, caches, [layer_of_cache(c, hidden) for c in caches], lambd, keep_dZ)


def _model_caches(caches: Any) -> list[Cache]:
    """model_backward's caches checked (see :func:`_activation_cache`), each layer's A_prev of the shape of the
    Z before it; new tuples of plain arrays."""
    if not isinstance(caches, (list, tuple)) or not caches:
        raise DeepstepError(f"caches: expected a list of L >= 1 layer caches ((A_prev, W, b), Z), got "
                            f"{_describe(caches)}")
    checked: list[Cache] = []
    for l, cache in enumerate(caches):
        linear_cache, Z, dropout = _activation_cache(cache, f"caches[{l}]")
        if l and linear_cache[0].shape != checked[-1][1].shape:
            raise DeepstepError(f"caches[{l}]: expected A_prev of shape {checked[-1][1].shape} (the shape of Z in "
                                f"caches[{l - 1}]), got shape {linear_cache[0].shape}")
        checked.append((linear_cache, Z) if dropout is None else (linear_cache, Z, dropout))
    return checked


def backpropagate(
    dAL: np.ndarray, caches: list[Cache], hidden: Activation, output: Activation, lambd: float
) -> dict[str, np.ndarray]:
    """The gradients from dA[L] = dJ/dA[L] and checked caches: dZ[L] = dA[L] * g[L]'(Z[L]), then
    :func:`backward_from_dZL` (no checks, no guard: :func:`model_backward` and the gradient check add theirs)."""
    return backward_from_dZL(output.backward(dAL, caches[-1][1]), caches, hidden, lambd)


def model_backward(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: list[Cache],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
    lambd: float = 0.0,
) -> dict[str, np.ndarray]:
    """Back-propagation through the L-layer network, from dA[L] of the cost (cross-entropy; squared error for a
    linear output).

    Parameters
    ----------
    AL : ndarray of shape (n[L], m)
        Any finite values other than exactly 0 and 1, where dA[L] is defined (caches built by
        hand need not hold sigmoid(Z[L])).
    Y : ndarray of shape (n[L], m)
    caches : list of L tuples ((A[l-1], W[l], b[l]), Z[l])
        As returned by :func:`deepstep.model_forward` (with dropout masks), or built by hand.
        Every array is taken as :func:`deepstep.errors.as_array` takes it, and the shapes must chain.
    lambd : float
        L2 strength: dW[l] gains (lambd/m) W[l].

    Returns
    -------
    grads : dict
        "dA{l-1}" of shape (n[l-1], m), "dW{l}" of shape (n[l], n[l-1]),
        "db{l}" of shape (n[l], 1), for l = 1..L.

    Raises
    ------
    DeepstepError
        For arguments of the wrong type or shape (naming the cache, e.g. "caches[0]"), and where finite
        inputs overflow (naming the one to scale).

    Notes
    -----
    This is the chain rule as the course writes it, dZ[L] = dA[L] * g'(Z[L]).
    Where a sigmoid output saturates (A[L] rounds to exactly 0 or 1, e.g. Z[L]
    beyond about 37 in float64) that product loses the gradient: g'(Z[L])
    rounds to 0 while dA[L] would be infinite, and A[L] is moved a hair off 0 and 1.
    The trainer uses the combined dZ[L] = A[L] - Y, which stays exact.
    """
    lambd = check_l2(lambd, "lambd")
    checked = _model_caches(caches)
    output = get_activation(output_activation, "output_activation")
    hidden = get_hidden_activation(hidden_activation)
    # dA[L] = -(Y/A[L] - (1-Y)/(1-A[L])) for cross-entropy; A[L] - Y for a linear output's squared error
    dAL = TASKS.get(output.name, CLASSIFICATION).derivative(AL, Y)
    ZL = checked[-1][1]
    if ZL.shape != dAL.shape:
        raise DeepstepError(f"caches: expected the last cache's Z[L] to have AL's shape {dAL.shape}, got {ZL.shape}")
    return finite_result(lambda: backpropagate(dAL, checked, hidden, output, lambd), "model_backward", AL=AL,
                         caches=checked, lambd=lambd)
