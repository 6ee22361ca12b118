"""Per-layer signals of a network in training, and the course's diagnosis read from them.

Course 2 teaches two readings of a network that trains badly: **vanishing and exploding gradients** in deep
networks, and **bias and variance** from the training and dev errors.  This module measures what they need:

* :func:`layer_signals` -- one record: for each layer l the norms ||W[l]||, ||dW[l]|| and of the update
  W[l] - W[l]_before, the ratio update / weight, the mean and spread of Z[l] and A[l], the share of saturated
  units (sigmoid and tanh hidden layers: A within 0.01 of a bound, where g'(Z) < 0.02) and of dead ReLU units
  (zero for every example measured).  A forward pass with caches and a backward pass of the data cost (no L2
  term, no dropout) over the examples measured, as :func:`deepstep.core.layers.forward_layers` and
  ``backward_layers`` run them.
* :func:`signal_every` -- how often :class:`deepstep.training.callbacks.LayerSignals` (the callback ``fit``
  adds; ``signals=False`` leaves it out) records them, so that the records cost under :data:`BUDGET` of the
  training; they are kept in ``History.signals``.
* :func:`diagnosis` -- the reading, in the course's words: ``{"bias_variance", "vanishing_layers",
  "exploding_layers", "dead_relu", "saturated", "advice"}``.

Examples
--------
>>> import numpy as np
>>> import deepstep as ds
>>> X, Y = ds.datasets.make_moons(m=200, noise=0.2, rng=0)
>>> net = ds.DeepNetwork([2, 8, 8, 1], rng=0)
>>> h = net.fit(X, Y, 0.5, 50, signals=10)     # every 10 epochs (default: as many as cost under 5%)
>>> h.signals["epoch"]
[0, 10, 20, 30, 40, 49]
>>> len(h.signals["W_norm"][-1])       # one figure per layer
3
>>> d = ds.training.signals.diagnosis(net.history, classification=True)
>>> d["vanishing_layers"], d["bias_variance"]   # (no validation data: variance cannot be read)
([], None)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np

from ..core.cost import squared_norm
from ..core.layers import backward_layers, forward_layers, layers_of
from ..errors import DeepstepError, _describe, check_number
from ..limits import weight_products

__all__ = ["SIGNALS", "layer_signals", "signal_every", "signal_sample", "diagnosis", "check_signals", "SAMPLE",
           "BUDGET"]

#: The signals of a record, each a list of one figure per layer l = 1 .. L (None where it does not apply).
SIGNALS = ("W_norm", "dW_norm", "update_norm", "update_ratio", "Z_mean", "Z_std", "A_mean", "A_std", "saturated",
           "dead")
SAMPLE = 2048  # examples measured at most (a fixed subset of the training examples when there are more) ...
SAMPLE_VALUES = 2**22  # ... and fewer where the widest layer times them would pass this many values (32 MiB float64)
BUDGET = 0.03  # the share of the training the periodic records may take (with the last epoch's: under 5%)
STEP_MULTIPLY_ADDS = 2**20  # a training step's fixed cost (its NumPy calls), in multiply-adds, for signal_every
RECORD_STEPS = 8  # a record's fixed cost in steps' (measured: a record is 2.2-3.2 full-batch steps of its examples
#                   in layer_signals alone, 4-6 with the copy of the weights before and the history's bookkeeping)
SATURATED_WITHIN = 0.01  # a sigmoid or tanh unit-value within this of a bound of its range is saturated
VANISHING = 1e-3  # ||dW[l]|| below this times the last layer's: vanishing (orders of magnitude below it)
EXPLODING = 1e3  # ... above this times the last layer's, or not finite: exploding; or ...
EXPLODING_UPDATE = 1.0  # ... an update larger than this times ||W[l]|| (every layer exploding together)
DEAD_ADVISED = 0.5  # a ReLU layer with at least this share of dead units is reported in the advice
SATURATED_ADVISED = 0.5
BIAS_VARIANCE_GAP = 0.05  # avoidable bias (train - baseline) or variance (dev - train) above this is "high"


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _norm(A: np.ndarray) -> float:
    """||A||_F (inf where the squares overflow; called under the caller's errstate)."""
    return math.sqrt(squared_norm(A))


def layer_signals(parameters: Mapping[str, np.ndarray], hidden: Any, output: Any, X: np.ndarray, Y: np.ndarray,
                  before: Mapping[str, Any] | None = None, state: Any = None,
                  grads_out: dict | None = None, first: Any = None) -> dict[str, list]:
    """One record of the per-layer signals, measured on the examples X (n[0], m), Y (n[L], m).

    Parameters
    ----------
    parameters : mapping
        "W{l}" (n[l], n[l-1]), "b{l}" (n[l], 1) (or "gamma{l}", "beta{l}"), l = 1 .. L.
    hidden, output : Activation
    X, Y : ndarray
        The examples (as the network computes: standardized where it standardizes).
    before : mapping, optional
        W[l] at the other end of the update(s) measured: ``update_norm[l] = ||W[l] - before["W{l}"]||_F`` (in
        training the weights before the epoch; ``explain`` gives those after its step, the norm is the same).
    state : mapping, optional
        Batch normalization's running averages (not used: the examples' own statistics are, as in training).
    grads_out : dict, optional
        Receives the gradients measured ("dW1", ...; with ``first``, "dZ1" instead of "dW1", which is
        ``dZ1 @ X.T / m``).
    first : GramFirstLayer, optional
        The run's first layer in Gram form (:class:`deepstep.core.gram.GramFirstLayer`), X being its examples:
        layer 1 is then measured from its tensors, without forming W[1] or a product with X (n[1] n[0] m
        multiply-adds each way): ``Z[1] = T X + b[1]``, ``||W[1]||^2`` by
        :meth:`~deepstep.core.gram.GramTensor.sq_norm`, ``||dW[1]||^2 = <dZ[1] G, dZ[1]> / m^2`` with G = X^T X,
        and the update's norm from ``before["W1"]``, a copy of the tensor (:meth:`~deepstep.core.gram.GramTensor.copy`).

    Returns
    -------
    dict
        Each name of :data:`SIGNALS` -> [figure of layer 1, ..., of layer L]: ``W_norm`` ||W[l]||_F, ``dW_norm``
        ||dW[l]||_F with dW[l] = (1/m) dZ[l] A[l-1]^T of the data cost, ``update_norm``, ``update_ratio``
        (= update_norm / W_norm), ``Z_mean``, ``Z_std``, ``A_mean``, ``A_std`` over every unit and example,
        ``saturated`` (sigmoid/tanh hidden layers) and ``dead`` (ReLU hidden layers) as shares of units in
        [0, 1]; None where a figure does not apply or is not finite.
    """
    layers = layers_of(parameters, hidden, output)
    L = len(layers)
    caches: list = []
    with np.errstate(all="ignore"):
        if first is None:
            AL = forward_layers(X, parameters, layers, caches=caches, state=state, training=True)
            grads = backward_layers(AL - Y, caches, layers, dA0=False)
        else:
            AL, grads = _gram_passes(parameters, layers, X, Y, first, caches, state)
        if grads_out is not None:
            grads_out.update({k: v for k, v in grads.items() if k.startswith("dW") or k == "dZ1"})
        out: dict[str, list] = {name: [] for name in SIGNALS}
        for l in range(1, L + 1):
            Z = caches[l - 1][1]
            A = AL if l == L else caches[l][0][0]
            if l == 1 and first is not None:
                w, dw, up = _gram_norms(first, grads["dZ1"], None if before is None else before["W1"])
            else:
                W = parameters[f"W{l}"]
                w, dw = _norm(W), _norm(grads[f"dW{l}"])
                up = None if before is None else _norm(W - before[f"W{l}"])
            out["W_norm"].append(_finite(w))
            out["dW_norm"].append(_finite(dw))
            up = None if up is None else _finite(up)
            out["update_norm"].append(up)
            out["update_ratio"].append(None if up is None or not w else _finite(up / w))
            for name, V in (("Z", Z), ("A", A)):
                out[f"{name}_mean"].append(_finite(float(np.mean(V))))
                out[f"{name}_std"].append(_finite(float(np.std(V))))
            g = layers[l - 1].g.name if l < L else None
            if g == "sigmoid":
                out["saturated"].append(float(np.mean(np.minimum(A, 1 - A) < SATURATED_WITHIN)))
            elif g == "tanh":
                out["saturated"].append(float(np.mean(np.abs(A) > 1 - SATURATED_WITHIN)))
            else:
                out["saturated"].append(None)
            out["dead"].append(float(np.mean(~np.any(A > 0, axis=1))) if g == "relu" else None)
    return out


def _gram_passes(parameters: Mapping[str, np.ndarray], layers: list, X: np.ndarray, Y: np.ndarray, first: Any,
                 caches: list, state: Any) -> tuple[np.ndarray, dict]:
    """The record's forward and backward passes with layer 1 in Gram form: ``Z[1] = T X + b[1]`` (W[1] is never
    read: the network's mapping would form it), layers 2 .. L as usual, then ``dZ[1] = dA[1] * g'(Z[1])``
    (grads "dZ1" in place of "dW1")."""
    b1 = parameters["b1"]
    Z1 = first.Z1(b1, out=np.empty((b1.shape[0], X.shape[1]), b1.dtype))
    own = {k: (None if k == "W1" else parameters[k]) for k in parameters}  # (layer 1's cache holds no W[1])
    AL = forward_layers(X, own, layers, Z_start=Z1, caches=caches, state=state, training=True)
    if len(layers) == 1:  # (the output layer: dZ[1] = A[1] - Y)
        return AL, {"dZ1": AL - Y}
    grads = backward_layers(AL - Y, caches, layers, stop=2)
    grads["dZ1"] = layers[0].g.backward(grads.pop("dA1"), Z1)
    return AL, grads


def _gram_norms(first: Any, dZ1: np.ndarray, before: Any) -> tuple[float, float, float | None]:
    """||W[1]||, ||dW[1]|| = sqrt(<dZ[1] G, dZ[1]>) / m and ||W[1] - before|| from the Gram form's tensors (each
    square root of a sum that rounding may take a hair below 0 taken of at least 0)."""
    W, basis = first.W, first.basis
    w = math.sqrt(max(W.sq_norm(), 0.0))
    dw = math.sqrt(max(float(np.vdot(dZ1 @ basis.G, dZ1)), 0.0)) / basis.m
    if before is None:
        return w, dw, None
    D = W.copy()
    D -= before
    return w, dw, math.sqrt(max(D.sq_norm(), 0.0))


def signal_sample(layer_dims: Sequence[int], m: int, sample: int = SAMPLE) -> int:
    """The examples a record measures: at most ``sample``, and at most :data:`SAMPLE_VALUES` / the widest layer.

    >>> signal_sample([784, 256, 128, 10], 60000), signal_sample([2, 8, 1], 100), signal_sample([10, 4096, 1], 10**5)
    (2048, 100, 1024)
    """
    return max(1, min(int(m), int(sample), SAMPLE_VALUES // max(int(n) for n in layer_dims[1:])))


def signal_every(layer_dims: Sequence[int], m: int, batch_size: int | None, sample: int, gram: bool = False) -> int:
    """Epochs between records, so that a record (a forward and a backward pass over ``sample`` examples) costs at
    most :data:`BUDGET` of the epochs between: counted in multiply-adds, with :data:`STEP_MULTIPLY_ADDS` for each
    step's fixed cost.  Under the Gram form (``gram``) an epoch's first layer costs n[1] m^2, and a record is
    counted as one that forms W[1] twice (2 n[1] n[0] m): a record of a sample does; one of every example measures
    layer 1 from the form's tensors instead (:func:`layer_signals`), far cheaper, but keeps the period so counted --
    as rare as the cheapest runs (the course's cat pictures: one record, at the end, about 1% of the run) can
    afford; ``signals=N`` records more.

    Examples
    --------
    >>> signal_every([12288, 20, 7, 5, 1], 209, None, 209)          # full batch: a record is about two epochs
    69
    >>> signal_every([784, 256, 128, 10], 60000, 128, 2048)          # 469 mini-batches an epoch
    3
    >>> signal_every([12288, 20, 7, 5, 1], 209, None, 209, gram=True)  # a Gram-form epoch costs far less
    6872
    """
    products = weight_products(layer_dims)
    per_example = 3 * sum(products)
    steps = -(-m // min(batch_size or m, m))
    epoch = steps * STEP_MULTIPLY_ADDS + m * per_example
    record = RECORD_STEPS * STEP_MULTIPLY_ADDS + 2 * sample * per_example
    if gram:
        epoch += layer_dims[1] * m * m - 3 * m * products[0]
        record += 2 * products[0] * m
    return max(1, math.ceil(record / (BUDGET * epoch)))


# -- the reading ---------------------------------------------------------------------------------


def _error(history: Any, prefix: str, classification: bool) -> float | None:
    series = getattr(history, f"{prefix}{'accuracy' if classification else 'r2'}", [])
    return 1.0 - series[-1] if series else None


def diagnosis(history: Any, classification: bool, baseline_error: float | None = None,
              train_error: float | None = None, dev_error: float | None = None) -> dict[str, Any]:
    """The course's reading of a training run, from its history: its last signals record and its last training
    and validation scores.

    Parameters
    ----------
    history : History
    classification : bool
        Errors are 1 - accuracy (classification) or 1 - R^2 (regression: the share of the variance not explained).
    baseline_error : float, optional
        The error to compare the training error with (human-level, or the best known); 0 when not given.
    train_error, dev_error : float, optional
        The training and dev (validation) errors, where measured otherwise (after training, without dropout);
        else read from the history's last training and validation scores.

    Returns
    -------
    dict
        ``bias_variance``: "high bias" (the avoidable bias, training error - baseline, above
        :data:`BIAS_VARIANCE_GAP` and at least half the variance), "high variance" (the variance, validation error -
        training error, above it and at least half the avoidable bias), "high bias and high variance", "neither",
        or None without validation scores; ``vanishing_layers`` / ``exploding_layers``: the layers
        whose ||dW[l]|| is below :data:`VANISHING` / above :data:`EXPLODING` times the last layer's (exploding also:
        not finite, or an update of more than :data:`EXPLODING_UPDATE` times ||W[l]||, as when every layer explodes
        together);
        ``dead_relu`` / ``saturated``: {"l": share} of the layers with any (the last record's; saturation is
        advised on where a record of the first epoch had it: a trained layer may well saturate); ``advice``: the
        course's remedies, one line each; also ``train_error``, ``val_error``, ``baseline_error``.
    """
    if baseline_error is not None:
        baseline_error = check_number(baseline_error, "baseline_error", low=0, high=1,
                                      expected="an error rate from 0 to 1 (0.02 for 2%)")
    base = baseline_error or 0.0
    train = train_error if train_error is not None else _error(history, "", classification)
    val = dev_error if dev_error is not None else _error(history, "val_", classification)
    advice: list[str] = []
    reading = None
    if train is not None and val is not None:
        avoidable, gap = train - base, val - train  # each "high" above the gap and not dwarfed by the other (the
        bias = avoidable > BIAS_VARIANCE_GAP and avoidable >= gap / 2  # course: work on the larger of the two)
        variance = gap > BIAS_VARIANCE_GAP and gap >= avoidable / 2
        reading = ("high bias and high variance" if bias and variance else "high bias" if bias
                   else "high variance" if variance else "neither")
        if classification:
            shown = f"training error {train:.1%}, validation error {val:.1%}, baseline {base:.1%}"
        else:  # (the share of the variance not explained: 1 - R^2, which a poor fit takes above 1)
            shown = f"training 1 - R^2 {train:.3g}, validation 1 - R^2 {val:.3g}, baseline {base:.3g}"
        if bias:
            advice.append(f"high bias ({shown}): a bigger network (more units or layers), train longer, or another "
                          "optimizer (adam)")
        if variance:
            advice.append(f"high variance ({shown}): more data, regularization (l2, dropout's keep_prob), or a "
                          "smaller network")
    signals = getattr(history, "signals", {}) or {}
    vanishing: list[int] = []
    exploding: list[int] = []
    dead: dict[str, float] = {}
    saturated: dict[str, float] = {}
    at_start: dict[str, float] = {}
    started_at = 0
    if signals.get("epoch"):
        grads, ratios = signals["dW_norm"][-1], signals["update_ratio"][-1]
        last = grads[-1]
        for l, (g, r) in enumerate(zip(grads, ratios, strict=True), 1):
            overshoots = r is not None and r > EXPLODING_UPDATE  # (a step from W = 0 is exactly 1: not counted)
            if g is None or (l < len(grads) and last and g > EXPLODING * last) or overshoots:
                exploding.append(l)
            elif l < len(grads) and last and g < VANISHING * last:
                vanishing.append(l)
        dead = {str(l): s for l, s in enumerate(signals["dead"][-1], 1) if s}
        saturated = {str(l): s for l, s in enumerate(signals["saturated"][-1], 1) if s}
        if len(signals["epoch"]) > 1 and signals["epoch"][0] == 0:  # saturated from the start (what slows learning)
            at_start = {str(l): s for l, s in enumerate(signals["saturated"][0], 1) if s}
            started_at = signals["epoch"][0]
    if vanishing:
        advice.append(f"vanishing gradients in layers {_layers(vanishing)} (||dW|| orders of magnitude below the "
                      "last layer's): He initialization for ReLU (Xavier for tanh), ReLU instead of sigmoid or tanh, "
                      "batch normalization, or fewer layers")
    if exploding:
        advice.append(f"exploding gradients in layers {_layers(exploding)}: a smaller learning rate, He or Xavier "
                      "initialization, or batch normalization")
    many_dead = [int(l) for l, s in dead.items() if s >= DEAD_ADVISED]
    if many_dead:
        advice.append(f"dead ReLU units: {_shares(dead, many_dead)}: a smaller learning rate, He initialization, "
                      "or another activation (leaky_relu, elu)")
    # a trained tanh or sigmoid layer may well saturate (its units act as steps); the course's worry is a network
    # that starts saturated, where g'(Z) ~ 0 slows learning: advised from a record of the first epoch (a run of four
    # periods or more has one)
    many_saturated = [int(l) for l, s in at_start.items() if s >= SATURATED_ADVISED]
    if many_saturated:
        advice.append(f"saturated units from the start: {_shares(at_start, many_saturated)} at epoch {started_at}: "
                      "standardize the inputs, Xavier initialization, batch normalization, or ReLU")
    return {"bias_variance": reading, "vanishing_layers": vanishing, "exploding_layers": exploding,
            "dead_relu": dead, "saturated": saturated, "advice": advice, "train_error": train, "val_error": val,
            "baseline_error": baseline_error}


def _layers(ls: list[int]) -> str:
    return ", ".join(map(str, ls))


def _shares(shares: dict[str, float], ls: list[int]) -> str:
    return ", ".join(f"layer {l} {shares[str(l)]:.0%}" for l in ls)


def check_signals(signals: Any) -> bool | int | str:
    """fit's ``signals``: True ("auto"), False (none), or a number of epochs between records."""
    if isinstance(signals, bool) or (isinstance(signals, str) and signals == "auto"):
        return signals
    if isinstance(signals, Integral) and signals >= 1:
        return int(signals)
    raise DeepstepError(f"signals: expected True, False, 'auto' or a number of epochs >= 1, got {_describe(signals)}")
