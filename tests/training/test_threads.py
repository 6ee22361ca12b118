"""BLAS threads per run: one for small products, the BLAS's own for large ones, n_threads to override, restored
after the run; bad values refused by name."""

from __future__ import annotations

import numpy as np
import pytest

import deepstep as ds
from deepstep.training import threads

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads_now() -> int:
    return max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")


def threads_during_fit(dims, m, **kwargs) -> tuple[int, int]:
    """(the BLAS threads a callback sees during the fit, those after it)."""
    seen = []
    X, Y = np.random.default_rng(0).standard_normal((dims[0], m)), (np.arange(m) % 2)[np.newaxis, :]
    net = ds.DeepNetwork(dims, rng=1)
    net.fit(X, Y, 0.01, 2, callbacks=[lambda epoch, logs: seen.append(blas_threads_now())], **kwargs)
    return seen[0], blas_threads_now()


def test_small_products_train_on_one_thread_and_the_setting_is_restored():
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads_now()
        during, after = threads_during_fit([4, 8, 1], 50)  # 8 x 4 x 50 multiply-adds: far below the threshold
        assert during == 1 and after == before
        big = [512, 256, 1]  # 512 x 256 x 64 = 8.4 M multiply-adds: the BLAS's own number
        assert threads.largest_product(big, 64) >= threads.ONE_THREAD_BELOW
        during, after = threads_during_fit(big, 64)
        assert during == before and after == before
        during, _ = threads_during_fit([4, 8, 1], 50, n_threads=2)  # asked for: given, whatever the size
        assert during == min(2, before) or during == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "many", True])
def test_bad_thread_counts_are_refused_by_name(bad):
    X, Y = np.ones((2, 4)), np.array([[0, 1, 0, 1]])
    with pytest.raises(ds.DeepstepError, match=r"^n_threads: "):
        ds.DeepNetwork([2, 3, 1], rng=1).fit(X, Y, 0.1, 1, n_threads=bad)


def test_the_command_takes_threads(tmp_path, capsys):
    from conftest import command

    code, _, err = command(capsys, "train", "--threads", "1", "--iterations", "3", "--quiet", "--out", tmp_path)
    assert code == 0, err
    code, _, err = command(capsys, "train", "--threads", "0", "--out", tmp_path / "b")
    assert code == 2 and "--threads" in err


@pytest.mark.parametrize("Est", ["DeepClassifier", "DeepRegressor"])
def test_the_estimators_take_threads_and_refuse_a_bad_count_before_touching_anything(Est):
    pytest.importorskip("sklearn")
    from deepstep import sklearn as dsk

    X = np.random.default_rng(0).standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(int)
    seen = []
    est = getattr(dsk, Est)(hidden_layer_sizes=(4,), num_iterations=2, random_state=0, n_threads=2)
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        original = threads.blas_threads

        def spy(n_threads, work):
            seen.append(n_threads)
            return original(n_threads, work)

        threads.blas_threads, saved = spy, threads.blas_threads
        try:
            est.fit(X, y)
        finally:
            threads.blas_threads = saved
    assert seen == [2]
    assert est.get_params()["n_threads"] == 2
    est.set_params(n_threads=np.int64(1)).fit(X, y)  # a numpy integer, as a grid search gives it
    fitted = est.network_
    with pytest.raises(ds.DeepstepError, match=r"^n_threads: "):
        est.set_params(n_threads=0).fit(X, y)
    assert est.network_ is fitted
