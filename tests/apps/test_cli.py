"""The deepstep command: outputs, files, resume, and one-line errors with status 2."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deepstep as ds
from conftest import installed_command, needs_cats, run
from deepstep import datasets
from deepstep.cli import main


def test_info_prints_every_shape_and_the_parameter_count(capsys):
    assert main(["info", "--layers", "12288,20,7,5,1", "-m", "209"]) == 0
    out = capsys.readouterr().out
    assert "(20, 12288)" in out and "(20, 1)" in out and "(20, 209)" in out and "(1, 5)" in out
    total = 20 * 12288 + 20 + 7 * 20 + 7 + 5 * 7 + 5 + 5 + 1
    assert f"total parameters: {total:,}" in out


@pytest.mark.parametrize("extra", [["--l2", "0.7"], ["--keep-prob", "0.8"], ["--l2", "0.3", "--keep-prob", "0.5"]])
def test_gradcheck_with_l2_and_dropout_passes(extra, capsys):
    assert main(["gradcheck", "--layers", "4,5,3,1", "--hidden-activation", "tanh", *extra]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and ("L2 lambda" in out or "dropout keep_prob" in out)


def test_gradcheck_passes_and_fails(capsys, monkeypatch):
    assert main(["gradcheck", "--layers", "3,4,2,1", "--hidden-activation", "tanh"]) == 0
    assert "PASS" in capsys.readouterr().out
    import dataclasses

    from deepstep import activations

    broken = dataclasses.replace(activations.ACTIVATIONS["tanh"], dg=lambda Z: np.ones_like(Z))
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", broken)
    assert main(["gradcheck", "--layers", "3,4,2,1", "--hidden-activation", "tanh"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_train_planar_writes_model_metrics_and_plots(tmp_path, capsys):
    out = tmp_path / "planar"
    assert main(["train", "--iterations", "300", "--out", str(out), "--quiet"]) == 0
    for name in ("model.npz", "metrics.json", "cost.png", "decision_boundary.png"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    net = ds.load_model(out / "model.npz")
    assert len(net.history.cost) == 300 and metrics["iterations"] == 300
    data = ds.datasets.load_dataset("planar", rng=1)
    assert metrics["train_accuracy"] == net.accuracy(data.train_X, data.train_Y)
    assert metrics["test_accuracy"] == net.accuracy(data.test_X, data.test_Y)
    assert metrics["final_cost"] == net.history.cost[-1]
    assert "iteration 0: cost" in capsys.readouterr().out


def test_resume_continues_to_the_same_model(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    common = ["train", "--dataset", "moons", "--batch-size", "32", "--quiet"]
    assert main([*common, "--iterations", "12", "--out", str(a)]) == 0
    assert main([*common, "--iterations", "5", "--out", str(b)]) == 0
    assert main([*common, "--iterations", "12", "--out", str(b), "--resume"]) == 0
    whole, resumed = ds.load_model(a / "model.npz"), ds.load_model(b / "model.npz")
    assert resumed.history.cost == whole.history.cost
    for k in whole.parameters:
        np.testing.assert_array_equal(resumed.parameters[k], whole.parameters[k])


def test_a_second_interrupt_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    from deepstep import cli

    def interrupt_at_25(self, run, epoch, logs):  # as a second Ctrl-C would, inside the run
        if epoch == 25:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli._StopRequest, "on_epoch_end", interrupt_at_25)
    out = tmp_path / "run"
    argv = ["train", "--iterations", "40", "--checkpoint-every", "10", "--out", str(out), "--quiet"]
    assert main(argv) == 130
    assert len(ds.load_model(out / "model.npz").history.cost) == 20  # the checkpoint after iterations 0..19


def test_evaluate_reports_confusion_and_scores(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["train", "--dataset", "blobs", "--iterations", "200", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out / "model.npz"), "--json", str(tmp_path / "r.json")]) == 0
    text = capsys.readouterr().out
    report = json.loads((tmp_path / "r.json").read_text())
    C = np.array(report["confusion_matrix"])
    assert report["accuracy"] == pytest.approx(np.trace(C) / C.sum())
    assert "confusion matrix" in text and "precision" in text and f"{report['accuracy']:.2%}" in text


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["train", "--dataset", "no/such/file.npz"], "no/such/file.npz"),
        (["train", "--dataset", "mnist"], "mnist"),
        (["train", "--learning-rate", "abc"], "--learning-rate"),
        (["train", "--layers", "3,4,1"], "--layers: expected the first size to be 2"),
        (["train", "--layers", "2,4,3"], "--layers: expected the last size to be 1"),
        (["train", "--hidden-activation", "swish", "--iterations", "1"], "swish"),
        (["evaluate", "missing.npz"], "missing.npz"),
        (["predict", "missing.npz", "cat.png"], "missing.npz"),
        (["info"], "--layers"),
        (["gradcheck", "--seed", "-1"], "--seed"),
        (["train", "--seed", "2.5"], "--seed"),
        (["gradcheck", "--layers", "4,5,1", "--output-activation", "softmax"], "output_activation: expected"),
        (["train", "--hidden-activation", "softmax"], "hidden_activation: expected an element-wise activation"),
        (["train", "--bogus"], "unrecognized arguments"),
        (["train", "--test-fraction", "1.5"], "--test-fraction"),
        (["train", "--image-size", "64"], "--image-size"),
        (["train", "--dataset", "moons", "--label-column", "x"], "--label-column: only a .csv data set"),
    ],
)
def test_errors_are_one_line_and_status_2(argv, expected, tmp_path):
    code, out, err = run(*argv, *([] if argv[0] != "train" else ["--out", str(tmp_path / "o")]))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in err


def test_predict_refuses_a_model_not_made_for_pictures(tmp_path):
    assert main(["train", "--iterations", "5", "--out", str(tmp_path / "p"), "--quiet"]) == 0
    code, _, err = run("predict", str(tmp_path / "p" / "model.npz"), "x.png")
    assert code == 2 and "not trained on pictures" in err and len(err.strip().splitlines()) == 1


def test_every_subcommand_has_help():
    for sub in ("train", "evaluate", "predict", "gradcheck", "info", "demo"):
        code, out, _ = run(sub, "--help")
        assert code == 0 and "usage: deepstep " + sub in out


@pytest.mark.slow
@needs_cats
def test_train_and_predict_cats_end_to_end_from_a_fresh_shell(tmp_path):
    from PIL import Image

    out = tmp_path / "runs" / "cats"
    shell = subprocess.run(
        f"{installed_command()} train --dataset cats --layers 12288,20,7,5,1 --init xavier --learning-rate 0.0075 "
        f"--iterations 2500 --seed 1 --out {out}", shell=True, capture_output=True, text=True, timeout=600,
    )
    assert shell.returncode == 0, shell.stderr
    assert "train accuracy 98.56%   test accuracy 80.00%" in shell.stdout
    for name in ("model.npz", "metrics.json", "cost.png", "mislabelled.png"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] == pytest.approx(0.80)
    assert metrics["train_accuracy"] == pytest.approx(0.9856, abs=5e-4)

    # a real picture file made from a test image, labelled by the command
    train_X, train_Y, test_X, test_Y, classes = ds.datasets.load_cat_dataset()
    net = ds.load_model(out / "model.npz")
    pictures = []
    for j in (0, 1, 2):
        path = tmp_path / f"picture{j}.png"
        Image.fromarray(np.round(test_X[:, j] * 255).astype(np.uint8).reshape(64, 64, 3)).save(path)
        pictures.append(str(path))
    shell = subprocess.run([installed_command(), "predict", str(out / "model.npz"), *pictures],
                           capture_output=True, text=True, timeout=600)
    assert shell.returncode == 0, shell.stderr
    lines = shell.stdout.strip().splitlines()
    assert len(lines) == 3
    for j, line in enumerate(lines):
        p_cat = float(net.predict_proba(test_X[:, [j]])[0, 0])
        label = classes[int(p_cat > 0.5)]
        p = p_cat if p_cat > 0.5 else 1 - p_cat
        assert line == f"{pictures[j]}: {label} (p = {p:.2f})"
    assert Path(pictures[0]).exists()


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_between_epochs_and_resume_is_exact(signum, status, tmp_path):
    """A real SIGINT (Ctrl-C) or SIGTERM in the middle of a mini-batch run; --resume then ends where an unbroken
    run ends.  The exit status is 128 + the signal's number, as a shell reports it."""
    common = ["train", "--dataset", "moons", "--batch-size", "32", "--iterations", "300", "--quiet"]
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert main([*common, "--out", str(whole)]) == 0
    proc = subprocess.Popen([installed_command(), *common, "--print-every", "1", "--out", str(broken)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("iteration 20:"):
            proc.send_signal(signum)
            break
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err
    assert "stopped after" in err and signal.Signals(signum).name in err and "Traceback" not in err
    stopped = len(ds.load_model(broken / "model.npz").history.cost)
    assert 20 < stopped < 300  # mid-run, not at a checkpoint of the plan (every 60 epochs)
    assert f"stopped after {stopped} iterations" in err
    assert not (broken / "metrics.json").exists()  # a stopped run is not a finished one
    assert main([*common, "--out", str(broken), "--resume"]) == 0
    a, b = ds.load_model(whole / "model.npz"), ds.load_model(broken / "model.npz")
    assert b.history.cost == a.history.cost
    for k in a.parameters:
        np.testing.assert_array_equal(b.parameters[k], a.parameters[k])


def test_ctrl_c_outside_training_is_one_line(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets, "load_dataset", interrupted)
    assert main(["train", "--dataset", "moons"]) == 130
    assert capsys.readouterr().err.strip() == "deepstep train: interrupted"


def test_an_unusable_out_is_refused_before_training(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setattr(ds.DeepNetwork, "fit", lambda *a, **k: pytest.fail("trained before checking --out"))
    code, _, err = run("train", "--out", str(tmp_path / "afile"))
    assert code == 2 and err.strip().endswith(f"--out: expected a folder for the model, metrics and plots, "
                                              f"got {str(tmp_path / 'afile')!r}, a file")
    assert main(["train", "--out", str(tmp_path / "afile")]) == 2


def test_files_of_yours_train_into_their_own_folder_and_evaluate_from_anywhere(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    rows = ["label,x1,x2"] + [f"{'big' if a + b > 0 else 'small'},{a},{b}" for a, b in X]
    (tmp_path / "moons.csv").write_text("\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--dataset", "moons.csv", "--label-column", "label", "--iterations", "300",
            "--learning-rate", "0.5", "--test-fraction", "0.25", "--quiet"]
    assert main(argv) == 0
    model = tmp_path / "runs" / "moons-csv" / "model.npz"  # not runs/moons, the built-in set's folder
    assert model.exists() and not (tmp_path / "runs" / "moons").exists()
    net = ds.load_model(model)
    assert net.metadata["classes"] == ["big", "small"]
    assert net.metadata["dataset"] == str(tmp_path / "moons.csv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["evaluate", str(model), "--json", "r.json"]) == 0
    report = json.loads((elsewhere / "r.json").read_text())
    trained = json.loads((model.parent / "metrics.json").read_text())["test"]
    assert report["confusion_matrix"] == trained["confusion_matrix"]  # the same held-out rows as in training
    assert 12 <= sum(map(sum, report["confusion_matrix"])) <= 18  # about a quarter of the 60 rows


def test_evaluate_refuses_a_data_set_with_other_classes(tmp_path):
    assert main(["train", "--dataset", "moons", "--iterations", "5", "--out", str(tmp_path / "m"), "--quiet"]) == 0
    np.savez(tmp_path / "other.npz", X=np.zeros((2, 10)), Y=np.array(["a", "b"] * 5))
    code, _, err = run("evaluate", str(tmp_path / "m" / "model.npz"), "--dataset", str(tmp_path / "other.npz"))
    assert code == 2 and "the model does not know" in err and len(err.strip().splitlines()) == 1


def test_method_flag_reaches_fit_and_gives_the_same_model(tmp_path):
    X = np.random.default_rng(0).standard_normal((40, 12))  # fewer examples than features: "gram" applies
    np.savez(tmp_path / "wide.npz", X=X, Y=(X[0] > 0).astype(int))
    models = {}
    for method in ("plain", "gram"):
        out = tmp_path / method
        assert main(["train", "--dataset", str(tmp_path / "wide.npz"), "--iterations", "50", "--method", method,
                     "--test-fraction", "0.25", "--out", str(out), "--quiet"]) == 0
        models[method] = ds.load_model(out / "model.npz")
    np.testing.assert_allclose(models["gram"].history.cost, models["plain"].history.cost, rtol=1e-10)
    assert [models[m].history.method for m in ("plain", "gram")] == ["plain", "gram"]
    code, _, err = run("train", "--method", "gram", "--batch-size", "8", "--out", str(tmp_path / "x"))
    assert code == 2 and "method: 'gram' does not apply here: it needs full-batch training" in err


def test_progress_bar_shows_the_cost_on_a_terminal(tmp_path, monkeypatch):
    pytest.importorskip("tqdm")
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert main(["train", "--iterations", "50", "--out", str(tmp_path / "p")]) == 0
    assert "training: 100%" in screen.getvalue() and "cost=" in screen.getvalue()


def test_a_reader_that_goes_away_stops_the_command_quietly(tmp_path):
    """``deepstep evaluate MODEL | head -1``: the pipe closes before the report is written; no traceback, no
    "Exception ignored" at exit, status 141 (128 + SIGPIPE) as a command killed by the closed pipe has."""
    out = tmp_path / "m"
    assert main(["train", "--dataset", "blobs", "--iterations", "20", "--out", str(out), "--quiet"]) == 0
    proc = subprocess.Popen([installed_command(), "evaluate", str(out / "model.npz")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the command writes anything
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGPIPE
    assert err == b""


def test_a_broken_pipe_of_something_else_is_an_error_line(monkeypatch, capsys):
    """Only a reader of standard output that went away is quiet: a broken pipe to something else (a worker) is one
    line and status 2, as any error."""
    import deepstep.apps.cli.gradcheck as gradcheck_module

    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(gradcheck_module, "cmd_info", broken)
    parser_main = main
    status = parser_main(["info", "--layers", "2,3,1"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "Broken pipe" in err
