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
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, lora: Dict[str, Tuple[torch.Tensor, torch.Tensor]], prefix: str):
        bsz, length, d = x.shape
        h = self.heads
        dh = d // h
        y = self.ln1(x)
        q = self.q(y, lora.get(prefix + "attn.q")).reshape(bsz, length, h, dh).transpose(1, 2)
        k = self.k(y, lora.get(prefix + "attn.k")).reshape(bsz, length, h, dh).transpose(1, 2)
        v = self.v(y, lora.get(prefix + "attn.v")).reshape(bsz, length, h, dh).transpose(1, 2)
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
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.blocks)])
        self.ln = nn.LayerNorm(cfg.dim)
        self.scale = math.sqrt(cfg.dim)
        self.register_buffer("causal", torch.tril(torch.ones(cfg.max_len, cfg.max_len)), persistent=False)
        self.register_buffer("eye", torch.eye(cfg.max_len), persistent=False)

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
        x = item_vectors * self.scale + self.pos[self.cfg.max_len - length:] + self.event(event_types)
        x = self.drop(x) * valid.unsqueeze(-1)
        # allowed[q, k] = causal and key is real; a padding query sees itself so no softmax row is empty.
        # Float arithmetic on constant buffers only (onnxruntime has no bool EyeLike/Trilu kernels everywhere).
        causal = self.causal[self.cfg.max_len - length:, self.cfg.max_len - length:]
        eye = self.eye[self.cfg.max_len - length:, self.cfg.max_len - length:]
        allowed = torch.maximum(causal.unsqueeze(0) * valid.unsqueeze(1), eye.unsqueeze(0))  # [B, l, l]
        bias = ((1.0 - allowed) * NEG).unsqueeze(1)
        for i, blk in enumerate(self.blocks):
            x = blk(x, bias, lora, f"block{i}.")
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
        pooled = torch.sparse.mm(self.mean_matrix, self.tok_emb)  # mean of token rows (linear, so proj commutes)
        out = self.proj(pooled)
        pad = torch.ones(out.shape[0], 1, dtype=out.dtype)
        pad[0] = 0
        return out * pad

    def forward(self, id_keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """[N+1, D] item vectors; ``id_keep`` [N+1, 1] optionally drops the ID part of some items (ID dropout)."""
        v = torch.zeros(self.cfg.num_items + 1, self.cfg.dim)
        if self.cfg.use_ids:
            mask = self.id_mask if id_keep is None else self.id_mask * id_keep
            v = v + self.id_emb * mask
        if self.cfg.use_text:
            v = v + self.text_vectors()
        return v


class Recommender(nn.Module):
    def __init__(self, cfg: ModelConfig, token_ids: Sequence[Sequence[int]]):
        super().__init__()
        self.cfg = cfg
        self.items = ItemTower(cfg, token_ids)
        self.encoder = Encoder(cfg)

    def encode(self, item_table: torch.Tensor, seqs: torch.Tensor) -> torch.Tensor:
        """seqs [B, l] item ids (0 = pad, left-padded) -> hidden [B, l, D]."""
        return self.encoder(item_table[seqs], (seqs > 0).long())

    def forward(self, inp: torch.Tensor, tgt: torch.Tensor, item_allowed: Optional[torch.Tensor] = None,
                id_keep: Optional[torch.Tensor] = None, mask_history: bool = False) -> Tuple[torch.Tensor, int]:
        """Training loss: summed cross-entropy over all items at every non-padding position, and the count.

        ``mask_history``: the items already in the sequence up to a position are not negatives there (the
        ``exclude_history`` ranking never shows them), except the target itself."""
        table = self.items(id_keep)
        h = self.encode(table, inp)
        sel = tgt > 0
        logits = h[sel] @ table[1:].t()
        target = tgt[sel] - 1
        if item_allowed is not None:  # cold-start variant: held-out items do not exist during training
            logits = logits.masked_fill(~item_allowed[1:], float("-inf"))
        if mask_history:
            length = inp.shape[1]
            b_idx, i_idx = sel.nonzero(as_tuple=True)
            seen = inp[b_idx]  # [P, l] the sequence's inputs
            upto = torch.arange(length).unsqueeze(0) <= i_idx.unsqueeze(1)
            valid = upto & (seen > 0)
            col = torch.where(valid, seen - 1, target.unsqueeze(1))
            penalty = torch.zeros_like(logits).scatter_(1, col, valid.to(logits.dtype) * NEG)
            penalty[torch.arange(len(target)), target] = 0.0
            logits = logits + penalty
        return F.cross_entropy(logits, target, reduction="sum"), int(sel.sum())

    def user_vectors(self, item_table: torch.Tensor, seqs: torch.Tensor) -> torch.Tensor:
        return self.encode(item_table, seqs)[:, -1]
