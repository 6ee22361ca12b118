"""The starter notebooks of examples/: one per assignment, as make_notebooks.py writes them; run, every function
is reported as not written; with a learner's right functions in their cells, every one passes."""

import ast
import importlib.util
import json
from pathlib import Path

import learners
import pytest

from conftest import command

EXAMPLES = Path(__file__).parents[3] / "examples"
spec = importlib.util.spec_from_file_location("make_notebooks", EXAMPLES / "make_notebooks.py")
make_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_notebooks)
ASSIGNMENTS = ["c1w2", "c1w3", "c1w4", "c2w1", "c2w2"]


def run_cells(nb):
    """Run a notebook's code cells in order, as a kernel does; the value of the last cell's last expression."""
    ns = {}
    value = None
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), ns)  # noqa: S102
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns) if last else None  # noqa: S307
    return value


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_notebook_is_what_make_notebooks_writes(assignment):
    assert (EXAMPLES / f"{assignment}.ipynb").read_text() == make_notebooks.text(assignment)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_starter_notebook_runs_and_reports_every_function_unwritten(assignment):
    nb = json.loads((EXAMPLES / f"{assignment}.ipynb").read_text())
    report = run_cells(nb)
    assert report.exit_code == 1 and report.functions
    for name, r in report.functions.items():
        assert r["status"] == "error" and "NotImplementedError" in r["message"], name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_notebook_with_right_functions_passes(assignment):
    nb = json.loads((EXAMPLES / f"{assignment}.ipynb").read_text())
    right = ast.parse(learners.RIGHT[assignment])
    defs = {node.name: ast.get_source_segment(learners.RIGHT[assignment], node) for node in right.body
            if isinstance(node, ast.FunctionDef)}
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and src.startswith("def "):
            name = src[4:src.index("(")]
            cell["source"] = defs[name].splitlines(True)
    report = run_cells(nb)
    assert report.passed, str(report)


def test_the_command_checks_a_starter_notebook(capsys):
    code, out, _ = command(capsys, "check", EXAMPLES / "c1w4.ipynb")
    assert code == 1 and "NotImplementedError" in out and "cell " in out
