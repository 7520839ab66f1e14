"""Helpers shared by the benchmarks: best-of-n timing and backend resolution for asv setups."""
from __future__ import annotations

import time

import numpy as np

from sims.backends import BackendUnavailableError, get_backend


def best_time(fn, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls of ``fn()`` (the least disturbed run on a noisy machine)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def backend_or_skip(spec):
    """The backend ``spec``; NotImplementedError (asv's "skipped") when it cannot run here."""
    try:
        return get_backend(spec)
    except BackendUnavailableError as exc:
        raise NotImplementedError(str(exc)) from exc
