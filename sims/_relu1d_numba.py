"""Numba kernel of full-batch GD for many 1-D ReLU networks (see :mod:`sims.relu1d`).

Same arithmetic as the array-API trainer, fused per epoch and parallel over networks; the
activation pattern at every data point is compared with the initial one at every epoch (in the
forward pass that follows each update, so no separate check pass).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def gd_kernel(a, b, w, c, p, h, x, y, n_epochs, crossing, final_loss, curve, record):
    B, n = a.shape
    P = x.size
    for k in prange(B):
        pre = np.empty((n, P))
        f = np.empty(P)
        r = np.empty(P)
        sign0 = np.empty((n, P), dtype=np.bool_)
        for i in range(n):
            for j in range(P):
                sign0[i, j] = a[k, i] * x[j] + b[k, i] > 0.0
        hit = -1
        for t in range(n_epochs + 1):
            for j in range(P):
                f[j] = c[k]
            changed = False
            for i in range(n):
                for j in range(P):
                    v = a[k, i] * x[j] + b[k, i]
                    pre[i, j] = v
                    on = v > 0.0
                    if on != sign0[i, j]:          # the pattern check of the previous update, fused here
                        changed = True
                    if on:
                        f[j] += w[k, i] * v
            L = 0.0
            for j in range(P):
                d = f[j] - y[j]
                r[j] = p[k, j] * d
                L += 0.5 * p[k, j] * d * d
            if record:
                curve[k, t] = L
            final_loss[k] = L
            if changed:
                hit = t
                break
            if t == n_epochs:
                break
            gc = 0.0
            for j in range(P):
                gc += r[j]
            for i in range(n):
                ga = 0.0
                gb = 0.0
                gw = 0.0
                for j in range(P):
                    if pre[i, j] > 0.0:
                        ga += r[j] * x[j]
                        gb += r[j]
                        gw += r[j] * pre[i, j]
                ai = a[k, i] - h[k] * w[k, i] * ga
                bi = b[k, i] - h[k] * w[k, i] * gb
                w[k, i] = w[k, i] - h[k] * gw
                a[k, i] = ai
                b[k, i] = bi
            c[k] = c[k] - h[k] * gc
        crossing[k] = hit
