"""Activations g and g' on any backend (same conventions as :mod:`theory.activations`).

``"erf"`` is erf(x/sqrt 2) with g' = sqrt(2/pi) exp(-x^2/2); ``"relu"`` has g'(0) = 1/2;
``"linear"``; ``"tanh"``. Integer codes are used by the numba kernels.
"""
from __future__ import annotations

import math

from theory.activations import get_activation

__all__ = ["backend_activation", "ACTIVATION_CODES"]

ACTIVATION_CODES = {"erf": 0, "relu": 1, "linear": 2, "tanh": 3}
_SQ2PI = math.sqrt(2.0 / math.pi)
_ISQ2 = 1.0 / math.sqrt(2.0)


def _erf(x, backend):
    """erf(x / sqrt 2) in one fresh array (hot path of the wide-network NTK)."""
    t = x * _ISQ2
    return backend.erf(t, out=t)


def _erf_prime(x, backend):
    """sqrt(2/pi) exp(-x^2/2) in one fresh array."""
    t = x * x
    t *= -0.5
    t = backend.exp_(t)
    t *= _SQ2PI
    return t


def _relu_prime(x, xp):
    """1 for x > 0, 1/2 at 0, 0 below: (sign(x) + 1) / 2 in one fresh array."""
    t = xp.sign(x)
    t *= 0.5
    t += 0.5
    return t


def backend_activation(name: str, backend):
    """Return ``(g, dg)`` acting on ``backend`` arrays; raises ValueError naming ``activation``."""
    name = get_activation(name).name
    xp = backend.xp
    if name == "erf":
        return (lambda x: _erf(x, backend)), (lambda x: _erf_prime(x, backend))
    if name == "relu":
        return (lambda x: xp.clip(x, 0.0, None)), (lambda x: _relu_prime(x, xp))
    if name == "linear":
        return (lambda x: x), (lambda x: 1.0 + 0.0 * x)
    if name == "tanh":
        return xp.tanh, (lambda x: 1.0 - xp.tanh(x) ** 2)
    raise ValueError(f"activation={name!r} has no backend implementation")
