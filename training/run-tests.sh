#!/usr/bin/env bash
# Python side of the test suite (CI: npm run test:python). Uses Debian's interpreter (torch, onnx, numpy, pytest
# from apt) and Node's onnxruntime-node (node_modules) to run the exported ONNX graphs.
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
if ! "$PY" -c "import torch, onnx, numpy, pytest" 2>/dev/null; then
  echo "training/run-tests.sh: $PY lacks torch/onnx/numpy/pytest" >&2
  echo "  apt-get install -y --no-install-recommends python3-torch python3-onnx python3-numpy python3-pytest libopenblas0-pthread" >&2
  exit 1
fi
if [ ! -d node_modules/onnxruntime-node ]; then
  echo "training/run-tests.sh: node_modules/onnxruntime-node missing (run npm ci first)" >&2
  exit 1
fi
"$PY" -m pytest -q -p no:cacheprovider training/tests "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "training/run-tests.sh: pytest collected no tests; that is a failure here" >&2
  exit 1
fi
exit "$rc"
