"""Input standardization that travels with the model: x := (x - mean) / scale, feature by feature.

Table features come in their own units (a radius in millimetres beside an area in
square millimetres); a network trained on them as they are often predicts one
class for everything.  A :class:`Standardizer` learns each feature's mean and
standard deviation on the training examples, and the network applies it to every
X it is given (fit, predict, evaluate), so a saved model takes raw features.

Examples are columns, as everywhere in deepstep: X has shape (n[0], m); ``mean``
and ``scale`` have shape (n[0], 1).  A constant feature (standard deviation 0, or
only rounding away from it) gets scale |mean| (1 for a row of zeros): it becomes 0 (up to rounding),
never a division by zero.  The statistics are right for every finite feature, from
values near 1e-300 to values near 1e308 (see :meth:`Standardizer.fit`).

>>> import numpy as np
>>> from deepstep.standardize import Standardizer
>>> X = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
>>> s = Standardizer.fit(X)
>>> s.mean.ravel().tolist(), s.scale.ravel().tolist()
([2.0, 5.0], [0.816496580927726, 5.0])
>>> s.transform(X).round(4)
array([[-1.2247,  0.    ,  1.2247],
       [ 0.    ,  0.    ,  0.    ]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DeepstepError, check_X

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
    def fit(cls, X: Any, name: str = "X", weights: np.ndarray | None = None) -> Standardizer:
        """mean[i] = (1/m) sum_j X[i, j]; scale[i] = the population standard deviation of row i (with ``weights``
        w (m,) or (1, m), the weighted mean and standard deviation: an integer weight is a repeated example).

        Computed on each row divided by a power of two near its largest magnitude (exact, and undone exactly), so
        that neither the sum of values near 1e308 overflows nor the squares of deviations near 1e-200 underflow.
        A constant row (every value within 10 ulps of the mean) gets scale |mean| (1 for zeros, never below the
        smallest normal number): it becomes 0 (up to
        rounding).  A row whose spread is below the smallest normal number of X's float dtype (2.2e-308 for
        float64, 1.2e-38 for float32) is refused (DeepstepError naming ``name``): its scale would be a subnormal
        number with too few significant bits to standardize by.
        """
        X = check_X(X, name=name)
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        X64 = X.astype(np.float64, copy=False)
        peak = np.abs(X64).max(axis=1, keepdims=True)
        _, exponent = np.frexp(peak)  # peak = f * 2**exponent with 0.5 <= f < 1 (exponent 0 for a row of zeros)
        with np.errstate(under="ignore"):  # (a value below 1e-308 of its row's largest adds nothing to the sums)
            unit = np.ldexp(X64, -exponent)  # |unit| < 1: exact (a power of two), undone exactly below
            w = None if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
            mean_unit = np.average(unit, axis=1, weights=w).reshape(-1, 1)
            std_unit = np.sqrt(np.average((unit - mean_unit) ** 2, axis=1, weights=w)).reshape(-1, 1)
            mean, std = np.ldexp(mean_unit, exponent), np.ldexp(std_unit, exponent)
        constant = std_unit <= 10 * np.finfo(np.float64).eps * np.abs(mean_unit)
        tiny = np.finfo(dtype).tiny
        small = ~constant & (std < tiny)
        if small.any():
            row = int(np.flatnonzero(small)[0])
            raise DeepstepError(f"{name}: expected values whose spread is at least {tiny:.3g} (the smallest normal "
                                f"{dtype.name}), got row {row} with standard deviation {float(std[row, 0]):.3g}; "
                                "multiply that row by a power of ten first (or use float64)")
        # a constant row's scale is its own size, so that what is predicted for it comes back at its size
        # (a regression target of 1e-200 is not put back as 0.1): |mean|, 1 for zeros
        size = np.where(mean != 0, np.maximum(np.abs(mean), np.finfo(np.float64).tiny), 1.0)
        scale = np.where(constant, size, std)
        return cls(mean, scale)

    @property
    def n_features(self) -> int:
        return int(self.mean.shape[0])

    def transform(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """(X - mean) / scale, a new array in X's float dtype (float32 stays float32).

        Where X - mean overflows (values of opposite signs near the float range) it is computed on halves, which
        is exact; a result beyond the dtype's range is refused (DeepstepError naming ``name``)."""
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        if X.ndim != 2 or X.shape[0] != self.n_features:
            raise DeepstepError(f"{name}: expected {self.n_features} rows (features), got shape {X.shape}")
        mean, scale = self._in(dtype, name)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            out = (X - mean) / scale
            bad = ~np.isfinite(out)
            if bad.any():
                half = np.asarray(0.5, dtype=dtype)
                out = np.where(bad, (X * half - mean * half) / scale * 2, out)
        if not np.isfinite(out).all():
            raise DeepstepError(f"{name}: expected values near the training data's range, got values that overflow "
                                f"{dtype.name} once standardized")
        return out.astype(dtype, copy=False)

    def inverse_transform(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """X * scale + mean (the raw features, or targets, again), in X's float dtype.

        Computed on halves where the plain sum overflows; a value beyond the dtype's range is refused
        (DeepstepError naming ``name``, the input whose outputs they are), never returned as inf."""
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        mean, scale = self._in(dtype, name)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            out = X * scale + mean
            bad = ~np.isfinite(out)
            if bad.any():
                half = np.asarray(0.5, dtype=dtype)
                out = np.where(bad, (X * (scale * half) + mean * half) * 2, out)
        if not np.isfinite(out).all():
            raise DeepstepError(f"{name}: expected values whose outputs fit in {dtype.name}, got outputs beyond "
                                f"its range (largest magnitude {np.finfo(dtype).max:.3g}) once put back in units")
        return out.astype(dtype, copy=False)

    def _in(self, dtype: np.dtype, name: str) -> tuple[np.ndarray, np.ndarray]:
        """mean and scale in ``dtype``; a standardization that dtype cannot hold (a scale beyond its range, or
        below its smallest normal number) is refused."""
        with np.errstate(over="ignore", under="ignore"):
            mean, scale = self.mean.astype(dtype), self.scale.astype(dtype)
        if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale >= np.finfo(dtype).tiny).all()):
            raise DeepstepError(f"{name}: expected {dtype.name} values, and this standardization (scales "
                                f"{float(self.scale.min()):.3g} .. {float(self.scale.max()):.3g}) does not fit in "
                                f"{dtype.name}; use float64")
        return mean, scale

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays a model file keeps."""
        return {"mean": self.mean, "scale": self.scale}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Standardizer:
        return cls(np.asarray(arrays["mean"], dtype=np.float64), np.asarray(arrays["scale"], dtype=np.float64))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Its state: ``{"mean": (n, 1), "scale": (n, 1)}``."""
        return self.arrays()

    @classmethod
    def from_state_dict(cls, state: dict[str, np.ndarray]) -> Standardizer:
        return cls.from_arrays(state)
