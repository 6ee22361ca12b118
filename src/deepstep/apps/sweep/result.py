"""What a sweep gives back: :class:`SweepResult` (its rows, histories and networks, the best run, a table, plots),
:class:`SweepInterrupted` (Ctrl-C, with the runs that finished), the best of the rows (:func:`best_row`), a finished
run's network rebuilt from the state its worker sent (:func:`_network`), and what ``previous=`` needs: the key of the
data swept (:func:`data_key`) and the runs an earlier result gives (:func:`_reused`)."""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import DeepstepError, _describe, check_number, check_X
from ...model.network import DeepNetwork
from .settings import SETTINGS, settings_key

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STATUSES = ("ok", "diverged", "failed", "cancelled")
"""A run's status: trained; stopped by the divergence guard (its parameters put back to the last sound
ones); failed (its message says why; no network); not run (the sweep was interrupted)."""


# -- the result -------------------------------------------------------------------------------------------------
class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; ``result`` holds the runs that finished (the others have status "cancelled")."""

    def __init__(self, result: SweepResult) -> None:
        super().__init__(f"sweep interrupted after {sum(r['status'] != 'cancelled' for r in result.rows)} of "
                         f"{len(result.rows)} runs")
        self.result = result


def _label(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ",".join(map(str, value)) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


class SweepResult:
    """What a sweep did, one row per run, in the sweep's order.

    Attributes
    ----------
    rows : list of dict
        Per run: ``run`` (its index), every setting (:data:`SETTINGS`; hidden as a tuple), ``cost`` (the last
        training cost), ``train_accuracy`` (``train_r2`` for regression), ``val_accuracy`` and
        ``test_accuracy`` (where that data was given), ``iterations`` done, ``seconds``, ``status``
        (:data:`STATUSES`) and ``message`` (why it diverged or failed; "" when ok).
    histories : list of dict
        Each run's :meth:`deepstep.History.as_dict` ({} for a run that never trained).
    networks : list of DeepNetwork or None
        Each run's trained network when ``keep="all"`` (None for failed and cancelled runs); with
        ``keep="best"``, only the best run's.
    varying : tuple of str
        The settings that take more than one value among the runs.
    score_name : str
        "accuracy" or "r2".
    score_column : str
        The column runs are compared by: ``val_<score_name>`` where validation data was given, else
        ``train_<score_name>`` (never the test score: that would tune on the test set).
    seed : int
    retried : tuple of int
        The runs retried after a worker process died.
    data_key : str
        :func:`data_key` of the data swept (``previous=`` continues only a sweep of the same data).
    notes : tuple of str
        What the sweep did that its caller did not ask for in so many words (examples held out to choose on).
    """

    def __init__(self, rows: list[dict], histories: list[dict], networks: list[DeepNetwork | None],
                 score_name: str, score_column: str, seed: int, retried: tuple[int, ...] = (),
                 data_key: str = "", notes: tuple[str, ...] = ()) -> None:
        self.rows, self.histories, self.networks = rows, histories, networks
        self.score_name, self.score_column, self.seed, self.retried = score_name, score_column, seed, retried
        self.data_key, self.notes = data_key, tuple(notes)
        self.varying = tuple(k for k in SETTINGS if len({settings_key({k: r[k]}) for r in rows}) > 1)

    @property
    def best(self) -> dict | None:
        """The row of the status-"ok" run with the highest :attr:`score_column` (the first of equals); None when
        no run finished."""
        return best_row(self.rows, self.score_column)

    @property
    def best_network(self) -> DeepNetwork | None:
        """The best run's network (its parameters and history)."""
        best = self.best
        return None if best is None else self.networks[best["run"]]

    def label(self, row: Mapping[str, Any]) -> str:
        """A run's varying settings, "hidden=(4), learning_rate=0.01" (its index when nothing varies)."""
        return ", ".join(f"{k}={_label(row[k])}" for k in self.varying) or f"run {row['run']}"

    def table(self, sort: bool = False) -> Any:
        """The rows as a pandas DataFrame (best first with ``sort``); needs pandas (``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError:
            raise DeepstepError("table: needs pandas, which is not installed; install it with pip install pandas "
                                "(the rows are in .rows as a list of dicts)") from None
        frame = pd.DataFrame(self.rows)
        if sort and len(frame):
            frame = frame.sort_values(self.score_column, ascending=False, kind="stable", na_position="last")
        return frame

    def plot_costs(self, path: str | os.PathLike | None = None) -> Figure:
        """Every run's cost curve on one Axes, labelled by its varying settings (the course's learning-rate plot).

        Parameters
        ----------
        path : str or PathLike, optional
            Where to write the PNG; None (the default) writes nothing.

        Returns
        -------
        matplotlib.figure.Figure
            ``fig.axes[0].lines``: one line per run that trained, in run order.
        """
        from ...report import plots

        curves = [(r, np.asarray(h["cost"], dtype=np.float64)) for r, h in zip(self.rows, self.histories,
                                                                                strict=True) if h.get("cost")]
        if not curves:
            raise DeepstepError("plot_costs: no run has a cost to draw (every run failed or was cancelled)")
        curves = [(r, np.clip(J, -plots.MAX_MAGNITUDE, plots.MAX_MAGNITUDE)) for r, J in curves]
        low, high = min(float(J.min()) for _, J in curves), max(float(J.max()) for _, J in curves)
        log_scale = plots._log_scale_fits(low, high)
        fig = plots._figure(7, 4.5)
        ax = fig.add_subplot()
        for row, J in curves:
            suffix = "" if row["status"] == "ok" else f" ({row['status']})"
            ax.plot(np.arange(J.size), J, label=self.label(row) + suffix, linewidth=1.2)
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_ylabel("cost J" + (" (log scale)" if log_scale else ""))
        ax.set_title("cost of each run")
        ax.grid(alpha=0.3, which="both" if log_scale else "major")
        ax.legend(fontsize="small" if len(curves) <= 10 else "x-small", ncol=1 if len(curves) <= 12 else 2)
        return plots._finish(fig, path)

    def plot_decision_boundaries(self, X: Any, Y: Any, path: str | os.PathLike | None = None,
                                 resolution: int = 150) -> Figure:
        """For 2-D data: one subplot per kept network, its predicted regions with the points (X (2, m), Y) on them,
        titled with its varying settings and score (the course's hidden-layer-size grid).

        Parameters
        ----------
        X : ndarray of shape (2, m)
        Y : ndarray
            (1, m) class labels or one-hot columns (classifiers), (1, m) targets (regression).
        path : str or PathLike, optional
            Where to write the PNG; None (the default) writes nothing.
        resolution : int
            Grid points per axis, 2 .. 2000.

        Returns
        -------
        matplotlib.figure.Figure
            One Axes per run with a network, in run order.
        """
        from ...report import plots

        kept = [(r, n) for r, n in zip(self.rows, self.networks, strict=True) if n is not None]
        if not kept:
            raise DeepstepError("plot_decision_boundaries: no network to draw (every run failed, or none was kept)")
        X = plots._drawable(check_X(X, name="X"), "X")
        if X.shape[0] != 2 or kept[0][1].layer_dims[0] != 2:
            raise DeepstepError(f"X: expected 2 features for decision boundaries, got shape {X.shape} for networks "
                                f"of {kept[0][1].layer_dims[0]} inputs")
        resolution = check_number(resolution, "resolution", low=2, high=plots.MAX_RESOLUTION, integer=True)
        m = X.shape[1]
        regression = self.score_name == "r2"
        n_classes = max(kept[0][1].layer_dims[-1], 2)
        target = plots._real_target(Y, m) if regression else plots._labels(Y, m, n_classes, "Y")
        G0, G1 = np.meshgrid(plots._grid_axis(X[0], resolution, plots.MAX_MAGNITUDE),
                             plots._grid_axis(X[1], resolution, plots.MAX_MAGNITUDE))
        grid = np.vstack([G0.ravel(), G1.ravel()])
        ncols = math.ceil(math.sqrt(len(kept)))
        nrows = math.ceil(len(kept) / ncols)
        fig = plots._figure(3.2 * ncols, 3.0 * nrows)
        cmap = "viridis" if regression else "coolwarm" if n_classes == 2 else "tab10" if n_classes <= 10 else "turbo"
        for k, (row, net) in enumerate(kept):
            ax = fig.add_subplot(nrows, ncols, k + 1)
            Z = np.asarray(net.predict(grid), dtype=np.float64)[0].reshape(G0.shape)
            if regression:
                Z = plots._drawable(Z, "the predicted values")
                ax.contourf(G0, G1, Z, levels=20, cmap=cmap, alpha=0.6)
                ax.scatter(X[0], X[1], c=target, s=8, cmap=cmap, edgecolors="k", linewidths=0.2)
            else:
                bounds = dict(vmin=-0.5, vmax=n_classes - 0.5)
                ax.contourf(G0, G1, Z, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.35, **bounds)
                ax.scatter(X[0], X[1], c=target, s=8, cmap=cmap, edgecolors="k", linewidths=0.2, **bounds)
            score = row[self.score_column]
            shown = "n/a" if score is None else f"{score:.3g}"
            ax.set_title(f"{self.label(row)}\n{self.score_column.replace('_', ' ')} {shown}", fontsize="small")
            ax.tick_params(labelsize="x-small")
        fig.tight_layout()
        return plots._finish(fig, path)

    def __repr__(self) -> str:
        counts = ", ".join(f"{sum(r['status'] == s for r in self.rows)} {s}" for s in STATUSES
                           if any(r["status"] == s for r in self.rows))
        best = self.best
        shown = "none" if best is None else \
            f"run {best['run']} ({self.label(best)}) {self.score_column} {best[self.score_column]:.4g}"
        note = "".join(f"; {n}" for n in self.notes)
        return f"SweepResult({len(self.rows)} runs: {counts}; best: {shown}{note})"


def best_row(rows: Sequence[Mapping[str, Any]], column: str) -> dict | None:
    """The status-"ok" row with the highest ``column`` (the lowest run index of equals), or None."""
    candidates = [r for r in rows if r["status"] == "ok" and r.get(column) is not None]
    return max(candidates, key=lambda r: (r[column], -r["run"]), default=None)


def _network(settings: Mapping[str, Any], out: Mapping[str, Any], index: int, seed: int) -> DeepNetwork:
    """A finished run's network, from the state its worker sent (parameters, optimizer, standardizers, history,
    generator, callbacks: what the run's own model file would hold)."""
    net = DeepNetwork.from_state_dict(out["state"], f"run {index}")
    net.metadata["sweep"] = {"run": index, "seed": seed, "settings": json.loads(settings_key(settings))}
    return net


def data_key(*arrays: Any) -> str:
    """SHA-256 (hex) of the arrays' dtypes, shapes and bytes, None included as such: what a resumed sweep
    compares to know it has the same data."""
    digest = hashlib.sha256()
    for A in arrays:
        if A is None:
            digest.update(b"none;")
            continue
        A = np.ascontiguousarray(A)
        digest.update(f"{A.dtype.str}{A.shape};".encode())
        digest.update(A.tobytes())
    return digest.hexdigest()


def sweep_key(X: Any, Y: Any, validation: tuple | None, test: tuple | None, weights: Any = None,
              score_weights: Any = None) -> str:
    """:func:`data_key` of a sweep's data: X, Y, the validation and test pairs, and, where any set has weights, the
    weights the runs train with, those of each set, and the training score's where they differ from the training
    ones (class weights); without weights, the key earlier versions wrote: their journals resume."""
    pairs = [(None, None) if pair is None else tuple(pair[:2]) for pair in (validation, test)]
    set_weights = [weights] + [pair[2] if pair is not None and len(pair) == 3 else None for pair in (validation, test)]
    if score_weights is not None and not (weights is not None and np.array_equal(score_weights, weights)):
        set_weights.append(score_weights)
    return data_key(X, Y, *pairs[0], *pairs[1], *(set_weights if any(w is not None for w in set_weights) else ()))


def _reused(previous: Any, runs: list[dict], key: str, seed: int) -> dict[int, tuple[dict, dict, Any]]:
    """The runs ``previous`` finished (status not "cancelled") that this sweep has too, by settings:
    run index -> (row, history, network)."""
    if previous is None:
        return {}
    if not isinstance(previous, SweepResult):
        raise DeepstepError(f"previous: expected the SweepResult of an earlier sweep, got {_describe(previous)}")
    if previous.seed != seed:
        raise DeepstepError(f"previous: was swept with seed {previous.seed}, got seed {seed}")
    if previous.data_key != key:
        raise DeepstepError("previous: was a sweep of other data (X, Y, validation_data, test_data, sample_weight or "
                            "class_weight differ)")
    index = {settings_key(r): i for i, r in enumerate(runs)}
    reused = {}
    for row, history, net in zip(previous.rows, previous.histories, previous.networks, strict=True):
        if row["status"] == "cancelled":
            continue
        i = index.get(settings_key({k: row[k] for k in SETTINGS}))
        if i is not None:
            reused[i] = ({**row, "run": i}, history, net)
    return reused
