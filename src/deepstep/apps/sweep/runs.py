"""One run of a sweep, wherever it runs: the data checked against every output and dtype of the sweep before any
run (:func:`_check_data`), the output activation "auto" resolved (:func:`_output`), and the run itself
(:func:`_train_one`), whose outcome -- the network's state, history, scores, timing, status -- is plain data that a
worker process or a Dask task sends back; the outcome of a run that never trained (:func:`_failed`), and the test hook
a worker calls before each run (:func:`_crash_for_test`)."""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np

from ...errors import DeepstepError, _describe, as_array, check_weight_row, check_X
from ...model.network import DeepNetwork
from ...training.callbacks import EarlyStopping
from ...training.loop import TrainingDiverged
from ...training.settings import optimizer_from
from .settings import run_seed

_TEST_CRASH = "DEEPSTEP_SWEEP_TEST_CRASH"
# Private, for tests only: "I" makes a worker process exit (os._exit(1)) when it starts run I, every time;
# "I:PATH" only while the file PATH does not exist (it is created first): once.  Serial sweeps ignore it.


# -- data ------------------------------------------------------------------------------------------------
def _class_count(Y: np.ndarray, why: str) -> int:
    """Classes of (1, m) labels 0..k-1: k (at least 2)."""
    labels = Y[0]
    ok = (np.issubdtype(Y.dtype, np.number) and labels.size > 0 and np.isfinite(labels).all()
          and (labels == np.round(labels)).all() and labels.min() >= 0)
    if not ok:
        raise DeepstepError(f"Y: {why} takes class labels 0, 1, ... or one-hot columns; for real-valued targets "
                            "give output_activation 'linear' (regression)")
    return max(int(labels.max()) + 1, 2)


def _output(Y: np.ndarray, output_activation: str) -> tuple[str, int]:
    """The output activation ("auto" resolved) and n[L] for targets Y (n_y, m)."""
    if output_activation == "auto":
        if Y.shape[0] > 1:
            return "softmax", Y.shape[0]
        k = _class_count(Y, "output_activation 'auto'")
        return ("sigmoid", 1) if k == 2 else ("softmax", k)
    if output_activation == "softmax" and Y.shape[0] == 1:
        return "softmax", _class_count(Y, "output_activation 'softmax' with one row of labels")
    return output_activation, Y.shape[0]


def _pair(data: Any, name: str) -> tuple[Any, ...] | None:
    """(X, Y) or (X, Y, sample_weight) as given (the weights are checked with the data: :func:`_check_data`)."""
    if data is None:
        return None
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise DeepstepError(f"{name}: expected a pair (X, Y) or (X, Y, sample_weight), got {_describe(data)}")
    if len(data) == 3 and data[2] is not None:
        return data[0], data[1], data[2]
    return data[0], data[1]


def _check_data(X: Any, Y: Any, validation: Any, test: Any, outputs: list[str], dtypes: list[str],
                sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray | None, Any, Any]:
    """Every data set checked against every output activation and dtype of the sweep (before any run), and every
    set's weights against its examples; returns Y as an array, the weights as (m,) float64 (or None), and the
    validation and test sets with their weights so (a pair where none were given)."""
    n_x = check_X(X, name="X").shape[0]
    Y = as_array(Y, "Y")
    if Y.ndim != 2:
        raise DeepstepError(f"Y: expected shape (n_y, m), got shape {Y.shape}")
    for output in outputs:
        name, n_out = _output(Y, output)
        for dtype in dtypes:
            probe = DeepNetwork([n_x, n_out], output_activation=name, init="zeros", rng=0, dtype=dtype)
            sets = [(X, Y, "X", "Y")] + [(*pair[:2], f"{label}[0]", f"{label}[1]") for pair, label in
                                          ((validation, "validation_data"), (test, "test_data")) if pair is not None]
            for A, B, a_name, b_name in sets:
                A = probe._inputs(A, a_name)
                probe._targets(B, A.shape[1], b_name)

    w = check_weight_row(sample_weight, Y.shape[1])
    checked = []
    for pair, label in ((validation, "validation_data"), (test, "test_data")):
        if pair is not None and len(pair) == 3:
            pair = (*pair[:2], check_weight_row(pair[2], np.shape(pair[0])[1], f"{label}[2]"))
        checked.append(pair)
    return Y, w, checked[0], checked[1]


def class_weighted(Y: np.ndarray, sample_weight: np.ndarray | None, class_weight: Any) -> np.ndarray | None:
    """The weights the runs train with: ``sample_weight`` (m,) times each example's class weight
    (:func:`deepstep.data.labels.class_weights` of ``class_weight``, over the classes of Y: (1, m) labels or one-hot
    columns); ``sample_weight`` itself without class weights."""
    if class_weight is None:
        return sample_weight
    from ...data.labels import class_weights

    labels = Y[0].astype(np.int64) if Y.shape[0] == 1 else np.argmax(Y, axis=0)
    k = _class_count(Y, "class_weight") if Y.shape[0] == 1 else Y.shape[0]
    per_class = class_weights(class_weight, labels, k)[labels]
    weights = per_class if sample_weight is None else per_class * sample_weight
    if not weights.any():
        raise DeepstepError("class_weight: every example left to train on has weight 0")
    return weights


# -- one run -----------------------------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if isinstance(exc, DeepstepError) else f"{type(exc).__name__}: {text}"


def _score(net: DeepNetwork, data: tuple[Any, ...] | None) -> float | None:
    """The network's score on (X, Y) or (X, Y, weights) (weighted), None without data or where it overflows."""
    if data is None:
        return None
    try:
        score = float(net.score(*data))
    except DeepstepError:  # parameters that overflow on these examples
        return None
    return score if math.isfinite(score) else None  # (R^2 of a diverged regression)


def _finite(values: list) -> list:
    """A history series with NaN and inf as None (JSON has neither)."""
    return [v if v is None or not isinstance(v, float) or math.isfinite(v) else None for v in values]


def _train_one(X: Any, Y: np.ndarray, settings: dict[str, Any], seed: int, validation: Any, test: Any,
               weights: np.ndarray | None = None, score_weights: np.ndarray | None = None) -> dict[str, Any]:
    """Train one run (each example's loss times its weight where ``weights`` (m,) are given); its outcome as plain
    data (parameters, history, scores -- the training score weighted by ``score_weights`` (sample_weight without
    the class weights), the other sets' by their own weights, where they have them --, timing, status)."""
    out: dict[str, Any] = {"status": "ok", "message": "", "state": None, "history": {},
                           "cost": None, "train": None, "val": None, "test": None, "iterations": 0}
    start = time.perf_counter()
    net = None
    try:
        output, n_out = _output(Y, settings["output_activation"])
        optimizer = optimizer_from(settings)  # the table's optimizer rows
        callbacks = [] if settings["early_stopping"] is None else [EarlyStopping(patience=settings["early_stopping"])]
        net = DeepNetwork([np.shape(X)[0], *settings["hidden"], n_out], settings["hidden_activation"], output,
                          settings["init"], np.random.default_rng(run_seed(seed, settings)), settings["dtype"],
                          settings["standardize"], batch_norm=bool(settings.get("batch_norm")))
        net.fit(X, Y, settings["learning_rate"], settings["num_iterations"], batch_size=settings["batch_size"],
                optimizer=optimizer, l2=settings["l2"], keep_prob=settings["keep_prob"],
                validation_data=None if validation is None else validation[:2], callbacks=callbacks,
                method=settings["method"], sample_weight=weights)
    except TrainingDiverged as exc:
        out.update(status="diverged", message=_one_line(exc))
    except Exception as exc:  # a bad combination (DeepstepError), or anything else: this run only
        out.update(status="failed", message=_one_line(exc))
    out["seconds"] = time.perf_counter() - start
    if net is None:
        return out
    out["history"] = {k: _finite(v) if isinstance(v, list) else v for k, v in net.history.as_dict().items()
                      if k != "signals"}  # (the signals go with the run's state: its model file)
    out["iterations"] = len(net.history.cost)
    out["cost"] = out["history"]["cost"][-1] if net.history.cost else None
    if out["status"] != "failed":
        out["state"] = net.state_dict()  # the network as its parts give it: what a model file holds
        train = (X, Y) if score_weights is None else (X, Y, score_weights)
        out["train"], out["val"], out["test"] = _score(net, train), _score(net, validation), _score(net, test)
    return out


def _failed(message: str) -> dict[str, Any]:
    return {"status": "failed", "message": message, "state": None, "history": {},
            "cost": None, "train": None, "val": None, "test": None, "iterations": 0, "seconds": None}


def _crash_for_test(index: int) -> None:
    spec = os.environ.get(_TEST_CRASH)
    if not spec:
        return
    run, _, marker = spec.partition(":")
    if run.strip() != str(index):
        return
    if marker:
        try:
            open(marker, "x").close()
        except FileExistsError:
            return
    os._exit(1)
