"""The learning-rate range test: what learning rate to start from.

A copy of the network trains for a short run whose learning rate grows geometrically, one step at each rate, from
``start`` to ``end``; the cost of each step is recorded (smoothed by an exponential moving average with bias
correction) and the run stops once the smoothed cost exceeds ``stop_factor`` times its lowest, or stops being
finite.  The network given is not touched (its parameters, optimizer state and random generator stay as they were).

The suggestion (:func:`suggest`) is two thirds of the way along the longest stretch over which the smoothed
cost falls ("valley"): large enough to learn, short of where the steps start to overshoot.

>>> import deepstep as ds
>>> X, Y = ds.datasets.make_moons(m=200, noise=0.2, rng=0)
>>> net = ds.DeepNetwork([2, 16, 16, 1], rng=0)
>>> found = ds.lr_find(net, X, Y, steps=60)
>>> 1e-4 < found.suggestion < 10
True
>>> len(net.history)                   # the network is as it was
0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.initialization import as_rng
from ..errors import DeepstepError, _describe, check_number
from .loop import _FIGURES, TrainingDiverged, check_run, train

__all__ = ["lr_find", "LRFind"]

MIN_EXAMPLES = 32  # each rate takes as many mini-batch steps as hold this many examples (their mean cost)
MOVED = 0.005  # the cost has moved once it is this share below the first step's
SMOOTHING = 0.98  # the moving average of mini-batch costs (a full batch's cost is taken as it is)


@dataclass
class LRFind:
    """What the range test found.

    Attributes
    ----------
    rates, costs, smoothed : list of float
        Each step's learning rate, its cost (before its update) and the smoothed cost.
    suggestion : float
        The suggested learning rate.
    stopped : str
        Why the test ended ("the last rate", or the cost diverging).
    optimizer : str
    """

    rates: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    suggestion: float = math.nan
    stopped: str = ""
    optimizer: str = "gd"

    def plot(self, path: Any = None) -> Any:
        """The smoothed cost against the rate (log scale), the suggestion marked (:func:`deepstep.plots.plot_lr_find`,
        registered when :mod:`deepstep.report.plots` is imported, as ``import deepstep`` does)."""
        draw = _FIGURES.get("lr_find")
        if draw is None:
            raise DeepstepError("plot: import deepstep.report.plots (it draws the range test) first")
        return draw(self, path)


def suggest(rates: Sequence[float], smoothed: Sequence[float]) -> float:
    """The "valley" rule: the longest stretch over which the smoothed cost falls (its longest decreasing
    subsequence, from the rate where it starts to the rate where it ends, once the cost has moved by
    :data:`MOVED` below the lowest of the first tenth of the steps), and the rate two thirds of the way along it
    in steps of log(rate): past the first rates, where a step barely moves the cost, and short of the last, where
    the steps start to overshoot.

    >>> suggest([1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0], [1.0, 0.9, 0.7, 0.5, 0.4, 0.6, 3.0])
    0.1
    """
    s = np.asarray(smoothed, dtype=float)
    # where the cost has moved: below what the first tenth of the rates (too small to move it) all stayed above,
    # by MOVED -- a baseline of several steps, so that one noisy mini-batch cost does not set it
    baseline = float(np.min(s[: max(1, s.size // 10)]))
    moved = np.flatnonzero(s < baseline * (1 - MOVED))
    if s.size < 3 or moved.size == 0:
        return float(rates[0])
    offset = int(moved[0])  # the rates before the cost first moves teach nothing: the valley starts after them
    s = s[offset:]
    rates = rates[offset:]
    n = s.size
    longest = np.ones(n, dtype=int)  # longest[i]: the longest decreasing subsequence ending at i, from first[i]
    first = np.arange(n)
    for i in range(1, n):
        for j in range(i):
            if s[j] > s[i] and longest[j] + 1 > longest[i]:
                longest[i], first[i] = longest[j] + 1, first[j]
    end = int(np.argmax(longest))
    begin = int(first[end])
    return float(rates[begin + (end - begin) * 2 // 3])


def lr_find(net: Any, X: Any, Y: Any, start: float = 1e-6, end: float = 10.0, steps: int = 100,
            batch_size: int | None = None, optimizer: Any = "gd", l2: float = 0.0, rng: Any = 0,
            stop_factor: float = 4.0) -> LRFind:
    """The learning-rate range test on a copy of ``net`` (see the module's text).

    Parameters
    ----------
    net : DeepNetwork
        Not changed.
    X : ndarray (n[0], m)
    Y : ndarray (n[L], m)
    start, end : float
        The first and last learning rates (0 < start < end).
    steps : int
        Rates tried, geometrically spaced (one training step each).
    batch_size : int, optional
        Each step on the next mini-batch of a shuffle drawn from ``rng`` (None: the whole batch every step); a rate
        takes as many steps as hold :data:`MIN_EXAMPLES` examples, and its cost is their mean.
    optimizer : str or Optimizer
        A name takes a fresh optimizer of that kind; an object's settings are copied (its state is not touched).
    l2 : float
    rng : int, numpy.random.Generator or RandomState
        Draws the mini-batches (the network's own generator is not used).
    stop_factor : float
        Stop once the smoothed cost exceeds this times its lowest.

    Returns
    -------
    LRFind
    """
    if not (hasattr(net, "state_dict") and hasattr(type(net), "from_state_dict")):
        raise DeepstepError(f"net: expected a deepstep.DeepNetwork, got {_describe(net)}")
    gen = as_rng(rng)
    start = check_number(start, "start", low=0, low_inclusive=False, expected="a learning rate > 0")
    end = check_number(end, "end", low=0, low_inclusive=False, expected="a learning rate > start")
    if end <= start:
        raise DeepstepError(f"end: expected a learning rate above start {start:g}, got {end:g}")
    steps = int(check_number(steps, "steps", low=3, high=10_000, integer=True,
                             expected="a number of steps from 3 to 10000"))
    stop_factor = check_number(stop_factor, "stop_factor", low=1, low_inclusive=False, expected="a number > 1")
    from ..core.optimizers import Optimizer, get_optimizer  # noqa: PLC0415

    if isinstance(optimizer, Optimizer):  # its settings without its schedule: the test sets each step's rate
        optimizer = Optimizer.from_config({k: v for k, v in optimizer.config().items() if k != "schedule"})
    check_run(net, start, 1, batch_size, optimizer, l2, 1.0, None, "plain", False, "auto", False)  # (the checks)
    opt = get_optimizer(optimizer)  # a fresh one (fit's would go on with the network's own state)
    work = type(net).from_state_dict(net.state_dict())  # a copy: the network given is never trained
    Xc, Yc, _, standardizers, _ = work._training_data(X, Y, None, None)
    work.standardizer, work.target_standardizer = standardizers
    m = Xc.shape[1]
    batch = None if batch_size is None or batch_size >= m else int(batch_size)
    if getattr(net, "batch_norm", None) and (batch or m) < 2:
        raise DeepstepError("batch_size: batch normalization needs at least 2 examples a batch (the variance of one is "
                            f"0), got {batch or m}")
    rates = (start * (end / start) ** (np.arange(steps) / (steps - 1))).tolist()
    found = LRFind(optimizer=opt.name)
    order, at = np.arange(m), m
    beta = SMOOTHING if batch is not None else 0.0  # a full batch's cost is exact: nothing to smooth
    avg, best = 0.0, math.inf
    found.stopped = "the last rate"
    per_rate = 1 if batch is None else max(1, -(-MIN_EXAMPLES // batch))  # steps at each rate
    with np.errstate(all="ignore"):
        for k, lr in enumerate(rates):
            step = check_run(work, lr, 1, None, opt, l2, 1.0, None, "plain", False, "auto", False)
            seen = []
            for _ in range(per_rate):
                if batch is None:
                    Xb, Yb = Xc, Yc
                else:
                    if at + batch > m:
                        order, at = gen.permutation(m), 0
                    idx = order[at : at + batch]
                    at += batch
                    Xb, Yb = Xc[:, idx], Yc[:, idx]
                try:
                    seen.append(train(work, Xb, Yb, None, step).cost[0])
                except TrainingDiverged as exc:
                    seen.append(exc.history.cost[0] if exc.history.cost else math.inf)
                if not math.isfinite(seen[-1]):
                    break
            cost = float(np.mean(seen))
            if not math.isfinite(cost):
                found.stopped = f"the cost diverged at rate {lr:.3g}"
                break
            avg = beta * avg + (1 - beta) * cost
            smooth = avg / (1 - beta ** (k + 1))
            found.rates.append(lr)
            found.costs.append(float(cost))
            found.smoothed.append(float(smooth))
            if not math.isfinite(smooth) or smooth > stop_factor * best:
                found.stopped = f"the smoothed cost exceeded {stop_factor:g} times its lowest at rate {lr:.3g}"
                break
            best = min(best, smooth)
    if not found.rates:
        raise DeepstepError(f"start: the cost is not finite even at learning rate {start:g}; scale X (standardize "
                            "it) or start lower")
    found.suggestion = suggest(found.rates, found.smoothed)
    return found
