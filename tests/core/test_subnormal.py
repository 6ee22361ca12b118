"""Optimizer state never sinks into subnormal floats: a moving average of a gradient that stays 0 decays by beta
each update, and below the smallest normal number every operation on it is many times slower.  The state is
flushed to 0 every FLUSH_EVERY updates, which changes no result: the update such a value makes is below any
parameter's rounding."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds
from deepstep.core import optimizers


def subnormal(a: np.ndarray) -> int:
    return int(np.count_nonzero((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["momentum", "rmsprop", "adam"])
def test_a_dead_units_state_is_flushed_and_nothing_else_changes(name, dtype, monkeypatch, rng):
    tiny = np.finfo(dtype).tiny
    P = {"W1": rng.standard_normal((3, 4)).astype(dtype)}
    zero = {"dW1": np.zeros((3, 4), dtype)}  # a gradient that stays 0: the averages only decay

    def run(flush_every: int) -> tuple[dict, optimizers.Optimizer]:
        monkeypatch.setattr(optimizers, "FLUSH_EVERY", flush_every)
        opt = ds.optimizers.get_optimizer(name)
        params = {k: v.copy() for k, v in P.items()}
        opt.init_state(params)
        for slot in opt.slots:
            opt.state[slot]["dW1"][...] = 1.01 * tiny  # just above the smallest normal: a few updates take it below
        for _ in range(2 * optimizers.FLUSH_EVERY if flush_every < 10**6 else 32):
            opt.step(params, {k: v.copy() for k, v in zero.items()}, 0.01)
        return params, opt

    flushed, opt = run(16)
    assert all(subnormal(opt.state[slot]["dW1"]) == 0 for slot in opt.slots)
    assert all(not opt.state[slot]["dW1"].any() for slot in opt.slots)  # (flushed to 0 by update 32)
    kept, opt_kept = run(10**9)
    assert any(subnormal(opt_kept.state[slot]["dW1"]) for slot in opt_kept.slots)  # (what the flush prevents)
    np.testing.assert_array_equal(flushed["W1"], kept["W1"])


def test_a_normal_run_is_the_same_bit_for_bit(monkeypatch):
    X, Y = ds.datasets.make_moons(m=64, rng=1)
    nets = []
    for every in (16, 10**9):
        monkeypatch.setattr(optimizers, "FLUSH_EVERY", every)
        net = ds.DeepNetwork([2, 6, 1], "relu", rng=2)
        net.fit(X, Y, 0.01, 48, batch_size=16, optimizer="adam")
        nets.append(net)
    for key in nets[0].parameters:
        np.testing.assert_array_equal(nets[0].parameters[key], nets[1].parameters[key])
