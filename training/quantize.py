"""Weights-only int8 quantization with the onnx Python API (onnxruntime.quantization is not available here).

* ``MatMul``/``Gemm`` whose weight is an fp32 initializer: the weight becomes int8 + per-output-channel fp32 scale,
  dequantized in the graph by ``DequantizeLinear`` (symmetric, zero point 0).
* ``Gather`` from an fp32 2-D initializer (an embedding table): int8 table + per-row scale; the graph gathers the
  int8 rows and their scales, then multiplies (only the looked-up rows are dequantized).
Activations stay fp32.
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _sym_int8(w: np.ndarray, axis: int):
    """Symmetric per-channel int8 along ``axis`` (the kept axis)."""
    red = tuple(i for i in range(w.ndim) if i != axis)
    s = (np.abs(w).max(axis=red) / 127.0).astype(np.float32)
    safe = np.where(s > 0, s, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / safe.reshape(shape)), -127, 127).astype(np.int8)
    return q, safe


def quantize_model(model: onnx.ModelProto, min_elements: int = 256, gather: bool = False) -> onnx.ModelProto:
    """``gather``: also quantize embedding tables read by ``Gather`` (the text tower's token table)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    g = model.graph
    inits: Dict[str, onnx.TensorProto] = {t.name: t for t in g.initializer}
    consumers: Dict[str, int] = {}
    for n in g.node:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    new_nodes = []
    removed = set()
    for node in g.node:
        wname = None
        axis = None
        if node.op_type == "MatMul" and node.input[1] in inits:
            wname, axis = node.input[1], 1  # [in, out]: output channels on axis 1
        elif node.op_type == "Gemm" and node.input[1] in inits:
            trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
            wname, axis = node.input[1], 0 if trans_b else 1
        elif gather and node.op_type == "Gather" and node.input[0] in inits:
            ax = next((a.i for a in node.attribute if a.name == "axis"), 0)
            w = inits[node.input[0]]
            if ax == 0 and len(w.dims) == 2 and w.data_type == TensorProto.FLOAT and consumers[node.input[0]] == 1 \
                    and int(np.prod(w.dims)) >= min_elements:
                arr = numpy_helper.to_array(w)
                q, s = _sym_int8(arr, 0)
                base = node.input[0]
                g.initializer.extend([numpy_helper.from_array(q, base + "_q"), numpy_helper.from_array(s, base + "_scale")])
                removed.add(base)
                out = node.output[0]
                new_nodes += [
                    helper.make_node("Gather", [base + "_q", node.input[1]], [out + "_q"], axis=0),
                    helper.make_node("Gather", [base + "_scale", node.input[1]], [out + "_s"], axis=0),
                    helper.make_node("Cast", [out + "_q"], [out + "_qf"], to=TensorProto.FLOAT),
                    helper.make_node("Unsqueeze", [out + "_s", base + "_axes"], [out + "_s1"]),
                    helper.make_node("Mul", [out + "_qf", out + "_s1"], [out]),
                ]
                g.initializer.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), base + "_axes"))
                continue
        if wname is not None:
            w = inits[wname]
            if w.data_type == TensorProto.FLOAT and len(w.dims) == 2 and int(np.prod(w.dims)) >= min_elements \
                    and consumers[wname] == 1:
                arr = numpy_helper.to_array(w)
                q, s = _sym_int8(arr, axis)
                g.initializer.extend([
                    numpy_helper.from_array(q, wname + "_q"),
                    numpy_helper.from_array(s, wname + "_scale"),
                    numpy_helper.from_array(np.zeros_like(s, dtype=np.int8), wname + "_zp"),
                ])
                removed.add(wname)
                new_nodes.append(helper.make_node("DequantizeLinear", [wname + "_q", wname + "_scale", wname + "_zp"],
                                                  [wname + "_deq"], axis=axis))
                node.input[1] = wname + "_deq"
        new_nodes.append(node)
    keep = [t for t in g.initializer if t.name not in removed]
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.node[:]
    g.node.extend(new_nodes)
    onnx.checker.check_model(model)
    return model
