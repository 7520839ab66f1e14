"""Timing helper shared by the ratio benchmarks."""
from __future__ import annotations

import time

import numpy as np


def best_time(fn, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls of ``fn()`` (the least disturbed run on a noisy machine)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
