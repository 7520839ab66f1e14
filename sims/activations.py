"""Activations g and g' on any backend: the array-API pair of each :class:`theory.activations.Activation`.

Same conventions as :mod:`theory.activations` (``"erf"`` is erf(x/sqrt 2), ``"relu"`` has
g'(0) = 1/2). The integer codes of the compiled kernels are the records' ``code`` fields.
"""
from __future__ import annotations

from theory.activations import ACTIVATIONS, get_activation

__all__ = ["backend_activation", "ACTIVATION_CODES"]

ACTIVATION_CODES = {name: a.code for name, a in ACTIVATIONS.items() if a.code is not None}


def backend_activation(name, backend):
    """Return ``(g, dg)`` acting on ``backend`` arrays; raises ValueError naming ``activation``."""
    act = get_activation(name)
    if act.backend_pair is None:
        raise ValueError(f"activation={act.name!r} has no array-API implementation (backend_pair); "
                         f"the simulators take one of {sorted(n for n, a in ACTIVATIONS.items() if a.backend_pair)}")
    return act.backend_pair(backend)

