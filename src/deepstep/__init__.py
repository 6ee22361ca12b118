"""deepstep: fully-connected deep neural networks from first principles, in NumPy.

Examples are columns: X = A[0] has shape (n[0], m), Y has shape (1, m); layer l
has W[l] of shape (n[l], n[l-1]) and b[l] of shape (n[l], 1).

Where to find what (``deepstep.X`` for the old flat paths keeps working: see :mod:`deepstep._aliases`):

* base: :mod:`deepstep.errors` (DeepstepError and the argument checks), :mod:`deepstep.limits` (size and memory
  bounds), :mod:`deepstep.extras` (optional packages)
* :mod:`deepstep.core` -- the maths: ``activations`` (one registry entry each), ``engine`` (the kernels and the
  buffered passes), ``forward`` / ``backward`` (the course's step functions and caches), ``cost``, ``tasks``,
  ``initialization``, ``parameters``, ``optimizers`` / ``update``, ``schedules``, ``gram`` (the Gram form of the
  first layer), ``gradcheck``
* :mod:`deepstep.data` -- ``datasets`` (cats, 2-D toys, your files), ``standardize``
* :mod:`deepstep.training` -- ``loop`` (epochs, batches, validation, rollback), ``callbacks``
* :mod:`deepstep.model` -- ``network`` (DeepNetwork), ``files`` (model files), ``export`` (ONNX)
* :mod:`deepstep.report` -- ``metrics``, ``plots``, ``diagnostics``
* :mod:`deepstep.apps` -- ``cli`` (the ``deepstep`` command), ``sweep``, ``explain``, ``playground``, ``sklearn``
  (DeepClassifier, DeepRegressor), ``vectorize``
"""

from . import _aliases
from ._version import __version__
from .apps import vectorize
from .apps.checker import Report as CheckReport
from .apps.checker import check  # ds.check is the function (the package: deepstep.apps.checker)
from .apps.explain import Explanation, explain  # ds.explain is the function (the module: deepstep.apps.explain)
from .apps.sweep import SweepInterrupted, SweepResult, sweep  # ds.sweep is the function (module: deepstep.apps.sweep)
from .core import gram, optimizers, schedules, tasks
from .core.activations import ACTIVATIONS, Activation, get_activation
from .core.backward import linear_activation_backward, linear_backward, model_backward
from .core.cost import compute_cost, compute_cost_with_regularization
from .core.course import (  # the course's names of deepstep's functions, with the course's conventions
    L_model_backward,
    L_model_forward,
    backward_propagation_with_dropout,
    backward_propagation_with_regularization,
    forward_propagation_with_dropout,
    initialize_parameters_deep,
    random_mini_batches,
    relu_backward,
    schedule_lr_decay,
    sigmoid_backward,
    update_lr,
    update_parameters_with_gd,
)
from .core.forward import linear_activation_forward, linear_forward, model_forward, predict_forward
from .core.gradcheck import gradient_check, gradient_check_details
from .core.initialization import initialize_parameters
from .core.optimizers import (
    initialize_adam,
    initialize_rmsprop,
    initialize_velocity,
    update_parameters_with_adam,
    update_parameters_with_momentum,
    update_parameters_with_rmsprop,
)
from .core.update import update_parameters
from .data import datasets, standardize
from .errors import DeepstepError
from .model import export
from .model.export import export_onnx
from .model.files import ModelFileError
from .model.network import DeepNetwork
from .report import diagnostics, metrics, plots
from .training import callbacks
from .training.loop import History, TrainingDiverged
from .training.lr_find import LRFind, lr_find

_aliases.install()


def __getattr__(name: str):
    """``deepstep.cli``, ``deepstep.sklearn``, ``deepstep.network`` ...: the modules of the old flat paths."""
    if name in _aliases.OLD_PATHS:
        return _aliases.module(name)
    raise AttributeError(f"module 'deepstep' has no attribute {name!r}")

load_model = DeepNetwork.load

__all__ = [
    "__version__",
    "ACTIVATIONS",
    "Activation",
    "DeepNetwork",
    "DeepstepError",
    "History",
    "LRFind",
    "lr_find",
    "ModelFileError",
    "TrainingDiverged",
    "check",
    "CheckReport",
    "compute_cost",
    "L_model_forward",
    "L_model_backward",
    "initialize_parameters_deep",
    "sigmoid_backward",
    "relu_backward",
    "random_mini_batches",
    "update_lr",
    "schedule_lr_decay",
    "update_parameters_with_gd",
    "forward_propagation_with_dropout",
    "backward_propagation_with_dropout",
    "backward_propagation_with_regularization",
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
