# ruff: noqa: F811  (the server fixture is imported from test_playground_api, one definition for all three files)
"""Every failure of a playground request is a 4xx with its own message, never a 500 or a traceback: JSON nested
100,000 deep is a 400 naming the body; a diverging run answers the divergence guard's advice with the last sound
state (weights beyond any scale included), and the session goes on being served."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the playground extra: pip install 'deepstep[playground]'")
pytest.importorskip("uvicorn")
playground = pytest.importorskip("deepstep.playground")

from test_playground_api import Server, create, server  # noqa: E402, F401 - after the skips; the module's server


@pytest.mark.parametrize("depth", [100_000, 2_000, playground.MAX_JSON_DEPTH + 1])
def test_deeply_nested_json_is_a_400_naming_the_body(server, depth):
    raw = b"[" * depth + b"]" * depth
    before = len(server.sessions)
    status, body = server.request("POST", "/api/sessions", raw=raw)
    assert status == 400 and body["error"] == f"body: expected JSON nested at most {playground.MAX_JSON_DEPTH} deep"
    assert len(server.sessions) == before
    sid, _ = create(server, points=20)
    status, body = server.request("POST", f"/api/sessions/{sid}/train", raw=b'{"iterations": ' + raw + b"}")
    assert status == 400 and body["error"].startswith("body: expected JSON nested")


def test_json_as_deep_as_allowed_reaches_the_settings_check(server):
    hidden = 4
    for _ in range(playground.MAX_JSON_DEPTH - 1):  # {"hidden": [...]} is MAX_JSON_DEPTH deep
        hidden = [hidden]
    status, body = server.request("POST", "/api/sessions", {"hidden": hidden})
    assert status == 400 and body["error"].startswith("hidden:")


@pytest.mark.parametrize("raw, named", [
    (b"[1, 2]", "body"), (b'"text"', "body"), (b"\xff\xfe{", "body"), (b'{"iterations": NaN}', "iterations"),
    (b'{"iterations": 1e999}', "iterations"), (b'{"iterations": ' + b"9" * 5000 + b"}", "body"),
    (b'{"iterations": 2, "explain": "yes"}', "explain"),
])
def test_a_bad_train_body_is_a_400_naming_what(server, raw, named):
    sid, _ = create(server, points=20)
    status, body = server.request("POST", f"/api/sessions/{sid}/train", raw=raw)
    assert status == 400 and body["error"].startswith(named + ":"), body


def test_a_diverging_run_answers_the_guards_advice_and_the_last_sound_state(server):
    sid, _ = create(server, hidden_activation="relu", learning_rate=1e6)
    status, state = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 300})
    assert status == 409, state
    assert state["error"].startswith("learning_rate: training diverged at iteration")
    assert "try a smaller learning rate than 1e+06" in state["error"]
    kept = int(re.search(r"put back to those before iteration (\d+)", state["error"]).group(1))
    assert 0 < kept < 300 and state["iteration"] == kept and len(state["cost"]) == kept
    weights = [w for W in state["weights"] for row in W for w in row]
    assert weights and all(isinstance(w, float) and np.isfinite(w) for w in weights)  # the last sound ones
    assert max(abs(w) for w in weights) > 1e3  # (beyond the scale np.round can take: kept as they are)
    assert 0 <= state["train_accuracy"] <= 1 and np.isfinite(state["last_cost"])
    status, again = server.request("GET", f"/api/sessions/{sid}/state?explain=1")
    assert status == 200 and again["iteration"] == kept and again["weights"] == state["weights"]
    status, stepped = server.request("POST", f"/api/sessions/{sid}/train", {"iterations": 1, "explain": True})
    assert status in (200, 409) and "error" not in stepped or stepped["error"].startswith("learning_rate:")
    status, _ = server.request("POST", f"/api/sessions/{sid}/reset")
    assert status == 200


def test_values_beyond_rounding_and_not_finite_become_json():
    a = np.array([[1e300, -1e300, 1.234567], [np.nan, np.inf, -2.0]])
    assert playground._rounded(a, 4) == [[1e300, -1e300, 1.2346], [None, None, -2.0]]
    assert playground._thin([1.0, float("inf"), 0.5]) == [[0, 1.0], [1, None], [2, 0.5]]
    assert playground._dumps({"a": [float("nan"), 1.5]}) == b'{"a":[null,1.5]}'


def test_a_network_whose_outputs_overflow_is_drawn_without_a_boundary():
    session = playground.Session.create(playground.check_settings({"points": 40, "hidden_activation": "relu"}))
    session.net.parameters["W1"][...] = np.nan
    session.net.parameters["W2"][...] = np.array([[1e300, -1e300, np.inf, 2.0]])
    state = session.state()
    assert state["boundary"] is None and state["train_accuracy"] is None and state["val_accuracy"] is None
    assert state["weights"][0][0] == [None, None] and state["weights"][1][0] == [1e300, -1e300, None, 2.0]
