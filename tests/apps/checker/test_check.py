"""``deepstep check`` and ``ds.check`` end to end: files and notebooks, the child process and its limits, the
report's forms, usage errors, and nothing of the learner's changed."""

import hashlib
import json
import sys
import time

import learners
import numpy as np
import pytest

import deepstep as ds
from conftest import command
from deepstep.apps.checker import CheckError

C1W4 = learners.RIGHT["c1w4"]
BROKEN_LINEAR_BACKWARD = next(code for kind, a, n, code in learners.BROKEN
                              if (kind, n) == ("scale_m", "linear_backward"))


def write(tmp_path, text, name="mine.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def notebook(cells):
    return json.dumps({"cells": [{"cell_type": kind, "metadata": {}, "source": src.splitlines(True),
                                  **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                                 for kind, src in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_right_file_passes_and_exits_0(tmp_path, capsys):
    path = write(tmp_path, C1W4)
    code, out, err = command(capsys, "check", str(path))
    assert code == 0 and err == ""
    table = out.split("\n\n")[0].splitlines()[1:]  # one line per function, before the details
    lines = [line.split() for line in table]
    verdicts = {parts[0]: parts[1] for parts in lines if len(parts) >= 2}
    assert set(verdicts) == {"initialize_parameters", "initialize_parameters_deep", "linear_forward",
                             "linear_activation_forward", "L_model_forward", "compute_cost", "linear_backward",
                             "linear_activation_backward", "L_model_backward", "update_parameters"}
    assert set(verdicts.values()) == {"pass"}


def test_a_wrong_function_fails_with_its_mistake_and_exits_1(tmp_path, capsys):
    path = write(tmp_path, C1W4 + BROKEN_LINEAR_BACKWARD)
    code, out, _ = command(capsys, "check", str(path), "--json")
    assert code == 1
    report = json.loads(out)
    lb = report["functions"]["linear_backward"]
    assert (lb["status"], lb["mistake"], lb["quantity"]) == ("fail", "scale_m", "dW")
    m = 4  # the course's case: A_prev (5, 4)
    expected, got = np.array(lb["expected"]["values"]), np.array(lb["got"]["values"])
    np.testing.assert_allclose(got, expected * m)  # the first quantity that differs, expected vs got, by m
    # the functions that call it fail too, and say where the mistake is
    for caller in ("linear_activation_backward", "L_model_backward"):
        r = report["functions"][caller]
        assert r["status"] == "fail" and r["mistake"] == "scale_m"
        assert any("linear_backward" in note for note in r["notes"])
    assert report["functions"]["linear_forward"]["status"] == "pass"


def test_the_json_report_has_the_documented_fields(tmp_path, capsys):
    path = write(tmp_path, C1W4)
    _, out, _ = command(capsys, "check", str(path), "--json")
    report = json.loads(out)
    for entry in report["functions"].values():
        assert {"status", "mistake", "message", "expected", "got"} <= set(entry)
        assert entry["status"] in {"pass", "fail", "error", "timeout", "missing"}


def test_a_notebook_is_checked_cell_by_cell_with_its_magics_and_calls_left_out(tmp_path, capsys):
    cells = [("markdown", "# Week 4"), ("code", "%matplotlib inline\nimport numpy as np\n!ls"),
             ("code", C1W4.split("def linear_backward")[0]),
             ("code", "def linear_backward" + C1W4.split("def linear_backward")[1].split("def linear_activation_b")[0]),
             ("code", "def linear_activation_backward" + C1W4.split("def linear_activation_backward")[1]),
             ("code", "train_x, train_y = load_data()\nparameters = L_layer_model(train_x, train_y)\nwhile True: pass")]
    path = write(tmp_path, notebook(cells), "mine.ipynb")
    code, out, _ = command(capsys, "check", str(path), "--json")
    report = json.loads(out)
    assert code == 0, out
    assert report["functions"]["linear_backward"]["status"] == "pass"


def test_an_error_names_the_line_of_the_learners_file(tmp_path, capsys):
    text = C1W4 + "\ndef linear_forward(A, W, b):\n    Z = np.dot(W, A) + b\n    raise ValueError('not yet')\n"
    path = write(tmp_path, text)
    code, out, _ = command(capsys, "check", str(path), "--json")
    lf = json.loads(out)["functions"]["linear_forward"]
    line = text.splitlines().index("    raise ValueError('not yet')") + 1
    assert code == 1 and lf["status"] == "error"
    assert "ValueError" in lf["message"] and f"line {line}" in lf["message"]


def test_a_notebooks_error_names_the_cell_and_its_line(tmp_path, capsys):
    cells = [("code", "import numpy as np"), ("code", "def linear_forward(A, W, b):\n    x = 1\n    return 1 / 0")]
    path = write(tmp_path, notebook(cells), "mine.ipynb")
    _, out, _ = command(capsys, "check", str(path), "--json")
    assert "cell 2, line 3" in json.loads(out)["functions"]["linear_forward"]["message"]


@pytest.mark.parametrize(("body", "status"), [
    ("    while True:\n        pass\n", "timeout"),
    ("    import sys\n    sys.exit(3)\n", "error"),
    ("    import os\n    os._exit(1)\n", "error"),
    ("    x = np.ones((1 << 40,))\n", "error"),
    ("    return undefined_name\n", "error"),
])
def test_a_function_that_loops_exits_crashes_or_hogs_memory_is_reported_alone(tmp_path, body, status):
    text = C1W4 + "\ndef linear_forward(A, W, b):\n" + body
    path = write(tmp_path, text)
    start = time.monotonic()
    report = ds.check(path, timeout=1)
    assert time.monotonic() - start < 10  # one time limit, not one per function that calls it
    assert report.functions["linear_forward"]["status"] == status
    # the others are checked all the same; the one that calls it, with the course's linear_forward in its place
    assert report.functions["linear_backward"]["status"] == "pass"
    assert report.functions["compute_cost"]["status"] == "pass"
    caller = report.functions["linear_activation_forward"]
    assert caller["status"] == "pass" and "course's linear_forward in place of yours" in caller["notes"][0]


def test_the_learners_file_is_left_as_it_was(tmp_path):
    path = write(tmp_path, C1W4 + BROKEN_LINEAR_BACKWARD)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    ds.check(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_namespace_is_checked_and_not_changed():
    ns = {}
    helpers = "from deepstep.core.course import sigmoid_cached as sigmoid, relu_cached as relu, sigmoid_backward, " \
              "relu_backward"
    exec(C1W4.replace("from dnn_utils import sigmoid, relu, sigmoid_backward, relu_backward", helpers)  # noqa: S102
         + BROKEN_LINEAR_BACKWARD, ns)
    keys = set(ns)
    report = ds.check(ns)
    assert report.functions["linear_backward"]["mistake"] == "scale_m"
    assert report.functions["linear_forward"]["status"] == "pass"
    assert set(ns) == keys


def test_a_module_is_checked(tmp_path, monkeypatch):
    write(tmp_path, learners.RIGHT["c2w2"], "my_optimizers.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_optimizers

    report = ds.check(my_optimizers)
    assert report.passed and report.functions["update_parameters_with_adam"]["status"] == "pass"
    sys.modules.pop("my_optimizers", None)


def test_the_report_shows_itself_in_jupyter(tmp_path):
    report = ds.check(write(tmp_path, C1W4 + BROKEN_LINEAR_BACKWARD))
    html = report._repr_html_()
    assert "<table>" in html and "scale_m" in html and "linear_backward" in html
    md = report._repr_markdown_()
    assert "| `linear_backward` | FAIL  scale_m" in md


def test_both_versions_of_the_courses_adam_pass():
    three = learners.VARIANTS[[n for _, n, _ in learners.VARIANTS].index("update_parameters_with_adam")][2]
    ns = {"np": np}
    exec(three, ns)  # noqa: S102
    report = ds.check(ns)
    assert report.functions["update_parameters_with_adam"]["status"] == "pass"
    five = {}
    exec(learners.RIGHT["c2w2"], five)  # noqa: S102
    assert ds.check(five).functions["update_parameters_with_adam"]["status"] == "pass"


def test_a_name_two_assignments_share_is_decided_by_its_results_or_reported_as_ambiguous(tmp_path):
    c1w4_init = learners.RIGHT["c1w4"].split("def initialize_parameters_deep")[0]
    report = ds.check(write(tmp_path, c1w4_init, "a.py"))  # no other function: the results decide (seed 1 inside)
    entry = report.functions["initialize_parameters"]
    assert (entry["status"], entry["assignment"]) == ("pass", "c1w4")
    wrong = "import numpy as np\ndef initialize_parameters(n_x, n_h, n_y):\n    return 0\n"
    entry = ds.check(write(tmp_path, wrong, "b.py")).functions["initialize_parameters"]
    assert entry["status"] == "fail" and any("ambiguous" in note for note in entry["notes"])
    entry = ds.check(write(tmp_path, c1w4_init, "c.py"), assignment="c1w3").functions["initialize_parameters"]
    assert entry["assignment"] == "c1w3" and entry["mistake"] == "initialization_scale"  # seeded 1, not 2


def test_a_backward_whose_forward_is_wrong_is_told_to_fix_the_forward_first(tmp_path):
    wrong_forward = next(code for kind, a, n, code in learners.BROKEN if (kind, n) == ("wrong_activation",
                                                                                        "L_model_forward"))
    report = ds.check(write(tmp_path, C1W4 + wrong_forward))
    notes = report.functions["L_model_backward"]["notes"]
    assert report.functions["L_model_backward"]["status"] == "pass"
    assert notes[0].startswith("your L_model_forward is wrong")


def test_the_gradients_are_held_to_the_learners_own_forward_by_finite_differences(tmp_path):
    report = ds.check(write(tmp_path, C1W4))
    note = next(n for n in report.functions["L_model_backward"]["notes"] if "finite differences" in n)
    assert "agree" in note
    broken = next(code for kind, a, n, code in learners.BROKEN if (kind, n) == ("sign", "L_model_backward"))
    note = next(n for n in ds.check(write(tmp_path, C1W4 + broken, "b.py")).functions["L_model_backward"]["notes"]
                if "finite differences" in n)
    assert "are not those of" in note


def test_each_function_takes_under_a_second(tmp_path):
    path = write(tmp_path, learners.RIGHT["c1w4"])
    start = time.monotonic()
    report = ds.check(path)
    assert (time.monotonic() - start) / len(report.functions) < 1.0


@pytest.mark.parametrize(("argv", "named"), [
    (["check", "nothere.py"], "file"),
    (["check", "setup.cfg"], "file"),
    (["check", "x.py", "--assignment", "c3w1"], "--assignment"),
    (["check", "x.py", "--timeout", "0"], "--timeout"),
])
def test_a_usage_error_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, named):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "setup.cfg").write_text("")
    code, out, err = command(capsys, *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and named in err


@pytest.mark.parametrize(("kwargs", "named"), [({"assignment": "c9"}, "assignment"), ({"timeout": -1}, "timeout"),
                                               ({"memory_mb": 1}, "memory_mb")])
def test_python_usage_errors_name_the_argument(tmp_path, kwargs, named):
    with pytest.raises(CheckError, match=named):
        ds.check(write(tmp_path, C1W4), **kwargs)
    with pytest.raises(CheckError, match="target"):
        ds.check(42)


# -- what an independent review found ------------------------------------------------------------------------------
def test_a_notebook_cell_that_is_not_python_leaves_the_others(tmp_path):
    cells = [("code", "%%bash\nls -l"), ("code", "files = !ls\nnp.dot?\nimport numpy as np"),
             ("code", "def linear_forward(A, W, b):\n    return np.dot(W, A) + b, (A, W, b)"),
             ("code", "def unfinished(:\n")]
    report = ds.check(write(tmp_path, notebook(cells), "nb.ipynb"))
    assert report.functions["linear_forward"]["status"] == "pass"
    assert any("syntax error at cell 4" in p and "left out" in p for p in report.problems)


@pytest.mark.parametrize("text", ['{"cells": 5}', "[]", "{not json"])
def test_a_file_that_is_not_a_notebook_is_a_usage_error(tmp_path, capsys, text):
    code, out, err = command(capsys, "check", write(tmp_path, text, "x.ipynb"))
    assert code == 2 and "file" in err and len(err.strip().splitlines()) == 1


def test_json_stays_strict_when_a_result_holds_nan(tmp_path, capsys):
    text = C1W4 + ("\ndef linear_forward(A, W, b):\n    Z = np.dot(W, A) + b\n    Z[0, 0] = np.nan\n"
                   "    return Z, (A, W, b)\n")
    code, out, _ = command(capsys, "check", write(tmp_path, text), "--json")
    report = json.loads(out)  # allow_nan is not needed: "nan" is a string
    assert code == 1 and report["functions"]["linear_forward"]["status"] == "fail"
    assert "nan" in json.dumps(report["functions"]["linear_forward"]["got"])


def test_a_backward_that_returns_nothing_is_refused_by_gradcheck(tmp_path, capsys):
    mine = write(tmp_path, "def L_model_backward(AL, Y, caches):\n    grads = {}\n")
    code, _, err = command(capsys, "gradcheck", "--backward", mine)
    assert code == 2 and "--backward" in err and "NoneType" in err


def test_a_helper_of_another_week_pasted_into_the_file_is_not_checked(tmp_path):
    text = C1W4 + "\ndef sigmoid(Z):\n    return 1 / (1 + np.exp(-Z)), Z\n"  # dnn_utils' sigmoid, not C1W2's
    report = ds.check(write(tmp_path, text))
    assert "sigmoid" not in report.functions and report.passed
    report = ds.check(write(tmp_path, C1W4, "b.py"), assignment="c2w2")
    assert all(r["status"] == "missing" for r in report.functions.values())  # none of C1W4's is C2W2's


def test_module_level_helpers_and_sibling_modules_are_there(tmp_path):
    (tmp_path / "myhelpers.py").write_text("import numpy as np\ndef affine(W, A, b):\n    return W @ A + b\n")
    text = ("import numpy as np\nfrom myhelpers import affine\nrelu_f = lambda Z: np.maximum(0, Z)\n"
            "SCALE = float(np.float64(1.0))\n"
            "def linear_forward(A, W, b):\n    return SCALE * affine(W, A, b), (A, W, b)\n"
            "def linear_activation_forward(A_prev, W, b, activation):\n"
            "    Z, lc = linear_forward(A_prev, W, b)\n"
            "    A = relu_f(Z) if activation == 'relu' else 1 / (1 + np.exp(-Z))\n"
            "    return A, (lc, Z)\n")
    report = ds.check(write(tmp_path, text))
    assert report.functions["linear_forward"]["status"] == "pass"
    assert report.functions["linear_activation_forward"]["status"] == "pass"


def test_a_float32_forward_is_not_held_to_float64_finite_differences(tmp_path):
    text = C1W4 + ("\ndef linear_forward(A, W, b):\n    Z = W.astype(np.float32) @ A.astype(np.float32) + "
                   "b.astype(np.float32)\n    return Z, (A, W, b)\n")
    report = ds.check(write(tmp_path, text))
    assert report.passed
    note = report.functions["linear_backward"]["notes"][-1]
    assert "float32" in note and "not held" in note
