"""Numba kernel of full-batch GD for many two-layer ReLU networks on d-dimensional inputs (see :mod:`sims.relu_nd`).

Per network and fused per epoch, parallel over networks; the activation pattern at every data
point is compared with the initial one after every update (first change: ``crossing``), and the
first epoch with loss below ``threshold`` is recorded (``below``).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def gd_nd_kernel(A, b, w, c, p, h, X, y, n_epochs, crossing, final_loss, threshold, below, stop_at_crossing):
    B, n, d = A.shape
    P = X.shape[0]
    for k in prange(B):
        pre = np.empty((n, P))
        sign0 = np.empty((n, P), dtype=np.bool_)
        f = np.empty(P)
        r = np.empty(P)
        for i in range(n):
            for j in range(P):
                v = b[k, i]
                for q in range(d):
                    v += A[k, i, q] * X[j, q]
                sign0[i, j] = v > 0.0
        hit = -1
        below[k] = -1
        for t in range(n_epochs + 1):
            for j in range(P):
                f[j] = c[k]
            for i in range(n):
                for j in range(P):
                    v = b[k, i]
                    for q in range(d):
                        v += A[k, i, q] * X[j, q]
                    pre[i, j] = v
                    if v > 0.0:
                        f[j] += w[k, i] * v
            L = 0.0
            for j in range(P):
                dd = f[j] - y[j]
                r[j] = p[k, j] * dd
                L += 0.5 * p[k, j] * dd * dd
            final_loss[k] = L
            if below[k] < 0 and L < threshold[k]:
                below[k] = t
            if t == n_epochs or (hit >= 0 and stop_at_crossing):
                break
            gc = 0.0
            for j in range(P):
                gc += r[j]
            changed = False
            for i in range(n):
                gb = 0.0
                gw = 0.0
                wi = w[k, i]
                for j in range(P):
                    if pre[i, j] > 0.0:
                        gb += r[j]
                        gw += r[j] * pre[i, j]
                for q in range(d):
                    ga = 0.0
                    for j in range(P):
                        if pre[i, j] > 0.0:
                            ga += r[j] * X[j, q]
                    A[k, i, q] -= h[k] * wi * ga
                b[k, i] -= h[k] * wi * gb
                w[k, i] = wi - h[k] * gw
                for j in range(P):
                    v = b[k, i]
                    for q in range(d):
                        v += A[k, i, q] * X[j, q]
                    if (v > 0.0) != sign0[i, j]:
                        changed = True
            c[k] -= h[k] * gc
            if changed and hit < 0:
                hit = t + 1
        crossing[k] = hit
