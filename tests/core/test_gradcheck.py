"""Back-propagation against centered finite differences in float64."""

import dataclasses

import numpy as np
import pytest

import deepstep as ds
from conftest import HIDDEN, random_problem
from deepstep import activations


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_gradient_check_passes_on_random_networks(depth, hidden, rng):
    dims = [4] + [int(n) for n in rng.integers(2, 5, depth - 1)] + [1]
    X, Y, params = random_problem(dims, 6, rng)
    before = {k: v.copy() for k, v in params.items()}
    overall, per_param = ds.gradient_check_details(params, X, Y, hidden_activation=hidden)
    assert overall < 1e-7
    assert sorted(per_param) == sorted(params)
    for k in params:  # the check works on copies
        np.testing.assert_array_equal(params[k], before[k])


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_gradient_check_passes_with_softmax_output(hidden, rng):
    X, Y, params = random_problem([3, 4, 3], 5, rng)
    assert ds.gradient_check(params, X, Y, hidden, "softmax") < 1e-7


def test_gradient_check_passes_on_float32_parameters(rng):
    X, Y, params = random_problem([3, 4, 1], 5, rng)
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    assert ds.gradient_check(params32, X.astype(np.float32), Y, "tanh") < 1e-7


def test_gradient_check_catches_a_wrong_derivative(rng, monkeypatch):
    X, Y, params = random_problem([3, 4, 1], 5, rng)
    wrong = dataclasses.replace(activations.ACTIVATIONS["tanh"], dg=lambda Z: 1 - np.tanh(Z))  # forgot the square
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", wrong)
    assert ds.gradient_check(params, X, Y, "tanh") > 1e-3


# -- the learner's own gradients (grads=, backward=) ----------------------------------------------------------------
def _course_problem():
    rng = np.random.default_rng(11)
    params = ds.initialize_parameters([4, 3, 1], init="xavier", rng=rng)
    params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}
    X = rng.standard_normal((4, 6))
    Y = (rng.random((1, 6)) > 0.5).astype(float)
    return params, X, Y


def test_the_learners_right_gradients_pass_and_wrong_ones_are_named_by_entry():
    params, X, Y = _course_problem()
    AL, caches = ds.L_model_forward(X, params)
    right = ds.L_model_backward(AL, Y, caches)
    assert ds.gradient_check(params, X, Y, grads=right) < 1e-7
    wrong = dict(right, db1=right["db1"] * X.shape[1])  # the 1/m of db1 missing
    disagreeing = {}
    overall, per = ds.gradient_check_details(params, X, Y, grads=wrong, disagreeing=disagreeing)
    assert per["b1"] > 1e-3 and all(per[k] < 1e-7 for k in per if k != "b1")
    index, grad, approx = disagreeing["b1"][0]
    assert len(index) == 2 and grad == pytest.approx(approx * X.shape[1], rel=1e-5)
    assert disagreeing["W1"] == []


def test_the_learners_backward_function_is_called_on_the_course_caches():
    params, X, Y = _course_problem()
    seen = []

    def L_model_backward(AL, Y, caches):
        seen.append([(type(c), len(c), len(c[0])) for c in caches])
        return ds.L_model_backward(AL, Y, caches)
    assert ds.gradient_check(params, X, Y, backward=L_model_backward) < 1e-7
    assert seen == [[(tuple, 2, 3), (tuple, 2, 3)]]  # ((A_prev, W, b), Z) per layer


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"grads": {"dW1": np.zeros((3, 4))}}, "grads"),
    ({"grads": "dW1"}, "grads"),
    ({"backward": 3}, "backward"),
    ({"backward": lambda AL, Y, caches: {"dW1": 0}}, "backward"),
])
def test_bad_learners_gradients_are_refused_naming_the_argument(kwargs, named):
    params, X, Y = _course_problem()
    with pytest.raises(ds.DeepstepError, match=named):
        ds.gradient_check(params, X, Y, **kwargs)


def test_the_command_checks_a_learners_backward_file_and_names_the_entries(tmp_path, capsys):
    from conftest import command

    mine = tmp_path / "mine.py"
    mine.write_text(
        "import numpy as np\nfrom dnn_utils import relu_backward, sigmoid_backward\n"
        "def L_model_backward(AL, Y, caches):\n"
        "    grads, L = {}, len(caches)\n"
        "    dA = -(Y / AL - (1 - Y) / (1 - AL))\n"
        "    for l in reversed(range(L)):\n"
        "        (A_prev, W, b), Z = caches[l]\n"
        "        dZ = sigmoid_backward(dA, Z) if l == L - 1 else relu_backward(dA, Z)\n"
        "        m = A_prev.shape[1]\n"
        "        grads['dW' + str(l + 1)] = dZ @ A_prev.T / m\n"
        "        grads['db' + str(l + 1)] = np.sum(dZ, axis=1, keepdims=True) / BAD\n"
        "        dA = W.T @ dZ\n"
        "    return grads\n")
    code, out, err = command(capsys, "gradcheck", "--backward", mine, "--layers", "3,4,1", "-m", "5")
    assert code == 2 and "--backward" in err and "NameError" in err and len(err.strip().splitlines()) == 1
    text = mine.read_text()
    mine.write_text(text.replace("BAD", "m"))
    code, out, _ = command(capsys, "gradcheck", "--backward", mine, "--layers", "3,4,1", "-m", "5")
    assert code == 0 and "PASS" in out and "the course's thresholds" in out
    mine.write_text(text.replace("BAD", "1"))
    code, out, _ = command(capsys, "gradcheck", "--backward", mine, "--layers", "3,4,1", "-m", "5")
    assert code == 1 and "db1[" in out and "FAIL" in out
