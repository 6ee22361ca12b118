"""Table columns as they come -- numbers, text categories, missing cells -- encoded into the numbers a network takes.

A :class:`TableEncoder` is learned on the training split of a table (never on its test rows) and travels with
the model (``net.metadata["columns"]``, as :meth:`TableEncoder.to_dict`): ``evaluate``, ``predict``,
``load_model(...).predict`` and the ONNX graph apply the same encoding to raw rows.  Column by column:

* a **number** column stays one feature; a missing cell takes the training median (a learned fill), and where
  its training rows miss values a second feature ``name=missing`` says which cells were missing (1) or not (0);
* a **category** column (any cell that is not a number) becomes one 0/1 feature per level, ``name=level``, for
  the :data:`MAX_LEVELS` most frequent levels seen at least :data:`MIN_LEVEL_COUNT` times; the rarer ones, and
  levels never seen in training, share ``name=other``; missing cells get ``name=missing`` where training had
  some;
* a column of text with more different values than half its rows (a name, a ticket number) tells nothing about
  new rows and is left out with a note, as is a column with no value at all.

A cell is missing when it is one of :data:`MISSING` (after stripping spaces), None, or NaN.  The index column that
pandas writes (a blank or ``Unnamed: 0`` header, or a first column 0, 1, ..., m-1) is found by
:func:`index_column` and left out with a note.

>>> enc, notes = TableEncoder.learn(["size", "colour"], [["1.5", "", "3", "2"], ["red", "blue", "red", "NA"]])
>>> enc.names
['size', 'size=missing', 'colour=red', 'colour=missing', 'colour=other']
>>> enc.encode([["4", "NA"], ["blue", "green"]]).T.tolist()
[[4.0, 0.0, 0.0, 0.0, 1.0], [2.0, 1.0, 0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import _describe
from .common import DatasetError

__all__ = ["MISSING", "MAX_LEVELS", "MIN_LEVEL_COUNT", "Column", "TableEncoder", "index_column", "cells_of"]

MISSING = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?")
"""The cells that mean "no value" (after stripping spaces), as pandas and spreadsheets write them."""
MAX_LEVELS = 20
"""One-hot features per category column at most: its most frequent levels; the rest share ``name=other``."""
MIN_LEVEL_COUNT = 2
"""A level seen fewer times than this in training goes to ``name=other`` (one row teaches nothing about it)."""
_MISSING = frozenset(MISSING)
_UNNAMED = re.compile(r"^Unnamed: \d+$")
INDEX_NAMES = ("", "index", "idx", "id", "#", "row", "rownames")
"""Headers of a first column that is an index when it counts 0, 1, ..., m-1 (a feature called "u" that happens
to count so is kept)."""


def cells_of(values: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One column's cells as (text, missing): the stripped text of each cell (str) and a mask of the missing ones.

    ``values`` is a sequence of cells: strings (a CSV's), numbers (NaN missing), None (missing), or a pandas
    Series/array of those.
    """
    try:
        items = values.tolist() if hasattr(values, "tolist") else list(values)
    except TypeError:
        raise DatasetError(f"{name}: expected a column of cells (a list, an array or a pandas Series), got "
                           f"{_describe(values)}") from None
    text = np.empty(len(items), dtype=object)
    missing = np.zeros(len(items), dtype=bool)
    for j, v in enumerate(items):
        if v is None or (isinstance(v, float) and math.isnan(v)) or (type(v).__name__ in ("NAType", "NaTType")):
            missing[j], text[j] = True, ""
            continue
        if isinstance(v, (bool, np.bool_)):
            s = "True" if v else "False"  # (as pandas writes a bool column to a CSV: the same category)
        elif isinstance(v, (float, np.floating)):
            s = repr(float(v))
        else:
            s = str(v).strip()
        text[j] = s
        missing[j] = s in _MISSING
    return text, missing


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numbers(text: np.ndarray, missing: np.ndarray) -> np.ndarray | None:
    """The cells as float64 (NaN where missing), or None when some present cell is not a number."""
    out = np.full(text.shape, np.nan)
    for j in np.flatnonzero(~missing):
        try:
            out[j] = float(text[j])
        except ValueError:
            return None
    return out


@dataclass(frozen=True)
class Column:
    """How one raw column becomes features.

    Attributes
    ----------
    name : str
    kind : {"number", "category"}
    fill : float or None
        A number column's learned fill for a missing cell (the training median).
    levels : tuple of str
        A category column's levels with a feature each, in their features' order.
    missing : bool
        Whether a ``name=missing`` feature follows (training had missing cells).
    other : bool
        Whether a ``name=other`` feature comes last (training had rare levels).
    """

    name: str
    kind: str
    fill: float | None = None
    levels: tuple[str, ...] = ()
    missing: bool = False
    other: bool = False

    @property
    def names(self) -> list[str]:
        """The names of its features, in order."""
        own = [self.name] if self.kind == "number" else [f"{self.name}={v}" for v in self.levels]
        return own + [f"{self.name}=missing"] * self.missing + [f"{self.name}=other"] * self.other

    def encode(self, values: Any, where: str = "") -> np.ndarray:
        """Its features of the cells ``values``: (width, m) float64."""
        text, missing = cells_of(values, self.name)
        parts = []
        if self.kind == "number":
            x = _numbers(text, missing)
            if x is None:
                bad = next(t for t, gone in zip(text, missing, strict=True) if not gone and not _is_number(t))
                raise DatasetError(f"{self.name}: expected numbers (or missing cells){where}, got {bad[:40]!r}")
            if not np.isfinite(x[~missing]).all():
                raise DatasetError(f"{self.name}: expected finite numbers{where}, got "
                                   f"{text[~missing][~np.isfinite(x[~missing])][0]!r}")
            parts.append(np.where(missing, self.fill if self.fill is not None else 0.0, x))
        else:
            known = np.zeros(text.shape, dtype=bool)
            for level in self.levels:
                hit = (text == level) & ~missing
                known |= hit
                parts.append(hit.astype(np.float64))
        if self.missing:
            parts.append(missing.astype(np.float64))
        if self.other:
            parts.append((~missing & ~known).astype(np.float64))
        return np.vstack(parts) if parts else np.zeros((0, len(text)))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "fill": self.fill, "levels": list(self.levels),
                "missing": self.missing, "other": self.other}


@dataclass(frozen=True)
class TableEncoder:
    """Raw columns -> the network's features (:class:`Column` each, in the order of the features)."""

    columns: tuple[Column, ...]
    ignored: tuple[str, ...] = ()
    """Columns of the training table it left out (an index, an identifier, an empty column, ``--drop-columns``): a
    file of rows to label may hold them."""
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def features(self) -> list[str]:
        """The raw columns it reads, by name (what ``predict`` matches a file's header against)."""
        return [c.name for c in self.columns]

    @property
    def names(self) -> list[str]:
        """The features it makes, by name: the rows of X."""
        return [n for c in self.columns for n in c.names]

    @property
    def width(self) -> int:
        return len(self.names)

    @classmethod
    def learn(cls, header: Sequence[str], columns: Sequence[Any], where: str = "the table"
              ) -> tuple[TableEncoder, list[str]]:
        """The encoder of the training rows ``columns`` (one sequence of cells per name of ``header``), and notes
        on what it left out.

        Raises
        ------
        DatasetError
            When no column is left to learn from, or a number column holds an infinite value.
        """
        out, notes, ignored = [], [], []
        for name, values in zip(header, columns, strict=True):
            text, missing = cells_of(values, name)
            present = int((~missing).sum())
            if present == 0:
                notes.append(f"left out the column {name!r} of {where}: it has no value")
                ignored.append(name)
                continue
            x = _numbers(text, missing)
            if x is not None:
                if not np.isfinite(x[~missing]).all():
                    raise DatasetError(f"{name}: expected finite numbers in {where}, got "
                                       f"{text[~missing][~np.isfinite(x[~missing])][0]!r}")
                # (a fill also where training had no gap: a row to label may have one)
                out.append(Column(name, "number", float(np.median(x[~missing])), (), bool(missing.any())))
                continue
            levels, counts = np.unique(text[~missing].astype(str), return_counts=True)
            if len(levels) > max(3, present / 2):
                notes.append(f"left out the text column {name!r} of {where}: {len(levels)} different values in "
                             f"{present} rows (an identifier, such as a name, tells nothing about new rows)")
                ignored.append(name)
                continue
            order = sorted(range(len(levels)), key=lambda k: (-counts[k], levels[k]))
            kept = sorted(str(levels[k]) for k in order[:MAX_LEVELS] if counts[k] >= MIN_LEVEL_COUNT)
            out.append(Column(name, "category", None, tuple(kept), bool(missing.any()), len(kept) < len(levels)))
        if not out:
            raise DatasetError(f"columns: expected at least one feature column with values in {where}, got none "
                               f"({'; '.join(notes)})")
        return cls(tuple(out), tuple(ignored), tuple(notes)), notes

    def encode(self, columns: Sequence[Any], where: str = "") -> np.ndarray:
        """X (width, m) float64 of raw ``columns`` (one sequence of cells per :attr:`features`, in that order)."""
        if len(columns) != len(self.columns):
            raise DatasetError(f"columns: expected the {len(self.columns)} columns {self.features}, got "
                               f"{len(columns)}")
        where = f" in {where}" if where else ""
        parts = [c.encode(values, where) for c, values in zip(self.columns, columns, strict=True)]
        sizes = {p.shape[1] for p in parts}
        if len(sizes) > 1:
            raise DatasetError(f"columns: expected columns of one length, got lengths {sorted(sizes)}")
        return np.vstack(parts)

    def encode_frame(self, frame: Any, name: str = "X") -> np.ndarray:
        """X (width, m) of a pandas DataFrame (or a mapping of column name -> cells), its columns taken by name."""
        try:
            have = list(frame.keys())
        except AttributeError:
            raise DatasetError(f"{name}: expected a pandas DataFrame or a mapping of column names to cells, got "
                               f"{_describe(frame)}") from None
        lacking = [c for c in self.features if c not in have]
        if lacking:
            raise DatasetError(f"{lacking[0]}: expected the model's columns {self.features} in {name}, which lacks "
                               f"{lacking}")
        return self.encode([frame[c] for c in self.features])

    def to_dict(self) -> dict[str, Any]:
        """The encoder as JSON-ready data (what a model file keeps, under its metadata's "columns")."""
        return {"columns": [c.to_dict() for c in self.columns], "ignored": list(self.ignored)}

    @classmethod
    def from_dict(cls, data: Any, where: str = "columns") -> TableEncoder:
        """The encoder :meth:`to_dict` gave, checked (a model file's is refused by name when it is not one)."""
        try:
            columns = []
            for c in data["columns"]:
                kind = c["kind"]
                if kind not in ("number", "category") or not isinstance(c["name"], str):
                    raise ValueError(kind)
                fill = c.get("fill")
                if fill is not None and not (isinstance(fill, (int, float)) and math.isfinite(fill)):
                    raise ValueError(fill)
                levels = tuple(c.get("levels") or ())
                if not all(isinstance(v, str) for v in levels):
                    raise ValueError(levels)
                columns.append(Column(c["name"], kind, None if fill is None else float(fill), levels,
                                      bool(c.get("missing")), bool(c.get("other"))))
            if not columns:
                raise ValueError("no columns")
            ignored = tuple(data.get("ignored") or ())
            if not all(isinstance(v, str) for v in ignored):
                raise ValueError(ignored)
        except (KeyError, TypeError, ValueError):
            raise DatasetError(f"{where}: expected an encoder of table columns ({{'columns': [{{'name', 'kind', "
                               f"...}}]}}), got {_describe(data)}") from None
        return cls(tuple(columns), ignored)


def index_column(header: Sequence[str], columns: Sequence[Any]) -> tuple[int | None, str]:
    """The index column pandas writes, if the table has one: (its position, a note), else (None, "").

    It is a column with a blank or ``Unnamed: N`` header, or a first column named as an index (:data:`INDEX_NAMES`,
    any case) that counts 0, 1, ..., m-1 (m >= 3).
    """
    for k, name in enumerate(header):
        if name.strip() == "" or _UNNAMED.match(name.strip()):
            return k, f"left out the column {name!r}: an index (a blank or 'Unnamed' header, as pandas writes it)"
    return _counting(header, columns)


def index_columns(header: Sequence[str], columns: Sequence[Any]) -> list[tuple[int, str]]:
    """Every index column pandas wrote (a table saved again with its index gets a blank and an ``Unnamed: 0``
    header): [(position, note)], each as :func:`index_column` finds one."""
    found = [(k, f"left out the column {name!r}: an index (a blank or 'Unnamed' header, as pandas writes it)")
             for k, name in enumerate(header) if name.strip() == "" or _UNNAMED.match(name.strip())]
    if not found:
        k, note = _counting(header, columns)
        found = [] if k is None else [(k, note)]
    return found


def _counting(header: Sequence[str], columns: Sequence[Any]) -> tuple[int | None, str]:
    """A first column named as an index that counts 0, 1, ..., m-1: (0, a note), else (None, "")."""
    if header and header[0].strip().lower() in INDEX_NAMES and len(columns[0]) >= 3:
        text, missing = cells_of(columns[0], header[0])
        x = None if missing.any() else _numbers(text, missing)
        if x is not None and np.array_equal(x, np.arange(len(x))):
            return 0, f"left out the column {header[0]!r}: an index (it counts 0, 1, ..., m-1)"
    return None, ""


def onnx_encoder(encoder: TableEncoder, onnx: Any, dtype: np.dtype, out: str = "X") -> tuple[list, list, list]:
    """The encoder as ONNX: (the graph's inputs, nodes, initializers) computing ``out`` (N, width) in ``dtype``.

    One input per raw column, named as the column, of shape (N, 1): a number column in ``dtype`` (NaN for a
    missing cell), a category column as strings (a missing cell as one of :data:`MISSING`, e.g. "").  A number
    column's fill is ``Where(IsNaN(x), fill, x)`` and its indicator ``Cast(IsNaN(x))``; a category column is
    ai.onnx.ml's OneHotEncoder over its levels and the missing tokens, then a MatMul that sums the missing tokens
    into ``name=missing``, and ``name=other`` = 1 - (the row's sum): what is neither a level nor missing.
    """
    helper, numpy_helper, TP = onnx.helper, onnx.numpy_helper, onnx.TensorProto
    elem = TP.FLOAT if dtype == np.float32 else TP.DOUBLE
    inputs, nodes, weights, parts = [], [], [], []

    def const(name: str, value: Any) -> str:
        weights.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    for k, c in enumerate(encoder.columns):
        p = f"col{k}_"
        if c.kind == "number":
            inputs.append(helper.make_tensor_value_info(c.name, elem, ["N", 1]))
            nodes.append(helper.make_node("IsNaN", [c.name], [p + "nan"], name=p + "nan"))
            fill = const(p + "fill", np.array([[c.fill if c.fill is not None else 0.0]], dtype=dtype))
            nodes.append(helper.make_node("Where", [p + "nan", fill, c.name], [p + "filled"], name=p + "filled"))
            parts.append(p + "filled")
            if c.missing:
                nodes.append(helper.make_node("Cast", [p + "nan"], [p + "missing"], to=elem, name=p + "missing"))
                parts.append(p + "missing")
            continue
        inputs.append(helper.make_tensor_value_info(c.name, TP.STRING, ["N", 1]))
        tokens = [*c.levels, *(t for t in MISSING if t not in c.levels)]
        nodes.append(helper.make_node("OneHotEncoder", [c.name], [p + "hot3"], domain="ai.onnx.ml",
                                      cats_strings=tokens, zeros=1, name=p + "hot3"))
        nodes.append(helper.make_node("Flatten", [p + "hot3"], [p + "hot"], axis=1, name=p + "hot"))
        nodes.append(helper.make_node("Cast", [p + "hot"], [p + "hotd"], to=elem, name=p + "hotd"))
        width = len(c.levels) + c.missing
        if width:
            M = np.zeros((len(tokens), width), dtype=dtype)
            M[np.arange(len(c.levels)), np.arange(len(c.levels))] = 1
            if c.missing:
                M[len(c.levels):, -1] = 1
            nodes.append(helper.make_node("MatMul", [p + "hotd", const(p + "map", M)], [p + "known"],
                                          name=p + "known"))
            parts.append(p + "known")
        if c.other:
            axes = const(p + "axes", np.array([1], dtype=np.int64))
            nodes.append(helper.make_node("ReduceSum", [p + "hotd", axes], [p + "seen"], keepdims=1, name=p + "seen"))
            one = const(p + "one", np.ones((1, 1), dtype=dtype))
            nodes.append(helper.make_node("Sub", [one, p + "seen"], [p + "other"], name=p + "other"))
            parts.append(p + "other")
    nodes.append(helper.make_node("Concat", parts, [out], axis=1, name=out))
    return inputs, nodes, weights
