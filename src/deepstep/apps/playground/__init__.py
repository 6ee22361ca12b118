"""The playground: a local web page where a network learns 2-D points while you watch, trained by the real engine.

``deepstep playground`` serves one page (``page.html``) and a small JSON API (Starlette on uvicorn:
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
    POST   /api/sessions/ID/weight        {"layer": l, "row": i, "column": j, "value": v}: W[l][i, j] := v -> state
                                          (400 naming a field outside the network, or |v| > MAX_EDITED_WEIGHT)
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

Settings: ``dataset`` (planar, moons, circles, blobs, spiral, xor, gaussian; plane and hills, whose targets are real
values the network regresses; or "csv" with ``csv`` the text of a
CSV file of 2-D points and a label column), ``points`` (m), ``noise``, ``hidden`` (list of layer sizes),
``hidden_activation``, ``init``, ``learning_rate``, ``optimizer``, ``batch_size`` (null: full batch), ``l2``,
``keep_prob``, ``batch_norm``, ``validation_fraction``, ``seed``.

The package, lowest part first (each imports only those above it, never this ``__init__``): ``settings`` (the
bounds above, the defaults and the form checks), ``budget`` (a request's budget of work), ``session``
(:class:`Session`, :class:`Sessions`), ``app`` (the guard, :func:`create_app`, :func:`listen`, :func:`serve`) and
``page.html``, the page.  Every name is importable from here (``deepstep.playground`` too, as in deepstep 0.2); a
test that patches a module global patches it in the part that uses it.
"""

from .app import (  # noqa: F401  (the private names too, as deepstep 0.2's deepstep.playground held them)
    CHECKED_HEADERS,
    LOOPBACK_NAMES,
    NO_SESSION,
    PAGE,
    SECURITY_HEADERS,
    TOKEN_HEADER,
    TOKEN_PLACEHOLDER,
    _Busy,
    _dumps,
    _Guard,
    _host_names,
    _in_thread,
    _is_loopback,
    _json_depth,
    _TooLarge,
    _Work,
    create_app,
    exposure_warning,
    listen,
    serve,
    url_of,
)
from .budget import _Budget, _check, _Interrupted, _StopWhen, _work  # noqa: F401
from .session import Session, Sessions, _number, _rounded, _thin  # noqa: F401
from .settings import (  # noqa: F401
    CURVE_POINTS,
    DATASETS,
    DEFAULTS,
    EXPLAIN_CHECKED,
    EXPLAIN_POINTS,
    GRID,
    IDLE_SECONDS,
    MAX_CLASSES,
    MAX_CONNECTIONS,
    MAX_COORDINATE,
    MAX_EDITED_WEIGHT,
    MAX_HIDDEN_LAYERS,
    MAX_ITERATIONS_PER_REQUEST,
    MAX_JSON_DEPTH,
    MAX_POINTS,
    MAX_SESSION_ITERATIONS,
    MAX_SESSIONS,
    MAX_UNITS,
    MAX_UPLOAD_BYTES,
    MAX_VALIDATION_FRACTION,
    MAX_WAITING,
    MAX_WORK,
    STOP_SECONDS,
    STUCK_AFTER,
    TRAIN_SECONDS,
    UNIT_GRID,
    UNITS_SHOWN,
    WAIT_SECONDS,
    WORK_SECONDS,
    WORKERS,
    SettingsError,
    _points,
    _read_csv,
    _validation_fraction,
    check_settings,
)

__all__ = ["Session", "Sessions", "SettingsError", "create_app", "listen", "serve", "url_of", "exposure_warning",
           "MAX_SESSIONS", "IDLE_SECONDS", "MAX_UPLOAD_BYTES", "TRAIN_SECONDS", "EXPLAIN_POINTS", "EXPLAIN_CHECKED",
           "WORKERS", "MAX_WAITING", "WAIT_SECONDS", "MAX_JSON_DEPTH", "MAX_CONNECTIONS", "TOKEN_HEADER", "MAX_CLASSES",
           "MAX_WORK", "WORK_SECONDS", "STOP_SECONDS"]
