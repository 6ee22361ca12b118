"""The deepstep command: outputs, files, resume, and one-line errors with status 2."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deepstep as ds
from conftest import needs_cats
from deepstep.cli import main


def run(*argv):
    """deepstep as a fresh process: (status, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "deepstep", *argv], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def test_info_prints_every_shape_and_the_parameter_count(capsys):
    assert main(["info", "--layers", "12288,20,7,5,1", "-m", "209"]) == 0
    out = capsys.readouterr().out
    assert "(20, 12288)" in out and "(20, 1)" in out and "(20, 209)" in out and "(1, 5)" in out
    total = 20 * 12288 + 20 + 7 * 20 + 7 + 5 * 7 + 5 + 5 + 1
    assert f"total parameters: {total:,}" in out


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


def test_interrupt_saves_a_checkpoint(tmp_path, monkeypatch):
    real_fit = ds.DeepNetwork.fit
    calls = []

    def fit_then_interrupt(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(ds.DeepNetwork, "fit", fit_then_interrupt)
    out = tmp_path / "run"
    argv = ["train", "--iterations", "40", "--checkpoint-every", "10", "--out", str(out), "--quiet"]
    assert main(argv) == 130
    assert len(ds.load_model(out / "model.npz").history.cost) == 10


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
        (["train", "--bogus"], "unrecognized arguments"),
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
    code, stdout, err = run("train", "--dataset", "cats", "--layers", "12288,20,7,5,1", "--init", "xavier",
                            "--learning-rate", "0.0075", "--iterations", "2500", "--seed", "1", "--out", str(out))
    assert code == 0, err
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
    code, stdout, err = run("predict", str(out / "model.npz"), *pictures)
    assert code == 0, err
    lines = stdout.strip().splitlines()
    assert len(lines) == 3
    for j, line in enumerate(lines):
        p_cat = float(net.predict_proba(test_X[:, [j]])[0, 0])
        label = classes[int(p_cat > 0.5)]
        p = p_cat if p_cat > 0.5 else 1 - p_cat
        assert line == f"{pictures[j]}: {label} (p = {p:.2f})"
    assert Path(pictures[0]).exists()
