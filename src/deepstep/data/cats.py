"""The course's cat vs non-cat pictures (HDF5, from DEEPSTEP_DATA or a folder given)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ..errors import DeepstepError, _describe
from .common import (
    _HDF5_SIGNATURE,
    _INSTALL_DATA,
    CAT_FILES,
    CAT_IMAGE_SHAPE,
    DATA_ENV,
    DatasetError,
    _as_path,
    _one_line,
    _path_state,
    _where,
)

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


