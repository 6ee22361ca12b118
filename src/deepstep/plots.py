"""Pictures of training: the cost curve, a 2-D decision boundary, mislabelled images.

Needs matplotlib (``pip install 'deepstep[plot]'``).  Figures are drawn with
matplotlib's object API (no pyplot, no global figure state, no display) and
written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .errors import DeepstepError
from .model_io import atomic_path

if TYPE_CHECKING:
    from .network import DeepNetwork

__all__ = ["plot_cost", "plot_decision_boundary", "plot_mislabelled"]


def _figure(width: float, height: float):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise DeepstepError("plots: matplotlib is needed; install it with pip install 'deepstep[plot]'") from None
    return Figure(figsize=(width, height), dpi=100)


def _save(fig, path: str | os.PathLike) -> None:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")


def plot_cost(cost: Sequence[float], path: str | os.PathLike, learning_rate: float | None = None,
              per: str = "iteration", val_cost: Sequence[float] | None = None) -> None:
    """The cost J against iterations (or epochs), with the validation cost beside it when given, saved as a PNG."""
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    ax.plot(np.arange(len(cost)), cost, label="training")
    if val_cost:
        ax.plot(np.arange(len(cost) - len(val_cost), len(cost)), val_cost, label="validation")
        ax.legend()
    ax.set_xlabel(per)
    ax.set_ylabel("cost J")
    ax.set_title("cost" + (f" (learning rate {learning_rate:g})" if learning_rate else ""))
    ax.grid(alpha=0.3)
    _save(fig, path)


def plot_decision_boundary(net: DeepNetwork, X: np.ndarray, Y: np.ndarray, path: str | os.PathLike,
                           resolution: int = 300) -> None:
    """The regions the network assigns to each class over the plane, with the points (X (2, m), Y (1, m))."""
    if X.shape[0] != 2:
        raise DeepstepError(f"X: expected 2 features for a decision boundary, got shape {X.shape}")
    pad = 0.1 * (X.max(axis=1) - X.min(axis=1)) + 1e-9
    x0 = np.linspace(X[0].min() - pad[0], X[0].max() + pad[0], resolution)
    x1 = np.linspace(X[1].min() - pad[1], X[1].max() + pad[1], resolution)
    G0, G1 = np.meshgrid(x0, x1)
    labels = net.predict(np.vstack([G0.ravel(), G1.ravel()])).reshape(G0.shape)
    fig = _figure(6, 5)
    ax = fig.add_subplot()
    ax.contourf(G0, G1, labels, alpha=0.35, cmap="coolwarm")
    ax.scatter(X[0], X[1], c=np.asarray(Y).ravel(), s=12, cmap="coolwarm", edgecolors="k", linewidths=0.3)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(f"decision boundary of {net.layer_dims}")
    _save(fig, path)


def plot_mislabelled(X: np.ndarray, Y: np.ndarray, predicted: np.ndarray, classes: Sequence[str],
                     image_shape: tuple[int, ...], path: str | os.PathLike, limit: int = 20) -> int:
    """A grid of the pictures whose predicted label differs from the true one; returns how many there were.

    X : ndarray of shape (n[0], m), pixel columns scaled to [0, 1]; Y, predicted : (1, m).
    """
    wrong = np.flatnonzero(np.asarray(predicted).ravel() != np.asarray(Y).ravel())
    shown = wrong[:limit]
    cols = max(1, min(5, len(shown)))
    rows = max(1, -(-len(shown) // cols))
    fig = _figure(2.2 * cols, 2.5 * rows)
    if len(shown) == 0:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no mislabelled pictures", ha="center", va="center")
        ax.axis("off")
    for k, j in enumerate(shown):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(np.clip(X[:, j].reshape(image_shape), 0, 1))
        ax.set_title(f"true: {classes[int(Y.ravel()[j])]}\npredicted: {classes[int(predicted.ravel()[j])]}",
                     fontsize=8)
        ax.axis("off")
    _save(fig, path)
    return len(wrong)
