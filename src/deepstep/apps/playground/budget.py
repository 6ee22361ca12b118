"""A request's budget of work: :class:`_Budget` (its deadline, and the event that stops it when its client goes
away or the server stops), :class:`_Interrupted` (raised at the next check once it is spent), the callback that
ends a training run when told (:class:`_StopWhen`) and the count of a network's multiply-adds a pass over the
points (:func:`_work`, which :data:`MAX_WORK <deepstep.apps.playground.settings.MAX_WORK>` bounds).  It imports
no other part of the playground.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ...training.callbacks import Callback
from ...training.loop import Run


class _Interrupted(Exception):
    """Raised inside a request's work when its time is spent, its client has gone or the server is stopping (an
    epoch it cuts is undone; a session it cuts is not stored).  The message is the answer's (503)."""


class _Budget:
    """A request's work: ``check()`` between its steps raises :class:`_Interrupted` once ``seconds`` have passed or
    ``cancel`` is set (by the event loop: its client went away, or the server is stopping, as ``why`` says)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.cancel = threading.Event()
        self.why = "request: the client went away"

    def stop(self, why: str) -> None:
        if not self.cancel.is_set():
            self.why = why
            self.cancel.set()

    def check(self) -> None:
        if self.cancel.is_set():
            raise _Interrupted(self.why)
        if time.monotonic() >= self.deadline:
            raise _Interrupted(f"server: busy (the request's work took longer than the {self.seconds:g} s it may "
                               "take); try again in a moment")


def _check(budget: _Budget | None) -> None:
    if budget is not None:
        budget.check()


def _work(layer_dims: list[int], m: int) -> int:
    """Multiply-adds of one pass of a network of ``layer_dims`` over m points."""
    return m * sum(layer_dims[k] * layer_dims[k + 1] for k in range(len(layer_dims) - 1))


class _StopWhen(Callback):
    """Ends the run after the epoch during which ``stop()`` became true."""

    def __init__(self, stop: Callable[[], bool]) -> None:
        self.stop = stop

    def on_epoch_end(self, run: Run, epoch: int, logs: dict[str, float]) -> None:
        if self.stop():
            run.stop_training = True
