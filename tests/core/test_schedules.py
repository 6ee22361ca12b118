"""Learning-rate schedules at given epochs, against numbers worked out by hand."""

import numpy as np
import pytest

import deepstep as ds
from deepstep import optimizers as opt
from deepstep.schedules import Constant, ExponentialDecay, InverseTimeDecay, StepDecay

EPOCHS = [0, 1, 9, 10, 11, 25, 1000]


@pytest.mark.parametrize(
    "schedule, lr0, expected",
    [
        # lr0 = 0.1 whatever the epoch
        (Constant(), 0.1, [0.1] * 7),
        # 0.1 / (1 + 1 * floor(e / 10)): floor = 0, 0, 0, 1, 1, 2, 100
        (InverseTimeDecay(decay_rate=1, interval=10), 0.1,
         [0.1, 0.1, 0.1, 0.05, 0.05, 0.1 / 3, 0.1 / 101]),
        # interval 1 (the course's update_lr): 0.5 / (1 + 0.3 e) = 0.5, 0.5/1.3, 0.5/3.7, 0.5/4, 0.5/4.3, 0.5/8.5,
        # 0.5/301
        (InverseTimeDecay(decay_rate=0.3), 0.5,
         [0.5, 0.5 / 1.3, 0.5 / 3.7, 0.125, 0.5 / 4.3, 0.5 / 8.5, 0.5 / 301]),
        # 0.2 * 0.5 ** (e / 10): 0.2, 0.2 * 2**-0.1 = 0.18660659830736148, 0.2 * 2**-0.9 = 0.10717734625362931,
        # 0.1, 0.2 * 2**-1.1 = 0.09330329915368074, 0.2 * 2**-2.5 = 0.035355339059327376, 0.2 * 2**-100
        (ExponentialDecay(decay_rate=0.5, interval=10), 0.2,
         [0.2, 0.18660659830736148, 0.10717734625362931, 0.1, 0.09330329915368074, 0.035355339059327376,
          0.2 * 2.0**-100]),
        # interval 1: 1.0 * 0.9 ** e = 1, 0.9, 0.387420489, 0.3486784401, 0.31381059609, 0.9**25, 0.9**1000
        (ExponentialDecay(decay_rate=0.9), 1.0,
         [1.0, 0.9, 0.387420489, 0.3486784401, 0.31381059609, 0.07178979876918526, 1.747871251722651e-46]),
        # 0.1 * 0.5 ** floor(e / 10): 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.1 * 2**-100
        (StepDecay(drop=0.5, interval=10), 0.1, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.1 * 2.0**-100]),
        # 0.3 * 0.1 ** floor(e / 3): floor = 0, 0, 3, 3, 3, 8, 333 (0.3e-333 underflows to 0.0)
        (StepDecay(drop=0.1, interval=3), 0.3, [0.3, 0.3, 3e-4, 3e-4, 3e-4, 3e-9, 0.0]),
    ],
)
def test_schedule_at_epochs(schedule, lr0, expected):
    got = [schedule(lr0, e) for e in EPOCHS]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-320)
    assert all(isinstance(g, float) for g in got)


def test_inverse_time_decay_published_example():
    # contract: InverseTimeDecay(decay_rate=1, interval=10), lr0 = 0.1, epoch 25: 0.1 / (1 + 1 * 2)
    assert InverseTimeDecay(decay_rate=1, interval=10)(0.1, 25) == pytest.approx(0.0333333333333333, rel=1e-14)
    # lr0 0.5, epoch 100, decay_rate 0.3, interval 1000 -> floor(100 / 1000) = 0: 0.5 exactly;
    # epoch 10 with interval 1: 0.5 / (1 + 0.3 * 10) = 0.125
    assert InverseTimeDecay(decay_rate=0.3, interval=1000)(0.5, 100) == 0.5
    assert InverseTimeDecay(decay_rate=0.3, interval=1)(0.5, 10) == pytest.approx(0.125, rel=1e-15)


def test_zero_decay_is_constant():
    # decay_rate 0: 0.1 / (1 + 0) = 0.1 at every epoch
    s = InverseTimeDecay(decay_rate=0.0, interval=5)
    assert [s(0.1, e) for e in EPOCHS] == [0.1] * len(EPOCHS)


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: InverseTimeDecay(decay_rate=-0.1), r"decay_rate"),
        (lambda: InverseTimeDecay(decay_rate=1.0, interval=0), r"interval"),
        (lambda: InverseTimeDecay(decay_rate=1.0, interval=-10), r"interval"),
        (lambda: InverseTimeDecay(decay_rate=float("nan")), r"decay_rate"),
        (lambda: ExponentialDecay(decay_rate=-0.5), r"decay_rate"),
        (lambda: ExponentialDecay(decay_rate=0.5, interval=0), r"interval"),
        (lambda: StepDecay(drop=-0.5, interval=10), r"drop"),
        (lambda: StepDecay(drop=0.5, interval=0), r"interval"),
    ],
)
def test_bad_arguments_are_refused(make, pattern):
    with pytest.raises(ds.DeepstepError, match=pattern) as info:
        make()
    assert isinstance(info.value, ValueError)


def test_optimizer_uses_its_schedule():
    o = opt.Momentum(beta=0.9, schedule=InverseTimeDecay(decay_rate=1, interval=10))
    # 0.1 / (1 + floor(25 / 10)) = 0.1 / 3
    assert o.learning_rate(0.1, 25) == pytest.approx(0.1 / 3, rel=1e-14)
    assert opt.Adam().learning_rate(0.1, 1000) == 0.1  # no schedule: constant


def test_fit_records_the_scheduled_learning_rates_over_fit_calls():
    # StepDecay(0.5, 4), lr0 = 0.08: epochs 0..3 -> 0.08, 4..7 -> 0.04, 8..9 -> 0.02
    # the second fit continues the epoch count (8, 9), it does not start the schedule again
    r = np.random.RandomState(0)
    X, Y = r.randn(2, 8), np.array([[0, 1, 0, 1, 1, 0, 0, 1]])
    net = ds.DeepNetwork([2, 3, 1], rng=1)
    o = opt.GradientDescent(schedule=StepDecay(drop=0.5, interval=4))
    h1 = net.fit(X, Y, learning_rate=0.08, num_iterations=8, optimizer=o)
    h2 = net.fit(X, Y, learning_rate=0.08, num_iterations=2, optimizer=o)
    assert h1.learning_rates == pytest.approx([0.08] * 4 + [0.04] * 4, rel=1e-15)
    assert h2.learning_rates == pytest.approx([0.02, 0.02], rel=1e-15)


def test_scheduled_gradient_descent_takes_the_scheduled_steps():
    # a one-layer network (logistic regression) on a single example x = 1, y = 1, W = 0, b = 0:
    # dW = db = a - y = sigmoid(w + b) - 1.  With InverseTimeDecay(1, 1) and lr0 = 1 the steps are
    # lr = 1, 1/2, 1/3: written out here with plain floats.
    import math

    w = b = 0.0
    for e in range(3):
        a = 1 / (1 + math.exp(-(w + b)))
        lr = 1.0 / (1 + e)
        w, b = w - lr * (a - 1), b - lr * (a - 1)
    net = ds.DeepNetwork.from_parameters({"W1": np.zeros((1, 1)), "b1": np.zeros((1, 1))})
    net.fit(np.ones((1, 1)), np.ones((1, 1)), learning_rate=1.0, num_iterations=3,
            optimizer=opt.GradientDescent(schedule=InverseTimeDecay(decay_rate=1.0)), method="plain")
    assert net.parameters["W1"][0, 0] == pytest.approx(w, rel=1e-13)
    assert net.parameters["b1"][0, 0] == pytest.approx(b, rel=1e-13)
