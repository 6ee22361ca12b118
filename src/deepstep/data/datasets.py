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
import errno
import itertools
import math
import os
import stat
import struct
import warnings
import zipfile
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ..core.initialization import RngLike, as_rng
from ..errors import DeepstepError, _describe, check_number, check_positive_int
from ..limits import NpyVersionError, read_npy_header

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
]

DATA_ENV = "DEEPSTEP_DATA"
CAT_FILES = ("train_catvnoncat.h5", "test_catvnoncat.h5")
CAT_IMAGE_SHAPE = (64, 64, 3)
DATASET_NAMES = ("cats", "planar", "moons", "circles", "blobs")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")

# The bounds on what a loader allocates (see "Limits" above) live in deepstep.limits and are read from there at
# call time, so that a program that knows its memory may change them there.  datasets.MAX_VALUES (and the
# others, as before) still reads them.
_LIMITS = ("MAX_CSV_BYTES", "MAX_EXAMPLES", "MAX_IMAGE_SIDE", "MAX_PICTURE_PIXELS", "MAX_VALUES")


def __getattr__(name: str) -> Any:
    if name in _LIMITS:
        return getattr(limits, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_INSTALL_DATA = "pip install 'deepstep[data]'"


class DatasetError(DeepstepError):
    """A data set that cannot be found or read; a :class:`~deepstep.DeepstepError` (so a ``ValueError``)."""


# -- small helpers -------------------------------------------------------------------


def _one_line(text: Any) -> str:
    """A message (from Pillow, h5py, NumPy, ...) on one line."""
    return " ".join(str(text).split())


def _dataset_check(check: Any, *args: Any) -> Any:
    """``check(*args)``, its DeepstepError raised as a DatasetError with the same message."""
    try:
        return check(*args)
    except DatasetError:
        raise
    except DeepstepError as exc:
        raise DatasetError(str(exc)) from None


def _rng(rng: Any) -> Any:
    return _dataset_check(as_rng, rng)


MAX_NOISE = 1e6  # the toy sets' points lie within a few units: more noise than this is only overflow to come


def _check_noise(noise: Any, name: str = "noise") -> float:
    return _dataset_check(lambda: check_number(noise, name, low=0, high=MAX_NOISE,
                                               expected=f"a finite number >= 0 (at most {MAX_NOISE:g})"))


def _check_m(m: Any, n_classes: int) -> int:
    m = _dataset_check(check_positive_int, m, "m")
    if m > limits.MAX_EXAMPLES:
        raise DatasetError(f"m: expected at most {limits.MAX_EXAMPLES} examples (deepstep.limits.MAX_EXAMPLES), "
                           f"got {m}")
    if m < n_classes:
        raise DatasetError(f"m: expected at least {n_classes} examples (one per class), got {m}")
    return m


def _check_size(size: Any, name: str = "size") -> tuple[int, int]:
    try:
        h, w = size
    except (TypeError, ValueError):
        raise DatasetError(f"{name}: expected (height, width) in pixels such as (64, 64), got {size!r}") from None
    for v in (h, w):
        if isinstance(v, bool) or not isinstance(v, Integral) or v <= 0:
            raise DatasetError(f"{name}: expected two positive integers (height, width), got {size!r}")
    if h > limits.MAX_IMAGE_SIDE or w > limits.MAX_IMAGE_SIDE:
        side = limits.MAX_IMAGE_SIDE
        raise DatasetError(f"{name}: expected at most {side} x {side} pixels (height, width; "
                           f"deepstep.limits.MAX_IMAGE_SIDE), got {size!r}")
    return int(h), int(w)


def _as_path(value: Any, name: str, what: str) -> Path:
    """``value`` (a str or os.PathLike) as a Path with ~ expanded, else DatasetError naming ``name``."""
    if isinstance(value, (str, os.PathLike)):
        try:
            return Path(value).expanduser()
        except (TypeError, ValueError, RuntimeError):  # a PathLike giving bytes, an unknown ~user
            pass
    raise DatasetError(f"{name}: expected a path (str or os.PathLike) to {what}, got {_describe(value)}")


def _path_state(path: Path) -> str:
    """ "file", "folder", or why ``path`` is neither, to follow "which" in a message."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "does not exist"
        return f"cannot be reached ({_one_line(exc.strerror or exc)})"
    except ValueError:  # an embedded NUL
        return "does not exist"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "is neither a file nor a folder"


def _class_counts(m: int, n_classes: int) -> list[int]:
    """m examples shared as evenly as possible: the first m % C classes get one more."""
    return [m // n_classes + (k < m % n_classes) for k in range(n_classes)]


def _labels(counts: Sequence[int]) -> np.ndarray:
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)[np.newaxis, :]


def _where(path: Path) -> str:
    """A path as given, with its absolute form when that differs."""
    full = path.absolute()
    return f"'{path}'" if str(full) == str(path) else f"'{path}' ({full})"


# -- the cat pictures -----------------------------------------------------------------


def _not_hdf5_reason(path: Path) -> str | None:
    """None when ``path`` starts like an HDF5 file, else why it does not."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(1024)
        if head.startswith(_HDF5_SIGNATURE):
            return None
        # an HDF5 file with a user block has its superblock at 512, 1024, 2048, ...
        offset = 512
        while offset + len(_HDF5_SIGNATURE) <= size:
            f.seek(offset)
            if f.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE:
                return None
            offset *= 2
    if size == 0:
        return "it is empty (0 bytes)"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"version https://git-lfs"):
        real = next((line.split()[1] for line in head.decode("ascii", "replace").splitlines()
                     if line.startswith("size ") and len(line.split()) == 2), "?")
        return (f"it looks like a Git LFS pointer ({size} bytes of text standing in for the real {real}-byte "
                f"file); fetch the real file with 'git lfs pull' or download the raw file")
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")) or b"<html" in text:
        return ("it looks like an HTML page (a web page saved instead of the file itself); "
                "download the raw file instead")
    return f"it does not start with the HDF5 signature {_HDF5_SIGNATURE!r} (first bytes {head[:16]!r})"


def _read_cat_file(h5py: Any, path: Path, prefix: str, where: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The pictures, labels and class names of one cat file; shapes and dtypes are checked before reading."""
    keys = (f"{prefix}_set_x", f"{prefix}_set_y", "list_classes")
    n_pixels = math.prod(CAT_IMAGE_SHAPE)
    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in keys if k not in f]
            if missing:
                raise DatasetError(
                    f"data_dir: expected the key(s) {missing} in {_where(path)}{where}, "
                    f"found keys {sorted(f.keys())}"
                )
            arrays = [f[k] for k in keys]
            for key, item in zip(keys, arrays, strict=True):
                if not isinstance(item, h5py.Dataset):
                    raise DatasetError(f"data_dir: expected '{key}' in {_where(path)}{where} to be an array, got "
                                       f"{type(item).__name__} (an HDF5 group or type)")
            dx, dy, dc = arrays
            x_shape, y_shape, c_shape = (tuple(d.shape or ()) for d in arrays)
            m = x_shape[0] if x_shape else 0
            if len(x_shape) != 4 or x_shape[1:] != CAT_IMAGE_SHAPE or dx.dtype != np.uint8 or m == 0:
                raise DatasetError(
                    f"data_dir: expected '{keys[0]}' in {_where(path)}{where} to be uint8 pictures of shape "
                    f"(m, 64, 64, 3), got array of shape {x_shape} and dtype {dx.dtype}"
                )
            if m * n_pixels > limits.MAX_VALUES:
                raise DatasetError(
                    f"data_dir: expected at most {limits.MAX_VALUES // n_pixels} pictures in '{keys[0]}' of "
                    f"{_where(path)}{where} (deepstep.limits.MAX_VALUES = {limits.MAX_VALUES} values), got {m}"
                )
            if y_shape not in ((m,), (1, m)) or not np.issubdtype(dy.dtype, np.integer):
                raise DatasetError(
                    f"data_dir: expected '{keys[1]}' in {_where(path)}{where} to hold {m} integer labels 0/1 "
                    f"(shape ({m},)), got array of shape {y_shape} and dtype {dy.dtype}"
                )
            if c_shape != (2,) or dc.dtype.kind not in "SU":
                raise DatasetError(
                    f"data_dir: expected 'list_classes' in {_where(path)}{where} to hold 2 class names, "
                    f"got array of shape {c_shape} and dtype {dc.dtype}"
                )
            x, y, classes = dx[()], dy[()], dc[()]
    except DatasetError:
        raise
    except MemoryError:
        raise DatasetError(f"data_dir: expected {_where(path)}{where} to fit in memory, got a MemoryError "
                           f"reading it") from None
    except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise DatasetError(f"data_dir: expected a readable HDF5 file at {_where(path)}{where}, "
                           f"got: {_one_line(exc)}") from None
    if not np.isin(y, (0, 1)).all():
        raise DatasetError(
            f"data_dir: expected '{keys[1]}' in {_where(path)}{where} to hold {m} integer labels 0/1 "
            f"(shape ({m},)), got {_describe(y)} with values {sorted(set(np.unique(y).tolist()))[:10]}"
        )
    try:
        names = [c.decode("utf-8") if isinstance(c, bytes) else str(c) for c in classes.tolist()]
    except UnicodeDecodeError as exc:
        raise DatasetError(f"data_dir: expected 'list_classes' in {_where(path)}{where} to hold UTF-8 class "
                           f"names, got {exc.object[:40]!r}, which is not UTF-8") from None
    return x, y.reshape(1, m).astype(np.int64), names


def load_cat_dataset(
    data_dir: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Load the cat vs non-cat pictures of the course, flattened to columns.

    Parameters
    ----------
    data_dir : str or path, optional
        Folder holding ``train_catvnoncat.h5`` and ``test_catvnoncat.h5``;
        defaults to the environment variable ``DEEPSTEP_DATA``.

    Returns
    -------
    train_X : ndarray of shape (12288, 209), float64
        ``train_set_x.reshape(m, -1).T / 255``: one 64x64x3 picture per column, values in [0, 1].
    train_Y : ndarray of shape (1, 209), int64
        1 = cat, 0 = non-cat.
    test_X : ndarray of shape (12288, 50), float64
    test_Y : ndarray of shape (1, 50), int64
    classes : list of str
        ``['non-cat', 'cat']``: a label is an index into it.

    Raises
    ------
    DatasetError
        When no folder is given, the folder or a file is missing, a file is not
        HDF5 (a Git LFS pointer or an HTML page saved in its place), lacks a key,
        holds arrays of the wrong shape, more than :data:`~deepstep.limits.MAX_VALUES` values or
        class names that are not UTF-8; or h5py is not installed.
    """
    what = f"the folder holding {CAT_FILES[0]} and {CAT_FILES[1]}"
    if data_dir is None or (isinstance(data_dir, str) and data_dir == ""):
        env = os.environ.get(DATA_ENV, "")
        if not env:
            raise DatasetError(
                f"data_dir: expected {what}, got none: pass "
                f"data_dir or set the environment variable {DATA_ENV} (export {DATA_ENV}=/path/to/catvnoncat)"
            )
        folder, where = _as_path(env, "data_dir", what), f" (from {DATA_ENV})"
    else:
        folder, where = _as_path(data_dir, "data_dir", what), ""
    state = _path_state(folder)
    if state != "folder":
        raise DatasetError(
            f"data_dir: expected a folder holding {CAT_FILES[0]} and {CAT_FILES[1]}, "
            f"got {_where(folder)}{where}, which {'is not a folder' if state == 'file' else state}"
        )
    paths = [folder / name for name in CAT_FILES]
    for path in paths:
        if _path_state(path) != "file":
            try:
                held = sorted(p.name for p in folder.iterdir())[:20]
            except OSError as exc:
                held = f"nothing it lets us list: {_one_line(exc.strerror or exc)}"
            raise DatasetError(
                f"data_dir: expected {path.name} in {_where(folder)}{where}, but it is not there "
                f"(the folder holds {held})"
            )
        try:
            reason = _not_hdf5_reason(path)
        except OSError as exc:
            raise DatasetError(f"data_dir: expected a readable file at {_where(path)}{where}, got: "
                               f"{_one_line(exc.strerror or exc)}") from None
        if reason is not None:
            raise DatasetError(f"data_dir: expected {_where(path)}{where} to be an HDF5 file, but {reason}")
    try:
        import h5py
    except ImportError:
        raise DatasetError(f"load_cat_dataset: h5py is needed to read HDF5 files; install it with "
                           f"{_INSTALL_DATA}") from None
    train_x, train_Y, classes = _read_cat_file(h5py, paths[0], "train", where)
    test_x, test_Y, _ = _read_cat_file(h5py, paths[1], "test", where)
    train_X = train_x.reshape(train_x.shape[0], -1).T / 255
    test_X = test_x.reshape(test_x.shape[0], -1).T / 255
    return train_X, train_Y, test_X, test_Y, classes


def column_to_image(x: np.ndarray, shape: Sequence[int] = CAT_IMAGE_SHAPE) -> np.ndarray:
    """One picture back from a column of values in [0, 1], for plotting.

    Parameters
    ----------
    x : ndarray of shape (n0,) or (n0, 1)
        A column of X, such as ``train_X[:, j]``, with n0 = prod(shape).
    shape : tuple of int
        (height, width, channels) of the picture.

    Returns
    -------
    ndarray of shape ``shape``, uint8
        ``round(x * 255)``.

    Examples
    --------
    >>> import numpy as np
    >>> column_to_image(np.array([[0.0], [0.5], [1.0]]), shape=(1, 1, 3)).tolist()
    [[[0, 128, 255]]]
    """
    x = np.asarray(x)
    shape = tuple(int(s) for s in shape)
    n0 = math.prod(shape)
    if x.ndim not in (1, 2) or (x.ndim == 2 and x.shape[1] != 1) or x.size != n0:
        raise DeepstepError(f"x: expected one column of {n0} values (shape ({n0},) or ({n0}, 1)) for a picture "
                            f"of shape {shape}, got {_describe(x)}")
    if not np.issubdtype(x.dtype, np.number) or not np.isfinite(x).all():
        raise DeepstepError(f"x: expected finite numbers in [0, 1], got {_describe(x)}")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1e-9 or hi > 1 + 1e-9:
        raise DeepstepError(f"x: expected values in [0, 1] (pixels / 255), got values from {lo:g} to {hi:g}")
    return np.clip(np.rint(x.reshape(shape) * 255), 0, 255).astype(np.uint8)


# -- toy 2-D point sets ---------------------------------------------------------------


def make_planar(m: int = 400, noise: float = 0.2, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """The course's "flower": two classes on interleaved petals of the rose r = 4 sin(4 theta).

    Class j (j = 0, 1) gets m/2 points with theta evenly spread over
    [j * 3.12, (j + 1) * 3.12], then ``noise`` times standard normal noise is
    added to theta and to r, and a point is (r sin theta, r cos theta).
    Each class holds alternate petals, so no straight line separates them.
    With ``rng=1`` (a ``RandomState(1)``) and m = 400 this is the course's
    ``load_planar_dataset()`` draw for draw.

    Parameters
    ----------
    m : int
        Number of points, at most :data:`~deepstep.limits.MAX_EXAMPLES` (10 million); class 0 gets
        m // 2 and class 1 the rest.
    noise : float
        Standard deviation of the noise on theta and on r.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState
        Source of randomness (see :func:`deepstep.initialization.as_rng`).

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        Class 0 first, then class 1.
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    gen = _rng(rng)
    a = 4  # the longest petal
    counts = _class_counts(m, 2)[::-1]  # class 0: m // 2
    parts = []
    for j, n in enumerate(counts):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + gen.standard_normal(n) * noise
        r = a * np.sin(4 * t) + gen.standard_normal(n) * noise
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return np.hstack(parts), _labels(counts)


def make_moons(m: int = 400, noise: float = 0.2, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Class 0: (cos t, sin t) and class 1: (1 - cos t, 0.5 - sin t) for t evenly
    spread over [0, pi], shifted by (-0.5, -0.25) so that the set is centred,
    plus ``noise`` times standard normal noise on each coordinate.

    Parameters
    ----------
    m : int
        Number of points, at most :data:`~deepstep.limits.MAX_EXAMPLES` (10 million); class 0 gets ceil(m / 2).
    noise : float
        Standard deviation of the Gaussian noise added to every coordinate.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        Class 0 first, then class 1.
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    gen = _rng(rng)
    counts = _class_counts(m, 2)
    t0, t1 = np.linspace(0, np.pi, counts[0]), np.linspace(0, np.pi, counts[1])
    X = np.hstack([np.vstack([np.cos(t0), np.sin(t0)]), np.vstack([1 - np.cos(t1), 0.5 - np.sin(t1)])])
    X += np.array([[-0.5], [-0.25]]) + gen.standard_normal((2, m)) * noise
    return X, _labels(counts)


def make_circles(
    m: int = 400, noise: float = 0.1, rng: RngLike = None, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """A circle (class 0, radius 1) around a smaller one (class 1, radius ``factor``).

    Points are evenly spaced in angle on each circle, plus ``noise`` times
    standard normal noise on each coordinate.

    Parameters
    ----------
    m : int
        Number of points, at most :data:`~deepstep.limits.MAX_EXAMPLES` (10 million); class 0 gets ceil(m / 2).
    noise : float
        Standard deviation of the Gaussian noise added to every coordinate.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState
    factor : float
        Radius of the inner circle, 0 < factor < 1.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        Class 0 first, then class 1.
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    if isinstance(factor, bool) or not isinstance(factor, Real) or not 0 < factor < 1:
        raise DatasetError(f"factor: expected a number with 0 < factor < 1, got {_describe(factor)}")
    gen = _rng(rng)
    counts = _class_counts(m, 2)
    parts = []
    for radius, n in zip((1.0, float(factor)), counts, strict=True):
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        parts.append(radius * np.vstack([np.cos(t), np.sin(t)]))
    X = np.hstack(parts) + gen.standard_normal((2, m)) * noise
    return X, _labels(counts)


def make_blobs(
    m: int = 400, noise: float = 1.0, rng: RngLike = None, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, one per class, centred on a circle of radius 2.5.

    The centre of class k is 2.5 (cos a_k, sin a_k) with a_k = pi / 4 + 2 pi k / n_classes,
    and every point is its centre plus ``noise`` times standard normal noise.

    Parameters
    ----------
    m : int
        Number of points, at most :data:`~deepstep.limits.MAX_EXAMPLES` (10 million), shared as evenly
        as possible between the classes.
    noise : float
        Standard deviation of each blob, in each coordinate.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState
    n_classes : int
        Number of classes (blobs), at least 2.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        Class indices 0..n_classes-1, in order.
    """
    C = _dataset_check(check_positive_int, n_classes, "n_classes")
    if C < 2:
        raise DatasetError(f"n_classes: expected at least 2 classes, got {C}")
    m = _check_m(m, C)
    noise = _check_noise(noise)
    gen = _rng(rng)
    counts = _class_counts(m, C)
    angles = np.pi / 4 + 2 * np.pi * np.arange(C) / C
    centres = 2.5 * np.vstack([np.cos(angles), np.sin(angles)])
    X = np.repeat(centres, counts, axis=1) + gen.standard_normal((2, m)) * noise
    return X, _labels(counts)


_TOY = {"planar": make_planar, "moons": make_moons, "circles": make_circles, "blobs": make_blobs}


# -- your own data: labels -------------------------------------------------------------


def _number_name(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _encode_labels(values: np.ndarray, name: str) -> tuple[np.ndarray, list[str]]:
    """Labels (any numbers or strings) -> (1, m) int64 indices into their sorted distinct values, and names."""
    if values.dtype.kind in "biuf":
        v = values.astype(np.float64)
        if not np.isfinite(v).all():
            raise DatasetError(f"{name}: expected finite labels, got NaN or inf")
        distinct, Y = np.unique(v, return_inverse=True)
        classes = [_number_name(c) for c in distinct]
    elif values.dtype.kind in "SU":
        strings = np.char.strip(_decode_utf8(values, f"{name}: expected UTF-8 text labels") if values.dtype.kind == "S"
                                else values)
        distinct, Y = np.unique(strings, return_inverse=True)
        classes = [str(c) for c in distinct]
    else:
        raise DatasetError(f"{name}: expected numbers or strings as labels, got dtype {values.dtype}")
    if len(classes) < 2:
        raise DatasetError(f"{name}: expected at least two different labels (classes), got only {classes}")
    return Y.reshape(1, -1).astype(np.int64), classes


def _decode_utf8(values: np.ndarray, expected: str) -> np.ndarray:
    """Byte strings as text, or DatasetError starting with ``expected`` and quoting the first undecodable one."""
    try:
        return np.char.decode(values, "utf-8")
    except UnicodeDecodeError:
        bad = next(b for b in values.ravel().tolist() if not _is_utf8(b))
        raise DatasetError(f"{expected}, got the bytes {bad[:40]!r}{'...' if len(bad) > 40 else ''}, which are "
                           f"not UTF-8") from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


TASKS = ("auto", "classification", "regression")
"""What the labels of a file are for: "auto" takes classes, and refuses labels that look real-valued."""

# "auto" calls integer labels real-valued when they have more distinct values than this and than m / 10
MAX_AUTO_CLASSES = 20


def _check_task(task: Any) -> str:
    if not isinstance(task, str) or task not in TASKS:
        raise DatasetError(f"task: expected one of {list(TASKS)}, got {_describe(task)}")
    return task


def _continuous(values: np.ndarray) -> str | None:
    """Why numeric labels look like a real-valued target rather than classes (None when they look like classes)."""
    fractional = values[values != np.round(values)]
    if fractional.size:
        return f"non-integer values such as {_number_name(fractional[0])}"
    distinct = np.unique(values).size
    if distinct > MAX_AUTO_CLASSES and distinct > values.size / 10:
        return f"{distinct} distinct values among {values.size} examples"
    return None


def targets(parts: Sequence[np.ndarray], task: str, name: str, names: np.ndarray | None = None
            ) -> tuple[list[np.ndarray], list[str] | None, str]:
    """Label arrays (one per file: the training file, and a test file) as the targets of one task.

    Parameters
    ----------
    parts : list of 1-D arrays
        Labels as read: numbers or strings.
    task : {"auto", "classification", "regression"}
        "classification": the distinct labels of all parts, sorted, are the classes.  "regression": the labels
        must be numbers, kept as float64 values.  "auto": classification, unless the labels are numbers that
        look like a real-valued target (a non-integer value, or more than 20 distinct values and more than
        m / 10): then DatasetError asks for task="regression" (``--task regression``) -- a real target is never
        silently made into hundreds of classes.
    name : str
        How the labels are named in messages.
    names : array of str, optional
        Class names stored with the labels (a .npz's ``classes``): the labels are indices into them.

    Returns
    -------
    Ys : list of (1, m) arrays
        int64 class indices, or float64 values for regression.
    classes : list of str, or None for regression
    task : "classification" or "regression"
    """
    if names is not None:
        if task == "regression":
            raise DatasetError(f"task: 'regression' takes real-valued labels, and {name} holds class indices "
                               "into its 'classes'")
        out = [_npz_targets(Y, names, name) for Y in parts]
        return [Y for Y, _ in out], out[0][1], "classification"
    numeric = all(Y.dtype.kind in "biuf" for Y in parts)
    if task == "regression":
        if not numeric:
            text = next(Y for Y in parts if Y.dtype.kind not in "biuf")
            raise DatasetError(f"{name}: expected numbers as regression targets, got text such as "
                               f"{str(text.ravel()[0])[:40]!r}")
        values = [Y.astype(np.float64).reshape(1, -1) for Y in parts]
        if not all(np.isfinite(v).all() for v in values):
            raise DatasetError(f"{name}: expected finite targets, got NaN or inf")
        return values, None, "regression"
    joined = np.concatenate([Y.ravel() for Y in parts])
    if task == "auto" and numeric:
        v = joined.astype(np.float64)
        why = _continuous(v) if np.isfinite(v).all() else None
        if why is not None:
            raise DatasetError(f"{name}: expected class labels, got what looks like a real-valued target ({why}); "
                               "train a regression (task='regression', deepstep train --task regression), or give "
                               "task='classification' (--task classification) to take each value as a class")
    Y, classes = _encode_labels(joined, name)
    bounds = np.cumsum([0] + [P.size for P in parts])
    return [Y[:, a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)], classes, "classification"


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


def _npz_targets(Y: np.ndarray, names: np.ndarray, where: str) -> tuple[np.ndarray, list[str]]:
    """Y of a .npz with its own 'classes': (1, m) class indices into those names, checked."""
    if names.ndim != 1 or names.dtype.kind not in "SU" or names.size < 2:
        raise DatasetError(f"classes: expected at least two class names with {where}, got {_describe(names)}")
    if names.dtype.kind == "S":
        names = _decode_utf8(names, f"classes: expected UTF-8 class names with {where}")
    classes = [str(c) for c in names.tolist()]
    ok = Y.dtype.kind in "biu" or (Y.dtype.kind == "f" and np.isfinite(Y).all() and (Y == np.round(Y)).all())
    if not ok or Y.min() < 0 or Y.max() >= len(classes):
        raise DatasetError(f"Y: expected class indices 0..{len(classes) - 1} (into 'classes') in {where}, "
                           f"got {_describe(Y)}")
    return Y.reshape(1, -1).astype(np.int64), classes


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
                value = math.nan if cell.lower() in ("nan", "") else None
                if value is None:
                    raise DatasetError(
                        f"{header[j]}: expected numeric features in {where}, got {cell!r} on line {line} "
                        f"(only the label column, here {header[k]!r}, may hold text)"
                    ) from None
            if not math.isfinite(value):
                raise DatasetError(f"{header[j]}: expected a finite number in {where}, got {cell!r} on line {line}")
            values.append(value)
        label = row[k].strip()
        if not label:
            raise DatasetError(f"{header[k]}: expected a label in {where}, got an empty cell on line {line}")
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


def _picture_values(Image: Any, im: Any, size: tuple[int, int], where: str) -> np.ndarray:
    """(height, width, 3) float64 in [0, 1] from an opened, upright picture; see :func:`load_image`."""
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
        return np.repeat(v[:, :, np.newaxis], 3, axis=2)
    if mode in ("P", "PA"):
        # through RGBA: a palette's transparency (one entry or an alpha per entry) becomes an alpha channel
        # without Pillow's warning about "Transparency expressed in bytes"; the alpha is then dropped
        im = im.convert("RGBA")
    if im.mode != "RGB":
        im = im.convert("RGB")
    if im.size != (w, h):
        im = im.resize((w, h), Image.Resampling.LANCZOS)
    return np.asarray(im, dtype=np.uint8) / 255


_PICTURE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, KeyError, TypeError,
                   ZeroDivisionError, OverflowError)


def _read_picture(Image: Any, ImageOps: Any, path: Path, size: tuple[int, int]) -> np.ndarray:
    """(height, width, 3) float64 in [0, 1]: turned upright (EXIF), made RGB and resized to ``size`` = (height, width).

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
                values = _picture_values(Image, ImageOps.exif_transpose(im), size, where)
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


def load_image(path: str | os.PathLike, size: Sequence[int] = (64, 64)) -> np.ndarray:
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

    Returns
    -------
    ndarray of shape (height * width * 3, 1), float64
        Values in [0, 1].

    Raises
    ------
    DatasetError
        For a size beyond the bounds, a missing file, a file Pillow cannot read or
        warns about (a decompression bomb, corrupt EXIF data, ...), 16-bit or
        float values out of range, or a missing Pillow.
    """
    h, w = _check_size(size)
    p = _existing_file(path, "path", "a picture file")
    Image, ImageOps = _pillow()
    return _read_picture(Image, ImageOps, p, (h, w)).reshape(-1, 1)


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
    h, w = _check_size(size, size_name)
    what = "a folder with one sub-folder of pictures per class"
    root = _as_path(path, "path", what)
    state = _path_state(root)
    if state != "folder":
        which = "is a file" if state == "file" else state
        raise DatasetError(f"path: expected {what}, got {_where(root)}, which {which}")
    try:
        classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    except OSError as exc:
        raise DatasetError(f"path: expected a folder that can be listed, got {_where(root)}: "
                           f"{_one_line(exc.strerror or exc)}") from None
    if len(classes) < 2:
        raise DatasetError(
            f"path: expected at least two class sub-folders (e.g. {root / 'cat'} and {root / 'dog'}) in "
            f"{_where(root)}, got {classes}"
        )
    files: list[tuple[int, Path]] = []
    for k, name in enumerate(classes):
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
    n0, m = h * w * 3, len(files)
    if n0 * m > limits.MAX_VALUES:
        raise DatasetError(
            f"{size_name}: expected at most {limits.MAX_VALUES} values in X (deepstep.limits.MAX_VALUES, "
            f"{limits.MAX_VALUES * 8 / 2**30:g} GiB as "
            f"float64), got {m} pictures of {h} x {w} x 3 = {n0 * m} values in {_where(root)}; use a smaller "
            f"{size_name} or fewer pictures"
        )
    Image, ImageOps = _pillow()
    try:
        X = np.empty((m, n0))
    except MemoryError:
        raise DatasetError(f"{size_name}: expected {m} pictures of {h} x {w} x 3 to fit in memory "
                           f"({n0 * m * 8 / 2**30:.3g} GiB as float64), got a MemoryError") from None
    for j, (_, f) in enumerate(files):
        X[j] = _read_picture(Image, ImageOps, f, (h, w)).ravel()
    Y = np.array([[k for k, _ in files]], dtype=np.int64)
    return X.T, Y, classes


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

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, kind={self.kind!r}, task={self.task!r}, train_X {self.train_X.shape}, "
                f"test_X {self.test_X.shape}, classes={self.classes!r})")


def _check_fraction(test_fraction: Any) -> float:
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, Real) or not 0 < test_fraction < 1:
        raise DatasetError(
            f"test_fraction: expected a number with 0 < test_fraction < 1, got {_describe(test_fraction)}"
        )
    return float(test_fraction)


def _test_mask(Y: np.ndarray, fraction: float, gen: Any, where: str, classes: Sequence[str]) -> np.ndarray:
    """Stratified split: round(fraction * count) random examples of each class (index in Y) go to the test set
    (the mask returned; file order kept).  A split leaving no test example, or a class without a training example,
    is refused."""
    from .split import stratified_split

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
                   fraction: float, rng: Any, name: str) -> Dataset:
    """A .csv or .npz file as a Dataset: split by ``fraction``, or with ``test_data`` as its test set."""
    if path.suffix.lower() == ".npz" and label_column is not None:
        raise DatasetError(f"label_column: only a .csv file has named columns, got {_where(path)}")
    X, raw, names, features, label_name, label = _read_table(path, label_column, delimiter)
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
                           f"{f' and its label column {label!r}' if label is not None else ''} in {where}, "
                           f"got also {extra}; drop {'them' if len(extra) > 1 else 'it'} from the file")
    return [header.index(name) for name in features]


def load_rows(path: str | os.PathLike, n_features: int, features: Sequence[str] | None = None,
              delimiter: str = ",", label: str | None = None) -> np.ndarray:
    """Rows to predict: X (n_features, m) from a .csv or a .npz.

    Columns are matched by name against the model's ``features`` (:func:`match_features`): a missing, renamed or
    unknown column is refused, and the label column ``label`` may stand anywhere.  A .csv has a header row, and is
    refused for a model that does not name its features (trained on arrays: nothing to match).  A .npz holds an
    array ``X`` of shape (m, n_features) or (n_features, m) (a square one is refused: its orientation cannot be
    told), or ``X_rows`` of shape (m, n_features); for a model that names its features it must also hold an
    array ``features`` of the column names, matched like a CSV's header.
    """
    p = _existing_file(path, "rows", "a .csv or .npz file of rows to label")
    suffix = p.suffix.lower()
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


_SQUARE = ("{name}: expected a shape that tells examples from features in {where}, got a square array {shape}: with "
           "as many examples as features, its rows and columns cannot be told apart; save it with one example per "
           "row as X_rows (np.savez(path, X_rows=...)), or give more or fewer examples")


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
    image_size: Sequence[int] = (64, 64),
    label_column: str | None = None,
    task: str = "auto",
    delimiter: str = ",",
    test_data: str | os.PathLike | None = None,
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
    image_size : (int, int)
        (height, width) the pictures of a folder are resized to, each at most
        :data:`~deepstep.limits.MAX_IMAGE_SIDE` (4096).
    label_column : str, optional
        The label column of a ``.csv`` file (see :func:`load_csv`).
    task : {"auto", "classification", "regression"}
        What a file's labels are (see :func:`targets`); the built-in sets and picture folders are classification.
    delimiter : str
        The field separator of ``.csv`` files.
    test_data : str or path, optional
        A second ``.csv`` or ``.npz`` file (the same columns) as the test set, instead of holding out
        ``test_fraction`` of the first; the classes are the labels of both files.

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
    table = not key and str(name_or_path).lower().endswith((".csv", ".npz"))
    if task == "regression" and not table:
        raise DatasetError(f"task: 'regression' needs a .csv or .npz file of real-valued labels, got "
                           f"{str(name_or_path)!r}")
    if test_data is not None and not table:
        raise DatasetError(f"test_data: a separate test file goes with a .csv or .npz data set, got "
                           f"{str(name_or_path)!r}")
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
        m_test = max(2, round(wanted))
        extra = {} if noise is None else {"noise": noise}
        train_X, train_Y = make(m, rng=gen, **extra)
        test_X, test_Y = make(m_test, rng=gen, **extra)
        return Dataset(train_X, train_Y, test_X, test_Y, ["0", "1"], "points", None, key)
    path = _as_path(name_or_path, "name_or_path", "a .npz file, a .csv file or a folder of class sub-folders")
    suffix = path.suffix.lower()
    state = _path_state(path)
    if state == "folder":
        X, Y, classes = _image_folder(path, image_size, "image_size")
        kind, shape = "image", (*_check_size(image_size, "image_size"), 3)
    elif state == "file" and suffix in (".npz", ".csv"):
        return _table_dataset(path, label_column, delimiter, task, test_data, fraction, rng, str(name_or_path))
    elif state == "file":
        raise DatasetError(
            f"name_or_path: expected a .npz or .csv file or a folder of class sub-folders, got {_where(path)}"
        )
    else:
        raise DatasetError(
            f"name_or_path: expected one of the names {list(DATASET_NAMES)} or the path of a .npz file, a .csv file "
            f"or a folder of class sub-folders of pictures, got {str(name_or_path)!r}, which is neither"
        )
    test = _test_mask(Y, fraction, _rng(rng), _where(path), classes)
    return Dataset(X[:, ~test], Y[:, ~test], X[:, test], Y[:, test], classes, kind, shape, str(name_or_path))
