"""Shared pieces of the teacher--student validations (Saad & Solla 1995; Goldt et al. 2019)."""
from __future__ import annotations

import numpy as np

from sims.teacher_student import TeacherStudent, simulate_sgd

__all__ = ["window_average", "richardson_window_average", "nominal_initial_state"]


def window_average(traj, a_lo: float, a_hi: float) -> np.ndarray:
    """Per-seed mean of eps_g over recorded alphas in [a_lo, a_hi]; shape (S,)."""
    sel = (traj.alphas >= a_lo) & (traj.alphas <= a_hi)
    if sel.sum() < 2:
        raise ValueError("window holds fewer than two recorded times")
    return traj.eps_g[:, sel].mean(axis=1)


def nominal_initial_state(p: TeacherStudent):
    """N -> infinity initial order parameters of :func:`sims.teacher_student.draw_initial_weights`
    with an orthonormal teacher: Q = init_std^2 I + overlap^2 (first min(K,M) units),
    R_kk = overlap, v = v0."""
    K, M = p.K, p.M
    k = min(K, M)
    Q = p.init_std**2 * np.eye(K)
    Q[:k, :k] += p.init_overlap**2 * np.eye(k)
    R = np.zeros((K, M))
    R[:k, :k] = p.init_overlap * np.eye(k)
    return Q, R, p.v0_array


def richardson_window_average(p: TeacherStudent, a_lo, a_hi, *, n_seeds, seed, n_records=41, method="gram"):
    """Finite-size-extrapolated window averages of eps_g.

    Means of SGD observables deviate from the ODE by a/N + O(N^-2) (Goldt et al. 2019,
    arXiv:1906.08632, Theorem 1 and its O(1/N) expansion). With independent ensembles at N and 2N,
    each sample 2 e_s(2N) - e_s(N) is unbiased for the N -> infinity window average up to O(N^-2).

    Returns
    -------
    extrapolated : ndarray, shape (n_seeds,)
    raw : dict {N: ndarray (n_seeds,)}
    """
    alphas = np.linspace(a_lo, a_hi, n_records)
    out = {}
    for j, N in enumerate((p.N, 2 * p.N)):
        tr = simulate_sgd(p.with_(N=N), alphas=alphas, n_seeds=n_seeds, seed=np.random.SeedSequence([seed, j, N]),
                          method=method)
        out[N] = window_average(tr, a_lo, a_hi)
    return 2 * out[2 * p.N] - out[p.N], out
