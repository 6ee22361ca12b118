"""Model files: one ``.npz`` per model, written atomically, loaded without pickle.

The file holds the arrays W1, b1, ..., WL, bL and ``meta``, a JSON string:
format and deepstep versions, layer sizes, activations, dtype, and whatever the
trainer adds (class names, input shape, training settings, cost history, the
random generator's state so that an interrupted run resumes exactly).
Loading checks the format version, the keys, every shape and dtype, and never
executes code from the file (``allow_pickle=False``).

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> import deepstep as ds
>>> net = ds.DeepNetwork([3, 2, 1], rng=0)
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> net.save(path)
>>> loaded = ds.load_model(path)
>>> X = np.ones((3, 4))
>>> bool((loaded.predict_proba(X) == net.predict_proba(X)).all())
True
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DeepstepError

if TYPE_CHECKING:
    from .network import DeepNetwork

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "atomic_path", "load_model", "save_model", "write_json"]

FORMAT = "deepstep-model"
FORMAT_VERSION = 1


class ModelFileError(DeepstepError):
    """A model file is missing, damaged, or not a deepstep model of a known format."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    A crash or error while writing leaves ``path`` as it was (old file or none)
    and removes the temporary file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a file written in place would get 0666 - umask
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it (os.umask can only set it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and put back at once
    os.umask(mask)
    return mask


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")


def _rng_state(rng: Any) -> dict | None:
    """The generator's state as plain JSON data (None if it cannot be kept)."""
    if isinstance(rng, np.random.Generator):
        return {"kind": "Generator", "state": rng.bit_generator.state}
    if isinstance(rng, np.random.RandomState):
        name, key, pos, has_gauss, gauss = rng.get_state()
        return {"kind": "RandomState", "state": [name, key.tolist(), pos, has_gauss, gauss]}
    return None


def _restore_rng(saved: dict | None) -> np.random.Generator | np.random.RandomState | None:
    if not saved:
        return None
    try:
        if saved["kind"] == "Generator":
            state = saved["state"]
            if state.get("bit_generator") != "PCG64":
                return None
            bitgen = np.random.PCG64()
            bitgen.state = state
            return np.random.Generator(bitgen)
        if saved["kind"] == "RandomState":
            name, key, pos, has_gauss, gauss = saved["state"]
            rs = np.random.RandomState()
            rs.set_state((name, np.array(key, dtype=np.uint32), pos, has_gauss, gauss))
            return rs
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"meta: the saved random generator state is damaged ({exc})") from None
    return None


def save_model(net: DeepNetwork, path: str | os.PathLike) -> None:
    """Write ``net`` to ``path`` (a ``.npz``), atomically.

    Parameters
    ----------
    net : DeepNetwork
        Its parameters "W{l}" (n[l], n[l-1]) and "b{l}" (n[l], 1), its
        activations, dtype, cost history and ``net.metadata`` are kept.
    path : str or PathLike
    """
    from . import __version__

    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "deepstep_version": __version__,
        "layer_dims": net.layer_dims,
        "hidden_activation": net.hidden_activation,
        "output_activation": net.output_activation,
        "dtype": net.dtype.name,
        "cost_history": list(net.history.cost),
        "method": net.history.method,
        "rng_state": _rng_state(net._rng),
        **net.metadata,
    }
    arrays = {k: np.ascontiguousarray(v) for k, v in net.parameters.items()}
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, meta=np.array(json.dumps(meta)), **arrays)


_CORE_KEYS = ("format", "format_version", "deepstep_version", "layer_dims", "hidden_activation",
              "output_activation", "dtype", "cost_history", "method", "rng_state")


def _check_meta(meta: dict, dims: list[int], where: str) -> None:
    """The optional metadata a model file may carry, each of the type its readers expect."""
    costs = meta.get("cost_history", [])
    if not isinstance(costs, list) or not all(isinstance(c, (int, float)) for c in costs):
        raise ModelFileError(f"model: expected 'cost_history' in {where!r} to be a list of numbers")
    shape = meta.get("image_shape")
    if shape is not None and not (
        isinstance(shape, list) and len(shape) == 3 and all(isinstance(n, int) and n > 0 for n in shape)
    ):
        raise ModelFileError(
            f"model: expected 'image_shape' in {where!r} to be [height, width, channels], got {shape!r}"
        )
    classes = meta.get("classes")
    n_classes = max(2, dims[-1])
    if classes is not None and not (
        isinstance(classes, list) and len(classes) == n_classes and all(isinstance(c, str) for c in classes)
    ):
        raise ModelFileError(
            f"model: expected 'classes' in {where!r} to be {n_classes} class names for n[L] = {dims[-1]}, "
            f"got {classes!r}"
        )
    for key, kind in (("training", dict), ("dataset", str)):
        if meta.get(key) is not None and not isinstance(meta[key], kind):
            raise ModelFileError(
                f"model: expected {key!r} in {where!r} to be a JSON {kind.__name__}, got {meta[key]!r}"
            )


def load_model(path: str | os.PathLike) -> DeepNetwork:
    """Read a model written by :func:`save_model` (or ``net.save``).

    Raises
    ------
    ModelFileError
        If the file is missing, not an ``.npz``, of another format or version,
        or its keys, shapes or dtypes do not match its metadata.
    """
    from .network import DeepNetwork

    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"model: expected a deepstep model file (.npz), found nothing at {str(p)!r}")
    try:
        with np.load(p, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # BadZipFile: truncated, bad CRC
        raise ModelFileError(
            f"model: expected a deepstep model file (.npz) at {str(p)!r}, could not read it ({exc})"
        ) from None
    not_arrays = sorted(k for k, v in arrays.items() if not isinstance(v, np.ndarray))
    if not_arrays:
        raise ModelFileError(f"model: expected only NumPy arrays in {str(p)!r}, got other members {not_arrays}")
    if "meta" not in arrays or arrays["meta"].dtype.kind != "U" or arrays["meta"].ndim != 0:
        raise ModelFileError(f"model: expected a 'meta' JSON string in {str(p)!r}, found keys {sorted(arrays)}")
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"model: the metadata of {str(p)!r} is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(
            f"model: expected the metadata of {str(p)!r} to be a JSON object, got {type(meta).__name__}"
        )
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"model: expected format {FORMAT!r} in {str(p)!r}, got {meta.get('format')!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"model: expected format version {FORMAT_VERSION} in {str(p)!r}, got {meta.get('format_version')!r} "
            "(written by another deepstep version)"
        )
    try:
        dims = [int(n) for n in meta["layer_dims"]]
        dtype = np.dtype(meta["dtype"])
        hidden, output = meta["hidden_activation"], meta["output_activation"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"model: the metadata of {str(p)!r} lacks or garbles {exc}") from None
    L = len(dims) - 1
    expected = {f"W{l}": (dims[l], dims[l - 1]) for l in range(1, L + 1)}
    expected |= {f"b{l}": (dims[l], 1) for l in range(1, L + 1)}
    if sorted(arrays) != sorted(expected):
        raise ModelFileError(f"model: expected arrays {sorted(expected)} in {str(p)!r}, found {sorted(arrays)}")
    for key, shape in expected.items():
        A = arrays[key]
        if A.shape != shape or A.dtype != dtype:
            raise ModelFileError(
                f"model: expected {key} of shape {shape} and dtype {dtype} in {str(p)!r}, "
                f"got shape {A.shape} and dtype {A.dtype}"
            )
        if not np.isfinite(A).all():
            raise ModelFileError(f"model: {key} in {str(p)!r} holds NaN or inf")
    _check_meta(meta, dims, str(p))
    net = DeepNetwork.from_parameters(
        {k: arrays[k] for k in expected}, hidden, output, rng=_restore_rng(meta.get("rng_state"))
    )
    net.history.cost = [float(c) for c in meta.get("cost_history", [])]
    net.history.method = meta.get("method")
    net.metadata = {k: v for k, v in meta.items() if k not in _CORE_KEYS}
    return net
