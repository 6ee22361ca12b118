"""Hyperparameter sweeps: the same 8 runs serially, in 2 worker processes and on a 2-worker Dask LocalCluster.

Prints one table and writes the same figures as JSON (see benchmarks/README.md)::

    python benchmarks/sweep_bench.py                 # 8 runs of 5000 iterations per sweep, under a minute or two
    python benchmarks/sweep_bench.py --quick         # 500 iterations, about half a minute
    python benchmarks/sweep_bench.py --repeats 5 --out /tmp/sweep.json

The workload is the course's planar model (``make_planar(m=400, rng=1)``, one tanh hidden layer of 1 ... 8
units, learning rate 1.2).  Each mode runs in a fresh subprocess of this script (``--worker MODE``) that
times the whole ``deepstep.sweep.sweep(...)`` call a few times (the best counts), then a sweep of the same
8 runs at 1 iteration (to measure what a task costs beyond its training), and saves the last sweep's
parameters so that the three modes can be compared bit for bit.  The cluster's start-up is timed on its own
and not counted in the sweep times.  ``--rounds N`` runs every mode's worker N times, in turns, so that a
burst of other load on a shared machine does not fall on one mode alone.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

import deepstep as ds
from deepstep.model_io import write_json  # atomic: a temporary file, then os.replace

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench-results" / "sweep.json"
RESULT_MARK = "SWEEP-BENCH-RESULT "
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

M = 400  # planar points
DATA_SEED = 1  # make_planar(m=400, rng=1): the course's load_planar_dataset()
SWEEP_SEED = 1
GRID = {"hidden": [1, 2, 3, 4, 5, 6, 7, 8]}  # 8 runs of about the same cost (Python overhead dominates)
FIXED = {"hidden_activation": "tanh", "learning_rate": 1.2}
ITERATIONS, QUICK_ITERATIONS = 5000, 500
TINY_ITERATIONS = 1  # the overhead sweep: 8 runs of one iteration each
TINY_REPEATS = 5
GOAL_RATIO = 0.6  # the goal for --jobs 2 on two cores: at most 0.6x the serial time
WORKERS = 2

MODES = {
    "serial": "serial (n_jobs=1)",
    "jobs2": f"processes (n_jobs={WORKERS})",
    "cluster": f"Dask LocalCluster ({WORKERS} workers)",
}


# -- the worker process (one per mode) ---------------------------------------------------------------


def blas_info() -> tuple[int | None, str]:
    """(threads, library) of NumPy's BLAS in this process: threadpoolctl where installed, else numpy.show_config."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        pools.sort(key=lambda p: "numpy" not in p.get("filepath", ""))  # NumPy's own first
        if pools:
            pool = pools[0]
            kernels = f" {pool['architecture']} kernels" if pool.get("architecture") else ""
            return pool["num_threads"], f"{pool['internal_api']} {pool.get('version') or ''}".strip() + kernels
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return None, f"{blas.get('name', '?')} {blas.get('version', '')}".strip() + " (from numpy.show_config)"
    except Exception:  # NumPy < 1.25: show_config has no dicts
        return None, "unknown"


def _sweep_once(X: np.ndarray, Y: np.ndarray, iterations: int, **where: Any) -> tuple[float, Any]:
    sweep_module = importlib.import_module("deepstep.sweep")  # deepstep.sweep at package level is the function
    fixed = {**FIXED, "num_iterations": iterations}
    start = time.perf_counter()
    result = sweep_module.sweep(X, Y, GRID, fixed=fixed, seed=SWEEP_SEED, **where)
    return time.perf_counter() - start, result


def _parameters(result: Any) -> dict[str, np.ndarray]:
    """Every run's final parameters, flattened to run<k>_<name> (for np.savez)."""
    out = {}
    for k, net in enumerate(result.networks):
        if net is None:
            continue
        for name, value in net.parameters.items():
            out[f"run{k}_{name}"] = np.asarray(value)
    return out


def _rows(result: Any) -> list[dict]:
    """The rows without "seconds", JSON-ready (tuples as lists)."""
    return [json.loads(json.dumps({k: v for k, v in row.items() if k != "seconds"})) for row in result.rows]


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
                                        and a[k].tobytes() == b[k].tobytes() for k in a)


def worker(mode: str, iterations: int, repeats: int, tiny_repeats: int, save: Path) -> None:
    X, Y = ds.datasets.make_planar(m=M, rng=DATA_SEED)
    doc: dict[str, Any] = {"mode": mode}
    where: dict[str, Any] = {}
    cluster = client = None
    if mode == "jobs2":
        where = {"n_jobs": WORKERS}
        # what deepstep's sweep gives each worker process (OPENBLAS/OMP/MKL_NUM_THREADS while they start)
        doc["worker_blas_threads"] = [max(1, CORES // WORKERS)] * WORKERS
    elif mode == "cluster":
        from distributed import Client, LocalCluster

        start = time.perf_counter()
        cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0")
        client = Client(cluster)
        client.wait_for_workers(WORKERS)
        doc["startup_s"] = time.perf_counter() - start
        doc["worker_blas_threads"] = [threads for threads, _ in client.run(blas_info).values()]
        where = {"client": client}
    try:
        times, run_seconds, first, deterministic = [], [], None, True
        for _ in range(repeats):
            seconds, result = _sweep_once(X, Y, iterations, **where)
            times.append(seconds)
            run_seconds.append([r["seconds"] for r in result.rows])
            params, rows = _parameters(result), _rows(result)
            if first is None:
                first = params, rows
            elif not _same(first[0], params) or rows != first[1]:
                deterministic = False
        tiny = [_sweep_once(X, Y, TINY_ITERATIONS, **where)[0] for _ in range(tiny_repeats)]
        if cluster is not None:
            start = time.perf_counter()
            client.close()
            cluster.close()
            doc["shutdown_s"] = time.perf_counter() - start
            cluster = None
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    np.savez(save, **params)
    threads, blas = blas_info()
    doc.update(times_s=times, tiny_times_s=tiny, rows=rows, deterministic=deterministic,
               statuses=sorted({r["status"] for r in result.rows}), run_seconds=run_seconds,
               blas=blas, blas_threads=threads)
    doc.setdefault("worker_blas_threads", None)
    print(RESULT_MARK + json.dumps(doc), flush=True)


def run_worker(mode: str, args: argparse.Namespace, iterations: int, folder: Path, round_: int) -> dict[str, Any]:
    save = folder / f"{mode}-{round_}.npz"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--iterations", str(iterations),
               "--repeats", str(args.repeats), "--tiny-repeats", str(args.tiny_repeats), "--save", str(save)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"mode": mode, "error": f"timed out after {args.timeout:.0f} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            doc = json.loads(line[len(RESULT_MARK):])
            with np.load(save) as saved:
                doc["parameters"] = {k: saved[k] for k in saved.files}
            return doc
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
    return {"mode": mode, "error": tail[0][:300]}


def merge(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """One mode's rounds (worker processes) as one: all timings pooled, the first round's parameters and rows;
    ``deterministic`` only if every sweep of every round gave the same parameters and rows."""
    ok = [d for d in docs if "error" not in d]
    if not ok:
        return docs[0]
    first = ok[0]
    same = all(d["deterministic"] and _same(first["parameters"], d["parameters"]) and d["rows"] == first["rows"]
               for d in ok)
    startups = [d["startup_s"] for d in ok if d.get("startup_s") is not None]
    return {**first, "deterministic": same, "times_s": [t for d in ok for t in d["times_s"]],
            "first_times_s": [d["times_s"][0] for d in ok],
            "tiny_times_s": [t for d in ok for t in d["tiny_times_s"]],
            "run_seconds": [r for d in ok for r in d["run_seconds"]],
            "statuses": sorted({s for d in ok for s in d["statuses"]}),
            "startup_s": min(startups) if startups else None, "startups_s": startups,
            "failed_rounds": [d["error"] for d in docs if "error" in d]}


# -- the report ---------------------------------------------------------------------------------------


def cpu_model() -> tuple[str, bool | None]:
    """(model name, whether the CPU has AVX-512) from /proc/cpuinfo."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown", None
    model, flags = "unknown", None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and model == "unknown":
            model = value.strip()
        elif key.strip() == "flags" and flags is None:
            flags = value.split()
    return model, None if flags is None else "avx512f" in flags


def compare(results: dict[str, dict]) -> tuple[bool | None, list[str]]:
    """Whether every mode's parameters and rows (less "seconds") equal the serial ones, and what differs."""
    ok = {m: r for m, r in results.items() if "error" not in r}
    if "serial" not in ok or len(ok) < 2:
        return None, ["identical: not checked (needs the serial mode and another)"]
    ref = ok["serial"]
    same, lines = True, []
    for mode, r in ok.items():
        if mode == "serial":
            continue
        a, b = ref["parameters"], r["parameters"]
        if a.keys() != b.keys():
            same = False
            lines.append(f"{mode}: other parameter arrays than serial ({sorted(set(a) ^ set(b))[:4]} ...)")
        else:
            differ = [k for k in a if a[k].dtype != b[k].dtype or a[k].shape != b[k].shape
                      or a[k].tobytes() != b[k].tobytes()]
            if differ:
                same = False
                gap = max(float(np.max(np.abs(a[k] - b[k]))) for k in differ if a[k].shape == b[k].shape)
                lines.append(f"{mode}: {len(differ)} of {len(a)} parameter arrays differ from serial's "
                             f"(largest difference {gap:.1e})")
        if r["rows"] != ref["rows"]:
            same = False
            bad = [i for i, (x, y) in enumerate(zip(r["rows"], ref["rows"], strict=False)) if x != y]
            lines.append(f"{mode}: rows {bad} differ from serial's (seconds aside)")
    for mode, r in ok.items():
        if not r["deterministic"]:
            same = False
            lines.append(f"{mode}: its sweeps (repeats, rounds) did not all give the same parameters and rows")
    return same, lines


def summarize(results: dict[str, dict]) -> dict[str, Any]:
    """Best and first times, ratios to serial, per-task overhead (ms) of each mode."""
    serial = results.get("serial", {})
    base = min(serial["times_s"]) if "times_s" in serial else None
    tiny_base = min(serial["tiny_times_s"]) if "tiny_times_s" in serial else None
    runs = len(GRID["hidden"])
    out = {}
    for mode, r in results.items():
        if "error" in r:
            out[mode] = {"error": r["error"]}
            continue
        best, tiny = min(r["times_s"]), min(r["tiny_times_s"])
        runs_of_best = r["run_seconds"][r["times_s"].index(best)]
        out[mode] = {
            "best_s": best, "first_s": min(r["first_times_s"]), "first_times_s": r["first_times_s"],
            "times_s": r["times_s"],
            "mean_run_s": sum(runs_of_best) / len(runs_of_best),
            "ratio": None if base is None else best / base,
            "tiny_best_s": tiny, "tiny_times_s": r["tiny_times_s"],
            "overhead_ms_per_task": None if tiny_base is None or mode == "serial" else 1e3 * (tiny - tiny_base) / runs,
            "startup_s": r.get("startup_s"), "startups_s": r.get("startups_s"), "shutdown_s": r.get("shutdown_s"),
            "failed_rounds": r["failed_rounds"],
            "blas": r["blas"], "blas_threads": r["blas_threads"], "worker_blas_threads": r["worker_blas_threads"],
            "statuses": r["statuses"], "run_seconds": r["run_seconds"], "deterministic": r["deterministic"],
        }
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(summary: dict[str, dict], iterations: int, repeats: int, rounds: int) -> None:
    columns = ("mode", "best s", "first s", "ratio", "mean run s", "tiny s", "overhead ms/task", "start-up s")
    rows = []
    for mode, s in summary.items():
        if "error" in s:
            rows.append((MODES[mode], "FAILED", *["-"] * (len(columns) - 2)))
            continue
        rows.append((MODES[mode], _fmt(s["best_s"], ".3f"), _fmt(s["first_s"], ".3f"), _fmt(s["ratio"], ".2f"),
                     _fmt(s["mean_run_s"], ".3f"), _fmt(s["tiny_best_s"], ".3f"),
                     _fmt(s["overhead_ms_per_task"], ".1f"), _fmt(s["startup_s"], ".2f")))
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                               strict=True)))

    runs = len(GRID["hidden"])
    print(f"sweep of {runs} runs: planar m={M}, hidden {GRID['hidden'][0]}..{GRID['hidden'][-1]} (tanh), "
          f"learning rate {FIXED['learning_rate']}, {iterations} iterations; best of {repeats} sweeps"
          + (f" x {rounds} rounds" if rounds > 1 else ""))
    print(line(columns))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def notes(summary: dict[str, dict], identical: bool | None, differences: list[str]) -> list[str]:
    model, avx512 = cpu_model()
    out = [f"CPU: {model}" + ("" if avx512 is None else f" (AVX-512: {'yes' if avx512 else 'no'})")
           + f"; cores: {CORES} (os.sched_getaffinity)"]
    ok = {m: s for m, s in summary.items() if "error" not in s}
    for mode, s in ok.items():
        threads = s["blas_threads"] if s["worker_blas_threads"] is None else \
            "/".join(str(t) for t in s["worker_blas_threads"]) + " per worker"
        out.append(f"NumPy BLAS ({MODES[mode]}): {s['blas']}, threads {threads}")
    out.append("ratio: best sweep time / serial's (below 1: faster); tiny s: best sweep of the same runs at "
               f"{TINY_ITERATIONS} iteration; overhead: (tiny s - serial tiny s) / {len(GRID['hidden'])} runs")
    out.append("mean run s: the runs' own training times (the rows' 'seconds') in the best sweep; above serial's, "
               "the runs slowed each other down (shared cores, memory, other load)")
    out.append("start-up s: LocalCluster + Client until both workers are up (not in the sweep times; best of the "
               "rounds); first s: a worker process's first sweep (the cluster's workers cold; the processes mode "
               "starts a fresh pool every sweep), best of the rounds")
    for mode in ("jobs2", "cluster"):
        s = ok.get(mode)
        if s and s["ratio"] is not None:
            verdict = "met" if s["ratio"] <= GOAL_RATIO else "NOT met"
            out.append(f"goal (at most {GOAL_RATIO}x serial with {WORKERS} processes on {CORES} cores), "
                       f"{MODES[mode]}: {s['ratio']:.2f}x, {verdict}")
    if CORES < WORKERS:
        out.append(f"note: only {CORES} core(s): {WORKERS} workers cannot run side by side")
    out.append("identical: " + {True: "yes", False: "no", None: "not checked"}[identical]
               + " (every run's parameters bit for bit, and the rows but 'seconds', against serial)")
    out += differences
    for mode, s in summary.items():
        if "error" in s:
            out.append(f"WARNING: {MODES[mode]} failed: {s['error']}")
            continue
        for error in s["failed_rounds"]:
            out.append(f"WARNING: {MODES[mode]}: a round failed: {error}")
        if s["statuses"] != ["ok"]:
            out.append(f"WARNING: {MODES[mode]}: run statuses {s['statuses']}")
    return out


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__, "deepstep": ds.__version__}
    for name in ("dask", "distributed"):
        if find_spec(name) is not None:
            out[name] = importlib.import_module(name).__version__
    return out


# -- command line -------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"{QUICK_ITERATIONS} iterations per run instead of "
                   f"{ITERATIONS}")
    p.add_argument("--iterations", type=int, help=f"iterations per run (default {ITERATIONS})")
    p.add_argument("--repeats", type=int, default=3, help="timed sweeps per mode; the best counts (default 3)")
    p.add_argument("--rounds", type=int, default=1,
                   help="worker processes per mode, run in turns (serial, processes, cluster, then the next round "
                   "starting one mode later); the best sweep of all counts (default 1)")
    p.add_argument("--tiny-repeats", type=int, default=TINY_REPEATS,
                   help=f"sweeps at {TINY_ITERATIONS} iteration per mode, for the overhead (default {TINY_REPEATS})")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ", ".join(MODES))
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file (default: "
                   f"{DEFAULT_OUT.relative_to(ROOT)})")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per worker process (default: 600)")
    p.add_argument("--worker", choices=tuple(MODES), help=argparse.SUPPRESS)
    p.add_argument("--save", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for name in ("iterations", "repeats", "rounds", "tiny_repeats"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')}: expected a positive number, got {getattr(args, name)}")
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or not set(args.modes) <= set(MODES):
        p.error(f"--modes: expected names from {', '.join(MODES)}, got {args.modes}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    iterations = args.iterations or (QUICK_ITERATIONS if args.quick else ITERATIONS)
    if args.worker is not None:
        worker(args.worker, iterations, args.repeats, args.tiny_repeats, args.save)
        return 0
    started = time.perf_counter()
    skipped = []
    modes = list(args.modes)
    if "cluster" in modes and find_spec("distributed") is None:
        modes.remove("cluster")
        skipped.append("Dask (distributed) is not installed: the cluster mode is left out "
                       "(pip install -e '.[cluster]')")
    docs: dict[str, list[dict]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as folder:
        for r in range(args.rounds):
            order = modes[r % len(modes):] + modes[:r % len(modes)]  # each round starts with the next mode
            for i, mode in enumerate(order, 1):
                print(f"[round {r + 1}/{args.rounds}, {i}/{len(modes)}] {MODES[mode]} ...", file=sys.stderr,
                      flush=True)
                docs[mode].append(run_worker(mode, args, iterations, Path(folder), r))
    results = {mode: merge(docs[mode]) for mode in modes}
    identical, differences = compare(results)
    summary = summarize(results)
    lines = skipped + notes(summary, identical, differences)
    print()
    print_table(summary, iterations, args.repeats, args.rounds)
    print()
    for line in lines:
        print(line)
    model, avx512 = cpu_model()
    doc = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(["benchmarks/sweep_bench.py", *argv]),
        "machine": {"platform": platform.platform(), "cpu": model, "avx512": avx512, "cores": CORES},
        "versions": versions(),
        "workload": {"dataset": f"make_planar(m={M}, rng={DATA_SEED})", "grid": GRID,
                     "fixed": {**FIXED, "num_iterations": iterations}, "seed": SWEEP_SEED,
                     "tiny_iterations": TINY_ITERATIONS, "repeats": args.repeats, "tiny_repeats": args.tiny_repeats,
                     "rounds": args.rounds},
        "identical": identical,
        "goal_ratio": GOAL_RATIO,
        "modes": summary,
        "notes": lines,
    }
    write_json(args.out, doc)
    print(f"\n{len(modes)} modes in {time.perf_counter() - started:.0f} s; results written to {args.out}")
    return 1 if any("error" in s for s in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
