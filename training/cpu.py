"""CPU setup for training (issue 10 profile, training/README.md "Profile"): ``setup(threads)`` =
``configure_threads`` + ``keep_freed_memory``.

Threads: one pool of worker threads per core, not two.

PyTorch runs its own ops (elementwise, reductions, LayerNorm, softmax) on its OpenMP intra-op pool and its matrix
products in the BLAS library. Debian's PyTorch uses OpenBLAS built with pthreads: a second pool of threads that
spin-wait after every product. With both pools at 2 threads on 2 cores, each small op waits for a core the other
pool is spinning on: on the 2-core machine the old code's Beauty training step took 237 ms that way against 151 ms
with torch's pool at 1 thread and OpenBLAS at 2 (``python3 -m training.bench_epoch``, training/README.md "Profile"). So with a
pthreads OpenBLAS the products get the threads and torch's own ops run on the calling thread. Where BLAS shares
torch's OpenMP pool (MKL, or an OpenMP OpenBLAS, as in pip wheels), ``torch.set_num_threads(n)`` alone is right.

Memory: glibc serves every allocation above its mmap threshold (at most 32 MiB) with a fresh ``mmap`` and returns
it with ``munmap`` on free, so each large tensor (a batch's full-ranking scores, [1024, 12101] floats = 48 MiB)
is page-faulted in from zero pages again every time: copying such a tensor ran at ~2 GB/s instead of ~10.
``keep_freed_memory`` turns that off for the process (``mallopt``: no mmap chunks, no trimming), so freed memory is
reused. The process keeps its peak heap until it exits, which is what a training run wants.
"""
from __future__ import annotations

import ctypes
import ctypes.util
from typing import Optional

import torch

_BLAS: Optional[ctypes.CDLL] = None
_PROBED = False


def _openblas() -> Optional[ctypes.CDLL]:
    """The OpenBLAS already loaded by torch (same library handle), or None."""
    global _BLAS, _PROBED
    if not _PROBED:
        _PROBED = True
        for name in ("libopenblas.so.0", ctypes.util.find_library("openblas") or "", "libblas.so.3"):
            if not name:
                continue
            try:
                lib = ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
                lib.openblas_get_parallel.restype = ctypes.c_int
                lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
                _BLAS = lib
                break
            except (OSError, AttributeError):
                continue
    return _BLAS


def blas_kind() -> str:
    """'openblas-pthreads', 'openblas-openmp', 'openblas-serial' or 'other'."""
    lib = _openblas()
    if lib is None:
        return "other"
    return {0: "openblas-serial", 1: "openblas-pthreads", 2: "openblas-openmp"}.get(lib.openblas_get_parallel(), "other")


def keep_freed_memory() -> bool:
    """glibc only: serve large allocations from the heap and never trim it (see the module docstring)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_max = -1, -4
        return bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, ctypes.c_int(2 ** 31 - 1)))
    except (OSError, AttributeError):
        return False


def setup(threads: int) -> dict:
    """What a training process calls first: threads (``configure_threads``) and memory (``keep_freed_memory``)."""
    out = configure_threads(threads)
    out["malloc_tuned"] = keep_freed_memory()
    return out


def configure_threads(threads: int) -> dict:
    """Use ``threads`` cores for training without two competing thread pools; returns what was set."""
    threads = max(1, int(threads))
    kind = blas_kind()
    if kind == "openblas-pthreads":
        torch.set_num_threads(1)
        _openblas().openblas_set_num_threads(threads)
        return {"torch_threads": 1, "blas_threads": threads, "blas": kind}
    torch.set_num_threads(threads)
    return {"torch_threads": threads, "blas_threads": threads, "blas": kind}
