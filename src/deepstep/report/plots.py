"""Pictures of training: the cost curve, a 2-D decision boundary, mislabelled images.

Needs matplotlib (``pip install 'deepstep[plot]'``).  Figures are drawn with
matplotlib's object API (no pyplot, no global figure state, no window).  Every
function returns its :class:`matplotlib.figure.Figure`, which a Jupyter notebook
shows as a PNG, and writes it (atomically, as PNG) only when given a ``path``:

>>> fig = plot_cost([10.0, 1.0, 0.01])        # in a notebook: the picture, nothing written
>>> ax = fig.axes[0]
>>> ax.get_yscale(), ax.lines[0].get_ydata().tolist()
('log', [10.0, 1.0, 0.01])
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_path
from ..core.tasks import task_for
from ..errors import DeepstepError, check_number, check_X
from ..extras import MissingExtra
from ..limits import parameter_count
from ..training.loop import register_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..model.network import DeepNetwork

__all__ = ["mislabelled_indices", "plot_cost", "plot_decision_boundary", "plot_mislabelled"]

LOG_SCALE_RATIO = 100.0
"""A cost plot's y-axis is logarithmic (by default) when max/min of its costs, all positive, exceeds this."""

LOG_SCALE_RANGE = (1e-100, 1e100)
"""Costs a logarithmic axis can show (matplotlib's log ticks overflow over a few hundred decades)."""

MAX_MAGNITUDE = 1e306
"""Costs, coordinates and values drawn stay within +-this (matplotlib's axes overflow near the end of the float
range, 1.8e308)."""

MAX_RESOLUTION = 2000
"""plot_decision_boundary evaluates the network on at most resolution**2 = 4 million grid points."""

MAX_GRID_WORK = 4 * 10**10
"""... and on fewer for a large network: grid points x parameters at most this (about 80 GFLOP, seconds), the
resolution lowered (to no less than 40) where the one asked for would take longer."""


# -- figures -----------------------------------------------------------------------------------------------
_FIGURE_CLASS: type | None = None


def _figure_class() -> type:
    """matplotlib's Figure with a ``_repr_png_`` (made once, when first needed: matplotlib is optional)."""
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise DeepstepError("plots: matplotlib is needed; install it with pip install 'deepstep[plot]'") from None

        class PlotFigure(Figure):
            """A Figure that IPython / Jupyter shows as a PNG without pyplot or an inline backend."""

            def _repr_png_(self) -> bytes:
                import io

                buffer = io.BytesIO()
                self.savefig(buffer, format="png", bbox_inches="tight")
                return buffer.getvalue()

        PlotFigure.__module__, PlotFigure.__qualname__ = __name__, "_PlotFigure"  # so that pickle finds it
        globals()["_PlotFigure"] = _FIGURE_CLASS = PlotFigure
    return _FIGURE_CLASS


def _figure(width: float, height: float) -> Figure:
    return _figure_class()(figsize=(width, height), dpi=100)


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    """Write ``fig`` as a PNG at ``path`` (in one step: no half-written file) unless ``path`` is None."""
    if path is not None:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, format="png", bbox_inches="tight")
    return fig


# -- checks ------------------------------------------------------------------------------------------------
def _series(values: Any, name: str, empty_ok: bool = False) -> np.ndarray:
    """A sequence (list, tuple, 1-D array) of finite real numbers that can be drawn, as a new float64 array.

    Empty only with ``empty_ok``.
    """
    try:
        a = np.array(values)
    except (TypeError, ValueError, OverflowError):  # ragged nesting, and the like
        a = np.array(None)
    if a.ndim == 1 and a.size == 0 and empty_ok:
        return a.astype(np.float64)
    if a.dtype.kind not in "iuf" or a.ndim != 1 or a.size == 0:
        shown = f"shape {a.shape} and dtype {a.dtype}" if a.dtype.kind in "biufc" else type(values).__name__
        raise DeepstepError(f"{name}: expected a non-empty sequence of finite numbers, got {shown}")
    with np.errstate(over="ignore"):  # longdouble beyond float64: inf, refused just below
        a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise DeepstepError(f"{name}: expected finite numbers, got {np.size(a) - np.isfinite(a).sum()} NaN or inf")
    return _drawable(a, name)


def _drawable(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` (finite, checked) as float64, or DeepstepError when some exceed MAX_MAGNITUDE."""
    values = np.asarray(values, dtype=np.float64)
    largest = float(np.abs(values).max())
    if largest > MAX_MAGNITUDE:
        raise DeepstepError(f"{name}: expected values within +-{MAX_MAGNITUDE:g} to draw (matplotlib's axes overflow "
                            f"beyond), got a magnitude of {largest:g}; scale them")
    return values


def _labels(Y: Any, m: int, n_classes: int, name: str) -> np.ndarray:
    """Class indices of shape (m,) from (1, m) labels 0..n_classes-1 or (n_classes, m) one-hot columns."""
    Y = check_X(Y, name=name)
    if n_classes > 1 and Y.shape == (n_classes, m) and _is_one_hot(Y):
        return Y.argmax(axis=0)
    if Y.shape != (1, m):
        wanted = f"(1, {m})" + (f" or one-hot ({n_classes}, {m})" if n_classes > 2 else "")
        raise DeepstepError(f"{name}: expected class labels of shape {wanted}, got shape {Y.shape}")
    labels = Y[0]
    if not ((labels == np.round(labels)).all() and labels.min() >= 0 and labels.max() < n_classes):
        raise DeepstepError(f"{name}: expected class indices 0..{n_classes - 1}, "
                            f"got values such as {np.unique(labels)[:5].tolist()}")
    return labels.astype(np.intp)


def _is_one_hot(Y: np.ndarray) -> bool:
    return bool((((Y == 0) | (Y == 1)).all()) and (Y.sum(axis=0) == 1).all())


# -- cost --------------------------------------------------------------------------------------------------
def _log_scale_fits(low: float, high: float) -> bool:
    """Whether costs from ``low`` to ``high`` span more than LOG_SCALE_RATIO (orders of magnitude) within
    LOG_SCALE_RANGE."""
    return LOG_SCALE_RANGE[0] <= low and high <= LOG_SCALE_RANGE[1] and high > LOG_SCALE_RATIO * low


def plot_cost(cost: Sequence[float], path: str | os.PathLike | None = None, learning_rate: float | None = None,
              per: str = "iteration", val_cost: Sequence[float] | None = None,
              log_scale: bool | None = None) -> Figure:
    """The cost J against iterations (or epochs), with the validation cost on the same axes.

    Parameters
    ----------
    cost : sequence of float
        J of each iteration (``history.cost``); drawn as ``ax.lines[0]`` at x = 0, 1, ..., len(cost) - 1.
    path : str or PathLike, optional
        Where to write the PNG; None (the default) writes nothing.
    learning_rate : float, optional
        Shown in the title.
    per : str
        The x-axis label: "iteration" or "epoch".
    val_cost : sequence of float, optional
        Validation J (``history.val_cost``), drawn as ``ax.lines[1]`` against the last len(val_cost)
        iterations (a resumed run may have validated only its later epochs).
    log_scale : bool, optional
        A logarithmic cost axis; by default (None) when the largest cost is more than ``LOG_SCALE_RATIO`` (100)
        times the smallest, all within ``LOG_SCALE_RANGE`` (1e-100 .. 1e100, hence positive).

    Returns
    -------
    matplotlib.figure.Figure
        One Axes, ``fig.axes[0]``.

    Raises
    ------
    DeepstepError
        For an empty or non-finite cost, a cost beyond +-MAX_MAGNITUDE, a val_cost longer than cost, a log
        scale asked for with a cost outside LOG_SCALE_RANGE, or when matplotlib is not installed.
    """
    J = _series(cost, "cost")
    J_val = None if val_cost is None else _series(val_cost, "val_cost", empty_ok=True)
    if J_val is not None and J_val.size == 0:
        J_val = None
    if J_val is not None and J_val.size > J.size:
        raise DeepstepError(f"val_cost: expected at most len(cost) = {J.size} values, got {J_val.size}")
    if learning_rate is not None:
        learning_rate = check_number(learning_rate, "learning_rate", low=0, low_inclusive=False)
    if not isinstance(per, str):
        raise DeepstepError(f"per: expected a string such as 'iteration' or 'epoch', got {type(per).__name__}")
    drawn = J if J_val is None else np.concatenate([J, J_val])
    low, high = float(drawn.min()), float(drawn.max())
    if log_scale is None:
        log_scale = _log_scale_fits(low, high)
    elif not isinstance(log_scale, bool):
        raise DeepstepError(f"log_scale: expected True, False or None, got {type(log_scale).__name__}")
    elif log_scale and not (LOG_SCALE_RANGE[0] <= low and high <= LOG_SCALE_RANGE[1]):
        raise DeepstepError(f"log_scale: expected costs within {LOG_SCALE_RANGE[0]:g} .. {LOG_SCALE_RANGE[1]:g} "
                            f"for a logarithmic axis, got {low:g} .. {high:g}")

    fig = _figure(6, 4)
    ax = fig.add_subplot()
    ax.plot(np.arange(J.size), J, label="training")
    if J_val is not None:
        ax.plot(np.arange(J.size - J_val.size, J.size), J_val, label="validation")
        ax.legend()
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(per)
    ax.set_ylabel("cost J" + (" (log scale)" if log_scale else ""))
    ax.set_title("cost" + (f" (learning rate {learning_rate:g})" if learning_rate is not None else ""))
    ax.grid(alpha=0.3, which="both" if log_scale else "major")
    return _finish(fig, path)


# -- decision boundary -------------------------------------------------------------------------------------
def _grid_axis(values: np.ndarray, resolution: int, limit: float) -> np.ndarray:
    """``resolution`` points from 10% of the values' range below it to 10% above it, within [-limit, limit].

    A single value gets a band of +-max(10% of it, 1).  (Values within +-MAX_MAGNITUDE: no step overflows.)
    """
    lo, hi = float(values.min()), float(values.max())
    pad = 0.1 * (hi - lo) if hi > lo else max(0.1 * abs(lo), 1.0)
    lo, hi = max(lo - pad, -limit), min(hi + pad, limit)
    return np.linspace(lo, hi, resolution)


def plot_decision_boundary(net: DeepNetwork, X: np.ndarray, Y: np.ndarray, path: str | os.PathLike | None = None,
                           resolution: int = 300) -> Figure:
    """What the network predicts over the plane, with the points (X (2, m), Y) on it.

    For a classifier (sigmoid or softmax output) the regions of each predicted class, one colour per class
    (softmax: the most likely one); for a regressor (linear output) the contours of the predicted value, with
    a colour bar.  The points are coloured by Y on the same scale.

    Parameters
    ----------
    net : DeepNetwork
        With 2 input features (``layer_dims[0] == 2``).
    X : ndarray of shape (2, m)
    Y : ndarray
        (1, m) class indices or 0/1 labels, (n[L], m) one-hot columns (softmax), or (1, m) real targets
        (linear output, one output unit).
    path : str or PathLike, optional
        Where to write the PNG; None (the default) writes nothing.
    resolution : int
        Grid points per axis, 2 .. MAX_RESOLUTION.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` holds the regions or contours (and the points); a regressor's colour bar is ``fig.axes[1]``.
    """
    X = check_X(X, name="X")
    if X.shape[0] != 2:
        raise DeepstepError(f"X: expected 2 features for a decision boundary, got shape {X.shape}")
    X = _drawable(X, "X")
    resolution = check_number(resolution, "resolution", low=2, high=MAX_RESOLUTION, integer=True)
    n_out = int(net.layer_dims[-1])
    regression = not task_for(net.output_activation).is_classification
    if regression and n_out != 1:
        raise DeepstepError(f"net: expected a regression network with one output to draw, got {n_out} outputs")
    m = X.shape[1]
    n_classes = max(n_out, 2)
    target = _real_target(Y, m) if regression else _labels(Y, m, n_classes, "Y")

    limit = float(np.finfo(getattr(net, "dtype", np.float64)).max)
    resolution = _affordable_resolution(resolution, parameter_count(net.layer_dims))
    x0, x1 = _grid_axis(X[0], resolution, limit), _grid_axis(X[1], resolution, limit)
    G0, G1 = np.meshgrid(x0, x1)
    Z = np.asarray(net.predict(np.vstack([G0.ravel(), G1.ravel()]))).reshape(G0.shape)
    if regression:
        Z = _drawable(Z, "net: the predicted values")

    fig = _figure(6, 5)
    ax = fig.add_subplot()
    if regression:
        low, high = min(float(Z.min()), float(target.min())), max(float(Z.max()), float(target.max()))
        if high <= low:
            low, high = low - (abs(low) * 1e-3 or 1.0), high + (abs(high) * 1e-3 or 1.0)
        levels = np.linspace(low, high, 21)
        regions = ax.contourf(G0, G1, Z, levels=levels, cmap="viridis", alpha=0.6)
        ax.scatter(X[0], X[1], c=target, s=12, cmap="viridis", vmin=low, vmax=high, edgecolors="k", linewidths=0.3)
        fig.colorbar(regions, ax=ax, label="predicted value")
        ax.set_title(f"predicted value of {net.layer_dims}")
    else:
        cmap = "coolwarm" if n_classes == 2 else "tab10" if n_classes <= 10 else "turbo"
        bounds = dict(vmin=-0.5, vmax=n_classes - 0.5)
        ax.contourf(G0, G1, Z, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.35, **bounds)
        ax.scatter(X[0], X[1], c=target, s=12, cmap=cmap, edgecolors="k", linewidths=0.3, **bounds)
        ax.set_title(f"decision boundary of {net.layer_dims}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    return _finish(fig, path)


def _affordable_resolution(resolution: int, parameters: int) -> int:
    """The resolution, lowered so that resolution**2 * parameters <= MAX_GRID_WORK (but never below 40).

    >>> _affordable_resolution(300, 17), _affordable_resolution(300, 144_000_000)
    (300, 40)
    """
    return max(min(resolution, 40), min(resolution, math.isqrt(MAX_GRID_WORK // max(1, parameters))))


def _real_target(Y: Any, m: int) -> np.ndarray:
    Y = check_X(Y, name="Y")
    if Y.shape != (1, m):
        raise DeepstepError(f"Y: expected target values of shape (1, {m}), got shape {Y.shape}")
    return _drawable(Y[0], "Y")


# -- mislabelled pictures ----------------------------------------------------------------------------------
def mislabelled_indices(Y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The columns j where predicted[0, j] != Y[0, j], in order (an int array; its size is how many).

    >>> mislabelled_indices(np.array([[0, 1, 1, 0]]), np.array([[0, 0, 1, 1]])).tolist()
    [1, 3]
    """
    Y, predicted = check_X(Y, name="Y"), check_X(predicted, name="predicted")
    if Y.shape[0] != 1 or predicted.shape != Y.shape:
        raise DeepstepError(f"Y, predicted: expected two label arrays of the same shape (1, m), "
                            f"got shapes {Y.shape} and {predicted.shape}")
    return np.flatnonzero(predicted[0] != Y[0])


def plot_mislabelled(X: np.ndarray, Y: np.ndarray, predicted: np.ndarray, classes: Sequence[str],
                     image_shape: tuple[int, ...], path: str | os.PathLike | None = None, limit: int = 20,
                     names: Sequence[str] | None = None) -> Figure:
    """A grid of the first ``limit`` pictures whose predicted label differs from the true one.

    Parameters
    ----------
    X : ndarray of shape (n[0], m)
        Pixel columns scaled to [0, 1] (values outside are clipped for the picture).
    Y, predicted : ndarray of shape (1, m)
        True and predicted class indices into ``classes``.
    classes : sequence of str
        The class names.
    image_shape : tuple of int
        (height, width) or (height, width, channels) with 1, 3 or 4 channels; its product is n[0].
    path : str or PathLike, optional
        Where to write the PNG; None (the default) writes nothing.
    limit : int
        At most this many pictures are drawn.
    names : sequence of m str, optional
        Each picture's file name, written under it (the file to look at, or to move to its right folder).

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per picture drawn (or one with a note when none is mislabelled); the figure's title says
        how many of the m were mislabelled.  The count itself is ``mislabelled_indices(Y, predicted).size``.
    """
    X = check_X(X, name="X")
    m = X.shape[1]
    wrong = mislabelled_indices(Y, predicted)
    truth, guess = _labels(Y, m, len(classes), "Y"), _labels(predicted, m, len(classes), "predicted")
    shape = _image_shape(image_shape, X.shape[0])
    limit = check_number(limit, "limit", low=1, integer=True)
    if names is not None and len(names) != m:
        raise DeepstepError(f"names: expected one file name per picture ({m}), got {len(names)}")

    shown = wrong[:limit]
    cols = max(1, min(5, len(shown)))
    rows = max(1, -(-len(shown) // cols))
    fig = _figure(2.2 * cols, 2.5 * rows + 0.4)
    fig.suptitle(f"{len(wrong)} of {m} mislabelled" + (f" (first {len(shown)} shown)" if len(shown) < len(wrong)
                                                        else ""))
    if len(shown) == 0:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no mislabelled pictures", ha="center", va="center")
        ax.axis("off")
    for k, j in enumerate(shown):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(np.clip(X[:, j].reshape(shape), 0, 1), cmap="gray" if len(shape) == 2 else None, vmin=0, vmax=1)
        ax.set_title(f"true: {classes[truth[j]]}\npredicted: {classes[guess[j]]}", fontsize=8)
        if names is not None:
            name = str(names[j])
            ax.text(0.5, -0.04, name if len(name) <= 28 else "..." + name[-25:], transform=ax.transAxes,
                    ha="center", va="top", fontsize=6)
        ax.axis("off")
    return _finish(fig, path)


def _image_shape(image_shape: Any, n_x: int) -> tuple[int, ...]:
    """(h, w) or (h, w, c) with c in 1, 3, 4 and h*w*c = n_x; a single channel is drawn as (h, w) in grey."""
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = ()
    ok = (len(shape) in (2, 3) and all(isinstance(n, Integral) and not isinstance(n, bool) and n > 0 for n in shape)
          and (len(shape) == 2 or shape[2] in (1, 3, 4)))
    if not ok or math.prod(shape) != n_x:
        raise DeepstepError(f"image_shape: expected (height, width) or (height, width, 1, 3 or 4 channels) whose "
                            f"product is X's {n_x} rows, got {image_shape!r}")
    return tuple(int(n) for n in shape[:2]) if len(shape) == 2 or shape[2] == 1 else tuple(int(n) for n in shape)


def _history_figure(history: Any) -> Figure | None:
    """A History's cost curve (its Jupyter picture); None without matplotlib."""
    try:
        return plot_cost(history.cost, learning_rate=history.learning_rate, val_cost=history.val_cost or None,
                         per="epoch" if history.batch_size else "iteration")
    except MissingExtra:
        return None


register_figure("history", _history_figure)


# -- inside training -----------------------------------------------------------------------------------------

SIGNAL_PANELS = ("W_norm", "dW_norm", "update_ratio", "Z_std", "A_std", "saturated", "dead")


def plot_signals(history: Any, path: str | os.PathLike | None = None,
                 names: Sequence[str] = SIGNAL_PANELS) -> Figure:
    """The per-layer signals a History recorded (``history.signals``): one panel per signal, one line per layer,
    against the epochs recorded; norms on a log scale.  Panels whose signal applies to no layer are left out.

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per panel drawn, titled by its signal; ``ax.lines[i]`` is layer i + 1's (layers without the
        signal have no line).

    Raises
    ------
    DeepstepError
        When the history recorded no signals, or names a signal that is not one.
    """
    from ..training.signals import SIGNALS

    signals = getattr(history, "signals", None) or {}
    if not signals.get("epoch"):
        raise DeepstepError("history: recorded no per-layer signals (fit(signals=False), or a history of an earlier "
                            "version)")
    if isinstance(names, str) or not names:
        raise DeepstepError(f"names: expected a list of one or more signals among {list(SIGNALS)}, got {names!r}")
    unknown = [n for n in names if n not in SIGNALS]
    if unknown:
        raise DeepstepError(f"names: expected signals among {list(SIGNALS)}, got {unknown}")
    epochs = np.asarray(signals["epoch"])
    panels = [n for n in names if any(v is not None for r in signals[n] for v in r)]
    if not panels:
        raise DeepstepError(f"names: none of {list(names)} applies to any layer of this network")
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig = _figure(4.2 * cols, 3.2 * rows)
    L = len(signals[panels[0]][0])
    for i, name in enumerate(panels, 1):
        ax = fig.add_subplot(rows, cols, i)
        for l in range(L):
            ys = np.array([np.nan if r[l] is None else r[l] for r in signals[name]], dtype=float)
            if np.isnan(ys).all():
                continue
            ax.plot(epochs, ys, marker="o" if epochs.size < 20 else None, label=f"layer {l + 1}")
        if name.endswith("norm") or name == "update_ratio":
            positive = [v for r in signals[name] for v in r if v is not None and v > 0]
            if positive:
                ax.set_yscale("log")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if i == 1:
            ax.legend(fontsize="small")
    fig.tight_layout()
    return _finish(fig, path)


def plot_lr_find(found: Any, path: str | os.PathLike | None = None) -> Figure:
    """The learning-rate range test (:func:`deepstep.lr_find`): the smoothed cost (and each step's, faint) against
    the rate on a log axis, the suggested rate marked by a vertical line (``ax.lines[2]``)."""
    rates = _series(found.rates, "rates")
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    ax.plot(rates, _drawable(np.asarray(found.costs, dtype=float), "costs"), alpha=0.3, label="cost of the step")
    ax.plot(rates, _drawable(np.asarray(found.smoothed, dtype=float), "smoothed"), label="smoothed")
    ax.axvline(found.suggestion, color="k", linestyle="--", label=f"suggested {found.suggestion:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("cost J")
    ax.set_title(f"learning-rate range test ({found.optimizer})")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    return _finish(fig, path)


register_figure("lr_find", plot_lr_find)
