"""``deepstep train``, ``evaluate``, ``predict`` and ``export``: a model made, scored, used and exported."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from ...atomic import atomic_path
from ...core.activations import get_hidden_activation
from ...data.split import VALIDATION_RULE
from ...errors import DeepstepError
from ...model.files import write_json
from ...model.network import DeepNetwork
from ...training.callbacks import Callback, CSVLogger, EarlyStopping, ModelCheckpoint, ProgressBar, TensorBoard
from ...training.loop import TrainingDiverged
from .common import (
    DEFAULT_PRESET,
    PRESETS,
    UsageError,
    _build_network,
    _dataset_key,
    _default_out,
    _held_out,
    _is_table,
    _load_data,
    _output_folder,
    _outputs,
    _split_held,
    _standardizes,
    add_data_flags,
    check_weight_column,
    delimiter_arg,
    error_rate_arg,
    optimizer_of,
    positive_int,
    training_weights,
)

__all__ = ["add_parser", "cmd_evaluate", "cmd_export", "cmd_predict", "cmd_train"]

load_model = DeepNetwork.load


def add_parser(sub: Any) -> None:
    """The ``train``, ``evaluate``, ``predict`` and ``export`` subcommands on ``sub`` (argparse's subparsers)."""
    presets = "\n".join(
        f"  {name:8} layers n0,{','.join(map(str, p['hidden']))},nL  {p['hidden_activation']} hidden, "
        f"init {p['init']}, learning rate {p['learning_rate']:g}, {p['iterations']} iterations"
        for name, p in [*PRESETS.items(), ("(files)", DEFAULT_PRESET)]
    )
    t = sub.add_parser(
        "train", help="train a network on a data set", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a network; writes model.npz, metrics.json, cost.png (and decision_boundary.png for 2-D "
                    "points or mislabelled.png for pictures) in --out.",
        epilog="defaults where a flag is not given:\n" + presets + "\n\nexample (the course's 4-layer cat model):\n"
               "  deepstep train --dataset cats --layers 12288,20,7,5,1 --init xavier --learning-rate 0.0075 "
               "--iterations 2500 --seed 1 --out runs/cats\n\nCtrl-C stops after the current iteration and saves the "
               "model; the same command with --resume continues it exactly.")
    add_data_flags(t)  # --dataset, --layers, the run settings, --out and the file flags (lr-find takes them too)
    t.add_argument("--weight-column", metavar="NAME", help="a CSV column of per-example weights (numbers >= 0; not "
                   "a feature): each example's loss counts that many times")
    t.add_argument("--class-weight", metavar="balanced|CLASS=W,...", help="weigh each class in the cost: balanced "
                   "(class c: m / (k m_c), scikit-learn's rule) or weights by class name; times --weight-column's")
    t.add_argument("--threads", type=positive_int, help="BLAS threads for the matrix products (default: one for "
                   "small products, the BLAS's own for large ones)")
    t.add_argument("--print-every", type=positive_int, help="print the cost every N iterations")
    t.add_argument("--baseline-error", type=error_rate_arg, metavar="E",
                   help="the error to read bias against (e.g. human-level, 0.02 for 2%%; default 0): metrics.json's "
                        "\"diagnosis\" says high bias, high variance, both or neither, with the course's remedies")
    t.add_argument("--no-signals", action="store_true",
                   help="do not record the per-layer signals (norms of W, dW and the update, dead and saturated "
                        "units) that the diagnosis reads")
    t.add_argument("--log-csv", metavar="FILE", help="write one CSV row per epoch: the history, the learning rate and "
                                                    "the per-layer norms")
    t.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard event files (scalars per epoch, histograms "
                                                       "of W and dW) into DIR (needs deepstep[tensorboard])")
    t.add_argument("--checkpoint-every", type=positive_int, help="save the model every N iterations")
    resume = t.add_mutually_exclusive_group()
    resume.add_argument("--resume", action="store_true",
                        help="continue the model saved in --out (refused when there is none, or when it was made for "
                             "other data or flags)")
    resume.add_argument("--resume-or-start", action="store_true",
                        help="continue the model saved in --out if there is one, else start a new one (for a job "
                             "that is re-run until it finishes)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="accuracy, confusion matrix, precision, recall, F1")
    e.add_argument("model", help="a model.npz written by deepstep train")
    e.add_argument("--dataset", help="data set name or path (default: the one it was trained on)")
    e.add_argument("--split", choices=["test", "train"],
                   help="which split of the model's own data to score (default test); another data set is scored "
                        "whole")
    e.add_argument("--json", help="also write the report to this JSON file")
    e.add_argument("--weight-column", metavar="NAME",
                   help="weigh each example's part in every metric by this column of the data (default: the "
                        "--weight-column the model was trained with, where the data has it)")
    e.add_argument("--unweighted", action="store_true", help="every example counts once, whatever the weights")
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="label pictures or table rows with a trained model",
                       description="Label picture files with a model trained on pictures: one line per picture, "
                                   "e.g. 'my_cat.jpg: cat (p = 0.93)'; pictures are resized to the model's input. "
                                   "Or label the rows of one .csv/.npz file with a model trained on a table: a CSV "
                                   "of each row's prediction and class probabilities (values for regression).")
    p.add_argument("model", help="a model.npz written by deepstep train")
    p.add_argument("inputs", nargs="+", metavar="FILE",
                   help="picture files (PNG, JPEG, ...), or one .csv/.npz file of table rows")
    p.add_argument("--out", help="write the table rows' predictions to this CSV file (default: print them)")
    p.add_argument("--delimiter", type=delimiter_arg, help="the field separator of a CSV file of rows")
    p.set_defaults(func=cmd_predict)

    x = sub.add_parser("export", help="write a trained model as an ONNX graph",
                       description="Write MODEL as a standard ONNX graph (opset 17): input 'X' of shape (N, n[0]) "
                                   "(raw features: a model's standardization is part of the graph), or, for a "
                                   "model of a table with text or missing cells, one input per column of shape "
                                   "(N, 1) (numbers with NaN for a gap, or strings; the encoding is in the graph); "
                                   "output the probabilities (or values). Needs pip install 'deepstep[onnx]'.")
    x.add_argument("model", help="a model.npz written by deepstep train")
    x.add_argument("onnx", help="the .onnx file to write (atomically)")
    x.set_defaults(func=cmd_export)


# -- train ---------------------------------------------------------------------


class _StopRequest(Callback):
    """SIGINT/SIGTERM during training: the first asks to stop after the current epoch (so that the saved
    model resumes exactly), a second one stops at once (the last checkpoint is kept)."""

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self) -> None:
        self.asked: int | None = None  # the signal number that asked

    def __call__(self, signum: int, frame: Any) -> None:
        if self.asked is not None:
            raise KeyboardInterrupt
        self.asked = signum
        print(f"\n{signal.Signals(signum).name}: stopping after this iteration (again to stop at once) ...",
              file=sys.stderr, flush=True)

    def on_epoch_end(self, run: Any, epoch: int, logs: dict[str, float]) -> None:
        if self.asked is not None:
            run.stop_training = True

    def install(self) -> dict[int, Any]:
        """Install for SIGINT and SIGTERM (main thread only); returns the handlers it replaces."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {int(getattr(signal, n)): signal.signal(getattr(signal, n), self) for n in self.SIGNALS}

    @staticmethod
    def uninstall(previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _check_resume(net: DeepNetwork, args: argparse.Namespace, data, optimizer, model_path: Path) -> None:
    """--resume continues only a model made for this data and these flags: one line naming the difference."""
    n_x = data.train_X.shape[0]
    n_out, what = _outputs(data)
    training = net.metadata.get("training") or {}
    checks = [
        ("--dataset", net.layer_dims[0], n_x, f"{net.layer_dims[0]} inputs; {data.name} has {n_x} features", None),
        ("--task", net.task.name, data.task, f"task {net.task.name}; {data.name} gives {data.task}", None),
        ("--dataset", net.layer_dims[-1], n_out,
         f"{net.layer_dims[-1]} output unit(s); {data.name} has {what}, which need {n_out}", None),
        ("--layers", net.layer_dims, args.layers or net.layer_dims, "layers", None),
        ("--hidden-activation", net.hidden_activation,
         get_hidden_activation(args.hidden_activation).name if args.hidden_activation else net.hidden_activation,
         "hidden activation", None),
        ("--dtype", net.dtype.name, args.dtype, "dtype", None),
        ("--seed", training.get("seed", args.seed), args.seed, "seed (it draws the data split and the toy data)",
         None),
    ]
    saved_classes = net.metadata.get("classes")
    if saved_classes is not None and data.classes is not None:
        checks.append(("--dataset", saved_classes, list(data.classes), "classes", None))
    checks.append(("--standardize", net.standardize, _standardizes(args, data.name), "standardize", None))
    if getattr(args, "batch_norm", None) is not None:  # not given: the model's own
        checks.append(("--batch-norm", bool(net.batch_norm), bool(args.batch_norm), "batch normalization", None))
    if net.metadata.get("dataset") is not None:
        checks.append(("--dataset", net.metadata["dataset"], _dataset_key(data.name), "data set", None))
    if "test_data" in training:
        asked = str(Path(args.test_data).resolve()) if args.test_data else None
        checks.append(("--test-data", training["test_data"], asked, "test data", None))
    for flag, key in (("--batch-size", "batch_size"), ("--l2", "l2"), ("--keep-prob", "keep_prob"),
                      ("--validation-fraction", "validation_fraction"), ("--early-stopping", "early_stopping"),
                      ("--test-fraction", "test_fraction"), ("--label-column", "label_column"),
                      ("--delimiter", "delimiter"), ("--columns", "columns"), ("--drop-columns", "drop_columns"),
                      ("--weight-column", "weight_column"), ("--class-weight", "class_weight")):
        if key in training:  # the run's design; the learning rate may change (e.g. smaller after a divergence)
            checks.append((flag, training[key], getattr(args, key), f"{flag.lstrip('-')}", None))
    for flag, saved, asked, what, _ in checks:
        if saved != asked:
            detail = what if ";" in what else f"{what} {saved}"
            raise UsageError(f"{flag}: the model in {model_path} has {detail}, this run asks for {asked}; "
                             "train into another --out, or drop --resume")
    if net.optimizer is not None and net.optimizer.config() != optimizer.config():
        raise UsageError(f"--optimizer: the model in {model_path} was trained with {net.optimizer!r}, this run asks "
                         f"for {optimizer!r}; give the same optimizer flags to resume")


def cmd_train(args: argparse.Namespace) -> int:
    from ...data.datasets import resolve_name

    name = resolve_name(args.dataset)
    preset = PRESETS.get(name, DEFAULT_PRESET)
    if args.label_column is not None and not _is_table(name):
        raise UsageError(f"--label-column: only a .csv data set has label columns, got --dataset {name}")
    if args.delimiter != "," and not str(name).lower().endswith(".csv"):
        raise UsageError(f"--delimiter: only a .csv data set has a delimiter, got --dataset {name}")
    if args.early_stopping is not None and args.validation_fraction is None:
        raise UsageError("--early-stopping: watches the validation cost; give --validation-fraction too")
    optimizer = optimizer_of(args)
    data = _load_data(args, name)
    out = Path(args.out) if args.out else _default_out(name)
    model_path = out / "model.npz"
    if args.resume_or_start:
        args.resume = model_path.exists()
    if args.resume and not model_path.exists():
        raise UsageError(f"--resume: there is no model to continue at {model_path}; drop --resume to start one")
    out = _output_folder(out)
    lr = args.learning_rate or preset["learning_rate"]
    iterations = args.iterations or preset["iterations"]
    method = args.method
    rule = VALIDATION_RULE  # how validation examples are held out; a resumed run keeps its model's (0.2's: 1)
    if args.resume:
        net = load_model(model_path)
        _check_resume(net, args, data, optimizer, model_path)
        if net.optimizer is not None:
            optimizer = net.optimizer
        if method == "auto":  # the method the run decided at its start, where it still applies
            saved = (net.metadata.get("training") or {}).get("method")
            full = args.batch_size is None or args.batch_size >= data.train_X.shape[1]
            if saved == "plain" or (saved == "gram" and _gram_applies(full, optimizer, 1 in net.batch_norm)):
                method = saved
        rule = (net.metadata.get("training") or {}).get("validation_rule", 1)
        print(f"resuming {model_path} after {len(net.history.cost)} iterations")
    else:
        net = _build_network(args, data, preset)
    held = _held_out(args, data, rule)  # (drawn once: the validation examples and the weights trained on)
    train_X, train_Y, validation = _split_held(data, held)
    weights = training_weights(args, data, held)
    if method == "auto":  # decided once per run, on the whole plan, and kept for --resume
        from ...core.gram import applies, pays_off

        full = args.batch_size is None or args.batch_size >= train_X.shape[1]
        why_not = applies(full, optimizer, 1 in net.batch_norm)
        pays = pays_off(net.layer_dims[0], net.layer_dims[1], train_X.shape[1], iterations)
        method = "gram" if why_not is None and pays else "plain"
        if pays and why_not is not None:  # it would have paid off: say why it does not apply
            print(f"note: the Gram form of the first layer would do less arithmetic here, but it does not apply "
                  f"({why_not}): the plain path trains", file=sys.stderr)
    net.metadata.update(
        classes=list(data.classes) if data.classes is not None else None, dataset=_dataset_key(name),
        kind=data.kind, image_shape=list(data.image_shape) if data.image_shape else None, task=data.task,
        features=data.features, label=data.label, columns=data.columns,
        training={"learning_rate": lr, "iterations": iterations, "batch_size": args.batch_size,
                  "init": args.init or preset["init"], "seed": args.seed, "dtype": net.dtype.name,
                  "test_fraction": args.test_fraction,
                  "image_size": list(data.image_shape[:2]) if data.image_shape else None,
                  "channels": data.image_shape[2] if data.image_shape else None,
                  "label_column": args.label_column, "optimizer": optimizer.config(), "l2": args.l2,
                  "keep_prob": args.keep_prob, "validation_fraction": args.validation_fraction,
                  "early_stopping": args.early_stopping, "method": method, "delimiter": args.delimiter,
                  "columns": args.columns, "drop_columns": args.drop_columns,
                  "weight_column": args.weight_column, "class_weight": args.class_weight,
                  "validation_rule": rule,
                  "test_data": str(Path(args.test_data).resolve()) if args.test_data else None},
    )
    done = len(net.history.cost)
    every = args.print_every or max(1, iterations // 10)
    checkpoint = args.checkpoint_every or max(1, iterations // 5)
    for note in data.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"training {net} on {data.name}: m = {train_X.shape[1]}, {optimizer!r}, learning rate {lr:g}, "
          f"{iterations} {'epochs' if args.batch_size else 'iterations'} -> {out}/")
    stop = _StopRequest()
    callbacks: list[Callback] = [stop, ModelCheckpoint(model_path, every=checkpoint),
                                 ProgressBar(total=iterations, print_every=every, bar=not args.quiet,
                                             file=sys.stdout, advice=False)]
    if args.log_csv:
        callbacks.append(CSVLogger(args.log_csv, append=bool(args.resume or args.resume_or_start),
                                   argument="--log-csv"))
    if args.tensorboard:
        callbacks.append(TensorBoard(args.tensorboard, argument="--tensorboard"))
    if args.early_stopping is not None:
        early = EarlyStopping(patience=args.early_stopping)
        if args.resume and "early_stopping" in net.callback_state:
            early.load_state(*net.callback_state["early_stopping"])
        callbacks.insert(0, early)
    start = time.perf_counter()
    previous = stop.install()
    try:
        if done < iterations and not (args.resume and _early_stopped(net)):
            net.fit(train_X, train_Y, lr, iterations - done, batch_size=args.batch_size, optimizer=optimizer,
                    l2=args.l2, keep_prob=args.keep_prob, validation_data=validation, callbacks=callbacks,
                    method=method, sample_weight=weights, n_threads=args.threads or "auto",
                    signals=not args.no_signals)
        net.save(model_path)  # (the handlers stay until this is written: a second signal here is handled too)
    except TrainingDiverged as exc:
        net.save(model_path)  # the last sound parameters, put back by the guard
        raise UsageError(f"{exc}; saved them in {model_path}") from None
    except KeyboardInterrupt:  # a second signal, inside an iteration: keep the last whole checkpoint
        print(f"\ninterrupted; {model_path} holds the last checkpoint; continue with the same command and "
              "--resume", file=sys.stderr)
        return 130
    finally:
        _StopRequest.uninstall(previous)
    if stop.asked is not None:
        print(f"\nstopped after {len(net.history.cost)} iterations; saved {model_path}; continue with the same "
              "command and --resume", file=sys.stderr)
        return 128 + stop.asked
    seconds = time.perf_counter() - start
    metrics = _evaluate(net, data, args.weight_column)
    h = net.history
    metrics.update(seconds=round(seconds, 3), iterations=len(h.cost), final_cost=h.cost[-1] if h.cost else None,
                   layer_dims=net.layer_dims, dataset=str(name), optimizer=optimizer.config(),
                   history={k: v for k, v in h.as_dict().items() if k in ("cost", "accuracy", "val_cost",
                                                                            "val_accuracy", "r2", "val_r2")})
    score = net.task.score_name
    if h.val_cost:
        metrics.update(val_cost=h.val_cost[-1], **{"val_" + score: getattr(h, "val_" + score)[-1]})
    if args.early_stopping is not None and callbacks[0].stopped_epoch is not None:
        print(f"early stopping at iteration {callbacks[0].stopped_epoch}: no better validation cost for "
              f"{args.early_stopping} iterations; kept the parameters of iteration {callbacks[0].best_epoch}")
    trained_on = report_of(net, train_X, train_Y, data.classes) if held is not None else metrics["train"]
    metrics["diagnosis"] = _diagnosis(net, trained_on, metrics, args.baseline_error)
    write_json(out / "metrics.json", metrics)
    test = metrics["test"]
    if net.task.is_classification:
        val = f"   validation accuracy {h.val_accuracy[-1]:.2%}" if h.val_accuracy else ""
        shown = f"test accuracy {test['accuracy']:.2%}" if test else "no test set (--test-fraction 0)"
        print(f"train accuracy {metrics['train_accuracy']:.2%}   {shown}{val}   ({seconds:.1f} s)")
    else:
        val = f"   validation R^2 {h.val_r2[-1]:.4f}" if h.val_r2 else ""
        shown = f"test R^2 {test['r2']:.4f}   test MAE {test['mae']:.4g}   test RMSE {test['rmse']:.4g}" if test \
            else "no test set (--test-fraction 0)"
        print(f"train R^2 {metrics['train']['r2']:.4f}   {shown}{val}   ({seconds:.1f} s)")
    from ...report.diagnostics import diagnose

    for note in diagnose(net, data.train_X, data.train_Y) + metrics["diagnosis"]["advice"]:
        print(f"note: {note}", file=sys.stderr)
    plotted = _plots(net, data, out, lr, bool(args.batch_size))
    print(f"wrote {model_path}, {out / 'metrics.json'}" + (f" and plots in {out}/" if plotted else ""))
    return 0



def _diagnosis(net: DeepNetwork, trained_on: dict[str, Any] | None, metrics: dict[str, Any],
               baseline: float | None) -> dict[str, Any]:
    """metrics.json's "diagnosis": the course's reading, from the errors measured after training (the examples
    trained on, and the validation examples as the dev set: null without them) and the last per-layer signals."""
    name = net.task.score_name
    train = trained_on[name] if trained_on else None
    dev = metrics.get("val_" + name)  # (the test set is not a dev set: without validation, variance is not read)
    return net.diagnosis(baseline, None if train is None else 1 - train, None if dev is None else 1 - dev)


def _gram_applies(full_batch: bool, optimizer: Any, first_normalized: bool = False) -> bool:
    from ...core.gram import applies

    return applies(full_batch, optimizer, first_normalized) is None


def _early_stopped(net: DeepNetwork) -> bool:
    state = net.callback_state.get("early_stopping")
    return state is not None and state[0].get("stopped_epoch") is not None


def report_of(net: DeepNetwork, X: np.ndarray, Y: np.ndarray, classes: Any = None,
              weights: np.ndarray | None = None) -> dict[str, Any] | None:
    """Every metric of a split (``deepstep evaluate``'s report): a classifier's accuracy, confusion matrix, per-class
    and averaged precision, recall and F1; a regressor's R^2, MAE and RMSE; with ``m``; each example counted by its
    weight where ``weights`` (m,) are given.  None for no examples."""
    from ...report.metrics import classification_report, regression_report

    if X.shape[1] == 0:
        return None
    if net.task.is_classification:
        report = classification_report(Y, net.predict(X), list(classes) if classes is not None else None, weights)
    else:
        report = regression_report(Y, net.predict(X), weights)
    return {"m": int(X.shape[1]), **report}


def _evaluate(net: DeepNetwork, data, weight_column: str | None = None) -> dict[str, Any]:
    """metrics.json's reports, one layout for every task: ``task``, ``train`` and ``test`` (None without a test set,
    --test-fraction 0), each a :func:`report_of` (weighted by the examples' weights where the run was weighted:
    ``weighted_by`` names the column); a classifier's ``train_accuracy`` and ``test_accuracy`` beside."""
    train_w = data.train_weights if weight_column else None
    test_w = data.test_weights if weight_column else None
    result: dict[str, Any] = {"task": net.task.name,
                              "train": report_of(net, data.train_X, data.train_Y, data.classes, train_w),
                              "test": report_of(net, data.test_X, data.test_Y, data.classes, test_w),
                              "weighted_by": {"train": weight_column if train_w is not None else None,
                                              "test": weight_column if test_w is not None else None}}
    if net.task.is_classification:  # (the two figures of every run, kept where 0.2 wrote them)
        result["train_accuracy"] = result["train"]["accuracy"]
        result["test_accuracy"] = None if result["test"] is None else result["test"]["accuracy"]
    return result


def _plots(net: DeepNetwork, data, out: Path, lr: float, epochs: bool) -> bool:
    from ...report import plots

    try:
        plots.plot_cost(net.history.cost, out / "cost.png", lr, per="epoch" if epochs else "iteration",
                        val_cost=net.history.val_cost or None)
        if data.train_X.shape[0] == 2:
            plots.plot_decision_boundary(net, data.train_X, data.train_Y, out / "decision_boundary.png")
        if data.image_shape and data.test_X.shape[1]:
            predicted = net.predict(data.test_X)
            plots.plot_mislabelled(data.test_X, data.test_Y, predicted, data.classes,
                                   tuple(data.image_shape), out / "mislabelled.png", names=data.test_names)
            wrong = plots.mislabelled_indices(data.test_Y, predicted)
            print(f"{wrong.size} mislabelled test pictures in {out / 'mislabelled.png'}")
            if data.test_names is not None and wrong.size:  # which files, to look at them
                shown = [data.test_names[j] for j in wrong[:10]]
                print("  " + ", ".join(shown) + (f" and {wrong.size - 10} more" if wrong.size > 10 else ""))
    except DeepstepError as exc:  # matplotlib missing: the model and metrics are still written
        print(f"note: no plots ({exc})", file=sys.stderr)
        return False
    return True


# -- evaluate, predict -----------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ...data.datasets import DATASET_NAMES, load_dataset, resolve_name

    net = load_model(args.model)
    columns = net.metadata.get("columns")  # a model that encodes its table's columns: by its own encoder
    name = args.dataset or net.metadata.get("dataset")
    if not name:
        raise UsageError("--dataset: expected a data set name or path (the model does not name one)")
    training = net.metadata.get("training") or {}
    # data the model was not trained on is scored whole; its own data by the split it was trained with
    other = args.dataset is not None and resolve_name(args.dataset) not in DATASET_NAMES and \
        _dataset_key(args.dataset) != net.metadata.get("dataset")
    if other and args.split is not None:
        raise UsageError(f"--split: {args.dataset} is not the data {args.model} was trained on, so all of it is "
                         "scored; drop --split")
    split = "whole" if other else (args.split or "test")
    if not other and training.get("seed") is None and not training.get("test_data") and name != "cats":
        # without the seed the model's own split cannot be drawn again: a new draw would score training examples
        raise UsageError(f"--dataset: expected a data set to score, since {args.model} does not record the seed "
                         f"that split {name} into training and test examples")
    test_fraction = 0.0 if other else training.get("test_fraction", 0.2)
    if split == "test" and test_fraction == 0 and not training.get("test_data"):
        raise UsageError(f"--split: {args.model} was trained on all of {name} (--test-fraction 0), so it has no test "
                         "examples; give --dataset FILE of other data, or --split train")
    table = _is_table(name)
    # the label column the model was trained with, by name (recorded since 0.3; else the flag it was given)
    label_column = (training.get("label_column") or net.metadata.get("label")) if table else None
    check_weight_column(args.weight_column, name)
    weight_column = None if args.unweighted or not table else args.weight_column or training.get("weight_column")

    def load(weights: str | None) -> Any:
        return load_dataset(name, rng=training.get("seed"), test_fraction=test_fraction,
                            image_size=training.get("image_size") or (64, 64), label_column=label_column,
                            channels=training.get("channels") or 3 if Path(str(name)).is_dir() else None,
                            task=net.task.name if str(name).lower().endswith((".csv", ".npz", ".parquet")) else "auto",
                            delimiter=training.get("delimiter") or ",",
                            test_data=training.get("test_data") if not args.dataset else None,
                            encoder=columns if table else None, weight_column=weights)

    try:
        data = load(weight_column)
    except DeepstepError as exc:  # the model's weight column, which this data does not have: every example once
        if weight_column is None or args.weight_column or not str(exc).startswith("weight_column"):
            raise
        print(f"note: {name} has no column {weight_column!r} (the model's weights): every example counts once",
              file=sys.stderr)
        weight_column, data = None, load(None)
    X, Y = (data.test_X, data.test_Y) if split == "test" else (data.train_X, data.train_Y)
    weights = (data.test_weights if split == "test" else data.train_weights) if weight_column else None
    features = net.metadata.get("features")
    if columns is not None and not table:
        raise UsageError(f"--dataset: expected a .csv with the model's columns {list(features or [])}, got {name}")
    if features and not data.features:
        raise UsageError(f"--dataset: expected a .csv with the model's named columns {list(features)}, got "
                         f"{data.name}, whose columns have no names to match")
    if features and list(data.features) != list(features) and columns is None:  # by name, never by place
        from ...data.datasets import match_features

        X = X[match_features(data.features, features, data.label, str(data.name))]
    if X.shape[0] != net.layer_dims[0]:
        raise UsageError(f"--dataset: the model takes {net.layer_dims[0]} features, {data.name} has {X.shape[0]}")
    classes = None
    if net.task.is_classification:
        classes = list(net.metadata.get("classes") or data.classes)
        unknown = [c for c in data.classes if c not in classes]
        if unknown:
            raise UsageError(f"--dataset: {data.name} holds the classes {unknown}, which the model does not know "
                             f"(its classes: {classes})")
        if list(data.classes) != classes:  # some of the model's classes (or in another order): its indices
            Y = np.array([classes.index(c) for c in data.classes])[Y]
    which = {"whole": f"all of {data.name} (not the data the model was trained on)",
             "train": f"the training split of {data.name}",
             "test": (f"the test file {training['test_data']}" if training.get("test_data") and not args.dataset
                      else f"the test split of {data.name} ({test_fraction:g} of it, drawn with seed "
                           f"{training.get('seed')}; the model trained on the rest)")}[split]
    report = report_of(net, X, Y, classes, weights)
    print(f"{which}: m = {X.shape[1]}" + (f", each example weighted by its {weight_column!r}" if weights is not None
                                          else ""))
    if not net.task.is_classification:
        print(f"R^2   {report['r2']:.4f}\nMAE   {report['mae']:.6g}\nRMSE  {report['rmse']:.6g}")
    else:
        print(f"accuracy  {report['accuracy']:.2%}")
        width = max(max(len(c) for c in classes), len("weighted")) + 2
        print("confusion matrix (rows: true, columns: predicted)")
        print(" " * width + "".join(f"{c:>{width}}" for c in classes))
        for c, row in zip(classes, report["confusion_matrix"], strict=True):
            print(f"{c:>{width}}" + "".join(f"{v:>{width}.6g}" if isinstance(v, float) else f"{v:>{width}}"
                                            for v in row))
        print(f"{'class':>{width}} {'precision':>10} {'recall':>10} {'f1':>10} {'support':>8}")
        for c, r in report["classes"].items():
            print(f"{c:>{width}} {r['precision']:>10.3f} {r['recall']:>10.3f} {r['f1']:>10.3f} {r['support']:>8g}")
        for how in ("macro", "weighted"):
            r = report[how]
            print(f"{how:>{width}} {r['precision']:>10.3f} {r['recall']:>10.3f} {r['f1']:>10.3f} {X.shape[1]:>8}")
    if args.json:
        write_json(args.json, {"dataset": str(data.name), "split": split, "task": net.task.name,
                               "weighted_by": weight_column if weights is not None else None, **report})
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from ...data.datasets import load_image

    net = load_model(args.model)
    if len(args.inputs) == 1 and str(args.inputs[0]).lower().endswith((".csv", ".npz", ".parquet")):
        return _predict_rows(net, args)
    if args.out is not None:
        raise UsageError("--out: writes the predictions for a .csv or .npz file of rows; pictures are printed")
    shape = net.metadata.get("image_shape")
    if not shape:
        raise UsageError(f"MODEL: {args.model} was not trained on pictures, so it cannot label image files")
    if int(np.prod(shape)) != net.layer_dims[0]:
        raise UsageError(f"MODEL: expects {net.layer_dims[0]} inputs, its pictures give {int(np.prod(shape))}")
    classes = net.metadata.get("classes") or [str(k) for k in range(max(2, net.layer_dims[-1]))]
    from ...data.common import IMAGE_SUFFIXES

    paths: list[Any] = []
    for given in args.inputs:  # a folder: every picture in it and its sub-folders, in sorted order
        folder = Path(given)
        if folder.is_dir():
            found = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
                           and not any(part.startswith(".") for part in f.relative_to(folder).parts))
            if not found:
                raise UsageError(f"INPUT: expected pictures ({', '.join(IMAGE_SUFFIXES)}) in the folder {given}, got "
                                 "none")
            paths += found
        else:
            paths.append(given)
    channels = shape[2] if len(shape) == 3 else 3
    for path in paths:
        x = load_image(path, size=(shape[0], shape[1]), channels=channels)
        A = net.predict_proba(x)
        k = int(net.predict(x)[0, 0])
        p = float(A[0, 0]) if A.shape[0] == 1 else float(A[k, 0])
        if A.shape[0] == 1 and k == 0:
            p = 1 - p
        print(f"{path}: {classes[k]} (p = {p:.2f})")
    return 0


def _predict_rows(net: DeepNetwork, args: argparse.Namespace) -> int:
    """Label the rows of a .csv or .npz: a CSV of each row's prediction and probabilities (or values)."""
    import csv
    import io

    from ...data.datasets import load_rows

    training = net.metadata.get("training") or {}
    X = load_rows(args.inputs[0], net.layer_dims[0], net.metadata.get("features"),
                  args.delimiter or training.get("delimiter") or ",",
                  label=net.metadata.get("label", training.get("label_column")),
                  encoder=net.metadata.get("columns"))
    A = net.predict_proba(X)
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    if net.task.is_classification:
        classes = net.metadata.get("classes") or [str(k) for k in range(max(2, net.layer_dims[-1]))]
        P = np.vstack([1 - A, A]) if A.shape[0] == 1 else A
        w.writerow(["row", "prediction", *[f"p({c})" for c in classes]])
        for j, k in enumerate(net.predict(X)[0]):
            w.writerow([j, classes[k], *[f"{p:.6g}" for p in P[:, j]]])
    else:
        V = net.predict(X)
        w.writerow(["row", *(["value"] if V.shape[0] == 1 else [f"value{k}" for k in range(V.shape[0])])])
        for j in range(V.shape[1]):
            w.writerow([j, *[repr(float(v)) for v in V[:, j]]])
    if args.out is None:
        print(text.getvalue(), end="")
    else:
        with atomic_path(args.out) as tmp:
            tmp.write_text(text.getvalue())
        print(f"wrote {X.shape[1]} predictions to {args.out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ...model.export import export_onnx

    net = load_model(args.model)
    path = export_onnx(net, args.onnx)
    columns = (net.metadata.get("columns") or {}).get("columns")
    inputs = (f"one input per column ({', '.join(c['name'] for c in columns)}: numbers, or text for a category; "
              "a missing cell as NaN or '')" if columns else f"input 'X' of shape (N, {net.layer_dims[0]})")
    print(f"wrote {path}: ONNX (opset 17), {inputs}, "
          f"{'values' if not net.task.is_classification else 'probabilities'} of shape (N, {net.layer_dims[-1]})")
    return 0


