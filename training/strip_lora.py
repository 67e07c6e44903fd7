"""The encoder without its LoRA branch: what the engine runs while no adapter with LoRA tensors is active
(``encoder.base.int8.onnx`` of a model folder, docs/artifacts.md; training/export.py writes it).

    /usr/bin/python3 -m training.strip_lora public/models/beauty/encoder.int8.onnx public/models/beauty/encoder.base.int8.onnx

Every adapted projection in the exported graph is ``Add(x·Wᵀ + b, MatMul(MatMul(x, Transpose(A)), Transpose(B)))``
(training/model.py, LoRALinear). With zero A and B the second term is zero, so each such Add is replaced by its
first input; the LoRA graph inputs and every node that only fed them are dropped. Same outputs as the full graph fed
zeros (training/tests/test_export_smoke.py checks it; `npm run bench:encoder` times both). Deterministic: the same
input file gives the same bytes.
"""
import sys

import onnx


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


def strip_file(src: str, dst: str) -> onnx.ModelProto:
    m = strip(onnx.load(src))
    onnx.save(m, dst)
    return m


if __name__ == "__main__":
    m = strip_file(sys.argv[1], sys.argv[2])
    print(f"{sys.argv[2]}: {len(m.graph.node)} nodes, inputs {[i.name for i in m.graph.input]}")
