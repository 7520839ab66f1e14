r"""State evolution for the mixture ODE: its stationary point at fixed learning rate.

Refinetti et al., arXiv:2102.11742 (docs/THEORY.md B): the long-time limit of online SGD on a Gaussian
mixture is the fixed point of the order-parameter ODE of :mod:`theory.mixture_ode` at the given
(eta, reg, Delta) -- not the eta -> 0 limit, so the eta^2 noise term is kept.

Solver (:func:`state_evolution`): relaxation along the ODE flow (the damped iteration; stable
because the flow contracts towards a stable fixed point) followed by a quasi-Newton polish
(scipy.optimize.root, hybrid Powell), in the full coordinates (R, Q, v) or in the coordinates of a
linear ansatz x = E theta (E^+ F(E theta) = 0). A plain damped/Anderson map x <- x + tau F(x)
was tried first and diverges for tau ~ 1/eta: the eta^2 and weight-growth modes are stiff. :func:`xor_symmetric_ansatz` is the paper's reduced K = 4 XOR
ansatz with the symmetries of the problem imposed: units (1, 2) along -+e_1 with second-layer
weight a, units (3, 4) along -+e_2 with weight b; R = (r_1 on +e_1 for unit 1, -r_1 for unit 2, ...),
Q with diagonals q_1, q_2, within-pair overlaps d_1, d_2 and a common cross-pair overlap c: nine
free numbers (four -- r_1, r_2, a, b -- when the weights lie exactly in the span of the means,
Q then being fixed by R; the eta^2 term adds orthogonal parts, hence q, d, c).

The result carries a convergence report; an unconverged solve raises
:class:`StateEvolutionError` unless ``raise_on_failure=False``, in which case the result is
flagged ``converged = False`` (never a silent number).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .mixture_ode import MixtureODE

__all__ = ["StateEvolutionResult", "StateEvolutionError", "state_evolution", "xor_symmetric_ansatz"]


class StateEvolutionError(RuntimeError):
    """The fixed-point solve did not converge (the message has the report)."""


@dataclass(frozen=True)
class StateEvolutionResult:
    """Fixed point and convergence report.

    Attributes
    ----------
    R, Q, v : ndarray
        Order parameters at the fixed point (C x K, K x K, K).
    eps_mse, eps_class, eps_class_se : float
    converged : bool
    iterations : int
    residual : float
        max |F(x)| (the ODE right-hand side) at the returned point.
    history : ndarray
        Residual per iteration.
    """

    R: np.ndarray
    Q: np.ndarray
    v: np.ndarray
    eps_mse: float
    eps_class: float
    eps_class_se: float
    converged: bool
    iterations: int
    residual: float
    history: np.ndarray = field(repr=False)

    def report(self) -> str:
        state = "converged" if self.converged else "NOT converged"
        return (f"state evolution {state} after {self.iterations} iterations, max|dx/dt| = {self.residual:.3g}; "
                f"eps_mse = {self.eps_mse:.6g}, eps_class = {self.eps_class:.6g} +- {self.eps_class_se:.2g}")


def xor_symmetric_ansatz(ode: MixtureODE) -> np.ndarray:
    """Embedding matrix E (n_full, 9) of the symmetric K = 4 XOR ansatz (module docstring).

    Requires the :func:`sims.gaussian_mixture.xor_mixture` cluster order: (+e_1, -e_1) with
    y = -1, then (+e_2, -e_2) with y = +1, and K = 4. Parameters theta = (r1, r2, q1, q2, d1, d2, c, a, b).
    """
    if ode.K != 4 or ode.n_clusters != 4:
        raise ValueError("the XOR ansatz needs K = 4 and the 4-cluster XOR mixture")
    if not np.array_equal(ode.labels, [-1, -1, 1, 1]):
        raise ValueError("the XOR ansatz needs the xor_mixture cluster order (labels -1, -1, +1, +1)")
    R = np.zeros((9, 4, 4))
    Q = np.zeros((9, 4, 4))
    v = np.zeros((9, 4))
    sgn = np.array([[1, -1], [-1, 1]])             # cluster (+e, -e) x unit (first, second)
    R[0, 0:2, 0:2] = sgn
    R[1, 2:4, 2:4] = sgn
    for j, (lo, hi) in enumerate(((0, 2), (2, 4))):
        Q[2 + j, range(lo, hi), range(lo, hi)] = 1
        Q[4 + j, lo, lo + 1] = Q[4 + j, lo + 1, lo] = 1
        v[7 + j, lo:hi] = 1
    Q[6, 0:2, 2:4] = Q[6, 2:4, 0:2] = 1
    E = np.stack([ode.pack(R[i], Q[i], v[i]) for i in range(9)], axis=1)
    return E


def state_evolution(ode: MixtureODE, R0, Q0, v0, *, ansatz: np.ndarray | None = None, t_window: float | None = None,
                    max_relax: int = 40, polish_from: float = 1e-5, tol: float = 1e-10,
                    raise_on_failure: bool = True) -> StateEvolutionResult:
    """Stationary point of ``ode`` reached from (R0, Q0, v0).

    Two stages: (1) *relaxation* -- the ODE itself (in ansatz coordinates when given) is
    integrated over windows of length ``t_window`` (default 20/eta) with RK45 (LSODA was tried: its stiff branch crawls on the Monte-Carlo term)
    until max|dx/dt| <= ``polish_from`` (at most ``max_relax`` windows); this is the damped
    iteration, robust because the flow contracts towards a stable fixed point; (2) *polish* --
    scipy.optimize.root (MINPACK hybrid Powell, finite-difference Jacobian) to max|dx/dt| <= tol.

    Parameters
    ----------
    ansatz : ndarray (n_full, n_params), optional
        Linear embedding E: solve for theta with x = E theta, dynamics E^+ F(E theta).
    tol : float
        Required max |dx/dt| of the *full* right-hand side at the result.

    Raises
    ------
    StateEvolutionError
        When not converged and ``raise_on_failure`` (else the result has ``converged=False``).
    """
    from scipy.integrate import solve_ivp
    from scipy.optimize import root

    R0, Q0, v0 = ode.check_state(R0, Q0, v0, ("R0", "Q0", "v0"))
    if R0.ndim != 2:
        raise ValueError("state_evolution solves one state at a time (no batch axes)")
    x0 = ode.pack(R0, Q0, v0)
    if ansatz is None:
        E = np.eye(x0.size)
    else:
        E = np.asarray(ansatz, float)
        if E.ndim != 2 or E.shape[0] != x0.size:
            raise ValueError(f"ansatz must have shape ({x0.size}, n_params), got {E.shape}")
    Ep = np.linalg.pinv(E)
    t_window = 20.0 / ode.eta if t_window is None else float(t_window)

    def F(th):
        with np.errstate(all="ignore"):
            return Ep @ ode.rhs_packed(E @ th)

    th = Ep @ x0
    hist = [float(np.max(np.abs(F(th))))]
    it = 0
    while hist[-1] > polish_from and it < max_relax and np.isfinite(hist[-1]):
        sol = solve_ivp(lambda _t, y: F(y), (0.0, t_window), th, method="RK45", rtol=1e-6, atol=1e-9)
        it += 1
        if sol.status != 0 or not np.all(np.isfinite(sol.y[:, -1])):
            hist.append(np.inf)
            break
        th = sol.y[:, -1]
        hist.append(float(np.max(np.abs(F(th)))))
    if np.isfinite(hist[-1]):
        sol = root(F, th, method="hybr", options={"xtol": 1e-13})
        it += 1
        if np.all(np.isfinite(sol.x)) and np.max(np.abs(F(sol.x))) <= hist[-1]:
            th = sol.x
        hist.append(float(np.max(np.abs(F(th)))))
    x = E @ th
    R, Q, v = ode.unpack(x)
    with np.errstate(all="ignore"):
        full_res = float(np.max(np.abs(ode.rhs_packed(x))))
    ok = bool(np.isfinite(full_res) and full_res <= tol)
    if np.all(np.isfinite(x)) and np.all(np.diagonal(Q) > 0):
        mse, cls, se = ode.errors(R, Q, v)
    else:
        ok, mse, cls, se = False, np.nan, np.nan, np.nan
    out = StateEvolutionResult(R, Q, np.array(v), float(mse), float(cls), float(se), ok, it, full_res,
                               np.array(hist))
    if not ok and raise_on_failure:
        raise StateEvolutionError(out.report())
    return out
