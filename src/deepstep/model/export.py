"""Models that run anywhere: a trained network as a standard ONNX graph.

The graph takes the examples batch-major, as every ONNX runtime does: an input
named ``"X"`` of shape (N, n[0]) in the model's dtype.  Each layer is one Gemm
node, ``Z = A_prev W^T + b^T``, which is the transpose of the course's
``Z[l] = W[l] A[l-1] + b[l]`` (examples as rows instead of columns), followed by
its activation's node.  The output is A[L]: ``"probabilities"`` of shape
(N, n[L]) for a classifier (sigmoid: the probability of class 1; softmax: one
column per class), ``"values"`` for regression.  A network that standardizes
its inputs exports that too (Sub, Div), so the graph takes raw features.  The
class names, the output activation and deepstep's version are in the model's
metadata (``metadata_props``).

Needs the ``onnx`` package (``pip install 'deepstep[onnx]'``); running the file
needs an ONNX runtime, such as onnxruntime.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path
from ..core.activations import ACTIVATIONS
from ..core.layers import layers_of
from ..errors import DeepstepError
from ..extras import require

__all__ = ["ONNX_OPSET", "ONNX_ACTIVATIONS", "to_onnx", "export_onnx"]

ONNX_OPSET = 17
"""The opset the graphs are written for (Softmax over an axis needs 13 or later)."""

# activation name -> its ONNX form (the entry's own, see deepstep.activations.Activation.onnx)
ONNX_ACTIVATIONS: dict[str, Callable[..., tuple[list, list]]] = {
    name: a.onnx for name, a in ACTIVATIONS.items() if a.onnx is not None}
"""How each activation is written in ONNX; an activation whose entry has no ONNX form cannot be exported (and says
so).  Derived from :data:`deepstep.activations.ACTIVATIONS`."""


def _activation_nodes(onnx: Any, activation: Any, inp: str, out: str, dtype: np.dtype,
                      check_only: bool = False) -> tuple[list, list]:
    if activation.onnx is None:
        raise DeepstepError(f"model: the activation {activation.name!r} has no ONNX form yet, so this model cannot be "
                            f"exported (exportable: {sorted(ONNX_ACTIVATIONS)})")
    return ([], []) if check_only else activation.onnx(onnx, activation.params, inp, out, dtype)


IR_VERSION = 8
"""The ONNX IR version of the files written (onnxruntime has read it for years); it carries opsets up to 18."""


def max_opset(onnx: Any) -> int:
    """The highest default-domain opset that IR version :data:`IR_VERSION` carries, by the installed onnx
    package's own version table (a file declaring a later opset would not load in onnxruntime)."""
    table = getattr(onnx.helper, "VERSION_TABLE", [])
    known = [row[2] for row in table if row[1] <= IR_VERSION]
    return min(max(known, default=ONNX_OPSET), onnx.defs.onnx_opset_version())


def to_onnx(net: Any, opset: int = ONNX_OPSET) -> Any:
    """The network as an ``onnx.ModelProto`` (checked with ``onnx.checker.check_model``).

    Parameters
    ----------
    net : DeepNetwork
    opset : int
        The default-domain opset, from 17 to :func:`max_opset` (18 with IR version 8).
    """
    from .._version import __version__
    from .network import DeepNetwork

    if not isinstance(net, DeepNetwork):
        raise DeepstepError(f"net: expected a DeepNetwork, got {type(net).__name__}")
    onnx = require("onnx", "onnx", "ONNX export")
    highest = max_opset(onnx)
    if isinstance(opset, bool) or not isinstance(opset, int) or not ONNX_OPSET <= opset <= highest:
        raise DeepstepError(f"opset: expected an integer from {ONNX_OPSET} to {highest} (the highest opset of ONNX "
                            f"IR version {IR_VERSION}, which the graphs are written in), got {opset!r}")
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    dtype = net.dtype
    elem = onnx.TensorProto.FLOAT if dtype == np.float32 else onnx.TensorProto.DOUBLE
    nodes, weights = [], []
    A = "X"
    columns = net.metadata.get("columns")
    graph_inputs = [helper.make_tensor_value_info("X", elem, ["N", net.layer_dims[0]])]
    if columns is not None:  # the table's raw columns in, encoded in the graph (see deepstep.data.columns)
        from ..data.columns import TableEncoder, onnx_encoder

        graph_inputs, nodes, weights = onnx_encoder(TableEncoder.from_dict(columns), onnx, dtype, "X")
    standardizer = getattr(net, "standardizer", None)
    if standardizer is not None:
        weights += [numpy_helper.from_array(standardizer.mean.ravel().astype(dtype), "input_mean"),
                    numpy_helper.from_array(standardizer.scale.ravel().astype(dtype), "input_scale")]
        nodes += [helper.make_node("Sub", ["X", "input_mean"], ["X_centered"], name="X_centered"),
                  helper.make_node("Div", ["X_centered", "input_scale"], ["A0"], name="A0")]
        A = "A0"
    L = net.L
    regression = net.output_activation == "linear"
    out_name = "values" if regression else "probabilities"
    for l, layer in enumerate(layers_of(net.parameters, net.hidden, net.output), start=1):  # each kind's own form
        _activation_nodes(onnx, layer.g, f"Z{l}", "check", dtype, check_only=True)
        out = out_name if l == L else f"A{l}"
        if layer.kind == "batch_norm":  # in prediction: the running averages
            more_nodes, more_weights = layer.onnx(onnx, net.parameters, l, A, out, dtype, net.layer_state)
        else:
            more_nodes, more_weights = layer.onnx(onnx, net.parameters, l, A, out, dtype)
        nodes += more_nodes
        weights += more_weights
        A = out
    targets = getattr(net, "target_standardizer", None)
    if targets is not None:  # the network learned standardized targets: the graph gives them in their units
        nodes[-1].output[0] = nodes[-1].name = "values_standardized"
        weights += [numpy_helper.from_array(targets.scale.ravel().astype(dtype), "target_scale"),
                    numpy_helper.from_array(targets.mean.ravel().astype(dtype), "target_mean")]
        nodes += [helper.make_node("Mul", ["values_standardized", "target_scale"], ["values_scaled"],
                                   name="values_scaled"),
                  helper.make_node("Add", ["values_scaled", "target_mean"], ["values"], name="values")]
    graph = helper.make_graph(
        nodes, "deepstep_network",
        graph_inputs,
        [helper.make_tensor_value_info(out_name, elem, ["N", net.layer_dims[-1]])],
        weights,
    )
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("ai.onnx.ml", 1)] if columns else [])
    model = helper.make_model(graph, opset_imports=opsets,
                              producer_name="deepstep", producer_version=__version__)
    model.ir_version = min(model.ir_version, IR_VERSION)  # readable by onnxruntime releases of the last years
    meta = {"deepstep_version": __version__, "layer_dims": json.dumps(net.layer_dims),
            "hidden_activation": net.hidden_activation, "output_activation": net.output_activation,
            "task": "regression" if regression else "classification"}
    classes = net.metadata.get("classes")
    if classes is not None:
        meta["classes"] = json.dumps([str(c) for c in classes])
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(net: Any, path: str | Path, opset: int = ONNX_OPSET) -> Path:
    """Write :func:`to_onnx` of ``net`` to ``path``, atomically (an existing file is replaced only when done).

    Returns
    -------
    Path
        The file written.
    """
    model = to_onnx(net, opset)
    data = model.SerializeToString()
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
