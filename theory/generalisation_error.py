r"""Generalisation error of a soft committee machine from its order parameters.

epsilon_g = 1/2 E[(phi - phi*)^2] over x ~ N(0, I_N) with a noise-free teacher (docs/DESIGN.md section 3),
phi = sum_k v_k g(lambda_k), phi* = sum_m v*_m g*(rho_m). With u = (-v, v*) over the K+M fields
and covariance C = [[Q, R], [R^T, T]]:

    epsilon_g = 1/2 sum_ab u_a u_b I2(a, b)

(Saad & Solla 1995; Goldt et al. 2019, arXiv:1906.08632, eq. (13) for erf:
eps_g = (1/pi)[sum_ik v_i v_k asin(Q_ik/sqrt((1+Q_ii)(1+Q_kk))) + ... - 2 sum v_i v*_n asin(...)]).
Works for any pair of registered activations (closed forms for erf/ReLU/linear and their mixed
pairs, 2-D Gauss--Hermite otherwise).
"""
from __future__ import annotations

import numpy as np

from twolayer import checks as _checks

from .gaussian_integrals import I2

__all__ = ["field_covariance", "pair_moments", "generalisation_error", "u_vector"]


def field_covariance(Q, R, T):
    """Covariance C = [[Q, R], [R^T, T]] of the fields (lambda_1..K, rho_1..M).

    Parameters
    ----------
    Q : array_like, shape (..., K, K)
    R : array_like, shape (..., K, M)
    T : array_like, shape (..., M, M)

    Returns
    -------
    ndarray, shape (..., K+M, K+M)
    """
    Q, R, T = (np.asarray(a, dtype=float) for a in (Q, R, T))
    batch = np.broadcast_shapes(Q.shape[:-2], R.shape[:-2], T.shape[:-2])
    K, M = R.shape[-2:]
    if Q.shape[-2:] != (K, K):
        raise ValueError(f"Q must have shape (..., {K}, {K}) to match R {R.shape}, got {Q.shape}")
    if T.shape[-2:] != (M, M):
        raise ValueError(f"T must have shape (..., {M}, {M}) to match R {R.shape}, got {T.shape}")
    C = np.empty(batch + (K + M, K + M))
    C[..., :K, :K] = Q
    C[..., :K, K:] = R
    C[..., K:, :K] = np.swapaxes(R, -1, -2)
    C[..., K:, K:] = T
    return C


def pair_moments(C, K, activation="erf", teacher_activation=None):
    """Matrix of I2(a, b) = E[g_a(f_a) g_b(f_b)] over all K+M fields.

    Parameters
    ----------
    C : ndarray, shape (..., P, P)
        Field covariance, students first.
    K : int
        Number of student fields; the remaining P-K use ``teacher_activation``.

    Returns
    -------
    ndarray, shape (..., P, P)
    """
    teacher_activation = activation if teacher_activation is None else teacher_activation
    d = np.diagonal(C, axis1=-2, axis2=-1)
    out = np.empty(C.shape)
    blocks = {"s": (slice(0, K), activation), "t": (slice(K, None), teacher_activation)}
    for ra, (sa, aa) in blocks.items():
        for rb, (sb, ab) in blocks.items():
            out[..., sa, sb] = I2(aa, ab, d[..., sa, None], C[..., sa, sb], d[..., None, sb])
    return out


def generalisation_error(Q, R, T, v, v_star, activation="erf", teacher_activation=None, *, check=True):
    """epsilon_g = 1/2 E(phi - phi*)^2 from order parameters.

    Parameters
    ----------
    Q : array_like, shape (..., K, K)
    R : array_like, shape (..., K, M)
    T : array_like, shape (..., M, M)
    v : array_like, shape (..., K)
    v_star : array_like, shape (..., M)
    activation, teacher_activation : str
        Student and teacher activations (teacher defaults to the student's).
    check : bool
        Check that every input is finite and that the joint covariance [[Q, R], [R^T, T]] is PSD
        (an InputError with the smallest eigenvalue otherwise: a non-PSD state has no network, and
        its "error" can be negative). The simulators and the ODE, whose states are Gram matrices
        by construction and may carry a diverged seed's NaN, pass False.

    Returns
    -------
    ndarray, shape (...)
    """
    if check:
        Q, R, T = (_checks.array(n, a, min_ndim=2) for n, a in (("Q", Q), ("R", R), ("T", T)))
        v, v_star = (_checks.array(n, a, min_ndim=1) for n, a in (("v", v), ("v_star", v_star)))
    C = field_covariance(Q, R, T)
    if check:
        _checks.psd("the joint covariance [[Q, R], [R^T, T]]", C)
    K = np.shape(Q)[-1]
    u = np.concatenate(u_vector(v, v_star, C.shape[:-2]), axis=-1)
    M2 = pair_moments(C, K, activation, teacher_activation)
    return 0.5 * np.einsum("...a,...ab,...b->...", u, M2, u)


def u_vector(v, v_star, batch):
    """(-v, v*) broadcast to ``batch``, as two arrays to concatenate (y - phi = sum_c u_c g(f_c))."""
    v = np.broadcast_to(np.asarray(v, float), batch + np.shape(v)[-1:])
    vs = np.broadcast_to(np.asarray(v_star, float), batch + np.shape(v_star)[-1:])
    return [-v, vs]
