"""Reference implementations the way research code writes them; speed claims are ratios against these.

Nothing here is used by the library: these are the baselines of the benchmarks.
"""
from __future__ import annotations

import numpy as np
from scipy.special import erf

from theory.gaussian_integrals import _erf_I4 as erf_I4, erf_I3, erf_J2  # unchecked, as research code


def reference_sgd_loop(N: int, K: int, M: int, eta: float, n_steps: int, seed: int = 0):
    """Plain NumPy online SGD, erf, first layer: one forward/backward per sample with fresh arrays."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((K, N))
    ws = rng.standard_normal((M, N))
    for _ in range(n_steps):
        x = rng.standard_normal(N)
        lam = w @ x / np.sqrt(N)
        rho = ws @ x / np.sqrt(N)
        phi = np.sum(erf(lam / np.sqrt(2)))
        y = np.sum(erf(rho / np.sqrt(2)))
        delta = y - phi
        grad = np.outer(np.sqrt(2 / np.pi) * np.exp(-lam**2 / 2) * delta, x) / np.sqrt(N)
        w = w + eta * grad
    return w


def reference_ode_rhs(Q, R, T, v, vs, eta, sigma):
    """Committee ODE right-hand side with one scalar closed-form call per index tuple (erf)."""
    K, M = R.shape
    P = K + M
    C = np.block([[Q, R], [R.T, T]])
    u = np.concatenate([-v, vs])
    dQ = np.zeros((K, K))
    dR = np.zeros((K, M))
    for i in range(K):
        for n in range(P):
            acc = 0.0
            for c in range(P):
                acc += u[c] * erf_I3(C[i, i], C[i, n], C[i, c], C[n, c], C[c, c])
            if n < K:
                dQ[i, n] += eta * v[i] * acc
                dQ[n, i] += eta * v[i] * acc
            else:
                dR[i, n - K] = eta * v[i] * acc
    for i in range(K):
        for k in range(K):
            acc = 0.0
            for c in range(P):
                for d in range(P):
                    acc += u[c] * u[d] * erf_I4(C[i, i], C[i, k], C[i, c], C[i, d], C[k, k], C[k, c], C[k, d],
                                                C[c, c], C[c, d], C[d, d])
            dQ[i, k] += eta**2 * v[i] * v[k] * (acc + sigma**2 * erf_J2(C[i, i], C[i, k], C[k, k]))
    return dQ, dR


def reference_euler_steps(Q0, R0, T, v, vs, eta, sigma, n_steps, dt=0.01):
    """``n_steps`` forward-Euler steps (step dt) with :func:`reference_ode_rhs`; returns (Q, R).

    Every step costs the same, so a benchmark times a few steps and scales them to alpha_max / dt
    (running all 10^4 steps of the K = 6 reference would take minutes per benchmark repeat).
    """
    Q, R = Q0.copy(), R0.copy()
    for _ in range(n_steps):
        dQ, dR = reference_ode_rhs(Q, R, T, v, vs, eta, sigma)
        Q, R = Q + dt * dQ, R + dt * dR
    return Q, R


def euler_solution(ode, Q0, R0, alphas, dt=0.01):
    """Forward-Euler solution (vectorised RHS: same numbers as the per-tuple reference, faster)."""
    y = ode.pack(Q0, R0)
    out = [ode.eps_g(Q0, R0, np.ones(ode.K))]
    t = 0.0
    for a in alphas[1:]:
        n = int(round((a - t) / dt))
        for _ in range(n):
            y = y + dt * ode.rhs_packed(y)
        t = a
        Q, R, v = ode.unpack(y)
        out.append(ode.eps_g(Q, R, v))
    return np.array(out)
