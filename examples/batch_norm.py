"""Batch normalization on a deep network and badly scaled features (Course 2, week 3): the same network, the same
seed, the same Adam, with and without batch normalization; the epochs each takes to a cost below 0.3, and the two
cost curves (docs/batch_norm.png when matplotlib is there).

    python examples/batch_norm.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import deepstep as ds


def problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """400 points in 5 features of scales 1, 10, 100, 0.1 and 1000; the label depends on three of them."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((5, 400)) * np.array([[1.0], [10.0], [100.0], [0.1], [1000.0]])
    Y = ((X[0] + X[1] / 10 - X[4] / 1000) > 0).astype(int)[np.newaxis]
    return X, Y


def curves(epochs: int = 60) -> dict[str, list[float]]:
    X, Y = problem()
    out = {}
    for name, batch_norm in (("without batch normalization", False), ("with batch normalization", True)):
        net = ds.DeepNetwork([5, 16, 16, 16, 1], batch_norm=batch_norm, rng=3)
        out[name] = net.fit(X, Y, learning_rate=0.01, num_iterations=epochs, batch_size=50, optimizer="adam").cost
    return out


def main() -> None:
    costs = curves()
    for name, cost in costs.items():
        below = next((i + 1 for i, c in enumerate(cost) if c < 0.3), None)
        print(f"{name}: cost {cost[0]:.3f} -> {cost[-1]:.3f}; below 0.3 after "
              f"{below if below is not None else 'more than ' + str(len(cost))} epochs")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, cost in costs.items():
        ax.plot(range(1, len(cost) + 1), cost, label=name)
    ax.set_xlabel("epoch (8 mini-batches of 50)")
    ax.set_ylabel("cost J")
    ax.set_yscale("log")
    ax.set_title("[5, 16, 16, 16, 1], features of scales 0.1 to 1000, Adam")
    ax.legend()
    fig.tight_layout()
    path = Path(__file__).resolve().parents[1] / "docs" / "batch_norm.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
