"""Numba kernels of the structured random-features readout (:mod:`theory.random_features`).

The population matrix of the readout is never formed; conjugate gradients only need

    Omega v = dtot * v + sum_r beta_r * (A_r (A_r^T (beta_r * v))) + M^T (p * (M v)) + ridge * v,

with A_r (P x D) the input factor of component r (one shared factor for isotropic or shared-covariance
mixtures, one per cluster otherwise), beta_r (P,) the weights of component r and M (C x P) the
centred feature means. Each iteration therefore streams every factor twice. With k components on
one factor the two passes are k-column matrix products, a shape for which BLAS is slow (at P = 1600,
D = 800, k = 3..4 it takes 0.28-0.34 ms per pass, about as long as 4 single-vector products), so the
kernels below process four rows of A at a time and reuse them for all k columns.

Partial sums run over fixed blocks of ``_RB`` rows, so the result does not depend on the number of
threads. ``fastmath`` only allows fused multiply-adds (and, for the row dot products, reordering the
sum), so results agree with NumPy to round-off, not bit for bit.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

_RB = 200  # rows per partial sum of the projection


@njit(parallel=True, cache=True, fastmath={"contract"})
def project(A, U, T):
    """T = U @ A for A (P, D), U (k, P), T (k, D) (overwritten)."""
    P, D = A.shape
    k = U.shape[0]
    nc = (P + _RB - 1) // _RB
    part = np.zeros((nc, k, D))
    for c in prange(nc):
        lo = c * _RB
        hi = min(P, lo + _RB)
        pc = part[c]
        i = lo
        while i + 4 <= hi:
            a0 = A[i]
            a1 = A[i + 1]
            a2 = A[i + 2]
            a3 = A[i + 3]
            for r in range(k):
                c0 = U[r, i]
                c1 = U[r, i + 1]
                c2 = U[r, i + 2]
                c3 = U[r, i + 3]
                t = pc[r]
                for j in range(D):
                    t[j] += c0 * a0[j] + c1 * a1[j] + c2 * a2[j] + c3 * a3[j]
            i += 4
        while i < hi:
            a0 = A[i]
            for r in range(k):
                c0 = U[r, i]
                t = pc[r]
                for j in range(D):
                    t[j] += c0 * a0[j]
            i += 1
    for r in range(k):
        for j in range(D):
            s = 0.0
            for c in range(nc):
                s += part[c, r, j]
            T[r, j] = s


@njit(parallel=True, cache=True, fastmath={"reassoc", "contract"})
def expand(A, T, Y):
    """Y = T @ A.T for A (P, D), T (k, D), Y (k, P) (overwritten)."""
    P, D = A.shape
    k = T.shape[0]
    nq = (P + 3) // 4
    for q in prange(nq):
        i = 4 * q
        if i + 4 <= P:
            a0 = A[i]
            a1 = A[i + 1]
            a2 = A[i + 2]
            a3 = A[i + 3]
            for r in range(k):
                t = T[r]
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                for j in range(D):
                    tj = t[j]
                    s0 += a0[j] * tj
                    s1 += a1[j] * tj
                    s2 += a2[j] * tj
                    s3 += a3[j] * tj
                Y[r, i] = s0
                Y[r, i + 1] = s1
                Y[r, i + 2] = s2
                Y[r, i + 3] = s3
        else:
            for ii in range(i, P):
                for r in range(k):
                    s = 0.0
                    for j in range(D):
                        s += A[ii, j] * T[r, j]
                    Y[r, ii] = s


@njit(cache=True)
def _omega(A3, starts, beta, dtot, M, p, ridge, v, U, T, Y, out):
    """out = Omega v (module docstring); U, Y (k, P) and T (k, D) are work arrays."""
    k, P = beta.shape
    for r in range(k):
        for i in range(P):
            U[r, i] = beta[r, i] * v[i]
    for a in range(A3.shape[0]):
        lo, hi = starts[a], starts[a + 1]
        project(A3[a], U[lo:hi], T[lo:hi])
        expand(A3[a], T[lo:hi], Y[lo:hi])
    Mv = M @ v
    for i in range(P):
        s = (dtot[i] + ridge) * v[i]
        for r in range(k):
            s += beta[r, i] * Y[r, i]
        for c in range(M.shape[0]):
            s += p[c] * Mv[c] * M[c, i]
        out[i] = s


@njit(cache=True)
def pcg(A3, starts, beta, dtot, M, p, ridge, rhs, dinv, rtol, maxiter):
    """Jacobi-preconditioned conjugate gradients for Omega x = rhs, started at x = 0.

    Stops when |r| <= rtol |rhs| (the criterion of ``scipy.sparse.linalg.cg`` with atol = 0).
    Returns (x, iterations, converged).
    """
    k, P = beta.shape
    U = np.empty((k, P))
    Y = np.empty((k, P))
    T = np.empty((k, A3.shape[2]))
    x = np.zeros(P)
    r = rhs.copy()
    z = r * dinv
    d = z.copy()
    q = np.empty(P)
    rz = r @ z
    stop = rtol * np.sqrt(rhs @ rhs)
    if np.sqrt(r @ r) <= stop:
        return x, 0, True
    for it in range(1, maxiter + 1):
        _omega(A3, starts, beta, dtot, M, p, ridge, d, U, T, Y, q)
        dq = d @ q
        if not dq > 0.0:                       # Omega not positive definite along d (or NaN)
            return x, it, False
        alpha = rz / dq
        x += alpha * d
        r -= alpha * q
        if np.sqrt(r @ r) <= stop:
            return x, it, True
        z = r * dinv
        rz_new = r @ z
        d = z + (rz_new / rz) * d
        rz = rz_new
    return x, maxiter, False
