"""The README's comparison of defaults: DeepClassifier()/DeepRegressor() against MLPClassifier()/MLPRegressor(
max_iter=2000) on scikit-learn's bundled digits and diabetes tables (5-fold cross-validation, three shuffles).

    .venv/bin/python benchmarks/sklearn_defaults.py

Prints a Markdown table: the mean held-out score (accuracy, R^2) and the mean time of one fit.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from deepstep.sklearn import DeepClassifier, DeepRegressor


def row(name, make, X, y, folds) -> str:
    scores, start = [], time.perf_counter()
    for shuffle in (0, 1, 2):
        cv = folds(5, shuffle=True, random_state=shuffle)
        scores.append(cross_val_score(make(), X, y, cv=cv).mean())
    return f"| {name} | {np.mean(scores):.3f} | {(time.perf_counter() - start) / 15:.2f} s |"


def main() -> None:
    warnings.simplefilter("ignore")  # MLP's ConvergenceWarning at max_iter
    digits_X, digits_y = load_digits(return_X_y=True)
    diabetes_X, diabetes_y = load_diabetes(return_X_y=True)
    rows = [
        ("digits (X / 16): `DeepClassifier()`", lambda: DeepClassifier(random_state=0), digits_X / 16, digits_y,
         StratifiedKFold),
        ("digits (X / 16): `MLPClassifier()`", lambda: MLPClassifier(random_state=0), digits_X / 16, digits_y,
         StratifiedKFold),
        ("diabetes: `make_pipeline(StandardScaler(), DeepRegressor())`",
         lambda: make_pipeline(StandardScaler(), DeepRegressor(random_state=0)), diabetes_X, diabetes_y, KFold),
        ("diabetes: `make_pipeline(StandardScaler(), MLPRegressor(max_iter=2000))`",
         lambda: make_pipeline(StandardScaler(), MLPRegressor(max_iter=2000, random_state=0)), diabetes_X,
         diabetes_y, KFold),
    ]
    print("| estimator (defaults) | held-out accuracy / R^2 | one fit |")
    print("| --- | --- | --- |")
    for name, make, X, y, folds in rows:
        print(row(name, make, X, y, folds), flush=True)


if __name__ == "__main__":
    main()
