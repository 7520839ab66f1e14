r"""ODEs for online SGD of a soft committee machine learning from a teacher.

Saad & Solla, Phys. Rev. E 52, 4225 (1995); Goldt, Advani, Saxe, Krzakala, Zdeborova,
"Dynamics of stochastic gradient descent for two-layer neural networks in the teacher-student
setup", NeurIPS 2019, arXiv:1906.08632, eqs. (8)-(10) (their sigma^2 term, first and second layer).

Conventions (docs/DESIGN.md section 3): x ~ N(0, I_N); fields lambda_k = w_k.x/sqrt(N) (K students) and
rho_m = w*_m.x/sqrt(N) (M teachers); y = phi* + sigma zeta; online SGD
``w_k <- w_k - (kappa/N) w_k + (eta/sqrt N) v_k g'(lambda_k)(y - phi) x`` and
``v_k <- v_k - (kappa/N) v_k + (eta_v/N) g(lambda_k)(y - phi)``; time alpha = steps / N.
With u = (-v, v*) and C = [[Q, R], [R^T, T]] the N -> infinity limit is

    dR_in/da = eta v_i sum_c u_c I3(i, n, c) - kappa R_in
    dQ_ik/da = eta v_i sum_c u_c I3(i, k, c) + eta v_k sum_c u_c I3(k, i, c)
               + eta^2 v_i v_k [sum_cd u_c u_d I4(i, k, c, d) + sigma^2 J2(i, k)] - 2 kappa Q_ik
    dv_i/da  = eta_v sum_c u_c I2(i, c) - kappa v_i          (only if eta_v != 0)

The eta^2 term uses |x|^2/N -> 1.

Mini-batch SGD (``batch_size`` B): each step averages the B per-sample gradients of fresh inputs, and
time stays alpha = steps/N (updates, not samples; a run to alpha uses alpha N B samples). The drift
terms are unchanged and the eta^2 term, the second moment of one step's gradient, is divided by B:
the B(B-1) cross pairs mu != nu carry x^mu.x^nu/N = O(N^-1/2) with zero mean given the weights, so
they add O(1/N) only. dQ gains eta^2 v_i v_k [...]/B; dR and dv carry no eta^2 term at this order. Every expectation is evaluated for all index tuples at once
(closed forms broadcast over (i, n, c) and (i, k, c, d)); a leading batch axis integrates many
initial conditions (e.g. every seed of an ensemble, each with its measured T) in one call.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

from twolayer import checks as _checks
from twolayer.errors import DivergedError, InputError

from .activations import get_activation
from .gaussian_integrals import I2, I3, I4, J2
from .generalisation_error import field_covariance, generalisation_error, u_vector

__all__ = ["CommitteeODE", "CommitteeSpec", "COMMITTEE_FIELDS", "ODETrajectory", "ODEDivergedError"]

#: The fields that a teacher-student committee problem and its ODE share, with one meaning: units
#: K (student) and M (teacher), rates eta (first layer) and eta_v (second layer; 0: not trained),
#: output-noise SD sigma, weight decay kappa (per unit alpha), the activations, and the mini-batch
#: size (Saad & Solla 1995; Goldt et al. arXiv:1906.08632 eqs. (6)-(8)).
COMMITTEE_FIELDS = ("K", "M", "eta", "eta_v", "sigma", "kappa", "activation", "teacher_activation", "batch_size")


class CommitteeSpec:
    """The part of a committee-machine problem shared by the ODE (:class:`CommitteeODE`) and the
    simulator's problem (:class:`sims.teacher_student.TeacherStudent`): the fields of
    :data:`COMMITTEE_FIELDS`, checked one way, and what follows from them.

    A mixin for frozen dataclasses that declare those fields; it adds no fields of its own.
    """

    def _check_committee_fields(self) -> None:
        for name in ("K", "M", "batch_size"):
            _checks.integer(name, getattr(self, name), minimum=1)
        for name in ("eta", "eta_v", "sigma", "kappa"):
            _checks.nonneg(name, getattr(self, name))
        get_activation(self.activation, "activation")
        get_activation(self.t_act, "teacher_activation")

    def committee_fields(self) -> dict:
        """The shared fields as keyword arguments (for building the ODE of a problem)."""
        return {name: getattr(self, name) for name in COMMITTEE_FIELDS}

    @property
    def t_act(self) -> str:
        """The teacher's activation (the student's unless ``teacher_activation`` is given)."""
        return self.teacher_activation or self.activation

    @property
    def trains_second_layer(self) -> bool:
        return self.eta_v != 0.0


class ODEDivergedError(DivergedError):
    """The ODE solution became non-finite."""


@dataclass(frozen=True)
class ODETrajectory:
    """Order parameters along an ODE solution.

    Attributes
    ----------
    alphas : ndarray, shape (n_t,)
    Q : ndarray, shape (batch..., n_t, K, K)
    R : ndarray, shape (batch..., n_t, K, M)
    v : ndarray, shape (batch..., n_t, K)
    eps_g : ndarray, shape (batch..., n_t)
    n_rhs : int
        Right-hand-side evaluations used.
    """

    alphas: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    v: np.ndarray
    eps_g: np.ndarray
    n_rhs: int = 0


@dataclass(frozen=True)
class CommitteeODE(CommitteeSpec):
    """Order-parameter ODE of a K-unit student learning an M-unit teacher.

    Parameters
    ----------
    K, M : int
        Student and teacher hidden units (K, M >= 1).
    eta : float
        First-layer learning rate (>= 0).
    eta_v : float
        Second-layer learning rate; 0 means the second layer is not trained.
    sigma : float
        Output-noise standard deviation.
    kappa : float
        Weight decay (per unit alpha).
    activation, teacher_activation : str
        Student and teacher activations (see :mod:`theory.activations`).
    T : array_like, shape (batch..., M, M), optional
        Teacher overlaps w*w*^T/N; identity by default.
    v_star : array_like, shape (batch..., M), optional
        Teacher second layer; ones by default.
    quad_order : tuple of int
        Gauss--Hermite orders (I2/J2, I3, I4) for activations without closed forms.
    batch_size : int
        Samples averaged per SGD step (B >= 1): the eta^2 term of dQ is divided by B (module docstring).
    """

    K: int
    M: int
    eta: float
    eta_v: float = 0.0
    sigma: float = 0.0
    kappa: float = 0.0
    activation: str = "erf"
    teacher_activation: str | None = None
    T: np.ndarray | None = None
    v_star: np.ndarray | None = None
    quad_order: tuple = (40, 16, 8)
    batch_size: int = 1
    _T: np.ndarray = field(init=False, repr=False, compare=False)
    _vs: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self._check_committee_fields()
        T = np.eye(self.M) if self.T is None else _checks.psd("T", _checks.array("T", self.T, shape=(..., self.M, self.M)))
        vs = np.ones(self.M) if self.v_star is None else _checks.array("v_star", self.v_star, shape=(..., self.M))
        if not (isinstance(self.quad_order, tuple) and len(self.quad_order) == 3):
            raise TypeError(f"quad_order must be a tuple of 3 integers (I2/J2, I3, I4), got {self.quad_order!r}")
        for o in self.quad_order:
            _checks.integer("quad_order", o, minimum=1)
        object.__setattr__(self, "_T", T)
        object.__setattr__(self, "_vs", vs)

    # ------------------------------------------------------------------ packing
    def n_state(self) -> int:
        """Length of the packed state: K(K+1)/2 (Q) + K M (R) [+ K (v)]."""
        K, M = self.K, self.M
        return K * (K + 1) // 2 + K * M + (K if self.trains_second_layer else 0)

    def pack(self, Q, R, v=None):
        """Pack (Q upper triangle, R, v if trained) into shape (batch..., n_state)."""
        K, M = self.K, self.M
        Q, R = np.asarray(Q, float), np.asarray(R, float)
        if Q.shape[-2:] != (K, K):
            raise ValueError(f"Q must have shape (..., {K}, {K}), got {Q.shape}")
        if R.shape[-2:] != (K, M):
            raise ValueError(f"R must have shape (..., {K}, {M}), got {R.shape}")
        iu = np.triu_indices(K)
        parts = [Q[..., iu[0], iu[1]], R.reshape(R.shape[:-2] + (K * M,))]
        if self.trains_second_layer:
            if v is None:
                raise ValueError("v is required when the second layer is trained (eta_v != 0)")
            parts.append(np.asarray(v, float))
        batch = np.broadcast_shapes(*[p.shape[:-1] for p in parts])
        return np.concatenate([np.broadcast_to(p, batch + p.shape[-1:]) for p in parts], axis=-1)

    def unpack(self, y, v_fixed=None):
        """Inverse of :meth:`pack`; returns (Q, R, v). ``v_fixed`` supplies v when it is not trained."""
        K, M = self.K, self.M
        y = np.asarray(y, float)
        nq = K * (K + 1) // 2
        iu = np.triu_indices(K)
        Q = np.empty(y.shape[:-1] + (K, K))
        Q[..., iu[0], iu[1]] = y[..., :nq]
        Q[..., iu[1], iu[0]] = y[..., :nq]
        R = y[..., nq:nq + K * M].reshape(y.shape[:-1] + (K, M))
        if self.trains_second_layer:
            v = y[..., nq + K * M:]
        else:
            v = np.broadcast_to(np.ones(K) if v_fixed is None else np.asarray(v_fixed, float), y.shape[:-1] + (K,))
        return Q, R, v

    # ------------------------------------------------------------------ expectations
    def expectations(self, Q, R, v):
        """All expectations the right-hand side needs, vectorised over index tuples.

        Returns
        -------
        A : ndarray, shape (..., K, P)
            A[i, n] = sum_c u_c I3(lambda_i, f_n, f_c).
        B : ndarray, shape (..., K, K)
            B[i, k] = sum_cd u_c u_d I4(lambda_i, lambda_k, f_c, f_d).
        J : ndarray, shape (..., K, K)
            J2(lambda_i, lambda_k).
        G : ndarray, shape (..., K)
            G[i] = sum_c u_c I2(lambda_i, f_c)  (the second-layer drift).
        """
        K = self.K
        C = field_covariance(Q, R, self._T)
        batch = C.shape[:-2]
        u = np.concatenate(u_vector(v, self._vs, batch), axis=-1)
        d = np.diagonal(C, axis1=-2, axis2=-1)
        s, t = self.activation, self.t_act
        o2, o3, o4 = self.quad_order
        blocks = [(slice(0, K), s), (slice(K, None), t)]

        # I3 over (i, n, c): a = lambda_i, b = f_n, c = f_c
        I3v = np.empty(batch + (K, C.shape[-1], C.shape[-1]))
        for sc, ac in blocks:
            I3v[..., sc] = I3(s, ac, d[..., :K, None, None], C[..., :K, :, None], C[..., :K, None, sc],
                              C[..., None, :, sc], d[..., None, None, sc], order=o3)
        A = np.einsum("...inc,...c->...in", I3v, u)

        # I4 over (i, k, c, d)
        B = np.zeros(batch + (K, K))
        for sc, ac in blocks:
            for sd, ad in blocks:
                I4v = I4(s, ac, ad,
                         d[..., :K, None, None, None], C[..., :K, :K, None, None],
                         C[..., :K, None, sc, None], C[..., :K, None, None, sd],
                         d[..., None, :K, None, None], C[..., None, :K, sc, None], C[..., None, :K, None, sd],
                         d[..., None, None, sc, None], C[..., None, None, sc, sd], d[..., None, None, None, sd],
                         order=o4)
                B += np.einsum("...ikcd,...c,...d->...ik", I4v, u[..., sc], u[..., sd])

        J = J2(s, s, d[..., :K, None], C[..., :K, :K], d[..., None, :K], order=o2)
        G = np.zeros(batch + (K,))
        if self.trains_second_layer:
            for sc, ac in blocks:
                G += np.einsum("...ic,...c->...i",
                               I2(s, ac, d[..., :K, None], C[..., :K, sc], d[..., None, sc], order=o2), u[..., sc])
        return A, B, J, G

    def rhs(self, Q, R, v):
        """Time derivatives (dQ, dR, dv) per unit alpha; shapes as the inputs."""
        K = self.K
        Q, R, v = np.asarray(Q, float), np.asarray(R, float), np.asarray(v, float)
        A, B, J, G = self.expectations(Q, R, v)
        eta, kap = self.eta, self.kappa
        vA = v[..., :, None] * A[..., :, :K]
        vv = v[..., :, None] * v[..., None, :]
        dQ = eta * (vA + np.swapaxes(vA, -1, -2)) + (eta**2 / self.batch_size) * vv * (B + self.sigma**2 * J) - 2.0 * kap * Q
        dR = eta * v[..., :, None] * A[..., :, K:] - kap * R
        dv = self.eta_v * G - kap * v if self.trains_second_layer else np.zeros_like(v)
        return dQ, dR, dv

    def rhs_packed(self, y, v_fixed=None):
        """Right-hand side on packed states of shape (batch..., n_state)."""
        Q, R, v = self.unpack(y, v_fixed)
        dQ, dR, dv = self.rhs(Q, R, v)
        return self.pack(dQ, dR, dv if self.trains_second_layer else None)

    def eps_g(self, Q, R, v, *, check: bool = True):
        """Generalisation error at (Q, R, v) with this ODE's teacher (T, v*); ``check`` as in
        :func:`theory.generalisation_error.generalisation_error`."""
        return generalisation_error(Q, R, self._T, v, self._vs, self.activation, self.t_act, check=check)

    # ------------------------------------------------------------------ integration
    def integrate(self, Q0, R0, v0=None, alphas=(0.0, 1.0), *, method: str = "DOP853",
                  rtol: float = 1e-9, atol: float = 1e-11, dt: float = 0.01,
                  max_steps: int = 10**7) -> ODETrajectory:
        """Integrate from (Q0, R0, v0) and report the state at ``alphas``.

        Parameters
        ----------
        Q0, R0, v0 : array_like, shapes (batch..., K, K), (batch..., K, M), (batch..., K)
            Initial order parameters (``v0`` defaults to ones; it is the fixed v if eta_v = 0).
        alphas : array_like, shape (n_t,)
            Increasing output times; the first is the initial time.
        method : {"DOP853", "RK45", "LSODA", "Radau", "RK4"}
            An adaptive scipy.integrate.solve_ivp method with ``rtol``/``atol``, or fixed-step
            classical Runge--Kutta with step ``dt`` (shortened to land on every output time).
        max_steps : int
            Refuse an RK4 run of more than this many steps (a tiny ``dt`` would otherwise hang).

        Raises
        ------
        ODEDivergedError
            If the state becomes non-finite (names the time).
        """
        alphas = _checks.time_grid("alphas", alphas)
        K, M = self.K, self.M
        _checks.choice("method", method, ("DOP853", "RK45", "RK23", "LSODA", "Radau", "BDF", "RK4"))
        rtol, atol = _checks.positive("rtol", rtol), _checks.positive("atol", atol)
        if method == "RK4":
            dt = _checks.positive("dt", dt)
            steps = (alphas[-1] - alphas[0]) / dt + alphas.size
            if steps > _checks.integer("max_steps", max_steps, minimum=1):
                raise InputError(f"dt={dt:g} needs about {steps:.3g} RK4 steps over alphas "
                                 f"[{alphas[0]:g}, {alphas[-1]:g}], above max_steps={max_steps}; "
                                 "raise dt or max_steps")
        Q0 = _checks.array("Q0", Q0, shape=(..., K, K))
        R0 = _checks.array("R0", R0, shape=(..., K, M))
        v0 = np.ones(K) if v0 is None else _checks.array("v0", v0, shape=(..., K))
        _checks.psd("the initial joint covariance [[Q0, R0], [R0^T, T]]",
                    field_covariance(Q0, R0, self._T))
        y0 = self.pack(Q0, R0, v0)
        batch = np.broadcast_shapes(y0.shape[:-1], self._T.shape[:-2], self._vs.shape[:-1])
        y0 = np.broadcast_to(y0, batch + y0.shape[-1:]).copy()
        v_fixed = None if self.trains_second_layer else np.broadcast_to(v0, batch + (K,))
        n = y0.shape[-1]
        count = [0]

        def f(_t, yflat):
            count[0] += 1
            return self.rhs_packed(yflat.reshape(batch + (n,)), v_fixed).ravel()

        if method == "RK4":
            ys = _rk4(f, y0.ravel(), alphas, dt)
        else:
            if alphas.size == 1:
                ys = y0.ravel()[None, :]
            else:
                sol = solve_ivp(f, (alphas[0], alphas[-1]), y0.ravel(), method=method, t_eval=alphas,
                                rtol=rtol, atol=atol)
                if sol.status != 0 or not np.all(np.isfinite(sol.y)):
                    bad = sol.t[-1] if sol.t.size else alphas[0]
                    raise ODEDivergedError(f"ODE integration failed near alpha={bad:.6g}: {sol.message}")
                ys = sol.y.T
        if not np.all(np.isfinite(ys)):
            bad = alphas[np.argmax(~np.all(np.isfinite(ys), axis=1))]
            raise ODEDivergedError(f"ODE solution became non-finite by alpha={bad:.6g}")
        Y = np.moveaxis(ys.reshape((alphas.size,) + batch + (n,)), 0, -2)
        Q, R, v = self.unpack(Y, None if v_fixed is None else v_fixed[..., None, :])
        # the time axis sits before the matrix axes: give T and v* a matching singleton axis
        eps = generalisation_error(Q, R, self._T[..., None, :, :], v, self._vs[..., None, :],
                                   self.activation, self.t_act, check=False)
        return ODETrajectory(alphas, Q, R, np.array(v), eps, count[0])


def _rk4(f, y0, ts, dt):
    """Classical RK4 with step <= dt, landing exactly on each output time in ``ts``."""
    out = np.empty((ts.size, y0.size))
    y, t = y0.copy(), ts[0]
    out[0] = y
    for j in range(1, ts.size):
        span = ts[j] - t
        n = max(1, int(np.ceil(span / dt - 1e-9)))
        h = span / n
        for _ in range(n):
            k1 = f(t, y)
            k2 = f(t + h / 2, y + h / 2 * k1)
            k3 = f(t + h / 2, y + h / 2 * k2)
            k4 = f(t + h, y + h * k3)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            t = t + h
        if not np.all(np.isfinite(y)):
            raise ODEDivergedError(f"ODE solution became non-finite by alpha={ts[j]:.6g}")
        t = ts[j]
        out[j] = y
    return out
