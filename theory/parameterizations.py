r"""The parameterisations of a wide MLP: per-layer multipliers, initial scales and rates, and the
infinite-width kernels they imply (the map "parameterisation -> kernel hyperparameters").

Papers: Lee et al. arXiv:1902.06720 eq. (1) (NTK parameterisation), Theorem 2.1 (the NTK limit);
Roberts, Yaida & Hanin arXiv:2106.10165 eq. (8.12) (the learning-rate tensor lambda); Chizat,
Oyallon & Bach arXiv:1812.07956 and Mei, Montanari & Nguyen arXiv:1804.06561 (the alpha-scaled
two-layer net). docs/THEORY.md D.

Network (scalar output, depth L = len(widths) weight layers, widths = (n_0, n_1, ..., n_{L-1})):
z^(1) = c_1 W^(1) x + cb_1 b^(1), z^(l+1) = c_{l+1} W^(l+1) sigma(z^(l)) + cb_{l+1} b^(l+1), f = z^(L).

* ``"ntk"``: W, b ~ N(0, 1); c_l = sigma_w / sqrt(n_{l-1}), cb_l = sigma_b.
* ``"standard"``: W ~ N(0, sigma_w^2 / n_{l-1}), b ~ N(0, sigma_b^2); c_l = cb_l = 1.
* ``"scaled"`` (two layers only): f(x) = sigma_w (alpha / m) sum_j u_j sigma(theta_j . x sigma_w /
  sqrt(n_0) + sigma_b b_j), no readout bias, every rate multiplied by m / alpha^2
  (:mod:`theory.scaling_regimes` says why not m / alpha).

:class:`WideMLP` is the one description of such a network. It is pure data with the formulas that
follow from it: :meth:`WideMLP.layers` (the multipliers), :meth:`WideMLP.kernel_hyperparameters`
(C_b, C_W, lambda_b, lambda_W of :func:`theory.effective_theory.nngp_ntk`) and
:meth:`WideMLP.infinite_width_kernels`. :mod:`sims.wide_training` trains it (and re-exports it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks

from .activations import get_activation
from .effective_theory import nngp_ntk

__all__ = ["WideMLP", "PARAMETERIZATIONS"]

PARAMETERIZATIONS = ("standard", "ntk", "scaled")


@dataclass(frozen=True)
class WideMLP:
    """Architecture, parameterisation and per-layer rates (module docstring).

    Parameters
    ----------
    widths : tuple of int
        (n_0, n_1, ..., n_{L-1}): input dimension then hidden widths; the output is scalar.
    activation : str
        Any of :mod:`theory.activations` ("erf" is erf(x / sqrt 2)).
    parameterization : {"standard", "ntk", "scaled"}
    sigma_w, sigma_b : float
        Weight and bias scales (C_W = sigma_w^2, C_b = sigma_b^2). sigma_b = 0 removes the biases.
    alpha : float
        Output scale of ``"scaled"`` (required there, not allowed otherwise).
    lr_weights, lr_biases : tuple of float, length L
        Rate multipliers per layer (default 1).
    """

    widths: tuple
    activation: str = "erf"
    parameterization: str = "ntk"
    sigma_w: float = 1.0
    sigma_b: float = 0.0
    alpha: float | None = None
    lr_weights: tuple | None = None
    lr_biases: tuple | None = None

    def __post_init__(self):
        try:
            widths = tuple(self.widths)
        except TypeError:
            raise ValueError(f"widths must be a sequence of integers, got {self.widths!r}") from None
        if len(widths) < 2:
            raise ValueError(f"widths must hold the input dimension and >= 1 hidden width, got {widths!r}")
        for i, n in enumerate(widths):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"widths[{i}] must be an integer >= 1, got {n!r}")
        object.__setattr__(self, "widths", tuple(int(n) for n in widths))
        get_activation(self.activation)
        if self.parameterization not in PARAMETERIZATIONS:
            raise ValueError(f"parameterization must be one of {PARAMETERIZATIONS}, got {self.parameterization!r}")
        _checks.positive("sigma_w", self.sigma_w)
        _checks.nonneg("sigma_b", self.sigma_b)
        if self.parameterization == "scaled":
            if self.depth != 2:
                raise ValueError(f"parameterization='scaled' is defined for two layers; widths={widths!r}")
            if self.alpha is None:
                raise ValueError("parameterization='scaled' needs alpha (sqrt(m): lazy, 1: mean-field)")
            _checks.positive("alpha", self.alpha)
        elif self.alpha is not None:
            raise ValueError(f"alpha is only used with parameterization='scaled', got alpha={self.alpha!r}")
        for name in ("lr_weights", "lr_biases"):
            v = getattr(self, name)
            v = (1.0,) * self.depth if v is None else tuple(v)
            if len(v) != self.depth:
                raise ValueError(f"{name} needs {self.depth} per-layer values, got {len(v)}")
            object.__setattr__(self, name, tuple(_checks.nonneg(f"{name}[{i}]", x) for i, x in enumerate(v)))

    @property
    def depth(self) -> int:
        return len(self.widths)

    @property
    def width(self) -> int:
        """Width of the last hidden layer (m)."""
        return self.widths[-1]

    def with_(self, **changes) -> "WideMLP":
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d.update(changes)
        return WideMLP(**d)

    def layers(self):
        """Per layer: (fan_in, fan_out, c_W, c_b, std_W, std_b, rate_W, rate_b); c_b = 0: no bias."""
        out = []
        L, sw, sb, p = self.depth, self.sigma_w, self.sigma_b, self.parameterization
        rs = self.width / self.alpha**2 if p == "scaled" else 1.0
        for l in range(L):
            n_in = self.widths[l]
            n_out = self.widths[l + 1] if l + 1 < L else 1
            if p == "standard":
                cW, cb, sW, sB = 1.0, (1.0 if sb > 0 else 0.0), sw / math.sqrt(n_in), sb
            elif p == "scaled" and l == L - 1:
                cW, cb, sW, sB = sw * self.alpha / self.width, 0.0, 1.0, 0.0
            else:
                cW, cb, sW, sB = sw / math.sqrt(n_in), sb, 1.0, (1.0 if sb > 0 else 0.0)
            out.append((n_in, n_out, cW, cb, sW, sB, rs * self.lr_weights[l], rs * self.lr_biases[l]))
        return out

    def kernel_hyperparameters(self) -> dict:
        """Per-layer (C_b, C_W, lambda_b, lambda_W) of :func:`theory.effective_theory.nngp_ntk`.

        C_W = fan_in Var(c W), C_b = Var(cb b) (the variances of the effective weights), and the
        RYH learning-rate tensor lambda_W = r_W c^2 fan_in, lambda_b = r_b cb^2. For "scaled" the
        readout has C_W = sigma_w^2 alpha^2 / m and lambda_W = r sigma_w^2 (rate m/alpha^2).
        """
        C_b, C_W, lb, lW = [], [], [], []
        for (n_in, _, cW, cb, sW, sB, rW, rb) in self.layers():
            C_W.append((cW * sW) ** 2 * n_in)
            C_b.append((cb * sB) ** 2)
            lW.append(rW * cW**2 * n_in)
            lb.append(rb * cb**2)
        return dict(C_b=C_b, C_W=C_W, lambda_b=lb, lambda_W=lW)

    def infinite_width_kernels(self, X):
        """Infinite-width NNGP kernel K and NTK Theta on the rows of X, shape (P, P) each.

        Two-layer nets: K and the mean NTK are exact at any width (the first layer is Gaussian).
        For "scaled", K carries alpha^2 / m (f_0 vanishes in the mean-field limit).
        """
        hp = self.kernel_hyperparameters()
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.widths[0]:
            raise ValueError(f"X must have shape (P, {self.widths[0]}), got {X.shape}")
        return nngp_ntk(X, self.depth, activation=self.activation, **hp)
