"""Optimizers: how a gradient becomes an update, each a small object with its state per parameter key.

Course 2's formulas, for every parameter P ("W1", "b1", ...) and its gradient dP ("dW1", ...):

* :class:`GradientDescent` -- ``P := P - alpha dP``
* :class:`Momentum` -- ``v := beta v + (1 - beta) dP``; ``P := P - alpha v``
* :class:`RMSprop` -- ``s := beta2 s + (1 - beta2) dP^2``; ``P := P - alpha dP / (sqrt(s) + epsilon)``
* :class:`Adam` -- ``v := beta1 v + (1 - beta1) dP``, ``s := beta2 s + (1 - beta2) dP^2``,
  ``v_c = v / (1 - beta1^t)``, ``s_c = s / (1 - beta2^t)``, ``P := P - alpha v_c / (sqrt(s_c) + epsilon)``,
  where t counts updates from 1.

The state is kept per gradient key: ``opt.state["v"]["dW1"]`` has W1's shape.  The
learning rate of epoch e is ``opt.schedule(alpha0, e)`` (:mod:`deepstep.schedules`).
Each optimizer is also a course-style function that returns new arrays and leaves
its inputs untouched (:func:`update_parameters_with_momentum`,
:func:`update_parameters_with_adam`, ...); the function and the object run the
same kernel.  Adding an optimizer is one class and one entry in :data:`OPTIMIZERS`.

Examples
--------
>>> import numpy as np
>>> import deepstep as ds
>>> p = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
>>> g = {"dW1": np.array([[0.5]]), "db1": np.array([[-1.0]])}
>>> v, s = ds.initialize_adam(p)
>>> p1, v, s = ds.update_parameters_with_adam(p, g, v, s, t=1, learning_rate=0.1)
>>> round(float(p1["W1"][0, 0]), 6)        # 1 - 0.1 * 0.5 / (sqrt(0.25) + 1e-8)
0.9
>>> p["W1"]                                 # the input is left as it was
array([[1.]])
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..errors import (
    DeepstepError,
    _describe,
    as_array,
    check_learning_rate,
    check_number,
    check_parameters,
    finite_result,
)
from .schedules import Schedule, get_schedule

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "GradientDescent",
    "Momentum",
    "RMSprop",
    "Adam",
    "get_optimizer",
    "build_optimizer",
    "HYPERPARAMETERS",
    "initialize_velocity",
    "initialize_rmsprop",
    "initialize_adam",
    "update_parameters_with_momentum",
    "update_parameters_with_rmsprop",
    "update_parameters_with_adam",
]

Array = np.ndarray


def check_beta(value: Any, name: str) -> float:
    return check_number(value, name, low=0, high=1, high_inclusive=False,
                        expected=f"a number with 0 <= {name} < 1 such as 0.9")


def check_epsilon(value: Any) -> float:
    return check_number(value, "epsilon", low=0, low_inclusive=False,
                        expected="a small positive number such as 1e-8")


# -- the kernels (in place on P, dP and the state; dP is scratch afterwards) ---------------------


def gd_kernel(P: Any, dP: Any, lr: float) -> None:
    """P -= lr dP (dP is scaled in place)."""
    dP *= lr
    P -= dP


def momentum_kernel(P: Any, dP: Any, v: Any, beta: float, lr: float) -> None:
    """v = beta v + (1 - beta) dP; P -= lr v."""
    v *= beta
    dP *= 1.0 - beta
    v += dP
    P -= lr * v


def _squared_average(s: Array, dP: Array, beta2: float, tmp: Array) -> None:
    """s = beta2 s + (1 - beta2) dP^2."""
    s *= beta2
    np.multiply(dP, dP, out=tmp)
    tmp *= 1.0 - beta2
    s += tmp


def rmsprop_kernel(P: Array, dP: Array, s: Array, beta2: float, epsilon: float, lr: float) -> None:
    """s = beta2 s + (1 - beta2) dP^2; P -= lr dP / (sqrt(s) + epsilon) (dP is scratch afterwards)."""
    tmp = np.empty_like(dP)
    _squared_average(s, dP, beta2, tmp)
    np.sqrt(s, out=tmp)
    tmp += epsilon
    np.divide(dP, tmp, out=dP)
    dP *= lr
    P -= dP


def adam_kernel(
    P: Array, dP: Array, v: Array, s: Array, t: int, beta1: float, beta2: float, epsilon: float, lr: float,
    tmp: Array | None = None,
) -> None:
    """Adam's step t (t >= 1), bias correction included; ``tmp`` is scratch of P's shape."""
    tmp = np.empty_like(dP) if tmp is None else tmp
    _squared_average(s, dP, beta2, tmp)
    v *= beta1
    dP *= 1.0 - beta1
    v += dP
    np.divide(v, 1.0 - beta1**t, out=tmp)  # v_c
    np.divide(s, 1.0 - beta2**t, out=dP)  # s_c (dP's last use was above)
    np.sqrt(dP, out=dP)
    dP += epsilon
    tmp /= dP
    tmp *= lr
    P -= tmp


# -- the same kernels as one loop over flat arrays (compiled by deepstep.core.compiled: the ``fast`` extra) ---------
# Each loop makes, element by element, the operations of the NumPy kernel above it in the same order on the same dtype
# (its scalars given already rounded to the arrays' dtype, as NumPy rounds a Python float it combines with a float32
# array), so both give the same bits: tests/core/test_compiled.py.  dP is not written (it is scratch afterwards).


def gd_loop(P: Array, dP: Array, lr: Any) -> None:
    """:func:`gd_kernel`: P -= lr dP."""
    for i in range(P.shape[0]):
        P[i] = P[i] - dP[i] * lr


def momentum_loop(P: Array, dP: Array, v: Array, beta: Any, one_beta: Any, lr: Any) -> None:
    """:func:`momentum_kernel`: v = beta v + (1 - beta) dP; P -= lr v."""
    for i in range(P.shape[0]):
        vi = v[i] * beta + dP[i] * one_beta
        v[i] = vi
        P[i] = P[i] - lr * vi


def rmsprop_loop(P: Array, dP: Array, s: Array, beta2: Any, one_beta2: Any, epsilon: Any, lr: Any) -> None:
    """:func:`rmsprop_kernel`: s = beta2 s + (1 - beta2) dP^2; P -= lr dP / (sqrt(s) + epsilon)."""
    for i in range(P.shape[0]):
        g = dP[i]
        si = s[i] * beta2 + (g * g) * one_beta2
        s[i] = si
        P[i] = P[i] - (g / (math.sqrt(si) + epsilon)) * lr


def adam_loop(P: Array, dP: Array, v: Array, s: Array, beta1: Any, one_beta1: Any, beta2: Any, one_beta2: Any,
              c1: Any, c2: Any, epsilon: Any, lr: Any) -> None:
    """:func:`adam_kernel`, with c1 = 1 - beta1^t and c2 = 1 - beta2^t."""
    for i in range(P.shape[0]):
        g = dP[i]
        si = s[i] * beta2 + (g * g) * one_beta2
        s[i] = si
        vi = v[i] * beta1 + g * one_beta1
        v[i] = vi
        P[i] = P[i] - ((vi / c1) / (math.sqrt(si / c2) + epsilon)) * lr


# -- the objects --------------------------------------------------------------------------------


FLUSH_EVERY = 16
"""Every this many updates the optimizer's state is rid of subnormal floats (:meth:`Optimizer.flush_subnormals`)."""


class Optimizer:
    """Base class: an update rule with its state per gradient key ("dW1", "db1", ...).

    Subclasses set :attr:`name`, :attr:`slots` (the state arrays it keeps per key,
    e.g. ``("v", "s")``) and :attr:`linear` (True when every update is a linear
    combination of the gradients and parameters, so that the Gram form of the first
    layer applies, :mod:`deepstep.gram`), and implement :meth:`update_one`.
    """

    name: ClassVar[str] = ""
    slots: ClassVar[tuple[str, ...]] = ()
    linear: ClassVar[bool] = False
    equations: ClassVar[tuple[tuple[str, str], ...]] = ()
    """The update of a parameter P in :mod:`deepstep.explain`'s formula language: (what it gives -- a slot, or
    "P" -- and its equation, with {P} for the parameter, such as "W[1]")."""

    def __init__(self, schedule: Schedule | str | None = None) -> None:
        self.schedule = get_schedule(schedule)
        self.state: dict[str, dict[str, Any]] = {slot: {} for slot in self.slots}
        self.t = 0  # updates done
        self.epoch = 0  # epochs done (the schedule's position)

    # -- configuration ---------------------------------------------------------------
    def hyperparameters(self) -> dict[str, float]:
        """The optimizer's own numbers (beta, ...), as keyword arguments of its constructor."""
        return {}

    def config(self) -> dict[str, Any]:
        """Plain JSON data naming the optimizer, its hyperparameters and its schedule."""
        return {"name": self.name, **self.hyperparameters(), "schedule": self.schedule.config()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Optimizer:
        kwargs = {k: v for k, v in config.items() if k not in ("name", "schedule")}
        return get_optimizer(config["name"], schedule=config.get("schedule"), **kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        sched = "" if self.schedule.name == "constant" else f"{', ' if args else ''}schedule={self.schedule!r}"
        return f"{type(self).__name__}({args}{sched})"

    # -- the update --------------------------------------------------------------------------
    def learning_rate(self, learning_rate: float, epoch: int | None = None) -> float:
        """alpha at ``epoch`` (default: the current one) from alpha0 = ``learning_rate``."""
        return self.schedule(learning_rate, self.epoch if epoch is None else epoch)

    def init_state(self, parameters: Mapping[str, Any]) -> None:
        """Zero state for every parameter that has none yet (shape and dtype of the parameter)."""
        for slot in self.slots:
            for key, P in parameters.items():
                self.state[slot].setdefault("d" + key, np.zeros(np.shape(P), dtype=P.dtype))

    def step(self, parameters: Mapping[str, Any], grads: Mapping[str, Any], lr: float,
             flat: tuple[Array, Array, dict[str, Array]] | None = None, compiled: bool = False) -> None:
        """One update of every parameter, in place (the grads may be used as scratch).

        ``flat``: (P, dP, state) -- every dense parameter, its gradient and its state as one flat
        array each (the parameters given are then only those outside it, e.g. W[1] in Gram form).
        The update is element-wise, so one call on the flat arrays is the same as one per key.
        ``compiled``: the flat arrays' update runs the optimizer's loop compiled (:mod:`deepstep.core.compiled`;
        the same bits as its NumPy kernel).
        """
        self.t += 1
        if flat is not None:
            if compiled and self.loop is not None:
                self.update_flat(*flat, lr)
            else:
                self.update_arrays(*flat, lr)
        for key, P in parameters.items():
            self.update_one(key, P, grads["d" + key], lr)
        if self.slots and self.t % FLUSH_EVERY == 0:
            self.flush_subnormals(flat[2].values() if flat is not None else (),
                                  (self.state[slot]["d" + key] for slot in self.slots for key in parameters))

    def count_step(self) -> None:
        """Count one update made on this optimizer's behalf (the folded step: :mod:`deepstep.core.folded`)."""
        self.t += 1

    @staticmethod
    def flush_subnormals(*groups: Any) -> None:
        """Set to 0 every state value below the smallest normal number of its dtype (in place).

        A moving average of a gradient that stays 0 (a dead unit, a saturated one) decays geometrically --
        ``v *= beta1`` -- into subnormal floats, where every operation is many times slower (and ``v *= 0.9``
        rounds back to itself: it stays there).  Below the smallest normal number the update it makes,
        v / (sqrt(s) + epsilon), is at most about 1e-300 (float64) or 1e-30 (float32) of the learning rate:
        it moves no parameter of a representable size, so the flush changes no result beyond that rounding.
        """
        for group in groups:
            for a in group:
                if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
                    np.copyto(a, 0, where=np.abs(a) < np.finfo(a.dtype).tiny)

    #: The kernel as one loop over flat arrays (``adam_loop`` ...) for :meth:`update_flat`; None: NumPy kernel only.
    loop: ClassVar[Callable[..., None] | None] = None
    #: How many passes over memory the NumPy kernel makes (what the one-pass loop saves: deepstep.core.compiled.pays).
    passes: ClassVar[int] = 1

    def loop_scalars(self, lr: float) -> tuple[float, ...]:
        """The scalars :attr:`loop` takes after the arrays, as the NumPy kernel forms them (Python floats)."""
        return (lr,)

    def update_flat(self, P: Array, dP: Array, state: dict[str, Array], lr: float) -> None:
        """:meth:`update_arrays` of flat float arrays by the compiled :attr:`loop` (the same bits): its scalars
        rounded to the arrays' dtype first, as NumPy rounds a Python float it combines with them.

        The NumPy kernel runs instead wherever the loop would not give its bits or could not run: a class whose
        :meth:`update_arrays` is not the one its :attr:`loop` was written beside (a subclass's own rule), a scalar
        that is not a Python float (a NumPy float64 learning rate from a schedule of the caller's: NumPy then
        computes a float32 update in float64), arrays of other shapes or dtypes, read-only or foreign-endian ones,
        and numba unavailable or failed."""
        from . import compiled

        arrays = (P, dP, *(state[slot] for slot in self.slots))
        scalars = self.loop_scalars(lr)
        if not (self._loop_is_the_kernels() and compiled.available()
                and all(type(x) is float for x in scalars)
                and all(type(a) is np.ndarray and a.shape == P.shape and a.dtype == P.dtype and a.ndim == 1
                        and a.dtype.isnative and a.flags.writeable for a in arrays)
                and P.dtype in (np.float32, np.float64)):
            self.update_arrays(P, dP, state, lr)
            return
        f = P.dtype.type
        try:
            loop = compiled.kernel(self.loop)
            loop(*arrays, *(f(x) for x in scalars))
        except Exception as exc:  # numba could not compile or load it here (it fails before running: nothing moved)
            compiled.unavailable(exc)
            self.update_arrays(P, dP, state, lr)

    @classmethod
    def _loop_is_the_kernels(cls) -> bool:
        """Whether :attr:`loop`, :meth:`loop_scalars` and :meth:`update_arrays` come from the same class (a subclass
        that writes its own update_arrays does not inherit its parent's loop)."""
        def owner(name: str) -> type:
            return next(k for k in cls.__mro__ if name in vars(k))

        return owner("loop") is owner("update_arrays") and owner("loop_scalars") in (owner("loop"), Optimizer)

    def update_one(self, key: str, P: Any, dP: Any, lr: float) -> None:
        """Update one parameter with its own state."""
        self.update_arrays(P, dP, {slot: self.state[slot]["d" + key] for slot in self.slots}, lr)

    def update_arrays(self, P: Any, dP: Any, state: dict[str, Any], lr: float) -> None:
        """The kernel: update P from dP and the state arrays of the same shape (slot -> array)."""
        raise NotImplementedError

    # -- state as data (model files, snapshots) -------------------------------------------------
    def state_arrays(self) -> dict[str, Array]:
        """Every state array as ``"slot.dKEY"`` -> ndarray (formed where the Gram form holds it)."""
        return {f"{slot}.{key}": np.asarray(a) for slot, per in self.state.items() for key, a in per.items()}

    def load_state(self, arrays: Mapping[str, Array], t: int, epoch: int) -> None:
        """Put back what :meth:`state_arrays`, :attr:`t` and :attr:`epoch` gave."""
        self.state = {slot: {} for slot in self.slots}
        for name, a in arrays.items():
            slot, _, key = name.partition(".")
            if slot not in self.state:
                raise DeepstepError(f"optimizer state: {type(self).__name__} keeps {list(self.slots)}, got {name!r}")
            self.state[slot][key] = np.array(a)
        self.t, self.epoch = int(t), int(epoch)

    def copy(self) -> Optimizer:
        return copy.deepcopy(self)

    # -- its state, given and taken only here ---------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything this optimizer holds: ``{"config": ..., "t": ..., "epoch": ..., "arrays": {"v.dW1": ...}}``
        (the configuration and counters are JSON data; the slots' arrays are formed copies-free views)."""
        return {"config": self.config(), "t": self.t, "epoch": self.epoch, "arrays": self.state_arrays()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state_dict` gave (the configuration must be this optimizer's)."""
        if dict(state["config"]) != self.config():
            raise DeepstepError(f"optimizer: the state is of {state['config']!r}, this optimizer is {self.config()!r}")
        self.load_state(state["arrays"], state["t"], state["epoch"])

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> Optimizer:
        """A new optimizer built from the configuration of :meth:`state_dict`, holding its state."""
        opt = cls.from_config(state["config"])
        opt.load_state(state["arrays"], state["t"], state["epoch"])
        return opt


class GradientDescent(Optimizer):
    """P := P - alpha dP."""

    name = "gd"
    linear = True
    equations = (("P", "{P} := {P} - alpha d{P}"),)

    loop = staticmethod(gd_loop)
    passes = 2

    def update_arrays(self, P: Any, dP: Any, state: dict[str, Any], lr: float) -> None:
        gd_kernel(P, dP, lr)


class Momentum(Optimizer):
    """Gradient descent with momentum: v := beta v + (1 - beta) dP; P := P - alpha v."""

    name = "momentum"
    slots = ("v",)
    linear = True
    equations = (("v", "v_d{P} := beta v_d{P} + ( 1 - beta ) d{P}"), ("P", "{P} := {P} - alpha v_d{P}"))

    def __init__(self, beta: float = 0.9, schedule: Schedule | str | None = None) -> None:
        self.beta = check_beta(beta, "beta")
        super().__init__(schedule)

    def hyperparameters(self) -> dict[str, float]:
        return {"beta": self.beta}

    loop = staticmethod(momentum_loop)
    passes = 5

    def loop_scalars(self, lr: float) -> tuple[float, ...]:
        return (self.beta, 1.0 - self.beta, lr)

    def update_arrays(self, P: Any, dP: Any, state: dict[str, Any], lr: float) -> None:
        momentum_kernel(P, dP, state["v"], self.beta, lr)


class RMSprop(Optimizer):
    """s := beta2 s + (1 - beta2) dP^2; P := P - alpha dP / (sqrt(s) + epsilon)."""

    name = "rmsprop"
    slots = ("s",)
    equations = (("s", "s_d{P} := beta2 s_d{P} + ( 1 - beta2 ) d{P} ^2"),
                 ("P", "{P} := {P} - alpha d{P} / ( sqrt ( s_d{P} ) + epsilon )"))

    def __init__(self, beta2: float = 0.999, epsilon: float = 1e-8, schedule: Schedule | str | None = None) -> None:
        self.beta2 = check_beta(beta2, "beta2")
        self.epsilon = check_epsilon(epsilon)
        super().__init__(schedule)

    def hyperparameters(self) -> dict[str, float]:
        return {"beta2": self.beta2, "epsilon": self.epsilon}

    loop = staticmethod(rmsprop_loop)
    passes = 9

    def loop_scalars(self, lr: float) -> tuple[float, ...]:
        return (self.beta2, 1.0 - self.beta2, self.epsilon, lr)

    def update_arrays(self, P: Array, dP: Array, state: dict[str, Array], lr: float) -> None:
        rmsprop_kernel(P, dP, state["s"], self.beta2, self.epsilon, lr)


class Adam(Optimizer):
    """Momentum and RMSprop together, with bias correction (t counts updates from 1)."""

    name = "adam"
    slots = ("v", "s")
    equations = (("v", "v_d{P} := beta1 v_d{P} + ( 1 - beta1 ) d{P}"),
                 ("s", "s_d{P} := beta2 s_d{P} + ( 1 - beta2 ) d{P} ^2"),
                 ("P", "{P} := {P} - alpha ( v_d{P} / ( 1 - beta1 ^t ) ) / ( sqrt ( s_d{P} / ( 1 - beta2 ^t ) ) "
                       "+ epsilon )"))

    def __init__(
        self, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8, schedule: Schedule | str | None = None
    ) -> None:
        self.beta1 = check_beta(beta1, "beta1")
        self.beta2 = check_beta(beta2, "beta2")
        self.epsilon = check_epsilon(epsilon)
        self._scratch: dict[str, Array] = {}
        super().__init__(schedule)

    def hyperparameters(self) -> dict[str, float]:
        return {"beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}

    loop = staticmethod(adam_loop)
    passes = 14

    def loop_scalars(self, lr: float) -> tuple[float, ...]:
        t = self.t
        return (self.beta1, 1.0 - self.beta1, self.beta2, 1.0 - self.beta2, 1.0 - self.beta1**t,
                1.0 - self.beta2**t, self.epsilon, lr)

    def update_arrays(self, P: Array, dP: Array, state: dict[str, Array], lr: float) -> None:
        tmp = self._scratch.get((dP.shape, dP.dtype))
        if tmp is None:
            tmp = self._scratch[(dP.shape, dP.dtype)] = np.empty_like(dP)
        adam_kernel(P, dP, state["v"], state["s"], self.t, self.beta1, self.beta2, self.epsilon, lr, tmp)

    def __deepcopy__(self, memo: dict) -> Adam:
        new = Adam.__new__(Adam)
        new.__dict__ = {k: copy.deepcopy(v, memo) for k, v in self.__dict__.items() if k != "_scratch"}
        new._scratch = {}
        return new


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "gd": GradientDescent,
    "momentum": Momentum,
    "rmsprop": RMSprop,
    "adam": Adam,
}
"""The registry: name -> optimizer class."""


def get_optimizer(optimizer: str | Optimizer | None = "gd", **kwargs: Any) -> Optimizer:
    """An optimizer object from a name in :data:`OPTIMIZERS` (with its keyword arguments), or the object itself."""
    if isinstance(optimizer, Optimizer):
        if kwargs:
            raise DeepstepError(f"optimizer: settings {sorted(kwargs)} go to the constructor of {optimizer!r}")
        return optimizer
    if optimizer is None:
        optimizer = "gd"
    if not isinstance(optimizer, str) or optimizer.lower() not in OPTIMIZERS:
        raise DeepstepError(
            f"optimizer: expected one of {list(OPTIMIZERS)} or a deepstep.optimizers.Optimizer, got {optimizer!r}"
        )
    cls = OPTIMIZERS[optimizer.lower()]
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise DeepstepError(f"optimizer: {optimizer!r} does not take these settings ({exc})") from None


HYPERPARAMETERS = ("beta", "beta1", "beta2", "epsilon")
"""The optimizers' own settings; each optimizer takes those its constructor names."""


def _takes(name: str) -> tuple[str, ...]:
    """The optimizer names whose constructor takes hyperparameter ``name``."""
    return tuple(sorted(k for k, cls in OPTIMIZERS.items() if name in inspect.signature(cls.__init__).parameters))


def build_optimizer(
    optimizer: str,
    *,
    schedule: str | None = None,
    lr_decay: float | None = None,
    lr_decay_every: int | None = None,
    flag: Callable[[str], str] = str,
    **hyperparameters: float | None,
) -> Optimizer:
    """An optimizer from flat settings, as ``deepstep train`` and sweeps give them (None: not given).

    ``schedule`` None is "inverse_time" when ``lr_decay`` is given, else "constant"; a decaying
    schedule needs ``lr_decay`` (its rate; the drop of "step") and takes ``lr_decay_every`` (its
    interval, default 1).  A hyperparameter (:data:`HYPERPARAMETERS`) the optimizer does not take, or a
    decay for the constant schedule, is refused; ``flag`` spells the settings' names in the messages.

    >>> build_optimizer("momentum", beta=0.8, lr_decay=0.5)
    Momentum(beta=0.8, schedule=InverseTimeDecay(decay_rate=0.5, interval=1))
    >>> build_optimizer("gd", beta=0.8)
    Traceback (most recent call last):
    ...
    deepstep.errors.DeepstepError: beta: applies to optimizer momentum, got optimizer gd
    """
    name = get_optimizer(optimizer).name if isinstance(optimizer, str) else optimizer
    kwargs: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        if key not in HYPERPARAMETERS:
            raise DeepstepError(f"{flag(key)}: unknown optimizer setting; expected one of {list(HYPERPARAMETERS)}")
        if value is None:
            continue
        takers = _takes(key)
        if name not in takers:
            raise DeepstepError(f"{flag(key)}: applies to {flag('optimizer')} {' or '.join(takers)}, "
                                f"got {flag('optimizer')} {name}")
        kwargs[key] = value
    chosen = schedule or ("inverse_time" if lr_decay is not None else "constant")
    if chosen == "constant":
        for key, value in (("lr_decay", lr_decay), ("lr_decay_every", lr_decay_every)):
            if value is not None:
                given = f"{flag('schedule')} constant" if schedule else "none"
                raise DeepstepError(f"{flag(key)}: applies to a decaying {flag('schedule')} (inverse_time, "
                                    f"exponential or step), got {given}")
        built = None
    else:
        if lr_decay is None:
            raise DeepstepError(f"{flag('schedule')}: {chosen} needs {flag('lr_decay')} RATE")
        rate_key = "drop" if chosen == "step" else "decay_rate"
        try:
            built = get_schedule({"name": chosen, rate_key: lr_decay, "interval": lr_decay_every or 1})
        except DeepstepError as exc:
            raise DeepstepError(f"{flag('lr_decay')}: {str(exc).partition(': ')[2]} for the {chosen} "
                                "schedule") from None
    return get_optimizer(name, schedule=built, **kwargs)


# -- the course-style functions (pure: copies in, new arrays out) -------------------------------------


def check_grads(parameters: Mapping[str, Array], grads: Any, name: str = "grads", nonnegative: bool = False) -> None:
    """``grads`` (or a state dict such as v, s) holds a finite array of P's shape under "dP" for every parameter P
    (and no negative value, with ``nonnegative``)."""
    if not isinstance(grads, Mapping):
        raise DeepstepError(f"{name}: expected a dict with keys 'dW1', 'db1', ..., got {_describe(grads)}")
    for key, P in parameters.items():
        dP = grads.get("d" + key)
        if not isinstance(dP, np.ndarray) or dP.shape != P.shape:
            raise DeepstepError(f"{name}: expected 'd{key}' of shape {P.shape}, got {_describe(dP)}")
        dP = as_array(dP, f"{name}['d{key}']")
        if not np.isfinite(dP).all():
            raise DeepstepError(f"{name}: expected finite values in 'd{key}', got NaN or inf")
        if nonnegative and (dP < 0).any():
            raise DeepstepError(f"{name}: expected values >= 0 in 'd{key}' (a running average of squared gradients), "
                                f"got {int(np.count_nonzero(dP < 0))} negative values")


def update_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype a parameter is updated in: its own floating dtype (float32 stays float32), else float64."""
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def copies(parameters: Mapping[str, Array], *states: Mapping[str, Array]) -> list[dict[str, Array]]:
    """Float copies of the parameters (see :func:`update_dtype`) and of each state dict (in its parameter's dtype)."""
    plain = {k: as_array(P, f"parameters['{k}']") for k, P in parameters.items()}
    out = [{k: np.array(P, dtype=update_dtype(P.dtype)) for k, P in plain.items()}]
    for state in states:
        out.append({"d" + k: np.array(as_array(state["d" + k], "d" + k), dtype=out[0][k].dtype) for k in parameters})
    return out


def _zeros(parameters: Mapping[str, Array]) -> dict[str, Array]:
    check_parameters(parameters)
    return {"d" + k: np.zeros(P.shape, dtype=update_dtype(as_array(P, k).dtype)) for k, P in parameters.items()}


def course_step(
    function: str, kernel: Callable[..., None], parameters: Mapping[str, Array], grads: Mapping[str, Array],
    states: dict[str, Mapping[str, Array]], **hyper: float,
) -> list[dict[str, Array]]:
    """A course-style update: new arrays (parameters, then each state) from copies, the inputs untouched, under
    :func:`deepstep.errors.finite_result` (finite inputs that overflow are refused, naming the largest)."""
    def step() -> list[dict[str, Array]]:
        new, *state, g = copies(parameters, *states.values(), grads)
        for key, P in new.items():
            kernel(P, g["d" + key], *(s["d" + key] for s in state))
        return [new, *state]

    given = {name: {"d" + k: d["d" + k] for k in parameters} for name, d in {"grads": grads, **states}.items()}
    return finite_result(step, function, parameters=dict(parameters), **given, **hyper)


def initialize_velocity(parameters: Mapping[str, Array]) -> dict[str, Array]:
    """v["dW{l}"], v["db{l}"]: zeros of W[l]'s and b[l]'s shapes, for momentum."""
    return _zeros(parameters)


def initialize_rmsprop(parameters: Mapping[str, Array]) -> dict[str, Array]:
    """s["dW{l}"], s["db{l}"]: zeros of W[l]'s and b[l]'s shapes, for RMSprop."""
    return _zeros(parameters)


def initialize_adam(parameters: Mapping[str, Array]) -> tuple[dict[str, Array], dict[str, Array]]:
    """(v, s): zeros of every parameter's shape under "dW{l}", "db{l}", for Adam."""
    return _zeros(parameters), _zeros(parameters)


def update_parameters_with_momentum(
    parameters: Mapping[str, Array], grads: Mapping[str, Array], v: Mapping[str, Array], beta: float,
    learning_rate: float,
) -> tuple[dict[str, Array], dict[str, Array]]:
    """One momentum step: v = beta v + (1 - beta) dP, P = P - alpha v, for every P.

    Parameters
    ----------
    parameters : dict
        "W{l}" (n[l], n[l-1]), "b{l}" (n[l], 1).
    grads : dict
        "dW{l}", "db{l}" of the same shapes.
    v : dict
        The velocity, "dW{l}", "db{l}" (:func:`initialize_velocity`).
    beta : float
        0 <= beta < 1.
    learning_rate : float

    Returns
    -------
    (parameters, v) : new dicts; the inputs are left untouched.
    """
    check_parameters(parameters)
    beta = check_beta(beta, "beta")
    lr = check_learning_rate(learning_rate)
    check_grads(parameters, grads)
    check_grads(parameters, v, "v")
    new, vel = course_step("update_parameters_with_momentum",
                            lambda P, dP, v: momentum_kernel(P, dP, v, beta, lr),
                            parameters, grads, {"v": v}, beta=beta, learning_rate=lr)
    return new, vel


def update_parameters_with_rmsprop(
    parameters: Mapping[str, Array], grads: Mapping[str, Array], s: Mapping[str, Array], beta2: float = 0.999,
    learning_rate: float = 0.01, epsilon: float = 1e-8,
) -> tuple[dict[str, Array], dict[str, Array]]:
    """One RMSprop step: s = beta2 s + (1 - beta2) dP^2, P = P - alpha dP / (sqrt(s) + epsilon).

    Returns new (parameters, s); the inputs are left untouched.
    """
    check_parameters(parameters)
    beta2 = check_beta(beta2, "beta2")
    lr = check_learning_rate(learning_rate)
    eps = check_epsilon(epsilon)
    check_grads(parameters, grads)
    check_grads(parameters, s, "s", nonnegative=True)
    new, sq = course_step("update_parameters_with_rmsprop",
                           lambda P, dP, s: rmsprop_kernel(P, dP, s, beta2, eps, lr),
                           parameters, grads, {"s": s}, beta2=beta2, learning_rate=lr, epsilon=eps)
    return new, sq


def update_parameters_with_adam(
    parameters: Mapping[str, Array], grads: Mapping[str, Array], v: Mapping[str, Array], s: Mapping[str, Array],
    t: int, learning_rate: float = 0.01, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
) -> tuple[dict[str, Array], dict[str, Array], dict[str, Array]]:
    """One Adam step (the course's formulas, bias correction included).

    Parameters
    ----------
    parameters, grads : dict
        "W{l}", "b{l}" and "dW{l}", "db{l}" of the same shapes.
    v, s : dict
        First and second moment estimates, "dW{l}", "db{l}" (:func:`initialize_adam`).
    t : int
        The number of this update, from 1.
    learning_rate, beta1, beta2, epsilon : float

    Returns
    -------
    (parameters, v, s) : new dicts; the inputs are left untouched.
    """
    check_parameters(parameters)
    t = check_number(t, "t", low=1, integer=True, expected="the update count, an integer >= 1")
    beta1, beta2 = check_beta(beta1, "beta1"), check_beta(beta2, "beta2")
    lr = check_learning_rate(learning_rate)
    eps = check_epsilon(epsilon)
    check_grads(parameters, grads)
    check_grads(parameters, v, "v")
    check_grads(parameters, s, "s", nonnegative=True)
    t = min(t, 2**64)  # from here on beta**t is 0.0 for every float beta < 1: the same update, and no OverflowError
    new, vel, sq = course_step("update_parameters_with_adam",
                                lambda P, dP, v, s: adam_kernel(P, dP, v, s, t, beta1, beta2, eps, lr),
                                parameters, grads, {"v": v, "s": s}, learning_rate=lr, beta1=beta1, beta2=beta2,
                                epsilon=eps)
    return new, vel, sq
