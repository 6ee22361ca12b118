"""The run settings, each declared once: its name, type, default, bounds, what takes it, its help, and how the
command line and a sweep take it.

Everything else is derived from :data:`TABLE`: the flags of ``deepstep train`` and the list-valued flags of
``deepstep sweep`` (:mod:`deepstep.apps.cli.common`), the sweep's :data:`deepstep.sweep.SETTINGS` and
:data:`deepstep.sweep.DEFAULTS` and its checks, the optimizer built from flags (:func:`optimizer_from`), the
estimators' parameter checks (:mod:`deepstep.sklearn`) and the playground's form checks
(:func:`deepstep.playground.check_settings`).  A number's bounds are checked by the one function
:func:`deepstep.errors.check_number`, so every entry point refuses the same values, naming the argument as it
spells it (``learning_rate``, ``--learning-rate``, ``fixed['learning_rate']``).

Adding a setting: one :class:`Setting` row here (its place in the tuple is its column in a sweep's table), and
its use where a run is made (``DeepNetwork``, ``fit``, the optimizer).

>>> SETTINGS["beta2"].check(0.99)
0.99
>>> SETTINGS["beta2"].check(1.0, "--beta2")
Traceback (most recent call last):
...
deepstep.errors.DeepstepError: --beta2: expected a number with 0 <= beta2 < 1 such as 0.9, got 1.0
>>> SETTINGS["beta2"].optimizers
('adam', 'rmsprop')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.activations import get_activation, get_hidden_activation, hidden_activation_names
from ..core.initialization import INITS, as_dtype
from ..core.optimizers import OPTIMIZERS, Optimizer, build_optimizer
from ..core.schedules import SCHEDULES
from ..core.tasks import task_for
from ..errors import DeepstepError, _describe, check_number
from .loop import METHODS

__all__ = ["HYPERPARAMETERS", "SETTINGS", "TABLE", "Setting", "optimizer_from", "sweep_columns", "sweep_defaults"]

_SAME = object()  # Setting.cli_default: the same as the default


@dataclass(frozen=True)
class Setting:
    """One run setting.

    Attributes
    ----------
    name : str
        Its keyword (``fit``, ``DeepNetwork``, a sweep's settings, the estimators, the playground).
    kind : type
        ``float``, ``int``, ``str`` (a name), ``bool`` or ``tuple`` (hidden sizes).
    default : Any
        The value a run takes when it is not given (None: not given; the optimizer's own default).
    help : str
        What it does, for ``--help`` and the docs.
    takes : str
        What takes it: "network" (DeepNetwork), "fit", "optimizer" (a hyperparameter), "schedule", "split"
        (the validation hold-out), "seed".
    low, high, low_inclusive, high_inclusive : optional
        A number's bounds, checked by :func:`deepstep.errors.check_number`.
    expected : str, optional
        A number's expected value in words ("{name}" is replaced by :attr:`name`).
    choices : tuple of str, optional
        A name's choices (lower case).
    optional : bool
        None is a value (not given).
    optimizers : tuple of str
        For an optimizer hyperparameter: the optimizers that take it.
    flag : str, optional
        Its command-line flag, when it is not ``--name-with-dashes`` (``--iterations``).
    aliases : tuple of str
        Other spellings of the flag (``--epochs`` for ``--iterations``).
    train : bool
        A flag of ``deepstep train``.
    sweep : {"list", "single", ""}
        How ``deepstep sweep`` takes it: a comma-separated list (and a column of the sweep's table), one value
        for every run, or not at all.
    column : bool
        A setting of :func:`deepstep.sweep.sweep` (a column of its table) even without a flag.
    cli_default : Any
        The train flag's default, where it is not ``default`` (None: the data set's preset decides).
    cli_expected : str, optional
        How the command line says what it expected of the flag's text ("a positive number").
    metavar, sweep_help : str, optional
        The flag's metavar; the sweep flag's help (default: ``help``).
    special : callable, optional
        ``special(value, name)``: the check of a setting that is not a number or one of ``choices`` (hidden sizes,
        an activation, a dtype, keep_prob per layer).
    """

    name: str
    kind: type
    default: Any
    help: str
    takes: str = "fit"
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    expected: str | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False
    optimizers: tuple[str, ...] = ()
    flag: str | None = None
    train: bool = True
    sweep: str = "list"
    column: bool = False
    cli_default: Any = _SAME
    cli_expected: str | None = None
    metavar: str | None = None
    sweep_help: str | None = None
    special: Callable[[Any, str], Any] | None = None
    aliases: tuple[str, ...] = ()

    # -- the names ---------------------------------------------------------------------------------------------
    @property
    def option(self) -> str:
        """The command-line flag ("--learning-rate")."""
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        """Where argparse stores the flag's value ("learning_rate"; "iterations" for --iterations)."""
        return self.option.lstrip("-").replace("-", "_")

    @property
    def train_default(self) -> Any:
        """The default of the ``deepstep train`` flag (None: the preset's, or decided from the data)."""
        return self.default if self.cli_default is _SAME else self.cli_default

    @property
    def in_sweep(self) -> bool:
        """A setting of :func:`deepstep.sweep.sweep` (a column of its table)."""
        return self.sweep == "list" or self.column

    # -- the checks ---------------------------------------------------------------------------------------------
    def check(self, value: Any, name: str | None = None) -> Any:
        """``value`` checked, in its canonical form (a Python float or int, a lower-case name, ...).

        Parameters
        ----------
        value : Any
            What was given.
        name : str, optional
            How the caller spells the setting ("--learning-rate", "fixed['l2']"); default :attr:`name`.

        Raises
        ------
        DeepstepError
            Naming ``name``, what was expected and what came.
        """
        name = name or self.name
        if value is None and self.optional:
            return None
        if self.special is not None:
            return _renamed(lambda: self.special(value, self.name), self.name, name)
        if self.choices is not None:
            if not isinstance(value, str) or value.lower() not in self.choices:
                raise DeepstepError(f"{name}: expected one of {list(self.choices)}, got {_describe(value)}")
            return value.lower()
        return self._number(value, name)

    def _number(self, value: Any, name: str) -> Any:
        expected = None if self.expected is None else self.expected.format(name=self.name)
        return check_number(value, name, low=self.low, high=self.high, low_inclusive=self.low_inclusive,
                            high_inclusive=self.high_inclusive, integer=self.kind is int, expected=expected)

    def from_text(self, text: str) -> Any:
        """The value of a flag's text (one item of a list), checked; DeepstepError naming the flag otherwise,
        saying :attr:`cli_expected` where there is one ("--keep-prob: expected a probability ..., got '0'")."""
        try:
            if self.kind is tuple:
                value: Any = _hidden_text(text)
            elif self.kind is bool:  # a sweep's list of switches: on,off (true/false, yes/no)
                words = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}
                if text.lower() not in words:
                    raise DeepstepError(f"{self.option}: expected on or off, got {text!r}")
                value = words[text.lower()]
            elif self.kind in (int, float):
                value = self.kind(text)
            else:
                value = text.lower() if self.choices is not None else text
            return self.check(value, self.option)
        except (ValueError, TypeError) as exc:  # DeepstepError is a ValueError
            if self.cli_expected is None and isinstance(exc, DeepstepError):
                raise
            if self.cli_expected is None:
                return self.check(text, self.option)  # refused, saying what is expected
            raise DeepstepError(f"{self.option}: expected {self.cli_expected}, got {text!r}") from None


def _renamed(check: Callable[[], Any], own: str, name: str) -> Any:
    """``check()``, its DeepstepError ("own: ...") about ``name`` instead."""
    try:
        return check()
    except DeepstepError as exc:
        if name == own:
            raise
        head, sep, rest = str(exc).partition(": ")
        raise DeepstepError(f"{name}: {rest if sep and ' ' not in head else exc}") from None


def _hidden_text(text: str) -> tuple[int, ...]:
    """"4" (one hidden layer of 4 units), "20-7-5" (three), "none" (none)."""
    if text.lower() == "none":
        return ()
    sizes = tuple(int(t) for t in text.split("-"))
    if any(n <= 0 for n in sizes):
        raise ValueError(text)
    return sizes


def _hidden(value: Any, name: str) -> tuple[int, ...]:
    sizes = [value] if not isinstance(value, (Sequence, np.ndarray)) or isinstance(value, str) else list(value)
    if isinstance(value, (str, bytes)) or any(isinstance(n, bool) or not isinstance(n, (int, np.integer))
                                              for n in sizes):
        raise DeepstepError(f"{name}: expected a hidden size (an int >= 1) or a tuple of them, got {_describe(value)}")
    return tuple(check_number(n, name, low=1, integer=True, expected="hidden sizes >= 1") for n in sizes)


def _output_activation(value: Any, name: str) -> str:
    if value == "auto":
        return "auto"
    chosen = get_activation(value, name).name
    task_for(chosen)  # an output activation with a cost: sigmoid, softmax, linear
    return chosen


def _standardize(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise DeepstepError(f"{name}: expected True or False, got {_describe(value)}")
    return bool(value)


def _keep_prob(value: Any, name: str) -> float | tuple[float, ...]:
    def one(p: Any) -> float:
        return check_number(p, name, low=0, low_inclusive=False, high=1, expected=f"numbers with 0 < {name} <= 1")
    if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str):
        if len(value) == 0:
            raise DeepstepError(f"{name}: expected a number with 0 < {name} <= 1, or one per hidden layer, got an "
                                "empty list")
        return tuple(one(p) for p in value)
    return one(value)


def _beta(name: str, optimizers: tuple[str, ...], help: str) -> Setting:
    return Setting(name, float, None, help, takes="optimizer", low=0, high=1, high_inclusive=False,
                   expected="a number with 0 <= {name} < 1 such as 0.9", optional=True, optimizers=optimizers,
                   cli_expected=f"a number with 0 <= {name} < 1 such as 0.9")


TABLE: tuple[Setting, ...] = (
    Setting("hidden", tuple, (16,), "hidden sizes: 1,2,3,4,5,20,50 or 20-7-5,10 (none: no hidden layer)",
            takes="network", special=_hidden, train=False, cli_expected="hidden sizes such as 4 or 20-7-5 (or none)"),
    Setting("hidden_activation", str, "relu", f"{', '.join(hidden_activation_names())} or leaky_relu:SLOPE",
            takes="network",
            special=lambda v, name: get_hidden_activation(v).name, cli_default=None,
            sweep_help="e.g. relu,tanh (leaky_relu:SLOPE too)"),
    Setting("output_activation", str, "auto", "the output activation: auto (sigmoid for labels 0/1, softmax for "
            "more classes), sigmoid, softmax or linear", takes="network", special=_output_activation, train=False,
            sweep="", column=True),
    Setting("init", str, "auto", "the initial weights", takes="network", choices=("auto", *INITS), cli_default=None,
            sweep_help="e.g. he,xavier (auto, small, zeros)"),
    Setting("dtype", str, "float64", "the floating-point type the network computes in", takes="network",
            choices=("float64", "float32"), special=lambda v, name: as_dtype(v).name,
            sweep_help="float64 and/or float32"),
    Setting("standardize", bool, False, "standardize the features with the training set's mean and standard "
            "deviation, kept in the model (default: on for .csv/.npz files, off for the built-in sets)",
            takes="network", special=_standardize, sweep="single", column=True, cli_default=None),
    Setting("batch_norm", bool, False, "batch normalization on every hidden layer: Z~ = gamma (Z - mu) / "
            "sqrt(sigma^2 + epsilon) + beta with the mini-batch's mu and sigma^2 (their running averages in "
            "prediction); gamma and beta replace b (default off; a resumed model keeps its own)", takes="network",
            special=_standardize, cli_default=None, sweep_help="on, off, or on,off to compare"),
    Setting("optimizer", str, "gd", "gd: W -= alpha dW; momentum: v = beta v + (1-beta) dW, W -= alpha v; rmsprop: "
            "s = beta2 s + (1-beta2) dW^2, W -= alpha dW/(sqrt(s)+epsilon); adam: both, bias-corrected (default gd)",
            takes="optimizer", choices=tuple(OPTIMIZERS), sweep_help="e.g. gd,momentum,rmsprop,adam"),
    Setting("learning_rate", float, 0.0075, "alpha, the step of each update", low=0, low_inclusive=False,
            cli_default=None, cli_expected="a positive number", sweep_help="e.g. 0.01,0.001,0.0001"),
    Setting("num_iterations", int, 2500, "epochs: passes over the training set (full batch: one iteration, one "
            "update, each; with --batch-size one update per mini-batch); --epochs and --iterations are one flag",
            flag="--iterations", aliases=("--epochs",), low=1, cli_default=None, cli_expected="a positive integer",
            metavar="EPOCHS"),
    Setting("batch_size", int, None, "mini-batch size (default: the whole set)", low=1, optional=True,
            expected="a positive integer or None", cli_expected="a positive integer",
            sweep_help="mini-batch sizes (default: the whole set)"),
    Setting("l2", float, 0.0, "L2 regularization: J + (lambda/2m) sum ||W||^2 (default 0)", low=0,
            expected="lambda, a finite number >= 0", cli_expected="a finite number >= 0", metavar="LAMBDA",
            sweep_help="L2 regularization lambda"),
    Setting("keep_prob", float, 1.0, "inverted dropout on the hidden layers, keeping each unit with probability P "
            "(default 1)", special=_keep_prob, cli_expected="a probability with 0 < P <= 1 such as 0.8", metavar="P",
            sweep_help="dropout keep probability of the hidden layers"),
    _beta("beta", ("momentum",), "momentum's beta (default 0.9)"),
    _beta("beta1", ("adam",), "Adam's beta1 (default 0.9)"),
    _beta("beta2", ("adam", "rmsprop"), "Adam's and RMSprop's beta2 (default 0.999)"),
    Setting("epsilon", float, None, "Adam's and RMSprop's epsilon (default 1e-8)", takes="optimizer", low=0,
            low_inclusive=False, expected="a small positive number such as 1e-8", optional=True,
            optimizers=("adam", "rmsprop"), cli_expected="a positive number"),
    Setting("schedule", str, None, "learning-rate decay (default inverse_time with --lr-decay): inverse_time: "
            "alpha0/(1+RATE*floor(e/N)); exponential: alpha0*RATE^(e/N); step: alpha0*RATE^floor(e/N)",
            takes="schedule", choices=tuple(SCHEDULES), optional=True,
            sweep_help=f"learning-rate decay: {', '.join(SCHEDULES)}"),
    Setting("lr_decay", float, None, "the schedule's decay rate", takes="schedule", low=0, optional=True,
            cli_expected="a finite number >= 0", metavar="RATE"),
    Setting("lr_decay_every", int, None, "the schedule's interval N (default 1)", takes="schedule", low=1,
            optional=True, cli_expected="a positive integer", metavar="N", sweep_help="the schedule's interval"),
    Setting("early_stopping", int, None, "stop when the validation cost has not improved for PATIENCE iterations, "
            "and keep the best parameters (needs --validation-fraction)", low=1, optional=True,
            cli_expected="a positive integer", metavar="PATIENCE",
            sweep_help="patience (needs --validation-fraction)"),
    Setting("method", str, "auto", "how full-batch training treats the first layer: 'gram' keeps W[1] X and updates "
            "it with X^T X (fewer examples than features), 'plain' is the textbook loop, 'auto' (default) takes "
            "'gram' where it does less arithmetic; all give the same gradient descent", choices=METHODS,
            sweep_help=f"first-layer method: {', '.join(METHODS)}"),
    Setting("validation_fraction", float, None, "hold out F of the training set (per class) and score it after "
            "every iteration", takes="split", low=0, high=1, low_inclusive=False, high_inclusive=False,
            expected="a number with 0 < {name} < 1 such as 0.2", optional=True,
            cli_expected="a number between 0 and 1 such as 0.2", metavar="F", sweep="single"),
    Setting("seed", int, 1, "seeds the initial weights, shuffles, the validation hold-out and toy data (default 1)",
            takes="seed", low=0, high=2**32 - 1, expected="a seed from 0 to 2**32 - 1",
            cli_expected="a seed from 0 to 2**32 - 1", sweep="single"),
)
"""Every run setting, once; in the order of the columns of a sweep's table."""

SETTINGS: dict[str, Setting] = {s.name: s for s in TABLE}
"""The rows of :data:`TABLE` by name."""

HYPERPARAMETERS: tuple[str, ...] = tuple(s.name for s in TABLE if s.optimizers)
"""The optimizers' own settings (each row says which optimizers take it)."""


def sweep_columns() -> tuple[str, ...]:
    """The settings of a sweep, in the order of its table's columns (:data:`deepstep.sweep.SETTINGS`)."""
    return tuple(s.name for s in TABLE if s.in_sweep)


def sweep_defaults() -> dict[str, Any]:
    """Each sweep setting's default (:data:`deepstep.sweep.DEFAULTS`)."""
    return {s.name: s.default for s in TABLE if s.in_sweep}


def optimizer_from(values: Mapping[str, Any], flag: Callable[[str], str] = str) -> Optimizer:
    """The optimizer that settings ask for: ``values["optimizer"]`` with the rows that feed it (its
    hyperparameters, the schedule); a value missing or None is not given.

    A hyperparameter its optimizer does not take (``beta`` with "adam"), or a decay rate with the constant
    schedule, is refused, naming ``flag(name)`` (:func:`deepstep.optimizers.build_optimizer`).
    """
    return build_optimizer(values.get("optimizer") or "gd", schedule=values.get("schedule"),
                           lr_decay=values.get("lr_decay"), lr_decay_every=values.get("lr_decay_every"), flag=flag,
                           **{k: values.get(k) for k in HYPERPARAMETERS})
