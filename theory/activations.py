"""Activation functions g with their first and second derivatives (NumPy).

Conventions (docs/DESIGN.md section 3): ``"erf"`` is g(x) = erf(x / sqrt(2)) -- note the sqrt(2) --
so that g'(x) = sqrt(2/pi) exp(-x^2/2); ``"relu"`` is max(x, 0) with g' the Heaviside step
(g'(0) = 1/2) and g'' = delta (handled analytically where it appears); ``"linear"`` is g(x) = x.
``"tanh"`` has no closed-form Gaussian integrals and always goes through quadrature.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import erf

__all__ = ["Activation", "get_activation", "ACTIVATIONS"]

_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)


@dataclass(frozen=True)
class Activation:
    """An activation with its derivatives.

    Attributes
    ----------
    name : str
        Registry name.
    g, dg : callable
        Elementwise NumPy functions g(x) and g'(x).
    d2g : callable or None
        g''(x) where it is an ordinary function; None for ReLU (a delta).
    smooth : bool
        Whether Gauss--Hermite quadrature converges spectrally (False for ReLU).
    """

    name: str
    g: Callable[[np.ndarray], np.ndarray]
    dg: Callable[[np.ndarray], np.ndarray]
    d2g: Callable[[np.ndarray], np.ndarray] | None
    smooth: bool = True


def _erf_g(x):
    return erf(np.asarray(x) / np.sqrt(2.0))


def _erf_dg(x):
    x = np.asarray(x)
    return _SQRT_2_OVER_PI * np.exp(-0.5 * x * x)


def _erf_d2g(x):
    x = np.asarray(x)
    return -x * _SQRT_2_OVER_PI * np.exp(-0.5 * x * x)


def _relu_dg(x):
    x = np.asarray(x)
    return np.where(x > 0, 1.0, np.where(x < 0, 0.0, 0.5))


def _tanh_dg(x):
    t = np.tanh(x)
    return 1.0 - t * t


def _tanh_d2g(x):
    t = np.tanh(x)
    return -2.0 * t * (1.0 - t * t)


ACTIVATIONS: dict[str, Activation] = {
    "erf": Activation("erf", _erf_g, _erf_dg, _erf_d2g),
    "relu": Activation("relu", lambda x: np.maximum(np.asarray(x), 0.0), _relu_dg, None, smooth=False),
    "linear": Activation("linear", lambda x: np.asarray(x, dtype=float), lambda x: np.ones_like(np.asarray(x, dtype=float)),
                         lambda x: np.zeros_like(np.asarray(x, dtype=float))),
    "tanh": Activation("tanh", np.tanh, _tanh_dg, _tanh_d2g),
}


def get_activation(name: str | Activation, parameter: str = "activation") -> Activation:
    """Return the registered activation called ``name``.

    Raises
    ------
    ValueError
        Naming ``parameter`` when ``name`` is not registered.
    """
    if isinstance(name, Activation):
        return name
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"{parameter}={name!r} is not a known activation; choose one of {sorted(ACTIVATIONS)}"
        ) from None
