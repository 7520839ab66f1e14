r"""Width exponents of training-time quantities: NTK (lazy) vs mean-field scaling.

Two-layer network with output scale alpha (docs/THEORY.md D; Chizat, Oyallon & Bach,
arXiv:1812.07956, section 2; Mei, Montanari & Nguyen, arXiv:1804.06561):

    f(x) = (alpha / m) sum_j u_j sigma(theta_j . x),   parameter rates (m / alpha^2) eta.

The rate m / alpha^2 is Chizat & Bach's 1/alpha^2 loss scaling times the mean-field m: it keeps the
function-space dynamics (the NTK (1/m) sum_j ...) of order one and alpha-independent at fixed t, so
each particle moves d(u_j, theta_j)/dt = O(1/alpha). Note: docs/THEORY.md writes the rates as
(m/alpha) eta; that choice makes f move alpha times faster (time rescaled by alpha) and the
per-neuron displacement *at fixed t* O(1) for every alpha. The 1/alpha law is then only visible at
a fixed training loss, not at fixed t, so the simulator uses m / alpha^2.

With alpha = m^a: per-neuron displacement ~ m^{-a}; whole-parameter displacement
||theta_t - theta_0|| ~ m^{1/2 - a}. a = 1/2 is the NTK parameterisation (lazy), a = 0 mean-field.
In the NTK parameterisation (Lee et al., arXiv:1902.06720 Theorem 2.1; Dyer & Gur-Ari,
arXiv:1909.11304 section 3): sup_t ||Theta_t - Theta_0|| and sup_t |f_t - f_t^lin| are
O(m^{-1/2}) (an upper bound) and in fact O(1/m) (the leading correction is a 1/m diagram).
"""
from __future__ import annotations

from dataclasses import dataclass

from twolayer import checks as _checks

__all__ = ["WidthExponent", "width_exponents"]


@dataclass(frozen=True)
class WidthExponent:
    """Predicted log-log slope in width m, with the bound that is proved and where it comes from."""

    quantity: str
    exponent: float
    bound: float | None
    source: str


def width_exponents(alpha_exponent: float = 0.5) -> dict[str, WidthExponent]:
    """Predicted width exponents for f = (m^a / m) sum_j u_j sigma(theta_j . x), rates m^{1-2a} eta.

    Parameters
    ----------
    alpha_exponent : float
        a in alpha = m^a; 0.5 = NTK parameterisation (lazy), 0 = mean-field. Must lie in [0, 1].

    Returns
    -------
    dict
        ``"neuron_displacement"``, ``"parameter_displacement"`` for every a; for a = 1/2 also
        ``"ntk_change"`` and ``"linearization_gap"`` (Lee bound -1/2, Dyer--Gur-Ari -1).
    """
    a = _checks.real("alpha_exponent", alpha_exponent)
    if not 0.0 <= a <= 1.0:
        raise ValueError(f"alpha_exponent must lie in [0, 1], got {alpha_exponent!r}")
    out = {
        "neuron_displacement": WidthExponent("mean_j |(u_j, theta_j)_t - (u_j, theta_j)_0|", -a, None,
                                             "arXiv:1812.07956 section 2 (1/alpha)"),
        "parameter_displacement": WidthExponent("||theta_t - theta_0||", 0.5 - a, None,
                                                "m neurons each moving 1/alpha"),
    }
    if a == 0.5:
        out["ntk_change"] = WidthExponent("sup_t ||Theta_t - Theta_0||_F", -1.0, -0.5,
                                          "arXiv:1909.11304 (-1); arXiv:1902.06720 Thm 2.1 (bound -1/2)")
        out["linearization_gap"] = WidthExponent("sup_t |f_t - f_t^lin|", -1.0, -0.5,
                                                 "arXiv:1909.11304 (-1); arXiv:1902.06720 Thm 2.1 (bound -1/2)")
    return out
