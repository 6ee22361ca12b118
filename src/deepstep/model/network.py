"""The L-layer network: hyperparameters, parameters, fit, predict, save (the loop is in deepstep.training).

Logistic regression, the one-hidden-layer network and the L-layer network are
the same engine with different ``layer_dims``:

>>> import numpy as np
>>> import deepstep as ds
>>> X = np.array([[0.0, 1.0, 2.0, 3.0]])
>>> Y = np.array([[0, 0, 1, 1]])
>>> logreg = ds.DeepNetwork([1, 1], init="zeros")
>>> history = logreg.fit(X, Y, learning_rate=0.5, num_iterations=500)
>>> bool(history.cost[0] == np.log(2))   # zero weights: A = 0.5 everywhere
True
>>> logreg.predict(X)
array([[0, 0, 1, 1]])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.activations import check_output_activation, get_activation, get_hidden_activation
from ..core.cost import compute_cost, compute_squared_error_cost
from ..core.engine import forward_no_cache
from ..core.initialization import DTYPES, RngLike, as_dtype, as_rng, initialize_parameters
from ..core.optimizers import Optimizer
from ..core.parameters import Parameters
from ..core.tasks import Task, column_classes, r2_score, task_for
from ..data.split import validation_split
from ..data.standardize import Standardizer
from ..errors import (
    DeepstepError,
    _describe,
    as_dtype_checked,
    batch_norm_layers,
    check_forward_result,
    check_fraction,
    check_parameters,
    check_real_targets,
    check_sample_weight,
    check_weight_row,
    check_X,
    check_Y,
    plain_parameters,
)
from ..training.callbacks import Callback
from ..training.loop import VALIDATION_SPLIT_SEED, History, check_run, train
from . import files as model_io

__all__ = ["DeepNetwork", "History", "one_hot"]


def one_hot(labels: np.ndarray, n_classes: int, dtype: Any = np.float64) -> np.ndarray:
    """Columns of ``n_classes`` zeros with a 1 at each label: shape (n_classes, m), built without an
    (n_classes, n_classes) identity matrix.

    >>> one_hot(np.array([2, 0]), 3).tolist()
    [[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]]
    """
    Y = np.zeros((n_classes, labels.size), dtype=dtype)
    Y[labels, np.arange(labels.size)] = 1
    return Y


def _predicted_labels(A: np.ndarray) -> np.ndarray:
    """Labels (1, m) of A[L]: 1 where A > 0.5 (one sigmoid unit), else the most likely class (softmax)."""
    return column_classes(A).astype(np.int64)[np.newaxis, :]


def _class_names(classes: Any, n_out: int, task: Task) -> list[str]:
    """``classes`` as the list of class names a classifier with n[L] = n_out outputs has (2 for one output)."""
    n_classes = 2 if n_out == 1 else n_out
    if not task.is_classification:
        raise DeepstepError("classes: names classes, and this network does regression (a linear output); leave it out")
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (Sequence, np.ndarray)):
        raise DeepstepError(f"classes: expected a list of {n_classes} class names, got {type(classes).__name__}")
    names = [str(c) for c in classes]
    if len(names) != n_classes or len(set(names)) != n_classes:
        raise DeepstepError(f"classes: expected {n_classes} distinct class names for n[L] = {n_out}, got {names[:8]}")
    return names


def _batch_norm_layers(batch_norm: Any, L: int) -> list[int]:
    """The layers that ``batch_norm`` (True: every hidden one; a sequence of L-1 bools) asks to normalize."""
    if isinstance(batch_norm, (bool, np.bool_)):
        if batch_norm and L < 2:
            raise DeepstepError("batch_norm: normalizes hidden layers, and this network has none (layer_dims of "
                                "length 2)")
        return list(range(1, L)) if batch_norm else []
    if isinstance(batch_norm, Sequence) and not isinstance(batch_norm, str) and len(batch_norm) == L - 1 \
            and all(isinstance(b, (bool, np.bool_)) for b in batch_norm):
        return [l for l, b in enumerate(batch_norm, 1) if b]
    raise DeepstepError(f"batch_norm: expected True, False or a list of {L - 1} True/False (one per hidden layer), "
                        f"got {_describe(batch_norm)}")


class DeepNetwork:
    """A fully-connected network: ``layer_dims = [n[0], n[1], ..., n[L]]``.

    Parameters
    ----------
    layer_dims : sequence of int
        Input size, hidden sizes, output size.  [n_x, 1] is logistic regression.
    hidden_activation : str
        g[1] .. g[L-1]: "relu", "leaky_relu", "tanh", "sigmoid" (or "leaky_relu:SLOPE").
    output_activation : {"sigmoid", "softmax", "linear"}
        g[L]: sigmoid for one output unit (binary), softmax for n[L] >= 2 classes (both with the
        cross-entropy cost), "linear" (or "identity") for regression with the squared-error cost
        J = (1/2m) sum ||A[L] - Y||^2 (see :mod:`deepstep.tasks`).
    init : {"auto", "small", "xavier", "he", "zeros"}
        See :func:`deepstep.initialize_parameters`.
    rng : None, int, Generator or RandomState
        Randomness for the initial weights, the mini-batch shuffles and the dropout masks (an int
        seeds a RandomState, as the course's np.random.seed).
    dtype : float32 or float64
        Dtype of parameters, activations and gradients.
    standardize : bool
        Standardize the inputs: the first ``fit`` learns each feature's mean and standard deviation on
        its training examples (:class:`deepstep.standardize.Standardizer`), and every X given to fit,
        predict, accuracy, score or cost is mapped x := (x - mean) / scale first.  For regression the
        targets too: the network learns y := (y - mean) / scale (so that one learning rate suits targets
        in any unit), ``predict`` gives values in the targets' units, ``predict_proba`` and the costs are
        of the standardized ones.  Saved with the model.
    classes : list of str, optional
        Class names (2 for one sigmoid output, n[L] for softmax), kept in ``metadata["classes"]`` and the
        model file.
    batch_norm : bool or sequence of L-1 bools
        Batch normalization (Course 2, week 3) on every hidden layer (True) or on those marked: layer l then
        has gamma[l] and beta[l] (initialized to 1 and 0) instead of b[l], normalizes Z[l] = W[l] A[l-1] with
        the batch's mean and variance in training and with their running averages (``layer_state``) in
        prediction.  See :class:`deepstep.core.layers.BatchNorm`.

    Attributes
    ----------
    parameters : mapping
        "W{l}" of shape (n[l], n[l-1]) and "b{l}" of shape (n[l], 1) (:class:`deepstep.parameters.Parameters`).
    history : History
        Every epoch of every fit so far, one after the other.
    optimizer : Optimizer or None
        The optimizer of the last fit, with its state (momentum's v, Adam's v, s and t); a later
        fit with the same optimizer settings goes on with it.
    metadata : dict
        Kept in model files: class names, input shape, training settings.
    task : deepstep.tasks.Task
        Classification or regression, from the output activation: its cost and score.
    standardizer, target_standardizer : Standardizer or None
        The standardization of the inputs (and of regression targets) learned by the first fit.
    """

    def __init__(
        self,
        layer_dims: Sequence[int],
        hidden_activation: str = "relu",
        output_activation: str = "sigmoid",
        init: str = "auto",
        rng: RngLike = None,
        dtype: Any = np.float64,
        standardize: bool = False,
        classes: Sequence[str] | None = None,
        batch_norm: bool | Sequence[bool] = False,
    ) -> None:
        if not isinstance(standardize, (bool, np.bool_)):
            raise DeepstepError(f"standardize: expected True or False, got {standardize!r}")
        self.hidden = get_hidden_activation(hidden_activation)
        self.output = get_activation(output_activation, "output_activation")
        self.dtype = as_dtype(dtype)
        self._rng = as_rng(rng)
        parameters = initialize_parameters(layer_dims, init, self._rng, self.dtype,
                                           hidden_activation=hidden_activation)
        normalized = _batch_norm_layers(batch_norm, len(layer_dims) - 1)
        for l in normalized:  # b[l] gives way to gamma[l] = 1, beta[l] = 0
            n = parameters.pop(f"b{l}").shape[0]
            parameters[f"gamma{l}"], parameters[f"beta{l}"] = np.ones((n, 1), self.dtype), np.zeros((n, 1), self.dtype)
        self.parameters = parameters
        check_output_activation(self.output, self.layer_dims[-1])
        self.task = task_for(self.output.name)
        names = None if classes is None else _class_names(classes, self.layer_dims[-1], self.task)
        self.init = init
        self.standardize = bool(standardize)
        self.standardizer: Standardizer | None = None
        self.target_standardizer: Standardizer | None = None
        self.history = History()
        self.optimizer: Optimizer | None = None
        self.callback_state: dict[str, tuple[dict[str, Any], dict[str, np.ndarray]]] = {}
        self.metadata: dict[str, Any] = {} if names is None else {"classes": names}

    # -- parameters ----------------------------------------------------------------------
    @property
    def parameters(self) -> Parameters:
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, np.ndarray]) -> None:
        dims = check_parameters(value)
        if len(dims) - 1 in batch_norm_layers(value):
            raise DeepstepError(f"parameters: batch normalization (gamma{len(dims) - 1}, beta{len(dims) - 1}) is for "
                                f"hidden layers; the output layer {len(dims) - 1} takes W and b")
        self._parameters = value if isinstance(value, Parameters) else Parameters(dict(value))
        self.layer_dims = dims

    @property
    def batch_norm(self) -> list[int]:
        """The batch-normalized layers (those whose parameters hold gamma[l] and beta[l])."""
        return batch_norm_layers(self._parameters)

    @property
    def layer_state(self) -> dict[str, np.ndarray]:
        """The running averages of the batch-normalized layers, "running_mean{l}" and "running_var{l}" (n[l], 1)
        (mean 0 and variance 1 before any training): what prediction normalizes with."""
        state = self.__dict__.setdefault("_layer_state", {})
        for l in self.batch_norm:
            n = self.layer_dims[l]
            state.setdefault(f"running_mean{l}", np.zeros((n, 1), self.dtype))
            state.setdefault(f"running_var{l}", np.ones((n, 1), self.dtype))
        return state

    @property
    def hidden_activation(self) -> str:
        return self.hidden.name

    @property
    def output_activation(self) -> str:
        return self.output.name

    @property
    def L(self) -> int:
        """Number of layers with parameters."""
        return len(self.layer_dims) - 1

    # -- data checks -------------------------------------------------------------------------
    def _inputs(self, X: Any, name: str = "X", raw: bool = False) -> np.ndarray:
        """X checked, in the network's dtype (a copy only when the dtype differs), standardized when the network
        has learned a standardization (not when ``raw``: the first fit, before it learns it).  A network that encodes
        its table's columns (``metadata["columns"]``, :class:`deepstep.data.columns.TableEncoder`) also takes the
        raw rows as a pandas DataFrame or a mapping of column name -> cells (text and missing cells too)."""
        columns = self.metadata.get("columns")
        if columns is not None and not isinstance(X, np.ndarray) and hasattr(X, "keys"):
            from ..data.columns import TableEncoder

            X = TableEncoder.from_dict(columns).encode_frame(X, name)
        elif self.metadata.get("features") and not isinstance(X, np.ndarray) and hasattr(X, "keys"):
            features = list(self.metadata["features"])  # a table of named numbers: its columns by name
            lacking = [f for f in features if f not in list(X.keys())]
            if lacking:
                raise DeepstepError(f"{lacking[0]}: expected the model's columns {features} in {name}, which lacks "
                                    f"{lacking}")
            X = np.vstack([np.asarray(X[f], dtype=np.float64) for f in features])
        X = as_dtype_checked(check_X(X, self.layer_dims[0], name), self.dtype, name)
        standardizer = None if raw else self.standardizer
        if standardizer is not None:
            X = standardizer.transform(X, name)
        return X

    def _targets(self, Y: Any, m: int, name: str = "Y", raw: bool = False) -> np.ndarray:
        """Y as (n[L], m) targets in the network's dtype: 0/1 labels (softmax also takes (1, m) class indices), or
        real values for regression."""
        n_out = self.layer_dims[-1]
        if not self.task.is_classification:
            Y = as_dtype_checked(check_real_targets(Y, m, n_out, name), self.dtype, name)
            standardizer = None if raw else self.target_standardizer
            return Y if standardizer is None else standardizer.transform(Y, name)
        if n_out > 1 and isinstance(Y, np.ndarray) and Y.shape == (1, m):
            labels = Y[0]
            if not (np.issubdtype(Y.dtype, np.number) and np.isfinite(labels).all()
                    and (labels == np.round(labels)).all() and labels.min() >= 0 and labels.max() < n_out):
                raise DeepstepError(
                    f"{name}: expected class indices 0..{n_out - 1}, got values {np.unique(labels)[:5].tolist()}")
            Y = one_hot(labels.astype(np.intp), n_out, self.dtype)
        return check_Y(Y, m, n_y=n_out, name=name).astype(self.dtype, copy=False)

    # -- training -------------------------------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        learning_rate: float = 0.0075,
        num_iterations: int = 2500,
        batch_size: int | None = None,
        optimizer: str | Optimizer = "gd",
        l2: float = 0.0,
        keep_prob: float | Sequence[float] = 1.0,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        validation_fraction: float | None = None,
        callbacks: Sequence[Callback | Callable[[int, dict], Any]] | None = None,
        method: str = "auto",
        verbose: bool = False,
        sample_weight: Any = None,
        n_threads: int | str = "auto",
        signals: bool | int = True,
    ) -> History:
        """Train, continuing from the current parameters (and optimizer state).

        Parameters
        ----------
        X : ndarray of shape (n[0], m)
        Y : ndarray of shape (n[L], m)
            0/1 labels (one-hot columns, or (1, m) class indices, for softmax).
        learning_rate : float
            alpha (alpha0 when the optimizer has a schedule).
        num_iterations : int
            Epochs: full-batch iterations, or passes over the mini-batches when ``batch_size`` is set.
        batch_size : int, optional
            Mini-batch size; each epoch shuffles the examples with the network's rng.
        optimizer : {"gd", "momentum", "rmsprop", "adam"} or Optimizer
            See :mod:`deepstep.optimizers`; an object carries its own settings and schedule.  Asked
            for by name again, the network's optimizer goes on with its state.
        l2 : float
            lambda: J gains (lambda/2m) sum ||W[l]||_F^2 and dW[l] gains (lambda/m) W[l].
        keep_prob : float or sequence of L-1 floats
            Inverted dropout on the hidden layers (1.0: none); masks drawn from the network's rng.
        validation_data : (X_val, Y_val), optional
            Scored after every epoch (no dropout): ``history.val_cost``, ``history.val_accuracy``.
        validation_fraction : float, optional
            Hold out this share of (X, Y), per class, as validation data.  The examples are drawn by a
            fixed shuffle, the same on every call for the same Y (so a resumed fit holds out the same
            ones, and the network's rng is not used); give ``validation_data`` for a split of your own.
        callbacks : list, optional
            :class:`deepstep.callbacks.Callback` objects or functions ``f(epoch, logs)``.  A
            :class:`~deepstep.callbacks.DivergenceGuard` is added unless one is given.
        method : {"auto", "plain", "gram"}
            How the first layer is trained; both give the same training, up to rounding.
            "gram" keeps W[1] X and updates it with G = X^T X (full batch with gradient descent
            or momentum only; :mod:`deepstep.gram`); "auto" takes it where it does less arithmetic.
        verbose : bool
            Show a progress bar with the cost (and validation figures) on stderr.
        sample_weight : array of m numbers >= 0, optional
            Each example's weight in the cost and its gradient: J = (1 / sum w) sum_j w_j L_j + (lambda / 2 sum w)
            sum ||W[l]||^2, so that (in full-batch training) an integer weight k is the example repeated k times;
            a mini-batch is weighted the same way over its own examples.  The validation examples are not
            weighted.
        n_threads : int or "auto"
            BLAS threads for the run's matrix products ("auto": one where the largest product is small, else the
            BLAS's own; :mod:`deepstep.training.threads`), restored afterwards.
        signals : bool or int
            Record the per-layer signals (norms of W, dW and the update, Z and A statistics, dead and saturated
            units) into ``history.signals`` every few epochs, chosen so that they cost under 5% of the training
            (:mod:`deepstep.training.signals`); a number: every that many epochs; False: none.

        Returns
        -------
        History
            This call's epochs; ``self.history`` accumulates every call's.

        Raises
        ------
        DeepstepError
            For bad arguments (before anything is changed).
        deepstep.training.TrainingDiverged
            When the cost stops being finite or explodes: the parameters, optimizer state,
            random generator and history are put back as they were before the last epoch of
            finite cost.  Any other exception (KeyboardInterrupt inside an epoch, or one raised
            by a callback) leaves the network as after the whole epochs done.
        """
        plan = check_run(self, learning_rate, num_iterations, batch_size, optimizer, l2, keep_prob, callbacks, method,
                         verbose, n_threads, signals)
        X, Y, validation, standardizers, weights = self._training_data(X, Y, validation_data, validation_fraction,
                                                                       sample_weight)
        return train(self, X, Y, validation, plan, standardizers, weights)

    def _training_data(self, X: Any, Y: Any, validation_data: Any, validation_fraction: Any,
                       sample_weight: Any = None
                       ) -> tuple[np.ndarray, np.ndarray, tuple | None, tuple[Any, Any], np.ndarray | None]:
        """fit's data: X and Y checked, in this network's dtype; the validation examples (given, or held out by the
        one rule, :func:`deepstep.data.split.validation_split`); standardized as this network computes.

        With ``standardize=True`` the first fit learns the standardization on its training examples (not the
        validation ones); until then X stays raw.  Nothing of the network changes here: the standardizers come
        back as (input, target), for :func:`deepstep.training.loop.train` to set once every check has passed.
        """
        standardizer = self.standardizer
        learn = self.standardize and standardizer is None
        X = self._inputs(X, raw=learn)
        Y = self._targets(Y, X.shape[1], raw=learn)
        weights = check_sample_weight(sample_weight, X.shape[1])
        validation = None
        if validation_data is not None and validation_fraction is not None:
            raise DeepstepError("validation_fraction: give validation_data or validation_fraction, not both")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise DeepstepError("validation_data: expected a pair (X_val, Y_val), got "
                                    f"{_describe(validation_data)}")
            Xv = self._inputs(validation_data[0], "validation_data[0]", raw=learn)
            validation = (Xv, self._targets(validation_data[1], Xv.shape[1], "validation_data[1]", raw=learn))
        elif validation_fraction is not None:
            fraction = check_fraction(validation_fraction, "validation_fraction")
            # per class for a classifier; for regression one group, a random share
            labels = column_classes(Y) if self.task.is_classification else np.zeros(Y.shape[1])
            held = validation_split(labels, fraction, VALIDATION_SPLIT_SEED)  # the one hold-out rule
            validation = (X[:, held], Y[:, held])
            X, Y = X[:, ~held], Y[:, ~held]
            if weights is not None:
                weights = weights[:, ~held]
                if not weights.any():
                    raise DeepstepError("sample_weight: every example left to train on has weight 0 (the others are "
                                        "held out by validation_fraction)")
        target_standardizer = self.target_standardizer
        if learn:
            w = None if weights is None else weights[0]  # (weighted: an integer weight is a repeated example)
            standardizer = Standardizer.fit(X, "X", w)
            X = standardizer.transform(X, "X")
            if validation is not None:
                validation = (standardizer.transform(validation[0], "validation_data[0]"), validation[1])
            if not self.task.is_classification:
                target_standardizer = Standardizer.fit(Y, "Y", w)
                Y = target_standardizer.transform(Y, "Y")
                if validation is not None:
                    validation = (validation[0], target_standardizer.transform(validation[1], "validation_data[1]"))
        return X, Y, validation, (standardizer, target_standardizer), weights

    def diagnosis(self, baseline_error: float | None = None, train_error: float | None = None,
                  dev_error: float | None = None) -> dict[str, Any]:
        """The course's reading of the training so far (:func:`deepstep.training.signals.diagnosis`): bias and
        variance from the last training and validation errors against ``baseline_error`` (e.g. human-level),
        vanishing and exploding gradients, dead ReLU and saturated units from the last per-layer signals, and
        the remedies, one line each in ``"advice"``."""
        from ..training.signals import diagnosis

        return diagnosis(self.history, self.task.is_classification, baseline_error, train_error, dev_error)

    # -- prediction --------------------------------------------------------------------------------
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """A[L] of shape (n[L], m), computed without keeping caches."""
        X = self._inputs(X)
        with np.errstate(over="ignore", invalid="ignore"):
            return check_forward_result(forward_no_cache(X, self.parameters, self.hidden, self.output,
                                                         self.layer_state))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels of shape (1, m): 1 where A[L] > 0.5 (sigmoid), else the most likely class (softmax); for
        regression the values A[L] (n[L], m)."""
        A = self.predict_proba(X)
        if self.task.is_classification:
            return _predicted_labels(A)
        return A if self.target_standardizer is None else self.target_standardizer.inverse_transform(A)

    def accuracy(self, X: np.ndarray, Y: np.ndarray, sample_weight: Any = None) -> float:
        """Fraction of the m examples whose predicted label equals Y's, in [0, 1] (classifiers only); with
        ``sample_weight`` (m numbers >= 0) the weighted fraction sum_j w_j [right_j] / sum_j w_j."""
        if not self.task.is_classification:
            raise DeepstepError("accuracy: is for classifiers; this network does regression (a linear output): "
                                "use score (R^2) or deepstep.metrics (mean_absolute_error, root_mean_squared_error)")
        A = self.predict_proba(X)  # (X is standardized there, once)
        Y = self._targets(Y, A.shape[1])
        right = column_classes(A) == column_classes(Y)
        w = check_weight_row(sample_weight, A.shape[1])
        return float(np.mean(right)) if w is None else float(np.dot(w, right) / w.sum())

    def score(self, X: np.ndarray, Y: np.ndarray, sample_weight: Any = None) -> float:
        """The task's score on (X, Y): accuracy for a classifier, R^2 (averaged over the outputs) for regression;
        with ``sample_weight`` (m numbers >= 0) each example counts w_j times (an integer weight: a repeated
        example)."""
        if self.task.is_classification:
            return self.accuracy(X, Y, sample_weight)
        A = self.predict_proba(X)  # R^2 is the same of standardized targets and predictions
        Y = self._targets(Y, A.shape[1])
        w = check_weight_row(sample_weight, A.shape[1])
        return self.task.score(A, Y) if w is None else r2_score(A, Y, w)

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The cost J on (X, Y) with the current parameters: cross-entropy, or the squared error for regression."""
        A = self.predict_proba(X)
        Y = self._targets(Y, A.shape[1])
        return compute_cost(A, Y) if self.task.is_classification else compute_squared_error_cost(A, Y)

    def __repr__(self) -> str:
        return (
            f"DeepNetwork({self.layer_dims}, hidden_activation={self.hidden_activation!r}, "
            f"output_activation={self.output_activation!r}, dtype={self.dtype.name})"
        )

    def _repr_html_(self) -> str:
        """Jupyter: the layers as a table (shapes of W[l], b[l], A[l] and parameter counts)."""
        import html

        rows = [f"<tr><td>0</td><td>input</td><td></td><td></td><td>({self.layer_dims[0]}, m)</td><td></td></tr>"]
        for l in range(1, self.L + 1):
            n, n_prev = self.layer_dims[l], self.layer_dims[l - 1]
            g = self.output_activation if l == self.L else self.hidden_activation
            normalized = l in self.batch_norm  # gamma[l], beta[l] (n, 1) each in place of b[l]
            shift = f"gamma, beta ({n}, 1)" if normalized else f"({n}, 1)"
            count = n * n_prev + n * (2 if normalized else 1)
            rows.append(f"<tr><td>{l}</td><td>{html.escape(g)}</td><td>({n}, {n_prev})</td><td>{shift}</td>"
                        f"<td>({n}, m)</td><td>{count:,}</td></tr>")
        total = sum(P.size for P in self.parameters.values())
        trained = f", trained {len(self.history)} epochs" if len(self.history) else ""
        return (f"<div><b>DeepNetwork</b> {self.layer_dims}, {self.dtype.name}, {self.task.name}{trained}"
                "<table><tr><th>l</th><th>g[l]</th><th>W[l]</th><th>b[l]</th><th>Z[l], A[l]</th>"
                f"<th>parameters</th></tr>{''.join(rows)}<tr><td></td><td colspan=\"4\">total</td>"
                f"<td>{total:,}</td></tr></table></div>")

    # -- its state, and model files (deepstep.model.files holds the one file schema) ----------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything this network holds, each part's state as that part gives it.

        ``{"layer_dims", "hidden_activation", "output_activation", "dtype", "parameters": {"W1": ...},
        "history": History.state_dict(), "rng": the generator's state (JSON), "optimizer": Optimizer.state_dict()
        or None, "standardize": bool, "standardizers": {"input": ..., "target": ...} (those learned),
        "callbacks": {key: (data, arrays)}, "metadata": dict}``.  Arrays are the network's own (not copies):
        :func:`deepstep.model.files.write_state` writes it, a sweep's worker sends it.
        """
        standardizers = {kind: getattr(self, attr).state_dict()
                         for kind, attr in (("input", "standardizer"), ("target", "target_standardizer"))
                         if getattr(self, attr) is not None}
        return {
            "layer_dims": list(self.layer_dims),
            "hidden_activation": self.hidden_activation,
            "output_activation": self.output_activation,
            "dtype": self.dtype.name,
            "parameters": dict(self.parameters.items()),
            "history": self.history.state_dict(),
            "rng": model_io.rng_state(self._rng),
            "optimizer": None if self.optimizer is None else self.optimizer.state_dict(),
            "standardize": self.standardize,
            "standardizers": standardizers,
            "callbacks": dict(self.callback_state),
            "metadata": self.metadata,
            "layer_state": dict(self.layer_state),
        }

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any], where: str = "state") -> DeepNetwork:
        """The network :meth:`state_dict` described (copies of its arrays), every part checked against the
        parameters; DeepstepError naming ``where`` otherwise."""
        net = cls.from_parameters(state["parameters"], state["hidden_activation"], state["output_activation"],
                                  rng=model_io.restore_rng(state.get("rng"), where))
        net.history.load_state_dict(state.get("history") or {})
        if state.get("optimizer") is not None:
            try:
                opt = Optimizer.from_state_dict(state["optimizer"])
            except DeepstepError as exc:
                raise DeepstepError(f"optimizer: the optimizer in {where} is not valid ({exc})") from None
            opt.init_state(net.parameters)
            for slot in opt.slots:
                for key, P in net.parameters.items():
                    if opt.state[slot]["d" + key].shape != P.shape or opt.state[slot]["d" + key].dtype != P.dtype:
                        raise DeepstepError(f"optimizer: the optimizer state in {where} does not fit the parameters "
                                            f"({slot}.d{key} does not match {key})")
            net.optimizer = opt
        callbacks = state.get("callbacks") or {}
        net.callback_state = {key: (data, dict(arrays)) for key, (data, arrays) in callbacks.items()}
        for key, A in (state.get("layer_state") or {}).items():
            if key not in net.layer_state or np.shape(A) != net.layer_state[key].shape:
                raise DeepstepError(f"layer_state: {key} in {where} does not fit the batch-normalized layers "
                                    f"{net.batch_norm}")
            net.layer_state[key] = np.array(A, dtype=net.dtype)
        net.metadata = dict(state.get("metadata") or {})
        net.standardize = state.get("standardize") is True
        for kind, attr in (("input", "standardizer"), ("target", "target_standardizer")):
            if kind in (state.get("standardizers") or {}):
                setattr(net, attr, Standardizer.from_state_dict(state["standardizers"][kind]))
        return net

    def save(self, path: str | Path) -> None:
        """Write this network to a ``.npz`` model file, atomically (see :mod:`deepstep.model.files`).

        The file carries the parameters, the activations, the history, the random generator's
        state, the optimizer with its state and the callbacks' state, so that training resumes
        exactly.  Non-finite parameters are refused (a valid file is only replaced by a valid one).
        """
        for key, P in self.parameters.items():
            if not np.isfinite(P).all():
                raise DeepstepError(f"parameters: {key} holds NaN or inf; a model file keeps finite parameters only")
        model_io.write_state(path, self.state_dict())

    @classmethod
    def load(cls, path: str | Path) -> DeepNetwork:
        """Read a model file written by :meth:`save`; see :func:`deepstep.model.files.read_state`."""
        state = model_io.read_state(path)
        try:
            return cls.from_state_dict(state, repr(str(path)))
        except model_io.ModelFileError:
            raise
        except DeepstepError as exc:
            raise model_io.ModelFileError(f"model: {str(exc).partition(': ')[2]}") from None

    @classmethod
    def from_parameters(
        cls,
        parameters: Mapping[str, np.ndarray],
        hidden_activation: str = "relu",
        output_activation: str = "sigmoid",
        rng: RngLike = None,
    ) -> DeepNetwork:
        """A network holding copies of given parameters ("W{l}" (n[l], n[l-1]), "b{l}" (n[l], 1)); finite ones only."""
        parameters = plain_parameters(parameters)
        dims = check_parameters(parameters)
        dtype = parameters["W1"].dtype
        if dtype not in DTYPES:
            raise DeepstepError(f"parameters: expected float32 or float64 arrays, got {dtype}")
        for key, P in parameters.items():
            if P.dtype.kind == "f" and not np.isfinite(P).all():
                raise DeepstepError(f"parameters: expected finite values, got NaN or inf in {key}")
        net = cls(dims, hidden_activation, output_activation, init="small", rng=0, dtype=dtype,
                  batch_norm=[l in batch_norm_layers(parameters) for l in range(1, len(dims) - 1)])
        if rng is not None:
            net._rng = as_rng(rng)
        net.parameters = {k: np.array(v, dtype=dtype) for k, v in parameters.items()}
        return net
