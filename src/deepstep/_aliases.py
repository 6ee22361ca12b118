"""The module paths of deepstep 0.2, when it was one flat package, kept working.

``import deepstep.network`` gives the module ``deepstep.model.network`` itself (the same object, so a test that
patches a module global patches the module that defines it); :data:`OLD_PATHS` is the map from each old path to
its home (``deepstep.training`` is now the package of the loop and the callbacks, and holds the names of the old
module).  Modules the package imports anyway are registered at once; the others (the command line, the
playground, the estimators) are loaded only when asked for, through a finder on ``sys.meta_path``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

OLD_PATHS = {
    "activations": "core.activations", "engine": "core.engine", "forward": "core.forward",
    "backward": "core.backward", "cost": "core.cost", "tasks": "core.tasks", "initialization": "core.initialization",
    "parameters": "core.parameters", "optimizers": "core.optimizers", "update": "core.update",
    "schedules": "core.schedules", "gram": "core.gram", "gradcheck": "core.gradcheck",
    "datasets": "data.datasets", "standardize": "data.standardize",
    "callbacks": "training.callbacks",
    "network": "model.network", "model_io": "model.files", "export": "model.export",
    "metrics": "report.metrics", "plots": "report.plots", "diagnostics": "report.diagnostics",
    "cli": "apps.cli", "learn_command": "apps.cli.learn", "sweep_command": "apps.cli.sweep",
    "sweep": "apps.sweep", "explain": "apps.explain", "playground": "apps.playground", "sklearn": "apps.sklearn",
    "vectorize": "apps.vectorize",
}
"""old module name under ``deepstep`` -> its home under ``deepstep``."""

_PREFIX = "deepstep."


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``deepstep.<old name>`` and loads it as the module at its new home."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.startswith(_PREFIX) and fullname[len(_PREFIX):] in OLD_PATHS:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> ModuleType:
        return importlib.import_module(_PREFIX + OLD_PATHS[spec.name[len(_PREFIX):]])

    def exec_module(self, module: ModuleType) -> None:  # the module at its home is already executed
        return None

    def get_code(self, fullname: str) -> Any:
        """``python -m deepstep.<old name>``: runs the module at its home (its ``__main__`` for a package) as
        ``__main__``, in its own package, as 0.2 ran the old one."""
        target = _PREFIX + OLD_PATHS[fullname[len(_PREFIX):]]
        return compile(f"import runpy\nrunpy.run_module({target!r}, run_name='__main__', alter_sys=True)\n",
                       f"<{fullname}: {target}>", "exec")


def install() -> None:
    """Register the old paths of the modules already imported, and the finder for the rest (once)."""
    for old, new in OLD_PATHS.items():
        module = sys.modules.get(_PREFIX + new)
        if module is not None:
            sys.modules.setdefault(_PREFIX + old, module)
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.append(_OldPaths())


def module(old: str) -> ModuleType:
    """The module an old path names (for ``deepstep.__getattr__``)."""
    return importlib.import_module(_PREFIX + OLD_PATHS[old])
