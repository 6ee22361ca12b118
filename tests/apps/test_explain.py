"""deepstep explain: one iteration written out equals the same iteration done by hand and by the training loop;
every gradient check is real (it flags a wrong gradient); the three renderings; the CLI; Jupyter's reprs."""

from __future__ import annotations

import importlib
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import deepstep as ds
from deepstep import cli

explain_module = importlib.import_module("deepstep.explain")


def planar_net(hidden="tanh", dims=(2, 3, 1), seed=1):
    return ds.DeepNetwork(list(dims), hidden, rng=seed)


def steps_by_equation(e):
    return {s.equation.split(" ")[0]: s for s in e.steps}


def test_the_steps_are_the_iteration_done_by_hand():
    net = planar_net()
    X, Y = ds.datasets.make_planar(m=5, rng=3)
    W1, b1, W2, b2 = (np.array(net.parameters[k]) for k in ("W1", "b1", "W2", "b2"))
    e = ds.explain(net, X, Y, learning_rate=0.7)
    s = steps_by_equation(e)
    Z1 = W1 @ X + b1
    A1 = np.tanh(Z1)
    Z2 = W2 @ A1 + b2
    A2 = 1 / (1 + np.exp(-Z2))
    m = 5
    J = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
    dZ2 = A2 - Y
    dW2, db2 = dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (1 - A1**2)
    dW1, db1 = dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m
    for name, value in {"Z[1]": Z1, "A[1]": A1, "Z[2]": Z2, "A[2]": A2, "dZ[2]": dZ2, "dW[2]": dW2, "db[2]": db2,
                        "dA[1]": dA1, "dZ[1]": dZ1, "dW[1]": dW1, "db[1]": db1, "W[1]": W1 - 0.7 * dW1,
                        "b[1]": b1 - 0.7 * db1, "W[2]": W2 - 0.7 * dW2, "b[2]": b2 - 0.7 * db2}.items():
        np.testing.assert_allclose(s[name].value, value, rtol=1e-12, atol=1e-15, err_msg=name)
        assert np.shape(s[name].value) == value.shape
    assert e.cost == pytest.approx(J, rel=1e-12)
    assert [st.equation for st in e.steps[:4]] == ["Z[1] = W[1] A[0] + b[1]", "A[1] = tanh(Z[1])",
                                                   "Z[2] = W[2] A[1] + b[2]", "A[2] = sigmoid(Z[2])"]
    assert s["Z[1]"].shapes == "(3, 5) = (3, 2) (2, 5) + (3, 1)"
    assert s["dW[1]"].shapes == "(3, 2) = (3, 5) (5, 2)"
    assert s["dA[1]"].shapes == "(3, 5) = (3, 1) (1, 5)"
    assert s["dZ[1]"].equation == "dZ[1] = dA[1] * (1 - A[1]^2)"
    # backward: dA[2] (the cross-entropy's, before g'), dZ[2], dW[2], db[2], dA[1], dZ[1], dW[1], db[1]
    assert [st.phase for st in e.steps] == ["forward"] * 4 + ["cost"] + ["backward"] * 8 + ["update"] * 4
    assert s["dA[2]"].equation == "dA[2] = -(Y / A[2] - (1 - Y) / (1 - A[2]))"
    A2 = s["A[2]"].value
    np.testing.assert_allclose(s["dA[2]"].value, -(Y / A2 - (1 - Y) / (1 - A2)), rtol=1e-12)


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "leaky_relu:0.2"])
@pytest.mark.parametrize("output, dims", [("sigmoid", (3, 5, 4, 1)), ("softmax", (3, 5, 3)), ("linear", (3, 4, 2))])
def test_the_update_is_the_training_loops_first_iteration(hidden, output, dims):
    """A second implementation: fit(..., 1 iteration) on a copy of the network ends where explain's update does."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((dims[0], 6))
    if output == "linear":
        Y = rng.standard_normal((dims[-1], 6))
    elif output == "softmax":
        Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], 6)]
    else:
        Y = (rng.random((1, 6)) < 0.5).astype(float)
    net = ds.DeepNetwork(list(dims), hidden, output, "xavier", rng=2)
    before = {k: np.array(v) for k, v in net.parameters.items()}
    e = ds.explain(net, X, Y, learning_rate=0.05, l2=0.3)
    for key, value in before.items():  # the network is not changed
        np.testing.assert_array_equal(net.parameters[key], value)
    trained = ds.DeepNetwork(list(dims), hidden, output, "xavier", rng=2)
    trained.fit(X, Y, 0.05, 1, l2=0.3, method="plain")
    updates = {st.equation.split(" ")[0]: st.value for st in e.steps if st.phase == "update"}
    for l in range(1, len(dims)):
        np.testing.assert_allclose(updates[f"W[{l}]"], trained.parameters[f"W{l}"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(updates[f"b[{l}]"], trained.parameters[f"b{l}"], rtol=1e-12, atol=1e-14)
    assert e.cost == pytest.approx(trained.history.cost[0], rel=1e-12)
    checks = [st.check for st in e.steps if st.check is not None]
    # dZ, dW, db each layer; dA below the top; and dA[L] itself for a sigmoid or linear output (the cost's own; a
    # softmax's dJ/dA is not entrywise: it goes straight to dZ[L] = A[L] - Y)
    assert len(checks) == 4 * (len(dims) - 1) - 1 + (output != "softmax")
    assert max(checks) < 1e-7


def test_a_wrong_gradient_is_flagged(monkeypatch):
    """The check is real: with dW doubled it reports an error far above 1e-3 for every dW, and only for them."""
    def doubled(dZ, A_prev):
        dW, db = np.matmul(dZ, A_prev.T) / A_prev.shape[1], dZ.sum(axis=1, keepdims=True) / A_prev.shape[1]
        return 2 * dW, db

    import importlib

    monkeypatch.setattr(importlib.import_module("deepstep.core.layers"), "weight_gradients", doubled)
    X, Y = ds.datasets.make_planar(m=6, rng=1)
    e = ds.explain(planar_net(), X, Y, learning_rate=1.0)
    for st in e.steps:
        if st.check is not None:
            assert (st.check > 0.1) == st.equation.startswith("dW"), st.equation
    assert "WRONG" in str(e)


def test_the_parameters_before_the_step_and_small_gradients_are_shown(rng):
    net = ds.DeepNetwork([2, 3, 1], "tanh", rng=0)
    X, Y = rng.standard_normal((2, 3)), np.array([[0, 1, 1]])
    e = ds.explain(net, X, Y)
    for form in (str(e), e._repr_markdown_(), e._repr_html_()):
        assert "W[1]" in form and "b[2]" in form and "X = A[0]" in form
    np.testing.assert_array_equal(e.inputs["W[1]"], net.parameters["W1"])  # before the step: the network's own
    tiny = ds.explain(ds.DeepNetwork.from_parameters({k: v * 1e-3 for k, v in net.parameters.items()}, "tanh"), X, Y)
    dW1 = steps_by_equation(tiny)["dW[1]"].value
    smallest = dW1.flat[np.argmin(np.abs(dW1))]
    assert abs(smallest) < 1e-4
    shown = str(tiny).split("dW[1] = ")[1].split("db[1]")[0]
    # significant digits, the exponent as written by hand: a gradient of 1e-5 is not printed as 0., nor as 1e-05
    assert f"{smallest:.4g}".replace("e-0", "e-") in shown and "e-0" not in shown


def test_large_arrays_are_summarized_and_sampled():
    rng = np.random.default_rng(0)
    net = ds.DeepNetwork([50, 40, 1], "relu", rng=0)
    X, Y = rng.standard_normal((50, 4)), np.array([[0, 1, 1, 0]])
    e = ds.explain(net, X, Y, max_checked=30)
    dW1 = steps_by_equation(e)["dW[1]"]
    assert dW1.checked == 30 and dW1.check < 1e-7
    backward = str(e).split("Backward propagation")[1]  # (W[1] before the step is summarized above, in Given)
    line = [ln for ln in backward.splitlines() if "shape (40, 50)" in ln][0]
    assert (f"mean {dW1.value.mean():.4g}, min {dW1.value.min():.4g}, max {dW1.value.max():.4g}".replace("e-0", "e-")
            in line)
    b2 = steps_by_equation(e)["db[2]"]
    assert b2.checked == 1


def test_markdown_and_html_typeset_the_equations():
    X, Y = ds.datasets.make_planar(m=3, rng=1)
    e = ds.explain(planar_net(), X, Y)
    md = e.render("markdown")
    assert "$Z^{[1]} = W^{[1]} A^{[0]} + b^{[1]}$" in md
    assert "$dW^{[1]} = \\frac{1}{m} dZ^{[1]} A^{[0]T}$" in md
    page = e.render("html")
    assert page == e._repr_html_()
    maths = [ET.fromstring(chunk[: chunk.index("</math>") + 7]) for chunk in
             ("<math" + part for part in page.split("<math")[1:])]
    assert len(maths) == len(e.steps)  # one well-formed MathML formula per step
    assert ET.tostring(maths[0], encoding="unicode").count("<msup>") == 4  # Z[1], W[1], A[0], b[1]
    with pytest.raises(ds.DeepstepError, match="format: expected one of"):
        e.render("pdf")


def test_bad_input_names_the_argument():
    X, Y = ds.datasets.make_planar(m=3, rng=1)
    with pytest.raises(ds.DeepstepError, match="net: expected a deepstep.DeepNetwork"):
        ds.explain("net", X, Y)
    with pytest.raises(ds.DeepstepError, match="X: expected"):
        ds.explain(planar_net(), X[:1], Y)
    with pytest.raises(ds.DeepstepError, match="learning_rate"):
        ds.explain(planar_net(), X, Y, learning_rate=-1)


def test_the_command_prints_one_iteration(capsys):
    assert cli.main(["explain", "--layers", "2,4,1", "--hidden-activation", "tanh", "-m", "3"]) == 0
    out = capsys.readouterr().out
    assert "Z[1] = W[1] A[0] + b[1]" in out and "(4, 3) = (4, 2) (2, 3) + (4, 1)" in out
    assert out.count("  finite differences: ") == 8 and "WRONG" not in out  # dA[2] too


def test_the_command_writes_html(tmp_path, capsys):
    path = tmp_path / "one-step.html"
    assert cli.main(["explain", "--dataset", "moons", "--format", "html", "--out", str(path)]) == 0
    text = path.read_text()
    assert text.startswith("<!doctype html>") and text.count("<math") == 17  # dA[L] too


@pytest.mark.parametrize("argv, message", [
    (["--layers", "3,4,1"], "--layers: expected the first size to be 2"),
    (["-m", "100000"], "-m: expected at most"),
    (["--format", "pdf"], "invalid choice"),
])
def test_bad_command_lines_are_one_line(capsys, argv, message):
    try:
        status = cli.main(["explain", *argv])
    except SystemExit as exc:
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and message in err


def test_jupyter_shows_the_network_as_a_table_and_the_history_as_a_curve():
    net = ds.DeepNetwork([2, 4, 3], "tanh", "softmax", rng=0)
    table = net._repr_html_()
    assert "<td>(4, 2)</td><td>(4, 1)</td><td>(4, m)</td><td>12</td>" in table
    assert "<td>(3, 4)</td><td>(3, 1)</td><td>(3, m)</td><td>15</td>" in table
    assert "<td>27</td>" in table  # 2*4 + 4 + 4*3 + 3
    assert net.history._repr_png_() is None  # nothing to draw yet
    X, Y = ds.datasets.make_blobs(m=60, rng=0, n_classes=3)
    net.fit(X, Y, 0.5, 20)
    png = net.history._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_the_update_is_the_optimizers_next_step(optimizer):
    """With an optimizer (its state carried over from three iterations of fit), the update shown is the one the
    next iteration of fit makes, state included."""
    X, Y = ds.datasets.make_moons(m=40, rng=2)
    net = ds.DeepNetwork([2, 5, 1], "tanh", rng=4)
    net.fit(X, Y, 0.05, 3, optimizer=optimizer)
    e = ds.explain(net, X, Y, learning_rate=0.05, optimizer=net.optimizer)
    slots = net.optimizer.slots
    net.fit(X, Y, 0.05, 1, optimizer=optimizer)  # the same optimizer goes on with its state
    shown = {st.equation.split(" ")[0]: st.value for st in e.steps if st.phase == "update"}
    for key, P in net.parameters.items():
        name = f"{key[0]}[{key[1:]}]"
        np.testing.assert_allclose(shown[name], P, rtol=1e-12, atol=1e-15, err_msg=name)
        for slot in slots:
            np.testing.assert_allclose(shown[f"{slot}_d{name}"], net.optimizer.state[slot]["d" + key], rtol=1e-12,
                                       atol=1e-18)
    assert e.title().startswith(f"One iteration of {net.optimizer!r}")
    assert len(net.history.cost) == 4 and e.cost == pytest.approx(net.history.cost[3], rel=1e-12)
    md = e.render("markdown")
    assert "v_{dW^{[1]}}" in md or "s_{dW^{[1]}}" in md


def test_gradients_that_are_zero_up_to_rounding_are_ok():
    """Dead relu units: db[2] is a few 1e-17 while finite differences give rounding noise; not "WRONG"."""
    net = ds.DeepNetwork([2, 3, 1], "relu", rng=0)
    net.parameters["b1"][:] = -100.0
    X, Y = ds.datasets.make_planar(m=6, rng=1)
    e = ds.explain(net, X, Y)
    assert {st.verdict for st in e.steps if st.verdict} == {"ok"} and e.checks_pass


def test_a_saturated_output_says_the_gradients_cannot_be_checked():
    net = ds.DeepNetwork([2, 3, 1], "tanh", rng=0)
    net.parameters["W2"][:] = 100.0
    net.parameters["b2"][:] = 100.0
    X, Y = ds.datasets.make_planar(m=6, rng=1)
    e = ds.explain(net, X, Y)
    assert {st.verdict for st in e.steps if st.verdict} == {"n/a"} and e.checks_pass is None
    assert "could not be checked: A[L] reaches 0 or 1" in str(e) and "WRONG" not in str(e)


def test_unchecked_explanations_do_not_claim_a_check():
    X, Y = ds.datasets.make_planar(m=4, rng=1)
    e = ds.explain(planar_net(), X, Y, check=False)
    assert e.worst_check is None and e.checks_pass is None
    assert str(e).rstrip().endswith("the gradients were not checked against finite differences")
    assert "finite differences: " not in str(e).replace("against finite differences", "")


def test_float32_networks_are_checked_at_their_precision():
    X, Y = ds.datasets.make_planar(m=8, rng=1)
    e = ds.explain(ds.DeepNetwork([2, 4, 1], "tanh", rng=3, dtype="float32"), X, Y, learning_rate=0.5)
    assert e.steps[0].value.dtype == np.float32 and e.checks_pass


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "elu"])
def test_dropout_is_written_out_and_equals_the_course_functions(hidden, batch_norm):
    """The masks are the course's D[l] = rand(n[l], m) < keep_prob, drawn from the explanation's rng layer by layer;
    the dropped A[l] is A[l] * D[l] / keep_prob; the gradients equal model_forward/model_backward's with the same
    masks (dense layers) and pass finite differences, dA[l] through the mask included."""
    X, Y = ds.datasets.make_moons(m=7, rng=5)
    net = ds.DeepNetwork([2, 5, 4, 1], hidden, rng=3, batch_norm=batch_norm)
    keep = [0.6, 0.8]
    e = ds.explain(net, X, Y, learning_rate=0.3, keep_prob=keep, l2=0.2, rng=11)
    draw = np.random.RandomState(11)  # an int seed is the course's np.random.seed(11)
    D1, D2 = draw.random((5, 7)) < 0.6, draw.random((4, 7)) < 0.8
    masks = [s.value for s in e.steps if s.equation.startswith("D[")]
    assert len(masks) == 2 and masks[0].shape == (5, 7)
    np.testing.assert_array_equal(masks[0], D1)
    np.testing.assert_array_equal(masks[1], D2)
    forward = [s for s in e.steps if s.phase == "forward"]
    kept = forward[[s.equation for s in forward].index("D[1] = rand(n[1], m) < keep_prob") - 1].value
    dropped = next(s.value for s in forward if s.equation == "A[1] = A[1] * D[1] / keep_prob")
    np.testing.assert_allclose(dropped, kept * D1 / 0.6, rtol=1e-15)
    assert e.checks_pass is True and e.worst_check < 1e-7
    back = [s.equation for s in e.steps if s.phase == "backward"]
    assert "dA[1] = dA[1] * D[1] / keep_prob" in back and "dA[2] = dA[2] * D[2] / keep_prob" in back
    assert "dropout keep_prob = [0.6, 0.8]" in e.title()
    if batch_norm:  # dZ~[l] = dA[l] * g'(Z~[l]) written out and checked, and the G of dZ[l] defined
        assert {f"dZ~[{l}]" for l in (1, 2)} <= {s.equation.split(" ")[0] for s in e.steps if s.verdict == "ok"}
        assert all("G = " in s.math for s in e.steps if s.equation.startswith("dZ[") and s.layer < 3)
    if not batch_norm:  # a second implementation: the course functions with the same generator's masks
        AL, caches = ds.model_forward(X, net.parameters, hidden, "sigmoid", keep_prob=keep, rng=11)
        grads = ds.model_backward(AL, Y, caches, hidden, "sigmoid", lambd=0.2)
        shown = {s.equation.split(" ")[0]: s.value for s in e.steps if s.phase == "backward"}
        for key in ("dW1", "db1", "dW2", "dW3"):
            np.testing.assert_allclose(shown[f"{key[:-1]}[{key[-1]}]"], grads[key], rtol=1e-12, atol=1e-15)


def test_a_wrong_dropout_backward_is_flagged(monkeypatch):
    """The checks see dropout: a backward that forgets the 1/keep_prob of its mask is WRONG."""
    from deepstep.core import layers

    real = layers.Dense.backward

    def forgetful(self, dA, cache, l, *args, **kwargs):
        if len(cache) == 3:  # ((A_prev, W, b), Z, (D, keep_prob)): the mask without its scaling
            cache = (cache[0], cache[1], (cache[2][0], 1.0))
        return real(self, dA, cache, l, *args, **kwargs)

    X, Y = ds.datasets.make_moons(m=6, rng=1)
    net = ds.DeepNetwork([2, 4, 3, 1], "tanh", rng=2)
    assert ds.explain(net, X, Y, keep_prob=0.5, rng=3).checks_pass is True
    monkeypatch.setattr(layers.Dense, "backward", forgetful)
    e = ds.explain(net, X, Y, keep_prob=0.5, rng=3)
    assert e.checks_pass is False
    assert {s.equation.split(" ")[0] for s in e.steps if s.verdict == "WRONG"} >= {"dZ[1]", "dZ[2]"}


def test_the_command_takes_dropout_and_the_optimizers_flags(capsys):
    from conftest import command

    code, out, err = command(capsys, "explain", "--layers", "2,4,3,1", "-m", "5", "--keep-prob", "0.7",
                             "--optimizer", "adam", "--beta1", "0.8", "--epsilon", "1e-6")
    assert code == 0, err
    assert "Adam(beta1=0.8, beta2=0.999, epsilon=1e-06)" in out and "dropout keep_prob = 0.7" in out
    assert "D[2] = rand(n[2], m) < keep_prob" in out and "dA[1] = dA[1] * D[1] / keep_prob" in out
    assert "WRONG" not in out
    for argv, flag in ((["--optimizer", "gd", "--beta1", "0.8"], "--beta1"),
                       (["--layers", "2,1", "--keep-prob", "0.5"], "--keep-prob"),
                       (["--keep-prob", "0"], "--keep-prob")):
        code, out, err = command(capsys, "explain", *argv)
        assert code == 2 and err.count("\n") == 1 and flag in err, err


def test_a_linear_output_writes_out_its_da_and_large_inputs_show_a_corner(rng):
    """The squared error J = (1/2m) sum (A[L] - Y)^2 gives dA[L] = A[L] - Y (m dJ/dA[L]), checked; X and Y too large
    to show in full are summarized, with their first columns beside in full."""
    X, Y = rng.standard_normal((3, 40)), rng.standard_normal((2, 40))
    net = ds.DeepNetwork([3, 4, 2], "tanh", "linear", rng=1)
    e = ds.explain(net, X, Y)
    back = {s.equation: s for s in e.steps if s.phase == "backward"}
    AL = next(s.value for s in e.steps if s.equation.startswith("A[2]"))
    step = back["dA[2] = A[2] - Y"]
    np.testing.assert_allclose(step.value, AL - Y, rtol=1e-15) and None
    assert step.verdict == "ok" and e.checks_pass
    np.testing.assert_array_equal(e.inputs["X[:, :8]"], X[:, :8])
    np.testing.assert_array_equal(e.inputs["Y[:, :8]"], Y[:, :8])
    assert "X[:, :8] = [[" in str(e)


def test_the_running_averages_shown_are_those_fit_keeps():
    """A second implementation: one full-batch iteration of fit moves the running averages where explain says."""
    X, Y = ds.datasets.make_moons(m=9, rng=2)
    net = ds.DeepNetwork([2, 5, 4, 1], "tanh", rng=3, batch_norm=True)
    e = ds.explain(net, X, Y, learning_rate=0.1)
    net.fit(X, Y, 0.1, 1)
    shown = {s.equation.split(" ")[0]: s.value for s in e.steps if s.phase == "update"}
    for l in (1, 2):
        for key in ("running_mean", "running_var"):
            np.testing.assert_allclose(shown[f"{key}[{l}]"], net.layer_state[f"{key}{l}"], rtol=1e-12)
