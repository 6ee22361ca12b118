"""deepstep against PyTorch (CPU) and scikit-learn on the same networks, data and initial weights.

Prints one table and writes the same rows as JSON (see benchmarks/README.md)::

    python benchmarks/bench.py                      # all five workloads, a few minutes on 2 cores
    python benchmarks/bench.py --quick              # about a minute
    python benchmarks/bench.py --workloads 1 --iterations 300 --out /tmp/b.json

Every (workload, variant) runs in a fresh subprocess of this script (``--worker
SPEC``), which loads its data, times only the training loop and prints one JSON
line; its peak memory is that process's own peak RSS.  PyTorch and scikit-learn
rows are left out, with a note, when those packages are not installed.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

import deepstep as ds

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench-results" / "bench.json"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "catvnoncat"
RESULT_MARK = "BENCH-RESULT "
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
SEED = 1

# Workload 1: the course's 4-layer cat model, full-batch gradient descent.
CAT_DIMS = [12288, 20, 7, 5, 1]
CAT_LR = 0.0075
CAT_ITERATIONS = 2500
# Workload 2: MNIST-shaped mini-batch training, one epoch.
MNIST_DIMS = [784, 256, 128, 10]
MNIST_M = 60000
MNIST_BATCH = 128
MNIST_LR = 0.1
# Workload 3: full-batch time per iteration as the work grows.
SCALING_M = (256, 1024, 4096, 16384, 65536)
SCALING_WIDTHS = (64, 256)
SCALING_LR = 0.01
SCALING_FLOP_TARGET = 3e10  # FLOPs per timed repeat (a few tenths of a second), within the bounds below
SCALING_ITERATIONS = (2, 200)
# Workload 4 ("2 mnist-shaped adam"): workload 2's data, weights and batches, trained with Adam.
ADAM_LR = 0.001
ADAM = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
# Workload 5 ("1 cats momentum+L2"): workload 1 with momentum and L2 regularization.
MOMENTUM_BETA = 0.9
CAT_L2 = 0.7  # lambda: J + (lambda / 2m) sum ||W[l]||^2, so dW[l] + (lambda / m) W[l]

# Workload 6 ("2 mnist-shaped adam, 10 epochs"): workload 4 in float32 for ADAM_EPOCHS epochs, each epoch timed: is the
# tenth as fast as the second (Adam's moving averages sink into subnormal floats otherwise), and epochs 3-5 against
# PyTorch's
ADAM_EPOCHS = 10

WORKLOADS = {1: "1 cats", 2: "2 mnist-shaped", 3: "3 scaling", 4: "2 mnist-shaped adam", 5: "1 cats momentum+L2",
             6: "2 mnist-shaped adam, 10 epochs"}
CAT_WORKLOADS, MNIST_WORKLOADS = (1, 5), (2, 4, 6)

COST_WARN_REL = 1e-3  # a peer's final cost this far from deepstep's gets a warning line
FIRST_COST_TOL = {"float64": 1e-6, "float32": 1e-5}  # iteration-0 cost: same weights, same data


# -- what runs, and what it measured ----------------------------------------------------------


@dataclass
class Spec:
    """One (workload, variant): what a worker process runs."""

    workload: int
    label: str  # the workload as the table shows it
    framework: str  # "deepstep", "torch" or "sklearn"
    variant: str
    dtype: str
    iterations: int  # full-batch iterations, or epochs (workloads 2 and 4)
    repeats: int  # timed runs from the same initial weights; the best counts
    method: str | None = None  # deepstep fit(method=...), where fit has it
    update: str | None = None  # torch: "manual" (p -= lr * p.grad), "sgd" or "adam" (torch.optim.SGD, .Adam)
    m: int | None = None  # workload 3: examples
    width: int | None = None  # workload 3: hidden width
    baseline: bool = False  # the deepstep row the other rows of its (label, dtype) are compared with
    optimizer: str | None = None  # None: plain gradient descent; "momentum" or "adam" (workloads 5 and 4)
    l2: float = 0.0  # lambda of L2 regularization (workload 5)
    signals: bool = True  # deepstep: False runs fit(signals=False) (the per-layer signals' cost is the difference)


@dataclass
class Result:
    """One row of the table (and of the JSON file)."""

    spec: Spec
    times_s: list[float] = field(default_factory=list)  # one per repeat
    best_s: float | None = None
    ms_per_iter: float | None = None
    ratio: float | None = None  # this row's time / the deepstep baseline's: > 1 means deepstep is faster
    gflops: float | None = None  # plain-arithmetic FLOPs (2 * forward MACs * 3) / time
    first_cost: float | None = None  # full batch: cost of iteration 0, before any update
    final_cost: float | None = None  # last iteration's cost before its update (epoch: mean of batch costs); floor: None
    train_acc: float | None = None
    test_acc: float | None = None
    peak_rss_mb: float | None = None  # the worker process's peak RSS (imports and data included)
    train_extra_mb: float | None = None  # peak RSS during training minus RSS just before it
    threads: int | None = None
    blas: str | None = None  # the BLAS library doing the products
    cost_reference: str | None = None  # the deepstep variant the final cost was compared with
    cost_rel_diff: float | None = None
    history_rel_diff: float | None = None  # largest relative difference of the whole cost history from the reference
    cost_history: list[float] = field(default_factory=list)  # every iteration's (epoch's) cost, of the last repeat
    epoch_s: list[float] = field(default_factory=list)  # workload 6: the seconds of each epoch (of the last repeat)
    method_used: str | None = None  # deepstep: the method fit reports
    optimizer_impl: str | None = None  # torch.optim: the implementation that ran ("for-loop", "foreach", "fused")
    data: str | None = None  # "cats", "random (cats absent)", "random"
    error: str | None = None


@dataclass
class Data:
    """A workload's data, already in the row's dtype (casting is not timed)."""

    dims: list[int]
    output: str  # "sigmoid" or "softmax"
    init: str
    lr: float
    batch_size: int | None
    X: np.ndarray  # (n[0], m)
    Y: np.ndarray  # (n[L], m) targets in the dtype: 0/1, or one-hot for softmax
    labels: np.ndarray  # (1, m) int64 class indices
    X_test: np.ndarray | None = None
    labels_test: np.ndarray | None = None
    source: str = "random"


@dataclass
class Outcome:
    """What a variant function returns: its timings and where training left it."""

    times_s: list[float]
    first_cost: float | None  # full batch: cost of iteration 0, before any update
    final_cost: float | None  # None: the NumPy floor (products only, no training)
    parameters: dict[str, np.ndarray] | None  # final, in deepstep's layout: W (n[l], n[l-1]), b (n[l], 1)
    method_used: str | None = None
    costs: list[float] = field(default_factory=list)  # the cost history of the last repeat
    optimizer_impl: str | None = None  # torch.optim: which implementation ran
    epoch_s: list[float] = field(default_factory=list)  # the seconds of each epoch of the last repeat


# -- data ---------------------------------------------------------------------------------------


def _cat_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """The cat pictures as float64 columns, or random data of the same shape when they are absent."""
    folder = Path(os.environ.get("DEEPSTEP_DATA") or DEFAULT_DATA)
    files = [folder / "train_catvnoncat.h5", folder / "test_catvnoncat.h5"]
    if all(f.is_file() for f in files):
        try:
            from deepstep.datasets import load_cat_dataset
        except ImportError:  # an older deepstep: read the HDF5 files directly
            import h5py

            arrays = []
            for f, prefix in zip(files, ("train", "test"), strict=True):
                with h5py.File(f, "r") as h5:
                    x = h5[f"{prefix}_set_x"][:]
                    arrays += [x.reshape(x.shape[0], -1).T / 255, h5[f"{prefix}_set_y"][:].reshape(1, -1)]
            return (*arrays, "cats")
        try:
            X, Y, X_test, Y_test, _ = load_cat_dataset(folder)
            return X, Y, X_test, Y_test, "cats"
        except ds.DeepstepError:  # e.g. Git LFS pointers in place of the files
            why = "unreadable"
    else:
        why = "absent"
    rng = np.random.default_rng(SEED)
    n_x = CAT_DIMS[0]
    X, X_test = rng.random((n_x, 209)), rng.random((n_x, 50))
    Y, Y_test = rng.integers(0, 2, (1, 209)), rng.integers(0, 2, (1, 50))
    return X, Y, X_test, Y_test, f"random (cat pictures {why} in {folder})"


def load_data(spec: Spec) -> Data:
    dt = np.dtype(spec.dtype)
    if spec.workload in CAT_WORKLOADS:
        X, labels, X_test, labels_test, source = _cat_arrays()
        return Data(CAT_DIMS, "sigmoid", "xavier", CAT_LR, None, X.astype(dt), labels.astype(dt),
                    labels.astype(np.int64), X_test.astype(dt), labels_test.astype(np.int64), source)
    rng = np.random.default_rng(SEED)
    if spec.workload in MNIST_WORKLOADS:
        # examples as rows, as MNIST comes; deepstep gets the transpose (a view, Fortran-ordered: no copy)
        rows = rng.random((MNIST_M, MNIST_DIMS[0]), dtype=np.float32).astype(dt, copy=False)
        labels = rng.integers(0, MNIST_DIMS[-1], (1, MNIST_M))
        one_hot = np.eye(MNIST_DIMS[-1], dtype=dt)[:, labels[0]]
        lr = ADAM_LR if spec.optimizer == "adam" else MNIST_LR
        return Data(MNIST_DIMS, "softmax", "he", lr, MNIST_BATCH, rows.T, one_hot, labels)
    dims = scaling_dims(spec.width)
    X = rng.random((dims[0], spec.m), dtype=np.float32).astype(dt, copy=False)
    labels = rng.integers(0, 2, (1, spec.m))
    return Data(dims, "sigmoid", "he", SCALING_LR, None, X, labels.astype(dt), labels)


def scaling_dims(width: int) -> list[int]:
    return [MNIST_DIMS[0], width, width, 1]


def workload_shape(spec: Spec) -> tuple[list[int], int]:
    """(layer_dims, examples per iteration or epoch) of a run, known without loading its data."""
    if spec.workload in CAT_WORKLOADS:
        return CAT_DIMS, 209
    if spec.workload in MNIST_WORKLOADS:
        return MNIST_DIMS, MNIST_M
    return scaling_dims(spec.width), spec.m


def flops_per_iteration(dims: list[int], m: int) -> float:
    """2 * forward multiply-adds * 3 (forward, and backward's two products per layer)."""
    macs = m * sum(a * b for a, b in zip(dims[:-1], dims[1:], strict=True))
    return 2.0 * macs * 3


def initial_parameters(data: Data, dtype: str) -> tuple[dict[str, np.ndarray], np.random.RandomState]:
    """The weights DeepNetwork(..., rng=SEED) starts from, and the generator as it is afterwards."""
    rng = np.random.RandomState(SEED)
    return ds.initialize_parameters(data.dims, data.init, rng, np.dtype(dtype)), rng


# -- the variants (each runs in its own worker process) --------------------------------------------


def deepstep_optimizer(name: str) -> Any:
    """A fresh deepstep optimizer object (its state starts empty) with the workload's hyperparameters."""
    from deepstep import optimizers

    if name == "adam":
        return optimizers.Adam(**ADAM)
    if name == "momentum":
        return optimizers.Momentum(beta=MOMENTUM_BETA)
    raise ValueError(f"unknown optimizer {name!r}")


def run_deepstep(spec: Spec, data: Data) -> Outcome:
    """DeepNetwork.fit: full batch, or mini-batches shuffled by the network's own rng.

    Workloads 4 and 5 add ``optimizer=`` (a new object each repeat) and ``l2=``.
    """
    options: dict[str, Any] = {"method": spec.method} if spec.method else {}
    if not spec.signals:
        options["signals"] = False
    if spec.l2:
        options["l2"] = spec.l2
    times = []
    for _ in range(spec.repeats):
        if spec.optimizer is not None:
            options["optimizer"] = deepstep_optimizer(spec.optimizer)
        if spec.workload == 6:  # each epoch's end (a callback of the caller's: full-batch runs would then check
            marks: list[float] = []  # every epoch, so only workload 6 has it)
            options["callbacks"] = [lambda epoch, logs, marks=marks: marks.append(time.perf_counter())]
        net = ds.DeepNetwork(data.dims, output_activation=data.output, init=data.init, rng=SEED, dtype=spec.dtype)
        start = time.perf_counter()
        history = net.fit(data.X, data.Y, data.lr, spec.iterations, batch_size=data.batch_size, **options)
        times.append(time.perf_counter() - start)
    first = None if data.batch_size else history.cost[0]  # with mini-batches cost[0] is the epoch's mean
    epochs = list(np.diff([start, *marks])) if spec.workload == 6 else []
    try:  # whether the optimizer's update ran compiled (the fast extra, where the run's updates repay starting numba)
        from deepstep.core import compiled

        impl = "compiled loops (numba)" if compiled._COMPILED else "NumPy kernels"
    except ImportError:
        impl = None
    try:  # or the folded step's one pass (gradient descent): the loop's own rule, asked of this run's settings
        from deepstep.training.loop import why_not_folded

        minibatch = data.batch_size is not None and data.batch_size < data.X.shape[1]
        if why_not_folded(net, net.optimizer, getattr(history, "method", None), spec.l2 or 0.0, [], False,
                          minibatch) is None:
            impl = "the folded step (one pass)"
    except ImportError:
        pass
    return Outcome(times, first, history.cost[-1], net.parameters, getattr(history, "method", None), history.cost,
                   epoch_s=epochs, optimizer_impl=impl)


def run_numpy_floor(spec: Spec, data: Data) -> Outcome:
    """The workload's matrix products alone, raw NumPy into preallocated arrays: per full-batch iteration or
    mini-batch, Z[l] = W[l] A[l-1], dW[l] = dZ[l] A[l-1]^T and dA[l-1] = W[l]^T dZ[l] (not for l = 1); mini-batches
    are contiguous column blocks.  No activation, cost, update or gather: the floor a trainer's step stands on."""
    dt = np.dtype(spec.dtype)
    init, _ = initial_parameters(data, spec.dtype)
    L = len(data.dims) - 1
    W = [None] + [init[f"W{l}"] for l in range(1, L + 1)]
    X = data.X
    m = X.shape[1]
    batch = data.batch_size or m
    steps = math.ceil(m / batch)
    blocks = [np.asfortranarray(X[:, k : k + batch]) if X.flags.f_contiguous else X[:, k : k + batch]
              for k in range(0, m, batch)]
    bufs = {}
    for width in {blk.shape[1] for blk in blocks}:
        bufs[width] = ([None] + [np.empty((data.dims[l], width), dt) for l in range(1, L + 1)],
                       [None] + [np.empty((data.dims[l - 1], width), dt) for l in range(1, L + 1)])
    dW = [None] + [np.empty_like(W[l]) for l in range(1, L + 1)]
    times = []
    for _ in range(spec.repeats):
        start = time.perf_counter()
        for _ in range(spec.iterations):
            for k in range(steps):
                A0 = blocks[k]
                Z, dA = bufs[A0.shape[1]]
                A = A0
                for l in range(1, L + 1):
                    np.matmul(W[l], A, out=Z[l])
                    A = Z[l]
                for l in range(L, 0, -1):
                    np.matmul(Z[l], (A0 if l == 1 else Z[l - 1]).T, out=dW[l])
                    if l > 1:
                        np.matmul(W[l].T, Z[l], out=dA[l])
        times.append(time.perf_counter() - start)
    return Outcome(times, None, None, None)


def run_numpy_step(spec: Spec, data: Data) -> Outcome:
    """The workload's whole step in bare NumPy: the maths deepstep's default makes, with nothing of a trainer around
    it (no cost, history, callbacks, checks, snapshots or input checks), in as few calls as it allows -- the floor
    a NumPy trainer's step stands on, which the products-only floor leaves out (activations, biases, the update,
    the batch gathers).

    Full batch (workload 1): the first layer in Gram form, made in the timing (G = X^T X, W[1] X), then per
    iteration ``Z[1] = T X + b[1]``, the other biases folded into their products (``A~ = [A; 1]``), ReLU hidden
    layers, the sigmoid output, A[L] kept (as deepstep keeps it for the cost), ``dZ[L] = (alpha/m)(A[L] - Y)``,
    ``T X -= dZ[1] G`` and every other parameter ``P -= dP``.  Its final cost (the last A[L] kept) is measured
    after the timing: the check that it trains as deepstep does.  Mini-batches (workload 2): per batch, the gather
    from an example-major copy, ``Z = W A + b``, ReLU, a softmax output, ``dZ[L] = (alpha/m)(A[L] - Y)``, dW, db,
    dA, the ReLU mask and ``P -= dP`` per layer (no cost)."""
    init, _ = initial_parameters(data, spec.dtype)
    L = len(data.dims) - 1
    if data.batch_size:
        return _numpy_minibatch_step(spec, data, init, L)
    dt, X, Y, d = np.dtype(spec.dtype), data.X, data.Y, data.dims
    m = X.shape[1]
    alpha_m = dt.type(data.lr / m)
    times = []
    for _ in range(spec.repeats):
        Wb = [None, None] + [np.hstack([init[f"W{l}"], init[f"b{l}"]]).astype(dt) for l in range(2, L + 1)]
        W = [None, None] + [Wb[l][:, :-1] for l in range(2, L + 1)]
        b1 = init["b1"].astype(dt)
        A = [None] + [np.ones((d[l] + 1, m), dt) for l in range(1, L)]
        U = np.empty((2, d[1], m), dt)
        dA = [None, U[0]] + [np.empty((d[l], m), dt) for l in range(2, L)]
        dWb = [None, np.empty((d[1], 1), dt)] + [np.empty_like(Wb[l]) for l in range(2, L + 1)]
        ZL, E, kept = (np.empty((d[L], m), dt) for _ in range(3))
        start = time.perf_counter()
        G = X.T @ X
        KT = np.zeros((2, d[1], m), dt)
        np.dot(init["W1"].astype(dt), X, out=KT[1])
        for _ in range(spec.iterations):
            Z1 = A[1][:-1]
            np.add(KT[1], b1, out=Z1)
            np.maximum(Z1, 0, out=Z1)
            for l in range(2, L):
                Zl = np.dot(Wb[l], A[l - 1], out=A[l][:-1])
                np.maximum(Zl, 0, out=Zl)
            np.dot(Wb[L], A[L - 1], out=ZL)
            np.abs(ZL, out=E)  # sigma(Z) = where(Z >= 0, 1, e) / (1 + e), e = exp(-|Z|): no overflow
            np.negative(E, out=E)
            np.exp(E, out=E)
            AL = np.where(ZL >= 0, dt.type(1), E)
            np.add(E, 1, out=E)
            np.divide(AL, E, out=AL)
            np.copyto(kept, AL)
            dZ = np.subtract(AL, Y, out=AL)
            dZ *= alpha_m
            for l in range(L, 1, -1):
                np.dot(dZ, A[l - 1].T, out=dWb[l])
                dZ = np.dot(W[l].T, dZ, out=dA[l - 1])
                np.multiply(dZ, A[l - 1][:-1] > 0, out=dZ)
            np.add.reduce(dZ, axis=1, keepdims=True, out=dWb[1])
            np.dot(dZ, G, out=U[1])
            KT -= U
            for l in range(2, L + 1):
                Wb[l] -= dWb[l]
            b1 -= dWb[1]
        times.append(time.perf_counter() - start)
    final = None
    if dt == np.float64:  # (a float32 run's last cost drifts from deepstep's, whose Gram factors are float64)
        a = np.clip(kept[0], 1e-300, 1 - 1e-16)
        final = float(-(np.dot(np.log(a), Y[0]) + np.dot(np.log1p(-a), 1 - Y[0])) / m)
    return Outcome(times, None, final, None)


def _numpy_minibatch_step(spec: Spec, data: Data, init: dict[str, np.ndarray], L: int) -> Outcome:
    """:func:`run_numpy_step` of a mini-batch workload: epochs of shuffled batches, times only."""
    dt, batch = np.dtype(spec.dtype), data.batch_size
    XT, YT = np.ascontiguousarray(data.X.T), np.ascontiguousarray(data.Y.T)
    m = XT.shape[0]
    rng = np.random.default_rng(SEED)
    times = []
    for _ in range(spec.repeats):
        W = [None] + [init[f"W{l}"].astype(dt) for l in range(1, L + 1)]
        b = [None] + [init[f"b{l}"].astype(dt) for l in range(1, L + 1)]
        dW = [None] + [np.empty_like(W[l]) for l in range(1, L + 1)]
        db = [None] + [np.empty_like(b[l]) for l in range(1, L + 1)]
        start = time.perf_counter()
        for _ in range(spec.iterations):
            perm = rng.permutation(m)
            for k in range(0, m, batch):
                idx = perm[k : k + batch]
                A = [XT[idx].T]
                for l in range(1, L + 1):
                    Z = np.dot(W[l], A[-1])
                    Z += b[l]
                    if l < L:
                        np.maximum(Z, 0, out=Z)
                    A.append(Z)
                AL = A[L]
                AL -= AL.max(axis=0)
                np.exp(AL, out=AL)
                AL /= AL.sum(axis=0)
                dZ = np.subtract(AL, YT[idx].T, out=AL)
                dZ *= dt.type(data.lr / idx.size)
                for l in range(L, 0, -1):
                    np.dot(dZ, A[l - 1].T, out=dW[l])
                    np.add.reduce(dZ, axis=1, keepdims=True, out=db[l])
                    if l > 1:
                        dZ = np.dot(W[l].T, dZ)
                        np.multiply(dZ, A[l - 1] > 0, out=dZ)
                for l in range(1, L + 1):
                    W[l] -= dW[l]
                    b[l] -= db[l]
        times.append(time.perf_counter() - start)
    return Outcome(times, None, None, None)


def run_torch_full_batch(spec: Spec, data: Data) -> Outcome:
    """PyTorch autograd on explicit matmuls in deepstep's orientation (Z = W A + b, examples as columns).

    The update is either hand-written under no_grad (``update="manual"``) or torch.optim.SGD.
    The loss is BCE with logits, mean over the m examples: the same J as deepstep's.

    Workload 5 (``optimizer="momentum"``, ``l2``) is the course's momentum,
    v = beta v + (1 - beta) dW; W -= alpha v, from v = 0, and L2 regularization as a term
    of the loss, (lambda / 2m) sum ||W[l]||^2 over the weights (not the biases): autograd
    adds (lambda / m) W[l] to dW[l] before the momentum average, as the course does.
    """
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(CORES)
    X, Y = torch.from_numpy(data.X), torch.from_numpy(data.Y)
    L, m = len(data.dims) - 1, data.X.shape[1]
    if spec.optimizer not in (None, "momentum"):
        raise ValueError(f"full batch: unknown optimizer {spec.optimizer!r}")
    beta = MOMENTUM_BETA if spec.optimizer == "momentum" else 0.0
    times = []
    for _ in range(spec.repeats):
        init, _ = initial_parameters(data, spec.dtype)
        Ws = [torch.tensor(init[f"W{l}"], requires_grad=True) for l in range(1, L + 1)]
        bs = [torch.tensor(init[f"b{l}"], requires_grad=True) for l in range(1, L + 1)]
        params = Ws + bs
        optimizer, velocity = None, None
        if spec.update == "sgd" and beta:
            # torch.optim.SGD's momentum is buf = momentum buf + (1 - dampening) g; p -= lr buf (g already
            # holds the L2 term).  momentum = dampening = beta makes buf the course's v = beta v + (1 - beta) dW.
            # Plain momentum=0.9 (dampening 0) would be buf = 0.9 buf + g: a 10x larger step, not the course's.
            # SGD's first step sets buf = g, undamped, where the course starts from v = 0 (v = (1 - beta) dW):
            # zero buffers put in its state beforehand make the first step damped as well.
            optimizer = torch.optim.SGD(params, lr=data.lr, momentum=beta, dampening=beta)
            for p in params:
                optimizer.state[p]["momentum_buffer"] = torch.zeros_like(p)
        elif spec.update == "sgd":
            optimizer = torch.optim.SGD(params, lr=data.lr)
        elif beta:
            velocity = [torch.zeros_like(p) for p in params]
        costs = []
        start = time.perf_counter()
        for _ in range(spec.iterations):
            A = X
            for W, b in zip(Ws[:-1], bs[:-1], strict=True):
                A = torch.relu(W @ A + b)
            loss = F.binary_cross_entropy_with_logits(Ws[-1] @ A + bs[-1], Y)
            if spec.l2:
                loss = loss + spec.l2 / (2 * m) * sum((W * W).sum() for W in Ws)
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            else:
                loss.backward()
                with torch.no_grad():
                    for i, p in enumerate(params):
                        step = p.grad
                        if velocity is not None:
                            step = velocity[i].mul_(beta).add_(p.grad, alpha=1 - beta)
                        p -= data.lr * step
                        p.grad = None
            costs.append(loss.item())
        times.append(time.perf_counter() - start)
    final = {f"W{l}": Ws[l - 1].detach().numpy().copy() for l in range(1, L + 1)}
    final.update({f"b{l}": bs[l - 1].detach().numpy().copy() for l in range(1, L + 1)})
    impl = None if optimizer is None else torch_optimizer_impl(optimizer)
    return Outcome(times, costs[0], costs[-1], final, costs=costs, optimizer_impl=impl)


def torch_optimizer_impl(optimizer: Any) -> str:
    """Which implementation a torch.optim optimizer runs: "fused", "foreach" or "for-loop" (single tensor).

    With foreach=None and fused=None (the defaults) SGD and Adam decide at each step by
    ``_default_to_fused_or_foreach``: foreach where every parameter is on a device with
    foreach kernels.  The CPU is not one in PyTorch 2.x, so on the CPU they run the for-loop.
    """
    group = optimizer.param_groups[0]
    if group.get("fused"):
        return "fused"
    foreach = group.get("foreach")
    if foreach is None:
        try:
            from torch.optim.optimizer import _default_to_fused_or_foreach
        except ImportError:
            return "default"
        fused, foreach = _default_to_fused_or_foreach(list(group["params"]), differentiable=False, use_fused=False)
        if fused:
            return "fused"
    return "foreach" if foreach else "for-loop"


def run_torch_minibatch(spec: Spec, data: Data) -> Outcome:
    """nn.Linear layers + torch.optim.SGD (or Adam) + CrossEntropyLoss over shuffled mini-batches.

    Examples are rows (the usual PyTorch layout); each epoch draws its permutation from
    the same RandomState that deepstep's network uses, so both see the same batches in
    the same order.  Batches are index slices of the data tensor (no DataLoader).  An
    epoch's cost is the mean over its examples of their batch's cost (the last, smaller
    batch weighs less), as deepstep's history has it.
    """
    import torch

    torch.set_num_threads(CORES)
    X = torch.from_numpy(data.X.T)  # (m, n[0]): data.X is the transpose of a C-ordered array
    y = torch.from_numpy(data.labels[0])
    m, batch, L = X.shape[0], data.batch_size, len(data.dims) - 1
    times = []
    for _ in range(spec.repeats):
        init, rng = initial_parameters(data, spec.dtype)
        layers = []
        for l in range(1, L + 1):
            linear = torch.nn.Linear(data.dims[l - 1], data.dims[l], dtype=X.dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(init[f"W{l}"]))
                linear.bias.copy_(torch.from_numpy(init[f"b{l}"].ravel()))
            layers += [linear, torch.nn.ReLU()] if l < L else [linear]
        model = torch.nn.Sequential(*layers)
        if spec.optimizer == "adam":
            # torch's Adam: p -= lr * m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t),
            # t counting steps from 1: epsilon outside the square root, as in the course's (and deepstep's)
            # W -= alpha * v_c / (sqrt(s_c) + epsilon).  Default foreach=None: see torch_optimizer_impl.
            optimizer = torch.optim.Adam(model.parameters(), lr=data.lr, betas=(ADAM["beta1"], ADAM["beta2"]),
                                         eps=ADAM["epsilon"])
        elif spec.optimizer is None:
            optimizer = torch.optim.SGD(model.parameters(), lr=data.lr)
        else:
            raise ValueError(f"mini-batch: unknown optimizer {spec.optimizer!r}")
        loss_fn = torch.nn.CrossEntropyLoss()
        epoch_costs, marks = [], []
        start = time.perf_counter()
        for _ in range(spec.iterations):
            perm = torch.from_numpy(rng.permutation(m))
            total = 0.0
            for k in range(0, m, batch):
                idx = perm[k : k + batch]
                loss = loss_fn(model(X[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
            epoch_costs.append(total / m)
            marks.append(time.perf_counter())
        times.append(time.perf_counter() - start)
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    final = {f"W{l}": lin.weight.detach().numpy().copy() for l, lin in enumerate(linears, 1)}
    final.update({f"b{l}": lin.bias.detach().numpy().reshape(-1, 1).copy() for l, lin in enumerate(linears, 1)})
    impl = torch_optimizer_impl(optimizer)
    return Outcome(times, None, epoch_costs[-1], final, costs=epoch_costs, optimizer_impl=impl,
                   epoch_s=list(np.diff([start, *marks])))


def start_torch_runtime(dtype: str) -> None:
    """Start PyTorch's thread pool and page in its lazily loaded kernels with one step on 4x4 tensors.

    Otherwise some 200 MB of library code paged in by the first real step would count
    as training memory.  It is not a warm-up of the workload: its shapes are not touched.
    """
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(CORES)
    x = torch.full((4, 4), 0.5, dtype=getattr(torch, dtype))
    linear = torch.nn.Linear(4, 4, dtype=x.dtype)
    w = torch.ones((4, 4), dtype=x.dtype, requires_grad=True)
    z = torch.relu(w @ x + x)
    loss = F.binary_cross_entropy_with_logits(z, x) + F.cross_entropy(linear(z), torch.zeros(4, dtype=torch.long))
    loss.backward()
    torch.optim.SGD([w, *linear.parameters()], lr=0.1).step()
    torch.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.9).step()
    torch.optim.Adam(linear.parameters(), lr=0.1).step()
    with torch.no_grad():
        w -= 0.1 * w.grad


def run_sklearn(spec: Spec, data: Data) -> Outcome:
    """MLPClassifier(solver="sgd"), full batch, no momentum/regularization/shuffling/early stop.

    It starts from deepstep's initial weights through a subclass whose ``_init_coef``
    (called once per layer, in order, by MLPClassifier's first fit) hands them out
    instead of drawing its own.  Its ``loss_curve_`` is the mean loss over each
    epoch; with one batch per epoch that is the cost before each update, as deepstep's.

    Workload 5: sklearn's momentum is u = mu u - eta g; W += u, from u = 0.  With mu = beta
    and eta = alpha (1 - beta), u = -alpha v for the course's v = beta v + (1 - beta) dW:
    the same updates.  Its ``alpha`` is the course's lambda: the loss gains
    (alpha / 2m) sum ||W||^2 over the weights (not the intercepts), the gradient (alpha / m) W.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    class MLPFromWeights(MLPClassifier):
        """MLPClassifier whose first fit starts from the (coef, intercept) pairs in ``start_weights``."""

        start_weights: list[tuple[np.ndarray, np.ndarray]] = []

        def _init_coef(self, fan_in: int, fan_out: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
            coef, intercept = self.start_weights.pop(0)
            if coef.shape != (fan_in, fan_out):
                raise ValueError(f"initial coef: expected shape {(fan_in, fan_out)}, got {coef.shape}")
            return coef.astype(dtype, copy=True), intercept.astype(dtype, copy=True)

    if spec.optimizer not in (None, "momentum"):
        raise ValueError(f"sklearn: unknown optimizer {spec.optimizer!r}")
    momentum = MOMENTUM_BETA if spec.optimizer == "momentum" else 0.0
    L = len(data.dims) - 1
    rows, y = data.X.T, data.labels[0]
    times = []
    for _ in range(spec.repeats):
        init, _ = initial_parameters(data, spec.dtype)
        clf = MLPFromWeights(
            hidden_layer_sizes=tuple(data.dims[1:-1]), activation="relu", solver="sgd", alpha=spec.l2,
            batch_size=rows.shape[0], learning_rate="constant", learning_rate_init=data.lr * (1 - momentum),
            max_iter=spec.iterations, shuffle=False, tol=0.0, n_iter_no_change=spec.iterations + 1,
            momentum=momentum, nesterovs_momentum=False, early_stopping=False,
        )
        clf.start_weights = [(init[f"W{l}"].T, init[f"b{l}"].ravel()) for l in range(1, L + 1)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # "max_iter reached": that is the plan
            start = time.perf_counter()
            clf.fit(rows, y)
            times.append(time.perf_counter() - start)
        if clf.n_iter_ != spec.iterations:
            raise RuntimeError(f"MLPClassifier stopped after {clf.n_iter_} of {spec.iterations} iterations")
    final = {f"W{l}": clf.coefs_[l - 1].T.copy() for l in range(1, L + 1)}
    final.update({f"b{l}": clf.intercepts_[l - 1].reshape(-1, 1).copy() for l in range(1, L + 1)})
    return Outcome(times, clf.loss_curve_[0], clf.loss_curve_[-1], final, costs=list(clf.loss_curve_))


def run_variant(spec: Spec, data: Data) -> Outcome:
    if spec.framework == "deepstep":
        return run_deepstep(spec, data)
    if spec.framework == "torch":
        return run_torch_minibatch(spec, data) if data.batch_size else run_torch_full_batch(spec, data)
    if spec.framework == "sklearn":
        return run_sklearn(spec, data)
    if spec.framework == "numpy":
        return run_numpy_step(spec, data) if spec.update == "step" else run_numpy_floor(spec, data)
    raise ValueError(f"unknown framework {spec.framework!r}")


# -- the worker process -------------------------------------------------------------------------


def runtime(framework: str) -> tuple[int, str]:
    """(threads, BLAS library) of a run: PyTorch's own, or NumPy's (named by threadpoolctl where installed)."""
    if framework == "torch":
        import torch

        found = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
        return torch.get_num_threads(), found.group(1) if found else "unknown"
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return CORES, "unknown"
    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    pools.sort(key=lambda pool: "numpy" not in pool.get("filepath", ""))  # NumPy's own first (SciPy may bring one)
    if not pools:
        return CORES, "unknown"
    pool = pools[0]
    kernel = f" {pool['architecture']} kernels" if pool.get("architecture") else ""
    return pool["num_threads"], f"{pool['internal_api']} {pool.get('version') or ''}{kernel}".strip()


class TrainingMemory:
    """Peak RSS during training over RSS just before it (Linux: resets VmHWM via /proc/self/clear_refs)."""

    def __init__(self) -> None:
        self.before_kb = self._status_kb("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.reset = True
        except OSError:
            self.reset = False

    @staticmethod
    def _status_kb(key: str) -> int | None:
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except OSError:
            pass
        return None

    def extra_mb(self) -> float | None:
        peak = self._status_kb("VmHWM")
        if not self.reset or peak is None or self.before_kb is None:
            return None
        return (peak - self.before_kb) / 1024


def accuracy(parameters: dict[str, np.ndarray], data: Data, X: np.ndarray, labels: np.ndarray) -> float:
    """The same evaluation (deepstep's predict) for every framework's final weights."""
    net = ds.DeepNetwork.from_parameters(parameters, output_activation=data.output)
    return net.accuracy(X, labels)


def worker(spec_json: str) -> None:
    import resource

    spec = Spec(**json.loads(spec_json))
    data = load_data(spec)
    if spec.framework == "torch":
        start_torch_runtime(spec.dtype)
    elif spec.framework == "sklearn":
        import sklearn.neural_network  # noqa: F401  (imported before the memory baseline, as torch is)
    memory = TrainingMemory()
    outcome = run_variant(spec, data)
    extra = memory.extra_mb()
    threads, blas = runtime(spec.framework)
    result = Result(
        spec, times_s=outcome.times_s, first_cost=None if outcome.first_cost is None else float(outcome.first_cost),
        final_cost=None if outcome.final_cost is None else float(outcome.final_cost),
        train_acc=None if outcome.parameters is None else accuracy(outcome.parameters, data, data.X, data.labels),
        test_acc=None if data.X_test is None or outcome.parameters is None
        else accuracy(outcome.parameters, data, data.X_test, data.labels_test),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, train_extra_mb=extra,
        threads=threads, blas=blas, method_used=outcome.method_used, optimizer_impl=outcome.optimizer_impl,
        data=data.source,
        cost_history=[float(c) for c in outcome.costs], epoch_s=[float(t) for t in outcome.epoch_s],
    )
    print(RESULT_MARK + json.dumps(asdict(result)), flush=True)


def run_in_subprocess(spec: Spec, timeout: float) -> Result:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(asdict(spec))]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Result(spec, error=f"timed out after {timeout:.0f} s")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            row = json.loads(line[len(RESULT_MARK):])
            row["spec"] = Spec(**row["spec"])
            return Result(**row)
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
    return Result(spec, error=tail[0][:200])


# -- the plan -----------------------------------------------------------------------------------


def fit_has_method() -> bool:
    return "method" in inspect.signature(ds.DeepNetwork.fit).parameters


def fit_has_signals() -> bool:
    return "signals" in inspect.signature(ds.DeepNetwork.fit).parameters


def fit_has_optimizers() -> bool:
    """Whether this deepstep's fit takes optimizer= and l2= (and has deepstep.optimizers)."""
    parameters = inspect.signature(ds.DeepNetwork.fit).parameters
    return {"optimizer", "l2"} <= set(parameters) and find_spec("deepstep.optimizers") is not None


def plan(
    workloads: list[int], quick: bool, iterations: int | None, repeats: int | None
) -> tuple[list[Spec], list[str]]:
    """The runs to make, and notes on what was left out."""
    have_torch, have_sklearn = find_spec("torch") is not None, find_spec("sklearn") is not None
    notes = [] if have_torch else ["PyTorch is not installed: its rows are left out"]
    notes += [] if have_sklearn else ["scikit-learn is not installed: its rows are left out"]
    has_method, has_optimizers = fit_has_method(), fit_has_optimizers()
    if not has_optimizers and {4, 5} & set(workloads):
        notes.append("deepstep's fit takes no optimizer= and l2= (an older deepstep): the deepstep rows of "
                     "workloads 4 and 5 are left out")
    specs: list[Spec] = []

    def cats(workload: int, label: str, **training: Any) -> None:
        """Workload 1 (or 5: the same with momentum and L2): deepstep auto and plain, and the peers."""
        n = iterations or (100 if quick else CAT_ITERATIONS)
        r = repeats or (3 if quick or n <= 500 else 1)
        for dtype in ("float64", "float32"):
            common = {"workload": workload, "label": label, "dtype": dtype, "iterations": n, "repeats": r,
                      **training}
            # the rows the goals compare (deepstep's default, PyTorch, the bare NumPy step): best of 3 (a run of a few
            # tenths of a second moves by up to 10% on a shared machine); the others, runs of 7-30 s, once
            own = {**common, "repeats": repeats or 3}
            if workload == 1 or has_optimizers:
                if has_method:
                    specs.append(Spec(framework="deepstep", variant="deepstep", method="auto", baseline=True,
                                      **own))
                    specs.append(Spec(framework="deepstep", variant="deepstep plain", method="plain", **common))
                    if workload == 1 and fit_has_signals():
                        specs.append(Spec(framework="deepstep", variant="deepstep signals=False", method="auto",
                                          signals=False, **own))
                else:
                    specs.append(Spec(framework="deepstep", variant="deepstep", baseline=True, **own))
            if have_torch:
                specs.append(Spec(framework="torch", variant="torch autograd", update="manual", **own))
                specs.append(Spec(framework="torch", variant="torch optim.SGD", update="sgd", **own))
            if have_sklearn:
                specs.append(Spec(framework="sklearn", variant="sklearn MLP", **common))
            if workload == 1:
                specs.append(Spec(framework="numpy", variant="numpy floor (products)", **common))
                specs.append(Spec(framework="numpy", variant="numpy bare step", update="step", **own))

    if 1 in workloads:
        cats(1, WORKLOADS[1])
    if 5 in workloads:
        cats(5, WORKLOADS[5], optimizer="momentum", l2=CAT_L2)
    if 2 in workloads:
        common = {"workload": 2, "label": WORKLOADS[2], "dtype": "float32", "iterations": 1,
                  "repeats": repeats or (1 if quick else 5)}
        specs.append(Spec(framework="deepstep", variant="deepstep", baseline=True, **common))
        if fit_has_signals():
            specs.append(Spec(framework="deepstep", variant="deepstep signals=False", signals=False, **common))
        if have_torch:
            specs.append(Spec(framework="torch", variant="torch nn+optim.SGD", update="sgd", **common))
        specs.append(Spec(framework="numpy", variant="numpy floor (products)", **common))
        specs.append(Spec(framework="numpy", variant="numpy bare step", update="step", **common))
    if 4 in workloads:
        # float32 is the workload (as workload 2); float64 is the check that both run the same Adam on the same
        # batches: their epoch costs agree to rounding there (float32 rounding alone moves them by ~1e-6)
        for dtype in ("float32", "float64"):
            common = {"workload": 4, "label": WORKLOADS[4], "dtype": dtype, "iterations": 1,
                      "repeats": repeats or (1 if quick else 5), "optimizer": "adam"}
            if has_optimizers:
                specs.append(Spec(framework="deepstep", variant="deepstep", baseline=True, **common))
            if have_torch:
                specs.append(Spec(framework="torch", variant="torch nn+optim.Adam", update="adam", **common))
    if 6 in workloads:
        common = {"workload": 6, "label": WORKLOADS[6], "dtype": "float32", "iterations": ADAM_EPOCHS, "repeats": 1,
                  "optimizer": "adam"}
        if has_optimizers:
            specs.append(Spec(framework="deepstep", variant="deepstep", baseline=True, **common))
        if have_torch:
            specs.append(Spec(framework="torch", variant="torch nn+optim.Adam", update="adam", **common))
    if 3 in workloads:
        ms = (256, 4096, 16384) if quick else SCALING_M
        r = repeats or (2 if quick else 5)
        method = {"method": "plain"} if has_method else {}
        for width in SCALING_WIDTHS:
            for m in ms:
                work = flops_per_iteration(scaling_dims(width), m)
                n = iterations or int(np.clip(round(SCALING_FLOP_TARGET / (3 if quick else 1) / work),
                                              *SCALING_ITERATIONS))
                common = {"workload": 3, "label": f"3 m={m} w={width}", "iterations": n, "repeats": r,
                          "m": m, "width": width}
                for dtype in ("float32", "float64"):
                    specs.append(Spec(framework="deepstep", variant="deepstep", dtype=dtype, baseline=True,
                                      **method, **common))
                if have_torch:
                    specs.append(Spec(framework="torch", variant="torch autograd", dtype="float32",
                                      update="manual", **common))
    return specs, notes


# -- the table ----------------------------------------------------------------------------------


def finish(results: list[Result]) -> list[str]:
    """Fill in best time, ratio, GFLOP/s and the cost comparison; return warning lines.

    Times are compared with the deepstep baseline of the same workload and dtype.
    Final costs are compared like with like: deepstep plain with the baseline (is the
    fast path the same gradient descent?), a peer with deepstep plain where there is
    one (the same arithmetic), else with the baseline.
    """
    warnings_out = []
    ok = [r for r in results if r.error is None]
    baselines = {(r.spec.label, r.spec.dtype): r for r in ok if r.spec.baseline}
    plains = {(r.spec.label, r.spec.dtype): r for r in ok if r.spec.framework == "deepstep" and not r.spec.baseline
              and r.spec.signals}
    for r in ok:
        r.best_s = min(r.times_s)
        r.ms_per_iter = 1e3 * r.best_s / r.spec.iterations
        r.gflops = flops_per_iteration(*workload_shape(r.spec)) * r.spec.iterations / r.best_s / 1e9
    for r in results:
        name = f"{r.spec.label} / {r.spec.variant} / {r.spec.dtype}"
        if r.error is not None:
            warnings_out.append(f"WARNING: {name} failed: {r.error}")
            continue
        key = (r.spec.label, r.spec.dtype)
        base = baselines.get(key)
        if base is None:
            continue
        r.ratio = r.best_s / base.best_s
        if r is base:
            continue
        tol = FIRST_COST_TOL[r.spec.dtype]
        if r.first_cost is not None and base.first_cost is not None and abs(r.first_cost - base.first_cost) > tol:
            warnings_out.append(
                f"WARNING: {name}: iteration-0 cost {r.first_cost:.9g} differs from deepstep's "
                f"{base.first_cost:.9g} by more than {tol:g}: not the same start"
            )
        if r.final_cost is None:  # the NumPy floor: times only
            continue
        ref = base if r.spec.framework == "deepstep" else plains.get(key, base)
        r.cost_reference = ref.spec.variant
        r.cost_rel_diff = abs(r.final_cost - ref.final_cost) / abs(ref.final_cost)
        if len(r.cost_history) == len(ref.cost_history) > 0:
            mine, theirs = np.array(r.cost_history), np.array(ref.cost_history)
            r.history_rel_diff = float(np.max(np.abs(mine - theirs) / np.abs(theirs)))
        if r.cost_rel_diff > COST_WARN_REL:
            warnings_out.append(
                f"WARNING: {name}: final cost {r.final_cost:.6g} differs from {ref.spec.variant}'s "
                f"{ref.final_cost:.6g} by {r.cost_rel_diff:.1e} relative (> {COST_WARN_REL:g})"
            )
    return warnings_out


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


COLUMNS = ("workload", "variant", "dtype", "iters", "total s", "ms/iter", "ratio", "GFLOP/s",
           "final cost", "train", "test", "peak MB", "+train MB")


def table_rows(results: list[Result]) -> list[tuple[str, ...]]:
    rows = []
    for r in results:
        variant = r.spec.variant
        if r.method_used and r.spec.method == "auto":
            variant += f" (auto: {r.method_used})"
        pct = "{:.1%}".format
        rows.append((
            r.spec.label + (" [random]" if r.data and r.data.startswith("random (") else ""),
            variant, r.spec.dtype, str(r.spec.iterations) + (f"x{len(r.times_s)}" if len(r.times_s) > 1 else ""),
            _fmt(r.best_s, ".3f"), _fmt(r.ms_per_iter, ".3f"), _fmt(r.ratio, ".2f"), _fmt(r.gflops, ".1f"),
            _fmt(r.final_cost, ".6f"), "-" if r.train_acc is None else pct(r.train_acc),
            "-" if r.test_acc is None else pct(r.test_acc), _fmt(r.peak_rss_mb, ".0f"), _fmt(r.train_extra_mb, ".0f"),
        ) if r.error is None else (r.spec.label, variant, r.spec.dtype, str(r.spec.iterations), "FAILED",
                                   *["-"] * (len(COLUMNS) - 5)))
    return rows


def print_table(results: list[Result], notes: list[str]) -> None:
    rows = table_rows(results)
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
    left = {0, 1, 2}

    def line(cells: tuple[str, ...]) -> str:
        padded = (c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  ".join(padded)

    print(line(COLUMNS))
    print("  ".join("-" * w for w in widths))
    previous = None
    for r, row in zip(results, rows, strict=True):
        if previous is not None and r.spec.label != previous:
            print()
        previous = r.spec.label
        print(line(row))
    print()
    for note in notes:
        print(note)


def explain(results: list[Result]) -> list[str]:
    """Notes under the table: threads, data, what the columns mean."""
    ok = [r for r in results if r.error is None]
    threads = sorted({(r.spec.framework, r.threads, r.blas) for r in ok})
    sources = sorted({r.data for r in ok if r.spec.workload in CAT_WORKLOADS})
    notes = [
        f"cores: {CORES}; threads (BLAS): " + ", ".join(f"{f} {t} ({b})" for f, t, b in threads),
        "iters: iterations (workloads 2 and 4: epochs of "
        f"{math.ceil(MNIST_M / MNIST_BATCH)} mini-batches) x timed repeats; times are the best repeat",
        "ratio: this row's time / deepstep's (same workload and dtype): above 1, deepstep is faster",
        "GFLOP/s: 2 * forward multiply-adds * 3 per iteration / time (plain arithmetic: the Gram form does less)",
        "final cost: cost of the last iteration before its update (workloads 2 and 4: the epoch's mean over"
        " its examples of their batch's cost; workload 5: with its L2 term)",
        "peak MB: the worker process's peak RSS (imports and data included); +train MB: peak during training"
        " over RSS just before it",
    ]
    if sources:
        notes.append("workload 1 and 5 data: " + ", ".join(sources))
    impls = sorted({(r.spec.variant, r.optimizer_impl) for r in ok if r.optimizer_impl and r.spec.framework == "torch"})
    if impls:
        notes.append("torch.optim ran (foreach=None, fused=None: the defaults): "
                     + ", ".join(f"{variant} {impl}" for variant, impl in impls))
    ours: dict[str, list[str]] = {}
    for r in ok:
        if r.optimizer_impl and r.spec.framework == "deepstep":
            ours.setdefault(r.optimizer_impl, []).append(f"{r.spec.label} / {r.spec.variant} / {r.spec.dtype}")
    if ours:
        notes.append("deepstep's update ran: " + "; ".join(f"{impl}: {', '.join(rows)}"
                                                           for impl, rows in sorted(ours.items())))
    starts = {(r.spec.label, r.spec.dtype): r.first_cost for r in ok if r.spec.baseline}
    gaps: dict[str, float] = {}
    for r in ok:
        start = starts.get((r.spec.label, r.spec.dtype))
        if r.first_cost is not None and start is not None:
            gaps[r.spec.dtype] = max(gaps.get(r.spec.dtype, 0.0), abs(r.first_cost - start))
    if gaps:
        notes.append("same start: iteration-0 costs of the full-batch rows differ from deepstep's by at most "
                     + ", ".join(f"{gap:.1e} ({dtype})" for dtype, gap in sorted(gaps.items())))
    fast = [r for r in ok if r.spec.framework == "deepstep" and not r.spec.baseline and r.spec.signals
            and r.history_rel_diff is not None]
    for r in fast:
        notes.append(f"fast path: {r.spec.label} / {r.spec.dtype}: the whole cost history of deepstep's default "
                     f"differs from {r.spec.variant}'s by at most {r.history_rel_diff:.1e} relative")
    for r in ok:
        if not r.spec.signals and r.ratio:
            notes.append(f"signals: {r.spec.label} / {r.spec.dtype}: recording the per-layer signals costs "
                         f"{1 / r.ratio - 1:+.1%} of the run (deepstep against deepstep signals=False)")
    floors = [r for r in ok if r.spec.framework == "numpy" and r.ratio]
    for r in floors:
        if r.spec.update == "step":
            notes.append(f"numpy bare step: {r.spec.label} / {r.spec.dtype}: deepstep's default takes "
                         f"{1 / r.ratio:.2f}x the time of the same maths in bare NumPy (no cost, history or checks)")
            continue
        gram = " (the plain products: the Gram form does fewer)" if r.spec.workload in CAT_WORKLOADS else ""
        notes.append(f"numpy floor: {r.spec.label} / {r.spec.dtype}: deepstep's default takes {1 / r.ratio:.2f}x the "
                     f"time of its matrix products alone{gram}")
    epochs = {r.spec.framework: r.epoch_s for r in ok if r.spec.workload == 6 and len(r.epoch_s) >= 5}
    for framework, e in sorted(epochs.items()):
        notes.append(f"adam epochs ({framework}): epoch 2 {e[1]:.3f} s, epoch {len(e)} {e[-1]:.3f} s "
                     f"(last / second {e[-1] / e[1]:.2f}); epochs 3-5 {sum(e[2:5]):.3f} s")
    if {"deepstep", "torch"} <= set(epochs):
        ratio = sum(epochs["deepstep"][2:5]) / sum(epochs["torch"][2:5])
        notes.append(f"adam epochs 3-5: deepstep / torch = {ratio:.2f}")
    compared = [r for r in ok if r.cost_rel_diff is not None]
    if compared:
        worst = max(compared, key=lambda r: r.cost_rel_diff)
        notes.append(f"final costs: largest relative difference {worst.cost_rel_diff:.1e} ({worst.spec.label} / "
                     f"{worst.spec.variant} / {worst.spec.dtype} vs {worst.cost_reference}); "
                     f"warnings below for any above {COST_WARN_REL:g}")
    return notes


def write_json(path: Path, results: list[Result], notes: list[str], argv: list[str]) -> None:
    """Write the results atomically: a temporary file in the same folder, then os.replace."""
    versions = {"python": platform.python_version(), "numpy": np.__version__, "deepstep": ds.__version__}
    for name in ("torch", "sklearn"):
        if find_spec(name) is not None:
            versions[name] = __import__(name).__version__
    doc = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(["benchmarks/bench.py", *argv]),
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cores": CORES},
        "versions": versions,
        "notes": notes,
        "results": [asdict(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- command line -------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", default="1,2,3,4,5,6",
                   help="comma-separated subset of " + ", ".join(f"{n} ({label})" for n, label in WORKLOADS.items())
                   + " (default: all)")
    p.add_argument("--iterations", type=int, help="iterations of workloads 1 and 5, and of each timing of workload 3")
    p.add_argument("--repeats", type=int,
                   help="timed repeats per row (default: for the cat model's 2500 iterations, 3 for deepstep's "
                   "default rows, PyTorch's and the bare NumPy step, 1 for the others; else 2-5)")
    p.add_argument("--quick", action="store_true", help="a smoke run of about a minute: fewer iterations and points")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"JSON file (default: {DEFAULT_OUT.relative_to(ROOT)})")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per worker process (default: 600)")
    p.add_argument("--worker", metavar="SPEC", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker is None:
        try:
            args.workloads = sorted({int(w) for w in args.workloads.split(",") if w.strip()})
        except ValueError:
            p.error(f"--workloads: expected numbers from 1-6 separated by commas, got {args.workloads!r}")
        if not args.workloads or not set(args.workloads) <= set(WORKLOADS):
            p.error(f"--workloads: expected numbers from 1-6, got {args.workloads}")
        for name in ("iterations", "repeats"):
            if getattr(args, name) is not None and getattr(args, name) < 1:
                p.error(f"--{name}: expected a positive number, got {getattr(args, name)}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker is not None:
        worker(args.worker)
        return 0
    specs, notes = plan(args.workloads, args.quick, args.iterations, args.repeats)
    results = []
    started = time.perf_counter()
    for i, spec in enumerate(specs, 1):
        print(f"[{i}/{len(specs)}] {spec.label} / {spec.variant} / {spec.dtype} ...", file=sys.stderr, flush=True)
        results.append(run_in_subprocess(spec, args.timeout))
    problems = finish(results)
    notes += explain(results) + problems
    print()
    print_table(results, notes)
    write_json(args.out, results, notes, argv)
    print(f"\n{len(results)} runs in {time.perf_counter() - started:.0f} s; results written to {args.out}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
