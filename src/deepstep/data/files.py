"""Your own files: .npz and .csv tables (columns matched by name), picture folders and single pictures."""

from __future__ import annotations

import csv
import itertools
import math
import os
import struct
import warnings
import zipfile
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ..errors import _describe
from ..limits import NpyVersionError, read_npy_header
from .columns import MISSING
from .common import _INSTALL_DATA, IMAGE_SUFFIXES, DatasetError, _as_path, _check_size, _one_line, _path_state, _where
from .labels import _check_task, targets

_SQUARE = ("{name}: expected a shape that tells examples from features in {where}, got a square array {shape}: with "
           "as many examples as features, its rows and columns cannot be told apart; save it with one example per "
           "row as X_rows (np.savez(path, X_rows=...)), or give more or fewer examples")


# -- your own data: files --------------------------------------------------------------


def _existing_file(path: str | os.PathLike, name: str, what: str) -> Path:
    p = _as_path(path, name, what)
    state = _path_state(p)
    if state != "file":
        which = "is a folder" if state == "folder" else state
        raise DatasetError(f"{name}: expected {what}, got {_where(p)}, which {which}")
    return p


_NPZ_ARRAYS = {"X": "numbers", "Y": "numbers or strings", "classes": "strings"}


def _check_npz_headers(p: Path) -> None:
    """Refuse X, Y or classes of a .npz before NumPy allocates them: Python objects (pickled), more than
    :data:`~deepstep.limits.MAX_VALUES` values, or more bytes than the file holds (a truncated or forged header)."""
    with zipfile.ZipFile(p) as z:
        for info in z.infolist():
            key = info.filename[:-4] if info.filename.endswith(".npy") else None
            if key not in _NPZ_ARRAYS:
                continue
            try:
                with z.open(info) as f:
                    shape, _, dtype, size, held = read_npy_header(f, info.file_size)
            except NpyVersionError:  # later versions: np.load judges, and a MemoryError is caught there
                continue
            if dtype.hasobject:
                raise DatasetError(
                    f"{key}: expected {_NPZ_ARRAYS[key]} in {_where(p)}, got an array of Python objects (dtype "
                    f"{dtype}), which NumPy reads only by unpickling (allow_pickle=True), unsafe for a file from "
                    f"elsewhere; save numbers, or text as a string dtype such as np.array(labels, dtype=str)"
                )
            count = math.prod(shape)
            if count > limits.MAX_VALUES:
                raise DatasetError(f"{key}: expected at most {limits.MAX_VALUES} values (deepstep.limits.MAX_VALUES) "
                                   f"in {_where(p)}, "
                                   f"got shape {shape}")
            if size > held:
                raise DatasetError(
                    f"{key}: expected {size} bytes of data in {_where(p)} for the shape {shape} "
                    f"and dtype {dtype} its header gives, got {max(held, 0)}: the file is truncated or damaged"
                )


def load_npz(path: str | os.PathLike, task: str = "auto") -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Load X and Y from a NumPy ``.npz`` file.

    Parameters
    ----------
    path : str or path
        A file written by ``np.savez(path, X=X, Y=Y)``.  X may hold one example
        per column, shape (n0, m), or one per row, shape (m, n0): the axis whose
        length matches Y is the examples axis (columns when both do).  Y has
        shape (m,), (1, m) or (m, 1).  An optional array ``classes`` names the
        classes; Y then holds indices into it.  Without it Y may hold any
        numbers or strings, numbered in sorted order.

    Returns
    -------
    X : ndarray of shape (n0, m), float64
    Y : ndarray of shape (1, m), int64
        Class indices; for ``task="regression"`` the values, float64.
    classes : list of str, or None for regression

    Raises
    ------
    DatasetError
        Also for real-valued labels when ``task`` is "auto" (see :func:`targets`), for arrays of Python
        objects (which NumPy reads only by unpickling; deepstep never unpickles), byte strings that are not UTF-8,
        and an array
        of more than :data:`~deepstep.limits.MAX_VALUES` values or whose header announces more
        data than the file holds -- refused before anything is allocated.
    """
    task = _check_task(task)
    X, Y, names = _read_npz(path)
    (Y,), classes, _ = targets([Y], task, f"Y in {_where(Path(path))}", names)
    return X, Y, classes


def _read_npz(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """X (n0, m) float64, the labels as stored (m,), and the 'classes' array or None, checked."""
    p = _existing_file(path, "path", "a .npz file with arrays X and Y")
    # what zipfile, zlib and NumPy raise on damaged, encrypted or exotic archives
    unreadable = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, struct.error, KeyError, IndexError,
                  TypeError, OverflowError, NotImplementedError, RuntimeError)
    try:
        with open(p, "rb") as raw:
            single = raw.read(6) == b"\x93NUMPY"  # a .npy array: np.load would read all of it first
        f = None if single else np.load(p, allow_pickle=False)
    except MemoryError:
        raise DatasetError(f"path: expected a .npz file that fits in memory at {_where(p)}, "
                           f"got a MemoryError") from None
    except unreadable as exc:
        raise DatasetError(f"path: expected a readable .npz file at {_where(p)}, got: {_one_line(exc)}") from None
    if not hasattr(f, "files"):
        raise DatasetError(f"path: expected a .npz archive with arrays X and Y, got a single array in {_where(p)}")
    try:
        xkey = "X_rows" if "X_rows" in f.files and "X" not in f.files else "X"
        missing = [k for k in (xkey, "Y") if k not in f.files]
        if missing:
            raise DatasetError(
                f"path: expected the arrays X and Y in {_where(p)}, missing {missing}; found {sorted(f.files)}"
            )
        _check_npz_headers(p)
        X, Y = f[xkey], f["Y"]
        names = f["classes"] if "classes" in f.files else None
    except DatasetError:
        raise
    except MemoryError:
        raise DatasetError(f"path: expected arrays X and Y that fit in memory in {_where(p)}, got a MemoryError "
                           f"reading them") from None
    except unreadable as exc:
        raise DatasetError(f"path: expected readable arrays X and Y in {_where(p)}, got: {_one_line(exc)}") from None
    finally:
        f.close()
    if not all(isinstance(a, np.ndarray) for a in (X, Y)):
        raise DatasetError(f"path: expected X and Y saved as NumPy arrays (np.savez) in {_where(p)}")
    if Y.ndim == 2 and 1 in Y.shape:
        Y = Y.reshape(-1)
    if Y.ndim != 1 or Y.size == 0:
        raise DatasetError(f"Y: expected shape (m,) or (1, m) with m >= 1 in {_where(p)}, got shape {Y.shape}")
    m = Y.size
    if X.ndim != 2 or m not in X.shape:
        raise DatasetError(
            f"X: expected shape (n0, {m}) (examples as columns) or ({m}, n0) (as rows) to match the {m} labels "
            f"of Y in {_where(p)}, got shape {X.shape}"
        )
    if X.dtype.kind not in "biuf":
        raise DatasetError(f"X: expected numeric features in {_where(p)}, got dtype {X.dtype}")
    if xkey == "X_rows":
        if X.shape[0] != m:
            raise DatasetError(f"X_rows: expected one row per label of Y ({m}) in {_where(p)}, got shape {X.shape}")
        X = X.T
    elif X.shape[0] == X.shape[1] == m and m > 1:
        raise DatasetError(_SQUARE.format(name="X", shape=X.shape, where=_where(p)))
    X = (X if X.shape[1] == m else X.T).astype(np.float64)
    if not np.isfinite(X).all():
        raise DatasetError(f"X: expected finite values in {_where(p)}, got {int(np.size(X) - np.isfinite(X).sum())} "
                           f"NaN or inf entries")
    return X, Y, names


def _check_csv_size(p: Path) -> None:
    """Refuse a CSV file of more than :data:`~deepstep.limits.MAX_CSV_BYTES` bytes before reading it."""
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise DatasetError(f"path: expected a readable CSV file at {_where(p)}, got: "
                           f"{_one_line(exc.strerror or exc)}") from None
    if size > limits.MAX_CSV_BYTES:
        raise DatasetError(f"path: expected a CSV file of at most {limits.MAX_CSV_BYTES} bytes "
                           f"(deepstep.limits.MAX_CSV_BYTES), got {_where(p)}, which is {size} bytes; save a large "
                           f"data set as a .npz file (np.savez(path, X=X, Y=Y))")


_MISSING_LABELS = tuple(token for token in MISSING if token)
"""Label cells that mean "no label" (besides an empty one): :data:`deepstep.data.columns.MISSING`."""


class TextCells(DatasetError):
    """A feature cell that is not a finite number (text, or missing): the table goes the way of
    :func:`read_csv_cells` and a :class:`deepstep.data.columns.TableEncoder`."""


def _csv_rows(rows: Any, header: list[str], k: int, where: str) -> tuple[array, list[str]]:
    """The feature values (row after row, float64) and the labels (column ``k``) of the data rows (line, cells)."""
    features = [j for j in range(len(header)) if j != k]
    values = array("d")
    labels: list[str] = []
    for line, row in rows:
        if len(row) != len(header):
            raise DatasetError(
                f"path: expected {len(header)} fields on every row like the header of {where}, "
                f"got {len(row)} on line {line}"
            )
        for j in features:
            cell = row[j].strip()
            try:
                value = float(cell)
            except ValueError:
                if cell.lower() in ("", "nan"):
                    raise TextCells(f"{header[j]}: expected a finite number in {where}, got {cell!r} on line "
                                    f"{line}") from None
                raise TextCells(f"{header[j]}: expected numeric features in {where}, got {cell!r} on line {line} "
                                f"(only the label column, here {header[k]!r}, may hold text)") from None
            if math.isnan(value):
                raise TextCells(f"{header[j]}: expected a finite number in {where}, got {cell!r} on line {line}")
            if not math.isfinite(value):
                raise DatasetError(f"{header[j]}: expected a finite number in {where}, got {cell!r} on line {line}")
            values.append(value)
        label = row[k].strip()
        if not label:
            raise DatasetError(f"{header[k]}: expected a label in {where}, got an empty cell on line {line}")
        if label in _MISSING_LABELS:  # ("NA" is no class: the table's rows without a label are left out, with a note)
            raise TextCells(f"{header[k]}: expected a label in {where}, got {label!r} (missing) on line {line}")
        labels.append(label)
    return values, labels


def load_csv(
    path: str | os.PathLike, label_column: str | None = None, delimiter: str = ",", task: str = "auto"
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Load a table with a header row: numeric feature columns and one label column.

    Parameters
    ----------
    path : str or path
        The CSV file; its first row names the columns.
    label_column : str, optional
        Name of the label column; by default "label" when there is one, else
        the last column.  Labels may be numbers or strings; the classes are
        their distinct values, sorted (by value when all are numbers).
    delimiter : str
        Field separator.
    task : {"auto", "classification", "regression"}
        See :func:`targets`: "auto" refuses labels that look real-valued.

    Returns
    -------
    X : ndarray of shape (n0, m), float64
        One column per data row; the features in file order.
    Y : ndarray of shape (1, m), int64
        Indices into ``classes``; for ``task="regression"`` the values, float64.
    classes : list of str, or None for regression

    Raises
    ------
    DatasetError
        For a file of more than :data:`~deepstep.limits.MAX_CSV_BYTES` bytes (refused before it is read; the
        rows are read one at a time, as float64 values), and for anything else it cannot use, naming the line.
    """
    task = _check_task(task)
    X, labels, header, k = _read_csv(path, label_column, delimiter)
    (Y,), classes, _ = targets([_csv_labels(labels)], task, f"{header[k]} (labels) in {_where(Path(path))}")
    return X, Y, classes


def _read_csv(path: str | os.PathLike, label_column: str | None, delimiter: str
              ) -> tuple[np.ndarray, list[str], list[str], int]:
    """X (n0, m) float64, the label cells, the header and the label column's index."""
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise DatasetError(f"delimiter: expected one character such as ',' or ';' (not a quote or a line break), "
                           f"got {_describe(delimiter)}")
    p = _existing_file(path, "path", "a CSV file with a header row")
    _check_csv_size(p)
    fast = _fast_numeric_csv(p, label_column, delimiter)
    if fast is not None:
        return fast
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter)
            rows = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
            first = next(rows, None)
            if first is None:
                raise DatasetError(f"path: expected a header row and data rows in {_where(p)}, got an empty file")
            header = [h.strip() for h in first[1]]
            twice = [h for k, h in enumerate(header) if h in header[:k]]
            if twice:
                raise DatasetError(f"{twice[0]}: expected each column once in {_where(p)}, got it twice in the header "
                                   f"{header}")
            if len(header) < 2:
                raise DatasetError(
                    f"path: expected at least two columns (features and a label) separated by {delimiter!r} in "
                    f"{_where(p)}, got the header {header}"
                )
            row1 = next(rows, None)
            if row1 is None:
                raise DatasetError(f"path: expected data rows after the header in {_where(p)}, got none")
            if label_column is None:
                k = header.index("label") if "label" in header else len(header) - 1
            elif label_column in header:
                k = header.index(label_column)
            else:
                raise DatasetError(f"label_column: expected one of the columns {header} of {_where(p)}, "
                                   f"got {label_column!r}")
            values, labels = _csv_rows(itertools.chain([row1], rows), header, k, _where(p))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"path: expected a readable UTF-8 CSV file at {_where(p)}, got: {exc}") from None
    X = np.frombuffer(values, dtype=np.float64).reshape(len(labels), len(header) - 1).T.copy()
    return X, labels, header, k


FAST_CSV_BYTES = 8 * 2**20
"""CSV files from this size on are read by pandas' parser where it is installed (:func:`_fast_numeric_csv`)."""


def _fast_numeric_csv(p: Path, label_column: str | None, delimiter: str
                      ) -> tuple[np.ndarray, list[str], list[str], int] | None:
    """:func:`_read_csv` of a clean all-numeric table by pandas' C parser (``pip install 'deepstep[tables]'``), which
    reads it about 15 times faster than the csv module; None where pandas is not installed, the file is smaller than
    :data:`FAST_CSV_BYTES` (the csv module reads it in well under a second, and pandas is not imported, 100 MiB, for
    it) or the table is not clean (a text or missing cell, a row of another length, a column named twice...): the
    csv module's reader then reads it and names what is wrong.  Values are parsed as Python's float() parses them
    (correctly rounded)."""
    try:
        if p.stat().st_size < FAST_CSV_BYTES:
            return None
        import pandas as pd
    except (ImportError, OSError):
        return None
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:
            header = next((row for row in csv.reader(f, delimiter=delimiter) if any(c.strip() for c in row)), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if header is None or len(header) < 2:
        return None
    header = [h.strip() for h in header]
    if len(set(header)) != len(header) or (label_column is not None and label_column not in header):
        return None
    k = header.index(label_column) if label_column is not None else \
        (header.index("label") if "label" in header else len(header) - 1)
    features = [h for j, h in enumerate(header) if j != k]
    options: dict[str, Any] = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pd.read_csv(p, sep=delimiter, names=header, header=0, encoding="utf-8-sig", na_filter=False,
                                dtype={header[k]: str}, skip_blank_lines=True, engine="c", **options)
    except Exception:  # noqa: BLE001 - any trouble at all: the careful reader reads it and says what is wrong
        return None
    # every feature column read as numbers (integers convert exactly as float() rounds them); else not clean
    if len(frame) == 0 or any(frame[h].dtype.kind not in "if" for h in features):
        return None
    X = np.empty((len(features), len(frame)))  # examples as columns: each column of the file is a row of X
    for i, h in enumerate(features):
        X[i] = frame[h].to_numpy(dtype=np.float64)
    labels = frame[header[k]].astype(str).str.strip()
    if not np.isfinite(X).all() or bool((labels == "").any()) or bool(labels.isin(_MISSING_LABELS).any()):
        return None
    return X, labels.tolist(), header, k


def read_csv_cells(path: str | os.PathLike, delimiter: str = ",", name: str = "path"
                   ) -> tuple[list[str], list[list[str]]]:
    """A CSV file with a header row as text: (the header, one list of cells per column), blank rows skipped.

    Raises
    ------
    DatasetError
        For a file too large (:data:`~deepstep.limits.MAX_CSV_BYTES`), not UTF-8, without data rows, with a
        column named twice or a row of another length than the header (naming its line).
    """
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise DatasetError(f"delimiter: expected one character such as ',' or ';' (not a quote or a line break), "
                           f"got {_describe(delimiter)}")
    p = _existing_file(path, name, "a CSV file with a header row")
    _check_csv_size(p)
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter)
            header: list[str] | None = None
            columns: list[list[str]] = []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if header is None:
                    header = [h.strip() for h in row]
                    twice = [h for k, h in enumerate(header) if h in header[:k] and h]
                    if twice:
                        raise DatasetError(f"{twice[0]}: expected each column once in {_where(p)}, got it twice in "
                                           f"the header {header}")
                    columns = [[] for _ in header]
                    continue
                if len(row) != len(header):
                    raise DatasetError(f"{name}: expected {len(header)} fields on every row like the header of "
                                       f"{_where(p)}, got {len(row)} on line {reader.line_num}")
                for column, cell in zip(columns, row, strict=True):
                    column.append(cell.strip())
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{name}: expected a readable UTF-8 CSV file at {_where(p)}, got: {exc}") from None
    if header is None or not columns or not columns[0]:
        raise DatasetError(f"{name}: expected a header row and data rows in {_where(p)}, got "
                           f"{'an empty file' if header is None else 'no data rows'}")
    return header, columns


def _csv_labels(labels: list[str]) -> np.ndarray:
    """CSV labels as numbers when every one reads as a number, else as text."""
    try:
        return np.array([float(s) for s in labels])
    except ValueError:
        return np.array(labels, dtype=str)


def _pillow() -> tuple[Any, Any]:
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise DatasetError(f"pictures: Pillow is needed to read image files; install it with {_INSTALL_DATA}") from None
    return Image, ImageOps


GREY_MODES = ("1", "L", "LA", "I", "F", "I;16", "I;16B", "I;16L", "I;16N")
"""Pillow's modes of one-channel (grey) pictures, transparency aside."""


def _picture_values(Image: Any, im: Any, size: tuple[int, int], where: str, channels: int = 3) -> np.ndarray:
    """(height, width, channels) float64 in [0, 1] from an opened, upright picture (``channels`` 3: RGB, 1: grey);
    see :func:`load_image`."""
    h, w = size
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):  # one channel of 16 or 32 bits: Pillow's "RGB" would clip it
        v = np.asarray(im).astype(np.float64)
        if mode == "F":
            finite = np.isfinite(v).all()
            if not finite or v.min() < 0 or v.max() > 1:
                lo, hi = np.nanmin(v), np.nanmax(v)
                raise DatasetError(f"path: expected floating-point pixel values in [0, 1] in {where} (mode F), got "
                                   f"values from {lo:g} to {hi:g}{'' if finite else ' and NaN'}")
        else:
            if v.min() < 0 or v.max() > 65535:
                raise DatasetError(f"path: expected 16-bit pixel values 0..65535 in {where} (mode {mode}), got "
                                   f"values from {int(v.min())} to {int(v.max())}")
            v /= 65535
        if v.shape != (h, w):  # resized in 32-bit floats, far finer than the 16-bit steps
            small = Image.fromarray(v.astype(np.float32)).resize((w, h), Image.Resampling.LANCZOS)
            v = np.clip(np.asarray(small, dtype=np.float64), 0, 1)
        return np.repeat(v[:, :, np.newaxis], channels, axis=2)
    if mode in ("P", "PA"):
        # through RGBA: a palette's transparency (one entry or an alpha per entry) becomes an alpha channel
        # without Pillow's warning about "Transparency expressed in bytes"; the alpha is then dropped
        im = im.convert("RGBA")
    target = "L" if channels == 1 else "RGB"
    if im.mode != target:
        im = im.convert(target)
    if im.size != (w, h):
        im = im.resize((w, h), Image.Resampling.LANCZOS)
    return (np.asarray(im, dtype=np.uint8) / 255).reshape(h, w, channels)


_PICTURE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, KeyError, TypeError,
                   ZeroDivisionError, OverflowError)


def _read_picture(Image: Any, ImageOps: Any, path: Path, size: tuple[int, int], channels: int = 3) -> np.ndarray:
    """(height, width, channels) float64 in [0, 1]: turned upright (EXIF), made RGB (or grey, ``channels`` 1) and
    resized to ``size`` = (height, width).

    Pillow's warnings about the file (its decompression-bomb warning, "possibly corrupt EXIF data", ...) are
    raised as a DatasetError; warnings about code rather than the file (deprecations) are passed on.
    """
    where = _where(path)
    about_code = (DeprecationWarning, PendingDeprecationWarning, ResourceWarning)
    caught: list[warnings.WarningMessage] = []
    dims = ""

    def refuse_warnings(doing: str) -> None:
        for w in caught:
            if not issubclass(w.category, about_code):
                raise DatasetError(f"path: Pillow warned while {doing} {where}{dims}: {_one_line(w.message)}")

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with Image.open(path) as im:
                dims = f" ({im.width} x {im.height} pixels)"
                refuse_warnings("opening")
                if im.width * im.height > limits.MAX_PICTURE_PIXELS:
                    raise DatasetError(
                        f"path: expected a picture of at most {limits.MAX_PICTURE_PIXELS} pixels "
                        f"(deepstep.limits.MAX_PICTURE_PIXELS), got "
                        f"{where}, which is {im.width} x {im.height} = {im.width * im.height} pixels; shrink it first"
                    )
                values = _picture_values(Image, ImageOps.exif_transpose(im), size, where, channels)
            refuse_warnings("reading")
        return values
    except DatasetError:
        raise
    except Image.DecompressionBombError as exc:
        raise DatasetError(f"path: Pillow refused {where} as a possible decompression bomb: {_one_line(exc)}") from None
    except MemoryError:
        raise DatasetError(f"path: expected a picture that fits in memory, got {where}{dims}") from None
    except _PICTURE_ERRORS as exc:
        raise DatasetError(f"path: expected a picture Pillow can read, got {where}: {_one_line(exc)}") from None
    finally:
        for w in caught:
            if issubclass(w.category, about_code):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def load_image(path: str | os.PathLike, size: Sequence[int] = (64, 64), channels: int = 3) -> np.ndarray:
    """One picture file as a column, to predict its label.

    The picture is turned upright by its EXIF orientation, converted to RGB and
    resized (without keeping its aspect ratio) to ``size``, then flattened like
    :func:`load_cat_dataset` does: ``x.reshape(1, -1).T / 255`` for 8-bit pictures.

    Every Pillow mode becomes RGB values in [0, 1]:

    * 8-bit modes -- "RGB" (read exactly as before: value / 255), "L" (grey: the
      same value / 255 in the three channels), "1" (0 or 1), "P" (the palette's
      RGB / 255), "CMYK" (Pillow's R = (255 - C)(255 - K) / 255, rounded to 8 bits,
      and so on), "YCbCr", "LAB", "HSV" -- through Pillow's conversion to "RGB",
      resized in 8 bits with Lanczos filtering;
    * 16-bit grey ("I;16", "I;16B", ... -- 16-bit PNG and TIFF files) -- value / 65535
      in the three channels, never clipped at 255; "I" (32-bit integers, as
      Pillow may open a 16-bit file) is taken as 16-bit too and values outside
      0..65535 are refused; "F" (32-bit floats) is taken as is and values outside
      [0, 1] (or NaN) are refused.  These are resized in 32-bit floats, so no
      16-bit precision is lost to an 8-bit step;
    * alpha ("RGBA", "LA", "PA", a palette's or a colour's transparency) is
      dropped: a pixel keeps the colour it stores, transparent or not, as
      Pillow's own conversion to "RGB" does.

    Only the first frame of an animation or a multi-page file is read; Pillow
    opens 16-bit colour PNGs as 8-bit "RGB".

    Parameters
    ----------
    path : str or path
        A file Pillow can read (PNG, JPEG, ...) of at most :data:`~deepstep.limits.MAX_PICTURE_PIXELS` pixels.
    size : (int, int)
        (height, width) in pixels, each at most :data:`~deepstep.limits.MAX_IMAGE_SIDE` (4096).
    channels : {3, 1}
        3: RGB, as above; 1: grey (Pillow's "L" conversion, or the 16-bit value), for a model of grey pictures.

    Returns
    -------
    ndarray of shape (height * width * channels, 1), float64
        Values in [0, 1].

    Raises
    ------
    DatasetError
        For a size beyond the bounds, a missing file, a file Pillow cannot read or
        warns about (a decompression bomb, corrupt EXIF data, ...), 16-bit or
        float values out of range, or a missing Pillow.
    """
    h, w = _check_size(size)
    if channels not in (1, 3):
        raise DatasetError(f"channels: expected 1 (grey) or 3 (RGB), got {_describe(channels)}")
    p = _existing_file(path, "path", "a picture file")
    Image, ImageOps = _pillow()
    return _read_picture(Image, ImageOps, p, (h, w), channels).reshape(-1, 1)


def load_image_folder(
    path: str | os.PathLike, size: Sequence[int] = (64, 64)
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Pictures sorted into one sub-folder per class, e.g. ``pets/cat/*.jpg`` and ``pets/dog/*.jpg``.

    Class names are the sorted sub-folder names (hidden ones left out); the
    files of a class are read in sorted order.  Files whose names do not end in
    one of :data:`IMAGE_SUFFIXES` (or start with ".") are skipped.  Each picture
    is read as by :func:`load_image` (every mode to RGB in [0, 1]).

    Parameters
    ----------
    path : str or path
        The folder holding the class sub-folders (at least two).
    size : (int, int)
        (height, width) every picture is resized to, each at most
        :data:`~deepstep.limits.MAX_IMAGE_SIDE` (4096); the m pictures together may give at most
        :data:`~deepstep.limits.MAX_VALUES` values (m * height * width * 3), checked before any is read.

    Returns
    -------
    X : ndarray of shape (height * width * 3, m), float64
        ``x.reshape(m, -1).T / 255`` of the (m, height, width, 3) pictures (8-bit ones).
    Y : ndarray of shape (1, m), int64
        Index of the class folder of each picture.
    classes : list of str
    """
    return _image_folder(path, size, "size")


def _image_folder(path: Any, size: Any, size_name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    folder = picture_folder(path, size, size_name, channels=3)
    return folder.X, folder.Y, folder.classes


@dataclass
class PictureFolder:
    """A folder of class sub-folders read: X (h w c, m), Y (1, m), the classes, the (h, w, c) of a picture, the
    files (relative to the folder) and a note on the size chosen (or "")."""

    X: np.ndarray
    Y: np.ndarray
    classes: list[str]
    shape: tuple[int, int, int]
    files: list[str]
    note: str = ""


def _picture_header(Image: Any, path: Path) -> tuple[int, int, bool]:
    """(height, width, grey) of a picture from its header (nothing decoded); upright by its EXIF orientation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                w, h = im.size
                try:
                    if im.getexif().get(0x0112) in (5, 6, 7, 8):  # turned by a quarter: width and height swap
                        w, h = h, w
                except _PICTURE_ERRORS:
                    pass
                return h, w, im.mode in GREY_MODES
    except _PICTURE_ERRORS as exc:
        raise DatasetError(f"path: expected a picture Pillow can read, got {_where(path)}: {_one_line(exc)}") from None


def picture_folder(path: Any, size: Any = None, size_name: str = "size", channels: int | None = None,
                   classes: list[str] | None = None) -> PictureFolder:
    """Pictures in one sub-folder per class, read as :func:`load_image` reads one.

    ``size`` None takes the pictures' own (height, width) when they share one, else the most common one (with a
    note saying so); ``channels`` None is 1 when every picture is grey, else 3; ``classes`` given (a test folder's
    training classes) must be the sub-folders' names.
    """
    if size is not None:
        _check_size(size, size_name)
    if channels not in (None, 1, 3):
        raise DatasetError(f"channels: expected 1 (grey) or 3 (RGB), got {_describe(channels)}")
    what = "a folder with one sub-folder of pictures per class"
    root = _as_path(path, "path", what)
    state = _path_state(root)
    if state != "folder":
        which = "is a file" if state == "file" else state
        raise DatasetError(f"path: expected {what}, got {_where(root)}, which {which}")
    try:
        names = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    except OSError as exc:
        raise DatasetError(f"path: expected a folder that can be listed, got {_where(root)}: "
                           f"{_one_line(exc.strerror or exc)}") from None
    if len(names) < 2:
        raise DatasetError(
            f"path: expected at least two class sub-folders (e.g. {root / 'cat'} and {root / 'dog'}) in "
            f"{_where(root)}, got {names}"
        )
    files: list[tuple[int, Path]] = []
    for k, name in enumerate(names):
        try:
            found = sorted(f for f in (root / name).iterdir()
                           if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in IMAGE_SUFFIXES)
        except OSError as exc:
            raise DatasetError(f"path: expected a class folder that can be listed, got {_where(root / name)}: "
                               f"{_one_line(exc.strerror or exc)}") from None
        if not found:
            raise DatasetError(
                f"path: expected pictures ({', '.join(IMAGE_SUFFIXES)}) in the class folder {_where(root / name)}, "
                f"got none"
            )
        files += [(k, f) for f in found]
    if classes is not None and names != classes:
        raise DatasetError(f"test_data: expected the class folders {classes} of the training pictures, got {names} "
                           f"in {_where(root)}")
    Image, ImageOps = _pillow()
    note = ""
    if size is None or channels is None:
        headers = [_picture_header(Image, f) for _, f in files]
        if size is None:
            counts: dict[tuple[int, int], int] = {}
            for ph, pw, _ in headers:
                counts[(ph, pw)] = counts.get((ph, pw), 0) + 1
            (h, w), n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
            if len(counts) > 1:
                note = (f"the pictures of {_where(root)} come in {len(counts)} sizes; each is resized to the most "
                        f"common, {h} x {w} ({n} of {len(files)}); --image-size HxW chooses another")
            h, w = _check_size((h, w), size_name)
        if channels is None:
            channels = 1 if all(grey for _, _, grey in headers) else 3
    if size is not None:
        h, w = _check_size(size, size_name)
    n0, m = h * w * channels, len(files)
    if n0 * m > limits.MAX_VALUES:
        raise DatasetError(
            f"{size_name}: expected at most {limits.MAX_VALUES} values in X (deepstep.limits.MAX_VALUES, "
            f"{limits.MAX_VALUES * 8 / 2**30:g} GiB as "
            f"float64), got {m} pictures of {h} x {w} x {channels} = {n0 * m} values in {_where(root)}; use a "
            f"smaller {size_name} or fewer pictures"
        )
    try:
        X = np.empty((m, n0))
    except MemoryError:
        raise DatasetError(f"{size_name}: expected {m} pictures of {h} x {w} x {channels} to fit in memory "
                           f"({n0 * m * 8 / 2**30:.3g} GiB as float64), got a MemoryError") from None
    for j, (_, f) in enumerate(files):
        X[j] = _read_picture(Image, ImageOps, f, (h, w), channels).ravel()
    Y = np.array([[k for k, _ in files]], dtype=np.int64)
    return PictureFolder(X.T, Y, names, (h, w, channels), [str(f.relative_to(root)) for _, f in files], note)


