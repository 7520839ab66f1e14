r"""Bayes error of the symmetric XOR-like Gaussian mixture (Refinetti et al., arXiv:2102.11742;
docs/THEORY.md B).

Clusters at +-s e_1 (y = -1) and +-s e_2 (y = +1), isotropic variance Delta, equal probabilities.
The posterior ratio is cosh(x_2 s / Delta) / cosh(x_1 s / Delta), so the Bayes rule is
sign(|x_2| - |x_1|) (what a K = 4 ReLU net along +-e_1, +-e_2 computes). By symmetry the error is
that of the cluster at +s e_2:

    eps_B = P(|sqrt(Delta) z_1| > |s + sqrt(Delta) z_2|) = E_z erfc(|s + sqrt(Delta) z| / sqrt(2 Delta)),

a 1-D integral done by adaptive quadrature (scipy.integrate.quad) split at the kink z = -s/sqrt(Delta).
"""
from __future__ import annotations

import numpy as np

from twolayer import checks as _checks
from scipy import integrate
from scipy.special import erfc
from scipy.stats import norm

__all__ = ["xor_bayes_error"]


def xor_bayes_error(Delta: float, scale: float = 1.0) -> float:
    """Bayes error of the balanced XOR mixture with centre norm ``scale`` and variance ``Delta``."""
    Delta = _checks.positive("Delta", Delta)
    scale = _checks.nonneg("scale", scale)
    sd = np.sqrt(Delta)

    def f(z):
        return erfc(abs(scale + sd * z) / np.sqrt(2 * Delta)) * norm.pdf(z)
    kink = -scale / sd
    lo, _ = integrate.quad(f, -np.inf, kink, epsabs=1e-13, epsrel=1e-11, limit=200)
    hi, _ = integrate.quad(f, kink, np.inf, epsabs=1e-13, epsrel=1e-11, limit=200)
    return float(lo + hi)
