"""The one rule for holding examples out (a test split of a file, the validation split of a fit, the sweep's and the
command line's validation split): round(fraction * count) examples of each class, drawn at random."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["stratified_split"]


def stratified_split(labels: np.ndarray, fraction: float, rng: Any) -> np.ndarray:
    """A boolean mask of the examples held out: round(fraction * count) drawn at random from each class."""
    held = np.zeros(labels.shape[0], dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        held[idx[rng.permutation(idx.size)[: round(fraction * idx.size)]]] = True
    return held
