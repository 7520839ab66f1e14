"""Shared pieces of the teacher--student validations (Saad & Solla 1995; Goldt et al. 2019)."""
from __future__ import annotations

import numpy as np

from sims.teacher_student import TeacherStudent, simulate_sgd
from theory.committee_fixed_points import symmetric_plateau
from twolayer.seeds import derive_seed

__all__ = ["window_average", "richardson_window_average", "richardson_windows", "recorded_at", "plateau_offsets"]


def window_average(traj, a_lo: float, a_hi: float) -> np.ndarray:
    """Per-seed mean of eps_g over recorded alphas in [a_lo, a_hi]; shape (S,) (an SGD trajectory,
    or a batched ODE trajectory whose eps_g is (S, n_t))."""
    sel = (traj.alphas >= a_lo) & (traj.alphas <= a_hi)
    if sel.sum() < 2:
        raise ValueError("window holds fewer than two recorded times")
    return traj.eps_g[:, sel].mean(axis=1)


def recorded_at(traj, alphas) -> np.ndarray:
    """Mask of the recorded times of ``traj`` that are the steps of ``alphas`` (round(alpha N))."""
    N = traj.problem.N
    return np.isin(np.round(traj.alphas * N), np.round(np.asarray(alphas, float) * N))


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
    ext, raw, _, _ = richardson_windows(p, [(a_lo, a_hi)], n_seeds=n_seeds, seed=seed, n_records=n_records,
                                        method=method)
    return ext[0], {N: r[0] for N, r in raw.items()}


def richardson_windows(p: TeacherStudent, windows, *, n_seeds, seed, n_records=41, method="gram", extra_alphas=(),
                       own_odes=()):
    """:func:`richardson_window_average` for several windows of the same runs (N and 2N).

    ``seed`` (int or SeedSequence) is the parent of the two ensembles' streams,
    ``derive_seed(seed, "richardson", N)`` for N and 2N. Each window (a_lo, a_hi) is recorded at ``n_records`` evenly spaced times; ``extra_alphas``
    are recorded too (for a figure) and enter no window unless they fall inside one. With one
    window and no extra times, the numbers are those of :func:`richardson_window_average`.
    ``own_odes``: problems whose ODE, started from each seed's own measured (Q0, R0, v0) and teacher
    overlaps T, is averaged over the same windows and extrapolated the same way -- the prediction
    paired with each extrapolated sample, which removes the spread of the initial conditions from
    the comparison.

    Returns
    -------
    extrapolated : list of ndarray, shape (n_seeds,) per window
    raw : dict {N: list of ndarray (n_seeds,) per window}
    trajectories : dict {N: SGDTrajectory}
    paired : list (one per ``own_odes`` problem) of lists of ndarray (n_seeds,) per window
    """
    grids = [np.linspace(a_lo, a_hi, n_records) for a_lo, a_hi in windows]
    alphas = np.unique(np.concatenate(grids + [np.asarray(extra_alphas, float)]))
    raw, trajs, own = {}, {}, {}
    for N in (p.N, 2 * p.N):
        tr = simulate_sgd(p.with_(N=N), alphas=alphas, n_seeds=n_seeds, seed=derive_seed(seed, "richardson", N),
                          method=method)
        raw[N] = [window_average(tr, a_lo, a_hi) for a_lo, a_hi in windows]
        trajs[N] = tr
        Q0, R0, v0, T = tr.initial_order_parameters()
        own[N] = []
        for q in own_odes:
            ode = q.ode(T=T).integrate(Q0, R0, v0, tr.alphas, rtol=1e-9, atol=1e-12)
            own[N].append([window_average(ode, a_lo, a_hi) for a_lo, a_hi in windows])
    ext = [2 * raw[2 * p.N][w] - raw[p.N][w] for w in range(len(windows))]
    paired = [[2 * own[2 * p.N][i][w] - own[p.N][i][w] for w in range(len(windows))] for i in range(len(own_odes))]
    return ext, raw, trajs, paired


def plateau_offsets(K: int, eta: float, N: int, alpha_max: float, seed, *, n_seeds: int = 16, delta: float = 5e-3,
                    window: str = "common"):
    """Per seed: SGD's plateau height paired with its own ODE, in that run's common plateau window.

    Each seed's ODE starts from the seed's measured initial order parameters. A seed's window is
    the recorded times at which its ODE is within ``delta`` of the fixed point's eps_p (at least
    three records); with ``window="common"`` every window of the run is then cut at the earliest
    window end among its seeds (the seed whose initial asymmetry is largest leaves the plateau
    first), and seeds with fewer than three records left drop out (``"own"``: no cut, the
    earlier form of the plateau claim). The selection depends on the initial conditions only.

    Returns
    -------
    heights : ndarray, shape (n_used,)
        eps_p + mean over the window of (eps_SGD - eps_ODE), per used seed.
    tr, ode, near :
        The trajectories and the (n_seeds, n_t) window mask, for the figure.
    """
    fp = symmetric_plateau(K, eta)
    p = TeacherStudent(N=N, K=K, M=K, eta=eta, orthonormal_teacher=True, init_std=0.1)
    tr = simulate_sgd(p, alphas=np.linspace(0.0, alpha_max, 151), n_seeds=n_seeds, seed=seed, method="gram")
    Q0, R0, v0, _ = tr.initial_order_parameters()
    ode = tr.ode().integrate(Q0, R0, v0, tr.alphas, rtol=1e-9, atol=1e-12)
    near = np.abs(ode.eps_g / fp.eps_g - 1.0) < delta
    ok = near.sum(axis=1) >= 3
    if window not in ("common", "own"):
        raise ValueError(f"window must be 'common' or 'own', got {window!r}")
    if window == "common" and ok.any():
        cut = min(int(np.nonzero(near[s])[0][-1]) for s in np.nonzero(ok)[0])
        near &= np.arange(tr.alphas.size)[None, :] <= cut
        ok = near.sum(axis=1) >= 3
    heights = np.array([fp.eps_g + np.mean(tr.eps_g[s, near[s]] - ode.eps_g[s, near[s]]) for s in np.nonzero(ok)[0]])
    return heights, tr, ode, near
