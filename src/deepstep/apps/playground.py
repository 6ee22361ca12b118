"""The playground: a local web page where a network learns 2-D points while you watch, trained by the real engine.

``deepstep playground`` serves one page (``playground.html``) and a small JSON API (Starlette on uvicorn:
``pip install 'deepstep[playground]'``).  Each browser tab is its own :class:`Session`: its data set, its
:class:`deepstep.DeepNetwork` and its history.  The page asks the server to train a few iterations at a time
(``POST /api/sessions/ID/train``) and draws what comes back: the decision boundary over the points, the
training and validation cost curves, the network with each W[l] coloured by sign and size, and the equations
of the step (:func:`deepstep.explain`).  Nothing trains unless a page asks, so a closed tab costs nothing; a
session idle for :data:`IDLE_SECONDS` ends, and at most :data:`MAX_SESSIONS` live at once (the least recently
used ends first), so that the server's memory stays bounded however many tabs open.

API (JSON in and out; an error is ``{"error": message}`` with a 4xx status, 503 when the server is busy, stopping,
or a request's work took longer than it may)::

    GET    /                              the page (it holds the server's token)
    POST   /api/sessions                  settings -> 201 {"id", "state"}   (400 bad settings, 413 too large)
    POST   /api/sessions/ID/train         {"iterations": k} -> state after at most k more iterations (1 <= k <= 1000;
                                          "trained": how many ran within the request's time budget)
    GET    /api/sessions/ID/state         the state (?explain=1: with the equations of the next step)
    POST   /api/sessions/ID/reset         the same settings, a new network -> state
    GET    /api/sessions/ID/model         the model file (.npz), as deepstep train writes it
    DELETE /api/sessions/ID               end the session (POST /api/sessions/ID/close too)

Who may ask: the server answers only requests whose ``Host`` is the address it serves (or, on the loopback
address, localhost), so that a web page on another name that resolves to this machine (DNS rebinding) gets nothing.
Every ``/api`` request must carry ``X-Deepstep-Token``: a secret made when the server starts and written into the
page it serves (another site's page cannot read it); a request that says where it comes from (``Origin``,
``Sec-Fetch-Site``) must come from the page's own origin; a POST must be ``Content-Type: application/json``.  Any
other path is 404.  Listening on an address other than the loopback one prints a warning: whoever can reach it
can open the page.

Bounds: an uploaded CSV has at most :data:`MAX_CLASSES` classes (one colour each), refused before anything is
built; the network's work, one pass over the points (points x the multiply-adds of its layers, 2 x n[1] + n[1] x
n[2] + ... + n[L-1] x n[L]), is at most :data:`MAX_WORK`, refused (naming ``hidden``) before the network is made.
Every request that works (create, train, state, reset, model) works for at most :data:`WORK_SECONDS` (a train
request: :data:`TRAIN_SECONDS` of training, then at most :data:`WORK_SECONDS` to draw the state; beyond, 503), and
stops when its client goes away or the server is stopped (Ctrl-C, SIGTERM): its work is checked between its steps,
each of which the bounds above keep short (training: before every update), and what it stopped leaves nothing
behind (a session not yet stored is not stored, a reset not finished keeps the network it had; the iterations a
train request finished are kept; on Ctrl-C the command waits at most :data:`STOP_SECONDS` for them).  A train
request trains for at most :data:`TRAIN_SECONDS` (an epoch the budget cuts is undone, as
:meth:`deepstep.DeepNetwork.fit` undoes an interrupted one); the equations (:func:`deepstep.explain`) are worked
out on at most :data:`EXPLAIN_POINTS` points, with :data:`EXPLAIN_CHECKED` finite-difference checks per gradient;
at most :data:`WORKERS` requests work at once and :data:`MAX_WAITING` more wait (for at most
:data:`WAIT_SECONDS`); beyond, 503 (and beyond :data:`MAX_CONNECTIONS` connections, uvicorn's own 503).  A JSON
body is at most :data:`MAX_UPLOAD_BYTES` and nested at most :data:`MAX_JSON_DEPTH` deep.

Settings: ``dataset`` (planar, moons, circles, blobs, or "csv" with ``csv`` the text of a CSV file of 2-D
points and a label column), ``points`` (m), ``noise``, ``hidden`` (list of layer sizes), ``hidden_activation``,
``init``, ``learning_rate``, ``optimizer``, ``batch_size`` (null: full batch), ``l2``, ``keep_prob``,
``validation_fraction``, ``seed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import html
import ipaddress
import json
import secrets
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.split import validation_split
from ..errors import DeepstepError, _describe, check_number
from ..model.network import DeepNetwork
from ..training.callbacks import Callback
from ..training.loop import Run, _optimizer_for
from ..training.settings import SETTINGS
from .explain import explain

__all__ = ["Session", "Sessions", "SettingsError", "create_app", "listen", "serve", "url_of", "exposure_warning",
           "MAX_SESSIONS", "IDLE_SECONDS", "MAX_UPLOAD_BYTES", "TRAIN_SECONDS", "EXPLAIN_POINTS", "EXPLAIN_CHECKED",
           "WORKERS", "MAX_WAITING", "WAIT_SECONDS", "MAX_JSON_DEPTH", "MAX_CONNECTIONS", "TOKEN_HEADER", "MAX_CLASSES",
           "MAX_WORK", "WORK_SECONDS", "STOP_SECONDS"]

MAX_SESSIONS = 32
IDLE_SECONDS = 15 * 60
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
"""The largest request body (a CSV upload): 2 MiB, about 50,000 points."""
MAX_POINTS = 20_000
MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 64
MAX_CLASSES = 10
"""The most classes (distinct labels) of an uploaded CSV: the page draws each class in a colour of its own."""
MAX_WORK = MAX_POINTS * (2 * MAX_UNITS + (MAX_HIDDEN_LAYERS - 1) * MAX_UNITS ** 2 + MAX_UNITS * 1)
"""The most multiply-adds of one pass of the network over the session's points (points x (2 n[1] + n[1] n[2] +
... + n[L-1] n[L])): the largest two-class network on the most points, 413,440,000; a session's every request
costs a few such passes (training: a few per iteration, within :data:`TRAIN_SECONDS`)."""
MAX_ITERATIONS_PER_REQUEST = 1000
MAX_SESSION_ITERATIONS = 100_000
"""Iterations one session trains at most (its history, two floats an iteration, stays bounded); Reset starts again."""
MAX_COORDINATE = 1e6
"""The largest coordinate of an uploaded point."""
GRID = 64
"""The decision boundary is predicted on GRID x GRID points over the data's range."""
CURVE_POINTS = 400
"""Cost curves are sent as at most this many points (evenly thinned)."""
TRAIN_SECONDS = 2.0
"""The longest a train request trains (the iterations done by then are kept and counted in "trained")."""
WORK_SECONDS = 10.0
"""The longest any request works (creating a session, drawing its state, explaining, resetting, saving; a train
request: after its :data:`TRAIN_SECONDS` of training); beyond, 503 and nothing kept of the unfinished work."""
EXPLAIN_POINTS = 128
"""The most points the equations of a step (explain, with its finite-difference checks) are worked out on."""
EXPLAIN_CHECKED = 10
"""Entries of each gradient explain compares with finite differences (two forward passes each)."""
WORKERS = 2
"""Requests at work at once (training, drawing, explaining): the server's CPU stays bounded."""
MAX_WAITING = 8
"""Requests that may wait for a worker; beyond, 503 at once."""
WAIT_SECONDS = 10.0
"""The longest a request waits for a worker before it is answered 503."""
MAX_JSON_DEPTH = 8
"""The deepest nesting of a JSON body (settings are at most 2 deep)."""
MAX_CONNECTIONS = 64
STOP_SECONDS = 2.0
"""The longest the command waits, on Ctrl-C or SIGTERM, for requests still at work (their work stops at once)."""
"""Connections (with their requests) the command's server keeps open at once; beyond, uvicorn answers 503."""
TOKEN_HEADER = "X-Deepstep-Token"
"""The header every /api request carries: the server's token, as the page it serves holds it."""
MAX_VALIDATION_FRACTION = 0.5
"""The largest share of the points the playground holds out for validation."""
DATASETS = ("planar", "moons", "circles", "blobs", "csv")
DEFAULTS: dict[str, Any] = {
    "dataset": "planar", "points": 400, "noise": None, "hidden": [4], "hidden_activation": "tanh", "init": "auto",
    "learning_rate": 1.2, "optimizer": "gd", "batch_size": None, "l2": 0.0, "keep_prob": 1.0,
    "validation_fraction": 0.2, "seed": 1, "csv": None,
}


class SettingsError(DeepstepError):
    """A setting the playground cannot use (answered with 400 and the message)."""


# -- settings ------------------------------------------------------------------------------------------------
def check_settings(raw: Any) -> dict[str, Any]:
    """The settings, checked (by the run settings' table, :data:`deepstep.training.settings.TABLE`, for those a
    run has) and completed with :data:`DEFAULTS`.

    Parameters
    ----------
    raw : dict
        Settings as the page sends them (JSON); see the module docstring.

    Returns
    -------
    dict
        Every setting, checked and canonical.

    Raises
    ------
    SettingsError
        Naming the setting, what was expected and what came.
    """
    if not isinstance(raw, dict):
        raise SettingsError(f"settings: expected a JSON object, got {_describe(raw)}")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise SettingsError(f"{unknown[0]}: unknown setting; expected one of {sorted(DEFAULTS)}")
    s = {**DEFAULTS, **{k: v for k, v in raw.items() if v is not None or k in ("batch_size", "noise", "csv")}}
    try:
        if s["dataset"] not in DATASETS:
            raise SettingsError(f"dataset: expected one of {list(DATASETS)}, got {_describe(s['dataset'])}")
        hidden = SETTINGS["hidden"].check(tuple(s["hidden"]) if isinstance(s["hidden"], list) else s["hidden"])
        if len(hidden) > MAX_HIDDEN_LAYERS or any(n > MAX_UNITS for n in hidden):
            raise SettingsError(f"hidden: expected at most {MAX_HIDDEN_LAYERS} layers of at most {MAX_UNITS} units "
                                f"in the playground, got {list(hidden)}")
        out = {"dataset": s["dataset"], "hidden": list(hidden)}
        for key in ("hidden_activation", "init", "learning_rate", "optimizer", "batch_size", "l2", "keep_prob",
                    "seed"):
            out[key] = SETTINGS[key].check(s[key])
        out["points"] = check_number(s["points"], "points", low=10, high=MAX_POINTS, integer=True)
        out["noise"] = None if s["noise"] is None else check_number(s["noise"], "noise", low=0, high=10)
        out["validation_fraction"] = _validation_fraction(s["validation_fraction"])
    except SettingsError:
        raise
    except DeepstepError as exc:
        raise SettingsError(str(exc)) from None
    if out["dataset"] == "csv":
        if not isinstance(s["csv"], str) or not s["csv"].strip():
            raise SettingsError("csv: expected the text of a CSV file (a header row, 2 feature columns and a label "
                                "column), got none")
        out["csv"] = s["csv"]
    return out


def _validation_fraction(value: Any) -> float:
    """0 (hold out nothing), or the table's validation_fraction (0 < F < 1) of at most MAX_VALIDATION_FRACTION."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0.0
    fraction = SETTINGS["validation_fraction"].check(value)
    if fraction > MAX_VALIDATION_FRACTION:
        raise SettingsError(f"validation_fraction: expected at most {MAX_VALIDATION_FRACTION:g} in the playground (0: "
                            f"none), got {fraction!r}")
    return fraction


def _points(settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """X (2, m), labels (1, m) and the class names of the settings' data set."""
    from ..data import datasets

    name, m, rng = settings["dataset"], settings["points"], settings["seed"]
    if name == "csv":
        return _read_csv(settings["csv"])
    noise = {} if settings["noise"] is None else {"noise": settings["noise"]}
    X, Y = {"planar": datasets.make_planar, "moons": datasets.make_moons, "circles": datasets.make_circles,
            "blobs": datasets.make_blobs}[name](m=m, rng=rng, **noise)
    return X, Y.astype(np.int64), ["0", "1"]


def _read_csv(text: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A CSV upload through the data loader of ``deepstep train`` (its checks and messages)."""
    from ..data.datasets import load_csv

    with tempfile.TemporaryDirectory(prefix="deepstep-playground-") as folder:
        path = Path(folder) / "upload.csv"
        try:
            path.write_text(text, encoding="utf-8")
            X, Y, classes = load_csv(path, task="classification")
        except DeepstepError as exc:
            message = str(exc).replace(repr(str(path)), "the upload").replace(str(path), "the upload")
            raise SettingsError("csv: " + message.removeprefix("path: ")) from None
    if classes is not None and len(classes) > MAX_CLASSES:
        raise SettingsError(f"csv: expected at most {MAX_CLASSES} classes (distinct labels: the playground draws each "
                            f"in a colour of its own), got {len(classes)}")
    if X.shape[0] != 2:
        raise SettingsError(f"csv: expected 2 feature columns (points in the plane) and a label column, got "
                            f"{X.shape[0]} feature columns")
    if X.shape[1] > MAX_POINTS or X.shape[1] < 10:
        raise SettingsError(f"csv: expected 10 to {MAX_POINTS} rows, got {X.shape[1]}")
    if np.abs(X).max() > MAX_COORDINATE:
        raise SettingsError(f"csv: expected coordinates between -{MAX_COORDINATE:g} and {MAX_COORDINATE:g} (points "
                            f"in the plane to draw), got {np.abs(X).max():.3g}")
    return X, Y, list(classes or [])


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


class _Interrupted(Exception):
    """Raised inside a request's work when its time is spent, its client has gone or the server is stopping (an
    epoch it cuts is undone; a session it cuts is not stored).  The message is the answer's (503)."""


class _Budget:
    """A request's work: ``check()`` between its steps raises :class:`_Interrupted` once ``seconds`` have passed or
    ``cancel`` is set (by the event loop: its client went away, or the server is stopping, as ``why`` says)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.cancel = threading.Event()
        self.why = "request: the client went away"

    def stop(self, why: str) -> None:
        if not self.cancel.is_set():
            self.why = why
            self.cancel.set()

    def check(self) -> None:
        if self.cancel.is_set():
            raise _Interrupted(self.why)
        if time.monotonic() >= self.deadline:
            raise _Interrupted(f"server: busy (the request's work took longer than the {self.seconds:g} s it may "
                               "take); try again in a moment")


def _check(budget: _Budget | None) -> None:
    if budget is not None:
        budget.check()


def _work(layer_dims: list[int], m: int) -> int:
    """Multiply-adds of one pass of a network of ``layer_dims`` over m points."""
    return m * sum(layer_dims[k] * layer_dims[k + 1] for k in range(len(layer_dims) - 1))


class _StopWhen(Callback):
    """Ends the run after the epoch during which ``stop()`` became true."""

    def __init__(self, stop: Callable[[], bool]) -> None:
        self.stop = stop

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        if self.stop():
            run.stop_training = True


# -- a session -------------------------------------------------------------------------------------------------
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
        n_classes = max(2, int(labels.max()) + 1, len(classes))
        dims = [2, *settings["hidden"], 1 if n_classes == 2 else n_classes]
        work = _work(dims, X.shape[1])
        if work > MAX_WORK:
            raise SettingsError(f"hidden: expected a network of at most {MAX_WORK:,} multiply-adds a pass over the "
                                f"points in the playground, got {work:,} (a network {dims} on {X.shape[1]} points); "
                                "take fewer or smaller hidden layers, or fewer points")
        train = np.ones(labels.shape[1], dtype=bool)
        if settings["validation_fraction"] > 0:
            with contextlib.suppress(DeepstepError):  # too few points to hold any out: train on all of them
                train = ~validation_split(labels[0], settings["validation_fraction"], settings["seed"])
        session = cls(session_id or secrets.token_urlsafe(12), settings, X, labels, classes or
                      [str(k) for k in range(n_classes)], train, cls._network(settings, n_classes), time.monotonic(),
                      threading.Lock())
        _check(budget)
        return session

    @staticmethod
    def _network(settings: dict[str, Any], n_classes: int) -> DeepNetwork:
        n_out = 1 if n_classes == 2 else n_classes
        return DeepNetwork([2, *settings["hidden"], n_out], settings["hidden_activation"],
                           "sigmoid" if n_out == 1 else "softmax", settings["init"], rng=settings["seed"],
                           standardize=True)

    @property
    def n_classes(self) -> int:
        return max(2, len(self.classes))

    def _split(self) -> tuple[np.ndarray, np.ndarray, tuple | None]:
        held = ~self.train
        validation = (self.X[:, held], self.labels[:, held]) if held.any() else None
        return self.X[:, self.train], self.labels[:, self.train], validation

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
        train_accuracy = self._accuracy(X, Y)
        _check(budget)
        val_accuracy = None if validation is None else self._accuracy(*validation)
        _check(budget)
        boundary = self._boundary()
        _check(budget)
        out: dict[str, Any] = {
            "id": self.id, "iteration": len(h), "layer_dims": net.layer_dims, "classes": self.classes,
            "cost": _thin(h.cost), "val_cost": _thin(h.val_cost),
            "train_accuracy": train_accuracy, "val_accuracy": val_accuracy,
            "weights": [_rounded(net.parameters[f"W{l}"], 4) for l in range(1, net.L + 1)],
            "biases": [_rounded(net.parameters[f"b{l}"][:, 0], 4) for l in range(1, net.L + 1)],
            "boundary": boundary,
            "settings": {k: v for k, v in self.settings.items() if k != "csv"},
        }
        if h.cost:
            out["last_cost"] = _number(h.cost[-1], 12)
        if with_points:
            out["points"] = {"x": np.round(self.X, 5).tolist(), "label": self.labels[0].tolist(),
                             "train": self.train.tolist()}
        if with_explain:
            out["explain"] = self.explanation()
            _check(budget)
        return out

    def _accuracy(self, X: np.ndarray, Y: np.ndarray) -> float | None:
        """The accuracy on (X, Y); None where the network's outputs are not finite (weights beyond any scale)."""
        try:
            return float(self.net.accuracy(X, Y))
        except DeepstepError:
            return None

    def _boundary(self) -> dict[str, Any] | None:
        """The predictions over the grid; None where they are not finite (weights beyond any scale)."""
        try:
            return self._grid()
        except DeepstepError:
            return None

    def _grid(self) -> dict[str, Any]:
        low, high = self.X.min(axis=1), self.X.max(axis=1)
        pad = np.maximum((high - low) * 0.08, 1e-3)
        x0 = np.linspace(low[0] - pad[0], high[0] + pad[0], GRID)
        x1 = np.linspace(low[1] - pad[1], high[1] + pad[1], GRID)
        G0, G1 = np.meshgrid(x0, x1)
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
                where = (f"the first {EXPLAIN_POINTS} points of {where}, as an example (the equations are worked out "
                         f"on at most {EXPLAIN_POINTS} points)")
            X, Y = X[:, :min(batch, EXPLAIN_POINTS)], Y[:, :min(batch, EXPLAIN_POINTS)]
        elif m > EXPLAIN_POINTS:
            X, Y = X[:, :EXPLAIN_POINTS], Y[:, :EXPLAIN_POINTS]
            where = (f"the first {EXPLAIN_POINTS} of the {m} training points, as an example: the engine's next step "
                     f"takes all {m} (the equations are worked out on at most {EXPLAIN_POINTS} points)")
        else:
            where = f"all {m} training points: the step the engine takes next"
        optimizer = self.net.optimizer if self.net.optimizer is not None else s["optimizer"]
        notes = [f"On {where}."]
        if s["keep_prob"] < 1:
            notes.append(f"Dropout (keep_prob {s['keep_prob']:g}) is not shown: it masks the hidden units while "
                         "training.")
        return explain(self.net, X, Y, learning_rate=s["learning_rate"], l2=s["l2"], optimizer=optimizer,
                       max_checked=EXPLAIN_CHECKED, rng=len(self.net.history)), notes

    def model_bytes(self) -> bytes:
        """The network as a deepstep model file."""
        self.net.metadata.update(dataset=self.settings["dataset"], classes=self.classes, task="classification",
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


# -- the web app -------------------------------------------------------------------------------------------------
PAGE = Path(__file__).with_name("playground.html")
TOKEN_PLACEHOLDER = "{{DEEPSTEP_TOKEN}}"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                 b"img-src data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                                 b"form-action 'none'"),
]
CHECKED_HEADERS = ("host", "origin", "sec-fetch-site", TOKEN_HEADER.lower(), "content-type")
NO_SESSION = "session: no such session (it ended after being idle); reload the page"


class _TooLarge(Exception):
    """A request body over MAX_UPLOAD_BYTES."""


class _Busy(Exception):
    """Every worker is busy and the queue is full, or the wait was too long (503)."""


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _host_names(host: str) -> set[str]:
    """The names a Host header may give for ``host`` (an address is bracketed where IPv6)."""
    host = host.lower()
    names = {f"[{host}]" if ":" in host and not host.startswith("[") else host}
    if _is_loopback(host):
        names.update(LOOPBACK_NAMES)
    return names


def _json_depth(value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed JSON) nests at most ``limit`` deep (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return False
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return True


def _dumps(data: Any) -> bytes:
    """JSON of ``data``; a float that is not finite (which JSON cannot hold) becomes null."""
    try:
        return json.dumps(data, allow_nan=False, separators=(",", ":")).encode()
    except ValueError:
        def clean(v: Any) -> Any:
            if isinstance(v, float):
                return v if np.isfinite(v) else None
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            return v
        return json.dumps(clean(data), allow_nan=False, separators=(",", ":")).encode()


class _Guard:
    """The ASGI layer in front of the app: who may ask (Host, token, Origin, content type), and the security
    headers on every answer."""

    def __init__(self, app: Any, token: str, hosts: tuple[str, ...] = ()) -> None:
        self.app, self.token = app, token.encode()
        self.hosts = set().union(*(_host_names(h) for h in hosts)) if hosts else set()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # (websockets: none here)
            await send({"type": "websocket.close", "code": 1008})
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        refusal = self.refusal(scope)
        if refusal is not None:
            status, text = refusal
            body = _dumps({"error": text})
            await send_with_headers({"type": "http.response.start", "status": status,
                                     "headers": [(b"content-type", b"application/json"),
                                                 (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_with_headers)

    def allowed_hosts(self, scope: dict) -> set[str]:
        names = set(self.hosts)
        server = scope.get("server")
        port = None
        if server and server[0] is not None:
            port = server[1]
            names |= _host_names(str(server[0]))
        with_port = {f"{n}:{port}" for n in names} if port is not None else set()
        if port in (None, 80):
            with_port |= names
        return with_port

    def refusal(self, scope: dict) -> tuple[int, str] | None:
        """(status, message) of a request refused here, or None."""
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            name = key.decode("latin-1").lower()
            if name in headers and name in CHECKED_HEADERS:  # two Host (or token) headers are not guessed between
                return 400, f"{name}: expected one {name} header, got several"
            headers[name] = value.decode("latin-1")
        host = headers.get("host", "").strip().lower()
        allowed = self.allowed_hosts(scope)
        if host not in allowed:
            return 403, (f"Host: expected the address this playground serves ({', '.join(sorted(allowed))}), got "
                         f"{_describe(host) if host else 'none'}")
        origin = headers.get("origin")
        if origin is not None and origin.strip().lower() != f"http://{host}":
            return 403, f"Origin: expected http://{host} (the playground's own page), got {_describe(origin)}"
        path, method = scope.get("path", ""), scope.get("method", "GET").upper()
        if not path.startswith("/api/"):
            return None
        site = headers.get("sec-fetch-site")
        if site is not None and site.strip().lower() not in ("same-origin", "none"):
            return 403, f"Sec-Fetch-Site: expected same-origin (the playground's own page), got {_describe(site)}"
        given = headers.get(TOKEN_HEADER.lower())
        if given is None or not hmac.compare_digest(given.strip().encode("latin-1"), self.token):
            return 403, (f"{TOKEN_HEADER}: expected the token of this server's page (reload the page), got "
                         f"{'none' if given is None else 'another'}")
        if method == "POST":
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                return 415, f"Content-Type: expected application/json, got {_describe(kind) if kind else 'none'}"
        return None


class _Work:
    """At most ``workers`` requests at work at once and ``waiting`` more waiting, each for at most ``wait`` s."""

    def __init__(self, workers: int, waiting: int, wait: float) -> None:
        self.workers, self.limit, self.wait = workers, workers + waiting, wait
        self.slots = asyncio.Semaphore(workers)
        self.admitted = 0  # (touched on the event loop only)

    @contextlib.asynccontextmanager
    async def __call__(self, gate: asyncio.Lock | None = None) -> Any:
        if self.admitted >= self.limit:
            raise _Busy(f"server: busy ({self.admitted} requests at work or waiting, at most {self.limit}); try again "
                        "in a moment")
        self.admitted += 1
        held: list[Any] = []

        async def acquire() -> None:
            if gate is not None:
                await gate.acquire()
                held.append(gate)
            await self.slots.acquire()
            held.append(self.slots)

        try:
            try:
                await asyncio.wait_for(acquire(), self.wait)
            except asyncio.TimeoutError:
                raise _Busy(f"server: busy (waited {self.wait:g} s for one of its {self.workers} workers); try again "
                            "in a moment") from None
            yield
        finally:
            for lock in reversed(held):
                lock.release()
            self.admitted -= 1


def create_app(sessions: Sessions | None = None, *, token: str | None = None, hosts: tuple[str, ...] = (),
               train_seconds: float = TRAIN_SECONDS, workers: int = WORKERS, max_waiting: int = MAX_WAITING,
               wait_seconds: float = WAIT_SECONDS, work_seconds: float = WORK_SECONDS) -> Any:
    """The playground as an ASGI application (Starlette).

    Parameters
    ----------
    sessions : Sessions, optional
        Where the sessions live (default: a new :class:`Sessions` with its default bounds).
    token : str, optional
        The secret every /api request carries in :data:`TOKEN_HEADER` (default: a new random one); the page
        served holds it.
    hosts : tuple of str
        Names the ``Host`` header may give besides the address a request came in on (and, on the loopback
        address, localhost).
    train_seconds : float
        The longest one train request trains (:data:`TRAIN_SECONDS`).
    work_seconds : float
        The longest any request works besides training (:data:`WORK_SECONDS`); beyond, 503.
    workers, max_waiting, wait_seconds
        Requests at work at once, how many more may wait and for how long (:data:`WORKERS`,
        :data:`MAX_WAITING`, :data:`WAIT_SECONDS`); beyond, 503.

    Returns
    -------
    starlette.applications.Starlette
        ``app.state.sessions`` holds the sessions, ``app.state.token`` the token; setting the event
        ``app.state.stopping`` stops every request's work (as :func:`serve` does on Ctrl-C or SIGTERM).

    Raises
    ------
    MissingExtra
        Without Starlette (``pip install 'deepstep[playground]'``).
    DeepstepError
        For a bound that is not a positive number, naming it.
    """
    from ..extras import require

    require("starlette", "playground", "the playground")
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    train_seconds = check_number(train_seconds, "train_seconds", low=0, low_inclusive=False)
    workers = check_number(workers, "workers", low=1, integer=True)
    max_waiting = check_number(max_waiting, "max_waiting", low=0, integer=True)
    wait_seconds = check_number(wait_seconds, "wait_seconds", low=0)
    work_seconds = check_number(work_seconds, "work_seconds", low=0, low_inclusive=False)
    if token is None:
        token = secrets.token_urlsafe(32)
    elif not isinstance(token, str) or len(token) < 16 or not token.isascii() or not token.isprintable():
        raise DeepstepError(f"token: expected at least 16 printable ASCII characters, got {_describe(token)}")
    store = sessions if sessions is not None else Sessions()
    work = _Work(workers, max_waiting, wait_seconds)
    stopping = threading.Event()

    def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(_dumps(data), status_code=status, media_type="application/json", headers=headers)

    def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return answer({"error": message}, status, headers)

    def endpoint(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        """Every failure an answer with its message: bad input 400, too large 413, busy 503; never a traceback."""
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except _TooLarge:
                return error(413, f"upload: expected at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
            except (_Busy, _Interrupted) as exc:
                return error(503, str(exc), {"Retry-After": "1"})
            except DeepstepError as exc:
                return error(400, str(exc))
            except Exception as exc:  # noqa: BLE001 - a bug: said in one line, the traceback in the server's log
                traceback.print_exc(file=sys.stderr)
                return error(500, f"server: internal error ({type(exc).__name__}); please report it")
        return run

    async def body_json(request: Request) -> Any:
        """The request's JSON, read no further than MAX_UPLOAD_BYTES and nested at most MAX_JSON_DEPTH deep."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            raise _TooLarge
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise _TooLarge
            chunks.append(chunk)
        data = b"".join(chunks)
        if not data.strip():
            return {}
        try:
            value = json.loads(data)
        except RecursionError:
            value = None
        except (ValueError, UnicodeDecodeError):
            raise SettingsError("body: expected JSON") from None
        else:
            if _json_depth(value, MAX_JSON_DEPTH):
                return value
        raise SettingsError(f"body: expected JSON nested at most {MAX_JSON_DEPTH} deep")

    async def body_object(request: Request) -> dict[str, Any]:
        body = await body_json(request)
        if not isinstance(body, dict):
            raise SettingsError(f"body: expected a JSON object, got {_describe(body)}")
        return body

    def session_of(request: Request) -> Session | None:
        return store.get(request.path_params["id"])

    async def working(request: Request, run: Callable[[_Budget], Any], gate: asyncio.Lock | None = None,
                      seconds: float = work_seconds) -> Any:
        """``run(budget)`` in a worker thread once a worker is free (see :class:`_Work`), within ``seconds``: the
        budget is stopped when the client goes away (asked every 50 ms), when the server is stopping, and when
        this request ends in any other way; ``run`` checks it between its steps (:class:`_Interrupted`)."""
        async with work(gate):
            budget = _Budget(seconds)
            try:
                if stopping.is_set():
                    budget.stop("server: stopping")
                elif await request.is_disconnected():  # gone while it waited: nothing to work for
                    budget.stop("request: the client went away")
                task = asyncio.ensure_future(_in_thread(run, budget))
                while not task.done():
                    await asyncio.wait({task}, timeout=0.05)
                    if task.done() or budget.cancel.is_set():
                        continue
                    if stopping.is_set():
                        budget.stop("server: stopping")
                    elif await request.is_disconnected():
                        budget.stop("request: the client went away")
                return task.result()
            finally:
                budget.stop("request: ended")  # (cancelled, e.g. at shutdown: the thread stops at its next check)

    @endpoint
    async def page(request: Request) -> Response:
        text = PAGE.read_text(encoding="utf-8").replace(TOKEN_PLACEHOLDER, html.escape(token, quote=True))
        return HTMLResponse(text)

    @endpoint
    async def create(request: Request) -> Response:
        settings = check_settings(await body_json(request))

        def run(budget: _Budget) -> tuple[Session, dict[str, Any]]:
            # made and drawn before it is stored: a failure or an interruption stores nothing
            session = Session.create(settings, budget=budget)
            state = session.state(with_points=True, with_explain=True, budget=budget)
            budget.check()
            store.add(session)
            return session, state

        session, state = await working(request, run)
        return answer({"id": session.id, "state": state}, 201)

    @endpoint
    async def train(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, NO_SESSION)
        body = await body_object(request)
        iterations = check_number(body.get("iterations", 1), "iterations", low=1, high=MAX_ITERATIONS_PER_REQUEST,
                                  integer=True)
        with_explain = body.get("explain", False)
        if not isinstance(with_explain, bool):
            raise SettingsError(f"explain: expected true or false, got {_describe(with_explain)}")

        def run(budget: _Budget) -> dict[str, Any]:
            with session.lock:
                budget.check()
                explained = session.explanation() if with_explain else None  # the step about to be taken
                budget.check()
                try:  # (the client gone or the server stopping: the training stops within one update)
                    done = session.train_for(iterations, train_seconds, budget.cancel)
                except DeepstepError as exc:  # diverged (the guard put the last sound parameters back), or too long
                    return {**session.state(budget=budget), "error": str(exc)}
                budget.check()  # (the iterations done are kept; nobody is waiting for the state)
                state = session.state(budget=budget)
                state["trained"] = done
                if done < iterations:
                    state["stopped"] = (f"{done} of {iterations} iterations: the request's {train_seconds:g} s were "
                                        "spent")
                if explained is not None:
                    state["explain"] = explained
                return state

        state = await working(request, run, session.gate, train_seconds + work_seconds)
        return answer(state, 409 if "error" in state else 200)

    @endpoint
    async def state(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, NO_SESSION)
        with_explain = request.query_params.get("explain") == "1"
        with_points = request.query_params.get("points") == "1"

        def run(budget: _Budget) -> dict[str, Any]:
            with session.lock:
                return session.state(with_points=with_points, with_explain=with_explain, budget=budget)

        return answer(await working(request, run, session.gate))

    @endpoint
    async def reset(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, NO_SESSION)
        await body_json(request)  # (read, and refused where it is not JSON; nothing in it is used)

        def run(budget: _Budget) -> dict[str, Any]:
            with session.lock:
                budget.check()
                before = session.net
                session.reset()
                try:
                    return session.state(with_explain=True, budget=budget)
                except _Interrupted:  # not finished: the session keeps the network it had
                    session.net = before
                    raise

        return answer(await working(request, run, session.gate))

    @endpoint
    async def model(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, NO_SESSION)

        def run(budget: _Budget) -> bytes:
            with session.lock:
                budget.check()
                data = session.model_bytes()
                budget.check()
                return data

        data = await working(request, run, session.gate)
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": 'attachment; filename="playground-model.npz"'})

    @endpoint
    async def close(request: Request) -> Response:
        store.close(request.path_params["id"])
        return Response(status_code=204)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 400)
        if status == 404:
            return error(404, f"path: no such page or API call: {_describe(request.url.path)}")
        if status == 405:
            return error(405, f"method: {request.method} is not allowed on {_describe(request.url.path)}",
                         dict(getattr(exc, "headers", None) or {}))
        return error(status, f"request: {getattr(exc, 'detail', '') or 'refused'}")

    app = Starlette(routes=[
        Route("/", page),
        Route("/api/sessions", create, methods=["POST"]),
        Route("/api/sessions/{id}/train", train, methods=["POST"]),
        Route("/api/sessions/{id}/state", state),
        Route("/api/sessions/{id}/reset", reset, methods=["POST"]),
        Route("/api/sessions/{id}/model", model),
        Route("/api/sessions/{id}", close, methods=["DELETE"]),
        Route("/api/sessions/{id}/close", close, methods=["POST"]),
    ], exception_handlers={HTTPException: http_error})
    app.add_middleware(_Guard, token=token, hosts=tuple(hosts))
    app.state.sessions = store
    app.state.token = token
    app.state.stopping = stopping
    return app


async def _in_thread(f: Any, *args: Any) -> Any:
    """``f(*args)`` in Starlette's thread pool (training must not hold up the event loop)."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(f, *args)


def listen(host: str = "127.0.0.1", port: int = 8000) -> socket.socket:
    """A listening socket on (host, port).

    Parameters
    ----------
    host : str
        An address or name of this machine ("127.0.0.1": this machine only).
    port : int
        0: a free port.

    Returns
    -------
    socket.socket

    Raises
    ------
    DeepstepError
        "host: ..." for an address that is not this machine's, "port: ..." for a port in use or not allowed.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise DeepstepError(f"host: cannot listen on {host!r} ({getattr(exc, 'strerror', None) or exc})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        which = "host" if exc.errno == errno.EADDRNOTAVAIL else "port"
        raise DeepstepError(f"{which}: cannot listen on {host} port {port} ({exc.strerror or exc})") from None
    return sock


def url_of(sock: socket.socket) -> str:
    """The page's address on a listening socket: http://HOST:PORT/."""
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def exposure_warning(sock: socket.socket) -> str | None:
    """The warning printed when the playground listens on an address other machines can reach; None on loopback."""
    host, port = sock.getsockname()[:2]
    if _is_loopback(host):
        return None
    where = "every network interface of this machine" if ipaddress.ip_address(host).is_unspecified else host
    return (f"deepstep playground: warning: listening on {where} (port {port}): anyone who can reach this machine "
            "on that port can open the page and train networks on it (it has no login, and its work takes this "
            "machine's CPU); use --host 127.0.0.1 to keep it to this machine")


def serve(host: str = "127.0.0.1", port: int = 8000, ready: Any = None) -> None:
    """Run the playground with uvicorn until Ctrl-C (or SIGTERM).

    Parameters
    ----------
    host, port
        As :func:`listen` takes them.
    ready : callable, optional
        ``ready(url)``, called once the socket listens.

    Raises
    ------
    DeepstepError
        From :func:`listen`; MissingExtra without uvicorn.
    """
    from ..extras import require

    uvicorn = require("uvicorn", "playground", "the playground")
    sock = listen(host, port)
    warning = exposure_warning(sock)
    names: tuple[str, ...] = (host,)
    if warning is not None:  # reached from other machines: by the machine's name too
        names += (socket.gethostname(), f"{socket.gethostname()}.local")
        print(warning, file=sys.stderr, flush=True)
    app = create_app(hosts=names)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            # Ctrl-C or SIGTERM: every request's work stops at its next check (within one update), so that
            # uvicorn's wait for the requests at work ends at once
            app.state.stopping.set()
            super().handle_exit(sig, frame)

    # (beyond MAX_CONNECTIONS open connections and requests uvicorn answers 503 itself: memory stays bounded;
    # requests still at work STOP_SECONDS after Ctrl-C are cancelled)
    server = Server(uvicorn.Config(app, log_level="warning", lifespan="off", limit_concurrency=MAX_CONNECTIONS,
                                   timeout_graceful_shutdown=STOP_SECONDS))
    if ready is not None:
        ready(url_of(sock))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
