"""What every loader shares: DatasetError, the data set names and file constants, path and size checks."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ..core.initialization import as_rng
from ..errors import DeepstepError, _describe, check_number, check_positive_int

DATA_ENV = "DEEPSTEP_DATA"
CAT_FILES = ("train_catvnoncat.h5", "test_catvnoncat.h5")
CAT_IMAGE_SHAPE = (64, 64, 3)
DATASET_NAMES = ("cats", "planar", "moons", "circles", "blobs", "spiral", "xor", "gaussian")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")

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


