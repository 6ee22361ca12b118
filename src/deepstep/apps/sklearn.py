"""scikit-learn estimators: :class:`DeepClassifier` and :class:`DeepRegressor`.

They take scikit-learn's layout, X of shape (n_samples, n_features) and y of
shape (n_samples,) (or (n_samples, k) for multi-output regression), and hand the
engine its own, examples as columns: ``network_.fit(X.T, Y)``.  Everything
else is a :class:`deepstep.DeepNetwork` (kept fitted as ``network_``), so the
maths is the course's: ``Z[l] = W[l] A[l-1] + b[l]`` and so on.

Needs scikit-learn (``pip install 'deepstep[sklearn]'``); the engine and the
command line never import it.

>>> from sklearn.datasets import load_digits
>>> from sklearn.model_selection import train_test_split
>>> from deepstep.sklearn import DeepClassifier
>>> X, y = load_digits(return_X_y=True)
>>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
>>> clf = DeepClassifier(random_state=0).fit(X_train, y_train)
>>> clf.score(X_test, y_test) > 0.95
True
>>> clf.predict_proba(X_test[:2]).shape, clf.n_iter_
((2, 10), 200)
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from numbers import Integral, Number
from pathlib import Path
from typing import Any

import numpy as np

from ..extras import require

require("sklearn", "sklearn", "deepstep.sklearn")

from scipy import sparse  # noqa: E402  (a dependency of scikit-learn)
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402
from sklearn.utils.multiclass import check_classification_targets  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402
from sklearn.utils.validation import validate_data as _sklearn_validate_data  # noqa: E402

from ..core.activations import get_hidden_activation  # noqa: E402
from ..core.initialization import as_dtype  # noqa: E402
from ..data.columns import TableEncoder  # noqa: E402
from ..data.labels import balanced_class_weights  # noqa: E402
from ..data.standardize import Standardizer  # noqa: E402
from ..errors import DeepstepError, as_dtype_checked, check_weight_row  # noqa: E402
from ..model.network import DeepNetwork, _batch_norm_layers  # noqa: E402
from ..training.callbacks import CSVLogger, EarlyStopping, TensorBoard  # noqa: E402
from ..training.loop import History  # noqa: E402
from ..training.settings import SETTINGS as TABLE_ROWS  # noqa: E402
from ..training.threads import check_threads  # noqa: E402

__all__ = ["DeepClassifier", "DeepRegressor"]

AUTO_EPOCHS = 200
"""The classifier's epochs with ``num_iterations="auto"``, where an epoch makes enough updates."""
MIN_UPDATES = 600
"""The fewest updates ``num_iterations="auto"`` makes: 600 epochs of a table of one mini-batch (measured on
scikit-learn's iris and wine, benchmarks/tabular.py, where 200 updates left the network short of the MLP's
accuracy)."""


@contextmanager
def _all_or_nothing(estimator: BaseEstimator) -> Iterator[None]:
    """Whatever the block raises (bad data, divergence, Ctrl-C), the estimator's attributes are put back as they
    were: fit and partial_fit train a copy of the network and never leave an estimator half-changed."""
    before = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(before)
        raise


def validate_data(estimator: BaseEstimator, *args: Any, **kwargs: Any) -> Any:
    """scikit-learn's validate_data without its RuntimeWarning: its first finiteness check sums X, which overflows
    (inf - inf: "invalid value") for finite values near the float range before it looks at them one by one."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _sklearn_validate_data(estimator, *args, **kwargs)


def _is_missing(value: Any) -> bool:
    """None, NaN (a float in an object array) or pandas' NA / NaT."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


def _refuse_unusable(value: Any, name: str) -> None:
    """Sparse matrices and missing entries (None, NaN, pd.NA) refused by name, before scikit-learn's conversion
    (which raises TypeError on pd.NA and on sparse input)."""
    if sparse.issparse(value):
        raise DeepstepError(f"{name}: expected a dense array, got a sparse {type(value).__name__}; sparse input is "
                            f"not supported, convert it with {name}.toarray()")
    isna = getattr(value, "isna", None)
    if callable(isna) and hasattr(value, "shape"):  # a pandas DataFrame or Series
        missing = int(np.asarray(isna()).sum())
    elif isinstance(value, np.ndarray) and value.dtype == object:
        missing = sum(map(_is_missing, value.ravel()))
    elif isinstance(value, (list, tuple)):
        try:
            flat = np.asarray(value, dtype=object).ravel()
        except ValueError:  # ragged: scikit-learn's conversion says so
            return
        missing = sum(map(_is_missing, flat))
    else:
        return
    if missing:
        raise DeepstepError(f"{name}: expected no missing values, got {missing} missing entries (NaN, None or pd.NA); "
                            "fill or drop them first")


def _is_frame(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "iloc") and getattr(X, "ndim", 0) == 2


def _needs_encoding(X: Any) -> bool:
    """Whether X holds text or missing cells (a DataFrame's columns, or an array's entries): what the estimators
    encode (:class:`deepstep.data.columns.TableEncoder`) rather than refuse."""
    if sparse.issparse(X):
        return False
    if _is_frame(X):
        from pandas.api.types import is_numeric_dtype  # (a DataFrame: pandas is there)

        return not all(map(is_numeric_dtype, X.dtypes)) or bool(np.asarray(X.isna()).any())
    try:
        A = np.asarray(X)
    except (TypeError, ValueError):
        return False
    if A.dtype.kind in "fc":
        return bool(np.isnan(A).any())
    if A.dtype.kind in "US":
        return A.ndim == 2
    if A.dtype.kind == "O" and A.ndim == 2:  # text or missing cells; anything else goes scikit-learn's way
        return any(isinstance(v, str) or _is_missing(v) for v in A.ravel())
    return False


def _raw_columns(X: Any, n_expected: int | None = None) -> tuple[list[str], list[Any], bool]:
    """X's columns one by one: (their names, the cells of each, whether the names are X's own)."""
    if _is_frame(X):
        header = [str(c) for c in X.columns]
        if len(set(header)) != len(header):
            twice = next(h for h in header if header.count(h) > 1)
            raise DeepstepError(f"X: expected each column once, got {twice!r} twice")
        return header, [X[c] for c in X.columns], all(isinstance(c, str) for c in X.columns)
    A = np.asarray(X, dtype=object)
    if A.ndim != 2:
        raise DeepstepError(f"X: expected a 2-D table (n_samples, n_features), got shape {A.shape}")
    return [f"x{j}" for j in range(A.shape[1])], [A[:, j] for j in range(A.shape[1])], False


def _labels_1d(y: Any, m: int) -> np.ndarray:
    """Labels as scikit-learn takes them (a column or 1-D), m of them."""
    from sklearn.utils.validation import column_or_1d

    y = column_or_1d(np.asarray(y) if not isinstance(y, np.ndarray) else y, warn=True)
    if y.shape[0] != m:
        raise DeepstepError(f"y: expected {m} labels, one per row of X, got {y.shape[0]}")
    return y


def _kind(value: Any) -> str:
    if isinstance(value, (str, np.str_)):
        return "str"
    if isinstance(value, Number):
        return "number"
    return type(value).__name__


def _class_values(labels: Any, name: str) -> np.ndarray:
    """The distinct labels, sorted (np.unique); labels of different kinds (str beside int) are refused by name."""
    flat = labels if isinstance(labels, np.ndarray) else np.asarray(labels, dtype=object)
    flat = flat.ravel()
    if flat.dtype == object:
        kinds: dict[str, str] = {}
        for value in flat:
            kinds.setdefault(_kind(value), type(value).__name__)
        if len(kinds) > 1:
            raise DeepstepError(f"{name}: expected labels of one kind (all strings or all numbers), got a mix of "
                                f"{', '.join(sorted(kinds.values()))}")
        if not isinstance(labels, np.ndarray):
            flat = np.asarray(list(flat))
    try:
        return np.unique(flat)
    except TypeError as exc:
        raise DeepstepError(f"{name}: expected labels that can be sorted, got {exc}") from None


class _DeepEstimator(BaseEstimator):
    """What the classifier and the regressor share: the hyperparameters, the network and the loop."""

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (100,),
        hidden_activation: str = "relu",
        optimizer: str = "adam",
        learning_rate: float = 0.001,
        num_iterations: int = 200,
        batch_size: int | None = 200,
        l2: float = 0.0,
        keep_prob: float = 1.0,
        init: str = "auto",
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        random_state: Any = None,
        dtype: Any = np.float64,
        verbose: bool = False,
        warm_start: bool = False,
        batch_norm: bool | Sequence[bool] = False,
        standardize: bool = True,
        encode: bool = True,
        n_threads: int | str = "auto",
        log_csv: Any = None,
        tensorboard: Any = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.hidden_activation = hidden_activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.num_iterations = num_iterations
        self.batch_size = batch_size
        self.l2 = l2
        self.keep_prob = keep_prob
        self.init = init
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose
        self.warm_start = warm_start
        self.batch_norm = batch_norm
        self.standardize = standardize
        self.encode = encode
        self.n_threads = n_threads
        self.log_csv = log_csv
        self.tensorboard = tensorboard

    # -- the network --------------------------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = list(sizes)
        except TypeError:
            raise DeepstepError(f"hidden_layer_sizes: expected a tuple of positive integers such as (100,), "
                                f"got {sizes!r}") from None
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, Integral) or n <= 0:
                raise DeepstepError(f"hidden_layer_sizes: expected positive integers, got {n!r} in {sizes!r}")
        return [int(n) for n in sizes]

    def _new_network(self, n_features: int, n_outputs: int, output_activation: str) -> DeepNetwork:
        dims = [n_features, *self._hidden_sizes(), n_outputs]
        rng = check_random_state(self.random_state)
        seed = np.random.default_rng(rng.randint(0, 2**31 - 1))  # one Generator, drawn from random_state
        if not isinstance(self.standardize, (bool, np.bool_)):
            raise DeepstepError(f"standardize: expected True or False, got {self.standardize!r}")
        net = DeepNetwork(dims, hidden_activation=self.hidden_activation, output_activation=output_activation,
                          init=self.init, rng=seed, dtype=self.dtype, batch_norm=self.batch_norm,
                          standardize=bool(self.standardize))
        encoder = getattr(self, "encoder_", None)
        names = getattr(self, "feature_names_in_", None)
        if encoder is not None:  # the table's encoding travels with the network (predict on a DataFrame, save, ONNX)
            net.metadata["columns"] = encoder.to_dict()
            net.metadata["features"] = encoder.features
        elif names is not None:
            net.metadata["features"] = [str(n) for n in names]
        return net

    def _table(self, X: Any, reset: bool) -> np.ndarray | None:
        """X encoded, (n_samples, width) float64, where the estimator encodes: a first fit given text or missing
        cells (with ``encode``) learns a :class:`~deepstep.data.columns.TableEncoder` (``encoder_``), and every
        later call goes through it; None where X goes scikit-learn's way (numbers only)."""
        if reset:
            if not isinstance(self.encode, (bool, np.bool_)):
                raise DeepstepError(f"encode: expected True or False, got {self.encode!r}")
            if not (self.encode and _needs_encoding(X)):
                self.__dict__.pop("encoder_", None)
                return None
            header, columns, named = _raw_columns(X)
            encoder, notes = TableEncoder.learn(header, columns, "X")
            for note in notes:  # (a column left out is said, never silent)
                warnings.warn(f"deepstep: {note}", UserWarning, stacklevel=4)
            self.encoder_ = encoder
            self.n_features_in_ = len(header)
            if named:
                self.feature_names_in_ = np.array(header, dtype=object)
            else:
                self.__dict__.pop("feature_names_in_", None)
            return encoder.encode([columns[header.index(f)] for f in encoder.features]).T
        encoder = getattr(self, "encoder_", None)
        if encoder is None:
            return None
        header, columns, named = _raw_columns(X)
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            if not named or list(header) != list(names):
                raise DeepstepError(f"X: expected the columns the estimator was fitted on, {list(names)[:6]}..., "
                                    f"got {header[:6]}...")
        elif len(header) != self.n_features_in_:
            raise DeepstepError(f"X: expected {self.n_features_in_} features, as in fit, got {len(header)}")
        return encoder.encode([columns[header.index(f)] for f in encoder.features]).T

    def _same_encoder(self, before: TableEncoder | None) -> None:
        """warm_start goes on only with the table encoded as the fitted network's was."""
        now = getattr(self, "encoder_", None)
        if (before is None) != (now is None) or (before is not None and before.to_dict() != now.to_dict()):
            raise DeepstepError("X: warm_start goes on from the fitted network, whose inputs were encoded from "
                                "other columns (or levels, or missing cells); set warm_start=False to start anew")

    def _epochs(self, m: int) -> int:
        """num_iterations, "auto" decided for m samples: 200 epochs, or as many more as make :data:`MIN_UPDATES`
        updates where an epoch has few mini-batches (a small table: one update an epoch at the default batch)."""
        epochs = self.num_iterations
        if isinstance(epochs, str) and epochs == "auto":
            batch = m if self.batch_size is None else max(1, min(int(self.batch_size), m))
            return max(AUTO_EPOCHS, math.ceil(MIN_UPDATES / math.ceil(m / batch)))
        return epochs

    def _weights(self, sample_weight: Any, m: int) -> np.ndarray | None:
        return check_weight_row(sample_weight, m)

    def _features_seen(self) -> tuple[int | None, list[str] | None]:
        names = getattr(self, "feature_names_in_", None)
        return getattr(self, "n_features_in_", None), None if names is None else list(names)

    def _going_on(self, how: str, before: tuple[int | None, list[str] | None] | None = None) -> DeepNetwork:
        """A copy of network_ to train further (warm_start or partial_fit), once the settings and the data are
        those of the fitted network: another architecture, activation, dtype or set of features is refused by
        name, never trained with the old network while get_params says otherwise."""
        net = self.network_
        again = "set warm_start=False to start anew" if how == "warm_start" else "fit starts anew"
        hidden = self._hidden_sizes()
        if hidden != net.layer_dims[1:-1]:
            raise DeepstepError(f"hidden_layer_sizes: {how} goes on from the fitted network, whose hidden layers are "
                                f"{tuple(net.layer_dims[1:-1])}, got {self.hidden_layer_sizes!r}; {again}")
        if get_hidden_activation(self.hidden_activation).name != net.hidden_activation:
            raise DeepstepError(f"hidden_activation: {how} goes on from the fitted network, whose hidden activation "
                                f"is {net.hidden_activation!r}, got {self.hidden_activation!r}; {again}")
        if as_dtype(self.dtype) != net.dtype:
            raise DeepstepError(f"dtype: {how} goes on from the fitted network, which computes in "
                                f"{net.dtype.name}, got {np.dtype(self.dtype).name}; {again}")
        asked = _batch_norm_layers(self.batch_norm, len(hidden) + 1) if len(hidden) > 0 else []
        if asked != list(net.batch_norm):
            has = f"on hidden layers {list(net.batch_norm)}" if net.batch_norm else "no"
            raise DeepstepError(f"batch_norm: {how} goes on from the fitted network, which has {has} batch "
                                f"normalization, got {self.batch_norm!r}; {again}")
        if before is not None:
            (n_before, names_before), (n_now, names_now) = before, self._features_seen()
            if n_now != n_before:
                raise DeepstepError(f"X: {how} goes on from the fitted network, which takes {n_before} features, "
                                    f"got {n_now}; {again}")
            if names_before is not None and names_now is not None and names_now != names_before:
                raise DeepstepError(f"X: {how} goes on from the fitted network, whose features are "
                                    f"{names_before[:5]}..., got columns {names_now[:5]}...; {again}")
        net.parameters.settle()  # (a W[1] left in its Gram form is formed before copying)
        return copy.deepcopy(net)

    @staticmethod
    def _columns(X: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """X.T, C-contiguous, in the network's dtype; values the cast makes inf refused (naming X), no warning."""
        return as_dtype_checked(np.ascontiguousarray(X.T), dtype, "X")

    def _train(self, net: DeepNetwork, X: np.ndarray, Y: np.ndarray, epochs: int,
               allow_early_stopping: bool, sample_weight: np.ndarray | None = None) -> History:
        """net.fit on (X.T, Y) with the estimator's settings; once it succeeds, net becomes network_ and n_iter_,
        loss_curve_ and history_ are brought up to date (inside _all_or_nothing)."""
        m = X.shape[0]
        self._check_settings()
        batch = self.batch_size
        if batch is not None:
            batch = min(int(batch), m)
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise DeepstepError(f"early_stopping: expected True or False, got {self.early_stopping!r}")
        callbacks, fraction = [], None
        if self.early_stopping and allow_early_stopping:
            callbacks.append(EarlyStopping(patience=self.patience))
            fraction = self.validation_fraction
        if self.log_csv is not None:  # (a network that goes on -- warm start, partial_fit -- goes on in the file)
            callbacks.append(CSVLogger(self.log_csv, append=bool(len(net.history)), argument="log_csv"))
        if self.tensorboard is not None:
            callbacks.append(TensorBoard(self.tensorboard, argument="tensorboard"))
        history = net.fit(self._columns(X, net.dtype), Y, learning_rate=self.learning_rate,
                          num_iterations=epochs, batch_size=batch, optimizer=self.optimizer, l2=self.l2,
                          keep_prob=self.keep_prob, validation_fraction=fraction, callbacks=callbacks,
                          verbose=bool(self.verbose), sample_weight=sample_weight, n_threads=self.n_threads)
        self.network_ = net
        self.n_iter_ = len(history.cost)
        self.loss_curve_ = list(net.history.cost)
        self.history_ = net.history
        self.diagnosis_ = net.diagnosis()
        return history

    _TABLE_CHECKED = ("optimizer", "learning_rate", "num_iterations", "batch_size", "l2", "keep_prob", "init",
                      "validation_fraction", "batch_norm")
    """The parameters checked by the run settings' table (:data:`deepstep.training.settings.TABLE`) under their
    own names; ``patience`` is the table's ``early_stopping`` (a patience), named ``patience``."""

    def _check_settings(self) -> None:
        """The hyperparameters checked by the run settings' table, as ``deepstep train``, a sweep and the
        playground check them (DeepstepError naming the parameter); an Optimizer object is fit's to check."""
        check_threads(self.n_threads)
        for key in self._TABLE_CHECKED:
            value = getattr(self, key)
            if key == "optimizer" and not isinstance(value, str):
                continue
            if key == "num_iterations" and isinstance(value, str) and value == "auto":
                continue
            if key == "batch_norm" and isinstance(value, (list, tuple)):  # one per hidden layer, as DeepNetwork takes
                if not all(isinstance(b, (bool, np.bool_)) for b in value):
                    raise DeepstepError(f"batch_norm: expected True, False or one True/False per hidden layer, got "
                                        f"{value!r}")
                continue
            TABLE_ROWS[key].check(value, key)
        TABLE_ROWS["early_stopping"].check(self.patience, "patience")

    def _raw_output(self, X: Any) -> np.ndarray:
        """A[L] for X (n_samples, n_features), as (n_samples, n[L])."""
        check_is_fitted(self)
        return self.network_.predict_proba(self._columns(self._inputs(X), self.network_.dtype)).T

    def _inputs(self, X: Any) -> np.ndarray:
        """X to predict on: through the fitted encoder, or checked as fit checked it."""
        encoded = self._table(X, reset=False)
        if encoded is not None:
            return encoded
        _refuse_unusable(X, "X")
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])

    def save(self, path: str | Path) -> None:
        """Write ``network_`` to a deepstep model file (:meth:`deepstep.DeepNetwork.save`).

        ``deepstep.load_model(path)`` reads it back, examples as columns: ``predict(X.T)`` gives a classifier's
        class indices into classes_ (the names are in ``metadata["classes"]``) and a regressor's targets in their
        units, ``predict(X.T).T == est.predict(X)`` (the file carries the targets' standardization).
        """
        check_is_fitted(self)
        self.network_.save(path)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.input_tags.allow_nan = bool(self.encode)  # (a missing value: a learned fill and an indicator)
        tags.input_tags.string = bool(self.encode)
        return tags


class DeepClassifier(ClassifierMixin, _DeepEstimator):
    """A fully-connected classifier: sigmoid output for two classes, softmax for more.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        n[1], ..., n[L-1]; the input and output sizes come from the data.
    hidden_activation : str, default "relu"
        g[1] .. g[L-1] (see :mod:`deepstep.activations`).
    optimizer : {"gd", "momentum", "rmsprop", "adam"}, default "adam"
    learning_rate : float, default 0.001
    num_iterations : int or "auto", default "auto"
        Epochs (passes over the mini-batches); "auto": 200, or more where an epoch has few mini-batches, so that
        training makes at least :data:`MIN_UPDATES` updates (a table of 120 rows: 600 epochs of one batch).
    batch_size : int or None, default 200
        Mini-batch size (at most n_samples); None for full-batch gradient descent.
    l2 : float, default 1.0
        lambda of the L2 penalty (lambda / 2m) sum ||W[l]||^2 (scikit-learn's MLP writes the same term with
        ``alpha``; 1.0 measured best of 0 and 1 on the tables of benchmarks/tabular.py).
    keep_prob : float, default 1.0
        Inverted dropout on the hidden layers.
    init : {"auto", "small", "xavier", "he"}, default "auto"
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (per class) and stop when its cost has not
        fallen for ``patience`` epochs, keeping the best epoch's parameters.
    validation_fraction : float, default 0.1
    patience : int, default 10
    random_state : None, int or RandomState
        Seeds the initial weights, the mini-batch shuffles and the dropout masks.
    dtype : float32 or float64, default float64
        The network's dtype; probabilities come back in it.
    verbose : bool, default False
        A progress bar with the cost on stderr.
    batch_norm : bool or sequence of bool, default False
        Batch normalization on every hidden layer (:class:`deepstep.core.layers.BatchNorm`), or on those whose entry
        is True (one per hidden layer, as :class:`deepstep.DeepNetwork` takes it): gamma and beta replace b, the
        mini-batch's statistics in training, their running averages in prediction.
    standardize : bool, default True
        Learn each feature's mean and standard deviation on fit's X and standardize every X inside (the network's
        :class:`deepstep.data.standardize.Standardizer`, saved with it); False takes X as it is.
    encode : bool, default True
        X with text or missing cells (a pandas DataFrame of numeric, categorical/text and missing columns, as
        HistGradientBoosting takes, or an array with NaN) is encoded inside by a
        :class:`deepstep.data.columns.TableEncoder` learned on fit's X (``encoder_``): one-hot levels with
        "other", a learned fill and a missing indicator; False refuses such X by name.
    class_weight : None, "balanced" or dict, default None
        A weight per class in the cost and its gradient: "balanced" gives class c the weight
        n_samples / (n_classes * n_c) (scikit-learn's rule), a dict maps labels to weights; multiplied into
        ``fit``'s ``sample_weight`` (where integer weights are repeated rows in full-batch training).
    n_threads : "auto" or int, default "auto"
        BLAS threads while training: "auto" takes one for small problems (every layer's product under 4 M
        multiply-adds a batch, where a second thread gains nothing and stalls when another process is busy) and
        the BLAS's own otherwise; a number sets it (:mod:`deepstep.training.threads`).  Restored after ``fit``.
    log_csv : str or Path, optional
        Write one CSV row per epoch (:class:`deepstep.callbacks.CSVLogger`): the history, the learning rate and the
        per-layer norms; a warm start appends.
    tensorboard : str or Path, optional
        Write TensorBoard event files into this folder (:class:`deepstep.callbacks.TensorBoard`; needs
        ``deepstep[tensorboard]``).
    warm_start : bool, default False
        A later ``fit`` goes on from the fitted network (its weights and optimizer state; for the regressor also
        the first fit's target standardization) instead of starting anew.  It is refused, with a
        :class:`deepstep.errors.DeepstepError` naming the parameter, when ``hidden_layer_sizes``,
        ``hidden_activation`` or ``dtype`` is not the fitted network's, when X has another number of features
        (or other column names), or when y has labels outside ``classes_`` (the regressor: another number of
        targets); set ``warm_start=False`` to start anew.  ``init`` and ``random_state`` only shape a new
        network; the training settings (optimizer, learning_rate, ...) apply to the epochs to come (another
        optimizer starts with a fresh state).  ``partial_fit`` goes on under the same conditions.

    A ``fit`` or ``partial_fit`` that raises (bad data, bad parameters, a diverging cost, Ctrl-C) leaves the
    estimator as it was before the call: fitted as before, or still unfitted (NotFittedError).  Every
    successful call puts a new ``network_`` in place; a network taken from the estimator earlier is not changed.
    Sparse X, missing labels, missing values with ``encode=False`` (NaN, None, pd.NA; with the default
    ``encode=True`` they are encoded), labels of mixed kinds (str beside int) and values beyond the range of
    ``dtype`` are refused with a DeepstepError (a ValueError) naming X, y or classes, without a warning first; the
    inputs are never modified.  A column the encoding leaves out (an identifier, one without values) is said in a
    UserWarning; ``partial_fit`` learns the encoding from its first batch (give it a batch that holds every
    column's levels, or ``fit`` first).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,), where X had string column names
    network_ : DeepNetwork
        The fitted network (examples as columns: ``network_.predict_proba(X.T)``); its
        ``metadata["classes"]`` names classes_, and ``network_.save(path)`` (or :meth:`save`) writes a model file
        that ``deepstep.load_model`` reads back.
    history_ : History
        Every epoch's cost and accuracy (and validation figures with early stopping).
    n_iter_ : int
        Epochs run by the last call of fit / partial_fit.
    loss_curve_ : list of float
        The training cost of every epoch so far.
    diagnosis_ : dict
        The course's reading of the training (:meth:`deepstep.DeepNetwork.diagnosis`): bias and variance (with
        ``early_stopping``'s validation examples), vanishing or exploding gradients, dead and saturated units, and
        the remedies in ``"advice"``.
    """

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (100,),
        hidden_activation: str = "relu",
        optimizer: str = "adam",
        learning_rate: float = 0.001,
        num_iterations: int | str = "auto",
        batch_size: int | None = 200,
        l2: float = 1.0,
        keep_prob: float = 1.0,
        init: str = "auto",
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        random_state: Any = None,
        dtype: Any = np.float64,
        verbose: bool = False,
        warm_start: bool = False,
        batch_norm: bool | Sequence[bool] = False,
        standardize: bool = True,
        encode: bool = True,
        class_weight: Any = None,
        n_threads: int | str = "auto",
        log_csv: Any = None,
        tensorboard: Any = None,
    ) -> None:
        super().__init__(hidden_layer_sizes, hidden_activation, optimizer, learning_rate, num_iterations, batch_size,
                         l2, keep_prob, init, early_stopping, validation_fraction, patience, random_state, dtype,
                         verbose, warm_start, batch_norm, standardize, encode, n_threads, log_csv,
                         tensorboard)
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DeepClassifier:
        """Train on X (n_samples, n_features) and labels y (n_samples,) of any two or more values (all strings
        or all numbers), each sample weighted by ``sample_weight`` (and ``class_weight``).  Raises and leaves the
        estimator as it was when anything fails."""
        with _all_or_nothing(self):
            warm = bool(self.warm_start) and hasattr(self, "network_")
            before = self._features_seen()
            encoder_before = getattr(self, "encoder_", None)
            # (warm_start goes on with the first fit's encoding, as with its standardizations)
            X, y, classes = self._checked(X, y, reset=not (warm and encoder_before is not None))
            if warm:
                self._same_encoder(encoder_before)
                net = self._going_on("warm_start", before)
            else:
                if classes.size < 2:
                    raise DeepstepError(f"y: expected at least 2 classes, got 1 class ({classes[0]!r})")
                self.classes_ = classes
                net = self._classifier_network(X.shape[1], classes)
            indices = self._indices(y)
            weights = self._class_weights(indices, self._weights(sample_weight, X.shape[0]), partial=False)
            self._train(net, X, indices[np.newaxis, :], self._epochs(X.shape[0]), allow_early_stopping=True,
                        sample_weight=weights)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None) -> DeepClassifier:
        """One epoch over (X, y); ``classes`` (every label there will be) is needed on the first call.  Raises and
        leaves the estimator as it was (unfitted after a refused first call) when anything fails."""
        with _all_or_nothing(self):
            first = not hasattr(self, "network_")
            X, y, _ = self._checked(X, y, reset=first)
            if classes is not None:
                _refuse_unusable(classes, "classes")
                classes = _class_values(classes, "classes")
            if first:
                if classes is None:
                    raise DeepstepError("classes: expected every class label on the first call of partial_fit, "
                                        "got None")
                if classes.size < 2:
                    raise DeepstepError(f"classes: expected at least 2 classes, got {classes.tolist()!r}")
                self.classes_ = classes
                net = self._classifier_network(X.shape[1], classes)
            else:
                if classes is not None and not (classes.shape == self.classes_.shape
                                                and (classes == self.classes_).all()):
                    raise DeepstepError(f"classes: expected {self.classes_.tolist()!r} as on the first call, got "
                                        f"{classes.tolist()!r}")
                net = self._going_on("partial_fit")
            indices = self._indices(y)
            weights = self._class_weights(indices, self._weights(sample_weight, X.shape[0]), partial=True)
            self._train(net, X, indices[np.newaxis, :], 1, allow_early_stopping=False, sample_weight=weights)
        return self

    def _class_weights(self, indices: np.ndarray, weights: np.ndarray | None, partial: bool) -> np.ndarray | None:
        """The samples' weights times their class's ``class_weight``: "balanced" gives class c the weight
        n_samples / (n_classes * n_c) (as scikit-learn's compute_class_weight), a dict its own per label."""
        cw = self.class_weight
        if cw is None:
            return weights
        k = self.classes_.size
        if isinstance(cw, str) and cw == "balanced":
            if partial:
                raise DeepstepError("class_weight: 'balanced' needs every sample at once (it counts each class), "
                                    "which partial_fit does not have; give a dict of weights per class")
            per_class = balanced_class_weights(indices, k)
        elif isinstance(cw, dict):
            per_class = np.ones(k)
            for label, value in cw.items():
                where = np.flatnonzero(self.classes_ == label) if _kind(label) == _kind(self.classes_[0]) else []
                if len(where) == 0:
                    raise DeepstepError(f"class_weight: expected labels among classes_ {self.classes_.tolist()!r}, "
                                        f"got {label!r}")
                if isinstance(value, bool) or not isinstance(value, Number) or not np.isfinite(value) or value < 0:
                    raise DeepstepError(f"class_weight: expected a weight >= 0 for {label!r}, got {value!r}")
                per_class[where[0]] = float(value)
        else:
            raise DeepstepError(f"class_weight: expected None, 'balanced' or a dict of label -> weight, got {cw!r}")
        w = per_class[indices]
        if weights is not None:
            w = w * weights
        if not w.any():
            raise DeepstepError("class_weight: every sample has weight 0")
        return w

    def _checked(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """X and y as arrays, and y's distinct labels: labels of one kind only (else np.unique and scikit-learn
        raise TypeError), no missing values, no sparse X (text and missing cells encoded where ``encode``)."""
        _refuse_unusable(y, "y")
        if not isinstance(y, np.ndarray):  # a list of 1 and "a": scikit-learn's conversion would make both strings
            _class_values(y, "y")
        encoded = self._table(X, reset)
        if encoded is not None:
            y = _labels_1d(y, encoded.shape[0])
        else:
            _refuse_unusable(X, "X")
            X_checked, y = validate_data(self, X, y, dtype=[np.float64, np.float32], reset=reset)
            encoded = X_checked
        classes = _class_values(y, "y")
        check_classification_targets(y)
        return encoded, y, classes

    def _classifier_network(self, n_features: int, classes: np.ndarray) -> DeepNetwork:
        two = classes.size == 2
        net = self._new_network(n_features, 1 if two else classes.size, "sigmoid" if two else "softmax")
        names = [str(c) for c in classes]
        if len(set(names)) == len(names):  # the class names travel in the model file (network_.save)
            net.metadata["classes"] = names
        return net

    def _indices(self, y: np.ndarray) -> np.ndarray:
        """Each label's position in classes_; a label not among them is an error."""
        try:
            pos = np.clip(np.searchsorted(self.classes_, y), 0, self.classes_.size - 1)
            unknown = np.asarray(self.classes_[pos] != y, dtype=bool)
        except TypeError:  # labels of another kind than classes_ (numbers for string classes)
            unknown = np.ones(len(y), dtype=bool)
            pos = np.zeros(len(y), dtype=np.intp)
        if unknown.any():
            shown = list(dict.fromkeys(str(v) for v in y[unknown]))[:5]
            raise DeepstepError(f"y: expected labels among classes_ {self.classes_.tolist()!r}, got {shown!r}")
        return pos

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of shape (n_samples, n_classes), columns in the order of classes_."""
        A = self._raw_output(X)
        if A.shape[1] == 1:
            return np.hstack([1 - A, A])
        return A

    def predict(self, X: Any) -> np.ndarray:
        """The most likely class of each sample (sigmoid: class 1 where its probability is above 0.5)."""
        A = self._raw_output(X)
        index = (A[:, 0] > 0.5).astype(np.intp) if A.shape[1] == 1 else A.argmax(axis=1)
        return self.classes_[index]


class DeepRegressor(RegressorMixin, _DeepEstimator):
    """A fully-connected regressor: linear output units and the mean squared error (1/2m) sum ||A[L] - Y||^2.

    The parameters are :class:`DeepClassifier`'s, with two other defaults: ``num_iterations=500`` and
    ``l2=3.0`` (small tables of real targets overfit a 100-unit layer; on scikit-learn's diabetes table these
    reach a 5-fold R^2 above MLPRegressor(max_iter=2000)'s, see the README).  The targets are standardized
    inside (each output's mean and standard deviation on the training data, right for any finite targets, from
    1e-300 to 1e308: :class:`deepstep.standardize.Standardizer`) and predictions put back in their units, so that
    the defaults work whatever the targets' scale.  ``network_`` carries that standardization
    (``network_.target_standardizer``): ``network_.predict(X.T).T`` is ``predict(X)``, and so is
    ``deepstep.load_model(path).predict(X.T).T`` after ``network_.save(path)`` or :meth:`save`;
    ``network_.predict_proba`` gives the standardized values the network computes.  Targets beyond the range of
    ``dtype`` (float32: 3.4e38), or whose spread is below its smallest normal number, are refused (naming y), and
    a prediction beyond that range is refused (naming X), never returned as inf.

    Attributes
    ----------
    n_features_in_, feature_names_in_, network_, history_, n_iter_, loss_curve_
        As for :class:`DeepClassifier` (the costs are of the standardized targets).
    n_outputs_ : int
        Number of targets k (y of shape (n_samples,) or (n_samples, k)).
    target_scaler_ : Standardizer
        The targets' standardization, learned by the first fit (``network_.target_standardizer``).
    """

    # scikit-learn reads each estimator's parameters and defaults off its own __init__ signature, so the two
    # defaults that differ (num_iterations, l2) need the whole signature written again here
    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (100,),
        hidden_activation: str = "relu",
        optimizer: str = "adam",
        learning_rate: float = 0.001,
        num_iterations: int = 500,
        batch_size: int | None = 200,
        l2: float = 3.0,
        keep_prob: float = 1.0,
        init: str = "auto",
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        random_state: Any = None,
        dtype: Any = np.float64,
        verbose: bool = False,
        warm_start: bool = False,
        batch_norm: bool | Sequence[bool] = False,
        standardize: bool = True,
        encode: bool = True,
        n_threads: int | str = "auto",
        log_csv: Any = None,
        tensorboard: Any = None,
    ) -> None:
        super().__init__(hidden_layer_sizes, hidden_activation, optimizer, learning_rate, num_iterations, batch_size,
                         l2, keep_prob, init, early_stopping, validation_fraction, patience, random_state, dtype,
                         verbose, warm_start, batch_norm, standardize, encode, n_threads, log_csv,
                         tensorboard)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> DeepRegressor:
        """Train on X (n_samples, n_features) and real targets y (n_samples,) or (n_samples, k), each sample
        weighted by ``sample_weight``.  Raises and leaves the estimator as it was when anything fails."""
        with _all_or_nothing(self):
            warm = bool(self.warm_start) and hasattr(self, "network_")
            before = self._features_seen()
            encoder_before = getattr(self, "encoder_", None)
            X, y = self._checked(X, y, reset=not (warm and encoder_before is not None))
            Y = self._target_rows(y)
            if warm:
                self._same_encoder(encoder_before)
                net = self._going_on("warm_start", before)
                self._same_outputs(Y, "warm_start")
            weights = self._weights(sample_weight, X.shape[0])
            if not warm:
                net = self._regression_network(X.shape[1], Y, weights)
            self._y_1d = y.ndim == 1
            self._train(net, X, Y, self.num_iterations, allow_early_stopping=True, sample_weight=weights)
            self.target_scaler_ = net.target_standardizer
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> DeepRegressor:
        """One epoch over (X, y); the first call fixes the targets' standardization.  Raises and leaves the
        estimator as it was (unfitted after a refused first call) when anything fails."""
        with _all_or_nothing(self):
            first = not hasattr(self, "network_")
            X, y = self._checked(X, y, reset=first)
            Y = self._target_rows(y)
            if first:
                net = self._regression_network(X.shape[1], Y)
            else:
                net = self._going_on("partial_fit")
                self._same_outputs(Y, "partial_fit")
            self._y_1d = y.ndim == 1
            self._train(net, X, Y, 1, allow_early_stopping=False,
                        sample_weight=self._weights(sample_weight, X.shape[0]))
            self.target_scaler_ = net.target_standardizer
        return self

    def _checked(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        _refuse_unusable(y, "y")
        encoded = self._table(X, reset)
        if encoded is not None:
            from sklearn.utils.validation import check_array

            y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
            if y.shape[0] != encoded.shape[0]:
                raise DeepstepError(f"y: expected {encoded.shape[0]} targets, one per row of X, got {y.shape[0]}")
            return encoded, y
        _refuse_unusable(X, "X")
        return validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True, multi_output=True,
                             reset=reset)

    def _target_rows(self, y: np.ndarray) -> np.ndarray:
        """y as the network's targets (k, m) in its dtype; values beyond that dtype's range refused, naming y."""
        return as_dtype_checked(y.reshape(y.shape[0], -1).T, as_dtype(self.dtype), "y")

    def _regression_network(self, n_features: int, Y: np.ndarray, weights: np.ndarray | None = None) -> DeepNetwork:
        """A new network carrying the targets' standardization (weighted by ``weights``): it learns
        (y - mean) / scale, and its predict (and a model file it is saved to) gives values in the targets' units."""
        scaler = Standardizer.fit(Y, name="y", weights=weights)
        net = self._new_network(n_features, Y.shape[0], "linear")
        net.target_standardizer = scaler
        self.n_outputs_ = Y.shape[0]
        return net

    def _same_outputs(self, Y: np.ndarray, how: str) -> None:
        if Y.shape[0] != self.n_outputs_:
            raise DeepstepError(f"y: {how} goes on from the fitted network, which has {self.n_outputs_} target(s) "
                                f"per sample, got {Y.shape[0]}")

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, (n_samples,) or (n_samples, k) as y was: ``network_.predict(X.T).T``."""
        check_is_fitted(self)
        values = self.network_.predict(self._columns(self._inputs(X), self.network_.dtype)).T
        return values[:, 0] if self._y_1d else values

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
