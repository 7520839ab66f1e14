r"""Fixed points and linearisation of the committee-machine ODE (:mod:`theory.committee_ode`).

* Symmetric plateau (Saad & Solla 1995, Phys. Rev. E 52, 4225, section IV; Biehl, Riegler &
  Woehler 1996): K = M, T = I, v = v* = 1, first layer only. The subspace Q_ii = q_d, Q_ik = q_o,
  R_in = r is invariant; its fixed point is the plateau. At eta -> 0 (and sigma = 0):
  q_d = q_o = 1/(2K-1), r = 1/sqrt(K(2K-1)), eps_g = (K/pi)[pi/6 - K asin(1/(2K))].
  The escape rate is the largest real eigenvalue of the full Jacobian there.
* Largest stable learning rate for K = M (Saad & Solla 1995, section V): the largest eta for which
  every eigenvalue of the Jacobian at the perfect-learning fixed point Q = R = T, v = v* has a
  negative real part.
* Asymptotic epsilon_g with output noise (Goldt et al. 2019, arXiv:1906.08632, section 3 and
  eq. (15) for the small-eta limit): the stationary point of the full ODE, found by integrating to
  stationarity and polishing with a least-squares root (which also handles the continuous
  families of fixed points of linear networks).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks
from scipy.optimize import brentq, least_squares, root

from .committee_ode import CommitteeODE
from .generalisation_error import field_covariance

__all__ = [
    "jacobian", "PlateauFixedPoint", "symmetric_plateau", "plateau_small_eta",
    "max_stable_learning_rate", "StationaryPoint", "stationary_point",
    "asymptotic_error_linear", "asymptotic_error_small_eta", "asymptotic_error", "AsymptoticState",
]


def jacobian(ode: CommitteeODE, y, v_fixed=None, rel_step: float = 1e-6):
    """Jacobian d(rhs)/dy of the packed ODE at the packed state ``y`` (central differences).

    Parameters
    ----------
    y : array_like, shape (n_state,)

    Returns
    -------
    ndarray, shape (n_state, n_state)
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    h = rel_step * np.maximum(1.0, np.abs(y))
    Y = np.repeat(y[None, :], 2 * n, axis=0)
    idx = np.arange(n)
    Y[idx, idx] += h
    Y[n + idx, idx] -= h
    F = ode.rhs_packed(Y, v_fixed)   # all 2n evaluations in one batched call
    return ((F[:n] - F[n:]) / (2.0 * h[:, None])).T


@dataclass(frozen=True)
class PlateauFixedPoint:
    """The symmetric plateau of a K = M committee machine.

    Attributes
    ----------
    q_diag, q_off, r : float
        Q_ii, Q_ik (i != k) and R_in on the plateau.
    eps_g : float
        Plateau height.
    escape_rate : float
        Largest real part of the Jacobian's eigenvalues (per unit alpha); > 0 for a saddle.
    eigenvalues : ndarray
        All Jacobian eigenvalues.
    residual : float
        max |rhs| at the returned point.
    """

    K: int
    eta: float
    q_diag: float
    q_off: float
    r: float
    eps_g: float
    escape_rate: float
    eigenvalues: np.ndarray
    residual: float


def plateau_small_eta(K: int):
    """eta -> 0 plateau: (q, r, eps_g) = (1/(2K-1), 1/sqrt(K(2K-1)), (K/pi)[pi/6 - K asin(1/(2K))]).

    Saad & Solla 1995 (cond-mat/9507079), section IV; K = M >= 2, T = I, erf.
    """
    K = _checks.integer("K", K, minimum=2)
    q = 1.0 / (2 * K - 1)
    r = 1.0 / np.sqrt(K * (2 * K - 1))
    eps = K / np.pi * (np.pi / 6 - K * np.arcsin(1.0 / (2 * K)))
    return q, r, eps


def _sym_state(K, qd, qo, r):
    Q = np.full((K, K), qo)
    np.fill_diagonal(Q, qd)
    return Q, np.full((K, K), r)


def symmetric_plateau(K: int, eta: float, activation: str = "erf", sigma: float = 0.0) -> PlateauFixedPoint:
    """Symmetric (unspecialised) fixed point of the K = M, T = I, v = v* = 1 first-layer ODE.

    Parameters
    ----------
    K : int
        K = M >= 2.
    eta : float
        Learning rate (> 0).

    Raises
    ------
    RuntimeError
        If the root finder does not converge (max |rhs| > 1e-10 eta).
    """
    K = _checks.integer("K", K, minimum=2)
    eta = _checks.positive("eta", eta)
    ode = CommitteeODE(K=K, M=K, eta=eta, sigma=sigma, activation=activation)

    def F(p):
        Q, R = _sym_state(K, *p)
        dQ, dR, _ = ode.rhs(Q, R, np.ones(K))
        return np.array([dQ[0, 0], dQ[0, 1], dR[0, 0]]) / eta

    q0, r0, _ = plateau_small_eta(K)
    sol = root(F, [q0, q0, r0], method="hybr", tol=1e-13)
    Q, R = _sym_state(K, *sol.x)
    dQ, dR, _ = ode.rhs(Q, R, np.ones(K))
    residual = float(max(np.abs(dQ).max(), np.abs(dR).max()))
    # judged by the residual itself (relative to eta, the scale of the flow): hybr reports
    # "no progress" when it starts at (or reaches) the root to machine precision
    if not residual <= 1e-10 * eta:
        raise RuntimeError(f"plateau fixed point not found for K={K}, eta={eta}: {sol.message} (residual {residual:.2e})")
    # The symmetric state must be a Gram matrix of (students, teachers): with T = I that is
    # K r^2 <= q_diag (and q_off <= q_diag). Above a K-dependent eta the ODE's symmetric root leaves
    # that set (eps_g < 0 there): there is no plateau, and a number would be meaningless.
    lo = _joint_min_eigenvalue(Q, R, np.eye(K))
    if lo < -1e-9:
        raise ValueError(f"eta={eta} is outside the plateau regime for K={K}: the ODE's symmetric root "
                         f"(q={sol.x[0]:.6g}, r={sol.x[2]:.6g}) is not a state of any network (joint covariance "
                         f"eigenvalue {lo:.3g} < 0, K r^2 = {K * sol.x[2] ** 2:.6g} > q)")
    ev = np.linalg.eigvals(jacobian(ode, ode.pack(Q, R)))
    return PlateauFixedPoint(K, eta, float(sol.x[0]), float(sol.x[1]), float(sol.x[2]),
                             float(ode.eps_g(Q, R, np.ones(K), check=False)), float(ev.real.max()), ev, residual)


def _growth_rate(J, eta: float) -> float:
    """Largest real part of the eigenvalues of the Jacobian ``J``, neutral directions dropped.

    Neutral directions (e.g. w_i - w_k of a linear first-layer student is conserved) have
    eigenvalue 0 at every eta; they decide nothing about stability."""
    ev = np.linalg.eigvals(J)
    ev = ev[np.abs(ev) > 1e-7 * max(eta, 1.0) * max(np.abs(ev).max(), 1.0)]
    return float(ev.real.max())


def _joint_min_eigenvalue(Q, R, T) -> float:
    """Smallest eigenvalue of the joint covariance of students and teachers (< 0: no network has it)."""
    return float(np.linalg.eigvalsh(field_covariance(Q, R, T))[0])


def _growth_rate_perfect(K: int, eta: float, activation: str, both_layers: bool) -> float:
    ode = CommitteeODE(K=K, M=K, eta=eta, eta_v=eta if both_layers else 0.0, activation=activation)
    y = ode.pack(np.eye(K), np.eye(K), np.ones(K))
    return _growth_rate(jacobian(ode, y), eta)


def max_stable_learning_rate(K: int, activation: str = "erf", *, both_layers: bool = False,
                             eta_grid=None) -> float:
    """Largest eta at which the perfect-learning fixed point (Q = R = T = I, v = v* = 1) is stable.

    The growth rate lambda(eta) = max Re eig J(eta) is negative for small eta (J ~ eta J1 + eta^2 J2);
    the first sign change of lambda(eta)/eta along ``eta_grid`` is bracketed and refined with brentq.

    Raises
    ------
    RuntimeError
        If no sign change lies on the grid.
    """
    if not isinstance(K, (int, np.integer)) or K < 1:
        raise ValueError(f"K must be an integer >= 1, got {K!r}")
    grid = np.geomspace(0.05, 50.0, 80) if eta_grid is None else np.asarray(eta_grid, float)
    f = lambda e: _growth_rate_perfect(K, e, activation, both_layers) / e
    vals = np.array([f(e) for e in grid])
    pos = np.nonzero(vals > 0)[0]
    if pos.size == 0 or pos[0] == 0:
        raise RuntimeError("no stability threshold on eta_grid")
    j = pos[0]
    return float(brentq(f, grid[j - 1], grid[j], xtol=1e-12, rtol=1e-12))


@dataclass(frozen=True)
class StationaryPoint:
    """A stationary point of the ODE reached from a given initial condition.

    Attributes
    ----------
    Q, R, v : ndarray
        Order parameters at the stationary point.
    eps_g : float
    residual : float
        max |rhs| there.
    converged : bool
        residual <= tol.
    """

    Q: np.ndarray
    R: np.ndarray
    v: np.ndarray
    eps_g: float
    residual: float
    converged: bool


def stationary_point(ode: CommitteeODE, Q0, R0, v0=None, *, alpha_max: float = 2000.0,
                     tol: float = 1e-10) -> StationaryPoint:
    """Long-time limit of the ODE from (Q0, R0, v0), polished to a root of the right-hand side.

    The ODE is integrated to ``alpha_max`` (reaching the basin of the attractor the dynamics
    selects), then ``scipy.optimize.least_squares`` drives |rhs| to ``tol``. Least squares rather
    than Newton because linear networks have continuous families of fixed points (singular J).
    Never returns a silent number: ``converged`` is False when the residual stays above ``tol``.
    """
    K = ode.K
    alpha_max = _checks.positive("alpha_max", alpha_max)
    tol = _checks.positive("tol", tol)
    v0 = np.ones(K) if v0 is None else _checks.array("v0", v0)
    traj = ode.integrate(Q0, R0, v0, [0.0, alpha_max], rtol=1e-10, atol=1e-13)
    y = ode.pack(traj.Q[..., -1, :, :], traj.R[..., -1, :, :], traj.v[..., -1, :])
    v_fixed = None if ode.trains_second_layer else v0
    scale = max(ode.eta, 1e-300)

    def residual(z):
        # least squares may probe states whose field covariance is not PSD: report those as far
        # from stationary instead of letting NaN leak into the solver
        with np.errstate(invalid="ignore", divide="ignore"):
            r = ode.rhs_packed(z, v_fixed) / scale
        return np.where(np.isfinite(r), r, 1e6)

    sol = least_squares(residual, y, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    res_sol = float(np.abs(ode.rhs_packed(sol.x, v_fixed)).max())
    res_int = float(np.abs(ode.rhs_packed(y, v_fixed)).max())
    z, res = (sol.x, res_sol) if res_sol <= res_int else (y, res_int)
    Q, R, v = ode.unpack(z, v_fixed)
    return StationaryPoint(Q, R, np.array(v), float(ode.eps_g(Q, R, v, check=False)), res, res <= tol)


def asymptotic_error_linear(K: int, eta: float, sigma: float, batch_size: int = 1) -> float:
    """eps_g* of a linear student with K units (first layer trained, v = v* = 1) learning a noisy
    linear teacher: K eta sigma^2 / (2 (2 B - K eta)), exact in eta for K eta < 2 B.

    The linear committee is the linear model w = sum_k w_k; its ODE closes on the error e = eps_g:
    de/dalpha = -2 K eta e + K^2 eta^2 (e + sigma^2 / 2) / B (Goldt et al. 2019, arXiv:1906.08632,
    section 3.1, there for erf and B = 1; here exact), whose fixed point is the formula. B is the
    mini-batch size (``batch_size``; alpha = steps/N, the eta^2 term divided by B, as in
    :class:`theory.committee_ode.CommitteeODE`). It depends on the total width K = M + L only:
    extra units do not help or hurt a linear net beyond K.
    """
    K = _checks.integer("K", K, minimum=1)
    eta, sigma = _checks.positive("eta", eta), _checks.nonneg("sigma", sigma)
    B = _checks.integer("batch_size", batch_size, minimum=1)
    if K * eta >= 2 * B:
        raise ValueError(f"K * eta = {K * eta:g} >= 2 * batch_size = {2 * B}: the linear student diverges, "
                         f"there is no eps_g*")
    return K * eta * sigma**2 / (2 * (2 * B - K * eta))


def asymptotic_error_small_eta(M: int, L: int, eta: float, sigma: float, batch_size: int = 1) -> float:
    """Small-eta limit of eps_g* for an erf student with K = M + L units (first layer trained,
    second layers fixed at 1) learning an M-unit erf teacher with output noise sigma:
    eta sigma^2 (L + M / sqrt 3) / (2 pi B) (Goldt et al. 2019, arXiv:1906.08632, eq. (15), there
    B = 1); the leading order in eta, for the state where M student units match the teacher and L
    are extra. With mini-batches of B = ``batch_size`` the eta^2 term of the ODE is divided by B, and
    at leading order so is eps_g* (the drift that balances it is unchanged). Corrections are O(eta^2)."""
    M = _checks.integer("M", M, minimum=1)
    L = _checks.integer("L", L, minimum=0)
    eta, sigma = _checks.positive("eta", eta), _checks.nonneg("sigma", sigma)
    B = _checks.integer("batch_size", batch_size, minimum=1)
    return float(eta * sigma**2 * (L + M / np.sqrt(3)) / (2 * np.pi * B))


@dataclass(frozen=True)
class AsymptoticState:
    """The stationary state of an over-parameterised first-layer student (:func:`asymptotic_error`).

    Attributes
    ----------
    M, L : int
        Teacher units and extra student units (K = M + L).
    eta, sigma : float
    batch_size : int
    eps_g : float
        Asymptotic generalisation error eps_g*, exact in eta.
    Q, R : ndarray, shape (K, K), (K, M)
        The stationary order parameters (matched units first, then the L extra units).
    params : dict
        The symmetric ansatz: q, c (matched Q_ii, Q_ij), r, s (R_ii, R_in), e, f (extra Q_ll, Q_lk),
        h (matched-extra Q_il), t (extra R_ln); absent entries do not exist for this (M, L).
    growth_rate : float
        Largest real part of the full Jacobian's eigenvalues there, neutral directions dropped:
        < 0 a stable stationary point, > 0 a saddle that the dynamics leaves along a direction
        that breaks the ansatz's symmetry.
    residual : float
        max |rhs| at the returned point.
    method : str
        How the root was reached (continuation in eta, or an integration of the ODE, polished).
    """

    M: int
    L: int
    eta: float
    sigma: float
    batch_size: int
    eps_g: float
    Q: np.ndarray
    R: np.ndarray
    params: dict
    growth_rate: float
    residual: float
    method: str = ""

    @property
    def stable(self) -> bool:
        """growth_rate < 0 (False where it is NaN: merged extra units, see :func:`asymptotic_error`)."""
        return bool(self.growth_rate < 0)


def _ansatz_names(M: int, L: int):
    names = ["q", "r"] + (["c", "s"] if M >= 2 else [])
    if L >= 1:
        names += ["e", "h", "t"] + (["f"] if L >= 2 else [])
    return names


def _ansatz_state(M: int, L: int, p: dict):
    K = M + L
    Q = np.zeros((K, K))
    R = np.zeros((K, M))
    Q[:M, :M] = p.get("c", 0.0)
    Q[np.arange(M), np.arange(M)] = p["q"]
    R[:M] = p.get("s", 0.0)
    R[np.arange(M), np.arange(M)] = p["r"]
    if L:
        Q[M:, M:] = p.get("f", 0.0)
        Q[np.arange(M, K), np.arange(M, K)] = p["e"]
        Q[:M, M:] = Q[M:, :M] = p["h"]
        R[M:] = p["t"]
    return Q, R


def _ansatz_rhs(dQ, dR, M: int, L: int):
    """One representative entry of the ODE per ansatz parameter (the ansatz is invariant)."""
    out = {"q": dQ[0, 0], "r": dR[0, 0]}
    if M >= 2:
        out.update(c=dQ[0, 1], s=dR[0, 1])
    if L >= 1:
        out.update(e=dQ[M, M], h=dQ[0, M], t=dR[M, 0])
        if L >= 2:
            out["f"] = dQ[M, M + 1]
    return out


def asymptotic_error(M: int, L: int, eta: float, sigma: float, *, activation: str = "erf",
                     batch_size: int = 1, n_continuation: int = 12) -> AsymptoticState:
    """eps_g* of a first-layer student with K = M + L units learning an M-unit teacher, exact in eta.

    Goldt et al. 2019 (arXiv:1906.08632), section 3.1: online SGD of the first layer, v = v* = 1,
    orthonormal teacher (T = I), output noise sigma. The state the dynamics reaches from a start
    near the teacher is symmetric under permutations of the matched pairs and of the extra units,
    so it lies in the 8-parameter ansatz of :class:`AsymptoticState` (matched units i with their
    teacher n = i, extra units l). Its fixed point solves 8 of the ODE's equations
    (:class:`theory.committee_ode.CommitteeODE`, with ``batch_size`` B dividing the eta^2 terms).
    The root is followed by continuation from eta/2^(n_continuation - 1) (where the state is the
    teacher plus O(eta) and the extra units sit near w = 0) up to eta, one Newton-type solve (scipy
    ``hybr``) per step; where that branch folds or leaves the network states, the ODE is integrated
    from the symmetric start (it stays in the ansatz) to alpha = 200/eta and its end polished
    (``method`` says which). At small eta the result tends to eta sigma^2 (L + M/sqrt 3)/(2 pi B)
    (eq. (15), :func:`asymptotic_error_small_eta`), with an O(eta) relative correction (+0.4 %,
    +0.7 %, +1.0 % at eta = 0.01, sigma = 0.5 for M = 2 and L = 0, 1, 2); for linear activations
    it is K eta sigma^2/(2 (2B - K eta)) (:func:`asymptotic_error_linear`).

    What the state looks like (erf): the matched units sit at their teachers plus O(eta); each
    extra unit holds a small weight, Q_ll ~ eta sigma^2/(2L), anti-aligned with the teachers' sum
    and the matched students. For L >= 2 the extra units coincide (f = e: one shared direction,
    acting as one unit of output weight L). ``growth_rate`` is the largest real part of the full
    Jacobian's spectrum there (neutral directions dropped; the erf expectations are smooth across
    the boundary of the network states, so the finite differences are meaningful; NaN where they
    are not). For L <= 1 and moderate eta it is < 0: the attractor. For L >= 2 it is > 0 (e.g.
    +1.8e-3 at M = L = 2, eta = 0.1, sigma = 0.5): the symmetric state is a long-lived saddle, the
    one eq. (15) and Fig. 3 describe; on a time scale alpha ~ 1/growth_rate the extra units split
    into (partly) cancelling pairs -- an odd activation lets w and -w cancel -- and the error falls
    below it (0.0108 against 0.0139 in that example).

    Raises
    ------
    RuntimeError
        If neither the continuation nor the integration ends at a root (max |rhs| <= 1e-11 eta)
        that is a network state (the joint covariance of students and teachers PSD): at large
        eta the ODE can leave the ansatz (e.g. extra units in cancelling pairs, M = 2, L = 4,
        eta = sigma = 0.5) or diverge.
    """
    M = _checks.integer("M", M, minimum=1)
    L = _checks.integer("L", L, minimum=0)
    eta, sigma = _checks.positive("eta", eta), _checks.nonneg("sigma", sigma)
    B = _checks.integer("batch_size", batch_size, minimum=1)
    n_continuation = _checks.integer("n_continuation", n_continuation, minimum=1)
    K = M + L
    names = _ansatz_names(M, L)
    steps = eta * 2.0 ** -np.arange(n_continuation - 1, -1, -1)
    # leading order at the smallest eta: matched units at their teachers, each extra unit a small
    # weight ~ eta sigma^2/(2 L) anti-aligned with the teachers' sum (measured on integrated ODEs)
    e0 = max(steps[0] * sigma**2, 1e-12) / (2.0 * max(L, 1))
    p = {n: 0.0 for n in names}
    p.update(q=1.0, r=1.0)
    if L:
        p.update(e=e0, h=-e0, t=-e0)
        if L >= 2:
            p["f"] = (1.0 - 1e-3) * e0
    x = np.array([p[n] for n in names])
    ode = CommitteeODE(K=K, M=M, eta=eta, sigma=sigma, activation=activation, batch_size=B)
    for e_k in steps:
        x = _ansatz_root(CommitteeODE(K=K, M=M, eta=float(e_k), sigma=sigma, activation=activation, batch_size=B),
                         M, L, names, x)
    how = "continuation from eta -> 0"
    ok, Q, R, residual = _ansatz_check(ode, M, L, names, x)
    if not ok:
        # the branch from eta -> 0 folded or left the network states: integrate the ODE from the
        # symmetric start (matched units at their teachers, extra units small and orthogonal), which
        # stays in the ansatz, and polish the end point
        K0 = np.eye(K)
        K0[M:, M:] *= 1e-2
        R0 = np.zeros((K, M))
        R0[:M] = np.eye(M)
        tr = ode.integrate(K0, R0, np.ones(K), [0.0, 200.0 / eta], rtol=1e-10, atol=1e-13)
        x = _ansatz_root(ode, M, L, names, _ansatz_project(tr.Q[-1], tr.R[-1], M, L, names))
        how = "ODE integration to alpha = 200/eta, polished"
        ok, Q, R, residual = _ansatz_check(ode, M, L, names, x)
    if not ok:
        raise RuntimeError(f"no stationary state in the symmetric ansatz for M={M}, L={L}, eta={eta}, sigma={sigma} "
                           f"(continuation and integration both failed; residual {residual:.2e}): the ODE leaves the "
                           f"ansatz (e.g. extra units in cancelling pairs) or diverges")
    with np.errstate(invalid="ignore", divide="ignore"):
        Jac = jacobian(ode, ode.pack(Q, R))
    if np.all(np.isfinite(Jac)):
        growth = _growth_rate(Jac, eta)
    else:   # merged units of an activation whose expectations are not smooth across the PSD boundary
        growth = float("nan")
    return AsymptoticState(M, L, eta, sigma, B, float(ode.eps_g(Q, R, np.ones(K), check=False)), Q, R,
                           dict(zip(names, map(float, x))), growth, residual, how)


def _ansatz_F(ode, M, L, names, z):
    Q, R = _ansatz_state(M, L, dict(zip(names, z)))
    with np.errstate(invalid="ignore", divide="ignore"):     # probes outside the PSD set
        dQ, dR, _ = ode.rhs(Q, R, np.ones(M + L))
    d = _ansatz_rhs(dQ, dR, M, L)
    out = np.array([d[n] for n in names]) / ode.eta
    return np.where(np.isfinite(out), out, 1e6)


def _ansatz_root(ode, M, L, names, x):
    return root(lambda z: _ansatz_F(ode, M, L, names, z), x, method="hybr", tol=1e-14).x


def _ansatz_check(ode, M, L, names, x):
    """(ok, Q, R, residual): ok when x is a root (max |rhs| <= 1e-11 eta) and a network state
    (joint covariance PSD, to 1e-7 of the state's scale).

    The PSD tolerance is that of the state, not of the residual: a linear student conserves
    w_i - w_k, so its stationary state lies exactly on the boundary of the network states
    (lambda_1 - lambda_2 - rho_1 + rho_2 = 0 from the symmetric start). The ODE integration (rtol
    1e-10 over alpha = 200/eta) keeps that combination to about 1e-9, and the root polish cannot
    tighten it (the residual is flat along neutral directions): e.g. min eig = -1.3e-9 at M = 2,
    L = 1, eta = 0.3, sigma = 0.4 with residual 6e-17. States that no network has are off by O(1)
    (eps_g < 0 there), far outside this tolerance."""
    Q, R = _ansatz_state(M, L, dict(zip(names, x)))
    with np.errstate(invalid="ignore", divide="ignore"):
        dQ, dR, _ = ode.rhs(Q, R, np.ones(M + L))
    res = float(max(np.abs(dQ).max(), np.abs(dR).max()))
    lo = _joint_min_eigenvalue(Q, R, np.eye(M)) if np.all(np.isfinite(Q)) else -np.inf
    ok = bool(np.isfinite(res) and res <= 1e-11 * ode.eta and lo >= -1e-7 * max(1.0, float(np.abs(Q).max())))
    return ok, Q, R, res


def _ansatz_project(Q, R, M, L, names):
    """Average a (numerically) symmetric state onto the ansatz parameters."""
    K = M + L
    mm, ee = ~np.eye(M, dtype=bool), ~np.eye(L, dtype=bool)
    off_R = ~np.eye(M, dtype=bool)
    vals = {"q": np.diag(Q)[:M].mean(), "r": np.diag(R[:M]).mean()}
    if M >= 2:
        vals.update(c=Q[:M, :M][mm].mean(), s=R[:M][off_R].mean())
    if L:
        vals.update(e=np.diag(Q)[M:K].mean(), h=Q[:M, M:].mean(), t=R[M:].mean())
        if L >= 2:
            vals["f"] = Q[M:, M:][ee].mean()
    return np.array([vals[n] for n in names])
