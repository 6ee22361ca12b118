"""Size bounds, in one place: what deepstep refuses to allocate, before it allocates anything.

Every bound is generous for real use and far below what would exhaust a computer's memory; a size beyond
one is refused with a :class:`~deepstep.DeepstepError` naming the argument, the bound and the size asked
for, instead of a ``MemoryError`` (or NumPy's "array is too big") halfway through.  The bounds are read at
call time, so a program that knows its memory may change them (``deepstep.limits.MAX_PARAMETERS = ...``).

* :data:`MAX_VALUES` -- values in one array read from a file or made of a data set (2**30: 8 GiB as float64);
* :data:`MAX_PARAMETERS` -- parameters of a network, W[l] and b[l] of every layer together (2**28: 2 GiB as
  float64; training holds the gradients and an optimizer's state besides, several times that);
* :data:`MAX_CLASSES` -- classes of a confusion matrix or a classification report (10 000: a matrix of
  10**8 counts, 800 MB);
* :data:`MAX_EXAMPLES` -- examples of a generated set, training or test part (10 million);
* :data:`MAX_IMAGE_SIDE` -- pictures are resized to at most 4096 x 4096 pixels;
* :data:`MAX_PICTURE_PIXELS` -- a picture file of more than 2**26 pixels (8192 x 8192) is not decoded;
* :data:`MAX_CSV_BYTES` -- a CSV file of more than 2**30 bytes (1 GiB) is not read;
* :data:`MEMORY_FRACTION` -- training and ``explain`` estimate the memory they will hold (:func:`training_bytes`,
  :func:`explain_bytes`) and refuse, before allocating, what needs more than this share of the memory available
  now (:func:`available_memory`).

It also holds :func:`read_npy_header`, the one reader of a ``.npy`` header that model files and data files
use to size an array before NumPy allocates it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import IO, NamedTuple

import numpy as np

from .errors import DeepstepError

__all__ = [
    "MAX_CLASSES",
    "MAX_CSV_BYTES",
    "MAX_EXAMPLES",
    "MAX_IMAGE_SIDE",
    "MAX_PARAMETERS",
    "MAX_PICTURE_PIXELS",
    "MAX_VALUES",
    "NpyHeader",
    "MEMORY_FRACTION",
    "available_memory",
    "check_memory",
    "check_parameter_count",
    "explain_bytes",
    "parameter_count",
    "read_npy_header",
    "training_bytes",
]

MAX_VALUES = 2**30
MAX_PARAMETERS = 2**28
MAX_CLASSES = 10_000
MAX_EXAMPLES = 10_000_000
MAX_IMAGE_SIDE = 4096
MAX_PICTURE_PIXELS = 2**26
MAX_CSV_BYTES = 2**30
MEMORY_FRACTION = 0.8


def parameter_count(layer_dims: Sequence[int]) -> int:
    """sum over l of n[l] * n[l-1] + n[l]: the values of W[1], b[1], ..., W[L], b[L] (exact Python ints).

    >>> parameter_count([12288, 20, 7, 5, 1])
    245973
    """
    return sum(n * (n_prev + 1) for n_prev, n in zip(layer_dims[:-1], layer_dims[1:], strict=False))


def weight_products(layer_dims: Sequence[int]) -> list[int]:
    """n[l] * n[l-1] for l = 1 .. L: the multiply-adds of each layer's W[l] A[l-1] per example (a run's work counts
    three of them an example: the forward product, dW and dA).

    >>> weight_products([12288, 20, 7, 5, 1])
    [245760, 140, 35, 5]
    """
    return [n * n_prev for n_prev, n in zip(layer_dims[:-1], layer_dims[1:], strict=True)]


def check_parameter_count(layer_dims: Sequence[int], name: str = "layer_dims") -> int:
    """The parameter count of ``layer_dims`` (positive ints), or DeepstepError when beyond :data:`MAX_PARAMETERS`."""
    count = parameter_count(layer_dims)
    if count > MAX_PARAMETERS:
        raise DeepstepError(
            f"{name}: expected at most {MAX_PARAMETERS} parameters in all (deepstep.limits.MAX_PARAMETERS, "
            f"{MAX_PARAMETERS * 8 / 2**30:g} GiB as float64), got {list(layer_dims)}, which makes {count}"
        )
    return count


def available_memory() -> int | None:
    """Bytes this process can still allocate: the system's available memory (``MemAvailable`` of
    /proc/meminfo, else free physical pages), less under an address-space limit (``RLIMIT_AS``); None where
    the system does not say."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            avail = None
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm", encoding="ascii") as f:
                used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            room = max(0, soft - used)
            avail = room if avail is None else min(avail, room)
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return avail


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def check_memory(nbytes: int, name: str, what: str) -> None:
    """DeepstepError naming ``name`` when ``nbytes`` exceed :data:`MEMORY_FRACTION` of :func:`available_memory`
    (nothing is checked where the system does not say how much is available)."""
    avail = available_memory()
    if avail is not None and nbytes > MEMORY_FRACTION * avail:
        raise DeepstepError(f"{name}: expected {what} to fit in memory, which needs about {_gib(nbytes)}; "
                            f"{_gib(MEMORY_FRACTION * avail)} is available (deepstep.limits.MEMORY_FRACTION of the "
                            f"{_gib(avail)} free now): use fewer or smaller layers, fewer examples or a smaller batch")


def training_bytes(layer_dims: Sequence[int], m: int, batch_size: int | None, itemsize: int, slots: int,
                   m_validation: int = 0, gram: bool = False, m_signals: int = 0) -> tuple[int, int]:
    """What a training run holds besides the network and the data: (bytes for parameter-shaped arrays, bytes for
    activations).

    Parameter-shaped: five copies (the gradients, the divergence guard's snapshot, flat buffers, a temporary of
    the update, early stopping's best), four per optimizer slot (the slot, its snapshot, the update's
    temporaries).  Activations: Z, A, dA, dZ and a dropout mask of every layer for a batch (``batch_size`` or
    all ``m``), two per layer for the validation examples, and the Gram form's m x m matrices (G, and H of the
    validation examples) and its n[1] x m products, in float64; for the per-layer signals' pass over
    ``m_signals`` examples, a copy of the weights and six arrays per layer (the caches' Z and A, dZ, dA and the
    statistics' temporaries).  Measured with tracemalloc
    (tests/test_bounds.py), the estimate is above what a run holds and within a few times of it.

    >>> training_bytes([2, 4, 1], 10, None, 8, 0)
    (680, 2000)
    """
    P = parameter_count(layer_dims)
    width = sum(int(n) for n in layer_dims[1:])
    b = m if batch_size is None else min(int(batch_size), m)
    params = (5 + 4 * slots) * P * itemsize
    acts = 5 * width * b * itemsize + 2 * width * int(m_validation) * itemsize
    if gram:  # (its factors are float64 whatever the network's dtype: deepstep.core.gram.GramBasis)
        acts += (m * m + m * int(m_validation) + 3 * int(layer_dims[1]) * m) * max(itemsize, 8)
    if m_signals:
        params += P * itemsize
        acts += 6 * width * int(m_signals) * itemsize
    return params, acts


def explain_bytes(layer_dims: Sequence[int], m: int) -> int:
    """What :func:`deepstep.explain` holds: about sixteen float64 copies of the parameters (the step's values,
    the gradients, the update, the optimizer's slots, the finite differences') and eight of the activations.

    >>> explain_bytes([2, 4, 1], 4)
    3968
    """
    return (16 * parameter_count(layer_dims) + 8 * sum(int(n) for n in layer_dims) * int(m)) * 8


class NpyHeader(NamedTuple):
    """What a ``.npy`` header declares, and how many bytes of data follow it."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype
    data_bytes: int  # prod(shape) * itemsize, as the header declares it
    held_bytes: int  # the bytes after the header in a stream of the given size


class NpyVersionError(ValueError):
    """A ``.npy`` format version other than 1.0 and 2.0."""


def read_npy_header(f: IO[bytes], size: int) -> NpyHeader:
    """Read the magic and the header of a ``.npy`` stream of ``size`` bytes, leaving ``f`` at the data.

    Nothing is allocated for the data: the caller compares ``data_bytes`` with ``held_bytes`` (a truncated or
    forged header declares more than the file holds) and the shape with its bounds before reading it.

    Raises
    ------
    NpyVersionError
        For a format version other than 1.0 or 2.0 (a ValueError).
    ValueError
        (or what NumPy's header parser raises) for a damaged header.
    """
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise NpyVersionError(f"npy format version {version}")
    data_bytes = math.prod(int(n) for n in shape) * dtype.itemsize
    return NpyHeader(tuple(shape), bool(fortran), dtype, data_bytes, size - f.tell())
