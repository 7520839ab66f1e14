"""asv benchmarks for Gaussian-mixture classification (Refinetti et al., arXiv:2102.11742).

References written here, research-code style:
* :func:`reference_rhs_per_tuple_mc` -- every expectation of the mixture ODE evaluated separately by
  Monte Carlo with 10^4 samples per index tuple (fields redrawn for each tuple).
* ``rf_population_readout(method="dense")`` forms the P x P covariance and solves it;
  :func:`reference_rf_per_cluster_dense` also forms each cluster's covariance from scratch;
  :func:`reference_omega_blas` is the structured CG product with one NumPy/BLAS (P x D) x (D x C)
  product per pass (the CG matvec before the Numba kernels).
* :func:`reference_sgd_loop` -- online SGD of the 2LNN one seed and one sample at a time in NumPy.
"""
from __future__ import annotations

import numpy as np

from sims.gaussian_mixture import xor_mixture
from sims.mixture_sgd import mixture_initial_weights, random_feature_matrix, simulate_mixture_sgd
from theory.activations import get_activation
from theory.mixture_ode import MixtureODE
from theory.random_features import GaussianEquivalentFeatures, rf_population_readout

from ._timing import backend_or_skip, interleaved_ratio
from . import backend_params


def _ode_state(K=4, N=200, seed=0):
    mix = xor_mixture(N, 0.1)
    rng = np.random.default_rng(seed)
    w = 0.7 * rng.standard_normal((K, N)) + 0.5 * mix.means[rng.integers(0, 4, K)]
    return mix, mix.means @ w.T / N, w @ w.T / N, rng.standard_normal(K)


def reference_rhs_per_tuple_mc(ode: MixtureODE, R, Q, v, n=10_000, seed=0):
    """dR, dQ, dv with each expectation E[g'_k nu_b g_l], E[g'_l lambda_k g_m], E[g'_k g'_l g_m g_n], ...
    estimated separately by Monte Carlo (n samples of the joint fields per index tuple and cluster)."""
    a = get_activation(ode.activation)
    rng = np.random.default_rng(seed)
    K, C, D, eta = ode.K, ode.n_clusters, ode.Delta, ode.eta
    cov = D * np.block([[Q, R.T], [R, ode.T]])
    L = np.linalg.cholesky(cov + 1e-12 * np.eye(K + C))
    dR, dQ, dv = np.zeros((C, K)), np.zeros((K, K)), np.zeros(K)

    def draw(al):
        f = np.r_[R[al], ode.T[al]] + rng.standard_normal((n, K + C)) @ L.T
        return f[:, :K], f[:, K:]

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
                        acc2 += v[m] * v[q] * np.mean(a.dg(lam[:, k]) * a.dg(lam[:, l]) * a.g(lam[:, m]) * a.g(lam[:, q]))
                dQ[k, l] += p * eta**2 * D * v[k] * v[l] * acc2
        for k in range(K):
            lam, _ = draw(al)
            acc = y * np.mean(a.g(lam[:, k]))
            for m in range(K):
                lam, _ = draw(al)
                acc -= v[m] * np.mean(a.g(lam[:, k]) * a.g(lam[:, m]))
            dv[k] += p * ode.eta_v * acc
    return dR, dQ, dv


def rhs_speed_and_accuracy(K=4, reference_n=10_000):
    """(speed ratio, max abs error ours, max abs error reference) of the ODE right-hand side.

    Errors are measured against our RHS with 2^21 common-random-number samples (pair terms are
    closed forms; only the eta^2 term is Monte Carlo)."""
    mix, R, Q, v = _ode_state(K)
    ode = MixtureODE.from_mixture(mix, K, 0.5)
    exact = np.concatenate([x.ravel() for x in MixtureODE.from_mixture(mix, K, 0.5, n_mc=1 << 21).rhs(R, Q, v)])
    speed = interleaved_ratio(lambda: [ode.rhs(R, Q, v) for _ in range(10)],
                              lambda: reference_rhs_per_tuple_mc(ode, R, Q, v, reference_n), pairs=3, scale=10).median
    ours = np.concatenate([x.ravel() for x in ode.rhs(R, Q, v)])
    ref = np.concatenate([x.ravel() for x in reference_rhs_per_tuple_mc(ode, R, Q, v, reference_n, seed=1)])
    return speed, float(np.abs(ours - exact).max()), float(np.abs(ref - exact).max())


def reference_rf_per_cluster_dense(feat, labels, probs):
    """Research-code RF readout: each cluster's P x P covariance formed from scratch, then solved."""
    covs = []
    for a in range(feat.n_clusters):                              # F F^T recomputed per cluster
        b = feat.b[a]
        G = feat.F @ feat.F.T * (feat.Delta / feat.D)
        covs.append(np.diag(feat.d[a]) + b[:, None] * G * b[None, :])
    return rf_population_readout(feat, labels, probs, covs=covs)


def rf_problem(P=1600, D=800):
    """The benchmarked random-features problem: XOR mixture, Delta = 0.1, seeded F (P, D)."""
    mix = xor_mixture(D, 0.1)
    return mix, GaussianEquivalentFeatures(mix.centres, 0.1, random_feature_matrix(P, D, seed=0))


def reference_omega_blas(feat, probs, v):
    """Omega v (ridge 0) from C-column BLAS products, one column per cluster."""
    p = np.asarray(probs, float)
    M = feat.mean - p @ feat.mean
    C, P = feat.n_clusters, feat.P
    return (p[:, None] * feat.cov_matvec(np.broadcast_to(v, (C, P)))).sum(0) + (p * (M @ v)) @ M


def rf_matvec_ratio(P=1600, D=800):
    """(BLAS C-column product time / Numba k-component product time, max relative difference)."""
    from theory._rf_numba import _omega
    mix, feat = rf_problem(P, D)
    p = mix.probs
    A3, starts, beta = feat.lowrank_components(p)
    M = feat.mean - p @ feat.mean
    dtot = p @ feat.d
    k = beta.shape[0]
    U, Y, T, out = np.empty((k, P)), np.empty((k, P)), np.empty((k, D)), np.empty(P)
    v = np.random.default_rng(1).standard_normal(P)

    def ours():
        _omega(A3, starts, beta, dtot, M, p, 0.0, v, U, T, Y, out)
        return out
    ours()
    ref = reference_omega_blas(feat, p, v)
    err = float(np.abs(ours() - ref).max() / np.abs(ref).max())
    reps = 20                                # one product takes ~0.1 ms: time 20 per sample
    ratio = interleaved_ratio(lambda: [ours() for _ in range(reps)],
                              lambda: [reference_omega_blas(feat, p, v) for _ in range(reps)], pairs=15).median
    return ratio, err


def rf_speed_ratios(P=1600, D=800):
    """(dense / CG, per-cluster dense / CG) time ratios for the RF population error."""
    mix, feat = rf_problem(P, D)
    def cg():
        return rf_population_readout(feat, mix.labels, mix.probs)
    dense = interleaved_ratio(cg, lambda: rf_population_readout(feat, mix.labels, mix.probs, method="dense"), pairs=5)
    naive = interleaved_ratio(cg, lambda: reference_rf_per_cluster_dense(feat, mix.labels, mix.probs), pairs=3)
    return dense.median, naive.median


def reference_sgd_loop(mix, K, eta, steps, w0, v0, seed=0):
    """One seed, one sample at a time, fresh arrays each step (research-code style)."""
    rng = np.random.default_rng(seed)
    N = mix.N
    w, v = w0.copy(), v0.copy()
    for _ in range(steps):
        c = rng.choice(mix.n_clusters, p=mix.probs)
        x = mix.centres[c] + np.sqrt(mix.Delta) * rng.standard_normal(N)
        y = mix.labels[c]
        lam = w @ x / np.sqrt(N)
        e = y - v @ np.maximum(lam, 0)
        w = w + (eta / np.sqrt(N)) * np.outer(v * (lam > 0) * e, x)
        v = v + (eta / N) * np.maximum(lam, 0) * e
    return w, v


def sgd_speed_ratio(n_seeds=64, N=500, K=4, steps=2000):
    """Seed-steps/s of the batched simulator over the per-seed loop (numpy)."""
    mix = xor_mixture(N, 0.1)
    w0, v0 = mixture_initial_weights(N, K, n_seeds, 0)
    n_ref = 4
    return interleaved_ratio(lambda: simulate_mixture_sgd(mix, K, 0.5, steps / N, n_seeds=n_seeds, n_records=2,
                                                          initial_weights=(w0, v0)),
                             lambda: [reference_sgd_loop(mix, K, 0.5, steps, w0[s], v0[s], s) for s in range(n_ref)],
                             pairs=3, scale=n_seeds / n_ref).median


class MixtureODERHS:
    """Right-hand side of the mixture ODE (K = 4, 4 clusters) and a full integration."""

    params = [[4, 8]]
    param_names = ["K"]

    def setup(self, K):
        mix, self.R, self.Q, self.v = _ode_state(K)
        self.ode = MixtureODE.from_mixture(mix, K, 0.5)

    def time_rhs(self, K):
        self.ode.rhs(self.R, self.Q, self.v)

    def time_integrate_t10_rk4(self, K):
        self.ode.integrate(self.R, self.Q, self.v, [0.0, 10.0], method="RK4", dt=0.1, errors=False)


class MixtureRHSRatio:
    """track_: speed ratio vs per-tuple Monte Carlo (10^4 samples per tuple), K = 4."""

    timeout = 600

    def track_rhs_ratio_vs_per_tuple_mc(self):
        return rhs_speed_and_accuracy()[0]


class RFReadout:
    """Random-features population error, P = 2D."""

    params = [[400, 1600], ["cg", "dense"]]
    param_names = ["P", "method"]

    def setup(self, P, method):
        self.mix, self.feat = rf_problem(P, P // 2)

    def time_readout(self, P, method):
        rf_population_readout(self.feat, self.mix.labels, self.mix.probs, method=method)

    def peakmem_readout(self, P, method):
        rf_population_readout(self.feat, self.mix.labels, self.mix.probs, method=method)


class RFMatvec:
    """The structured CG product at P = 1600, D = 800: Numba k-component kernels vs BLAS."""

    timeout = 120

    def track_ratio_vs_blas(self):
        return rf_matvec_ratio()[0]

    track_ratio_vs_blas.unit = "x"


class MixtureSGD:
    """Online SGD of the 2LNN, 16 seeds, N = 500, 500 steps."""

    params = [backend_params()]
    param_names = ["backend"]

    def setup(self, backend):
        backend_or_skip(backend)
        self.mix = xor_mixture(500, 0.1)

    def time_sgd(self, backend):
        simulate_mixture_sgd(self.mix, 4, 0.5, 1.0, n_seeds=16, n_records=2, backend=backend)
