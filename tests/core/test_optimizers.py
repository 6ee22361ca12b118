"""Momentum, RMSprop and Adam against an independent reference written here in plain Python floats.

The reference (:func:`reference_steps`) loops over every entry of every parameter
with Python floats and the course's formulas, nothing from deepstep:

* momentum: v = beta v + (1 - beta) dP;  P = P - alpha v
* RMSprop:  s = beta2 s + (1 - beta2) dP^2;  P = P - alpha dP / (sqrt(s) + eps)
* Adam:     v, s as above; v_c = v / (1 - beta1^t), s_c = s / (1 - beta2^t) with t = 1, 2, 3, ...;
            P = P - alpha v_c / (sqrt(s_c) + eps)

The course-style functions (``ds.update_parameters_with_*``) and the optimizer
objects (``deepstep.optimizers``) must both give the reference's numbers, and
``DeepNetwork.fit`` must take the same steps as a from-scratch NumPy network.
"""

import copy
import math

import numpy as np
import pytest

import deepstep as ds
from deepstep import optimizers as opt

# -- a tiny two-layer parameter dict and three steps of fixed gradients ------------------------

SHAPES = {"W1": (2, 3), "b1": (2, 1), "W2": (1, 2), "b2": (1, 1)}


def tiny_problem(dtype=np.float64):
    """Parameters of SHAPES and three gradient dicts (entries of both signs, of several magnitudes)."""
    r = np.random.RandomState(7)
    params = {k: r.randn(*s).astype(dtype) for k, s in SHAPES.items()}
    grads = [{"d" + k: (r.randn(*s) * 10.0 ** r.randint(-2, 1, s)).astype(dtype) for k, s in SHAPES.items()}
             for _ in range(3)]
    return params, grads


def to_lists(d):
    return {k: [[float(x) for x in row] for row in np.asarray(a)] for k, a in d.items()}


def reference_steps(kind, params, grads_seq, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Parameters after each step, by the course's formulas on plain Python floats, entry by entry."""
    P = to_lists(params)
    v = {k: [[0.0] * len(row) for row in rows] for k, rows in P.items()}
    s = {k: [[0.0] * len(row) for row in rows] for k, rows in P.items()}
    out = []
    for t, grads in enumerate(grads_seq, start=1):
        g = to_lists(grads)
        for k, rows in P.items():
            for i, row in enumerate(rows):
                for j in range(len(row)):
                    d = g["d" + k][i][j]
                    if kind == "gd":
                        row[j] = row[j] - lr * d
                    elif kind == "momentum":
                        v[k][i][j] = beta1 * v[k][i][j] + (1 - beta1) * d
                        row[j] = row[j] - lr * v[k][i][j]
                    elif kind == "rmsprop":
                        s[k][i][j] = beta2 * s[k][i][j] + (1 - beta2) * d * d
                        row[j] = row[j] - lr * d / (math.sqrt(s[k][i][j]) + eps)
                    elif kind == "adam":
                        v[k][i][j] = beta1 * v[k][i][j] + (1 - beta1) * d
                        s[k][i][j] = beta2 * s[k][i][j] + (1 - beta2) * d * d
                        v_c = v[k][i][j] / (1 - beta1**t)
                        s_c = s[k][i][j] / (1 - beta2**t)
                        row[j] = row[j] - lr * v_c / (math.sqrt(s_c) + eps)
                    else:
                        raise AssertionError(kind)
        out.append({k: np.array(rows) for k, rows in P.items()})
    return out


def assert_params_close(actual, expected, rtol=1e-12, atol=1e-15):
    assert sorted(actual) == sorted(expected)
    for k in expected:
        np.testing.assert_allclose(np.asarray(actual[k]), expected[k], rtol=rtol, atol=atol, err_msg=k)


# -- 1x1 examples worked out by hand ---------------------------------------------------------


def one_by_one():
    return {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}, {"dW1": np.array([[0.5]]), "db1": np.array([[-1.0]])}


def test_adam_by_hand_1x1():
    """Adam, lr = 0.1, the same gradient twice: dW = 0.5, db = -1.

    Step 1 (t = 1), W: v = 0.1 * 0.5 = 0.05, v_c = 0.05 / 0.1 = 0.5,
    s = 0.001 * 0.25 = 0.00025, s_c = 0.00025 / 0.001 = 0.25,
    W = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 1 - 0.1 (1 - 2e-8) = 0.900000002 (to 1e-15).
    b: v = -0.1, v_c = -1, s = 0.001, s_c = 1, b = 0 + 0.1 / (1 + 1e-8).
    Step 2 (t = 2), W: v = 0.9 * 0.05 + 0.05 = 0.095, v_c = 0.095 / (1 - 0.81) = 0.5,
    s = 0.999 * 0.00025 + 0.00025 = 0.00049975, s_c = 0.00049975 / (1 - 0.998001) = 0.25:
    with a constant gradient the bias-corrected step is again 0.1 * 0.5 / (0.5 + 1e-8).
    """
    p, g = one_by_one()
    v, s = ds.initialize_adam(p)
    p1, v1, s1 = ds.update_parameters_with_adam(p, g, v, s, t=1, learning_rate=0.1)
    assert v1["dW1"][0, 0] == pytest.approx(0.05, rel=1e-14)
    assert s1["dW1"][0, 0] == pytest.approx(0.00025, rel=1e-12)
    assert v1["db1"][0, 0] == pytest.approx(-0.1, rel=1e-14)
    assert s1["db1"][0, 0] == pytest.approx(0.001, rel=1e-12)
    assert p1["W1"][0, 0] == pytest.approx(1 - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-14)
    assert p1["W1"][0, 0] == pytest.approx(0.900000002, abs=1e-15)
    assert p1["b1"][0, 0] == pytest.approx(0.1 / (1 + 1e-8), rel=1e-14)
    p2, v2, s2 = ds.update_parameters_with_adam(p1, g, v1, s1, t=2, learning_rate=0.1)
    assert v2["dW1"][0, 0] == pytest.approx(0.095, rel=1e-14)
    assert s2["dW1"][0, 0] == pytest.approx(0.00049975, rel=1e-12)
    assert p2["W1"][0, 0] == pytest.approx(1 - 2 * 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-12)
    assert p2["b1"][0, 0] == pytest.approx(2 * 0.1 / (1 + 1e-8), rel=1e-12)


def test_adam_without_bias_correction_would_differ():
    # Guard on the test above: without bias correction step 1 would be
    # W = 1 - 0.1 * 0.05 / (sqrt(0.00025) + 1e-8) = 1 - 0.3162... = 0.6838, far from 0.9.
    p, g = one_by_one()
    v, s = ds.initialize_adam(p)
    p1, _, _ = ds.update_parameters_with_adam(p, g, v, s, t=1, learning_rate=0.1)
    assert abs(p1["W1"][0, 0] - (1 - 0.1 * 0.05 / (math.sqrt(0.00025) + 1e-8))) > 0.2


def test_momentum_by_hand_1x1():
    # beta = 0.9, lr = 0.1, dW = 0.5 three times:
    # v = 0.05, W = 1 - 0.005 = 0.995
    # v = 0.045 + 0.05 = 0.095, W = 0.995 - 0.0095 = 0.9855
    # v = 0.0855 + 0.05 = 0.1355, W = 0.9855 - 0.01355 = 0.97195
    # b with db = -1: v = -0.1, -0.19, -0.271; b = 0.01, 0.029, 0.0561
    p, g = one_by_one()
    v = ds.initialize_velocity(p)
    Ws, bs, vs = [], [], []
    for _ in range(3):
        p, v = ds.update_parameters_with_momentum(p, g, v, beta=0.9, learning_rate=0.1)
        Ws.append(float(p["W1"][0, 0]))
        bs.append(float(p["b1"][0, 0]))
        vs.append(float(v["dW1"][0, 0]))
    assert vs == pytest.approx([0.05, 0.095, 0.1355], rel=1e-14)
    assert Ws == pytest.approx([0.995, 0.9855, 0.97195], rel=1e-14)
    assert bs == pytest.approx([0.01, 0.029, 0.0561], rel=1e-13)


def test_rmsprop_by_hand_1x1():
    # beta2 = 0.999, lr = 0.01, dW = 0.5: s = 0.001 * 0.25 = 0.00025, sqrt(s) = 0.5 sqrt(0.001) = 0.0158113883,
    # W = 1 - 0.01 * 0.5 / (0.5 sqrt(0.001) + 1e-8)
    #   = 1 - 0.01 sqrt(1000) (1 - 1e-8 / sqrt(s) + ...) = 1 - 0.316227766 + 0.01 * 0.5 * 1e-8 / s
    #   = 0.683772234 + 2e-7 = 0.683772434 (to 1e-9; epsilon is not negligible here)
    # b, db = -1: s = 0.001, b = 0.01 / (sqrt(0.001) + 1e-8) = 0.316227766 - 0.01 * 1e-8 / 0.001
    #   = 0.316227766 - 1e-7 = 0.316227666 (to 1e-9)
    p, g = one_by_one()
    s = ds.initialize_rmsprop(p)
    p1, s1 = ds.update_parameters_with_rmsprop(p, g, s, beta2=0.999, learning_rate=0.01)
    assert s1["dW1"][0, 0] == pytest.approx(0.00025, rel=1e-12)
    assert s1["db1"][0, 0] == pytest.approx(0.001, rel=1e-12)
    assert p1["W1"][0, 0] == pytest.approx(1 - 0.01 * 0.5 / (0.5 * math.sqrt(0.001) + 1e-8), rel=1e-14)
    assert p1["W1"][0, 0] == pytest.approx(0.683772434, abs=1e-9)
    assert p1["b1"][0, 0] == pytest.approx(0.316227666, abs=1e-9)


# -- three steps on a two-layer dict: functions and objects against the reference ------------------

CASES = [
    # kind, hyperparameters for the reference, learning rate
    ("momentum", {"beta1": 0.9}, 0.05),
    ("momentum", {"beta1": 0.0}, 0.05),  # beta = 0: plain gradient descent
    ("momentum", {"beta1": 0.5}, 0.3),
    ("rmsprop", {"beta2": 0.999}, 0.01),
    ("rmsprop", {"beta2": 0.9, "eps": 1e-4}, 0.02),
    ("adam", {"beta1": 0.9, "beta2": 0.999}, 0.01),
    ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-3}, 0.1),
]


def run_function(kind, params, grads_seq, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Three steps of the course-style function; the list of parameter dicts after each step and the last state."""
    out = []
    if kind == "momentum":
        v = ds.initialize_velocity(params)
        for g in grads_seq:
            params, v = ds.update_parameters_with_momentum(params, g, v, beta=beta1, learning_rate=lr)
            out.append(params)
        return out, {"v": v}
    if kind == "rmsprop":
        s = ds.initialize_rmsprop(params)
        for g in grads_seq:
            params, s = ds.update_parameters_with_rmsprop(params, g, s, beta2=beta2, learning_rate=lr, epsilon=eps)
            out.append(params)
        return out, {"s": s}
    v, s = ds.initialize_adam(params)
    for t, g in enumerate(grads_seq, start=1):
        params, v, s = ds.update_parameters_with_adam(
            params, g, v, s, t=t, learning_rate=lr, beta1=beta1, beta2=beta2, epsilon=eps
        )
        out.append(params)
    return out, {"v": v, "s": s}


def make_object(kind, beta1=0.9, beta2=0.999, eps=1e-8):
    if kind == "gd":
        return opt.GradientDescent()
    if kind == "momentum":
        return opt.Momentum(beta=beta1)
    if kind == "rmsprop":
        return opt.RMSprop(beta2=beta2, epsilon=eps)
    return opt.Adam(beta1=beta1, beta2=beta2, epsilon=eps)


def run_object(o, params, grads_seq, lr):
    """Three in-place steps of an optimizer object on copies; the parameters after each step."""
    P = {k: a.copy() for k, a in params.items()}
    o.init_state(P)
    out = []
    for g in grads_seq:
        o.step(P, {k: a.copy() for k, a in g.items()}, lr)  # grads may be used as scratch
        out.append({k: a.copy() for k, a in P.items()})
    return out


@pytest.mark.parametrize("kind, hyper, lr", CASES)
def test_function_three_steps_match_reference(kind, hyper, lr):
    params, grads = tiny_problem()
    expected = reference_steps(kind, params, grads, lr, **hyper)
    got, _ = run_function(kind, params, grads, lr, **hyper)
    for a, e in zip(got, expected, strict=True):
        assert_params_close(a, e)
    # the three steps really moved every parameter
    for k in SHAPES:
        assert np.all(got[-1][k] != params[k])


@pytest.mark.parametrize("kind, hyper, lr", CASES + [("gd", {}, 0.1)])
def test_object_three_steps_match_reference(kind, hyper, lr):
    params, grads = tiny_problem()
    expected = reference_steps(kind, params, grads, lr, **hyper)
    o = make_object(kind, **hyper)
    got = run_object(o, params, grads, lr)
    for a, e in zip(got, expected, strict=True):
        assert_params_close(a, e)
    assert o.t == 3


@pytest.mark.parametrize("kind, hyper, lr", CASES)
def test_object_state_equals_function_state(kind, hyper, lr):
    params, grads = tiny_problem()
    _, fstate = run_function(kind, params, grads, lr, **hyper)
    o = make_object(kind, **hyper)
    run_object(o, params, grads, lr)
    assert sorted(o.state) == sorted(fstate)
    for slot, per_key in fstate.items():
        assert sorted(o.state[slot]) == sorted("d" + k for k in SHAPES)
        for key, a in per_key.items():
            assert o.state[slot][key].shape == SHAPES[key[1:]]
            np.testing.assert_allclose(o.state[slot][key], a, rtol=1e-13, atol=1e-300)


def test_state_after_three_steps_against_reference():
    # v and s of Adam after three steps, entry (0, 0) of dW1, by hand from the gradients:
    # v3 = 0.1 (0.81 g1 + 0.9 g2 + g3), s3 = 0.001 (0.998001 g1^2 + 0.999 g2^2 + g3^2)
    params, grads = tiny_problem()
    g1, g2, g3 = (float(g["dW1"][0, 0]) for g in grads)
    _, state = run_function("adam", params, grads, 0.01)
    assert state["v"]["dW1"][0, 0] == pytest.approx(0.1 * (0.81 * g1 + 0.9 * g2 + g3), rel=1e-12)
    assert state["s"]["dW1"][0, 0] == pytest.approx(0.001 * (0.998001 * g1**2 + 0.999 * g2**2 + g3**2), rel=1e-12)


@pytest.mark.parametrize("name, cls", [("gd", "GradientDescent"), ("momentum", "Momentum"),
                                       ("rmsprop", "RMSprop"), ("adam", "Adam")])
def test_registry_and_defaults(name, cls):
    assert opt.OPTIMIZERS[name] is getattr(opt, cls)
    o = opt.get_optimizer(name)
    assert type(o) is getattr(opt, cls)
    mine = getattr(opt, cls)()
    assert opt.get_optimizer(mine) is mine
    # the defaults of the contract: beta 0.9, beta1 0.9, beta2 0.999, epsilon 1e-8
    params, grads = tiny_problem()
    hyper = {"gd": {}, "momentum": {"beta1": 0.9}, "rmsprop": {"beta2": 0.999, "eps": 1e-8},
             "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}}[name]
    expected = reference_steps(name, params, grads, 0.01, **hyper)
    for a, e in zip(run_object(o, params, grads, 0.01), expected, strict=True):
        assert_params_close(a, e)


def test_function_defaults_are_the_contracts():
    # rmsprop: beta2 = 0.999, learning_rate = 0.01, epsilon = 1e-8; adam: lr 0.01, 0.9, 0.999, 1e-8
    params, grads = tiny_problem()
    s = ds.initialize_rmsprop(params)
    p, _ = ds.update_parameters_with_rmsprop(params, grads[0], s)
    assert_params_close(p, reference_steps("rmsprop", params, grads[:1], 0.01, beta2=0.999, eps=1e-8)[0])
    v, s = ds.initialize_adam(params)
    p, _, _ = ds.update_parameters_with_adam(params, grads[0], v, s, 1)
    assert_params_close(p, reference_steps("adam", params, grads[:1], 0.01)[0])


# -- initializers, shapes, dtypes, purity ------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initializers_are_zeros_of_each_parameters_shape_and_dtype(dtype):
    params, _ = tiny_problem(dtype)
    v = ds.initialize_velocity(params)
    s = ds.initialize_rmsprop(params)
    va, sa = ds.initialize_adam(params)
    for state in (v, s, va, sa):
        assert sorted(state) == ["dW1", "dW2", "db1", "db2"]
        for k, shape in SHAPES.items():
            assert state["d" + k].shape == shape
            assert state["d" + k].dtype == dtype
            assert not state["d" + k].any()
    # Adam's two moments are separate arrays (one step must not write the other)
    for k in SHAPES:
        assert not np.shares_memory(va["d" + k], sa["d" + k])


@pytest.mark.parametrize("kind", ["momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functions_are_pure_and_keep_dtype_and_shapes(kind, dtype):
    params, grads = tiny_problem(dtype)
    hyper = {"momentum": {"beta": 0.9, "learning_rate": 0.05}, "rmsprop": {"learning_rate": 0.01},
             "adam": {"t": 1, "learning_rate": 0.01}}[kind]
    # a state that is not zero, so that purity of the state is really tested
    state = {"d" + k: np.full(s, 0.25, dtype=dtype) for k, s in SHAPES.items()}
    args = {"momentum": (params, grads[0], state), "rmsprop": (params, grads[0], state),
            "adam": (params, grads[0], state, copy.deepcopy(state))}[kind]
    before = copy.deepcopy(args)
    fn = getattr(ds, f"update_parameters_with_{kind}")
    out = fn(*args, **hyper)
    for a, b in zip(args, before, strict=True):
        assert sorted(a) == sorted(b)
        for k in b:
            np.testing.assert_array_equal(a[k], b[k])
            assert a[k].dtype == b[k].dtype
    new_params, *states = out
    assert len(states) == (2 if kind == "adam" else 1)
    for k, shape in SHAPES.items():
        assert new_params[k].shape == shape and new_params[k].dtype == dtype
        assert not np.shares_memory(new_params[k], params[k])
        for st in states:
            assert st["d" + k].shape == shape and st["d" + k].dtype == dtype
            assert not any(np.shares_memory(st["d" + k], a["d" + k]) for a in args[1:])


@pytest.mark.parametrize("kind, hyper, lr", CASES)
def test_float32_follows_the_reference(kind, hyper, lr):
    params, grads = tiny_problem(np.float32)
    expected = reference_steps(kind, params, grads, lr, **hyper)  # float64 arithmetic on the float32 values
    got, state = run_function(kind, params, grads, lr, **hyper)
    for a, e in zip(got, expected, strict=True):
        for k in SHAPES:
            assert a[k].dtype == np.float32
        assert_params_close(a, e, rtol=2e-5, atol=2e-6)
    o = make_object(kind, **hyper)
    got_o = run_object(o, params, grads, lr)
    for k in SHAPES:
        assert got_o[-1][k].dtype == np.float32
    assert_params_close(got_o[-1], expected[-1], rtol=2e-5, atol=2e-6)


# -- bad input -----------------------------------------------------------------------------------------


def missing_dW1(grads):
    return {k: v for k, v in grads.items() if k != "dW1"}


def wrong_shape_db2(grads):
    return {**grads, "db2": np.zeros((2, 1))}


def transposed_dW1(grads):
    return {**grads, "dW1": grads["dW1"].T.copy()}


BAD = [
    # kind, keyword overrides, grads transform, message pattern
    ("momentum", {"beta": 1.0}, None, r"beta"),
    ("momentum", {"beta": -0.1}, None, r"beta"),
    ("momentum", {"learning_rate": 0}, None, r"learning_rate"),
    ("momentum", {"learning_rate": -0.01}, None, r"learning_rate"),
    ("momentum", {}, missing_dW1, r"dW1"),
    ("momentum", {}, wrong_shape_db2, r"db2"),
    ("momentum", {}, transposed_dW1, r"dW1"),
    ("rmsprop", {"beta2": 1.0}, None, r"beta2"),
    ("rmsprop", {"beta2": -0.1}, None, r"beta2"),
    ("rmsprop", {"learning_rate": 0}, None, r"learning_rate"),
    ("rmsprop", {"epsilon": 0}, None, r"epsilon"),
    ("rmsprop", {"epsilon": -1e-8}, None, r"epsilon"),
    ("rmsprop", {}, missing_dW1, r"dW1"),
    ("rmsprop", {}, wrong_shape_db2, r"db2"),
    ("adam", {"t": 0}, None, r"\bt\b"),
    ("adam", {"t": -1}, None, r"\bt\b"),
    ("adam", {"beta1": 1.0}, None, r"beta1"),
    ("adam", {"beta1": -0.1}, None, r"beta1"),
    ("adam", {"beta2": 1.0}, None, r"beta2"),
    ("adam", {"learning_rate": 0}, None, r"learning_rate"),
    ("adam", {"epsilon": 0}, None, r"epsilon"),
    ("adam", {}, missing_dW1, r"dW1"),
    ("adam", {}, wrong_shape_db2, r"db2"),
    ("adam", {}, transposed_dW1, r"dW1"),
]


@pytest.mark.parametrize("kind, override, transform, pattern", BAD)
def test_bad_input_raises_naming_the_argument_and_touches_nothing(kind, override, transform, pattern):
    params, grads_seq = tiny_problem()
    grads = grads_seq[0] if transform is None else transform(grads_seq[0])
    state = {"d" + k: np.full(s, 0.25) for k, s in SHAPES.items()}
    if kind == "momentum":
        args, kwargs = [params, grads, state], {"beta": 0.9, "learning_rate": 0.01}
    elif kind == "rmsprop":
        args, kwargs = [params, grads, state], {"beta2": 0.999, "learning_rate": 0.01, "epsilon": 1e-8}
    else:
        args = [params, grads, state, copy.deepcopy(state)]
        kwargs = {"t": 1, "learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    kwargs.update(override)
    before = copy.deepcopy(args)
    fn = getattr(ds, f"update_parameters_with_{kind}")
    with pytest.raises(ds.DeepstepError, match=pattern) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    for a, b in zip(args, before, strict=True):
        assert sorted(a) == sorted(b)
        for k in b:
            np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize("kind", ["momentum", "rmsprop", "adam"])
def test_state_of_the_wrong_shape_is_refused(kind):
    params, grads = tiny_problem()
    bad = {"d" + k: np.zeros(s) for k, s in SHAPES.items()}
    bad["dW2"] = np.zeros((2, 1))
    fn = getattr(ds, f"update_parameters_with_{kind}")
    with pytest.raises(ds.DeepstepError, match=r"dW2"):
        if kind == "adam":
            fn(params, grads[0], bad, ds.initialize_adam(params)[1], t=1)
        elif kind == "momentum":
            fn(params, grads[0], bad, beta=0.9, learning_rate=0.01)
        else:
            fn(params, grads[0], bad)


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: opt.Momentum(beta=1.0), r"beta"),
        (lambda: opt.Momentum(beta=-0.1), r"beta"),
        (lambda: opt.RMSprop(beta2=1.0), r"beta2"),
        (lambda: opt.RMSprop(epsilon=0), r"epsilon"),
        (lambda: opt.Adam(beta1=1.0), r"beta1"),
        (lambda: opt.Adam(beta2=-0.1), r"beta2"),
        (lambda: opt.Adam(epsilon=0.0), r"epsilon"),
        (lambda: opt.get_optimizer("sgd-with-nesterov"), r"optimizer"),
    ],
)
def test_bad_optimizer_objects_are_refused(make, pattern):
    with pytest.raises(ds.DeepstepError, match=pattern):
        make()


# -- DeepNetwork.fit takes the same steps as a NumPy network written from scratch ------------------------


def scratch_grads(P, X, Y, l2=0.0):
    """Gradients of the cross-entropy (+ l2/(2m) sum ||W||^2) of a relu-sigmoid net [2, 3, 1], from scratch."""
    m = X.shape[1]
    Z1 = P["W1"] @ X + P["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = P["W2"] @ A1 + P["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m + l2 / m * P["W2"]
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (P["W2"].T @ dZ2) * (Z1 > 0)
    dW1 = dZ1 @ X.T / m + l2 / m * P["W1"]
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def fit_problem():
    r = np.random.RandomState(3)
    X = r.randn(2, 6)
    Y = np.array([[0, 1, 1, 0, 1, 0]])
    P = {"W1": r.randn(3, 2), "b1": 0.1 * r.randn(3, 1), "W2": r.randn(1, 3), "b2": np.array([[0.05]])}
    return X, Y, P


def scratch_run(kind, P0, X, Y, lr, steps, l2=0.0):
    grads_seq, P = [], {k: a.copy() for k, a in P0.items()}
    for _ in range(steps):
        grads_seq.append(scratch_grads(P, X, Y, l2))
        P = reference_steps(kind, P0, grads_seq, lr)[-1]
    return P


@pytest.mark.parametrize(
    "optimizer, method",
    [("gd", "plain"), ("gd", "gram"), ("momentum", "plain"), ("momentum", "gram"), ("rmsprop", "plain"),
     ("adam", "plain")],
)
def test_fit_takes_the_reference_steps(optimizer, method):
    X, Y, P0 = fit_problem()
    expected = scratch_run(optimizer, P0, X, Y, lr=0.05, steps=3)
    net = ds.DeepNetwork.from_parameters(P0)
    net.fit(X, Y, learning_rate=0.05, num_iterations=3, optimizer=optimizer, method=method)
    assert_params_close(dict(net.parameters), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_fit_continues_the_optimizer_state(optimizer):
    # 2 iterations, then 1 more with the same optimizer: Adam's t must be 3 in the third step and
    # v, s carried over, i.e. the same as 3 iterations in one go
    X, Y, P0 = fit_problem()
    expected = scratch_run(optimizer, P0, X, Y, lr=0.05, steps=3)
    net = ds.DeepNetwork.from_parameters(P0)
    net.fit(X, Y, learning_rate=0.05, num_iterations=2, optimizer=optimizer, method="plain")
    net.fit(X, Y, learning_rate=0.05, num_iterations=1, optimizer=optimizer, method="plain")
    assert_params_close(dict(net.parameters), expected, rtol=1e-10, atol=1e-13)


def test_fit_with_an_optimizer_object():
    X, Y, P0 = fit_problem()
    expected = scratch_run("adam", P0, X, Y, lr=0.02, steps=3)
    net = ds.DeepNetwork.from_parameters(P0)
    net.fit(X, Y, learning_rate=0.02, num_iterations=3, optimizer=opt.Adam())
    assert_params_close(dict(net.parameters), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("optimizer", ["sgd", "Adam!", 3])
def test_fit_refuses_unknown_optimizers(optimizer):
    X, Y, P0 = fit_problem()
    net = ds.DeepNetwork.from_parameters(P0)
    with pytest.raises(ds.DeepstepError, match="optimizer"):
        net.fit(X, Y, num_iterations=1, optimizer=optimizer)
    for k in P0:
        np.testing.assert_array_equal(net.parameters[k], P0[k])
