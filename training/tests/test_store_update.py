"""The update command (training/store/update.py) on a small synthetic store cut in time: the base trained on the
earlier events, the update on the later ones with products launched in between. The file is a format-2 .lsad
within its byte budget, bound to the base's encoder and items.lsim, read the same way by the Python reader and the
browser's parser; new products get rows and catalog entries, untouched rows stay the base's int8 rows bit for bit."""
import csv
import json
import os
import subprocess

import numpy as np
import pytest

from training import lsim
from training.adapter import parse_lsad
from training.store import cli, synth, update as store_update
from training.update import apply_update, model_folder_bytes

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _write(path, rows, fields):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(fields), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    d = tmp_path_factory.mktemp("update")
    g = synth.generate(str(d / "log"), users=800, items=300, seed=2, launches=0.1)
    events = list(csv.DictReader(open(g["events"])))
    catalog = list(csv.DictReader(open(g["catalog"])))
    events.sort(key=lambda e: e["timestamp"])
    k = int(len(events) * 0.8)
    early, late = events[:k], events[k:]
    seen = {e["item_id"] for e in early}
    new = sorted({e["item_id"] for e in late} - seen)
    assert new, "the synthetic log launches products in the later window"
    gone = next(c["item_id"] for c in catalog if c["item_id"] in seen)  # dropped: in the base, not in the catalog now
    _write(d / "early.csv", early, events[0].keys())
    _write(d / "late.csv", late, events[0].keys())
    _write(d / "base-catalog.csv", [c for c in catalog if c["item_id"] not in new], catalog[0].keys())
    _write(d / "catalog.csv", [c for c in catalog if c["item_id"] != gone], catalog[0].keys())
    base = str(d / "base")
    assert cli.main(["--events", str(d / "early.csv"), "--catalog", str(d / "base-catalog.csv"), "--out", base,
                     "--epochs", "2", "--skip-onnx-eval", "--quiet"]) == 0
    out = str(d / "u.lsad")
    assert store_update.main(["--base", base, "--events", str(d / "late.csv"), "--catalog", str(d / "catalog.csv"),
                              "--version", "3", "--out", out, "--time-budget-min", "0.3", "--budget", "0.05",
                              "--quiet"]) == 0
    return {"dir": d, "base": base, "out": out, "new": new, "gone": gone}


def test_file_fits_the_budget_and_the_base(cut):
    manifest = json.load(open(os.path.join(cut["base"], "manifest.json")))
    blob = open(cut["out"], "rb").read()
    info = json.load(open(cut["out"] + ".json"))
    assert blob[4] == 2 and info["bytes"] == len(blob)
    assert len(blob) <= 0.05 * model_folder_bytes(cut["base"], manifest)
    header, tensors = parse_lsad(blob, manifest)
    assert header["adapterVersion"] == 3
    assert header["baseModel"] == manifest["sha256"]["encoder.int8.onnx"]
    assert header["baseItems"] == manifest["sha256"]["items.lsim"]
    assert [e["id"] for e in header["newItems"]] == [i for i in cut["new"]]  # catalog order = SKU order here
    assert all(e["title"] and e["popularity"] >= 1 for e in header["newItems"])
    n, m = manifest["numItems"], len(cut["new"])
    assert tensors["item_bias"].shape == (n + m,)
    rows = tensors["items.rows"]
    assert np.all(np.diff(rows) > 0) and rows.max() < n
    assert tensors["items.q"].shape == (len(rows) + m, manifest["dim"])
    base_ids = json.load(open(os.path.join(cut["base"], "catalog.json")))["items"]
    assert [base_ids[r]["id"] for r in tensors["items.removed"]] == [cut["gone"]]


def test_shipped_rows_and_untouched_rows(cut):
    header, tensors = parse_lsad(open(cut["out"], "rb").read())
    base = lsim.read(os.path.join(cut["base"], "items.lsim"))
    table, bias, removed = apply_update(base, header, tensors)
    n = len(base)
    untouched = np.setdiff1d(np.arange(n), tensors["items.rows"])
    assert np.array_equal(table[untouched], base[untouched])  # bit for bit: the int8 rows the browser has
    assert np.abs(table[n:]).sum(axis=1).min() > 0  # new products have rows (text tower + trained delta)
    assert removed.sum() == 1 and bias.shape == (len(table),)


def test_browser_parser_reads_it_alike(cut, tmp_path):
    """workers/adapters/format.ts (what the page runs after the signed checks) with the base's binding."""
    manifest = os.path.join(cut["base"], "manifest.json")
    script = tmp_path / "parse.ts"
    script.write_text(
        "import { readFileSync } from 'node:fs';\n"
        f"import {{ parseAdapter }} from '{ROOT}/workers/adapters/format.ts';\n"
        "const m = JSON.parse(readFileSync(process.argv[3], 'utf8'));\n"
        "const ids = new Set(JSON.parse(readFileSync(process.argv[4], 'utf8')).items.map((i: { id: string }) => i.id));\n"
        "const p = parseAdapter(new Uint8Array(readFileSync(process.argv[2])), { lora: m.lora, numItems: m.numItems, dim: m.dim,"
        " baseItems: m.sha256['items.lsim'], hasItem: (id: string) => ids.has(id) });\n"
        "const it = p.items!;\n"
        "console.log(JSON.stringify({ rows: Array.from(it.rows), removed: Array.from(it.removed), q: it.q.reduce((a, b) => a + b, 0),"
        " scales: it.scales.reduce((a, b) => a + b, 0), ids: it.newItems.map((e) => e.id), bias: p.tensors.get('item_bias')!.dims }));\n")
    res = subprocess.run([os.path.join(ROOT, "node_modules", ".bin", "tsx"), str(script), cut["out"], manifest,
                          os.path.join(cut["base"], "catalog.json")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    _, t = parse_lsad(open(cut["out"], "rb").read())
    assert got["rows"] == t["items.rows"].tolist() and got["removed"] == t["items.removed"].tolist()
    assert got["q"] == int(t["items.q"].astype(np.int64).sum())
    assert got["scales"] == pytest.approx(float(t["items.scale"].astype(np.float64).sum()), rel=1e-5)
    assert got["ids"] == cut["new"] and got["bias"] == [len(t["item_bias"])]


def test_node_entry_dispatches_update(cut, tmp_path):
    res = subprocess.run(["node", os.path.join(ROOT, "bin", "localshelf-train.mjs"), "update", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "localshelf-train update" in res.stdout
