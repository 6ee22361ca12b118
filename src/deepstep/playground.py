"""The playground: a local web page where a network learns 2-D points while you watch, trained by the real engine.

``deepstep playground`` serves one page (``playground.html``) and a small JSON API (Starlette on uvicorn:
``pip install 'deepstep[playground]'``).  Each browser tab is its own :class:`Session`: its data set, its
:class:`deepstep.DeepNetwork` and its history.  The page asks the server to train a few iterations at a time
(``POST /api/sessions/ID/train``) and draws what comes back: the decision boundary over the points, the
training and validation cost curves, the network with each W[l] coloured by sign and size, and the equations
of the step (:func:`deepstep.explain`).  Nothing trains unless a page asks, so a closed tab costs nothing; a
session idle for :data:`IDLE_SECONDS` ends, and at most :data:`MAX_SESSIONS` live at once (the least recently
used ends first), so that the server's memory stays bounded however many tabs open.

API (JSON in and out; an error is ``{"error": message}`` with a 4xx status)::

    GET    /                              the page
    POST   /api/sessions                  settings -> 201 {"id", "state"}   (400 bad settings, 413 too large)
    POST   /api/sessions/ID/train         {"iterations": k} -> state after k more iterations (1 <= k <= 1000)
    GET    /api/sessions/ID/state         the state (?explain=1: with the equations of the next step)
    POST   /api/sessions/ID/reset         the same settings, a new network -> state
    GET    /api/sessions/ID/model         the model file (.npz), as deepstep train writes it
    DELETE /api/sessions/ID               end the session (POST /api/sessions/ID/close too, for sendBeacon)

Settings: ``dataset`` (planar, moons, circles, blobs, or "csv" with ``csv`` the text of a CSV file of 2-D
points and a label column), ``points`` (m), ``noise``, ``hidden`` (list of layer sizes), ``hidden_activation``,
``init``, ``learning_rate``, ``optimizer``, ``batch_size`` (null: full batch), ``l2``, ``keep_prob``,
``validation_fraction``, ``seed``.
"""

from __future__ import annotations

import errno
import html
import secrets
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DeepstepError, _describe, check_number
from .explain import explain
from .network import DeepNetwork
from .training import stratified_split

__all__ = ["Session", "Sessions", "SettingsError", "create_app", "listen", "serve", "url_of", "MAX_SESSIONS",
           "IDLE_SECONDS", "MAX_UPLOAD_BYTES"]

MAX_SESSIONS = 32
IDLE_SECONDS = 15 * 60
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
"""The largest request body (a CSV upload): 2 MiB, about 50,000 points."""
MAX_POINTS = 20_000
MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 64
MAX_ITERATIONS_PER_REQUEST = 1000
MAX_SESSION_ITERATIONS = 100_000
"""Iterations one session trains at most (its history, two floats an iteration, stays bounded); Reset starts again."""
MAX_COORDINATE = 1e6
"""The largest coordinate of an uploaded point."""
GRID = 64
"""The decision boundary is predicted on GRID x GRID points over the data's range."""
CURVE_POINTS = 400
"""Cost curves are sent as at most this many points (evenly thinned)."""
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
    """The settings, checked (the sweep's checks for those a run has) and completed with :data:`DEFAULTS`.

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
    from .sweep import check_setting

    if not isinstance(raw, dict):
        raise SettingsError(f"settings: expected a JSON object, got {_describe(raw)}")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise SettingsError(f"{unknown[0]}: unknown setting; expected one of {sorted(DEFAULTS)}")
    s = {**DEFAULTS, **{k: v for k, v in raw.items() if v is not None or k in ("batch_size", "noise", "csv")}}
    try:
        if s["dataset"] not in DATASETS:
            raise SettingsError(f"dataset: expected one of {list(DATASETS)}, got {_describe(s['dataset'])}")
        hidden = check_setting("hidden", tuple(s["hidden"]) if isinstance(s["hidden"], list) else s["hidden"],
                               "hidden")
        if len(hidden) > MAX_HIDDEN_LAYERS or any(n > MAX_UNITS for n in hidden):
            raise SettingsError(f"hidden: expected at most {MAX_HIDDEN_LAYERS} layers of at most {MAX_UNITS} units "
                                f"in the playground, got {list(hidden)}")
        out = {"dataset": s["dataset"], "hidden": list(hidden)}
        for key in ("hidden_activation", "init", "learning_rate", "optimizer", "batch_size", "l2", "keep_prob"):
            out[key] = check_setting(key, s[key], key)
        out["points"] = check_number(s["points"], "points", low=10, high=MAX_POINTS, integer=True)
        out["noise"] = None if s["noise"] is None else check_number(s["noise"], "noise", low=0, high=10)
        out["validation_fraction"] = check_number(s["validation_fraction"], "validation_fraction", low=0, high=0.5)
        out["seed"] = check_number(s["seed"], "seed", low=0, high=2**32 - 1, integer=True)
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


def _points(settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """X (2, m), labels (1, m) and the class names of the settings' data set."""
    from . import datasets

    name, m, rng = settings["dataset"], settings["points"], settings["seed"]
    if name == "csv":
        return _read_csv(settings["csv"])
    noise = {} if settings["noise"] is None else {"noise": settings["noise"]}
    X, Y = {"planar": datasets.make_planar, "moons": datasets.make_moons, "circles": datasets.make_circles,
            "blobs": datasets.make_blobs}[name](m=m, rng=rng, **noise)
    return X, Y.astype(np.int64), ["0", "1"]


def _read_csv(text: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A CSV upload through the data loader of ``deepstep train`` (its checks and messages)."""
    from .datasets import load_csv

    with tempfile.TemporaryDirectory(prefix="deepstep-playground-") as folder:
        path = Path(folder) / "upload.csv"
        try:
            path.write_text(text, encoding="utf-8")
            X, Y, classes = load_csv(path, task="classification")
        except DeepstepError as exc:
            message = str(exc).replace(repr(str(path)), "the upload").replace(str(path), "the upload")
            raise SettingsError("csv: " + message.removeprefix("path: ")) from None
    if X.shape[0] != 2:
        raise SettingsError(f"csv: expected 2 feature columns (points in the plane) and a label column, got "
                            f"{X.shape[0]} feature columns")
    if X.shape[1] > MAX_POINTS or X.shape[1] < 10:
        raise SettingsError(f"csv: expected 10 to {MAX_POINTS} rows, got {X.shape[1]}")
    if np.abs(X).max() > MAX_COORDINATE:
        raise SettingsError(f"csv: expected coordinates between -{MAX_COORDINATE:g} and {MAX_COORDINATE:g} (points "
                            f"in the plane to draw), got {np.abs(X).max():.3g}")
    return X, Y, list(classes or [])


def _thin(values: list[float]) -> list[list[float]]:
    """[[iteration, value], ...] of at most CURVE_POINTS points, the last one always among them."""
    n = len(values)
    if n == 0:
        return []
    idx = np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype(int))
    return [[int(i), round(float(values[i]), 6)] for i in idx]


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

    @classmethod
    def create(cls, settings: dict[str, Any], session_id: str | None = None) -> Session:
        X, labels, classes = _points(settings)
        n_classes = max(2, int(labels.max()) + 1)
        train = np.ones(labels.shape[1], dtype=bool)
        if settings["validation_fraction"] > 0:
            held = stratified_split(labels[0], settings["validation_fraction"],
                                    np.random.default_rng([settings["seed"], 1]))
            if held.any() and not held.all():
                train = ~held
        session = cls(session_id or secrets.token_urlsafe(12), settings, X, labels, classes or
                      [str(k) for k in range(n_classes)], train, cls._network(settings, n_classes), time.monotonic(),
                      threading.Lock())
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

    def train_for(self, iterations: int) -> None:
        """``iterations`` more epochs of the real engine (the optimizer goes on with its state)."""
        if len(self.net.history) + iterations > MAX_SESSION_ITERATIONS:
            raise SettingsError(f"iterations: a session trains at most {MAX_SESSION_ITERATIONS} iterations, and this "
                                f"one has trained {len(self.net.history)}; Reset to start again")
        X, Y, validation = self._split()
        s = self.settings
        self.net.fit(X, Y, s["learning_rate"], iterations, batch_size=s["batch_size"], optimizer=s["optimizer"],
                     l2=s["l2"], keep_prob=s["keep_prob"], validation_data=validation)

    def state(self, with_points: bool = False, with_explain: bool = False) -> dict[str, Any]:
        """What the page draws, as JSON-ready data."""
        net, h = self.net, self.net.history
        X, Y, validation = self._split()
        out: dict[str, Any] = {
            "id": self.id, "iteration": len(h), "layer_dims": net.layer_dims, "classes": self.classes,
            "cost": _thin(h.cost), "val_cost": _thin(h.val_cost),
            "train_accuracy": float(net.accuracy(X, Y)),
            "val_accuracy": None if validation is None else float(net.accuracy(*validation)),
            "weights": [np.round(net.parameters[f"W{l}"].astype(np.float64), 4).tolist()
                        for l in range(1, net.L + 1)],
            "biases": [np.round(net.parameters[f"b{l}"][:, 0].astype(np.float64), 4).tolist()
                       for l in range(1, net.L + 1)],
            "boundary": self._boundary(),
            "settings": {k: v for k, v in self.settings.items() if k != "csv"},
        }
        if h.cost:
            out["last_cost"] = h.cost[-1]
        if with_points:
            out["points"] = {"x": np.round(self.X, 5).tolist(), "label": self.labels[0].tolist(),
                             "train": self.train.tolist()}
        if with_explain:
            out["explain"] = self.explanation()
        return out

    def _boundary(self) -> dict[str, Any]:
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
            X, Y = X[:, :batch], Y[:, :batch]
            where = (f"one mini-batch of {batch} of the {m} training points (an epoch shuffles them into "
                     f"{-(-m // batch)} batches and takes a step on each)")
        else:
            where = f"all {m} training points: the step the engine takes next"
        optimizer = self.net.optimizer if self.net.optimizer is not None else s["optimizer"]
        notes = [f"On {where}."]
        if s["keep_prob"] < 1:
            notes.append(f"Dropout (keep_prob {s['keep_prob']:g}) is not shown: it masks the hidden units while "
                         "training.")
        return explain(self.net, X, Y, learning_rate=s["learning_rate"], l2=s["l2"], optimizer=optimizer,
                       max_checked=20, rng=len(self.net.history)), notes

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


def create_app(sessions: Sessions | None = None) -> Any:
    """The playground as an ASGI application (Starlette).

    Parameters
    ----------
    sessions : Sessions, optional
        Where the sessions live (default: a new :class:`Sessions` with its default bounds).

    Returns
    -------
    starlette.applications.Starlette
        ``app.state.sessions`` holds the sessions.

    Raises
    ------
    MissingExtra
        Without Starlette (``pip install 'deepstep[playground]'``).
    """
    from .extras import require

    require("starlette", "playground", "the playground")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    store = sessions if sessions is not None else Sessions()

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def body_json(request: Request) -> Any:
        """The request's JSON, read no further than MAX_UPLOAD_BYTES."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            raise _TooLarge
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise _TooLarge
            chunks.append(chunk)
        import json

        try:
            return json.loads(b"".join(chunks) or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise SettingsError("body: expected JSON") from None

    def session_of(request: Request) -> Session | None:
        return store.get(request.path_params["id"])

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    async def create(request: Request) -> Response:
        def run(settings: dict[str, Any]) -> tuple[Session, dict[str, Any]]:
            session = Session.create(settings)  # made and drawn before it is stored: a failure stores nothing
            state = session.state(with_points=True, with_explain=True)
            store.add(session)
            return session, state

        try:
            settings = check_settings(await body_json(request))
            session, state = await _in_thread(run, settings)
        except _TooLarge:
            return error(413, f"upload: expected at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
        except DeepstepError as exc:
            return error(400, str(exc))
        return JSONResponse({"id": session.id, "state": state}, status_code=201)

    async def train(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, "session: no such session (it ended after being idle); reload the page")
        try:
            body = await body_json(request)
            if not isinstance(body, dict):
                raise SettingsError(f"body: expected a JSON object, got {_describe(body)}")
            iterations = check_number(body.get("iterations", 1), "iterations", low=1,
                                      high=MAX_ITERATIONS_PER_REQUEST, integer=True)
            with_explain = bool(body.get("explain", False))
        except _TooLarge:
            return error(413, "body: too large")
        except DeepstepError as exc:
            return error(400, str(exc))

        def run() -> dict[str, Any]:
            with session.lock:
                explained = session.explanation() if with_explain else None  # the step about to be taken
                try:
                    session.train_for(iterations)
                except DeepstepError as exc:  # diverged (the guard put the last sound parameters back), or too long
                    return {**session.state(), "error": str(exc)}
                state = session.state()
                if explained is not None:
                    state["explain"] = explained
                return state

        state = await _in_thread(run)
        return JSONResponse(state, status_code=409 if "error" in state else 200)

    async def state(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, "session: no such session (it ended after being idle); reload the page")
        with_explain = request.query_params.get("explain") == "1"
        with_points = request.query_params.get("points") == "1"

        def run() -> dict[str, Any]:
            with session.lock:
                return session.state(with_points=with_points, with_explain=with_explain)

        return JSONResponse(await _in_thread(run))

    async def reset(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, "session: no such session (it ended after being idle); reload the page")

        def run() -> dict[str, Any]:
            with session.lock:
                session.reset()
                return session.state(with_explain=True)

        return JSONResponse(await _in_thread(run))

    async def model(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, "session: no such session (it ended after being idle); reload the page")

        def run() -> bytes:
            with session.lock:
                return session.model_bytes()

        data = await _in_thread(run)
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": 'attachment; filename="playground-model.npz"'})

    async def close(request: Request) -> Response:
        store.close(request.path_params["id"])
        return Response(status_code=204)

    app = Starlette(routes=[
        Route("/", page),
        Route("/api/sessions", create, methods=["POST"]),
        Route("/api/sessions/{id}/train", train, methods=["POST"]),
        Route("/api/sessions/{id}/state", state),
        Route("/api/sessions/{id}/reset", reset, methods=["POST"]),
        Route("/api/sessions/{id}/model", model),
        Route("/api/sessions/{id}", close, methods=["DELETE"]),
        Route("/api/sessions/{id}/close", close, methods=["POST"]),
    ])
    app.state.sessions = store
    return app


class _TooLarge(Exception):
    """A request body over MAX_UPLOAD_BYTES."""


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
    from .extras import require

    uvicorn = require("uvicorn", "playground", "the playground")
    app = create_app()
    sock = listen(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    if ready is not None:
        ready(url_of(sock))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
