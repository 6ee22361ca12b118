"""``deepstep gradcheck`` and ``deepstep info``: back-propagation checked, and every shape of a network."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ...core.activations import hidden_activation_names
from ...limits import check_parameter_count
from ...model.network import one_hot
from ...training.settings import SETTINGS
from .common import (
    UsageError,
    _check_examples,
    layers_arg,
    nonnegative_int,
    positive_float,
    positive_int,
    setting_type,
)

__all__ = ["add_parser", "cmd_gradcheck", "cmd_info"]


def add_parser(sub: Any) -> None:
    """The ``gradcheck`` and ``info`` subcommands on ``sub`` (argparse's subparsers)."""
    g = sub.add_parser("gradcheck", help="check back-propagation against finite differences",
                       description="Compare back-propagation's gradients with centered finite differences on a "
                                   "random network and random data, in float64: the relative error "
                                   "||grad - approx|| / (||grad|| + ||approx||) per parameter, and PASS below "
                                   "the threshold (exit status 0), FAIL above it (exit status 1).")
    g.add_argument("--layers", type=layers_arg, default=[4, 5, 3, 1], help="layer sizes (default 4,5,3,1)")
    g.add_argument("--hidden-activation", default="relu", help=f"{', '.join(hidden_activation_names())} (default relu)")
    g.add_argument("--output-activation", choices=["sigmoid", "softmax", "linear"])
    g.add_argument("--init", default="xavier", choices=["small", "xavier", "he"])
    g.add_argument("-m", type=positive_int, default=8, help="number of random examples")
    g.add_argument("--seed", type=setting_type(SETTINGS["seed"]), default=1)
    g.add_argument("--epsilon", type=positive_float, default=1e-7)
    g.add_argument("--threshold", type=positive_float, default=1e-7)
    g.add_argument("--max-checked", type=nonnegative_int, default=None,
                   help="entries of each parameter to check (default: all up to 20,000 parameters, else 100 of each "
                        "drawn at random; 0: every entry)")
    g.add_argument("--l2", type=setting_type(SETTINGS["l2"]), default=0.0, metavar="LAMBDA",
                   help="check the gradient of J + (lambda/2m) sum ||W||^2 (default 0)")
    g.add_argument("--keep-prob", type=setting_type(SETTINGS["keep_prob"]), default=1.0, metavar="P",
                   help="check with inverted dropout on the hidden layers, one fixed mask (default 1)")
    g.add_argument("--batch-norm", action="store_true",
                   help="batch normalization on the hidden layers (gamma, beta in place of b; checked too)")
    g.add_argument("--backward", metavar="FILE",
                   help="check YOUR back-propagation instead of deepstep's: the L_model_backward(AL, Y, caches) "
                        "of FILE (.py or .ipynb; run in a child process), on the caches of deepstep's forward pass "
                        "(relu hidden layers, a sigmoid output, as the course's)")
    g.add_argument("--function", default="L_model_backward", help="the name of your backward function in FILE")
    g.set_defaults(func=cmd_gradcheck)

    i = sub.add_parser("info", help="shapes of every W, b, Z, A and their gradients",
                       description="The dimension check to do before debugging back-propagation: the shape of "
                                   "every W[l], b[l], Z[l], A[l] (and of dW, db, dZ, dA, the same), and the "
                                   "parameter count.")
    i.add_argument("--layers", type=layers_arg, required=True, help="layer sizes, e.g. 12288,20,7,5,1")
    i.add_argument("-m", type=positive_int, default=209, help="number of examples")
    i.add_argument("--batch-norm", action="store_true",
                   help="batch normalization on the hidden layers: gamma[l], beta[l] (n[l], 1) in place of b[l]")
    i.set_defaults(func=cmd_info)


def cmd_gradcheck(args: argparse.Namespace) -> int:
    from ...core.gradcheck import entries_checked, gradient_check_details, parameter_verdict
    from ...core.initialization import initialize_parameters

    rng = np.random.default_rng(args.seed)
    dims = args.layers
    check_parameter_count(dims, "--layers")
    _check_examples(dims, args.m)
    output = args.output_activation or ("sigmoid" if dims[-1] == 1 else "softmax")
    params = initialize_parameters(dims, init=args.init, rng=rng, hidden_activation=args.hidden_activation)
    for key in params:  # non-zero biases so that every db is exercised
        if key.startswith("b"):
            params[key] = 0.1 * rng.standard_normal(params[key].shape)
    if args.batch_norm:  # gamma near 1 and beta near 0 (not exactly: every dgamma, dbeta is exercised)
        if args.backward:
            raise UsageError("--batch-norm: the course's L_model_backward has no batch normalization; drop one")
        for l in range(1, len(dims) - 1):
            n = params.pop(f"b{l}").shape[0]
            params[f"gamma{l}"] = 1 + 0.1 * rng.standard_normal((n, 1))
            params[f"beta{l}"] = 0.1 * rng.standard_normal((n, 1))
    X = rng.standard_normal((dims[0], args.m))
    labels = rng.integers(0, max(2, dims[-1]), args.m)
    Y = labels[np.newaxis, :] if dims[-1] == 1 else one_hot(labels, dims[-1])
    max_checked = None if args.max_checked == 0 else "auto" if args.max_checked is None else args.max_checked
    counts = entries_checked({k: P.shape for k, P in params.items()}, max_checked)
    allowances: dict[str, float] = {}
    disagreeing: dict[str, list] = {}
    grads = _learners_gradients(args, params, X, Y, output) if args.backward else None
    overall, per = gradient_check_details(params, X, Y, args.hidden_activation, output, args.epsilon, l2=args.l2,
                                          keep_prob=args.keep_prob, rng=rng, max_checked=max_checked,
                                          allowances=allowances, grads=grads, disagreeing=disagreeing)
    extra = (f", L2 lambda = {args.l2:g}" if args.l2 else "") + (
        f", dropout keep_prob = {args.keep_prob:g} (one fixed mask)" if args.keep_prob < 1 else "")
    print(f"gradient check of {dims} ({args.hidden_activation} hidden, {output} output), m = {args.m}, "
          f"epsilon = {args.epsilon:g}{extra}")
    print(f"{'parameter':>10} {'shape':>14} {'relative error':>16} {'entries checked':>18}")
    verdicts = {key: parameter_verdict(err, allowances[key], args.threshold) for key, err in per.items()}
    for key, err in per.items():
        print(f"{key:>10} {str(params[key].shape):>14} {err:>16.3e} {counts[key]:>8,} of {params[key].size:<8,}"
              + ("" if verdicts[key] == "ok" else f"   {verdicts[key]}"))
    ok = overall < args.threshold and all(v == "ok" for v in verdicts.values())  # every parameter, not the pooled
    print(f"{'all':>10} {'':>14} {overall:>16.3e}   {'PASS' if ok else 'FAIL'} (threshold {args.threshold:g})")
    unseen = [k for k, v in verdicts.items() if v == "n/a"]
    if unseen:
        print(f"{', '.join(unseen)}: n/a: beside a cost this large, rounding in the finite differences exceeds these "
              "gradients, so the check cannot see them; try a smaller --l2 or a larger --epsilon")
    wrong = [k for k, v in verdicts.items() if v == "FAIL"]
    if wrong:
        print(f"{', '.join(wrong)}: back-propagation and finite differences disagree beyond rounding")
        for key in wrong:
            for index, grad, approx in disagreeing.get(key, []):
                print(f"  d{key}{list(index)}: back-propagation {grad:.8g}, finite differences {approx:.8g}")
    if args.backward:
        print(f"(your {args.function} from {args.backward}; the course's thresholds: below 1e-7, or 2e-7 in its "
              "gradient-checking exercise, the gradients are right; above 1e-3 they are surely wrong)")
    if sum(counts.values()) < sum(P.size for P in params.values()):
        print(f"a sample: {sum(counts.values()):,} of {sum(P.size for P in params.values()):,} entries, drawn from "
              f"--seed (--max-checked 0 checks every one)")
    return 0 if ok else 1


def _learners_gradients(args: argparse.Namespace, params: dict, X: np.ndarray, Y: np.ndarray, output: str) -> dict:
    """The learner's backward function of ``--backward FILE`` run once, in a child process, on the caches of
    deepstep's forward pass: its gradients."""
    from ...core.forward import model_forward
    from ..checker import CheckError, harness, runner

    if args.hidden_activation != "relu" or output != "sigmoid":
        raise UsageError("--backward: the course's L_model_backward takes relu hidden layers and a sigmoid output; "
                         f"got --hidden-activation {args.hidden_activation} and a {output} output")
    if args.l2 or args.keep_prob < 1:
        raise UsageError("--backward: the course's L_model_backward has no L2 or dropout term; drop --l2 and "
                         "--keep-prob")
    try:
        source = harness.read_source(args.backward)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"--backward: cannot read {args.backward!r} ({type(exc).__name__})") from None

    def load() -> tuple:
        ns, _, problems = harness.load_namespace(source, "c1w4")
        return ns, list(ns), problems, source
    AL, caches = model_forward(X, params, "relu", "sigmoid")
    try:
        grads = runner.call(load, args.function, (AL, Y.astype(float), caches))
    except RuntimeError as exc:
        raise CheckError(f"--backward: {exc}") from None
    if not isinstance(grads, dict):
        raise CheckError(f"--backward: your {args.function} returned {type(grads).__name__}, expected the dict of "
                         "gradients (\"dW1\", \"db1\", ...)")
    return grads


def cmd_info(args: argparse.Namespace) -> int:
    dims, m = args.layers, args.m
    print(f"network {dims}, m = {m} examples (one per column)")
    print(f"{'layer':>5} {'W[l], dW[l]':>16} {'b[l], db[l]':>12} {'Z, A, dZ, dA':>16} {'parameters':>12}")
    print(f"{0:>5} {'':>16} {'':>12} {str((dims[0], m)):>16} {'':>12}   A[0] = X")
    total = 0
    L = len(dims) - 1
    if args.batch_norm and L < 2:
        raise UsageError("--batch-norm: normalizes hidden layers, and --layers gives none")
    for l in range(1, L + 1):
        normalized = args.batch_norm and l < L  # gamma[l], beta[l] in place of b[l]
        count = dims[l] * dims[l - 1] + dims[l] * (2 if normalized else 1)
        total += count
        shift = f"{(dims[l], 1)} x2" if normalized else str((dims[l], 1))
        note = "   gamma[l], beta[l] in place of b[l]" if normalized else ""
        print(f"{l:>5} {str((dims[l], dims[l - 1])):>16} {shift:>12} {str((dims[l], m)):>16} {count:>12,}{note}")
    print(f"total parameters: {total:,}")
    return 0

