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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..atomic import atomic_path
from ..core.kernels import weight_gradients
from ..errors import DeepstepError, _describe, check_number, check_positive_int
from . import signals as _signals


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
           "CSVLogger", "TensorBoard", "LayerSignals", "as_callback"]

PROGRESS_EVERY_S = 0.25  # a progress bar moves within an epoch at most this often
PROGRESS_LINE_S = 10.0  # without a bar, a line within an epoch at most this often


class Callback:
    """Base class: override any of the three hooks; :attr:`key` names its state in model files."""

    key: str | None = None

    def check(self, has_validation: bool) -> None:
        """Refuse, before training starts, a run this callback cannot work with (DeepstepError)."""

    def on_train_begin(self, run: Run) -> None:
        pass

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_batch_end(self, run: Run, batch: int, batches: int) -> None:
        """After mini-batch ``batch`` (0-based) of the epoch's ``batches``; the loop calls it only on callbacks that
        override it (a call per mini-batch costs)."""

    def reads_state_after(self, run: Run, k: int) -> bool:
        """Whether :meth:`on_epoch_end` of the run's epoch ``k`` (counted from 0 in this run) reads the run's state
        (its parameters, the optimizer's) or changes it.  Where no callback does, a full-batch run whose callbacks
        are deepstep's read-only ones (those that keep its checkpoints 16-64 epochs apart) trains up to a checkpoint's
        epochs before calling on_epoch_end for each of them, in order, with their logs (their costs then take one
        pass).  True unless a callback says otherwise: one that only reads the logs returns False, LayerSignals
        names the epochs it measures."""
        return True

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

    def reads_state_after(self, run: Run, k: int) -> bool:
        return False  # the logs; the run's checkpoints are the run's (confirm_good and diverge go by its history)

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
    advice : bool
        At the end, the course's diagnosis of the run (:func:`deepstep.training.signals.diagnosis`): one line of
        advice each on stderr.
    """

    def __init__(self, total: int | None = None, print_every: int | None = None, bar: bool = True,
                 file: Any = None, advice: bool = True) -> None:
        self.total = check_positive_int(total, "total", allow_none=True)
        self.print_every = check_positive_int(print_every, "print_every", allow_none=True)
        self.show_bar = bar
        self.file = file
        self.advice = advice
        self.bar = None
        self._moved = 0.0  # of the current epoch, shown on the bar
        self._shown_at = 0.0

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

    def reads_state_after(self, run: Run, k: int) -> bool:
        return False  # the logs only

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        figures = {"cost": f"{logs['cost']:.6f}"}
        if "val_cost" in logs:
            figures["val_cost"] = f"{logs['val_cost']:.6f}"
            if "val_accuracy" in logs:
                figures["val_acc"] = f"{logs['val_accuracy']:.2%}"
            if "val_r2" in logs:
                figures["val_r2"] = f"{logs['val_r2']:.4f}"
        if self.bar is not None:
            self.bar.update(1 - self._moved)
            self.bar.n = round(self.bar.n)  # (whole epochs again, after the mini-batches' shares)
            self.bar.set_postfix(figures, refresh=False)
        self._moved = 0.0
        last = epoch == run.first_epoch + run.epochs_planned - 1
        if self._every and ((epoch % self._every == 0) or last):
            self._say(f"iteration {epoch}: " + "   ".join(f"{k} {v}" for k, v in figures.items()))

    def on_batch_end(self, run: Run, batch: int, batches: int) -> None:
        """Within a long epoch: the bar moves by the share of mini-batches done (at most every
        :data:`PROGRESS_EVERY_S`); without a bar, a line at most every :data:`PROGRESS_LINE_S`."""
        now = time.monotonic()
        if self.bar is not None and not self.bar.disable:
            if now - self._shown_at >= PROGRESS_EVERY_S:
                done = (batch + 1) / batches
                self.bar.update(done - self._moved)
                self._moved, self._shown_at = done, now
        elif self._every is not None:
            if not self._shown_at:
                self._shown_at = now
            elif now - self._shown_at >= PROGRESS_LINE_S:
                self._shown_at = now
                self._say(f"iteration {run.first_epoch + len(run.history.cost)}: mini-batch {batch + 1} of {batches}")

    def on_train_end(self, run: Run) -> None:
        """Close the bar; after a run that ended as planned, the course's diagnosis of it, one line of advice each."""
        self.cleanup(run)
        if self.advice and run.error is None and not run.diverged:
            for line in _signals.diagnosis(run.history, run.network.task.is_classification)["advice"]:
                print(f"note: {line}", file=sys.stderr)

    def cleanup(self, run: Run) -> None:
        """Close the bar (also when training ends by an exception)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class LayerSignals(Callback):
    """Record the per-layer signals (:func:`deepstep.training.signals.layer_signals`) into the run's history and the
    network's (``fit`` adds one; ``signals=False`` leaves it out).

    Parameters
    ----------
    every : int or "auto"
        Epochs between records ("auto": :func:`deepstep.training.signals.signal_every`); the run's last epoch is
        always recorded, and its first where the run is four such periods long or more.
    sample : int
        Examples measured at most: a fixed subset (the same in every run) of the training examples when there
        are more; the network's random generator is never drawn from.
    """

    key = None

    def __init__(self, every: int | str = "auto", sample: int = _signals.SAMPLE) -> None:
        if not (isinstance(every, str) and every == "auto"):
            every = int(check_number(every, "every", low=1, integer=True, expected="'auto' or a number of epochs >= 1"))
        self.every = every
        self.sample = int(check_number(sample, "sample", low=1, integer=True, expected="a number of examples >= 1"))
        self._grads: dict[str, np.ndarray] = {}

    @property
    def latest_grads(self) -> dict[str, np.ndarray]:
        """dW[l] of the last record (the TensorBoard callback draws them); a record of a first layer in Gram form
        keeps dZ[1], and dW[1] = (1/m) dZ[1] X^T is formed here, on first read (as the dense record forms it)."""
        dZ1 = self._grads.pop("dZ1", None)
        if dZ1 is not None:
            self._grads["dW1"] = weight_gradients(dZ1, self._X)[0]
        return self._grads

    @latest_grads.setter
    def latest_grads(self, grads: dict[str, np.ndarray]) -> None:
        self._grads = grads

    def on_train_begin(self, run: Any) -> None:
        net = run.network
        m = run.X.shape[1]
        k = _signals.signal_sample(net.layer_dims, m, self.sample)
        if m > k:
            idx = np.sort(np.random.default_rng(0).choice(m, k, replace=False))
            self._X, self._Y = run.X[:, idx], run.Y[:, idx]
        else:
            self._X, self._Y = run.X, run.Y
        self._period = (_signals.signal_every(net.layer_dims, m, run.batch_size, self._X.shape[1],
                                     getattr(run, "method", None) == "gram")
                        if self.every == "auto" else self.every)
        self._k = 0  # this run's epochs seen
        self._at = self._next_due(0, run.epochs_planned)  # the next epoch to record after
        self._grads = {}
        self._before = self._weights(run) if self._at == 0 else None

    def reads_state_after(self, run: Any, k: int) -> bool:
        """The weights before the epoch recorded (read at the end of the one before) and after it."""
        return k in (self._at - 1, self._at)

    def _next_due(self, k: int, planned: int) -> int:
        """The first epoch from this run's epoch k on to record after: every ``period`` epochs, and the last; the
        first too where the run is four periods long or more (in a shorter one it would take more than its share)."""
        if k == 0 and planned >= 4 * self._period:
            return 0
        return min(-(-max(k, 1) // self._period) * self._period, planned - 1)

    def _gram(self, run: Any) -> Any:
        """The run's first layer in Gram form where a record measures the run's own examples, else None."""
        first = getattr(run, "first", None)
        return first if first is not None and self._X is first.basis.X else None

    def _weights(self, run: Any) -> dict[str, Any]:
        """W[l] before the epoch recorded: copies (of the Gram form's tensor for W[1], without forming it)."""
        params, first = run.network.parameters, self._gram(run)
        return {f"W{l}": first.W.copy() if l == 1 and first is not None else np.array(params[f"W{l}"])
                for l in range(1, run.network.L + 1)}

    def on_epoch_end(self, run: Any, epoch: int, logs: dict[str, float]) -> None:
        k = self._k
        self._k += 1
        if k == self._at or run.stop_training:
            net = run.network
            self._grads = {}
            record = _signals.layer_signals(net.parameters, net.hidden, net.output, self._X, self._Y, self._before,
                                            net.layer_state, self._grads, self._gram(run))
            for history, at in ((run.history, len(run.history.cost) - 1), (net.history, len(net.history.cost) - 1)):
                history.add_signals(at, record)
            self._at = self._next_due(self._k, run.epochs_planned)
            self._before = None
        if self._k == self._at:  # the next epoch is recorded: its update is measured from here
            self._before = self._weights(run)


# -- logs ------------------------------------------------------------------------------------------------------

_LOGGED_SIGNALS = ("W_norm", "dW_norm", "update_norm", "update_ratio")


def _recorded_now(run: Run) -> dict[str, list] | None:
    """The per-layer signals recorded at the epoch just ended (by deepstep.training.signals.LayerSignals), or None."""
    signals = run.history.signals
    if signals.get("epoch") and signals["epoch"][-1] == len(run.history.cost) - 1:
        return {name: series[-1] for name, series in signals.items() if name != "epoch"}
    return None


class CSVLogger(Callback):
    """One CSV row per epoch: the epoch, every series of the History (cost, accuracy or r2, the validation figures,
    the learning rate) and the per-layer norms ``W_norm_l``, ``dW_norm_l``, ``update_norm_l``, ``update_ratio_l``
    (empty where the epoch recorded no signals).

    Rows are flushed as they are written; where a divergence puts the network back some epochs, their rows go
    too (the file is rewritten, atomically), so that the file always holds the History's epochs.

    Parameters
    ----------
    path : str or Path
    append : bool
        Add to an existing file (a resumed run) instead of starting it anew.
    argument : str
        How errors name the path (``deepstep train`` gives "--log-csv", the estimators "log_csv").
    """

    def __init__(self, path: str | Path, append: bool = False, argument: str = "path") -> None:
        self.argument = argument
        if not isinstance(path, (str, Path)) or not str(path):
            raise DeepstepError(f"{argument}: expected a file path, got {_describe(path)}")
        self.path = Path(path)
        self.append = bool(append)
        self._file: Any = None
        self._rows: list[tuple[int, list]] = []  # this run's rows: (epoch, cells)

    def check(self, has_validation: bool) -> None:
        """The file can be written (tried now, before training: a file that cannot is refused by name)."""
        if self.path.is_dir():
            raise DeepstepError(f"{self.argument}: expected a file to write the CSV log to, got the folder {self.path}")
        if not self.path.parent.is_dir():
            raise DeepstepError(f"{self.argument}: the folder of {self.path} does not exist")
        try:
            with open(self.path, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise DeepstepError(f"{self.argument}: cannot write {self.path} ({exc.strerror or exc})") from None

    def on_train_begin(self, run: Run) -> None:
        import csv

        score = run.network.task.score_name
        columns = ["epoch", "cost", score] + (["val_cost", f"val_{score}"] if run.has_validation else [])
        columns.append("learning_rate")
        columns += [f"{name}_{l}" for name in _LOGGED_SIGNALS for l in range(1, run.network.L + 1)]
        self.columns = columns
        fresh = not (self.append and self.path.exists() and self.path.stat().st_size)
        self._file = open(self.path, "w" if fresh else "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.writer(self._file)
        if fresh:
            self._writer.writerow(columns)
            self._file.flush()
        self._rows = []

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        cells: dict[str, Any] = {"epoch": epoch, **logs}
        signals = _recorded_now(run)
        if signals is not None:
            for name in _LOGGED_SIGNALS:
                for l, v in enumerate(signals.get(name, []), 1):
                    cells[f"{name}_{l}"] = v
        row = ["" if cells.get(c) is None else repr(cells[c]) if isinstance(cells[c], float) else cells[c]
               for c in self.columns]
        self._rows.append((epoch, row))
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, run: Run) -> None:
        self.cleanup(run)
        if not self._rows:
            return
        kept = run.first_epoch + len(run.history.cost)
        if any(epoch >= kept for epoch, _ in self._rows):  # epochs a divergence took back
            import csv
            import io

            text = self.path.read_text(encoding="utf-8")
            lines = list(csv.reader(io.StringIO(text)))
            dropped = {str(epoch) for epoch, _ in self._rows if epoch >= kept}
            out = io.StringIO()
            csv.writer(out).writerows(line for line in lines if not (line and line[0] in dropped))
            with atomic_path(self.path) as tmp:  # a valid log replaced by a valid log
                tmp.write_text(out.getvalue(), encoding="utf-8")

    def cleanup(self, run: Run) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class TensorBoard(Callback):
    """Event files TensorBoard reads, in ``log_dir``: every History series as scalars per epoch, the per-layer norms
    as scalars ``layer{l}/W_norm`` ... and histograms of W[l] and dW[l] at the epochs that recorded signals.

    Written with tensorboardX (``pip install 'deepstep[tensorboard]'``).
    """

    def __init__(self, log_dir: str | Path, argument: str = "log_dir") -> None:
        self.argument = argument
        if not isinstance(log_dir, (str, Path)) or not str(log_dir):
            raise DeepstepError(f"{argument}: expected a folder path, got {_describe(log_dir)}")
        self.log_dir = Path(log_dir)
        self._writer: Any = None

    def check(self, has_validation: bool) -> None:
        """tensorboardX is installed and the folder can be made (now, before training)."""
        from ..extras import require

        require("tensorboardX", "tensorboard", "TensorBoard logs")
        if self.log_dir.exists() and not self.log_dir.is_dir():
            raise DeepstepError(f"{self.argument}: expected a folder, got the file {self.log_dir}")
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeepstepError(f"{self.argument}: cannot make the folder {self.log_dir} ({exc.strerror or exc})") \
                from None

    def on_train_begin(self, run: Run) -> None:
        from ..extras import require

        tbx = require("tensorboardX", "tensorboard", "TensorBoard logs")
        self._writer = tbx.SummaryWriter(str(self.log_dir))

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        w = self._writer
        for name, value in logs.items():
            w.add_scalar(name, value, epoch)
        signals = _recorded_now(run)
        if signals is not None:
            for name, figures in signals.items():
                for l, v in enumerate(figures, 1):
                    if v is not None:
                        w.add_scalar(f"layer{l}/{name}", v, epoch)
            params = run.network.parameters
            grads = next((cb.latest_grads for cb in getattr(run, "callbacks", ())
                          if getattr(cb, "latest_grads", None)), {})
            for l in range(1, run.network.L + 1):  # (a histogram of NaN or inf has no bins: left out)
                for name, A in ((f"W{l}", np.asarray(params[f"W{l}"])), (f"dW{l}", grads.get(f"dW{l}"))):
                    if A is not None and A.size and bool(np.isfinite(A).all()):
                        w.add_histogram(name, A, epoch)
        w.flush()

    def on_train_end(self, run: Run) -> None:
        self.cleanup(run)

    def cleanup(self, run: Run) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
