"""Logs of training: a CSV row per epoch equal to the History, TensorBoard event files read back with TensorBoard's
own reader, the progress bar moving within long epochs, the signals drawn, and deepstep train's diagnosis."""

import csv
import json

import numpy as np
import pytest

import deepstep as ds
from conftest import command
from deepstep.callbacks import CSVLogger, ProgressBar


def moons(m=200):
    return ds.datasets.make_moons(m=m, noise=0.2, rng=0)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_the_csv_has_one_row_per_epoch_equal_to_the_history(tmp_path):
    X, Y = moons()
    net = ds.DeepNetwork([2, 8, 8, 1], rng=0)
    h = net.fit(X, Y, 0.3, 30, validation_fraction=0.25, callbacks=[CSVLogger(tmp_path / "log.csv")], signals=7)
    rows = read_csv(tmp_path / "log.csv")
    assert [int(r["epoch"]) for r in rows] == list(range(30))
    for name in ("cost", "accuracy", "val_cost", "val_accuracy"):
        assert [float(r[name]) for r in rows] == getattr(h, name)  # repr(float): every digit
    assert [float(r["learning_rate"]) for r in rows] == h.learning_rates
    recorded = dict(zip(h.signals["epoch"], h.signals["W_norm"], strict=True))
    for r in rows:
        e = int(r["epoch"])
        cells = [r[f"W_norm_{l}"] for l in (1, 2, 3)]
        if e in recorded:
            assert [float(c) for c in cells] == recorded[e]
        else:
            assert cells == ["", "", ""]


def test_a_resumed_run_appends_and_a_divergence_takes_back_its_rows(tmp_path):
    X, Y = moons()
    path = tmp_path / "log.csv"
    net = ds.DeepNetwork([2, 8, 1], rng=0)
    net.fit(X, Y, 0.3, 5, callbacks=[CSVLogger(path)])
    net.fit(X, Y, 0.3, 5, callbacks=[CSVLogger(path, append=True)])
    assert [int(r["epoch"]) for r in read_csv(path)] == list(range(10))
    with pytest.raises(ds.TrainingDiverged):
        net.fit(X * 1e10, Y, 1e30, 50, callbacks=[CSVLogger(path, append=True)])
    rows = read_csv(path)
    assert [int(r["epoch"]) for r in rows] == list(range(len(net.history.cost)))
    assert [float(r["cost"]) for r in rows] == net.history.cost


@pytest.mark.parametrize("where", ["missing folder", "a folder", "unwritable"])
def test_a_csv_path_that_cannot_be_written_is_refused_before_training(where, tmp_path):
    X, Y = moons()
    net = ds.DeepNetwork([2, 3, 1], rng=0)
    W1 = net.parameters["W1"].copy()
    path = {"missing folder": tmp_path / "no" / "log.csv", "a folder": tmp_path,
            "unwritable": "/proc/deepstep-log.csv"}[where]
    with pytest.raises(ds.DeepstepError, match=r"^log_csv: "):
        net.fit(X, Y, 0.1, 2, callbacks=[CSVLogger(path, argument="log_csv")])
    assert len(net.history) == 0
    np.testing.assert_array_equal(net.parameters["W1"], W1)


def test_the_command_names_log_csv_in_one_line(tmp_path, capsys):
    code, _, err = command(capsys, "train", "--dataset", "moons", "--iterations", "3", "--log-csv", "/proc/x.csv",
                           "--out", tmp_path)
    assert code == 2 and err.count("\n") == 1 and "--log-csv: " in err and "Traceback" not in err


def test_tensorboard_leaves_out_the_histograms_of_nan_and_the_guard_still_puts_back_a_sound_state(tmp_path):
    pytest.importorskip("tensorboardX")
    X, Y = moons(m=100)
    net = ds.DeepNetwork([2, 8, 8, 1], dtype=np.float32, rng=0)
    with pytest.raises(ds.TrainingDiverged):
        net.fit(X, Y, 1e8, 3, signals=1, callbacks=[ds.callbacks.TensorBoard(tmp_path / "tb")])
    assert all(np.isfinite(P).all() for P in net.parameters.values())


def test_tensorboard_event_files_read_back_with_tensorboards_own_reader(tmp_path):
    pytest.importorskip("tensorboardX")
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    X, Y = moons()
    net = ds.DeepNetwork([2, 8, 1], rng=0)
    h = net.fit(X, Y, 0.3, 12, validation_fraction=0.25, signals=5,
                callbacks=[ds.callbacks.TensorBoard(tmp_path / "tb")])
    acc = event_accumulator.EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    cost = acc.Scalars("cost")
    assert [e.step for e in cost] == list(range(12))
    np.testing.assert_allclose([e.value for e in cost], h.cost, rtol=1e-6)  # (stored as float32)
    np.testing.assert_allclose([e.value for e in acc.Scalars("val_accuracy")], h.val_accuracy, rtol=1e-6)
    norms = acc.Scalars("layer1/W_norm")
    assert [e.step for e in norms] == h.signals["epoch"]
    np.testing.assert_allclose([e.value for e in norms], [r[0] for r in h.signals["W_norm"]], rtol=1e-6)
    assert {"W1", "W2", "dW1", "dW2"} <= set(tags["histograms"])
    W1 = acc.Histograms("W1")[-1].histogram_value
    assert W1.num == net.parameters["W1"].size
    assert W1.min == pytest.approx(net.parameters["W1"].min(), rel=1e-6)


class FakeBar:
    def __init__(self):
        self.moves, self.disable, self.n = [], False, 0

    def update(self, n):
        self.moves.append(n)
        self.n += n

    def set_postfix(self, *a, **k):
        pass

    def close(self):
        pass

    def write(self, *a, **k):
        pass


def test_the_progress_bar_moves_within_long_epochs(monkeypatch):
    from deepstep.training import callbacks

    X, Y = moons(m=400)
    bar = ProgressBar(advice=False)
    fake = FakeBar()
    monkeypatch.setattr(callbacks, "PROGRESS_EVERY_S", 0.0)  # every mini-batch (throttling off)
    original = ProgressBar.on_train_begin

    def begin(self, run):
        original(self, run)
        self.bar = fake

    monkeypatch.setattr(ProgressBar, "on_train_begin", begin)
    ds.DeepNetwork([2, 4, 1], rng=0).fit(X, Y, 0.1, 2, batch_size=100, callbacks=[bar])
    # 4 mini-batches an epoch: a quarter each, the epoch's end adding what is left (nothing)
    assert fake.moves == pytest.approx([0.25, 0.25, 0.25, 0.25, 0.0] * 2)
    assert sum(fake.moves) == pytest.approx(2) and fake.n == 2 and isinstance(fake.n, int)  # (whole epochs shown)


def test_plot_signals_draws_one_panel_per_signal_and_one_line_per_layer():
    pytest.importorskip("matplotlib")
    X, Y = moons()
    net = ds.DeepNetwork([2, 8, 8, 1], rng=0)
    h = net.fit(X, Y, 0.3, 20, signals=5)
    fig = ds.plots.plot_signals(h)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["W_norm", "dW_norm", "update_ratio", "Z_std", "A_std", "dead"]  # (no sigmoid/tanh: no saturated)
    ax = fig.axes[titles.index("W_norm")]
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [r[1] for r in h.signals["W_norm"]])
    assert len(fig.axes[titles.index("dead")].lines) == 2  # the two ReLU layers
    with pytest.raises(ds.DeepstepError, match=r"^history: "):
        ds.plots.plot_signals(ds.training.History())


def test_train_writes_the_diagnosis_to_metrics_json(tmp_path, capsys):
    code, out, err = command(capsys, "train", "--dataset", "planar", "--layers", "2,1,1", "--iterations", "600",
                             "--validation-fraction", "0.25", "--baseline-error", "0.02", "--quiet",
                             "--log-csv", tmp_path / "log.csv", "--out", tmp_path / "run")
    assert code == 0, err
    d = json.loads((tmp_path / "run" / "metrics.json").read_text())["diagnosis"]
    assert set(d) >= {"bias_variance", "vanishing_layers", "exploding_layers", "dead_relu", "saturated", "advice"}
    assert d["bias_variance"] == "high bias" and d["baseline_error"] == 0.02
    assert any(line in err for line in d["advice"])
    assert len(read_csv(tmp_path / "log.csv")) == 600
    code, _, err = command(capsys, "train", "--dataset", "planar", "--baseline-error", "2", "--out", tmp_path / "b")
    assert code == 2 and "--baseline-error" in err


@pytest.mark.parametrize("Est", ["DeepClassifier", "DeepRegressor"])
def test_the_estimators_write_the_logs_and_keep_the_diagnosis(Est, tmp_path):
    pytest.importorskip("sklearn")
    from deepstep import sklearn as dsk

    X = np.random.default_rng(0).standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int) if Est == "DeepClassifier" else X[:, 0] * 2.0
    est = getattr(dsk, Est)(hidden_layer_sizes=(4,), num_iterations=6, random_state=0, log_csv=tmp_path / "l.csv",
                            warm_start=True)
    est.fit(X, y)
    est.fit(X, y)  # a warm start appends
    rows = read_csv(tmp_path / "l.csv")
    assert [float(r["cost"]) for r in rows] == est.loss_curve_
    assert est.get_params()["log_csv"] == tmp_path / "l.csv" and est.get_params()["tensorboard"] is None
    assert set(est.diagnosis_) >= {"bias_variance", "advice"} and est.diagnosis_["bias_variance"] is None
    fresh = getattr(dsk, Est)(hidden_layer_sizes=(4,), random_state=0, log_csv=tmp_path / "p.csv")
    for _ in range(3):  # partial_fit: one epoch each, going on in the same file
        fresh.partial_fit(X, y, **({"classes": [0, 1]} if Est == "DeepClassifier" else {}))
    assert [float(r["cost"]) for r in read_csv(tmp_path / "p.csv")] == fresh.loss_curve_
