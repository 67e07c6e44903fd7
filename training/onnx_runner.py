"""Run an ONNX model from Python through Node's onnxruntime-node (training/tools/run_onnx.mjs)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from typing import Dict

import numpy as np

TOOL = os.path.join(os.path.dirname(__file__), "tools", "run_onnx.mjs")
DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.int64): "int64", np.dtype(np.int32): "int32"}
BACK = {"float32": np.float32, "int64": np.int64, "int32": np.int32}


def run(model_path: str, feeds: Dict[str, np.ndarray], batched=(), batch: int = 1024) -> Dict[str, np.ndarray]:
    """Feeds by name; names in ``batched`` are split along dim 0 into runs of ``batch`` rows."""
    tmp = tempfile.mkdtemp(prefix="onnxrun-")
    try:
        spec: dict = {"__batch": batch}
        for i, (name, arr) in enumerate(feeds.items()):
            arr = np.ascontiguousarray(arr)
            file = f"in{i}.bin"
            arr.astype(arr.dtype.newbyteorder("<")).tofile(os.path.join(tmp, file))
            spec[name] = {"dtype": DTYPES[arr.dtype], "dims": list(arr.shape), "file": file, "batched": name in batched}
        with open(os.path.join(tmp, "feeds.json"), "w") as f:
            json.dump(spec, f)
        proc = subprocess.run(["node", TOOL, os.path.abspath(model_path), tmp], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"onnxruntime-node failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        with open(os.path.join(tmp, "outputs.json")) as f:
            meta = json.load(f)
        meta.pop("__inputs", None)
        return {name: np.fromfile(os.path.join(tmp, m["file"]), dtype=BACK[m["dtype"]]).reshape(m["dims"])
                for name, m in meta.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
