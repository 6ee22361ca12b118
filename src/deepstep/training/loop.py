"""The training loop: epochs, mini-batches, validation, callbacks and history.

One epoch is one full-batch iteration, or one pass over shuffled mini-batches.
Each step is the engine's forward pass, the cost, the engine's backward pass
(raw gradients) and the optimizer's update; the first layer may be handed to the
Gram strategy (:mod:`deepstep.gram`), and a gradient-descent run in Gram form to the
folded step (:mod:`deepstep.core.folded`).  Bookkeeping lives here, the maths in
:mod:`deepstep.engine`, :mod:`deepstep.core.folded` and :mod:`deepstep.optimizers`.

Nothing is half-done: the loop keeps a copy of the state (parameters, optimizer
state, random generator, history length) every few epochs and replays the epochs
since (:meth:`Run._land`), so that an interruption inside an epoch (Ctrl-C) leaves
the network as it was at the epoch's start, and the divergence guard can put back
the last sound state.  Where the callbacks only read the logs, a full-batch run
trains the epochs up to its next checkpoint before handing them on to the callbacks
(:meth:`Run._deferred`): their costs and scores then take one pass, the same floats.
A mini-batch epoch so measures its batches' costs at its end (:meth:`Run._epoch`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .. import limits
from ..core import compiled, folded, gram
from ..core.engine import Engine, forward_layers, forward_no_cache, l2_cost
from ..core.optimizers import Optimizer, get_optimizer
from ..core.tasks import column_classes
from ..errors import (
    DeepstepError,
    _all_finite,
    _describe,
    check_keep_prob,
    check_l2,
    check_learning_rate,
    check_positive_int,
)
from .callbacks import (
    Callback,
    DivergenceGuard,
    EarlyStopping,
    LayerSignals,
    ModelCheckpoint,
    ProgressBar,
    as_callback,
)
from .signals import check_signals, signal_sample

__all__ = ["History", "Run", "TrainingDiverged", "METHODS"]

METHODS = ("auto", "plain", "gram")
#: A full-batch run's checkpoints are at least this many epochs apart (where the epochs are small: see
#: checkpoint_every) ...
CHECK_EVERY = 16
#: ... so long as replaying CHECK_EVERY - 1 epochs (a divergence, Ctrl-C) costs at most this many multiply-adds
REPLAY_MULTIPLY_ADDS = 2**33
#: ... and up to this many, where the replay stays within that bound and that many epochs' A[L] within
#: SPAN_BYTES: a span of deferred epochs ends at a checkpoint, and each span's measuring and bookkeeping cost the
#: same (the cat model's run: 0.248 s with 16, 0.238 s with 58, in one process)
CHECK_EVERY_MAX = 64
#: The bytes of A[L] a span of deferred epochs aims under: measuring a larger stack makes temporaries above
#: malloc's mmap threshold (128 KiB), which cost several times more per value (the planar model's 64 epochs of
#: 400 float64 outputs, 200 KB: 66 ms of measuring against 36 ms in spans of 16)
SPAN_BYTES = 96 * 2**10
#: A full-batch run trains up to a checkpoint's epochs before handing them on to the callbacks (their costs in one
#: pass), and a mini-batch epoch measures its batches' costs at its end (in one pass), where their A[L] take at most
#: this many bytes together
DEFER_BYTES = 2**24
#: ... and measuring the stack makes at most this many more arrays its size at once (the clipped A[L], log A, -A and
#: log(1 - A) of one output; for mini-batches Y gathered and made contiguous, then Y beside the cross-entropy's)
MEASURE_COPIES = 4
VALIDATION_SPLIT_SEED = 0  # validation_fraction: the same shuffle on every call, so a resumed fit holds out the same


_FIGURES: dict[str, Callable[..., Any] | None] = {"history": None, "lr_find": None}


def register_figure(kind: str, draw: Callable[[Any], Any]) -> None:
    """How a History draws itself in Jupyter (``kind="history"``): registered by :mod:`deepstep.report.plots`,
    which sits above training (training never imports report)."""
    if kind not in _FIGURES:
        raise DeepstepError(f"kind: expected one of {sorted(_FIGURES)}, got {kind!r}")
    _FIGURES[kind] = draw


class Trainee(Protocol):
    """What the loop reads and writes of the network it trains (:class:`deepstep.DeepNetwork` is one): its
    parameters and their shapes, activations, task, dtype, history, optimizer, standardization, callbacks' state,
    random generator, input and target checks, and ``save`` (for checkpoints)."""

    parameters: Any
    layer_dims: list[int]
    hidden: Any
    output: Any
    task: Any
    dtype: np.dtype
    history: History
    optimizer: Any
    standardize: bool
    standardizer: Any
    target_standardizer: Any
    callback_state: dict[str, Any]
    _rng: Any
    batch_norm: list[int]  # the batch-normalized layers
    layer_state: dict[str, np.ndarray]  # their running averages, which the layers move during training

    @property
    def L(self) -> int: ...

    def _inputs(self, X: Any, name: str = "X", raw: bool = False) -> np.ndarray: ...

    def _targets(self, Y: Any, m: int, name: str = "Y", raw: bool = False) -> np.ndarray: ...

    def save(self, path: Any) -> None: ...


class TrainingDiverged(DeepstepError):
    """Training stopped because the cost stopped being finite (or exploded); the last good state was put back.

    Attributes
    ----------
    history : History
        What this call did up to the state put back.
    """

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


@dataclass(repr=False)
class History(Callback):
    """What training did, one entry per epoch (full-batch iteration, or pass over the mini-batches).

    ``cost[i]`` is the cost of epoch i's forward pass, before its update (with
    mini-batches: the mean over the epoch's examples of the batch costs), L2 term
    included; ``accuracy[i]`` the training accuracy of the same pass (``r2[i]``, the
    coefficient of determination, for regression).
    ``val_cost[i]``, ``val_accuracy[i]`` (``val_r2[i]``): on the validation data
    with the parameters after epoch i (when validation data is given).
    ``learning_rates[i]``: the learning rate epoch i used.
    ``signals``: the per-layer signals (:mod:`deepstep.training.signals`), recorded every few epochs:
    ``signals["epoch"][k]`` is the epoch of record k (an index into ``cost``) and ``signals[name][k]`` its
    figures, one per layer (``name`` in :data:`deepstep.training.signals.SIGNALS`).
    """

    cost: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_cost: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    r2: list[float] = field(default_factory=list)  # regression's score in place of accuracy
    val_r2: list[float] = field(default_factory=list)
    learning_rates: list[float] = field(default_factory=list)
    learning_rate: float | None = None  # alpha0 of the (last) run
    batch_size: int | None = None
    method: str | None = None  # "plain" or "gram": how the first layer was trained
    optimizer: str | None = None
    signals: dict[str, list] = field(default_factory=dict)

    _SERIES = ("cost", "accuracy", "val_cost", "val_accuracy", "r2", "val_r2", "learning_rates")

    def __len__(self) -> int:
        return len(self.cost)

    def _repr_png_(self) -> bytes | None:
        """Jupyter: the cost curve (and the validation cost), as :func:`deepstep.plots.plot_cost` draws it; None
        (the text repr) without matplotlib, before any epoch, or where no figure maker is registered."""
        if not self.cost or _FIGURES.get("history") is None:
            return None
        try:
            figure = _FIGURES["history"](self)
        except DeepstepError:
            return None
        return None if figure is None else figure._repr_png_()

    def __repr__(self) -> str:
        last = f", cost[-1]={self.cost[-1]:.6g}" if self.cost else ""
        val = f", val_cost[-1]={self.val_cost[-1]:.6g}" if self.val_cost else ""
        return f"History({len(self.cost)} epochs{last}{val}, method={self.method!r}, optimizer={self.optimizer!r})"

    def on_epoch_end(self, run: Any, epoch: int, logs: Mapping[str, float]) -> None:
        """A History is a callback: the loop records an epoch by handing it the epoch's logs, as any callback."""
        self.append(logs)

    def reads_state_after(self, run: Any, k: int) -> bool:
        return False  # the logs only

    def append(self, logs: Mapping[str, float]) -> None:
        self.cost.append(logs["cost"])
        self.learning_rates.append(logs["learning_rate"])
        for name in ("accuracy", "r2", "val_cost", "val_accuracy", "val_r2"):
            if name in logs:
                getattr(self, name).append(logs[name])

    def truncate(self, n: int) -> None:
        """Keep the first n epochs (and the signals recorded at them)."""
        for name in self._SERIES:
            del getattr(self, name)[n:]
        epochs = self.signals.get("epoch", [])
        keep = sum(1 for e in epochs if e < n)
        for series in self.signals.values():
            del series[keep:]

    def add_signals(self, epoch: int, record: Mapping[str, list]) -> None:
        """Record the per-layer signals measured after ``epoch`` (an index into ``cost``)."""
        if not self.signals:
            self.signals = {"epoch": [], **{name: [] for name in record}}
        self.signals["epoch"].append(int(epoch))
        for name, figures in record.items():
            self.signals[name].append(list(figures))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: list(getattr(self, name)) for name in self._SERIES}
        out.update(learning_rate=self.learning_rate, batch_size=self.batch_size, method=self.method,
                   optimizer=self.optimizer)
        if self.signals:
            out["signals"] = {name: [list(r) if isinstance(r, list) else r for r in series]
                              for name, series in self.signals.items()}
        return out

    state_dict = as_dict

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state_dict` gave (series appended to this history's, which is empty in a new
        network)."""
        for name in self._SERIES:
            getattr(self, name).extend(float(v) for v in state.get(name, []))
        for name in ("learning_rate", "batch_size", "method", "optimizer"):
            setattr(self, name, state.get(name))
        offset = len(self.cost) - len(state.get("cost", []))
        signals = state.get("signals") or {}
        for k, epoch in enumerate(signals.get("epoch", [])):
            self.add_signals(offset + int(epoch), {name: series[k] for name, series in signals.items()
                                                   if name != "epoch"})


_READ_ONLY = (History, DivergenceGuard, ProgressBar, EarlyStopping, ModelCheckpoint, LayerSignals)  # only read a run

# -- the run -------------------------------------------------------------------------------------------


@dataclass
class _Snapshot:
    values: list  # copies of the parameters and the optimizer state, in _state_values order
    t: int
    epoch: int
    rng_state: Any
    n_history: int


def _snapshot_finite(snap: _Snapshot) -> bool:
    """Whether every value kept is finite."""
    return _values_finite(snap.values)


def _values_finite(values: list) -> bool:
    """Whether every value is finite: one summing pass each (W[1] in Gram form: its two factors)."""
    for v in values:
        arrays = (v,) if isinstance(v, np.ndarray) else (v.KT, v.a)
        if not all(_all_finite(a) for a in arrays):
            return False
    return True


def _copy(value: Any) -> Any:
    return value.copy()


def _copyto(dst: Any, src: Any) -> None:
    if type(dst) is np.ndarray:
        np.copyto(dst, src)
    else:
        dst.copyto(src)


def _rng_get(rng: Any) -> Any:
    return rng.bit_generator.state if isinstance(rng, np.random.Generator) else rng.get_state()


def _rng_set(rng: Any, state: Any) -> None:
    if isinstance(rng, np.random.Generator):
        rng.bit_generator.state = state
    else:
        rng.set_state(state)


def checkpoint_every(layer_dims: Sequence[int], m: int, minibatch: bool, callbacks: Sequence[Callback],
                     itemsize: int = 8) -> int:
    """How many epochs apart a run's checkpoints are (the state it can go back to: :meth:`Run._land` replays the
    epochs between; a span of deferred epochs ends at one).

    For full-batch runs whose replay of ``CHECK_EVERY - 1`` epochs stays within :data:`REPLAY_MULTIPLY_ADDS` and
    whose callbacks are deepstep's own (they only read the run, so a replay need not call them): as many epochs as
    the replay bound allows and whose A[L] (n[L] x m values of ``itemsize`` bytes each) fit :data:`SPAN_BYTES`,
    from :data:`CHECK_EVERY` to :data:`CHECK_EVERY_MAX`.  Else 1: a mini-batch epoch is long next to its
    checkpoint, and a callback of the caller's might change what a replay would have to repeat.

    Examples
    --------
    >>> checkpoint_every([12288, 20, 7, 5, 1], 209, False, [])   # the cat model: a replay of 55 epochs at most
    56
    >>> checkpoint_every([2, 4, 1], 400, False, [])   # the course's planar model: 30 x 400 float64 outputs
    30
    >>> checkpoint_every([784, 256, 128, 10], 60000, True, [])   # mini-batches
    1
    """
    if minibatch or any(type(cb) not in _READ_ONLY for cb in callbacks):
        return 1
    work = 3 * m * sum(limits.weight_products(layer_dims))
    if work * (CHECK_EVERY - 1) > REPLAY_MULTIPLY_ADDS:
        return 1
    fit = SPAN_BYTES // (layer_dims[-1] * m * itemsize)
    return max(CHECK_EVERY, min(CHECK_EVERY_MAX, fit, 1 + REPLAY_MULTIPLY_ADDS // work))


def deferred_bytes(layer_dims: Sequence[int], m: int, itemsize: int, minibatch: bool, validation: bool,
                   weighted: bool, l2: float, every: int = CHECK_EVERY, batch: int | None = None) -> int:
    """The bytes of the stack a run keeps the A[L] whose costs it measures later in, and of measuring it
    (:data:`MEASURE_COPIES` arrays its size, one more for mini-batches' Y), where the costs are the A[L]'s alone (no
    example weights or L2) and the stack fits :data:`DEFER_BYTES`; else 0 (none).  A full batch
    (:meth:`Run._deferred`): ``every`` epochs of n[L] x m values (without validation, checkpoints more than an epoch
    apart).  Mini-batches (:meth:`Run._epoch`): the epoch's batches of ``batch`` examples, n[L] x batch values each.

    >>> deferred_bytes([12288, 20, 7, 5, 1], 209, 8, False, False, False, 0.0, 56)   # the cat model: 56 x 209, x 5
    468160
    >>> deferred_bytes([784, 256, 128, 10], 60000, 4, True, False, False, 0.0, batch=128)   # 468 batches of 128, x 6
    14376960
    """
    if weighted or l2:
        return 0
    if minibatch:
        n = layer_dims[-1] * (m // batch) * batch * itemsize
    elif validation or every == 1:
        return 0
    else:
        n = every * layer_dims[-1] * m * itemsize
    return n * (1 + MEASURE_COPIES + minibatch) if n <= DEFER_BYTES else 0


def why_not_folded(net: Trainee, optimizer: Optimizer, method: str, l2: float, keep_prob: Sequence[float],
                   weighted: bool, minibatch: bool) -> str | None:
    """None where the folded step (:mod:`deepstep.core.folded`) trains a run of these settings, else why not (the
    run and the memory check before it ask the same)."""
    return folded.applies(method == "gram", optimizer, l2, any(p < 1 for p in keep_prob), weighted, net.batch_norm,
                          net.hidden, net.L, minibatch)


def takes_compiled(optimizer: Optimizer, values: int, steps: int, itemsize: int, why_not_folded: str | None) -> bool:
    """Whether a run's flat update takes the optimizer's compiled loop: not under the folded step (one pass already),
    not for a class whose update is not its loop's, and where the passes saved repay starting numba
    (:func:`deepstep.core.compiled.pays`)."""
    return (why_not_folded is not None and optimizer.loop is not None and optimizer._loop_is_the_kernels()
            and compiled.pays(values, steps, optimizer.passes, itemsize, optimizer.loop))


class Run:
    """One call of :meth:`deepstep.DeepNetwork.fit`: what callbacks see and may act on.

    Attributes
    ----------
    network : Trainee
    history : History
        This run's epochs (the network's ``history`` accumulates every run).
    optimizer : Optimizer
    learning_rate : float
        alpha0.
    first_epoch, epochs_planned : int
        The network's epoch count when the run began, and the epochs asked for.
    method : str
        "plain" or "gram".
    stop_training : bool
        Set to True to end the run after the current epoch.
    has_validation : bool
    """

    def __init__(self, net: Trainee, X: np.ndarray, Y: np.ndarray, *, learning_rate: float, epochs: int,
                 batch_size: int | None, optimizer: Optimizer, l2: float, keep_prob: list[float],
                 validation: tuple[np.ndarray, np.ndarray] | None, callbacks: list[Callback], method: str,
                 weights: np.ndarray | None = None) -> None:
        self.network, self.X, self.Y = net, X, Y
        self.weights = weights  # (1, m) per-example weights in the network's dtype, or None
        self.m = X.shape[1]
        self.learning_rate, self.epochs_planned, self.batch_size = learning_rate, epochs, batch_size
        self.optimizer, self.l2, self.method = optimizer, l2, method
        self.callbacks = callbacks
        self._batch_callbacks = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        self.validation = validation
        self.has_validation = validation is not None
        self.first_epoch = len(net.history.cost)
        self.stop_training = False
        self.diverged: str | None = None
        self.history = History(learning_rate=learning_rate, batch_size=batch_size, method=method,
                               optimizer=optimizer.name)
        self.engine = Engine(net.layer_dims, net.hidden, net.output, net.dtype, keep_prob, l2, net.batch_norm)
        self.engine.state = net.layer_state
        self.dropout = any(p < 1 for p in keep_prob)
        self.minibatch = batch_size is not None and batch_size < self.m
        self.uses_rng = self.dropout or self.minibatch  # else the run never draws: no need to keep its state
        L = net.L
        params = net.parameters
        self.W = [None] + [params[f"W{l}"] for l in range(1, L + 1)]
        self.b = [None] + [params.get(f"b{l}") for l in range(1, L + 1)]  # None: batch-normalized (beta instead)
        optimizer.init_state(params)
        self.first: gram.GramFirstLayer | None = None  # None: the plain path (W[1] a matrix)
        if method == "gram":
            self._start_gram()
        self.work = {key: params[key] for key in params}  # every parameter (W[1] the Gram form's under it)
        self.work["W1"] = self.W[1]
        self.grads = dict(self.engine.grads)
        #: None where the folded step (core/folded.py: biases in the products, alpha/m in dZ[L]) trains this run,
        #: else why not; it lays the flat arrays out as its blocks W~[l] = [W[l] b[l]]
        self.why_not_folded = why_not_folded(net, optimizer, method, l2, keep_prob, weights is not None, self.minibatch)
        self._flatten()
        self.engine.params = self.work
        self._live = self._state_values()  # updated in place during the run: listed once
        self.every = checkpoint_every(net.layer_dims, self.m, self.minibatch, callbacks, net.dtype.itemsize)
        steps = epochs * (-(-self.m // batch_size) if self.minibatch else 1)
        #: the flat arrays' update runs the optimizer's compiled loop (the same bits) where the passes it saves repay
        #: starting numba (the folded step's update is one pass already)
        self.compiled = takes_compiled(optimizer, self.flat.size, steps, self.flat.itemsize, self.why_not_folded)
        self._good: _Snapshot | None = None
        self._pending: _Snapshot | None = None
        self._spare: _Snapshot | None = None
        self.task = net.task
        #: where the run may train several epochs before handing them on (:meth:`_deferred`), their A[L], one row
        #: each (at most one checkpoint's epochs apart), measured in one pass; else None
        deferring = deferred_bytes(net.layer_dims, self.m, net.dtype.itemsize, self.minibatch, validation is not None,
                                   weights is not None, l2, self.every, batch_size)
        self._stack = np.empty((self.every, net.layer_dims[-1], self.m), net.dtype) if deferring and not \
            self.minibatch else None
        #: where a mini-batch epoch measures its batches' costs at its end (in one pass: :meth:`_epoch`), the A[L] of
        #: its batches of ``batch_size`` examples, one row each; else None
        self._batch_stack = np.empty((self.m // batch_size, net.layer_dims[-1], batch_size), net.dtype) if \
            deferring and self.minibatch else None
        self._into: np.ndarray | None = None  # the row of the stack an epoch's A[L] goes into, or None: measured now
        self.labels = column_classes(Y) if self.task.is_classification else np.zeros(0)  # (indexable; unused)
        self.reference = self.task.reference(Y)  # R^2's sum (Y - mean Y)^2 over the whole training set
        if validation is not None:
            Yv = validation[1]
            self.val_labels = column_classes(Yv) if self.task.is_classification else None

    # -- the first layer's strategy ----------------------------------------------------------------
    def _start_gram(self) -> None:
        """Hand W[1] and the optimizer's state of dW[1] to the Gram form (:class:`.gram.GramFirstLayer`)."""
        Xv = self.validation[0] if self.validation is not None else None
        self.first = gram.GramFirstLayer(self.X, self.W[1], self.optimizer.state, Xv)
        self.W[1] = self.first.W

    def _flatten(self) -> None:
        """Dense parameters, their gradients and their optimizer state as views into one flat array each.

        The element-wise optimizers then update all of them in one call, and a snapshot is one copy.  The
        network's own arrays stay the ones in ``network.parameters``: they are refreshed from the views
        when read (:class:`deepstep.parameters.Parameters`) and when the run ends.
        """
        dt = self.network.dtype
        # the blocks of the flat arrays: (shape, {key: the key's view of the block}); the weights first, so that the
        # L2 norm is one dot product -- or the folded step's W~[l] = [W[l] b[l]] (it takes no L2)
        whole = (slice(None), slice(None))
        if self.why_not_folded is None:
            layout = [(l, shape, {f"W{l}": (slice(None), slice(0, -1)), f"b{l}": (slice(None), slice(-1, None))}
                       if l > 1 or self.first is None else {f"b{l}": whole})
                      for l, shape in folded.blocks(self.network.layer_dims, self.first is not None)]
        else:
            keys = [k for k, v in self.work.items() if isinstance(v, np.ndarray) and k[0] == "W"]
            keys += [k for k, v in self.work.items() if isinstance(v, np.ndarray) and k[0] != "W"]  # b, gamma, beta
            layout = [(0, self.work[k].shape, {k: whole}) for k in keys]
        self._n_W = sum(self.work[k].size for k in self.work if isinstance(self.work[k], np.ndarray) and k[0] == "W")
        total = sum(math.prod(shape) for _, shape, _ in layout)
        self.flat, self.gflat = np.empty(total, dt), np.empty(total, dt)
        self.sflat = {slot: np.empty(total, dt) for slot in self.optimizer.slots}
        live = {}
        Wb, dWb = [None] * (self.network.L + 1), [None] * (self.network.L + 1)  # the folded step's blocks by layer
        o = 0
        for l, shape, views in layout:
            n = math.prod(shape)
            block, gblock = self.flat[o : o + n].reshape(shape), self.gflat[o : o + n].reshape(shape)
            sblocks = {slot: self.sflat[slot][o : o + n].reshape(shape) for slot in self.optimizer.slots}
            Wb[l], dWb[l] = block, gblock
            for k, at in views.items():
                view = block[at]
                view[...] = self.work[k]
                self.work[k] = live[k] = view
                self.grads["d" + k] = gblock[at]
                for slot in self.optimizer.slots:
                    sview = sblocks[slot][at]
                    sview[...] = self.optimizer.state[slot]["d" + k]
                    self.optimizer.state[slot]["d" + k] = sview
            o += n
        L = self.network.L
        for l in range(1, L + 1):
            if isinstance(self.work[f"W{l}"], np.ndarray):
                self.W[l], self.engine.dW[l] = self.work[f"W{l}"], self.grads[f"dW{l}"]
            self.b[l], self.engine.db[l] = self.work.get(f"b{l}"), self.grads.get(f"db{l}")
        self.engine.grads.update({k: v for k, v in self.grads.items() if isinstance(v, np.ndarray)})
        self.sparse = {k: v for k, v in self.work.items() if not isinstance(v, np.ndarray)}  # W[1] in Gram form
        self.network.parameters.go_live(live)
        self.flat_update = (self.flat, self.gflat, self.sflat)
        self.flat_W = self.flat[: self._n_W] if self.why_not_folded else None  # (the folded step takes no L2)
        self.folded = None if self.why_not_folded else folded.FoldedStep(
            self.network.layer_dims, self.network.hidden, self.network.output, self.first, Wb, dWb, self.flat,
            self.gflat)

    def _mark_pending(self) -> None:
        if self.first is not None:
            self.network.parameters.pending("W1", self.first.W1)

    def _finish_gram(self) -> None:
        """Form W[1] and the optimizer's dW[1] state as matrices again; the run no longer holds them."""
        if self.first is None:
            return
        params = self.network.parameters
        params.pending("W1", self.first.W1)
        params.settle()
        self.W[1] = self.work["W1"] = self.first.finish()
        self.sparse = {}
        self.first = None

    # -- snapshots -------------------------------------------------------------------------------
    def _state_values(self) -> list:
        """What a snapshot copies: the flat arrays, and the first layer's tensors under the Gram form."""
        values = [self.flat, *self.sflat.values(), *self.sparse.values(), *self.network.layer_state.values()]
        for slot in self.optimizer.slots:
            values += [a for a in self.optimizer.state[slot].values() if not isinstance(a, np.ndarray)]
        return values

    def _take(self, into: _Snapshot | None) -> _Snapshot:
        rng_state = _rng_get(self.network._rng) if self.uses_rng else None
        n = len(self.history.cost)
        if into is None:
            values = self._state_values()
            return _Snapshot([_copy(v) for v in values], self.optimizer.t, self.optimizer.epoch, rng_state, n)
        for dst, src in zip(into.values, self._live, strict=True):  # the live values are the same objects all run
            _copyto(dst, src)
        into.t, into.epoch, into.rng_state, into.n_history = self.optimizer.t, self.optimizer.epoch, rng_state, n
        return into

    def _restore(self, snap: _Snapshot) -> None:
        """The state ``snap`` holds, put back (the histories are the caller's: :meth:`_land`, :meth:`_truncate`)."""
        for dst, src in zip(self._live, snap.values, strict=True):
            _copyto(dst, src)
        self.optimizer.t, self.optimizer.epoch = snap.t, snap.epoch
        if self.first is not None:
            self.first.moved()
        if snap.rng_state is not None:
            _rng_set(self.network._rng, snap.rng_state)
        self._mark_pending()

    def _truncate(self, n: int) -> None:
        self.history.truncate(n)
        self.network.history.truncate(self.first_epoch + n)

    def _land(self, target: int) -> None:
        """Put back the state this run had at the start of its epoch ``target``.

        Checkpoints are taken every :attr:`every` epochs; the epochs from the latest sound one up to ``target``
        are replayed with the learning rates they used (the same arithmetic on the same state, random generator
        included: bit for bit), stopping at an epoch whose start already held NaN or inf.  The histories keep
        the epochs before the state put back.
        """
        snap = next((s for s in (self._pending, self._good)
                     if s is not None and s.n_history <= target and _snapshot_finite(s)), None)
        if snap is None:
            return
        rates = list(self.history.learning_rates)
        self._restore(snap)
        e, scratch = snap.n_history, None
        try:
            while e < target:
                scratch = self._take(scratch)
                self._epoch(rates[e], replay=True)
                self.optimizer.epoch += 1
                if not _values_finite(self._live):
                    self._restore(scratch)
                    break
                e += 1
        except BaseException:  # (a second Ctrl-C during the replay: the checkpoint itself, with its history)
            self._restore(snap)
            e = snap.n_history
            raise
        finally:
            self._mark_pending()
            self._truncate(e)

    def confirm_good(self) -> bool:
        """Take the checkpoint at the start of the epoch just ended as sound (called by the divergence guard when
        its cost was finite); False, and nothing taken, where that state holds NaN or inf anyway (a saturated
        activation can give a finite cost of infinite weights).  Between checkpoints there is nothing to take."""
        if self._pending is None:
            return True
        if not _snapshot_finite(self._pending):
            return False
        self._good, self._spare = self._pending, self._good
        self._pending = None
        return True

    def diverge(self, message: str, epoch_start_sound: bool = False) -> None:
        """Put back the last sound state and stop (called by the divergence guard).

        That is the start of the epoch just ended when ``epoch_start_sound`` (its cost was finite
        but its update was not), else the start of the epoch before (:meth:`_land`).  Under the Gram form, where
        W[1] itself is formed only now, a state whose W[1] is not finite gives way to the run's start.
        """
        last = len(self.history.cost) - 1  # the epoch just ended (the histories record first)
        self._land(max(last, 0) if epoch_start_sound else max(last - 1, 0))
        if self.first is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                sound = np.isfinite(np.asarray(self.W[1])).all()
            if not sound:
                self._restore(self._start)
                self._truncate(0)
        self.diverged = message
        self.stop_training = True

    def _finite_at_start(self) -> bool:
        """Whether the cost of the parameters now held (the run's start, after a divergence in its first epoch) is
        finite on the training examples."""
        net = self.network
        with np.errstate(all="ignore"):
            A = forward_no_cache(self.X, net.parameters, net.hidden, net.output)
            return bool(np.isfinite(A).all() and math.isfinite(net.task.cost(A, self.Y)))

    def parameters_finite(self, cheap: bool = False) -> bool:
        """Whether every parameter is finite (``cheap``: W[1] checked through its products under the Gram form)."""
        for key, P in self.work.items():
            if isinstance(P, np.ndarray):
                if not np.isfinite(P).all():
                    return False
            elif not (np.isfinite(P.KT).all() and np.isfinite(P.a).all()):
                return False
            elif not cheap and not np.isfinite(self.network.parameters[key]).all():
                return False
        return True

    def save(self, path: str | Path) -> None:
        """Write the network with this run's optimizer and callback state (a checkpoint)."""
        self.sync_state()
        self.network.save(path)

    def sync_state(self) -> None:
        """Copy the callbacks' state onto the network, so that its model file carries it."""
        for cb in self.callbacks:
            state = cb.state() if cb.key else None
            if state is not None:
                self.network.callback_state[cb.key] = state

    # -- the epochs ------------------------------------------------------------------------------
    def _cost(self, AL: np.ndarray, Y: np.ndarray, m: int, s: np.ndarray | None = None, m_w: float | None = None
              ) -> float:
        """J of one batch: with weights, s = w m / sum(w) (mean 1) and the L2 term over m_w = sum(w) (as many
        examples as the weights count: integer weights are repeated rows)."""
        J = self.task.cost(AL, Y, s)
        if self.l2:
            J += l2_cost(self._squared_norms(), self.l2, m if m_w is None else m_w)
        return J

    def _squared_norms(self) -> list[float]:
        """||W[l]||_F^2 of every layer: the dense ones in one dot product, W[1] in Gram form by its own."""
        return [float(np.vdot(self.flat_W, self.flat_W))] + [T.sq_norm() for k, T in self.sparse.items()]

    def _step(self, X: np.ndarray, Y: np.ndarray, labels: np.ndarray, lr: float, w: np.ndarray | None = None
              ) -> tuple[float, Any]:
        """Forward, cost, backward, update on one batch (``w`` its examples' weights, or None); returns (cost, the
        batch's tally of the score)."""
        cost, right = (self._engine_step if self.folded is None else self._folded_step)(X, Y, labels, lr, w)
        if self.first is not None:
            self.first.moved()  # (W[1] formed from here on is this update's)
        return cost, right

    def _measure(self, AL: np.ndarray, Y: np.ndarray, labels: np.ndarray, m: int, s: np.ndarray | None = None,
                 m_w: float | None = None) -> tuple[float | None, Any]:
        """The batch's cost and score tally; within deferred epochs (:meth:`_deferred`) or a mini-batch epoch that
        keeps its batches' A[L] (:meth:`_epoch`), A[L] kept in its row of the stack instead, to be measured with the
        others in one pass, and (None, None)."""
        if self._into is not None:
            np.copyto(self._into, AL)
            return None, None
        return self._cost(AL, Y, m, s, m_w), self.task.tally(AL, Y, labels)

    def _folded_step(self, X: np.ndarray, Y: np.ndarray, labels: np.ndarray, lr: float, w: None) -> tuple[float, Any]:
        """:meth:`_step` by the folded step (:mod:`deepstep.core.folded`: no example weights)."""
        AL = self.folded.forward(X)
        cost, right = self._measure(AL, Y, labels, X.shape[1])
        self.folded.backward(AL, Y, lr)
        self.optimizer.count_step()
        return cost, right

    def _engine_step(self, X: np.ndarray, Y: np.ndarray, labels: np.ndarray, lr: float, w: np.ndarray | None
                     ) -> tuple[float, Any]:
        """:meth:`_step` by the engine's passes and the optimizer's update."""
        engine, first, m = self.engine, self.first, X.shape[1]
        rng = self.network._rng if self.dropout else None
        b1 = self.b[1]
        AL = engine.forward(self.W, self.b, X, rng, None if first is None else lambda out: first.Z1(b1, out))
        s = m_w = None
        l2 = self.l2
        if w is not None:  # J = (1/sum w) sum_j w_j L_j + (lambda / 2 sum w) ||W||^2: integer weights repeat rows
            m_w = float(w.sum())
            s = w * w.dtype.type(m / m_w)
            l2 = self.l2 * m / m_w
        cost, right = self._measure(AL, Y, labels, m, s, m_w)
        engine.lambd = l2
        engine.backward(Y, self.W, skip_first=first is not None, weights=s)
        if first is not None:
            self.grads["dW1"] = first.gradient(engine.dZ1, l2)
        self.optimizer.step(self.sparse, self.grads, lr, self.flat_update, self.compiled)
        return cost, right

    def _epoch(self, lr: float, replay: bool = False) -> tuple[float, float]:
        if not self.minibatch:
            cost, right = self._step(self.X, self.Y, self.labels, lr, self.weights)
            return cost, None if right is None else self.task.score_of(right, self.m, self.reference)
        m, batch = self.m, self.batch_size
        perm = self.network._rng.permutation(m)
        starts = range(0, m, batch)
        if self.network.batch_norm and m % batch == 1:  # a lone last example joins the batch before it (the
            starts = range(0, m - 1, batch)              # variance of one example is 0: nothing to normalize by)
        tell = [] if replay else self._batch_callbacks
        stack, kept = self._batch_stack, []  # (the batches whose A[L] went into the stack, their costs measured below)
        measured = []  # (cost, tally, examples) of each batch, in order; (None, None, idx) where kept
        for i, k in enumerate(starts):
            idx = perm[k : k + batch] if i < len(starts) - 1 else perm[k:]
            self._into = stack[len(kept)] if stack is not None and idx.size == batch else None
            c, r = self._step(self.XT[idx].T, self.YT[idx].T, self.labels[idx] if self.labels.size else None, lr,
                              None if self.weights is None else self.weights[:, idx])
            if c is None:
                kept.append(idx)
            measured.append((c, r, idx))
            for cb in tell:
                cb.on_batch_end(self, i, len(starts))
        self._into = None
        if kept:
            costs, tallies = self._batch_measures(stack[: len(kept)], kept)
            measured = [(next(costs), next(tallies), idx) if c is None else (c, r, idx) for c, r, idx in measured]
        total = right = 0
        for c, r, idx in measured:  # (the epoch's sums in batch order, as batch by batch)
            total += c * idx.size
            right = right + r
        return total / m, self.task.score_of(right, m, self.reference)

    def _batch_measures(self, A: np.ndarray, kept: list[np.ndarray]) -> tuple[Iterator, Iterator]:
        """The costs and tallies of the batches of examples ``kept`` (each ``batch_size``) whose A[L] are the rows of
        ``A`` (k, n[L], batch), in one pass: their Y and labels gathered once, the floats each batch's own measure
        gives (the same sums)."""
        rows = np.concatenate(kept)
        k, n, batch = A.shape
        Y = np.ascontiguousarray(self.YT[rows].reshape(k, batch, n).transpose(0, 2, 1))
        labels = self.labels[rows].reshape(k, batch) if self.labels.size else None
        return iter(self.task.costs(A, Y)), iter(self.task.tallies(A, Y, labels))

    def _validate(self) -> tuple[float, float]:
        Xv, Yv = self.validation
        net = self.network
        Z1 = None if self.first is None else self.first.Z1_val(self.b[1])  # the Gram form's, else formed as usual
        A = forward_layers(Xv, self.work, net.hidden, net.output, Z_start=Z1, state=net.layer_state, training=False)
        cost = self.task.cost(A, Yv)
        if self.l2:
            cost += l2_cost(self._squared_norms(), self.l2, Xv.shape[1])
        return cost, self.task.score(A, Yv, self.val_labels)

    def run(self) -> History:
        """Train; returns this run's history (raises TrainingDiverged after putting back the last sound state)."""
        net = self.network
        if self.minibatch:
            # example-major copies: a mini-batch is then contiguous rows, not scattered columns
            self.XT = self.X.T if self.X.flags.f_contiguous else np.ascontiguousarray(self.X.T)
            self.YT = np.ascontiguousarray(self.Y.T)
        self.error: BaseException | None = None
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                for cb in self.callbacks:
                    cb.on_train_begin(self)
                self._start = self._take(None) if self.first is not None else None  # see diverge()
                left = self.epochs_planned
                while left > 0 and not self.stop_training:
                    done = len(self.history.cost)
                    if done % self.every == 0:  # a checkpoint (the divergence guard confirms it at the epoch's end)
                        self._pending = self._take(self._spare)
                        self._spare = None
                    n = self._deferred(done, left)
                    trained = []  # (epoch, learning rate, cost, score) of the epochs trained, not yet handed on
                    try:
                        for i in range(n):
                            epoch = self.optimizer.epoch
                            lr = self.optimizer.learning_rate(self.learning_rate)
                            self._into = self._stack[i] if n > 1 else None
                            cost, acc = self._epoch(lr)
                            self.optimizer.epoch += 1
                            trained.append((epoch, lr, cost, acc))
                    except BaseException:  # inside an epoch (Ctrl-C): the epochs done are kept, the state goes back
                        self._into = None  # to the start of the one interrupted
                        try:
                            self._hand_on(self._measured(trained))
                        finally:
                            if not self.diverged:
                                self._land(len(self.history.cost))
                        raise
                    self._into = None
                    self._mark_pending()
                    try:
                        left -= self._hand_on(self._measured(trained))
                    except BaseException:  # (a callback's error: the state goes back to the epoch it was handed)
                        if n > 1 and not self.diverged:
                            self._land(len(self.history.cost))
                        raise
                if not self.diverged and self.history.cost and not (self.parameters_finite()
                                                                    and _values_finite(self._live)):
                    # the last update broke the parameters or the optimizer's or layers' state (a NaN shows in the
                    # next cost; there is none; between checkpoints the guard's confirmation does not look)
                    self.diverge(f"training diverged at iteration {self.optimizer.epoch - 1} (its update gave "
                                 "parameters of NaN or inf)", epoch_start_sound=True)
        except BaseException as exc:  # Ctrl-C, a callback's error: on_train_end still runs (below), then it goes on
            self.error = exc
            raise
        finally:
            with np.errstate(over="ignore", invalid="ignore"):
                self._mark_pending()
                self._finish_gram()
                net.parameters.end_live()  # the network's own arrays hold the result
                net.parameters.settle()
            if self.history.cost:  # the accumulated history names the last run that kept epochs
                net.history.learning_rate, net.history.batch_size = self.learning_rate, self.batch_size
                net.history.method, net.history.optimizer = self.method, self.optimizer.name
            for cb in self.callbacks:
                if hasattr(cb, "cleanup"):
                    cb.cleanup(self)
            if self.error is not None:
                self._train_end()
        if self.diverged:
            self._train_end()
        if self.diverged and not self.history.cost and not self._finite_at_start():
            raise TrainingDiverged(  # no update made it so: the inputs overflow the forward pass at the start
                f"X: {self.diverged}, at the starting parameters, before any update: the forward pass overflows with "
                "these inputs and weights; scale X (standardize it) or start from smaller weights", self.history)
        if self.diverged:
            raise TrainingDiverged(
                f"learning_rate: {self.diverged}; the parameters are put back to those before iteration "
                f"{self.first_epoch + len(self.history.cost)} (the last sound ones: that iteration's update broke "
                f"them); try a smaller learning rate than {self.learning_rate:g}"
                + ("" if self.optimizer.name in ("adam", "rmsprop") else " or optimizer 'adam'"),
                self.history,
            )
        self._train_end()
        self.sync_state()
        return self.history

    def _deferred(self, done: int, left: int) -> int:
        """How many epochs to train before handing them on to the callbacks: 1, or, in a run whose epochs' costs
        are their A[L]'s alone (a full batch without validation, example weights or L2), up to the next checkpoint,
        stopping at the first epoch at whose end a callback reads the run's state (see
        :meth:`deepstep.training.callbacks.Callback.reads_state_after`)."""
        if self._stack is None:
            return 1
        n = min(left, self.every - done % self.every)
        for cb in (self.history, self.network.history, *self.callbacks):  # (the span ends at the first read)
            reads = cb.reads_state_after
            for i in range(n):
                if reads(self, done + i):
                    n = i + 1
                    break
        return n

    def _measured(self, trained: list[tuple]) -> list[tuple]:
        """(epoch, learning rate, cost, score) of epochs trained; those whose A[L] went into the stack (their cost
        None) measured now, in one pass: the floats each epoch's own measure gives."""
        k = sum(1 for _, _, cost, _ in trained if cost is None)
        if not k:
            return trained
        A = self._stack[:k]
        measured = zip(self.task.costs(A, self.Y), self.task.tallies(A, self.Y, self.labels), strict=True)
        return [(epoch, lr, cost, self.task.score_of(right, self.m, self.reference))
                for (epoch, lr, _, _), (cost, right) in zip(trained, measured, strict=True)]

    def _hand_on(self, trained: list[tuple]) -> int:
        """Each epoch's logs to the histories (first) and the callbacks, in order (the validation figures measured
        now), until one stops the run; returns how many were handed on."""
        score = self.task.score_name
        callbacks = (self.history, self.network.history, *self.callbacks)  # the histories record first
        for n, (epoch, lr, cost, acc) in enumerate(trained, 1):
            logs = {"cost": cost, score: acc, "learning_rate": lr}
            if self.has_validation:
                logs["val_cost"], logs["val_" + score] = self._validate()
            for cb in callbacks:
                cb.on_epoch_end(self, epoch, logs)
                if self.diverged:
                    break
            if self.stop_training:
                return n
        return len(trained)

    def _train_end(self) -> None:
        """Every callback's on_train_end: after the last epoch, a stop, a divergence (``run.diverged`` says why) or
        an exception (``run.error``)."""
        with np.errstate(over="ignore", invalid="ignore"):
            for cb in self.callbacks:
                cb.on_train_end(self)


@dataclass
class RunPlan:
    """A run's settings, checked (:func:`check_run`): what :func:`train` takes beside the data."""

    learning_rate: float
    epochs: int
    batch_size: int | None
    optimizer: Optimizer
    l2: float
    keep_prob: list[float]
    callbacks: list[Callback]
    method: str
    verbose: bool
    n_threads: int | None = None
    signals: bool | int | str = True


def check_run(net: Trainee, learning_rate: float, num_iterations: int, batch_size: int | None = None,
              optimizer: str | Optimizer = "gd", l2: float = 0.0, keep_prob: float | Sequence[float] = 1.0,
              callbacks: Sequence[Any] | None = None, method: str = "auto", verbose: bool = False,
              n_threads: Any = "auto", signals: Any = True) -> RunPlan:
    """Every run setting of :meth:`deepstep.DeepNetwork.fit` checked, before anything is touched (the data's checks
    are the network's: :meth:`deepstep.DeepNetwork._training_data`)."""
    if not isinstance(method, str) or method not in METHODS:
        raise DeepstepError(f"method: expected one of {list(METHODS)}, got {method!r}")
    alpha = check_learning_rate(learning_rate)
    epochs = check_positive_int(num_iterations, "num_iterations")
    batch = check_positive_int(batch_size, "batch_size", allow_none=True)
    lambd = check_l2(l2)
    keep = check_keep_prob(keep_prob, net.L - 1)
    if not isinstance(verbose, (bool, int)):
        raise DeepstepError(f"verbose: expected True or False, got {_describe(verbose)}")
    if callbacks is not None and (isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Sequence)):
        callbacks = [callbacks] if callable(callbacks) or isinstance(callbacks, Callback) else callbacks
        if not isinstance(callbacks, Sequence):
            raise DeepstepError(f"callbacks: expected a list of callbacks, got {_describe(callbacks)}")
    given = [as_callback(cb) for cb in (callbacks or [])]
    from .threads import check_threads

    threads = check_threads(n_threads)
    return RunPlan(alpha, epochs, batch, _optimizer_for(net, optimizer), lambd, keep, given, method, bool(verbose),
                   threads, check_signals(signals))


def train(net: Trainee, X: np.ndarray, Y: np.ndarray, validation: tuple[np.ndarray, np.ndarray] | None,
          plan: RunPlan, standardizers: tuple[Any, Any] | None = None, weights: np.ndarray | None = None) -> History:
    """Train ``net`` on checked arrays: X (n[0], m) and Y (n[L], m) in the network's dtype, standardized as it
    computes; ``validation`` the same, or None.  Decides the first layer's method, checks the memory, sets up the
    callbacks (the divergence guard first) and the optimizer, then writes into the network (its optimizer, and
    the ``standardizers`` (input, target) the first fit learned) only once every check has passed, and runs."""
    opt, batch, epochs = plan.optimizer, plan.batch_size, plan.epochs
    m = X.shape[1]
    full_batch = batch is None or batch >= m
    if net.batch_norm:  # a batch of one example has variance 0: Z_norm = 0, no gradient, a running variance pulled to 0
        if m == 1:
            raise DeepstepError("X: batch normalization needs at least 2 examples a batch (the variance of one is 0); "
                                "got m = 1")
        if not full_batch and batch == 1:  # (a lone last example of an epoch joins the batch before it: _epoch)
            raise DeepstepError("batch_size: batch normalization needs at least 2 examples a batch (the variance of "
                                "one is 0), and every mini-batch of batch_size 1 holds 1; take a larger batch_size")
    why_not = gram.applies(full_batch, opt, 1 in net.batch_norm)
    method = plan.method
    if method == "gram" and why_not:
        raise DeepstepError(f"method: 'gram' does not apply here: {why_not}; use method='plain' or 'auto'")
    if method == "auto":
        method = "gram" if why_not is None and gram.pays_off(net.layer_dims[0], net.layer_dims[1], m, epochs) \
            else "plain"
    signals = plan.signals is not False and not any(isinstance(cb, LayerSignals) for cb in plan.callbacks)
    held_params, held_acts = limits.training_bytes(net.layer_dims, m, batch, net.dtype.itemsize, len(opt.slots),
                                                   0 if validation is None else validation[0].shape[1],
                                                   method == "gram", signal_sample(net.layer_dims, m) if signals else 0)
    steps = epochs * (1 if full_batch else -(-m // batch))
    if takes_compiled(opt, limits.parameter_count(net.layer_dims), steps, net.dtype.itemsize,
                      why_not_folded(net, opt, method, plan.l2, plan.keep_prob, weights is not None, not full_batch)):
        held_params += compiled.start_bytes()  # numba, once per process (the rule Run.compiled takes)
    # the run's checkpoints at most this far apart (a caller's callback makes them 1: no stack)
    every = checkpoint_every(net.layer_dims, m, not full_batch, [], net.dtype.itemsize)
    held_acts += deferred_bytes(net.layer_dims, m, net.dtype.itemsize, not full_batch, validation is not None,
                                weights is not None, plan.l2, every, batch)
    limits.check_memory(held_params + held_acts,
                        "layer_dims" if held_params >= held_acts else "batch_size" if batch else "X",
                        f"training a network {list(net.layer_dims)} on m = {m} examples")
    for cb in plan.callbacks:
        cb.check(validation is not None)
    cbs: list[Callback] = [] if any(isinstance(cb, DivergenceGuard) for cb in plan.callbacks) else [DivergenceGuard()]
    if signals:
        cbs.append(LayerSignals("auto" if plan.signals is True else plan.signals))
    cbs += plan.callbacks
    if plan.verbose:
        cbs.append(ProgressBar())
    for slot in opt.slots:  # an optimizer object used before must hold state of this network's shapes
        for key, P in net.parameters.items():
            a = opt.state[slot].get("d" + key)
            if a is not None and (np.shape(a) != P.shape or a.dtype != P.dtype):
                raise DeepstepError(
                    f"optimizer: its state {slot}['d{key}'] has shape {np.shape(a)} and dtype {a.dtype}, this "
                    f"network's {key} has {P.shape} and {P.dtype}; give each network its own optimizer object")
    if opt.t == 0 and opt.epoch == 0:  # a fresh optimizer: its schedule counts the network's epochs
        opt.epoch = len(net.history.cost)
    net.optimizer = opt
    if standardizers is not None:
        net.standardizer, net.target_standardizer = standardizers
    run = Run(net, X, Y, learning_rate=plan.learning_rate, epochs=epochs, batch_size=batch, optimizer=opt,
              l2=plan.l2, keep_prob=plan.keep_prob, validation=validation, callbacks=cbs, method=method,
              weights=None if weights is None else weights.astype(net.dtype))
    from .threads import blas_threads, largest_product

    with blas_threads(plan.n_threads, largest_product(net.layer_dims, m if full_batch else batch)):
        return run.run()


def fit(net: Any, X: Any, Y: Any, learning_rate: float, num_iterations: int, **kwargs: Any) -> History:
    """:meth:`deepstep.DeepNetwork.fit` (kept under its old name: the network prepares the data, then
    :func:`train`)."""
    return net.fit(X, Y, learning_rate, num_iterations, **kwargs)


def _optimizer_for(net: Trainee, optimizer: str | Optimizer) -> Optimizer:
    """The optimizer to train with: the network's own (its state goes on) when the same one is asked for again."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    fresh = get_optimizer(optimizer)
    current = getattr(net, "optimizer", None)
    if current is not None and current.config() == fresh.config():
        return current
    return fresh
