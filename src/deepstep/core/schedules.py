"""Learning-rate schedules: alpha at epoch e from the starting rate alpha0, one registry entry each.

* :class:`Constant` -- ``alpha = alpha0``
* :class:`InverseTimeDecay` -- ``alpha = alpha0 / (1 + decay_rate * floor(e / interval))`` (the course's
  ``schedule_lr_decay``; with interval 1 its ``update_lr``)
* :class:`ExponentialDecay` -- ``alpha = alpha0 * decay_rate ** (e / interval)``
* :class:`StepDecay` -- ``alpha = alpha0 * drop ** floor(e / interval)``

e counts epochs (full-batch iterations, or passes over the mini-batches) from 0
over the network's whole training, so that a resumed run continues the schedule.

Examples
--------
>>> from deepstep.schedules import InverseTimeDecay, schedule_lr_decay
>>> InverseTimeDecay(decay_rate=1.0, interval=10)(0.1, 25)    # 0.1 / (1 + 1 * 2)
0.03333333333333333
>>> schedule_lr_decay(0.5, 2000, decay_rate=0.3, time_interval=1000)   # 0.5 / (1 + 0.3 * 2)
0.3125
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import DeepstepError, check_number

__all__ = [
    "SCHEDULES",
    "Schedule",
    "Constant",
    "InverseTimeDecay",
    "ExponentialDecay",
    "StepDecay",
    "get_schedule",
    "schedule_lr_decay",
    "update_lr",
]


def _check_rate(value: Any, name: str, upper: float | None = None) -> float:
    """A decay rate: a finite number >= 0, or with ``upper`` one in (0, upper]."""
    if upper is None:
        return check_number(value, name, low=0)
    return check_number(value, name, low=0, low_inclusive=False, high=upper)


def _check_interval(value: Any) -> int:
    return check_number(value, "interval", low=1, integer=True, expected="a positive integer (epochs)")


class Schedule:
    """Base class: ``schedule(alpha0, epoch) -> alpha``."""

    name: ClassVar[str] = ""

    def __call__(self, learning_rate: float, epoch: int) -> float:
        raise NotImplementedError

    def params(self) -> dict[str, float]:
        return {}

    def config(self) -> dict[str, Any]:
        return {"name": self.name, **self.params()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params().items())})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and self.config() == other.config()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.config().items())))


class Constant(Schedule):
    """alpha = alpha0."""

    name = "constant"

    def __call__(self, learning_rate: float, epoch: int) -> float:
        return learning_rate


class InverseTimeDecay(Schedule):
    """alpha = alpha0 / (1 + decay_rate * floor(epoch / interval))."""

    name = "inverse_time"

    def __init__(self, decay_rate: float, interval: int = 1) -> None:
        self.decay_rate = _check_rate(decay_rate, "decay_rate")
        self.interval = _check_interval(interval)

    def params(self) -> dict[str, float]:
        return {"decay_rate": self.decay_rate, "interval": self.interval}

    def __call__(self, learning_rate: float, epoch: int) -> float:
        return learning_rate / (1 + self.decay_rate * (epoch // self.interval))


class ExponentialDecay(Schedule):
    """alpha = alpha0 * decay_rate ** (epoch / interval), 0 < decay_rate <= 1."""

    name = "exponential"

    def __init__(self, decay_rate: float, interval: int = 1) -> None:
        self.decay_rate = _check_rate(decay_rate, "decay_rate", upper=1.0)
        self.interval = _check_interval(interval)

    def params(self) -> dict[str, float]:
        return {"decay_rate": self.decay_rate, "interval": self.interval}

    def __call__(self, learning_rate: float, epoch: int) -> float:
        return learning_rate * self.decay_rate ** (epoch / self.interval)


class StepDecay(Schedule):
    """alpha = alpha0 * drop ** floor(epoch / interval), 0 < drop <= 1."""

    name = "step"

    def __init__(self, drop: float, interval: int) -> None:
        self.drop = _check_rate(drop, "drop", upper=1.0)
        self.interval = _check_interval(interval)

    def params(self) -> dict[str, float]:
        return {"drop": self.drop, "interval": self.interval}

    def __call__(self, learning_rate: float, epoch: int) -> float:
        return learning_rate * self.drop ** (epoch // self.interval)


SCHEDULES: dict[str, type[Schedule]] = {
    "constant": Constant,
    "inverse_time": InverseTimeDecay,
    "exponential": ExponentialDecay,
    "step": StepDecay,
}
"""The registry: name -> schedule class."""


def get_schedule(schedule: Schedule | str | Mapping[str, Any] | None) -> Schedule:
    """A schedule from an object, a name (no arguments: "constant"), a config dict, or None (constant)."""
    if schedule is None:
        return Constant()
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, str):
        schedule = {"name": schedule}
    if isinstance(schedule, Mapping) and isinstance(schedule.get("name"), str) and schedule["name"] in SCHEDULES:
        kwargs = {k: v for k, v in schedule.items() if k != "name"}
        try:
            return SCHEDULES[schedule["name"]](**kwargs)
        except TypeError as exc:
            raise DeepstepError(f"schedule: {schedule['name']!r} does not take {sorted(kwargs)} ({exc})") from None
    raise DeepstepError(
        f"schedule: expected one of {list(SCHEDULES)} or a deepstep.schedules.Schedule, got {schedule!r}"
    )


def schedule_lr_decay(learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000) -> float:
    """The course's fixed-interval decay: alpha0 / (1 + decay_rate * floor(epoch_num / time_interval))."""
    schedule = InverseTimeDecay(decay_rate, time_interval)
    alpha0 = check_number(learning_rate0, "learning_rate0", low=0, low_inclusive=False)
    return schedule(alpha0, _check_epoch(epoch_num))


def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """The course's decay every epoch: alpha0 / (1 + decay_rate * epoch_num)."""
    return schedule_lr_decay(learning_rate0, epoch_num, decay_rate, 1)


def _check_epoch(epoch_num: Any) -> int:
    """An epoch number: an integer from 0 (below 2**63, where decay_rate * epoch_num is a float)."""
    return check_number(epoch_num, "epoch_num", low=0, high=2**63 - 1, integer=True,
                        expected="an epoch number, an integer with 0 <= epoch_num < 2**63")
