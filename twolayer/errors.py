"""Exception types shared by every layer.

``InputError`` is a ``ValueError`` (and, for wrong types, callers raise ``TypeError``): existing
``except ValueError`` code keeps working. ``DivergedError`` is the one base of every "this
computation left the finite (or the bounded) world" error: the ODE's, the simulators' and the
state evolution's, so ``except DivergedError`` catches any of them; each message names the time
(step or alpha) and, for ensembles, the seed.
"""
from __future__ import annotations

__all__ = ["InputError", "DivergedError"]


class InputError(ValueError):
    """A bad argument; the message starts with the parameter's name."""


class DivergedError(FloatingPointError):
    """A computation became non-finite or ran past a bound derived from the problem."""
