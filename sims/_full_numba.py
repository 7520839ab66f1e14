"""Numba kernel of explicit-weight online SGD on pre-drawn inputs (see :mod:`sims.teacher_student`).

Same arithmetic as the array-API kernel, fused per step: fields (K+M) N, update K N flops.
Parallel over seeds, sequential in steps; checks every step for non-finite weights.
"""
from __future__ import annotations

import math

from numba import njit, prange

from ._gram_numba import _dg, _g


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
