"""Numba kernels of committee-machine online SGD (see :mod:`sims.teacher_student`).

- :func:`gram_chunk`: the exact order-parameter chain. One call advances every seed through a
  chunk of pre-drawn noise. Sequential in steps (the chain is Markov), parallel over seeds; per
  step it costs O((K+M)^3) flops, independent of N.
- :func:`full_chunk`: explicit-weight SGD on pre-drawn inputs. Same arithmetic as the array-API
  kernel, fused per step: fields (K+M) N, update K N flops. Parallel over seeds, sequential in
  steps; checks every step for non-finite weights.

Both kernels and the activations' scalar tables ``_g``/``_dg`` they inline live in this one file on
purpose: numba's on-disk cache is invalidated by a change of the cached function's own file only,
so a kernel in another file would keep a stale copy of an edited table.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from twolayer.linalg import SEMIDEFINITE_RTOL

_SQ2PI = math.sqrt(2.0 / math.pi)
_ISQ2 = 1.0 / math.sqrt(2.0)


_INV_SQ2PI = 1.0 / math.sqrt(2.0 * math.pi)


# Scalar tables of the activations, indexed by theory.activations.Activation.code (one branch per
# registered code; tests/test_activations.py checks every code against its record's g and g').
@njit(cache=True, inline="always")
def _g(code, x):
    if code == 0:                                   # erf(x / sqrt 2)
        return math.erf(x * _ISQ2)
    if code == 1:                                   # relu
        return x if x > 0.0 else 0.0
    if code == 2:                                   # linear
        return x
    if code == 3:                                   # tanh
        return math.tanh(x)
    if code == 4:                                   # gelu: x Phi(x)
        return 0.5 * x * (1.0 + math.erf(x * _ISQ2))
    if code == 5:                                   # swish: x sigmoid(x)
        return x * (0.5 + 0.5 * math.tanh(0.5 * x))
    return 0.5 + 0.5 * math.tanh(0.5 * x)           # 6: sigmoid


@njit(cache=True, inline="always")
def _dg(code, x):
    if code == 0:
        return _SQ2PI * math.exp(-0.5 * x * x)
    if code == 1:
        return 1.0 if x > 0.0 else (0.0 if x < 0.0 else 0.5)
    if code == 2:
        return 1.0
    if code == 3:
        t = math.tanh(x)
        return 1.0 - t * t
    if code == 4:
        return 0.5 * (1.0 + math.erf(x * _ISQ2)) + x * _INV_SQ2PI * math.exp(-0.5 * x * x)
    s = 0.5 + 0.5 * math.tanh(0.5 * x)
    if code == 5:
        return s + x * s * (1.0 - s)
    return s * (1.0 - s)


@njit(cache=True, parallel=True)
def gram_chunk(Q, R, T, v, vs, z, zeta, perp, act_s, act_t, eta, eta_v, sigma, kappa, N,
               status, bad_step, step0):
    """Advance (Q, R, v) in place through ``z.shape[1]`` steps of mini-batches of B inputs.

    Q (S,K,K), R (S,K,M), T (S,M,M), v (S,K), vs (M,), z (S,n,B,P), zeta (S,n,B), perp (S,n,B,B)
    (the inputs' Gram matrix orthogonal to the weights; for B = 1 the chi^2 of plain SGD).
    status[s]: 0 running, 1 non-finite, 2 field covariance not positive semi-definite (a pivot
    below -SEMIDEFINITE_RTOL * C[j, j]); bad_step[s] is the global step at which that happened. A pivot in
    [-SEMIDEFINITE_RTOL, SEMIDEFINITE_RTOL] * C[j, j] is a rank drop (semi-definite Cholesky): L's column j is zero,
    and z_j still enters x^mu.x^nu, which keeps x^mu.x^nu = z^mu.z^nu + perp exact at any rank r
    (the dropped z_j are components orthogonal to the span, like the Wishart part). Every sum over
    the batch starts from its first term, so B = 1 repeats plain SGD's arithmetic exactly.
    """
    S, n, B, P = z.shape
    K = Q.shape[1]
    M = T.shape[1]
    decay = 1.0 - kappa / N
    BN = B * N
    BBNN = B * B * N * N
    for s in prange(S):
        if status[s] != 0:
            continue
        C = np.empty((P, P))
        L = np.zeros((P, P))
        f = np.empty((B, P))
        c = np.empty((B, K))
        glam = np.empty((B, K))
        err = np.empty(B)
        X = np.empty((B, B))
        for t in range(n):
            for i in range(K):
                for k in range(K):
                    C[i, k] = Q[s, i, k]
                for m in range(M):
                    C[i, K + m] = R[s, i, m]
                    C[K + m, i] = R[s, i, m]
            for m in range(M):
                for l in range(M):
                    C[K + m, K + l] = T[s, m, l]
            ok = True
            for j in range(P):
                acc = C[j, j]
                for q in range(j):
                    acc -= L[j, q] * L[j, q]
                tol = SEMIDEFINITE_RTOL * C[j, j]
                if acc > tol:
                    L[j, j] = math.sqrt(acc)
                    for i in range(j + 1, P):
                        acc2 = C[i, j]
                        for q in range(j):
                            acc2 -= L[i, q] * L[j, q]
                        L[i, j] = acc2 / L[j, j]
                elif acc >= -tol:
                    # field j is (to round-off) a combination of fields 0..j-1: rank drops by one
                    for i in range(j, P):
                        L[i, j] = 0.0
                else:
                    ok = False
                    break
            if not ok:
                status[s] = 2 if math.isfinite(C[0, 0]) else 1
                bad_step[s] = step0 + t
                break
            for mu in range(B):
                for i in range(P):
                    acc = 0.0
                    for q in range(i + 1):
                        acc += L[i, q] * z[s, t, mu, q]
                    f[mu, i] = acc
                for nu in range(mu + 1):
                    acc = 0.0
                    for i in range(P):
                        acc += z[s, t, mu, i] * z[s, t, nu, i]
                    X[mu, nu] = acc + perp[s, t, mu, nu]
                    X[nu, mu] = X[mu, nu]
                e = sigma * zeta[s, t, mu]
                for m in range(M):
                    e += vs[m] * _g(act_t, f[mu, K + m])
                for i in range(K):
                    glam[mu, i] = _g(act_s, f[mu, i])
                    e -= v[s, i] * glam[mu, i]
                err[mu] = e
                for i in range(K):
                    c[mu, i] = eta * v[s, i] * _dg(act_s, f[mu, i]) * e
            for i in range(K):
                for k in range(i, K):
                    drift = c[0, i] * f[0, k] + c[0, k] * f[0, i]
                    noise = c[0, i] * c[0, k] * X[0, 0]
                    for mu in range(B):
                        if mu > 0:
                            drift += c[mu, i] * f[mu, k] + c[mu, k] * f[mu, i]
                        for nu in range(B):
                            if mu > 0 or nu > 0:
                                noise += c[mu, i] * c[nu, k] * X[mu, nu]
                    val = decay * decay * Q[s, i, k] + decay * drift / BN + noise / BBNN
                    Q[s, i, k] = val
                    Q[s, k, i] = val
                for m in range(M):
                    acc = c[0, i] * f[0, K + m]
                    for mu in range(1, B):
                        acc += c[mu, i] * f[mu, K + m]
                    R[s, i, m] = decay * R[s, i, m] + acc / BN
            if eta_v != 0.0:
                for i in range(K):
                    acc = eta_v * glam[0, i] * err[0]
                    for mu in range(1, B):
                        acc += eta_v * glam[mu, i] * err[mu]
                    v[s, i] = decay * v[s, i] + acc / BN
            finite = True
            for i in range(K):
                if not math.isfinite(Q[s, i, i]) or not math.isfinite(v[s, i]):
                    finite = False
            if not finite:
                status[s] = 1
                bad_step[s] = step0 + t
                break


@njit(cache=True, parallel=True)
def full_chunk(w, ws, v, vs, x, zeta, act_s, act_t, eta, eta_v, sigma, kappa, status, bad_step, step0):
    """Advance w (S,K,N) and v (S,K) in place through x (S,n,B,N), zeta (S,n,B): mini-batches of B
    inputs, the update averaged over the batch (B = 1 repeats plain SGD's arithmetic exactly)."""
    S, n, B, N = x.shape
    K = w.shape[1]
    M = ws.shape[1]
    sqN = math.sqrt(N)
    decay = 1.0 - kappa / N
    BN = B * N
    for s in prange(S):
        if status[s] != 0:
            continue
        lam = np.empty((B, K))
        c = np.empty((B, K))
        err = np.empty(B)
        for t in range(n):
            finite = True
            for mu in range(B):
                e = sigma * zeta[s, t, mu]
                for m in range(M):
                    acc = 0.0
                    for j in range(N):
                        acc += ws[s, m, j] * x[s, t, mu, j]
                    e += vs[m] * _g(act_t, acc / sqN)
                for i in range(K):
                    acc = 0.0
                    for j in range(N):
                        acc += w[s, i, j] * x[s, t, mu, j]
                    lam[mu, i] = acc / sqN
                    e -= v[s, i] * _g(act_s, lam[mu, i])
                err[mu] = e
                if not math.isfinite(e):
                    finite = False
                for i in range(K):
                    c[mu, i] = eta * v[s, i] * _dg(act_s, lam[mu, i]) * e / sqN / B
            for i in range(K):
                for j in range(N):
                    acc = c[0, i] * x[s, t, 0, j]
                    for mu in range(1, B):
                        acc += c[mu, i] * x[s, t, mu, j]
                    w[s, i, j] = decay * w[s, i, j] + acc
                if eta_v != 0.0:
                    acc = eta_v * _g(act_s, lam[0, i]) * err[0]
                    for mu in range(1, B):
                        acc += eta_v * _g(act_s, lam[mu, i]) * err[mu]
                    v[s, i] = decay * v[s, i] + acc / BN
                for mu in range(B):
                    if not math.isfinite(c[mu, i]):
                        finite = False
                if not math.isfinite(v[s, i]):
                    finite = False
            if not finite:
                status[s] = 1
                bad_step[s] = step0 + t
                break
