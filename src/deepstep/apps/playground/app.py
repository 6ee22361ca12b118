"""The web app: the ASGI guard in front of it (who may ask: the ``Host``, the token, the origin, the content
type; the security headers on every answer), :func:`create_app` (the routes of the JSON API over
:class:`~deepstep.apps.playground.session.Sessions`, each request's work in a worker thread within its budget, at
most so many at once), and the server: :func:`listen`, :func:`url_of`, :func:`exposure_warning` and
:func:`serve` (uvicorn, until Ctrl-C).  It serves the page beside it, ``page.html``, with the server's token
written in.  It imports the settings, the budget and the session.
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
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ...core import compiled
from ...errors import DeepstepError, _describe, check_number
from .budget import _Budget, _Interrupted
from .session import Session, Sessions
from .settings import (
    MAX_CONNECTIONS,
    MAX_ITERATIONS_PER_REQUEST,
    MAX_JSON_DEPTH,
    MAX_UPLOAD_BYTES,
    MAX_WAITING,
    STOP_SECONDS,
    TRAIN_SECONDS,
    WAIT_SECONDS,
    WORK_SECONDS,
    WORKERS,
    SettingsError,
    check_settings,
)

TOKEN_HEADER = "X-Deepstep-Token"
"""The header every /api request carries: the server's token, as the page it serves holds it."""
PAGE = Path(__file__).with_name("page.html")
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
    from ...extras import require

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
    async def weight(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return error(404, NO_SESSION)
        body = await body_object(request)

        def run(budget: _Budget) -> dict[str, Any]:
            with session.lock:
                budget.check()
                session.set_weight(body.get("layer"), body.get("row"), body.get("column"), body.get("value"))
                return session.state(with_explain=True, budget=budget)

        return answer(await working(request, run, session.gate))

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
        Route("/api/sessions/{id}/weight", weight, methods=["POST"]),
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


#: Blocks at least this large are mapped on their own and given back to the system when freed (glibc's mallopt
#: M_MMAP_THRESHOLD; its default rises after the first such block is freed, up to 32 MiB, after which a session's
#: activations stay in the heap and the server's memory keeps what its largest request once needed).
MMAP_THRESHOLD = 1 << 20


def _return_large_blocks() -> None:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD` for this process (the server's), where glibc is the C
    library; elsewhere nothing."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


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
        ``ready(url)``, called once the server serves (and handles Ctrl-C itself).

    Raises
    ------
    DeepstepError
        From :func:`listen`; MissingExtra without uvicorn.
    """
    from ...extras import require

    uvicorn = require("uvicorn", "playground", "the playground")
    _return_large_blocks()
    sock = listen(host, port)
    warning = exposure_warning(sock)
    names: tuple[str, ...] = (host,)
    if warning is not None:  # reached from other machines: by the machine's name too
        names += (socket.gethostname(), f"{socket.gethostname()}.local")
        print(warning, file=sys.stderr, flush=True)
    app = create_app(hosts=names)

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if ready is not None and self.started:  # only now: Ctrl-C is the server's to handle (its signal handlers
                ready(url_of(sock))                  # are in place), and the page is served

        def handle_exit(self, sig: int, frame: Any) -> None:
            # Ctrl-C or SIGTERM: every request's work stops at its next check (within one update), so that
            # uvicorn's wait for the requests at work ends at once
            app.state.stopping.set()
            super().handle_exit(sig, frame)

    # (beyond MAX_CONNECTIONS open connections and requests uvicorn answers 503 itself: memory stays bounded;
    # requests still at work STOP_SECONDS after Ctrl-C are cancelled)
    server = Server(uvicorn.Config(app, log_level="warning", lifespan="off", limit_concurrency=MAX_CONNECTIONS,
                                   timeout_graceful_shutdown=STOP_SECONDS))
    enabled = compiled.ENABLED
    compiled.use(False)  # a request trains for a bounded time: never spend it, and memory, starting numba
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        compiled.use(enabled)
