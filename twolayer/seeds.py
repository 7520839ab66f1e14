"""Seeds: one way to read a seed, and independent child seeds derived by name.

Every random draw in twolayer comes from an explicit seed (a non-negative int or a
:class:`numpy.random.SeedSequence`). A computation that needs several independent streams does not
number them by hand (``SeedSequence([seed, 41, i, r])``: numbers that collide silently when two
call sites pick the same one); it names them::

    derive_seed(seed, "refinetti2021", "rf_features", i, r)

The child's entropy is the parent's entropy followed by 64 bits of SHA-256 of the canonical JSON
of the names (the parent's spawn key is kept), so

- the same seed and names give the same stream, on every machine and Python version (no
  ``hash()``, which is salted per process);
- different names give statistically independent streams (SeedSequence's mixing of distinct
  entropy words), and so do different parents;
- a derived seed can be derived again: ``derive_seed(derive_seed(s, "a"), "b")`` is a stream of
  its own, different from ``derive_seed(s, "a", "b")``.

:func:`sims.sweep.task_seed` (the seed of one task of a sweep, keyed by its parameters) is the
same construction with the task's key as the 64 bits.
"""
from __future__ import annotations

import hashlib
import json
import numbers

import numpy as np

__all__ = ["as_seed_sequence", "derive_seed", "name_key", "extend_seed"]


def as_seed_sequence(seed) -> np.random.SeedSequence:
    """``seed`` (int >= 0, SeedSequence) as a SeedSequence of this call; anything else raises ValueError naming ``seed``.

    A SeedSequence comes back as a *copy* (same entropy, spawn key, pool size and count of children
    already spawned). ``SeedSequence.spawn`` is stateful: without the copy, a function that spawns
    from the caller's object would advance it, so passing the same SeedSequence to two calls gave
    two different streams (and ``seed=SeedSequence(7)`` differed from ``seed=7`` in any function
    that spawns twice). With the copy, the same seed gives the same numbers, whichever way it is
    written, and the caller's object is never changed.
    """
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size,
                                      n_children_spawned=seed.n_children_spawned)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.SeedSequence(int(seed))
    raise ValueError(f"seed must be a non-negative int or a numpy.random.SeedSequence, got {seed!r}")


def name_key(*names) -> int:
    """64-bit key of a tuple of stream names: the first 16 hex digits of SHA-256 of their canonical JSON.

    Parameters
    ----------
    *names : str or int
        At least one. Floats are refused (``0.1`` and ``0.1000000001`` would name different streams
        for what a reader takes as one value): pass a label such as ``f"{eta:g}"`` instead.
    """
    if not names:
        raise ValueError("names must hold at least one name (str or int)")
    clean = []
    for i, n in enumerate(names):
        if isinstance(n, str):
            clean.append(n)
        elif isinstance(n, numbers.Integral) and not isinstance(n, bool):
            clean.append(int(n))
        else:
            raise TypeError(f"names[{i}] must be a str or an int, got {type(n).__name__} {n!r}")
    digest = hashlib.sha256(json.dumps(clean, separators=(",", ":")).encode()).hexdigest()
    return int(digest[:16], 16)


def extend_seed(seed, key: int) -> np.random.SeedSequence:
    """The child of ``seed`` whose entropy is ``seed``'s entropy followed by the 64-bit ``key`` (two words)."""
    root = as_seed_sequence(seed)
    if not isinstance(key, numbers.Integral) or isinstance(key, bool) or not 0 <= int(key) < 2 ** 64:
        raise ValueError(f"key must be an int in [0, 2**64), got {key!r}")
    key = int(key)
    return np.random.SeedSequence([*np.atleast_1d(root.entropy).tolist(), key & 0xFFFFFFFF, key >> 32],
                                  spawn_key=root.spawn_key)


def derive_seed(seed, *names) -> np.random.SeedSequence:
    """The child seed of ``seed`` named ``names``: ``extend_seed(seed, name_key(*names))``.

    Parameters
    ----------
    seed : int >= 0 or numpy.random.SeedSequence
        The parent.
    *names : str or int
        The stream's name, most general part first (paper, quantity, then loop indices).

    Returns
    -------
    numpy.random.SeedSequence
    """
    return extend_seed(seed, name_key(*names))
