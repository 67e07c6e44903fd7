"""The store command end to end on a small synthetic store: bad rows reported, model folder loadable (hashes,
catalog rows = matrix rows), event types are model input in the exported int8 graph, report and metrics written;
--strict and non-table input fail with file:line; the Node entry runs the same module; DDP = one process."""
import hashlib
import json
import os
import re
import socket
import subprocess

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from training import data, lsim, onnx_runner
from training.store import cli, synth
from training.store.dataset import PrepareOptions, prepare
from training.store.fit import FitOptions, build, fit

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    g = synth.generate(str(d / "in"), users=500, items=250, seed=1, bad_rows=True, image_dim=4)
    out = str(d / "model")
    rc = cli.main(["--events", g["events"], "--catalog", g["catalog"], "--out", out, "--epochs", "2", "--quiet"])
    assert rc == 0
    return {"dir": d, "out": out, **g}


def test_model_folder_is_what_the_browser_loads(store):
    out = store["out"]
    man = json.load(open(os.path.join(out, "manifest.json")))
    for name, digest in man["sha256"].items():
        assert hashlib.sha256(open(os.path.join(out, name), "rb").read()).hexdigest() == digest, name
    items = lsim.read(os.path.join(out, man["files"]["items"]))
    cat = json.load(open(os.path.join(out, "catalog.json")))["items"]
    assert len(cat) == items.shape[0] == man["numItems"] == 251  # 250 + the bad-price row (kept)
    assert man["eventTypes"] == ["view", "click", "add_to_cart", "purchase"] and "encoder.fp32.onnx" not in man["sha256"]
    first = cat[0]
    assert first["category"].count(">") == 2 and "price" in first and first["attrs"]["color"]
    assert first["text"].startswith(first["title"])
    assert not os.path.exists(os.path.join(out, "sequences.npz"))  # the prepared log stays in the work folder
    assert os.path.exists(os.path.join(out + ".work", "data", "sequences.npz"))


def test_event_types_are_input_of_the_exported_graph(store):
    out = store["out"]
    man = json.load(open(os.path.join(out, "manifest.json")))
    table = lsim.read(os.path.join(out, "items.lsim"))
    rows = np.array([[3, 17, 42, 99, 5]])
    x = np.zeros((2, man["maxLen"], man["dim"]), np.float32)
    x[:, -5:] = table[rows[0]]
    et = np.zeros((2, man["maxLen"]), np.int64)
    et[0, -5:], et[1, -5:] = 1, 4  # the same items, viewed vs purchased
    feeds = {"item_vectors": x, "event_types": et}
    for t in man["lora"]["targets"]:
        feeds[f"lora.{t['name']}.A"] = np.zeros((man["lora"]["rank"], t["in"]), np.float32)
        feeds[f"lora.{t['name']}.B"] = np.zeros((t["out"], man["lora"]["rank"]), np.float32)
    u = onnx_runner.run(os.path.join(out, "encoder.int8.onnx"), feeds)["user_vector"]
    assert np.abs(u[0] - u[1]).max() > 1e-3


def test_report_and_metrics(store):
    m = json.load(open(os.path.join(store["out"], "metrics.json")))
    onnx, pt = m["onnx"]["test"]["exclude_history"], m["pytorch"]["test"]["exclude_history"]
    assert abs(onnx["NDCG@10"] - pt["NDCG@10"]) < 0.02  # int8 export ~ PyTorch
    assert m["baselines"]["popular"]["users"] == m["pytorch"]["test"]["users"] > 100
    target_types = set(m["onnx"]["test"]["by_target_type"])
    assert "view" in target_types and target_types <= {"view", "click", "add_to_cart", "purchase"}
    assert m["train"]["typed"] and m["train"]["epochs"] == 2
    refit = m["train"]["refit"]  # the default: the decay (from 70 % of the steps) trained on the validation targets too
    assert refit["targets"] > 0 and m["pytorch"]["valid"]["exclude_history"]["NDCG@10"] == m["train"]["best_valid"]
    report = open(os.path.join(store["out"], "report.md")).read()
    for code in ("unknown_item", "bad_timestamp", "unknown_event_type", "malformed_row", "not_utf8",
                 "missing_value", "duplicate_item", "bad_price", "no_text"):
        assert code in report, code
    assert "events.csv:" in report
    assert "| int8 as exported | " in report and "trained on these targets |" in report
    assert "| final phase (refit) | from epoch " in report
    # the rows carry this run's figures, not just their labels
    for label, fig in (("this model, int8 as exported", m["onnx"]["test"]), ("most popular", m["baselines"]["popular"]),
                       ("item-to-item co-occurrence", m["baselines"]["cooccur"])):
        x = fig["exclude_history"]
        assert f"{label}** (onnxruntime-node) | " in report or f"| {label} | " in report, label
        assert f"| {fig['users']:,} | {x['HR@10']:.4f} | {x['NDCG@10']:.4f} |" in report, label


def test_strict_and_not_a_table_fail_with_file_and_line(store, tmp_path, capsys):
    rc = cli.main(["--events", store["events"], "--catalog", store["catalog"], "--out", str(tmp_path / "m"),
                   "--strict", "--validate-only"])
    err = capsys.readouterr().err
    assert rc == 2 and re.search(r"catalog\.csv:\d+: .+ \[[a-z_]+\]", err), err  # the catalog's first bad row (strict)
    bad = tmp_path / "events.xlsx"
    bad.write_bytes(b"PK\x03\x04\x00\x00binary")
    rc = cli.main(["--events", str(bad), "--catalog", store["catalog"], "--out", str(tmp_path / "m2"), "--validate-only"])
    assert rc == 2 and "events.xlsx: the file contains NUL bytes" in capsys.readouterr().err


def test_node_entry_runs_the_python_module(store, tmp_path):
    r = subprocess.run(["node", os.path.join(ROOT, "bin", "localshelf-train.mjs"), "--events", store["events"],
                        "--catalog", store["catalog"], "--out", str(tmp_path / "m"), "--validate-only"],
                       capture_output=True, text=True, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "events kept" in r.stderr and "unknown_item" in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fit(folder: str, path: str) -> None:
    ds = data.load("store:" + folder)
    recipe = ds.extra["recipe"]
    recipe.dropout = 0.0  # dropout masks differ between one and two processes
    res = fit(ds, recipe, FitOptions(threads=1, max_steps=3, seed=3, epochs=1), lambda rec: None)
    if res:
        torch.save(res["model"].state_dict(), path)


def _ddp_worker(rank: int, world: int, port: int, folder: str, path: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world))
    import torch.distributed as dist
    from training.store.fit import init_distributed
    init_distributed(torch.device("cpu"))
    _fit(folder, path)
    dist.destroy_process_group()


def test_two_processes_match_one_process(store, tmp_path):
    folder = str(tmp_path / "data")
    prepare(PrepareOptions(events=store["events"], catalog=store["catalog"], out=folder))
    _fit(folder, str(tmp_path / "one.pt"))
    mp.spawn(_ddp_worker, args=(2, _free_port(), folder, str(tmp_path / "two.pt")), nprocs=2, join=True)
    a, b = torch.load(str(tmp_path / "one.pt")), torch.load(str(tmp_path / "two.pt"))
    for k in a:
        if k.endswith(".k.bias"):  # zero true gradient (softmax shift invariance): Adam amplifies rounding noise
            continue
        # Adam divides by sqrt(v): an element whose gradient is ~0 turns float rounding (a sum over 2 processes
        # vs 1) into a visible step. 1e-4 is 10x below the least movement asserted below.
        torch.testing.assert_close(b[k], a[k], atol=1e-4, rtol=1e-3, msg=lambda m: f"{k}: {m}")
    assert a["encoder.event.weight"].abs().max() > 1e-4  # typed log: the event-type table trained
    ds = data.load("store:" + folder)
    torch.manual_seed(3)
    init = build(ds, ds.extra["recipe"], True).state_dict()  # not vacuous: 3 steps moved the weights beyond tolerance
    assert (a["encoder.blocks.0.q.weight"] - init["encoder.blocks.0.q.weight"]).abs().max() > 1e-3
    assert (a["items.image_proj.weight"] - init["items.image_proj.weight"]).abs().max() > 1e-4


def test_the_committed_example_is_valid(tmp_path, capsys):
    ex = os.path.join(ROOT, "examples", "own-store")
    rc = cli.main(["--events", os.path.join(ex, "events.csv"), "--catalog", os.path.join(ex, "catalog.csv"),
                   "--out", str(tmp_path / "m"), "--validate-only", "--strict"])
    assert rc == 0, capsys.readouterr().err
    info = json.load(open(str(tmp_path / "m.work" / "data" / "prepared.json")))
    assert info["counts"]["event_rows_skipped"] == 0 and info["counts"]["items_without_text"] == 1
    assert set(info["counts"]["steps_by_type"]) == {"view", "click", "add_to_cart", "purchase"}
