"""ARCHITECTURE.md's rules, read off the code: who may import whom (lower parts never import higher ones, at module
level, inside functions or for type checking alike), no import circle between files, and every old flat path
deepstep.X still importable as the module at its home."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import deepstep
from deepstep._aliases import OLD_PATHS

SRC = Path(deepstep.__file__).parent
LAYERS = {"base": 0, "core": 1, "data": 2, "training": 3, "model": 4, "report": 5, "apps": 6}
BASE = {"errors", "limits", "extras", "atomic", "_version"}
TOP = {"__init__", "__main__", "_aliases"}  # the package's front door: may import every part


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["deepstep", *parts])


def layer_of(name: str) -> int | None:
    """The layer of a module deepstep.<...>; None for the front door."""
    parts = name.split(".")[1:]
    if not parts or (len(parts) == 1 and parts[0] in TOP):
        return None
    if parts[0] in BASE:
        return LAYERS["base"]
    return LAYERS[parts[0]]


def imports_of(path: Path) -> set[str]:
    """Every deepstep module this file imports, wherever the import stands."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("deepstep"):
                continue
            for alias in node.names:  # "from . import x" names a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if (SRC / Path(*candidate.split(".")[1:])).with_suffix(".py").exists()
                          or (SRC / Path(*candidate.split(".")[1:]) / "__init__.py").exists() else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("deepstep"))
    return found


SOURCES = sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_part_imports_a_higher_one(path):
    mine = layer_of(module_name(path))
    if mine is None:
        return
    for target in imports_of(path):
        theirs = layer_of(target)
        assert theirs is not None and theirs <= mine, f"{module_name(path)} imports {target}"


def test_no_import_circle_between_files():
    graph = {module_name(p): {t for t in imports_of(p) if t != module_name(p)} for p in SOURCES
             if layer_of(module_name(p)) is not None}
    # a package's __init__ re-exporting its own modules is not a circle with them
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph.items()}
    seen: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for nxt in graph.get(node, ()):
            if seen.get(nxt) == 1:
                raise AssertionError(" -> ".join([*stack[stack.index(nxt):], nxt]) if nxt in stack else nxt)
            if nxt not in seen:
                visit(nxt, [*stack, nxt])
        seen[node] = 2

    for node in graph:
        if node not in seen:
            visit(node, [node])


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_every_old_path_is_the_module_at_its_home(old):
    module = importlib.import_module(f"deepstep.{old}")
    assert module is importlib.import_module(f"deepstep.{OLD_PATHS[old]}")


def test_the_old_command_modules_run_and_export_as_in_0_2():
    """``python -m deepstep.cli`` ran the command in 0.2 and still does; its public names import."""
    import subprocess
    import sys

    from deepstep.cli import cmd_demo, cmd_gradcheck, cmd_info, main  # noqa: F401

    done = subprocess.run([sys.executable, "-m", "deepstep.cli", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("deepstep "), done.stderr
    done = subprocess.run([sys.executable, "-m", "deepstep.playground"], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr  # imported and ran nothing, as in 0.2


@pytest.mark.parametrize("hidden", ["leaky_relu", "leaky_relu:0.2", "tanh", "elu"])
def test_networks_pickle_whatever_their_activation(hidden):
    import pickle

    import numpy as np

    net = deepstep.DeepNetwork([2, 3, 1], hidden, rng=0)
    back = pickle.loads(pickle.dumps(net))
    X = np.random.default_rng(0).normal(size=(2, 5))
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))
    assert back.hidden_activation == net.hidden_activation
