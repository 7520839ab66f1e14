r"""Random features on a Gaussian mixture: Gaussian-equivalent moments and the population readout.

Refinetti, Goldt, Krzakala & Zdeborova, arXiv:2102.11742, section 4 (random features / kernels
on the XOR mixture); docs/THEORY.md B. Features z = g(F x/sqrt(D)) with F (P x D) fixed, inputs from
an isotropic mixture x = c_alpha + sqrt(Delta) xi (c_alpha = mu_alpha/sqrt(D)). Given cluster
alpha the pre-activations u_i = F_i.x/sqrt(D) are Gaussian with means a_{alpha i} = F_i.c_alpha/sqrt(D),
variances s_i^2 = Delta |F_i|^2/D and covariances Delta F_i.F_j/D. Per cluster (exact):

    E[z_i | alpha]   = E g(u_i)           (ReLU: s[h Phi(h) + phi(h)], h = a/s)
    Var[z_i | alpha] = E g(u_i)^2 - E[z_i]^2

and the Gaussian-equivalent (first-order, "linearised") covariance off the diagonal,

    Cov(z_i, z_j | alpha) ~ b_{alpha i} b_{alpha j} Delta F_i.F_j/D,   b_{alpha i} = E g'(u_i)  (ReLU: Phi(h)),

i.e. Cov_alpha = diag(d_alpha) + Delta B_alpha F F^T B_alpha / D with d_alpha = Var - b^2 s^2: a
diagonal plus a rank-D term per cluster. (The neglected terms are O((F_i.F_j/D)^2) = O(1/D) per
entry, :meth:`GaussianEquivalentFeatures.second_order_cov` is the leading one, and
:meth:`GaussianEquivalentFeatures.exact_cov` gives the exact bivariate expectations.)

Population least squares (the t -> infinity, reg -> ridge limit of online SGD of the readout with
a bias), yhat = w.(z - m) + ybar:

    Omega = sum_alpha p_alpha [Cov_alpha + (m_alpha - m)(m_alpha - m)^T],  Phi = sum_alpha p_alpha y_alpha (m_alpha - m),
    w = (Omega + ridge I)^{-1} Phi,  eps_mse = 1/2 [Var y - 2 w.Phi + w^T Omega w],

and eps_class = sum_alpha p_alpha Phi_N(-y_alpha mu_alpha / s_alpha) treating the readout field in a
cluster as Gaussian with mean mu_alpha = w.(m_alpha - m) + ybar and variance w^T Cov_alpha w (a sum
of P weakly dependent features). With class imbalance rho != 1/2, Var y = 4 rho (1 - rho).

Linear algebra: Omega is never formed. Jacobi-preconditioned conjugate gradients use the
structured product Omega v = sum_alpha p_alpha [d_alpha v + Delta B_alpha F (F^T B_alpha v)/D] +
M diag(p) M^T v: two (P x D) x (D x k) products per iteration instead of C P^2 D operations to form
Omega and P^3/3 to factor it. The C cluster terms on a shared factor are first merged into k <= C
components (:meth:`GaussianEquivalentFeatures.lowrank_components`; k = 3 on the XOR mixture with ReLU
features), and the products and the CG loop run in Numba (:mod:`theory._rf_numba`), because BLAS is
slow for k-column products. ``method="dense"`` forms Omega (the reference). Woodbury does not help
here: the low-rank part has rank k D > P, and even one rank-D block costs P D^2 to factor, more than
the whole CG solve.

Cost at P = 1600, D = 800 (XOR mixture, Delta = 0.1, rtol = 1e-8). CG needs 40 iterations, because
after the Jacobi scaling the spectrum spans [0.26, 4.5] plus two outliers from the means. That is
kappa ~ 17: the P - D null directions of G sit at the bottom and the Marchenko-Pastur bulk of G at
the top. Each iteration is 2 k P D = 7.7 M multiply-adds (15 MFLOP, 0.31 ms), so the solve takes
0.6 GFLOP; the dense path takes about 4.8 GFLOP (G by a symmetric product, then LU).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks
from scipy.special import ndtr

from ._rf_numba import pcg, project
from .activations import get_activation
from .mixture_integrals import expect_1, expect_2, expect_diag

__all__ = ["GaussianEquivalentFeatures", "RFReadout", "rf_population_readout"]


@dataclass(frozen=True)
class RFReadout:
    """Population readout: weights w (P,), bias, eps_mse, eps_class, CG iterations (0 for dense)."""

    w: np.ndarray
    bias: float
    eps_mse: float
    eps_class: float
    iterations: int


class GaussianEquivalentFeatures:
    """Per-cluster feature moments of z = g(F x/sqrt(D)) on a Gaussian mixture (module docstring).

    Given cluster alpha the pre-activations u = F x/sqrt(D) are Gaussian with means
    a_alpha = F c_alpha/sqrt(D) and covariance G_alpha = F Sigma_alpha F^T/D, with Sigma_alpha =
    Delta I (isotropic, the paper's case) or a general covariance (shared or per cluster, e.g. a
    mixture fitted to real data: :mod:`sims.data_mixtures`). Everything below uses G_alpha through
    its factor A_alpha = F L_alpha/sqrt(D) (L_alpha L_alpha^T = Sigma_alpha), so Omega is still
    never formed: Cov_alpha v = d_alpha v + b_alpha A_alpha (A_alpha^T (b_alpha v)).

    Parameters
    ----------
    centres : array_like (C, D)
        Cluster centres c_alpha = mu_alpha/sqrt(D).
    Delta : float or None
        Isotropic variance; give exactly one of ``Delta`` and ``cov``.
    F : array_like (P, D)
    activation : str
    cov : array_like (D, D) or (C, D, D), optional
        Shared or per-cluster input covariance Sigma_alpha (positive definite).
    """

    def __init__(self, centres, Delta, F, activation="relu", *, cov=None):
        c = np.asarray(centres, float)
        F = np.asarray(F, float)
        if c.ndim != 2 or F.ndim != 2 or c.shape[1] != F.shape[1]:
            raise ValueError(f"centres (C, D) and F (P, D) must share D, got {c.shape} and {F.shape}")
        if not (np.all(np.isfinite(c)) and np.all(np.isfinite(F))):
            raise ValueError("centres and F must be finite")
        C, D = c.shape
        if (Delta is None) == (cov is None):
            raise ValueError("give exactly one of Delta (isotropic variance) and cov")
        if Delta is not None:
            if not (np.isfinite(Delta) and Delta > 0):
                raise ValueError(f"Delta must be a finite number > 0, got {Delta!r}")
            A = np.sqrt(Delta / D) * F[None]                           # (1, P, D)
        else:
            S = np.asarray(cov, float)
            if S.shape == (D, D):
                S = S[None]
            elif S.shape != (C, D, D):
                raise ValueError(f"cov must have shape ({D}, {D}) or ({C}, {D}, {D}), got {S.shape}")
            A = F @ _checks.psd_factor("cov", S, method="cholesky") / np.sqrt(D)   # (C or 1, P, D)
        self.act = get_activation(activation)
        # C order for the compiled CG kernels, whatever the layout of F (checked before each call)
        self.F, self.Delta, self.D, self._A = F, (None if Delta is None else float(Delta)), D, np.ascontiguousarray(A)
        self.a = c @ F.T / np.sqrt(D)                                  # (C, P)
        s2 = np.sum(A * A, axis=2)                                     # (1 or C, P)
        if np.any(s2 <= 0):
            raise ValueError("F has a zero row (a feature without input)")
        self.s2 = s2[0] if s2.shape[0] == 1 else s2                    # (P,) isotropic/shared, else (C, P)
        self.mean = expect_1(self.act, 0, self.a, self.s2)             # (C, P)
        self.var = expect_diag(self.act, (0, 0), self.a, self.s2) - self.mean**2
        self.b = expect_1(self.act, 1, self.a, self.s2)
        self.d = self.var - self.b**2 * self.s2
        self._G = None

    @classmethod
    def from_mixture(cls, mixture, F, activation="relu"):
        """Features of a :class:`sims.gaussian_mixture.GaussianMixture` (isotropic or general covariance)."""
        return cls(mixture.centres, mixture.Delta, F, activation, cov=mixture.cov)

    @property
    def n_clusters(self):
        return self.a.shape[0]

    @property
    def P(self):
        return self.F.shape[0]

    def _s2(self, alpha):
        return self.s2 if self.s2.ndim == 1 else self.s2[alpha]

    def input_cov(self, alpha: int) -> np.ndarray:
        """G_alpha = F Sigma_alpha F^T / D = Cov(u | alpha), shape (P, P) (cached when shared)."""
        if self._A.shape[0] == 1:
            if self._G is None:
                self._G = self._A[0] @ self._A[0].T
            return self._G
        return self._A[alpha] @ self._A[alpha].T

    def cov_matvec(self, V):
        """Cov_alpha V for every cluster: V (C, P) -> (C, P) (row alpha multiplied by Cov_alpha)."""
        bv = self.b * V
        if self._A.shape[0] == 1:
            low = (bv @ self._A[0]) @ self._A[0].T
        else:
            low = np.einsum("cpd,cd->cp", self._A, np.einsum("cpd,cp->cd", self._A, bv))
        return self.d * V + self.b * low

    def lowrank_components(self, probs, rel_cut: float = 1e-10):
        r"""The cluster-averaged low-rank part as few components on each input factor.

        sum_alpha p_alpha B_alpha G_alpha B_alpha = sum_r diag(beta_r) A_r A_r^T diag(beta_r). With
        a shared factor A, the weights come from the SVD of the (C, P) matrix with rows
        sqrt(p_alpha) b_alpha = U S V^T: beta_r = S_r V_r, since sum_alpha p_alpha b_alpha b_alpha^T
        = sum_r S_r^2 V_r V_r^T. Components with S_r <= rel_cut * S_0 are dropped (they change
        the matrix by a relative S_r^2 / S_0^2 <= 1e-20 at the default). On the XOR mixture with
        ReLU features b at -mu is 1 - b at +mu, so the four clusters need three components. With
        per-cluster factors, component alpha is sqrt(p_alpha) b_alpha on A_alpha.

        Returns
        -------
        A3 : (n_factors, P, D) array
        starts : (n_factors + 1,) int array
            Components starts[a]:starts[a+1] act on A3[a].
        beta : (k, P) array
        """
        p = np.asarray(probs, float)
        sb = np.sqrt(p)[:, None] * self.b
        if self._A.shape[0] == 1:
            _, S, Vt = np.linalg.svd(sb, full_matrices=False)
            keep = S > rel_cut * S[0]
            beta = np.ascontiguousarray(S[keep, None] * Vt[keep])
            return self._A, np.array([0, beta.shape[0]], dtype=np.int64), beta
        return self._A, np.arange(self.n_clusters + 1, dtype=np.int64), np.ascontiguousarray(sb)

    def quad_forms(self, w) -> np.ndarray:
        """w^T Cov_alpha w for every cluster, shape (C,) (Gaussian-equivalent covariances)."""
        w = np.asarray(w, float)
        U = np.ascontiguousarray(self.b * w)
        T = np.empty((U.shape[0], self.D))
        _checks.kernel_arrays("project", A=(self._A, (self._A.shape[0], self.P, self.D), float),
                              U=(U, (self.n_clusters, self.P), float))
        if self._A.shape[0] == 1:
            project(self._A[0], U, T)
        else:
            for a in range(U.shape[0]):
                project(self._A[a], U[a:a + 1], T[a:a + 1])
        return self.d @ (w * w) + np.einsum("cd,cd->c", T, T)

    def ge_cov(self, alpha: int) -> np.ndarray:
        """Dense Gaussian-equivalent Cov_alpha = diag(d_alpha) + b_alpha b_alpha^T * G_alpha, (P, P)."""
        b = self.b[alpha]
        return np.diag(self.d[alpha]) + b[:, None] * self.input_cov(alpha) * b[None, :]

    def second_order_cov(self, alpha: int) -> np.ndarray:
        """Leading correction to the Gaussian-equivalent off-diagonal covariance (P, P), zero diagonal:
        E[g''(u_i)] E[g''(u_j)] c_ij^2 / 2 with c_ij = (G_alpha)_ij (the k = 2 term of
        Cov = sum_k c^k/k! E[g^(k)(u_i)] E[g^(k)(u_j)]; for ReLU E g'' = phi(h)/s)."""
        e2 = expect_1(self.act, 2, self.a[alpha], self._s2(alpha))
        c = self.input_cov(alpha)
        out = 0.5 * np.outer(e2, e2) * c * c
        np.fill_diagonal(out, 0.0)
        return out

    def exact_cov(self, alpha: int) -> np.ndarray:
        """Exact Cov(z_i, z_j | alpha) (P, P) from bivariate Gaussian expectations (O(P^2))."""
        a, s2 = self.a[alpha], self._s2(alpha)
        E = expect_2(self.act, (0, 0), a[:, None], a[None, :], s2[:, None], self.input_cov(alpha), s2[None, :])
        C = E - np.outer(self.mean[alpha], self.mean[alpha])
        C[np.diag_indices_from(C)] = self.var[alpha]
        return C


def rf_population_readout(feat: GaussianEquivalentFeatures, labels, probs, *, ridge: float = 0.0,
                          method: str = "cg", rtol: float = 1e-8, covs=None) -> RFReadout:
    """Population least-squares readout and its errors (module docstring).

    Parameters
    ----------
    feat : GaussianEquivalentFeatures
    labels, probs : array_like (C,)
        Cluster labels in {-1, +1} (InputError otherwise: the errors below assume them) and
        cluster probabilities.
    ridge : float
        Added to Omega (>= 0; 0 is plain least squares).
    method : {"cg", "dense"}
        Structured conjugate gradients (default) or the dense reference.
    covs : list of (P, P) arrays, optional
        Per-cluster covariances to use instead of the Gaussian-equivalent ones (e.g.
        :meth:`GaussianEquivalentFeatures.exact_cov`); implies dense algebra.
    rtol : float
        CG relative residual. eps_mse is variational (its error is second order in the error of
        w), so 1e-8 gives eps_mse to ~1e-15 and eps_class to ~1e-13 at P = 1600.
    """
    y = _checks.labels_pm1("labels", labels)
    p = np.ascontiguousarray(_checks.array("probs", probs))
    C, P = feat.n_clusters, feat.P
    if y.shape != (C,) or p.shape != (C,) or np.any(p <= 0) or abs(p.sum() - 1) > 1e-10:
        raise ValueError(f"labels and probs must have shape ({C},), probs positive summing to 1")
    if not (np.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge!r}")
    if not 0 < rtol < 1:
        raise ValueError(f"rtol must lie in (0, 1), got {rtol!r}")
    mbar = p @ feat.mean
    M = feat.mean - mbar                                               # (C, P)
    ybar = float(p @ y)
    Phi = (p * y) @ M
    it = 0
    if method == "cg" and covs is None:
        A3, starts, beta = feat.lowrank_components(p)
        dtot = p @ feat.d
        diag = dtot + p @ (feat.b**2 * feat.s2) + p @ (M * M) + ridge
        nf, k, D = A3.shape[0], beta.shape[0], A3.shape[2]
        dinv = 1.0 / diag
        _checks.kernel_arrays("pcg", A3=(A3, (nf, P, D), float), starts=(starts, (nf + 1,), np.int64),
                              beta=(beta, (k, P), float), dtot=(dtot, (P,), float), M=(M, (C, P), float),
                              p=(p, (C,), float), rhs=(Phi, (P,), float), dinv=(dinv, (P,), float))
        if starts[0] != 0 or starts[-1] != k or np.any(np.diff(starts) < 0):
            raise RuntimeError(f"pcg: starts must run from 0 to {k} without decreasing, got {starts}")
        w, it, ok = pcg(A3, starts, beta, dtot, M, p, float(ridge), Phi, dinv, float(rtol), 20 * P)
        if not ok:
            raise RuntimeError(f"conjugate gradients did not converge in {it} iterations "
                               "(non-finite moments, or Omega not positive definite)")
        quad = feat.quad_forms(w)
    elif method in ("cg", "dense"):
        if covs is None:
            covs = [feat.ge_cov(a) for a in range(C)]
        Om = sum(p[a] * covs[a] for a in range(C)) + (M.T * p) @ M + ridge * np.eye(P)
        w = np.linalg.solve(Om, Phi)
        quad = np.array([w @ covs[a] @ w for a in range(C)])
    else:
        raise ValueError(f"method must be 'cg' or 'dense', got {method!r}")
    Ow = p @ quad + p @ (M @ w) ** 2
    var_y = 1.0 - ybar**2
    mse = 0.5 * (var_y - 2 * w @ Phi + Ow)
    mu = M @ w + ybar
    sd = np.sqrt(np.maximum(quad, 1e-300))
    cls = float(p @ ndtr(-y * mu / sd))
    return RFReadout(w, ybar - float(mbar @ w), float(mse), cls, it)
