"""The sampled softmax for large catalogs (model.SampledNegatives) and the rule that turns it on
(recipe.choose_negatives): with every item drawn it is the full softmax (loss and gradients, history mask
included); its candidates hold every target; its correction follows the inclusion probability."""
import math

import pytest
import torch

from training.model import SampledNegatives
from training.store.recipe import MIN_EPOCHS, MIN_NEGATIVES, choose_negatives
from training.tests.test_model_fast import batch, grads, small_model


@pytest.mark.parametrize("mask_history", [False, True])
def test_every_item_drawn_is_the_full_softmax(mask_history):
    model = small_model()
    model.eval()
    inp, tgt = batch()
    # 10^6 draws from 300 items: every item is a candidate and its inclusion probability is 1 (log 0 correction)
    assert_every_draw_is_full(model, lambda **kw: model(inp, tgt, mask_history=mask_history, **kw), "sampled")


def assert_every_draw_is_full(model, loss, key, **common):
    """``loss(**kw)`` with ``{key: a sampler drawing every item}`` = ``loss()``: value, count and every gradient."""
    share = torch.full((300,), 1 / 300, dtype=torch.float64)
    ref, n_ref = loss(**common)
    g_ref = grads(model, ref)
    got, n = loss(**common, **{key: SampledNegatives(10 ** 6, share, torch.Generator().manual_seed(0))})
    g_got = grads(model, got)
    assert n == n_ref
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-4)
    for k in g_ref:
        torch.testing.assert_close(g_got[k], g_ref[k], rtol=1e-4, atol=1e-6, msg=k)


def test_few_draws_differ_from_the_full_softmax_and_train_the_items():
    model = small_model()
    model.eval()
    inp, tgt = batch()
    share = torch.full((300,), 1 / 300, dtype=torch.float64)
    full, _ = model(inp, tgt)
    s = SampledNegatives(20, share, torch.Generator().manual_seed(0))
    part, _ = model(inp, tgt, sampled=s)
    assert torch.isfinite(part) and float(part) != pytest.approx(float(full))
    part.backward()  # gradients flow to the item table through the candidates
    assert model.items.id_emb.grad is not None and model.items.id_emb.grad.abs().sum() > 0


def test_candidates_hold_every_target_once():
    s = SampledNegatives(50, torch.full((1000,), 1e-3, dtype=torch.float64), torch.Generator().manual_seed(1))
    target = torch.tensor([5, 5, 999, 0, 17])
    c = s.candidates(target, 1000)
    assert set(target.tolist()) <= set(c.tolist())
    assert len(set(c.tolist())) == len(c) and torch.all(c[1:] > c[:-1])
    assert len(c) <= 50 + 4


def test_correction_is_minus_log_inclusion_probability():
    n, k = 1000, 50
    share = torch.zeros(n, dtype=torch.float64)
    share[7] = 0.5  # half of all targets: almost surely among a step's targets
    s = SampledNegatives(k, share, torch.Generator().manual_seed(2))
    h, w = torch.randn(4, 3), torch.randn(n, 3)
    target = torch.tensor([7, 7, 7, 100])
    hc, wc, tc, _, _ = s.restrict(h, w, target, None, None)
    assert torch.equal(hc[:, -1], torch.ones(4)) and torch.equal(hc[:, :3], h)
    col = {int(t): int(c) for t, c in zip(target, tc)}
    assert torch.equal(wc[col[100], :3], w[100])
    p_none_rare = (1 - 1 / n) ** k  # item 100: share 0, so only the uniform draws can include it
    assert float(wc[col[100], 3]) == pytest.approx(-math.log(1 - p_none_rare), rel=1e-5)
    p_none_pop = (1 - 1 / n) ** k * 0.5 ** 4
    assert float(wc[col[7], 3]) == pytest.approx(-math.log(1 - p_none_pop), rel=1e-5)


def test_rule_keeps_the_full_softmax_while_the_budget_holds_enough_epochs():
    # Beauty-like: 70 ms a step, 176 steps an epoch, 20 minutes -> ~97 epochs: full
    assert choose_negatives(0.07, 176, 1200, 12101)[0] == 0
    # exactly at the line: full
    assert choose_negatives(1200 / (MIN_EPOCHS * 100), 100, 1200, 500_000)[0] == 0
    # no budget (fixed epochs): full
    assert choose_negatives(10.0, 1000, None, 500_000)[0] == 0


def test_rule_samples_in_proportion_to_the_missing_epochs():
    # 200k items, 2 epochs fit: a tenth of the width for 20 epochs
    k, why = choose_negatives(1.0, 600, 1200, 200_000)
    assert k == 20_000 and "sampled" in why
    # never below the floor
    assert choose_negatives(100.0, 600, 1200, 1_000_000)[0] == MIN_NEGATIVES
    # a small catalog where sampling would not halve the width stays full
    assert choose_negatives(100.0, 600, 1200, 3 * MIN_NEGATIVES // 2)[0] == 0


def test_probe_times_a_step_per_cell_and_scales_to_the_mean_batch():
    # Length-bucketed probe batches: a step's time follows its padded size (batch x longest window), so the probe
    # must not read the mean step off whichever eight batches it drew (two short ones here, then one long one).
    import numpy as np
    from training.store.fit import _probe_step_s, padded_cells

    lengths = np.array([3, 3, 3, 3, 41, 41, 41, 41])
    batches = [np.array([0, 1]), np.array([2, 3]), np.array([4, 5]), np.array([6, 7])]
    clock = [0.0]
    per_cell = 1e-4

    def forward_backward(b, sampled):  # "runs" in time proportional to its padded cells
        clock[0] += per_cell * padded_cells(lengths, b)

    class Adam:
        def zero_grad(self, set_to_none=True):
            pass

    assert padded_cells(lengths, batches[0]) == 2 * 2 and padded_cells(lengths, batches[2]) == 2 * 40
    assert padded_cells(lengths, np.array([0, 4])) == 2 * 40  # trimmed to the longest window of the batch
    mean_cells = float(np.mean([padded_cells(lengths, b) for b in batches]))  # (4 + 4 + 80 + 80) / 4 = 42
    got = _probe_step_s(forward_backward, batches[:3], [padded_cells(lengths, b) for b in batches[:3]], mean_cells,
                        Adam(), lambda: clock[0], torch.device("cpu"), 1)
    assert got == pytest.approx(per_cell * 42)  # the median step of the probe would read 4 or 80 cells' time


@pytest.mark.parametrize("mask_history", [False, True])
def test_sampled_later_targets_with_every_item_drawn_equal_the_full_future_loss(mask_history):
    # ``future_sampled``: the later-item rows rank a sample; with every item drawn (inclusion probability 1, a log 0
    # correction) that is the full softmax's future loss, value and gradients, with or without the history mask
    model = small_model(dropout=0.0)
    model.train()
    inp, tgt = batch()
    assert_every_draw_is_full(model, lambda **kw: model(inp, tgt, mask_history=mask_history, **kw),
                              "future_sampled", future=(2, 0.5))


def test_few_draws_change_only_the_later_rows():
    # a small sample changes the later-item part of the loss only: the next-item rows keep every item, and the later
    # rows' loss is the sampled softmax of their own targets (the same draws, built here from the encoder's states)
    from training.model import full_softmax_ce
    model = small_model(dropout=0.0)
    model.train()
    inp, tgt = batch()
    share = torch.full((300,), 1 / 300, dtype=torch.float64)
    near, _ = model(inp, tgt)
    full, _ = model(inp, tgt, future=(1, 0.5))
    part, _ = model(inp, tgt, future=(1, 0.5), future_sampled=SampledNegatives(20, share, torch.Generator().manual_seed(0)))
    assert float(part) != pytest.approx(float(full))  # the later targets ranked against a sample
    table = model.items()
    h = model.encode(table, inp)
    later = torch.zeros_like(tgt)
    later[:, :-1] = tgt[:, 1:]
    rows = (later > 0) & (tgt > 0)
    hc, wc, tc, _, _ = SampledNegatives(20, share, torch.Generator().manual_seed(0)).restrict(
        h[rows], table[1:], later[rows] - 1, None, None)
    ref = near + full_softmax_ce(hc, wc, tc, torch.full((int(rows.sum()),), 0.5))
    torch.testing.assert_close(part, ref, rtol=1e-5, atol=1e-4)
