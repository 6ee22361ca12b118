"""Data sets: the course's cat pictures, toy 2-D point sets, and your own files.

Every loader returns examples as columns: X of shape (n[0], m), float64, and
labels Y of shape (1, m), int64, holding class indices 0..C-1 (0/1 for two
classes) into the list of class names ``classes``.

* :func:`load_cat_dataset` -- the deeplearning.ai cat vs non-cat HDF5 files
  (folder from ``data_dir`` or the environment variable ``DEEPSTEP_DATA``)
* :func:`make_planar`, :func:`make_moons`, :func:`make_circles`,
  :func:`make_blobs` -- toy 2-D sets drawn from the ``rng`` given (never
  NumPy's global state)
* :func:`load_npz`, :func:`load_csv`, :func:`load_image_folder`,
  :func:`load_image` -- your own data
* :func:`load_dataset` -- one of the names in :data:`DATASET_NAMES` or a path,
  split into a training and a test set (used by the command line)

The loaders live in the modules beside this one (``common``, ``labels``, ``toys``, ``cats``, ``files``); this
module is the one entry point, :func:`load_dataset`, with :func:`load_rows` for rows to label, and gives every
loader's name as before (``deepstep.datasets.make_planar``).

Reading HDF5 needs h5py and reading pictures needs Pillow: both come with
``pip install 'deepstep[data]'``.

Every loader fails with a :class:`DatasetError` (a :class:`~deepstep.DeepstepError`,
so a ``ValueError``) of one line naming the argument at fault -- never with an
``OSError``, a ``UnicodeError``, a ``MemoryError`` or a warning of Pillow's.

Limits
------
Sizes that would exhaust memory are refused before anything is allocated; the
bounds are in :mod:`deepstep.limits` (change them there):

* ``MAX_IMAGE_SIDE`` -- pictures are resized to at most 4096 x 4096 pixels;
* ``MAX_PICTURE_PIXELS`` -- a picture file of more than 2**26 pixels
  (8192 x 8192) is not decoded (Pillow's own decompression-bomb limit,
  ``PIL.Image.MAX_IMAGE_PIXELS``, applies too);
* ``MAX_EXAMPLES`` -- a generated set, training or test part, holds at most
  10 million examples;
* ``MAX_VALUES`` -- an array read from a file, or the X of a folder of
  pictures, holds at most 2**30 values (8 GiB as float64);
* ``MAX_CSV_BYTES`` -- a CSV file of more than 2**30 bytes (1 GiB) is not read.

Examples
--------
>>> from deepstep.datasets import make_planar, load_dataset
>>> X, Y = make_planar(m=400, rng=1)
>>> X.shape, Y.shape, X.dtype.name, Y.dtype.name, int(Y.sum())
((2, 400), (1, 400), 'float64', 'int64', 200)
>>> data = load_dataset("moons", m=300, rng=0)
>>> data.train_X.shape, data.test_X.shape, data.classes, data.kind
((2, 300), (2, 75), ['0', '1'], 'points')
"""

from __future__ import annotations

import csv
import math
import os
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ..core.initialization import RngLike
from ..errors import _describe
from .cats import (  # noqa: F401
    _not_hdf5_reason,
    _read_cat_file,
    column_to_image,
    load_cat_dataset,
)
from .columns import MISSING, TableEncoder, index_column, index_columns
from .common import (  # noqa: F401
    _HDF5_SIGNATURE,
    _INSTALL_DATA,
    CAT_FILES,
    CAT_IMAGE_SHAPE,
    DATA_ENV,
    DATASET_NAMES,
    IMAGE_SUFFIXES,
    MAX_NOISE,
    DatasetError,
    _as_path,
    _check_m,
    _check_noise,
    _check_size,
    _class_counts,
    _dataset_check,
    _labels,
    _one_line,
    _path_state,
    _rng,
    _where,
)
from .files import (  # noqa: F401
    _NPZ_ARRAYS,
    _PICTURE_ERRORS,
    _SQUARE,
    TextCells,
    _check_csv_size,
    _check_npz_headers,
    _csv_labels,
    _csv_rows,
    _existing_file,
    _image_folder,
    _picture_values,
    _pillow,
    _read_csv,
    _read_npz,
    _read_picture,
    load_csv,
    load_image,
    load_image_folder,
    load_npz,
    picture_folder,
    read_csv_cells,
)
from .labels import (  # noqa: F401
    MAX_AUTO_CLASSES,
    TASKS,
    _check_task,
    _continuous,
    _decode_utf8,
    _encode_labels,
    _is_utf8,
    _npz_targets,
    _number_name,
    targets,
)
from .toys import (  # noqa: F401
    _TOY,
    make_blobs,
    make_circles,
    make_gaussian,
    make_hills,
    make_moons,
    make_planar,
    make_plane,
    make_spiral,
    make_xor,
)

__all__ = [
    "CAT_IMAGE_SHAPE",
    "DATASET_NAMES",
    "Dataset",
    "DatasetError",
    "column_to_image",
    "load_cat_dataset",
    "load_csv",
    "load_dataset",
    "load_rows",
    "targets",
    "load_image",
    "load_image_folder",
    "load_npz",
    "resolve_name",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_planar",
    "make_spiral",
    "make_xor",
    "make_gaussian",
    "make_hills",
    "make_plane",
]

# The bounds on what a loader allocates (see "Limits" above) live in deepstep.limits and are read from there at
# call time, so that a program that knows its memory may change them there.  datasets.MAX_VALUES (and the
# others, as before) still reads them.
_LIMITS = ("MAX_CSV_BYTES", "MAX_EXAMPLES", "MAX_IMAGE_SIDE", "MAX_PICTURE_PIXELS", "MAX_VALUES")


def __getattr__(name: str) -> Any:
    if name in _LIMITS:
        return getattr(limits, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")



# -- one entry point ---------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Dataset:
    """A training set and a test set, examples as columns.

    Attributes
    ----------
    train_X : ndarray of shape (n0, m_train), float64
    train_Y : ndarray of shape (1, m_train), int64
        Class indices into ``classes``.
    test_X : ndarray of shape (n0, m_test), float64
    test_Y : ndarray of shape (1, m_test), int64
    classes : list of str
    kind : {"image", "points", "table"}
        Pictures, 2-D points, or other feature vectors.
    image_shape : tuple of int or None
        (height, width, 3) of one picture for ``kind == "image"``.
    name : str
        The name or path it was loaded from.
    task : {"classification", "regression"}
        For regression, Y holds real values (float64) and ``classes`` is None.
    features : list of str or None
        The feature columns' names (a CSV file's header), in the order of X's rows.
    label : str or None
        The label column's name (a CSV file's header).
    columns : dict or None
        How the raw columns became X's rows, where they were not all complete numbers (an index left out, text
        encoded, missing values filled): a :class:`deepstep.data.columns.TableEncoder` as ``to_dict()``; then
        ``features`` are the raw columns it reads.  None for an all-numeric table taken as it is.
    notes : list of str
        What was left out or changed, to tell the user (an index column, an identifier, rows without a label).
    train_weights, test_weights : ndarray of shape (m,) or None
        Each example's weight, from a CSV's weight column (``weight_column``); None without one.
    train_names, test_names : list of str or None
        A picture folder's files, relative to it, in the order of X's columns.
    """

    train_X: np.ndarray
    train_Y: np.ndarray
    test_X: np.ndarray
    test_Y: np.ndarray
    classes: list[str] | None
    kind: str
    image_shape: tuple[int, int, int] | None
    name: str
    task: str = "classification"
    features: list[str] | None = None
    label: str | None = None
    columns: dict | None = None
    notes: list[str] = field(default_factory=list)
    train_weights: np.ndarray | None = None
    test_weights: np.ndarray | None = None
    train_names: list[str] | None = None
    test_names: list[str] | None = None

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, kind={self.kind!r}, task={self.task!r}, train_X {self.train_X.shape}, "
                f"test_X {self.test_X.shape}, classes={self.classes!r})")


def _check_fraction(test_fraction: Any) -> float:
    """0 <= test_fraction < 1 (0: no test set, every example trains)."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, Real) or not 0 <= test_fraction < 1:
        raise DatasetError(
            f"test_fraction: expected a number with 0 <= test_fraction < 1 (0: no test set), got "
            f"{_describe(test_fraction)}"
        )
    return float(test_fraction)


def _test_mask(Y: np.ndarray, fraction: float, gen: Any, where: str, classes: Sequence[str]) -> np.ndarray:
    """Stratified split: round(fraction * count) random examples of each class (index in Y) go to the test set
    (the mask returned; file order kept).  A split leaving no test example, or a class without a training example,
    is refused."""
    from .split import stratified_split

    if fraction == 0:  # no test set: every example trains
        return np.zeros(Y.shape[1], dtype=bool)
    test = stratified_split(Y[0], fraction, gen)
    untrained = [(classes[c], n) for c, n in zip(*np.unique(Y[0], return_counts=True), strict=True)
                 if test[Y[0] == c].all()]  # (class, count) of the classes the test set would take whole
    m = Y.shape[1]
    if not test.any():
        raise DatasetError(
            f"test_fraction: expected enough examples in {where} to hold out {fraction!r} of each class as a test "
            f"set, got m = {m}, which leaves no test example; use a larger test_fraction or more examples"
        )
    if test.all():
        raise DatasetError(
            f"test_fraction: expected a share that keeps examples for training, got {fraction!r}, which puts all "
            f"m = {m} examples of {where} in the test set and leaves no training example; use a smaller test_fraction"
        )
    if untrained:
        name, count = untrained[0]
        raise DatasetError(
            f"test_fraction: expected a share that keeps a training example of every class, got {fraction!r}, which "
            f"puts all {count} example(s) of class {name!r} of {where} in the test set, so the network would never "
            f"see it; use a smaller test_fraction or more examples of that class"
        )
    return test


def _read_table(path: Path, label_column: str | None, delimiter: str
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str] | None, str, str | None]:
    """A .csv or .npz file: X (n0, m), its labels as read, the .npz's class names, the CSV's feature names, how
    messages name the labels, and the CSV's label column."""
    if path.suffix.lower() == ".npz":
        X, Y, names = _read_npz(path)
        return X, Y.ravel(), names, None, f"Y in {_where(path)}", None
    X, labels, header, k = _read_csv(path, label_column, delimiter)
    return (X, _csv_labels(labels), None, [h for j, h in enumerate(header) if j != k],
            f"{header[k]} (labels) in {_where(path)}", header[k])


def _table_dataset(path: Path, label_column: str | None, delimiter: str, task: str, test_data: Any,
                   fraction: float, rng: Any, name: str, encoder: Any = None, columns: Any = None,
                   drop_columns: Any = None, weight_column: str | None = None) -> Dataset:
    """A .csv or .npz file as a Dataset: split by ``fraction``, or with ``test_data`` as its test set.  An all-numeric
    complete table is read as numbers; any other (text, missing cells, an index, chosen columns, a given encoder)
    goes through :func:`_encoded_table`."""
    if path.suffix.lower() == ".npz":
        for flag, value in (("label_column", label_column), ("columns", columns), ("drop_columns", drop_columns),
                            ("encoder", encoder), ("weight_column", weight_column)):
            if value is not None:
                raise DatasetError(f"{flag}: only a .csv file has named columns, got {_where(path)}")
    elif encoder is not None or columns is not None or drop_columns is not None or weight_column is not None:
        return _encoded_table(path, label_column, delimiter, task, test_data, fraction, rng, name, encoder, columns,
                              drop_columns, weight_column)
    try:
        X, raw, names, features, label_name, label = _read_table(path, label_column, delimiter)
        if features is not None and index_column(features, [X[0]] if len(X) else [[]])[0] is not None:
            raise TextCells("an index column")
    except TextCells:
        return _encoded_table(path, label_column, delimiter, task, test_data, fraction, rng, name)
    parts, tests = [raw], []
    if test_data is not None:
        tpath = _existing_file(test_data, "test_data", "a .csv or .npz file with the training file's columns")
        if tpath.suffix.lower() not in (".csv", ".npz"):
            raise DatasetError(f"test_data: expected a .csv or .npz file, got {_where(tpath)}")
        tX, traw, tnames, tfeatures, _, _ = _read_table(tpath, label_column, delimiter)
        if tX.shape[0] != X.shape[0] or (features and tfeatures and tfeatures != features):
            raise DatasetError(f"test_data: expected the {X.shape[0]} feature columns of {_where(path)}"
                               f"{' ' + str(features) if features else ''}, got {tX.shape[0]} in {_where(tpath)}"
                               f"{' ' + str(tfeatures) if tfeatures else ''}")
        if (names is None) != (tnames is None) or (names is not None and names.tolist() != tnames.tolist()):
            raise DatasetError(f"test_data: expected the class names of {_where(path)}, got others in "
                               f"{_where(tpath)}")
        parts.append(traw)
        tests.append(tX)
    Ys, classes, task = targets(parts, task, label_name, names)
    kind = "points" if X.shape[0] == 2 else "table"
    if tests:
        return Dataset(X, Ys[0], tests[0], Ys[1], classes, kind, None, name, task, features, label)
    # classes are split each on its own; real-valued targets as one group
    groups = Ys[0] if task == "classification" else np.zeros((1, X.shape[1]), dtype=np.int64)
    test = _test_mask(groups, fraction, _rng(rng), _where(path), classes or ["all"])
    Y = Ys[0]
    return Dataset(X[:, ~test], Y[:, ~test], X[:, test], Y[:, test], classes, kind, None, name, task, features,
                   label)


def _names(value: Any, flag: str) -> list[str] | None:
    """A list of column names (a comma-separated string or a sequence of str), checked."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names or not all(isinstance(v, str) and v for v in names):
        raise DatasetError(f"{flag}: expected column names (a list of str, or 'a,b,c'), got {_describe(value)}")
    twice = sorted({v for v in names if names.count(v) > 1})
    if twice:
        raise DatasetError(f"{flag}: expected each column once, got {twice[0]!r} more than once")
    return list(names)


def read_parquet_cells(path: str | os.PathLike, name: str = "path") -> tuple[list[str], list[list[str]]]:
    """A Parquet file's columns as the cells of a CSV would be: (the header, one list of text cells per column; a
    missing value as "", a float as its repr, which reads back to the same bits).  Needs pandas and pyarrow
    (``pip install 'deepstep[tables]'``)."""
    p = _existing_file(path, name, "a Parquet file")
    try:
        import pandas as pd
    except ImportError:
        raise DatasetError(f"{name}: reading Parquet needs pandas and pyarrow: pip install 'deepstep[tables]'") \
            from None
    _check_csv_size(p)  # (the same bound as a CSV's bytes)
    try:
        frame = pd.read_parquet(p)
    except ImportError:
        raise DatasetError(f"{name}: reading Parquet needs pyarrow: pip install 'deepstep[tables]'") from None
    except Exception as exc:  # noqa: BLE001 - a file pyarrow cannot read, said in one line
        raise DatasetError(f"{name}: expected a Parquet file pyarrow can read, got {_where(p)}: "
                           f"{_one_line(exc)}") from None
    header = [str(c) for c in frame.columns]
    if len(set(header)) != len(header):
        twice = next(h for h in header if header.count(h) > 1)
        raise DatasetError(f"{twice}: expected each column once in {_where(p)}, got it twice")
    if len(frame) == 0:
        raise DatasetError(f"{name}: expected data rows in {_where(p)}, got none")
    cells = []
    for c in frame.columns:
        column = []
        for v in frame[c].tolist():
            if v is None or (isinstance(v, float) and math.isnan(v)) or type(v).__name__ in ("NAType", "NaTType"):
                column.append("")
            elif isinstance(v, (bool, np.bool_)):
                column.append("True" if v else "False")  # (as its CSV holds it)
            elif isinstance(v, (float, np.floating)):
                column.append(repr(float(v)))
            else:
                column.append(str(v).strip())
        cells.append(column)
    return header, cells


def _table_cells(path: Path, delimiter: str, name: str = "path") -> tuple[list[str], list[list[str]]]:
    """A .csv or .parquet table as text cells: (the header, one list of cells per column)."""
    if path.suffix.lower() == ".parquet":
        return read_parquet_cells(path, name)
    return read_csv_cells(path, delimiter, name)


def _weights_of(cells: Any, name: str, where: str) -> np.ndarray:
    """A weight column's cells as numbers >= 0, naming the column and the first bad cell."""
    out = np.empty(len(cells))
    for j, cell in enumerate(cells):
        try:
            out[j] = float(cell)
        except ValueError:
            out[j] = np.nan
        if not np.isfinite(out[j]) or out[j] < 0:
            raise DatasetError(f"{name}: expected weights (numbers >= 0) in {where}, got {cell!r} on data row {j + 1}")
    return out


def _encoded_table(path: Path, label_column: str | None, delimiter: str, task: str, test_data: Any,
                   fraction: float, rng: Any, name: str, encoder: Any = None, columns: Any = None,
                   drop_columns: Any = None, weight_column: str | None = None) -> Dataset:
    """A CSV file as it comes: its index column left out, the chosen columns, rows without a label dropped, and
    text and missing cells encoded by a :class:`~deepstep.data.columns.TableEncoder` learned on the training rows
    (or ``encoder``, a model's, applied as it is)."""
    where = _where(path)
    header, cells = _table_cells(path, delimiter)
    given = None if encoder is None else TableEncoder.from_dict(encoder, "encoder")
    if label_column is None:
        k = header.index("label") if "label" in header else len(header) - 1
    elif label_column in header:
        k = header.index(label_column)
    else:
        raise DatasetError(f"label_column: expected one of the columns {header} of {where}, got {label_column!r}")
    notes: list[str] = []
    left_out: list[str] = []
    for index, note in index_columns(header, cells):
        if index != k and given is None:
            notes.append(note)
            left_out.append(header[index])
    if weight_column is not None and (weight_column not in header or weight_column == header[k]):
        raise DatasetError(f"weight_column: expected a column of {where} other than the label ({header}), got "
                           f"{weight_column!r}")
    chosen = [h for j, h in enumerate(header) if j != k and h not in left_out and h != weight_column]
    wanted, dropped = _names(columns, "columns"), _names(drop_columns, "drop_columns")
    for flag, names in (("columns", wanted), ("drop_columns", dropped)):
        unknown = [n for n in names or () if n not in header or n == header[k]]
        if unknown:
            raise DatasetError(f"{flag}: expected feature columns of {where} ({chosen}), got {unknown[0]!r}")
    if wanted is not None:
        left_out += [h for h in chosen if h not in wanted]
        chosen = [h for h in chosen if h in wanted]
    if dropped is not None:
        left_out += [h for h in chosen if h in dropped]
        chosen = [h for h in chosen if h not in dropped]
    if given is not None:  # a model's: the columns it reads, by name
        lacking = [f for f in given.features if f not in header]
        if lacking:
            raise DatasetError(f"{lacking[0]}: expected the model's feature column{'s' if len(lacking) > 1 else ''} "
                               f"{lacking} in {where}, which lacks {'them' if len(lacking) > 1 else 'it'}")
        known = {*given.features, *given.ignored, header[k], *([weight_column] if weight_column else [])}
        unknown = [h for h in header if h not in known]
        if unknown:
            raise DatasetError(f"{unknown[0]}: expected only the model's feature columns {given.features} and its "
                               f"label column {header[k]!r} in {where}, got also {unknown}; drop "
                               f"{'them' if len(unknown) > 1 else 'it'} from the file")
        chosen = given.features
    if not chosen:
        raise DatasetError(f"columns: expected at least one feature column in {where}, got none")
    labels = np.array(cells[k], dtype=object)
    keep = np.array([cell not in MISSING for cell in labels])
    if not keep.any():
        raise DatasetError(f"{header[k]}: expected labels in {where}, got none")
    if not keep.all():
        notes.append(f"left out {int((~keep).sum())} rows of {where} without a label ({header[k]!r})")
    raw = {h: np.array(cells[header.index(h)], dtype=object)[keep] for h in chosen}
    weights = None if weight_column is None else \
        _weights_of(np.array(cells[header.index(weight_column)], dtype=object)[keep], weight_column, where)
    test_weights = None
    parts = [_csv_labels(list(labels[keep]))]
    test_raw = None
    if test_data is not None:
        tpath = _existing_file(test_data, "test_data", "a .csv file with the training file's columns")
        if tpath.suffix.lower() not in (".csv", ".parquet"):
            raise DatasetError(f"test_data: expected a .csv or .parquet file like {where}, got {_where(tpath)}")
        theader, tcells = _table_cells(tpath, delimiter, "test_data")
        lacking = [h for h in [*chosen, header[k]] if h not in theader]
        if lacking:
            raise DatasetError(f"test_data: expected the columns {lacking} of {where} in {_where(tpath)}, which "
                               "lacks them")
        tlabels = np.array(tcells[theader.index(header[k])], dtype=object)
        tkeep = np.array([cell not in MISSING for cell in tlabels])
        test_raw = {h: np.array(tcells[theader.index(h)], dtype=object)[tkeep] for h in chosen}
        if weight_column is not None and weight_column in theader:
            test_weights = _weights_of(np.array(tcells[theader.index(weight_column)], dtype=object)[tkeep],
                                       weight_column, _where(tpath))
        parts.append(_csv_labels(list(tlabels[tkeep])))
    Ys, classes, task = targets(parts, task, f"{header[k]} (labels) in {where}")
    Y = Ys[0]
    if test_raw is None:
        groups = Y if task == "classification" else np.zeros((1, Y.shape[1]), dtype=np.int64)
        test = _test_mask(groups, fraction, _rng(rng), where, classes or ["all"])
    else:
        test = np.zeros(Y.shape[1], dtype=bool)
    if given is None:
        given, more = TableEncoder.learn(chosen, [raw[h][~test] for h in chosen], where)
        notes += more
        extra = [weight_column] if weight_column is not None else []  # (a file to label may hold it)
        given = replace(given, ignored=tuple(dict.fromkeys([*left_out, *extra, *given.ignored])))
    X = given.encode([raw[h] for h in given.features], where)
    kind = "points" if X.shape[0] == 2 else "table"
    if test_raw is not None:
        tX = given.encode([test_raw[h] for h in given.features], _where(Path(test_data)))
        return Dataset(X, Y, tX, Ys[1], classes, kind, None, name, task, given.features, header[k], given.to_dict(),
                       notes, weights, test_weights)
    return Dataset(X[:, ~test], Y[:, ~test], X[:, test], Y[:, test], classes, kind, None, name, task,
                   given.features, header[k], given.to_dict(), notes, None if weights is None else weights[~test],
                   None if weights is None else weights[test])


def match_features(header: Sequence[str], features: Sequence[str], label: str | None, where: str) -> list[int]:
    """Where each of a model's feature columns stands in a file's header, matched by name.

    Parameters
    ----------
    header : sequence of str
        The file's column names.
    features : sequence of str
        The columns the model was trained on, in the order of its inputs (the rows of X).
    label : str or None
        The label column of the training file, which the file may also hold; None for a model file that does
        not record it (older versions): then one column besides the features is taken to be the label.
    where : str
        How messages name the file.

    Returns
    -------
    list of int
        ``keep[i]`` is the index in ``header`` of ``features[i]``.

    Raises
    ------
    DatasetError
        Naming the columns the file lacks (with the unknown ones beside, since a renamed column is one of each),
        or the columns the model does not know.

    Examples
    --------
    >>> match_features(["b", "y", "a"], ["a", "b"], "y", "rows.csv")
    [2, 0]
    """
    missing = [name for name in features if name not in header]
    extra = [name for name in header if name not in features and name != label]
    duplicated = sorted({name for name in header if header.count(name) > 1 and name in features})
    if missing:
        raise DatasetError(f"{missing[0]}: expected the model's feature column{'s' if len(missing) > 1 else ''} "
                           f"{missing} in {where}, which lacks {'them' if len(missing) > 1 else 'it'}"
                           f"{f' (it has {extra} instead)' if extra else ''}")
    if duplicated:
        raise DatasetError(f"{duplicated[0]}: expected each feature column once in {where}, got it twice")
    if extra and (label is not None or len(extra) > 1):
        raise DatasetError(f"{extra[0]}: expected only the model's feature columns {list(features)}"
                           f"{f' and its label column {label!r}' if label else ''} in {where}, "
                           f"got also {extra}; drop {'them' if len(extra) > 1 else 'it'} from the file")
    return [header.index(name) for name in features]


def load_rows(path: str | os.PathLike, n_features: int, features: Sequence[str] | None = None,
              delimiter: str = ",", label: str | None = None, encoder: dict | None = None) -> np.ndarray:
    """Rows to predict: X (n_features, m) from a .csv or a .npz.

    Columns are matched by name against the model's ``features`` (:func:`match_features`): a missing, renamed or
    unknown column is refused, and the label column ``label`` may stand anywhere.  A .csv has a header row, and is
    refused for a model that does not name its features (trained on arrays: nothing to match).  A .npz holds an
    array ``X`` of shape (m, n_features) or (n_features, m) (a square one is refused: its orientation cannot be
    told), or ``X_rows`` of shape (m, n_features); for a model that names its features it must also hold an
    array ``features`` of the column names, matched like a CSV's header.

    A model that encodes its table (``encoder``, :class:`~deepstep.data.columns.TableEncoder` as a dict) takes a
    .csv as it comes, text and missing cells too: its columns by name, beside which the file may hold only the
    label and the columns the model left out in training (an index, an identifier, ``--drop-columns``).
    """
    p = _existing_file(path, "rows", "a .csv or .npz file of rows to label")
    suffix = p.suffix.lower()
    if encoder is not None:
        if suffix not in (".csv", ".parquet"):
            raise DatasetError(f"rows: expected a .csv or .parquet file for this model, which encodes its table's "
                               f"columns (text, missing cells), got {_where(p)}")
        enc = TableEncoder.from_dict(encoder, "encoder")
        header, cells = _table_cells(p, delimiter, "rows")
        allowed = {*enc.ignored, *([label] if label else [])}
        # (every other column refused by name: label "" stands for none)
        match_features([h for h in header if h not in allowed or h in enc.features], enc.features, "", _where(p))
        X = enc.encode([cells[header.index(f)] for f in enc.features], _where(p))
        if X.shape[0] != n_features:
            raise DatasetError(f"rows: expected {n_features} features from the model's encoder, got {X.shape[0]}")
        return X
    if suffix == ".npz":
        X, as_rows, names = _read_npz_x(p)
        if features and names is None:
            raise DatasetError(f"rows: expected the model's feature columns {list(features)} by name, got a .npz "
                               f"without names ({_where(p)}): add an array 'features' of its column names, or give "
                               "a .csv")
        X = X.T if as_rows else X
        if not as_rows and X.shape[0] == X.shape[1] > 1:
            raise DatasetError(_SQUARE.format(name="X", shape=X.shape, where=_where(p)))
        if features:
            if X.shape[0] != len(names) and X.shape[1] == len(names) and not as_rows:
                X = X.T
            if X.shape[0] != len(names):
                raise DatasetError(f"features: expected one name per column of X in {_where(p)}, got {len(names)} "
                                   f"names for shape {X.shape}")
            X = X[match_features(names, features, label, _where(p))]
    elif suffix == ".csv":
        _check_csv_size(p)
        try:
            with open(p, newline="", encoding="utf-8-sig") as f:
                header = [h.strip() for h in next(csv.reader(f, delimiter=delimiter), [])]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DatasetError(f"rows: expected a readable UTF-8 CSV file at {_where(p)}, got: {exc}") from None
        if not features:
            raise DatasetError(f"rows: expected a .npz of X for this model, got a .csv ({_where(p)}): the model does "
                               "not name its feature columns (it was trained on arrays), so a .csv's columns cannot "
                               "be matched to its inputs; or name them before saving (net.metadata['features'])")
        keep = match_features(header, features, label, _where(p))
        X = _csv_columns(p, header, keep, delimiter)
    else:
        raise DatasetError(f"rows: expected a .csv or .npz file, got {_where(p)}")
    if X.shape[0] != n_features and X.shape[1] == n_features:
        X = X.T
    if X.shape[0] != n_features:
        raise DatasetError(f"rows: expected {n_features} features per row in {_where(p)}, got an array of shape "
                           f"{X.shape}")
    return np.ascontiguousarray(X)


def _csv_columns(p: Path, header: list[str], keep: list[int], delimiter: str) -> np.ndarray:
    """The numeric columns ``keep`` of a CSV file with a header, as (len(keep), m) float64."""
    values = array("d")
    m = 0
    with open(p, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        next(reader, None)
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise DatasetError(f"rows: expected {len(header)} fields on every row like the header of {_where(p)}, "
                                   f"got {len(row)} on line {reader.line_num}")
            for j in keep:
                try:
                    value = float(row[j])
                except ValueError:
                    raise DatasetError(f"{header[j]}: expected numbers in {_where(p)}, got {row[j][:40]!r} on line "
                                       f"{reader.line_num}") from None
                if not math.isfinite(value):
                    raise DatasetError(f"{header[j]}: expected finite numbers in {_where(p)}, got {row[j]!r} on "
                                       f"line {reader.line_num}")
                values.append(value)
            m += 1
    if m == 0:
        raise DatasetError(f"rows: expected data rows after the header of {_where(p)}, got none")
    return np.frombuffer(values, dtype=np.float64).reshape(m, len(keep)).T.copy()



def _read_npz_x(p: Path) -> tuple[np.ndarray, bool, list[str] | None]:
    """The array of a .npz of rows to label (no labels needed): X (either orientation) or X_rows (one example per
    row), whether it was X_rows, and the names of an array 'features' (the columns), if any."""
    try:
        with np.load(p, allow_pickle=False) as f:
            if not hasattr(f, "files") or not ({"X", "X_rows"} & set(f.files)):
                raise DatasetError(f"rows: expected a .npz archive with an array X (or X_rows) in {_where(p)}")
            _check_npz_headers(p)
            rows = "X" not in f.files
            X = f["X_rows" if rows else "X"]
            names = f["features"] if "features" in f.files else None
    except DatasetError:
        raise
    except Exception as exc:  # zipfile, zlib and NumPy's many ways of failing on a damaged archive
        raise DatasetError(f"rows: expected a readable .npz file at {_where(p)}, got: {_one_line(exc)}") from None
    if X.ndim != 2 or X.dtype.kind not in "biuf" or not np.isfinite(X).all():
        raise DatasetError(f"X: expected a finite 2-D numeric array in {_where(p)}, got {_describe(X)}")
    if names is not None:
        if names.ndim != 1 or names.dtype.kind not in "SU":
            raise DatasetError(f"features: expected the column names as an array of strings in {_where(p)}, got "
                               f"{_describe(names)}")
        names = [str(n) for n in (_decode_utf8(names, f"features: expected UTF-8 names in {_where(p)}")
                                  if names.dtype.kind == "S" else names).tolist()]
    return X.astype(np.float64), rows, names


def resolve_name(name_or_path: str | os.PathLike) -> str | os.PathLike:
    """A built-in data set's canonical name (names match case-insensitively, spaces trimmed), else the path as given.

    >>> resolve_name(" Planar "), resolve_name("data/my.csv")
    ('planar', 'data/my.csv')
    """
    if isinstance(name_or_path, str) and name_or_path.strip().lower() in DATASET_NAMES:
        return name_or_path.strip().lower()
    return name_or_path


def load_dataset(
    name_or_path: str | os.PathLike,
    *,
    m: int = 400,
    noise: float | None = None,
    rng: RngLike = None,
    test_fraction: float = 0.2,
    image_size: Sequence[int] | None = None,
    label_column: str | None = None,
    task: str = "auto",
    delimiter: str = ",",
    test_data: str | os.PathLike | None = None,
    columns: Sequence[str] | str | None = None,
    drop_columns: Sequence[str] | str | None = None,
    encoder: dict | None = None,
    weight_column: str | None = None,
    channels: int | None = None,
) -> Dataset:
    """A named data set or a file, as a training and a test set.

    Parameters
    ----------
    name_or_path : str or path
        One of :data:`DATASET_NAMES` -- "cats" (:func:`load_cat_dataset`, with its own
        test set), "planar", "moons", "circles", "blobs" (two classes) -- or a path:
        a ``.npz`` file (:func:`load_npz`), a ``.csv`` file (:func:`load_csv`), or a
        folder of class sub-folders of pictures (:func:`load_image_folder`).  Names
        win over files of the same name in the working folder.
    m : int
        Training examples of a generated set; its test set, drawn next from the same
        generator, has round(m * test_fraction / (1 - test_fraction)) (100 for m = 400),
        so that it is ``test_fraction`` of all.  Each part holds at most
        :data:`~deepstep.limits.MAX_EXAMPLES` (10 million) examples: a ``test_fraction`` so close to 1
        that the test set would be bigger (0.999999999 asks for 400 billion test
        examples with m = 400) is refused.
    noise : float, optional
        Noise of a generated set; None for each generator's default.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState
        Draws the generated sets and the split of a file.  Pass the same seed again
        to get the same sets (None gives a different split every time).
    test_fraction : float
        Share of the examples held out as the test set (generated sets and files;
        a file is split per class, in file order), 0 < test_fraction < 1.  A split of
        a file that would leave no test example, or a class without a training
        example, is refused (naming the class).
    image_size : (int, int), optional
        (height, width) the pictures of a folder are resized to, each at most
        :data:`~deepstep.limits.MAX_IMAGE_SIDE` (4096); None: the pictures' own size when they share one, else the
        most common one (``Dataset.notes`` says so).
    channels : {None, 1, 3}
        A folder's pictures as grey (1) or RGB (3); None: grey when every picture is grey, else RGB.
    label_column : str, optional
        The label column of a ``.csv`` file (see :func:`load_csv`).
    task : {"auto", "classification", "regression"}
        What a file's labels are (see :func:`targets`); the built-in sets and picture folders are classification.
    delimiter : str
        The field separator of ``.csv`` files.
    test_data : str or path, optional
        A second ``.csv`` or ``.npz`` file (the same columns) as the test set, instead of holding out
        ``test_fraction`` of the first; the classes are the labels of both files.
    columns, drop_columns : list of str or "a,b,c", optional
        The feature columns of a ``.csv`` to take, or to leave out (by name).
    weight_column : str, optional
        A ``.csv`` column of weights per example (numbers >= 0), not a feature: ``Dataset.train_weights``.
    encoder : dict, optional
        A model's :class:`~deepstep.data.columns.TableEncoder` (``net.metadata["columns"]``) to apply to a
        ``.csv`` instead of learning one: the columns it reads are taken by name, the others ignored.

    A ``.csv`` with text or missing cells, or the index column pandas writes, has them encoded: see
    :mod:`deepstep.data.columns` (the encoding is learned on the training rows; ``Dataset.columns`` holds it).

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        For anything it cannot use, naming the argument: see the loaders above.
    """
    fraction = _check_fraction(test_fraction)
    task = _check_task(task)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise DatasetError(f"name_or_path: expected one of the names {list(DATASET_NAMES)} or a path (str or "
                           f"os.PathLike), got {_describe(name_or_path)}")
    name_or_path = resolve_name(name_or_path)
    key = name_or_path if name_or_path in DATASET_NAMES else None
    table = not key and str(name_or_path).lower().endswith((".csv", ".npz", ".parquet"))
    if task == "regression" and not table:
        raise DatasetError(f"task: 'regression' needs a .csv or .npz file of real-valued labels, got "
                           f"{str(name_or_path)!r}")
    if test_data is not None and key is not None:
        raise DatasetError(f"test_data: a separate test set goes with a .csv or .npz file or a folder of pictures, "
                           f"got {str(name_or_path)!r}")
    if key == "cats":
        train_X, train_Y, test_X, test_Y, classes = load_cat_dataset()
        return Dataset(train_X, train_Y, test_X, test_Y, classes, "image", CAT_IMAGE_SHAPE, "cats")
    if key in _TOY:
        make = _TOY[key]
        gen = _rng(rng)
        m = _check_m(m, 2)
        wanted = m * fraction / (1 - fraction)
        if wanted > limits.MAX_EXAMPLES + 0.5:
            raise DatasetError(
                f"test_fraction: expected at most {limits.MAX_EXAMPLES} test examples "
                f"(deepstep.limits.MAX_EXAMPLES), got {fraction!r}, "
                f"which with m = {m} asks for a test set of {round(wanted)} examples (m * test_fraction / "
                f"(1 - test_fraction)); use a smaller test_fraction"
            )
        m_test = max(2, round(wanted)) if fraction > 0 else 0
        extra = {} if noise is None else {"noise": noise}
        train_X, train_Y = make(m, rng=gen, **extra)
        test_X, test_Y = make(m_test, rng=gen, **extra) if m_test else (np.empty((2, 0)), np.empty((1, 0), np.int64))
        return Dataset(train_X, train_Y, test_X, test_Y, ["0", "1"], "points", None, key)
    path = _as_path(name_or_path, "name_or_path", "a .npz file, a .csv file or a folder of class sub-folders")
    suffix = path.suffix.lower()
    state = _path_state(path)
    if state == "folder":
        folder = picture_folder(path, image_size, "image_size", channels)
        X, Y, classes, shape = folder.X, folder.Y, folder.classes, folder.shape
        notes = [folder.note] if folder.note else []
        if test_data is not None:  # a second folder, the same classes, read at the training pictures' size
            tpath = _as_path(test_data, "test_data", "a folder with the training folder's class sub-folders")
            if _path_state(tpath) != "folder":
                raise DatasetError(f"test_data: expected a folder of class sub-folders like {_where(path)}, got "
                                   f"{_where(tpath)}")
            tests = picture_folder(tpath, shape[:2], "image_size", shape[2], classes)
            return Dataset(X, Y, tests.X, tests.Y, classes, "image", shape, str(name_or_path), notes=notes,
                           train_names=folder.files, test_names=tests.files)
        test = _test_mask(Y, fraction, _rng(rng), _where(path), classes)
        files = np.array(folder.files, dtype=object)
        return Dataset(X[:, ~test], Y[:, ~test], X[:, test], Y[:, test], classes, "image", shape, str(name_or_path),
                       notes=notes, train_names=files[~test].tolist(), test_names=files[test].tolist())
    elif state == "file" and suffix == ".parquet":  # a table as pandas and Arrow write it: its columns as they come
        return _encoded_table(path, label_column, delimiter, task, test_data, fraction, rng, str(name_or_path),
                              encoder, columns, drop_columns, weight_column)
    elif state == "file" and suffix in (".npz", ".csv"):
        return _table_dataset(path, label_column, delimiter, task, test_data, fraction, rng, str(name_or_path),
                              encoder, columns, drop_columns, weight_column)
    elif state == "file":
        raise DatasetError(
            f"name_or_path: expected a .npz or .csv file or a folder of class sub-folders, got {_where(path)}"
        )
    else:
        raise DatasetError(
            f"name_or_path: expected one of the names {list(DATASET_NAMES)} or the path of a .npz file, a .csv file "
            f"or a folder of class sub-folders of pictures, got {str(name_or_path)!r}, which is neither"
        )

