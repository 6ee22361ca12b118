"""deepstep train's training flags: optimizers, schedules, L2, dropout, validation, early stopping, resume checks,
divergence, SIGTERM and the once-per-run --method auto."""

import json
import signal

import numpy as np
import pytest

import deepstep as ds
from conftest import run
from deepstep.callbacks import EarlyStopping
from deepstep.cli import main
from deepstep.data.split import validation_split
from deepstep.gram import pays_off
from deepstep.schedules import ExponentialDecay, InverseTimeDecay, StepDecay


def refused(capsys, *argv):
    """deepstep in this process (argparse's exit caught); the one stderr line of a refused command."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    return one_error_line(code, capsys.readouterr().err)


def one_error_line(code, err):
    """The single stderr line of a refused command (status 2, no traceback)."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("deepstep train: error: ")
    return lines[0]


def assert_same_model(a, b):
    """Bit-identical parameters and history."""
    assert a.layer_dims == b.layer_dims
    assert a.history.cost == b.history.cost
    assert a.history.accuracy == b.history.accuracy
    assert a.history.val_cost == b.history.val_cost
    assert a.history.learning_rates == b.history.learning_rates
    for k in b.parameters:
        np.testing.assert_array_equal(a.parameters[k], b.parameters[k], err_msg=k)


def moons(seed):
    """The CLI's moons: load_dataset with the seed and the default test fraction."""
    return ds.datasets.load_dataset("moons", rng=seed, test_fraction=0.2)


def moons_net(seed):
    """The CLI's moons network: PRESETS["moons"] is one hidden layer of 8 tanh units, init auto."""
    return ds.DeepNetwork([2, 8, 1], "tanh", "sigmoid", init="auto", rng=seed)


# -- 1. bad values: one line, status 2, nothing written ------------------------------------------------------


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--keep-prob", "0"], "--keep-prob"),
        (["--keep-prob", "1.5"], "--keep-prob"),
        (["--l2", "-1"], "--l2"),
        (["--beta", "1", "--optimizer", "momentum"], "--beta"),
        (["--beta1", "1.0", "--optimizer", "adam"], "--beta1"),
        (["--beta2", "-0.1", "--optimizer", "adam"], "--beta2"),
        (["--epsilon", "0", "--optimizer", "adam"], "--epsilon"),
        (["--early-stopping", "0", "--validation-fraction", "0.25"], "--early-stopping"),
        (["--lr-decay", "-1"], "--lr-decay"),
        (["--lr-decay-every", "0", "--lr-decay", "0.5"], "--lr-decay-every"),
        (["--beta", "0.9", "--optimizer", "gd"], "--beta: applies to --optimizer momentum"),
        (["--beta", "0.9"], "--beta: applies to --optimizer momentum"),  # gd is the default
        (["--beta1", "0.9", "--optimizer", "momentum"], "--beta1: applies to --optimizer adam"),
        (["--beta2", "0.9", "--optimizer", "momentum"], "--beta2: applies to --optimizer adam or rmsprop"),
        (["--early-stopping", "5"], "--early-stopping: watches the validation cost"),
        (["--schedule", "step"], "--schedule: step needs --lr-decay"),
        (["--schedule", "exponential"], "--schedule: exponential needs --lr-decay"),
        (["--validation-fraction", "1"], "--validation-fraction"),
        (["--validation-fraction", "0"], "--validation-fraction"),
        (["--optimizer", "sgd"], "--optimizer"),
    ],
)
def test_bad_training_flags_are_one_line_status_2_and_write_no_model(flags, expected, tmp_path, capsys):
    out = tmp_path / "out"
    line = refused(capsys, "train", "--dataset", "moons", "--iterations", "5", "--quiet", "--out", str(out),
                   *flags)
    assert expected in line
    assert not (out / "model.npz").exists() and not (out / "metrics.json").exists()


@pytest.mark.parametrize("flags, expected", [
    (["--keep-prob", "0"], "argument --keep-prob: expected a probability with 0 < P <= 1"),  # argparse
    (["--schedule", "step"], "--schedule: step needs --lr-decay RATE"),  # after parsing
])
def test_bad_training_flags_in_a_fresh_process(flags, expected, tmp_path):
    out = tmp_path / "out"
    line = one_error_line(*run("train", "--dataset", "moons", "--iterations", "5", "--out", str(out), *flags)[::2])
    assert expected in line
    assert not (out / "model.npz").exists()


def test_lr_decay_every_without_a_decay_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    line = refused(capsys, "train", "--dataset", "moons", "--iterations", "5", "--out", str(out), "--quiet",
                   "--lr-decay-every", "5")
    assert "--lr-decay-every" in line
    assert not (out / "model.npz").exists()


def test_a_validation_fraction_that_leaves_no_examples_is_refused(tmp_path, capsys):
    np.savez(tmp_path / "tiny.npz", X=np.arange(20.0).reshape(2, 10), Y=np.array([0, 1] * 5))
    out = tmp_path / "out"
    # 8 training examples, 4 per class: 0.01 of 4 rounds to 0 held out in both classes
    line = refused(capsys, "train", "--dataset", str(tmp_path / "tiny.npz"), "--validation-fraction", "0.01",
                   "--iterations", "5", "--out", str(out))
    assert "--validation-fraction" in line
    assert not (out / "model.npz").exists()


# -- 2. the flags reach the library ----------------------------------------------------------------------------


def test_adam_l2_dropout_mini_batches_train_exactly_as_the_library(tmp_path):
    out = tmp_path / "adam"
    assert main(["train", "--dataset", "moons", "--optimizer", "adam", "--beta1", "0.8", "--l2", "0.1",
                 "--keep-prob", "0.9", "--batch-size", "32", "--iterations", "20", "--seed", "3",
                 "--out", str(out), "--quiet"]) == 0
    cli = ds.load_model(out / "model.npz")
    data = moons(3)
    net = moons_net(3)
    net.fit(data.train_X, data.train_Y, 1.0, 20, batch_size=32, optimizer=ds.optimizers.Adam(beta1=0.8), l2=0.1,
            keep_prob=0.9)
    assert_same_model(cli, net)
    assert cli.optimizer.config() == {"name": "adam", "beta1": 0.8, "beta2": 0.999, "epsilon": 1e-8,
                                      "schedule": {"name": "constant"}}
    assert cli.optimizer.t == 20 * 13  # 400 training examples in batches of 32: 13 updates per epoch
    training = cli.metadata["training"]
    assert (training["l2"], training["keep_prob"], training["batch_size"]) == (0.1, 0.9, 32)
    # each flag matters: Adam's default beta1, or no dropout, trains another model
    for kwargs in ({"optimizer": ds.optimizers.Adam(), "keep_prob": 0.9, "l2": 0.1},
                   {"optimizer": ds.optimizers.Adam(beta1=0.8), "keep_prob": 1.0, "l2": 0.1},
                   {"optimizer": ds.optimizers.Adam(beta1=0.8), "keep_prob": 0.9, "l2": 0.0}):
        other = moons_net(3)
        other.fit(data.train_X, data.train_Y, 1.0, 20, batch_size=32, **kwargs)
        assert other.history.cost != cli.history.cost


def test_momentum_with_inverse_time_decay_trains_exactly_as_the_library(tmp_path):
    out = tmp_path / "momentum"
    assert main(["train", "--dataset", "moons", "--optimizer", "momentum", "--beta", "0.5", "--lr-decay", "0.5",
                 "--lr-decay-every", "5", "--iterations", "20", "--seed", "3", "--out", str(out), "--quiet"]) == 0
    cli = ds.load_model(out / "model.npz")
    data = moons(3)
    net = moons_net(3)
    net.fit(data.train_X, data.train_Y, 1.0, 20,
            optimizer=ds.optimizers.Momentum(beta=0.5, schedule=InverseTimeDecay(0.5, 5)))
    assert_same_model(cli, net)
    # alpha0 / (1 + 0.5 floor(e / 5)) with alpha0 = 1 (the moons preset)
    assert cli.history.learning_rates == [1.0] * 5 + [1 / 1.5] * 5 + [0.5] * 5 + [0.4] * 5
    assert cli.optimizer.config() == {"name": "momentum", "beta": 0.5,
                                      "schedule": {"name": "inverse_time", "decay_rate": 0.5, "interval": 5}}


@pytest.mark.parametrize("name, schedule", [
    ("exponential", ExponentialDecay(0.5, 4)),
    ("step", StepDecay(0.5, 4)),
])
def test_schedule_flag_picks_the_schedule(name, schedule, tmp_path):
    out = tmp_path / name
    assert main(["train", "--dataset", "moons", "--schedule", name, "--lr-decay", "0.5", "--lr-decay-every", "4",
                 "--iterations", "10", "--out", str(out), "--quiet"]) == 0
    cli = ds.load_model(out / "model.npz")
    expected = [0.5 ** (e / 4) if name == "exponential" else 0.5 ** (e // 4) for e in range(10)]
    np.testing.assert_allclose(cli.history.learning_rates, expected, rtol=1e-15)
    data = moons(1)
    net = moons_net(1)
    net.fit(data.train_X, data.train_Y, 1.0, 10, optimizer=ds.optimizers.GradientDescent(schedule=schedule))
    assert_same_model(cli, net)


# -- 3. validation and early stopping ----------------------------------------------------------------------------

EARLY = ["train", "--dataset", "moons", "--learning-rate", "5", "--iterations", "300", "--validation-fraction",
         "0.25", "--early-stopping", "3", "--quiet"]


def test_early_stopping_keeps_the_best_validation_epoch_and_resume_does_not_go_on(tmp_path, capsys):
    out = tmp_path / "early"
    assert main([*EARLY, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    h = metrics["history"]
    n = len(h["cost"])
    assert len(h["val_cost"]) == len(h["val_accuracy"]) == len(h["accuracy"]) == n == metrics["iterations"]
    assert n < 300  # stopped early
    best = int(np.argmin(h["val_cost"]))  # the first epoch of the lowest validation cost
    assert n == best + 1 + 3  # then 3 epochs without improvement
    assert f"kept the parameters of iteration {best}" in capsys.readouterr().out

    # the same held-out split, in Python
    data = moons(1)
    held = validation_split(data.train_Y[0], 0.25, 1)  # the one hold-out rule, with --seed
    assert held.sum() == 100  # a quarter of each class of 200
    X, Y, Xv, Yv = data.train_X[:, ~held], data.train_Y[:, ~held], data.train_X[:, held], data.train_Y[:, held]
    cli = ds.load_model(out / "model.npz")

    net = moons_net(1)
    early = EarlyStopping(patience=3)
    net.fit(X, Y, 5.0, 300, validation_data=(Xv, Yv), callbacks=[early])
    assert_same_model(cli, net)
    assert early.best_epoch == best and early.stopped_epoch == n - 1

    # independently of EarlyStopping: the parameters after epochs 0..best are the model's
    plain = moons_net(1)
    plain.fit(X, Y, 5.0, best + 1)
    for k in plain.parameters:
        np.testing.assert_array_equal(cli.parameters[k], plain.parameters[k], err_msg=k)
    assert cli.cost(Xv, Yv) == pytest.approx(h["val_cost"][best], rel=1e-12)
    assert cli.cost(Xv, Yv) == pytest.approx(min(h["val_cost"]), rel=1e-12)
    assert metrics["val_cost"] == h["val_cost"][-1]

    # the model file resumes, and an early-stopped run stays stopped
    assert main([*EARLY, "--out", str(out), "--resume"]) == 0
    resumed = ds.load_model(out / "model.npz")
    assert len(resumed.history.cost) == n
    assert_same_model(resumed, cli)


def test_early_stopping_resumed_after_a_stop_request_ends_as_the_unbroken_run(tmp_path, monkeypatch):
    """Stopped one epoch after the best one (EarlyStopping waiting, 1 of 3): the resumed run waits 2 more."""
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert main([*EARLY, "--out", str(whole)]) == 0
    h = ds.load_model(whole / "model.npz").history
    best = int(np.argmin(h.val_cost))
    stop_at = best + 1
    assert len(h.cost) == best + 4
    from deepstep import cli

    original = cli._StopRequest.on_epoch_end

    def stop_request(self, run, epoch, logs):  # as a SIGTERM arriving during that iteration would
        if epoch == stop_at:
            self.asked = int(signal.SIGTERM)
        original(self, run, epoch, logs)

    monkeypatch.setattr(cli._StopRequest, "on_epoch_end", stop_request)
    assert main([*EARLY, "--out", str(broken)]) == 128 + signal.SIGTERM
    stopped = ds.load_model(broken / "model.npz")
    assert len(stopped.history.cost) == stop_at + 1
    assert stopped.callback_state["early_stopping"][0]["wait"] == 1  # the model file carries the callback's state
    monkeypatch.undo()
    assert main([*EARLY, "--out", str(broken), "--resume"]) == 0
    assert_same_model(ds.load_model(broken / "model.npz"), ds.load_model(whole / "model.npz"))


# -- 4. exact resume --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flags", [
    ["--optimizer", "adam", "--batch-size", "32", "--keep-prob", "0.8"],
    ["--optimizer", "momentum", "--lr-decay", "0.1"],
    ["--optimizer", "rmsprop", "--batch-size", "50", "--l2", "0.05", "--validation-fraction", "0.2"],
])
def test_resume_is_bit_identical_to_an_unbroken_run(flags, tmp_path):
    common = ["train", "--dataset", "moons", "--quiet", *flags]
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert main([*common, "--iterations", "12", "--out", str(whole)]) == 0
    assert main([*common, "--iterations", "5", "--out", str(broken)]) == 0
    assert len(ds.load_model(broken / "model.npz").history.cost) == 5
    assert main([*common, "--iterations", "12", "--out", str(broken), "--resume"]) == 0
    a, b = ds.load_model(whole / "model.npz"), ds.load_model(broken / "model.npz")
    assert len(b.history.cost) == 12
    assert_same_model(b, a)
    assert b.optimizer.t == a.optimizer.t and b.optimizer.epoch == a.optimizer.epoch == 12
    if "--lr-decay" in flags:  # alpha0 / (1 + 0.1 e), counted over the whole training
        np.testing.assert_allclose(b.history.learning_rates, [1 / (1 + 0.1 * e) for e in range(12)], rtol=1e-15)


# -- 5. --resume refusals -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moons_model(tmp_path_factory):
    """A gd, float64, tanh [2, 8, 1] model of moons, 5 iterations."""
    out = tmp_path_factory.mktemp("moons_model")
    assert main(["train", "--dataset", "moons", "--iterations", "5", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.mark.parametrize("flags, named", [
    (["--layers", "2,5,1"], ["--layers:", "[2, 8, 1]", "[2, 5, 1]"]),
    (["--hidden-activation", "relu"], ["--hidden-activation:", "tanh", "relu"]),
    (["--optimizer", "adam"], ["--optimizer:", "GradientDescent", "Adam"]),
    (["--optimizer", "momentum"], ["--optimizer:", "GradientDescent", "Momentum"]),
    (["--lr-decay", "0.5"], ["--optimizer:", "GradientDescent()", "InverseTimeDecay"]),
    (["--dtype", "float32"], ["--dtype:", "float64", "float32"]),
])
def test_resume_refuses_a_model_made_with_other_flags(flags, named, moons_model, capsys):
    model = moons_model / "model.npz"
    before = model.read_bytes()
    line = refused(capsys, "train", "--dataset", "moons", "--iterations", "10", "--out", str(moons_model),
                   "--resume", *flags)
    for text in [*named, str(model)]:
        assert text in line
    assert model.read_bytes() == before


def test_resume_refuses_when_there_is_nothing_to_resume(tmp_path, capsys):
    out = tmp_path / "empty"
    line = refused(capsys, "train", "--dataset", "moons", "--iterations", "5", "--out", str(out), "--resume")
    assert "--resume" in line and str(out / "model.npz") in line
    assert not (out / "model.npz").exists()


def test_resume_refuses_a_model_of_another_number_of_classes(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "three.npz", X=rng.standard_normal((2, 60)), Y=np.arange(60) % 3)
    np.savez(tmp_path / "two.npz", X=rng.standard_normal((2, 60)), Y=np.arange(60) % 2)
    out = tmp_path / "out"
    assert main(["train", "--dataset", str(tmp_path / "three.npz"), "--iterations", "5", "--out", str(out),
                 "--quiet"]) == 0
    model = out / "model.npz"
    assert ds.load_model(model).layer_dims == [2, 16, 3]  # softmax over 3 classes
    before = model.read_bytes()
    line = refused(capsys, "train", "--dataset", str(tmp_path / "two.npz"), "--iterations", "10", "--out",
                   str(out), "--resume")
    assert "--dataset:" in line and "2 classes" in line and str(model) in line
    assert model.read_bytes() == before


def test_resume_refuses_a_model_of_other_features_or_class_names(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "ab.npz", X=rng.standard_normal((2, 40)), Y=np.array(["a", "b"] * 20))
    np.savez(tmp_path / "xy.npz", X=rng.standard_normal((2, 40)), Y=np.array(["x", "y"] * 20))
    np.savez(tmp_path / "wide.npz", X=rng.standard_normal((3, 40)), Y=np.array(["a", "b"] * 20))
    out = tmp_path / "out"
    assert main(["train", "--dataset", str(tmp_path / "ab.npz"), "--iterations", "5", "--out", str(out),
                 "--quiet"]) == 0
    model = out / "model.npz"
    before = model.read_bytes()
    for other, named in (("xy.npz", ["['a', 'b']", "['x', 'y']"]), ("wide.npz", ["3 features"])):
        line = refused(capsys, "train", "--dataset", str(tmp_path / other), "--iterations", "10", "--out",
                       str(out), "--resume")
        assert "--dataset:" in line and all(text in line for text in named), line
        assert model.read_bytes() == before


def test_resume_with_the_same_flags_given_explicitly_is_accepted(moons_model, tmp_path):
    out = tmp_path / "same"
    out.mkdir()
    (out / "model.npz").write_bytes((moons_model / "model.npz").read_bytes())
    assert main(["train", "--dataset", "MOONS", "--iterations", "6", "--out", str(out), "--resume", "--quiet",
                 "--layers", "2,8,1", "--hidden-activation", "tanh", "--optimizer", "gd", "--dtype", "float64"]) == 0
    assert len(ds.load_model(out / "model.npz").history.cost) == 6


@pytest.mark.parametrize("activation", ["leaky_relu", "leaky_relu:0.01", "leaky_relu:0.2"])
def test_resume_accepts_the_hidden_activation_it_was_trained_with(activation, tmp_path):
    """leaky_relu:0.01 is leaky_relu (its default slope), and is saved under that name."""
    common = ["train", "--dataset", "moons", "--hidden-activation", activation, "--out", str(tmp_path / "o"),
              "--quiet"]
    assert main([*common, "--iterations", "3"]) == 0
    assert main([*common, "--iterations", "4", "--resume"]) == 0
    assert len(ds.load_model(tmp_path / "o" / "model.npz").history.cost) == 4


# -- 6. data set names ----------------------------------------------------------------------------------------------


def test_capitalized_planar_trains_the_planar_preset(tmp_path):
    out = tmp_path / "P"
    assert main(["train", "--dataset", "Planar", "--iterations", "5", "--out", str(out), "--quiet"]) == 0
    net = ds.load_model(out / "model.npz")
    assert net.layer_dims == [2, 4, 1]
    assert net.hidden_activation == "tanh"
    assert net.metadata["dataset"] == "planar"
    assert net.metadata["training"]["learning_rate"] == 1.2
    data = ds.datasets.load_dataset("planar", rng=1)
    reference = ds.DeepNetwork([2, 4, 1], "tanh", "sigmoid", init="auto", rng=1)
    reference.fit(data.train_X, data.train_Y, 1.2, 5)
    assert_same_model(net, reference)


# -- 7. divergence ----------------------------------------------------------------------------------------------------


@pytest.fixture
def huge(tmp_path):
    """Moons points times 1e10: gradient descent at learning rate 1e30 diverges at once."""
    X, Y = ds.datasets.make_moons(200, rng=0)
    path = tmp_path / "huge.npz"
    np.savez(path, X=X * 1e10, Y=Y)
    return path


def assert_finite_model(path):
    net = ds.load_model(path)
    assert all(np.isfinite(P).all() for P in net.parameters.values())
    assert np.isfinite(net.history.cost).all()
    return net


def test_divergence_is_one_line_and_saves_the_last_good_model(huge, tmp_path):
    out = tmp_path / "div"
    line = one_error_line(*run("train", "--dataset", str(huge), "--learning-rate", "1e30", "--iterations", "50",
                               "--out", str(out), "--quiet")[::2])
    assert "diverged at iteration" in line and str(out / "model.npz") in line
    net = assert_finite_model(out / "model.npz")
    done = len(net.history.cost)
    assert done < 50
    # the saved model is the same run's, after its first `done` iterations
    data = ds.datasets.load_dataset(huge, rng=1, test_fraction=0.2)
    # the preset for files, which the CLI standardizes by default
    reference = ds.DeepNetwork([2, 16, 1], "relu", "sigmoid", init="auto", rng=1, standardize=True)
    reference.fit(data.train_X, data.train_Y, 1e30, done)
    assert_same_model(net, reference)


def test_divergence_never_leaves_an_unloadable_model_in_out(huge, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["train", "--dataset", "moons", "--iterations", "20", "--out", str(out), "--quiet"]) == 0
    assert_finite_model(out / "model.npz")
    line = refused(capsys, "train", "--dataset", str(huge), "--learning-rate", "1e30", "--iterations", "50",
                   "--checkpoint-every", "1", "--out", str(out), "--quiet")
    assert "diverged at iteration" in line
    net = assert_finite_model(out / "model.npz")
    assert len(net.history.cost) < 50


@pytest.mark.parametrize("flags", [["--checkpoint-every", "1"], ["--batch-size", "16"], ["--optimizer", "momentum"],
                                   ["--validation-fraction", "0.25", "--checkpoint-every", "1"]])
def test_a_diverging_wide_set_saves_a_finite_model(flags, tmp_path, capsys):
    """Also where the first layer is in Gram form (fewer examples than features, full batch)."""
    X = np.random.default_rng(0).standard_normal((30, 12))
    np.savez(tmp_path / "wide.npz", X=X * 1e10, Y=(X[0] > 0).astype(int))
    out = tmp_path / "out"
    line = refused(capsys, "train", "--dataset", str(tmp_path / "wide.npz"), "--learning-rate", "1e30",
                   "--iterations", "50", "--out", str(out), "--quiet", *flags)
    assert "diverged at iteration" in line
    assert len(assert_finite_model(out / "model.npz").history.cost) < 50


# -- 8. SIGTERM -----------------------------------------------------------------------------------------------------


def test_train_puts_the_signal_handlers_back(tmp_path):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    assert main(["train", "--dataset", "moons", "--iterations", "3", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.parametrize(("flags", "named"), [
    (["--schedule", "exponential", "--lr-decay", "2"], "--lr-decay: expected a finite number with 0 < decay_rate <= 1"),
    (["--schedule", "constant", "--lr-decay", "0.5"], "--lr-decay: applies to a decaying --schedule"),
    (["--schedule", "step", "--lr-decay", "1.5", "--lr-decay-every", "3"], "--lr-decay: expected a finite number"),
])
def test_schedule_errors_name_the_flag(flags, named, tmp_path, capsys):
    assert named in refused(capsys, "train", "--dataset", "moons", "--iterations", "3", "--out", str(tmp_path / "o"),
                            *flags)


def test_resume_refuses_another_seed(moons_model, capsys):
    line = refused(capsys, "train", "--dataset", "moons", "--iterations", "10", "--out", str(moons_model),
                   "--resume", "--seed", "7")
    assert "--seed:" in line and "1" in line and "7" in line


def test_resume_takes_an_explicit_method_and_keeps_the_decided_one_otherwise(tmp_path):
    X = np.random.default_rng(0).standard_normal((30, 12))  # 30 features, 12 examples: Gram pays off
    np.savez(tmp_path / "wide.npz", X=X, Y=(X[0] > 0).astype(int))
    base = ["train", "--dataset", str(tmp_path / "wide.npz"), "--quiet"]
    for name, resume_flags, expected in (("plain", ["--method", "plain"], "plain"),
                                         ("auto", [], "gram")):
        out = str(tmp_path / name)
        assert main([*base, "--iterations", "5", "--out", out]) == 0
        assert ds.load_model(tmp_path / name / "model.npz").history.method == "gram"
        assert main([*base, "--iterations", "12", "--out", out, "--resume", *resume_flags]) == 0
        assert ds.load_model(tmp_path / name / "model.npz").history.method == expected, name


# -- 9. --method auto is decided once per run ---------------------------------------------------------------------


def test_method_auto_is_decided_once_per_run(tmp_path):
    X = np.random.default_rng(0).standard_normal((30, 12))  # 30 features, 12 examples: Gram pays off
    np.savez(tmp_path / "wide.npz", X=X, Y=(X[0] > 0).astype(int))
    models = {}
    for name, flags in (("every1", ["--checkpoint-every", "1"]), ("default", []), ("plain", ["--method", "plain"])):
        out = tmp_path / name
        assert main(["train", "--dataset", str(tmp_path / "wide.npz"), "--iterations", "60", "--out", str(out),
                     "--quiet", *flags]) == 0
        models[name] = ds.load_model(out / "model.npz")
    m = ds.datasets.load_dataset(tmp_path / "wide.npz", rng=1, test_fraction=0.2).train_X.shape[1]
    assert m < 30 and pays_off(30, 16, m, 60)  # what "auto" should choose: Gram
    for name in ("every1", "default"):
        assert models[name].history.method == "gram"
        assert models[name].metadata["training"]["method"] == "gram"
    assert models["plain"].history.method == "plain"
    a, b = models["every1"], models["default"]
    assert len(a.history.cost) == len(b.history.cost) == 60
    np.testing.assert_allclose(a.history.cost, b.history.cost, rtol=1e-12, atol=0)
    for k in a.parameters:
        np.testing.assert_allclose(a.parameters[k], b.parameters[k], rtol=1e-12, atol=1e-12, err_msg=k)
        np.testing.assert_allclose(a.parameters[k], models["plain"].parameters[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_resume_or_start_starts_where_there_is_nothing_and_continues_where_there_is(tmp_path):
    common = ["train", "--dataset", "moons", "--batch-size", "32", "--quiet", "--out", str(tmp_path / "o")]
    assert main([*common, "--iterations", "5", "--resume-or-start"]) == 0
    assert len(ds.load_model(tmp_path / "o" / "model.npz").history.cost) == 5
    assert main([*common, "--iterations", "12", "--resume-or-start"]) == 0
    assert main([*common, "--iterations", "12", "--out", str(tmp_path / "whole")]) == 0
    assert_same_model(ds.load_model(tmp_path / "o" / "model.npz"), ds.load_model(tmp_path / "whole" / "model.npz"))


@pytest.mark.parametrize(("flags", "named"), [
    (["--l2", "0.5"], "--l2: the model in"), (["--keep-prob", "0.8"], "--keep-prob: the model in"),
    (["--batch-size", "32"], "--batch-size: the model in"),
    (["--validation-fraction", "0.2"], "--validation-fraction: the model in"),
])
def test_resume_refuses_another_design_of_the_run(flags, named, moons_model, capsys):
    model = moons_model / "model.npz"
    before = model.read_bytes()
    line = refused(capsys, "train", "--dataset", "moons", "--iterations", "10", "--out", str(moons_model),
                   "--resume", *flags)
    assert named in line
    assert model.read_bytes() == before


def test_resume_may_lower_the_learning_rate(moons_model, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(moons_model, out)
    assert main(["train", "--dataset", "moons", "--iterations", "8", "--out", str(out), "--resume",
                 "--learning-rate", "0.1", "--quiet"]) == 0
    h = ds.load_model(out / "model.npz").history
    assert len(h.cost) == 8 and h.learning_rates[-3:] == [0.1] * 3


@pytest.mark.parametrize(("flags", "reason"), [
    (["--optimizer", "adam"], "'adam' update is not linear"),
    (["--batch-norm"], "batch normalization on layer 1"),
    (["--batch-size", "4"], "needs full-batch training"),
])
def test_where_the_gram_form_would_pay_but_cannot_apply_the_run_says_why(tmp_path, capsys, flags, reason):
    X = np.random.default_rng(0).standard_normal((30, 12))  # 30 features, 12 examples: Gram would pay off
    np.savez(tmp_path / "wide.npz", X=X, Y=(X[0] > 0).astype(int))
    assert main(["train", "--dataset", str(tmp_path / "wide.npz"), "--iterations", "60", "--out",
                 str(tmp_path / "run"), "--quiet", *flags]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "Gram form" in line]
    assert len(notes) == 1 and reason in notes[0] and notes[0].endswith("the plain path trains")
    assert ds.load_model(tmp_path / "run" / "model.npz").history.method == "plain"
