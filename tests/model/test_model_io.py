"""Model files: exact round trips, atomic writes, and refusal of anything else."""

import json
import os
import stat
import zipfile

import numpy as np
import pytest

import deepstep as ds
from deepstep import model_io
from deepstep.model_io import ModelFileError


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dims, output", [([4, 3, 1], "sigmoid"), ([4, 5, 3, 3], "softmax"), ([4, 1], "sigmoid")])
def test_round_trip_predicts_exactly_the_same(dims, output, dtype, tmp_path, rng):
    init = "zeros" if len(dims) == 2 else "auto"
    net = ds.DeepNetwork(dims, hidden_activation="leaky_relu:0.2", output_activation=output, init=init,
                         rng=3, dtype=dtype)
    X = rng.standard_normal((4, 30))
    labels = rng.integers(0, dims[-1] if dims[-1] > 1 else 2, 30)[np.newaxis, :]
    net.fit(X, labels, learning_rate=0.1, num_iterations=5)
    net.metadata["classes"] = ["a", "b", "c"][: max(2, dims[-1])]
    path = tmp_path / "m.npz"
    net.save(path)
    loaded = ds.load_model(path)
    assert loaded.layer_dims == dims and loaded.dtype == dtype
    assert loaded.hidden_activation == "leaky_relu:0.2" and loaded.output_activation == output
    for k, v in net.parameters.items():
        assert loaded.parameters[k].dtype == dtype
        np.testing.assert_array_equal(loaded.parameters[k], v)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    assert loaded.history.cost == net.history.cost
    assert loaded.metadata["classes"] == net.metadata["classes"]


@pytest.mark.parametrize("rng_kind", ["seed", "generator"])
def test_interrupted_training_resumes_exactly(rng_kind, tmp_path, rng):
    X = rng.standard_normal((3, 50))
    Y = (X[0] > 0).astype(int)[np.newaxis, :]

    def new():
        return ds.DeepNetwork([3, 4, 1], rng=7 if rng_kind == "seed" else np.random.default_rng(7))

    whole = new()
    whole.fit(X, Y, learning_rate=0.1, num_iterations=8, batch_size=16)
    first = new()
    first.fit(X, Y, learning_rate=0.1, num_iterations=5, batch_size=16)
    first.save(tmp_path / "ckpt.npz")
    resumed = ds.load_model(tmp_path / "ckpt.npz")
    resumed.fit(X, Y, learning_rate=0.1, num_iterations=3, batch_size=16)
    assert resumed.history.cost == whole.history.cost
    for k in whole.parameters:
        np.testing.assert_array_equal(resumed.parameters[k], whole.parameters[k])


def test_a_failed_save_leaves_the_old_file_and_no_litter(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    good = ds.DeepNetwork([2, 1], init="zeros")
    good.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", crash)
    with pytest.raises(KeyboardInterrupt):
        ds.DeepNetwork([2, 3, 1], rng=0).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def write_npz(path, meta, **arrays):
    with open(path, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), **arrays)


def good_file(tmp_path):
    path = tmp_path / "good.npz"
    ds.DeepNetwork([3, 2, 1], rng=0).save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("meta")))
    return meta, arrays


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda meta, a: meta.update(format_version=99), r"expected format version 2 \(or 1\), got 99"),
        (lambda meta, a: meta.update(format="keras"), r"expected format 'deepstep-model'"),
        (lambda meta, a: a.pop("b2"), r"expected arrays \['W1', 'W2', 'b1', 'b2'\]"),
        (lambda meta, a: a.update(W1=np.zeros((2, 4))), r"expected W1 of shape \(2, 3\) .* got shape \(2, 4\)"),
        (lambda meta, a: a.update(W2=a["W2"].astype(np.float32)), r"expected W2 .* dtype float64.* dtype float32"),
        (lambda meta, a: a.update(b1=np.full((2, 1), np.nan)), r"b1 .* NaN or inf"),
        (lambda meta, a: meta.pop("layer_dims"), r"lacks or garbles 'layer_dims'"),
        (lambda meta, a: meta["history"].update(cost=["a"]), r"history 'cost' .* a list of finite numbers"),
        (lambda meta, a: meta["history"].update(cost=[1e400]), r"not valid JSON \(Infinity is not allowed\)"),
        (lambda meta, a: meta["metadata"].update(image_shape="abc"), r"'image_shape' .* \[height, width, channels\]"),
        (lambda meta, a: meta["metadata"].update(classes=["x"]), r"'classes' .* 2 class names for n\[L\] = 1"),
        (lambda meta, a: meta["metadata"].update(training=[1]), r"'training' .* a JSON dict"),
    ],
)
def test_damaged_files_are_refused(change, expected, tmp_path):
    meta, arrays = good_file(tmp_path)
    change(meta, arrays)
    path = tmp_path / "bad.npz"
    write_npz(path, meta, **arrays)
    with pytest.raises(ModelFileError, match=expected):
        ds.load_model(path)


def test_pickled_objects_are_never_loaded(tmp_path):
    meta, arrays = good_file(tmp_path)
    path = tmp_path / "pickle.npz"
    with open(path, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), evil=np.array([{"a": 1}], dtype=object), **arrays)
    with pytest.raises(ModelFileError, match="could not read|not a readable array"):
        ds.load_model(path)


@pytest.mark.parametrize("content", [b"", b"<html>not a model</html>", b"version https://git-lfs.github.com/spec/v1"])
def test_not_a_model_file(content, tmp_path):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="could not read|not a readable array"):
        ds.load_model(path)
    with pytest.raises(ModelFileError, match="found nothing"):
        ds.load_model(tmp_path / "missing.npz")
    zpath = tmp_path / "z.npz"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("W1.npy", b"garbage")
    with pytest.raises(ModelFileError):
        ds.load_model(zpath)


def test_write_json_is_atomic(tmp_path):
    model_io.write_json(tmp_path / "m.json", {"a": 1})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": 1}
    with pytest.raises(TypeError):
        model_io.write_json(tmp_path / "m.json", {"a": object()})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_truncated_or_corrupted_files_are_refused(tmp_path):
    path = tmp_path / "model.npz"
    ds.DeepNetwork([30, 20, 1], rng=0).save(path)
    data = path.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0xFF  # inside W1's stored bytes: the zip's CRC no longer matches
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    for name in ("truncated.npz", "flipped.npz"):
        with pytest.raises(ModelFileError, match="could not read|not a readable array"):
            ds.load_model(tmp_path / name)


def test_metadata_that_is_not_an_object_is_refused(tmp_path):
    _, arrays = good_file(tmp_path)
    path = tmp_path / "list.npz"
    write_npz(path, ["deepstep-model"], **arrays)
    with pytest.raises(ModelFileError, match="to be a JSON object, got list"):
        ds.load_model(path)


def test_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        ds.DeepNetwork([2, 1], init="zeros").save(tmp_path / "model.npz")
        model_io.write_json(tmp_path / "m.json", {})
    finally:
        os.umask(old)
    for name in ("model.npz", "m.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_a_long_cost_history_keeps_the_file_small(tmp_path):
    net = ds.DeepNetwork([2, 4, 1], hidden_activation="tanh", rng=1)
    net.history.cost = [0.123456789012345 + k * 1e-9 for k in range(10000)]  # 10000 iterations' worth
    net.save(tmp_path / "model.npz")
    # the JSON metadata alone is ~200 kB of text (800 kB as a NumPy unicode string, 4 bytes a character)
    assert (tmp_path / "model.npz").stat().st_size < 150_000
    assert ds.load_model(tmp_path / "model.npz").history.cost == net.history.cost
