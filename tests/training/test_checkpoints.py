"""Checkpoints every N epochs: a full-batch run copies its state only every CHECK_EVERY epochs, and going back
(a divergence, Ctrl-C) replays the epochs since the last checkpoint -- the state put back must be bit for bit the
state of an unbroken run of as many epochs, and the history must end there."""

import numpy as np
import pytest

import deepstep as ds
from deepstep.callbacks import DivergenceGuard
from deepstep.training import loop


@pytest.fixture(autouse=True)
def checkpoints_16_apart(monkeypatch):
    """These tests place divergences, interrupts and reads against checkpoints CHECK_EVERY (16) epochs apart: the
    runs' checkpoints are held there (checkpoint_every would space these small runs' up to CHECK_EVERY_MAX;
    ``test_checkpoints_are_spaced_by_the_replay_and_the_bytes_of_a_span`` holds that rule)."""
    monkeypatch.setattr(loop, "CHECK_EVERY_MAX", loop.CHECK_EVERY)


def regression(seed=0, m=40):
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((3, m))
    Y = X[:1] - 2 * X[1:2] + 0.1 * gen.standard_normal((1, m))
    return X, Y


def network(dims=(3, 8, 6, 1)):
    return ds.DeepNetwork(list(dims), hidden_activation="tanh", output_activation="linear", rng=4)


# learning rates past stability: the cost grows, so the guard's factor sets the epoch at which the run is stopped
CASES = [
    dict(method="plain", learning_rate=1.5),
    dict(method="gram", learning_rate=1.5, l2=0.01),
    dict(method="plain", learning_rate=1.5, keep_prob=0.7),  # dropout: the replay draws the same masks
    dict(method="gram", learning_rate=30.0, optimizer="momentum"),
]


def unbroken_run(settings, epochs):
    net = network()
    h = net.fit(*regression(), num_iterations=epochs, callbacks=[DivergenceGuard(factor=1e300)], **settings)
    return net, h.cost


@pytest.mark.parametrize("settings", CASES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_a_divergence_between_checkpoints_puts_back_the_state_of_an_unbroken_run(settings):
    _, costs = unbroken_run(settings, 60)
    assert costs[-1] > 1e3 * costs[0], "the cost must grow for this test to mean anything"
    replayed = 0
    for j in (21, 40, 3, 17):
        factor = max(costs[: j + 1]) / costs[0] * (1 - 1e-9)
        if factor <= 1:
            continue
        exploded = next(i for i, c in enumerate(costs) if c > factor * costs[0])  # the guard stops here, and
        expected = max(exploded - 1, 0)  # puts back the start of the epoch before: the last of finite cost began so
        net = network()
        with pytest.raises(ds.TrainingDiverged) as caught:
            net.fit(*regression(), num_iterations=60, callbacks=[DivergenceGuard(factor=factor)], **settings)
        k = len(net.history.cost)
        assert k == len(caught.value.history.cost) == expected
        replayed += k % loop.CHECK_EVERY != 0
        ref, ref_costs = unbroken_run(settings, k) if k else (network(), [])
        assert net.history.cost == ref_costs
        for key, P in ref.parameters.items():
            np.testing.assert_array_equal(net.parameters[key], P, err_msg=key)
        if k:
            assert net.optimizer.t == ref.optimizer.t and net.optimizer.epoch == ref.optimizer.epoch
        if settings.get("keep_prob"):  # the generator is where the unbroken run's is: the next masks are the same
            assert net._rng.random_sample(4).tolist() == ref._rng.random_sample(4).tolist()
    assert replayed >= 2  # the checkpoints were 16 epochs apart and the state between them was replayed


@pytest.mark.parametrize("method", ["plain", "gram"])
def test_an_interrupt_between_checkpoints_leaves_the_epochs_done(method, monkeypatch):
    X, Y = regression()
    calls = {"n": 0}
    epoch = loop.Run._epoch

    def interrupted(self, lr, replay=False):
        calls["n"] += 1
        if calls["n"] == 27:
            raise KeyboardInterrupt
        return epoch(self, lr, replay)

    monkeypatch.setattr(loop.Run, "_epoch", interrupted)
    net = network()
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, Y, 0.01, 100, method=method)
    monkeypatch.setattr(loop.Run, "_epoch", epoch)
    assert len(net.history.cost) == 26
    ref = network()
    h = ref.fit(X, Y, 0.01, 26, method=method)
    assert net.history.cost == h.cost
    for key, P in ref.parameters.items():
        np.testing.assert_array_equal(net.parameters[key], P, err_msg=key)


@pytest.mark.parametrize(
    ("dims", "m", "batch", "callbacks", "expected"),
    [
        ([12288, 20, 7, 5, 1], 209, False, [], loop.CHECK_EVERY),  # the cat model
        ([3, 8, 1], 40, True, [], 1),  # mini-batches: an epoch is long next to its checkpoint
        ([3, 8, 1], 40, False, [lambda i, logs: None], 1),  # a callback of the caller's
        ([3, 8, 1], 40, False, [DivergenceGuard()], loop.CHECK_EVERY),
        ([4096, 4096, 1], 4096, False, [], 1),  # replaying 15 epochs would cost 15 x 2e11 multiply-adds
    ],
)
def test_checkpoints_are_apart_only_where_a_replay_is_cheap_and_callbacks_only_read(dims, m, batch, callbacks,
                                                                                     expected):
    cbs = [ds.callbacks.as_callback(cb) for cb in callbacks]
    assert loop.checkpoint_every(dims, m, batch, cbs) == expected


@pytest.mark.parametrize("case", ["batch norm", "adam"])
def test_a_run_never_ends_holding_a_state_of_inf_between_checkpoints(case):
    X, _ = regression()
    X = X * 1e160
    if case == "batch norm":  # the running variance overflows while the cost stays finite
        net = ds.DeepNetwork([3, 8, 6, 1], hidden_activation="tanh", output_activation="linear", rng=4,
                             batch_norm=True)
        Y, kwargs = X[:1] * 0, {"num_iterations": 10}
    else:  # Adam's s overflows with dW^2
        net = ds.DeepNetwork([3, 1], rng=4)
        Y, kwargs = (X[:1] > 0) * 1.0, {"num_iterations": 3, "optimizer": "adam"}
    with pytest.raises(ds.TrainingDiverged):
        net.fit(X, Y, 0.01, method="plain", **kwargs)
    assert all(np.isfinite(v).all() for v in net.layer_state.values())
    for slot in net.optimizer.slots:
        assert all(np.isfinite(a).all() for a in net.optimizer.state[slot].values())
    assert all(np.isfinite(P).all() for P in net.parameters.values())


def test_a_second_interrupt_during_the_replay_leaves_a_state_that_agrees_with_its_history(monkeypatch):
    X, Y = regression()
    calls = {"normal": 0, "replay": 0}
    epoch = loop.Run._epoch

    def interrupted(self, lr, replay=False):
        calls["replay" if replay else "normal"] += 1
        if (not replay and calls["normal"] == 27) or (replay and calls["replay"] == 4):
            raise KeyboardInterrupt
        return epoch(self, lr, replay)

    monkeypatch.setattr(loop.Run, "_epoch", interrupted)
    net = network()
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, Y, 0.01, 100, method="plain")
    monkeypatch.setattr(loop.Run, "_epoch", epoch)
    k = len(net.history.cost)
    assert k == net.optimizer.t == net.optimizer.epoch == 16  # the checkpoint the replay started from
    ref = network()
    h = ref.fit(X, Y, 0.01, k, method="plain")
    assert net.history.cost == h.cost
    for key, P in ref.parameters.items():
        np.testing.assert_array_equal(net.parameters[key], P, err_msg=key)


@pytest.mark.parametrize(
    ("dims", "m", "itemsize", "expected"),
    [
        # the cat model: an epoch's plain products 3 x 209 x 245,940 = 154,204,380 multiply-adds; a replay of at most
        # 2**33 // 154,204,380 = 55 epochs; 98,304 // (1 x 209 x 8) = 58 epochs' A[L] fit SPAN_BYTES: 56
        ([12288, 20, 7, 5, 1], 209, 8, 56),
        ([12288, 20, 7, 5, 1], 209, 4, 56),  # (float32: 117 fit; the replay still bounds it)
        ([2, 4, 1], 400, 8, 30),  # the planar model: 98,304 // 3,200 = 30
        ([3, 8, 1], 40, 8, 64),  # 307 fit: CHECK_EVERY_MAX
        ([3, 8, 1], 20000, 8, 16),  # not even one epoch's A[L] fits (160,000 bytes): CHECK_EVERY
        ([4096, 4096, 1], 4096, 8, 1),  # replaying 15 epochs would cost 15 x 2e11 multiply-adds
    ],
)
def test_checkpoints_are_spaced_by_the_replay_and_the_bytes_of_a_span(monkeypatch, dims, m, itemsize, expected):
    monkeypatch.setattr(loop, "CHECK_EVERY_MAX", 64)  # (the module's fixture holds it at 16 for the other tests)
    assert loop.SPAN_BYTES == 98_304 and loop.REPLAY_MULTIPLY_ADDS == 2**33
    assert loop.checkpoint_every(dims, m, False, [DivergenceGuard()], itemsize) == expected


def test_a_run_with_checkpoints_64_epochs_apart_is_the_run_of_epochs_one_by_one_and_its_replays_too(monkeypatch):
    """Spans of 64 deferred epochs give an unbroken run's history and parameters, bit for bit; a divergence at
    epoch 50 (inside the first span) puts back the state of an unbroken run of 49 epochs (replayed from epoch 0)."""
    monkeypatch.setattr(loop, "CHECK_EVERY_MAX", 64)
    X, Y = regression()
    spans = []
    deferred = loop.Run._deferred
    monkeypatch.setattr(loop.Run, "_deferred", lambda self, done, left: spans.append(deferred(self, done, left))
                        or spans[-1])
    net, h = network(), None
    h = net.fit(X, Y, 0.01, 150, method="gram")
    assert spans[:2] == [64, 64]
    ref = network()
    h1 = ref.fit(X, Y, 0.01, 150, method="gram", callbacks=[lambda epoch, logs: None])  # epochs one by one
    assert h.cost == h1.cost
    for key, P in ref.parameters.items():
        np.testing.assert_array_equal(net.parameters[key], P, err_msg=key)
    _, costs = unbroken_run(dict(method="gram", learning_rate=1.5), 60)
    factor = max(costs[:51]) / costs[0] * (1 - 1e-9)
    exploded = next(i for i, c in enumerate(costs) if c > factor * costs[0])
    assert 16 < exploded <= 50
    net = network()
    with pytest.raises(ds.TrainingDiverged):
        net.fit(X, Y, num_iterations=60, learning_rate=1.5, method="gram", callbacks=[DivergenceGuard(factor=factor)])
    ref, ref_costs = unbroken_run(dict(method="gram", learning_rate=1.5), exploded - 1)
    assert net.history.cost == ref_costs
    for key, P in ref.parameters.items():
        np.testing.assert_array_equal(net.parameters[key], P, err_msg=key)
