"""The compiled optimizer loops (deepstep.core.compiled, the ``fast`` extra) give the NumPy kernels' bits.

Each optimizer's loop against its NumPy kernel on the same flat arrays, bit for bit (signed zeros, subnormal and
huge values, inf and NaN included), in float32 and float64 over several steps; then whole training runs with and
without them; and the rule that decides when a run uses them.
"""

import numpy as np
import pytest

import deepstep as ds
from deepstep.core import compiled
from deepstep.core.optimizers import OPTIMIZERS, get_optimizer
from deepstep.data.toys import make_moons

pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _compiled_as_a_fresh_process_has_it(monkeypatch):
    """Each test starts from what a process starts with (whatever ran before in this one: a server that turned the
    loops off, a test that made numba fail)."""
    monkeypatch.setattr(compiled, "ENABLED", True)
    monkeypatch.setattr(compiled, "_AVAILABLE", None)
    monkeypatch.setattr(compiled, "FAILED", None)

SETTINGS = {"gd": {}, "momentum": {"beta": 0.85}, "rmsprop": {"beta2": 0.99, "epsilon": 1e-7},
            "adam": {"beta1": 0.8, "beta2": 0.995, "epsilon": 1e-6}}


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def values(rng, n, dtype, special):
    a = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 3, n)).astype(dtype)
    if special:
        tiny = np.finfo(dtype).tiny
        a[:8] = [0.0, -0.0, tiny / 4, -tiny / 8, np.finfo(dtype).max / 2, np.inf, -np.inf, np.nan]
    return a


def test_every_optimizer_has_a_loop():
    assert all(cls.loop is not None for cls in OPTIMIZERS.values())


@pytest.mark.parametrize("special", [False, True], ids=["", "special values"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_compiled_loop_gives_the_numpy_kernels_bits(name, dtype, special, rng):
    n = 1000
    P, state = values(rng, n, dtype, special), {}
    numpy_opt, loop_opt = get_optimizer(name, **SETTINGS[name]), get_optimizer(name, **SETTINGS[name])
    for slot in numpy_opt.slots:
        state[slot] = np.abs(values(rng, n, dtype, special)) if slot == "s" else values(rng, n, dtype, special)
    runs = {}
    for opt, use in ((numpy_opt, False), (loop_opt, True)):
        P_, state_ = P.copy(), {k: v.copy() for k, v in state.items()}
        seen = []
        for step in range(4):
            dP = values(np.random.default_rng(step), n, dtype, special)
            with np.errstate(all="ignore"):
                opt.step({}, {}, 0.05 * (step + 1), (P_, dP, state_), compiled=use)
            seen.append((P_.copy(), {k: v.copy() for k, v in state_.items()}))
        runs[use] = seen
    assert loop_opt.t == numpy_opt.t == 4
    for (P_n, s_n), (P_c, s_c) in zip(runs[False], runs[True], strict=True):
        assert P_c.dtype == dtype
        np.testing.assert_array_equal(bits(P_c), bits(P_n))
        for slot in s_n:
            np.testing.assert_array_equal(bits(s_c[slot]), bits(s_n[slot]), err_msg=slot)


@pytest.mark.parametrize(("optimizer", "dtype", "batch_size", "l2"),
                         [("adam", np.float32, 32, 0.0), ("momentum", np.float64, 16, 0.0),
                          ("rmsprop", np.float32, None, 0.0), ("gd", np.float64, 20, 0.1)])
def test_a_run_with_the_compiled_loops_equals_one_without(optimizer, dtype, batch_size, l2, monkeypatch):
    """(gd with L2: without, mini-batches of gd take the folded step, whose update is one pass already.)"""
    X, Y = make_moons(200, noise=0.2, rng=0)
    calls = []
    update_flat = OPTIMIZERS[optimizer].update_flat
    monkeypatch.setattr(OPTIMIZERS[optimizer], "update_flat", lambda self, *a: calls.append(1) or update_flat(self, *a))
    monkeypatch.setattr(compiled, "START_S", -1.0)  # always, where enabled
    runs = []
    for enabled in (False, True):
        monkeypatch.setattr(compiled, "ENABLED", enabled)
        net = ds.DeepNetwork([2, 16, 8, 1], rng=3, dtype=dtype)
        history = net.fit(X, Y, 0.01, 6, batch_size=batch_size, optimizer=optimizer, signals=False, l2=l2)
        runs.append((history, net, len(calls)))
    (h_n, net_n, calls_n), (h_c, net_c, calls_c) = runs
    assert calls_n == 0 and calls_c == net_c.optimizer.t == net_n.optimizer.t  # the one run NumPy's, the other compiled
    assert h_c.cost == h_n.cost
    for key, P in net_n.parameters.items():
        np.testing.assert_array_equal(net_c.parameters[key], P, err_msg=key)
    for name, a in net_n.optimizer.state_arrays().items():
        np.testing.assert_array_equal(net_c.optimizer.state_arrays()[name], a, err_msg=name)


def spy_kernel(monkeypatch):
    """Count the compiled loops' calls."""
    calls = []
    kernel = compiled.kernel

    def counting(loop):
        fn = kernel(loop)
        return lambda *args: calls.append(1) or fn(*args)

    monkeypatch.setattr(compiled, "kernel", counting)
    return calls


def test_a_numpy_learning_rate_gives_the_numpy_kernels_bits(monkeypatch, rng):
    """A schedule of the caller's may return a NumPy float64: NumPy then computes a float32 update in float64, so the
    loop (whose scalars are rounded to float32 first) gives way to the kernel."""
    calls = spy_kernel(monkeypatch)
    for name in sorted(OPTIMIZERS):
        P = values(rng, 300, np.float32, False)
        state = {slot: np.abs(values(rng, 300, np.float32, False)) for slot in get_optimizer(name).slots}
        dP = values(rng, 300, np.float32, False)
        out = []
        for use in (False, True):
            P_, state_ = P.copy(), {k: v.copy() for k, v in state.items()}
            get_optimizer(name).step({}, {}, np.float64(0.0123456789), (P_, dP.copy(), state_), compiled=use)
            out.append(P_)
        np.testing.assert_array_equal(bits(out[1]), bits(out[0]), err_msg=name)
    assert calls == []


def test_a_subclass_with_its_own_update_does_not_inherit_its_parents_loop(monkeypatch, rng):
    calls = spy_kernel(monkeypatch)

    class Nesterov(type(get_optimizer("momentum"))):
        def update_arrays(self, P, dP, state, lr):
            v = state["v"]
            v *= self.beta
            v += dP
            P -= lr * (dP + self.beta * v)

    P, dP, v = rng.standard_normal(100), rng.standard_normal(100), rng.standard_normal(100)
    out = []
    for use in (False, True):
        P_, v_ = P.copy(), v.copy()
        Nesterov().step({}, {}, 0.1, (P_, dP.copy(), {"v": v_}), compiled=use)
        out.append(P_)
    np.testing.assert_array_equal(out[1], out[0])
    assert calls == []
    P_ = P.copy()
    get_optimizer("momentum").step({}, {}, 0.1, (P_, dP.copy(), {"v": v.copy()}), compiled=True)
    assert calls == [1]  # (its parent's own does use it)


def test_a_run_uses_the_compiled_loops_where_the_passes_they_save_repay_starting_numba(monkeypatch):
    calls = []
    adam = type(get_optimizer("adam"))
    update_flat = adam.update_flat

    def spy(self, *args):
        calls.append(1)
        return update_flat(self, *args)

    monkeypatch.setattr(adam, "update_flat", spy)
    monkeypatch.setattr(compiled, "_COMPILED", {})  # nothing loaded in this process yet
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((2, 64)), (rng.random((1, 64)) < 0.5).astype(float)
    net = ds.DeepNetwork([2, 8, 1], rng=0)
    saved = 33 * 12 * 13 * 8 * compiled.BYTE_PASS_S  # 33 values x 12 updates x 13 passes saved x 8 bytes
    monkeypatch.setattr(compiled, "START_S", saved * 1.01)
    net.fit(X, Y, 0.01, 3, batch_size=16, optimizer="adam", signals=False)
    assert calls == []
    monkeypatch.setattr(compiled, "START_S", saved * 0.99)
    net.fit(X, Y, 0.01, 3, batch_size=16, optimizer="adam", signals=False)
    assert len(calls) == 12
    monkeypatch.setattr(compiled, "START_S", 1e30)  # once loaded, starting costs nothing more
    net.fit(X, Y, 0.01, 3, batch_size=16, optimizer="adam", signals=False)
    assert len(calls) == 24
    monkeypatch.setattr(compiled, "ENABLED", True)  # (put back after the test)
    compiled.use(False)  # as the playground's server says
    net.fit(X, Y, 0.01, 3, batch_size=16, optimizer="adam", signals=False)
    assert len(calls) == 24


def test_pays_weighs_the_passes_saved_against_starting_numba(monkeypatch):
    monkeypatch.setattr(compiled, "_COMPILED", {})
    one_second = int(1 / (13 * 4 * compiled.BYTE_PASS_S))  # value-updates whose 13 saved float32 passes take 1 s
    assert compiled.pays(one_second, 1, passes=14, itemsize=4) == (1.0 > compiled.START_S)
    assert not compiled.pays(one_second // 10, 1, passes=14, itemsize=4)
    assert compiled.pays(one_second // 10, 1, passes=14, itemsize=8) == (0.2 > compiled.START_S)
    assert not compiled.pays(10**12, 1, passes=1, itemsize=8)  # a kernel of one pass: nothing to save
    loop = OPTIMIZERS["adam"].loop
    monkeypatch.setattr(compiled, "_COMPILED", {loop: loop})
    assert compiled.pays(1000, 1, passes=14, itemsize=4, loop=loop)  # already loaded: any saving pays
    monkeypatch.setattr(compiled, "_AVAILABLE", False)
    assert not compiled.pays(10**9, 10**9)  # without numba: never


def test_a_loop_numba_cannot_compile_gives_way_to_the_numpy_kernel_once_for_all(monkeypatch, rng):
    tries = []

    def broken(loop):
        tries.append(1)
        raise RuntimeError("no cache locator")

    monkeypatch.setattr(compiled, "kernel", broken)
    monkeypatch.setattr(compiled, "_AVAILABLE", True)
    monkeypatch.setattr(compiled, "FAILED", None)
    P, dP = rng.standard_normal(50), rng.standard_normal(50)
    state = {"v": rng.standard_normal(50), "s": rng.random(50)}
    expected = P.copy(), {k: v.copy() for k, v in state.items()}
    reference, adam = get_optimizer("adam"), get_optimizer("adam")
    for _ in range(3):
        reference.step({}, {}, 0.1, (expected[0], dP.copy(), expected[1]))
        adam.step({}, {}, 0.1, (P, dP.copy(), state), compiled=True)
    np.testing.assert_array_equal(P, expected[0])
    assert compiled.FAILED == "RuntimeError: no cache locator" and not compiled.available()
    assert tries == [1]  # not tried again at every step


def test_arrays_the_loop_cannot_take_go_to_the_numpy_kernel(monkeypatch, rng):
    calls = spy_kernel(monkeypatch)
    adam = get_optimizer("adam")
    P, dP = rng.standard_normal(50), rng.standard_normal(50)
    with pytest.raises(ValueError):  # NumPy's own broadcasting error, not a read past the end of s
        adam.step({}, {}, 0.1, (P, dP, {"v": np.zeros(50), "s": np.zeros(10)}), compiled=True)
    read_only = rng.standard_normal(50)
    read_only.flags.writeable = False
    with pytest.raises(ValueError):  # NumPy's refusal to write into it, as without the loop
        get_optimizer("gd").step({}, {}, 0.1, (rng.standard_normal(50), read_only, {}), compiled=True)
    swapped = rng.standard_normal(50).astype(">f8")
    P_ = rng.standard_normal(50).astype(">f8")
    expected = P_.copy()
    get_optimizer("gd").step({}, {}, 0.1, (expected, swapped.copy(), {}))
    get_optimizer("gd").step({}, {}, 0.1, (P_, swapped.copy(), {}), compiled=True)
    np.testing.assert_array_equal(P_, expected)
    assert calls == [] and compiled.FAILED is None
