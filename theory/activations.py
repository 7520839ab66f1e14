"""Activations: one capability record per activation, registered by name.

An :class:`Activation` carries everything any layer needs about g:

- the NumPy g, g', g'' (theory, quadrature);
- ``backend_pair``: (g, g') on any array-API backend (the simulators; :mod:`sims.activations`);
- ``code``: its index in the compiled kernels' scalar tables (``sims._committee_numba._g/_dg``);
- ``criticality``: its universality class at initialisation (RYH arXiv:2106.10165 ch. 5), with
  the slopes of a scale-invariant one;
- ``closed``: the Gaussian expectations with a closed form (``"I2"``, ``"J2"``, ``"I3"``,
  ``"I4"``), registered by :mod:`theory.gaussian_integrals` next to each formula
  (:func:`closed_form`); every other expectation goes through quadrature.

Conventions (docs/DESIGN.md section 3): ``"erf"`` is g(x) = erf(x / sqrt(2)) -- note the sqrt(2) --
so that g'(x) = sqrt(2/pi) exp(-x^2/2); ``"relu"`` is max(x, 0) with g' the Heaviside step
(g'(0) = 1/2) and g'' = delta (handled analytically where it appears); ``"linear"`` is g(x) = x;
``"tanh"``; ``"gelu"`` is x Phi(x) (the exact GELU, Hendrycks & Gimpel arXiv:1606.08415, not its
tanh approximation); ``"swish"`` is x sigmoid(x) (SiLU, beta = 1; Ramachandran et al.
arXiv:1710.05941); ``"sigmoid"`` is 1 / (1 + e^-x), computed as (1 + tanh(x/2)) / 2, which cannot
overflow. ``"tanh"``, ``"gelu"``, ``"swish"`` and ``"sigmoid"`` have no closed-form Gaussian
integrals here and go through quadrature.

Adding an activation: one :data:`ACTIVATIONS` entry (and, for the compiled kernels, its branch in
``sims._committee_numba``, checked against this record by ``tests/test_activations.py``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.special import erf, expit, ndtr

__all__ = ["Activation", "get_activation", "ACTIVATIONS", "closed_form"]

_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_ISQ2 = 1.0 / math.sqrt(2.0)
CRITICALITY_CLASSES = ("scale-invariant", "k0")


@dataclass(frozen=True)
class Activation:
    """An activation and what every layer can do with it.

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
    backend_pair : callable or None
        ``backend_pair(backend) -> (g, dg)`` acting on that backend's arrays (a
        :class:`sims.backends.Backend`: ``xp``, ``erf``, ``exp_``); None: NumPy theory only.
    code : int or None
        Index in the compiled kernels' scalar tables; None: no compiled kernel.
    criticality : {"scale-invariant", "k0"} or None
        RYH ch. 5: scale-invariant (g(x) = a_+ x for x > 0, a_- x below; ``slopes`` = (a_+, a_-)),
        the K* = 0 class (odd, smooth, g'(0) != 0), or neither (critical points by search,
        :func:`theory.criticality.critical_points`).
    slopes : (float, float) or None
        (a_+, a_-) of a scale-invariant activation.
    closed : dict
        Closed-form Gaussian expectations by kind (filled by :func:`closed_form`).
    """

    name: str
    g: Callable[[np.ndarray], np.ndarray]
    dg: Callable[[np.ndarray], np.ndarray]
    d2g: Callable[[np.ndarray], np.ndarray] | None
    smooth: bool = True
    backend_pair: Callable | None = field(default=None, compare=False, repr=False)
    code: int | None = None
    criticality: str | None = None
    slopes: tuple | None = None
    closed: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self):
        if self.criticality not in (None,) + CRITICALITY_CLASSES:
            raise ValueError(f"criticality must be one of {CRITICALITY_CLASSES} or None, got {self.criticality!r}")
        if (self.criticality == "scale-invariant") != (self.slopes is not None):
            raise ValueError("slopes (a_+, a_-) are given exactly for a scale-invariant activation")


# ---------------------------------------------------------------------------------------------
# NumPy g, g', g''
# ---------------------------------------------------------------------------------------------
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


def _phi(x):
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def _gelu_g(x):
    x = np.asarray(x, dtype=float)
    return x * ndtr(x)


def _gelu_dg(x):
    x = np.asarray(x, dtype=float)
    return ndtr(x) + x * _phi(x)


def _gelu_d2g(x):
    x = np.asarray(x, dtype=float)
    return (2.0 - x * x) * _phi(x)


def _swish_g(x):
    x = np.asarray(x, dtype=float)
    return x * expit(x)


def _swish_dg(x):
    x = np.asarray(x, dtype=float)
    s = expit(x)
    return s + x * s * (1.0 - s)


def _swish_d2g(x):
    x = np.asarray(x, dtype=float)
    s = expit(x)
    return s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s))


def _sigmoid_dg(x):
    s = expit(np.asarray(x, dtype=float))
    return s * (1.0 - s)


def _sigmoid_d2g(x):
    s = expit(np.asarray(x, dtype=float))
    return s * (1.0 - s) * (1.0 - 2.0 * s)


# ---------------------------------------------------------------------------------------------
# Array-API pairs (g, g'), each in few fresh arrays: these run in the simulators' hot loops
# ---------------------------------------------------------------------------------------------
def _erf_pair(bk):
    def g(x):
        t = x * _ISQ2
        return bk.erf(t, out=t)

    def dg(x):
        t = x * x
        t *= -0.5
        t = bk.exp_(t)
        t *= float(_SQRT_2_OVER_PI)
        return t
    return g, dg


def _relu_pair(bk):
    xp = bk.xp

    def dg(x):                      # 1 above 0, 1/2 at 0, 0 below: (sign(x) + 1) / 2
        t = xp.sign(x)
        t *= 0.5
        t += 0.5
        return t
    return (lambda x: xp.clip(x, 0.0, None)), dg


def _linear_pair(bk):
    return (lambda x: x), (lambda x: 1.0 + 0.0 * x)


def _tanh_pair(bk):
    xp = bk.xp
    return xp.tanh, (lambda x: 1.0 - xp.tanh(x) ** 2)


def _sigmoid_xp(xp, x):
    t = xp.tanh(0.5 * x)
    t *= 0.5
    t += 0.5
    return t


def _gelu_pair(bk):
    def Phi(x):
        t = x * _ISQ2
        t = bk.erf(t, out=t)
        t *= 0.5
        t += 0.5
        return t

    def phi(x):
        t = x * x
        t *= -0.5
        t = bk.exp_(t)
        t *= _INV_SQRT_2PI
        return t
    return (lambda x: x * Phi(x)), (lambda x: Phi(x) + x * phi(x))


def _swish_pair(bk):
    xp = bk.xp

    def dg(x):
        s = _sigmoid_xp(xp, x)
        return s + x * s * (1.0 - s)
    return (lambda x: x * _sigmoid_xp(xp, x)), dg


def _sigmoid_pair(bk):
    xp = bk.xp

    def dg(x):
        s = _sigmoid_xp(xp, x)
        return s * (1.0 - s)
    return (lambda x: _sigmoid_xp(xp, x)), dg


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Activation("erf", _erf_g, _erf_dg, _erf_d2g, backend_pair=_erf_pair, code=0, criticality="k0"),
    Activation("relu", lambda x: np.maximum(np.asarray(x), 0.0), _relu_dg, None, smooth=False,
               backend_pair=_relu_pair, code=1, criticality="scale-invariant", slopes=(1.0, 0.0)),
    Activation("linear", lambda x: np.asarray(x, dtype=float), lambda x: np.ones_like(np.asarray(x, dtype=float)),
               lambda x: np.zeros_like(np.asarray(x, dtype=float)), backend_pair=_linear_pair, code=2,
               criticality="scale-invariant", slopes=(1.0, 1.0)),
    Activation("tanh", np.tanh, _tanh_dg, _tanh_d2g, backend_pair=_tanh_pair, code=3, criticality="k0"),
    Activation("gelu", _gelu_g, _gelu_dg, _gelu_d2g, backend_pair=_gelu_pair, code=4),
    Activation("swish", _swish_g, _swish_dg, _swish_d2g, backend_pair=_swish_pair, code=5),
    Activation("sigmoid", lambda x: expit(np.asarray(x, dtype=float)), _sigmoid_dg, _sigmoid_d2g,
               backend_pair=_sigmoid_pair, code=6),
)}


def get_activation(name: str | Activation, parameter: str = "activation") -> Activation:
    """Return the registered activation called ``name`` (an :class:`Activation` is returned as is).

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


def closed_form(name: str, kind: str):
    """Decorator: register ``fn`` as the closed form of expectation ``kind`` for activation ``name``
    (used by :mod:`theory.gaussian_integrals` next to each formula)."""
    def register(fn):
        ACTIVATIONS[name].closed[kind] = fn
        return fn
    return register
