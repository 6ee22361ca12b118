"""Optional extras: import a module that only one feature needs, or say which ``pip install`` brings it.

NumPy is the engine's one requirement; h5py and Pillow (``data``), matplotlib (``plot``),
tqdm (``progress``), scikit-learn (``sklearn``), onnx/onnxruntime (``onnx``) and Dask's distributed
(``cluster``) are extras.

>>> from deepstep.extras import require
>>> require("math", extra="none", feature="this doctest").sqrt(4.0)
2.0
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import DeepstepError

__all__ = ["MissingExtra", "require"]


class MissingExtra(DeepstepError):
    """An optional package a feature needs is not installed; the message says which pip install brings it."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """``import module``, or :class:`MissingExtra` naming ``pip install 'deepstep[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtra(f"{feature}: needs {top}, which is not installed; install it with "
                           f"pip install 'deepstep[{extra}]'") from None
