"""deepstep's tabular defaults against scikit-learn's MLP and HistGradientBoosting, as the tables come.

Each estimator with its defaults (scikit-learn's MLP behind a StandardScaler, and with an encoder of text and
missing columns where the table has them, since it takes neither; deepstep's estimators and HistGradientBoosting
take the table as it is), 5-fold cross-validation repeated over three shuffles, on scikit-learn's bundled tables
and the Palmer penguins (``palmerpenguins``, text and missing cells).  Prints a Markdown table of the mean held-out
score (accuracy; R^2 for regression) and the mean seconds of one fit.

    .venv/bin/python benchmarks/tabular.py            (make bench runs it too)
    .venv/bin/python benchmarks/tabular.py --quick    (one shuffle)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from deepstep.sklearn import DeepClassifier, DeepRegressor


def tables() -> list[tuple[str, pd.DataFrame | np.ndarray, np.ndarray, bool]]:
    """(name, X, y, classification) of each table."""
    out = []
    for name, load in (("breast cancer", load_breast_cancer), ("wine", load_wine), ("iris", load_iris),
                       ("digits", load_digits)):
        X, y = load(return_X_y=True)
        out.append((name, X, y, True))
    try:
        import palmerpenguins

        frame = palmerpenguins.load_penguins()
        out.append(("penguins (text, missing)", frame.drop(columns="species"), frame["species"].to_numpy(), True))
    except ImportError:
        pass
    X, y = load_diabetes(return_X_y=True)
    out.append(("diabetes", X, y, False))
    return out


def mlp_pipeline(X, estimator):
    """scikit-learn's MLP as a practitioner feeds it: scaled, and the text and missing columns encoded."""
    if isinstance(X, pd.DataFrame):
        encode = make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             make_column_selector(dtype_include="number")),
            (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
             make_column_selector(dtype_exclude="number")))
        return make_pipeline(encode, estimator)
    return make_pipeline(StandardScaler(), estimator)


def hgb(X, estimator):
    if isinstance(X, pd.DataFrame):
        estimator.set_params(categorical_features="from_dtype")
        return make_pipeline(_Categorical(), estimator)
    return estimator


class _Categorical:
    """Text columns as pandas' category dtype (what HistGradientBoosting's categorical support reads)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        X = X.copy()
        for c in X.columns:
            if not pd.api.types.is_numeric_dtype(X[c]):
                X[c] = X[c].astype("category")
        return X

    def fit_transform(self, X, y=None):
        return self.transform(X)

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


def score(make, X, y, classification: bool, shuffles: int) -> tuple[float, float]:
    folds = StratifiedKFold if classification else KFold
    scores, start, fits = [], time.perf_counter(), 0
    for shuffle in range(shuffles):
        cv = folds(5, shuffle=True, random_state=shuffle)
        scores.append(cross_val_score(make(), X, y, cv=cv).mean())
        fits += 5
    return float(np.mean(scores)), (time.perf_counter() - start) / fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one shuffle instead of three")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # MLP's ConvergenceWarning at max_iter
    shuffles = 1 if args.quick else 3
    print(f"5-fold cross-validation x {shuffles} shuffle(s); accuracy (R^2 for regression); seconds per fit")
    print("| table | deepstep | MLP | HistGradientBoosting |")
    print("| --- | --- | --- | --- |")
    gaps_mlp, gaps_hgb = [], []
    for name, X, y, classification in tables():
        if classification:
            models = (lambda: DeepClassifier(random_state=0),
                      lambda X=X: mlp_pipeline(X, MLPClassifier(random_state=0)),
                      lambda X=X: hgb(X, HistGradientBoostingClassifier(random_state=0)))
        else:
            models = (lambda: DeepRegressor(random_state=0),
                      lambda X=X: mlp_pipeline(X, MLPRegressor(max_iter=2000, random_state=0)),
                      lambda X=X: hgb(X, HistGradientBoostingRegressor(random_state=0)))
        cells = [score(make, X, y, classification, shuffles) for make in models]
        gaps_mlp.append(cells[0][0] - cells[1][0])
        gaps_hgb.append(cells[0][0] - cells[2][0])
        print(f"| {name} | " + " | ".join(f"{s:.3f} ({t:.2f} s)" for s, t in cells) + " |", flush=True)
    print(f"\nmean difference, deepstep minus MLP: {np.mean(gaps_mlp):+.4f} (worst {min(gaps_mlp):+.4f}); "
          f"minus HistGradientBoosting: {np.mean(gaps_hgb):+.4f}")


if __name__ == "__main__":
    main()
