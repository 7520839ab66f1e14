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

_SQ2PI = math.sqrt(2.0 / math.pi)
_ISQ2 = 1.0 / math.sqrt(2.0)
#: A pivot of the field covariance below PSD_RTOL * C[j, j] is round-off: that field is a linear
#: combination of the earlier ones (the student has reached the teacher's span). Shared with the
#: array-API path (sims.teacher_student._psd_cholesky).
PSD_RTOL = 1e-13


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
def gram_chunk(Q, R, T, v, vs, z, zeta, chi2, act_s, act_t, eta, eta_v, sigma, kappa, N,
               status, bad_step, step0):
    """Advance (Q, R, v) in place through ``z.shape[1]`` steps.

    Q (S,K,K), R (S,K,M), T (S,M,M), v (S,K), vs (M,), z (S,n,P), zeta (S,n), chi2 (S,n).
    status[s]: 0 running, 1 non-finite, 2 field covariance not positive semi-definite (a pivot
    below -PSD_RTOL * C[j, j]); bad_step[s] is the global step at which that happened. A pivot in
    [-PSD_RTOL, PSD_RTOL] * C[j, j] is a rank drop (semi-definite Cholesky): L's column j is zero,
    and z_j still enters |x|^2, which keeps |x|^2 = |z|^2 + chi^2 exact at any rank r
    (chi^2_{N-r} = sum_{dropped j} z_j^2 + chi^2_{N-K-M}).
    """
    S, n, P = z.shape
    K = Q.shape[1]
    M = T.shape[1]
    decay = 1.0 - kappa / N
    for s in prange(S):
        if status[s] != 0:
            continue
        C = np.empty((P, P))
        L = np.zeros((P, P))
        f = np.empty(P)
        c = np.empty(K)
        glam = np.empty(K)
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
                tol = PSD_RTOL * C[j, j]
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
            znorm2 = 0.0
            for i in range(P):
                acc = 0.0
                for q in range(i + 1):
                    acc += L[i, q] * z[s, t, q]
                f[i] = acc
                znorm2 += z[s, t, i] * z[s, t, i]
            x2 = znorm2 + chi2[s, t]
            err = sigma * zeta[s, t]
            for m in range(M):
                err += vs[m] * _g(act_t, f[K + m])
            for i in range(K):
                glam[i] = _g(act_s, f[i])
                err -= v[s, i] * glam[i]
            for i in range(K):
                c[i] = eta * v[s, i] * _dg(act_s, f[i]) * err
            for i in range(K):
                for k in range(i, K):
                    val = (decay * decay * Q[s, i, k] + decay * (c[i] * f[k] + c[k] * f[i]) / N
                           + c[i] * c[k] * x2 / (N * N))
                    Q[s, i, k] = val
                    Q[s, k, i] = val
                for m in range(M):
                    R[s, i, m] = decay * R[s, i, m] + c[i] * f[K + m] / N
            if eta_v != 0.0:
                for i in range(K):
                    v[s, i] = decay * v[s, i] + eta_v * glam[i] * err / N
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
    """Advance w (S,K,N) and v (S,K) in place through x (S,n,N), zeta (S,n)."""
    S, n, N = x.shape
    K = w.shape[1]
    M = ws.shape[1]
    sqN = math.sqrt(N)
    decay = 1.0 - kappa / N
    for s in prange(S):
        if status[s] != 0:
            continue
        lam = [0.0] * K
        c = [0.0] * K
        for t in range(n):
            err = sigma * zeta[s, t]
            for m in range(M):
                acc = 0.0
                for j in range(N):
                    acc += ws[s, m, j] * x[s, t, j]
                err += vs[m] * _g(act_t, acc / sqN)
            for i in range(K):
                acc = 0.0
                for j in range(N):
                    acc += w[s, i, j] * x[s, t, j]
                lam[i] = acc / sqN
                err -= v[s, i] * _g(act_s, lam[i])
            finite = math.isfinite(err)
            for i in range(K):
                c[i] = eta * v[s, i] * _dg(act_s, lam[i]) * err / sqN
                for j in range(N):
                    w[s, i, j] = decay * w[s, i, j] + c[i] * x[s, t, j]
                if eta_v != 0.0:
                    v[s, i] = decay * v[s, i] + eta_v * _g(act_s, lam[i]) * err / N
                if not (math.isfinite(c[i]) and math.isfinite(v[s, i])):
                    finite = False
            if not finite:
                status[s] = 1
                bad_step[s] = step0 + t
                break
