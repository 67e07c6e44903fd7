"""The shipped demo model in public/models/beauty must match its manifest and stay within the size budget."""
import json
import os

import pytest

from training import lsim
from training.export import sha256

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BEAUTY = os.path.join(ROOT, "public", "models", "beauty")
BUDGET = 3 * 1024 * 1024  # encoder + item matrix + text tower


@pytest.mark.skipif(not os.path.isdir(BEAUTY), reason="no shipped model yet")
def test_shipped_beauty_model_is_consistent():
    man = json.load(open(os.path.join(BEAUTY, "manifest.json")))
    for name, digest in man["sha256"].items():
        assert sha256(os.path.join(BEAUTY, name)) == digest, f"{name} does not match manifest.json"
    assert not os.path.exists(os.path.join(BEAUTY, "encoder.fp32.onnx"))
    items = lsim.read(os.path.join(BEAUTY, man["files"]["items"]))
    assert items.shape == (man["numItems"], man["dim"])
    cat = json.load(open(os.path.join(BEAUTY, "catalog.json"), encoding="utf-8"))
    assert len(cat["items"]) == man["numItems"]
    size = sum(os.path.getsize(os.path.join(BEAUTY, f))
               for f in ("encoder.int8.onnx", "items.lsim", "text/onnx/model_quantized.onnx"))
    assert size <= BUDGET, f"{size} bytes > 3 MiB budget"
    assert os.path.isfile(os.path.join(BEAUTY, "ATTRIBUTION.md"))


def test_no_movielens_artifacts_in_public():
    for dirpath, _dirs, files in os.walk(os.path.join(ROOT, "public")):
        assert "ml1m" not in dirpath.lower() and "movielens" not in dirpath.lower(), dirpath
