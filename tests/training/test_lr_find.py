"""The learning-rate range test: the network is never touched, the rates are the geometric series asked for, the test
stops when the cost diverges, and its suggestion trains about as well as the best rate of a log-scale sweep."""

import math

import numpy as np
import pytest

import deepstep as ds
from conftest import command, needs_cats
from deepstep.training.lr_find import suggest


def shuffled_moons(m=600):
    X, Y = ds.datasets.make_moons(m=m, noise=0.2, rng=0)
    p = np.random.default_rng(0).permutation(m)
    X, Y = X[:, p], Y[:, p]
    return (X[:, :400], Y[:, :400]), (X[:, 400:], Y[:, 400:])


def test_the_network_given_is_not_touched():
    (X, Y), _ = shuffled_moons()
    net = ds.DeepNetwork([2, 8, 1], rng=0)
    net.fit(X, Y, 0.1, 3, optimizer="momentum")
    state = net.state_dict()
    rng_before = net._rng.random_sample(0), repr(net._rng.get_state())[:200]
    found = ds.lr_find(net, X, Y, steps=30, optimizer="adam", batch_size=32)
    after = net.state_dict()
    for key, P in state["parameters"].items():
        np.testing.assert_array_equal(after["parameters"][key], P)
    assert after["history"] == state["history"] and net.optimizer.name == "momentum" and net.optimizer.t == 3
    assert repr(net._rng.get_state())[:200] == rng_before[1]
    assert found.optimizer == "adam" and len(found.rates) <= 30


def test_the_rates_are_geometric_from_start_to_end_and_each_cost_is_the_steps():
    (X, Y), _ = shuffled_moons()
    found = ds.lr_find(ds.DeepNetwork([2, 8, 1], rng=0), X, Y, start=1e-4, end=1e-1, steps=4)
    np.testing.assert_allclose(found.rates, [1e-4, 1e-3, 1e-2, 1e-1], rtol=1e-12)
    # the same steps by hand: one full-batch step at each rate, the cost of each before its update
    net = ds.DeepNetwork([2, 8, 1], rng=0)
    costs = [net.fit(X, Y, lr, 1, signals=False).cost[0] for lr in found.rates]
    assert found.costs == pytest.approx(costs, rel=1e-12)
    assert found.smoothed == found.costs  # a full batch's cost is exact: nothing smoothed


def test_the_test_stops_once_the_cost_diverges():
    (X, Y), _ = shuffled_moons()
    found = ds.lr_find(ds.DeepNetwork([2, 16, 1], rng=0), X * 100, Y, start=1e-3, end=1e6, steps=60)
    assert len(found.rates) < 60 and ("diverged" in found.stopped or "exceeded" in found.stopped)
    assert all(math.isfinite(c) for c in found.costs)


@pytest.mark.parametrize(("optimizer", "batch_size"), [("gd", None), ("momentum", None), ("rmsprop", None),
                                                       ("adam", None), ("gd", 32), ("adam", 32), ("momentum", 32)])
def test_the_suggestion_trains_within_two_points_of_the_best_rate_of_a_sweep_on_moons(optimizer, batch_size):
    (X, Y), (Xv, Yv) = shuffled_moons()
    epochs = 300 if batch_size is None else 30

    def accuracy(lr):
        net = ds.DeepNetwork([2, 16, 16, 1], rng=0)
        try:
            net.fit(X, Y, lr, epochs, optimizer=optimizer, batch_size=batch_size, signals=False)
        except ds.TrainingDiverged:
            return 0.0
        return net.accuracy(Xv, Yv)

    best = max(accuracy(lr) for lr in 10.0 ** np.arange(-4, 1.01, 0.5))
    found = ds.lr_find(ds.DeepNetwork([2, 16, 16, 1], rng=0), X, Y, optimizer=optimizer, batch_size=batch_size)
    assert accuracy(found.suggestion) >= best - 0.02


@needs_cats
@pytest.mark.slow
def test_the_suggestion_on_the_cat_pictures_is_within_half_a_decade_of_the_best_rate():
    """The rates of a half-decade grid that train best, and the suggestion within half a decade of them.

    (Not the accuracy at the suggestion itself: it lands near 0.03, at the edge of stability of this run, where 1500
    iterations end at 98% or at 77% by the roundings of the path -- the plain path collapses at 10^-1.5, the folded
    Gram path does not; at 0.0285 the other way round.)"""
    X, Y, _, _, _ = ds.datasets.load_cat_dataset()
    dims = [12288, 20, 7, 5, 1]

    def train_accuracy(lr):
        net = ds.DeepNetwork(dims, init="xavier", rng=1)
        try:
            net.fit(X, Y, lr, 1500, signals=False)
        except ds.TrainingDiverged:
            return 0.0
        return net.accuracy(X, Y)

    grid = 10.0 ** np.arange(-3.5, -0.49, 0.5)
    accuracy = np.array([train_accuracy(lr) for lr in grid])
    best = grid[accuracy >= accuracy.max() - 0.02]
    found = ds.lr_find(ds.DeepNetwork(dims, init="xavier", rng=1), X, Y)
    assert best.min() / 10**0.5 <= found.suggestion <= best.max() * 10**0.5


def test_the_valley_rule_by_hand():
    # the cost first moves at rate 1e-3; the longest fall runs from there to 1.0; two thirds along: 0.1
    assert suggest([1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0], [1.0, 0.99, 0.8, 0.6, 0.5, 2.0]) == pytest.approx(1e-1)


def test_an_optimizers_schedule_does_not_move_the_rates_tried():
    (X, Y), _ = shuffled_moons()
    decaying = ds.optimizers.get_optimizer("gd", schedule=ds.schedules.ExponentialDecay(0.5, 1))
    a = ds.lr_find(ds.DeepNetwork([2, 8, 1], rng=0), X, Y, optimizer=decaying, steps=20)
    b = ds.lr_find(ds.DeepNetwork([2, 8, 1], rng=0), X, Y, optimizer="gd", steps=20)
    assert a.costs == b.costs and a.suggestion == b.suggestion


@pytest.mark.parametrize(("kwargs", "name"), [({"start": 0}, "start"), ({"start": 1.0, "end": 0.5}, "end"),
                                              ({"steps": 2}, "steps"), ({"stop_factor": 1}, "stop_factor"),
                                              ({"rng": "x"}, "rng")])
def test_bad_arguments_are_refused_by_name(kwargs, name):
    (X, Y), _ = shuffled_moons()
    with pytest.raises(ds.DeepstepError, match=rf"^{name}: "):
        ds.lr_find(ds.DeepNetwork([2, 3, 1], rng=0), X, Y, **kwargs)


def test_the_command_prints_one_suggestion_line_and_draws_the_test(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    code, out, err = command(capsys, "lr-find", "--dataset", "moons", "--steps", "40", "--out", tmp_path)
    assert code == 0, err
    line = [x for x in out.splitlines() if x.startswith("suggested learning rate: ")]
    assert len(line) == 1 and float(line[0].split(": ")[1]) > 0
    assert (tmp_path / "lr_find.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = ((["--start", "1", "--end", "0.5"], "--end"), (["--learning-rate", "0.1"], "--learning-rate"),
               (["--iterations", "5"], "--iterations"), (["--batch-norm", "--batch-size", "1"], "--batch-size"))
    for flags, named in refused:
        code, _, err = command(capsys, "lr-find", "--dataset", "moons", *flags, "--out", tmp_path)
        assert code == 2 and err.count("\n") == 1 and f"error: {named}: " in err and "Traceback" not in err


def test_a_network_is_what_it_takes():
    (X, Y), _ = shuffled_moons()
    with pytest.raises(ds.DeepstepError, match=r"^net: "):
        ds.lr_find("net", X, Y)
