"""Model-file fuzzer: damaged, hostile and odd model files either load as a sound network or are refused.

A few valid model files are written by ``DeepNetwork.save`` (float64 with Adam, float32 with plain gradient
descent, momentum with a schedule, and one with early-stopping state), then mutated at every layer: the raw
bytes, the zip archive's members and header fields, each member's ``.npy`` header, and the JSON metadata
(wrong types, missing keys, out-of-range numbers, garbage random generator states).  The property, for every
file: ``ds.load_model(path)`` either returns a network whose parameters have the declared shapes and dtype
and are finite (and which predicts, trains one iteration, saves and loads again without anything but a
``DeepstepError``), or raises ``ds.ModelFileError`` with one line, and nothing else: no other exception, no
MemoryError, no warning (everything runs under ``warnings.simplefilter("error")``).

Every ``@given`` test is derandomized, so CI runs the same cases every time.  Each bug the fuzzer found has a
minimal regression test at the end of the file.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import math
import re
import shutil
import struct
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deepstep as ds
from deepstep import model_io
from deepstep.callbacks import EarlyStopping


def fuzz(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# -- the valid files the mutations start from -------------------------------------------------------------

X4 = np.linspace(-1.0, 1.0, 24).reshape(4, 6)


def _bases() -> dict[str, bytes]:
    """name -> bytes of a valid model file written by DeepNetwork.save."""
    Y2 = np.array([[0, 1, 0, 1, 1, 0]])
    Y3 = np.array([[0, 1, 2, 1, 0, 2]])
    nets = {}
    adam = ds.DeepNetwork([4, 3, 1], rng=1)  # an int seed: a RandomState
    adam.fit(X4, Y2, learning_rate=0.01, num_iterations=3, optimizer="adam")
    adam.metadata.update(classes=["non-cat", "cat"], image_shape=[2, 2, 1], dataset="cats", kind="images",
                         training={"seed": 1, "learning_rate": 0.01, "image_size": [2, 2]})
    nets["adam64"] = adam
    f32 = ds.DeepNetwork([4, 5, 3], hidden_activation="leaky_relu:0.2", output_activation="softmax",
                         rng=np.random.default_rng(2), dtype=np.float32)  # PCG64
    f32.fit(X4.astype(np.float32), Y3, learning_rate=0.1, num_iterations=3)
    f32.metadata.update(classes=["a", "b", "c"])
    nets["gd32"] = f32
    mom = ds.DeepNetwork([4, 2, 2, 1], hidden_activation="tanh", rng=np.random.Generator(np.random.Philox(3)))
    mom.fit(X4, Y2, learning_rate=0.1, num_iterations=3, batch_size=4,
            optimizer=ds.optimizers.Momentum(beta=0.9, schedule={"name": "inverse_time", "decay_rate": 0.5}))
    nets["momentum"] = mom
    early = ds.DeepNetwork([4, 3, 1], hidden_activation="sigmoid", rng=np.random.Generator(np.random.MT19937(4)))
    stopper = EarlyStopping(patience=50, monitor="cost")
    early.fit(X4, Y2, learning_rate=0.5, num_iterations=3, optimizer="rmsprop", callbacks=[stopper])
    nets["early"] = early
    sfc = ds.DeepNetwork([4, 1], init="zeros", rng=np.random.Generator(np.random.SFC64(5)))
    sfc.fit(X4, Y2, learning_rate=0.5, num_iterations=2, optimizer="adam")
    nets["sfc64"] = sfc
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, net in nets.items():
            path = Path(tmp) / f"{name}.npz"
            net.save(path)
            out[name] = path.read_bytes()
    assert "state.callback.early_stopping.W1.npy" in _members_dict(out["early"]), "no early-stopping state"
    return out


_BASE_SET: set[bytes] = set()


@functools.cache
def bases() -> dict[str, bytes]:
    made = _bases()
    _BASE_SET.update(made.values())
    return made


BASE_NAMES = ["adam64", "gd32", "momentum", "early", "sfc64"]


def _members_dict(data: bytes) -> dict[str, bytes]:
    return dict(read_members(data))


def read_members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def build_zip(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name or ZipInfo, bytes) in order, CRCs right (zipfile warns of duplicate names: silenced)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buf, "w", compression) as z:
            for name, payload in members:
                z.writestr(name, payload)
    return buf.getvalue()


def npy(array, version=None) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(array), version=version, allow_pickle=False)
    return buf.getvalue()


def npy_raw(header: str | bytes, data: bytes, version=(1, 0), length: int | None = None) -> bytes:
    """A .npy with a header of our own (padded as numpy pads it), optionally lying about its length."""
    h = header.encode("latin1") if isinstance(header, str) else header
    fmt = "<H" if version[0] == 1 else "<I"
    start = 6 + 2 + struct.calcsize(fmt)
    h = h + b" " * (-(start + len(h) + 1) % 64) + b"\n"
    n = len(h) if length is None else length
    return b"\x93NUMPY" + bytes(version) + struct.pack(fmt, n % 2 ** (8 * struct.calcsize(fmt))) + h + data


def npy_parts(payload: bytes):
    """(version, shape, fortran_order, dtype, offset of the data) of a .npy numpy wrote."""
    f = io.BytesIO(payload)
    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(f)
    return version, shape, fortran, dtype, f.tell()


@functools.cache
def _cached_members(data: bytes) -> tuple:
    return tuple(read_members(data))


def members_of(data: bytes) -> list[tuple[str, bytes]]:
    """read_members, remembered for the base files (the mutations start from them thousands of times)."""
    return list(_cached_members(data)) if data in _BASE_SET else read_members(data)


@functools.cache
def _cached_meta(data: bytes) -> str:
    return str(np.load(io.BytesIO(_members_dict(data)["meta.npy"])))


def meta_of(data: bytes) -> dict:
    return json.loads(_cached_meta(data))


def with_meta_text(data: bytes, text: str) -> bytes:
    return build_zip([(n, npy(np.array(text)) if n == "meta.npy" else b) for n, b in members_of(data)],
                     zipfile.ZIP_STORED)


class Raw:
    """JSON text put into the metadata as it is (1e400, NaN, a 10000-deep list)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:30]!r}{'...' if len(self.text) > 30 else ''})"


def dumps(doc) -> str:
    raws: list[str] = []

    def default(value):
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"\x00RAW{len(raws) - 1}\x00"
        raise TypeError(type(value))

    def encode(value):  # Raw inside containers: replace by a marker string first
        if isinstance(value, Raw):
            return default(value)
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [encode(v) for v in value]
        return value

    text = json.dumps(encode(doc))
    return re.sub(r'"\\u0000RAW(\d+)\\u0000"', lambda m: raws[int(m.group(1))], text)


# -- the property ------------------------------------------------------------------------------------------

WORK: Path = None  # type: ignore[assignment]  # the module's own folder while its tests run (work_folder)


@pytest.fixture(scope="module", autouse=True)
def work_folder():
    """The folder the model files of this module are written to, created for it and removed after it."""
    global WORK
    WORK = Path(tempfile.mkdtemp(prefix="deepstep-fuzz-"))
    try:
        yield WORK
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


def check_file(data: bytes, name: str = "model.npz"):
    """Write ``data`` and load it: a sound network or one ModelFileError line (nothing else, no warning)."""
    path = WORK / name
    path.write_bytes(data)
    return check_path(path)


def check_path(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            net = ds.load_model(path)
        except ds.ModelFileError as exc:
            message = str(exc)
            assert message.startswith("model") and len(message.splitlines()) == 1 and len(message) < 1000, message
            assert exc.__cause__ is None or isinstance(exc.__cause__, Exception)
            return None
        check_sound(net)
        with np.load(path, allow_pickle=False) as npz:
            assert net.dtype == np.dtype(json.loads(str(npz["meta"]))["dtype"])  # the declared dtype
        use(net)
    return net


def check_sound(net) -> None:
    dims = net.layer_dims
    assert isinstance(dims, list) and len(dims) >= 2 and all(isinstance(n, int) and n > 0 for n in dims)
    assert net.dtype.kind == "f", net.dtype
    keys = {f"{p}{l}" for l in range(1, len(dims)) for p in "Wb"}
    assert set(net.parameters) == keys
    for l in range(1, len(dims)):
        W, b = net.parameters[f"W{l}"], net.parameters[f"b{l}"]
        assert W.shape == (dims[l], dims[l - 1]) and b.shape == (dims[l], 1)
        assert W.dtype == b.dtype == net.dtype
        assert np.isfinite(W).all() and np.isfinite(b).all()
    for name in ("cost", "accuracy", "val_cost", "val_accuracy", "learning_rates"):
        assert all(isinstance(v, float) and math.isfinite(v) for v in getattr(net.history, name))
    if net.optimizer is not None:
        for slot in net.optimizer.slots:
            for key, P in net.parameters.items():
                S = net.optimizer.state[slot]["d" + key]
                assert S.shape == P.shape and S.dtype == P.dtype and np.isfinite(S).all()
    assert isinstance(net.metadata, dict)
    stack = [net.metadata]
    while stack:  # every string is real Unicode (printable by the CLI); iterating a broken one raises SystemError
        node = stack.pop()
        for k, v in node.items() if isinstance(node, dict) else enumerate(node):
            for text in (k, v):
                if isinstance(text, str):
                    assert all(ord(c) <= 0x10FFFF for c in text)
                    text.encode("utf-8")
            if isinstance(v, (dict, list)):
                stack.append(v)


def use(net) -> None:
    """What a loaded network is for: draw from its generator, predict, train on, save and load again."""
    rng = net._rng
    # NumPy takes positions beyond the buffer as they come and then reads memory out of bounds (a segfault)
    if isinstance(rng, np.random.RandomState):
        assert 0 <= rng.get_state()[2] <= 624
    else:
        state = rng.bit_generator.state
        assert 0 <= state["state"].get("pos", 0) <= 624 and 0 <= state.get("buffer_pos", 0) <= 4
        assert state.get("has_uint32", 0) in (0, 1)
    draws = rng.random(1300) if isinstance(rng, np.random.Generator) else rng.random_sample(1300)
    assert np.isfinite(draws).all() and ((draws >= 0) & (draws < 1)).all()
    X = X4[:, :3] if net.layer_dims[0] == 4 else np.ones((net.layer_dims[0], 3))
    try:
        A = net.predict_proba(X)
        assert np.isfinite(A).all()
    except ds.DeepstepError:
        pass
    n_out = net.layer_dims[-1]
    Y = np.array([[0, 1, 0]]) if n_out == 1 else np.eye(n_out)[:, [0, 1, 0]]
    callbacks = []
    if "early_stopping" in net.callback_state:  # as `deepstep train --resume --early-stopping` does
        stopper = EarlyStopping(patience=2, monitor="cost")
        stopper.load_state(*net.callback_state["early_stopping"])
        callbacks.append(stopper)
    try:
        net.fit(X, Y, learning_rate=0.01, num_iterations=1, optimizer=net.optimizer or "gd", callbacks=callbacks)
    except ds.DeepstepError:
        pass
    path = WORK / "resaved.npz"
    try:
        net.save(path)
    except ds.DeepstepError:  # e.g. the training made a parameter inf: refused, as promised
        return
    again = ds.load_model(path)
    for key, P in net.parameters.items():
        np.testing.assert_array_equal(again.parameters[key], P)


def test_the_base_files_load_and_train():
    for name in BASE_NAMES:
        net = check_file(bases()[name])
        assert net is not None, name
    assert ds.load_model(WORK / "model.npz").optimizer is not None


# -- 1. raw bytes -----------------------------------------------------------------------------------------


def anchors(data: bytes) -> list[int]:
    """Offsets of the zip's structures (local headers, central directory entries, end records) and of the
    .npy magic and the JSON metadata inside stored members: where a flipped byte means most."""
    points = {0, len(data) - 22}
    for sig in (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07", b"\x93NUMPY",
                b"{\x00\x00\x00", b"descr"):
        points.update(m.start() for m in re.finditer(re.escape(sig), data))
    return sorted(p for p in points if 0 <= p < len(data))


@functools.cache
def stored(data: bytes) -> bytes:
    """The same archive with its members stored, not compressed: flipped bytes land in headers and JSON."""
    return build_zip(read_members(data), compression=zipfile.ZIP_STORED)


SPECIAL_BYTES = [0x00, 0x01, 0x08, 0x0C, 0x0E, 0x5D, 0x62, 0x63, 0x7F, 0x80, 0xFE, 0xFF, ord("["), ord('"'),
                 ord("{"), ord("\\"), ord("9"), ord("-")]
byte_values = st.one_of(st.sampled_from(SPECIAL_BYTES), st.integers(0, 255))


@st.composite
def byte_edits(draw, data: bytes, max_edits: int = 4):
    """1..max_edits edits (flip, set, insert, delete, truncate, overwrite with a 4-byte integer), mostly near
    the file's structures."""
    points = anchors(data)
    out = bytearray(data)
    for _ in range(draw(st.integers(1, max_edits))):
        if not out:
            break
        if draw(st.integers(0, 3)):
            pos = draw(st.sampled_from(points)) + draw(st.integers(0, 63))
        else:
            pos = draw(st.integers(0, len(out) - 1))
        pos = min(pos, len(out) - 1)
        op = draw(st.sampled_from(["flip", "set", "set", "insert", "delete", "truncate", "u32", "u16"]))
        if op == "flip":
            out[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            out[pos] = draw(byte_values)
        elif op == "insert":
            out[pos:pos] = bytes(draw(st.lists(byte_values, min_size=1, max_size=8)))
        elif op == "delete":
            del out[pos: pos + draw(st.integers(1, 16))]
        elif op == "truncate":
            del out[pos:]
        else:
            size = 4 if op == "u32" else 2
            value = draw(st.sampled_from([0, 1, 2**(8 * size) - 1, 2**(8 * size - 1) - 1, 2**(8 * size - 1),
                                          0x40, 0x1000]))
            out[pos: pos + size] = value.to_bytes(size, "little")
    return bytes(out)


@fuzz(1000)
@given(st.sampled_from(BASE_NAMES).flatmap(
    lambda name: st.sampled_from([bases()[name], stored(bases()[name])]).flatmap(byte_edits)))
def test_raw_byte_mutations(data):
    check_file(data)


# -- 2. the bytes of one member, re-zipped with a right CRC (so the .npy and JSON parsers see them) --------


COMPRESSIONS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


def member_info(draw, name) -> zipfile.ZipInfo:
    """A fresh ZipInfo for the member ``name`` (a str or a ZipInfo), with a drawn compression."""
    info = zipfile.ZipInfo(name if isinstance(name, str) else name.filename)
    info.compress_type = draw(st.sampled_from(COMPRESSIONS))
    return info


def rezipped(draw, members) -> bytes:
    """The members zipped again, the archive's default compression drawn (stored or deflated)."""
    return build_zip(members, draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))


def a_member(draw) -> tuple[list, int, str, bytes]:
    """A valid model file's members, and one of them drawn: (members, its index, its name, its bytes)."""
    members = members_of(bases()[draw(st.sampled_from(BASE_NAMES))])
    i = draw(st.integers(0, len(members) - 1))
    return members, i, *members[i]


@st.composite
def member_edits(draw):
    members, i, name, payload = a_member(draw)
    if draw(st.booleans()):  # the header (magic, version, length, the dict) is where parsing happens
        head = payload[:128]
        edited = draw(byte_edits(head, max_edits=3)) + payload[128:]
    else:
        edited = draw(byte_edits(payload, max_edits=3))
    members[i] = (member_info(draw, name), edited)  # LZMA and bzip2 for this member only (slow to set up)
    return rezipped(draw, members)


@fuzz(1000)
@given(member_edits())
def test_member_byte_mutations(data):
    check_file(data)


@fuzz(300)
@given(st.sampled_from(BASE_NAMES), st.data())
def test_metadata_characters_mutated(name, data):
    """The metadata's UTF-32 characters replaced by any 32-bit values (beyond U+10FFFF, surrogates, NUL)."""
    members = members_of(bases()[name])
    meta = dict(members)["meta.npy"]
    body_start = npy_parts(meta)[4]
    chars = bytearray(meta[body_start:])
    n = len(chars) // 4
    text = str(np.load(io.BytesIO(meta)))
    letters = [m.start() for m in re.finditer(r"[A-Za-z]", text)]  # mostly inside strings: keys, names, classes
    for _ in range(data.draw(st.integers(1, 4))):
        k = data.draw(st.sampled_from(letters) | st.integers(0, n - 1))
        value = data.draw(st.sampled_from([0, 0xD800, 0xDFFF, 0x10FFFF, 0x110000, 0xFFFFFFFF, 0x80000000, 0x22,
                                           0x5C, 0x7B, 0x5B, 0xFFFE]) | st.integers(0, 2**32 - 1))
        chars[4 * k: 4 * k + 4] = value.to_bytes(4, "little")
    members = [(m, meta[:body_start] + bytes(chars) if m == "meta.npy" else b) for m, b in members]
    check_file(build_zip(members))


# -- 3. the archive: members dropped, doubled, renamed, added; header fields patched ------------------------

ODD_NAMES = ["W1.npy", "W3.npy", "b9.npy", "W0.npy", "W01.npy", "meta.npy", "state.optimizer.v.dW1.npy",
             "state.optimizer.s.dW1.npy", "state.optimizer.v.dW9.npy", "state.optimizer.x.dW1.npy",
             "state.optimizer.v.npy", "state.optimizer.s.db1.npy", "state.callback.early_stopping.W1.npy",
             "state.callback.early_stopping.W9.npy", "state.callback.other.W1.npy", "state..npy", "state.npy",
             "x.npy", "W1", "W1.npz", "W1.NPY", "dir/W1.npy", "../W1.npy", "/abs.npy", ".npy", "W1.npy ",
             "\u00fcn\u00efc\u00f6de.npy", "a" * 300 + ".npy", "W1.npy\\x"]


def extra_payload():
    arrays = st.one_of(
        st.sampled_from([np.zeros((3, 4)), np.zeros((1, 3)), np.zeros((3, 1)), np.zeros((0,)), np.zeros(()),
                         np.zeros((3, 4), np.float32), np.full((3, 4), np.nan), np.full((3, 1), 1e308),
                         np.zeros((2, 2, 2)), np.zeros((3, 4), np.int64), np.array("text"),
                         np.array(["a", "b"]), np.zeros((2, 2), np.complex128), np.ones((3, 1), bool),
                         np.asfortranarray(np.ones((3, 4)))]),
        st.tuples(st.integers(0, 5), st.integers(0, 5)).map(lambda s: np.ones(s)),
    )
    return st.one_of(arrays.map(npy), st.sampled_from([b"", b"\x93NUMPY", b"not an array", b"PK\x03\x04" * 4,
                                                        npy(np.zeros((3, 4)), version=(2, 0)),
                                                        npy(np.array("x"), version=(3, 0))]))


@st.composite
def archive_rewrites(draw):
    data = bases()[draw(st.sampled_from(BASE_NAMES))]
    members: list = members_of(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["drop", "duplicate", "rename", "add", "add", "directory", "swap", "zipinfo"]))
        i = draw(st.integers(0, max(0, len(members) - 1)))
        if not members and op not in ("add", "directory"):
            continue
        if op == "drop":
            del members[i]
        elif op == "duplicate":
            members.insert(draw(st.integers(0, len(members))), members[i])
        elif op == "rename":
            members[i] = (draw(st.sampled_from(ODD_NAMES + [n for n, _ in members])), members[i][1])
        elif op == "add":
            members.append((draw(st.sampled_from(ODD_NAMES)), draw(extra_payload())))
        elif op == "directory":
            members.insert(i, (draw(st.sampled_from(["sub/", "W1.npy/", "meta.npy/", "state/"])), b""))
        elif op == "swap":  # one member's bytes under another's name
            j = draw(st.integers(0, len(members) - 1))
            members[i], members[j] = (members[i][0], members[j][1]), (members[j][0], members[i][1])
        else:  # odd ZipInfo: encrypted flag, another compression, a directory attribute
            name, payload = members[i]
            info = member_info(draw, name)
            info.flag_bits |= draw(st.sampled_from([0, 0x1, 0x40, 0x2000]))
            info.external_attr = draw(st.sampled_from([0, 0o40755 << 16 | 0x10, 0o120777 << 16]))
            members[i] = (info, payload)
    return rezipped(draw, members)


@fuzz(600)
@given(archive_rewrites())
def test_archive_rewrites(data):
    check_file(data)


# fields of the zip's records: (offset in the record, size)
LOCAL_FIELDS = {"flags": (6, 2), "method": (8, 2), "crc": (14, 4), "csize": (18, 4), "usize": (22, 4),
                "nlen": (26, 2), "xlen": (28, 2)}
CENTRAL_FIELDS = {"flags": (8, 2), "method": (10, 2), "crc": (16, 4), "csize": (20, 4), "usize": (24, 4),
                  "nlen": (28, 2), "xlen": (30, 2), "clen": (32, 2), "disk": (34, 2), "offset": (42, 4)}
END_FIELDS = {"disk": (4, 2), "cd_disk": (6, 2), "entries_disk": (8, 2), "entries": (10, 2), "cd_size": (12, 4),
              "cd_offset": (16, 4), "comment": (20, 2)}


@st.composite
def header_patches(draw):
    data = bytearray(bases()[draw(st.sampled_from(BASE_NAMES))])
    if draw(st.booleans()):
        data = bytearray(stored(bytes(data)))
    records = {"local": (b"PK\x03\x04", LOCAL_FIELDS), "central": (b"PK\x01\x02", CENTRAL_FIELDS),
               "end": (b"PK\x05\x06", END_FIELDS)}
    for _ in range(draw(st.integers(1, 3))):
        sig, fields = records[draw(st.sampled_from(sorted(records)))]
        starts = [m.start() for m in re.finditer(re.escape(sig), bytes(data))]
        if not starts:
            continue
        start = draw(st.sampled_from(starts))
        off, size = fields[draw(st.sampled_from(sorted(fields)))]
        old = int.from_bytes(data[start + off: start + off + size], "little")
        top = 2 ** (8 * size)
        value = draw(st.sampled_from([0, 1, 8, 12, 14, 93, 98, 99, top - 1, top // 2, (old + 1) % top,
                                      (old - 1) % top, old * 2 % top, old // 2, 0x100000]))
        data[start + off: start + off + size] = (value % top).to_bytes(size, "little")
    return bytes(data)


@fuzz(600)
@given(header_patches())
def test_zip_header_fields_patched(data):
    check_file(data)


# -- 4. .npy headers: absurd shapes, wrong dtypes, fortran order, versions, garbage ---------------------

SHAPES = [(10**12, 10**12), (2**62, 2**62), (2**31, 2**31), (2**63 - 1,), (2**64,), (-1, 3), (3, -1), (0,), (),
          (0, 0), (3, 0), (0, 4), (10**6,), (1, 1, 1), (3, 4, 1), (4, 3), (3, 4), (1, 3), (3, 1), (12,), (1,),
          (2**40, 0), (0, 2**40)]
DESCRS = ["|O", "<U5", "<U1", "<U0", "<U2000000000", "|S3", "<c16", "<c8", "<i8", "<i4", "|b1", "|u1", "<f2",
          "<f4", "<f8", ">f8", ">f4", "<f16", "<g", "|V8", "<M8[s]", "<m8[s]", "x", "", "O", "float64", "<f8 ",
          [("a", "<f8")], [("a", "<f8", (2,))], [("", "|V8")], 3, None, ("<f8", (2,)), "<f8,<f8"]


@st.composite
def npy_headers(draw):
    members, i, name, payload = a_member(draw)
    version, shape, fortran, dtype, start = npy_parts(payload)
    body = payload[start:]
    shape = draw(st.one_of(st.just(shape), st.sampled_from(SHAPES),
                           st.lists(st.integers(-2, 2**64), max_size=3).map(tuple)))
    descr = draw(st.one_of(st.just(np.lib.format.dtype_to_descr(dtype)), st.sampled_from(DESCRS)))
    fortran = draw(st.sampled_from([fortran, True, False, 1, "yes", None]))
    form = draw(st.sampled_from(["dict", "dict", "dict", "missing", "extra", "list shape", "garbage"]))
    if form == "dict":
        header = f"{{'descr': {descr!r}, 'fortran_order': {fortran!r}, 'shape': {shape!r}, }}"
    elif form == "missing":
        header = f"{{'descr': {descr!r}, 'shape': {shape!r}}}"
    elif form == "extra":
        header = f"{{'descr': {descr!r}, 'fortran_order': {fortran!r}, 'shape': {shape!r}, 'x': 1}}"
    elif form == "list shape":
        header = f"{{'descr': {descr!r}, 'fortran_order': {fortran!r}, 'shape': {list(shape)!r}}}"
    else:
        header = draw(st.sampled_from([
            "", "{", "}", "[1, 2]", "None", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,3)",
            "__import__('os').system('false')", "(" * 300 + ")" * 300, "[" * 300 + "]" * 300, "-" * 5000 + "1",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1e400,)}", "\xff\xfe\x00",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (" + "9" * 5000 + ",)}",
            "{b'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", "{1: 2}",
            "{'descr': {'names': ['a'], 'formats': ['<f8']}, 'fortran_order': False, 'shape': (1,)}",
        ]))
    version = draw(st.sampled_from([version, (1, 0), (2, 0), (3, 0), (0, 0), (1, 1), (255, 255)]))
    if version[0] not in (1, 2, 3):
        version_for_packing = (1, 0)
    else:
        version_for_packing = version
    body = draw(st.sampled_from([body, body[: len(body) // 2], body + b"\x00" * 8, b"", body * 2,
                                 b"\x00" * 64, b"\xff" * 64]))
    length = draw(st.sampled_from([None, None, None, 0, 1, 2**16 - 1, 2**32 - 1, 10001]))
    raw = npy_raw(header, body, version_for_packing, length)
    if version != version_for_packing:
        raw = raw[:6] + bytes(version) + raw[8:]
    members[i] = (name, raw)
    return build_zip(members)


@fuzz(1000)
@given(npy_headers())
def test_npy_header_rewrites(data):
    check_file(data)


# -- 5. the JSON metadata ---------------------------------------------------------------------------------

DEEP = Raw("[" * 100_000 + "]" * 100_000)
GARBAGE = [
    None, True, False, 0, 1, -1, 2, 3, 623, 624, 625, 2**31, 2**32, 2**32 - 1, 2**53, 2**63, 2**64, 2**128,
    2**128 - 1, 10**30, -(10**30), 0.5, -0.0, 1.0, 1.5, 1e308, -1e308, 5e-324, Raw("1e400"), Raw("-1e400"),
    Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1" * 5000), Raw("-" + "9" * 400), DEEP,
    Raw("[" * 600 + "]" * 600), Raw('{"a":' * 600 + "1" + "}" * 600), Raw('"\\ud800"'), Raw('"\\udfff x"'),
    "", "a", "\x00", "relu", "tanh", "sigmoid", "softmax", "leaky_relu", "leaky_relu:1e300", "leaky_relu:1e400",
    "leaky_relu:nan", "leaky_relu:-0.5", "leaky_relu:", "swish", "float16", "float32", "float64", "longdouble",
    "float128", "int8", "object", "<U5", "complex128", "bool", "O", "V8", "PCG64", "PCG64DXSM", "MT19937",
    "Philox", "SFC64", "RandomState", "Generator", "adam", "gd", "momentum", "rmsprop", "sgd", "constant",
    "exponential", "step", "inverse_time", "deepstep-model", "<u4", "<u8", "<i8", "<f8", "|b1",
    [], [1], [0], [-1], [0, 0], [4, 0, 1], [4, -3, 1], [4, 2**31, 1], [4, 3, 1], [3, 2, 1], [4, 5, 3], [4, 1],
    [4, 2, 2, 1], [1.5, 2], [True, 1], ["a", "b"], ["a"], ["a", "b", "c"], [None], [[1]], [Raw("1e400")],
    [1e308, 1e308], [64, 64, 3], [2, 2, 1], [0, 64, 3], [10**6, 10**6, 3], list(range(10_001)), [1] * 10_001,
    ["x"] * 3, [0.5] * 3, [-1.0, 2.0],
    {}, {"name": "adam"}, {"name": "adam", "t": 1, "epoch": 1}, {"name": ["x"]}, {"name": {"a": 1}},
    {"name": "inverse_time"}, {"name": "inverse_time", "decay_rate": -1}, {"name": "step", "drop": 2},
    {"__array__": [1, 2], "dtype": "<u4"}, {"__array__": [-1], "dtype": "<u8"}, {"__array__": "x", "dtype": "O"},
    {"__array__": [1], "dtype": 5}, {"__array__": [[1, 2], [3]], "dtype": "<u4"}, {"__array__": [1.5] * 624,
                                                                                  "dtype": "<u4"},
    {"__array__": [0] * 624, "dtype": "<u4"}, {"__array__": [2**32] * 624, "dtype": "<u4"},
    {"__array__": [0] * 624, "dtype": "<u8"}, {"__array__": [0] * 4, "dtype": "<u8"},
    {"__array__": [0] * 4, "dtype": ">u8"}, {"__array__": [0] * 4, "dtype": "<i8"},
    {"kind": "Generator"}, {"kind": "RandomState", "state": []}, {"kind": "Generator", "state": {}},
    {"early_stopping": {"best": "x"}}, {"early_stopping": {"wait": [1]}}, {"early_stopping": 1}, {"x": {}},
]
garbage = st.one_of(
    st.sampled_from(GARBAGE),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.one_of(st.integers(-3, 10), st.floats(allow_nan=False, allow_infinity=False)), max_size=5),
    st.dictionaries(st.sampled_from(["name", "t", "epoch", "kind", "state", "x", "best", "wait"]),
                    st.sampled_from(GARBAGE[:40]), max_size=3),
)

# paths the saved files do not have but readers look at
EXTRA_PATHS = [("metadata", "image_shape"), ("metadata", "classes"), ("metadata", "training"),
               ("metadata", "dataset"), ("metadata", "kind"), ("history", "learning_rate"), ("history", "batch_size"),
               ("history", "method"), ("history", "optimizer"), ("history", "val_cost"), ("history", "accuracy"),
               ("history", "learning_rates"), ("optimizer",), ("optimizer", "schedule"), ("callbacks",),
               ("callbacks", "early_stopping"), ("callbacks", "early_stopping", "best"),
               ("callbacks", "early_stopping", "wait"), ("rng_state",), ("cost_history",), ("method",)]


def paths(doc, prefix=()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, prefix + (k,))
    elif isinstance(doc, list) and len(doc) <= 16 and prefix[-1:] != ("__array__",):
        for k, v in enumerate(doc):
            out += paths(v, prefix + (k,))
    elif isinstance(doc, list) and doc:
        out += [prefix + (0,), prefix + (len(doc) - 1,)]
    return out


@functools.cache
def meta_paths(name: str) -> list[tuple]:
    return sorted(set(paths(meta_of(bases()[name])) + EXTRA_PATHS), key=repr)


def apply(doc, path, action, value=None):
    """Set (or delete) doc[path...]; a path through something that is no longer a container is skipped."""
    value = copy.deepcopy(value)  # the strategies' lists and dicts are shared between examples
    node = doc
    for k in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(k, {})
        elif isinstance(node, list) and isinstance(k, int) and k < len(node):
            node = node[k]
        else:
            return
    k = path[-1]
    if isinstance(node, dict):
        if action == "delete":
            node.pop(k, None)
        else:
            node[k] = value
    elif isinstance(node, list) and isinstance(k, int) and k < len(node):
        if action == "delete":
            del node[k]
        elif action == "append":
            node.append(value)
        else:
            node[k] = value


@st.composite
def metadata_rewrites(draw):
    name = draw(st.sampled_from(BASE_NAMES))
    doc = copy.deepcopy(meta_of(bases()[name]))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(meta_paths(name)))
        action = draw(st.sampled_from(["set", "set", "set", "delete", "append"]))
        apply(doc, path, action, draw(garbage) if action != "delete" else None)
    return name, doc


@fuzz(1100)
@given(metadata_rewrites())
def test_metadata_rewrites(case):
    name, doc = case
    check_file(with_meta_text(bases()[name], dumps(doc)))


RNG_FIELDS = {
    "RandomState": [("state", 0), ("state", 1), ("state", 1, 0), ("state", 1, 623), ("state", 2), ("state", 3),
                    ("state", 4), ("kind",), ("state",)],
    "Generator": [("kind",), ("state",), ("state", "bit_generator"), ("state", "state"),
                  ("state", "state", "state"), ("state", "state", "inc"), ("state", "state", "key"),
                  ("state", "state", "key", "__array__"), ("state", "state", "key", "__array__", 0),
                  ("state", "state", "key", "dtype"), ("state", "state", "pos"), ("state", "state", "counter"),
                  ("state", "state", "counter", "__array__", 3), ("state", "state", "state", "__array__"),
                  ("state", "state", "state", "dtype"), ("state", "buffer"), ("state", "buffer", "__array__", 0),
                  ("state", "buffer_pos"), ("state", "has_uint32"), ("state", "uinteger"), ("state", "extra")],
}
RNG_VALUES = st.one_of(
    st.sampled_from([-1, 0, 1, 2, 4, 5, 623, 624, 625, 700, 10**6, -(10**6), 2**32 - 1, 2**32, 2**63, 2**64,
                     2**64 - 1, 2**128 - 1, 2**128, 2**129, -(2**127), 0.5, 1.0, 1e308, Raw("1e400"), Raw("NaN"),
                     None, True, "x", "0", "MT19937", "PCG64", "Philox", "SFC64", "PCG64DXSM", "BitGenerator",
                     "Generator", "RandomState", [], [0] * 623, [0] * 624, [0] * 625, [-1] * 624, [2**32] * 624,
                     [0.5] * 624, ["1"] * 624, {}, {"__array__": [0] * 623, "dtype": "<u4"},
                     {"__array__": [0] * 624, "dtype": "<u4"}, {"__array__": [0] * 624, "dtype": "<i4"},
                     {"__array__": [0] * 4, "dtype": "<u8"}, {"__array__": [0] * 2, "dtype": "<u8"},
                     {"__array__": [0] * 4, "dtype": "<f8"}, {"__array__": [0] * 4, "dtype": "U3"},
                     {"__array__": [2**64] * 4, "dtype": "<u8"}, {"__array__": [[0] * 4], "dtype": "<u8"},
                     {"__array__": [0] * 4, "dtype": "<u8", "x": 1}, {"state": 0, "inc": 1},
                     {"state": 2**128, "inc": 1}, {"key": [], "pos": 0}]),
    st.integers(-(2**130), 2**130),
)


@fuzz(600)
@given(st.sampled_from(BASE_NAMES), st.data())
def test_random_generator_state_rewrites(name, data):
    doc = copy.deepcopy(meta_of(bases()[name]))
    kind = doc["rng_state"]["kind"]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(RNG_FIELDS[kind]))
        action = data.draw(st.sampled_from(["set", "set", "set", "set", "delete"]))
        apply(doc["rng_state"], path, action, data.draw(RNG_VALUES))
    check_file(with_meta_text(bases()[name], dumps(doc)))


# -- 6. the arrays and the metadata changed together (so that the shape checks pass) -------------------------


@st.composite
def consistent_rewrites(draw):
    name = draw(st.sampled_from(BASE_NAMES))
    members = dict(members_of(bases()[name]))
    doc = meta_of(bases()[name])
    arrays = {k[:-4]: np.load(io.BytesIO(v)) for k, v in members.items() if k != "meta.npy"}
    change = draw(st.sampled_from(["dims", "dtype", "values", "state", "state", "empty"]))
    if change == "dims":  # new layer sizes, every parameter of the new shapes
        dims = draw(st.one_of(st.lists(st.integers(1, 6), min_size=2, max_size=4),
                              st.sampled_from([[4, 0, 1], [0, 1], [4, 3, 0], [4, 1], [1, 1]])))
        doc["layer_dims"] = dims
        arrays = {k: v for k, v in arrays.items() if k[0] not in "Wb"}
        dt = np.dtype(doc["dtype"])
        for l in range(1, len(dims)):
            arrays[f"W{l}"] = np.ones((dims[l], dims[l - 1]), dt) * 0.1
            arrays[f"b{l}"] = np.zeros((dims[l], 1), dt)
        if draw(st.booleans()):
            doc["metadata"].pop("classes", None)
    elif change == "dtype":  # every array and the metadata in another dtype
        dt = draw(st.sampled_from(["float16", "float32", "float64", "longdouble", "int8", "int64", "complex128",
                                   "bool", "<U3"]))
        doc["dtype"] = dt
        try:
            arrays = {k: v.astype(dt) for k, v in arrays.items()}
        except (TypeError, ValueError):
            pass
    elif change == "values":  # extreme finite values, or NaN / inf, in one array
        key = draw(st.sampled_from(sorted(arrays)))
        value = draw(st.sampled_from([1e308, -1e308, 3e38, 1e-320, 0.0, -0.0, 1e30, np.nan, np.inf, -np.inf]))
        A = arrays[key].copy()
        with np.errstate(over="ignore"):
            A.flat[draw(st.integers(0, max(0, A.size - 1)))] = value if A.size else 0
        arrays[key] = A
    elif change == "state":  # optimizer / callback state arrays of wrong shapes, dtypes, names
        keys = [k for k in arrays if k.startswith("state.")] or ["state.optimizer.v.dW1"]
        key = draw(st.sampled_from(keys + ["state.optimizer.v.dW1", "state.optimizer.s.db1",
                                           "state.callback.early_stopping.W1", "state.optimizer.v.dW7"]))
        dt = np.dtype(doc["dtype"])
        arrays[key] = draw(st.sampled_from([np.zeros((1, 1), dt), np.zeros((), dt), np.zeros((2, 2, 2), dt),
                                            np.zeros((0,), dt), np.zeros((3, 4), dt), np.ones((4, 3), dt),
                                            np.full((3, 4), 1e300, dt) if dt == np.float64 else np.ones(1, dt)]))
        if draw(st.booleans()):
            arrays.pop(draw(st.sampled_from(sorted(arrays))))
    else:  # zero-size arrays with matching zero sizes in layer_dims
        doc["layer_dims"] = [0, 0]
        arrays = {"W1": np.zeros((0, 0)), "b1": np.zeros((0, 1))}
    members = [("meta.npy", npy(np.array(json.dumps(doc))))] + [(f"{k}.npy", npy(v)) for k, v in arrays.items()]
    return build_zip(members)


@fuzz(500)
@given(consistent_rewrites())
def test_arrays_and_metadata_rewritten_together(data):
    check_file(data)


# -- 7. explicit regression tests ----------------------------------------------------------------------------


def refused(path, match: str | None = None) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ds.ModelFileError, match=match) as info:
            ds.load_model(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith("model"), message
    return message


def test_not_a_path(tmp_path):
    refused(None, "expected the path")
    refused(42, "expected the path")
    refused(b"model.npz", "expected the path")
    refused(tmp_path, "found nothing")  # a directory
    refused(tmp_path / "missing.npz", "found nothing")


def test_a_path_too_long_for_the_system(tmp_path):
    """Found by the fuzzer's paths: Path.is_file() raised OSError (ENAMETOOLONG) instead of saying so."""
    refused(tmp_path / ("a" * 300 + ".npz"), "File name too long|found nothing")
    refused("x" * 5000, "File name too long|found nothing")
    refused("bad\x00name.npz", "null byte|found nothing")


def test_a_npy_file_is_not_a_model(tmp_path):
    path = tmp_path / "W1.npy"
    np.save(path, np.zeros((3, 4)))
    refused(path, "could not read")


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path, monkeypatch):
    """A member of 64 MB of zeros (bzip2 packs it some 10000-fold): refused from the declared sizes, unread."""
    members = read_members(bases()["adam64"])
    bomb = npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (8388608,), }", bytes(8 * 2**23))
    path = tmp_path / "bomb.npz"
    path.write_bytes(build_zip(members + [("state.optimizer.v.dW1.npy", bomb)], zipfile.ZIP_BZIP2))
    assert path.stat().st_size * 1000 < len(bomb)
    refused(path)  # (under the allowance for small files: read, and refused for its shape)
    monkeypatch.setattr(model_io, "_UNPACK_ALLOWANCE", 0)  # the allowance taken away
    monkeypatch.setattr(np.lib.format, "read_magic", None)  # nothing may be unpacked (this would raise)
    refused(path, "unpacks to .* bytes, more than 1000 times its size")


def test_a_zip_that_lies_about_its_sizes_is_refused(tmp_path):
    data = bytearray(bases()["adam64"])
    for m in re.finditer(b"PK\x01\x02", bytes(data)):  # every central directory entry claims 4 GB
        if int.from_bytes(data[m.start() + 24: m.start() + 28], "little") != 0xFFFFFFFF:
            data[m.start() + 24: m.start() + 28] = (2**32 - 2).to_bytes(4, "little")
    path = tmp_path / "liar.npz"
    path.write_bytes(bytes(data))
    refused(path)


def test_metadata_nested_100000_deep(tmp_path):
    doc = meta_of(bases()["adam64"])
    text = dumps({**doc, "metadata": {"training": DEEP}})
    path = tmp_path / "deep.npz"
    path.write_bytes(with_meta_text(bases()["adam64"], text))
    refused(path, "not valid JSON|nested")


def test_the_metadata_size_limit(tmp_path, monkeypatch):
    net = ds.DeepNetwork([2, 1], init="zeros", rng=0)
    net.history.cost = [0.5] * 1000
    net.save(tmp_path / "m.npz")
    assert ds.load_model(tmp_path / "m.npz").history.cost == net.history.cost
    monkeypatch.setattr(model_io, "_MAX_META_CHARS", 1000)
    refused(tmp_path / "m.npz", "more than 1000")


def test_absurd_npy_shape_is_refused_without_allocating(tmp_path):
    members = [(n, npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }",
                           b"\x00" * 64) if n == "W1.npy" else b) for n, b in read_members(bases()["adam64"])]
    path = tmp_path / "absurd.npz"
    path.write_bytes(build_zip(members))
    refused(path, "declares .* bytes")


# -- regression tests for what the fuzzer found (each failed before the fix in deepstep/model_io.py) -----------


def patched(data: bytes, sig: bytes, offset: int, value: int, size: int, which: int = 0) -> bytes:
    """``data`` with the field at ``offset`` of the ``which``-th record starting with ``sig`` set to ``value``."""
    start = [m.start() for m in re.finditer(re.escape(sig), data)][which]
    out = bytearray(data)
    out[start + offset: start + offset + size] = value.to_bytes(size, "little")
    return bytes(out)


def write(tmp_path, data: bytes, name: str = "case.npz") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_npy_header_that_does_not_tokenize(tmp_path):
    """numpy's header parser raised tokenize.TokenError (not a ValueError) for an unclosed header dict."""
    members = [(n, npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4)", bytes(96))
                if n == "W1.npy" else b) for n, b in read_members(bases()["adam64"])]
    refused(write(tmp_path, build_zip(members)), "member 'W1' is not a readable array")


def test_zip_needing_a_newer_zip_version(tmp_path):
    """zipfile.ZipFile raised NotImplementedError ('zip file version 12.7') for a big 'version needed' field."""
    data = patched(bases()["adam64"], b"PK\x01\x02", 6, 127, 2)
    refused(write(tmp_path, data), "could not read it .*zip file version 12.7")


def test_unsupported_compression_and_encryption(tmp_path):
    for method in (1, 14, 99):  # shrink (unsupported), LZMA on deflate data, AES
        data = patched(patched(bases()["gd32"], b"PK\x01\x02", 10, method, 2), b"PK\x03\x04", 8, method, 2)
        refused(write(tmp_path, data), "not a readable array|could not read")
    encrypted = patched(patched(bases()["gd32"], b"PK\x01\x02", 8, 1, 2), b"PK\x03\x04", 6, 1, 2)
    refused(write(tmp_path, encrypted), "not a readable array .*encrypted")


def test_an_error_quoting_the_file_is_one_short_line(tmp_path):
    """zipfile's message quoted the member's raw bytes (newlines included) when the local header's name length
    was wrong: a ModelFileError of several lines and thousands of characters."""
    data = patched(stored(bases()["adam64"]), b"PK\x03\x04", 26, 3000, 2, which=1)
    message = refused(write(tmp_path, data), "not a readable array")
    assert len(message) < 400


def test_early_stopping_state_is_checked(tmp_path):
    """Garbage early-stopping state loaded, then broke EarlyStopping.load_state (ValueError/TypeError) or, with
    best parameters of another shape, the end of training (a broadcast ValueError): `deepstep train --resume
    --early-stopping` printed a traceback."""
    doc = meta_of(bases()["early"])
    for data in ({"best": "x"}, {"wait": [1]}, {"wait": -1}, {"best_epoch": "O"}, {"best": Raw("1e400")}):
        text = dumps({**doc, "callbacks": {"early_stopping": {**doc["callbacks"]["early_stopping"], **data}}})
        refused(write(tmp_path, with_meta_text(bases()["early"], text)), "early-stopping state")
    members = [(n, npy(np.zeros((1, 3))) if n == "state.callback.early_stopping.W1.npy" else b)
               for n, b in read_members(bases()["early"])]
    refused(write(tmp_path, build_zip(members)), r"state array 'callback.early_stopping.W1' of shape \(3, 4\)")


@pytest.mark.parametrize("base, path, value", [
    ("adam64", ("state", 2), 10**6),  # RandomState: pos 10**6 read memory far out of bounds (a segfault)
    ("adam64", ("state", 2), -5),
    ("adam64", ("state", 3), 7),
    ("adam64", ("state", 1, 0), 2**32),
    ("early", ("state", "state", "pos"), 700),  # MT19937
    ("momentum", ("state", "buffer_pos"), -100000),  # Philox
    ("momentum", ("state", "buffer_pos"), 5),
    ("gd32", ("state", "has_uint32"), 2),  # PCG64
    ("gd32", ("state", "state", "inc"), 2**128),
    ("sfc64", ("state", "uinteger"), -1),
    ("sfc64", ("state", "state", "state", "dtype"), "<i8"),
    ("gd32", ("state", "bit_generator"), "MT19937"),
    ("adam64", ("kind",), "Generator"),
])
def test_random_generator_states_out_of_range(base, path, value, tmp_path):
    """NumPy's state setters take positions beyond their buffers as they come; the generator then reads memory
    out of bounds (RandomState with pos 10**6 segfaulted on the first draw)."""
    doc = meta_of(bases()[base])
    apply(doc["rng_state"], path, "set", value)
    refused(write(tmp_path, with_meta_text(bases()[base], dumps(doc))), "random generator state is damaged")


def test_optimizer_settings_beyond_float_range(tmp_path):
    """An epsilon of -10**400 (a JSON int) raised OverflowError from math.isfinite in the optimizer's check."""
    doc = meta_of(bases()["adam64"])
    for settings_ in ({"epsilon": Raw("-" + "9" * 400)}, {"beta1": Raw("9" * 400)}, {"epsilon": {"x": 1}},
                      {"schedule": {"name": ["x"]}}, {"schedule": {"name": "step", "drop": Raw("9" * 400)}}):
        text = dumps({**doc, "optimizer": {**doc["optimizer"], **settings_}})
        refused(write(tmp_path, with_meta_text(bases()["adam64"], text)), "optimizer")


def test_metadata_text_that_is_not_unicode(tmp_path):
    """A code point beyond U+10FFFF in the metadata made NumPy build a broken str (SystemError when iterated);
    a lone surrogate in a class name loaded and could not be printed."""
    members = read_members(bases()["gd32"])
    meta = dict(members)["meta.npy"]
    start = npy_parts(meta)[4]
    k = str(np.load(io.BytesIO(meta))).index('"classes": ["a"') + len('"classes": ["')
    broken = meta[:start + 4 * k] + (0xFFFFFFFF).to_bytes(4, "little") + meta[start + 4 * k + 4:]
    refused(write(tmp_path, build_zip([(n, broken if n == "meta.npy" else b) for n, b in members])),
            "not text .*beyond U\\+10FFFF")
    doc = meta_of(bases()["gd32"])
    doc["metadata"]["classes"] = [Raw('"\\ud800"'), "b", "c"]
    refused(write(tmp_path, with_meta_text(bases()["gd32"], dumps(doc))), "surrogates not allowed")


def test_metadata_nesting_is_limited_both_ways(tmp_path):
    """Nesting up to the recursion limit loaded, and then fed every recursive reader (json.dumps on save,
    copy.deepcopy); now read_model refuses more than 100 levels and write_model does not write them."""
    doc = meta_of(bases()["adam64"])
    doc["metadata"]["training"] = {"x": Raw("[" * 150 + "]" * 150)}
    refused(write(tmp_path, with_meta_text(bases()["adam64"], dumps(doc))), "nested more than 100 deep")
    net = ds.DeepNetwork([2, 1], init="zeros", rng=0)
    net.save(tmp_path / "m.npz")
    before = (tmp_path / "m.npz").read_bytes()
    deep: list = []
    for _ in range(150):
        deep = [deep]
    net.metadata["training"] = {"x": deep}
    with pytest.raises(ds.DeepstepError, match="nested more than 100 deep"):
        net.save(tmp_path / "m.npz")
    assert (tmp_path / "m.npz").read_bytes() == before
    net.metadata["training"] = {"x": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}
    net.save(tmp_path / "m.npz")
    assert ds.load_model(tmp_path / "m.npz").metadata == net.metadata


def test_state_arrays_that_belong_to_nothing(tmp_path):
    """State arrays the optimizer has no slot for, or of no parameter, were loaded and kept (and saved again)."""
    for extra in ("state.optimizer.v.dW9.npy", "state.optimizer.x.dW1.npy", "state.callback.nobody.W1.npy",
                  "state.other.npy", "state.callback.early_stopping.W7.npy"):
        members = read_members(bases()["adam64"]) + [(extra, npy(np.zeros((3, 4))))]
        refused(write(tmp_path, build_zip(members)), "unexpected state array")
    doc = meta_of(bases()["adam64"])
    doc["optimizer"] = {"name": "gd", "schedule": doc["optimizer"]["schedule"], "t": 3, "epoch": 3}
    refused(write(tmp_path, with_meta_text(bases()["adam64"], dumps(doc))), "unexpected state array")


def test_a_callback_of_ones_own_keeps_its_state(tmp_path):
    """The state checks leave the arrays of a callback other than early stopping as they are (its business)."""

    class Average(ds.callbacks.Callback):
        key = "average"

        def state(self):
            return {"n": 3}, {"mean": np.full((2, 5), 0.5)}

    net = ds.DeepNetwork([4, 1], init="zeros", rng=0)
    net.fit(X4, np.array([[0, 1, 0, 1, 1, 0]]), learning_rate=0.1, num_iterations=2, callbacks=[Average()])
    net.save(tmp_path / "m.npz")
    data, arrays = ds.load_model(tmp_path / "m.npz").callback_state["average"]
    assert data == {"n": 3} and np.array_equal(arrays["mean"], np.full((2, 5), 0.5))
