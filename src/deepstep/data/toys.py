"""The 2-D toy sets, drawn from the generator given: the course's planar flower, moons, circles, blobs."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..core.initialization import RngLike
from ..errors import _describe, check_positive_int
from .common import DatasetError, _check_m, _check_noise, _class_counts, _dataset_check, _labels, _rng

# -- toy 2-D point sets ---------------------------------------------------------------


def make_planar(m: int = 400, noise: float = 0.2, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """The course's "flower": two classes on interleaved petals of the rose r = 4 sin(4 theta).

    Class j (j = 0, 1) gets m/2 points with theta evenly spread over
    [j * 3.12, (j + 1) * 3.12], then ``noise`` times standard normal noise is
    added to theta and to r, and a point is (r sin theta, r cos theta).
    Each class holds alternate petals, so no straight line separates them.
    With ``rng=1`` (a ``RandomState(1)``) and m = 400 this is the course's
    ``load_planar_dataset()`` draw for draw.

    Parameters
    ----------
    m : int
        Number of points, at most :data:`~deepstep.limits.MAX_EXAMPLES` (10 million); class 0 gets
        m // 2 and class 1 the rest.
    noise : float
        Standard deviation of the noise on theta and on r.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState
        Source of randomness (see :func:`deepstep.initialization.as_rng`).

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        Class 0 first, then class 1.
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    gen = _rng(rng)
    a = 4  # the longest petal
    counts = _class_counts(m, 2)[::-1]  # class 0: m // 2
    parts = []
    for j, n in enumerate(counts):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n) + gen.standard_normal(n) * noise
        r = a * np.sin(4 * t) + gen.standard_normal(n) * noise
        parts.append(np.vstack([r * np.sin(t), r * np.cos(t)]))
    return np.hstack(parts), _labels(counts)


def make_moons(m: int = 400, noise: float = 0.2, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Class 0: (cos t, sin t) and class 1: (1 - cos t, 0.5 - sin t) for t evenly
    spread over [0, pi], shifted by (-0.5, -0.25) so that the set is centred,
    plus ``noise`` times standard normal noise on each coordinate.

    Parameters
    ----------
    m : int
        Number of points, at most :data:`~deepstep.limits.MAX_EXAMPLES` (10 million); class 0 gets ceil(m / 2).
    noise : float
        Standard deviation of the Gaussian noise added to every coordinate.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        Class 0 first, then class 1.
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    gen = _rng(rng)
    counts = _class_counts(m, 2)
    t0, t1 = np.linspace(0, np.pi, counts[0]), np.linspace(0, np.pi, counts[1])
    X = np.hstack([np.vstack([np.cos(t0), np.sin(t0)]), np.vstack([1 - np.cos(t1), 0.5 - np.sin(t1)])])
    X += np.array([[-0.5], [-0.25]]) + gen.standard_normal((2, m)) * noise
    return X, _labels(counts)


def make_circles(
    m: int = 400, noise: float = 0.1, rng: RngLike = None, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """A circle (class 0, radius 1) around a smaller one (class 1, radius ``factor``).

    Points are evenly spaced in angle on each circle, plus ``noise`` times
    standard normal noise on each coordinate.

    Parameters
    ----------
    m : int
        Number of points, at most :data:`~deepstep.limits.MAX_EXAMPLES` (10 million); class 0 gets ceil(m / 2).
    noise : float
        Standard deviation of the Gaussian noise added to every coordinate.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState
    factor : float
        Radius of the inner circle, 0 < factor < 1.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        Class 0 first, then class 1.
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    if isinstance(factor, bool) or not isinstance(factor, Real) or not 0 < factor < 1:
        raise DatasetError(f"factor: expected a number with 0 < factor < 1, got {_describe(factor)}")
    gen = _rng(rng)
    counts = _class_counts(m, 2)
    parts = []
    for radius, n in zip((1.0, float(factor)), counts, strict=True):
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        parts.append(radius * np.vstack([np.cos(t), np.sin(t)]))
    X = np.hstack(parts) + gen.standard_normal((2, m)) * noise
    return X, _labels(counts)


def make_blobs(
    m: int = 400, noise: float = 1.0, rng: RngLike = None, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, one per class, centred on a circle of radius 2.5.

    The centre of class k is 2.5 (cos a_k, sin a_k) with a_k = pi / 4 + 2 pi k / n_classes,
    and every point is its centre plus ``noise`` times standard normal noise.

    Parameters
    ----------
    m : int
        Number of points, at most :data:`~deepstep.limits.MAX_EXAMPLES` (10 million), shared as evenly
        as possible between the classes.
    noise : float
        Standard deviation of each blob, in each coordinate.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState
    n_classes : int
        Number of classes (blobs), at least 2.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        Class indices 0..n_classes-1, in order.
    """
    C = _dataset_check(check_positive_int, n_classes, "n_classes")
    if C < 2:
        raise DatasetError(f"n_classes: expected at least 2 classes, got {C}")
    m = _check_m(m, C)
    noise = _check_noise(noise)
    gen = _rng(rng)
    counts = _class_counts(m, C)
    angles = np.pi / 4 + 2 * np.pi * np.arange(C) / C
    centres = 2.5 * np.vstack([np.cos(angles), np.sin(angles)])
    X = np.repeat(centres, counts, axis=1) + gen.standard_normal((2, m)) * noise
    return X, _labels(counts)


def make_spiral(m: int = 400, noise: float = 0.1, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals (TensorFlow Playground's): class k at r (sin(t + k pi), cos(t + k pi)) with
    r = t / (2 pi) for t evenly spread over [0, 3 pi], plus ``noise`` times standard normal noise on each
    coordinate.

    Returns X (2, m) and labels Y (1, m): class 0 first (ceil(m / 2) points), then class 1.

    >>> X, Y = make_spiral(m=6, noise=0.0, rng=0)
    >>> X.shape, Y.tolist()
    ((2, 6), [[0, 0, 0, 1, 1, 1]])
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    gen = _rng(rng)
    counts = _class_counts(m, 2)
    parts = []
    for k, n in enumerate(counts):
        t = np.linspace(0, 3 * np.pi, n)
        r = t / (2 * np.pi)
        parts.append(np.vstack([r * np.sin(t + k * np.pi), r * np.cos(t + k * np.pi)]))
    return np.hstack(parts) + gen.standard_normal((2, m)) * noise, _labels(counts)


def make_xor(m: int = 400, noise: float = 0.0, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """The exclusive or: points uniform in [-1, 1]^2, class 1 in the first and third quadrants (x y > 0), class 0
    in the second and fourth, then ``noise`` times standard normal noise added to each coordinate (labels from the
    points before the noise).  Class 0 first (ceil(m / 2) points), then class 1.

    >>> X, Y = make_xor(m=200, rng=0)
    >>> bool(((X[0] * X[1] > 0) == (Y[0] == 1)).all())
    True
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    gen = _rng(rng)
    counts = _class_counts(m, 2)
    parts = []
    for k, n in enumerate(counts):
        size = gen.uniform(0, 1, (2, n))
        sign = np.where(gen.random(n) < 0.5, -1.0, 1.0)
        parts.append(size * np.vstack([sign, sign if k == 1 else -sign]))  # same signs: x y > 0
    return np.hstack(parts) + gen.standard_normal((2, m)) * noise, _labels(counts)


def make_gaussian(m: int = 400, noise: float = 0.5, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clusters (TensorFlow Playground's): class 0 around (-1, -1), class 1 around (1, 1), each
    coordinate with standard deviation ``noise``.

    >>> X, Y = make_gaussian(m=1000, noise=0.1, rng=0)
    >>> [float(round(c, 1)) for c in X[:, Y[0] == 1].mean(axis=1)]
    [1.0, 1.0]
    """
    m = _check_m(m, 2)
    noise = _check_noise(noise)
    gen = _rng(rng)
    counts = _class_counts(m, 2)
    centres = np.repeat(np.array([[-1.0, 1.0], [-1.0, 1.0]]), counts, axis=1)
    return centres + gen.standard_normal((2, m)) * noise, _labels(counts)


# -- toy 2-D regression sets (real-valued targets) --------------------------------------------------------------
#: The hills of :func:`make_hills`: (centre x0, centre x1, height); each a Gaussian bump of standard deviation 1.5.
HILLS = ((-3.0, 2.5, 1.0), (2.5, 3.0, -1.0), (0.0, -0.5, 1.0), (-2.5, -3.5, -1.0), (3.5, -3.0, 1.0))


def make_plane(m: int = 400, noise: float = 0.0, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """A plane to regress (TensorFlow Playground's): points uniform in [-6, 6]^2 and the target
    y = (x0 + x1) / 12 (between -1 and 1), plus ``noise`` times standard normal noise.

    Returns X (2, m) and targets Y (1, m), float64.

    >>> X, Y = make_plane(m=50, rng=0)
    >>> bool(np.allclose(Y, (X[0] + X[1]) / 12))
    True
    """
    m = _check_m(m, 1)
    noise = _check_noise(noise)
    gen = _rng(rng)
    X = gen.uniform(-6, 6, (2, m))
    return X, ((X[0] + X[1]) / 12 + gen.standard_normal(m) * noise)[np.newaxis, :]


def make_hills(m: int = 400, noise: float = 0.0, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Hills and hollows to regress (after TensorFlow Playground's "multi-Gaussian"): points uniform in [-6, 6]^2
    and the target y = sum_k h_k exp(-||x - c_k||^2 / (2 * 1.5^2)) over the bumps of :data:`HILLS` (centre c_k,
    height h_k = +1 or -1), plus ``noise`` times standard normal noise.

    Returns X (2, m) and targets Y (1, m), float64.

    >>> X, Y = make_hills(m=400, rng=0)
    >>> bool(-1.1 < Y.min() < -0.5 and 0.5 < Y.max() < 1.1)
    True
    """
    m = _check_m(m, 1)
    noise = _check_noise(noise)
    gen = _rng(rng)
    X = gen.uniform(-6, 6, (2, m))
    y = sum(h * np.exp(-((X[0] - c0) ** 2 + (X[1] - c1) ** 2) / (2 * 1.5 ** 2)) for c0, c1, h in HILLS)
    return X, (y + gen.standard_normal(m) * noise)[np.newaxis, :]


_TOY = {"planar": make_planar, "moons": make_moons, "circles": make_circles, "blobs": make_blobs,
        "spiral": make_spiral, "xor": make_xor, "gaussian": make_gaussian}


