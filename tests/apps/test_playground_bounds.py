"""The playground's work is bounded, over real HTTP on 127.0.0.1: a train request stops at its time budget (the
epoch it cuts undone, so the iterations kept are exactly an uninterrupted run's) and when its client goes away;
a session's creation works out the equations on a bounded slice of points; at most `workers` requests work at
once and the rest wait briefly or get 503; an upload has at most MAX_CLASSES classes and a network at most MAX_WORK
multiply-adds a pass (refused by name before it is made); every request's work stops at its next step once its
client has gone or its `work_seconds` are spent, keeping nothing of it."""

from __future__ import annotations

import gc
import json
import socket
import threading
import time
import tracemalloc

import numpy as np
import pytest

import deepstep as ds
from deepstep.data.split import validation_split

pytest.importorskip("starlette", reason="the playground extra: pip install 'deepstep[playground]'")
pytest.importorskip("uvicorn")
playground = pytest.importorskip("deepstep.playground")

from test_playground_api import Server  # noqa: E402 - after the skips

SLOW = {"points": 20_000, "batch_size": 1, "hidden": [64] * 6, "hidden_activation": "relu", "learning_rate": 0.01,
        "optimizer": "adam"}
"""Within the documented limits, and about ten seconds an iteration (16,000 updates of six layers of 64)."""


@pytest.fixture
def make_server():
    servers = []

    def make(**options):
        s = Server(playground.Sessions(max_sessions=8, idle_seconds=600), **options)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


def create(server, **settings):
    status, body = server.request("POST", "/api/sessions", settings)
    assert status == 201, body
    return body["id"], body["state"]


def test_a_train_request_stops_at_its_time_budget_and_keeps_whole_iterations(make_server):
    server = make_server(train_seconds=0.5)
    settings = {"dataset": "moons", "points": 500, "batch_size": 4, "hidden": [8], "learning_rate": 0.05, "seed": 4,
                "validation_fraction": 0.2}
    sid, _ = create(server, **settings)
    t0 = time.monotonic()
    status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 1000})
    elapsed = time.monotonic() - t0
    assert status == 200 and elapsed < 3.0, (status, elapsed)
    done = state["trained"]
    assert 1 <= done < 1000 and state["iteration"] == done
    assert state["stopped"].startswith(f"{done} of 1000 iterations: the request's 0.5 s were spent")
    # the epoch the budget cut is undone: the iterations kept are those of a network trained by hand, uncut
    X, Y = ds.datasets.make_moons(m=500, rng=4)
    held = validation_split(Y[0], 0.2, 4)  # the one hold-out rule, with the session's seed
    net = ds.DeepNetwork([2, 8, 1], "tanh", "sigmoid", "auto", rng=4, standardize=True)
    net.fit(X[:, ~held], Y[:, ~held], 0.05, done, batch_size=4, validation_data=(X[:, held], Y[:, held]))
    expected = [round(c, 6) for c in net.history.cost]
    assert [c for _, c in state["cost"]] == [expected[i] for i, _ in state["cost"]]
    np.testing.assert_allclose(state["weights"][0], net.parameters["W1"], rtol=1e-5)  # (6 significant digits)
    # and it goes on from there as the uncut run does
    status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 3})
    net.fit(X[:, ~held], Y[:, ~held], 0.05, 3, batch_size=4, validation_data=(X[:, held], Y[:, held]))
    assert status == 200 and state["iteration"] == done + 3 and state["trained"] == 3 and "stopped" not in state
    assert state["cost"][-1][1] == round(net.history.cost[-1], 6)


def test_an_iteration_longer_than_the_budget_is_a_409_naming_batch_size(make_server):
    server = make_server(train_seconds=0.3)
    sid, _ = create(server, **SLOW)
    t0 = time.monotonic()
    status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 1000})
    elapsed = time.monotonic() - t0
    assert status == 409 and elapsed < 3.0, (status, elapsed)  # not the ten minutes of 1000 such iterations
    assert state["error"].startswith("batch_size: one iteration (an epoch of 16000 mini-batches of 1")
    assert state["iteration"] == 0 and state["train_accuracy"] is not None


def test_the_work_stops_when_the_client_goes_away(make_server):
    server = make_server(train_seconds=60)
    sid, _ = create(server, **SLOW)
    session = server.sessions.get(sid)
    body = json.dumps({"iterations": 1000}).encode()
    client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    client.sendall(f"POST /api/sessions/{sid}/train HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                   f"Content-Type: application/json\r\n{playground.TOKEN_HEADER}: {server.token}\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    deadline = time.monotonic() + 10
    while not session.lock.locked():  # training
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)
    client.close()
    gone = time.monotonic()
    while session.lock.locked():
        assert time.monotonic() - gone < 3.0, "the training went on after its client had gone"
        time.sleep(0.01)
    assert len(session.net.history) == 0  # the epoch in progress (ten seconds' worth) was cut and undone
    status, state = server.request("GET", f"/api/sessions/{sid}/state")
    assert status == 200 and state["iteration"] == 0


def test_creating_a_session_explains_a_bounded_slice_of_points(make_server):
    server = make_server()
    t0 = time.monotonic()
    sid, state = create(server, points=20_000, hidden=[64] * 6)
    elapsed = time.monotonic() - t0
    assert elapsed < 8.0, elapsed  # (the finite-difference checks over all 16,000 points took half a minute)
    assert f"On {playground.EXPLAIN_POINTS} of the 16000 training points spread over the set, as an example" in \
        state["explain"]
    session = server.sessions.get(sid)
    explained, notes = session.next_step()
    assert explained.m == playground.EXPLAIN_POINTS and explained.checks_pass


def test_a_large_mini_batch_is_explained_on_a_bounded_slice():
    session = playground.Session.create(playground.check_settings({"points": 2000, "batch_size": 1000}))
    explained, notes = session.next_step()
    assert explained.m == playground.EXPLAIN_POINTS
    assert notes[0].startswith(f"On {playground.EXPLAIN_POINTS} points spread over one mini-batch of 1000 of the "
                               "1600 training points")
    labels = explained.inputs["Y"]  # spread over the set (ordered by class), not its first points: both classes
    assert 0.3 < labels.mean() < 0.7


def test_small_sets_are_still_explained_on_every_point():
    session = playground.Session.create(playground.check_settings({"points": 150}))
    explained, notes = session.next_step()
    assert explained.m == 120 and notes[0].startswith("On all 120 training points: the step the engine takes next")
    X, _, _ = session._split()
    np.testing.assert_array_equal(explained.inputs["X = A[0]"], session.net._inputs(X))  # every point, in order


def test_dropout_is_explained_with_its_masks():
    session = playground.Session.create(playground.check_settings({"points": 60, "hidden": [4, 3],
                                                                    "keep_prob": 0.5}))
    explained, notes = session.next_step()
    assert "D[1] = rand(n[1], m) < keep_prob" in [s.equation for s in explained.steps]
    assert explained.checks_pass and "masks D[l] shown are one draw" in notes[1]


def test_an_unknown_init_lists_the_lesson_inits_too():
    with pytest.raises(playground.SettingsError, match=r"^init: .*'zeros'.*'large'"):
        playground.check_settings({"init": "bogus"})


def test_beyond_the_workers_and_the_queue_requests_get_503(make_server):
    server = make_server(workers=1, max_waiting=0, train_seconds=2.0)
    busy_id, _ = create(server, points=4000, batch_size=8, hidden=[64] * 6)  # (a few iterations a second)
    other_id, _ = create(server, points=40)
    results = []
    worker = threading.Thread(target=lambda: results.append(
        server.request("POST", f"/api/sessions/{busy_id}/train", {"iterations": 1000})))
    worker.start()
    session = server.sessions.get(busy_id)
    deadline = time.monotonic() + 10
    while not session.lock.locked():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    status, body = server.request("POST", f"/api/sessions/{other_id}/train", {"iterations": 1})
    assert status == 503 and body["error"].startswith("server: busy"), body
    status, body = server.request("POST", "/api/sessions", {"points": 40})
    assert status == 503 and body["error"].startswith("server: busy")
    worker.join(30)
    assert results[0][0] == 200 and 1 <= results[0][1]["trained"] < 1000
    status, state = server.request("POST", f"/api/sessions/{other_id}/train", {"iterations": 1})
    assert status == 200 and state["iteration"] == 1  # free again


def test_a_request_waits_for_a_worker_at_most_wait_seconds(make_server):
    server = make_server(workers=1, max_waiting=4, wait_seconds=0.3, train_seconds=2.0)
    busy_id, _ = create(server, points=4000, batch_size=8, hidden=[64] * 6)  # (a few iterations a second)
    other_id, _ = create(server, points=40)
    worker = threading.Thread(target=server.request, args=("POST", f"/api/sessions/{busy_id}/train",
                                                           {"iterations": 1000}))
    worker.start()
    session = server.sessions.get(busy_id)
    while not session.lock.locked():
        time.sleep(0.01)
    t0 = time.monotonic()
    status, body = server.request("GET", f"/api/sessions/{other_id}/state")
    assert status == 503 and "waited 0.3 s" in body["error"] and 0.25 < time.monotonic() - t0 < 1.5
    worker.join(30)


@pytest.mark.parametrize("option, value", [("train_seconds", 0), ("workers", 0), ("max_waiting", -1),
                                           ("wait_seconds", float("nan")), ("token", "short"), ("work_seconds", 0)])
def test_bad_bounds_are_named(option, value):
    with pytest.raises(ds.DeepstepError, match=f"^{option}: expected"):
        playground.create_app(**{option: value})


def csv_of(classes, rows):
    return "x,y,label\n" + "".join(f"{k % 997 / 99:.3f},{k % 991 / 97:.3f},c{k % classes}\n" for k in range(rows))


def named(body):
    """The argument an error names: its message up to the first colon."""
    return body["error"].split(":")[0]


def test_classes_beyond_max_classes_are_refused_by_name_before_anything_is_built(make_server, monkeypatch):
    server = make_server()
    built = []
    monkeypatch.setattr(playground.Session, "_network", staticmethod(lambda *a: built.append(a)))
    for classes in (playground.MAX_CLASSES + 1, 20_000):
        status, body = server.request("POST", "/api/sessions", {"dataset": "csv", "csv": csv_of(classes, 20_000)})
        assert status == 400 and named(body) == "csv", body
    assert built == [] and len(server.sessions) == 0


def test_a_network_beyond_max_work_is_refused_by_name_before_it_is_made(make_server, monkeypatch):
    server = make_server()
    built = []
    monkeypatch.setattr(playground.Session, "_network", staticmethod(lambda *a: built.append(a)))
    # ten classes on the most points and the largest hidden layers: just beyond the largest two-class network's pass
    settings = {"dataset": "csv", "csv": csv_of(10, 20_000), "hidden": [64] * 6}
    assert 20_000 * (2 * 64 + 5 * 64 * 64 + 64 * 10) > playground.MAX_WORK >= 20_000 * (2 * 64 + 5 * 64 * 64 + 64)
    status, body = server.request("POST", "/api/sessions", settings)
    assert status == 400 and named(body) == "hidden", body
    assert built == [] and len(server.sessions) == 0
    monkeypatch.undo()
    status, body = server.request("POST", "/api/sessions", {**settings, "hidden": [64] * 5})
    assert status == 201 and body["state"]["layer_dims"] == [2, *[64] * 5, 10]


def slow(monkeypatch, target, seconds):
    """Make Session.<target> take ``seconds`` more (a step of a request's work); an event set when it starts."""
    started = threading.Event()
    original = getattr(playground.Session, target)

    def slower(*args, **kwargs):
        started.set()
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(playground.Session, target, staticmethod(slower) if target == "_network" else slower)
    return started


def count(monkeypatch, target):
    """Count the calls of Session.<target>."""
    calls = []
    original = getattr(playground.Session, target)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(playground.Session, target, counted)
    return calls


def send_and_leave(server, method, path, body, started, after=0.2):
    """Send a request, wait until its work has started, hang up ``after`` s later."""
    data = b"" if body is None else json.dumps(body).encode()
    client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    client.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
                   f"{playground.TOKEN_HEADER}: {server.token}\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                   + data)
    assert started.wait(10)
    time.sleep(after)
    client.close()


@pytest.mark.parametrize("route", ["create", "reset", "state"])
def test_a_request_whose_client_goes_away_stops_working(make_server, monkeypatch, route):
    """Creation, reset and state stop at their next step once their client has gone: the decision boundary is not
    drawn, nothing is stored, a reset leaves the network as it was."""
    server = make_server(workers=1)
    sid, _ = create(server, points=200, hidden=[8], seed=3)
    session = server.sessions.get(sid)
    net = session.net
    started = slow(monkeypatch, "_score" if route == "state" else "_network", 1.0)
    grids = count(monkeypatch, "_grid")
    method, path, body = {"create": ("POST", "/api/sessions", {"points": 200}),
                          "reset": ("POST", f"/api/sessions/{sid}/reset", {}),
                          "state": ("GET", f"/api/sessions/{sid}/state?explain=1", None)}[route]
    send_and_leave(server, method, path, body, started)
    time.sleep(1.5)  # the slow step is over: the work would go on to the boundary
    assert grids == [], "the work went on after its client had gone"
    assert len(server.sessions) == 1 and session.net is net and not session.lock.locked()
    monkeypatch.undo()
    t0 = time.monotonic()  # and the worker is free again
    status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 2})
    assert status == 200 and state["iteration"] == 2 and time.monotonic() - t0 < 2.0


@pytest.mark.parametrize("route", ["create", "reset", "state", "model"])
def test_a_request_beyond_its_work_seconds_is_503_and_keeps_nothing(make_server, monkeypatch, route):
    server = make_server(work_seconds=0.5)
    sid, _ = create(server, points=200, hidden=[8], seed=3)
    session = server.sessions.get(sid)
    net = session.net
    slow(monkeypatch, {"state": "_score", "model": "model_bytes"}.get(route, "_network"), 1.0)
    grids = count(monkeypatch, "_grid")
    method, path, body = {"create": ("POST", "/api/sessions", {"points": 200}),
                          "reset": ("POST", f"/api/sessions/{sid}/reset", {}),
                          "state": ("GET", f"/api/sessions/{sid}/state", None),
                          "model": ("GET", f"/api/sessions/{sid}/model", None)}[route]
    t0 = time.monotonic()
    status, answer = server.request(method, path, body)
    assert status == 503 and named(answer) == "server" and time.monotonic() - t0 < 2.5, (status, answer)
    assert grids == [] and len(server.sessions) == 1 and session.net is net


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_a_client_gone_before_the_first_update_trains_nothing(optimizer):
    """The cancel check runs before every update of a mini-batch epoch, whichever step trains it (gradient descent's
    folded step steps aside for it): a request whose client has gone trains no epoch and moves nothing."""
    session = playground.Session.create(playground.check_settings({"points": 400, "hidden": [8], "batch_size": 10,
                                                                   "optimizer": optimizer}))
    before = session.net.parameters.copy()
    gone = threading.Event()
    gone.set()
    assert session.train_for(50, None, gone) == 0
    assert len(session.net.history) == 0
    for key, P in before.items():
        np.testing.assert_array_equal(session.net.parameters[key], P)


def test_an_interrupted_epoch_leaves_no_memory_held():
    """The epoch a budget cuts is undone, and its activations (a hundred MiB here) are freed at once, not when the
    cyclic garbage collector next runs: the server's memory after a cut train request is what it was."""
    class CutInTheSecondEpoch(threading.Event):
        looks = 0

        def is_set(self):  # looked at before each update and at each epoch's end: set before epoch 2's update
            self.looks += 1
            return self.looks >= 3

    session = playground.Session.create(playground.check_settings({"points": 20_000, "hidden": [64] * 6}))
    tracemalloc.start()
    gc.disable()
    try:
        assert session.train_for(1000, None, CutInTheSecondEpoch()) == 1
        held, peak = tracemalloc.get_traced_memory()
    finally:
        gc.enable()
        tracemalloc.stop()
    assert peak > 50 * 2**20 and held < 10 * 2**20, (held / 2**20, peak / 2**20)
