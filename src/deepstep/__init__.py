"""deepstep: fully-connected deep neural networks from first principles, in NumPy.

Examples are columns: X = A[0] has shape (n[0], m), Y has shape (1, m); layer l
has W[l] of shape (n[l], n[l-1]) and b[l] of shape (n[l], 1).

Where to find what:

* :mod:`deepstep.activations` -- g, g' and their in-place pair: sigmoid, tanh, relu, leaky_relu (one registry)
* :mod:`deepstep.initialization` -- random W[l], zero b[l]
* :mod:`deepstep.engine` -- the kernels (Z = W A_prev + b, dW = (1/m) dZ A_prev^T, ...) and the buffered passes
* :mod:`deepstep.forward`, :mod:`deepstep.backward` -- the course's step functions with their caches
* :mod:`deepstep.cost` -- cross-entropy J (with L2) and dA[L]; the squared error of regression
* :mod:`deepstep.tasks` -- each output activation's cost and score (accuracy, R^2)
* :mod:`deepstep.standardize` -- input (and regression target) standardization kept with the model
* :mod:`deepstep.update`, :mod:`deepstep.optimizers` -- gradient descent, momentum, RMSprop, Adam
* :mod:`deepstep.schedules` -- learning-rate decay
* :mod:`deepstep.gram` -- the Gram form of the first layer (a full-batch strategy)
* :mod:`deepstep.training`, :mod:`deepstep.callbacks` -- the loop, history, early stopping, checkpoints
* :mod:`deepstep.network` -- DeepNetwork: hyperparameters, parameters, fit, predict, save
* :mod:`deepstep.gradcheck` -- centered finite differences
* :mod:`deepstep.model_io` -- model files (.npz + JSON metadata), atomic writes
* :mod:`deepstep.datasets` -- cat pictures, planar and other 2-D toys, your own files
* :mod:`deepstep.metrics`, :mod:`deepstep.plots` -- confusion matrix, F1, R^2, MAE; cost curve, decision boundary
* :mod:`deepstep.diagnostics` -- what a trained network's results say went wrong
* :mod:`deepstep.sweep` -- hyperparameter sweeps: grids, random samples, worker processes
* :mod:`deepstep.explain` -- one iteration written out in the course's notation, every gradient checked
* :mod:`deepstep.vectorize` -- the vectorization lesson: a Python loop against NumPy, timed
* :mod:`deepstep.playground` -- a web page where a network learns while you watch (``deepstep[playground]``)
* :mod:`deepstep.export` -- ONNX export (``pip install 'deepstep[onnx]'``)
* :mod:`deepstep.sklearn` -- DeepClassifier, DeepRegressor (``pip install 'deepstep[sklearn]'``; imported on demand)
* :mod:`deepstep.cli` -- the ``deepstep`` command
"""

__version__ = "0.2.0"

from . import (
    callbacks,
    datasets,
    diagnostics,
    export,
    gram,
    metrics,
    optimizers,
    plots,
    schedules,
    standardize,
    tasks,
    vectorize,
)
from .activations import ACTIVATIONS, Activation, get_activation
from .backward import linear_activation_backward, linear_backward, model_backward
from .cost import compute_cost, compute_cost_with_regularization
from .errors import DeepstepError
from .explain import Explanation, explain  # ds.explain is the function (module: importlib)
from .export import export_onnx
from .forward import linear_activation_forward, linear_forward, model_forward, predict_forward
from .gradcheck import gradient_check, gradient_check_details
from .initialization import initialize_parameters
from .model_io import ModelFileError
from .network import DeepNetwork
from .optimizers import (
    initialize_adam,
    initialize_rmsprop,
    initialize_velocity,
    update_parameters_with_adam,
    update_parameters_with_momentum,
    update_parameters_with_rmsprop,
)
from .sweep import SweepInterrupted, SweepResult, sweep  # ds.sweep is the function (module: importlib)
from .training import History, TrainingDiverged
from .update import update_parameters

load_model = DeepNetwork.load

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "DeepNetwork",
    "DeepstepError",
    "History",
    "ModelFileError",
    "TrainingDiverged",
    "compute_cost",
    "compute_cost_with_regularization",
    "get_activation",
    "gradient_check",
    "gradient_check_details",
    "initialize_adam",
    "initialize_parameters",
    "initialize_rmsprop",
    "initialize_velocity",
    "load_model",
    "export_onnx",
    "explain",
    "Explanation",
    "sweep",
    "SweepResult",
    "SweepInterrupted",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
    "model_backward",
    "model_forward",
    "predict_forward",
    "update_parameters",
    "update_parameters_with_adam",
    "update_parameters_with_momentum",
    "update_parameters_with_rmsprop",
    "callbacks",
    "optimizers",
    "schedules",
    "datasets",
    "gram",
    "metrics",
    "plots",
    "diagnostics",
    "export",
    "standardize",
    "vectorize",
    "tasks",
]
