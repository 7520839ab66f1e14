r"""Gaussian mixtures with labels +-1 (Refinetti et al., arXiv:2102.11742, section 2; docs/THEORY.md B).

Convention (docs/DESIGN.md section 3): pick a cluster alpha with probability p_alpha, then

    x = mu_alpha / sqrt(N) + L_alpha z,    z ~ N(0, I_N),    y = y_alpha,

where the raw mean mu_alpha has norm ~ sqrt(N) (so mu_alpha / sqrt(N) = O(1)) and L_alpha
L_alpha^T = Sigma_alpha is the cluster covariance: Delta I_N (isotropic), one shared matrix, or one
per cluster. A class's probability (rho for y = +1, 1 - rho for y = -1) is split evenly among its
clusters unless explicit cluster probabilities are given. The XOR-like mixture has y = -1 at
+-e_1 and y = +1 at +-e_2 (times ``scale``) after the 1/sqrt(N).

Errors use one definition in theory and simulation (:func:`classification_error`):
eps_class = P(y yhat < 0) + 1/2 P(yhat = 0) (ties count half), eps_mse = 1/2 E (yhat - y)^2.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twolayer import checks as _checks
from scipy.special import logsumexp


from .backends import as_seed_sequence, get_backend

__all__ = ["GaussianMixture", "xor_mixture", "circle_mixture", "classification_error", "mse_error"]


def classification_error(yhat, y):
    """Per-sample error 1[y yhat < 0] + 1/2 1[yhat = 0]; mean over the last axis."""
    yhat, y = np.asarray(yhat, dtype=float), np.asarray(y, dtype=float)
    if yhat.shape[-1:] != y.shape[-1:]:
        raise ValueError(f"yhat and y must end with the same sample axis, got {yhat.shape} and {y.shape}")
    if not np.all(np.isfinite(yhat)):
        raise ValueError("yhat contains non-finite values")
    return np.mean((y * yhat < 0) + 0.5 * (yhat == 0), axis=-1)


def mse_error(yhat, y):
    """1/2 mean (yhat - y)^2 over the last axis."""
    yhat, y = np.asarray(yhat, dtype=float), np.asarray(y, dtype=float)
    return 0.5 * np.mean((yhat - y) ** 2, axis=-1)


@dataclass(frozen=True)
class GaussianMixture:
    """Labelled Gaussian mixture (module docstring).

    Parameters
    ----------
    means : array_like, shape (C, N)
        Raw means mu_alpha (norm ~ sqrt(N)); the cluster centre is mu_alpha / sqrt(N).
    labels : array_like, shape (C,)
        +1 or -1 per cluster; both classes must be present.
    Delta : float, optional
        Isotropic variance (> 0). Give exactly one of Delta and ``cov``.
    cov : array_like, shape (N, N) or (C, N, N), optional
        Shared or per-cluster covariance (positive definite).
    rho : float
        P(y = +1), in (0, 1); split evenly among the +1 clusters (1 - rho among the -1 clusters).
    probs : array_like, shape (C,), optional
        Explicit cluster probabilities (positive, summing to 1; overrides ``rho``).
    """

    means: np.ndarray
    labels: np.ndarray
    Delta: float | None = None
    cov: np.ndarray | None = None
    rho: float = 0.5
    probs: np.ndarray | None = None
    _chol: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        mu = _checks.array("means", self.means, ndim=2)
        if mu.shape[0] < 1 or mu.shape[1] < 1:
            raise ValueError(f"means must have shape (C, N) with C, N >= 1, got {mu.shape}")
        C, N = mu.shape
        lab = _checks.array("labels", self.labels)
        if lab.shape != (C,) or not np.all(np.isin(lab, (-1, 1))):
            raise ValueError(f"labels must be {C} values in {{-1, +1}}, got {self.labels!r}")
        if not (np.any(lab == 1) and np.any(lab == -1)):
            raise ValueError("labels must contain both classes (an empty class has no Bayes rule or error)")
        if (self.Delta is None) == (self.cov is None):
            raise ValueError("give exactly one of Delta (isotropic variance) and cov")
        chol = None
        if self.Delta is not None:
            _checks.positive("Delta", self.Delta)
        else:
            cv = _checks.array("cov", self.cov, finite=False)
            if cv.shape not in ((N, N), (C, N, N)):
                raise ValueError(f"cov must have shape ({N}, {N}) or ({C}, {N}, {N}), got {cv.shape}")
            chol = _checks.psd_factor("cov", cv, method="cholesky")
            object.__setattr__(self, "cov", cv)
        if not (0 < _checks.real("rho", self.rho) < 1):
            raise ValueError(f"rho = P(y = +1) must lie in (0, 1), got {self.rho!r}")
        if self.probs is None:
            n_pos, n_neg = int(np.sum(lab == 1)), int(np.sum(lab == -1))
            p = np.where(lab == 1, self.rho / n_pos, (1 - self.rho) / n_neg)
        else:
            p = np.asarray(self.probs, dtype=float)
            if p.shape != (C,) or np.any(~np.isfinite(p)) or np.any(p <= 0) or abs(p.sum() - 1) > 1e-12:
                raise ValueError(f"probs must be {C} positive numbers summing to 1, got {self.probs!r}")
            object.__setattr__(self, "rho", float(p[lab == 1].sum()))
        object.__setattr__(self, "means", mu)
        object.__setattr__(self, "labels", lab.astype(np.int64))
        object.__setattr__(self, "probs", p)
        object.__setattr__(self, "_chol", chol)

    @property
    def n_clusters(self) -> int:
        return self.means.shape[0]

    @property
    def N(self) -> int:
        return self.means.shape[1]

    @property
    def centres(self) -> np.ndarray:
        """Cluster centres mu_alpha / sqrt(N), shape (C, N)."""
        return self.means / np.sqrt(self.N)

    def covariance(self, alpha: int) -> np.ndarray:
        """Sigma_alpha, shape (N, N)."""
        if self.Delta is not None:
            return self.Delta * np.eye(self.N)
        return self.cov if self.cov.ndim == 2 else self.cov[alpha]

    # -------------------------------------------------------------------------------------------
    def sample(self, n: int, seed=0, backend="numpy", dtype: str = "float64", n_seeds: int | None = None):
        """Draw samples: (X, y, cluster).

        Shapes (n, N), (n,), (n,) — or with ``n_seeds`` = S, (S, n, N), (S, n), (S, n), member s
        drawn from SeedSequence child s of ``seed`` (independent of S). X lives on ``backend``;
        y and cluster are NumPy arrays (y as float).
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        be = get_backend(backend, dtype)
        S = 1 if n_seeds is None else int(n_seeds)
        if S < 1:
            raise ValueError(f"n_seeds must be >= 1, got {n_seeds!r}")
        Xs, ys, cs = [], [], []
        for child in as_seed_sequence(seed).spawn(S):
            rng = np.random.default_rng(child)
            Xa, ya, ca = self.draw(n, rng, rng)
            Xs.append(Xa)
            ys.append(ya)
            cs.append(ca)
        X, y, c = np.stack(Xs), np.stack(ys), np.stack(cs)
        if n_seeds is None:
            X, y, c = X[0], y[0], c[0]
        return be.asarray(X), y, c

    def draw(self, n: int, clusters: np.random.Generator, noise: np.random.Generator):
        """(X (n, N), y (n,), cluster (n,)) from the two NumPy generators given: the clusters from
        ``clusters`` (one uniform per sample), the Gaussian noise from ``noise`` (N normals per
        sample). With two separate generators, successive draws of n and m samples equal one draw
        of n + m (the online simulators rely on it: their numbers do not depend on the chunk)."""
        c = clusters.choice(self.n_clusters, size=n, p=self.probs)
        z = noise.standard_normal((n, self.N))
        if self.Delta is not None:
            eps = np.sqrt(self.Delta) * z
        elif self._chol.ndim == 2:
            eps = z @ self._chol.T
        else:                                   # per cluster: one GEMM each, no (n, N, N) gather
            eps = np.empty_like(z)
            for a in range(self.n_clusters):
                sel = c == a
                eps[sel] = z[sel] @ self._chol[a].T
        return self.centres[c] + eps, self.labels[c].astype(float), c

    def log_posterior_ratio(self, X) -> np.ndarray:
        """log P(y = +1 | x) - log P(y = -1 | x), shape (n,) for X of shape (n, N)."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.N:
            raise ValueError(f"X must have shape (n, {self.N}), got {X.shape}")
        D = X[:, None, :] - self.centres[None]                      # (n, C, N)
        if self.Delta is not None:
            logd = -0.5 * np.sum(D * D, axis=2) / self.Delta        # common normaliser dropped
        elif self._chol.ndim == 2:
            W = np.linalg.solve(self._chol, D.reshape(-1, self.N).T).T.reshape(D.shape)
            logd = -0.5 * np.sum(W * W, axis=2)
        else:
            logd = np.empty(D.shape[:2])
            for a in range(self.n_clusters):
                W = np.linalg.solve(self._chol[a], D[:, a].T).T
                logd[:, a] = -0.5 * np.sum(W * W, axis=1) - np.sum(np.log(np.diag(self._chol[a])))
        logp = logd + np.log(self.probs)[None]
        pos = self.labels == 1
        return logsumexp(logp[:, pos], axis=1) - logsumexp(logp[:, ~pos], axis=1)

    def bayes_error(self, n_samples: int = 200_000, seed=0, batch: int = 50_000, *, max_samples: int = 10**9):
        """Bayes error by Monte Carlo with the Rao-Blackwellised estimator min(P(+|x), P(-|x)).

        Returns (estimate, standard error). The Bayes rule's conditional error at x is
        min(P(+|x), P(-|x)) = 1 / (1 + exp(|log ratio|)); averaging it over x ~ mixture has a
        smaller variance than counting mistakes. For the symmetric XOR use :func:`xor_bayes_error`
        (exact). Memory is O(batch N) whatever ``n_samples`` (running sums); more than
        ``max_samples`` samples are refused up front (raise it on purpose: 1e9 samples at N = 100
        take about an hour on one core).
        """
        n_samples = _checks.integer("n_samples", n_samples, minimum=2)
        batch = _checks.integer("batch", batch, minimum=1)
        if n_samples > _checks.integer("max_samples", max_samples, minimum=2):
            raise ValueError(f"n_samples={n_samples:.3g} is above max_samples={max_samples:.3g}; "
                             "pass a larger max_samples to run it")
        total, total2 = 0.0, 0.0
        done, k = 0, 0
        ss = as_seed_sequence(seed)
        while done < n_samples:
            m = min(batch, n_samples - done)
            X, _, _ = self.sample(m, seed=np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key + (k,)))
            v = 1.0 / (1.0 + np.exp(np.abs(self.log_posterior_ratio(X))))
            if k == 0:
                shift = float(v.mean())      # centre the running sums (no cancellation in the variance)
            total += float(np.sum(v - shift))
            total2 += float(np.sum((v - shift) ** 2))
            done, k = done + m, k + 1
        mean = total / n_samples
        var = (total2 - n_samples * mean * mean) / (n_samples - 1)
        return float(shift + mean), float(np.sqrt(max(var, 0.0) / n_samples))


def xor_mixture(N: int, Delta: float, *, scale: float = 1.0, rho: float = 0.5) -> GaussianMixture:
    """XOR-like mixture: y = -1 at +-scale e_1, y = +1 at +-scale e_2 (after the 1/sqrt(N))."""
    N = _checks.integer("N", N, minimum=2)
    scale = _checks.positive("scale", scale)
    mu = np.zeros((4, N))
    s = scale * np.sqrt(N)
    mu[0, 0], mu[1, 0], mu[2, 1], mu[3, 1] = s, -s, s, -s
    return GaussianMixture(mu, np.array([-1, -1, 1, 1]), Delta=Delta, rho=rho)


def circle_mixture(N: int, clusters_per_label: int, Delta: float, *, scale: float = 1.0,
                   rho: float = 0.5) -> GaussianMixture:
    """2 * clusters_per_label clusters on a circle in the (e_1, e_2) plane, labels alternating
    (clusters_per_label = 2 is the XOR up to a rotation by 45 degrees)."""
    N = _checks.integer("N", N, minimum=2)
    C = 2 * _checks.integer("clusters_per_label", clusters_per_label, minimum=1)
    scale = _checks.positive("scale", scale)
    ang = 2 * np.pi * np.arange(C) / C
    mu = np.zeros((C, N))
    mu[:, 0], mu[:, 1] = np.cos(ang), np.sin(ang)
    labels = np.where(np.arange(C) % 2 == 0, -1, 1)
    return GaussianMixture(scale * np.sqrt(N) * mu, labels, Delta=Delta, rho=rho)
