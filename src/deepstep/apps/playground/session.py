"""A session: one tab's data set, network and history (:class:`Session`), what it trains, draws, explains and
saves, as JSON-ready data (the curves thinned, the numbers rounded, what is not finite null); and the live
sessions (:class:`Sessions`), at most :data:`MAX_SESSIONS <deepstep.apps.playground.settings.MAX_SESSIONS>`,
each ending after :data:`IDLE_SECONDS <deepstep.apps.playground.settings.IDLE_SECONDS>` idle.  It imports the
settings and the budget; it knows nothing of HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import secrets
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...core import layers as _layers
from ...data.split import validation_split
from ...errors import DeepstepError, check_number
from ...model.network import DeepNetwork
from ...report.diagnostics import diagnose
from ...training.loop import _optimizer_for
from ..explain import explain
from .budget import _Budget, _check, _Interrupted, _StopWhen, _work
from .settings import (
    CURVE_POINTS,
    EXPLAIN_CHECKED,
    EXPLAIN_POINTS,
    GRID,
    IDLE_SECONDS,
    LESSON_INITS,
    MAX_EDITED_WEIGHT,
    MAX_SESSION_ITERATIONS,
    MAX_SESSIONS,
    MAX_WORK,
    REGRESSION_SETS,
    STUCK_AFTER,
    UNIT_GRID,
    UNITS_SHOWN,
    SettingsError,
    _points,
)


def _thin(values: list[float]) -> list[list[float | None]]:
    """[[iteration, value], ...] of at most CURVE_POINTS points, the last one always among them (a value that is
    not finite: null)."""
    n = len(values)
    if n == 0:
        return []
    idx = np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype(int))
    return [[int(i), _number(values[i], 6)] for i in idx]


def _number(value: Any, decimals: int) -> float | None:
    """A float for JSON: rounded, or None where it is not finite."""
    value = float(value)
    return round(value, decimals) if np.isfinite(value) else None


def _significant(a: np.ndarray, digits: int) -> list:
    """``a`` as nested lists for JSON, each value to ``digits`` significant digits; None where not finite."""
    a = np.asarray(a, dtype=np.float64)
    finite = np.isfinite(a)
    out = np.array([float(f"{v:.{digits}g}") if ok else None for v, ok in zip(a.ravel(), finite.ravel(),
                                                                             strict=True)], dtype=object)
    return out.reshape(a.shape).tolist()


def _rounded(a: np.ndarray, decimals: int) -> list:
    """``a`` as nested lists for JSON: rounded to ``decimals`` (values too large to round kept as they are), None
    where not finite (a diverged network's weights may be beyond any scale)."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(a)
        small = finite & (np.abs(np.where(finite, a, 0.0)) < 1e12)
        out = np.where(small, np.round(np.where(small, a, 0.0), decimals), a)
    if finite.all():
        return out.tolist()
    values = out.astype(object)
    values[~finite] = None
    return values.tolist()


@dataclass
class Session:
    """One tab's network and data.  Use under :attr:`lock` (requests of one tab may overlap)."""

    id: str
    settings: dict[str, Any]
    X: np.ndarray
    labels: np.ndarray
    classes: list[str]
    train: np.ndarray  # mask of the training points
    net: DeepNetwork
    last_used: float
    lock: threading.Lock
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    """The server's requests of this session, one at a time (waiting for it holds no worker)."""

    @classmethod
    def create(cls, settings: dict[str, Any], session_id: str | None = None, budget: _Budget | None = None
               ) -> Session:
        """A new session of checked ``settings`` (its data read or made, its network made).

        Raises
        ------
        SettingsError
            For an upload it cannot use ("csv: ...", e.g. more than :data:`MAX_CLASSES` classes), or a network
            whose pass over the points is more than :data:`MAX_WORK` multiply-adds ("hidden: ...").
        """
        X, labels, classes = _points(settings)
        _check(budget)
        regression = settings["dataset"] in REGRESSION_SETS
        n_classes = 2 if regression else max(2, int(labels.max()) + 1, len(classes))
        dims = [2, *settings["hidden"], 1 if n_classes == 2 else n_classes]
        work = _work(dims, X.shape[1])
        if work > MAX_WORK:
            raise SettingsError(f"hidden: expected a network of at most {MAX_WORK:,} multiply-adds a pass over the "
                                f"points in the playground, got {work:,} (a network {dims} on {X.shape[1]} points); "
                                "take fewer or smaller hidden layers, or fewer points")
        train = np.ones(labels.shape[1], dtype=bool)
        if settings["validation_fraction"] > 0:
            with contextlib.suppress(DeepstepError):  # too few points to hold any out: train on all of them
                groups = np.zeros(labels.shape[1]) if regression else labels[0]  # (regression: one group)
                train = ~validation_split(groups, settings["validation_fraction"], settings["seed"])
        names = [] if regression else classes or [str(k) for k in range(n_classes)]
        session = cls(session_id or secrets.token_urlsafe(12), settings, X, labels, names,
                      train, cls._network(settings, n_classes), time.monotonic(),
                      threading.Lock())
        _check(budget)
        return session

    @staticmethod
    def _network(settings: dict[str, Any], n_classes: int) -> DeepNetwork:
        n_out = 1 if n_classes == 2 else n_classes
        init = settings["init"]
        output = "linear" if settings["dataset"] in REGRESSION_SETS else "sigmoid" if n_out == 1 else "softmax"
        net = DeepNetwork([2, *settings["hidden"], n_out], settings["hidden_activation"], output,
                          "small" if init in LESSON_INITS else init,
                          rng=settings["seed"], standardize=True, batch_norm=bool(settings.get("batch_norm")))
        if init in LESSON_INITS:  # the course's two bad starts, shown in the playground only (fit refuses zeros)
            gen = np.random.default_rng(settings["seed"])
            for l in range(1, net.L + 1):
                W = net.parameters[f"W{l}"]
                net.parameters[f"W{l}"] = np.zeros_like(W) if init == "zeros" else gen.standard_normal(W.shape) * 10
        return net

    def remarks(self) -> list[str]:
        """What the page says about this network beside its figures: the lesson of a bad start, dead units, and
        (after :data:`STUCK_AFTER` iterations) a cost that has not moved or one class predicted for every point."""
        out = [LESSON_INITS[self.settings["init"]]] if self.settings["init"] in LESSON_INITS else []
        net = self.net
        if net.hidden_activation == "relu" and net.L > 1 and len(net.history):
            caches: list = []
            with np.errstate(all="ignore"):
                _layers.forward_layers(net._inputs(self.X), net.parameters,
                                       _layers.layers_of(net.parameters, net.hidden, net.output), caches=caches,
                                       state=net.layer_state, training=False)
            for l, cache in enumerate(caches[:-1], 1):
                Z = cache[1]  # (Z~ for a normalized layer: what the ReLU takes)
                dead = int(np.sum(np.all(Z <= 0, axis=1)))
                if dead:
                    out.append(f"{dead} of the {Z.shape[0]} ReLU units of layer {l} output 0 for every point (dead): "
                               "their gradient is 0, so they no longer learn; a smaller learning rate, He "
                               "initialization or leaky_relu keeps units alive")
        if len(net.history) >= STUCK_AFTER:  # a stuck network: the diagnosis deepstep train prints
            X, Y, _ = self._split()
            with contextlib.suppress(DeepstepError):  # (outputs beyond any scale: no diagnosis to give)
                out += [note[:1].upper() + note[1:] + "." for note in diagnose(net, X, Y)]
            # the course's reading (bias and variance, vanishing or exploding gradients, saturation); dead units
            # are told above, unit by unit
            out += [line[:1].upper() + line[1:] + "." for line in net.diagnosis()["advice"]
                    if not line.startswith("dead ReLU")]
        return out

    @property
    def n_classes(self) -> int:
        return max(2, len(self.classes))

    @property
    def regression(self) -> bool:
        """Whether the targets are real values (a linear output, the squared error, R^2)."""
        return self.settings["dataset"] in REGRESSION_SETS

    def _split(self) -> tuple[np.ndarray, np.ndarray, tuple | None]:
        held = ~self.train
        validation = (self.X[:, held], self.labels[:, held]) if held.any() else None
        return self.X[:, self.train], self.labels[:, self.train], validation

    def set_weight(self, layer: Any, row: Any, column: Any, value: Any) -> None:
        """W[layer][row, column] := value (by hand, as TensorFlow Playground lets one): the history and the
        optimizer's state go on from there; each index and the value are checked, naming the one that is wrong.

        Raises
        ------
        SettingsError
            For a layer, row or column outside the network, or a value that is not a number within
            :data:`MAX_EDITED_WEIGHT`.
        """
        dims = self.net.layer_dims
        try:
            l = check_number(layer, "layer", low=1, high=len(dims) - 1, integer=True)
            i = check_number(row, "row", low=0, high=dims[l] - 1, integer=True)
            j = check_number(column, "column", low=0, high=dims[l - 1] - 1, integer=True)
            v = check_number(value, "value", low=-MAX_EDITED_WEIGHT, high=MAX_EDITED_WEIGHT)
        except SettingsError:
            raise
        except DeepstepError as exc:
            raise SettingsError(str(exc)) from None
        W = np.array(self.net.parameters[f"W{l}"])  # a new array: nothing that holds the old one sees it change
        W[i, j] = v
        self.net.parameters[f"W{l}"] = W

    def reset(self) -> None:
        self.net = self._network(self.settings, self.n_classes)

    def train_for(self, iterations: int, seconds: float | None = None,
                  cancel: threading.Event | None = None) -> int:
        """Up to ``iterations`` more epochs of the real engine (the optimizer goes on with its state); the number
        done.

        Training stops once ``seconds`` have passed or ``cancel`` is set: between epochs, or inside one (checked
        before every update), when the epoch in progress is undone as :meth:`deepstep.DeepNetwork.fit` undoes an
        interrupted epoch (parameters, optimizer state, random generator and history as at its start), so that
        the iterations done are exactly those of an uninterrupted run.

        Raises
        ------
        SettingsError
            When the session's iteration budget is spent, or when not even one iteration fits in ``seconds``.
        TrainingDiverged
            From the divergence guard (the last sound parameters are put back).
        """
        if len(self.net.history) + iterations > MAX_SESSION_ITERATIONS:
            raise SettingsError(f"iterations: a session trains at most {MAX_SESSION_ITERATIONS} iterations, and this "
                                f"one has trained {len(self.net.history)}; Reset to start again")
        X, Y, validation = self._split()
        s = self.settings
        deadline = None if seconds is None else time.monotonic() + seconds

        def stop() -> bool:
            return (deadline is not None and time.monotonic() >= deadline) or (cancel is not None and cancel.is_set())

        optimizer = _optimizer_for(self.net, s["optimizer"])  # the network's own when it has one: its state goes on
        step = optimizer.step

        def checked_step(*args: Any) -> None:
            if stop():
                raise _Interrupted
            step(*args)

        before = len(self.net.history)
        optimizer.step = checked_step  # (on this object only, for this call)
        try:
            self.net.fit(X, Y, s["learning_rate"], iterations, batch_size=s["batch_size"], optimizer=optimizer,
                         l2=s["l2"], keep_prob=s["keep_prob"], validation_data=validation,
                         callbacks=[_StopWhen(stop)])
        except _Interrupted as exc:
            # (its traceback's frames hold the epoch's activations in a reference cycle, a hundred MiB of a large
            # full-batch epoch that only the cyclic collector would free: freed now)
            traceback.clear_frames(exc.__traceback__)
        finally:
            del optimizer.step
        done = len(self.net.history) - before
        if done == 0 and not (cancel is not None and cancel.is_set()):
            m, batch = X.shape[1], s["batch_size"]
            if batch is not None and batch < m:
                raise SettingsError(
                    f"batch_size: one iteration (an epoch of {-(-m // batch)} mini-batches of {batch} of the {m} "
                    f"training points) takes longer than the {seconds:g} s a request may train; take a larger "
                    "batch_size, fewer points or fewer hidden units")
            raise SettingsError(f"points: one iteration on {m} training points takes longer than the {seconds:g} s a "
                                "request may train; take fewer points or fewer hidden units")
        return done

    def state(self, with_points: bool = False, with_explain: bool = False, budget: _Budget | None = None
              ) -> dict[str, Any]:
        """What the page draws, as JSON-ready data (``budget`` checked between its parts)."""
        net, h = self.net, self.net.history
        X, Y, validation = self._split()
        _check(budget)
        train_accuracy = self._score(X, Y)
        _check(budget)
        val_accuracy = None if validation is None else self._score(*validation)
        _check(budget)
        boundary = self._boundary()
        _check(budget)
        remarks = self.remarks()  # (a pass over the points, and one over the units' grid: each within the budget)
        _check(budget)
        units = self.units()
        _check(budget)
        out: dict[str, Any] = {
            "id": self.id, "iteration": len(h), "layer_dims": net.layer_dims, "classes": self.classes,
            "cost": _thin(h.cost), "val_cost": _thin(h.val_cost),
            # (the task's score: accuracy, or R^2 for regression)
            "task": "regression" if self.regression else "classification", "score": "R^2" if self.regression
            else "accuracy", "train_accuracy": train_accuracy, "val_accuracy": val_accuracy,
            # (six significant digits: a weight of 3e-6 shows as such, and setting a weight shown keeps it)
            "weights": [_significant(net.parameters[f"W{l}"], 6) for l in range(1, net.L + 1)],
            # a batch-normalized layer's shift is beta[l] (it has no b[l])
            "biases": [_rounded(net.parameters[f"b{l}" if f"b{l}" in net.parameters else f"beta{l}"][:, 0], 4)
                       for l in range(1, net.L + 1)],
            "batch_norm": net.batch_norm,
            "boundary": boundary,
            "settings": {k: v for k, v in self.settings.items() if k != "csv"},
            "remarks": remarks,
            "units": units,
            # the per-layer signals of the last record (the end of the last chunk of training), one figure per layer
            "signals": ({name: series[-1] for name, series in h.signals.items() if name != "epoch"}
                        if h.signals.get("epoch") else None),
        }
        if h.cost:
            out["last_cost"] = _number(h.cost[-1], 12)
        if with_points:
            out["points"] = {"x": np.round(self.X, 5).tolist(), "label": np.round(self.labels[0], 5).tolist(),
                             "train": self.train.tolist()}
        if with_explain:
            out["explain"] = self.explanation()
            _check(budget)
        return out

    def _score(self, X: np.ndarray, Y: np.ndarray) -> float | None:
        """The accuracy on (X, Y) (R^2 for regression); None where the network's outputs are not finite (weights
        beyond any scale)."""
        try:
            return float(self.net.score(X, Y))
        except DeepstepError:
            return None

    def _boundary(self) -> dict[str, Any] | None:
        """The predictions over the grid; None where they are not finite (weights beyond any scale)."""
        try:
            return self._grid()
        except DeepstepError:
            return None

    def _axes(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n points along each axis over the data's range (a little beyond it)."""
        low, high = self.X.min(axis=1), self.X.max(axis=1)
        pad = np.maximum((high - low) * 0.08, 1e-3)
        return (np.linspace(low[0] - pad[0], high[0] + pad[0], n), np.linspace(low[1] - pad[1], high[1] + pad[1], n))

    def units(self) -> list[list[list[float]]] | None:
        """What each hidden unit computes over the plane: A[l] of the first :data:`UNITS_SHOWN` units of every
        hidden layer on UNIT_GRID x UNIT_GRID points (rows of x1, columns of x0), as the network predicts
        (running averages for batch normalization); None where they are not finite."""
        net = self.net
        if net.L < 2:
            return []
        x0, x1 = self._axes(UNIT_GRID)
        G0, G1 = np.meshgrid(x0, x1)
        caches: list = []
        with np.errstate(all="ignore"):
            _layers.forward_layers(net._inputs(np.vstack([G0.ravel(), G1.ravel()])), net.parameters,
                                   _layers.layers_of(net.parameters, net.hidden, net.output), caches=caches,
                                   state=net.layer_state, training=False)
        out = []
        for l, cache in enumerate(caches[:-1], 1):
            A = (net.output if l == net.L else net.hidden).g(cache[1])[:UNITS_SHOWN]
            if not np.isfinite(A).all():
                return None
            out.append(_rounded(A, 3))  # (weights beyond any scale give values np.round cannot take)
        return out

    def _grid(self) -> dict[str, Any]:
        low, high = self.X.min(axis=1), self.X.max(axis=1)
        pad = np.maximum((high - low) * 0.08, 1e-3)
        x0 = np.linspace(low[0] - pad[0], high[0] + pad[0], GRID)
        x1 = np.linspace(low[1] - pad[1], high[1] + pad[1], GRID)
        G0, G1 = np.meshgrid(x0, x1)
        if self.regression:  # the prediction itself, in the targets' units, and the targets' range to colour it by
            values = self.net.predict(np.vstack([G0.ravel(), G1.ravel()]))[0]
            if not np.isfinite(values).all():
                raise DeepstepError("values: not finite")
            return {"x0": [float(x0[0]), float(x0[-1])], "x1": [float(x1[0]), float(x1[-1])], "n": GRID,
                    "values": np.round(values, 4).tolist(), "binary": False, "regression": True,
                    "low": float(self.labels.min()), "high": float(self.labels.max())}
        P = self.net.predict_proba(np.vstack([G0.ravel(), G1.ravel()]))
        if P.shape[0] == 1:
            values = P[0]
        else:  # the class of each point, and how sure: class + probability in [0, 1)
            values = P.argmax(axis=0) + np.minimum(P.max(axis=0), 0.999)
        return {"x0": [float(x0[0]), float(x0[-1])], "x1": [float(x1[0]), float(x1[-1])], "n": GRID,
                "values": np.round(values, 3).tolist(), "binary": P.shape[0] == 1}

    def explanation(self) -> str:
        """:meth:`next_step` as HTML, with a line saying which points it is on."""
        try:
            explained, notes = self.next_step()
            body = explained.render("html")
        except DeepstepError as exc:
            notes, body = [], f"<p>{html.escape(str(exc))}</p>"
        return f"<p>{html.escape(' '.join(notes))}</p>{body}"

    def next_step(self) -> tuple[Any, list[str]]:
        """The next iteration as :func:`deepstep.explain` writes it out, as the engine will take it: on the whole
        training set with the session's optimizer and its state (full batch); on the first mini-batch's worth of
        points, as an example, with ``batch_size`` (an epoch draws its batches at random); and notes saying so."""
        X, Y, _ = self._split()
        s, m = self.settings, X.shape[1]
        batch = s["batch_size"]
        if batch is not None and batch < m:
            where = (f"one mini-batch of {batch} of the {m} training points (an epoch shuffles them into "
                     f"{-(-m // batch)} batches and takes a step on each)")
            if batch > EXPLAIN_POINTS:
                where = (f"{EXPLAIN_POINTS} points spread over {where}, as an example (the equations are worked out "
                         f"on at most {EXPLAIN_POINTS} points)")
            shown = min(batch, EXPLAIN_POINTS)
        elif m > EXPLAIN_POINTS:
            where = (f"{EXPLAIN_POINTS} of the {m} training points spread over the set, as an example: the engine's "
                     f"next step takes all {m} (the equations are worked out on at most {EXPLAIN_POINTS} points)")
            shown = EXPLAIN_POINTS
        else:
            where, shown = f"all {m} training points: the step the engine takes next", m
        # points evenly spread over the set (the toy sets come ordered by class: the first ones would be one class)
        pick = np.linspace(0, m - 1, shown).round().astype(int)
        X, Y = X[:, pick], Y[:, pick]
        optimizer = self.net.optimizer if self.net.optimizer is not None else s["optimizer"]
        notes = [f"On {where}."]
        keep_prob = s["keep_prob"] if self.net.L > 1 else 1.0
        if keep_prob < 1:
            notes.append(f"Dropout (keep_prob {keep_prob:g}): the masks D[l] shown are one draw; training draws new "
                         "ones at every step.")
        return explain(self.net, X, Y, learning_rate=s["learning_rate"], l2=s["l2"], optimizer=optimizer,
                       keep_prob=keep_prob, max_checked=EXPLAIN_CHECKED, rng=len(self.net.history)), notes

    def model_bytes(self) -> bytes:
        """The network as a deepstep model file."""
        self.net.metadata.update(dataset=self.settings["dataset"], classes=self.classes or None,
                                 task="regression" if self.regression else "classification",
                                 playground={k: v for k, v in self.settings.items() if k != "csv"})
        with tempfile.TemporaryDirectory(prefix="deepstep-playground-") as folder:
            path = Path(folder) / "model.npz"
            self.net.save(path)
            return path.read_bytes()


class Sessions:
    """The live sessions: at most ``max_sessions`` (the least recently used ends first), each ending after
    ``idle_seconds`` without a request."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, idle_seconds: float = IDLE_SECONDS) -> None:
        self.max_sessions, self.idle_seconds = max_sessions, idle_seconds
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if now - s.last_used > self.idle_seconds]:
            del self._sessions[key]

    def create(self, settings: dict[str, Any]) -> Session:
        """A new session of checked ``settings``, stored (see :meth:`add`)."""
        session = Session.create(settings)  # outside the lock: data and network are made here
        self.add(session)
        return session

    def add(self, session: Session) -> None:
        """Store ``session``, ending idle sessions and, beyond ``max_sessions``, the least recently used."""
        with self._lock:
            self._expire(time.monotonic())
            while len(self._sessions) >= self.max_sessions:
                self._sessions.popitem(last=False)
            self._sessions[session.id] = session

    def get(self, session_id: str) -> Session | None:
        """The session (now counted as used), or None when there is none: never made, closed, idle or evicted."""
        with self._lock:
            now = time.monotonic()
            self._expire(now)
            session = self._sessions.get(session_id)
            if session is not None:
                session.last_used = now
                self._sessions.move_to_end(session_id)
            return session

    def close(self, session_id: str) -> bool:
        """End the session; whether there was one."""
        with self._lock:
            return self._sessions.pop(session_id, None) is not None
