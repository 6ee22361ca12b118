"""ONNX export: the exported graph, run in onnxruntime (a second implementation of every operator), predicts
what deepstep predicts: within 1e-6 relative in float64 and 1e-5 in float32, and the same classes."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import deepstep as ds
from conftest import HIDDEN, needs_cats
from deepstep.errors import DeepstepError
from deepstep.export import export_onnx, to_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RTOL = {np.float64: 1e-6, np.float32: 1e-5}


def run_onnx(path, X):
    """The exported file in onnxruntime, on X (n[0], m) given batch-major as ONNX expects: A[L] as (n[L], m)."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert inp.name == "X" and inp.shape[1] == X.shape[0]
    return session.run([out.name], {"X": np.ascontiguousarray(X.T)})[0].T


def assert_same_predictions(net, X, path):
    ours = net.predict_proba(X)
    theirs = run_onnx(path, X)
    assert theirs.dtype == net.dtype and theirs.shape == ours.shape
    rtol = RTOL[net.dtype.type]
    # regression values may cross 0, where a relative difference means nothing: there the tolerance is relative
    # to the outputs' magnitude (the size of the terms the rounding acts on)
    atol = rtol * float(np.abs(ours).max()) if net.output_activation == "linear" else 0
    np.testing.assert_allclose(theirs, ours, rtol=rtol, atol=atol)
    if net.output_activation == "sigmoid":
        np.testing.assert_array_equal(theirs > 0.5, ours > 0.5)
    elif net.output_activation == "softmax":
        np.testing.assert_array_equal(theirs.argmax(axis=0), ours.argmax(axis=0))


def trained(dims, hidden, output, dtype, seed=0, m=200):
    """A network trained a little on random data (so that its weights are not the initial ones)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    Y = rng.standard_normal((dims[-1], m)) if output == "linear" else rng.integers(0, max(2, dims[-1]), (1, m))
    net = ds.DeepNetwork(dims, hidden_activation=hidden, output_activation=output, init="he", rng=seed, dtype=dtype)
    net.fit(X, Y, learning_rate=0.01, num_iterations=20, optimizer="adam", batch_size=64)
    return net, X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("dims, hidden, output", [
    ([6, 8, 1], "relu", "sigmoid"),
    ([5, 7, 4, 3], "leaky_relu:0.2", "softmax"),
    ([4, 6, 5, 4], "tanh", "softmax"),
    ([3, 4, 1], "sigmoid", "sigmoid"),
    ([3, 1], "sigmoid", "sigmoid"),            # logistic regression
    ([4, 6, 2], "tanh", "linear"),             # regression, two outputs
    ([3, 5, 1], "relu", "identity"),           # regression
], ids=["relu-sigmoid", "leaky-softmax", "tanh-softmax", "sigmoid-sigmoid", "logreg", "regression-2",
        "regression-1"])
def test_export_predicts_what_deepstep_predicts(tmp_path, dims, hidden, output, dtype):
    net, X = trained(dims, hidden, output, dtype)
    path = export_onnx(net, tmp_path / "model.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert_same_predictions(net, X, path)
    regression = net.output_activation == "linear"
    assert [o.name for o in model.graph.output] == ["values" if regression else "probabilities"]
    props = {p.key: p.value for p in model.metadata_props}
    assert props["task"] == ("regression" if regression else "classification")


@needs_cats
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_export_of_the_cat_model(tmp_path, dtype):
    """The course's 4-layer cat model, trained a few iterations, on the 50 test pictures."""
    train_X, train_Y, test_X, test_Y, classes = ds.datasets.load_cat_dataset()
    net = ds.DeepNetwork([12288, 20, 7, 5, 1], init="xavier", rng=1, dtype=dtype)
    net.fit(train_X, train_Y, learning_rate=0.0075, num_iterations=30)
    net.metadata["classes"] = classes
    path = export_onnx(net, tmp_path / "cats.onnx")
    assert_same_predictions(net, test_X.astype(dtype), path)
    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["classes"]) == ["non-cat", "cat"]
    assert props["deepstep_version"] == ds.__version__ and model.producer_name == "deepstep"
    assert model.opset_import[0].version >= 17


def test_the_graph_reads_like_the_course(tmp_path):
    """One Gemm (Z = A_prev W^T + b) and one activation node per layer, weights equal to W[l] and b[l]."""
    net, _ = trained([3, 4, 2, 1], "tanh", "sigmoid", np.float64)
    model = to_onnx(net)
    ops = [n.op_type for n in model.graph.node]
    assert ops == ["Gemm", "Tanh", "Gemm", "Tanh", "Gemm", "Sigmoid"]
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    for l in (1, 2, 3):
        np.testing.assert_array_equal(weights[f"W{l}"], net.parameters[f"W{l}"])
        np.testing.assert_array_equal(weights[f"b{l}"], net.parameters[f"b{l}"].ravel())
    assert [o.name for o in model.graph.output] == ["probabilities"]


def test_a_failed_export_leaves_the_old_file(tmp_path, monkeypatch):
    """An activation without an ONNX form is refused in one line; a file already there is kept as it was."""
    from deepstep import activations, export

    softplus = activations.Activation("softplus", lambda Z: np.logaddexp(0, Z), lambda Z: 1 / (1 + np.exp(-Z)))
    monkeypatch.setitem(activations.ACTIVATIONS, "softplus", softplus)
    net = ds.DeepNetwork([2, 3, 1], hidden_activation="softplus", rng=0)
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the old file")
    with pytest.raises(DeepstepError, match=r"'softplus' has no ONNX form") as err:
        export.export_onnx(net, path)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no temporary file left


def test_export_without_onnx_says_which_pip_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    net = ds.DeepNetwork([2, 1], rng=0)
    with pytest.raises(DeepstepError, match=r"pip install 'deepstep\[onnx\]'"):
        export_onnx(net, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("bad, match", [("net", "net: expected a DeepNetwork"), (16, "opset:"), (19, "opset:"),
                                        (99, "opset:"), (17.0, "opset:"), (True, "opset:")])
def test_export_refuses_bad_arguments(tmp_path, bad, match):
    net = ds.DeepNetwork([2, 1], rng=0)
    args = ("not a network", tmp_path / "m.onnx") if bad == "net" else (net, tmp_path / "m.onnx", bad)
    with pytest.raises(DeepstepError, match=match):
        export_onnx(*args)


def test_every_opset_export_takes_loads_in_onnxruntime(tmp_path):
    """The issue's finding: opset=99 wrote a file onnxruntime could not load. Every opset accepted loads and
    predicts as deepstep does; the first one past the range is refused and writes nothing."""
    import onnx

    from deepstep.export import max_opset

    ort = pytest.importorskip("onnxruntime")
    net = ds.DeepNetwork([3, 4, 2], "tanh", output_activation="softmax", rng=0)
    X = np.random.default_rng(1).standard_normal((3, 5))
    highest = max_opset(onnx)
    assert highest >= 17
    for opset in range(17, highest + 1):
        path = export_onnx(net, tmp_path / f"m{opset}.onnx", opset=opset)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (P,) = session.run(None, {"X": X.T})
        np.testing.assert_allclose(P.T, net.predict_proba(X), rtol=1e-12)
    with pytest.raises(DeepstepError) as err:
        export_onnx(net, tmp_path / "past.onnx", opset=highest + 1)
    assert str(err.value).startswith("opset:")
    assert not (tmp_path / "past.onnx").exists()


@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_hidden_activation_of_the_registry_exports(tmp_path, hidden):
    """Each entry of deepstep.activations.ACTIVATIONS carries its ONNX form: onnxruntime predicts as deepstep."""
    net, X = trained([3, 5, 4, 1], hidden, "sigmoid", np.float64)
    assert_same_predictions(net, X, export_onnx(net, tmp_path / "model.onnx"))
