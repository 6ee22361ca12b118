"""How many BLAS threads a run's matrix products get: one for small products, the BLAS's own choice for large ones.

Measured on this 2-core Intel Sapphire Rapids (OpenBLAS 0.3.31), best of three, quiet machine:

=========================================  ===========  =========  ==========================================
run                                        largest      1 thread   2 threads
                                           product
=========================================  ===========  =========  ==========================================
digits ``[64, 100, 10]``, 60 epochs of 200  1.3 M        0.200 s    0.201 s (nothing gained)
``[3000, 20, 7, 5, 1]`` on 209, 100 steps  12.5 M       0.170 s    0.136 s
MNIST-shaped ``[784, 256, 128, 10]``, 128  25.7 M       0.272 s    0.232 s
=========================================  ===========  =========  ==========================================

(largest product: the multiply-adds of the largest layer's ``W A_prev`` on one batch).  Two threads gain nothing
on small products, and when another process keeps one core busy every product split over two threads waits for
the busy one (a digits-sized fit took 2-3x longer, the issue measured).  So a run whose largest product is below
:data:`ONE_THREAD_BELOW` trains on one thread; a larger one leaves the BLAS its own number.  ``n_threads`` (fit,
``deepstep train --threads``) overrides.  The setting holds for the run only (threadpoolctl, restored after);
without threadpoolctl (``pip install 'deepstep[threads]'``; scikit-learn brings it too) "auto" changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from numbers import Integral
from typing import Any

from ..errors import DeepstepError, _describe
from ..limits import weight_products

__all__ = ["ONE_THREAD_BELOW", "MAX_THREADS", "check_threads", "largest_product", "blas_threads"]

ONE_THREAD_BELOW = 2**22
"""A run whose largest product has fewer multiply-adds than this (about 4 million) trains on one BLAS thread."""
MAX_THREADS = 1024


def check_threads(n_threads: Any, name: str = "n_threads") -> int | None:
    """None or "auto" (decided per run), or a number of threads from 1 to :data:`MAX_THREADS`."""
    if n_threads is None or (isinstance(n_threads, str) and n_threads == "auto"):
        return None
    if isinstance(n_threads, bool) or not isinstance(n_threads, Integral) or not 1 <= n_threads <= MAX_THREADS:
        raise DeepstepError(f"{name}: expected 'auto' or a number of BLAS threads from 1 to {MAX_THREADS}, got "
                            f"{_describe(n_threads)}")
    return int(n_threads)


def largest_product(layer_dims: Sequence[int], batch: int) -> int:
    """The multiply-adds of the largest layer's W A_prev on one batch: max over l of n[l] n[l-1] times batch."""
    return max(weight_products(layer_dims)) * batch


@contextlib.contextmanager
def blas_threads(n_threads: int | None, work: int) -> Iterator[int | None]:
    """The run's BLAS threads, within the block (restored after): ``n_threads``, or one thread where ``work`` (see
    :func:`largest_product`) is below :data:`ONE_THREAD_BELOW`; yields the limit set (None: the BLAS's own)."""
    limit = n_threads if n_threads is not None else (1 if work < ONE_THREAD_BELOW else None)
    if limit is None:
        yield None
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if n_threads is not None:
            raise DeepstepError("n_threads: setting the BLAS threads needs threadpoolctl: pip install "
                                "'deepstep[threads]'") from None
        yield None
        return
    with threadpool_limits(limits=limit, user_api="blas"):
        yield limit
