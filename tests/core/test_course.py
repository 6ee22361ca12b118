"""The course's functions (deepstep.core.course, deepstep's course-named functions and the checker's reference),
held to centered finite differences, to deepstep's own step functions, and to values worked out by hand."""

import numpy as np
import pytest

import deepstep as ds
from conftest import centered as centered_one
from deepstep.core import course


def centered(J, theta):
    """dJ/dtheta for every array of theta (each moved and put back)."""
    return {key: centered_one(J, P) for key, P in theta.items()}


def params(rng, dims, scale=0.7):
    return {k: v for l in range(1, len(dims)) for k, v in
            ((f"W{l}", scale * rng.standard_normal((dims[l], dims[l - 1]))),
             (f"b{l}", 0.3 * rng.standard_normal((dims[l], 1))))}


@pytest.mark.parametrize("dims", [[4, 3, 1], [3, 1], [5, 4, 3, 2, 1]])
def test_L_model_backward_is_the_gradient_of_L_model_forward_and_compute_cost(dims):
    rng = np.random.default_rng(len(dims))
    theta = params(rng, dims)
    X = rng.standard_normal((dims[0], 7))
    Y = (rng.random((1, 7)) > 0.5).astype(float)
    AL, caches = course.L_model_forward(X, theta)
    grads = course.L_model_backward(AL, Y, caches)
    approx = centered(lambda: float(course.compute_cost_deep(course.L_model_forward(X, theta)[0], Y)), theta)
    for key in theta:
        assert grads["d" + key].shape == theta[key].shape
        np.testing.assert_allclose(grads["d" + key], approx[key], rtol=1e-6, atol=1e-9)


def test_the_course_functions_equal_deepsteps_step_functions():
    rng = np.random.default_rng(3)
    theta = params(rng, [5, 4, 3, 1])
    X = rng.standard_normal((5, 6))
    Y = (rng.random((1, 6)) > 0.5).astype(float)
    AL, caches = course.L_model_forward(X, theta)
    AL2, caches2 = ds.model_forward(X, theta, "relu", "sigmoid")
    np.testing.assert_allclose(AL, AL2, rtol=1e-14)
    for (lin, Z), (lin2, Z2) in zip(caches, caches2, strict=True):
        np.testing.assert_allclose(Z, Z2, rtol=1e-14)
        np.testing.assert_allclose(lin[0], lin2[0], rtol=1e-14)
    grads = course.L_model_backward(AL, Y, caches)
    grads2 = ds.model_backward(AL2, Y, caches2, "relu", "sigmoid")
    for key in ("dW1", "db1", "dW3", "db3", "dA1"):
        np.testing.assert_allclose(grads[key], grads2[key], rtol=1e-9, atol=1e-12)
    assert float(course.compute_cost_deep(AL, Y)) == pytest.approx(ds.compute_cost(AL, Y), rel=1e-14)


def test_linear_backward_is_the_gradient_of_the_linear_step():
    rng = np.random.default_rng(4)
    A_prev, W, b = rng.standard_normal((3, 5)), rng.standard_normal((2, 3)), rng.standard_normal((2, 1))
    dZ = rng.standard_normal((2, 5))
    m = 5
    dA_prev, dW, db = course.linear_backward(dZ, (A_prev, W, b))
    theta = {"W": W, "b": b, "A": A_prev}
    approx = centered(lambda: float(np.sum(dZ * (theta["W"] @ theta["A"] + theta["b"]))), theta)
    np.testing.assert_allclose(dW, approx["W"] / m, rtol=1e-7)  # the course's 1/m sits in dW and db ...
    np.testing.assert_allclose(db, approx["b"] / m, rtol=1e-7)
    np.testing.assert_allclose(dA_prev, approx["A"], rtol=1e-7)  # ... and not in dA_prev


def test_propagate_gives_the_gradient_of_its_cost():
    rng = np.random.default_rng(5)
    w, X = rng.standard_normal((3, 1)), rng.standard_normal((3, 6))
    Y = (rng.random((1, 6)) > 0.5).astype(float)
    theta = {"w": w, "b": np.array([[0.2]])}
    grads, cost = course.propagate(w, 0.2, X, Y)
    approx = centered(lambda: float(course.propagate(theta["w"], float(theta["b"][0, 0]), X, Y)[1]), theta)
    np.testing.assert_allclose(grads["dw"], approx["w"], rtol=1e-7)
    assert grads["db"] == pytest.approx(approx["b"][0, 0], rel=1e-7)
    assert np.ndim(cost) == 0


def test_the_one_hidden_layer_backward_is_the_gradient_of_its_forward_and_cost():
    rng = np.random.default_rng(6)
    theta = params(rng, [3, 4, 1])
    X = rng.standard_normal((3, 5))
    Y = rng.random((1, 5)) > 0.5
    _, cache = course.forward_propagation_2(X, theta)
    grads = course.backward_propagation_2(theta, cache, X, Y)
    approx = centered(lambda: course.compute_cost_2(course.forward_propagation_2(X, theta)[0], Y), theta)
    for key in theta:
        np.testing.assert_allclose(grads["d" + key], approx[key], rtol=1e-6, atol=1e-10)


def test_regularized_backward_is_the_gradient_of_the_regularized_cost():
    rng = np.random.default_rng(7)
    theta = params(rng, [3, 2, 3, 1])
    X = rng.standard_normal((3, 5))
    Y = (rng.random((1, 5)) > 0.5).astype(float)
    lambd = 0.7
    _, cache = course.forward_propagation_3(X, theta)
    grads = course.backward_propagation_with_regularization(X, Y, cache, lambd)
    approx = centered(lambda: float(course.compute_cost_with_regularization(
        course.forward_propagation_3(X, theta)[0], Y, theta, lambd)), theta)
    for key in theta:
        np.testing.assert_allclose(grads["d" + key], approx[key], rtol=1e-6, atol=1e-10)


def test_dropout_backward_is_the_gradient_with_the_forwards_masks_held():
    rng = np.random.default_rng(8)
    theta = params(rng, [3, 4, 3, 1])
    X = rng.standard_normal((3, 6))
    Y = (rng.random((1, 6)) > 0.5).astype(float)
    kp = 0.7
    _, cache = course.forward_propagation_with_dropout(X, theta, kp)
    D1, D2 = cache[1], cache[6]
    assert set(np.unique(D1)) <= {0, 1} and D1.shape == (4, 6)

    def J():
        A1 = course.relu(theta["W1"] @ X + theta["b1"]) * D1 / kp
        A2 = course.relu(theta["W2"] @ A1 + theta["b2"]) * D2 / kp
        return float(course.mean_cost(course.sigmoid(theta["W3"] @ A2 + theta["b3"]), Y))
    grads = course.backward_propagation_with_dropout(X, Y, cache, kp)
    approx = centered(J, theta)
    for key in theta:
        np.testing.assert_allclose(grads["d" + key], approx[key], rtol=1e-6, atol=1e-10)


def test_the_seeds_and_draw_order_are_the_courses():
    np.random.seed(3)  # noqa: NPY002 -- the course's own way, to compare with
    expected_W1 = np.random.randn(4, 5) * 0.01  # noqa: NPY002
    expected_W2 = np.random.randn(3, 4) * 0.01  # noqa: NPY002
    got = course.initialize_parameters_deep([5, 4, 3])
    np.testing.assert_array_equal(got["W1"], expected_W1)
    np.testing.assert_array_equal(got["W2"], expected_W2)
    assert got["b1"].shape == (4, 1) and not got["b1"].any()
    np.random.seed(2)  # noqa: NPY002
    state = np.random.get_state()  # noqa: NPY002
    course.initialize_parameters_deep([3, 2])
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002 -- the global state is untouched


def test_random_mini_batches_on_the_courses_case():
    rng = np.random.default_rng(9)
    X, Y = rng.standard_normal((5, 7)), (rng.random((1, 7)) > 0.5).astype(float)
    batches = course.random_mini_batches(X, Y, 2, seed=0)
    assert [bx.shape[1] for bx, _ in batches] == [2, 2, 2, 1]
    columns = np.concatenate([bx for bx, _ in batches], axis=1)
    labels = np.concatenate([by for _, by in batches], axis=1)
    order = [int(np.flatnonzero((X == columns[:, [j]]).all(axis=0))[0]) for j in range(7)]
    assert sorted(order) == list(range(7)) and order != list(range(7))
    np.testing.assert_array_equal(labels, Y[:, order])  # X and Y shuffled alike


def test_learning_rate_decay_by_hand():
    assert course.update_lr(0.5, 2, 1.0) == pytest.approx(0.5 / 3)
    assert course.schedule_lr_decay(0.5, 100, 1.0, 100) == pytest.approx(0.25)
    assert course.schedule_lr_decay(0.5, 99, 1.0, 100) == pytest.approx(0.5)


def test_adam_by_hand_on_one_number():
    p, g = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}, {"dW1": np.array([[0.5]]), "db1": np.array([[0.0]])}
    v, s = {"dW1": np.zeros((1, 1)), "db1": np.zeros((1, 1))}, {"dW1": np.zeros((1, 1)), "db1": np.zeros((1, 1))}
    p, v, s, vc, sc = course.update_parameters_with_adam(p, g, v, s, 1, 0.1, 0.9, 0.999, 1e-12)
    # t = 1: v = 0.05, s = 0.00025; corrected: 0.5 and 0.25; step = 0.1 * 0.5 / 0.5 = 0.1
    assert v["dW1"][0, 0] == pytest.approx(0.05) and s["dW1"][0, 0] == pytest.approx(0.00025)
    assert vc["dW1"][0, 0] == pytest.approx(0.5) and sc["dW1"][0, 0] == pytest.approx(0.25)
    assert p["W1"][0, 0] == pytest.approx(0.9)


def test_relu_backward_leaves_dA_and_sigmoid_backward_is_the_derivative():
    rng = np.random.default_rng(10)
    dA, Z = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    kept = dA.copy()
    dZ = course.relu_backward(dA, Z)
    np.testing.assert_array_equal(dA, kept)
    np.testing.assert_array_equal(dZ, np.where(Z > 0, dA, 0.0))
    approx = (course.sigmoid(Z + 1e-6) - course.sigmoid(Z - 1e-6)) / 2e-6
    np.testing.assert_allclose(course.sigmoid_backward(dA, Z), dA * approx, rtol=1e-7)


@pytest.mark.parametrize("name", ["L_model_forward", "L_model_backward", "initialize_parameters_deep",
                                  "sigmoid_backward", "relu_backward", "random_mini_batches", "update_lr",
                                  "schedule_lr_decay", "update_parameters_with_gd",
                                  "forward_propagation_with_dropout", "backward_propagation_with_dropout",
                                  "backward_propagation_with_regularization"])
def test_the_courses_names_are_deepsteps_public_names(name):
    assert getattr(ds, name) is getattr(course, name)
    assert name in ds.__all__
