r"""Order-parameter ODEs of online SGD for a two-layer network on a Gaussian mixture.

Refinetti, Goldt, Krzakala & Zdeborova, "Classifying high-dimensional Gaussian mixtures: where
kernel methods fail and neural networks succeed", arXiv:2102.11742, section 3 (ODEs of the
order parameters) -- conventions of docs/THEORY.md B / docs/DESIGN.md section 3:

* data: cluster alpha with probability p_alpha, x = mu_alpha/sqrt(N) + sqrt(Delta) z, label y_alpha;
  the centres c_alpha = mu_alpha/sqrt(N) have O(1) norm; T = c c^T (C x C).
* network: yhat = sum_k v_k g(lambda_k), lambda_k = w_k.x/sqrt(N) (no 1/K prefactor);
  loss 1/2 (y - yhat)^2.
* online SGD, one sample per step, time t = steps/N:
  w_k <- (1 - eta reg/N) w_k + (eta/sqrt N) v_k g'(lambda_k) e x,  e = y - yhat;
  v_k <- (1 - eta_v reg/N) v_k + (eta_v/N) g(lambda_k) e.
* order parameters R_{beta k} = mu_beta.w_k/N (C x K), Q = w w^T/N (K x K), v (K).

Given the cluster alpha, (lambda, nu) with nu_beta = c_beta.x is Gaussian with mean
(R_{alpha .}, T_{alpha .}) and covariance Delta [[Q, R^T], [R, T]]. The N -> infinity limit is

    dR_{beta k}/dt = eta v_k E[g'(lambda_k) nu_beta e] - eta reg R_{beta k}
    dQ_kl/dt = eta v_l E[g'(lambda_l) lambda_k e] + eta v_k E[g'(lambda_k) lambda_l e]
               + eta^2 Delta v_k v_l E[g'(lambda_k) g'(lambda_l) e^2] - 2 eta reg Q_kl
    dv_k/dt  = eta_v E[g(lambda_k) e] - eta_v reg v_k,

E = sum_alpha p_alpha E[. | alpha]. The eta^2 term uses |x|^2/N -> Delta (the centres add
O(1/N)). Stein's lemma removes the Gaussian factors nu_beta and lambda_k:

    E[g'_k nu_beta e | alpha] = T_{beta alpha} F_k + Delta R_{beta k} G_k - Delta sum_j R_{beta j} v_j H_kj
    E[g'_l lambda_k e | alpha] = R_{alpha k} F_l + Delta Q_kl G_l - Delta sum_j Q_kj v_j H_lj

with F_k = E[g'_k e], G_k = E[g''_k e], H_kj = E[g'_k g'_j]: one- and two-field expectations
with a mean, in closed form for ReLU and by Gauss--Hermite quadrature otherwise
(:mod:`theory.mixture_integrals`), vectorised over clusters and index pairs. The eta^2 term needs
up to four fields (E[g'_k g'_l g_m g_n]); it is evaluated by Monte Carlo over the full K-vector of
fields with *common random numbers* (one fixed antithetic sample set of ``n_mc`` standard normals,
so the right-hand side is a deterministic function of the order parameters). Its relative error is
about n_mc^{-1/2} on an O(eta^2) term.

Errors from order parameters (docs/DESIGN.md section 3, same definitions as the simulation):
eps_mse = 1/2 E(yhat - y)^2 exactly (pair expectations); eps_class = P(y yhat < 0) + 1/2 P(yhat = 0)
by randomised quasi-Monte Carlo over the K fields (scrambled Sobol'; ReLU gives yhat = 0 exactly
when every unit is off, which the sampled fields reproduce), with a standard error.

Only isotropic clusters (variance Delta) close on these order parameters; a general covariance
needs w Sigma_alpha w^T/N, whose evolution involves Sigma^2, and so on (not closed).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks
from twolayer.linalg import eigh_factor
from twolayer.seeds import derive_seed
from scipy.integrate import solve_ivp

from .activations import get_activation
from .committee_ode import ODEDivergedError, _rk4
from .mixture_integrals import expect_1, expect_2, expect_diag

__all__ = ["MixtureODE", "MixtureTrajectory", "mixture_errors"]


@dataclass(frozen=True)
class MixtureTrajectory:
    """Order parameters along a mixture-ODE solution.

    Attributes
    ----------
    t : ndarray, shape (n_t,)
    R : ndarray, shape (batch..., n_t, C, K)
    Q : ndarray, shape (batch..., n_t, K, K)
    v : ndarray, shape (batch..., n_t, K)
    eps_mse : ndarray, shape (batch..., n_t)
    eps_class, eps_class_se : ndarray, shape (batch..., n_t)
        Monte-Carlo estimate (common random numbers) and its standard error.
    n_rhs : int
    """

    t: np.ndarray
    R: np.ndarray
    Q: np.ndarray
    v: np.ndarray
    eps_mse: np.ndarray
    eps_class: np.ndarray
    eps_class_se: np.ndarray
    n_rhs: int = 0


_N_SCRAMBLES = 8


def _sobol_normals(n: int, K: int, seed) -> np.ndarray:
    """Randomised quasi-Monte Carlo normals: 8 independent Owen-scrambled Sobol' sets, each with
    its antithetic copy, shape (8, 2m, K) with 16 m >= n (m a power of two)."""
    from scipy.stats import norm, qmc
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2 * _N_SCRAMBLES:
        raise ValueError(f"n_mc_class must be an integer >= {2 * _N_SCRAMBLES}, got {n!r}")
    m = int(np.ceil(np.log2(n / (2 * _N_SCRAMBLES))))
    rngs = derive_seed(seed, "sobol_scrambles").spawn(_N_SCRAMBLES)
    u = np.stack([qmc.Sobol(K, scramble=True, seed=np.random.default_rng(r)).random_base2(m) for r in rngs])
    z = norm.ppf(np.clip(u, 1e-16, 1 - 1e-16))
    return np.concatenate([z, -z], axis=1)          # antithetic: odd networks give exactly 1/2 on odd mixtures


def _antithetic_normals(n: int, K: int, seed) -> np.ndarray:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n_mc must be an integer >= 2, got {n!r}")
    z = np.random.default_rng(seed).standard_normal((n // 2, K))
    return np.concatenate([z, -z])


@dataclass(frozen=True)
class MixtureODE:
    """ODE of (R, Q, v) for online SGD of a K-unit two-layer net on an isotropic Gaussian mixture.

    Parameters
    ----------
    T : array_like, shape (C, C)
        Overlaps of the cluster centres, T = c c^T with c_alpha = mu_alpha/sqrt(N).
    labels : array_like, shape (C,)
        y_alpha in {-1, +1}.
    probs : array_like, shape (C,)
        Cluster probabilities (positive, summing to one; class imbalance lives here).
    Delta : float
        Isotropic cluster variance (> 0).
    K : int
        Hidden units.
    eta : float
        First-layer learning rate (> 0).
    eta_v : float, optional
        Second-layer rate (default ``eta``; 0 freezes v).
    reg : float
        Weight decay (>= 0), applied as in the module docstring.
    activation : str
        "relu", "erf" (erf(x/sqrt 2)), "linear", "tanh".
    n_mc : int
        Common-random-number samples (antithetic) per cluster for the eta^2 term.
    n_mc_class : int
        Quasi-Monte Carlo points for eps_class (8 scrambles of n_mc_class/8).
    mc_seed : int
        Seed of both fixed sample sets.
    """

    T: np.ndarray
    labels: np.ndarray
    probs: np.ndarray
    Delta: float
    K: int
    eta: float
    eta_v: float | None = None
    reg: float = 0.0
    activation: str = "relu"
    n_mc: int = 1 << 14
    n_mc_class: int = 1 << 16
    mc_seed: int = 0

    def __post_init__(self):
        T = np.asarray(self.T, float)
        if T.ndim != 2 or T.shape[0] != T.shape[1] or T.shape[0] < 1:
            raise ValueError(f"T must be a square (C, C) matrix, got shape {T.shape}")
        C = T.shape[0]
        if not np.all(np.isfinite(T)) or not np.allclose(T, T.T, atol=1e-12):
            raise ValueError("T must be finite and symmetric")
        lab = np.asarray(self.labels, float)
        if lab.shape != (C,) or not np.all(np.isin(lab, (-1.0, 1.0))):
            raise ValueError(f"labels must be {C} values in {{-1, +1}}, got {self.labels!r}")
        p = np.asarray(self.probs, float)
        if p.shape != (C,) or np.any(~np.isfinite(p)) or np.any(p <= 0) or abs(p.sum() - 1) > 1e-10:
            raise ValueError(f"probs must be {C} positive numbers summing to 1, got {self.probs!r}")
        if not (np.isfinite(self.Delta) and self.Delta > 0):
            raise ValueError(f"Delta must be a finite number > 0, got {self.Delta!r}")
        if isinstance(self.K, bool) or not isinstance(self.K, (int, np.integer)) or self.K < 1:
            raise ValueError(f"K must be an integer >= 1, got {self.K!r}")
        if _checks.nonneg("eta", self.eta) == 0:
            raise ValueError("eta must be > 0")
        eta_v = self.eta if self.eta_v is None else _checks.nonneg("eta_v", self.eta_v)
        _checks.nonneg("reg", self.reg)
        get_activation(self.activation)
        for name, val in (("T", T), ("labels", lab), ("probs", p), ("eta_v", eta_v)):
            object.__setattr__(self, name, val)
        object.__setattr__(self, "_z", _antithetic_normals(self.n_mc, self.K, [self.mc_seed, 0]))
        object.__setattr__(self, "_z_class", _sobol_normals(self.n_mc_class, self.K, self.mc_seed))

    @classmethod
    def from_mixture(cls, mixture, K: int, eta: float, **kw) -> "MixtureODE":
        """Build from a :class:`sims.gaussian_mixture.GaussianMixture`-like object (``centres``,
        ``labels``, ``probs``, ``Delta``); general covariances are refused (not closed)."""
        if getattr(mixture, "Delta", None) is None:
            raise ValueError("the mixture ODE needs isotropic clusters (Delta); a general covariance does not "
                             "close on (R, Q, v)")
        c = np.asarray(mixture.centres, float)
        return cls(c @ c.T, mixture.labels, mixture.probs, float(mixture.Delta), K, eta, **kw)

    @property
    def n_clusters(self) -> int:
        return self.T.shape[0]

    # -------------------------------------------------------------------------------------------
    def check_state(self, R, Q, v, names=("R", "Q", "v")):
        """Validate types, shapes and finiteness; returns float arrays (R (..., C, K), Q (..., K, K),
        v (..., K)). ``names`` are the caller's parameter names (e.g. R0, Q0, v0) for the messages."""
        C, K = self.n_clusters, self.K
        nR, nQ, nv = names
        R = _checks.array(nR, R, shape=(..., C, K))
        Q = _checks.array(nQ, Q, shape=(..., K, K))
        v = _checks.array(nv, v, shape=(..., K))
        if np.any(np.diagonal(Q, axis1=-2, axis2=-1) <= 0):
            raise ValueError("Q must have a positive diagonal (every unit needs a non-zero weight vector)")
        return R, Q, v

    def _pair_tables(self, R, Q):
        """One- and two-field expectations per cluster: dict of (..., C, K) and (..., C, K, K)."""
        act, D = self.activation, self.Delta
        m = R                                                   # (..., C, K): mean of lambda | alpha
        qd = D * np.diagonal(Q, axis1=-2, axis2=-1)[..., None, :]  # (..., 1, K)
        ma, mb = m[..., :, None], m[..., None, :]
        sa, sb = qd[..., :, None], qd[..., None, :]
        sab = D * Q[..., None, :, :]
        eye = np.eye(self.K, dtype=bool)
        tab = {f"E{i}": expect_1(act, i, m, qd) for i in (0, 1, 2)}
        for ij in ((0, 0), (1, 0), (2, 0), (1, 1)):
            full = expect_2(act, ij, ma, mb, sa, sab, sb)
            tab["P%d%d" % ij] = np.where(eye, expect_diag(act, ij, ma, sa), full)
        return tab

    def _fields(self, R, Q, z):
        """Sampled fields lambda | alpha for fixed standard normals z (S, K): shape (..., C, S, K)."""
        # intermediate solver stages may be slightly indefinite: clip negative eigenvalues
        L = eigh_factor(np, self.Delta * Q)                # (..., K, K)
        # z L^T as one BLAS product (S, K) @ (K, K) per batch entry, then the cluster means
        return R[..., :, None, :] + np.matmul(z, np.swapaxes(L, -1, -2))[..., None, :, :]

    def rhs(self, R, Q, v):
        """(dR/dt, dQ/dt, dv/dt) at (R, Q, v); leading batch axes broadcast."""
        a = get_activation(self.activation)
        D, eta, y, p, T = self.Delta, self.eta, self.labels, self.probs, self.T
        tab = self._pair_tables(R, Q)
        yc = y[:, None]                                          # (C, 1)
        vk = v[..., None, None, :]                               # (..., 1, 1, K) over l
        F = yc * tab["E1"] - np.sum(tab["P10"] * vk, axis=-1)   # (..., C, K)  E[g'_k e]
        G = yc * tab["E2"] - np.sum(tab["P20"] * vk, axis=-1)   # E[g''_k e]
        A = yc * tab["E0"] - np.sum(tab["P00"] * vk, axis=-1)   # E[g_k e]
        H = tab["P11"]                                           # (..., C, K, K)
        Rv = R * v[..., None, :]                                 # (..., C(beta), K(j))
        # E[g'_k nu_beta e | alpha]  -> (..., alpha, beta, k)
        ER = (T[:, :, None] * F[..., :, None, :] + D * R[..., None, :, :] * G[..., :, None, :]
              - D * np.einsum("...bj,...akj->...abk", Rv, H))
        ER = np.einsum("a,...abk->...bk", p, ER)
        # S_kl = E[g'_l lambda_k e | alpha] -> (..., alpha, k, l)
        Qv = Q * v[..., None, :]
        S = (R[..., :, :, None] * F[..., :, None, :] + D * Q[..., None, :, :] * G[..., :, None, :]
             - D * np.einsum("...kj,...alj->...akl", Qv, H))
        S = np.einsum("a,...akl->...kl", p, S)
        # eta^2 term by common random numbers
        lam = self._fields(R, Q, self._z)                        # (..., C, S, K)
        g = a.g(lam)
        e = y[:, None] - np.matmul(g, v[..., None, :, None])[..., 0]           # (..., C, S)
        # g'(lambda) e; ReLU: the step times e written into g's buffer (no float copy of the mask)
        ge = np.multiply(lam > 0, e[..., None], out=g) if a.name == "relu" else a.dg(lam) * e[..., None]
        M = np.matmul(np.swapaxes(ge, -1, -2), ge) / lam.shape[-2]            # (..., C, K, K)
        M = np.einsum("c,...ckl->...kl", p, M)
        vv = v[..., :, None] * v[..., None, :]
        reg = self.reg
        dR = eta * v[..., None, :] * ER - eta * reg * R
        dQ = (eta * (S * v[..., None, :] + np.swapaxes(S * v[..., None, :], -1, -2))
              + eta**2 * D * vv * M - 2 * eta * reg * Q)
        dv = self.eta_v * (np.einsum("c,...ck->...k", p, A) - reg * v)
        return dR, dQ, dv

    # -------------------------------------------------------------------------------------------
    def errors(self, R, Q, v):
        """(eps_mse, eps_class, eps_class_se) from order parameters; shapes = batch shape."""
        R, Q, v = self.check_state(R, Q, v)
        tab = self._pair_tables(R, Q)
        y, p = self.labels, self.probs
        mse_c = 0.5 * (1 - 2 * y * np.sum(v[..., None, :] * tab["E0"], axis=-1)
                       + np.einsum("...k,...ckl,...l->...c", v, tab["P00"], v))
        return (np.einsum("c,...c->...", p, mse_c),) + mixture_errors(self, R, Q, v)

    # -------------------------------------------------------------------------------------------
    def pack(self, R, Q, v):
        return np.concatenate([R.reshape(R.shape[:-2] + (-1,)), Q.reshape(Q.shape[:-2] + (-1,)), v], axis=-1)

    def unpack(self, y):
        C, K = self.n_clusters, self.K
        R = y[..., :C * K].reshape(y.shape[:-1] + (C, K))
        Q = y[..., C * K:C * K + K * K].reshape(y.shape[:-1] + (K, K))
        return R, 0.5 * (Q + np.swapaxes(Q, -1, -2)), y[..., C * K + K * K:]

    def rhs_packed(self, y):
        return self.pack(*self.rhs(*self.unpack(y)))

    def integrate(self, R0, Q0, v0, t, *, method: str = "RK45", rtol: float = 1e-7, atol: float = 1e-9,
                  dt: float = 0.05, errors: bool = True) -> MixtureTrajectory:
        """Integrate from (R0, Q0, v0) (leading batch axes allowed) and record at times ``t``.

        ``method`` is any scipy.integrate.solve_ivp method (adaptive, tolerances rtol/atol) or
        "RK4" (fixed step <= dt). Raises :class:`ODEDivergedError` with the time when the solution
        stops being finite.
        """
        R0, Q0, v0 = self.check_state(R0, Q0, v0, ("R0", "Q0", "v0"))
        t = _checks.time_grid("t", t, minimum=0.0)
        rtol, atol = _checks.positive("rtol", rtol), _checks.positive("atol", atol)
        _checks.choice("method", method, ("RK45", "RK23", "DOP853", "LSODA", "Radau", "BDF", "RK4"))
        batch = np.broadcast_shapes(R0.shape[:-2], Q0.shape[:-2], v0.shape[:-1])
        R0 = np.broadcast_to(R0, batch + R0.shape[-2:])
        Q0 = np.broadcast_to(Q0, batch + Q0.shape[-2:])
        v0 = np.broadcast_to(v0, batch + v0.shape[-1:])
        y0 = self.pack(R0, Q0, v0)
        n = y0.shape[-1]
        count = [0]

        def f(_t, yflat):
            count[0] += 1
            return self.rhs_packed(yflat.reshape(batch + (n,))).ravel()

        if method == "RK4":
            dt = _checks.positive("dt", dt)
            ys = _rk4(f, y0.ravel(), t, dt)
        elif t.size == 1:
            ys = y0.ravel()[None]
        else:
            with np.errstate(all="ignore"):
                sol = solve_ivp(f, (t[0], t[-1]), y0.ravel(), method=method, t_eval=t, rtol=rtol, atol=atol)
            if sol.status != 0 or not np.all(np.isfinite(sol.y)):
                bad = sol.t[-1] if sol.t.size else t[0]
                raise ODEDivergedError(f"mixture ODE failed near t={bad:.6g}: {sol.message}")
            ys = sol.y.T
        Y = np.moveaxis(ys.reshape((t.size,) + batch + (n,)), 0, -2)
        R, Q, v = self.unpack(Y)
        if errors:
            mse, cls, se = self.errors(R, Q, v)
        else:
            mse = cls = se = np.full(batch + (t.size,), np.nan)
        return MixtureTrajectory(t, R, Q, np.array(v), mse, cls, se, count[0])


def mixture_errors(ode: MixtureODE, R, Q, v):
    """eps_class and its standard error by randomised quasi-Monte Carlo over the fields.

    The ODE's fixed sample set (8 independently scrambled Sobol' sets of n_mc_class/8 normals,
    common to all clusters and calls) gives the estimate; the spread of the 8 set means gives the
    standard error. Ties (yhat = 0) count 1/2.
    Returns (eps_class, se), each of the batch shape.
    """
    a = get_activation(ode.activation)
    reps = []
    for z in ode._z_class:
        lam = ode._fields(R, Q, z)
        yhat = np.matmul(a.g(lam), v[..., None, :, None])[..., 0]            # (..., C, S)
        yy = ode.labels[:, None] * yhat
        err = (yy < 0) + 0.5 * (yy == 0)
        reps.append(np.einsum("c,...c->...", ode.probs, err.mean(axis=-1)))
    reps = np.stack(reps, axis=-1)
    return reps.mean(axis=-1), reps.std(axis=-1, ddof=1) / np.sqrt(reps.shape[-1])
