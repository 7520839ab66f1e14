r"""Gaussian expectations with non-zero means, for the mixture ODEs and random features.

Refinetti, Goldt, Krzakala & Zdeborova, arXiv:2102.11742 (docs/THEORY.md B): given a cluster, the
pre-activations are Gaussian *with a mean* (the cluster centre's overlap with the weights). The
mixture ODEs close on one- and two-field expectations once every factor that is a Gaussian field
(nu_beta, lambda_k) has been removed by Stein's lemma,

    E[x f(a, b)] = E[x] E[f] + Cov(x, a) E[d_a f] + Cov(x, b) E[d_b f]      (any jointly Gaussian x),

which brings in g'' (a delta for ReLU). This module evaluates, for a ~ N(m_a, s_a^2),
b ~ N(m_b, s_b^2), Cov(a, b) = c_ab, and derivative orders i, j in {0, 1, 2},

    expect_1(act, i, m, s2)                 = E[g^(i)(a)]
    expect_2(act, (i, j), m_a, m_b, s_aa, s_ab, s_bb) = E[g^(i)(a) g^(j)(b)],  j <= 1,

broadcasting over any batch shape (clusters x index pairs in one call).

ReLU (g' = Heaviside, g'' = delta): closed forms in the bivariate normal CDF Phi_2, itself via
Owen's T function (scipy.special.owens_t). With h = m/s, Z standard normals of correlation r,
A = {Z_a > -h_a}, B = {Z_b > -h_b}, r' = sqrt(1 - r^2):

    P(A B)        = Phi_2(h_a, h_b; r)
    E[Z_b; A B]   = phi(h_b) Phi((h_a - r h_b)/r') + r phi(h_a) Phi((h_b - r h_a)/r')
    E[Z_a Z_b; A B] = r P(A B) - r h_b phi(h_b) Phi((h_a - r h_b)/r')
                      + phi(h_a) [r' phi((h_b - r h_a)/r') - r h_a Phi((h_b - r h_a)/r')]

(each from Stein's lemma applied to indicator functions), and E[delta(a) relu(b)] =
phi(h_a)/s_a E[relu(b) | a = 0]. Smooth activations (erf, tanh, linear) use tensor Gauss--Hermite
quadrature (spectral accuracy; exact for linear). The tests check every closed form against
quadrature / Monte Carlo.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr, owens_t

from .activations import get_activation
from .gaussian_integrals import tensor_grid

__all__ = ["bivariate_normal_cdf", "expect_1", "expect_2", "expect_diag", "gaussian_relu_mean"]

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _pdf(x):
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


def bivariate_normal_cdf(h, k, r):
    """P(Z_1 < h, Z_2 < k) for standard normals of correlation r (broadcast), via Owen's T.

    Phi_2 = (Phi(h) + Phi(k))/2 - T(h, a_h) - T(k, a_k) - beta, a_h = (k - r h)/(h r'),
    a_k = (h - r k)/(k r'), beta = 1/2 when h k < 0 (or h k = 0 with h + k < 0). Zero arguments are
    nudged by 1e-300-scale amounts (Phi_2 is continuous in h, k); |r| is clipped to 1 - 1e-15.
    """
    h, k, r = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (h, k, r)))
    r = np.clip(r, -1 + 1e-15, 1 - 1e-15)
    rp = np.sqrt(1 - r * r)
    tiny = 1e-150
    h = np.where(h == 0, tiny, h)
    k = np.where(k == 0, tiny * np.where(r < 0, -1.0, 1.0), k)
    ah = (k - r * h) / (h * rp)
    ak = (h - r * k) / (k * rp)
    beta = np.where(h * k < 0, 0.5, 0.0)
    return 0.5 * (ndtr(h) + ndtr(k)) - owens_t(h, ah) - owens_t(k, ak) - beta


def gaussian_relu_mean(m, s):
    """E[relu(a)], a ~ N(m, s^2) (s >= 0): m Phi(m/s) + s phi(m/s); relu(m) at s = 0."""
    m, s = np.broadcast_arrays(np.asarray(m, float), np.asarray(s, float))
    safe = np.where(s > 0, s, 1.0)
    h = m / safe
    return np.where(s > 0, m * ndtr(h) + safe * _pdf(h), np.maximum(m, 0.0))


def _check_order(i, allowed, name):
    if i not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {i!r}")


# ------------------------------------------------------------------------------------------------
# one field
# ------------------------------------------------------------------------------------------------
def _relu_1(i, m, s):
    h = m / s
    if i == 0:
        return s * (h * ndtr(h) + _pdf(h))
    if i == 1:
        return ndtr(h)
    return _pdf(h) / s


def expect_1(act, i: int, m, s2, *, order: int = 96):
    """E[g^(i)(a)], a ~ N(m, s2), i in {0, 1, 2}; shape = broadcast(m, s2).

    ReLU in closed form (i = 2: the density of a at 0); smooth activations by Gauss--Hermite with
    ``order`` nodes.
    """
    _check_order(i, (0, 1, 2), "derivative order")
    a = get_activation(act)
    m, s2 = np.broadcast_arrays(np.asarray(m, float), np.asarray(s2, float))
    s = np.sqrt(np.maximum(s2, 1e-300))
    if a.name == "relu":
        return _relu_1(i, m, s)
    f = (a.g, a.dg, a.d2g)[i]
    x, w = tensor_grid(1, order)
    return np.sum(f(m[..., None] + s[..., None] * x[:, 0]) * w, axis=-1)


# ------------------------------------------------------------------------------------------------
# two fields
# ------------------------------------------------------------------------------------------------
def _relu_2(i, j, ma, mb, sa, sb, r):
    """E[g^(i)(a) g^(j)(b)] for ReLU, (i, j) in {(0,0), (1,0), (2,0), (1,1), (2,1)}."""
    ha, hb = ma / sa, mb / sb
    rp = np.sqrt(np.maximum(1 - r * r, 0.0))
    if i == 2:
        # delta(a) g^(j)(b) = p_a(0) E[g^(j)(b) | a = 0]; b | a = 0 ~ N(mb - sb r ha, sb^2 r'^2)
        mc, sc = mb - sb * r * ha, sb * rp
        if j == 0:
            inner = gaussian_relu_mean(mc, sc)
        else:
            inner = np.where(sc > 0, ndtr(mc / np.where(sc > 0, sc, 1.0)), (mc > 0) + 0.5 * (mc == 0))
        return _pdf(ha) / sa * inner
    P = bivariate_normal_cdf(ha, hb, r)
    rps = np.where(rp > 0, rp, 1e-300)
    Fa = ndtr((ha - r * hb) / rps)           # P(A | Z_b = -h_b)
    Fb = ndtr((hb - r * ha) / rps)           # P(B | Z_a = -h_a)
    EZb = _pdf(hb) * Fa + r * _pdf(ha) * Fb
    if (i, j) == (1, 1):
        return P
    if (i, j) == (1, 0):                      # Theta(a) relu(b) = s_b (h_b + Z_b) 1_A 1_B
        return sb * (hb * P + EZb)
    if (i, j) == (0, 1):
        EZa = _pdf(ha) * Fb + r * _pdf(hb) * Fa
        return sa * (ha * P + EZa)
    EZa = _pdf(ha) * Fb + r * _pdf(hb) * Fa
    EZZ = r * P - r * hb * _pdf(hb) * Fa + _pdf(ha) * (rp * _pdf((hb - r * ha) / rps) - r * ha * Fb)
    return sa * sb * (ha * hb * P + ha * EZb + hb * EZa + EZZ)


def expect_2(act, ij, ma, mb, saa, sab, sbb, *, order: int = 32):
    """E[g^(i)(a) g^(j)(b)] for (a, b) Gaussian with means (ma, mb), covariance [[saa, sab], [sab, sbb]].

    Parameters
    ----------
    act : str or Activation
    ij : tuple (i, j)
        Derivative orders, i in {0, 1, 2}, j in {0, 1}.
    ma, mb, saa, sab, sbb : array_like, broadcastable
        Means and covariance entries (saa, sbb > 0; |sab| <= sqrt(saa sbb) up to rounding).
    order : int
        Gauss--Hermite nodes per dimension for smooth activations.

    Returns
    -------
    ndarray, broadcast shape of the inputs

    Notes
    -----
    Correlations are clipped to [-1, 1]. At |r| = 1 the ReLU formulas take their limits except
    through Phi_2 (clipped at 1 - 1e-15), so an exactly repeated field (a = b) should go through
    the one-field forms instead (the ODE does this on the diagonal).
    """
    i, j = ij
    _check_order(i, (0, 1, 2), "first derivative order")
    _check_order(j, (0, 1), "second derivative order")
    a = get_activation(act)
    ma, mb, saa, sab, sbb = np.broadcast_arrays(*(np.asarray(v, float) for v in (ma, mb, saa, sab, sbb)))
    sa, sb = np.sqrt(np.maximum(saa, 1e-300)), np.sqrt(np.maximum(sbb, 1e-300))
    r = np.clip(sab / (sa * sb), -1.0, 1.0)
    if a.name == "relu":
        return _relu_2(i, j, ma, mb, sa, sb, r)
    fa, fb = (a.g, a.dg, a.d2g)[i], (a.g, a.dg)[j]
    nodes, w = tensor_grid(2, order)
    z1, z2 = nodes[:, 0], nodes[:, 1]
    rp = np.sqrt(np.maximum(1 - r * r, 0.0))[..., None]
    xa = ma[..., None] + sa[..., None] * z1
    xb = mb[..., None] + sb[..., None] * (r[..., None] * z1 + rp * z2)
    return np.sum(fa(xa) * fb(xb) * w, axis=-1)


def expect_diag(act, ij, m, s2, *, order: int = 96):
    """E[g^(i)(a) g^(j)(a)] of one field a ~ N(m, s2) (the diagonal k = l of :func:`expect_2`).

    ReLU in closed form: relu^2 -> s^2[(h^2 + 1) Phi(h) + h phi(h)], Theta relu -> E relu,
    delta relu -> 0 (relu(0) = 0), Theta^2 -> Phi(h), delta Theta -> phi(h)/(2 s) (Theta(0) = 1/2).
    """
    i, j = ij
    _check_order(i, (0, 1, 2), "first derivative order")
    _check_order(j, (0, 1), "second derivative order")
    a = get_activation(act)
    m, s2 = np.broadcast_arrays(np.asarray(m, float), np.asarray(s2, float))
    s = np.sqrt(np.maximum(s2, 1e-300))
    if a.name == "relu":
        h = m / s
        if (i, j) == (0, 0):
            return s2 * ((h * h + 1) * ndtr(h) + h * _pdf(h))
        if (i, j) in ((1, 0), (0, 1)):
            return _relu_1(0, m, s)
        if (i, j) == (1, 1):
            return ndtr(h)
        return np.zeros_like(m) if j == 0 else 0.5 * _pdf(h) / s
    fa, fb = (a.g, a.dg, a.d2g)[i], (a.g, a.dg)[j]
    x, w = tensor_grid(1, order)
    xa = m[..., None] + s[..., None] * x[:, 0]
    return np.sum(fa(xa) * fb(xa) * w, axis=-1)
