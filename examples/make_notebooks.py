"""Write the starter notebooks of examples/: one per assignment, every exercise function empty, ``ds.check`` at the
end.  ``python examples/make_notebooks.py`` rewrites them; ``tests/apps/checker/test_notebooks.py`` runs them and
holds them to what this writes."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from deepstep.apps.checker.exercises import ASSIGNMENTS, EXERCISES

HERE = Path(__file__).parent
TITLES = {"c1w2": "Course 1, week 2: logistic regression with a neural-network mindset",
          "c1w3": "Course 1, week 3: planar data classification with one hidden layer",
          "c1w4": "Course 1, week 4: building your deep neural network, step by step",
          "c2w1": "Course 2, week 1: regularization and dropout",
          "c2w2": "Course 2, week 2: optimization methods"}
HELPERS = {"c1w2": "",
           "c1w3": "from deepstep.core.course import sigmoid  # planar_utils' sigmoid\n",
           "c1w4": "# dnn_utils' helpers: sigmoid(Z) and relu(Z) return (A, cache=Z)\n"
                   "from deepstep.core.course import relu_backward, sigmoid_backward\n"
                   "from deepstep.core.course import relu_cached as relu\n"
                   "from deepstep.core.course import sigmoid_cached as sigmoid\n",
           "c2w1": "# reg_utils' helpers (the course gives forward_propagation and backward_propagation too)\n"
                   "from deepstep.core.course import backward_propagation_plain as backward_propagation\n"
                   "from deepstep.core.course import forward_propagation_3 as forward_propagation\n"
                   "from deepstep.core.course import mean_cost as compute_cost\n"
                   "from deepstep.core.course import relu, sigmoid\n",
           "c2w2": ""}
DEFAULTS = {"optimize": {"num_iterations": "100", "learning_rate": "0.009", "print_cost": "False"},
            ("c1w3", "update_parameters"): {"learning_rate": "1.2"},
            "forward_propagation_with_dropout": {"keep_prob": "0.5"},
            "random_mini_batches": {"mini_batch_size": "64", "seed": "0"},
            "update_parameters_with_adam": {"learning_rate": "0.01", "beta1": "0.9", "beta2": "0.999",
                                            "epsilon": "1e-8"},
            "schedule_lr_decay": {"time_interval": "1000"}}
GIVEN = {("c2w1", "forward_propagation"), ("c2w1", "backward_propagation")}


def signature(ex) -> str:
    defaults = DEFAULTS.get((ex.assignment, ex.name)) or DEFAULTS.get(ex.name) or {}
    return ", ".join(f"{p}={defaults[p]}" if p in defaults else p for p in ex.params)


def cell(kind: str, text: str) -> dict:
    out = {"cell_type": kind, "metadata": {}, "source": text.splitlines(True)}
    if kind == "code":
        out.update(outputs=[], execution_count=None)
    return out


def notebook(assignment: str) -> dict:
    cells = [cell("markdown", f"# {TITLES[assignment]}\n\nWrite each function below (the course's names and "
                              "signatures), then run the last cell: `deepstep check` runs your functions on the "
                              "course's kind of cases and on generated ones, and names the mistake of a wrong one "
                              "with the first quantity that differs and a hint. Or, from a shell: "
                              f"`deepstep check {assignment}.ipynb`."),
             cell("code", "import copy\nimport math\n\nimport numpy as np\n\nimport deepstep as ds\n"
                          + HELPERS[assignment])]
    for ex in EXERCISES:
        if ex.assignment != assignment or (ex.assignment, ex.name) in GIVEN:
            continue
        doc = inspect.getdoc(ex.reference) or ""
        outputs = f"    # returns {', '.join(ex.outputs)}\n" if ex.outputs and len(ex.outputs) > 1 else ""
        cells.append(cell("markdown", f"### `{ex.name}({', '.join(ex.params)})`\n\n{doc}"))
        cells.append(cell("code", f"def {ex.name}({signature(ex)}):\n{outputs}    # your code here\n"
                                  f"    raise NotImplementedError(\"{ex.name}\")\n"))
    cells.append(cell("markdown", "## Check your functions"))
    cells.append(cell("code", f"report = ds.check(globals(), assignment=\"{assignment}\")\nreport"))
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def text(assignment: str) -> str:
    return json.dumps(notebook(assignment), indent=1) + "\n"


def main() -> None:
    for a in ASSIGNMENTS:
        (HERE / f"{a}.ipynb").write_text(text(a))


if __name__ == "__main__":
    main()
