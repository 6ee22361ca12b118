"""Input standardization that travels with the model: x := (x - mean) / scale, feature by feature.

Table features come in their own units (a radius in millimetres beside an area in
square millimetres); a network trained on them as they are often predicts one
class for everything.  A :class:`Standardizer` learns each feature's mean and
standard deviation on the training examples, and the network applies it to every
X it is given (fit, predict, evaluate), so a saved model takes raw features.

Examples are columns, as everywhere in deepstep: X has shape (n[0], m); ``mean``
and ``scale`` have shape (n[0], 1).  A constant feature (standard deviation 0, or
only rounding away from it) gets scale 1: it becomes 0, never a division by zero.

>>> import numpy as np
>>> from deepstep.standardize import Standardizer
>>> X = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
>>> s = Standardizer.fit(X)
>>> s.mean.ravel().tolist(), s.scale.ravel().tolist()
([2.0, 5.0], [0.816496580927726, 1.0])
>>> s.transform(X).round(4)
array([[-1.2247,  0.    ,  1.2247],
       [ 0.    ,  0.    ,  0.    ]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DeepstepError, check_X

__all__ = ["Standardizer"]


@dataclass(frozen=True)
class Standardizer:
    """x := (x - mean) / scale per feature; ``mean`` and ``scale`` are (n[0], 1) float64 arrays."""

    mean: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        for name in ("mean", "scale"):
            a = getattr(self, name)
            if not isinstance(a, np.ndarray) or a.ndim != 2 or a.shape[1] != 1 or a.dtype.kind != "f" \
                    or a.shape != self.mean.shape or not np.isfinite(a).all():
                raise DeepstepError(f"standardizer: expected finite float arrays mean and scale of shape (n[0], 1), "
                                    f"got {name} {getattr(a, 'shape', type(a).__name__)}")
        if not (self.scale > 0).all():
            raise DeepstepError("standardizer: expected a positive scale for every feature")

    @classmethod
    def fit(cls, X: Any) -> Standardizer:
        """mean[i] = (1/m) sum_j X[i, j]; scale[i] = the population standard deviation (1 where it is 0)."""
        X = check_X(X)
        with np.errstate(over="ignore", invalid="ignore"):
            X64 = X.astype(np.float64, copy=False)
            big = float(np.abs(X64).max()) if X64.size else 0.0
            # scaled by the largest magnitude first, so that sums of values near 1e308 do not overflow
            unit = X64 / big if big > 1e150 else X64
            mean = unit.mean(axis=1, keepdims=True)
            std = np.sqrt(((unit - mean) ** 2).mean(axis=1, keepdims=True))
            if unit is not X64:
                mean, std = mean * big, std * big
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            raise DeepstepError("X: expected values whose mean and spread are finite numbers, got values beyond the "
                                "float range")
        tiny = 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), np.finfo(np.float64).tiny)
        scale = np.where(std > tiny, std, 1.0)
        return cls(mean, scale)

    @property
    def n_features(self) -> int:
        return int(self.mean.shape[0])

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(X - mean) / scale, a new array in X's float dtype (float32 stays float32)."""
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        if X.ndim != 2 or X.shape[0] != self.n_features:
            raise DeepstepError(f"X: expected {self.n_features} rows (features), got shape {X.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            out = (X - self.mean.astype(dtype)) / self.scale.astype(dtype)
        if not np.isfinite(out).all():
            raise DeepstepError("X: expected values near the training data's range, got values that overflow "
                                f"{dtype.name} once standardized")
        return out.astype(dtype, copy=False)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """X * scale + mean (the raw features again)."""
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        return (X * self.scale.astype(dtype) + self.mean.astype(dtype)).astype(dtype, copy=False)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays a model file keeps."""
        return {"mean": self.mean, "scale": self.scale}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Standardizer:
        return cls(np.asarray(arrays["mean"], dtype=np.float64), np.asarray(arrays["scale"], dtype=np.float64))
