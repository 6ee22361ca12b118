"""Sizes, labels and the command line's errors: the bounds of deepstep.limits, checked before anything is
allocated; class labels checked before any cast; dtypes other than float32 and float64 refused; every error
of the command one line; a file split that would leave a class untrained refused, naming it."""

import io
import re
import warnings
import zipfile

import numpy as np
import pytest
from _picture_helpers import Image

import deepstep as ds
from deepstep import cli, datasets, limits, metrics
from deepstep.initialization import as_dtype
from deepstep.network import one_hot


def refused(match, fn, *args, **kwargs) -> str:
    """fn(*args, **kwargs) raises one DeepstepError line matching ``match``, with no warning on the way."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ds.DeepstepError, match=match) as info:
            fn(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


# -- the parameter count ----------------------------------------------------------------------------------


def test_parameter_count_by_hand():
    # the course's 4-layer cat model: 20*12288 + 20 + 7*20 + 7 + 5*7 + 5 + 1*5 + 1
    assert limits.parameter_count([12288, 20, 7, 5, 1]) == 245_760 + 20 + 140 + 7 + 35 + 5 + 5 + 1
    assert limits.parameter_count([2, 10**12, 1]) == 3 * 10**12 + 10**12 + 1


def test_initialize_parameters_refuses_beyond_max_parameters_before_drawing(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PARAMETERS", 13)
    gen = np.random.default_rng(0)
    state = gen.bit_generator.state
    assert sum(a.size for a in ds.initialize_parameters([2, 3, 1], rng=gen).values()) == 13  # 6 + 3 + 3 + 1
    gen.bit_generator.state = state
    message = refused(r"^layer_dims: expected at most 13 parameters .*MAX_PARAMETERS.*got \[2, 3, 2\], which "
                      r"makes 17$", ds.initialize_parameters, [2, 3, 2], rng=gen)
    assert "GiB" in message
    assert gen.bit_generator.state == state  # nothing drawn
    refused(r"^layer_dims: expected at most 13 parameters", ds.DeepNetwork, [2, 3, 2], rng=0)


def test_absurd_layer_sizes_are_refused_with_the_real_bound():
    refused(r"^layer_dims: expected at most 268435456 parameters .*which makes 4000000000001$", ds.DeepNetwork,
            [2, 10**12, 1])


# -- dtypes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, "float16", "f2", np.longdouble, "longdouble", ">f8", np.int32,
                                   np.complex128, "x"])
def test_only_float32_and_float64_are_accepted(dtype):
    message = refused(r"^dtype: expected a floating dtype the engine computes in, float32 or float64, got ",
                      as_dtype, dtype)
    assert message.endswith(repr(dtype))
    refused(r"^dtype: expected .*float32 or float64", ds.DeepNetwork, [2, 1], dtype=dtype)
    refused(r"^dtype: expected .*float32 or float64", ds.initialize_parameters, [2, 1], dtype=dtype)


def test_float32_and_float64_are_kept():
    for dtype in (np.float32, "float32", np.float64, "float64", float):
        net = ds.DeepNetwork([2, 3, 1], rng=0, dtype=dtype)
        assert all(P.dtype == np.dtype(dtype) for P in net.parameters.values())


def test_float16_parameters_and_model_files_are_refused(tmp_path):
    params = {"W1": np.ones((1, 2), np.float16), "b1": np.zeros((1, 1), np.float16)}
    refused(r"^parameters: expected float32 or float64 arrays, got float16", ds.DeepNetwork.from_parameters, params)
    net = ds.DeepNetwork([2, 1], rng=0)
    net.save(tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as z:
        members = {name: z.read(name) for name in z.namelist()}
    meta = str(np.load(io.BytesIO(members["meta.npy"])))
    for key in ("W1", "b1"):
        buf = io.BytesIO()
        np.save(buf, np.load(io.BytesIO(members[f"{key}.npy"])).astype(np.float16))
        members[f"{key}.npy"] = buf.getvalue()
    buf = io.BytesIO()
    np.save(buf, np.array(meta.replace('"dtype": "float64"', '"dtype": "float16"')))
    members["meta.npy"] = buf.getvalue()
    with zipfile.ZipFile(tmp_path / "half.npz", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ds.ModelFileError, match=r"^model: .*dtype float16 \(expected float32 or float64\)"):
        ds.load_model(tmp_path / "half.npz")


def test_a_model_file_beyond_max_parameters_is_a_model_file_error(tmp_path, monkeypatch):
    ds.DeepNetwork([2, 3, 1], rng=0).save(tmp_path / "m.npz")
    monkeypatch.setattr(limits, "MAX_PARAMETERS", 12)
    with pytest.raises(ds.ModelFileError, match=r"^model: .*layer_dims \[2, 3, 1\] \(more than 12 parameters"):
        ds.load_model(tmp_path / "m.npz")


# -- one-hot targets without an identity matrix --------------------------------------------------------------


def test_one_hot_by_hand():
    Y = one_hot(np.array([2, 0, 2, 1]), 3, np.float32)
    assert Y.dtype == np.float32
    assert Y.tolist() == [[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 1, 0]]


def test_class_index_targets_never_build_an_identity_matrix(monkeypatch):
    net = ds.DeepNetwork([2, 3], output_activation="softmax", rng=0)
    X = np.array([[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]])
    expected = net.cost(X, np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    monkeypatch.setattr(np, "eye", None)  # an n_out x n_out matrix would be 8 * n_out**2 bytes
    assert net.cost(X, np.array([[0, 2, 1]])) == expected


# -- class labels ---------------------------------------------------------------------------------------------


def test_labels_up_to_max_classes(monkeypatch):
    monkeypatch.setattr(limits, "MAX_CLASSES", 4)
    C = metrics.confusion_matrix(np.array([[3, 0]]), np.array([[3, 1]]))
    assert C.shape == (4, 4) and C[3, 3] == 1 and C[0, 1] == 1 and C.sum() == 2
    refused(r"^y_pred: expected class indices below 4 \(at most 4 classes, deepstep.limits.MAX_CLASSES\), got 4$",
            metrics.confusion_matrix, np.array([[3, 0]]), np.array([[4, 1]]))
    refused(r"^n_classes: expected at most 4 classes", metrics.confusion_matrix, np.array([[0]]), np.array([[0]]), 5)
    refused(r"^y_true: expected class indices below 4", metrics.precision_recall_f1, np.array([[7, 0]]),
            np.array([[1, 0]]))
    refused(r"^classes: expected at most 4 class names", metrics.classification_report, np.array([[0]]),
            np.array([[0]]), list("abcde"))


@pytest.mark.parametrize("labels, shown", [(np.array([[1e300, 1.0]]), "1e+300"), (np.array([[2.0**63, 0.0]]),
                                                                                     "9.22337e+18"),
                                           (np.array([[2**63, 1]], np.uint64), "9223372036854775808"),
                                           (np.array([[2**64 - 1, 1]], np.uint64), "18446744073709551615")])
def test_labels_beyond_int64_are_refused_before_the_cast(labels, shown):
    before = labels.copy()
    for fn in (metrics.confusion_matrix, metrics.precision_recall_f1, metrics.classification_report):
        refused(rf"^y_true: expected class indices below \d+ .*got {re.escape(shown)}$", fn, labels,
                np.array([[0, 1]]))
    assert labels.tobytes() == before.tobytes() and labels.dtype == before.dtype


def test_classification_report_names_the_classes_by_index_without_classes():
    y_true, y_pred = np.array([[0, 2, 2, 1, 2]]), np.array([[0, 2, 1, 1, 0]])
    report = metrics.classification_report(y_true, y_pred)
    assert report == metrics.classification_report(y_true, y_pred, ["0", "1", "2"])
    assert report["accuracy"] == 3 / 5
    assert report["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [1, 1, 1]]
    # class 2: TP 1, FP 0, FN 2; class 1: TP 1, FP 1, FN 0
    assert report["classes"]["2"] == {"precision": 1.0, "recall": 1 / 3, "f1": 0.5, "support": 3}
    assert report["classes"]["1"] == {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    assert list(metrics.classification_report(np.array([[0, 0]]), np.array([[0, 0]]))["classes"]) == ["0", "1"]


@pytest.mark.parametrize("classes, match", [("ab", "a list of class names"), (["a", 2], "a list of class names"),
                                            ([], "a list of class names"), (["a", "b", "a"], r"distinct .*\['a'\]"),
                                            ({"a": 0, "b": 1}, "a list of class names")])
def test_classification_report_refuses_classes_it_cannot_name(classes, match):
    refused(rf"^classes: expected .*{match}", metrics.classification_report, np.array([[0, 1]]), np.array([[1, 1]]),
            classes)


# -- the command line: one line for every error ----------------------------------------------------------------


def test_error_line_escapes_line_breaks_and_control_characters():
    assert cli.error_line("deepstep x", "bad 'a\nb'\r\tc\x00") == "deepstep x: error: bad 'a\\nb'\\r\\tc\\x00\n"
    assert cli.error_line("deepstep", "caf\u00e9 \u2713") == "deepstep: error: caf\u00e9 \u2713\n"


def test_an_unrecognized_argument_with_a_line_break_is_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["info", "--layers", "2,1", "x\ny"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.startswith("deepstep: error: unrecognized arguments: x\\ny (see deepstep --help)")


def picture_folder(root, per_class=(2, 2)):
    for cls, n in zip(("cat", "dog"), per_class, strict=True):
        (root / cls).mkdir(parents=True)
        for k in range(n):
            Image.new("RGB", (4, 4), (40 * k, 90, 200 if cls == "cat" else 10)).save(root / cls / f"{k}.png")
    return root


def test_a_library_message_with_a_line_break_is_escaped_not_cut(tmp_path, capsys):
    assert cli.main(["train", "--dataset", str(picture_folder(tmp_path / "pics", (3, 3))), "--image-size", "4x4",
                     "--iterations", "1", "--quiet", "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert cli.main(["predict", str(tmp_path / "run" / "model.npz"), str(tmp_path / "no\nsuch.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("deepstep predict: error: path: ")
    assert "no\\nsuch.png" in err  # the whole name, escaped (it used to stop at the line break)


def test_gradcheck_m_is_bounded_by_the_activations(monkeypatch, capsys):
    monkeypatch.setattr(limits, "MAX_VALUES", 13 * 3)  # --layers 4,5,3,1: 13 values per example
    assert cli.main(["gradcheck", "-m", "3"]) == 0
    assert cli.main(["gradcheck", "-m", "4"]) == 2
    err = capsys.readouterr().err
    assert err == ("deepstep gradcheck: error: -m: expected at most 3 examples for --layers 4,5,3,1 (X and the "
                   "activations hold sum(n[l]) * m values, at most 39, deepstep.limits.MAX_VALUES), got 4\n")


def test_gradcheck_of_a_softmax_network_still_passes(capsys):
    assert cli.main(["gradcheck", "--layers", "3,4,3", "--hidden-activation", "tanh", "-m", "5"]) == 0
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["gradcheck", "train"])
def test_layers_beyond_max_parameters_name_the_flag(command, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(limits, "MAX_PARAMETERS", 100)
    argv = [command, "--layers", "2,30,1"] + (["--dataset", "moons", "--quiet", "--out", str(tmp_path)]
                                              if command == "train" else [])
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"deepstep {command}: error: --layers: expected at most 100 parameters"), err
    assert "got [2, 30, 1], which makes 121" in err
    assert not (tmp_path / "model.npz").exists()


def test_a_picture_folder_beyond_max_values_is_refused_before_any_picture_is_read(tmp_path, monkeypatch, capsys):
    folder = picture_folder(tmp_path / "pics")
    monkeypatch.setattr(limits, "MAX_VALUES", 4 * 8 * 8 * 3 - 1)
    from deepstep.data import files

    monkeypatch.setattr(files, "_read_picture", None)  # reading one would raise TypeError (patched where defined)
    assert cli.main(["train", "--dataset", str(folder), "--image-size", "8x8", "--quiet", "--out",
                     str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "image_size: expected at most 767 values in X" in err and "4 pictures of 8 x 8 x 3 = 768 values" in err


# -- data files -------------------------------------------------------------------------------------------------


def test_a_csv_file_beyond_max_csv_bytes_is_refused_before_reading(tmp_path, monkeypatch):
    text = "x,y,label\n1,2,a\n3,4,b\n"
    (tmp_path / "d.csv").write_text(text)
    monkeypatch.setattr(limits, "MAX_CSV_BYTES", len(text))
    X, Y, classes = datasets.load_csv(tmp_path / "d.csv")
    assert X.tolist() == [[1, 3], [2, 4]] and Y.tolist() == [[0, 1]] and classes == ["a", "b"]
    monkeypatch.setattr(limits, "MAX_CSV_BYTES", len(text) - 1)
    monkeypatch.setattr("builtins.open", None)  # opening it would raise TypeError
    refused(rf"^path: expected a CSV file of at most {len(text) - 1} bytes \(deepstep.limits.MAX_CSV_BYTES\), got "
            rf".*d.csv.*, which is {len(text)} bytes", datasets.load_csv, tmp_path / "d.csv")


def test_csv_rows_are_read_in_order_with_blank_lines_and_a_label_column_in_the_middle(tmp_path):
    (tmp_path / "d.csv").write_text("a,label,b\n\n1.5,dog,-2\n , ,\n3,cat,4e1\n0,dog,0\n")
    X, Y, classes = datasets.load_csv(tmp_path / "d.csv")
    assert X.flags.c_contiguous and X.dtype == np.float64
    assert X.tolist() == [[1.5, 3.0, 0.0], [-2.0, 40.0, 0.0]]
    assert classes == ["cat", "dog"] and Y.tolist() == [[1, 0, 1]]
    (tmp_path / "e.csv").write_text("a,label,b\n1,dog,2\n3,cat\n")
    refused(r"^path: expected 3 fields on every row like the header of .*e.csv.*, got 2 on line 3$",
            datasets.load_csv, tmp_path / "e.csv")


def test_a_split_leaving_a_class_untrained_is_refused_naming_it(tmp_path, capsys):
    # 5 dogs and 1 cat: round(0.6 * 1) = 1, so the one cat would go to the test set
    rows = ["1,0,dog", "2,0,dog", "3,0,dog", "4,0,dog", "5,0,dog", "6,1,cat"]
    (tmp_path / "d.csv").write_text("x,y,label\n" + "\n".join(rows) + "\n")
    message = refused(r"^test_fraction: expected a share that keeps a training example of every class, got 0.6, "
                      r"which puts all 1 example\(s\) of class 'cat' of .*d.csv", datasets.load_dataset,
                      tmp_path / "d.csv", test_fraction=0.6, rng=0)
    assert "smaller test_fraction" in message
    data = datasets.load_dataset(tmp_path / "d.csv", test_fraction=0.4, rng=0)  # round(0.4) = 0 cats tested
    assert data.train_Y.tolist()[0].count(0) == 1 and data.test_Y.shape == (1, 2)  # round(0.4 * 5) = 2 dogs
    assert cli.main(["train", "--dataset", str(tmp_path / "d.csv"), "--test-fraction", "0.6", "--quiet",
                     "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "class 'cat'" in err and not (tmp_path / "run" / "model.npz").exists()


def test_the_datasets_bounds_are_read_from_limits(monkeypatch):
    assert (datasets.MAX_VALUES, datasets.MAX_EXAMPLES, datasets.MAX_IMAGE_SIDE) == (2**30, 10_000_000, 4096)
    monkeypatch.setattr(limits, "MAX_EXAMPLES", 10)
    assert datasets.MAX_EXAMPLES == 10
    refused(r"^m: expected at most 10 examples \(deepstep.limits.MAX_EXAMPLES\), got 11$", datasets.make_moons, m=11)


# -- .npy headers: one reader -----------------------------------------------------------------------------------


def npy_bytes(array, version=None) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version)
    return buf.getvalue()


def test_read_npy_header_sizes_the_data_without_reading_it():
    for version in ((1, 0), (2, 0)):
        data = npy_bytes(np.zeros((3, 4), np.float32), version)
        f = io.BytesIO(data)
        header = limits.read_npy_header(f, len(data))
        assert header == ((3, 4), False, np.dtype(np.float32), 48, 48)
        assert f.tell() == len(data) - 48  # at the data
        assert limits.read_npy_header(io.BytesIO(data[:-8]), len(data) - 8).held_bytes == 40  # truncated
    with pytest.raises(limits.NpyVersionError, match=r"npy format version \(3, 0\)"):
        data = npy_bytes(np.zeros(2), (3, 0))
        limits.read_npy_header(io.BytesIO(data), len(data))
