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

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import limits
from ..atomic import atomic_path
from ..core.initialization import DTYPES
from ..errors import DeepstepError
from ..limits import read_npy_header
from ..training.signals import SIGNALS

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFile", "ModelFileError", "atomic_path", "read_model", "write_model",
           "write_json", "rng_state"]

FORMAT = "deepstep-model"
FORMAT_VERSION = 2


class ModelFileError(DeepstepError):
    """A model file is missing, damaged, or not a deepstep model of a known format."""


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


# The ints of a bit generator's state, by key: each from 0 to the bound (exclusive).  NumPy does not check
# them, and a position beyond the buffer (MT19937's pos, Philox's buffer_pos) reads memory out of bounds.
_STATE_INT_BOUNDS = {"pos": 625, "buffer_pos": 5, "has_uint32": 2, "uinteger": 2**32, "state": 2**128,
                     "inc": 2**128}


def _state_like(value: Any, template: Any, name: str) -> Any:
    """``value`` (JSON data) checked against ``template`` (a fresh bit generator's state), arrays made; else
    ValueError.  Walks the template, not the value, so hostile nesting in the file is never recursed into."""
    if isinstance(template, dict):
        if not isinstance(value, dict) or set(value) != set(template):
            raise ValueError(f"expected {name or 'the state'} to hold {sorted(template)}")
        return {k: _state_like(value[k], t, k) for k, t in template.items()}
    if isinstance(template, np.ndarray):
        dt = template.dtype
        if not (isinstance(value, dict) and set(value) == {"__array__", "dtype"} and isinstance(value["dtype"], str)
                and value["dtype"][1:] == dt.str[1:] and value["dtype"][:1] in "<>|="):
            raise ValueError(f"expected {name!r} to be an array of {template.size} {dt.name}")
        data = value["__array__"]
        top = 2 ** (8 * dt.itemsize)
        if not (isinstance(data, list) and len(data) == template.size
                and all(type(v) is int and 0 <= v < top for v in data)):
            raise ValueError(f"expected {name!r} to hold {template.size} integers from 0 to {top - 1}")
        return np.array(data, dtype=dt).reshape(template.shape)
    if isinstance(template, str):
        if value != template:
            raise ValueError(f"expected {name!r} to be {template!r}")
        return value
    bound = _STATE_INT_BOUNDS.get(name)
    if bound is None or type(value) is not int or not 0 <= value < bound:
        raise ValueError(f"expected {name!r} to be an integer from 0 to {(bound or 1) - 1}")
    return value


def _random_state(saved: Any) -> np.random.RandomState:
    if not (isinstance(saved, list) and len(saved) == 5):
        raise ValueError("expected [name, key, pos, has_gauss, gauss]")
    name, key, pos, has_gauss, gauss = saved
    if name != "MT19937" or not (isinstance(key, list) and len(key) == 624
                                 and all(type(v) is int and 0 <= v < 2**32 for v in key)):
        raise ValueError("expected an MT19937 state of 624 words")
    if type(pos) is not int or not 0 <= pos <= 624 or has_gauss not in (0, 1) or isinstance(has_gauss, bool):
        raise ValueError("expected a position from 0 to 624 and has_gauss 0 or 1")
    if not _is_number(gauss):
        raise ValueError("expected a finite number for gauss")
    rs = np.random.RandomState()
    rs.set_state((name, np.array(key, dtype=np.uint32), pos, has_gauss, float(gauss)))
    return rs


def restore_rng(saved: Any, where: str) -> np.random.Generator | np.random.RandomState | None:
    """The generator :func:`rng_state` described, every field checked against NumPy's own layout; or
    ModelFileError."""
    if saved is None:
        return None
    try:
        kind = saved.get("kind") if isinstance(saved, dict) else None
        if set(saved) != {"kind", "state"}:
            raise ValueError("expected 'kind' and 'state'")
        if kind == "Generator":
            state = saved["state"]
            name = state.get("bit_generator") if isinstance(state, dict) else None
            if not isinstance(name, str) or name not in _BIT_GENERATORS:
                raise ValueError(f"expected a bit generator among {list(_BIT_GENERATORS)}, got {str(name)[:40]!r}")
            bitgen = getattr(np.random, name)()
            bitgen.state = _state_like(state, bitgen.state, "")
            return np.random.Generator(bitgen)
        if kind == "RandomState":
            return _random_state(saved["state"])
        raise ValueError(f"unknown kind {str(kind)[:40]!r}")
    except Exception as exc:  # whatever NumPy makes of it, the file is at fault
        raise _fail(where, f"the random generator state is damaged ({_one_line(exc)})") from None


@dataclass
class ModelFile:
    """What a model file holds, checked: parameters, training state arrays, metadata, the generator."""

    parameters: dict[str, np.ndarray]
    state: dict[str, np.ndarray]
    meta: dict[str, Any]
    rng: np.random.Generator | np.random.RandomState | None


def write_model(path: str | os.PathLike, parameters: dict[str, np.ndarray], state: dict[str, np.ndarray],
                meta: dict[str, Any]) -> None:
    """Write a model file atomically: the parameters, the state arrays and the metadata (JSON).

    Metadata :func:`read_model` would refuse (nested deeper than it reads, text that is not Unicode) is refused
    here with DeepstepError, so that a file written is a file that loads.
    """
    from .._version import __version__

    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "deepstep_version": __version__, **meta}
    arrays = {k: np.ascontiguousarray(v) for k, v in parameters.items()}
    arrays.update({f"state.{k}": np.ascontiguousarray(v) for k, v in state.items()})
    try:
        _check_tree(doc)
        text = json.dumps(doc, allow_nan=False)
    except ValueError as exc:  # a NaN or inf in the history or the metadata, nesting, a lone surrogate
        raise DeepstepError(f"model: cannot save the metadata ({_one_line(exc)})") from None
    except TypeError as exc:
        raise DeepstepError(f"model: cannot save the metadata as JSON ({_one_line(exc)})") from None
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, meta=np.array(text), **arrays)


# -- the one schema: a network's state dict <-> the file's arrays and metadata ---------------------------------
def write_state(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write a network's state (:meth:`deepstep.DeepNetwork.state_dict`) as a model file, atomically.

    The layout: the parameters as arrays ``W1, b1, ...``; state arrays ``optimizer.<slot>.<dKEY>``,
    ``input.mean``/``input.scale`` and ``target.*`` (the standardizations, in the model's dtype),
    ``callback.<key>.<name>``; the rest as JSON metadata (``optimizer`` is its configuration with ``t`` and
    ``epoch``, ``callbacks`` each callback's data, ``rng_state`` the generator's state).
    """
    dtype = np.dtype(state["dtype"])
    meta: dict[str, Any] = {
        "layer_dims": state["layer_dims"],
        "hidden_activation": state["hidden_activation"],
        "output_activation": state["output_activation"],
        "dtype": state["dtype"],
        "history": state["history"],
        "rng_state": state["rng"],
        "metadata": state["metadata"],
    }
    arrays: dict[str, np.ndarray] = {}
    opt = state.get("optimizer")
    if opt is not None:
        meta["optimizer"] = {**opt["config"], "t": opt["t"], "epoch": opt["epoch"]}
        arrays.update({f"optimizer.{k}": a for k, a in opt["arrays"].items()})
    for kind, standardizer in (state.get("standardizers") or {}).items():  # in the dtype it is applied in
        arrays.update({f"{kind}.{k}": np.asarray(a).astype(dtype) for k, a in standardizer.items()})
    meta["standardize"] = state["standardize"]
    meta["callbacks"] = {}
    for key, (data, cb_arrays) in (state.get("callbacks") or {}).items():
        meta["callbacks"][key] = data
        arrays.update({f"callback.{key}.{k}": a for k, a in cb_arrays.items()})
    normalized = sorted(int(k[5:]) for k in state["parameters"] if k.startswith("gamma"))
    if normalized:  # batch normalization: which layers, and their running averages (files without it: none)
        meta["batch_norm"] = normalized
        arrays.update({f"layer.{k}": a for k, a in (state.get("layer_state") or {}).items()})
    write_model(path, dict(state["parameters"]), arrays, meta)


def read_state(path: str | os.PathLike) -> dict[str, Any]:
    """A model file (every part checked by :func:`read_model`) as the state dict
    :meth:`deepstep.DeepNetwork.from_state_dict` takes."""
    model = read_model(path)
    meta = model.meta
    optimizer = None
    if meta.get("optimizer") is not None:
        config = dict(meta["optimizer"])
        t, epoch = config.pop("t"), config.pop("epoch")
        optimizer = {"config": config, "t": t, "epoch": epoch,
                     "arrays": {k[len("optimizer."):]: a for k, a in model.state.items()
                                if k.startswith("optimizer.")}}
    callbacks = {}
    for key, data in (meta.get("callbacks") or {}).items():
        prefix = f"callback.{key}."
        callbacks[key] = (data, {k[len(prefix):]: a for k, a in model.state.items() if k.startswith(prefix)})
    standardizers = {kind: {k: model.state[f"{kind}.{k}"] for k in ("mean", "scale")}
                     for kind in ("input", "target") if f"{kind}.mean" in model.state}
    return {
        "layer_dims": meta["layer_dims"],
        "hidden_activation": meta["hidden_activation"],
        "output_activation": meta["output_activation"],
        "dtype": meta["dtype"],
        "parameters": model.parameters,
        "history": meta["history"],
        "rng": meta.get("rng_state"),
        "optimizer": optimizer,
        "standardize": meta.get("standardize") is True,
        "standardizers": standardizers,
        "callbacks": callbacks,
        "metadata": dict(meta.get("metadata") or {}),
        "layer_state": {k[len("layer."):]: a for k, a in model.state.items() if k.startswith("layer.")},
    }


_MAX_META_CHARS = 64 * 2**20  # a 10^6-epoch history is about 20 MB of JSON
_MAX_META_DEPTH = 100  # the files deepstep writes nest 6 deep; deeper data would only feed recursion
_MAX_LAYERS = 10_000
_MAX_UNPACK_RATIO = 1000  # all-zero weights compress about 1000-fold; a larger ratio is a zip bomb
_UNPACK_ALLOWANCE = 64 * 2**20
_MAX_FLOAT = 1.7976931348623157e308


def _one_line(exc: BaseException, limit: int = 160) -> str:
    """An exception as one short printable line (library messages may quote the file's bytes)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: 4 * limit])
    return text if len(text) <= limit else text[:limit] + "..."


def _fail(where: str, what: str) -> ModelFileError:
    what = "".join(c if c.isprintable() else repr(c)[1:-1] for c in what)
    return ModelFileError(f"model: {what} in {where!r}")


def _is_number(value: Any) -> bool:
    """A JSON number that is finite as a float (JSON's 1e400 parses as inf; ints have no bound)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= _MAX_FLOAT


def _is_count(value: Any) -> bool:
    return type(value) is int and 0 <= value < 2**53


_SCALARS = {int, float, bool, type(None)}


def _check_tree(doc: Any) -> None:
    """JSON data nested at most _MAX_META_DEPTH deep whose text is all Unicode (no lone surrogates, which
    cannot be printed or written); ValueError otherwise.  Iterative: no recursion on the file's nesting."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_META_DEPTH:
            raise ValueError(f"nested more than {_MAX_META_DEPTH} deep")
        if isinstance(value, dict):
            children = [*value.keys(), *value.values()]
        elif set(map(type, value)) <= _SCALARS:  # a history of a million numbers: one pass in C
            continue
        else:
            children = value
        for v in children:
            if isinstance(v, str):
                if not v.isascii():
                    v.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
            elif isinstance(v, (dict, list, tuple)):
                stack.append((v, depth + 1))


def _read_members(p: Path, where: str) -> dict[str, np.ndarray]:
    """Every member of the .npz, each header checked against the member's real size before it is read."""
    try:
        zf = zipfile.ZipFile(p)
        size = p.stat().st_size
    except Exception as exc:  # zipfile raises many kinds (BadZipFile, NotImplementedError, ...)
        raise ModelFileError(f"model: expected a deepstep model file (.npz, a zip archive) at {where!r}, "
                             f"could not read it ({_one_line(exc)})") from None
    arrays: dict[str, np.ndarray] = {}
    with zf:
        infos = zf.infolist()
        unpacked = sum(info.file_size for info in infos)
        limit = _MAX_UNPACK_RATIO * size + _UNPACK_ALLOWANCE
        if unpacked > limit:  # a zip bomb: refused before anything is unpacked
            raise _fail(where, f"the archive unpacks to {unpacked} bytes, more than {_MAX_UNPACK_RATIO} times its "
                               "size allows")
        for info in infos:
            name = info.filename
            if not name.endswith(".npy") or "/" in name or "\\" in name:
                raise _fail(where, f"expected only .npy members, got {name[:80]!r}")
            key = name[: -len(".npy")]
            try:
                arrays[key] = _read_npy(zf, info)
            except Exception as exc:  # zipfile, zlib, bz2, lzma, numpy's header parser, ...
                raise _fail(where, f"member {key[:80]!r} is not a readable array ({_one_line(exc)})") from None
    return arrays


def _read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with zf.open(info) as f:
        shape, fortran, dtype, declared, held = read_npy_header(f, info.file_size)
        if dtype.hasobject or dtype.kind not in "fU" or dtype.fields is not None or dtype.subdtype is not None:
            raise ValueError(f"dtype {dtype}: expected floating-point arrays and one string")
        if any(n < 0 for n in shape) or len(shape) > 2:
            raise ValueError(f"shape {shape}")
        if declared > held:
            raise ValueError(f"the header declares {declared} bytes of data, the member holds {held}")
        data = f.read(declared + 1)
        if len(data) != declared:
            raise ValueError(f"expected {declared} bytes of data, got {len(data)}")
        f.read()  # to the end, so that zipfile checks the CRC of the whole member
        return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()


def _meta(arrays: dict[str, np.ndarray], where: str) -> dict[str, Any]:
    M = arrays.pop("meta", None)
    if M is None or M.dtype.kind != "U" or M.ndim != 0:
        raise _fail(where, f"expected a 'meta' JSON string, found keys {sorted(arrays)[:20]}")
    if M.dtype.itemsize // 4 > _MAX_META_CHARS:
        raise _fail(where, f"the metadata is {M.dtype.itemsize // 4} characters, more than {_MAX_META_CHARS}")
    codes = np.frombuffer(M.tobytes(), dtype=np.dtype(np.uint32).newbyteorder(M.dtype.byteorder))
    if codes.size and int(codes.max()) > 0x10FFFF:  # NumPy would make a broken str of it (SystemError later)
        raise _fail(where, f"the metadata is not text (code point {int(codes.max()):#x} is beyond U+10FFFF)")
    text = str(M)

    def refuse_constant(c: str) -> Any:
        raise ValueError(f"{c} is not allowed")

    try:
        meta = json.loads(text, parse_constant=refuse_constant)
        _check_tree(meta)
    except (ValueError, RecursionError, MemoryError) as exc:
        raise _fail(where, f"the metadata is not valid JSON ({_one_line(exc, 100)})") from None
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


def _signals_sound(signals: Any, dims: list[int]) -> bool:
    """History's per-layer signals: {"epoch": [count, ...], name: [[number or null per layer] per epoch], ...}, with
    the names of :data:`deepstep.training.signals.SIGNALS`, each once."""
    if not isinstance(signals, dict) or not isinstance(signals.get("epoch"), list) or set(signals) != {"epoch",
                                                                                                      *SIGNALS}:
        return False
    epochs = signals["epoch"]
    if not all(_is_count(e) for e in epochs):
        return False
    L = len(dims) - 1
    return all(isinstance(series, list) and len(series) == len(epochs)
               and all(isinstance(r, list) and len(r) == L and all(v is None or _is_number(v) for v in r)
                       for r in series)
               for name, series in signals.items() if name != "epoch")


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_number(v) for v in value)


def _check_settings(config: Any, what: str, where: str) -> None:
    """An optimizer's or schedule's settings: a JSON object naming it, every other value a finite number."""
    if not (isinstance(config, dict) and isinstance(config.get("name"), str)):
        raise _fail(where, f"expected the {what} to be a JSON object with a 'name'")
    for key, value in config.items():
        if key not in ("name", "schedule", "t", "epoch") and not _is_number(value):
            raise _fail(where, f"expected the {what}'s {key[:40]!r} to be a finite number, got {str(value)[:40]!r}")


def _check_meta(meta: dict[str, Any], dims: list[int], where: str) -> None:
    """The metadata's parts, each of the type its readers expect."""
    history = meta.get("history")
    if not isinstance(history, dict):
        raise _fail(where, "expected 'history' to be a JSON object")
    for name in ("cost", "accuracy", "val_cost", "val_accuracy", "r2", "val_r2", "learning_rates"):
        if not _is_number_list(history.get(name, [])):
            raise _fail(where, f"expected history {name!r} to be a list of finite numbers")
    for name, kinds in (("learning_rate", (int, float)), ("batch_size", (int,)), ("method", (str,)),
                        ("optimizer", (str,))):
        v = history.get(name)
        if v is not None and (not isinstance(v, kinds) or isinstance(v, bool)
                              or (kinds[0] is not str and not _is_number(v))):
            expected = {str: "a string", int: "a whole number"}.get(kinds[0], "a finite number")
            raise _fail(where, f"expected history {name!r} to be {expected} or null, got {str(v)[:40]!r}")
    signals = history.get("signals")
    if signals is not None and not _signals_sound(signals, dims):
        raise _fail(where, "expected history 'signals' to be a JSON object: 'epoch' a list of epochs, each other "
                           "entry one list per epoch of one finite number or null per layer")
    opt = meta.get("optimizer")
    if opt is not None:
        if not (isinstance(opt, dict) and all(_is_count(opt.get(k)) for k in ("t", "epoch"))):
            raise _fail(where, "expected 'optimizer' to name an optimizer with whole numbers 't' and 'epoch'")
        _check_settings(opt, "optimizer", where)
        schedule = opt.get("schedule")
        if schedule is not None and not isinstance(schedule, str):
            _check_settings(schedule, "optimizer's schedule", where)
    callbacks = meta.get("callbacks", {})
    if not isinstance(callbacks, dict) or not all(isinstance(v, dict) for v in callbacks.values()):
        raise _fail(where, "expected 'callbacks' to be a JSON object of objects")
    early = callbacks.get("early_stopping")
    if early is not None and not (
        (early.get("best") is None or _is_number(early["best"]))
        and all(early.get(k) is None or _is_count(early[k]) for k in ("best_epoch", "stopped_epoch"))
        and _is_count(early.get("wait", 0))
    ):
        raise _fail(where, "expected the early-stopping state to hold a finite 'best' and whole numbers 'wait', "
                           "'best_epoch', 'stopped_epoch'")
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


def _check_state(state: dict[str, np.ndarray], params: dict[str, np.ndarray], meta: dict[str, Any],
                 where: str) -> None:
    """Every state array is an optimizer slot of a parameter ("optimizer.v.dW1", of its shape), a callback's
    ("callback.KEY.NAME" for a callback in 'callbacks'; early stopping's are copies of parameters, of their
    shapes; another callback's arrays are its own business), or the standardization of the inputs ("input.mean"
    and "input.scale", (n[0], 1), a positive scale) or of regression targets ("target.*", (n[L], 1))."""
    from ..core.optimizers import OPTIMIZERS

    opt = meta.get("optimizer")
    cls = OPTIMIZERS.get(opt["name"].lower()) if opt is not None else None
    if opt is not None and cls is None:
        raise _fail(where, f"expected an optimizer among {list(OPTIMIZERS)}, got {opt['name'][:40]!r}")
    slots = cls.slots if cls is not None else ()
    callbacks = meta.get("callbacks") or {}
    L = sum(1 for k in params if k[:1] == "W")
    sizes = {"input": params["W1"].shape[1], "target": params[f"W{L}"].shape[0]}
    for l in meta.get("batch_norm", []):  # the running averages of each batch-normalized layer
        for name in (f"running_mean{l}", f"running_var{l}"):
            A = state.get(f"layer.{name}")
            if A is None or A.shape != (params[f"W{l}"].shape[0], 1):
                raise _fail(where, f"expected the state array 'layer.{name}' of shape "
                                   f"{(params[f'W{l}'].shape[0], 1)}")
            if name.startswith("running_var") and not (A >= 0).all():
                raise _fail(where, f"expected a variance of 0 or more in 'layer.{name}'")
    for kind, n in sizes.items():  # the standardization of the inputs (and of regression targets)
        keys = sorted(k for k in state if k.startswith(kind + "."))
        if keys and keys != [f"{kind}.mean", f"{kind}.scale"]:
            raise _fail(where, f"expected the {kind} standardization as '{kind}.mean' and '{kind}.scale', got "
                               f"{keys[:4]}")
        if keys and not (state[f"{kind}.scale"] > 0).all():
            raise _fail(where, f"expected a positive {kind} scale for every {kind} column")
        if kind == "target" and keys and meta.get("output_activation") not in ("linear", "identity"):
            raise _fail(where, "expected target standardization only with a linear output (regression)")
        for key in keys:
            if state[key].shape != (n, 1):
                raise _fail(where, f"expected state array {key!r} of shape {(n, 1)}, got shape {state[key].shape}")
    for key, A in state.items():
        kind, _, rest = key.partition(".")
        owner, _, name = rest.rpartition(".")
        if kind in sizes and key in (f"{kind}.mean", f"{kind}.scale"):
            continue
        if kind == "layer" and any(key in (f"layer.running_mean{l}", f"layer.running_var{l}")
                                   for l in meta.get("batch_norm", [])):
            continue
        if kind == "optimizer" and owner in slots and name[:1] == "d":
            P = params.get(name[1:])
        elif kind == "callback" and owner in callbacks:
            if owner != "early_stopping":
                continue
            P = params.get(name)
            if P is None and name.startswith("running_"):  # the best epoch's running averages (batch norm)
                P = state.get(f"layer.{name}")
        else:
            P = None
        if P is None:
            raise _fail(where, f"unexpected state array {key[:80]!r} (optimizer: {opt and opt['name'][:40]!r}, "
                               f"callbacks: {sorted(callbacks)[:5]})")
        if A.shape != P.shape:
            raise _fail(where, f"expected state array {key[:80]!r} of shape {P.shape}, got shape {A.shape}")


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
    try:
        p = Path(path)
        where = str(p)
        found = p.is_file()
    except (OSError, ValueError, TypeError) as exc:  # a name too long for the system, a NUL byte, ...
        raise ModelFileError(f"model: expected the path of a deepstep model file (.npz), got {str(path)[:80]!r} "
                             f"({_one_line(exc, 80)})") from None
    if not found:
        raise ModelFileError(f"model: expected a deepstep model file (.npz), found nothing at {where!r}")
    arrays = _read_members(p, where)
    meta = _meta(arrays, where)
    try:
        raw = meta["layer_dims"]
        if not (isinstance(raw, list) and 2 <= len(raw) <= _MAX_LAYERS
                and all(isinstance(n, int) and not isinstance(n, bool) and 0 < n < 2**31 for n in raw)):
            raise ValueError(f"layer_dims {str(raw)[:60]}")
        dims = list(raw)
        if limits.parameter_count(dims) > limits.MAX_PARAMETERS:
            raise ValueError(f"layer_dims {str(raw)[:60]} (more than {limits.MAX_PARAMETERS} parameters, "
                             "deepstep.limits.MAX_PARAMETERS)")
        dtype = np.dtype(meta["dtype"]) if isinstance(meta["dtype"], str) and len(meta["dtype"]) < 20 else None
        if dtype is None or dtype not in DTYPES:  # the dtypes the engine computes in
            raise ValueError(f"dtype {str(meta['dtype'])[:20]} (expected float32 or float64)")
        hidden, output = meta["hidden_activation"], meta["output_activation"]
        if not isinstance(hidden, str) or not isinstance(output, str):
            raise ValueError("activation names")
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(where, f"the metadata lacks or garbles {_one_line(exc, 80)}") from None
    from ..core.activations import check_output_activation, get_activation, get_hidden_activation

    try:
        check_output_activation(get_activation(output, "output_activation"), dims[-1])
        get_hidden_activation(hidden)
    except DeepstepError as exc:
        raise _fail(where, f"the activations are not valid ({_one_line(exc)})") from None
    L = len(dims) - 1
    normalized = meta.get("batch_norm", [])
    if not (isinstance(normalized, list) and all(type(l) is int and 1 <= l < L for l in normalized)
            and len(set(normalized)) == len(normalized)):
        raise _fail(where, f"expected 'batch_norm' as a list of hidden layers 1..{L - 1}, got {str(normalized)[:60]}")
    expected = {f"W{l}": (dims[l], dims[l - 1]) for l in range(1, L + 1)}
    for l in range(1, L + 1):  # b[l], or gamma[l] and beta[l] where batch normalization replaces it
        expected |= {f"{c}{l}": (dims[l], 1) for c in (("gamma", "beta") if l in normalized else ("b",))}
    state = {k[len("state."):]: a for k, a in arrays.items() if k.startswith("state.")}
    params = {k: a for k, a in arrays.items() if not k.startswith("state.")}
    if sorted(params) != sorted(expected):
        raise _fail(where, f"expected arrays {sorted(expected)[:20]}, found {sorted(params)[:20]}")
    for key, shape in expected.items():
        A = params[key]
        if A.shape != shape or A.dtype != dtype:
            raise _fail(where, f"expected {key} of shape {shape} and dtype {dtype}, got shape {A.shape} and dtype "
                               f"{A.dtype}")
        if not np.isfinite(A).all():
            raise _fail(where, f"{key} holds NaN or inf")
    for key, A in state.items():
        if A.dtype != dtype or not np.isfinite(A).all():
            raise _fail(where, f"expected finite {dtype} state array {key[:80]!r}, got dtype {A.dtype}")
    if meta.get("history") is None:
        meta["history"] = {}
    _check_meta(meta, dims, where)
    _check_state(state, params, meta, where)
    rng = restore_rng(meta.get("rng_state"), where)
    return ModelFile(params, state, meta, rng)
