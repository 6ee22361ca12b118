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

import numpy as np

from ..errors import check_learning_rate, plain_parameters
from .optimizers import check_grads, course_step, gd_kernel

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
        W[l] - alpha dW[l] and b[l] - alpha db[l] for every l, in W[l]'s floating dtype (float64 for
        integer or bool parameters).

    Raises
    ------
    DeepstepError
        For bad arguments, and where finite inputs overflow (naming the one to scale).
    """
    alpha = check_learning_rate(learning_rate)
    parameters = plain_parameters(parameters)
    check_grads(parameters, grads)
    return course_step("update_parameters", lambda P, dP: gd_kernel(P, dP, alpha),  # the trainer's kernel
                        parameters, grads, {}, learning_rate=alpha)[0]
