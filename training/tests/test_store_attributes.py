"""Catalog attributes as item vectors (training/store/attributes.py): which values count, the tower term, its
gradient, and a store run (its defaults) that trains, saves, exports and reloads it."""
import json
import os

import numpy as np
import torch

from training.model import ModelConfig, Recommender
from training.store import cli, synth
from training.store.attributes import attach_attribute_features
from training.store.catalog import attribute_lists, item_values, read_catalog, split_tags
from training.store.errors import Problems
from training.train import load_checkpoint


def test_values_of_an_item():
    extra = {"brand": " OPI ", "category": "Beauty > Nails | Polish", "tags": ["Vegan", "vegan"]}
    assert item_values(extra, ("title",)) == [
        "brand=opi", "category=beauty", "category=nails", "category=polish", "tag=vegan"]
    assert item_values(extra) == ["tag=vegan"]  # the default text reads brand and category already
    assert item_values({}) == [] and item_values({"price": 3.0, "attrs": {"color": "red"}}) == []


def test_a_value_must_name_two_items():
    lists, vocab = attribute_lists([{"brand": "A", "tags": ["x"]}, {"brand": "a"}, {"brand": "B"}, {}], ("title",))
    assert vocab == ["brand=a"]
    assert lists == [[0], [0], [], []]
    assert attribute_lists([{"brand": "A"}, {"brand": "B"}], ("title",)) == ([[], []], [])


def test_tags_column_csv_and_jsonl(tmp_path):
    assert split_tags("a1| a2 ;;a3") == ["a1", "a2", "a3"] and split_tags(["x", " "]) == ["x"] and split_tags(None) == []
    csv = tmp_path / "c.csv"
    csv.write_text("item_id,title,tags\nA,one,x|y\nB,two,\n")
    cat = read_catalog(str(csv), Problems())
    assert cat.attrs == [{"tags": ["x", "y"]}, {}]
    jl = tmp_path / "c.jsonl"
    jl.write_text(json.dumps({"item_id": "A", "tags": ["x", "y"]}) + "\n")
    assert read_catalog(str(jl), Problems()).attrs == [{"tags": ["x", "y"]}]


def test_term_is_the_mean_of_the_values_and_trains():
    torch.manual_seed(0)
    model = Recommender(ModelConfig(num_items=3, dim=4, max_len=5, dropout=0.0), [[101, 102], [101], [103]])
    base = model.items().detach()
    n = attach_attribute_features(model, [{"brand": "A", "tags": ["t"]}, {"brand": "A"}, {"tags": ["t"]}], ("title",))
    assert n == 2  # brand=a, tag=t
    emb = model.items.attributes.emb
    v = model.items().detach()
    assert torch.equal(v[0], torch.zeros(4))  # padding row
    assert torch.allclose(v[1] - base[1], emb[:2].mean(0).detach(), atol=1e-6)
    assert torch.allclose(v[2] - base[2], emb[0].detach(), atol=1e-6)
    assert torch.allclose(v[3] - base[3], emb[1].detach(), atol=1e-6)
    model.train()
    loss, _ = model(torch.tensor([[1, 2]]), torch.tensor([[2, 3]]))
    loss.backward()
    assert emb.grad is not None and emb.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model.items(), v, atol=1e-6)  # eval path (sparse.mm) = training path (_SpMM)


def test_store_run_trains_saves_and_reloads_the_term(tmp_path):
    g = synth.generate(str(tmp_path / "in"), users=200, items=120, seed=3)
    out = str(tmp_path / "model")
    rc = cli.main(["--events", g["events"], "--catalog", g["catalog"], "--out", out, "--epochs", "1", "--quiet",
                   "--text-fields", "title"])  # brand and category become attribute values
    assert rc == 0
    recipe = json.load(open(os.path.join(out + ".work", "data", "prepared.json")))["recipe"]
    assert recipe["attributes"] == 1 and "name 2+ items -> on" in recipe["why"]["attributes"]  # brand + category
    ck_path = os.path.join(out + ".work", "model.pt")
    state = torch.load(ck_path, map_location="cpu")["state"]
    assert "items.attributes.emb" in state
    model, _ = load_checkpoint(ck_path)
    assert model.items.attributes.emb.shape[0] > 0
    from training import lsim
    man = json.load(open(os.path.join(out, "manifest.json")))
    exported = lsim.read(os.path.join(out, man["files"]["items"]))
    with torch.no_grad():
        table = model.items()[1:].numpy()
    # the exported int8 rows are the tower with its attribute term (per-row int8: within a step of each row's scale)
    assert np.abs(exported - table).max() <= np.abs(table).max(1).max() / 100
