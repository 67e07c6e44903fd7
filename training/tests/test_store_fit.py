"""The weight average of the store training loop (fit.WeightAverage): its rate, warm-up, and swaps that leave the
live weights exactly as they were."""
import torch

from training.store.fit import WeightAverage


def _params():
    torch.manual_seed(0)
    return [torch.nn.Parameter(torch.randn(5, 3)), torch.nn.Parameter(torch.randn(7))]


def test_half_life_in_steps():
    w = WeightAverage(_params(), 40)
    assert abs(w.beta ** 40 - 0.5) < 1e-12


def test_warm_up_then_tracks_the_weights():
    params = _params()
    start = [p.detach().clone() for p in params]
    w = WeightAverage(params, 1000)
    with torch.no_grad():
        for p in params:
            p.add_(1.0)
    w.update()  # first step: rate (1 + 0) / (10 + 0) = 0.1 of the old average kept
    for a, s, p in zip(w.avg, start, params):
        assert torch.allclose(a, 0.1 * s + 0.9 * p.detach())
    for _ in range(20000):
        w.update()
    for a, p in zip(w.avg, params):
        assert torch.allclose(a, p.detach(), atol=1e-5)


def test_swap_in_and_out_restore_the_live_weights():
    params = _params()
    w = WeightAverage(params, 5)
    with torch.no_grad():
        for p in params:
            p.mul_(3.0)
    w.update()
    live_before = [p.detach().clone() for p in params]
    live = w.swap_in()
    for p, a in zip(params, w.avg):
        assert torch.equal(p.detach(), a)
    w.swap_out(live)
    for p, x in zip(params, live_before):
        assert torch.equal(p.detach(), x)


def test_reset_starts_from_the_current_weights():
    params = _params()
    w = WeightAverage(params, 5)
    with torch.no_grad():
        for p in params:
            p.zero_()
    w.reset()
    assert w.n == 0 and all(torch.equal(a, torch.zeros_like(a)) for a in w.avg)


# --------------------------------------------------------------------------------------------- the softmax ---
import pytest  # noqa: E402

from training import data  # noqa: E402
from training.store import synth  # noqa: E402
from training.store.dataset import PrepareOptions, prepare  # noqa: E402
from training.store.fit import FitOptions, fit  # noqa: E402
from training.store.recipe import MIN_NEGATIVES, choose_batch  # noqa: E402


def _store(tmp_path, items: int):
    g = synth.generate(str(tmp_path / "in"), users=300, items=items, seed=2)
    folder = str(tmp_path / "data")
    prepare(PrepareOptions(events=g["events"], catalog=g["catalog"], out=folder))
    return folder


def test_the_probe_leaves_the_training_as_it_would_have_been(tmp_path):
    folder = _store(tmp_path, 250)
    states = []
    for negatives in (0, -1):  # -1: timed first; 250 items can never be sampled, so the full softmax follows
        ds = data.load("store:" + folder)
        recipe = ds.extra["recipe"]
        recipe.negatives = negatives
        res = fit(ds, recipe, FitOptions(threads=1, max_steps=3, seed=3, time_budget_min=100), lambda rec: None)
        assert res["softmax"]["negatives"] == 0
        states.append(res["model"].state_dict())
    assert "with all 250 items" in res["softmax"]["why"]
    for k in states[0]:
        assert torch.equal(states[0][k], states[1][k]), k


def test_a_budget_too_short_for_the_full_softmax_samples(tmp_path):
    folder = _store(tmp_path, 6000)
    ds = data.load("store:" + folder)
    recipe = ds.extra["recipe"]
    events = []
    res = fit(ds, recipe, FitOptions(threads=1, max_steps=3, seed=3, time_budget_min=0.001), events.append)
    assert res["softmax"]["negatives"] == MIN_NEGATIVES and "sampled" in res["softmax"]["why"]
    assert res["batch_size"] == choose_batch(recipe.max_len, MIN_NEGATIVES)  # chosen again for the sampled width
    assert any(e.get("stage") == "softmax" for e in events)  # (the probe spent this budget: no step follows)


@pytest.mark.parametrize("negatives", [0, 64, -1])
def test_fixed_epochs_keep_what_the_recipe_says(tmp_path, negatives):
    folder = _store(tmp_path, 250)
    ds = data.load("store:" + folder)
    recipe = ds.extra["recipe"]
    recipe.negatives = negatives
    res = fit(ds, recipe, FitOptions(threads=1, max_steps=2, seed=3, epochs=1), lambda rec: None)
    assert res["softmax"]["negatives"] == max(negatives, 0) and res["steps"] == 2
    if negatives == -1:
        assert "fixed epochs" in res["softmax"]["why"]


import math  # noqa: E402

from training.store.fit import make_windows  # noqa: E402


def test_refit_trains_the_decay_on_the_validation_targets_and_keeps_the_final_state(tmp_path):
    folder = _store(tmp_path, 250)
    ds = data.load("store:" + folder)
    recipe = ds.extra["recipe"]
    recipe.refit, recipe.negatives = 1, 0
    events = []
    res = fit(ds, recipe, FitOptions(threads=1, seed=3, epochs=4), events.append)
    r = res["refit"]
    train_targets = int((ds.train.lengths() - 1).clip(min=0).sum())
    assert r is not None and r["targets"] == train_targets + len(ds.valid.targets)  # one more target a valid user
    per_epoch = -(-len(make_windows(ds.train, recipe.max_len)[0]) // recipe.batch_size)
    assert per_epoch >= 2  # the decay starts at 70 % of the 4 epochs' steps, inside epoch 4, which runs again
    assert r["step"] == math.ceil(0.7 * 4 * per_epoch) and r["epoch"] == 4
    assert (res["steps"], res["epochs"]) == (4 * per_epoch, 4)
    assert 0 <= r["valid_before"] == res["best_valid"]
    assert res["best_step"] == res["steps"]  # the state training ended in, whatever validation says of it
    assert all(e.get("refit") or e["step"] <= r["step"] for e in res["log"])  # no selection after the switch
    assert any("refit" in e.get("message", "") for e in events)
    recipe.refit = 0
    assert fit(ds, recipe, FitOptions(threads=1, seed=3, epochs=4), lambda e: None)["refit"] is None


def test_text_0_trains_the_id_part_alone(tmp_path):
    """The experiment key ``text=0``: item vectors are the ID part only (the default adds the title tower)."""
    folder = _store(tmp_path, 250)
    models = []
    for text in (0, 1):
        ds = data.load("store:" + folder)
        recipe = ds.extra["recipe"]
        recipe.text, recipe.negatives = text, 0
        models.append(fit(ds, recipe, FitOptions(threads=1, max_steps=2, seed=3, epochs=1), lambda rec: None)["model"])
    with torch.no_grad():
        (off, on), ids = models, [m.items.id_emb * m.items.id_mask for m in models]
        assert not off.cfg.use_text and on.cfg.use_text
        assert torch.equal(off.items(), ids[0]) and not torch.allclose(on.items(), ids[1])


def test_with_a_weight_average_the_refit_keeps_the_average(tmp_path, monkeypatch):
    """``ema_epochs`` > 0 with the refit: the model kept is the moving average at the end (the weights validation
    scored before the refit), not the live weights."""
    from training.store import fit as fit_mod
    made = []

    class Recorded(fit_mod.WeightAverage):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    monkeypatch.setattr(fit_mod, "WeightAverage", Recorded)
    folder = _store(tmp_path, 250)
    ds = data.load("store:" + folder)
    recipe = ds.extra["recipe"]
    recipe.refit, recipe.negatives, recipe.ema_epochs = 1, 0, 1.0
    res = fit(ds, recipe, FitOptions(threads=1, seed=3, epochs=4), lambda rec: None)
    assert res["refit"] is not None and len(made) == 1
    kept = [p for p in res["model"].parameters() if p.requires_grad]
    assert len(kept) == len(made[0].avg)
    assert all(torch.equal(p.detach(), a) for p, a in zip(kept, made[0].avg))
