"""Layer kinds: each kind holds its forward right above its backward, its parameters, its ONNX form and its
equations, and the traversals go over a network's layers kind by kind.

Today there is one kind, :class:`Dense` (``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g[l](Z[l])``, with inverted
dropout on its output where a mask is given); a network is ``layers_for(hidden, output, L)``: L-1 dense layers of
the hidden activation and one of the output activation.  A new kind (batch normalization next) is one more class
here with the same methods; the traversals, :func:`forward_layers` and :func:`backward_layers`, do not change.

The buffered passes of the training loop (:class:`deepstep.core.engine.Engine`) are the fast path of the same
maths, held to these by ``tests/core/test_engine.py``.

Examples
--------
>>> import numpy as np
>>> from deepstep.core.activations import get_activation
>>> from deepstep.core.layers import Dense
>>> layer = Dense(get_activation("relu"))
>>> params = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([[0.5]])}
>>> A, cache = layer.forward(params, 1, np.array([[2.0], [1.0]]))
>>> A
array([[1.5]])
>>> grads = {}
>>> dA_prev = layer.backward(np.array([[1.0]]), cache, 1, grads)
>>> grads["dW1"], grads["db1"], dA_prev.T
(array([[2., 1.]]), array([[1.]]), array([[ 1., -1.]]))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import Activation
from .kernels import (
    add_l2_gradient,
    apply_dropout,
    bias_gradient,
    dropout_mask,
    input_gradient,
    linear,
    scales_dZ,
    weight_gradients,
)

__all__ = ["Dense", "DenseBuffers", "BatchNorm", "BatchNormBuffers", "layers_for", "layers_of", "cache_mask",
           "layer_of_cache", "forward_layers",
           "backward_layers", "EPSILON", "MOMENTUM"]

#: Batch normalization's epsilon in ``sqrt(sigma^2 + epsilon)`` (ONNX's and PyTorch's default too).
EPSILON = 1e-5
#: The running averages of batch normalization: ``running = MOMENTUM running + (1 - MOMENTUM) batch``.
MOMENTUM = 0.9

Array = np.ndarray


@dataclass
class DenseBuffers:
    """One dense layer's buffers for a batch width m, reused from batch to batch by the training loop."""

    Z: Array  # Z[l] (n[l], m); A[l] = g(Z[l]) is written over it where the activation has its in-place pair
    A: Array  # A[l]: the Z buffer itself (in place) or a buffer of its own
    Ad: Array | None  # A[l] after dropout (keep_prob < 1), else None
    dA_prev: Array | None  # dA[l-1] (n[l-1], m), None for layer 1
    S: Array | None  # dZ[l] / m where the 1/m goes on dZ (see kernels.weight_gradients)


@dataclass(frozen=True)
class Dense:
    """A fully-connected layer and its activation: ``Z[l] = W[l] A[l-1] + b[l]``, ``A[l] = g(Z[l])``.

    Parameters "W{l}" (n[l], n[l-1]) and "b{l}" (n[l], 1); no state besides them.
    """

    g: Activation
    kind = "dense"

    @staticmethod
    def parameter_shapes(l: int, n: int, n_prev: int) -> dict[str, tuple[int, int]]:
        """{"W{l}": (n, n_prev), "b{l}": (n, 1)}."""
        return {f"W{l}": (n, n_prev), f"b{l}": (n, 1)}

    # -- forward, and right under it, backward ---------------------------------------------------------------
    def forward(self, params: Any, l: int, A_prev: Array, mask: tuple | None = None,
                Z: Array | None = None) -> tuple[Array, tuple]:
        """A[l] from A[l-1] (or from Z[l] already formed), and the cache ``((A_prev, W, b), Z[, mask])`` its
        backward takes; ``mask`` = (D, keep_prob) drops units of A[l] (inverted dropout)."""
        W, b = params[f"W{l}"], params[f"b{l}"]
        if Z is None:
            Z = linear(W, A_prev, b)
        A = self.g.g(Z)
        if mask is not None:
            A = apply_dropout(A, *mask)
            return A, ((A_prev, W, b), Z, mask)
        return A, ((A_prev, W, b), Z)

    def backward(self, dA: Array | None, cache: tuple, l: int, grads: dict[str, Array], lambd: float = 0.0,
                 dZ: Array | None = None, keep_dZ: bool = False, input_grad: bool = True) -> Array | None:
        """Fill grads "dW{l}", "db{l}" (and "dZ{l}" with ``keep_dZ``) and return dA[l-1] (also grads "dA{l-1}"):
        ``dZ = dA * g'(Z)`` (dA through the layer's dropout mask first; or ``dZ`` given, the output layer's
        ``A[L] - Y``), ``dW = (1/m) dZ A_prev^T`` (+ ``(lambd/m) W``), ``db = (1/m) sum(dZ)``,
        ``dA_prev = W^T dZ``."""
        (A_prev, W, _), Z, *rest = cache
        if dZ is None:
            if rest:
                dA = apply_dropout(dA, *rest[0])
            dZ = self.g.backward(dA, Z)
        if keep_dZ:
            grads[f"dZ{l}"] = dZ
        dW, db = weight_gradients(dZ, A_prev)
        if lambd:
            add_l2_gradient(dW, W, lambd, A_prev.shape[1])
        grads[f"dW{l}"], grads[f"db{l}"] = dW, db
        if not input_grad:  # (layer 1 where nobody reads dA[0]: a product of n[0] x m spared)
            return None
        dA_prev = input_gradient(W, dZ)
        grads[f"dA{l - 1}"] = dA_prev
        return dA_prev

    # -- the same forward and backward over reused buffers: the training loop's fast path ---------------------
    def buffers(self, l: int, n: int, n_prev: int, m: int, dtype: np.dtype, keep_prob: float,
                output: bool) -> DenseBuffers:
        """The buffers :meth:`forward_` and :meth:`backward_` write, for a batch of m examples."""
        Z = np.empty((n, m), dtype)
        A = Z if output or self.g.in_place else np.empty((n, m), dtype)
        Ad = np.empty((n, m), dtype) if keep_prob < 1 else None
        dA_prev = np.empty((n_prev, m), dtype) if l > 1 else None
        S = np.empty((n, m), dtype) if scales_dZ(m, n_prev) else None
        return DenseBuffers(Z, A, Ad, dA_prev, S)

    def forward_(self, W: Array, b: Array, A_prev: Array, buf: DenseBuffers, output: bool,
                 rng: Any = None, keep_prob: float = 1.0, Z_ready: bool = False) -> tuple[Array, Array | None]:
        """:meth:`forward` into ``buf``: (A[l] as the next layer reads it, the dropout mask D drawn or None).

        ``Z_ready``: ``buf.Z`` already holds Z[l] (a first-layer strategy formed it).  Hidden activations
        run in place where the activation has its in-place pair; the output layer's A[L] is its own array.
        """
        Z = buf.Z
        if not Z_ready:
            linear(W, A_prev, b, out=Z)
        if output:
            A = self.g.g(Z)
        elif self.g.in_place:
            A = self.g.forward_(Z)
        else:
            A = buf.A
            A[...] = self.g.g(Z)
        if buf.Ad is None:
            return A, None
        D = dropout_mask(rng, A.shape, keep_prob)
        return apply_dropout(A, D, keep_prob, out=buf.Ad), D

    def backward_(self, dA: Array | None, buf: DenseBuffers, W: Array, A_prev: Array, dW: Array | None,
                  db: Array, mask: Array | None = None, keep_prob: float = 1.0, lambd: float = 0.0,
                  dZ: Array | None = None) -> tuple[Array | None, Array]:
        """:meth:`backward` into the buffers: fill dW, db and return (dA[l-1] or None for layer 1, dZ[l]).

        ``dA`` is written over (dropout, then the in-place derivative); ``dZ`` given is the output layer's
        ``A[L] - Y``.  ``dW`` None: the weights' gradient is a first-layer strategy's, only db is formed.
        """
        if dZ is None:
            if mask is not None:
                apply_dropout(dA, mask, keep_prob, out=dA)
            # in place, the Z buffer holds A[l] = g(Z[l]), which the in-place derivative reads
            dZ = self.g.backward_(dA, buf.Z) if self.g.in_place else self.g.backward(dA, buf.Z)
        if dW is None:
            bias_gradient(dZ, db)
            return None, dZ
        m = A_prev.shape[1]
        weight_gradients(dZ, A_prev, dW, db, buf.S)
        if lambd:
            add_l2_gradient(dW, W, lambd, m)
        if buf.dA_prev is None:
            return None, dZ
        return input_gradient(W, dZ, out=buf.dA_prev), dZ

    # -- its other forms ------------------------------------------------------------------------------------
    def onnx(self, onnx: Any, params: Any, l: int, inp: str, out: str, dtype: np.dtype) -> tuple[list, list]:
        """The layer as ONNX nodes and initializers, examples as rows: ``Gemm(A_prev, W, b, transB=1)`` (the
        transpose of ``W A_prev + b``), then the activation's own form."""
        h, numpy_helper = onnx.helper, onnx.numpy_helper
        W, b = params[f"W{l}"], params[f"b{l}"]
        weights = [numpy_helper.from_array(np.ascontiguousarray(W, dtype=dtype), f"W{l}"),
                   numpy_helper.from_array(b.ravel().astype(dtype), f"b{l}")]
        nodes = [h.make_node("Gemm", [inp, f"W{l}", f"b{l}"], [f"Z{l}"], name=f"Z{l}", transB=1)]
        return _with_activation(self.g, onnx, nodes, weights, f"Z{l}", out, dtype)

    def equations(self, l: int) -> dict[str, str]:
        """The layer's steps in the course's notation (plain text)."""
        return {"Z": f"Z[{l}] = W[{l}] A[{l - 1}] + b[{l}]", "A": f"A[{l}] = {self.g.equation(f'Z[{l}]')[0]}",
                "dZ": f"dZ[{l}] = dA[{l}] * {self.g.derivative_equation(l)[0]}",
                "dW": f"dW[{l}] = (1/m) dZ[{l}] A[{l - 1}]^T",
                "db": f"db[{l}] = (1/m) sum(dZ[{l}], axis=1, keepdims=True)",
                "dA": f"dA[{l - 1}] = W[{l}]^T dZ[{l}]"}


@dataclass
class BatchNormBuffers:
    """A batch-normalized layer's part of the buffered passes: the cache of its last forward (BN allocates)."""

    cache: tuple | None = None


@dataclass(frozen=True)
class BatchNorm:
    """A fully-connected layer with batch normalization, then its activation (Course 2, week 3)::

        Z[l] = W[l] A[l-1]                      (no b[l]: beta[l] takes its place)
        mu = (1/m) sum(Z, axis=1),  sigma^2 = (1/m) sum((Z - mu)^2, axis=1)
        Z_norm = (Z - mu) / sqrt(sigma^2 + epsilon),  Z~[l] = gamma[l] Z_norm + beta[l],  A[l] = g(Z~[l])

    Parameters "W{l}" (n[l], n[l-1]), "gamma{l}" and "beta{l}" (n[l], 1).  Training normalizes with the
    mini-batch's mu and sigma^2; prediction with their exponentially weighted running averages, the layer's
    state "running_mean{l}" and "running_var{l}" (n[l], 1), which only :meth:`update_running` writes.
    """

    g: Activation
    epsilon: float = EPSILON
    momentum: float = MOMENTUM
    kind = "batch_norm"

    @staticmethod
    def parameter_shapes(l: int, n: int, n_prev: int) -> dict[str, tuple[int, int]]:
        """{"W{l}": (n, n_prev), "gamma{l}": (n, 1), "beta{l}": (n, 1)}."""
        return {f"W{l}": (n, n_prev), f"gamma{l}": (n, 1), f"beta{l}": (n, 1)}

    @staticmethod
    def state_shapes(l: int, n: int) -> dict[str, tuple[int, int]]:
        """The running averages: {"running_mean{l}": (n, 1), "running_var{l}": (n, 1)}."""
        return {f"running_mean{l}": (n, 1), f"running_var{l}": (n, 1)}

    # -- forward, and right under it, backward ---------------------------------------------------------------
    def forward(self, params: Any, l: int, A_prev: Array, mask: tuple | None = None, Z: Array | None = None,
                state: Any = None, training: bool = True) -> tuple[Array, tuple]:
        """A[l] and the cache ``((A_prev, W, gamma), Z~, Z_norm, 1/sqrt(sigma^2 + eps), mu, sigma^2[, mask])``:
        normalized with the batch's mu and sigma^2 when ``training``, else with ``state``'s running averages."""
        W, gamma, beta = params[f"W{l}"], params[f"gamma{l}"], params[f"beta{l}"]
        if Z is None:
            Z = W @ A_prev
        if training:
            mu = np.mean(Z, axis=1, keepdims=True)
            var = np.mean(np.square(Z - mu), axis=1, keepdims=True)
        else:
            mu, var = state[f"running_mean{l}"], state[f"running_var{l}"]
        inv = 1 / np.sqrt(var + Z.dtype.type(self.epsilon))  # (a Python float eps would make float32 float64)
        Z_norm = (Z - mu) * inv
        Zt = gamma * Z_norm + beta
        A = self.g.g(Zt)
        cache = ((A_prev, W, gamma), Zt, Z_norm, inv, mu, var)
        if mask is not None:
            return apply_dropout(A, *mask), (*cache, mask)
        return A, cache

    def backward(self, dA: Array | None, cache: tuple, l: int, grads: dict[str, Array], lambd: float = 0.0,
                 dZ: Array | None = None, keep_dZ: bool = False, input_grad: bool = True) -> Array | None:
        """Fill "dW{l}", "dgamma{l}", "dbeta{l}" (and "dZ{l}" with ``keep_dZ``) and return dA[l-1]:
        dZ~ = dA * g'(Z~);  dgamma = (1/m) sum(dZ~ Z_norm), dbeta = (1/m) sum(dZ~);  with G = gamma dZ~,
        dZ = (G - mean(G) - Z_norm mean(G Z_norm)) / sqrt(sigma^2 + eps);  dW = (1/m) dZ A_prev^T
        (+ (lambd/m) W);  dA_prev = W^T dZ  (sums and means over the batch, axis 1)."""
        (A_prev, W, gamma), Zt, Z_norm, inv, _, _, *rest = cache
        if dZ is None:
            if rest:
                dA = apply_dropout(dA, *rest[0])
            dZt = self.g.backward(dA, Zt)
        else:
            dZt = dZ
        m = A_prev.shape[1]
        grads[f"dgamma{l}"] = np.sum(dZt * Z_norm, axis=1, keepdims=True) / m
        grads[f"dbeta{l}"] = np.sum(dZt, axis=1, keepdims=True) / m
        G = dZt * gamma
        dZ_lin = (G - np.mean(G, axis=1, keepdims=True) - Z_norm * np.mean(G * Z_norm, axis=1, keepdims=True)) * inv
        if keep_dZ:
            grads[f"dZ{l}"] = dZ_lin
        dW, _ = weight_gradients(dZ_lin, A_prev)
        if lambd:
            add_l2_gradient(dW, W, lambd, m)
        grads[f"dW{l}"] = dW
        if not input_grad:
            return None
        dA_prev = input_gradient(W, dZ_lin)
        grads[f"dA{l - 1}"] = dA_prev
        return dA_prev

    def update_running(self, state: Any, l: int, mu: Array, var: Array) -> None:
        """running = momentum running + (1 - momentum) batch, in place: the layer's own state."""
        for key, batch in ((f"running_mean{l}", mu), (f"running_var{l}", var)):
            R = state[key]
            R *= R.dtype.type(self.momentum)
            R += R.dtype.type(1 - self.momentum) * batch

    # -- the buffered passes of the training loop: the same maths (it allocates), its cache kept ---------------
    def buffers(self, l: int, n: int, n_prev: int, m: int, dtype: np.dtype, keep_prob: float,
                output: bool) -> BatchNormBuffers:
        return BatchNormBuffers()

    def forward_(self, params: Any, l: int, A_prev: Array, buf: BatchNormBuffers, output: bool, rng: Any = None,
                 keep_prob: float = 1.0, state: Any = None) -> tuple[Array, Array | None]:
        """:meth:`forward` in training mode, its cache in ``buf``; the running averages move (``state`` given)."""
        D = dropout_mask(rng, (params[f"W{l}"].shape[0], A_prev.shape[1]), keep_prob) \
            if keep_prob < 1 and not output else None
        A, buf.cache = self.forward(params, l, A_prev, None if D is None else (D, keep_prob))
        if state is not None:
            self.update_running(state, l, buf.cache[4], buf.cache[5])
        return A, D

    def backward_(self, dA: Array | None, buf: BatchNormBuffers, params: Any, l: int, A_prev: Array,
                  grads: Any, lambd: float = 0.0, dZ: Array | None = None) -> Array | None:
        """:meth:`backward` into the engine's gradient arrays ``grads`` ("dW{l}", "dgamma{l}", "dbeta{l}");
        returns dA[l-1] (None for layer 1)."""
        mine: dict[str, Array] = {}
        dA_prev = self.backward(dA, buf.cache, l, mine, lambd, dZ)
        for key in (f"dW{l}", f"dgamma{l}", f"dbeta{l}"):
            np.copyto(grads[key], mine[key])
        return dA_prev if l > 1 else None

    # -- its other forms ------------------------------------------------------------------------------------
    def onnx(self, onnx: Any, params: Any, l: int, inp: str, out: str, dtype: np.dtype, state: Any = None
             ) -> tuple[list, list]:
        """``Gemm(A_prev, W, transB=1)``, ``BatchNormalization`` with the running averages (inference), then the
        activation's own form."""
        h, numpy_helper = onnx.helper, onnx.numpy_helper
        n = params[f"W{l}"].shape[0]
        vectors = {f"gamma{l}": params[f"gamma{l}"], f"beta{l}": params[f"beta{l}"],
                   f"running_mean{l}": state[f"running_mean{l}"], f"running_var{l}": state[f"running_var{l}"]}
        weights = [numpy_helper.from_array(np.ascontiguousarray(params[f"W{l}"], dtype=dtype), f"W{l}")]
        weights += [numpy_helper.from_array(np.asarray(a, dtype=dtype).reshape(n), name) for name, a in vectors.items()]
        nodes = [h.make_node("Gemm", [inp, f"W{l}"], [f"Z{l}"], name=f"Z{l}", transB=1),
                 h.make_node("BatchNormalization", [f"Z{l}", *vectors], [f"Zt{l}"], name=f"Zt{l}",
                             epsilon=float(self.epsilon))]
        return _with_activation(self.g, onnx, nodes, weights, f"Zt{l}", out, dtype)

    def formulas(self, l: int) -> dict[str, str]:
        """The steps in ``explain``'s small formula language (which typesets them as LaTeX and MathML)."""
        return {"Z": f"Z[{l}] = W[{l}] A[{l - 1}]", "mu": f"mu[{l}] = (1/m) sum_j Z[{l}]",
                "sigma2": f"sigma2[{l}] = (1/m) sum_j ( Z[{l}] - mu[{l}] ) ^2",
                "Z_norm": f"Zn[{l}] = ( Z[{l}] - mu[{l}] ) / sqrt ( sigma2[{l}] + epsilon )",
                "Zt": f"Zt[{l}] = gamma[{l}] * Zn[{l}] + beta[{l}]",
                "A": f"A[{l}] = {self.g.equation(f'Zt[{l}]')[1]}",
                "dZt": f"dZt[{l}] = dA[{l}] * {self.g.derivative_equation(l, 'Zt')[1]}",
                "dgamma": f"dgamma[{l}] = (1/m) sum_j dZt[{l}] * Zn[{l}]",
                "dbeta": f"dbeta[{l}] = (1/m) sum_j dZt[{l}]",
                "dZ": f"dZ[{l}] = ( G - mean ( G ) - Zn[{l}] * mean ( G * Zn[{l}] ) ) / sqrt ( sigma2[{l}] + epsilon ) "
                      f", G = gamma[{l}] * dZt[{l}]"}

    def equations(self, l: int) -> dict[str, str]:
        """The layer's steps in the course's notation (plain text)."""
        return {"Z": f"Z[{l}] = W[{l}] A[{l - 1}]   (no b[{l}]: beta[{l}] takes its place)",
                "mu": f"mu = (1/m) sum(Z[{l}], axis=1)",
                "sigma2": f"sigma^2 = (1/m) sum((Z[{l}] - mu)^2, axis=1)",
                "Z_norm": f"Z_norm = (Z[{l}] - mu) / sqrt(sigma^2 + epsilon)",
                "Zt": f"Z~[{l}] = gamma[{l}] Z_norm + beta[{l}]",
                "A": f"A[{l}] = {self.g.equation(f'Z~[{l}]')[0]}",
                "dZt": f"dZ~[{l}] = dA[{l}] * {self.g.derivative_equation(l, 'Zt')[0]}",
                "dgamma": f"dgamma[{l}] = (1/m) sum(dZ~[{l}] * Z_norm, axis=1)",
                "dbeta": f"dbeta[{l}] = (1/m) sum(dZ~[{l}], axis=1)",
                "dZ": f"dZ[{l}] = (G - mean(G) - Z_norm mean(G * Z_norm)) / sqrt(sigma^2 + epsilon),  "
                      f"G = gamma[{l}] dZ~[{l}]",
                "dW": f"dW[{l}] = (1/m) dZ[{l}] A[{l - 1}]^T",
                "dA": f"dA[{l - 1}] = W[{l}]^T dZ[{l}]"}


def _with_activation(g: Activation, onnx: Any, nodes: list, weights: list, inp: str, out: str, dtype: np.dtype
                     ) -> tuple[list, list]:
    """A layer's ONNX nodes and initializers followed by its activation's own form (``inp`` -> ``out``)."""
    if g.onnx is None:
        from ..errors import DeepstepError

        raise DeepstepError(f"model: the activation {g.name!r} has no ONNX form yet, so this model cannot be exported")
    more_nodes, more_weights = g.onnx(onnx, g.params, inp, out, dtype)
    return nodes + more_nodes, weights + more_weights


def layers_for(hidden: Activation, output: Activation, L: int, batch_norm: Any = ()) -> list:
    """The layers of a network of L layers: L-1 hidden layers of ``hidden`` (batch-normalized where their index is
    in ``batch_norm``), one dense layer of ``output``."""
    norm = set(batch_norm or ())
    return [BatchNorm(hidden) if l in norm else Dense(hidden) for l in range(1, L)] + [Dense(output)]


def cache_mask(cache: tuple) -> tuple | None:
    """The dropout (D, keep_prob) a layer's cache holds, or None: a dense cache ``((A_prev, W, b), Z[, mask])``,
    a batch-normalized one ``((A_prev, W, gamma), Z~, Z_norm, inv, mu, sigma^2[, mask])``."""
    return cache[-1] if len(cache) in (3, 7) else None


def layer_of_cache(cache: tuple, g: Activation) -> Any:
    """The kind of layer (of activation g) a cache is of: batch-normalized caches hold six or seven entries."""
    return BatchNorm(g) if len(cache) >= 6 else Dense(g)


def layers_of(parameters: Any, hidden: Activation, output: Activation) -> list:
    """The layers a network's parameters describe: batch-normalized where they hold gamma[l] (and no b[l])."""
    L = sum(1 for k in parameters if k[:1] == "W" and k[1:].isdigit())
    norm = {l for l in range(1, L + 1) if f"gamma{l}" in parameters}
    layers = [BatchNorm(hidden) if l in norm else Dense(hidden) for l in range(1, L)]
    return layers + [BatchNorm(output) if L in norm else Dense(output)]


def forward_layers(A: Array | None, parameters: Any, layers: list, start: int = 1, masks: Any = None,
                   Z_start: Array | None = None, caches: list | None = None, state: Any = None,
                   training: bool = True) -> Array:
    """A[L] from A[start-1] through layers start .. L (``layers[l-1]`` is layer l), each layer's own forward;
    ``masks[l-1]`` the dropout (D, keep_prob) of layer l or None; ``Z_start`` Z[start] already formed;
    ``caches``, when a list, receives each layer's cache.  A batch-normalized layer normalizes with the batch's
    statistics when ``training``, else with ``state``'s running averages (prediction)."""
    L = len(layers)
    for l in range(start, L + 1):
        mask = masks[l - 1] if masks is not None else None
        layer = layers[l - 1]
        if layer.kind == "batch_norm":
            A, cache = layer.forward(parameters, l, A, mask, Z_start if l == start else None, state, training)
        else:
            A, cache = layer.forward(parameters, l, A, mask, Z_start if l == start else None)
        if caches is not None:
            caches.append(cache)
    return A


def backward_layers(dZL: Array, caches: list, layers: list, lambd: float = 0.0,
                    keep_dZ: bool = False, dA0: bool = True, stop: int = 1) -> dict[str, Array]:
    """Back-propagate from dZ[L] down to layer ``stop`` (1: every layer), each layer's own backward: grads "dW{l}",
    "db{l}", "dA{l-1}" (and "dZ{l}" with ``keep_dZ``; without ``dA0``, no "dA0": the gradient of the inputs is not
    formed); from ``stop`` = 2, dA[1] is the last ("dA1": a first layer in Gram form takes it from there)."""
    grads: dict[str, Array] = {}
    L = len(caches)
    dA = None
    for l in range(L, stop - 1, -1):
        dA = layers[l - 1].backward(dA, caches[l - 1], l, grads, lambd, dZ=dZL if l == L else None,
                                    keep_dZ=keep_dZ, input_grad=l > 1 or dA0)
    return grads
