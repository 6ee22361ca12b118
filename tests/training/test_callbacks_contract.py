"""Callbacks are the one extension point of fit: the history is itself a callback, and every callback's
on_train_end runs after the last epoch, a stop, a divergence or an exception, as documented."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds
from deepstep.callbacks import Callback
from deepstep.training import History, TrainingDiverged


class Recorder(Callback):
    def __init__(self, fail_at: int | None = None) -> None:
        self.logs, self.ends, self.fail_at = [], [], fail_at

    def on_epoch_end(self, run, epoch, logs):
        self.logs.append(dict(logs))
        if self.fail_at is not None and len(self.logs) == self.fail_at:
            raise RuntimeError("a callback's own error")

    def on_train_end(self, run):
        self.ends.append((run.diverged, run.error))


def data():
    return ds.datasets.make_planar(m=40, rng=1)


def test_the_history_is_a_callback_fed_the_logs_every_callback_sees():
    X, Y = data()
    rec = Recorder()
    net = ds.DeepNetwork([2, 4, 1], "tanh", rng=0)
    h = net.fit(X, Y, learning_rate=0.5, num_iterations=6, validation_fraction=0.25, callbacks=[rec])
    assert isinstance(h, Callback) and isinstance(net.history, History)
    assert h.cost == [r["cost"] for r in rec.logs] and h.val_cost == [r["val_cost"] for r in rec.logs]
    assert rec.ends == [(None, None)]


def test_on_train_end_runs_after_a_divergence():
    X, Y = data()
    rec = Recorder()
    with pytest.raises(TrainingDiverged):
        ds.DeepNetwork([2, 4, 1], "relu", rng=0).fit(X, Y, learning_rate=1e6, num_iterations=300, callbacks=[rec])
    assert len(rec.ends) == 1 and rec.ends[0][0] and rec.ends[0][1] is None


def test_on_train_end_runs_after_an_exception_which_then_goes_on():
    X, Y = data()
    rec = Recorder(fail_at=3)
    net = ds.DeepNetwork([2, 4, 1], "tanh", rng=0)
    with pytest.raises(RuntimeError, match="a callback's own error"):
        net.fit(X, Y, learning_rate=0.5, num_iterations=10, callbacks=[rec])
    assert len(rec.ends) == 1 and isinstance(rec.ends[0][1], RuntimeError)
    assert len(net.history.cost) == 3  # the whole epochs done stay
    assert np.isfinite(net.parameters["W1"]).all()
