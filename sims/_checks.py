"""Argument checks shared by the simulators: clear ValueErrors naming the parameter."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["pos_int", "nonneg"]


def pos_int(name, val, minimum=1):
    """``val`` as an int, or ValueError unless it is an integer (not bool) >= ``minimum``."""
    if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or val < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {val!r}")
    return int(val)


def nonneg(name, val):
    """``val`` as a float, or ValueError unless it is a finite number >= 0."""
    if not isinstance(val, (int, float, np.floating, np.integer)) or not math.isfinite(val) or val < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {val!r}")
    return float(val)
