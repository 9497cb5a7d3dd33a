"""Export a trained network (or a chainrule.sklearn estimator) to ONNX.

Each Dense layer becomes ``Gemm(a, W, b, transB=1)`` (z = a·Wᵀ + b, W of
shape (n_out, n_in) as stored) followed by its activation (``Sigmoid``,
``Tanh``, ``Relu``, ``LeakyRelu``, ``Exp``, ``Softmax`` on axis 1; identity adds no
node). A network's ``input_scale`` s is a ``Mul`` of X by s before the first
``Gemm`` (the input stays float32: pass the pixel values 0..255 as floats).
The model is float32 whatever the network's dtype.

Graph inputs and outputs:

- :class:`chainrule.Network`: input ``X`` (N, n_inputs) float32, output
  ``output`` (N, n_outputs): what ``predict`` returns.
- ``MLPRegressor``: output ``predictions`` (N, n_targets) (``predict``
  returns it raveled when fitted on 1-D y).
- ``MLPClassifier``: outputs ``label`` (N,) (or (N, n_classes) 0/1 for
  multi-label) and ``probabilities`` (N, n_classes), equal to ``predict``
  and ``predict_proba``.

Limits: the export needs the optional packages ``onnx`` (and, to run the
model, ``onnxruntime``): ``pip install "chainrule[onnx]"``. Only what
``predict`` computes is exported (dropout is training-only and has no
node); the model computes in float32, so it matches a float64 network to
about 1e-6, not bit for bit; class labels must be integers, floats or strings.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .core.network import Network

__all__ = ["export_onnx"]

#: The ONNX operator set the models use (ONNX 1.12+, onnxruntime 1.13+).
OPSET = 17

_LIMITS = (
    "export_onnx writes dense feedforward networks (every chainrule activation) as float32 "
    "models; dropout is training-only and not exported; class labels must be integers, "
    "floats or strings"
)


def _import_onnx():
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:
        raise ImportError(
            "export_onnx needs the optional package 'onnx' (and 'onnxruntime' to run the model); "
            'install them with: pip install "chainrule[onnx]" (or pip install onnx onnxruntime). '
            f"Limits of the export: {_LIMITS}. ({exc})"
        ) from None
    return onnx, TensorProto, helper, numpy_helper


def _network_of(model: Any) -> tuple[Network, Any]:
    if isinstance(model, Network):
        return model, None
    # A chainrule.sklearn estimator, recognised by its module (this leaf does not import the sklearn leaf).
    if any(cls.__module__ == "chainrule.sklearn" for cls in type(model).__mro__):
        network = getattr(model, "network_", None)
        if not isinstance(network, Network):
            raise ValueError(f"{type(model).__name__} is not fitted yet; call fit before export_onnx")
        return network, model
    raise TypeError(
        "export_onnx takes a chainrule.Network or a fitted chainrule.sklearn MLPClassifier/MLPRegressor; "
        f"got {type(model).__name__}. Limits of the export: {_LIMITS}"
    )


def export_onnx(model: Any, path: str | os.PathLike | None = None):
    """Write ``model`` as an ONNX file at ``path``; returns the ``onnx.ModelProto``.

    Parameters
    ----------
    model : Network, MLPClassifier or MLPRegressor
        A network, or a fitted chainrule.sklearn estimator.
    path : str or path-like, optional
        Where to write the ``.onnx`` file; ``None`` only returns the model.

    Returns
    -------
    onnx.ModelProto
        Checked with ``onnx.checker.check_model``. Input ``X`` float32 of
        shape (N, n_features); outputs as described in :mod:`chainrule.onnx_export`.

    Raises
    ------
    ImportError
        Without the optional ``onnx`` package, with the command that installs it.
    TypeError
        For anything but a Network or a chainrule.sklearn estimator.
    """
    net, estimator = _network_of(model)
    onnx, TensorProto, helper, numpy_helper = _import_onnx()
    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    a = "X"
    if net.input_scale is not None:  # a₀ = s·X, as the network's forward pass begins
        nodes.append(
            helper.make_node("Mul", [a, const("input_scale", np.array(net.input_scale, np.float32))], ["a_in"])
        )
        a = "a_in"
    for l, layer in enumerate(net.layers):
        w = const(f"W{l}", layer.weights.astype(np.float32))
        inputs = [a, w] + ([const(f"b{l}", layer.bias.astype(np.float32))] if layer.bias is not None else [])
        z = f"z{l}"
        nodes.append(helper.make_node("Gemm", inputs, [z], name=f"dense{l}", transB=1))
        act = layer.activation
        a = f"a{l}"
        if act.name == "sigmoid":
            nodes.append(helper.make_node("Sigmoid", [z], [a]))
        elif act.name == "tanh":
            nodes.append(helper.make_node("Tanh", [z], [a]))
        elif act.name == "relu":
            nodes.append(helper.make_node("Relu", [z], [a]))
        elif act.name == "leaky_relu":
            nodes.append(helper.make_node("LeakyRelu", [z], [a], alpha=float(act.negative_slope)))
        elif act.name == "softmax":
            nodes.append(helper.make_node("Softmax", [z], [a], axis=1))
        elif act.name == "exp":
            nodes.append(helper.make_node("Exp", [z], [a]))
        elif act.name == "identity":
            a = z
        else:
            raise ValueError(f"export_onnx cannot write activation {act.name!r}. Limits of the export: {_LIMITS}")

    float_out = lambda name, k: helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", k])  # noqa: E731
    if getattr(estimator, "_is_classifier", False):
        outputs = _classifier_head(estimator, a, nodes, const, helper, TensorProto, float_out)
    else:
        name = "predictions" if estimator is not None else "output"
        nodes.append(helper.make_node("Identity", [a], [name]))
        outputs = [float_out(name, net.n_outputs)]

    graph = helper.make_graph(
        nodes,
        "chainrule",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", net.n_inputs])],
        outputs,
        initializer=inits,
    )
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="chainrule", doc_string=repr(net)
    )
    onnx_model.ir_version = 8  # the oldest IR of opset 17: readable by older runtimes too
    onnx.checker.check_model(onnx_model, full_check=True)
    if path is not None:
        onnx.save(onnx_model, os.fspath(path))
    return onnx_model


def _classifier_head(clf, a, nodes, const, helper, TensorProto, float_out):
    """Nodes from the output activations ``a`` to ``label`` and ``probabilities``."""
    kind = clf._label_binarizer.y_type_
    classes = np.asarray(clf.classes_)
    n_classes = len(classes)
    if kind == "multilabel-indicator":
        nodes.append(helper.make_node("Identity", [a], ["probabilities"]))
        nodes.append(helper.make_node("Greater", [a, const("half", np.array(0.5, np.float32))], ["is_on"]))
        nodes.append(helper.make_node("Cast", ["is_on"], ["label"], to=TensorProto.INT64))
        return [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N", n_classes]),
            float_out("probabilities", n_classes),
        ]
    if classes.dtype.kind in "iub":
        table, elem = classes.astype(np.int64), TensorProto.INT64
    elif classes.dtype.kind == "f":
        table, elem = classes.astype(np.float64), TensorProto.DOUBLE
    elif classes.dtype.kind in "UO" and all(isinstance(c, str) for c in classes):
        table, elem = classes.astype(object), TensorProto.STRING
    else:
        raise ValueError(
            f"export_onnx cannot write class labels of dtype {classes.dtype}. Limits of the export: {_LIMITS}"
        )
    if kind == "binary":
        # predict_proba is [1 − p, p]; the label is classes_[p > 0.5].
        nodes.append(helper.make_node("Sub", [const("one", np.array(1.0, np.float32)), a], ["p0"]))
        nodes.append(helper.make_node("Concat", ["p0", a], ["probabilities"], axis=1))
        nodes.append(helper.make_node("Greater", [a, const("half", np.array(0.5, np.float32))], ["is_pos"]))
        nodes.append(helper.make_node("Cast", ["is_pos"], ["index2d"], to=TensorProto.INT64))
        nodes.append(helper.make_node("Reshape", ["index2d", const("flat", np.array([-1], np.int64))], ["index"]))
    else:
        nodes.append(helper.make_node("Identity", [a], ["probabilities"]))
        nodes.append(helper.make_node("ArgMax", [a], ["index"], axis=1, keepdims=0))
    classes_name = "classes"
    if elem == TensorProto.STRING:
        from onnx import helper as h

        tensor = h.make_tensor(classes_name, TensorProto.STRING, [n_classes], [str(c).encode("utf-8") for c in table])
        nodes.insert(0, h.make_node("Constant", [], [classes_name], value=tensor))
    else:
        const(classes_name, table)
    nodes.append(helper.make_node("Gather", [classes_name, "index"], ["label"], axis=0))
    return [helper.make_tensor_value_info("label", elem, ["N"]), float_out("probabilities", n_classes)]
