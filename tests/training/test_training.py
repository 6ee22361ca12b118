"""The training loop: exact resume, determinism, validation, early stopping, callbacks, history, bad arguments."""

import copy
import io
import math

import numpy as np
import pytest

import deepstep as ds
from deepstep.callbacks import Callback, EarlyStopping, ModelCheckpoint


def moons(m=120, seed=0):
    X, Y = ds.datasets.make_moons(m=m, noise=0.25, rng=seed)
    return X, Y


OPTIMIZERS = {
    "gd": lambda: ds.optimizers.GradientDescent(),
    "momentum": lambda: ds.optimizers.Momentum(beta=0.9, schedule=ds.schedules.InverseTimeDecay(0.3, 4)),
    "rmsprop": lambda: ds.optimizers.RMSprop(beta2=0.99),
    "adam": lambda: ds.optimizers.Adam(schedule=ds.schedules.StepDecay(0.5, 7)),
}
RNGS = {
    "seed": lambda: 5,
    "PCG64": lambda: np.random.default_rng(5),
    "MT19937": lambda: np.random.Generator(np.random.MT19937(5)),
    "Philox": lambda: np.random.Generator(np.random.Philox(5)),
    "SFC64": lambda: np.random.Generator(np.random.SFC64(5)),
}


def settings(optimizer, batch_size, keep_prob):
    return dict(optimizer=OPTIMIZERS[optimizer](), batch_size=batch_size, keep_prob=keep_prob, l2=0.05,
                validation_fraction=0.25)


@pytest.mark.parametrize("keep_prob", [1.0, 0.8], ids=["no-dropout", "dropout"])
@pytest.mark.parametrize("batch_size", [None, 32], ids=["full-batch", "mini-batch"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_a_run_saved_and_resumed_ends_bit_identical_to_an_unbroken_one(optimizer, batch_size, keep_prob, tmp_path):
    X, Y = moons()
    whole = ds.DeepNetwork([2, 7, 5, 1], "tanh", rng=5)
    whole.fit(X, Y, 0.05, 25, method="plain", **settings(optimizer, batch_size, keep_prob))
    part = ds.DeepNetwork([2, 7, 5, 1], "tanh", rng=5)
    part.fit(X, Y, 0.05, 10, method="plain", **settings(optimizer, batch_size, keep_prob))
    part.save(tmp_path / "part.npz")
    resumed = ds.load_model(tmp_path / "part.npz")
    # the same optimizer asked for again goes on with the saved state (the schedule's position included)
    opt = resumed.optimizer
    assert opt.t == part.optimizer.t and opt.epoch == 10
    resumed.fit(X, Y, 0.05, 15, method="plain", **{**settings(optimizer, batch_size, keep_prob), "optimizer": opt})
    assert resumed.history.cost == whole.history.cost
    assert resumed.history.val_cost == whole.history.val_cost
    assert resumed.history.learning_rates == whole.history.learning_rates
    for k, P in whole.parameters.items():
        np.testing.assert_array_equal(resumed.parameters[k], P)
    for slot in whole.optimizer.slots:
        for k, v in whole.optimizer.state[slot].items():
            np.testing.assert_array_equal(resumed.optimizer.state[slot][k], v)


@pytest.mark.parametrize("kind", list(RNGS))
def test_every_generator_is_saved_and_resumes_the_same_stream(kind, tmp_path):
    X, Y = moons()
    whole = ds.DeepNetwork([2, 6, 1], rng=RNGS[kind]())
    whole.fit(X, Y, 0.1, 12, batch_size=16, keep_prob=0.9)
    part = ds.DeepNetwork([2, 6, 1], rng=RNGS[kind]())
    part.fit(X, Y, 0.1, 5, batch_size=16, keep_prob=0.9)
    part.save(tmp_path / "m.npz")
    resumed = ds.load_model(tmp_path / "m.npz")
    assert type(resumed._rng) is type(part._rng)
    resumed.fit(X, Y, 0.1, 7, batch_size=16, keep_prob=0.9)
    assert resumed.history.cost == whole.history.cost
    for k, P in whole.parameters.items():
        np.testing.assert_array_equal(resumed.parameters[k], P)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_the_same_seed_and_settings_give_bit_identical_parameters(optimizer):
    X, Y = moons()
    nets = []
    for _ in range(2):
        net = ds.DeepNetwork([2, 7, 5, 1], rng=11)
        net.fit(X, Y, 0.05, 15, **settings(optimizer, 16, 0.7))
        nets.append(net)
    for k, P in nets[0].parameters.items():
        np.testing.assert_array_equal(nets[1].parameters[k], P)


@pytest.mark.parametrize("method", ["plain", "gram"])
def test_validation_figures_are_the_cost_and_accuracy_after_each_epoch(method, rng):
    X = rng.standard_normal((30, 12))
    Y = (X[0:1] + X[1:2] > 0).astype(np.float64)
    Xv = rng.standard_normal((30, 7))
    Yv = (Xv[0:1] + Xv[1:2] > 0).astype(np.float64)
    net = ds.DeepNetwork([30, 4, 1], "tanh", rng=2)
    seen = []

    def score(epoch, logs):  # independently: the network's own cost and accuracy on (Xv, Yv), L2 term added
        W = [net.parameters[f"W{l}"] for l in (1, 2)]
        l2 = 0.5 / (2 * 7) * sum(float(np.sum(w * w)) for w in W)
        seen.append((net.cost(Xv, Yv) + l2, net.accuracy(Xv, Yv)))

    h = net.fit(X, Y, 0.2, 20, l2=0.5, validation_data=(Xv, Yv), callbacks=[score], method=method)
    assert h.method == method
    np.testing.assert_allclose(h.val_cost, [c for c, _ in seen], rtol=1e-10)
    assert h.val_accuracy == [a for _, a in seen]


def test_validation_fraction_holds_out_that_share_of_each_class():
    X, Y = moons(m=120)
    sizes = []

    class Sizes(Callback):
        def on_train_begin(self, run):
            sizes.append((run.X.shape[1], run.validation[0].shape[1], run.validation[1].sum(), run.Y.sum()))

    ds.DeepNetwork([2, 4, 1], rng=0).fit(X, Y, 0.1, 1, validation_fraction=0.25, callbacks=[Sizes()])
    (m_train, m_val, val_ones, train_ones), = sizes
    assert (m_train, m_val) == (90, 30) and (val_ones, train_ones) == (15, 45)  # 60 per class, 15 of each held out


def test_early_stopping_restores_the_parameters_of_the_best_validation_epoch():
    X, Y = moons(m=80, seed=2)
    Xv, Yv = moons(m=40, seed=9)
    early = EarlyStopping(patience=5)
    net = ds.DeepNetwork([2, 32, 32, 1], rng=0)
    h = net.fit(X, Y, 0.5, 2000, optimizer="adam", validation_data=(Xv, Yv), callbacks=[early])
    assert early.stopped_epoch is not None and len(h.cost) == early.stopped_epoch + 1 < 2000
    best = int(np.argmin(h.val_cost))
    assert early.best_epoch == best and early.best == h.val_cost[best]
    assert early.stopped_epoch - best == 5
    # the parameters kept are exactly those after epoch `best` of the same run, trained again
    ref = ds.DeepNetwork([2, 32, 32, 1], rng=0)
    ref.fit(X, Y, 0.5, best + 1, optimizer="adam", validation_data=(Xv, Yv))
    for k, P in ref.parameters.items():
        np.testing.assert_array_equal(net.parameters[k], P)
    assert net.cost(Xv, Yv) == pytest.approx(h.val_cost[best], rel=1e-12)


def test_early_stopping_state_travels_in_the_model_file(tmp_path):
    X, Y = moons(m=80, seed=2)
    Xv, Yv = moons(m=40, seed=9)

    def run(net, epochs, early):
        return net.fit(X, Y, 0.5, epochs, optimizer="adam", validation_data=(Xv, Yv), callbacks=[early])

    whole_early = EarlyStopping(patience=5)
    whole = ds.DeepNetwork([2, 32, 32, 1], rng=0)
    run(whole, 2000, whole_early)
    cut = whole_early.stopped_epoch - 3  # between the best epoch and the stop
    part = ds.DeepNetwork([2, 32, 32, 1], rng=0)
    run(part, cut, EarlyStopping(patience=5))
    part.save(tmp_path / "m.npz")
    resumed = ds.load_model(tmp_path / "m.npz")
    early = EarlyStopping(patience=5)
    early.load_state(*resumed.callback_state["early_stopping"])
    run(resumed, 2000, early)
    assert early.stopped_epoch == whole_early.stopped_epoch and early.best_epoch == whole_early.best_epoch
    for k, P in whole.parameters.items():
        np.testing.assert_array_equal(resumed.parameters[k], P)


def test_model_checkpoint_writes_every_n_epochs(tmp_path):
    X, Y = moons()
    saved = []
    ckpt = ModelCheckpoint(tmp_path / "ckpt.npz", every=4)

    class Spy(Callback):
        def on_epoch_end(self, run, epoch, logs):
            if (tmp_path / "ckpt.npz").exists():
                saved.append(len(ds.load_model(tmp_path / "ckpt.npz").history.cost))

    ds.DeepNetwork([2, 4, 1], rng=0).fit(X, Y, 0.1, 10, callbacks=[ckpt, Spy()])
    assert ckpt.saved == 2 and sorted(set(saved)) == [4, 8]


class Boom(ds.DeepstepError):
    pass


@pytest.mark.parametrize("error", [Boom, RuntimeError])
@pytest.mark.parametrize("method", ["plain", "gram"])
def test_an_error_in_a_callback_keeps_the_epochs_done(error, method, rng):
    X = rng.standard_normal((30, 12))
    Y = (X[0:1] > 0).astype(np.float64)

    def stop_at_7(epoch, logs):
        if epoch == 7:
            raise error("from a callback")

    net = ds.DeepNetwork([30, 4, 1], rng=1)
    with pytest.raises(error, match="from a callback"):
        net.fit(X, Y, 0.1, 50, callbacks=[stop_at_7], method=method)
    ref = ds.DeepNetwork([30, 4, 1], rng=1)
    ref.fit(X, Y, 0.1, 8, method=method)
    assert net.history.cost == ref.history.cost
    for k, P in ref.parameters.items():
        np.testing.assert_allclose(net.parameters[k], P, rtol=1e-12)  # W[1] formed from the Gram form too


def test_the_accumulated_history_names_the_last_run(rng):
    X, Y = moons()
    net = ds.DeepNetwork([2, 4, 1], rng=0)
    net.fit(X, Y, 0.3, 3, batch_size=16, optimizer="adam")
    net.fit(X, Y, 0.2, 2)
    h = net.history
    assert (h.learning_rate, h.batch_size, h.method, h.optimizer, len(h)) == (0.2, None, "plain", "gd", 5)
    assert h.learning_rates == [0.3] * 3 + [0.2] * 2
    assert repr(h).startswith("History(5 epochs, cost[-1]=") and len(repr(h)) < 120


def test_a_call_with_a_bad_argument_changes_nothing(rng):
    X, Y = moons()
    net = ds.DeepNetwork([2, 4, 3, 1], rng=0)
    net.fit(X, Y, 0.1, 2, optimizer="momentum")
    before = (copy.deepcopy(net.parameters.copy()), copy.deepcopy(net.optimizer.state), net.optimizer.t,
              net.history.as_dict(), net._rng.get_state()[2])
    bad = [
        (dict(keep_prob=0.0), r"keep_prob: expected numbers with 0 < keep_prob <= 1"),
        (dict(keep_prob=[0.5]), r"keep_prob: expected one number or 2 \(one per hidden layer\), got 1"),
        (dict(l2=-1.0), r"l2: expected lambda, a finite number >= 0"),
        (dict(l2=math.nan), r"l2: expected lambda"),
        (dict(optimizer="sgd"), r"optimizer: expected one of \['gd', 'momentum', 'rmsprop', 'adam'\]"),
        (dict(validation_data=(X,)), r"validation_data: expected a pair \(X_val, Y_val\)"),
        (dict(validation_data=(X[:1], Y)), r"validation_data\[0\]: expected 2 rows"),
        (dict(validation_data=(X, Y[:, :5])), r"validation_data\[1\]: expected shape \(1, 120\)"),
        (dict(validation_data=(X, Y), validation_fraction=0.2), r"validation_fraction: give validation_data or"),
        (dict(validation_fraction=1.0), r"validation_fraction: expected a number with 0 < validation_fraction < 1"),
        (dict(callbacks=[3]), r"callbacks: expected deepstep.callbacks.Callback objects or functions"),
        (dict(callbacks=[EarlyStopping()]), r"EarlyStopping watches the validation cost"),
        (dict(verbose="yes"), r"verbose: expected True or False"),
    ]
    for kwargs, message in bad:
        with pytest.raises(ds.DeepstepError, match=message):
            net.fit(X, Y, 0.1, 5, **kwargs)
        assert net.history.as_dict() == before[3] and net.optimizer.t == before[2], kwargs
        for k, P in before[0].items():
            np.testing.assert_array_equal(net.parameters[k], P)
        assert net._rng.get_state()[2] == before[4]


def test_dropout_without_hidden_layers_is_refused():
    X, Y = moons()
    with pytest.raises(ds.DeepstepError, match="keep_prob: dropout acts on hidden layers and this network has none"):
        ds.DeepNetwork([2, 1], rng=0).fit(X, Y, 0.1, 3, keep_prob=0.5)
    assert len(ds.DeepNetwork([2, 1], rng=0).fit(X, Y, 0.1, 3, keep_prob=1.0).cost) == 3


def test_verbose_shows_progress_with_validation_figures(monkeypatch, capsys):
    X, Y = moons()
    monkeypatch.setattr("sys.stderr", io.StringIO())
    ds.DeepNetwork([2, 4, 1], rng=0).fit(X, Y, 0.1, 20, validation_fraction=0.2, verbose=True)
    shown = capsys.readouterr().out + __import__("sys").stderr.getvalue()
    assert "cost" in shown and "val_cost" in shown


def test_model_backward_takes_any_AL_other_than_0_and_1():
    # a hand-built cache whose AL is not sigmoid(Z): dA[L] = -(Y/AL - (1-Y)/(1-AL)) is defined at AL = 1.5, -0.5
    AL, Y = np.array([[1.5, -0.5]]), np.array([[1.0, 0.0]])
    Z = np.array([[0.0, 0.0]])  # sigma'(0) = 1/4
    A_prev, W, b = np.array([[1.0, 2.0]]), np.array([[1.0]]), np.array([[0.0]])
    grads = ds.model_backward(AL, Y, [((A_prev, W, b), Z)], output_activation="sigmoid")
    dA = np.array([[-(1 / 1.5), 1 / 1.5]])  # -(1/1.5 - 0) and -(0 - 1/(1 + 0.5))
    dZ = dA * 0.25
    np.testing.assert_allclose(grads["dW1"], dZ @ A_prev.T / 2, rtol=1e-15)
    np.testing.assert_allclose(grads["db1"], dZ.sum(axis=1, keepdims=True) / 2, rtol=1e-15)
    with pytest.raises(ds.DeepstepError, match="AL: expected finite values"):
        ds.model_backward(np.array([[np.nan, 0.5]]), Y, [((A_prev, W, b), Z)])


@pytest.mark.parametrize(("cache", "message"), [
    ((np.ones((2, 3)), np.ones((1, 2)), np.ones((1, 1))), r"expected the activation cache .* got a linear cache"),
])
def test_the_course_cache_mix_up_names_the_cache_expected(cache, message):
    with pytest.raises(ds.DeepstepError, match=message):
        ds.linear_activation_backward(np.ones((1, 3)), cache, "relu")
    _, act_cache = ds.linear_activation_forward(np.ones((2, 3)), np.ones((1, 2)), np.ones((1, 1)), "relu")
    with pytest.raises(ds.DeepstepError, match=r"expected the linear cache .* got an activation cache"):
        ds.linear_backward(np.ones((1, 3)), act_cache)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_a_callback_can_change_the_parameters_during_training(batch_size):
    X, Y = moons()

    def zero_W2_after_epoch_1(epoch, logs, net=None):
        if epoch == 1:
            box[0].parameters["W2"][...] = 0.0

    box = [ds.DeepNetwork([2, 5, 1], rng=4)]
    box[0].fit(X, Y, 0.2, 6, batch_size=batch_size, callbacks=[zero_W2_after_epoch_1], method="plain")
    ref = ds.DeepNetwork([2, 5, 1], rng=4)  # the same by hand: 2 epochs, W2 := 0, 4 epochs
    ref.fit(X, Y, 0.2, 2, batch_size=batch_size, method="plain")
    ref.parameters["W2"][...] = 0.0
    ref.fit(X, Y, 0.2, 4, batch_size=batch_size, method="plain")
    for k, P in ref.parameters.items():
        np.testing.assert_array_equal(box[0].parameters[k], P)


def test_an_optimizer_object_holding_another_networks_state_is_refused():
    X, Y = moons()
    opt = ds.optimizers.Momentum()
    ds.DeepNetwork([2, 4, 1], rng=0).fit(X, Y, 0.1, 2, optimizer=opt)
    other = ds.DeepNetwork([2, 5, 1], rng=0)
    before = {k: v.copy() for k, v in other.parameters.items()}
    with pytest.raises(ds.DeepstepError, match=r"optimizer: its state v\['dW1'\] has shape \(4, 2\).*own optimizer"):
        other.fit(X, Y, 0.1, 2, optimizer=opt)
    assert other.optimizer is None and other.history.cost == []
    assert all(np.array_equal(other.parameters[k], v) for k, v in before.items())


def test_a_divergence_under_the_gram_form_never_leaves_a_non_finite_first_layer():
    gen = np.random.default_rng(0)
    X = gen.standard_normal((30, 12))
    Y = (X[0:1] > 0).astype(np.float64)
    net = ds.DeepNetwork([30, 4, 1], rng=1)
    net.fit(X, Y, 0.1, 3, method="plain", batch_size=5)
    with pytest.raises(ds.TrainingDiverged) as info:
        net.fit(X * 1e10, Y, 1e30, 20, method="gram", optimizer="momentum")
    assert all(np.isfinite(P).all() for P in net.parameters.values())
    kept = len(info.value.history.cost)  # the sound epochs before the divergence (finite parameters at their start)
    assert len(net.history.cost) == 3 + kept and all(np.isfinite(net.history.cost))
    assert net.history.method == ("gram" if kept else "plain")  # the history names the last run that kept epochs


def test_a_run_that_keeps_no_epoch_leaves_the_history_naming_the_run_before(rng):
    X = rng.standard_normal((3, 20))
    Y = (X[:1] > 0).astype(np.float64)
    net = ds.DeepNetwork([3, 4, 1], rng=0)
    net.fit(X, Y, 0.1, 2, batch_size=5, optimizer="adam")
    with pytest.raises(ds.TrainingDiverged):
        net.fit(X * 1e10, Y, 1e308, 1, method="gram")
    h = net.history
    assert (h.method, h.optimizer, h.batch_size, h.learning_rate, len(h)) == ("plain", "adam", 5, 0.1, 2)
