"""Numba kernel of full-batch GD for many 1-D ReLU networks (see :mod:`sims.relu1d`).

Same arithmetic as the array-API trainer up to the order of the sums (reassociation is allowed so
that the loops over neurons vectorise; NaN/inf semantics are kept), fused per epoch and parallel
over networks. Data-major layout: every inner loop runs over the neurons. The activation pattern
at every data point is compared with the initial one in the forward pass after each update.

Because the sums may be reordered, a freshly compiled kernel and the same kernel loaded from numba's
disk cache can round differently (numba issue #10617: parallel code is optimised differently in the
two cases): the losses of a cold-cache run differ from a warm-cache run's at round-off (1.8e-12 at
most in the cases measured), while the parameters and crossings agreed. Without ``reassoc`` the two
agree bit for bit but the kernel takes about twice as long (docs/DESIGN.md, "Same numbers").
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True, fastmath={"reassoc", "contract", "nsz"})
def gd_kernel(a, b, w, c, p, h, x, y, n_epochs, crossing, final_loss, curve, record):
    B, n = a.shape
    P = x.size
    for k in prange(B):
        ak, bk, wk = a[k], b[k], w[k]
        rel = np.empty((P, n))
        ind = np.empty((P, n))
        sign0 = np.empty((P, n), dtype=np.bool_)
        f = np.empty(P)
        r = np.empty(P)
        ga, gb, gw = np.empty(n), np.empty(n), np.empty(n)
        for j in range(P):
            for i in range(n):
                sign0[j, i] = ak[i] * x[j] + bk[i] > 0.0
        hit = -1
        for t in range(n_epochs + 1):
            changed = False
            for j in range(P):
                acc = c[k]
                xj = x[j]
                for i in range(n):
                    v = ak[i] * xj + bk[i]
                    on = v > 0.0
                    changed |= on != sign0[j, i]       # pattern check of the previous update, fused here
                    o = 1.0 if on else 0.0
                    ind[j, i] = o
                    rel[j, i] = v * o
                    acc += wk[i] * v * o
                f[j] = acc
            L = 0.0
            gc = 0.0
            for j in range(P):
                d = f[j] - y[j]
                r[j] = p[k, j] * d
                gc += r[j]
                L += 0.5 * p[k, j] * d * d
            if record:
                curve[k, t] = L
            final_loss[k] = L
            if changed:
                hit = t
                break
            if t == n_epochs:
                break
            for i in range(n):
                ga[i] = 0.0
                gb[i] = 0.0
                gw[i] = 0.0
            for j in range(P):
                rj = r[j]
                rx = rj * x[j]
                for i in range(n):
                    o = ind[j, i]
                    ga[i] += rx * o
                    gb[i] += rj * o
                    gw[i] += rj * rel[j, i]
            hk = h[k]
            for i in range(n):
                wi = wk[i]
                ak[i] -= hk * wi * ga[i]
                bk[i] -= hk * wi * gb[i]
                wk[i] = wi - hk * gw[i]
            c[k] -= hk * gc
        crossing[k] = hit
