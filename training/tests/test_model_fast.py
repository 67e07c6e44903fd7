"""The training fast paths of model.py (issue 10) compute the same math as the plain PyTorch formulation.

- fused chunked full-softmax cross-entropy (``full_softmax_ce``) = ``F.cross_entropy`` over the full logits, with
  and without target weights, cold-item mask and history mask: loss and every gradient;
- the text tower's sparse product with a cached transpose = autograd's ``torch.sparse.mm``;
- the fast dropout keeps 1 - p of the elements, scales by the exact inverse keep rate, is the identity in eval mode;
- train mode with dropout 0 = eval mode (the encoder's training and export paths agree).
(< 10 s)
"""
from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F

from training import model as model_mod
from training.model import NEG, Dropout, ModelConfig, Recommender, full_softmax_ce


def reference_loss(model: Recommender, inp, tgt, item_allowed=None, mask_history=False, target_weights=None):
    """Recommender.forward as it was before the fast paths (one [P, N] logits matrix, F.cross_entropy)."""
    table = model.items()
    h = model.encode(table, inp)
    sel = tgt > 0
    logits = h[sel] @ table[1:].t()
    target = tgt[sel] - 1
    if item_allowed is not None:
        logits = logits.masked_fill(~item_allowed[1:], float("-inf"))
    if mask_history:
        length = inp.shape[1]
        b_idx, i_idx = sel.nonzero(as_tuple=True)
        seen = inp[b_idx]
        upto = torch.arange(length).unsqueeze(0) <= i_idx.unsqueeze(1)
        valid = upto & (seen > 0)
        col = torch.where(valid, seen - 1, target.unsqueeze(1))
        penalty = torch.zeros_like(logits).scatter_(1, col, valid.to(logits.dtype) * NEG)
        penalty[torch.arange(len(target)), target] = 0.0
        logits = logits + penalty
    if target_weights is not None:
        return (F.cross_entropy(logits, target, reduction="none") * target_weights[sel]).sum()
    return F.cross_entropy(logits, target, reduction="sum")


def small_model(num_items=300, dropout=0.0, seed=0, heads=1, rel_pos=False):
    torch.manual_seed(seed)
    rnd = random.Random(seed)
    tokens = [[101] + [rnd.randrange(1000, 1400) for _ in range(rnd.randrange(1, 8))] + [102]
              for _ in range(num_items)]
    cfg = ModelConfig(num_items=num_items, dim=16, max_len=12, ffn_dim=16, dropout=dropout, text_dim=8,
                      heads=heads, rel_pos=rel_pos)
    model = Recommender(cfg, tokens)
    if rel_pos:  # a bias by distance that matters (trained ones start at zero)
        with torch.no_grad():
            for blk in model.encoder.blocks:
                blk.rel.normal_()
    return model


def batch(num_items=300, b=7, length=12, seed=1):
    g = torch.Generator().manual_seed(seed)
    seqs = torch.randint(1, num_items + 1, (b, length + 1), generator=g)
    for i in range(b):  # left padding of different lengths
        seqs[i, : i % 5] = 0
    seqs[0, 3] = seqs[0, 7]  # a repeated item (history mask: the target itself is never masked)
    return seqs[:, :-1].clone(), seqs[:, 1:].clone()


def grads(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("variant", ["plain", "weights", "allowed", "history", "all", "tiny_chunks"])
def test_fused_softmax_equals_cross_entropy(variant, monkeypatch):
    model = small_model()
    model.eval()  # dropout off; the math of the loss is the same in both modes
    inp, tgt = batch()
    kw = {}
    if variant in ("weights", "all"):
        kw["target_weights"] = torch.rand(tgt.shape) * 3
    if variant in ("allowed", "all"):
        allowed = torch.ones(301, dtype=torch.bool)
        allowed[torch.randperm(300)[:40] + 1] = False
        allowed[tgt[tgt > 0]] = True  # targets are never held-out items
        kw["item_allowed"] = allowed
    if variant in ("history", "all"):
        kw["mask_history"] = True
    if variant == "tiny_chunks":
        monkeypatch.setattr(model_mod, "SOFTMAX_CHUNK", 300 * 3)  # 3 rows per chunk, a ragged last chunk
    ref = reference_loss(model, inp, tgt, **kw)
    g_ref = grads(model, ref)
    got, n = model(inp, tgt, **kw)
    g_got = grads(model, got)
    assert n == int((tgt > 0).sum())
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-4)
    assert g_ref.keys() == g_got.keys()
    for k in g_ref:
        torch.testing.assert_close(g_got[k], g_ref[k], rtol=1e-4, atol=1e-6, msg=k)


def test_fused_softmax_no_grad_and_scaled_backward():
    g = torch.Generator().manual_seed(3)  # seeded: unseeded draws made float32 rounding fail rtol 1e-5 now and then
    h = torch.randn(50, 8, generator=g).requires_grad_(True)
    w = torch.randn(40, 8, generator=g).requires_grad_(True)
    t = torch.randint(0, 40, (50,), generator=g)
    with torch.no_grad():
        a = full_softmax_ce(h, w, t)
    torch.testing.assert_close(a, F.cross_entropy(h @ w.t(), t, reduction="sum"))
    (2.5 * full_softmax_ce(h, w, t)).backward()
    gh, gw = h.grad.clone(), w.grad.clone()
    h.grad = w.grad = None
    (2.5 * F.cross_entropy(h @ w.t(), t, reduction="sum")).backward()
    torch.testing.assert_close(gh, h.grad, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(gw, w.grad, rtol=1e-4, atol=1e-6)


def test_fused_softmax_label_smoothing():
    """(1 - e) CE(target) + e CE(uniform): = F.cross_entropy(label_smoothing=e) without masks; with items masked out
    the uniform part spreads over the items left in."""
    g = torch.Generator().manual_seed(5)
    h = torch.randn(60, 8, generator=g).requires_grad_(True)
    w = torch.randn(30, 8, generator=g).requires_grad_(True)
    t = torch.randint(0, 30, (60,), generator=g)
    full_softmax_ce(h, w, t, smoothing=0.1).backward()
    gh, gw = h.grad.clone(), w.grad.clone()
    h.grad = w.grad = None
    ref = F.cross_entropy(h @ w.t(), t, reduction="sum", label_smoothing=0.1)
    ref.backward()
    torch.testing.assert_close(full_softmax_ce(h, w, t, smoothing=0.1), ref, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(gh, h.grad, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(gw, w.grad, rtol=1e-4, atol=1e-6)
    allowed = torch.ones(30, dtype=torch.bool)
    allowed[::3] = False
    allowed[t] = True  # targets stay in
    h.grad = w.grad = None
    full_softmax_ce(h, w, t, allowed=allowed, smoothing=0.2).backward()
    gh, gw = h.grad.clone(), w.grad.clone()
    h.grad = w.grad = None
    z = (h @ w.t()).masked_fill(~allowed, float("-inf"))
    logp = z.log_softmax(1)
    manual = (0.8 * -logp.gather(1, t.unsqueeze(1)).squeeze(1) + 0.2 * -logp[:, allowed].mean(1)).sum()
    manual.backward()
    torch.testing.assert_close(full_softmax_ce(h, w, t, allowed=allowed, smoothing=0.2), manual, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(gh, h.grad, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(gw, w.grad, rtol=1e-4, atol=1e-6)


def test_text_tower_sparse_product_gradient():
    model = small_model()
    tower = model.items
    tower.train()
    v = tower.text_vectors()
    g = torch.randn_like(v)
    (v * g).sum().backward()
    fast = tower.tok_emb.grad.clone()
    tower.tok_emb.grad = None
    ref = tower.proj(torch.sparse.mm(tower.mean_matrix, tower.tok_emb))
    ref = ref * torch.cat([torch.zeros(1, 1), torch.ones(ref.shape[0] - 1, 1)])
    torch.testing.assert_close(v, ref)
    (ref * g).sum().backward()
    torch.testing.assert_close(fast, tower.tok_emb.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_rate_scale_and_eval(p):
    torch.manual_seed(0)
    d = Dropout(p)
    x = torch.ones(200_000)
    y = d(x)
    keep = 1 - round(p * 65536) / 65536
    kept = (y > 0).float().mean().item()
    assert abs(kept - keep) < 4 * (keep * (1 - keep) / x.numel()) ** 0.5 + 1e-4
    assert torch.allclose(y[y > 0], torch.full_like(y[y > 0], 1 / keep))
    x.requires_grad_(True)
    y = d(x)
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # gradient = the same mask * scale
    d.eval()
    assert d(x) is x


@pytest.mark.parametrize("heads,rel_pos", [(1, False), (2, False), (1, True), (2, True)])
def test_train_mode_without_dropout_equals_eval_mode(heads, rel_pos):
    """Training path (bool mask, baddbmm, fused loss, cached sparse transpose) = the eval/export formulation, with and
    without the attention bias by distance."""
    model = small_model(dropout=0.0, heads=heads, rel_pos=rel_pos)
    inp, tgt = batch()
    table = model.items().detach()
    model.train()
    a = model.encode(table, inp)
    got, _ = model(inp, tgt)
    g_got = grads(model, got)
    model.eval()
    b = model.encode(table, inp)
    sel = inp > 0  # padding positions are never read (not targets, masked as keys)
    torch.testing.assert_close(a[sel], b[sel], rtol=1e-5, atol=1e-6)
    with torch.enable_grad():
        ref = reference_loss(model, inp, tgt)
    g_ref = grads(model, ref)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-4)
    for k in g_ref:
        torch.testing.assert_close(g_got[k], g_ref[k], rtol=1e-4, atol=1e-6, msg=k)


@pytest.mark.parametrize("mask_history", [False, True])
def test_future_targets_are_down_weighted_extra_rows(mask_history):
    """``future=(k, g)``: the next item's loss plus g ** j times the loss of the j-th item after it (j <= k), at the
    same positions: the reference shifts the targets and sums the plain losses."""
    model = small_model(dropout=0.0)
    model.train()
    inp, tgt = batch()
    got, n = model(inp, tgt, mask_history=mask_history, future=(2, 0.5))
    assert n == int((tgt > 0).sum())
    g_got = grads(model, got)
    ref = reference_loss(model, inp, tgt, mask_history=mask_history)
    for j in (1, 2):
        later = torch.zeros_like(tgt)
        later[:, :-j] = tgt[:, j:]
        later[tgt == 0] = 0  # padding positions predict nothing
        ref = ref + 0.5 ** j * reference_loss(model, inp, later, mask_history=mask_history)
    g_ref = grads(model, ref)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-4)
    for k in g_ref:
        torch.testing.assert_close(g_got[k], g_ref[k], rtol=1e-4, atol=1e-6, msg=k)


def test_target_ranks_are_what_evaluate_averages():
    """training.evaluate.target_ranks (per-user ranks; ml1m_steps' per-user NDCG) against evaluate's means, with
    histories of several lengths (shorter than, equal to and longer than max_len) and the history excluded."""
    import numpy as np
    from training.evaluate import evaluate, target_ranks
    g = torch.Generator().manual_seed(5)
    table = torch.randn(41, 8, generator=g)
    proj = torch.randn(8, 8, generator=g)
    user_fn = lambda seqs: table[seqs].sum(1) @ proj  # noqa: E731
    rng = np.random.default_rng(2)
    hists = [list(rng.integers(1, 41, size=n)) for n in rng.integers(1, 12, size=70)]
    targets = rng.integers(1, 41, size=70)
    ra, rx = target_ranks(user_fn, table, hists, targets, max_len=6, batch_size=16)
    m = evaluate(user_fn, table, hists, targets, max_len=6, batch_size=16)
    ndcg = lambda r: float(np.mean((r < 10) / np.log2(r + 2.0)))  # noqa: E731
    assert ndcg(ra) == pytest.approx(m["all"]["NDCG@10"])
    assert ndcg(rx) == pytest.approx(m["exclude_history"]["NDCG@10"])
    assert (rx <= ra).all() and (rx < ra).any()  # leaving the history out only lifts targets


def test_distance_bias_depends_on_distance_only():
    """``rel_pos``: a user vector is the same however much left padding its history has (distances between real
    positions do not change), the bias moves it, and it learns (its gradient is not zero)."""
    model = small_model(rel_pos=True).eval()
    table = model.items().detach()
    inp, tgt = batch()
    hist = inp[5:6, 4:]  # a row with real items only
    padded = torch.cat([torch.zeros(1, 4, dtype=hist.dtype), hist], dim=1)
    with torch.no_grad():
        a = model.user_vectors(table, hist)
        torch.testing.assert_close(model.user_vectors(table, padded), a, rtol=1e-5, atol=1e-6)
        for blk in model.encoder.blocks:
            blk.rel.zero_()
        assert (model.user_vectors(table, hist) - a).abs().max() > 1e-3
    model.train()
    loss, _ = model(inp, tgt)
    g = grads(model, loss)
    assert all(g[f"encoder.blocks.{i}.rel"].abs().sum() > 0 for i in range(model.cfg.blocks))

