"""Callbacks: small objects the training loop calls at the start, after every epoch, and at the end.

The protocol (all three methods optional; subclass :class:`Callback`):

* ``on_train_begin(run)``
* ``on_epoch_end(run, epoch, logs)`` -- after each full-batch iteration or each pass over the
  mini-batches; ``epoch`` counts over the network's whole training (0-based) and ``logs`` holds
  "cost", "accuracy" ("r2" for regression), "learning_rate", and "val_cost", "val_accuracy" ("val_r2") when
  validation data is given
* ``on_train_end(run)`` -- after the last epoch, and also after a stop, a divergence (``run.diverged`` holds its
  message) or an exception (``run.error``: Ctrl-C, a callback's error), before the exception goes on

Setting ``run.stop_training = True`` ends training after the current epoch.
``run`` (:class:`deepstep.training.Run`) gives the network, its parameters, this
run's history and the optimizer.  A plain function ``f(epoch, logs)`` may stand
in for a callback: it is called after every epoch.

Callbacks that keep state between epochs (:class:`EarlyStopping`) give it as
plain data (:meth:`Callback.state`), so that a model file can carry it and a run
resumed from that file goes on exactly as the unbroken run.

Examples
--------
>>> import numpy as np
>>> import deepstep as ds
>>> from deepstep.callbacks import EarlyStopping
>>> X, Y = ds.datasets.make_moons(m=200, rng=0)
>>> net = ds.DeepNetwork([2, 8, 1], hidden_activation="tanh", rng=0)
>>> h = net.fit(X, Y, learning_rate=0.5, num_iterations=3000, validation_fraction=0.25,
...             callbacks=[EarlyStopping(patience=5, min_delta=1e-3)])
>>> len(h.cost) < 3000 and len(h.val_cost) == len(h.cost)
True
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import DeepstepError, _describe, check_number, check_positive_int


class Run(Protocol):
    """What a callback is handed (:class:`deepstep.training.loop.Run` is it; the loop imports the callbacks, never
    the reverse): the network being trained, whether to stop, the epochs, and the divergence guard's hooks."""

    network: Any
    stop_training: bool
    diverged: str | None
    error: BaseException | None
    first_epoch: int
    epochs_planned: int

    def save(self, path: Any) -> None: ...

    def confirm_good(self) -> bool: ...

    def diverge(self, message: str, epoch_start_sound: bool = False) -> None: ...

    def parameters_finite(self, cheap: bool = False) -> bool: ...

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "DivergenceGuard", "ProgressBar", "LambdaCallback",
           "as_callback"]


class Callback:
    """Base class: override any of the three hooks; :attr:`key` names its state in model files."""

    key: str | None = None

    def check(self, has_validation: bool) -> None:
        """Refuse, before training starts, a run this callback cannot work with (DeepstepError)."""

    def on_train_begin(self, run: Run) -> None:
        pass

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, run: Run) -> None:
        pass

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        """(JSON data, arrays) to carry over to a resumed run, or None."""
        return None

    def load_state(self, data: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Put back what :meth:`state` gave."""


class LambdaCallback(Callback):
    """A function ``f(epoch, logs)`` called after every epoch."""

    def __init__(self, on_epoch_end: Callable[[int, dict[str, float]], Any]) -> None:
        self.function = on_epoch_end

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        self.function(epoch, logs)


def as_callback(item: Any, where: str = "callbacks") -> Callback:
    """A :class:`Callback` from a callback or a function ``f(epoch, logs)``; anything else is refused now."""
    if isinstance(item, Callback):
        return item
    if callable(item):
        return LambdaCallback(item)
    raise DeepstepError(
        f"{where}: expected deepstep.callbacks.Callback objects or functions f(epoch, logs), got {_describe(item)}"
    )


class EarlyStopping(Callback):
    """Stop when the validation cost has not improved by more than ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    patience : int
        Epochs without improvement to wait, >= 1.
    min_delta : float
        An improvement is a validation cost below ``best - min_delta``.
    restore_best : bool
        At the end, put back the parameters of the epoch with the best validation cost.
    monitor : str
        The log to watch ("val_cost" by default; "cost" to watch the training cost).

    Attributes
    ----------
    best : float
        The best value seen; ``best_epoch`` the epoch it was seen at; ``stopped_epoch`` where it stopped (or None).
    """

    key = "early_stopping"

    def __init__(self, patience: int = 10, min_delta: float = 0.0, restore_best: bool = True,
                 monitor: str = "val_cost") -> None:
        self.patience = check_positive_int(patience, "patience")
        self.min_delta = check_number(min_delta, "min_delta", low=0, expected="a finite number >= 0")
        self.restore_best = bool(restore_best)
        if monitor not in ("val_cost", "cost"):
            raise DeepstepError(f"monitor: expected 'val_cost' or 'cost', got {monitor!r}")
        self.monitor = monitor
        self._reset()
        self._loaded = False

    def _reset(self) -> None:
        self.best = math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_parameters: dict[str, np.ndarray] | None = None

    def check(self, has_validation: bool) -> None:
        if self.monitor == "val_cost" and not has_validation:
            raise DeepstepError("callbacks: EarlyStopping watches the validation cost; give validation_data or "
                                "validation_fraction (or EarlyStopping(monitor='cost'))")

    def on_train_begin(self, run: Run) -> None:
        if not self._loaded:
            self._reset()
        self._loaded = False

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        value = logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:  # the parameters, and batch normalization's running averages with them
                self.best_parameters = {**run.network.parameters.copy(),
                                        **{k: v.copy() for k, v in getattr(run.network, "layer_state", {}).items()}}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                run.stop_training = True

    def on_train_end(self, run: Run) -> None:
        if self.restore_best and self.best_parameters is not None and self.stopped_epoch is not None:
            state = getattr(run.network, "layer_state", {})
            for key, P in self.best_parameters.items():
                if key in state:
                    np.copyto(state[key], P)
                else:
                    run.network.parameters[key][...] = P

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        data = {"best": self.best if math.isfinite(self.best) else None, "best_epoch": self.best_epoch,
                "wait": self.wait, "stopped_epoch": self.stopped_epoch}
        return data, dict(self.best_parameters or {})

    def load_state(self, data: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.best = math.inf if data.get("best") is None else float(data["best"])
        self.best_epoch, self.wait = data.get("best_epoch"), int(data.get("wait", 0))
        self.stopped_epoch = data.get("stopped_epoch")
        self.best_parameters = {k: np.array(v) for k, v in arrays.items()} or None
        self._loaded = True


class ModelCheckpoint(Callback):
    """Save the network (with the run's optimizer and callback state) every ``every`` epochs, atomically.

    A checkpoint is written only while every parameter is finite, so a valid file is
    only ever replaced by a valid one.
    """

    def __init__(self, path: str | Path, every: int = 1,
                 save: Callable[[Run, Path], None] | None = None) -> None:
        self.path = Path(path)
        self.every = check_positive_int(every, "every")
        self.save = save
        self.saved = 0

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        if (epoch + 1) % self.every == 0 and run.parameters_finite():
            if self.save is not None:
                self.save(run, self.path)
            else:
                run.save(self.path)
            self.saved += 1


class DivergenceGuard(Callback):
    """Stop when the cost is not finite or explodes, and put back the last good parameters.

    "Explodes": the cost exceeds ``factor`` times the first cost of the run.  The
    parameters put back are those with which the last epoch of finite cost began
    (and the optimizer state, the random generator and the history as they were
    then), so that a run resumed from them with a smaller learning rate goes on
    from a sound point.  :meth:`deepstep.DeepNetwork.fit` then raises
    :class:`deepstep.training.TrainingDiverged`, saying which epoch diverged and
    what to try.  ``fit`` adds one of these unless ``callbacks`` holds one.
    """

    def __init__(self, factor: float = 1e3) -> None:
        self.factor = check_number(factor, "factor", low=1, low_inclusive=False, expected="a finite number > 1")

    def on_train_begin(self, run: Run) -> None:
        self.first: float | None = None

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        cost = logs["cost"]
        if self.first is None and math.isfinite(cost):
            self.first = cost
        exploded = self.first is not None and self.first > 0 and cost > self.factor * self.first
        if math.isfinite(cost) and not exploded:  # NaN parameters show as a NaN cost next epoch (or at the end)
            if run.confirm_good():
                return
            run.diverge(f"training diverged by iteration {epoch} (its parameters hold NaN or inf although the "
                        f"cost {cost:g} is finite: a saturated activation)")
            return
        what = f"cost {cost:g}" if math.isfinite(cost) else f"cost {cost}"
        if exploded:
            what += f", over {self.factor:g} times the first cost {self.first:g}"
        run.diverge(f"training diverged at iteration {epoch} ({what})")


class ProgressBar(Callback):
    """A progress bar with the cost (and validation figures) on stderr; tqdm where installed, else a line now and then.

    Parameters
    ----------
    total : int, optional
        Epochs the bar counts to (default: this run's).
    print_every : int, optional
        Also print the cost every N epochs (as a line above the bar, or on ``file`` without one).
    bar : bool
        Show the bar (on stderr, where it is a terminal); False prints the lines only.
    file : file object, optional
        Where the lines go without a bar (default stdout).
    """

    def __init__(self, total: int | None = None, print_every: int | None = None, bar: bool = True,
                 file: Any = None) -> None:
        self.total = check_positive_int(total, "total", allow_none=True)
        self.print_every = check_positive_int(print_every, "print_every", allow_none=True)
        self.show_bar = bar
        self.file = file
        self.bar = None

    def on_train_begin(self, run: Run) -> None:
        total = self.total or run.epochs_planned
        initial = run.first_epoch if self.total else 0
        self.bar = None
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None and self.show_bar:
            self.bar = tqdm(total=total, initial=initial, desc="training", unit="it", disable=None,
                            dynamic_ncols=True, file=sys.stderr)
        self._every = self.print_every or (None if self.bar is not None and not self.bar.disable
                                           else max(1, run.epochs_planned // 10))

    def _say(self, text: str) -> None:
        if self.bar is not None and not self.bar.disable:
            self.bar.write(text, file=sys.stdout)
        else:
            print(text, file=self.file or sys.stdout, flush=True)

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        figures = {"cost": f"{logs['cost']:.6f}"}
        if "val_cost" in logs:
            figures["val_cost"] = f"{logs['val_cost']:.6f}"
            if "val_accuracy" in logs:
                figures["val_acc"] = f"{logs['val_accuracy']:.2%}"
            if "val_r2" in logs:
                figures["val_r2"] = f"{logs['val_r2']:.4f}"
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(figures, refresh=False)
        last = epoch == run.first_epoch + run.epochs_planned - 1
        if self._every and ((epoch % self._every == 0) or last):
            self._say(f"iteration {epoch}: " + "   ".join(f"{k} {v}" for k, v in figures.items()))

    def on_train_end(self, run: Run) -> None:
        self.cleanup(run)

    def cleanup(self, run: Run) -> None:
        """Close the bar (also when training ends by an exception)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
