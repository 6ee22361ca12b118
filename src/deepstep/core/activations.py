"""Activation functions g and their derivatives g', one registry entry each.

Every entry holds the function ``g(Z)`` and its derivative ``g'(Z)`` (**the
derivative takes Z**, the pre-activation), both element-wise, keeping the dtype
of Z and never warning, and, beside them, the **in-place pair** the training
engine uses on its reused buffers:

* ``forward_(Z)`` writes A = g(Z) over Z's buffer and returns it;
* ``backward_(dA, A)`` writes dZ = dA * g'(Z) over dA's buffer, reading g'(Z)
  off A = g(Z) (so Z need not be kept), and returns it.

Both give exactly the values of ``g`` and ``backward`` (a test holds every entry
to that).  An entry without an in-place pair is trained with ``g`` and
``backward`` on kept Z buffers.  Adding an activation is adding one entry to
:data:`ACTIVATIONS`.

``"leaky_relu"`` has slope 0.01 for Z < 0; another slope is a parameter,
``leaky_relu(slope=0.2)`` or by name ``"leaky_relu:0.2"`` (the name carries the
slope's exact decimal form, so a saved network predicts the same when loaded).
``"softmax"`` is an output activation only: it is not element-wise, and with the
cross-entropy cost its backward step is ``dZ[L] = A[L] - Y``.

Examples
--------
>>> import numpy as np
>>> from deepstep.activations import get_activation
>>> relu = get_activation("relu")
>>> relu.g(np.array([[-2.0, 0.0, 3.0]]))
array([[0., 0., 3.]])
>>> relu.dg(np.array([[-2.0, 0.5, 3.0]]))
array([[0., 1., 1.]])
>>> leaky = get_activation("leaky_relu:0.2")
>>> leaky.g(np.array([[-1.0, 1.0]])), leaky.params
(array([[-0.2,  1. ]]), {'slope': 0.2})
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DeepstepError

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "get_hidden_activation",
    "check_output_activation",
    "hidden_activation_names",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softmax",
    "linear",
]

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """One activation: ``g(Z)``, its derivative ``dg(Z)`` (which takes Z), and its in-place pair.

    Attributes
    ----------
    name : str
        The registry name; with parameters, ``"base:value"`` (e.g. ``"leaky_relu:0.2"``).
    g : callable
        Z (n, m) -> A (n, m).
    dg : callable or None
        Z (n, m) -> g'(Z) (n, m); None for an activation that is not element-wise (softmax).
    vjp : callable or None
        (dA, Z) -> dZ, the product of dA with the Jacobian of g at Z, where ``dg`` is None.
    forward_, backward_ : callable or None
        The in-place pair (see the module docstring), or None.
    params : dict
        The activation's own parameters (``{"slope": 0.01}`` for leaky_relu).
    text : (str, str)
        A = g(Z) as ``explain`` writes it: plain text and the formula language, with ``{Z}`` for the
        pre-activation and ``{slope}`` ... for the parameters.
    derivative_text : (str, str) or None
        g'(Z[l]) in the course's form, with ``{A}`` and ``{Z}`` (tanh: ``1 - A^2``); None writes ``g'(Z)``.
    init : {"he", "xavier"}
        The initialization ``init="auto"`` gives a network with this hidden activation.
    onnx : callable or None
        ``onnx(onnx_module, params, input_name, output_name, dtype) -> (nodes, initializers)``: the activation as
        ONNX nodes (None: such a network cannot be exported, and says so).
    """

    name: str
    g: Callable[[Array], Array]
    dg: Callable[[Array], Array] | None = None
    vjp: Callable[[Array, Array], Array] | None = None
    forward_: Callable[[Array], Array] | None = None
    backward_: Callable[[Array, Array], Array] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    text: tuple[str, str] = ("g({Z})", "g ( {Z} )")
    derivative_text: tuple[str, str] | None = None
    init: str = "xavier"
    onnx: Callable[..., tuple[list, list]] | None = None

    def __reduce__(self) -> Any:
        """Pickled by name where the registry gives this entry back (``"leaky_relu:0.2"`` included, whose
        functions are made for its slope): a network or an estimator pickles whatever its activation."""
        try:
            same = get_activation(self.name)
        except DeepstepError:
            same = None
        if same is not None and same.name == self.name and same.g.__qualname__ == self.g.__qualname__:
            return (get_activation, (self.name,))
        return super().__reduce__()

    def equation(self, Z: str) -> tuple[str, str]:
        """A = g(Z) for the pre-activation named ``Z``: (plain text, formula language)."""
        values = {"Z": Z, **{k: f"{v:g}" for k, v in self.params.items()}}
        return self.text[0].format(**values), self.text[1].format(**values)

    def derivative_equation(self, l: int, Z: str = "Z") -> tuple[str, str]:
        """g'(Z[l]) in the course's form where the entry has one (tanh: 1 - A[l]^2), else g'(Z[l]); ``Z`` names what
        g takes ("Zt" for a batch-normalized layer's Z~: the text then writes Z~)."""
        A, (Z_text, Z_math) = f"A[{l}]", ((f"Z~[{l}]", f"Zt[{l}]") if Z == "Zt" else (f"{Z}[{l}]", f"{Z}[{l}]"))
        if self.derivative_text is None:
            return f"g'({Z_text})", f"g ' ( {Z_math} )"
        return self.derivative_text[0].format(A=A, Z=Z_text), self.derivative_text[1].format(A=A, Z=Z_math)

    @property
    def base(self) -> str:
        """The name without parameters ("leaky_relu" for "leaky_relu:0.2")."""
        return self.name.partition(":")[0]

    @property
    def in_place(self) -> bool:
        """Whether the engine may compute this activation over its Z buffer (it has the in-place pair)."""
        return self.forward_ is not None and self.backward_ is not None

    def backward(self, dA: Array, Z: Array) -> Array:
        """dZ = dA * g'(Z) (element-wise), or the Jacobian product for softmax; a new array."""
        if self.dg is not None:
            return dA * self.dg(Z)
        assert self.vjp is not None
        return self.vjp(dA, Z)


# -- ONNX forms (each builder takes the onnx module: deepstep imports onnx only to export) ---------------------


@dataclass(frozen=True)
class onnx_operator:  # noqa: N801  (used as a function: onnx_operator("Tanh"))
    """The ONNX form of an activation that is one ONNX operator (a class, so that networks pickle)."""

    op: str
    attrs: dict[str, Any] = field(default_factory=dict)

    def __init__(self, op: str, **attrs: Any) -> None:
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "attrs", attrs)

    def __call__(self, onnx: Any, params: dict[str, Any], inp: str, out: str, dtype: np.dtype) -> tuple[list, list]:
        return [onnx.helper.make_node(self.op, [inp], [out], name=out, **self.attrs)], []


def _leaky_relu_onnx(onnx: Any, params: dict[str, Any], inp: str, out: str, dtype: np.dtype) -> tuple[list, list]:
    """Where(Z < 0, slope * Z, Z): ONNX's LeakyRelu holds its slope as a float32 attribute, this holds it in
    the model's dtype, so a float64 model computes what deepstep computes."""
    h = onnx.helper
    slope = onnx.numpy_helper.from_array(np.array(params["slope"], dtype=dtype), f"{out}_slope")
    zero = onnx.numpy_helper.from_array(np.array(0, dtype=dtype), f"{out}_zero")
    nodes = [h.make_node("Less", [inp, zero.name], [f"{out}_negative"], name=f"{out}_negative"),
             h.make_node("Mul", [inp, slope.name], [f"{out}_sloped"], name=f"{out}_sloped"),
             h.make_node("Where", [f"{out}_negative", f"{out}_sloped", inp], [out], name=out)]
    return nodes, [slope, zero]


# -- sigmoid ---------------------------------------------------------------------------


def sigmoid(Z: Array) -> Array:
    """sigma(Z) = 1 / (1 + exp(-Z)), computed without overflow for any finite Z."""
    E = np.exp(-np.abs(Z))  # in (0, 1]: never overflows
    return np.where(Z >= 0, 1.0, E) / (1.0 + E)


def sigmoid_prime(Z: Array) -> Array:
    """sigma'(Z) = sigma(Z) (1 - sigma(Z))."""
    S = sigmoid(Z)
    return S * (1.0 - S)


def _sigmoid_(Z: Array) -> Array:
    A = sigmoid(Z)
    Z[...] = A
    return Z


def _sigmoid_backward_(dA: Array, A: Array) -> Array:
    np.multiply(A, 1.0 - A, out=A)  # sigma'(Z) = A (1 - A), as sigmoid_prime forms it; A's last use
    return np.multiply(dA, A, out=dA)


# -- tanh ---------------------------------------------------------------------------------


def tanh(Z: Array) -> Array:
    """tanh(Z)."""
    return np.tanh(Z)


def tanh_prime(Z: Array) -> Array:
    """tanh'(Z) = 1 - tanh(Z)^2."""
    T = np.tanh(Z)
    return 1.0 - T * T


def _tanh_(Z: Array) -> Array:
    return np.tanh(Z, out=Z)


def _tanh_backward_(dA: Array, A: Array) -> Array:
    np.multiply(A, A, out=A)
    np.subtract(1.0, A, out=A)  # 1 - tanh(Z)^2, A's last use
    return np.multiply(dA, A, out=dA)


# -- relu -----------------------------------------------------------------------------------


def relu(Z: Array) -> Array:
    """ReLU(Z) = max(0, Z)."""
    return np.maximum(Z, 0)


def relu_prime(Z: Array) -> Array:
    """ReLU'(Z) = 1 where Z > 0, else 0 (0 at the kink)."""
    return (Z > 0).astype(Z.dtype)


def _relu_(Z: Array) -> Array:
    return np.maximum(Z, 0, out=Z)


def _relu_backward_(dA: Array, A: Array) -> Array:
    return np.multiply(dA, A > 0, out=dA)  # A > 0 exactly where Z > 0


# -- leaky relu (a parameter: the slope) -------------------------------------------------------


def leaky_relu(Z: Array, slope: float = 0.01) -> Array:
    """LeakyReLU(Z) = Z where Z > 0, else slope * Z."""
    return np.where(Z > 0, Z, slope * Z)


def leaky_relu_prime(Z: Array, slope: float = 0.01) -> Array:
    """LeakyReLU'(Z) = 1 where Z > 0, else slope."""
    return np.where(Z > 0, 1.0, slope).astype(Z.dtype if Z.dtype.kind == "f" else np.float64, copy=False)


def _leaky(slope: float) -> Activation:
    """The leaky_relu entry for one slope (in-place for slope >= 0, where A > 0 exactly where Z > 0)."""

    def g(Z: Array) -> Array:
        return leaky_relu(Z, slope)

    def dg(Z: Array) -> Array:
        return leaky_relu_prime(Z, slope)

    def forward_(Z: Array) -> Array:
        return np.multiply(Z, Z.dtype.type(slope), out=Z, where=Z <= 0)

    def backward_(dA: Array, A: Array) -> Array:
        return np.multiply(dA, dA.dtype.type(slope), out=dA, where=A <= 0)

    name = "leaky_relu" if slope == 0.01 else f"leaky_relu:{slope!r}"
    pair = {"forward_": forward_, "backward_": backward_} if slope >= 0 else {}
    return Activation(name, g, dg, params={"slope": slope}, text=("max({slope} {Z}, {Z})", "max({slope} {Z}, {Z})"),
                      init="he", onnx=_leaky_relu_onnx, **pair)


# -- elu ----------------------------------------------------------------------------------------


def elu(Z: Array) -> Array:
    """ELU(Z) = Z where Z > 0, else exp(Z) - 1 (as expm1, exact near 0; never overflows)."""
    return np.where(Z > 0, Z, np.expm1(np.minimum(Z, 0)))


def elu_prime(Z: Array) -> Array:
    """ELU'(Z) = 1 where Z > 0, else exp(Z) = ELU(Z) + 1 (formed so, as the in-place pair reads it off A)."""
    return np.where(Z > 0, 1, np.expm1(np.minimum(Z, 0)) + 1).astype(Z.dtype if Z.dtype.kind == "f" else np.float64,
                                                                      copy=False)


def _elu_onnx(onnx: Any, params: dict[str, Any], inp: str, out: str, dtype: np.dtype) -> tuple[list, list]:
    """Where(Z > 0, Z, Exp(Min(Z, 0)) - 1), in the model's dtype (onnxruntime's Elu runs float32 only)."""
    h = onnx.helper
    zero = onnx.numpy_helper.from_array(np.array(0, dtype=dtype), f"{out}_zero")
    one = onnx.numpy_helper.from_array(np.array(1, dtype=dtype), f"{out}_one")
    nodes = [h.make_node("Min", [inp, zero.name], [f"{out}_neg"], name=f"{out}_neg"),
             h.make_node("Exp", [f"{out}_neg"], [f"{out}_exp"], name=f"{out}_exp"),
             h.make_node("Sub", [f"{out}_exp", one.name], [f"{out}_expm1"], name=f"{out}_expm1"),
             h.make_node("Greater", [inp, zero.name], [f"{out}_positive"], name=f"{out}_positive"),
             h.make_node("Where", [f"{out}_positive", inp, f"{out}_expm1"], [out], name=out)]
    return nodes, [zero, one]


def _elu_(Z: Array) -> Array:
    return np.expm1(Z, out=Z, where=Z <= 0)


def _elu_backward_(dA: Array, A: Array) -> Array:
    return np.multiply(dA, A + 1, out=dA, where=A <= 0)  # A <= 0 exactly where Z <= 0, and g'(Z) = A + 1 there


# -- linear (the identity: the output of regression) -------------------------------------------


def linear(Z: Array) -> Array:
    """g(Z) = Z (a new array): the output of regression, where J is the squared error."""
    return Z.copy()


def linear_prime(Z: Array) -> Array:
    """g'(Z) = 1."""
    return np.ones_like(Z, dtype=Z.dtype if Z.dtype.kind == "f" else np.float64)


def _linear_(Z: Array) -> Array:
    return Z


def _linear_backward_(dA: Array, A: Array) -> Array:
    return dA  # dZ = dA * 1


# -- softmax (output only) ---------------------------------------------------------------------


def softmax(Z: Array) -> Array:
    """softmax(Z)[i, j] = exp(Z[i, j]) / sum_k exp(Z[k, j]), column by column, overflow-free."""
    with np.errstate(over="ignore"):  # Z - max(Z) of -1e308 and 1e308 is -inf: exp gives its exact 0
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def softmax_vjp(dA: Array, Z: Array) -> Array:
    """dZ = A * (dA - sum_k dA[k] A[k]) per column, with A = softmax(Z)."""
    A = softmax(Z)
    return A * (dA - (dA * A).sum(axis=0, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, forward_=_sigmoid_, backward_=_sigmoid_backward_,
                          text=("sigmoid({Z})", "sigma({Z})"), derivative_text=("{A} (1 - {A})", "{A} ( 1 - {A} )"),
                          onnx=onnx_operator("Sigmoid")),
    "tanh": Activation("tanh", tanh, tanh_prime, forward_=_tanh_, backward_=_tanh_backward_,
                       text=("tanh({Z})", "tanh({Z})"), derivative_text=("(1 - {A}^2)", "( 1 - {A} ^2 )"),
                       onnx=onnx_operator("Tanh")),
    "relu": Activation("relu", relu, relu_prime, forward_=_relu_, backward_=_relu_backward_,
                       text=("relu({Z})", "relu({Z})"), derivative_text=("({Z} > 0)", "( {Z} > 0 )"), init="he",
                       onnx=onnx_operator("Relu")),
    "leaky_relu": _leaky(0.01),
    "elu": Activation("elu", elu, elu_prime, forward_=_elu_, backward_=_elu_backward_, text=("elu({Z})", "elu({Z})"),
                      init="he", onnx=_elu_onnx),
    "softmax": Activation("softmax", softmax, vjp=softmax_vjp, text=("softmax({Z})", "softmax({Z})"),
                          onnx=onnx_operator("Softmax", axis=1)),
    "linear": Activation("linear", linear, linear_prime, forward_=_linear_, backward_=_linear_backward_,
                         text=("{Z}", "{Z}"), derivative_text=("1", "1"), onnx=onnx_operator("Identity")),
}
ACTIVATIONS["identity"] = ACTIVATIONS["linear"]  # the same entry under its other name
"""The registry: name -> :class:`Activation`."""

# parametrized entries: base name -> (parameter name, factory)
_FACTORIES: dict[str, tuple[str, Callable[[float], Activation]]] = {"leaky_relu": ("slope", _leaky)}

# slopes beyond this make slope * Z overflow for ordinary inputs: refused rather than warned about
_MAX_PARAMETER = 1e6


def get_activation(name: str | Activation, argument: str = "activation") -> Activation:
    """Look up an activation by name (``"leaky_relu:0.2"`` sets the leaky slope).

    ``argument`` is the name the caller knows it by ("hidden_activation",
    "output_activation"), for the error message.

    Raises
    ------
    DeepstepError
        If the name is unknown or the parameter is not a finite number of sensible size.
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise DeepstepError(f"{argument}: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    base, sep, arg = name.partition(":")
    if base in _FACTORIES and sep:
        pname, make = _FACTORIES[base]
        try:
            value = float(arg)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or abs(value) > _MAX_PARAMETER:
            raise DeepstepError(
                f"{argument}: expected '{base}:{pname.upper()}' with a finite {pname} of magnitude at most "
                f"{_MAX_PARAMETER:g}, got {name!r}"
            )
        return make(value)
    raise DeepstepError(
        f"{argument}: expected one of {sorted(ACTIVATIONS)} (or 'leaky_relu:SLOPE'), got {name!r}"
    )


def hidden_activation_names() -> list[str]:
    """The registry's hidden activations, for help texts and forms (the element-wise entries but the identity).

    >>> hidden_activation_names()[:4]
    ['sigmoid', 'tanh', 'relu', 'leaky_relu']
    """
    return [n for n, a in ACTIVATIONS.items() if a.dg is not None and a.name == n and n != "linear"]


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
    """g[L] must pair with a cost (:mod:`deepstep.tasks`): sigmoid with one output unit, softmax with two or more
    (cross-entropy), linear with any number (squared error)."""
    if output.name != "linear" and (output.name, n_out > 1) not in (("sigmoid", False), ("softmax", True)):
        raise DeepstepError(
            f"output_activation: expected 'sigmoid' with one output unit, 'softmax' with two or more, or 'linear' "
            f"(regression), got {output.name!r} with n[L] = {n_out}"
        )
