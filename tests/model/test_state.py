"""State owned by its part: the optimizer, the standardizer, the history and the network each give and take their
own state (state_dict / load_state_dict / from_state_dict); the model file is that state in one schema
(deepstep.model.files); a sweep's worker sends the same state, so a sweep's network is the network trained alone,
optimizer state included, and resumes like it."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds
from deepstep.data.standardize import Standardizer
from deepstep.errors import DeepstepError
from deepstep.model import files
from deepstep.optimizers import Adam, Momentum, get_optimizer
from deepstep.schedules import InverseTimeDecay


def trained(optimizer="adam", batch_size=32, standardize=False):
    X, Y = ds.datasets.make_moons(m=120, noise=0.2, rng=3)
    net = ds.DeepNetwork([2, 5, 1], "tanh", rng=4, standardize=standardize)
    net.fit(X, Y, learning_rate=0.01, num_iterations=7, batch_size=batch_size, optimizer=optimizer)
    return net, X, Y


@pytest.mark.parametrize("optimizer", ["gd", Momentum(beta=0.8, schedule=InverseTimeDecay(0.5, 2)), "rmsprop", "adam"])
def test_a_network_rebuilt_from_its_state_trains_on_bit_for_bit(optimizer):
    net, X, Y = trained(optimizer, standardize=True)
    copy = ds.DeepNetwork.from_state_dict(net.state_dict())
    assert copy.optimizer is not net.optimizer and copy.optimizer.config() == net.optimizer.config()
    kwargs = dict(learning_rate=0.01, num_iterations=5, batch_size=32)
    net.fit(X, Y, optimizer=net.optimizer, **kwargs)
    copy.fit(X, Y, optimizer=copy.optimizer, **kwargs)
    assert net.history.cost == copy.history.cost
    for key, P in net.parameters.items():
        np.testing.assert_array_equal(copy.parameters[key], P)
    for slot in net.optimizer.slots:
        for key, a in net.optimizer.state[slot].items():
            np.testing.assert_array_equal(copy.optimizer.state[slot][key], a)


def test_the_state_is_copied_in_not_shared():
    net, _, _ = trained()
    state = net.state_dict()
    copy = ds.DeepNetwork.from_state_dict(state)
    state["parameters"]["W1"][0, 0] += 1.0  # the network's own array, changed after the copy was made
    assert copy.parameters["W1"][0, 0] != net.parameters["W1"][0, 0]


def test_the_file_is_the_state_in_one_schema(tmp_path):
    net, _, _ = trained(standardize=True)
    net.save(tmp_path / "m.npz")
    state = files.read_state(tmp_path / "m.npz")
    mine = net.state_dict()
    assert set(state) == set(mine)
    assert state["optimizer"]["config"] == mine["optimizer"]["config"]
    for counter in ("t", "epoch"):
        assert state["optimizer"][counter] == mine["optimizer"][counter]
    for k, a in mine["optimizer"]["arrays"].items():
        np.testing.assert_array_equal(state["optimizer"]["arrays"][k], a)
    for k, a in mine["parameters"].items():
        np.testing.assert_array_equal(state["parameters"][k], a)
    assert state["rng"] == mine["rng"] and state["history"] == mine["history"]
    np.testing.assert_array_equal(state["standardizers"]["input"]["scale"], mine["standardizers"]["input"]["scale"])


def test_the_optimizer_gives_and_takes_its_own_state():
    net, _, _ = trained("adam")
    state = net.optimizer.state_dict()
    assert set(state) == {"config", "t", "epoch", "arrays"} and state["t"] == net.optimizer.t > 0
    fresh = Adam()
    fresh.load_state_dict(state)
    assert fresh.t == net.optimizer.t and fresh.epoch == net.optimizer.epoch
    np.testing.assert_array_equal(fresh.state["v"]["dW1"], net.optimizer.state["v"]["dW1"])
    with pytest.raises(DeepstepError) as e:
        get_optimizer("momentum").load_state_dict(state)
    assert str(e.value).startswith("optimizer:")


def test_the_standardizer_and_history_give_and_take_their_state():
    X = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]])
    s = Standardizer.fit(X)
    back = Standardizer.from_state_dict(s.state_dict())
    np.testing.assert_array_equal(back.transform(X), s.transform(X))
    net, _, _ = trained()
    h = ds.History()
    h.load_state_dict(net.history.state_dict())
    assert h.cost == net.history.cost and h.optimizer == "adam" and h.batch_size == 32


def test_a_sweeps_network_is_the_network_trained_alone_optimizer_state_included(tmp_path):
    """The worker sends the network's state: the sweep's network holds Adam's moving averages and the generator,
    so its model file resumes as the network trained alone does."""
    from deepstep.sweep import SETTINGS, run_seed, sweep

    X, Y = ds.datasets.make_moons(m=120, noise=0.2, rng=3)
    fixed = {"hidden_activation": "tanh", "learning_rate": 0.01, "num_iterations": 6, "batch_size": 32,
             "optimizer": "adam"}
    result = sweep(X, Y, {"hidden": [(5,)]}, fixed=fixed, seed=7, hold_out=None)
    swept = result.networks[0]
    seed = run_seed(7, {k: result.rows[0][k] for k in SETTINGS})  # the run's seed, from the sweep's rule
    alone = ds.DeepNetwork([2, 5, 1], "tanh", rng=np.random.default_rng(seed))
    alone.fit(X, Y, learning_rate=0.01, num_iterations=6, batch_size=32, optimizer="adam")
    for key, P in alone.parameters.items():
        np.testing.assert_array_equal(swept.parameters[key], P)
    assert swept.optimizer is not None and swept.optimizer.t == alone.optimizer.t
    np.testing.assert_array_equal(swept.optimizer.state["s"]["dW1"], alone.optimizer.state["s"]["dW1"])
    swept.save(tmp_path / "swept.npz")
    resumed = ds.load_model(tmp_path / "swept.npz")
    resumed.fit(X, Y, learning_rate=0.01, num_iterations=3, batch_size=32, optimizer=resumed.optimizer)
    alone.fit(X, Y, learning_rate=0.01, num_iterations=3, batch_size=32, optimizer=alone.optimizer)
    for key, P in alone.parameters.items():
        np.testing.assert_array_equal(resumed.parameters[key], P)
