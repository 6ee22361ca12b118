"""Gradient checking by centered finite differences, in float64.

For every parameter entry theta_i: ``approx_i = (J(theta_i + eps) - J(theta_i - eps)) / (2 eps)``,
compared with back-propagation's ``grad_i`` by
``||grad - approx|| / (||grad|| + ||approx||)``.  Below about 1e-7 the
back-propagation is right; above about 1e-3 it is almost certainly wrong.

Examples
--------
>>> import numpy as np
>>> import deepstep as ds
>>> rng = np.random.default_rng(0)
>>> params = ds.initialize_parameters([3, 4, 1], init="xavier", rng=rng)
>>> X, Y = rng.standard_normal((3, 5)), np.array([[0, 1, 1, 0, 1]])
>>> ds.gradient_check(params, X, Y, hidden_activation="tanh") < 1e-7
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import DeepstepError, check_l2, check_number, check_parameters, check_X, finite_result
from .activations import Activation, check_output_activation, get_activation, get_hidden_activation
from .backward import backpropagate
from .cost import squared_norm
from .engine import forward_layers, l2_cost
from .forward import model_forward
from .initialization import RngLike, as_rng
from .layers import cache_mask
from .tasks import Task, task_for

__all__ = ["gradient_check", "gradient_check_details", "entries_checked", "parameter_verdict"]

#: Networks with more parameters than this are checked on a sample of each parameter's entries ("auto").
CHECK_ALL_UP_TO = 20_000
#: How many entries of each parameter array the "auto" sample checks in a larger network.
SAMPLED_PER_PARAMETER = 100


def entries_checked(shapes: dict[str, tuple[int, ...]], max_checked: int | str | None = "auto") -> dict[str, int]:
    """How many entries of each parameter the check perturbs.

    Parameters
    ----------
    shapes : dict
        "W1": (n[1], n[0]), "b1": (n[1], 1), ...
    max_checked : "auto", int or None
        None: every entry.  An int k: at most k entries of each parameter, drawn at random.  "auto" (default):
        every entry up to :data:`CHECK_ALL_UP_TO` parameters in all, else :data:`SAMPLED_PER_PARAMETER` of each.

    Returns
    -------
    dict
        The number of entries per key (at most the parameter's size).

    Examples
    --------
    >>> entries_checked({"W1": (4, 3), "b1": (4, 1)})
    {'W1': 12, 'b1': 4}
    >>> entries_checked({"W1": (2000, 3000), "b1": (2000, 1)})
    {'W1': 100, 'b1': 100}
    """
    sizes = {k: int(np.prod(shape)) for k, shape in shapes.items()}
    if max_checked == "auto":
        max_checked = None if sum(sizes.values()) <= CHECK_ALL_UP_TO else SAMPLED_PER_PARAMETER
    elif max_checked is not None:
        max_checked = int(check_number(max_checked, "max_checked", low=1, integer=True,
                                       expected='"auto", None or a whole number >= 1'))
    return {k: n if max_checked is None else min(n, max_checked) for k, n in sizes.items()}


def _relative_error(grad: np.ndarray, approx: np.ndarray) -> float:
    denom = np.linalg.norm(grad) + np.linalg.norm(approx)
    return 0.0 if denom == 0 else float(np.linalg.norm(grad - approx) / denom)


def gradient_check_details(
    parameters: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
    epsilon: float = 1e-7,
    l2: float = 0.0,
    keep_prob: float | list[float] = 1.0,
    rng: RngLike = None,
    max_checked: int | str | None = "auto",
    allowances: dict[str, float] | None = None,
    grads: Mapping[str, Any] | None = None,
    backward: Callable[..., Mapping[str, Any]] | None = None,
    disagreeing: dict[str, list] | None = None,
) -> tuple[float, dict[str, float]]:
    """Like :func:`gradient_check`, also returning the relative error of each parameter ("W1", "b1", ...).

    ``disagreeing``, when given a dict, receives for each parameter the entries whose gradient and centered
    difference disagree (relative difference above 1e-5), worst first, at most 5: ``(index, grad, approx)``.

    ``allowances``, when given a dict, receives for each parameter the relative error that rounding alone can
    cause in its check: ``4 sqrt(k) eps |J| / (epsilon ||grad||)`` over its k entries (eps = 2.2e-16).  An error
    below it is rounding; where it is itself large (a cost of 1e12 beside gradients of 1e-2), the check cannot see
    that parameter's gradient at all (:func:`parameter_verdict`).
    """
    from ..errors import check_keep_prob

    dims = check_parameters(parameters)
    lambd = check_l2(l2)
    check_keep_prob(keep_prob, len(dims) - 2)
    X = check_X(X, dims[0])
    output = get_activation(output_activation, "output_activation")
    check_output_activation(output, dims[-1])
    task = task_for(output.name)
    Y = task.check_targets(Y, X.shape[1], dims[-1])
    epsilon = check_number(epsilon, "epsilon", low=0, high=1, low_inclusive=False, high_inclusive=False,
                           expected="a small positive number such as 1e-7")
    if isinstance(max_checked, str) and max_checked != "auto":
        raise DeepstepError(f'max_checked: expected "auto", None or a whole number >= 1, got {max_checked!r}')
    counts = entries_checked({k: np.shape(v) for k, v in parameters.items()}, max_checked)
    theta = {k: np.array(v, dtype=np.float64) for k, v in parameters.items()}  # copies
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
    hidden = get_hidden_activation(hidden_activation)

    if grads is not None and backward is not None:
        raise DeepstepError("grads: give the gradients or a backward function, not both (backward= is also given)")
    if backward is not None and not callable(backward):
        raise DeepstepError(f"backward: expected a function (AL, Y, caches) -> grads, got {type(backward).__name__}")
    if grads is not None:
        grads = _checked_grads(grads, theta, "grads")

    def check() -> tuple[float, dict[str, float]]:
        return _check(theta, X64, Y64, hidden, output, task, epsilon, lambd, keep_prob, rng, counts, allowances,
                      grads, backward, disagreeing)

    return finite_result(check, "gradient_check", parameters=theta, X=X64, l2=lambd, epsilon=epsilon)


def _checked_grads(grads: Any, theta: dict[str, np.ndarray], name: str) -> dict[str, np.ndarray]:
    """The gradients given (the learner's): "dW1", "db1", ... each of its parameter's shape, as float64."""
    if not isinstance(grads, Mapping):
        raise DeepstepError(f"{name}: expected a dict of gradients (\"dW1\", \"db1\", ...), got {type(grads).__name__}")
    out = {}
    for key, P in theta.items():
        g = grads.get("d" + key)
        if g is None:
            raise DeepstepError(f"{name}: expected the gradient \"d{key}\" of {key} {P.shape}, it is missing")
        try:
            a = np.array(g, dtype=np.float64)
        except (TypeError, ValueError):
            raise DeepstepError(f"{name}: \"d{key}\" is not an array of numbers") from None
        if a.shape != P.shape:
            raise DeepstepError(f"{name}: \"d{key}\" has shape {a.shape}, {key} has {P.shape} (a gradient has its "
                                "parameter's shape)")
        out["d" + key] = a
    return out


def _check(
    theta: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, hidden: Activation, output: Activation, task: Task,
    epsilon: float, lambd: float, keep_prob: float | list[float], rng: RngLike, counts: dict[str, int],
    allowances: dict[str, float] | None = None, given: dict[str, np.ndarray] | None = None,
    backward: Callable[..., Mapping[str, Any]] | None = None, disagreeing: dict[str, list] | None = None,
) -> tuple[float, dict[str, float]]:
    """The check on checked float64 arguments (``theta`` is moved and put back entry by entry), over ``counts[key]``
    entries of each parameter (all of them, or that many drawn without replacement)."""
    L = sum(1 for k in theta if k[:1] == "W")
    gen = as_rng(rng)
    AL, caches = model_forward(X, theta, hidden, output, keep_prob, gen)
    masks = [cache_mask(cache) for cache in caches]  # fixed for every J below

    def J() -> float:
        cost = task.cost(forward_layers(X, theta, hidden, output, masks=masks), Y)
        if lambd:
            cost += l2_cost([squared_norm(theta[f"W{l}"]) for l in range(1, L + 1)], lambd, X.shape[1])
        return cost

    if given is not None:
        grads = given
    elif backward is not None:  # the learner's backward, on the course's caches of this forward pass
        import copy

        grads = _checked_grads(backward(AL.copy(), Y.copy(), copy.deepcopy(caches)), theta, "backward")
    else:
        grads = backpropagate(task.derivative(AL, Y), caches, hidden, output, lambd)
    rounding = 4 * float(np.finfo(np.float64).eps) * max(1.0, abs(J())) / epsilon  # per entry's difference
    per_param, all_grad, all_approx = {}, [], []
    for key, P in theta.items():
        flat = P.reshape(-1)  # a view: moving flat[i] moves P
        entries = np.arange(flat.size) if counts[key] >= flat.size else \
            np.sort(gen.choice(flat.size, counts[key], replace=False))
        approx = np.empty(entries.size)
        for k, i in enumerate(entries):
            saved = flat[i]
            flat[i] = saved + epsilon
            J_plus = J()
            flat[i] = saved - epsilon
            J_minus = J()
            flat[i] = saved
            approx[k] = (J_plus - J_minus) / (2 * epsilon)
        grad = grads["d" + key].reshape(-1)[entries]
        per_param[key] = _relative_error(grad, approx)
        if disagreeing is not None:
            scale = np.abs(grad) + np.abs(approx)
            with np.errstate(divide="ignore", invalid="ignore"):
                entry_error = np.where(scale > 0, np.abs(grad - approx) / scale, 0.0)
            worst = [k for k in np.argsort(-entry_error) if entry_error[k] > 1e-5][:5]
            disagreeing[key] = [(tuple(int(i) for i in np.unravel_index(entries[k], P.shape)), float(grad[k]),
                                 float(approx[k])) for k in worst]
        if allowances is not None:
            size = float(np.linalg.norm(grad))
            allowances[key] = math.inf if size == 0 else rounding * math.sqrt(entries.size) / size
        all_grad.append(grad)
        all_approx.append(approx)
    overall = _relative_error(np.concatenate(all_grad), np.concatenate(all_approx))
    return overall, per_param


def parameter_verdict(error: float, allowance: float, threshold: float = 1e-7) -> str:
    """One parameter's verdict: "ok" below ``threshold``, or within twice what rounding allows where that is small
    (at most 1e-4: the check resolves the gradient); "n/a" where rounding allows more (the check cannot see the
    gradient: never a pass); else "FAIL".

    >>> parameter_verdict(1e-9, 1e-8), parameter_verdict(1.3e-7, 1e-6), parameter_verdict(1.0, 1e4)
    ('ok', 'ok', 'n/a')
    >>> parameter_verdict(1e-3, 1e-6)
    'FAIL'
    """
    if error < threshold:
        return "ok"
    if allowance > 1e-4:
        return "n/a"
    return "ok" if error < 2 * allowance else "FAIL"


def gradient_check(
    parameters: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    hidden_activation: str = "relu",
    output_activation: str = "sigmoid",
    epsilon: float = 1e-7,
    l2: float = 0.0,
    keep_prob: float | list[float] = 1.0,
    rng: RngLike = None,
    max_checked: int | str | None = "auto",
    grads: Mapping[str, Any] | None = None,
    backward: Callable[..., Mapping[str, Any]] | None = None,
) -> float:
    """Relative difference between back-propagation and centered finite differences.

    Back-propagation is deepstep's own, or yours: ``grads`` (your "dW1", "db1", ... of these parameters, X and
    Y) or ``backward`` (your ``L_model_backward(AL, Y, caches)``, called on the caches of deepstep's forward pass,
    the course's ``((A_prev, W, b), Z)`` per layer).  The course's thresholds: below 1e-7 (2e-7 in its
    gradient-checking exercise) the gradients are right; above 1e-3 they are surely wrong;
    :func:`gradient_check_details` says which parameter and which entries disagree.

    Parameters
    ----------
    parameters : dict
        "W{l}" of shape (n[l], n[l-1]) and "b{l}" of shape (n[l], 1); not modified
        (the check runs on float64 copies).
    X : ndarray of shape (n[0], m)
    Y : ndarray of shape (n[L], m)
    epsilon : float
        The step of the centered difference.
    l2 : float
        lambda: the cost includes (lambda/2m) sum ||W[l]||_F^2 and the gradients (lambda/m) W[l].
    keep_prob : float or list of L-1 floats
        Dropout on the hidden layers, with one mask drawn from ``rng`` and kept for every
        evaluation of J (so J is a fixed function of the parameters).
    rng : None, int, Generator or RandomState
        Draws the dropout mask, then the entries a sample checks.
    max_checked : "auto", int or None
        How many entries of each parameter are perturbed (:func:`entries_checked`): every one for networks of up
        to 20,000 parameters, else 100 of each, drawn by ``rng``, so that a large network's check takes seconds,
        not hours.  None checks every entry.

    Returns
    -------
    float
        ||grad - approx|| / (||grad|| + ||approx||) over all parameters together (over the entries checked).

    Raises
    ------
    DeepstepError
        For a bad argument, or where the cost or the check is not finite (never a NaN that no threshold fails).
    """
    return gradient_check_details(parameters, X, Y, hidden_activation, output_activation, epsilon, l2, keep_prob,
                                  rng, max_checked, grads=grads, backward=backward)[0]
