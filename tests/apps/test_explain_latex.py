"""Every equation explain can print is valid LaTeX: rendered by matplotlib's mathtext (a strict parser of the LaTeX
subset KaTeX and MathJax share: it refuses a double superscript, \\lVert without \\rVert, \\surd with an argument)."""

import numpy as np
import pytest

import deepstep as ds
from deepstep.apps.explain import to_latex

mathtext = pytest.importorskip("matplotlib.mathtext")
HIDDEN = ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "linear"]


def equations(rng):
    for hidden in HIDDEN:
        for output, n_out in (("sigmoid", 1), ("softmax", 3), ("linear", 1)):
            for optimizer in ("gd", "momentum", "rmsprop", "adam"):
                for batch_norm in (False, True):
                    net = ds.DeepNetwork([3, 4, n_out], hidden_activation=hidden, output_activation=output,
                                         batch_norm=batch_norm, rng=1)
                    X = rng.standard_normal((3, 5))
                    Y = (np.eye(3)[:, rng.integers(0, 3, 5)] if n_out == 3 else rng.random((1, 5))
                         if output == "linear" else (rng.random((1, 5)) > 0.5).astype(int))
                    for l2 in (0.0, 0.1):
                        yield from (s.math for s in ds.explain(net, X, Y, optimizer=optimizer, l2=l2,
                                                                keep_prob=0.8 if l2 else 1.0).steps)


def test_every_equation_renders(rng):
    parser = mathtext.MathTextParser("path")
    seen = set(equations(rng))
    assert len(seen) > 80  # (the distinct equations of every activation, output, optimizer, L2 and BN)
    failed = []
    for math in sorted(seen):
        tex = to_latex(math)
        try:
            parser.parse(f"${tex}$")
        except ValueError:
            failed.append(tex)
    assert failed == []


@pytest.mark.parametrize(("math", "tex"), [
    ("dZ[1] = dA[1] * ( 1 - A[1] ^2 )", "dZ^{[1]} = dA^{[1]} \\odot ( 1 - {A^{[1]}}^2 )"),
    ("W[1] := W[1] - alpha dW[1] / ( sqrt ( s_dW[1] ) + epsilon )",
     "W^{[1]} := W^{[1]} - \\alpha dW^{[1]} / ( \\sqrt{s_{dW^{[1]}}} + \\varepsilon )"),
])
def test_a_superscripted_quantity_squared_is_grouped_and_a_root_takes_its_argument(math, tex):
    assert to_latex(math) == tex


def test_the_command_writes_out_each_optimizers_update(capsys):
    from conftest import command

    for name, needed in (("momentum", "v_dW[1] := beta v_dW[1]"), ("rmsprop", "s_dW[1] := beta2 s_dW[1]"),
                         ("adam", "v_dW[1] := beta1 v_dW[1]")):
        code, out, err = command(capsys, "explain", "--optimizer", name, "-m", "3", "--layers", "2,3,1")
        assert code == 0 and needed in out, err
