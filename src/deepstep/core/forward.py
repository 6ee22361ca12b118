"""The forward step of a layer, and the forward pass of the whole network.

Layer l: ``Z[l] = W[l] A[l-1] + b[l]`` (b broadcast over the m columns), then
``A[l] = g[l](Z[l])``.  The training pass keeps, for every layer, the cache
``((A[l-1], W[l], b[l]), Z[l])`` that the backward step needs (with dropout, a
hidden layer's cache also holds its mask: ``((A[l-1], W[l], b[l]), Z[l], (D[l], keep_prob))``);
the prediction pass (:func:`predict_forward`) keeps nothing.  The arithmetic is
the engine's (:mod:`deepstep.engine`), the same the training loop runs.

Examples
--------
>>> import numpy as np
>>> from deepstep import linear_forward
>>> Z, cache = linear_forward(np.array([[1.0], [2.0]]), np.array([[3.0, -1.0]]), np.array([[0.5]]))
>>> Z
array([[1.5]])
"""

from __future__ import annotations

import numpy as np

from ..errors import (
    DeepstepError,
    as_dtype_checked,
    check_arrays,
    check_forward_result,
    check_X,
    finite_result,
    plain_parameters,
)
from . import layers as _layers
from .activations import Activation, get_activation, get_hidden_activation
from .engine import dropout_mask, forward_no_cache, linear
from .initialization import RngLike, as_rng

__all__ = ["linear_forward", "linear_activation_forward", "model_forward", "predict_forward", "forward_no_cache"]

LinearCache = tuple[np.ndarray, np.ndarray, np.ndarray]
Cache = tuple  # ((A_prev, W, b), Z), or ((A_prev, W, b), Z, (D, keep_prob)) with dropout


def linear_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, LinearCache]:
    """Linear part of a layer's forward step: Z = W A_prev + b.

    Parameters
    ----------
    A_prev : ndarray of shape (n[l-1], m)
    W : ndarray of shape (n[l], n[l-1])
    b : ndarray of shape (n[l], 1)

    Returns
    -------
    Z : ndarray of shape (n[l], m)
    cache : tuple (A_prev, W, b)
    """
    A_prev, W, b = _linear_inputs(A_prev, W, b)
    Z = finite_result(lambda: linear(W, A_prev, b), "linear_forward", A_prev=A_prev, W=W, b=b)
    return Z, (A_prev, W, b)


def _linear_inputs(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> LinearCache:
    """A_prev (k, m), W (n, k), b (n, 1) as plain arrays (:func:`deepstep.errors.as_array`), or DeepstepError."""
    A_prev, W, b = check_arrays(A_prev=A_prev, W=W, b=b)
    if W.ndim != 2 or A_prev.ndim != 2 or W.shape[1] != A_prev.shape[0] or b.shape != (W.shape[0], 1):
        raise DeepstepError(
            f"linear_forward: expected W (n, k), A_prev (k, m), b (n, 1), got W {W.shape}, "
            f"A_prev {A_prev.shape}, b {b.shape}"
        )
    return A_prev, W, b


def _layer_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, g: Activation) -> tuple[np.ndarray, Cache]:
    """A = g(W A_prev + b) and its cache, unchecked (the caller checks the inputs and the result)."""
    Z = linear(W, A_prev, b)
    return g.g(Z), ((A_prev, W, b), Z)


def linear_activation_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str | Activation
) -> tuple[np.ndarray, Cache]:
    """One layer's forward step: A = g(W A_prev + b).

    Parameters
    ----------
    A_prev : ndarray of shape (n[l-1], m)
    W : ndarray of shape (n[l], n[l-1])
    b : ndarray of shape (n[l], 1)
    activation : str
        A name from :data:`deepstep.activations.ACTIVATIONS`.

    Returns
    -------
    A : ndarray of shape (n[l], m)
    cache : tuple ((A_prev, W, b), Z), with Z of shape (n[l], m)

    Raises
    ------
    DeepstepError
        For inputs of the wrong shape or type, and where finite inputs overflow (naming the one to scale).
    """
    g = get_activation(activation, "activation")
    A_prev, W, b = _linear_inputs(A_prev, W, b)
    return finite_result(lambda: _layer_forward(A_prev, W, b, g), "linear_activation_forward", A_prev=A_prev, W=W,
                         b=b)


def model_forward(
    X: np.ndarray,
    parameters: dict[str, np.ndarray],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
    keep_prob: float | list[float] = 1.0,
    rng: RngLike = None,
) -> tuple[np.ndarray, list[Cache]]:
    """Forward pass of the L-layer network, keeping every layer's cache.

    Parameters
    ----------
    X : ndarray of shape (n[0], m)
    parameters : dict
        "W{l}" of shape (n[l], n[l-1]) and "b{l}" of shape (n[l], 1), l = 1..L.
    hidden_activation, output_activation : str
        g[1] = ... = g[L-1] and g[L].
    keep_prob : float or list of L-1 floats
        Inverted dropout on the hidden layers: A[l] = A[l] * D[l] / keep_prob with
        D[l] = rng.random(A[l].shape) < keep_prob (1.0: none).
    rng : None, int, Generator or RandomState
        Draws the dropout masks, layer by layer.

    Returns
    -------
    AL : ndarray of shape (n[L], m)
    caches : list of L caches ((A[l-1], W[l], b[l]), Z[l]), with (D[l], keep_prob) as a third
        element on hidden layers with dropout
    """
    from ..errors import check_keep_prob

    parameters = plain_parameters(parameters)
    L = sum(1 for k in parameters if k[:1] == "W")
    dims = [parameters["W1"].shape[1]] + [parameters[f"W{l}"].shape[0] for l in range(1, L + 1)]
    X = _in_weights_dtype(check_X(X, dims[0]), parameters)
    hidden = get_hidden_activation(hidden_activation)
    output = get_activation(output_activation, "output_activation")
    L = len(dims) - 1
    keep = [1.0, *check_keep_prob(keep_prob, L - 1)]
    gen = as_rng(rng) if any(p < 1 for p in keep) else None
    m = X.shape[1]
    # the masks are drawn layer by layer, D[l] of A[l]'s shape (n[l], m), before the pass that applies them
    masks = [(dropout_mask(gen, (dims[l], m), keep[l]), keep[l]) if l < L and keep[l] < 1 else None
             for l in range(1, L + 1)]
    caches: list[Cache] = []
    with np.errstate(over="ignore", invalid="ignore"):
        A = _layers.forward_layers(X, parameters, _layers.layers_of(parameters, hidden, output), masks=masks,
                                   caches=caches)
    return check_forward_result(A), caches


def _in_weights_dtype(X: np.ndarray, parameters: dict[str, np.ndarray]) -> np.ndarray:
    """X in the floating dtype of the weights (float32 weights: a float32 pass); as it is for integer weights."""
    dtype = parameters["W1"].dtype
    return as_dtype_checked(X, dtype) if dtype.kind == "f" else X


def predict_forward(
    X: np.ndarray,
    parameters: dict[str, np.ndarray],
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
) -> np.ndarray:
    """Forward pass for prediction: A[L] of shape (n[L], m), with no caches kept."""
    parameters = plain_parameters(parameters)
    if any(k.startswith("gamma") for k in parameters):
        raise DeepstepError("parameters: batch-normalized layers (gamma, beta) predict with their running averages, "
                            "which parameters alone do not hold; use the network's predict_proba")
    X = _in_weights_dtype(check_X(X, parameters["W1"].shape[1]), parameters)
    hidden = get_hidden_activation(hidden_activation)
    output = get_activation(output_activation, "output_activation")
    with np.errstate(over="ignore", invalid="ignore"):
        return check_forward_result(forward_no_cache(X, parameters, hidden, output))
