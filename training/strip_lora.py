"""The encoder without its LoRA branch: what the engine runs while no adapter with LoRA tensors is active
(``encoder.base.int8.onnx`` of a model folder, docs/artifacts.md; training/export.py writes it).

    /usr/bin/python3 -m training.strip_lora public/models/beauty/encoder.int8.onnx public/models/beauty/encoder.base.int8.onnx

Every adapted projection in the exported graph is ``Add(x·Wᵀ + b, MatMul(MatMul(x, Transpose(A)), Transpose(B)))``
(training/model.py, LoRALinear). With zero A and B the second term is zero, so each such Add is replaced by its
first input; the LoRA graph inputs and every node that only fed them are dropped. Same outputs as the full graph fed
zeros (training/tests/test_export_smoke.py checks it; `npm run bench:encoder` times both). Deterministic: the same
input file gives the same bytes.

It also writes what the engine's own encoder needs to run the graph without onnxruntime
(workers/engine/encoder/, docs/artifacts.md "Encoder description"): a ``localshelf.encoder`` metadata entry, JSON,
naming the initializer of every weight by its role and the architecture's few numbers, read from the graph itself
(dims, heads, epsilon, the two scale constants). When the graph is not the shape it describes, the entry is left
out and the engine runs the graph in onnxruntime.
"""
import json
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper

SPEC_KEY = "localshelf.encoder"
SPEC_FORMAT = "localshelf-sasrec/1"
SPEC_FORMAT_REL = "localshelf-sasrec/2"  # the same with every block's attention bias by distance (model.Block.rel)
ROLES = ("q", "k", "v", "out", "fc1", "fc2")


def strip(model: onnx.ModelProto) -> onnx.ModelProto:
    g = model.graph
    lora = {i.name for i in g.input if i.name.startswith("lora.")}
    producer = {o: n for n in g.node for o in n.output}

    def lora_term(name: str) -> bool:
        """``MatMul(·, Transpose(lora.*.B))``: the adapted projection's LoRA term."""
        n = producer.get(name)
        if n is None or n.op_type != "MatMul":
            return False
        t = producer.get(n.input[1])
        return t is not None and t.op_type == "Transpose" and t.input[0] in lora

    rename = {}
    keep = []
    for n in g.node:
        if n.op_type == "Add" and len(n.input) == 2:
            a, b = (lora_term(x) for x in n.input)
            if a != b:  # one side is the LoRA term: the Add becomes its other input
                rename[n.output[0]] = n.input[1] if a else n.input[0]
                continue
        keep.append(n)
    for n in keep:
        for i, x in enumerate(n.input):
            while x in rename:
                x = rename[x]
            n.input[i] = x
    for o in g.output:
        while o.name in rename:
            o.name = rename[o.name]
    # prune what no longer reaches an output
    needed = {o.name for o in g.output}
    live = []
    for n in reversed(keep):
        if any(o in needed for o in n.output):
            live.append(n)
            needed.update(n.input)
    del g.node[:]
    g.node.extend(reversed(live))
    kept_inputs = [i for i in g.input if i.name not in lora]
    del g.input[:]
    g.input.extend(kept_inputs)
    onnx.checker.check_model(model)
    return model


def describe(model: onnx.ModelProto) -> dict:
    """The ``localshelf.encoder`` description of a LoRA-free encoder graph; raises ValueError when the graph is not
    the pre-LN SASRec encoder of training/model.py (then the engine runs it in onnxruntime)."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node
              if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value"}

    def need(name: str) -> str:
        if name not in inits:
            raise ValueError(f"no initializer {name}")
        return name

    pos = inits.get("enc.pos")
    if pos is None or len(pos.dims) != 2:
        raise ValueError("no enc.pos table")
    max_len, dim = int(pos.dims[0]), int(pos.dims[1])
    eps, ops = set(), {n.op_type for n in g.node}
    for n in g.node:
        if n.op_type == "LayerNormalization":
            a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
            if a.get("axis", -1) != -1:
                raise ValueError("LayerNormalization over another axis")
            eps.add(float(a.get("epsilon", 1e-5)))
    if len(eps) != 1 or "Erf" not in ops or {"Tanh", "Sigmoid", "Relu"} & ops:
        raise ValueError("unexpected normalization or activation")
    blocks: dict = {}
    pat = re.compile(r"^/enc/blocks\.(\d+)/(q|k|v|out|fc1|fc2)/MatMul_output_0$")
    for n in g.node:
        if n.op_type != "MatMul":
            continue
        m = pat.match(n.output[0])
        dq = producer.get(n.input[1])
        if not m or dq is None or dq.op_type != "DequantizeLinear":
            continue
        b, role = int(m.group(1)), m.group(2)
        axis = {x.name: onnx.helper.get_attribute_value(x) for x in dq.attribute}.get("axis", 1)
        w = inits[dq.input[0]]
        zp = numpy_helper.to_array(inits[dq.input[2]])
        if axis != 1 or len(w.dims) != 2 or w.data_type != onnx.TensorProto.INT8 or np.any(zp != 0):
            raise ValueError(f"block {b} {role}: not a symmetric per-column int8 weight")
        blocks.setdefault(b, {})[role] = {"q": dq.input[0], "scale": need(dq.input[1]),
                                          "bias": need(f"enc.blocks.{b}.{role}.bias"), "in": int(w.dims[0]),
                                          "out": int(w.dims[1])}
    if not blocks or sorted(blocks) != list(range(len(blocks))) or any(set(v) != set(ROLES) for v in blocks.values()):
        raise ValueError("not every block has q, k, v, out, fc1, fc2 as int8 MatMuls")
    heads = set()
    for b in blocks:
        for n in g.node:
            if n.op_type == "Reshape" and n.output[0] == f"/enc/blocks.{b}/Reshape_output_0":
                cat = producer.get(n.input[1])
                if cat is not None and cat.op_type == "Concat" and cat.input[2] in consts:
                    heads.add(int(consts[cat.input[2]].reshape(-1)[0]))
    if len(heads) != 1:
        raise ValueError("cannot read the number of heads")
    input_scale = [float(consts[n.input[1]].reshape(-1)[0]) for n in g.node
                   if n.op_type == "Mul" and n.output[0] == "/enc/Mul_output_0" and n.input[1] in consts]
    attn_scale = {float(consts[n.input[1]].reshape(-1)[0]) for n in g.node
                  if n.op_type == "Mul" and re.match(r"^/enc/blocks\.\d+/Mul_output_0$", n.output[0]) and n.input[1] in consts}
    if len(input_scale) != 1 or len(attn_scale) != 1:
        raise ValueError("cannot read the scale constants")
    ev = inits.get("enc.event.weight")
    if ev is None or list(ev.dims)[1:] != [dim]:
        raise ValueError("no event table")
    # table lookups: the event types, and (format 2) each block's attention bias by query-key distance
    rel = {}
    for n in g.node:
        if n.op_type != "Gather" or n.input[0] not in inits or n.input[0] == "enc.event.weight":
            continue
        m = re.match(r"^enc\.blocks\.(\d+)\.rel$", n.input[0])
        t = inits[n.input[0]]
        if not m or list(t.dims) != [max_len] or t.data_type != onnx.TensorProto.FLOAT:
            raise ValueError(f"unexpected table lookup in {n.input[0]}")
        rel[int(m.group(1))] = n.input[0]
    if rel and sorted(rel) != sorted(blocks):
        raise ValueError("an attention bias by distance in some blocks only")
    norm = lambda p: {"weight": need(p + ".weight"), "bias": need(p + ".bias")}  # noqa: E731
    return {
        "format": SPEC_FORMAT_REL if rel else SPEC_FORMAT, "dim": dim, "maxLen": max_len, "heads": heads.pop(), "ffnDim": blocks[0]["fc1"]["out"],
        "eps": eps.pop(), "inputScale": input_scale[0], "attentionScale": attn_scale.pop(),
        "activation": "gelu-erf", "pos": "enc.pos", "event": "enc.event.weight", "final": norm("enc.ln"),
        "blocks": [{"ln1": norm(f"enc.blocks.{b}.ln1"), "ln2": norm(f"enc.blocks.{b}.ln2"),
                    **{r: blocks[b][r] for r in ROLES}, **({"rel": rel[b]} if rel else {})} for b in sorted(blocks)],
    }


def annotate(model: onnx.ModelProto) -> bool:
    """Writes the ``localshelf.encoder`` entry (replacing an old one); False when the graph is not described."""
    keep = [p for p in model.metadata_props if p.key != SPEC_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(keep)
    try:
        spec = describe(model)
    except (ValueError, KeyError, IndexError) as e:
        print(f"strip_lora: no {SPEC_KEY} entry ({e}); the engine runs this graph in onnxruntime", file=sys.stderr)
        return False
    onnx.helper.set_model_props(model, {**{p.key: p.value for p in keep},
                                        SPEC_KEY: json.dumps(spec, separators=(",", ":"), sort_keys=True)})
    return True


def strip_file(src: str, dst: str) -> onnx.ModelProto:
    m = strip(onnx.load(src))
    annotate(m)
    onnx.save(m, dst)
    return m


if __name__ == "__main__":
    m = strip_file(sys.argv[1], sys.argv[2])
    print(f"{sys.argv[2]}: {len(m.graph.node)} nodes, inputs {[i.name for i in m.graph.input]}")
