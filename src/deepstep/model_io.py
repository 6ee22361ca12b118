"""Model files: one ``.npz`` per model, written atomically, loaded without pickle.

The file holds the parameters W1, b1, ..., WL, bL, the training state arrays
(``optimizer.v.dW1``, ``callback.early_stopping.W1``, ...) and ``meta``, a JSON
string: format and deepstep versions, layer sizes, activations, dtype, the
history, the random generator's state, the optimizer (settings, t, epoch) and
the callbacks' state, so that an interrupted run resumes exactly, and the
metadata the trainer adds (class names, input shape, training settings).
Reading checks the format version, the keys, every shape and dtype, and never
executes code from the file (``allow_pickle=False``).  This module knows files,
not networks: :meth:`deepstep.DeepNetwork.save` and :meth:`deepstep.DeepNetwork.load`
(``deepstep.load_model``) build on it.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zlib import error as zlib_error

import numpy as np

from .errors import DeepstepError

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFile", "ModelFileError", "atomic_path", "read_model", "write_model",
           "write_json", "rng_state"]

FORMAT = "deepstep-model"
FORMAT_VERSION = 2


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


def _to_json(value: Any) -> Any:
    """Generator states as JSON: arrays become {"__array__": [...], "dtype": ...}."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__", "dtype"}:
            dt = np.dtype(value["dtype"])
            if dt.kind not in "iu":
                raise ValueError(f"generator state arrays are integers, got dtype {dt}")
            return np.array(value["__array__"], dtype=dt)
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def rng_state(rng: Any) -> dict | None:
    """The generator's state as plain JSON data (a Generator on any of NumPy's bit generators, or a RandomState)."""
    if isinstance(rng, np.random.Generator):
        name = type(rng.bit_generator).__name__
        if name not in _BIT_GENERATORS:
            raise ModelFileError(f"rng: a Generator on {name} cannot be saved; use one of {list(_BIT_GENERATORS)}")
        return {"kind": "Generator", "state": _to_json(rng.bit_generator.state)}
    if isinstance(rng, np.random.RandomState):
        name, key, pos, has_gauss, gauss = rng.get_state()
        return {"kind": "RandomState", "state": [name, key.tolist(), int(pos), int(has_gauss), float(gauss)]}
    return None


def restore_rng(saved: Any, where: str) -> np.random.Generator | np.random.RandomState | None:
    """The generator :func:`rng_state` described, or ModelFileError."""
    if saved is None:
        return None
    try:
        if saved["kind"] == "Generator":
            state = _from_json(saved["state"])
            name = state["bit_generator"]
            if name not in _BIT_GENERATORS:
                raise ValueError(f"unknown bit generator {name!r}")
            bitgen = getattr(np.random, name)()
            bitgen.state = state
            return np.random.Generator(bitgen)
        if saved["kind"] == "RandomState":
            name, key, pos, has_gauss, gauss = saved["state"]
            if name != "MT19937" or len(key) != 624:
                raise ValueError("expected an MT19937 state of 624 words")
            rs = np.random.RandomState()
            rs.set_state((name, np.array(key, dtype=np.uint32), int(pos), int(has_gauss), float(gauss)))
            return rs
        raise ValueError(f"unknown kind {saved['kind']!r}")
    except (KeyError, TypeError, ValueError, OverflowError, IndexError) as exc:
        raise ModelFileError(f"model: the random generator state in {where!r} is damaged ({exc})") from None


@dataclass
class ModelFile:
    """What a model file holds, checked: parameters, training state arrays, metadata, the generator."""

    parameters: dict[str, np.ndarray]
    state: dict[str, np.ndarray]
    meta: dict[str, Any]
    rng: np.random.Generator | np.random.RandomState | None


def write_model(path: str | os.PathLike, parameters: dict[str, np.ndarray], state: dict[str, np.ndarray],
                meta: dict[str, Any]) -> None:
    """Write a model file atomically: the parameters, the state arrays and the metadata (JSON)."""
    from . import __version__

    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "deepstep_version": __version__, **meta}
    arrays = {k: np.ascontiguousarray(v) for k, v in parameters.items()}
    arrays.update({f"state.{k}": np.ascontiguousarray(v) for k, v in state.items()})
    try:
        text = json.dumps(doc, allow_nan=False)
    except ValueError as exc:  # a NaN or inf in the history or the metadata
        raise DeepstepError(f"model: cannot save non-finite numbers in the metadata ({exc})") from None
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, meta=np.array(text), **arrays)


_MAX_META_CHARS = 64 * 2**20  # a 10^6-epoch history is about 20 MB of JSON
_MAX_LAYERS = 10_000
_MAX_UNPACK_RATIO = 1000  # all-zero weights compress about 1000-fold; a larger ratio is a zip bomb
_UNPACK_ALLOWANCE = 64 * 2**20


def _fail(where: str, what: str) -> ModelFileError:
    return ModelFileError(f"model: {what} in {where!r}")


def _read_members(p: Path, where: str) -> dict[str, np.ndarray]:
    """Every member of the .npz, each header checked against the member's real size before it is read."""
    try:
        zf = zipfile.ZipFile(p)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise ModelFileError(f"model: expected a deepstep model file (.npz, a zip archive) at {where!r}, "
                             f"could not read it ({exc})") from None
    arrays: dict[str, np.ndarray] = {}
    with zf:
        infos = zf.infolist()
        unpacked = sum(info.file_size for info in infos)
        limit = _MAX_UNPACK_RATIO * p.stat().st_size + _UNPACK_ALLOWANCE
        if unpacked > limit:  # a zip bomb: refused before anything is unpacked
            raise _fail(where, f"the archive unpacks to {unpacked} bytes, more than {_MAX_UNPACK_RATIO} times its "
                               "size allows")
        for info in infos:
            name = info.filename
            if not name.endswith(".npy") or "/" in name:
                raise _fail(where, f"expected only .npy members, got {name!r}")
            key = name[: -len(".npy")]
            try:
                with zf.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    if version == (1, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                    elif version == (2, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                    else:
                        raise ValueError(f"npy format version {version}")
                    if dtype.hasobject or dtype.kind not in "fU" or dtype.fields is not None:
                        raise ValueError(f"dtype {dtype}: expected floating-point arrays and one string")
                    if any(n < 0 for n in shape) or len(shape) > 2:
                        raise ValueError(f"shape {shape}")
                    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
                    if declared > info.file_size:
                        raise ValueError(f"the header declares {declared} bytes, the member holds {info.file_size}")
                    data = f.read(declared + 1)
                    if len(data) != declared:
                        raise ValueError(f"expected {declared} bytes of data, got {len(data)}")
                    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()
            except (OSError, ValueError, EOFError, zipfile.BadZipFile, RuntimeError, OverflowError,
                    MemoryError, SyntaxError, TypeError, zlib_error) as exc:
                raise _fail(where, f"member {key!r} is not a readable array ({exc})") from None
            arrays[key] = array
    return arrays


def _meta(arrays: dict[str, np.ndarray], where: str) -> dict[str, Any]:
    M = arrays.pop("meta", None)
    if M is None or M.dtype.kind != "U" or M.ndim != 0:
        raise _fail(where, f"expected a 'meta' JSON string, found keys {sorted(arrays)}")
    text = str(M)
    if len(text) > _MAX_META_CHARS:
        raise _fail(where, f"the metadata is {len(text)} characters, more than {_MAX_META_CHARS}")
    try:
        meta = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"{c} is not allowed")))
    except (ValueError, RecursionError) as exc:
        raise _fail(where, f"the metadata is not valid JSON ({str(exc)[:100]})") from None
    if not isinstance(meta, dict):
        raise _fail(where, f"expected the metadata to be a JSON object, got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise _fail(where, f"expected format {FORMAT!r}, got {str(meta.get('format'))[:40]!r}")
    if meta.get("format_version") == 1:
        meta = _upgrade_v1(meta)
    if meta.get("format_version") != FORMAT_VERSION:
        version = str(meta.get("format_version"))[:20]
        raise _fail(where, f"expected format version {FORMAT_VERSION} (or 1), got {version} "
                           "(written by another deepstep version)")
    return meta


def _upgrade_v1(meta: dict[str, Any]) -> dict[str, Any]:
    """A format-1 file's metadata in format 2's layout (cost history, method and extras moved)."""
    core = ("format", "format_version", "deepstep_version", "layer_dims", "hidden_activation", "output_activation",
            "dtype", "cost_history", "method", "rng_state")
    return {
        **{k: meta.get(k) for k in core[:7]}, "format_version": FORMAT_VERSION,
        "history": {"cost": meta.get("cost_history", []), "method": meta.get("method")},
        "rng_state": meta.get("rng_state"),
        "metadata": {k: v for k, v in meta.items() if k not in core},
    }


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1.8e308 for v in value)


def _check_meta(meta: dict[str, Any], dims: list[int], where: str) -> None:
    """The metadata's parts, each of the type its readers expect."""
    history = meta.get("history")
    if not isinstance(history, dict):
        raise _fail(where, "expected 'history' to be a JSON object")
    for name in ("cost", "accuracy", "val_cost", "val_accuracy", "learning_rates"):
        if not _is_number_list(history.get(name, [])):
            raise _fail(where, f"expected history {name!r} to be a list of finite numbers")
    for name, kinds in (("learning_rate", (int, float)), ("batch_size", (int,)), ("method", (str,)),
                        ("optimizer", (str,))):
        v = history.get(name)
        if v is not None and (not isinstance(v, kinds) or isinstance(v, bool)):
            raise _fail(where, f"expected history {name!r} to be {kinds[0].__name__} or null, got {str(v)[:40]!r}")
    opt = meta.get("optimizer")
    if opt is not None and not (isinstance(opt, dict) and isinstance(opt.get("name"), str)
                                and all(isinstance(opt.get(k), int) and not isinstance(opt.get(k), bool)
                                        and 0 <= opt[k] < 2**53 for k in ("t", "epoch"))):
        raise _fail(where, "expected 'optimizer' to name an optimizer with whole numbers 't' and 'epoch'")
    if not isinstance(meta.get("callbacks", {}), dict) or not all(
            isinstance(v, dict) for v in meta.get("callbacks", {}).values()):
        raise _fail(where, "expected 'callbacks' to be a JSON object of objects")
    extra = meta.get("metadata", {})
    if not isinstance(extra, dict):
        raise _fail(where, "expected 'metadata' to be a JSON object")
    shape = extra.get("image_shape")
    if shape is not None and not (
        isinstance(shape, list) and len(shape) == 3
        and all(isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 100_000 for n in shape)
    ):
        raise _fail(where, f"expected 'image_shape' to be [height, width, channels], got {str(shape)[:60]}")
    classes = extra.get("classes")
    n_classes = max(2, dims[-1])
    if classes is not None and not (
        isinstance(classes, list) and len(classes) == n_classes and all(isinstance(c, str) for c in classes)
    ):
        raise _fail(where, f"expected 'classes' to be {n_classes} class names for n[L] = {dims[-1]}, "
                           f"got {str(classes)[:80]}")
    for key, kind in (("training", dict), ("dataset", str), ("kind", str)):
        if extra.get(key) is not None and not isinstance(extra[key], kind):
            raise _fail(where, f"expected {key!r} to be a JSON {kind.__name__}, got {str(extra[key])[:60]}")


def read_model(path: str | os.PathLike) -> ModelFile:
    """Read and check a model file written by :func:`write_model`.

    Raises
    ------
    ModelFileError
        If the file is missing, not an ``.npz``, of another format or version, or any
        part (arrays, shapes, dtypes, metadata types and ranges) is not what it must be.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ModelFileError(f"model: expected the path of a deepstep model file (.npz), got {type(path).__name__}")
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise ModelFileError(f"model: expected a deepstep model file (.npz), found nothing at {where!r}")
    arrays = _read_members(p, where)
    meta = _meta(arrays, where)
    try:
        raw = meta["layer_dims"]
        if not (isinstance(raw, list) and 2 <= len(raw) <= _MAX_LAYERS
                and all(isinstance(n, int) and not isinstance(n, bool) and 0 < n < 2**31 for n in raw)):
            raise ValueError(f"layer_dims {str(raw)[:60]}")
        dims = list(raw)
        dtype = np.dtype(meta["dtype"]) if isinstance(meta["dtype"], str) else None
        if dtype is None or dtype.kind != "f":
            raise ValueError(f"dtype {str(meta['dtype'])[:20]}")
        hidden, output = meta["hidden_activation"], meta["output_activation"]
        if not isinstance(hidden, str) or not isinstance(output, str):
            raise ValueError("activation names")
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(where, f"the metadata lacks or garbles {exc}") from None
    from .activations import check_output_activation, get_activation, get_hidden_activation

    try:
        check_output_activation(get_activation(output, "output_activation"), dims[-1])
        get_hidden_activation(hidden)
    except DeepstepError as exc:
        raise _fail(where, f"the activations are not valid ({exc})") from None
    L = len(dims) - 1
    expected = {f"W{l}": (dims[l], dims[l - 1]) for l in range(1, L + 1)}
    expected |= {f"b{l}": (dims[l], 1) for l in range(1, L + 1)}
    state = {k[len("state."):]: a for k, a in arrays.items() if k.startswith("state.")}
    params = {k: a for k, a in arrays.items() if not k.startswith("state.")}
    if sorted(params) != sorted(expected):
        raise _fail(where, f"expected arrays {sorted(expected)}, found {sorted(params)[:20]}")
    for key, shape in expected.items():
        A = params[key]
        if A.shape != shape or A.dtype != dtype:
            raise _fail(where, f"expected {key} of shape {shape} and dtype {dtype}, got shape {A.shape} and dtype "
                               f"{A.dtype}")
        if not np.isfinite(A).all():
            raise _fail(where, f"{key} holds NaN or inf")
    for key, A in state.items():
        if A.dtype != dtype or not np.isfinite(A).all():
            raise _fail(where, f"expected finite {dtype} state array {key!r}, got dtype {A.dtype}")
    if meta.get("history") is None:
        meta["history"] = {}
    _check_meta(meta, dims, where)
    rng = restore_rng(meta.get("rng_state"), where)
    return ModelFile(params, state, meta, rng)
