"""A sweep's processes and its --out (issue 17): worker processes end with their parent, SIGKILL included; a second
sweep into an --out in use is refused in one line naming --out, and a dead sweep's lock holds nothing."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import command

pool_module = importlib.import_module("deepstep.apps.sweep.pool")  # the worker processes' part of deepstep.sweep

linux = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table in /proc")

LONG = ["--hidden", "3,4,5,6", "--iterations", "500000", "--quiet"]  # minutes per run: no run finishes here


def start(out, *flags):
    proc = subprocess.Popen([sys.executable, "-m", "deepstep", "sweep", *LONG, *flags, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("sweeping "), line + proc.stderr.read()
    return proc


def stat(pid):
    """(state, parent pid) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def alive(pid):
    s = stat(pid)
    return s is not None and s[0] not in ("Z", "X")  # a zombie has ended (only its parent may not have reaped it)


def children(pid):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            s = stat(int(entry.name))
            if s is not None and s[1] == pid and s[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def is_worker(pid):
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@linux
def test_sigkill_of_the_parent_ends_its_worker_processes(tmp_path, capsys):
    out = tmp_path / "s"
    proc = start(out, "--jobs", "2")
    try:
        deadline = time.monotonic() + 60
        workers = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = [pid for pid in children(proc.pid) if is_worker(pid)]
            time.sleep(0.05)
        assert len(workers) == 2, "the sweep did not start 2 worker processes"
        time.sleep(1.0)  # the workers are training
        assert all(alive(pid) for pid in workers)
        everyone = children(proc.pid)  # the workers and multiprocessing's resource tracker
    finally:
        proc.kill()  # SIGKILL: no handler of the parent runs
        proc.wait(timeout=30)  # (not communicate: workers left running would hold its pipes open)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(pid) for pid in everyone):
        time.sleep(0.05)
    left = [pid for pid in everyone if alive(pid)]
    for pid in left:  # (do not leave them running after a failure)
        os.kill(pid, signal.SIGKILL)
    proc.stdout.close()
    proc.stderr.close()
    assert left == [], f"processes of the killed sweep still running: {left}"
    # the dead sweep's lock holds nothing: a new sweep goes into its --out (no run had finished, so no journal)
    assert not (out / "runs.jsonl").exists()
    status, stdout, err = command(capsys, "sweep", "--hidden", "1", "--iterations", "5", "--out", out)
    assert status == 0, err


def test_a_worker_exits_once_its_parent_is_gone(monkeypatch):
    """The watch itself, in this process: a parent pid that is not ours is a parent gone, and the worker ends."""
    exits = []
    monkeypatch.setattr(pool_module.os, "_exit", lambda code: exits.append(code))
    pool_module._watch_parent(os.getpid() + 10**6, 0.01)  # (no such parent)
    assert exits == [1]
    assert not pool_module._parent_gone(os.getppid())


def test_a_second_sweep_into_the_same_out_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "s"
    first = start(out)
    try:
        for extra in ([], ["--resume"]):  # (a process of its own: were it not refused, it would run for hours)
            second = subprocess.run([sys.executable, "-m", "deepstep", "sweep", *LONG, "--out", str(out), *extra],
                                    capture_output=True, text=True, timeout=60)
            err = second.stderr
            assert second.returncode == 2 and err.count("\n") == 1 and "Traceback" not in err, err
            assert err.startswith("deepstep sweep: error: --out: ") and "in use by another running sweep" in err
            assert f"(process {first.pid})" in err and "sweeping" not in second.stdout
        assert first.poll() is None  # the first one runs on, alone
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert not (out / "runs.jsonl").exists()  # no run had finished; and nobody else wrote into its folder
    status, _, err = command(capsys, "sweep", "--hidden", "1", "--iterations", "5", "--out", out)
    assert status == 0, err  # the lock went with its owner


def test_the_lock_is_refused_in_process_too(tmp_path, capsys):
    """Two sweeps of one process into one --out (flock is per open file): the inner one is refused."""
    from deepstep import sweep_command

    out = tmp_path / "s"
    out.mkdir()
    with sweep_command._only_sweep_in(out):
        status, _, err = command(capsys, "sweep", "--hidden", "1", "--iterations", "5", "--out", out)
        assert status == 2 and err.count("\n") == 1 and "--out: " in err and f"(process {os.getpid()})" in err
    status, _, err = command(capsys, "sweep", "--hidden", "1", "--iterations", "5", "--out", out)
    assert status == 0, err
