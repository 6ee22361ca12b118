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

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np

from .extras import require

require("sklearn", "sklearn", "deepstep.sklearn")

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402
from sklearn.utils.multiclass import check_classification_targets  # noqa: E402
from sklearn.utils.validation import check_is_fitted, validate_data  # noqa: E402

from .callbacks import EarlyStopping  # noqa: E402
from .errors import DeepstepError  # noqa: E402
from .network import DeepNetwork  # noqa: E402
from .standardize import Standardizer  # noqa: E402
from .training import History  # noqa: E402

__all__ = ["DeepClassifier", "DeepRegressor"]


class _DeepEstimator(BaseEstimator):
    """What the classifier and the regressor share: the hyperparameters, the network and the loop."""

    _output_activation: str

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

    def _new_network(self, n_features: int, n_outputs: int) -> DeepNetwork:
        dims = [n_features, *self._hidden_sizes(), n_outputs]
        rng = check_random_state(self.random_state)
        seed = np.random.default_rng(rng.randint(0, 2**31 - 1))  # one Generator, drawn from random_state
        return DeepNetwork(dims, hidden_activation=self.hidden_activation, output_activation=self._output_activation,
                           init=self.init, rng=seed, dtype=self.dtype)

    def _train(self, X: np.ndarray, Y: np.ndarray, epochs: int, allow_early_stopping: bool) -> History:
        """network_.fit on (X.T, Y) with the estimator's settings; n_iter_ and loss_curve_ kept up to date."""
        net = self.network_
        m = X.shape[0]
        batch = self.batch_size
        if batch is not None:
            if isinstance(batch, bool) or not isinstance(batch, Integral) or batch <= 0:
                raise DeepstepError(f"batch_size: expected a positive integer or None, got {batch!r}")
            batch = min(int(batch), m)
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise DeepstepError(f"early_stopping: expected True or False, got {self.early_stopping!r}")
        callbacks, fraction = [], None
        if self.early_stopping and allow_early_stopping:
            callbacks.append(EarlyStopping(patience=self.patience))
            fraction = self.validation_fraction
        history = net.fit(np.ascontiguousarray(X.T, dtype=net.dtype), Y, learning_rate=self.learning_rate,
                          num_iterations=epochs, batch_size=batch, optimizer=self.optimizer, l2=self.l2,
                          keep_prob=self.keep_prob, validation_fraction=fraction, callbacks=callbacks,
                          verbose=bool(self.verbose))
        self.n_iter_ = len(history.cost)
        self.loss_curve_ = list(net.history.cost)
        self.history_ = net.history
        return history

    def _raw_output(self, X: Any) -> np.ndarray:
        """A[L] for X (n_samples, n_features), as (n_samples, n[L])."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.network_.predict_proba(np.ascontiguousarray(X.T, dtype=self.network_.dtype)).T

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
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
    num_iterations : int, default 200
        Epochs (passes over the mini-batches).
    batch_size : int or None, default 200
        Mini-batch size (at most n_samples); None for full-batch gradient descent.
    l2 : float, default 0.0
        lambda of the L2 penalty (lambda / 2m) sum ||W[l]||^2.
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
    warm_start : bool, default False
        A later ``fit`` goes on from the fitted network (and its optimizer state) instead of starting anew.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,), where X had string column names
    network_ : DeepNetwork
        The fitted network (examples as columns: ``network_.predict_proba(X.T)``).
    history_ : History
        Every epoch's cost and accuracy (and validation figures with early stopping).
    n_iter_ : int
        Epochs run by the last call of fit / partial_fit.
    loss_curve_ : list of float
        The training cost of every epoch so far.
    """

    def fit(self, X: Any, y: Any) -> DeepClassifier:
        """Train on X (n_samples, n_features) and labels y (n_samples,) of any two or more values."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], reset=True)
        check_classification_targets(y)
        classes, indices = np.unique(y, return_inverse=True)
        if not (self.warm_start and hasattr(self, "network_")):
            if classes.size < 2:
                raise ValueError(f"y: expected at least 2 classes, got 1 class ({classes[0]!r})")
            self.classes_ = classes
            self.network_ = self._new_network(X.shape[1], self._n_outputs(classes.size))
        indices = self._indices(y)
        self._train(X, indices[np.newaxis, :], self.num_iterations, allow_early_stopping=True)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> DeepClassifier:
        """One epoch over (X, y); ``classes`` (every label there will be) is needed on the first call."""
        first = not hasattr(self, "network_")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes: expected every class label on the first call of partial_fit, got None")
            classes = np.unique(np.asarray(classes))
            if classes.size < 2:
                raise ValueError(f"classes: expected at least 2 classes, got {classes.tolist()!r}")
            self.classes_ = classes
            self.network_ = self._new_network(X.shape[1], self._n_outputs(classes.size))
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes: expected {self.classes_.tolist()!r} as on the first call, got "
                             f"{np.unique(np.asarray(classes)).tolist()!r}")
        self._train(X, self._indices(y)[np.newaxis, :], 1, allow_early_stopping=False)
        return self

    @staticmethod
    def _n_outputs(n_classes: int) -> int:
        return 1 if n_classes == 2 else n_classes

    def _indices(self, y: np.ndarray) -> np.ndarray:
        """Each label's position in classes_; a label not among them is an error."""
        pos = np.searchsorted(self.classes_, y)
        pos = np.clip(pos, 0, self.classes_.size - 1)
        unknown = self.classes_[pos] != y
        if unknown.any():
            raise ValueError(f"y: expected labels among classes_ {self.classes_.tolist()!r}, got "
                             f"{np.unique(y[unknown])[:5].tolist()!r}")
        return pos

    @property
    def _output_activation(self) -> str:  # type: ignore[override]
        n = getattr(self, "classes_", np.empty(2)).size
        return "sigmoid" if n == 2 else "softmax"

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
    inside (each output's mean and standard deviation on the training data) and predictions put back in their
    units, so that the defaults work whatever the targets' scale; ``network_`` predicts standardized targets.

    Attributes
    ----------
    n_features_in_, feature_names_in_, network_, history_, n_iter_, loss_curve_
        As for :class:`DeepClassifier` (the costs are of the standardized targets).
    n_outputs_ : int
        Number of targets k (y of shape (n_samples,) or (n_samples, k)).
    """

    _output_activation = "linear"

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
    ) -> None:
        super().__init__(hidden_layer_sizes, hidden_activation, optimizer, learning_rate, num_iterations, batch_size,
                         l2, keep_prob, init, early_stopping, validation_fraction, patience, random_state, dtype,
                         verbose, warm_start)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        Y = y.reshape(y.shape[0], -1).T.astype(np.float64)
        return self.target_scaler_.transform(Y)

    def fit(self, X: Any, y: Any) -> DeepRegressor:
        """Train on X (n_samples, n_features) and real targets y (n_samples,) or (n_samples, k)."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True, multi_output=True,
                             reset=True)
        if not (self.warm_start and hasattr(self, "network_")):
            self._start(X, y)
        self._train(X, self._targets(y).astype(self.network_.dtype), self.num_iterations, allow_early_stopping=True)
        return self

    def partial_fit(self, X: Any, y: Any) -> DeepRegressor:
        """One epoch over (X, y); the first call fixes the targets' scaling."""
        first = not hasattr(self, "network_")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True, multi_output=True,
                             reset=first)
        if first:
            self._start(X, y)
        elif y.reshape(y.shape[0], -1).shape[1] != self.n_outputs_:
            raise ValueError(f"y: expected {self.n_outputs_} targets per sample as on the first call, got "
                             f"{y.reshape(y.shape[0], -1).shape[1]}")
        self._train(X, self._targets(y).astype(self.network_.dtype), 1, allow_early_stopping=False)
        return self

    def _start(self, X: np.ndarray, y: np.ndarray) -> None:
        self._y_1d = y.ndim == 1
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.target_scaler_ = Standardizer.fit(y.reshape(y.shape[0], -1).T.astype(np.float64))
        self.network_ = self._new_network(X.shape[1], self.n_outputs_)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, (n_samples,) or (n_samples, k) as y was."""
        A = self._raw_output(X)
        values = self.target_scaler_.inverse_transform(A.T).T
        return values[:, 0] if self._y_1d else values

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
