r"""Online SGD of a soft committee machine (student) learning from a teacher, batched over seeds.

Model and conventions (docs/DESIGN.md section 3; Saad & Solla 1995; Goldt et al. 2019,
arXiv:1906.08632, section 2): x ~ N(0, I_N); lambda_k = w_k.x/sqrt(N), rho_m = w*_m.x/sqrt(N);
phi = sum_k v_k g(lambda_k); y = sum_m v*_m g*(rho_m) + sigma zeta; one fresh sample per step:

    w_k <- (1 - kappa/N) w_k + (eta/sqrt N) v_k g'(lambda_k) (y - phi) x
    v_k <- (1 - kappa/N) v_k + (eta_v/N) g(lambda_k) (y - phi)          (if eta_v != 0)

time alpha = steps/N. With ``batch_size`` B > 1 each step averages the B per-sample updates of B
fresh inputs (mini-batch SGD: c_k x above becomes (1/B) sum_mu c_k^mu x^mu); alpha still counts steps,
so a run to alpha uses alpha N B samples. Order parameters Q = w w^T/N, R = w w*^T/N, T = w* w*^T/N and
eps_g = 1/2 E(phi - phi*)^2 (exact for the current weights, from :mod:`theory`) are recorded on a
grid of alphas (log-spaced by default).

Two methods give the same process:

``method="full"``
    Explicit weights (K x N per seed), one N-dimensional input per step. The ground truth.
``method="gram"``
    The exact Markov chain of the order parameters. Given the weights, the fields
    f = (lambda, rho) ~ N(0, C) with C = [[Q, R], [R^T, T]], and
    |x|^2 = f^T C^-1 f + chi^2_{N-K-M} with the chi^2 independent of f (rotational invariance of
    x: the part of x orthogonal to the K+M weight vectors). Drawing f = L z (L L^T = C, z ~ N(0, I))
    gives f^T C^-1 f = |z|^2, and the update is exact:
    Q' = s^2 Q + s (c lambda^T + lambda c^T)/N + c c^T |x|^2/N^2, R' = s R + c rho^T/N,
    with s = 1 - kappa/N and c_i = eta v_i g'(lambda_i)(y - phi). Same law as ``full`` for every
    finite N (checked statistically in the tests); O((K+M)^3) per step instead of O((K+M) N).
    A mini-batch of B inputs needs their inner products too: x^mu.x^nu = z^mu.z^nu + W_mu,nu, with
    W ~ Wishart_B(N-K-M, I) the Gram matrix of the parts orthogonal to the weights, drawn by
    Bartlett's decomposition W = A A^T (A lower triangular, A_jj^2 ~ chi^2_{N-K-M-j}, A_ij ~ N(0, 1)
    below the diagonal; B = 1 is the chi^2 above). Then
    Q' = s^2 Q + s sum_mu (c^mu lambda^mu^T + lambda^mu c^mu^T)/(B N)
         + sum_mu,nu c^mu c^nu^T x^mu.x^nu/(B N)^2 and R' = s R + sum_mu c^mu rho^mu^T/(B N).

Both draw initial weights identically (host NumPy, one SeedSequence child per seed), so both
methods and every backend start from the same initial order parameters for the same seed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from theory.activations import get_activation
from theory.committee_ode import CommitteeODE, CommitteeSpec
from theory.generalisation_error import generalisation_error

from .activations import backend_activation
from twolayer.errors import DivergedError
from twolayer import checks as _checks
from twolayer.checks import integer as _integer, nonneg as _nonneg, real as _real
from twolayer.driver import finite_members, run_schedule
from twolayer.linalg import batched_cholesky
from twolayer.records import record_steps as _record_steps
from .backends import Backend, as_seed_sequence, compiled_kernels, get_backend

_INITS = ("random", "informed", "denoise")

__all__ = ["TeacherStudent", "SGDTrajectory", "SimulationDivergedError", "simulate_sgd",
           "record_steps", "draw_initial_weights"]


class SimulationDivergedError(DivergedError):
    """A simulation produced non-finite values; the message names the step and the seed."""


@dataclass(frozen=True)
class TeacherStudent(CommitteeSpec):
    """A teacher--student problem and its online-SGD hyper-parameters.

    The fields it shares with its ODE (:data:`theory.committee_ode.COMMITTEE_FIELDS`) are checked
    and mean the same there (:class:`theory.committee_ode.CommitteeSpec`); :meth:`ode` passes them on.

    Parameters
    ----------
    N : int
        Input dimension.
    K, M : int
        Student and teacher hidden units.
    eta : float
        First-layer learning rate (the update carries eta/sqrt(N)).
    eta_v : float
        Second-layer learning rate (update eta_v/N); 0 trains the first layer only.
    sigma : float
        Output-noise standard deviation.
    kappa : float
        Weight decay per unit alpha.
    activation, teacher_activation : str
        ``"erf"`` (erf(x/sqrt 2)), ``"relu"``, ``"linear"``, ``"tanh"``.
    v_star, v0 : array_like, optional
        Teacher and initial student second layers (ones by default).
    orthonormal_teacher : bool
        Teacher rows orthogonal with norm sqrt(N), so T = I exactly; otherwise w* ~ N(0, I) and
        T = I + O(N^-1/2).
    init_std : float
        Student weights w_k = init_overlap * w*_k + init_std * xi_k, xi ~ N(0, I_N)
        (so Q ~ init_std^2 I and R ~ init_overlap T); init_overlap applies to k < min(K, M).
    init_overlap : float
    batch_size : int
        Inputs averaged per SGD step (mini-batch SGD, B >= 1); the ODE divides its eta^2 term by B
        (:class:`theory.committee_ode.CommitteeODE`).
    teacher_T : tuple of M floats or "graded", optional
        Squared teacher norms T_mm = |w*_m|^2 / N (default ones): teacher row m is scaled by
        sqrt(T_mm). ``"graded"`` is pyscm's graded teacher T_mm = m, i.e. T = diag(1, ..., M)
        (exactly with ``orthonormal_teacher``, up to O(N^-1/2) otherwise).
    normalise : bool
        Outputs divided by the number of hidden units (pyscm's ``--normalise``):
        phi = (1/K) sum_k v_k g(lambda_k) and y = (1/M) sum_m v*_m g*(rho_m). Implemented as second
        layers v0/K and v*/M (the first-layer gradient then carries the 1/K too); with ``eta_v > 0``
        the second layer trains from v0/K.
    init : {"random", "informed", "denoise"}
        Student start (pyscm's ``--init``; its "small" start is ``init_std=N**-0.5``).
        ``"random"``: w_k = init_overlap w*_k (k < min(K, M)) + init_std xi_k.
        ``"informed"``: w_k = w*_k + init_std xi_k for k < M (needs K >= M; pyscm uses
        init_std = 1e-9), the other units init_std xi_k.
        ``"denoise"``: student k copies teacher unit m = k mod M scaled by 1/c_m, c_m the number of
        students copying m (the copies add up to the teacher's weight), plus init_std xi_k; needs K >= M.
    teacher_file : str, optional
        Teacher weights (M, N) read from a ``.npy`` file or a text file (``np.loadtxt``, pyscm's
        ``--teacher``), the same for every seed; excludes ``teacher_T`` and ``orthonormal_teacher``.
    """

    N: int
    K: int
    M: int
    eta: float
    eta_v: float = 0.0
    sigma: float = 0.0
    kappa: float = 0.0
    activation: str = "erf"
    teacher_activation: str | None = None
    v_star: tuple | None = None
    v0: tuple | None = None
    orthonormal_teacher: bool = False
    init_std: float = 1.0
    init_overlap: float = 0.0
    batch_size: int = 1
    teacher_T: tuple | str | None = None
    normalise: bool = False
    init: str = "random"
    teacher_file: str | None = None

    def __post_init__(self):
        _integer("N", self.N, minimum=1)
        self._check_committee_fields()
        _nonneg("init_std", self.init_std)
        _real("init_overlap", self.init_overlap)
        if not isinstance(self.orthonormal_teacher, (bool, np.bool_)):
            raise TypeError(f"orthonormal_teacher must be True or False, got {self.orthonormal_teacher!r}")
        if self.orthonormal_teacher and self.M > self.N:
            raise ValueError(f"orthonormal_teacher needs M <= N, got M={self.M}, N={self.N}")
        for name, size in (("v_star", self.M), ("v0", self.K)):
            val = getattr(self, name)
            if val is not None:
                arr = np.asarray(val, dtype=float)
                if arr.shape != (size,) or not np.all(np.isfinite(arr)):
                    raise ValueError(f"{name} must be {size} finite numbers, got {val!r}")
                object.__setattr__(self, name, tuple(float(a) for a in arr))
        if not isinstance(self.normalise, (bool, np.bool_)):
            raise TypeError(f"normalise must be True or False, got {self.normalise!r}")
        if self.init not in _INITS:
            raise ValueError(f"init must be one of {_INITS}, got {self.init!r}")
        if self.init != "random":
            if self.K < self.M:
                raise ValueError(f"init={self.init!r} needs K >= M (a student unit per teacher unit), "
                                 f"got K={self.K}, M={self.M}")
            if self.init_overlap != 0:
                raise ValueError(f"init_overlap applies to init='random' only, got init_overlap={self.init_overlap!r} "
                                 f"with init={self.init!r}")
        if isinstance(self.teacher_T, str):
            if self.teacher_T != "graded":
                raise ValueError(f"teacher_T must be M positive numbers or 'graded', got {self.teacher_T!r}")
            object.__setattr__(self, "teacher_T", tuple(float(m) for m in range(1, self.M + 1)))
        elif self.teacher_T is not None:
            arr = np.asarray(self.teacher_T, dtype=float)
            if arr.shape != (self.M,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
                raise ValueError(f"teacher_T must be {self.M} positive finite numbers or 'graded', "
                                 f"got {self.teacher_T!r}")
            object.__setattr__(self, "teacher_T", tuple(float(a) for a in arr))
        if self.teacher_file is not None:
            if self.teacher_T is not None or self.orthonormal_teacher:
                raise ValueError("teacher_file fixes the teacher: it excludes teacher_T and orthonormal_teacher")
            # read (and checked) when weights are drawn, so that a saved run loads where the file is absent
            object.__setattr__(self, "teacher_file", str(self.teacher_file))

    @property
    def v_star_array(self) -> np.ndarray:
        v = np.ones(self.M) if self.v_star is None else np.asarray(self.v_star, float)
        return v / self.M if self.normalise else v

    @property
    def v0_array(self) -> np.ndarray:
        v = np.ones(self.K) if self.v0 is None else np.asarray(self.v0, float)
        return v / self.K if self.normalise else v

    def file_teacher(self) -> np.ndarray | None:
        """The teacher weights (M, N) of ``teacher_file`` (None without one)."""
        if self.teacher_file is None:
            return None
        path = self.teacher_file
        try:
            w = np.load(path) if path.endswith(".npy") else np.loadtxt(path, ndmin=2)
        except (OSError, ValueError) as exc:
            raise ValueError(f"teacher_file {path!r} could not be read: {exc}") from None
        w = np.asarray(w, dtype=float)
        if w.shape != (self.M, self.N) or not np.all(np.isfinite(w)):
            raise ValueError(f"teacher_file {path!r} must hold {self.M} x {self.N} finite weights (M x N), "
                             f"got shape {w.shape}" + ("" if np.all(np.isfinite(w)) else " with non-finite entries"))
        return w

    def teacher_copies(self):
        """(m, a): student k starts from a[k] * w*_{m[k]} (+ init_std xi_k); m[k] = -1 copies nothing.

        Shapes (K,) each; see ``init``."""
        K, M = self.K, self.M
        m = np.full(K, -1)
        a = np.zeros(K)
        if self.init == "random":
            k = min(K, M)
            m[:k], a[:k] = np.arange(k), self.init_overlap
        elif self.init == "informed":
            m[:M], a[:M] = np.arange(M), 1.0
        else:
            m = np.arange(K) % M
            a = 1.0 / np.bincount(m, minlength=M)[m]
        return m, a

    def nominal_T(self) -> np.ndarray:
        """The teacher overlaps T (M, M) as N -> infinity: diag(teacher_T) (identity by default), or
        the teacher file's w* w*^T / N exactly."""
        w = self.file_teacher()
        if w is not None:
            return w @ w.T / self.N
        return np.diag(np.ones(self.M) if self.teacher_T is None else np.asarray(self.teacher_T))

    def nominal_order_parameters(self):
        """(Q0, R0, v0): the N -> infinity initial order parameters of :func:`draw_initial_weights`.

        With w_k = a_k w*_{m_k} + init_std xi_k (``teacher_copies``), i.e. w0 = A w* + init_std xi
        with A (K, M) holding a_k at (k, m_k): Q = A T A^T + init_std^2 I, R = A T, v = v0
        (T = ``nominal_T``). Every seed's measured overlaps differ from these by O(N^-1/2), and T
        itself does unless the teacher is orthonormal or read from a file (start an ODE from
        ``SGDTrajectory.initial_order_parameters`` to follow one seed)."""
        m, a = self.teacher_copies()
        A = np.zeros((self.K, self.M))
        rows = np.flatnonzero(m >= 0)
        A[rows, m[rows]] = a[rows]
        T = self.nominal_T()
        return A @ T @ A.T + self.init_std**2 * np.eye(self.K), A @ T, self.v0_array

    def ode(self, T=None) -> CommitteeODE:
        """The N -> infinity ODE of this problem, with teacher overlaps ``T`` (default ``nominal_T``)."""
        T = self.nominal_T() if T is None else T
        return CommitteeODE(**self.committee_fields(), T=T, v_star=self.v_star_array)

    def with_(self, **changes) -> "TeacherStudent":
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class SGDTrajectory:
    """Recorded order parameters of an ensemble of SGD runs.

    Attributes
    ----------
    alphas : ndarray, shape (n_t,)
    steps : ndarray of int, shape (n_t,)
    Q : ndarray, shape (S, n_t, K, K)
    R : ndarray, shape (S, n_t, K, M)
    v : ndarray, shape (S, n_t, K)
    T : ndarray, shape (S, M, M)
    eps_g : ndarray, shape (S, n_t)
        Exact generalisation error of the recorded weights (NaN after a flagged divergence).
    diverged_step : ndarray of int, shape (S,)
        First non-finite step per seed, -1 if none.
    """

    problem: TeacherStudent
    method: str
    backend: str
    alphas: np.ndarray
    steps: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    v: np.ndarray
    T: np.ndarray
    eps_g: np.ndarray
    diverged_step: np.ndarray = field(default=None)

    @property
    def n_seeds(self) -> int:
        return self.Q.shape[0]

    def initial_order_parameters(self):
        """(Q0, R0, v0, T): the measured initial condition of every seed, to start the ODE from."""
        return self.Q[:, 0], self.R[:, 0], self.v[:, 0], self.T

    def ode(self):
        """The ODE with each seed's own measured T (batched over seeds)."""
        return self.problem.ode(T=self.T)


def record_steps(N: int, alpha_max: float, n_records: int = 50, alphas=None) -> np.ndarray:
    """Integer steps at which to record: log-spaced in alpha from 1/N to ``alpha_max``, plus step 0
    (:func:`twolayer.records.record_steps` with scale N; at least step 1).

    With ``alphas`` given, the steps round(alpha * N) (made unique, 0 included).
    """
    if alphas is not None:
        return _record_steps(times=alphas, scale=N, times_name="alphas")
    alpha_max = _checks.positive("alpha_max", alpha_max)
    return _record_steps(max(int(round(alpha_max * N)), 1), n_records)


def _initial_weights(p: TeacherStudent, seed_seqs):
    """(w0 (K, N), w* (M, N)) of each seed in turn, from its own SeedSequence (host NumPy, float64).

    The teacher is drawn first (M x N standard normals; also with a teacher file, so that the
    student's draws are the same either way), then the student's xi (K x N)."""
    fixed = p.file_teacher()
    scale = None if p.teacher_T is None else np.sqrt(np.asarray(p.teacher_T))[:, None]
    m, a = p.teacher_copies()
    for ss in seed_seqs:
        g = np.random.Generator(np.random.PCG64(ss))
        teacher = g.standard_normal((p.M, p.N))
        if p.orthonormal_teacher:
            q, r = np.linalg.qr(teacher.T)
            teacher = (q * np.sign(np.diag(r))).T * math.sqrt(p.N)
        if scale is not None:
            teacher = scale * teacher
        if fixed is not None:
            teacher = fixed.copy()
        w0 = p.init_std * g.standard_normal((p.K, p.N))
        for k in np.flatnonzero(m >= 0):
            w0[k] += a[k] * teacher[m[k]]
        yield w0, teacher


def draw_initial_weights(problem: TeacherStudent, seed_seqs):
    """Teacher and student weights per seed (host NumPy, float64).

    Returns
    -------
    w0 : ndarray, shape (S, K, N)
    w_star : ndarray, shape (S, M, N)
    """
    p = problem
    w0 = np.empty((len(seed_seqs), p.K, p.N))
    ws = np.empty((len(seed_seqs), p.M, p.N))
    for s, (w_s, ws_s) in enumerate(_initial_weights(p, seed_seqs)):
        w0[s], ws[s] = w_s, ws_s
    return w0, ws


# ----------------------------------------------------------------------------------------------
# array-API kernels (any backend)
# ----------------------------------------------------------------------------------------------
def _full_steps(bk: Backend, st: dict, x, zeta, p: TeacherStudent, acts, check_each=False, step0=0):
    """Advance the explicit-weight state through x (S, n, B, N), zeta (S, n, B) (B = batch size).
    Returns the first bad step per seed."""
    xp = bk.xp
    g, dg, gt = acts
    sqN = math.sqrt(p.N)
    B = p.batch_size
    decay = 1.0 - p.kappa / p.N
    w, ws, v, vs = st["w"], st["ws"], st["v"], st["vs"]
    n = x.shape[1]
    bad = None
    for t in range(n):
        xt = x[:, t]                                                         # (S, B, N)
        xtT = xp.permute_dims(xt, (0, 2, 1))
        lam = xp.matmul(w, xtT) / sqN                                        # (S, K, B)
        rho = xp.matmul(ws, xtT) / sqN
        gl = g(lam)
        err = xp.sum(gt(rho) * vs[:, None], axis=1) - xp.sum(gl * v[:, :, None], axis=1) + p.sigma * zeta[:, t]
        c = (p.eta / sqN / B) * v[:, :, None] * dg(lam) * err[:, None, :]
        w = decay * w + xp.matmul(c, xt)
        if p.eta_v != 0.0:
            v = decay * v + xp.sum((p.eta_v / (B * p.N)) * gl * err[:, None, :], axis=2)
        if check_each:
            fin = bk.to_numpy(xp.all(xp.isfinite(w), axis=(1, 2)) & xp.all(xp.isfinite(v), axis=1))
            bad = _first_bad(bad, fin, step0 + t)
    st["w"], st["v"] = w, v
    return bad


def _gram_steps(bk: Backend, st: dict, z, zeta, perp, p: TeacherStudent, acts, check_each=False, step0=0):
    """Advance (Q, R, v) through z (S, n, B, P), zeta (S, n, B) and the orthogonal Gram matrices
    perp (S, n, B, B) (B = batch size; for B = 1, perp is chi^2) with array-API ops."""
    xp = bk.xp
    g, dg, gt = acts
    K, N, B = p.K, p.N, p.batch_size
    decay = 1.0 - p.kappa / N
    Q, R, T, v, vs = st["Q"], st["R"], st["T"], st["v"], st["vs"]
    RT = xp.permute_dims(R, (0, 2, 1))
    P = K + p.M
    eye = xp.eye(P, dtype=Q.dtype, device=getattr(Q, "device", None))
    bad = None
    for t in range(z.shape[1]):
        C = xp.concat([xp.concat([Q, R], axis=2), xp.concat([RT, T], axis=2)], axis=1)
        L = batched_cholesky(xp, C, eye)
        zt = z[:, t]                                                         # (S, B, P)
        f = xp.matmul(L, xp.permute_dims(zt, (0, 2, 1)))                     # (S, P, B)
        lam, rho = f[:, :K], f[:, K:]
        X = xp.sum(zt[:, :, None, :] * zt[:, None, :, :], axis=-1) + perp[:, t]   # x^mu.x^nu, (S, B, B)
        gl = g(lam)
        err = xp.sum(gt(rho) * vs[:, None], axis=1) - xp.sum(gl * v[:, :, None], axis=1) + p.sigma * zeta[:, t]
        c = p.eta * v[:, :, None] * dg(lam) * err[:, None, :]                # (S, K, B)
        cl = xp.matmul(c, xp.permute_dims(lam, (0, 2, 1)))
        cc = (c[:, :, None, :, None] * c[:, None, :, None, :]) * (X / (B * B * N * N))[:, None, None]
        Q = (decay * decay) * Q + (decay / (B * N)) * (cl + xp.permute_dims(cl, (0, 2, 1))) \
            + xp.sum(xp.reshape(cc, (cc.shape[0], K, K, B * B)), axis=-1)
        R = decay * R + xp.matmul(c, xp.permute_dims(rho, (0, 2, 1))) / (B * N)
        RT = xp.permute_dims(R, (0, 2, 1))
        if p.eta_v != 0.0:
            v = decay * v + xp.sum((p.eta_v / (B * N)) * gl * err[:, None, :], axis=2)
        if check_each:
            fin = bk.to_numpy(xp.all(xp.isfinite(Q), axis=(1, 2)) & xp.all(xp.isfinite(v), axis=1))
            bad = _first_bad(bad, fin, step0 + t)
    st["Q"], st["R"], st["v"] = Q, R, v
    return bad


def _max_student_norm(bk: Backend, st: dict, method: str, N: int) -> np.ndarray:
    """max_k Q_kk per seed (host array, NaN-safe: a non-finite seed gives NaN)."""
    xp = bk.xp
    with np.errstate(over="ignore", invalid="ignore"):
        if method == "full":
            w = st["w"]
            q = bk.to_numpy(xp.max(xp.sum(w * w, axis=2), axis=1)) / N
        else:
            q = np.max(np.diagonal(bk.to_numpy(st["Q"]), axis1=-2, axis2=-1), axis=-1)
    return np.asarray(q, dtype=float)


def _first_bad(bad, finite, step):
    if bad is None:
        bad = np.full(finite.shape, -1, dtype=np.int64)
    bad[(~finite) & (bad < 0)] = step
    return bad


# ----------------------------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------------------------
class _Noise:
    """Per-seed random inputs, drawn chunk by chunk (or sliced from pre-drawn arrays).

    Random-number policy (what "same seed, same numbers" guarantees):

    - each seed has one stream per variable (x and zeta for ``full``; z, zeta and chi^2 for
      ``gram``), spawned from that seed's noise SeedSequence, and each stream is read in step
      order. NumPy draws are sequential, so on the NumPy backend -- and for ``gram`` on every
      backend, whose draws are made on the host -- the numbers do not depend on ``chunk_steps``
      or on the recording grid;
    - ``full`` on torch or CuPy draws x on the device, whose generators fill blocks in parallel: a
      draw of n then m steps differs from one of n + m. Those draws are made in fixed blocks of
      ``block`` steps and sliced, where ``block`` is the default chunk length (a function of N, K,
      M and n_seeds only, never of the ``chunk_steps`` asked for), so there too the numbers depend
      neither on ``chunk_steps`` nor on the recording grid.
    """

    def __init__(self, bk, method, p, seed_seqs, predrawn, total_steps, block):
        self.bk, self.method, self.p = bk, method, p
        self.pre = predrawn
        self.pos = 0
        self.block, self.buf, self.bpos = int(block), None, 0
        P, B = p.K + p.M, p.batch_size
        if method == "full":
            self.keys = ("x", "zeta")
        else:
            self.keys = ("z", "zeta", "chi2") if B == 1 else ("z", "zeta", "perp")
        if predrawn is None:
            if method == "full":
                self.streams = [bk.streams(ss, 2) for ss in seed_seqs]          # x, zeta
            else:
                # z, zeta, chi2 (and, for B > 1, the Bartlett factor's off-diagonal normals)
                self.gens = [[np.random.Generator(np.random.PCG64(c)) for c in ss.spawn(3 if B == 1 else 4)]
                             for ss in seed_seqs]
                self.dof = p.N - P
        else:
            if not isinstance(predrawn, dict):
                raise TypeError(f"noise must be a dict of arrays, got {type(predrawn).__name__}")
            keys = self.keys
            missing = [k for k in keys if k not in predrawn]
            if missing:
                raise ValueError(f"noise is missing {missing} for method={method!r}, batch_size={B}")
            S, n = len(seed_seqs), int(total_steps)
            per = () if B == 1 else (B,)
            trail = {"x": per + (p.N,), "z": per + (P,), "zeta": per, "chi2": (), "perp": (B, B)}
            # the compiled kernels index these without bounds checks: every shape is checked here
            self.pre = {k: _checks.array(f"noise[{k!r}]", predrawn[k], ndim=2 + len(trail[k])) for k in keys}
            for k in keys:
                a = self.pre[k]
                if a.shape[0] != S or a.shape[2:] != trail[k] or a.shape[1] < n:
                    want = ", ".join(map(str, (S, f">= {n}") + trail[k]))
                    raise ValueError(f"noise[{k!r}] must have shape ({want}) for n_seeds={S}, N={p.N}, K+M={P}, "
                                     f"batch_size={B} and {n} steps, got {a.shape}")

    def draw(self, n):
        """``n`` steps of noise, every array with its batch axis: full (x (S, n, B, N), zeta
        (S, n, B)); gram (z (S, n, B, P), zeta (S, n, B), perp (S, n, B, B))."""
        out = self._draw(n)
        S, B = len(out[1]), self.p.batch_size
        if B == 1:                  # the B = 1 streams, arrays and numbers are those of plain SGD
            xp = self.bk.xp
            out = [xp.reshape(a, (S, n, 1) + tuple(a.shape[2:])) for a in out]
            if self.method == "gram":
                out[2] = xp.reshape(out[2], (S, n, 1, 1))
        return out

    def _draw(self, n):
        bk, p = self.bk, self.p
        if self.pre is not None:
            sl = slice(self.pos, self.pos + n)
            self.pos += n
            out = []
            for k in self.keys:
                arr = self.pre[k][:, sl]
                if arr.shape[1] != n:
                    raise ValueError(f"noise[{k!r}] has too few steps for this run")
                out.append(bk.asarray(arr))
            return out
        if self.method == "full":
            if bk.kind == "numpy":
                return self._draw_full(n)
            return self._buffered(n)
        out = self._draw_gram(n) if p.batch_size == 1 else self._draw_gram_batch(n)
        if bk.kind == "numpy":
            return out
        return [bk.asarray(a) for a in out]

    def _draw_gram(self, n):
        P = self.p.K + self.p.M
        z = np.empty((len(self.gens), n, P))
        zeta = np.empty((len(self.gens), n))
        chi2 = np.empty((len(self.gens), n))
        for i, (gz, gzeta, gchi) in enumerate(self.gens):
            z[i] = gz.standard_normal((n, P))
            zeta[i] = gzeta.standard_normal(n)
            chi2[i] = gchi.chisquare(self.dof, n)
        return [z, zeta, chi2]

    def _draw_gram_batch(self, n):
        """z, zeta and W = A A^T ~ Wishart_B(N-K-M, I) per step (Bartlett; module docstring)."""
        P, B = self.p.K + self.p.M, self.p.batch_size
        S = len(self.gens)
        z = np.empty((S, n, B, P))
        zeta = np.empty((S, n, B))
        A = np.zeros((S, n, B, B))
        low = np.tril_indices(B, -1)
        dofs = self.dof - np.arange(B)
        for i, (gz, gzeta, gchi, goff) in enumerate(self.gens):
            z[i] = gz.standard_normal((n, B, P))
            zeta[i] = gzeta.standard_normal((n, B))
            Ai = A[i]
            Ai[:, np.arange(B), np.arange(B)] = np.sqrt(gchi.chisquare(dofs, (n, B)))
            Ai[:, low[0], low[1]] = goff.standard_normal((n, low[0].size))
        return [z, zeta, np.matmul(A, np.swapaxes(A, -1, -2))]

    def _draw_full(self, n):
        shape = (n, self.p.N) if self.p.batch_size == 1 else (n, self.p.batch_size, self.p.N)
        xs = [sx.normal(shape) for sx, _ in self.streams]
        zs = [sz.normal(shape[:-1]) for _, sz in self.streams]
        return [self.bk.xp.stack(xs), self.bk.xp.stack(zs)]

    def _buffered(self, n):
        """``n`` steps sliced from device blocks of ``self.block`` steps (class docstring)."""
        parts = []
        while n > 0:
            if self.buf is None or self.bpos == self.block:
                self.buf, self.bpos = self._draw_full(self.block), 0
            take = min(n, self.block - self.bpos)
            parts.append([a[:, self.bpos:self.bpos + take] for a in self.buf])
            self.bpos += take
            n -= take
        if len(parts) == 1:
            return parts[0]
        return [self.bk.xp.concat([pt[i] for pt in parts], axis=1) for i in range(len(parts[0]))]


def simulate_sgd(problem: TeacherStudent, alpha_max: float | None = None, *, n_seeds: int = 1, seed=0,
                 backend: "str | Backend" = "numpy", dtype: str = "float64", method: str = "full",
                 n_records: int = 50, alphas=None, on_divergence: str = "raise",
                 progress: bool = False, chunk_steps: int | None = None, noise: dict | None = None,
                 initial_weights=None, use_numba: bool = True, max_steps: int = 10**9,
                 memory_budget: float = 4 * 2**30, runaway: float | None = 1e8) -> SGDTrajectory:
    """Run online SGD for an ensemble of ``n_seeds`` independent seeds as one batched computation.

    Parameters
    ----------
    problem : TeacherStudent
    alpha_max : float
        Final time alpha = steps/N (or give ``alphas``).
    n_seeds : int
    seed : int or SeedSequence
        Root seed; seed ``i`` of the ensemble uses child ``i`` (independent of ``n_seeds``).
    backend : str or Backend
        ``"numpy"``, ``"torch"``, ``"torch:cuda"``, ``"cupy"``.
    dtype : {"float64", "float32"}
    method : {"full", "gram"}
        Explicit weights, or the exact order-parameter chain (module docstring).
    n_records, alphas :
        Recording grid: ``n_records`` log-spaced points, or explicit ``alphas``.
    on_divergence : {"raise", "flag"}
        Raise :class:`SimulationDivergedError` naming step and seed, or record the step in
        ``diverged_step`` and carry NaNs for that seed.
    progress : bool
        tqdm progress bar over chunks.
    chunk_steps : int, optional
        Steps per drawn noise chunk (default: a memory budget of about 32 MB of noise). The
        numbers depend neither on it nor on the recording grid, on every backend (see ``_Noise``).
    noise : dict, optional
        Pre-drawn inputs covering every step (parity tests): ``{"x": (S, n, N), "zeta": (S, n)}``
        for ``full``; ``{"z": (S, n, K+M), "zeta": (S, n), "chi2": (S, n)}`` for ``gram``. With
        ``batch_size`` B > 1 every array gains a batch axis after the step axis (``x`` (S, n, B, N),
        ``z`` (S, n, B, K+M), ``zeta`` (S, n, B)) and ``gram`` takes ``"perp"`` (S, n, B, B), the
        Gram matrices of the inputs' parts orthogonal to the weights, instead of ``chi2``.
    initial_weights : (w0, w_star), optional
        Arrays of shape (S, K, N) and (S, M, N) instead of drawing them.
    use_numba : bool
        Use the compiled kernels on the NumPy backend in float64 (default); False runs the
        array-API kernels there too (the parity tests compare both).
    max_steps : int
        Refuse a run of more than this many SGD steps per seed (alpha_max * N); raise it on purpose
        for a longer run. Guards against a typo such as ``alpha_max=1e9`` that would run for days.
    memory_budget : float
        Bytes this call may allocate (initial weights, records and their eps_g); a larger request is
        refused up front with its estimate, never a MemoryError half-way.
    runaway : float or None
        A seed whose student norm max_k Q_kk exceeds ``runaway`` times max(1, Q_kk(0), T_mm) has
        diverged even while its numbers are still finite (a linear student at eta = 20 reaches
        eps_g ~ 1e281 before overflowing). Checked at the end of every noise chunk, reported like a
        non-finite seed (step = end of that chunk). None disables the check.

    Returns
    -------
    SGDTrajectory
    """
    p = problem
    if not isinstance(p, TeacherStudent):
        raise ValueError(f"problem must be a TeacherStudent, got {type(p).__name__}")
    n_seeds = _integer("n_seeds", n_seeds, minimum=1)
    if method not in ("full", "gram"):
        raise ValueError(f"method must be 'full' or 'gram', got {method!r}")
    if on_divergence not in ("raise", "flag"):
        raise ValueError(f"on_divergence must be 'raise' or 'flag', got {on_divergence!r}")
    if method == "gram" and p.N <= p.K + p.M:
        raise ValueError(f"method='gram' needs N > K + M, got N={p.N}, K+M={p.K + p.M}")
    if method == "gram" and p.N - p.K - p.M < p.batch_size:
        raise ValueError(f"batch_size={p.batch_size} with method='gram' needs N - K - M >= batch_size (the "
                         f"Wishart part of the inputs' Gram matrix), got N={p.N}, K+M={p.K + p.M}")
    bk = get_backend(backend, dtype)
    if alphas is None and alpha_max is None:
        raise ValueError("give alpha_max or alphas")
    rec = record_steps(p.N, alpha_max if alpha_max is not None else 1.0, n_records, alphas)
    if rec[-1] > _integer("max_steps", max_steps, minimum=1):
        raise ValueError(f"alpha_max={rec[-1] / p.N:g} at N={p.N} needs {int(rec[-1]):.3g} steps per seed, above "
                         f"max_steps={max_steps:.3g}; pass a larger max_steps to run it")
    runaway = None if runaway is None else _checks.positive("runaway", runaway)
    P_ = p.K + p.M
    weights = 2 * P_ * p.N if (method == "full" or initial_weights is not None) else 0   # gram: seed by seed
    need = 8.0 * n_seeds * (weights + 4 * rec.size * (p.K * P_ + 1 + P_ * P_))
    _checks.memory("memory_budget", need, _checks.positive("memory_budget", memory_budget))
    root = as_seed_sequence(seed)
    per_seed = root.spawn(n_seeds)
    init_ss, noise_ss = zip(*[ss.spawn(2) for ss in per_seed])

    if initial_weights is None and method == "gram":
        # the chain needs only the overlaps: draw seed by seed, keep O(K N) memory, not O(S K N)
        Q0, R0, T = np.empty((n_seeds, p.K, p.K)), np.empty((n_seeds, p.K, p.M)), np.empty((n_seeds, p.M, p.M))
        for s_, (w_s, ws_s) in enumerate(_initial_weights(p, init_ss)):
            Q0[s_], R0[s_], T[s_] = w_s @ w_s.T / p.N, w_s @ ws_s.T / p.N, ws_s @ ws_s.T / p.N
    else:
        if initial_weights is None:
            w0, ws = draw_initial_weights(p, init_ss)
        else:
            w0 = _checks.array("initial_weights[0]", initial_weights[0], shape=(n_seeds, p.K, p.N))
            ws = _checks.array("initial_weights[1]", initial_weights[1], shape=(n_seeds, p.M, p.N))
        T = ws @ np.swapaxes(ws, 1, 2) / p.N
        if method == "gram":
            Q0 = w0 @ np.swapaxes(w0, 1, 2) / p.N
            R0 = w0 @ np.swapaxes(ws, 1, 2) / p.N
    v0 = np.broadcast_to(p.v0_array, (n_seeds, p.K)).copy()
    vs = p.v_star_array


    g, dg = backend_activation(p.activation, bk)
    gt, _ = backend_activation(p.t_act, bk)
    acts = (g, dg, gt)
    codes = (get_activation(p.activation).code, get_activation(p.t_act).code)
    numba_path = compiled_kernels(bk, use_numba) and None not in codes

    if method == "full":
        st = {"w": bk.asarray(w0).copy() if numba_path else bk.asarray(w0), "ws": bk.asarray(ws),
              "v": bk.asarray(v0).copy() if numba_path else bk.asarray(v0), "vs": bk.asarray(vs)}
    else:
        # all five are fresh arrays of this call, so the numba kernel may update them in place
        st = {"Q": bk.asarray(Q0), "R": bk.asarray(R0), "T": bk.asarray(T), "v": bk.asarray(v0), "vs": bk.asarray(vs)}

    nt = rec.size
    Qr = np.empty((n_seeds, nt, p.K, p.K))
    Rr = np.empty((n_seeds, nt, p.K, p.M))
    vr = np.empty((n_seeds, nt, p.K))
    bad_step = np.full(n_seeds, -1, dtype=np.int64)
    status = np.zeros(n_seeds, dtype=np.int64)
    B = p.batch_size
    per_step = n_seeds * (p.N if method == "full" else p.K + p.M + 2) * B + (n_seeds * B * B if B > 1 else 0)
    default_chunk = max(1, min(100_000, (4 << 20) // max(per_step, 1)))     # 32 MiB of float64 noise
    chunk_steps = default_chunk if chunk_steps is None else _integer("chunk_steps", chunk_steps, minimum=1)
    noise_src = _Noise(bk, method, p, noise_ss, noise, rec[-1], default_chunk)

    scale = None      # the runaway test's per-seed scale max(1, Q_kk(0), T_mm), set by the first record

    def record(j):
        nonlocal scale
        if method == "full":
            w, wst, v = st["w"], st["ws"], st["v"]
            xp = bk.xp
            with np.errstate(over="ignore", invalid="ignore"):   # diverged seeds are reported by step, not warned
                Qr[:, j] = bk.to_numpy(xp.matmul(w, xp.permute_dims(w, (0, 2, 1)))) / p.N
                Rr[:, j] = bk.to_numpy(xp.matmul(w, xp.permute_dims(wst, (0, 2, 1)))) / p.N
            vr[:, j] = bk.to_numpy(v)
        else:
            Qr[:, j] = bk.to_numpy(st["Q"])
            Rr[:, j] = bk.to_numpy(st["R"])
            vr[:, j] = bk.to_numpy(st["v"])
        if j == 0:
            scale = np.maximum(1.0, np.maximum(np.max(np.diagonal(Qr[:, 0], axis1=-2, axis2=-1), axis=-1),
                                               np.max(np.diagonal(T, axis1=-2, axis2=-1), axis=-1)))

    def advance(step, n):
        """n steps from the global step ``step``: draw their noise, run the kernel, test the members."""
        chunk = noise_src.draw(n)
        if numba_path and method == "gram":
            from ._committee_numba import gram_chunk
            z, zeta, perp = (np.ascontiguousarray(c) for c in chunk)
            S_, K_, M_, f8 = n_seeds, p.K, p.M, np.float64
            _checks.kernel_arrays("gram_chunk", Q=(st["Q"], (S_, K_, K_), f8), R=(st["R"], (S_, K_, M_), f8),
                                  T=(st["T"], (S_, M_, M_), f8), v=(st["v"], (S_, K_), f8), vs=(st["vs"], (M_,), f8),
                                  z=(z, (S_, n, B, K_ + M_), f8), zeta=(zeta, (S_, n, B), f8),
                                  perp=(perp, (S_, n, B, B), f8),
                                  status=(status, (S_,), np.int64), bad_step=(bad_step, (S_,), np.int64))
            gram_chunk(st["Q"], st["R"], st["T"], st["v"], st["vs"], z, zeta, perp,
                       codes[0], codes[1], p.eta, p.eta_v, p.sigma, p.kappa, float(p.N), status, bad_step, step)
            new_bad = (status != 0) & (bad_step >= step)
        elif numba_path:
            from ._committee_numba import full_chunk
            x, zeta = (np.ascontiguousarray(c) for c in chunk)
            S_, K_, M_, f8 = n_seeds, p.K, p.M, np.float64
            _checks.kernel_arrays("full_chunk", w=(st["w"], (S_, K_, p.N), f8), ws=(st["ws"], (S_, M_, p.N), f8),
                                  v=(st["v"], (S_, K_), f8), vs=(st["vs"], (M_,), f8), x=(x, (S_, n, B, p.N), f8),
                                  zeta=(zeta, (S_, n, B), f8), status=(status, (S_,), np.int64),
                                  bad_step=(bad_step, (S_,), np.int64))
            full_chunk(st["w"], st["ws"], st["v"], st["vs"], x, zeta,
                       codes[0], codes[1], p.eta, p.eta_v, p.sigma, p.kappa, status, bad_step, step)
            new_bad = (status != 0) & (bad_step >= step)
        else:
            saved = dict(st)
            kernel = _full_steps if method == "full" else _gram_steps
            kernel(bk, st, *chunk, p, acts)
            new_bad = ~finite_members(bk, [st["w" if method == "full" else "Q"], st["v"]]) & (bad_step < 0)
            if np.any(new_bad):   # replay the chunk step by step to name the exact step
                st.update(saved)
                b = kernel(bk, st, *chunk, p, acts, check_each=True, step0=step)
                hit = (b >= 0) & (bad_step < 0)
                bad_step[hit] = b[hit]
                status[hit] = 1
        if runaway is not None:
            qmax = _max_student_norm(bk, st, method, p.N)
            away = (status == 0) & (bad_step < 0) & (qmax > runaway * scale)
            if np.any(away):
                status[away] = 3
                bad_step[away] = step + n - 1
                new_bad = new_bad | away
        if np.any(new_bad) and on_divergence == "raise":
            s = int(np.nonzero(new_bad)[0][0])
            what = {1: "non-finite order parameters",
                    2: "a field covariance that is not positive semi-definite (a Cholesky pivot below -1e-13 C_jj)",
                    3: f"a runaway: max_k Q_kk = {qmax[s]:.3g} > runaway * max(1, Q_kk(0), T_mm) = "
                       f"{runaway * scale[s]:.3g}, reached within the chunk of steps {step}..{step + n - 1}"
                    }[int(status[s])]
            raise SimulationDivergedError(
                f"SGD diverged at step {int(bad_step[s])} (alpha={bad_step[s] / p.N:.6g}) for seed index {s} "
                f"of {n_seeds} (root seed {root.entropy}): {what}; eta={p.eta}, eta_v={p.eta_v}, "
                f"activation={p.activation!r}")

    run_schedule(rec, advance, record, chunk=chunk_steps, progress=progress,
                 desc=f"SGD {method} N={p.N} S={n_seeds}")
    for s in np.nonzero(bad_step >= 0)[0]:
        after = rec > bad_step[s]
        Qr[s, after] = np.nan
        Rr[s, after] = np.nan
        vr[s, after] = np.nan
    with np.errstate(invalid="ignore"):
        eps = generalisation_error(Qr, Rr, T[:, None], vr, vs, p.activation, p.t_act, check=False)
    return SGDTrajectory(p, method, bk.name, rec / p.N, rec, Qr, Rr, vr, T, eps, bad_step)
