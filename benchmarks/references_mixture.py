"""Research-code references for the Gaussian-mixture ODE (Refinetti et al., arXiv:2102.11742, sec. 3).

Baselines of record for the speed ratios of :class:`theory.mixture_ode.MixtureODE` (issue 23),
written from the description of how the research codes do it, not from their source. Both write the
ODE in the classical integral form (Saad & Solla; Goldt et al., arXiv:1906.08632): every term is an
average of a product of g and g' over one to four fields (I2, I3, I4 per index tuple, plus the
three-field averages with a centre overlap nu_beta), and each average is a Monte Carlo mean,
one Python-level call per index tuple:

- :func:`reference_rhs_per_tuple_mc`: fresh samples for every tuple (the slowest honest reading);
- :func:`reference_rhs_shared_mc`: the research code's own scheme, one shared set of ``n`` joint
  samples (lambda, nu) per cluster and evaluation, every tuple vectorised over that set;
- :func:`reference_euler_shared_mc`: the research code's integrator, explicit Euler at step ``dt``
  with a fresh shared set at every step.

Conventions are those of :mod:`theory.mixture_ode` (time t = steps/N, no 1/K prefactor, loss
1/2 (y - yhat)^2, (lambda, nu) | alpha Gaussian with mean (R_alpha, T_alpha) and covariance
Delta [[Q, R^T], [R, T]]).
"""
from __future__ import annotations

import numpy as np

from theory.activations import get_activation

__all__ = ["euler", "reference_rhs_per_tuple_mc", "reference_rhs_shared_mc", "reference_euler_shared_mc",
           "reference_rf_dense_float32"]


def _joint_sampler(ode, R, Q, rng, n):
    """draw(alpha) -> (lambda (n, K), nu (n, C)) from the joint Gaussian of cluster alpha."""
    K, C = ode.K, ode.n_clusters
    cov = ode.Delta * np.block([[Q, R.T], [R, ode.T]])
    L = np.linalg.cholesky(cov + 1e-12 * np.eye(K + C))

    def draw(al):
        f = np.r_[R[al], ode.T[al]] + rng.standard_normal((n, K + C)) @ L.T
        return f[:, :K], f[:, K:]
    return draw


def _rhs_by_tuples(ode, R, Q, v, draw):
    """dR, dQ, dv in the integral form, one Monte Carlo mean per index tuple; ``draw(alpha)`` supplies
    the samples of each mean (fresh or shared)."""
    a = get_activation(ode.activation)
    K, C, D, eta = ode.K, ode.n_clusters, ode.Delta, ode.eta
    dR, dQ, dv = np.zeros((C, K)), np.zeros((K, K)), np.zeros(K)
    for al in range(C):
        p, y = ode.probs[al], ode.labels[al]
        for b in range(C):
            for k in range(K):
                lam, nu = draw(al)
                acc = y * np.mean(a.dg(lam[:, k]) * nu[:, b])
                for m in range(K):
                    lam, nu = draw(al)
                    acc -= v[m] * np.mean(a.dg(lam[:, k]) * nu[:, b] * a.g(lam[:, m]))
                dR[b, k] += p * eta * v[k] * acc
        for k in range(K):
            for l in range(K):
                lam, _ = draw(al)
                acc = y * np.mean(a.dg(lam[:, l]) * lam[:, k])
                for m in range(K):
                    lam, _ = draw(al)
                    acc -= v[m] * np.mean(a.dg(lam[:, l]) * lam[:, k] * a.g(lam[:, m]))
                dQ[k, l] += p * eta * v[l] * acc
                dQ[l, k] += p * eta * v[l] * acc
                lam, _ = draw(al)
                acc2 = y * y * np.mean(a.dg(lam[:, k]) * a.dg(lam[:, l]))
                for m in range(K):
                    lam, _ = draw(al)
                    acc2 -= 2 * y * v[m] * np.mean(a.dg(lam[:, k]) * a.dg(lam[:, l]) * a.g(lam[:, m]))
                    for q in range(K):
                        lam, _ = draw(al)
                        acc2 += v[m] * v[q] * np.mean(a.dg(lam[:, k]) * a.dg(lam[:, l]) * a.g(lam[:, m])
                                                      * a.g(lam[:, q]))
                dQ[k, l] += p * eta**2 * D * v[k] * v[l] * acc2
        for k in range(K):
            lam, _ = draw(al)
            acc = y * np.mean(a.g(lam[:, k]))
            for m in range(K):
                lam, _ = draw(al)
                acc -= v[m] * np.mean(a.g(lam[:, k]) * a.g(lam[:, m]))
            dv[k] += p * ode.eta_v * acc
    reg = ode.reg
    return dR - eta * reg * R, dQ - 2 * eta * reg * Q, dv - ode.eta_v * reg * v


def reference_rhs_per_tuple_mc(ode, R, Q, v, n=10_000, seed=0):
    """dR, dQ, dv with each expectation E[g'_k nu_b g_l], E[g'_l lambda_k g_m], E[g'_k g'_l g_m g_n], ...
    estimated separately by Monte Carlo (n fresh samples of the joint fields per index tuple and cluster).

    Parameters
    ----------
    ode : theory.mixture_ode.MixtureODE
    R, Q, v : ndarray, shapes (C, K), (K, K), (K,)
    n : int
        Samples per tuple.
    seed : int
    """
    draw = _joint_sampler(ode, R, Q, np.random.default_rng(seed), n)
    return _rhs_by_tuples(ode, R, Q, v, draw)


def reference_rhs_shared_mc(ode, R, Q, v, n=10_000, seed=0, rng=None):
    """The research code's scheme: one shared set of ``n`` joint samples per cluster, every tuple's
    mean taken over it. Same arguments as :func:`reference_rhs_per_tuple_mc`; ``rng`` (a Generator)
    overrides ``seed`` so that an integrator can draw a fresh set at each step from one stream."""
    fresh = _joint_sampler(ode, R, Q, np.random.default_rng(seed) if rng is None else rng, n)
    shared = [fresh(al) for al in range(ode.n_clusters)]
    return _rhs_by_tuples(ode, R, Q, v, lambda al: shared[al])


def euler(rhs, R0, Q0, v0, t_end, dt):
    """Explicit Euler of (R, Q, v) from (R0, Q0, v0) to ``t_end`` with ``rhs(R, Q, v) -> (dR, dQ, dv)``,
    Q kept symmetric; returns the final (R, Q, v)."""
    R, Q, v = (np.array(x, float) for x in (R0, Q0, v0))
    for _ in range(int(round(t_end / dt))):
        dR, dQ, dv = rhs(R, Q, v)
        R, Q, v = R + dt * dR, Q + dt * dQ, v + dt * dv
        Q = 0.5 * (Q + Q.T)
    return R, Q, v


def reference_euler_shared_mc(ode, R0, Q0, v0, t_end, dt=0.01, n=10_000, seed=0):
    """:func:`euler` with :func:`reference_rhs_shared_mc` (a fresh shared set per step, one stream
    from ``seed``); returns the final (R, Q, v)."""
    rng = np.random.default_rng(seed)
    return euler(lambda R, Q, v: reference_rhs_shared_mc(ode, R, Q, v, n, rng=rng), R0, Q0, v0, t_end, dt)


def reference_rf_dense_float32(centres, Delta, F, labels, probs, *, per_cluster_gram=False):
    """Random-features population readout the research-code way (arXiv:2102.11742, sec. 4): the
    ReLU features' moments in closed form, every cluster's Gaussian-equivalent covariance
    diag(d_a) + (b_a b_a^T) * G with G = Delta F F^T / D formed densely in float32, the P x P
    system Omega w = Phi solved by LU in float32. Returns (w, eps_mse).

    ``per_cluster_gram`` recomputes F F^T for each cluster (as a per-cluster covariance function
    does); by default G is formed once, the cheaper reading of the research code.

    Parameters
    ----------
    centres : ndarray (C, D), the c_alpha = mu_alpha / sqrt(D)
    Delta : float
    F : ndarray (P, D)
    labels, probs : ndarray (C,)
    """
    from scipy.special import ndtr
    F32 = np.asarray(F, np.float32)
    D = F32.shape[1]
    p, y = np.asarray(probs, np.float32), np.asarray(labels, np.float32)
    a = (np.asarray(centres, np.float32) @ F32.T) / np.float32(np.sqrt(D))          # (C, P)
    s = np.sqrt(np.float32(Delta) * np.sum(F32 * F32, axis=1) / np.float32(D))      # (P,)
    h = a / s
    Phi_h = ndtr(h).astype(np.float32)
    phi_h = (np.exp(-0.5 * h * h) / np.sqrt(2 * np.pi)).astype(np.float32)
    mean = s * (h * Phi_h + phi_h)
    second = s * s * ((h * h + 1) * Phi_h + h * phi_h)
    b = Phi_h
    d = second - mean**2 - b**2 * s**2
    mbar = p @ mean
    M = mean - mbar
    ybar = float(p @ y)
    rhs = (p * y) @ M
    P = F32.shape[0]
    Om = np.zeros((P, P), np.float32)
    G = None
    for al in range(len(p)):
        if G is None or per_cluster_gram:
            G = (F32 @ F32.T) * np.float32(Delta / D)
        cov = b[al][:, None] * G * b[al][None, :]
        cov[np.diag_indices(P)] += d[al]
        Om += p[al] * (cov + np.outer(M[al], M[al]))
    w = np.linalg.solve(Om, rhs)
    mse = 0.5 * (1.0 - ybar**2 - 2 * float(w @ rhs) + float(w @ Om @ w))
    return w, mse
