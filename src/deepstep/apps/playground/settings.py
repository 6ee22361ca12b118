"""The playground's bounds and its settings form: every limit on what a page may ask and on what the server does
for it (points, layers, classes, work a pass, iterations, seconds, workers, body size; the package docstring says
what each bounds), the defaults, and the checks that turn the JSON a page sends into checked settings
(:func:`check_settings`, by the run settings' table where a run has the setting) and those settings into points
(a toy data set, or an uploaded CSV read by ``deepstep train``'s loader and refused beyond the bounds).  It
imports no other part of the playground.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DeepstepError, _describe, check_number
from ...training.settings import SETTINGS

MAX_SESSIONS = 32
IDLE_SECONDS = 15 * 60
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
"""The largest request body (a CSV upload): 2 MiB, about 50,000 points."""
MAX_POINTS = 20_000
MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 64
MAX_CLASSES = 10
"""The most classes (distinct labels) of an uploaded CSV: the page draws each class in a colour of its own."""
MAX_WORK = MAX_POINTS * (2 * MAX_UNITS + (MAX_HIDDEN_LAYERS - 1) * MAX_UNITS ** 2 + MAX_UNITS * 1)
"""The most multiply-adds of one pass of the network over the session's points (points x (2 n[1] + n[1] n[2] +
... + n[L-1] n[L])): the largest two-class network on the most points, 413,440,000; a session's every request
costs a few such passes (training: a few per iteration, within :data:`TRAIN_SECONDS`)."""
MAX_ITERATIONS_PER_REQUEST = 1000
MAX_SESSION_ITERATIONS = 100_000
"""Iterations one session trains at most (its history, two floats an iteration, stays bounded); Reset starts again."""
MAX_COORDINATE = 1e6
"""The largest coordinate of an uploaded point."""
MAX_EDITED_WEIGHT = 100.0
"""The largest weight the page may set by hand (|value|)."""
STUCK_AFTER = 20
"""Iterations after which the page remarks on a stuck network (a cost that has not moved, one class for all)."""
GRID = 64
"""The decision boundary is predicted on GRID x GRID points over the data's range."""
UNIT_GRID = 16
"""Each hidden unit's picture: its activation on UNIT_GRID x UNIT_GRID points over the data's range."""
UNITS_SHOWN = 16
"""The pictures of at most this many units of each hidden layer (those the network drawing shows)."""
CURVE_POINTS = 400
"""Cost curves are sent as at most this many points (evenly thinned)."""
TRAIN_SECONDS = 2.0
"""The longest a train request trains (the iterations done by then are kept and counted in "trained")."""
WORK_SECONDS = 10.0
"""The longest any request works (creating a session, drawing its state, explaining, resetting, saving; a train
request: after its :data:`TRAIN_SECONDS` of training); beyond, 503 and nothing kept of the unfinished work."""
EXPLAIN_POINTS = 128
"""The most points the equations of a step (explain, with its finite-difference checks) are worked out on."""
EXPLAIN_CHECKED = 10
"""Entries of each gradient explain compares with finite differences (two forward passes each)."""
WORKERS = 2
"""Requests at work at once (training, drawing, explaining): the server's CPU stays bounded."""
MAX_WAITING = 8
"""Requests that may wait for a worker; beyond, 503 at once."""
WAIT_SECONDS = 10.0
"""The longest a request waits for a worker before it is answered 503."""
MAX_JSON_DEPTH = 8
"""The deepest nesting of a JSON body (settings are at most 2 deep)."""
MAX_CONNECTIONS = 64
"""Connections (with their requests) the command's server keeps open at once; beyond, uvicorn answers 503."""
STOP_SECONDS = 2.0
"""The longest the command waits, on Ctrl-C or SIGTERM, for requests still at work (their work stops at once)."""
MAX_VALIDATION_FRACTION = 0.5
"""The largest share of the points the playground holds out for validation."""
DATASETS = ("planar", "moons", "circles", "blobs", "spiral", "xor", "gaussian", "plane", "hills", "csv")
#: The data sets whose targets are real values: the network regresses them (a linear output, the squared error).
REGRESSION_SETS = ("plane", "hills")
DEFAULTS: dict[str, Any] = {
    "dataset": "planar", "points": 400, "noise": None, "hidden": [4], "hidden_activation": "tanh", "init": "auto",
    "learning_rate": 1.2, "optimizer": "gd", "batch_size": None, "l2": 0.0, "keep_prob": 1.0,
    "validation_fraction": 0.2, "seed": 1, "csv": None, "batch_norm": False,
}


#: The course's lesson on initialization (Course 2, week 1), as the playground shows it: a start deepstep's own
#: ``fit`` would refuse (zeros with hidden layers) or warn against, and what goes wrong with it.
LESSON_INITS = {
    "zeros": "zeros: every W[l] starts at 0, so all units of a layer compute the same function and get the same "
             "gradient: they stay equal (the symmetry is never broken), and the network is no better than one unit "
             "per layer. Random weights break the symmetry.",
    "large": "large: W = randn * 10 (the course's), so Z is large: tanh and sigmoid saturate, their gradients "
             "vanish, and the cost starts huge (log of nearly 0) and learns slowly. He initialization, randn * "
             "sqrt(2 / n[l-1]), keeps the activations in range.",
}


class SettingsError(DeepstepError):
    """A setting the playground cannot use (answered with 400 and the message)."""


def check_settings(raw: Any) -> dict[str, Any]:
    """The settings, checked (by the run settings' table, :data:`deepstep.training.settings.TABLE`, for those a
    run has) and completed with :data:`DEFAULTS`.

    Parameters
    ----------
    raw : dict
        Settings as the page sends them (JSON); see the module docstring.

    Returns
    -------
    dict
        Every setting, checked and canonical.

    Raises
    ------
    SettingsError
        Naming the setting, what was expected and what came.
    """
    if not isinstance(raw, dict):
        raise SettingsError(f"settings: expected a JSON object, got {_describe(raw)}")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise SettingsError(f"{unknown[0]}: unknown setting; expected one of {sorted(DEFAULTS)}")
    s = {**DEFAULTS, **{k: v for k, v in raw.items() if v is not None or k in ("batch_size", "noise", "csv")}}
    try:
        if s["dataset"] not in DATASETS:
            raise SettingsError(f"dataset: expected one of {list(DATASETS)}, got {_describe(s['dataset'])}")
        hidden = SETTINGS["hidden"].check(tuple(s["hidden"]) if isinstance(s["hidden"], list) else s["hidden"])
        if len(hidden) > MAX_HIDDEN_LAYERS or any(n > MAX_UNITS for n in hidden):
            raise SettingsError(f"hidden: expected at most {MAX_HIDDEN_LAYERS} layers of at most {MAX_UNITS} units "
                                f"in the playground, got {list(hidden)}")
        out = {"dataset": s["dataset"], "hidden": list(hidden)}
        for key in ("hidden_activation", "init", "learning_rate", "optimizer", "batch_size", "l2", "keep_prob",
                    "seed", "batch_norm"):
            lesson = key == "init" and isinstance(s[key], str) and s[key] in LESSON_INITS  # (a list is unhashable)
            if key == "init" and isinstance(s[key], str) and not lesson and s[key] not in SETTINGS["init"].choices:
                inits = [*SETTINGS["init"].choices, *(k for k in LESSON_INITS if k not in SETTINGS["init"].choices)]
                raise SettingsError(f"init: expected one of {inits}, got {_describe(s[key])}")
            out[key] = s[key] if lesson else SETTINGS[key].check(s[key])
        out["points"] = check_number(s["points"], "points", low=10, high=MAX_POINTS, integer=True)
        out["noise"] = None if s["noise"] is None else check_number(s["noise"], "noise", low=0, high=10)
        out["validation_fraction"] = _validation_fraction(s["validation_fraction"])
    except SettingsError:
        raise
    except DeepstepError as exc:
        raise SettingsError(str(exc)) from None
    if out["dataset"] == "csv":
        if not isinstance(s["csv"], str) or not s["csv"].strip():
            raise SettingsError("csv: expected the text of a CSV file (a header row, 2 feature columns and a label "
                                "column), got none")
        out["csv"] = s["csv"]
    return out


def _validation_fraction(value: Any) -> float:
    """0 (hold out nothing), or the table's validation_fraction (0 < F < 1) of at most MAX_VALIDATION_FRACTION."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0.0
    fraction = SETTINGS["validation_fraction"].check(value)
    if fraction > MAX_VALIDATION_FRACTION:
        raise SettingsError(f"validation_fraction: expected at most {MAX_VALIDATION_FRACTION:g} in the playground (0: "
                            f"none), got {fraction!r}")
    return fraction


def _points(settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """X (2, m), labels (1, m) and the class names of the settings' data set (real targets and no classes for
    the :data:`REGRESSION_SETS`)."""
    from ...data import datasets

    name, m, rng = settings["dataset"], settings["points"], settings["seed"]
    if name == "csv":
        return _read_csv(settings["csv"])
    noise = {} if settings["noise"] is None else {"noise": settings["noise"]}
    if name in REGRESSION_SETS:
        make = datasets.make_plane if name == "plane" else datasets.make_hills
        X, Y = make(m=m, rng=rng, **noise)
        return X, Y, []
    X, Y = {"planar": datasets.make_planar, "moons": datasets.make_moons, "circles": datasets.make_circles,
            "blobs": datasets.make_blobs, "spiral": datasets.make_spiral, "xor": datasets.make_xor,
            "gaussian": datasets.make_gaussian}[name](m=m, rng=rng, **noise)
    return X, Y.astype(np.int64), ["0", "1"]


def _read_csv(text: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A CSV upload through the data loader of ``deepstep train`` (its checks and messages)."""
    from ...data.datasets import load_csv

    with tempfile.TemporaryDirectory(prefix="deepstep-playground-") as folder:
        path = Path(folder) / "upload.csv"
        try:
            path.write_text(text, encoding="utf-8")
            X, Y, classes = load_csv(path, task="classification")
        except DeepstepError as exc:
            message = str(exc).replace(repr(str(path)), "the upload").replace(str(path), "the upload")
            raise SettingsError("csv: " + message.removeprefix("path: ")) from None
    if classes is not None and len(classes) > MAX_CLASSES:
        raise SettingsError(f"csv: expected at most {MAX_CLASSES} classes (distinct labels: the playground draws each "
                            f"in a colour of its own), got {len(classes)}")
    if X.shape[0] != 2:
        raise SettingsError(f"csv: expected 2 feature columns (points in the plane) and a label column, got "
                            f"{X.shape[0]} feature columns")
    if X.shape[1] > MAX_POINTS or X.shape[1] < 10:
        raise SettingsError(f"csv: expected 10 to {MAX_POINTS} rows, got {X.shape[1]}")
    if np.abs(X).max() > MAX_COORDINATE:
        raise SettingsError(f"csv: expected coordinates between -{MAX_COORDINATE:g} and {MAX_COORDINATE:g} (points "
                            f"in the plane to draw), got {np.abs(X).max():.3g}")
    return X, Y, list(classes or [])
