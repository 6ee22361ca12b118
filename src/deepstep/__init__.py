"""deepstep: fully-connected deep neural networks from first principles, in NumPy.

Examples are columns: X = A[0] has shape (n[0], m), Y has shape (1, m); layer l
has W[l] of shape (n[l], n[l-1]) and b[l] of shape (n[l], 1).

Where to find what:

* :mod:`deepstep.activations` -- g and g' for sigmoid, tanh, relu, leaky_relu (one registry)
* :mod:`deepstep.initialization` -- random W[l], zero b[l]
* :mod:`deepstep.forward` -- Z = W A_prev + b, A = g(Z)
* :mod:`deepstep.backward` -- dZ, dW, db, dA_prev
* :mod:`deepstep.cost` -- cross-entropy J and dA[L]
* :mod:`deepstep.update` -- W := W - alpha dW
* :mod:`deepstep.network` -- DeepNetwork and its trainer
* :mod:`deepstep.gradcheck` -- centered finite differences
* :mod:`deepstep.model_io` -- model files (.npz + JSON metadata), atomic writes
* :mod:`deepstep.gram` -- the Gram form of the first layer (full-batch fast path)
* :mod:`deepstep.datasets` -- cat pictures, planar and other 2-D toys, your own files
* :mod:`deepstep.metrics`, :mod:`deepstep.plots` -- confusion matrix, F1; cost curve, decision boundary
* :mod:`deepstep.cli` -- the ``deepstep`` command
"""

from . import datasets, gram, metrics, plots
from .activations import ACTIVATIONS, Activation, get_activation
from .backward import linear_activation_backward, linear_backward, model_backward
from .cost import compute_cost
from .errors import DeepstepError
from .forward import linear_activation_forward, linear_forward, model_forward, predict_forward
from .gradcheck import gradient_check, gradient_check_details
from .initialization import initialize_parameters
from .model_io import load_model
from .network import DeepNetwork, History
from .update import update_parameters

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "DeepNetwork",
    "DeepstepError",
    "History",
    "compute_cost",
    "get_activation",
    "gradient_check",
    "gradient_check_details",
    "initialize_parameters",
    "load_model",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
    "model_backward",
    "model_forward",
    "predict_forward",
    "update_parameters",
    "datasets",
    "gram",
    "metrics",
    "plots",
]
