"""The gradient-descent update: W[l] := W[l] - alpha dW[l], b[l] := b[l] - alpha db[l].

The other optimizers (momentum, RMSprop, Adam) are in :mod:`deepstep.optimizers`.

Examples
--------
>>> import numpy as np
>>> from deepstep import update_parameters
>>> p = update_parameters({"W1": np.array([[1.0]]), "b1": np.array([[0.0]])},
...                       {"dW1": np.array([[2.0]]), "db1": np.array([[-1.0]])}, 0.1)
>>> p["W1"], p["b1"]
(array([[0.8]]), array([[0.1]]))
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .errors import DeepstepError, as_array, check_learning_rate, plain_parameters
from .optimizers import gd_kernel

__all__ = ["update_parameters"]


def update_parameters(
    parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """One gradient-descent step; returns new parameters and leaves the inputs untouched.

    Parameters
    ----------
    parameters : dict
        "W{l}" of shape (n[l], n[l-1]), "b{l}" of shape (n[l], 1).
    grads : dict
        "dW{l}" and "db{l}" of the same shapes.
    learning_rate : float
        alpha > 0.

    Returns
    -------
    dict
        W[l] - alpha dW[l] and b[l] - alpha db[l] for every l.
    """
    alpha = check_learning_rate(learning_rate)
    parameters = plain_parameters(parameters)
    if not isinstance(grads, Mapping):
        raise DeepstepError(f"grads: expected a dict with keys 'dW1', 'db1', ..., got {type(grads).__name__}")
    for key, P in parameters.items():
        dP = grads.get("d" + key)
        if not isinstance(dP, np.ndarray) or dP.shape != P.shape:
            raise DeepstepError(
                f"grads: expected 'd{key}' of shape {P.shape}, got {getattr(dP, 'shape', dP)!r}"
            )
        if not np.isfinite(as_array(dP, f"grads['d{key}']")).all():
            raise DeepstepError(f"grads: expected finite values in 'd{key}', got NaN or inf")
    new = {key: np.array(P, dtype=np.result_type(P.dtype, np.float16)) for key, P in parameters.items()}
    for key, P in new.items():
        gd_kernel(P, np.array(as_array(grads["d" + key], "d" + key), dtype=P.dtype), alpha)  # the trainer's kernel
    return new
