"""How long deepstep takes to read a clean numeric CSV of 200,000 rows x 100 features against pandas' own read_csv
(the issue's bar: within 1.5x), best of several, each reader in this process:  python benchmarks/read_csv.py"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def best(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import pandas as pd

    from deepstep.data import files

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, args.features))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(args.features)]).assign(label=(X[:, 0] > 0) * 1)
        frame.to_csv(path, index=False)
        size = path.stat().st_size / 1e6
        pandas_s = best(lambda: pd.read_csv(path), args.repeats)
        threshold, files.FAST_CSV_BYTES = files.FAST_CSV_BYTES, 0  # (pandas' parser whatever the size)
        try:
            fast_s = best(lambda: files.load_csv(path), args.repeats)
        finally:
            files.FAST_CSV_BYTES = threshold
        slow = files._fast_numeric_csv
        files._fast_numeric_csv = lambda *a: None
        try:
            careful_s = best(lambda: files.load_csv(path), 1)
        finally:
            files._fast_numeric_csv = slow
    print(f"{args.rows} x {args.features} numeric CSV ({size:.0f} MB), best of {args.repeats}:")
    print(f"  pandas.read_csv                 {pandas_s:7.2f} s")
    print(f"  deepstep (pandas' C parser)     {fast_s:7.2f} s   {fast_s / pandas_s:.2f}x pandas")
    print(f"  deepstep (csv module, no pandas) {careful_s:6.2f} s   {careful_s / pandas_s:.2f}x pandas")


if __name__ == "__main__":
    main()
