"""SASRec-family history encoder with LoRA-ready projections, and the item tower (ID embedding + text tower).

Item vector  v_i = id_emb[i] + text(i),  text(i) = masked mean over the title's WordPiece tokens of
``proj(tok_emb[token])`` (a per-token transform, so the browser can run it as a transformers.js
feature-extraction model with mean pooling). The same vectors are the encoder's input and the softmax's output
(tied). The encoder maps the history's item vectors (plus a learned event-type embedding, frozen at zero for logs
with one event type) through pre-LN causal transformer blocks to a user vector; score = user · item.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_EVENT_TYPES = 5  # 0 = padding, 1 view, 2 click, 3 add_to_cart, 4 purchase
NEG = -1e9
SOFTMAX_CHUNK = 1 << 21  # logits per chunk of the fused softmax (8 MB of float32: stays in cache, no page faults)


def _keep_mask(shape, p: float, like: torch.Tensor) -> torch.Tensor:
    """Float mask of kept elements scaled by 1/keep (inverted dropout) from 16 random bits per element: four per
    int64 draw, ~8x faster than ``bernoulli_`` on CPU (one generator call per element there). Keep probability
    ``1 - round(p * 65536) / 65536`` (0.2 -> 0.79999...), and the scale uses that exact value."""
    n = 1
    for d in shape:
        n *= d
    drop = int(round(p * 65536))
    bits = torch.empty((n + 3) // 4, dtype=torch.int64, device=like.device).random_(-2 ** 63, 2 ** 63 - 1)
    keep = bits.view(torch.int16)[:n].view(shape) >= (drop - 32768)
    return keep.to(like.dtype).mul_(65536.0 / (65536 - drop))


class _MaskMul(torch.autograd.Function):
    """x * mask (mask a constant): saves only the mask, no extra graph nodes."""

    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return g * mask, None


class Dropout(nn.Dropout):
    """nn.Dropout with a faster mask on CPU (``_keep_mask``); identity in eval mode (and so in the ONNX graph)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if x.is_cuda:
            return F.dropout(x, self.p, True)
        return _MaskMul.apply(x, _keep_mask(x.shape, self.p, x))


class _FullSoftmaxCE(torch.autograd.Function):
    """Sum over positions of weight * cross-entropy against every item, computed chunk by chunk.

    ``h`` [P, D] position states, ``w`` [N, D] item vectors (items 1..N), ``target`` [P] in 0..N-1. The loss is a
    scalar, so the gradients are computed in the forward pass chunk by chunk (softmax - one-hot, times the
    weight) and only dh [P, D] and dw [N, D] are kept: the [P, N] logits never exist at once. Same math as
    ``F.cross_entropy(h @ w.t(), target, reduction='sum')`` (with the optional masks of ``Recommender.forward``)."""

    @staticmethod
    def forward(ctx, h, w, target, weights, allowed, hist, need_grad: bool, smoothing: float = 0.0):
        n_items = w.shape[0]
        rows = max(1, SOFTMAX_CHUNK // max(n_items, 1))
        loss = torch.zeros((), dtype=h.dtype, device=h.device)
        dh = torch.empty_like(h) if need_grad else None
        dw = torch.zeros_like(w) if need_grad else None
        wt = w.t()
        for s in range(0, h.shape[0], rows):
            hc, tc = h[s:s + rows], target[s:s + rows]
            r = torch.arange(len(tc), device=h.device)
            logits = hc @ wt  # [c, N]
            if allowed is not None:
                logits.masked_fill_(~allowed, float("-inf"))
            if hist is not None:  # earlier items of the sequence: NEG, except the target
                seen, valid = hist[0][s:s + rows], hist[1][s:s + rows]
                col = torch.where(valid, seen - 1, tc.unsqueeze(1))  # padding points at the target: restored below
                keep = logits[r, tc]
                logits.scatter_(1, col, NEG)  # in place (a [c, N] penalty matrix filled and added before)
                logits[r, tc] = keep
            m = logits.amax(1, keepdim=True)
            logits.sub_(m)
            zt = logits[r, tc]
            if smoothing > 0.0:  # the mean logit over the items left in (masked ones sit at NEG or -inf)
                live = logits > NEG / 2
                n_live = live.sum(1, keepdim=True).clamp_min(1).to(logits.dtype)
                zmean = torch.where(live, logits, torch.zeros((), dtype=logits.dtype)).sum(1, keepdim=True) / n_live
            logits.exp_()
            ssum = logits.sum(1, keepdim=True)
            ce = ssum.squeeze(1).log() - zt
            if smoothing > 0.0:  # (1 - e) CE(target) + e CE(uniform over the live items)
                ce = (1.0 - smoothing) * ce + smoothing * (ssum.log() - zmean).squeeze(1)
            wc = None if weights is None else weights[s:s + rows]
            loss += ce.sum() if wc is None else (ce * wc).sum()
            if need_grad:
                logits.div_(ssum)
                if smoothing > 0.0:
                    logits.sub_(live.to(logits.dtype).mul_(smoothing / n_live))
                    logits[r, tc] -= 1.0 - smoothing
                else:
                    logits[r, tc] -= 1.0
                if wc is not None:
                    logits.mul_(wc.unsqueeze(1))
                torch.mm(logits, w, out=dh[s:s + rows])
                dw.addmm_(logits.t(), hc)
        ctx.save_for_backward(dh, dw)
        return loss

    @staticmethod
    def backward(ctx, g):
        dh, dw = ctx.saved_tensors
        return dh * g, dw * g, None, None, None, None, None, None


def full_softmax_ce(h: torch.Tensor, w: torch.Tensor, target: torch.Tensor, weights: Optional[torch.Tensor] = None,
                    allowed: Optional[torch.Tensor] = None, hist=None, smoothing: float = 0.0) -> torch.Tensor:
    """``sum_p weights[p] * CE(h[p] @ w.t(), target[p])`` (see ``_FullSoftmaxCE``); ``allowed`` [N] bool masks items
    out (-inf), ``hist`` = (seen [P, l] item ids, valid [P, l]) adds NEG at each position's earlier items except
    its target. Memory O(P * D + N * D) instead of O(P * N)."""
    need = torch.is_grad_enabled() and (h.requires_grad or w.requires_grad)
    return _FullSoftmaxCE.apply(h, w, target, weights, allowed, hist, need, float(smoothing))


class SampledNegatives:
    """A softmax over candidates instead of the whole catalog, for catalogs whose full softmax would leave training
    too few epochs (training/store/fit.py decides). A step's candidates are the union of its targets (in-batch
    negatives for the other positions) and ``count`` items drawn uniformly with replacement. Each candidate's logit
    is corrected by minus the log of its inclusion probability, ``pi_j = 1 - (1 - 1/N)^count * (1 - p_j)^P``
    (``p_j``: the item's share of the training steps, standing in for its share of targets; ``P``: the step's
    positions), so the expected gradient approximates the full softmax's (the logQ correction of sampled softmax): popular items, nearly always in the
    set, are not pushed down more than the full softmax would. The correction rides in one extra column of ``h``
    (ones) and ``w`` (minus log pi), so the fused loss runs unchanged over the candidates."""

    def __init__(self, count: int, share: torch.Tensor, generator: Optional[torch.Generator] = None):
        self.count = int(count)
        self.log_miss = torch.log1p(-share.clamp(0.0, 1.0 - 1e-7).double())  # log(1 - p_j), [N]
        self.generator = generator

    def candidates(self, target: torch.Tensor, n_items: int) -> torch.Tensor:
        draw = torch.randint(0, n_items, (self.count,), generator=self.generator).to(target.device)
        return torch.unique(torch.cat([target, draw]))  # sorted, distinct, every target included

    def restrict(self, h: torch.Tensor, w: torch.Tensor, target: torch.Tensor, allowed, hist):
        n = w.shape[0]
        cand = self.candidates(target, n)
        pos = torch.full((n,), -1, dtype=torch.long, device=w.device)
        pos[cand] = torch.arange(len(cand), device=w.device)
        log_none = self.count * math.log1p(-1.0 / n) + len(target) * self.log_miss.to(w.device)[cand]
        log_pi = torch.log(-torch.expm1(log_none)).to(w.dtype)  # log(1 - exp(log P(not drawn, not a target)))
        wc = torch.cat([w[cand], -log_pi.unsqueeze(1)], 1)
        hc = torch.cat([h, torch.ones(h.shape[0], 1, dtype=h.dtype, device=h.device)], 1)
        if allowed is not None:
            allowed = allowed[cand]
        if hist is not None:  # history items outside the candidates are not in this softmax anyway
            seen, valid = hist
            mapped = torch.where(seen > 0, pos[(seen - 1).clamp(min=0)] + 1, torch.zeros_like(seen))
            hist = (mapped, valid & (mapped > 0))
        return hc, wc, pos[target], allowed, hist


class _SpMM(torch.autograd.Function):
    """sparse [R, C] @ dense [C, D] with the transposed sparse matrix given (autograd would transpose and coalesce
    it on every backward)."""

    @staticmethod
    def forward(ctx, x, m, mt):
        ctx.mt = mt
        return torch.sparse.mm(m, x)

    @staticmethod
    def backward(ctx, g):
        return torch.sparse.mm(ctx.mt, g), None, None


@dataclass
class ModelConfig:
    num_items: int
    vocab_size: int = 30522
    dim: int = 64
    max_len: int = 50
    blocks: int = 2
    heads: int = 1
    ffn_dim: int = 64
    dropout: float = 0.5
    text_dim: int = 64  # width of the token table before the per-token projection
    use_text: bool = True
    use_ids: bool = True
    lora_rank: int = 8
    item_norm: bool = False  # item vectors scaled to unit length (experiment: scores = |user| * cosine)
    rel_pos: bool = False  # each block adds a learned attention bias by query-key distance (experiment)

    def to_dict(self) -> dict:
        return asdict(self)


class LoRALinear(nn.Linear):
    """``y = x·Wᵀ + b + (x·Aᵀ)·Bᵀ``; A [r, in] and B [out, r] are passed in (graph inputs in ONNX)."""

    def forward(self, x: torch.Tensor, lora: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> torch.Tensor:
        y = F.linear(x, self.weight, self.bias)
        if lora is not None:
            a, b = lora
            y = y + torch.matmul(torch.matmul(x, a.t()), b.t())
        return y


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.dim
        self.heads = cfg.heads
        self.ln1 = nn.LayerNorm(d)
        self.q = LoRALinear(d, d)
        self.k = LoRALinear(d, d)
        self.v = LoRALinear(d, d)
        self.out = LoRALinear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = LoRALinear(d, cfg.ffn_dim)
        self.fc2 = LoRALinear(cfg.ffn_dim, d)
        self.drop = Dropout(cfg.dropout)
        if cfg.rel_pos:  # rel[d]: the attention bias (every head) for a key d steps before its query (0 = itself)
            self.rel = nn.Parameter(torch.zeros(cfg.max_len))

    def forward(self, x: torch.Tensor, bias: torch.Tensor, lora: Dict[str, Tuple[torch.Tensor, torch.Tensor]], prefix: str,
                dist: Optional[torch.Tensor] = None):
        bsz, length, d = x.shape
        if dist is not None:  # [l, l] distances (Encoder.dist): broadcast over the batch (and the heads in eval mode)
            bias = bias + self.rel[dist]
        h = self.heads
        dh = d // h
        y = self.ln1(x)
        q = self.q(y, lora.get(prefix + "attn.q")).reshape(bsz, length, h, dh).transpose(1, 2)
        k = self.k(y, lora.get(prefix + "attn.k")).reshape(bsz, length, h, dh).transpose(1, 2)
        v = self.v(y, lora.get(prefix + "attn.v")).reshape(bsz, length, h, dh).transpose(1, 2)
        if bias.dim() == 3:  # training path (Encoder.forward in train mode): bias [B, l, l]; scale folded into q and
            # the bias add into the product (baddbmm): two passes over the [B, h, l, l] scores fewer, same math
            q = (q * (1.0 / math.sqrt(dh))).reshape(bsz * h, length, dh)
            b = bias if h == 1 else bias.unsqueeze(1).expand(bsz, h, length, length).reshape(bsz * h, length, length)
            att = torch.baddbmm(b, q, k.reshape(bsz * h, length, dh).transpose(1, 2))
            att = self.drop(torch.softmax(att, dim=-1))
            z = torch.bmm(att, v.reshape(bsz * h, length, dh)).reshape(bsz, h, length, dh)
            z = z.transpose(1, 2).reshape(bsz, length, d)
        else:  # the exported graph's formulation (eval mode)
            att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(dh)) + bias
            att = self.drop(torch.softmax(att, dim=-1))
            z = torch.matmul(att, v).transpose(1, 2).reshape(bsz, length, d)
        x = x + self.drop(self.out(z, lora.get(prefix + "attn.out")))
        y = self.ln2(x)
        y = self.fc2(self.drop(F.gelu(self.fc1(y, lora.get(prefix + "ffn.fc1")))), lora.get(prefix + "ffn.fc2"))
        return x + self.drop(y)


class Encoder(nn.Module):
    """History item vectors [B, l, D] + event types [B, l] -> hidden states [B, l, D] (l <= max_len, left-padded)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.pos = nn.Parameter(torch.randn(cfg.max_len, cfg.dim) * 0.02)
        self.event = nn.Embedding(NUM_EVENT_TYPES, cfg.dim)
        nn.init.zeros_(self.event.weight)
        self.event.weight.requires_grad_(False)  # public logs carry one event type: kept at zero (contract)
        self.drop = Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.blocks)])
        self.ln = nn.LayerNorm(cfg.dim)
        self.scale = math.sqrt(cfg.dim)
        self.register_buffer("causal", torch.tril(torch.ones(cfg.max_len, cfg.max_len)), persistent=False)
        self.register_buffer("eye", torch.eye(cfg.max_len), persistent=False)
        # True: eval mode reads the masks from these buffers, as exports before 2026-12-08 did (the same outputs; a
        # base exported then is recognised by that graph's hash: adapter.matching_base_sha)
        self.constant_masks = False
        if cfg.rel_pos:  # dist[q, k] = how many steps key k lies before query q (0 above the diagonal: masked anyway)
            idx = torch.arange(cfg.max_len)
            self.register_buffer("dist", (idx.unsqueeze(1) - idx.unsqueeze(0)).clamp_min(0), persistent=False)

    def lora_targets(self) -> List[Tuple[str, LoRALinear]]:
        out = []
        for i, b in enumerate(self.blocks):
            for name, mod in (("attn.q", b.q), ("attn.k", b.k), ("attn.v", b.v), ("attn.out", b.out),
                              ("ffn.fc1", b.fc1), ("ffn.fc2", b.fc2)):
                out.append((f"block{i}.{name}", mod))
        return out

    def forward(self, item_vectors: torch.Tensor, event_types: torch.Tensor,
                lora: Optional[Dict[str, Tuple[torch.Tensor, torch.Tensor]]] = None) -> torch.Tensor:
        lora = lora or {}
        length = item_vectors.shape[1]
        valid = (event_types > 0).to(item_vectors.dtype)  # [B, l]
        # positions are counted from the right (most recent = max_len-1), so trimming left padding changes nothing
        # the event embedding is in item-vector units (scaled with them): Adam moves every weight by ~lr a step, so an
        # unscaled type embedding would move sqrt(dim) times slower than the items in x (it barely learned: EVAL.md)
        x = (item_vectors + self.event(event_types)) * self.scale + self.pos[self.cfg.max_len - length:]
        x = self.drop(x) * valid.unsqueeze(-1)
        # allowed[q, k] = causal and key is real; a padding query sees itself so no softmax row is empty.
        gap = None  # [l, l]: how many steps key k lies before query q, where the masks are computed
        if self.training or self.constant_masks:  # slices of the constant buffers (exports before 2026-12-08 too)
            causal = self.causal[self.cfg.max_len - length:, self.cfg.max_len - length:]
            eye = self.eye[self.cfg.max_len - length:, self.cfg.max_len - length:]
        else:  # the exported graph: the [l, l] masks from a Range over the history's length, not [max_len, max_len]
            # constants (three of them were 640 KB of a maxLen-200 encoder). Comparisons, Cast and float arithmetic
            # only (onnxruntime has no bool EyeLike/Trilu kernels everywhere).
            idx = torch.arange(length, device=x.device)
            gap = idx.unsqueeze(1) - idx.unsqueeze(0)
            causal = (gap >= 0).to(x.dtype)
            eye = (gap == 0).to(x.dtype)
        if self.training:  # boolean mask ops (bytes), then one fill: [B, l, l] for Block's training path
            allowed = (causal.unsqueeze(0).bool() & (event_types > 0).unsqueeze(1)) | eye.unsqueeze(0).bool()
            bias = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill_(~allowed, NEG)
        else:
            allowed = torch.maximum(causal.unsqueeze(0) * valid.unsqueeze(1), eye.unsqueeze(0))  # [B, l, l]
            bias = ((1.0 - allowed) * NEG).unsqueeze(1)
        dist = None
        if self.cfg.rel_pos:
            dist = self.dist[:length, :length] if gap is None else gap.clamp_min(0)
        for i, blk in enumerate(self.blocks):
            x = blk(x, bias, lora, f"block{i}.", dist)
        return self.ln(x)


class ItemTower(nn.Module):
    """All item vectors at once: id_emb + mean over title tokens of proj(tok_emb[token])."""

    def __init__(self, cfg: ModelConfig, token_ids: Sequence[Sequence[int]]):
        super().__init__()
        self.cfg = cfg
        n = cfg.num_items
        assert len(token_ids) == n
        self.id_emb = nn.Parameter(torch.randn(n + 1, cfg.dim) * 0.05)
        # Token table, trained over the tokens the titles actually use (``used_tokens``); every other vocabulary row
        # is exported as zero. mean_matrix [N+1, n_used] averages a title's token rows ([CLS] and [SEP] included,
        # as transformers.js mean pooling over the attention mask does).
        used = sorted({t for ids in token_ids for t in ids})
        self.register_buffer("used_tokens", torch.tensor(used, dtype=torch.long))
        col = {t: j for j, t in enumerate(used)}
        self.tok_emb = nn.Parameter(torch.randn(len(used), cfg.text_dim) * 0.05)
        self.proj = nn.Linear(cfg.text_dim, cfg.dim)
        rows, cols, vals = [], [], []
        for i, ids in enumerate(token_ids):
            for t in ids:
                rows.append(i + 1)
                cols.append(col[t])
                vals.append(1.0 / len(ids))
        mean = torch.sparse_coo_tensor(torch.tensor([rows, cols]), torch.tensor(vals), (n + 1, len(used)))
        # a plain attribute, not a buffer: derived from the titles, and DDP cannot broadcast sparse buffers
        self.mean_matrix = mean.coalesce()
        self.register_buffer("id_mask", torch.ones(n + 1, 1), persistent=True)  # 0 = no ID part (cold item)
        self.id_mask[0] = 0

    def full_token_table(self) -> torch.Tensor:
        """[vocab, text_dim] token table as exported (zeros for tokens no training title contains)."""
        full = torch.zeros(self.cfg.vocab_size, self.cfg.text_dim)
        full[self.used_tokens] = self.tok_emb.detach()
        return full

    def text_vectors(self) -> torch.Tensor:
        """[N+1, D]; row 0 (padding) is zero."""
        m = self.mean_matrix  # mean of token rows (linear, so proj commutes)
        if self.training and torch.is_grad_enabled() and self.tok_emb.requires_grad:
            cache = getattr(self, "_mean_t", None)
            if cache is None or cache[0] is not m:  # (re)built when mean_matrix is replaced (e.g. moved to a device)
                cache = self._mean_t = (m, m.t().coalesce())
            pooled = _SpMM.apply(self.tok_emb, m, cache[1])
        else:
            pooled = torch.sparse.mm(m, self.tok_emb)
        out = self.proj(pooled)
        pad = torch.ones(out.shape[0], 1, dtype=out.dtype, device=out.device)
        pad[0] = 0
        return out * pad

    def forward(self, id_keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """[N+1, D] item vectors; ``id_keep`` [N+1, 1] optionally drops the ID part of some items (ID dropout)."""
        v = torch.zeros(self.cfg.num_items + 1, self.cfg.dim, device=self.id_emb.device)
        if self.cfg.use_ids:
            mask = self.id_mask if id_keep is None else self.id_mask * id_keep
            v = v + self.id_emb * mask
        if self.cfg.use_text:
            v = v + self.text_vectors()
        extra = getattr(self, "attributes", None)  # catalog attribute values (training/store/attributes.py)
        if extra is not None:
            v = v + extra()
        if self.cfg.item_norm:  # row 0 (padding) stays zero
            v = v / v.norm(dim=1, keepdim=True).clamp_min(1e-6)
        return v


class Recommender(nn.Module):
    def __init__(self, cfg: ModelConfig, token_ids: Sequence[Sequence[int]]):
        super().__init__()
        self.cfg = cfg
        self.items = ItemTower(cfg, token_ids)
        self.encoder = Encoder(cfg)

    def encode(self, item_table: torch.Tensor, seqs: torch.Tensor,
               event_types: Optional[torch.Tensor] = None) -> torch.Tensor:
        """seqs [B, l] item ids (0 = pad, left-padded) -> hidden [B, l, D]; ``event_types`` [B, l] (1..4, 0 = pad)
        defaults to all views."""
        return self.encoder(item_table[seqs], (seqs > 0).long() if event_types is None else event_types)

    def forward(self, inp: torch.Tensor, tgt: torch.Tensor, item_allowed: Optional[torch.Tensor] = None,
                id_keep: Optional[torch.Tensor] = None, mask_history: bool = False,
                event_types: Optional[torch.Tensor] = None,
                target_weights: Optional[torch.Tensor] = None,
                sampled: Optional["SampledNegatives"] = None, smoothing: float = 0.0,
                future: Tuple[int, float] = (0, 0.0),
                future_sampled: Optional["SampledNegatives"] = None) -> Tuple[torch.Tensor, int]:
        """Training loss: summed cross-entropy over all items at every non-padding position, and the count.

        ``mask_history``: the items already in the sequence up to a position are not negatives there (the
        ``exclude_history`` ranking never shows them), except the target itself. ``event_types`` [B, l]: the
        inputs' event types (default all views); ``target_weights`` [B, l]: each position's loss weight (default 1).
        ``sampled``: the softmax runs over the batch's targets and a uniform sample of items instead of the whole
        catalog, each logit corrected by its item's log inclusion probability (``SampledNegatives``).
        ``future`` = (k, g): each position also predicts the k items after its next one, the j-th of them with
        loss weight g ** j (extra rows of the same softmax; the count returned is still the next-item positions').
        ``future_sampled``: those later-item rows rank their own targets and a uniform sample instead of every item
        (logQ-corrected as ``sampled``), while the next-item rows keep the full softmax; ignored when ``sampled``
        already restricts every row."""
        table = self.items(id_keep)
        h = self.encode(table, inp, event_types)
        sel = tgt > 0
        count = int(sel.sum())

        def history(rows: torch.Tensor):
            if not mask_history:
                return None
            length = inp.shape[1]
            b_idx, i_idx = rows.nonzero(as_tuple=True)
            seen = inp[b_idx]  # [P, l] the sequence's inputs
            upto = torch.arange(length, device=inp.device).unsqueeze(0) <= i_idx.unsqueeze(1)
            return seen, upto & (seen > 0)

        hs, target, hist = h[sel], tgt[sel] - 1, history(sel)
        weights = None if target_weights is None else target_weights[sel]
        allowed = None if item_allowed is None else item_allowed[1:]
        w, later_loss = table[1:], None  # the later-item rows' loss when they rank a sample of their own
        if future[0] > 0:  # later items as extra targets of the same positions, down-weighted
            hs_l, tg_l, wt_l, hi_l = [hs], [target], [torch.ones_like(target, dtype=h.dtype) if weights is None
                                                      else weights], [hist]
            for j in range(1, int(future[0]) + 1):
                if j >= tgt.shape[1]:
                    break
                later = torch.zeros_like(tgt)
                later[:, :-j] = tgt[:, j:]
                rows = (later > 0) & sel
                scale = float(future[1]) ** j
                hs_l.append(h[rows])
                tg_l.append(later[rows] - 1)
                if target_weights is None:
                    wt_l.append(torch.full((int(rows.sum()),), scale, dtype=h.dtype, device=h.device))
                else:
                    shifted = torch.zeros_like(target_weights)
                    shifted[:, :-j] = target_weights[:, j:]
                    wt_l.append(shifted[rows] * scale)
                hi_l.append(history(rows))

            def joined(part: slice):  # the rows, targets, weights and histories of some of the target sets
                return (torch.cat(hs_l[part]), torch.cat(tg_l[part]), torch.cat(wt_l[part]),
                        (torch.cat([x[0] for x in hi_l[part]]), torch.cat([x[1] for x in hi_l[part]]))
                        if mask_history else None)

            if future_sampled is not None and sampled is None and len(hs_l) > 1:
                fh, ft, fwt, fhist = joined(slice(1, None))
                fh, fw, ft, fa, fhist = future_sampled.restrict(fh, w, ft, allowed, fhist)
                later_loss = full_softmax_ce(fh, fw, ft, fwt, fa, fhist, smoothing)
                hs_l, tg_l, wt_l, hi_l = hs_l[:1], tg_l[:1], wt_l[:1], hi_l[:1]
            hs, target, weights, hist = joined(slice(None))
        if sampled is not None:
            hs, w, target, allowed, hist = sampled.restrict(hs, w, target, allowed, hist)
        loss = full_softmax_ce(hs, w, target, weights, allowed, hist, smoothing)
        return (loss if later_loss is None else loss + later_loss), count

    def user_vectors(self, item_table: torch.Tensor, seqs: torch.Tensor,
                     event_types: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.encode(item_table, seqs, event_types)[:, -1]
