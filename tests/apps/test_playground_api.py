"""The playground's server over real HTTP (uvicorn on the loopback address): sessions train with the real engine
(the same costs as a DeepNetwork trained by hand), bad settings are 4xx with a message, uploads are bounded, and
the sessions stay bounded under many tabs."""

from __future__ import annotations

import http.client
import json
import threading
import time

import numpy as np
import pytest

import deepstep as ds
from deepstep.data.split import validation_split

pytest.importorskip("starlette", reason="the playground extra: pip install 'deepstep[playground]'")
uvicorn = pytest.importorskip("uvicorn")
playground = pytest.importorskip("deepstep.playground")


class Server:
    """uvicorn serving the playground in a thread, on a free loopback port."""

    def __init__(self, sessions, **options):
        self.sessions = sessions
        self.sock = playground.listen("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.app = playground.create_app(sessions, **options)
        self.token = self.app.state.token
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)

    def request(self, method, path, body=None, raw=None, headers=None):
        """(status, JSON or bytes) of a request as the page makes it (its token and content type), ``headers``
        added or, where None, left out."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = {"Content-Type": "application/json", playground.TOKEN_HEADER: self.token, **(headers or {})}
        connection.request(method, path, body=data, headers={k: v for k, v in sent.items() if v is not None})
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        kind = response.getheader("Content-Type") or ""
        return response.status, (json.loads(payload) if "json" in kind and payload else payload)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def server():
    s = Server(playground.Sessions(max_sessions=8, idle_seconds=600))
    yield s
    s.stop()


def create(server, **settings):
    status, body = server.request("POST", "/api/sessions", settings)
    assert status == 201, body
    return body["id"], body["state"]


def test_the_page_is_served(server):
    status, page = server.request("GET", "/")
    assert status == 200 and b"<title>deepstep playground</title>" in page


def test_a_session_trains_with_the_real_engine(server):
    """The session's costs are those of a DeepNetwork made and trained by hand on the same split."""
    sid, state = create(server, dataset="moons", points=200, hidden=[5], hidden_activation="tanh",
                        learning_rate=0.5, optimizer="momentum", seed=3, validation_fraction=0.25)
    assert state["iteration"] == 0 and state["layer_dims"] == [2, 5, 1]
    assert len(state["points"]["label"]) == 200 and sum(state["points"]["train"]) == 150
    assert len(state["boundary"]["values"]) == playground.GRID ** 2
    for _ in range(3):
        status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 40})
        assert status == 200
    assert state["iteration"] == 120
    X, Y = ds.datasets.make_moons(m=200, rng=3)
    held = validation_split(Y[0], 0.25, 3)  # the one hold-out rule, with the session's seed
    net = ds.DeepNetwork([2, 5, 1], "tanh", "sigmoid", "auto", rng=3, standardize=True)
    for _ in range(3):
        net.fit(X[:, ~held], Y[:, ~held], 0.5, 40, optimizer="momentum", validation_data=(X[:, held], Y[:, held]))
    assert [c for _, c in state["cost"]] == [round(c, 6) for c in net.history.cost]
    assert state["train_accuracy"] == net.accuracy(X[:, ~held], Y[:, ~held])
    assert state["val_accuracy"] == net.accuracy(X[:, held], Y[:, held])
    np.testing.assert_allclose(state["weights"][0], net.parameters["W1"], rtol=1e-5)  # (6 significant digits)


def test_a_session_with_batch_normalization_trains_as_the_network_does(server):
    sid, state = create(server, dataset="moons", points=120, hidden=[6, 4], hidden_activation="relu",
                        learning_rate=0.05, optimizer="adam", batch_size=32, seed=4, batch_norm=True)
    status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 20})
    assert status == 200 and state["batch_norm"] == [1, 2] and state["settings"]["batch_norm"] is True
    X, Y = ds.datasets.make_moons(m=120, rng=4)
    held = validation_split(Y[0], 0.2, 4)
    net = ds.DeepNetwork([2, 6, 4, 1], "relu", "sigmoid", "auto", rng=4, standardize=True, batch_norm=True)
    net.fit(X[:, ~held], Y[:, ~held], 0.05, 20, batch_size=32, optimizer="adam",
            validation_data=(X[:, held], Y[:, held]))
    assert [c for _, c in state["cost"]] == [round(c, 6) for c in net.history.cost]
    np.testing.assert_allclose(state["biases"][0], np.round(net.parameters["beta1"][:, 0], 4))  # beta: its shift
    status, body = server.request("POST", "/api/sessions", {"batch_norm": "yes"})
    assert status == 400 and "batch_norm" in body["error"]


@pytest.mark.parametrize("dataset", ["spiral", "xor", "gaussian"])
def test_the_spiral_xor_and_gaussian_sets_with_their_noise(server, dataset):
    sid, state = create(server, dataset=dataset, points=100, noise=0.05, seed=2)
    X, Y = getattr(ds.datasets, f"make_{dataset}")(m=100, noise=0.05, rng=2)
    np.testing.assert_allclose(state["points"]["x"], np.round(X, 5))  # (as the page takes them: x row, y row)
    assert state["points"]["label"] == Y[0].tolist()
    assert server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 5})[0] == 200


@pytest.mark.parametrize("init", ["zeros", "large"])
def test_the_courses_bad_starts_are_shown_with_their_lesson(server, init):
    sid, state = create(server, init=init, hidden=[4], seed=1)
    assert any(remark.startswith(f"{init}:") for remark in state["remarks"])
    W1 = np.array(state["weights"][0])
    if init == "zeros":  # symmetry: every unit of the layer stays the same as training goes on
        assert not W1.any()
        _, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 30})
        W1 = np.array(state["weights"][0])
        assert np.allclose(W1, W1[:1])
    else:
        assert np.abs(W1).mean() > 3  # randn * 10


def test_each_hidden_unit_is_pictured_over_the_plane(server):
    sid, state = create(server, hidden=[3, 20], hidden_activation="tanh", seed=5)
    units = state["units"]
    assert [len(layer) for layer in units] == [3, playground.UNITS_SHOWN]  # the first 16 of 20
    assert all(len(u) == playground.UNIT_GRID ** 2 for layer in units for u in layer)
    # a second implementation: the network's own A[1] at one grid point (x0 lowest, x1 lowest: entry 0)
    session = server.sessions.get(sid)
    net, X = session.net, session.X
    low, high = X.min(axis=1), X.max(axis=1)
    corner = (low - np.maximum((high - low) * 0.08, 1e-3))[:, np.newaxis]
    A1 = np.tanh(net.parameters["W1"] @ net._inputs(corner) + net.parameters["b1"])  # (as predict takes X)
    np.testing.assert_allclose([u[0] for u in units[0]], np.round(A1[:, 0], 3), atol=1e-3)


def test_dead_relu_units_are_remarked(server):
    sid, _ = create(server, hidden_activation="relu", hidden=[6], learning_rate=50, seed=2)
    _, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 20})
    net = server.sessions.get(sid).net
    Z1 = net.parameters["W1"] @ net._inputs(server.sessions.get(sid).X) + net.parameters["b1"]
    dead = int(np.sum(np.all(Z1 <= 0, axis=1)))
    said = [r for r in state["remarks"] if "ReLU units of layer 1" in r]
    assert dead > 0 and said and said[0].startswith(f"{dead} of the 6")  # (a learning rate of 50 kills most)


def test_the_state_carries_the_last_signals_and_the_courses_reading(server):
    sid, fresh = create(server, hidden_activation="tanh", hidden=[4, 3], seed=3)
    assert fresh["signals"] is None  # (nothing trained yet)
    _, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 30})
    net = server.sessions.get(sid).net
    sig = state["signals"]
    # the record of the chunk's last iteration: the parameters it ended with (a second implementation: the norms)
    for l in (1, 2, 3):
        assert sig["W_norm"][l - 1] == pytest.approx(np.linalg.norm(net.parameters[f"W{l}"]), rel=1e-9)
    assert sig["dead"] == [None, None, None] and sig["saturated"][2] is None
    advice = net.diagnosis()["advice"]
    assert all(line[:1].upper() + line[1:] + "." in state["remarks"] for line in advice)


def test_step_explains_and_reset_starts_again(server):
    sid, first = create(server, seed=5)
    status, stepped = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 1, "explain": True})
    assert status == 200 and stepped["iteration"] == 1
    assert "<math" in stepped["explain"] and "dW" in stepped["explain"] and "WRONG" not in stepped["explain"]
    status, again = server.request("POST", f"/api/sessions/{sid}/reset")
    assert status == 200 and again["iteration"] == 0 and again["weights"] == first["weights"]


def test_a_weight_set_by_hand_is_the_one_training_goes_on_from(server):
    """W[l][i, j] := v by hand: the state shows it, and the next iterations are those of a network given that
    weight (trained by hand from the same parameters)."""
    sid, state = create(server, dataset="moons", points=80, hidden=[3], seed=6, validation_fraction=0)
    _, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 3})
    session = server.sessions.get(sid)
    expected = {k: np.array(v) for k, v in session.net.parameters.items()}
    expected["W1"][2, 1] = -1.75
    status, state = server.request("POST", f"/api/sessions/{sid}/weight",
                                   {"layer": 1, "row": 2, "column": 1, "value": -1.75})
    assert status == 200 and state["weights"][0][2][1] == -1.75 and state["iteration"] == 3
    assert "<math" in state["explain"]
    net = ds.DeepNetwork([2, 3, 1], "tanh", rng=6, standardize=True)
    net.parameters = expected
    X, Y, _ = session._split()
    net.fit(X, Y, 1.2, 4)  # (its standardizer learned from the same points: the session's)
    _, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 4})
    np.testing.assert_allclose(session.net.parameters["W1"], net.parameters["W1"], rtol=1e-12)
    for body, field in (({"layer": 3, "row": 0, "column": 0, "value": 1}, "layer"),
                        ({"layer": 1, "row": 3, "column": 0, "value": 1}, "row"),
                        ({"layer": 2, "row": 0, "column": 3, "value": 1}, "column"),
                        ({"layer": 1, "row": 0, "column": 0, "value": "abc"}, "value"),
                        ({"layer": 1, "row": 0, "column": 0, "value": 1e9}, "value")):
        before = np.array(session.net.parameters["W1"])
        status, answer = server.request("POST", f"/api/sessions/{sid}/weight", body)
        assert status == 400 and answer["error"].split(":")[0] == field, answer
        np.testing.assert_array_equal(session.net.parameters["W1"], before)  # nothing changed


@pytest.mark.parametrize("dataset", ["plane", "hills"])
def test_a_regression_set_trains_as_a_regressor_made_by_hand(server, dataset, tmp_path):
    """The plane and the hills: a linear output and the squared error; the costs, R^2 and the predictions over
    the plane are those of a DeepNetwork regressor trained by hand on the same split."""
    sid, state = create(server, dataset=dataset, points=150, hidden=[6], learning_rate=0.03, optimizer="adam",
                        seed=2, validation_fraction=0.2)
    assert state["task"] == "regression" and state["score"] == "R^2" and state["layer_dims"] == [2, 6, 1]
    status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 40})
    assert status == 200
    X, Y = getattr(ds.datasets, f"make_{dataset}")(m=150, rng=2)
    held = validation_split(np.zeros(150), 0.2, 2)
    net = ds.DeepNetwork([2, 6, 1], "tanh", "linear", rng=2, standardize=True)
    net.fit(X[:, ~held], Y[:, ~held], 0.03, 40, optimizer="adam", validation_data=(X[:, held], Y[:, held]))
    assert [c for _, c in state["cost"]] == [round(c, 6) for c in net.history.cost]
    assert state["train_accuracy"] == pytest.approx(net.score(X[:, ~held], Y[:, ~held]), rel=1e-12)
    assert state["val_accuracy"] == pytest.approx(net.score(X[:, held], Y[:, held]), rel=1e-12)
    np.testing.assert_allclose(state["points"]["label"] if "points" in state else
                               server.request("GET", f"/api/sessions/{sid}/state?points=1")[1]["points"]["label"],
                               np.round(Y[0], 5))
    b = state["boundary"]
    assert b["regression"] and b["low"] == Y.min() and b["high"] == Y.max()
    corner = np.array([[b["x0"][0]], [b["x1"][0]]])  # the grid's first value: x0 lowest, x1 lowest
    assert b["values"][0] == pytest.approx(float(net.predict(corner)[0, 0]), abs=1e-4)
    assert "WRONG" not in server.request("GET", f"/api/sessions/{sid}/state?explain=1")[1]["explain"]
    status, data = server.request("GET", f"/api/sessions/{sid}/model")
    (tmp_path / "m.npz").write_bytes(data)
    loaded = ds.load_model(tmp_path / "m.npz")
    np.testing.assert_allclose(loaded.predict(X), net.predict(X), rtol=1e-10)


def test_the_hills_are_learned(server):
    sid, _ = create(server, dataset="hills", hidden=[8, 8], learning_rate=0.03, optimizer="adam", seed=1)
    _, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 600})
    assert state["val_accuracy"] > 0.95  # R^2 on the held-out points


def test_the_model_downloads_as_a_model_file(server, tmp_path):
    sid, _ = create(server, dataset="blobs", points=90, hidden=[6], seed=2)
    server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 25})
    status, data = server.request("GET", f"/api/sessions/{sid}/model")
    assert status == 200 and isinstance(data, bytes)
    (tmp_path / "m.npz").write_bytes(data)
    net = ds.load_model(tmp_path / "m.npz")
    _, state = server.request("GET", f"/api/sessions/{sid}/state")
    assert len(net.history.cost) == 25 == state["iteration"]
    np.testing.assert_allclose(net.parameters["W2"], state["weights"][1], rtol=1e-5)


def test_a_csv_of_points_is_a_data_set(server):
    rng = np.random.default_rng(0)
    pts = rng.standard_normal((60, 2))
    rows = "\n".join(f"{a:.4f},{b:.4f},{'in' if a * a + b * b < 1 else 'out'}" for a, b in pts)
    sid, state = create(server, dataset="csv", csv="x1,x2,label\n" + rows + "\n", hidden=[3])
    assert state["classes"] == ["in", "out"] and len(state["points"]["label"]) == 60


@pytest.mark.parametrize("settings, message", [
    ({"hidden": [0]}, "hidden: expected hidden sizes >= 1, got int 0"),
    ({"learning_rate": -1}, "learning_rate: expected a positive finite number"),
    ({"hidden": [4, 500]}, "hidden: expected at most 6 layers of at most 64 units"),
    ({"optimizer": "sgd9"}, "optimizer: expected one of"),
    ({"dataset": "csv", "csv": "x1,x2,label\n1,a,0\n2,3,1\n"}, "csv: x2: expected numeric features"),
    ({"dataset": "csv", "csv": "a,b,c,label\n" + "1,2,3,0\n4,5,6,1\n" * 10}, "csv: expected 2 feature columns"),
    ({"dataset": "mnist"}, "dataset: expected one of"),
    ({"colour": "red"}, "colour: unknown setting"),
    ({"init": []}, "init: expected one of"),  # (found by the fuzz test: an unhashable value once answered 500)
    ({"init": "huge"}, "init: expected one of"),
])
def test_bad_settings_are_400_with_a_message(server, settings, message):
    before = len(server.sessions)
    status, body = server.request("POST", "/api/sessions", settings)
    assert status == 400 and message in body["error"], body
    assert len(server.sessions) == before


def test_a_100_mb_upload_is_refused_without_reading_it(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", "/api/sessions")
    connection.putheader("Content-Type", "application/json")
    connection.putheader(playground.TOKEN_HEADER, server.token)
    connection.putheader("Content-Length", str(100 * 1024 * 1024))
    connection.endheaders()
    connection.send(b'{"dataset": "csv", "csv": "' + b"1" * 65536)
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status == 413 and "upload: expected at most 2 MiB" in body["error"]


@pytest.mark.parametrize("body, status, message", [
    ({"iterations": 0}, 400, "iterations"), ({"iterations": 5000}, 400, "iterations"),
    ({"iterations": "ten"}, 400, "iterations"),
])
def test_bad_train_requests(server, body, status, message):
    sid, _ = create(server)
    got, answer = server.request("POST", f"/api/sessions/{sid}/train", body)
    assert got == status and message in answer["error"]
    got, answer = server.request("POST", f"/api/sessions/{sid}/train", raw=b"{not json")
    assert got == 400 and "body: expected JSON" in answer["error"]
    got, answer = server.request("POST", "/api/sessions/nope/train", {"iterations": 1})
    assert got == 404 and "no such session" in answer["error"]


def test_fifty_tabs_open_and_close_and_the_sessions_stay_bounded(server):
    """50 sessions on a server that keeps at most 8: never more than 8 at once (the least recently used end
    first, and their pages are told so: 404), and none left once every tab has closed."""
    ids = []
    for k in range(50):
        sid, _ = create(server, points=50, seed=k)
        ids.append(sid)
        assert len(server.sessions) <= 8
    assert len(server.sessions) == 8  # the newest
    assert server.request("GET", f"/api/sessions/{ids[0]}/state")[0] == 404  # ended to make room
    assert server.request("GET", f"/api/sessions/{ids[-1]}/state")[0] == 200
    for sid in ids:
        status, _ = server.request("DELETE", f"/api/sessions/{sid}")
        assert status == 204
    assert len(server.sessions) == 0


def test_idle_sessions_end():
    sessions = playground.Sessions(max_sessions=4, idle_seconds=0.2)
    session = sessions.create(playground.check_settings({"points": 20}))
    assert sessions.get(session.id) is session
    time.sleep(0.3)
    assert sessions.get(session.id) is None and len(sessions) == 0


def test_overlapping_requests_of_one_tab_are_taken_in_turn(server):
    sid, _ = create(server, points=100)
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 30}))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[1]["iteration"] for r in results) == [30, 60, 90, 120]


def test_the_command_serves_until_ctrl_c():
    import signal
    import subprocess
    import sys
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-m", "deepstep", "playground", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("deepstep playground at http://127.0.0.1:") and "(Ctrl-C stops it)" in line
        url = line.split(" at ")[1].split(" ")[0]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"deepstep playground" in response.read()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in err


def test_a_port_in_use_is_one_line(capsys):
    from deepstep import cli

    taken = playground.listen("127.0.0.1", 0)
    try:
        status = cli.main(["playground", "--port", str(taken.getsockname()[1])])
    finally:
        taken.close()
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "--port: cannot listen on 127.0.0.1 port" in err
    from deepstep.core import compiled

    assert compiled.ENABLED  # the server turns numba's loops off only while it serves


def test_without_the_extra_the_message_names_the_pip_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "starlette", None)
    with pytest.raises(ds.DeepstepError, match=r"pip install 'deepstep\[playground\]'"):
        playground.create_app()


@pytest.mark.parametrize("settings", [{"optimizer": "adam", "learning_rate": 0.05},
                                      {"optimizer": "momentum", "learning_rate": 0.5, "l2": 0.1}])
def test_the_equations_shown_are_the_step_the_engine_takes(settings):
    """Full batch: the update the page shows is the one the next iteration makes (optimizer state included)."""
    session = playground.Session.create(playground.check_settings({"points": 80, "seed": 2, **settings}))
    session.train_for(3)
    explained, notes = session.next_step()
    assert notes[0].startswith("On all 64 training points: the step the engine takes next")
    session.train_for(1)
    shown = {st.equation.split(" ")[0]: st.value for st in explained.steps if st.phase == "update"}
    for key, P in session.net.parameters.items():
        np.testing.assert_allclose(shown[f"{key[0]}[{key[1:]}]"], P, rtol=1e-12, atol=1e-15)
    assert explained.checks_pass


def test_mini_batches_are_explained_on_one_batch_and_say_so():
    session = playground.Session.create(playground.check_settings({"points": 100, "batch_size": 16,
                                                                   "keep_prob": 0.8, "hidden": [5]}))
    explained, notes = session.next_step()
    assert explained.m == 16
    assert "one mini-batch of 16 of the 80 training points" in notes[0] and "Dropout" in notes[1]


def test_the_store_given_is_the_one_used():
    store = playground.Sessions(max_sessions=2)
    app = playground.create_app(store)
    assert app.state.sessions is store


def test_a_session_stops_at_its_iteration_budget(server, monkeypatch):
    monkeypatch.setattr(playground.session, "MAX_SESSION_ITERATIONS", 50)  # (the bound Session.train_for reads)
    sid, _ = create(server, points=40)
    assert server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 40})[0] == 200
    status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 20})
    assert status == 409 and state["iteration"] == 40
    assert "a session trains at most 50 iterations, and this one has trained 40; Reset" in state["error"]


def test_points_too_far_out_to_draw_are_refused(server):
    rows = "".join(f"{1.7e308 if k % 2 else -1.7e308},{k},{k % 2}\n" for k in range(12))
    status, body = server.request("POST", "/api/sessions", {"dataset": "csv", "csv": "x1,x2,label\n" + rows})
    assert status == 400 and "csv: expected coordinates between -1e+06 and 1e+06" in body["error"]


def test_a_host_that_is_not_this_machine_is_named(capsys):
    from deepstep import cli

    status = cli.main(["playground", "--host", "192.0.2.1", "--port", "0"])  # TEST-NET-1: never ours
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "--host: cannot listen on 192.0.2.1" in err

