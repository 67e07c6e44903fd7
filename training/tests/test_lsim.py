import struct

import numpy as np
import pytest

from training import lsim


def test_round_trip_within_half_a_step():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(37, 64)).astype(np.float32) * rng.uniform(0.01, 3, size=(37, 1)).astype(np.float32)
    v[5] = 0  # an all-zero row must survive (scale 0)
    buf = lsim.encode(v)
    assert len(buf) == 16 + 4 * 37 + 37 * 64
    assert buf[:4] == b"LSIM" and struct.unpack("<III", buf[4:16]) == (1, 37, 64)
    back = lsim.decode(buf)
    scale = np.abs(v).max(1) / 127
    assert np.all(np.abs(back - v) <= scale[:, None] / 2 + 1e-7)
    assert np.all(back[5] == 0)
    # the scale is exactly max|v|/127 and the largest entry maps to ±127
    s = np.frombuffer(buf, "<f4", 37, 16)
    np.testing.assert_allclose(s, scale.astype(np.float32), rtol=0, atol=0)
    q = np.frombuffer(buf, np.int8, 37 * 64, 16 + 4 * 37).reshape(37, 64)
    assert np.all(np.abs(q).max(1)[np.arange(37) != 5] == 127)


def test_rejects_corrupt_files():
    buf = lsim.encode(np.ones((3, 4), np.float32))
    with pytest.raises(ValueError):
        lsim.decode(buf[:-1])
    with pytest.raises(ValueError):
        lsim.decode(buf + b"\0")
    with pytest.raises(ValueError):
        lsim.decode(b"LSIX" + buf[4:])
