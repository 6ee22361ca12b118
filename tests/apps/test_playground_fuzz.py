"""The playground's request handling fuzzed over real HTTP (hypothesis): random methods, paths, headers (Host,
Origin, token, content type) and bodies (JSON of any shape, settings of any values, bytes) never get a 500 and
never a traceback; every refusal is JSON with the error's message."""

from __future__ import annotations

import http.client
import json
import string

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette", reason="the playground extra: pip install 'deepstep[playground]'")
pytest.importorskip("uvicorn")
playground = pytest.importorskip("deepstep.playground")

from test_playground_api import Server  # noqa: E402 - after the skips

SAFE = string.ascii_letters + string.digits + " -_.:/;=,[]{}\"'*()<>@!$&+~%?#"
PATH_CHARS = string.ascii_letters + string.digits + "/-._~%?=&"


@pytest.fixture(scope="module")
def server():
    s = Server(playground.Sessions(max_sessions=6, idle_seconds=600), train_seconds=0.3, wait_seconds=5)
    status, body = s.request("POST", "/api/sessions", {"points": 60, "hidden": [3]})
    assert status == 201
    s.sid = body["id"]
    yield s
    s.stop()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)

setting_values = {
    "dataset": st.sampled_from(["planar", "moons", "circles", "blobs", "csv", "mnist", ""]) | json_values,
    "points": st.integers(-5, 1500) | json_values,
    "noise": st.floats(-1, 20) | json_values,
    "hidden": st.lists(st.integers(-2, 70), max_size=7) | json_values,
    "hidden_activation": st.sampled_from(["tanh", "relu", "leaky_relu", "sigmoid", "softmax"]) | json_values,
    "init": st.sampled_from(["auto", "xavier", "he", "small", "zeros"]) | json_values,
    "learning_rate": st.floats(-1, 1e7) | json_values,
    "optimizer": st.sampled_from(["gd", "momentum", "rmsprop", "adam", "sgd"]) | json_values,
    "batch_size": st.none() | st.integers(-1, 2000) | json_values,
    "l2": st.floats(-1, 1e3) | json_values,
    "keep_prob": st.floats(-0.5, 1.5) | json_values,
    "validation_fraction": st.floats(-0.5, 1) | json_values,
    "seed": st.integers(-1, 2**33) | json_values,
    "csv": st.text(alphabet="0123456789.,-\nxyab e", max_size=300) | json_values,
}
settings_bodies = st.fixed_dictionaries({}, optional=setting_values)
train_bodies = st.fixed_dictionaries({}, optional={"iterations": st.integers(-3, 1200) | json_values,
                                                   "explain": st.booleans() | json_values})
bodies = st.one_of(
    st.none(),
    settings_bodies.map(lambda d: json.dumps(d).encode()),
    train_bodies.map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
)


@st.composite
def requests(draw, envelope: bool):
    """A request; ``envelope``: with the page's own Host, token and content type (the handlers are reached),
    else with random ones of those too."""
    query = st.text(alphabet=PATH_CHARS, max_size=20).map(lambda q: "?" + q)
    anything = st.tuples(st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH"]),
                         st.sampled_from(["/", "/api/sessions", "/api/sessions/{sid}/train", "/api/sessions/{sid}",
                                          "/api/sessions/nope/train", "/api/x", "/nowhere"])
                         | st.text(alphabet=PATH_CHARS, max_size=40).map(lambda p: "/" + p), bodies)
    method, path, body = draw(st.one_of(
        st.tuples(st.just("POST"), st.just("/api/sessions"), settings_bodies.map(lambda d: json.dumps(d).encode())),
        st.tuples(st.just("POST"), st.sampled_from(["/api/sessions/{sid}/train", "/api/sessions/nope/train"]),
                  train_bodies.map(lambda d: json.dumps(d).encode())),
        st.tuples(st.just("POST"), st.sampled_from(["/api/sessions", "/api/sessions/{sid}/train",
                                                    "/api/sessions/{sid}/reset"]), bodies),
        st.tuples(st.just("GET"), st.sampled_from(["/api/sessions/{sid}/state", "/api/sessions/{sid}/model", "/"]),
                  st.none()).flatmap(lambda t: st.tuples(st.just(t[0]), st.just(t[1]) | query.map(
                      lambda q, p=t[1]: p + q), st.just(t[2]))),
        anything,
    ))
    if envelope:
        port_host, token, origin, site = "good", "good", draw(st.sampled_from([None, "good"])), None
        content_type = draw(st.sampled_from(["application/json", "application/json; charset=utf-8"]))
    else:
        port_host = draw(st.sampled_from(["good", "good", "localhost", "evil", "none", "random"]))
        token = draw(st.sampled_from(["good", "good", "bad", "none"]))
        content_type = draw(st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                             None]) | st.text(alphabet=SAFE, max_size=30))
        origin = draw(st.sampled_from([None, None, "good", "http://evil.example", "null"])
                      | st.text(alphabet=SAFE, max_size=30))
        site = draw(st.sampled_from([None, None, "same-origin", "cross-site", "none"]))
    extra = draw(st.dictionaries(st.text(alphabet=string.ascii_letters + "-", min_size=1, max_size=12).filter(
        lambda k: k.lower() not in ("host", "content-length", "transfer-encoding", "connection", "expect",
                                    "content-type", "origin", "sec-fetch-site", playground.TOKEN_HEADER.lower())),
        st.text(alphabet=SAFE, max_size=40), max_size=3))
    return port_host, method, path, token, content_type, origin, site, extra, body


def send(server, request):
    port_host, method, path, token, content_type, origin, site, extra, body = request
    host = {"good": f"127.0.0.1:{server.port}", "localhost": f"localhost:{server.port}", "evil": "evil.example",
            "none": "", "random": "x.y:1"}[port_host]
    headers = dict(extra)
    headers["Host"] = host
    if token != "none":
        headers[playground.TOKEN_HEADER] = server.token if token == "good" else "not-the-token-at-all"
    if content_type is not None:
        headers["Content-Type"] = content_type
    if origin is not None:
        headers["Origin"] = f"http://{host}" if origin == "good" else origin
    if site is not None:
        headers["Sec-Fetch-Site"] = site
    if "{sid}" in path and server.sessions.get(server.sid) is None:  # (closed or evicted by an earlier example)
        status, created = server.request("POST", "/api/sessions", {"points": 60, "hidden": [3]})
        assert status == 201
        server.sid = created["id"]
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(method, path.replace("{sid}", server.sid), body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def check(status, kind, payload, method):
    hypothesis.event(f"status {status}")
    assert status < 500 or status == 503, (status, payload[:300])
    assert b"Traceback" not in payload and b'File "' not in payload
    if status >= 400 and method != "HEAD" and payload and not payload.startswith(b"Invalid HTTP"):
        assert kind == "application/json", (status, kind, payload[:200])
        message = json.loads(payload)["error"]
        assert isinstance(message, str) and message and ":" in message
    if status == 503:
        assert json.loads(payload)["error"].startswith("server: busy")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(request=requests(envelope=True))
def test_no_request_of_the_page_gets_a_500_or_a_traceback(server, request):
    check(*send(server, request), request[1])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(request=requests(envelope=False))
def test_no_request_with_any_headers_gets_a_500_or_a_traceback(server, request):
    check(*send(server, request), request[1])
