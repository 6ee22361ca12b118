"""Activation functions g and their derivatives g', one registry entry each.

Every entry holds the function ``g(Z)`` and its derivative ``g'(Z)``; **the
derivative takes Z** (the pre-activation), not A.  Both are element-wise, keep
the dtype of Z and never warn.  Adding an activation is adding one entry to
:data:`ACTIVATIONS`.

``"leaky_relu"`` has slope 0.01 for Z < 0; another slope is asked for by name,
as ``"leaky_relu:0.2"``.  ``"softmax"`` is an output activation only: it is not
element-wise, and with the cross-entropy cost its backward step is
``dZ[L] = A[L] - Y``.

Examples
--------
>>> import numpy as np
>>> from deepstep.activations import get_activation
>>> relu = get_activation("relu")
>>> relu.g(np.array([[-2.0, 0.0, 3.0]]))
array([[0., 0., 3.]])
>>> relu.dg(np.array([[-2.0, 0.5, 3.0]]))
array([[0., 1., 1.]])
>>> get_activation("leaky_relu:0.2").g(np.array([[-1.0, 1.0]]))
array([[-0.2,  1. ]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import DeepstepError

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "get_hidden_activation",
    "check_output_activation",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softmax",
]

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """One activation: ``g(Z)`` and its derivative ``dg(Z)`` (which takes Z).

    An activation that is not element-wise (softmax) has no ``dg`` and gives
    instead ``vjp(dA, Z)``, the product of dA with the Jacobian of g at Z.
    """

    name: str
    g: Callable[[Array], Array]
    dg: Callable[[Array], Array] | None = None
    vjp: Callable[[Array, Array], Array] | None = None

    def backward(self, dA: Array, Z: Array) -> Array:
        """dZ = dA * g'(Z) (element-wise), or the Jacobian product for softmax."""
        if self.dg is not None:
            return dA * self.dg(Z)
        assert self.vjp is not None
        return self.vjp(dA, Z)


def sigmoid(Z: Array) -> Array:
    """sigma(Z) = 1 / (1 + exp(-Z)), computed without overflow for any finite Z."""
    E = np.exp(-np.abs(Z))  # in (0, 1]: never overflows
    return np.where(Z >= 0, 1.0, E) / (1.0 + E)


def sigmoid_prime(Z: Array) -> Array:
    """sigma'(Z) = sigma(Z) (1 - sigma(Z))."""
    S = sigmoid(Z)
    return S * (1.0 - S)


def tanh(Z: Array) -> Array:
    """tanh(Z)."""
    return np.tanh(Z)


def tanh_prime(Z: Array) -> Array:
    """tanh'(Z) = 1 - tanh(Z)^2."""
    T = np.tanh(Z)
    return 1.0 - T * T


def relu(Z: Array) -> Array:
    """ReLU(Z) = max(0, Z)."""
    return np.maximum(Z, 0)


def relu_prime(Z: Array) -> Array:
    """ReLU'(Z) = 1 where Z > 0, else 0 (0 at the kink)."""
    return (Z > 0).astype(Z.dtype)


def leaky_relu(Z: Array, slope: float = 0.01) -> Array:
    """LeakyReLU(Z) = Z where Z > 0, else slope * Z."""
    return np.where(Z > 0, Z, slope * Z)


def leaky_relu_prime(Z: Array, slope: float = 0.01) -> Array:
    """LeakyReLU'(Z) = 1 where Z > 0, else slope."""
    return np.where(Z > 0, 1.0, slope).astype(Z.dtype, copy=False)


def softmax(Z: Array) -> Array:
    """softmax(Z)[i, j] = exp(Z[i, j]) / sum_k exp(Z[k, j]), column by column, overflow-free."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def softmax_vjp(dA: Array, Z: Array) -> Array:
    """dZ = A * (dA - sum_k dA[k] A[k]) per column, with A = softmax(Z)."""
    A = softmax(Z)
    return A * (dA - (dA * A).sum(axis=0, keepdims=True))


def _leaky(slope: float) -> Activation:
    return Activation(
        f"leaky_relu:{slope:g}" if slope != 0.01 else "leaky_relu",
        lambda Z: leaky_relu(Z, slope),
        lambda Z: leaky_relu_prime(Z, slope),
    )


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime),
    "tanh": Activation("tanh", tanh, tanh_prime),
    "relu": Activation("relu", relu, relu_prime),
    "leaky_relu": _leaky(0.01),
    "softmax": Activation("softmax", softmax, vjp=softmax_vjp),
}
"""The registry: name -> :class:`Activation`."""


def get_activation(name: str | Activation, argument: str = "activation") -> Activation:
    """Look up an activation by name (``"leaky_relu:0.2"`` sets the leaky slope).

    ``argument`` is the name the caller knows it by ("hidden_activation",
    "output_activation"), for the error message.

    Raises
    ------
    DeepstepError
        If the name is unknown or the slope is not a finite number.
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise DeepstepError(f"{argument}: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    base, sep, arg = name.partition(":")
    if base == "leaky_relu" and sep:
        try:
            slope = float(arg)
        except ValueError:
            slope = float("nan")
        if not np.isfinite(slope):
            raise DeepstepError(f"{argument}: expected 'leaky_relu:SLOPE' with a number, got {name!r}")
        return _leaky(slope)
    raise DeepstepError(
        f"{argument}: expected one of {sorted(ACTIVATIONS)} (or 'leaky_relu:SLOPE'), got {name!r}"
    )


def get_hidden_activation(name: str | Activation) -> Activation:
    """:func:`get_activation` for g[1] .. g[L-1]: an element-wise activation (softmax is for the output only)."""
    g = get_activation(name, "hidden_activation")
    if g.dg is None:
        raise DeepstepError(
            f"hidden_activation: expected an element-wise activation such as 'relu' or 'tanh', got {g.name!r}, "
            "which is an output activation only"
        )
    return g


def check_output_activation(output: Activation, n_out: int) -> None:
    """g[L] must fit the cross-entropy cost: sigmoid with one output unit, softmax with two or more."""
    if (output.name, n_out > 1) not in (("sigmoid", False), ("softmax", True)):
        raise DeepstepError(
            f"output_activation: expected 'sigmoid' with one output unit or 'softmax' with two or more, "
            f"got {output.name!r} with n[L] = {n_out}"
        )
