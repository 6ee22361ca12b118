"""The benchmark script runs, and its deepstep rows say what they measured (no timings are asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


@pytest.mark.slow
def test_bench_runs_and_writes_its_table_as_json(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--workloads", "1,3", "--quick", "--iterations", "3", "--repeats", "1",
         "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(out.read_text())
    rows = doc["results"]
    assert {r["spec"]["framework"] for r in rows} >= {"deepstep"} and all(r["error"] is None for r in rows)
    cats64 = [r for r in rows if r["spec"]["workload"] == 1 and r["spec"]["dtype"] == "float64"]
    auto, plain = (next(r for r in cats64 if r["spec"]["variant"] == v) for v in ("deepstep", "deepstep plain"))
    assert len(auto["cost_history"]) == 3 and plain["history_rel_diff"] < 1e-8  # the fast path's history
    assert auto["method_used"] == "plain"  # 3 iterations do not repay G = X^T X
    # the bare NumPy step (the floor of a NumPy trainer's step) trains as deepstep does: the same final cost
    bare = next(r for r in cats64 if r["spec"]["variant"] == "numpy bare step")
    assert bare["cost_reference"] == "deepstep plain" and bare["cost_rel_diff"] < 1e-12
    assert "ratio" in done.stdout and "final cost" in done.stdout and "numpy bare step:" in done.stdout
