"""What the subcommands of ``deepstep`` share: the one-line errors, the parser, the argument types, the flags
of the run settings (made from :data:`deepstep.training.settings.TABLE`), the presets, building a network from
flags, the validation hold-out and the output folders.

A subcommand module imports this module only (never the package's ``__init__`` nor another subcommand); a
subcommand that runs another one (``demo`` runs ``train``) calls ``args.run_command(argv)``, which the
dispatcher (:func:`deepstep.apps.cli.main`) sets.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ...data.split import validation_split
from ...errors import DeepstepError
from ...limits import check_parameter_count
from ...model.network import DeepNetwork
from ...training.settings import SETTINGS, TABLE, Setting, optimizer_from

__all__ = ["DEFAULT_PRESET", "PRESETS", "Parser", "UsageError", "add_setting_flags", "beta_arg", "delimiter_arg",
           "training_weights",
           "error_line", "fraction_arg", "keep_prob_arg", "layers_arg", "nonnegative_float", "nonnegative_int",
           "optimizer_of", "positive_float", "positive_int", "seed_arg", "setting_type", "size_arg"]

load_model = DeepNetwork.load

# Settings that work for each built-in data set, used where a flag is not given.
PRESETS: dict[str, dict[str, Any]] = {
    "planar": {"hidden": [4], "hidden_activation": "tanh", "init": "auto", "learning_rate": 1.2, "iterations": 10000},
    "cats": {"hidden": [20, 7, 5], "hidden_activation": "relu", "init": "xavier", "learning_rate": 0.0075,
             "iterations": 2500},
    "moons": {"hidden": [8], "hidden_activation": "tanh", "init": "auto", "learning_rate": 1.0, "iterations": 3000},
    "circles": {"hidden": [8], "hidden_activation": "tanh", "init": "auto", "learning_rate": 1.0, "iterations": 3000},
    "blobs": {"hidden": [8], "hidden_activation": "tanh", "init": "auto", "learning_rate": 1.0, "iterations": 3000},
}
DEFAULT_PRESET = {"hidden": [16], "hidden_activation": "relu", "init": "auto", "learning_rate": 0.01,
                  "iterations": 2000}


class UsageError(DeepstepError):
    """A command-line argument is wrong."""


def error_line(prog: str, message: str) -> str:
    """The one line every error of the command prints: "PROG: error: MESSAGE", where line breaks and other
    unprintable characters of the message (a file name, an argument as typed) are escaped as Python writes
    them in a string ("a\\nb"), so that the message stays on one line."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return f"{prog}: error: {text}\n"


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, error_line(self.prog, f"{message} (see {self.prog} --help)"))


def layers_arg(text: str) -> list[int]:
    """Parse "12288,20,7,5,1" into a list of positive ints."""
    try:
        dims = [int(t) for t in text.split(",")]
    except ValueError:
        dims = []
    if len(dims) < 2 or min(dims) <= 0:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers like 12288,20,7,5,1, got {text!r}"
        )
    return dims


def _number(text: str, convert: Callable[[str], Any], ok: Callable[[Any], bool], expected: str) -> Any:
    """``convert(text)`` where it succeeds and passes ``ok``; else argparse's one-line error."""
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_float(text: str) -> float:
    return _number(text, float, lambda v: math.isfinite(v) and v > 0, "a positive number")


def error_rate_arg(text: str) -> float:
    """--baseline-error: an error rate from 0 to 1."""
    return _number(text, float, lambda v: math.isfinite(v) and 0 <= v <= 1, "an error rate from 0 to 1 (0.02 for 2%)")


def fraction_arg(text: str) -> float:
    """A fraction 0 < F < 1 (the table's validation_fraction bounds): --validation-fraction."""
    return setting_type(SETTINGS["validation_fraction"])(text)


def test_fraction_arg(text: str) -> float:
    """--test-fraction: 0 (no test set: every example trains) or a fraction 0 < F < 1."""
    try:
        if float(text) == 0:
            return 0.0
    except ValueError:
        pass
    return fraction_arg(text)


def size_arg(text: str) -> tuple[int, int]:
    """Parse "64x64" (height x width) into (64, 64); each side from 1 to 4096 (limits.MAX_IMAGE_SIDE)."""
    from ...limits import MAX_IMAGE_SIDE

    try:
        height, width = (int(t) for t in text.lower().split("x"))
    except ValueError:  # not two integers (or one of more than 4300 digits)
        height = width = 0
    if not (0 < height <= MAX_IMAGE_SIDE and 0 < width <= MAX_IMAGE_SIDE):
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH in pixels such as 64x64, from 1x1 to "
                                         f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}, got {text!r}")
    return height, width


def seed_arg(text: str) -> int:
    """A seed from 0 to 2**32 - 1 (the table's seed)."""
    return setting_type(SETTINGS["seed"])(text)


def positive_int(text: str) -> int:
    return _number(text, int, lambda v: v > 0, "a positive integer")


def nonnegative_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 0, "a whole number >= 0")


def nonnegative_float(text: str) -> float:
    return _number(text, float, lambda v: math.isfinite(v) and v >= 0, "a finite number >= 0")


def keep_prob_arg(text: str) -> float:
    """A keep probability 0 < P <= 1 (the table's keep_prob)."""
    return setting_type(SETTINGS["keep_prob"])(text)


def delimiter_arg(text: str) -> str:
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1 or text in '"\r\n':
        raise argparse.ArgumentTypeError(f"expected one character such as ',' or ';' (or 'tab'), got {text!r}")
    return text


def beta_arg(text: str) -> float:
    """A momentum coefficient 0 <= beta < 1 (the table's beta)."""
    return setting_type(SETTINGS["beta"])(text)



def _outputs(data) -> tuple[int, str]:
    """n[L] and what it is for: one unit per target (regression), 1 for two classes, else one per class."""
    if data.task == "regression":
        return data.train_Y.shape[0], f"{data.train_Y.shape[0]} real-valued target(s)"
    n_classes = len(data.classes)
    return (1 if n_classes <= 2 else n_classes), f"{n_classes} classes"


def _standardizes(args: argparse.Namespace, name: Any) -> bool:
    """--standardize / --no-standardize, else on for the features of a .csv or .npz table and a folder of pictures
    (the course's cat pictures keep its / 255)."""
    if args.standardize is not None:
        return bool(args.standardize)
    from ...data.datasets import DATASET_NAMES, resolve_name

    if resolve_name(name) in DATASET_NAMES:
        return False
    return str(name).lower().endswith((".csv", ".npz", ".parquet")) or Path(str(name)).expanduser().is_dir()


def _build_network(args: argparse.Namespace, data: Any, preset: dict[str, Any], dtype: str | None = None
                   ) -> DeepNetwork:
    """The network the flags (--layers, --hidden-activation, --init, --seed, --dtype, --standardize, --batch-norm)
    ask for on
    ``data``, the preset filling what is not given; ``dtype`` where the command has no --dtype."""
    n_x = data.train_X.shape[0]
    n_out, what = _outputs(data)
    dims = args.layers or [n_x, *preset["hidden"], n_out]
    if dims[0] != n_x:
        raise UsageError(f"--layers: expected the first size to be {n_x} (the features of {data.name}), got {dims[0]}")
    if dims[-1] != n_out:
        raise UsageError(f"--layers: expected the last size to be {n_out} for {what}, got {dims[-1]}")
    check_parameter_count(dims, "--layers")
    # the output each cost pairs with: cross-entropy (sigmoid, softmax), squared error (linear)
    output = "linear" if data.task == "regression" else "sigmoid" if n_out == 1 else "softmax"
    return DeepNetwork(dims, args.hidden_activation or preset["hidden_activation"], output,
                       init=args.init or preset["init"], rng=args.seed, dtype=dtype or args.dtype,
                       standardize=_standardizes(args, data.name), batch_norm=bool(getattr(args, "batch_norm", False)))


def _dataset_key(name: str) -> str:
    """How a model file names its data set: a built-in name, or the absolute path of a file or folder."""
    from ...data.datasets import DATASET_NAMES, resolve_name

    name = resolve_name(name)
    return name if name in DATASET_NAMES else str(Path(name).expanduser().resolve())


def _default_out(name: str) -> Path:
    """runs/NAME for a built-in data set; runs/STEM-SUFFIX (or STEM-folder) for a file or folder of yours."""
    from ...data.datasets import DATASET_NAMES, resolve_name

    name = resolve_name(name)
    if name in DATASET_NAMES:
        return Path("runs") / name
    path = Path(name)
    return Path("runs") / f"{path.stem}-{path.suffix.lstrip('.').lower() or 'folder'}"


def _output_folder(out: Path) -> Path:
    """Create --out before training, so that a bad one is found in a second, not after the run."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: expected a folder for the model, metrics and plots, got {str(out)!r}, a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out: cannot create the folder {str(out)!r} ({exc.strerror})") from None
    return out


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _is_table(name: Any) -> bool:
    """Whether the data set ``name`` is a .csv or .parquet table: one with named columns (a label, weight or feature
    column chosen by name)."""
    return str(name).lower().endswith((".csv", ".parquet"))


def check_weight_column(weight_column: str | None, name: Any) -> None:
    """--weight-column takes the weights from a column of a table: refused by name for any other data set."""
    if weight_column is not None and not _is_table(name):
        raise UsageError(f"--weight-column: expected a .csv or .parquet table to take the weights from, got {name}")


def _load_data(args: argparse.Namespace, name: Any) -> Any:
    """The data set the flags name, split as --seed and --test-fraction (or --test-data) say: what train and sweep
    load alike."""
    from ...data.datasets import load_dataset

    check_weight_column(getattr(args, "weight_column", None), name)
    return load_dataset(name, rng=args.seed, test_fraction=args.test_fraction, image_size=args.image_size,
                        label_column=args.label_column, task=args.task, delimiter=args.delimiter,
                        test_data=args.test_data, columns=getattr(args, "columns", None),
                        drop_columns=getattr(args, "drop_columns", None),
                        weight_column=getattr(args, "weight_column", None))


def _hold_out(args: argparse.Namespace, data: Any, rule: int | None = None
              ) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """The training set less --validation-fraction of it (per class; one group for regression), and the examples
    held out: :func:`deepstep.data.split.validation_split` with --seed, the one hold-out rule (``fit`` and a sweep
    hold out the same examples), so that --resume (and a sweep) holds out the same ones."""
    return _split_held(data, _held_out(args, data, rule))


def _split_held(data: Any, held: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """(training X, Y, validation pair or None) of the training set less ``held``."""
    train_X, train_Y = data.train_X, data.train_Y
    if held is None:
        return train_X, train_Y, None
    return train_X[:, ~held], train_Y[:, ~held], (train_X[:, held], train_Y[:, held])


def _held_out(args: argparse.Namespace, data: Any, rule: int | None = None) -> np.ndarray | None:
    """The mask of the training examples --validation-fraction holds out (None without it)."""
    if args.validation_fraction is None:
        return None
    groups = data.train_Y[0] if data.task == "classification" else np.zeros(data.train_Y.shape[1])
    try:
        return validation_split(groups, args.validation_fraction, args.seed, "--validation-fraction",
                                **({} if rule is None else {"rule": rule}))
    except DeepstepError as exc:
        raise UsageError(str(exc)) from None


def class_weight_of(args: argparse.Namespace, data: Any) -> str | dict[int, float] | None:
    """--class-weight as :func:`deepstep.data.labels.class_weights` takes it: "balanced" (class c: m / (k m_c) over the
    examples trained on, scikit-learn's rule), or class index -> weight from NAME=W,... by class name; None without
    it."""
    spec = getattr(args, "class_weight", None)
    if spec is None:
        return None
    if data.task != "classification":
        raise UsageError("--class-weight: weighs classes; this data set's task is regression")
    if spec == "balanced":
        return "balanced"
    per_class: dict[int, float] = {}
    for item in spec.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in data.classes:
            raise UsageError(f"--class-weight: expected 'balanced' or CLASS=WEIGHT,... with classes among "
                             f"{list(data.classes)}, got {name!r}")
        try:
            w = float(value)
        except ValueError:
            w = -1.0
        if not np.isfinite(w) or w < 0:
            raise UsageError(f"--class-weight: expected a weight >= 0 for class {name!r}, got {value!r}")
        per_class[data.classes.index(name)] = w
    return per_class


def weight_column_of(data: Any, held: np.ndarray | None) -> np.ndarray | None:
    """--weight-column's weights of the examples a run trains on (the training set less ``held``, the mask
    :func:`_held_out` gave), or None without the column."""
    weights = data.train_weights
    return weights if weights is None or held is None else weights[~held]


def training_weights(args: argparse.Namespace, data: Any, held: np.ndarray | None) -> np.ndarray | None:
    """The weights of the examples a run trains on (the training set less ``held``, the mask :func:`_held_out`
    gave): --weight-column's (:func:`weight_column_of`), times --class-weight's (:func:`class_weight_of`)."""
    from ...data.labels import class_weights

    weights = weight_column_of(data, held)
    spec = class_weight_of(args, data)
    if spec is None:
        return weights
    labels = data.train_Y[0] if held is None else data.train_Y[0][~held]
    out = class_weights(spec, labels, len(data.classes))[labels]
    return out if weights is None else out * weights


def _check_examples(dims: list[int], m: int) -> None:
    """-m random examples through --layers: X and the activations hold sum(n[l]) * m values, at most
    deepstep.limits.MAX_VALUES (checked before anything is drawn)."""
    from ... import limits

    per_example = sum(dims)
    if per_example * m > limits.MAX_VALUES:
        raise UsageError(f"-m: expected at most {limits.MAX_VALUES // per_example} examples for --layers "
                         f"{','.join(map(str, dims))} (X and the activations hold sum(n[l]) * m values, at most "
                         f"{limits.MAX_VALUES}, deepstep.limits.MAX_VALUES), got {m}")



# -- the run settings' flags (from the one table) ----------------------------------------------------------------
def setting_type(setting: Setting) -> Callable[[str], Any]:
    """The argparse type of a setting's flag: its text read and checked by the table
    (:meth:`deepstep.training.settings.Setting.from_text`); argparse's one-line error naming the flag otherwise."""
    def parse(text: str) -> Any:
        try:
            return setting.from_text(text)
        except DeepstepError as exc:
            raise argparse.ArgumentTypeError(str(exc).partition(": ")[2]) from None
    parse.__name__ = setting.name  # argparse names the type in some messages
    return parse


def _list_type(setting: Setting) -> Callable[[str], list]:
    """A sweep flag: one value or a comma-separated list of them, each read and checked as the table says (so that
    a bad value stops the command before any run); a number setting's item may be a range drawn from for each run
    (``log:1e-4..1``, ``lin:0.9..0.999``, ``1-log:1e-3..1e-1``: :class:`deepstep.apps.sweep.Range`)."""
    from ..sweep.settings import Range, check_range

    def parse(text: str) -> list:
        items = [t.strip() for t in text.split(",")]
        if not all(items):
            raise argparse.ArgumentTypeError(f"expected a comma-separated list without empty items, got {text!r}")
        values: list = []
        seen: set = set()
        for item in items:
            if setting.kind is not float and (item.partition(":")[0] in Range.SCALES or ".." in item):
                raise argparse.ArgumentTypeError(
                    f"ranges ({item!r}) are for settings of real numbers such as --learning-rate or --l2; give this "
                    "one a comma-separated list of values")
            try:
                drawn = Range.parse(item) if setting.kind is float else None  # log:1e-4..1, lin:A..B, 1-log:A..B
                values.append(setting.from_text(item) if drawn is None else check_range(setting.name, drawn,
                                                                                       setting.option))
            except DeepstepError as exc:  # the item named, unless the message quotes it ("expected ..., got '0'")
                why = str(exc).partition(": ")[2]
                raise argparse.ArgumentTypeError(why if setting.cli_expected else f"{item!r}: {why}") from None
            if values[-1] in seen:
                raise argparse.ArgumentTypeError(f"{item!r} is in the list twice, got {text[:200]!r}")
            seen.add(values[-1])
        return values
    parse.__name__ = setting.name
    return parse


def add_setting_flags(parser: argparse.ArgumentParser, settings: Iterable[Setting], lists: bool = False) -> None:
    """The flags of ``settings`` (rows of the table) on ``parser``: one value each (``deepstep train``), or with
    ``lists`` a comma-separated list each (``deepstep sweep``; not given: None)."""
    for s in settings:
        if s.kind is bool and not lists:
            parser.add_argument(s.option, *s.aliases, dest=s.dest, action=argparse.BooleanOptionalAction,
                                default=s.train_default, help=s.help)
        elif lists:
            parser.add_argument(s.option, *s.aliases, dest=s.dest, type=_list_type(s), help=s.sweep_help or s.help,
                                metavar=f"{s.dest.upper()}[,...]")
        elif s.choices is not None:
            parser.add_argument(s.option, *s.aliases, dest=s.dest, choices=list(s.choices), default=s.train_default,
                                help=s.help)
        else:
            parser.add_argument(s.option, *s.aliases, dest=s.dest, type=None if s.kind is str else setting_type(s),
                                default=s.train_default, help=s.help, metavar=s.metavar)


def train_settings() -> list[Setting]:
    """The rows of the table that are flags of ``deepstep train``, in the table's order."""
    return [s for s in TABLE if s.train]


def optimizer_of(args: argparse.Namespace) -> Any:
    """The optimizer the flags ask for (the table's optimizer rows: its hyperparameters and learning-rate
    schedule), checked; a UsageError naming the flag otherwise."""
    try:
        return optimizer_from({s.name: getattr(args, s.dest, None) for s in TABLE
                               if s.takes in ("optimizer", "schedule")}, flag=_flag)
    except DeepstepError as exc:
        raise UsageError(str(exc)) from None


def add_data_flags(p: argparse.ArgumentParser) -> None:
    """The data and network flags of ``deepstep train`` (and ``deepstep lr-find``): --dataset, --layers, the run
    settings of the table, --out, and how a file is read and split."""
    p.add_argument("--dataset", default="planar", help="cats, planar, moons, circles, blobs, spiral, xor, gaussian, "
                   "or a .npz/.csv file or a folder of pictures in one sub-folder per class (default: planar)")
    p.add_argument("--layers", type=layers_arg, help="all layer sizes n[0],...,n[L], e.g. 12288,20,7,5,1")
    add_setting_flags(p, train_settings())  # the run settings: --learning-rate, --iterations, --optimizer, ...
    p.add_argument("--out", help="output folder (default runs/DATASET)")
    p.add_argument("--test-fraction", type=test_fraction_arg, default=0.2,
                   help="share of a generated set or of your file held out for testing (default 0.2; 0: no test "
                        "set, every example trains)")
    p.add_argument("--image-size", type=size_arg, metavar="HxW",
                   help="size the pictures of a folder are resized to (default: their own, when they share one; "
                        "else the most common, with a note)")
    p.add_argument("--label-column", help="the label column of a CSV file (default: the last column)")
    p.add_argument("--delimiter", type=delimiter_arg, default=",", help="the field separator of a CSV file")
    p.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                   help="what a .csv/.npz file's labels are: auto refuses real-valued labels and asks for "
                        "regression (a linear output and the squared-error cost)")
    p.add_argument("--test-data", metavar="FILE", help="a separate .csv/.npz test set (instead of --test-fraction)")
    p.add_argument("--columns", metavar="A,B,...", help="the feature columns of a CSV file to take (default: all "
                   "but the label and an index column)")
    p.add_argument("--drop-columns", metavar="A,B,...", help="feature columns of a CSV file to leave out")
