"""Deferred epochs: a full-batch run whose callbacks only read the logs trains up to a checkpoint's epochs before
handing them on, their A[L] kept and their costs and scores measured in one pass.  Everything a callback, the
histories and the parameters see must be, bit for bit, what epochs handed on one by one give."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepstep as ds
from deepstep.callbacks import Callback, DivergenceGuard
from deepstep.core.tasks import TASKS, column_classes
from deepstep.training import loop


class ReadsState(Callback):
    """A callback of the caller's: it reads the parameters after the epochs ``at`` (every epoch: None)."""

    def __init__(self, at=None):
        self.at, self.seen = at, {}

    def reads_state_after(self, run, k):
        return self.at is None or k in self.at

    def on_epoch_end(self, run, epoch, logs):
        k = len(run.history.cost) - 1
        if self.at is None or k in self.at:
            self.seen[k] = {key: np.array(P) for key, P in run.network.parameters.items()}


@pytest.fixture(autouse=True)
def checkpoints_16_apart(monkeypatch):
    """These tests place divergences, interrupts and reads against checkpoints CHECK_EVERY (16) epochs apart: the
    runs' checkpoints are held there (checkpoint_every would space these small runs' up to CHECK_EVERY_MAX;
    ``test_checkpoints_are_spaced_by_the_replay_and_the_bytes_of_a_span`` holds that rule)."""
    monkeypatch.setattr(loop, "CHECK_EVERY_MAX", loop.CHECK_EVERY)


@pytest.fixture
def spans(monkeypatch):
    """The lengths of the spans of epochs the loop trains before handing them on."""
    seen = []
    deferred = loop.Run._deferred

    def spy(self, done, left):
        n = deferred(self, done, left)
        seen.append(n)
        return n

    monkeypatch.setattr(loop.Run, "_deferred", spy)
    return seen


# -- the costs of a stack: each A[L]'s own floats ------------------------------------------------------------------

def _stack(rng, output, k, n_out, m, dtype, scale):
    Z = rng.standard_normal((k, n_out, m)) * scale
    if output == "sigmoid":
        A = 1 / (1 + np.exp(-Z))
    elif output == "softmax":
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        A = E / E.sum(axis=1, keepdims=True)
    else:
        A = Z
    if output != "linear":
        A[0, 0, 0] = 0.0  # saturated: the clipping bounds
        A[-1, 0, -1] = 1.0
    A = A.astype(dtype)
    if output == "linear":
        Y = rng.standard_normal((n_out, m)).astype(dtype)
    elif n_out == 1:
        Y = (rng.random((1, m)) > 0.5).astype(dtype)
    else:
        Y = np.eye(n_out, dtype=dtype)[:, rng.integers(0, n_out, m)]
    return A, Y


@settings(max_examples=60, deadline=None)
@given(output=st.sampled_from(["sigmoid", "softmax", "linear"]), k=st.integers(1, 16), m=st.integers(1, 257),
       n_out=st.integers(2, 12), dtype=st.sampled_from([np.float32, np.float64]),
       scale=st.sampled_from([1.0, 30.0]), seed=st.integers(0, 2**32 - 1))
def test_the_costs_and_tallies_of_a_stack_are_each_outputs_own_bit_for_bit(output, k, m, n_out, dtype, scale, seed):
    n_out = 1 if output == "sigmoid" else n_out
    A, Y = _stack(np.random.default_rng(seed), output, k, n_out, m, dtype, scale)
    task = TASKS[output]
    labels = column_classes(Y) if task.is_classification else None
    costs, tallies = task.costs(A, Y), task.tallies(A, Y, labels)
    assert len(costs) == len(tallies) == k
    for i in range(k):
        one = np.array(A[i])  # a fresh array, as the loop's step has it
        assert costs[i] == task.cost(one, Y)
        np.testing.assert_array_equal(tallies[i], task.tally(one, Y, labels))


def _row_by_row(output, A, Y):
    """Each output's cost as deepstep 0.2 summed it, one np.dot (np.sum, np.vdot) per output."""
    m = A.shape[2]
    if output == "linear":
        return [float(np.vdot(a - Y, a - Y)) / (2 * m) for a in A]
    clipped = np.clip(A, np.finfo(A.dtype).tiny, 1 - np.finfo(A.dtype).epsneg)
    if output == "sigmoid":
        return [float(-(np.dot(np.log(a[0]), Y[0]) + np.dot(np.log1p(-a[0]), 1 - Y[0])) / m) for a in clipped]
    return [float(-np.sum(Y * np.log(a)) / m) for a in clipped]


@pytest.mark.parametrize("vecdot", [True, False], ids=["vecdot", "row by row"])
@pytest.mark.parametrize(("dtype", "y_dtype"), [(np.float32, None), (np.float32, np.float64), (np.float32, np.int64),
                                                (np.float64, None), (np.float64, np.int64)])
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
@settings(max_examples=8, deadline=None)
@given(k=st.integers(1, 16), m=st.integers(1, 257), seed=st.integers(0, 2**32 - 1))
def test_the_costs_of_a_stack_in_one_call_are_the_row_by_row_sums_bit_for_bit(output, dtype, y_dtype, vecdot, k, m,
                                                                                 seed):
    """NumPy 2's np.vecdot (one call for the stack) and the row-by-row fallback of earlier NumPy both give the
    floats of one np.dot per output: the costs model files of 0.2 resume with (Y in A[L]'s dtype or another)."""
    A, Y = _stack(np.random.default_rng(seed), output, k, 1 if output == "sigmoid" else 3, m, dtype, 30.0)
    Y = Y if y_dtype is None else np.round(Y).astype(y_dtype)
    with pytest.MonkeyPatch.context() as patch:
        if not vecdot:
            patch.delattr(np, "vecdot", raising=False)
        assert TASKS[output].costs(A, Y) == _row_by_row(output, A, Y)


def test_the_cost_of_a_stack_of_one_sigmoid_output_is_worked_out_by_hand():
    A = np.array([[[0.8, 0.4]], [[0.5, 0.5]]])  # two outputs of two examples
    Y = np.array([[1.0, 0.0]])
    costs = TASKS["sigmoid"].costs(A, Y)
    np.testing.assert_allclose(costs, [-(np.log(0.8) + np.log(0.6)) / 2, np.log(2.0)], rtol=1e-15)
    assert TASKS["sigmoid"].tallies(A, Y, column_classes(Y)) == [2, 1]  # 0.5 is class 0


# -- runs: deferred epochs against epochs handed on one by one ---------------------------------------------------

def _data(output, m=60, seed=0):
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((4, m))
    if output == "linear":
        return X, X[:1] - X[2:3] + 0.1 * gen.standard_normal((1, m))
    if output == "sigmoid":
        return X, (X[0:1] * X[1:2] > 0).astype(float)
    labels = (X[0] > 0).astype(int) + (X[1] > 0)
    return X, np.eye(3)[:, labels]


RUNS = [
    dict(output="sigmoid", method="plain"),
    dict(output="sigmoid", method="gram"),  # the folded step
    dict(output="softmax", method="gram", optimizer="momentum"),
    dict(output="softmax", method="plain", optimizer="adam"),
    dict(output="linear", method="plain", optimizer="momentum"),
    dict(output="sigmoid", method="plain", keep_prob=0.8),  # dropout draws from the generator each epoch
    dict(output="softmax", method="plain", batch_norm=True),
    dict(output="sigmoid", method="plain", dtype="float32"),
]


def _fit(run, callbacks=(), epochs=70, **extra):
    run = dict(run)
    output, batch_norm, dtype = run.pop("output"), run.pop("batch_norm", False), run.pop("dtype", "float64")
    X, Y = _data(output)
    net = ds.DeepNetwork([4, 6, 5, Y.shape[0]], hidden_activation="tanh", output_activation=output, rng=3,
                         batch_norm=batch_norm, dtype=dtype)
    history = net.fit(X, Y, 0.05, epochs, callbacks=list(callbacks), **run, **extra)
    return net, history


@pytest.mark.parametrize("run", RUNS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()))
def test_deferred_epochs_give_the_histories_and_parameters_of_epochs_handed_on_one_by_one(run, spans):
    deferred, h = _fit(run)
    assert max(spans) > 1, "the run must have deferred epochs for this test to mean anything"
    spans.clear()
    one_by_one, h1 = _fit(run, [ReadsState()])
    assert max(spans) == 1
    for name in ("cost", "accuracy", "r2", "learning_rates"):
        assert getattr(h, name) == getattr(h1, name), name
    assert h.signals == h1.signals  # (recorded where the parameters are live: the spans end there)
    assert len(h.cost) == 70
    for key, P in one_by_one.parameters.items():
        np.testing.assert_array_equal(deferred.parameters[key], P, err_msg=key)


def test_a_callback_that_reads_the_state_after_an_epoch_sees_it_live_there(spans, monkeypatch):
    # (deepstep's own read-only callbacks say where they read it; a caller's keeps every epoch one by one)
    monkeypatch.setattr(loop, "_READ_ONLY", (*loop._READ_ONLY, ReadsState))
    run = dict(output="sigmoid", method="plain")
    reader = ReadsState(at={5, 37})
    _fit(run, [reader])
    assert max(spans) == loop.CHECK_EVERY and 6 in spans  # 0..5, then on to the checkpoints
    for k, epochs in ((5, 6), (37, 38)):
        ref, _ = _fit(run, epochs=epochs)
        for key, P in ref.parameters.items():
            np.testing.assert_array_equal(reader.seen[k][key], P, err_msg=f"{key} after epoch {k}")


@pytest.mark.parametrize("options", [dict(l2=0.1), dict(validation_data=True), dict(sample_weight=True),
                                     dict(batch_size=16)], ids=lambda o: next(iter(o)))
def test_no_deferral_where_the_cost_needs_the_state_or_the_epochs_are_mini_batches(options, spans):
    X, Y = _data("sigmoid")
    options = {k: (X, Y) if k == "validation_data" else np.arange(60.0) % 3 if k == "sample_weight" else v
               for k, v in options.items()}
    ds.DeepNetwork([4, 6, 1], rng=0).fit(X, Y, 0.1, 40, **options)
    assert spans and max(spans) == 1


def test_a_divergence_inside_deferred_epochs_puts_back_what_epochs_handed_on_one_by_one_do(spans):
    X, Y = _data("linear")

    def network():
        return ds.DeepNetwork([4, 6, 5, 1], hidden_activation="tanh", output_activation="linear", rng=3)

    h = network().fit(X, Y, 1.5, 100, callbacks=[DivergenceGuard(factor=1e300)])
    costs = np.array(h.cost)
    factor = costs[:22].max() / costs[0] * (1 - 1e-9)  # the cost passes it first at an epoch <= 21
    stop = int(np.argmax(costs > factor * costs[0]))
    assert 16 < stop <= 21 and costs[-1] > 1e3 * costs[0], "the divergence must fall inside the second span"
    outcomes = []
    for callbacks in ([DivergenceGuard(factor=factor)], [DivergenceGuard(factor=factor), ReadsState()]):
        spans.clear()
        net = network()
        with pytest.raises(ds.training.TrainingDiverged) as caught:
            net.fit(X, Y, 1.5, 100, callbacks=callbacks)
        outcomes.append((str(caught.value), max(spans), list(net.history.cost),
                         {k: np.array(P) for k, P in net.parameters.items()}))
    (message, span, costs, params), (message1, span1, costs1, params1) = outcomes
    assert span == loop.CHECK_EVERY and span1 == 1
    assert message == message1 and costs == costs1 and len(costs) == stop - 1
    for key, P in params1.items():
        np.testing.assert_array_equal(params[key], P, err_msg=key)


def test_an_interrupt_in_a_callback_inside_deferred_epochs_leaves_the_epochs_handed_on(monkeypatch, spans):
    on_epoch_end = DivergenceGuard.on_epoch_end

    def interrupted(self, r, epoch, logs):
        if len(r.history.cost) == 21:  # the epoch 20 of the span 16 .. 31, handed on to the histories already
            raise KeyboardInterrupt
        on_epoch_end(self, r, epoch, logs)

    monkeypatch.setattr(DivergenceGuard, "on_epoch_end", interrupted)
    X, Y = _data("sigmoid")
    net = ds.DeepNetwork([4, 6, 5, 1], hidden_activation="tanh", rng=3)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, Y, 0.05, 70, method="gram")
    assert loop.CHECK_EVERY in spans
    monkeypatch.setattr(DivergenceGuard, "on_epoch_end", on_epoch_end)
    ref = ds.DeepNetwork([4, 6, 5, 1], hidden_activation="tanh", rng=3)
    h = ref.fit(X, Y, 0.05, 21, method="gram")
    assert net.history.cost == h.cost
    for key, P in ref.parameters.items():
        np.testing.assert_array_equal(net.parameters[key], P, err_msg=key)


def test_the_memory_check_counts_the_stack_of_deferred_epochs(monkeypatch):
    asked = []
    monkeypatch.setattr(loop.limits, "check_memory", lambda n, *args: asked.append(n))
    X, Y = _data("softmax", m=50)
    for l2 in (0.0, 1e-9):  # L2 needs each epoch's weights: no deferral, nothing else changes in the estimate
        ds.DeepNetwork([4, 6, 3], output_activation="softmax", rng=0).fit(X, Y, 0.1, 3, l2=l2)
    stack = loop.CHECK_EVERY * 3 * 50 * 8  # 16 epochs' A[L], 3 x 50 float64 values
    assert asked[0] - asked[1] == stack * (1 + loop.MEASURE_COPIES)  # (and measuring them)
    assert loop.deferred_bytes([4, 6, 3], 50, 8, False, False, False, 0.0) == stack * (1 + loop.MEASURE_COPIES)
    assert loop.deferred_bytes([4, 6, 3], 10**6, 8, False, False, False, 0.0) == 0  # beyond DEFER_BYTES: none


# -- mini-batches: the batches' costs measured at the epoch's end -------------------------------------------------

BATCH_RUNS = [
    dict(output="sigmoid", batch_size=16),  # 60 = 3 x 16 + 12: a last batch of its own size, measured at once
    dict(output="sigmoid", batch_size=20, dtype="float32"),
    dict(output="softmax", batch_size=16, optimizer="adam"),  # the engine's step (not the folded one)
    dict(output="softmax", batch_size=16, batch_norm=True),
    dict(output="linear", batch_size=16, optimizer="momentum"),
    dict(output="sigmoid", batch_size=16, keep_prob=0.8),
]


@pytest.mark.parametrize("run", BATCH_RUNS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()))
def test_batch_costs_measured_at_the_epochs_end_are_those_measured_batch_by_batch(run, monkeypatch):
    """A mini-batch epoch keeps its full batches' A[L] and measures their costs and tallies in one pass at its end
    (Y and the labels gathered once): the epochs' costs and scores, and the parameters, of measuring each batch at
    once, bit for bit."""
    measured = []
    real = loop.Run._batch_measures
    monkeypatch.setattr(loop.Run, "_batch_measures", lambda self, A, kept: measured.append(len(kept)) or
                        real(self, A, kept))
    kept, h = _fit(run, epochs=6)
    assert measured == [60 // run["batch_size"]] * 6  # each epoch's full batches
    measured.clear()
    monkeypatch.setattr(loop, "DEFER_BYTES", 0)  # (no stack: each batch measured at once, as before)
    batches = []  # (cost, examples) of each batch measured at once
    once = loop.Run._measure
    monkeypatch.setattr(loop.Run, "_measure", lambda self, AL, Y, labels, m, *a: batches.append((
        (out := once(self, AL, Y, labels, m, *a))[0], m)) or out)
    each, h1 = _fit(run, epochs=6)
    assert not measured
    for name in ("cost", "accuracy", "r2"):
        assert getattr(h, name) == getattr(h1, name), name
    per_epoch = len(batches) // 6
    for e in range(6):  # each epoch's cost: its batches' costs times their examples, added in batch order, over m
        total = 0.0
        for c, n in batches[e * per_epoch : (e + 1) * per_epoch]:
            total += c * n
        assert h.cost[e] == total / 60
    for key, P in each.parameters.items():
        np.testing.assert_array_equal(kept.parameters[key], P, err_msg=key)


@pytest.mark.parametrize("options", [dict(l2=0.01), dict(sample_weight=np.linspace(0.5, 2, 60))],
                         ids=["l2", "example weights"])
def test_no_batch_costs_kept_where_the_cost_needs_the_state_or_the_weights(options, monkeypatch):
    monkeypatch.setattr(loop.Run, "_batch_measures", lambda *a: pytest.fail("kept batch costs"))
    _fit(dict(output="sigmoid", batch_size=16), epochs=2, **options)


def test_the_memory_check_counts_the_kept_batch_outputs(monkeypatch):
    asked = []
    monkeypatch.setattr(loop.limits, "check_memory", lambda n, *args: asked.append(n))
    X, Y = _data("softmax", m=50)
    for l2 in (0.0, 1e-9):
        ds.DeepNetwork([4, 6, 3], output_activation="softmax", rng=0).fit(X, Y, 0.1, 1, batch_size=16, l2=l2)
    stack = 3 * 16 * 3 * 8  # three full batches' A[L], 3 x 16 float64 values each
    assert asked[0] - asked[1] == stack * (2 + loop.MEASURE_COPIES)  # (measuring them, with their Y)
    assert loop.deferred_bytes([4, 6, 3], 50, 8, True, True, False, 0.0, batch=16) == stack * (2 + loop.MEASURE_COPIES)
    assert loop.deferred_bytes([4, 6, 3], 10**6, 8, True, False, False, 0.0, batch=100) == 0  # beyond DEFER_BYTES
