"""A damaged sweep journal (runs.jsonl) on --resume (issue 17): a damaged header is refused in one line naming the
file; any other damaged line is dropped with a note and its run runs again; a model file that is not the one its
journal line went with is not taken (its run runs again, with a note).  Never a traceback; the reader is fuzzed
with arbitrary bytes and arbitrary JSON values."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deepstep as ds
from conftest import command
from deepstep import cli, sweep_command
from deepstep.errors import DeepstepError
from deepstep.sweep import SweepResult, best_row, settings_key

SWEEP = ["sweep", "--hidden", "1,2,3", "--hidden-activation", "tanh", "--learning-rate", "1.2", "--iterations", "40"]


def without_seconds(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """A finished sweep of 3 runs (keep all) and one with --keep best: their folders, rows and parameters."""
    made = {}
    for keep in ("all", "best"):
        out = tmp_path_factory.mktemp("journal") / keep
        assert cli.main([*SWEEP, "--keep", keep, "--out", str(out)]) == 0
        rows = without_seconds(json.loads((out / "results.json").read_text())["rows"])
        made[keep] = out, rows
    return made


def copy_of(whole, tmp_path, keep="all"):
    out = tmp_path / f"s-{keep}"
    shutil.copytree(whole[keep][0], out)
    (out / "results.json").unlink()
    return out


def lines_of(out):
    return (out / "runs.jsonl").read_bytes().split(b"\n")[:-1]


def write_lines(out, lines):
    (out / "runs.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))


def resume(capsys, out, keep="all"):
    return command(capsys, *SWEEP, "--keep", keep, "--out", out, "--resume")


def ran(stdout):
    return sorted(int(line.split()[1]) for line in stdout.splitlines() if line.startswith("  run "))


def entry(line):
    return json.loads(line)


def with_row(line, **changes):
    e = entry(line)
    e["row"].update(changes)
    return json.dumps(e).encode()


DAMAGED_ENTRIES = {
    "an empty object": lambda line: b"{}",
    "a NaN literal": lambda line: with_row(line).replace(b'"cost": ', b'"cost": NaN, "x": ', 1),
    "deep nesting": lambda line: b"[" * 100_000 + b"]" * 100_000,
    "a string score": lambda line: with_row(line, test_accuracy="0.9"),
    "bytes that are not UTF-8": lambda line: b"\xff\xfe\x80" + line[3:],
    "a bool for the run": lambda line: with_row(line, run=True),
    "a dict for hidden": lambda line: with_row(line, hidden={"a": 1}),
    "a setting the sweep refuses": lambda line: with_row(line, learning_rate=-1),
    "a missing column": lambda line: json.dumps({**entry(line), "row": {
        k: v for k, v in entry(line)["row"].items() if k != "cost"}}).encode(),
    "an unknown status": lambda line: with_row(line, status="great"),
    "a history of strings": lambda line: json.dumps({**entry(line), "history": {"cost": ["a"]}}).encode(),
    "a huge integer": lambda line: with_row(line).replace(b'"iterations": 40', b'"iterations": ' + b"9" * 5000),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_ENTRIES))
def test_a_damaged_run_line_is_dropped_with_a_note_and_its_run_runs_again(whole, tmp_path, capsys, damage):
    out = copy_of(whole, tmp_path)
    lines = lines_of(out)
    lines[2] = DAMAGED_ENTRIES[damage](lines[2])  # line 3: run 1
    write_lines(out, lines)
    status, stdout, err = resume(capsys, out)
    assert status == 0, err
    assert "Traceback" not in err
    notes = [line for line in err.splitlines() if line.startswith("note: --resume: ")]
    assert len(notes) == 1 and "runs.jsonl line 3 is damaged" in notes[0], err
    assert "2 finished run(s) kept" in stdout and ran(stdout) == [1]
    rows = without_seconds(json.loads((out / "results.json").read_text())["rows"])
    assert rows == whole["all"][1]  # the same sweep as the undamaged one
    journal = lines_of(out)
    assert len(journal) == 4 and all(isinstance(json.loads(line), dict) for line in journal)


def header_without(key):
    def damage(line):
        header = entry(line)
        del header[key]
        return json.dumps(header).encode()
    return damage


DAMAGED_HEADERS = {
    "an empty object": lambda line: b"{}",
    "no command": header_without("command"),
    "no data key": header_without("data_key"),
    "a NaN literal": lambda line: line.replace(b'"journal":1', b'"journal":NaN'),
    "journal true": lambda line: line.replace(b'"journal":1', b'"journal":true'),
    "deep nesting": lambda line: b"{\"a\":" * 50_000 + b"1" + b"}" * 50_000,
    "bytes that are not UTF-8": lambda line: b"\xc3\x28" + line,
    "a string command": lambda line: json.dumps({**entry(line), "command": "sweep"}).encode(),
    "a list": lambda line: b"[1, 2, 3]",
    "an empty line": lambda line: b"",
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_HEADERS))
def test_a_damaged_header_is_refused_in_one_line_naming_the_file(whole, tmp_path, capsys, damage):
    out = copy_of(whole, tmp_path)
    lines = lines_of(out)
    lines[0] = DAMAGED_HEADERS[damage](lines[0])
    write_lines(out, lines)
    before = (out / "runs.jsonl").read_bytes()
    status, stdout, err = resume(capsys, out)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("deepstep sweep: error: --resume: ") and str(out / "runs.jsonl") in err
    assert "  run " not in stdout and (out / "runs.jsonl").read_bytes() == before  # nothing run, nothing rewritten


def test_an_empty_journal_is_refused_in_one_line(whole, tmp_path, capsys):
    out = copy_of(whole, tmp_path)
    (out / "runs.jsonl").write_bytes(b"")
    status, _, err = resume(capsys, out)
    assert status == 2 and err.count("\n") == 1 and str(out / "runs.jsonl") in err


def test_another_runs_model_file_copied_over_run_0_is_not_resumed(whole, tmp_path, capsys):
    out = copy_of(whole, tmp_path)
    own = ds.load_model(out / "run-0.npz")
    shutil.copyfile(out / "run-1.npz", out / "run-0.npz")
    status, stdout, err = resume(capsys, out)
    assert status == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: --resume: ")]
    assert len(notes) == 1 and "run-0.npz" in notes[0] and "run 0 runs again" in notes[0]
    assert ran(stdout) == [0]
    again = ds.load_model(out / "run-0.npz")
    assert again.layer_dims == [2, 1, 1]
    for key in own.parameters:
        np.testing.assert_array_equal(again.parameters[key], own.parameters[key])
    assert without_seconds(json.loads((out / "results.json").read_text())["rows"]) == whole["all"][1]


def test_a_model_file_changed_after_its_journal_line_is_not_resumed(whole, tmp_path, capsys):
    """Same run, same settings, other parameters (its SHA-256 differs from the journal's)."""
    out = copy_of(whole, tmp_path)
    net = ds.load_model(out / "run-2.npz")
    own = {k: P.copy() for k, P in net.parameters.items()}
    net.parameters["b1"] = net.parameters["b1"] + 1.0
    net.save(out / "run-2.npz")
    status, stdout, err = resume(capsys, out)
    assert status == 0 and "run-2.npz is not the file run 2 wrote" in err and ran(stdout) == [2]
    np.testing.assert_array_equal(ds.load_model(out / "run-2.npz").parameters["b1"], own["b1"])


def test_a_journal_without_model_hashes_still_checks_each_files_run(whole, tmp_path, capsys):
    """A journal line of an earlier version (no "model"): the file's own run and settings are still checked."""
    out = copy_of(whole, tmp_path)
    lines = lines_of(out)
    for k in range(1, 4):
        e = entry(lines[k])
        del e["model"]
        lines[k] = json.dumps(e).encode()
    write_lines(out, lines)
    shutil.copyfile(out / "run-2.npz", out / "run-1.npz")
    status, stdout, err = resume(capsys, out)
    assert status == 0 and "run-1.npz is not the model of run 1" in err and ran(stdout) == [1]


def test_keep_best_refuses_a_best_file_that_is_not_the_best_runs(whole, tmp_path, capsys):
    out = copy_of(whole, tmp_path, keep="best")
    own = ds.load_model(out / "best.npz")
    best_run = own.metadata["sweep"]["run"]
    other = (best_run + 1) % 3
    shutil.copyfile(whole["all"][0] / f"run-{other}.npz", out / "best.npz")  # another run of the same sweep
    status, stdout, err = resume(capsys, out, keep="best")
    assert status == 0, err
    assert "best.npz is not the file run" in err and ran(stdout) == [best_run]
    again = ds.load_model(out / "best.npz")
    assert again.metadata["sweep"]["run"] == best_run
    for key in own.parameters:
        np.testing.assert_array_equal(again.parameters[key], own.parameters[key])


def test_a_run_written_twice_is_kept_once(whole, tmp_path, capsys):
    out = copy_of(whole, tmp_path)
    lines = lines_of(out)
    write_lines(out, [*lines, lines[1]])
    status, stdout, err = resume(capsys, out)
    assert status == 0 and "line 5 holds run 0 again" in err and ran(stdout) == []
    assert len(lines_of(out)) == 4


# -- fuzzing ----------------------------------------------------------------------------------------------
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)


@pytest.fixture(scope="module")
def sample(whole):
    """The header and run lines of a real journal."""
    lines = lines_of(whole["all"][0])
    return lines[0], lines[1:]


def read(tmp_path, lines):
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return sweep_command._read_journal(path)


def assert_usable(header, entries):
    """What the reader keeps is what the resumed sweep can use: rows of numbers and canonical settings."""
    rows = [e["row"] for _, e in entries]
    for row in rows:
        settings_key({k: row[k] for k in sweep_command.SETTINGS})
    best_row(rows, header["score_column"])
    SweepResult(rows, [e["history"] for _, e in entries], [None] * len(rows), header["score_name"],
                header["score_column"], 1, data_key=header["data_key"])
    for row in rows:
        json.dumps({k: sweep_command._plain(v) for k, v in row.items()}, allow_nan=False)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(junk=st.binary(max_size=200).map(lambda b: b.replace(b"\n", b"")), where=st.integers(0, 3))
def test_fuzz_arbitrary_bytes_on_any_line_never_raise_anything_but_deepsteps_error(tmp_path, sample, junk, where):
    header, runs = sample
    lines = [header, *runs]
    lines[where] = junk
    try:
        head, entries, notes = read(tmp_path, lines)
    except DeepstepError as exc:
        assert where == 0 and "\n" not in str(exc)
        return
    assert_usable(head, entries)
    assert len(entries) + len(notes) == 3


@FUZZ
@given(value=JSON, where=st.integers(0, 3))
def test_fuzz_arbitrary_json_values_on_any_line(tmp_path, sample, value, where):
    header, runs = sample
    lines = [header, *runs]
    lines[where] = json.dumps(value).encode()
    try:
        head, entries, notes = read(tmp_path, lines)
    except DeepstepError:
        assert where == 0
        return
    assert_usable(head, entries)


@FUZZ
@given(data=st.data())
def test_fuzz_one_field_of_a_run_line_replaced_by_any_json_value(tmp_path, sample, data):
    """The deepest checks: a real run line with one field (of its row, its history, or the line) made arbitrary."""
    header, runs = sample
    e = entry(runs[1])
    part = data.draw(st.sampled_from(["row", "history", "line"]))
    target = e if part == "line" else e[part]
    key = data.draw(st.sampled_from(sorted(target)) | st.text(max_size=8))
    target[key] = data.draw(JSON)
    head, entries, notes = read(tmp_path, [header, runs[0], json.dumps(e).encode(), runs[2]])
    assert_usable(head, entries)
    assert len(entries) + len(notes) == 3


@FUZZ
@given(value=JSON, key=st.sampled_from(["journal", "command", "data_key", "score_name", "score_column"]))
def test_fuzz_one_field_of_the_header(tmp_path, sample, value, key):
    header, runs = sample
    h = entry(header)
    h[key] = value
    try:
        head, entries, notes = read(tmp_path, [json.dumps(h).encode(), *runs])
    except DeepstepError:
        return
    assert_usable(head, entries)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.one_of(st.binary(max_size=80), JSON.map(lambda v: json.dumps(v).encode())).map(
    lambda b: b.replace(b"\n", b"")), where=st.integers(0, 3))
def test_fuzz_through_the_command_exit_2_in_one_line_or_a_note(whole, tmp_path_factory, capsys, junk, where):
    out = tmp_path_factory.mktemp("fuzz") / "s"
    shutil.copytree(whole["all"][0], out)
    lines = lines_of(out)
    lines[where] = junk
    write_lines(out, lines)
    status, stdout, err = resume(capsys, out)
    assert "Traceback" not in err
    if status == 2:
        assert where == 0 and err.count("\n") == 1 and str(out / "runs.jsonl") in err
    else:
        assert status == 0, err
        assert without_seconds(json.loads((out / "results.json").read_text())["rows"]) == whole["all"][1]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON, key=st.sampled_from(["journal", "command", "data_key", "score_name", "score_column"]),
       inside=st.booleans())
def test_fuzz_the_header_through_the_command(whole, tmp_path_factory, capsys, value, key, inside):
    """Any value for a header field, or for one flag inside its command: refused in one line (exit 2), or resumed
    as the same sweep."""
    out = tmp_path_factory.mktemp("fuzz") / "s"
    shutil.copytree(whole["all"][0], out)
    lines = lines_of(out)
    h = entry(lines[0])
    if inside:
        h["command"]["hidden" if key == "journal" else key] = value
    else:
        h[key] = value
    lines[0] = json.dumps(h).encode()
    write_lines(out, lines)
    status, stdout, err = resume(capsys, out)
    assert "Traceback" not in err
    assert status in (0, 2), err
    if status == 2:
        assert err.count("\n") == 1 and err.startswith("deepstep sweep: error: --resume: ")
