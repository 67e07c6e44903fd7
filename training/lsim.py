"""``items.lsim``: the item matrix, one int8 row per item with a float32 scale (docs/artifacts.md)."""
from __future__ import annotations

import struct

import numpy as np

MAGIC = b"LSIM"
VERSION = 1


def quantize_rows(v: np.ndarray):
    """Per-row symmetric int8: s_i = max_j |v_ij| / 127, q = round(v / s) in [-127, 127]."""
    v = np.asarray(v, dtype=np.float32)
    s = (np.abs(v).max(axis=1) / 127.0).astype(np.float32)
    safe = np.where(s > 0, s, 1.0).astype(np.float32)
    q = np.clip(np.rint(v / safe[:, None]), -127, 127).astype(np.int8)
    return q, s


def encode(v: np.ndarray) -> bytes:
    q, s = quantize_rows(v)
    n, d = q.shape
    return MAGIC + struct.pack("<III", VERSION, n, d) + s.astype("<f4").tobytes() + q.tobytes()


def write(path: str, v: np.ndarray) -> None:
    with open(path, "wb") as f:
        f.write(encode(v))


def decode(buf: bytes) -> np.ndarray:
    """Dequantized [N, D] float32 matrix; raises ValueError on a corrupt file."""
    if len(buf) < 16 or buf[:4] != MAGIC:
        raise ValueError("not an LSIM file")
    version, n, d = struct.unpack("<III", buf[4:16])
    if version != VERSION:
        raise ValueError(f"unsupported LSIM version {version}")
    if len(buf) != 16 + 4 * n + n * d:
        raise ValueError(f"LSIM length {len(buf)} != {16 + 4 * n + n * d}")
    s = np.frombuffer(buf, dtype="<f4", count=n, offset=16)
    q = np.frombuffer(buf, dtype=np.int8, count=n * d, offset=16 + 4 * n).reshape(n, d)
    return (q.astype(np.float32) * s[:, None]).astype(np.float32)


def read(path: str) -> np.ndarray:
    with open(path, "rb") as f:
        return decode(f.read())
