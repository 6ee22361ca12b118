"""The cross-entropy cost J and its derivative dA[L] = dJ/dA[L] (times m).

Binary (one output unit, sigmoid):
``J = -(1/m) sum(Y log A[L] + (1 - Y) log(1 - A[L]))`` and
``dA[L] = -(Y / A[L] - (1 - Y) / (1 - A[L]))``.

Categorical (n[L] > 1 output units, softmax, one-hot Y):
``J = -(1/m) sum(Y log A[L])`` and ``dA[L] = -Y / A[L]``.

In both cases the output step combines to ``dZ[L] = A[L] - Y`` (the trainer
uses that form).  A[L] is kept a hair away from exactly 0 and 1 so that
neither the cost nor its derivative is ever inf or NaN.

With L2 regularization, ``J + (lambd / 2m) sum_l ||W[l]||_F^2``
(:func:`compute_cost_with_regularization`).

Examples
--------
>>> import numpy as np
>>> from deepstep import compute_cost
>>> round(compute_cost(np.array([[0.8, 0.9, 0.4]]), np.array([[1, 1, 0]])), 6)
0.279777
"""

from __future__ import annotations

import numpy as np

from ..errors import (
    DeepstepError,
    check_arrays,
    check_l2,
    check_real_targets,
    check_Y,
    finite_result,
    plain_parameters,
)

__all__ = ["compute_cost", "compute_cost_with_regularization", "cross_entropy", "cost_derivative",
           "compute_squared_error_cost", "mean_squared_error"]


def _check(AL: np.ndarray, Y: np.ndarray, probabilities: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """AL: finite values of shape (n[L], m), m >= 1 (probabilities in [0, 1] for the cost); Y: 0/1 labels.

    Returns AL as floats (integer 0/1 probabilities are taken as float64) and Y."""
    (AL,) = check_arrays(AL=AL)
    if AL.dtype.kind != "f":
        AL = AL.astype(np.float64)
    if AL.ndim != 2 or AL.shape[1] == 0:
        raise DeepstepError(f"AL: expected an array of shape (n[L], m) with m >= 1, got shape {AL.shape}")
    if AL.shape[0] == 0:
        raise DeepstepError(f"AL: expected at least one output unit (n[L] >= 1), got shape {AL.shape}")
    if not np.isfinite(AL).all():
        raise DeepstepError(f"AL: expected finite {'probabilities in [0, 1]' if probabilities else 'values'}, "
                            "got NaN or inf")
    if probabilities and (AL.min() < 0 or AL.max() > 1):
        raise DeepstepError(
            f"AL: expected finite probabilities in [0, 1], got values from {AL.min()} to {AL.max()}"
        )
    return AL, check_Y(Y, AL.shape[1], n_y=AL.shape[0])


def _clip(AL: np.ndarray) -> np.ndarray:
    """A[L] clipped to [tiny, 1 - epsneg] of its dtype (a no-op away from 0 and 1)."""
    fi = np.finfo(AL.dtype)
    return np.minimum(np.maximum(AL, fi.tiny), 1 - fi.epsneg)  # np.clip's values, without its dispatch


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """Cross-entropy cost J.

    Parameters
    ----------
    AL : ndarray of shape (n[L], m)
        Output probabilities.
    Y : ndarray of shape (n[L], m)
        0/1 labels (one-hot columns when n[L] > 1).

    Returns
    -------
    J : float
        -(1/m) sum(Y log AL + (1-Y) log(1-AL)) for n[L] = 1; -(1/m) sum(Y log AL) otherwise.

    Raises
    ------
    DeepstepError
        If AL is not finite probabilities of shape (n[L], m) or Y not 0/1 labels of that shape.
    """
    AL, Y = _check(AL, Y)
    return cross_entropy(AL, Y)


def cross_entropy(AL: np.ndarray, Y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """:func:`compute_cost` without the input checks (the trainer's, once per iteration; NaN in, NaN out); with
    ``weights`` s (1, m) each example's loss counts s_j times: -(1/m) sum_j s_j L_j."""
    if weights is None:
        return cross_entropies(AL[np.newaxis], Y)[0]
    m = AL.shape[1]
    A = _clip(AL)
    per = (np.log(A)[0] * Y[0] + np.log1p(-A)[0] * (1 - Y[0])) if AL.shape[0] == 1 else \
        np.einsum("kj,kj->j", Y, np.log(A))
    return float(-np.dot(per, weights[0]) / m)


def _row_dots(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """np.dot of each row of A (k, m) with B (m,), or with B's own row (B (k, m)): (k,).  NumPy 2's np.vecdot makes
    them in one call, each the same BLAS dot as np.dot of the row alone (so the stack's floats are a row's own);
    before NumPy 2, row by row."""
    if hasattr(np, "vecdot"):
        return np.vecdot(A, B)
    return np.array([np.dot(a, b) for a, b in zip(A, np.broadcast_to(B, A.shape), strict=True)])


def cross_entropies(ALs: np.ndarray, Y: np.ndarray) -> list[float]:
    """:func:`cross_entropy` (unweighted) of each A[L] in a stack ``ALs`` (k, n[L], m) against one Y (n[L], m), or
    each against its own (Y (k, n[L], m)): -(1/m) (log A . Y + log(1 - A) . (1 - Y)) for n[L] = 1, -(1/m)
    sum(Y log A) otherwise.  Each A[L]'s sums are made on its own row, so each float is the one a stack of that A[L]
    alone gives (cross_entropy's); the clipping and logarithms are done once for the stack (the training loop's
    costs of several full-batch epochs, or of an epoch's mini-batches, in one pass)."""
    m = ALs.shape[2]
    A = _clip(ALs)
    if ALs.shape[1] == 1:
        log_A, log_1mA = np.log(A)[:, 0], np.log1p(-A)[:, 0]
        y = Y[..., 0, :]  # (m,), or (k, m): each A[L]'s own Y
        return (-(_row_dots(log_A, y) + _row_dots(log_1mA, 1 - y)) / m).tolist()
    P = Y * np.log(A)
    return (-P.reshape(len(P), -1).sum(axis=1) / m).tolist()  # (each row's np.sum: the same pairwise sum)


def compute_cost_with_regularization(AL: np.ndarray, Y: np.ndarray, parameters: dict, lambd: float) -> float:
    """J + (lambd / 2m) sum_l ||W[l]||_F^2: the cross-entropy cost with the L2 term.

    Parameters
    ----------
    AL, Y : ndarray of shape (n[L], m)
    parameters : dict
        "W{l}" (n[l], n[l-1]), "b{l}" (n[l], 1); the biases are not regularized.
    lambd : float
        lambda >= 0.

    Raises
    ------
    DeepstepError
        For bad arguments, and where the L2 term is beyond the float range (naming the weights or lambd).
    """
    from .engine import l2_cost

    lambd = check_l2(lambd, "lambd")
    W = [P for key, P in plain_parameters(parameters).items() if key.startswith("W")]
    J = compute_cost(AL, Y)
    m = np.shape(AL)[1]
    return finite_result(lambda: J + l2_cost([squared_norm(Wl) for Wl in W], lambd, m),
                         "compute_cost_with_regularization", parameters=W, lambd=lambd)


def squared_norm(W: np.ndarray) -> float:
    """||W||_F^2, in W's floating dtype (float64 for integer W: no wrap-around)."""
    if W.dtype.kind != "f":
        W = W.astype(np.float64)
    return float(np.vdot(W, W))


def cost_derivative(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """dA[L] = -(Y/AL - (1-Y)/(1-AL)) for n[L] = 1, -Y/AL otherwise; shape (n[L], m).

    Defined for any finite AL other than exactly 0 and 1 (those are moved a hair inside).
    """
    AL, Y = _check(AL, Y, probabilities=False)
    fi = np.finfo(AL.dtype)
    A = np.where(np.abs(AL) < fi.tiny, np.copysign(fi.tiny, AL), AL)  # 1/A stays finite
    A = np.where(A == 1, 1 - fi.epsneg, A)
    Y = Y.astype(AL.dtype, copy=False)
    if AL.shape[0] == 1:
        return -(Y / A - (1 - Y) / (1 - A))
    return -(Y / A)


# -- regression: the squared error, paired with a linear output ------------------------------------


def mean_squared_error(AL: np.ndarray, Y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """J = (1/2m) sum_j ||A[:, j] - Y[:, j]||^2 on checked arrays (the training loop's form); dZ[L] = A[L] - Y.  With
    ``weights`` s (1, m): (1/2m) sum_j s_j ||A[:, j] - Y[:, j]||^2."""
    if weights is None:
        return mean_squared_errors(AL[np.newaxis], Y)[0]
    m = AL.shape[1]
    D = AL - Y
    return float(np.dot(np.einsum("kj,kj->j", D, D), weights[0])) / (2 * m)


def mean_squared_errors(ALs: np.ndarray, Y: np.ndarray) -> list[float]:
    """:func:`mean_squared_error` (unweighted) of each A[L] in a stack ``ALs`` (k, n[L], m) against one Y (or each
    against its own, Y (k, n[L], m)): each
    (1/2m) ||A[L] - Y||^2 summed on its own (the float a stack of that A[L] alone gives), the differences taken once
    for the stack."""
    m = ALs.shape[2]
    D = (ALs - Y).reshape(len(ALs), -1)
    return (_row_dots(D, D).astype(np.float64) / (2 * m)).tolist()


def compute_squared_error_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """The regression cost J = (1/2m) sum ||A[L] - Y||^2 of outputs AL (n[L], m) against real targets Y (n[L], m).

    >>> import numpy as np
    >>> compute_squared_error_cost(np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]]))   # (1 + 4) / (2 * 2)
    1.25
    """
    AL, Y = _check_real(AL, Y)
    return finite_result(lambda: mean_squared_error(AL, Y), "compute_squared_error_cost", AL=AL, Y=Y)


def _check_real(AL: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AL: finite values of shape (n[L], m), n[L], m >= 1; Y: finite real targets of AL's shape."""
    (AL,) = check_arrays(AL=AL)
    if AL.dtype.kind != "f":
        AL = AL.astype(np.float64)
    if AL.ndim != 2 or AL.shape[0] == 0 or AL.shape[1] == 0:
        raise DeepstepError(f"AL: expected an array of shape (n[L], m) with n[L], m >= 1, got shape {AL.shape}")
    if not np.isfinite(AL).all():
        raise DeepstepError("AL: expected finite values, got NaN or inf")
    return AL, check_real_targets(Y, AL.shape[1], n_y=AL.shape[0])


def squared_error_derivative(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """dA[L] = A[L] - Y (m dJ/dA[L] of the squared error; the 1/m is dW's), checked."""
    AL, Y = _check_real(AL, Y)
    return finite_result(lambda: AL - Y, "squared_error_derivative", AL=AL, Y=Y)
