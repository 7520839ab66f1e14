r"""Online SGD on a Gaussian mixture: two-layer nets and random features, batched over seeds.

Refinetti, Goldt, Krzakala & Zdeborova, arXiv:2102.11742, sections 2-4; conventions of docs/THEORY.md B
(the same as :mod:`theory.mixture_ode`):

Two-layer net (:func:`simulate_mixture_sgd`), yhat = sum_k v_k g(lambda_k), lambda_k = w_k.x/sqrt(N),
loss 1/2 e^2 with e = y - yhat, one fresh sample per step, time t = steps/N:

    w_k <- (1 - eta reg/N) w_k + (eta/sqrt N) v_k g'(lambda_k) e x
    v_k <- (1 - eta_v reg/N) v_k + (eta_v/N) g(lambda_k) e            (eta_v = 0: v frozen)

Random features (:func:`simulate_rf_sgd`), fixed F (P x D, rows of norm ~ sqrt(D)),
z = g(F x/sqrt(D)), yhat = w.z/sqrt(P) + b, time t = steps/D:

    w <- (1 - eta reg/P) w + (eta/sqrt P) e z,    b <- b + (eta/P) e.

Data for every seed come from that seed's own ``SeedSequence`` child (host NumPy, drawn in chunks
and moved to the backend), so all backends see identical samples and a seed's run does not depend
on how many seeds run beside it. Order parameters R = mu w^T/N (C x K), Q = w w^T/N and v are
recorded on a time grid; with ``n_test`` > 0 the errors are also measured on a fixed test set of
fresh samples per seed (ties yhat = 0 count 1/2, :func:`sims.gaussian_mixture.classification_error`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import backend_activation
from twolayer.errors import DivergedError
from twolayer import checks as _checks
from twolayer.checks import integer as _integer, nonneg as _nonneg
from twolayer.driver import run_schedule
from twolayer.records import record_steps
from twolayer.seeds import derive_seed
from .backends import as_seed_sequence, get_backend
from .gaussian_mixture import classification_error, mse_error

__all__ = ["MixtureSGDTrajectory", "RFSGDTrajectory", "MixtureSimulationDivergedError", "simulate_mixture_sgd",
           "simulate_rf_sgd", "mixture_initial_weights", "random_feature_matrix", "rf_features", "RFFit",
           "fit_random_features"]


class MixtureSimulationDivergedError(DivergedError):
    """Non-finite weights; the message names the step and the seed."""


@dataclass(frozen=True)
class MixtureSGDTrajectory:
    """Recorded online SGD of the two-layer net.

    Attributes
    ----------
    t : ndarray (n_t,)           times steps/N
    R : ndarray (S, n_t, C, K)   mu_beta.w_k/N
    Q : ndarray (S, n_t, K, K)
    v : ndarray (S, n_t, K)
    test_class, test_mse : ndarray (S, n_t)   on the fixed test set (NaN without ``n_test``)
    """

    t: np.ndarray
    R: np.ndarray
    Q: np.ndarray
    v: np.ndarray
    test_class: np.ndarray
    test_mse: np.ndarray


@dataclass(frozen=True)
class RFSGDTrajectory:
    """Recorded online SGD of a random-features readout: t (n_t,), w (S, n_t, P), b (S, n_t),
    test_class / test_mse (S, n_t)."""

    t: np.ndarray
    w: np.ndarray
    b: np.ndarray
    test_class: np.ndarray
    test_mse: np.ndarray


def mixture_initial_weights(N: int, K: int, n_seeds: int, seed=0, *, init_std: float = 1.0, v0=None):
    """Initial weights (host NumPy): w (S, K, N) with i.i.d. N(0, init_std^2) entries (so Q ~ init_std^2 I),
    v (S, K) = ``v0`` if given (broadcast) else N(0, 1) entries; from SeedSequence child s of ``seed``
    (its first grandchild)."""
    S = _integer("n_seeds", n_seeds, minimum=1)
    N, K = _integer("N", N, minimum=1), _integer("K", K, minimum=1)
    init_std = _nonneg("init_std", init_std)
    if v0 is not None:
        v0 = _checks.array("v0", v0)
    w = np.empty((S, K, N))
    v = np.empty((S, K))
    for s, child in enumerate(as_seed_sequence(seed).spawn(S)):
        g = np.random.default_rng(child.spawn(1)[0])
        w[s] = init_std * g.standard_normal((K, N))
        v[s] = g.standard_normal(K) if v0 is None else v0
    return w, v


def random_feature_matrix(P: int, D: int, seed=0) -> np.ndarray:
    """Gaussian F (P, D) with rows rescaled to norm exactly sqrt(D) (pre-activation variance = Delta)."""
    _integer("P", P, minimum=1)
    _integer("D", D, minimum=1)
    F = np.random.default_rng(as_seed_sequence(seed)).standard_normal((P, D))
    return F * (np.sqrt(D) / np.linalg.norm(F, axis=1, keepdims=True))


def rf_features(X, F, activation: str = "relu") -> np.ndarray:
    """Random features g(F x / sqrt D) of the rows of X (n, D), with a bias column: (n, P + 1)."""
    from theory.activations import get_activation
    g = get_activation(activation).g
    return np.c_[g(X @ F.T / np.sqrt(F.shape[1])), np.ones(X.shape[0])]


@dataclass(frozen=True)
class RFFit:
    """Random features fitted on data (:func:`fit_random_features`).

    coef : (P + 1,) readout, the bias last; test_mse, test_class : errors on the fresh test sample.
    """

    coef: np.ndarray
    test_mse: float
    test_class: float


def fit_random_features(mixture, F, n: int, *, train_seed, test_seed, activation: str = "relu") -> RFFit:
    """Least-squares readout of random features fitted on ``n`` samples, tested on ``n`` fresh ones.

    Features z = g(F x / sqrt D) plus a bias (Refinetti et al. 2021, arXiv:2102.11742, section 4:
    the finite-sample side of the random-features error formula,
    :func:`theory.random_features.rf_population_readout`). The readout minimises
    sum (z . coef - y)^2 over the training sample (``numpy.linalg.lstsq``); the errors are
    eps_mse = 1/2 mean (yhat - y)^2 and eps_class (ties count 1/2) on the test sample. The two
    samples come from ``train_seed`` and ``test_seed`` (independent seeds).

    Parameters
    ----------
    mixture : sims.gaussian_mixture.GaussianMixture
    F : array_like (P, D)
        Feature matrix (e.g. :func:`random_feature_matrix`), D the mixture's dimension.
    n : int
        Training and test sample size; at least P + 2 (ordinary least squares needs n > P + 1).
    """
    F = _checks.array("F", F, ndim=2)
    P, D = F.shape
    if D != mixture.N:
        raise ValueError(f"F must have shape (P, {mixture.N}) for this mixture, got {F.shape}")
    n = _integer("n", n, minimum=P + 2)
    X, y, _ = mixture.sample(n, seed=train_seed)
    coef = np.linalg.lstsq(rf_features(X, F, activation), y, rcond=None)[0]
    Xt, yt, _ = mixture.sample(n, seed=test_seed)
    yhat = rf_features(Xt, F, activation) @ coef
    return RFFit(coef, float(mse_error(yhat, yt)), float(classification_error(yhat, yt)))


def _record_grid(t_max, n_records, t_record, scale):
    if t_record is None:
        if t_max is None:
            raise ValueError("give t_max or t_record")
        t_max = _checks.positive("t_max", t_max)
        return record_steps(t_max * scale, n_records, spacing="linear")
    return record_steps(times=t_record, scale=scale, times_name="t_record")


class _DataStreams:
    """Per-seed host streams of (x, y) for a mixture, drawn in chunks (identical on every backend).

    Seed s reads two generators (clusters, noise) spawned from the second grandchild of its
    SeedSequence child (the first draws the initial weights), in sample order: the numbers do not
    depend on ``chunk`` or on the recording times.
    """

    def __init__(self, mixture, seed, S):
        self.mix = mixture
        self.gens = [[np.random.default_rng(g) for g in c.spawn(2)[1].spawn(2)] for c in as_seed_sequence(seed).spawn(S)]

    def draw(self, n):
        mix = self.mix
        X = np.empty((len(self.gens), n, mix.N))
        y = np.empty((len(self.gens), n))
        for s, (gc, gz) in enumerate(self.gens):
            X[s], y[s], _ = mix.draw(n, gc, gz)
        return X, y


def _test_set(mixture, n_test, seed, S):
    if n_test == 0:
        return None, None
    X, y, _ = mixture.sample(n_test, seed=derive_seed(seed, "test_set"), n_seeds=S)
    return X, y


def _test_errors(bk, yhat, yt, S):
    """(eps_class, eps_mse) per seed on the test set, NaN without one."""
    if yhat is None:
        return np.full(S, np.nan), np.full(S, np.nan)
    yhat = bk.to_numpy(yhat)
    return classification_error(yhat, yt), mse_error(yhat, yt)


def _drive(bk, data, steps, chunk, st, advance, record, names, desc, progress):
    """Run both simulators' loop (:func:`twolayer.driver.run_schedule`): draw ``chunk`` samples per
    seed on the host, ``advance(st, X, y)`` through them, and at every recorded step check
    ``st[name]`` for finiteness and a runaway (:func:`_check_finite`) and ``record(st)``."""
    start = None

    def step(done, n):
        X, y = data.draw(n)
        advance(st, bk.asarray(X), bk.asarray(y))

    def stop(j):
        nonlocal start
        ms = _check_finite(bk, [st[k] for k in names], int(steps[j]), names, start)
        start = ms if j == 0 else start
        record(st)

    run_schedule(steps, step, stop, chunk=chunk, progress=progress, desc=desc)


#: A seed has run away when the mean square of a state array exceeds RUNAWAY times
#: max(1, its value at the start): finite numbers that are already meaningless (eta far above the
#: stability bound, eta E|z|^2/P >> 2, reach 1e300 before overflowing).
RUNAWAY = 1e8


def _check_finite(bk, arrs, step, names, start=None):
    """Raise naming step and seeds when a state array is non-finite or has run away (RUNAWAY);
    returns the per-array mean squares at the start when ``start`` is None (the first call)."""
    ms = []
    for a, name in zip(arrs, names):
        an = bk.to_numpy(a)
        flat = an.reshape(an.shape[0], -1)
        bad = ~np.all(np.isfinite(flat), axis=1)
        if np.any(bad):
            raise MixtureSimulationDivergedError(
                f"{name} became non-finite by step {step} for seed(s) {np.flatnonzero(bad).tolist()}; "
                "lower the learning rate")
        with np.errstate(over="ignore"):
            m2 = np.mean(flat * flat, axis=1) if flat.shape[1] else np.zeros(flat.shape[0])
        ms.append(m2)
        if start is not None:
            bound = RUNAWAY * np.maximum(1.0, start[len(ms) - 1])
            away = m2 > bound
            if np.any(away):
                i = int(np.flatnonzero(away)[0])
                raise MixtureSimulationDivergedError(
                    f"{name} ran away by step {step} for seed(s) {np.flatnonzero(away).tolist()}: mean square "
                    f"{m2[i]:.3g} > {RUNAWAY:.0e} x max(1, its start {start[len(ms) - 1][i]:.3g}); lower the learning rate")
    return ms


#: Defaults of the cost guards of both simulators (raise them with ``max_steps`` / ``memory_budget``).
MAX_STEPS = 10**8
MEMORY_BUDGET = 4 * 2**30


def _run_arguments(eta, reg, n_seeds, n_test, t_max, n_records, t_record, N, backend, chunk=512, width=0,
                   max_steps=MAX_STEPS, memory_budget=MEMORY_BUDGET):
    """Checks shared by both simulators: (reg, n_seeds, n_test, record steps, backend).

    Cost guards: more than ``max_steps`` steps per seed, or an estimated allocation (one drawn
    chunk of inputs, the test set, the state and the records) above ``memory_budget`` bytes, is
    refused up front with the estimate.
    """
    _checks.positive("eta", eta)
    steps = _record_grid(t_max, n_records, t_record, N)
    S = _integer("n_seeds", n_seeds, minimum=1)
    n_test = _integer("n_test", n_test, minimum=0)
    chunk = _integer("chunk", chunk, minimum=1)
    if steps[-1] > _integer("max_steps", max_steps, minimum=1):
        raise ValueError(f"t_max={steps[-1] / N:g} at N={N} needs {int(steps[-1]):.3g} steps per seed, above "
                         f"max_steps={max_steps:.3g}; pass a larger max_steps to run it")
    need = 8.0 * S * (2 * chunk * N + (n_test + 1) * (N + width) + steps.size * (width + 4) + 2 * width * N)
    _checks.memory("memory_budget", need, _checks.positive("memory_budget", memory_budget))
    return (_nonneg("reg", reg), S, n_test, steps, get_backend(backend))


def simulate_mixture_sgd(mixture, K: int, eta: float, t_max: float | None = None, *, eta_v: float | None = None,
                         reg: float = 0.0, activation: str = "relu", n_seeds: int = 1, seed=0, backend="numpy",
                         init_std: float = 1.0, v0=None, initial_weights=None, t_record=None, n_records: int = 21,
                         n_test: int = 0, chunk: int = 512, progress: bool = False, max_steps: int = MAX_STEPS,
                         memory_budget: float = MEMORY_BUDGET) -> MixtureSGDTrajectory:
    """Online SGD of the two-layer net on ``mixture`` (module docstring), all seeds in one batch.

    Parameters
    ----------
    mixture : sims.gaussian_mixture.GaussianMixture
    K : int
    eta, eta_v, reg : float
        First-layer rate, second-layer rate (default eta; 0 freezes v), weight decay.
    activation : str
    n_seeds, seed : int, int or SeedSequence
    backend : str
        "numpy", "torch", "torch:cuda", "cupy".
    init_std, v0 : initial weights (:func:`mixture_initial_weights`), unless ``initial_weights``
        = (w0 (S, K, N), v0 (S, K)) is given.
    t_max, t_record, n_records : record times (t_record overrides an even grid up to t_max).
    n_test : int
        Fixed fresh test samples per seed (0: no test errors).
    chunk : int
        Steps drawn per host batch.
    max_steps, memory_budget :
        Cost guards: refuse more steps per seed, or more bytes, up front (raise them on purpose).

    Raises
    ------
    MixtureSimulationDivergedError
        With the step and seed, when weights become non-finite or run away (mean square above
        ``RUNAWAY`` = 1e8 times max(1, its start)); checked at every recorded time.
    """
    N = mixture.N
    K = _integer("K", K, minimum=1)
    reg, S, n_test, steps, bk = _run_arguments(eta, reg, n_seeds, n_test, t_max, n_records, t_record, N, backend,
                                               chunk, K, max_steps, memory_budget)
    eta_v = eta if eta_v is None else _nonneg("eta_v", eta_v)
    xp = bk.xp
    g, dg = backend_activation(activation, bk)
    if initial_weights is None:
        w0, vv0 = mixture_initial_weights(N, K, S, seed, init_std=init_std, v0=v0)
    else:
        w0, vv0 = (np.asarray(a, float) for a in initial_weights)
        if w0.shape != (S, K, N) or vv0.shape != (S, K):
            raise ValueError(f"initial_weights must have shapes ({S}, {K}, {N}) and ({S}, {K}), "
                             f"got {w0.shape} and {vv0.shape}")
    st = {"w": bk.asarray(w0), "v": bk.asarray(vv0)}
    Xt, yt = _test_set(mixture, n_test, seed, S)
    Xt_b = None if Xt is None else bk.asarray(Xt)
    sqN = math.sqrt(N)
    rec = {k: [] for k in ("R", "Q", "v", "cls", "mse")}

    def record(st):
        w, v = st["w"], st["v"]
        wn = bk.to_numpy(w)
        rec["R"].append(np.einsum("cn,skn->sck", mixture.means, wn) / N)
        rec["Q"].append(np.einsum("skn,sln->skl", wn, wn) / N)
        rec["v"].append(bk.to_numpy(v).copy())
        yhat = None
        if Xt_b is not None:
            lam = xp.matmul(Xt_b, xp.permute_dims(w, (0, 2, 1))) / sqN           # (S, n, K)
            yhat = xp.sum(g(lam) * v[:, None, :], axis=-1)
        cls, mse = _test_errors(bk, yhat, yt, S)
        rec["cls"].append(cls)
        rec["mse"].append(mse)

    def advance(st, Xb, yb):
        w, v = st["w"], st["v"]
        for i in range(Xb.shape[1]):
            x = Xb[:, i, :]
            lam = xp.sum(w * x[:, None, :], axis=-1) / sqN                       # (S, K)
            gl = g(lam)
            e = yb[:, i] - xp.sum(v * gl, axis=-1)                              # (S,)
            cw = (eta / sqN) * v * dg(lam) * e[:, None]
            if reg:
                w = (1 - eta * reg / N) * w
            w = w + cw[:, :, None] * x[:, None, :]
            if eta_v:
                v = (1 - eta_v * reg / N) * v + (eta_v / N) * gl * e[:, None]
        st["w"], st["v"] = w, v

    _drive(bk, _DataStreams(mixture, seed, S), steps, chunk, st, advance, record, ("w", "v"), "mixture SGD", progress)
    return MixtureSGDTrajectory(steps / N, np.stack(rec["R"], 1), np.stack(rec["Q"], 1), np.stack(rec["v"], 1),
                                np.stack(rec["cls"], 1), np.stack(rec["mse"], 1))


def simulate_rf_sgd(mixture, F, eta: float, t_max: float | None = None, *, reg: float = 0.0,
                    activation: str = "relu", n_seeds: int = 1, seed=0, backend="numpy", t_record=None,
                    n_records: int = 21, n_test: int = 0, chunk: int = 512,
                    progress: bool = False, max_steps: int = MAX_STEPS,
                    memory_budget: float = MEMORY_BUDGET) -> RFSGDTrajectory:
    """Online SGD of the random-features readout (module docstring); w starts at 0, b at 0.

    ``F`` has shape (P, D) with D = mixture.N (e.g. :func:`random_feature_matrix`), shared by the
    seeds; each seed has its own data stream. Stability needs eta E|z|^2/P < 2. Cost guards and
    divergence (non-finite or runaway, named by step and seed) as in :func:`simulate_mixture_sgd`.
    """
    F = np.asarray(F, float)
    D = mixture.N
    if F.ndim != 2 or F.shape[1] != D or not np.all(np.isfinite(F)):
        raise ValueError(f"F must be a finite (P, {D}) matrix, got shape {F.shape}")
    P = F.shape[0]
    reg, S, n_test, steps, bk = _run_arguments(eta, reg, n_seeds, n_test, t_max, n_records, t_record, D, backend,
                                               chunk, P, max_steps, memory_budget)
    xp = bk.xp
    g, _ = backend_activation(activation, bk)
    Fb = bk.asarray(F.T / math.sqrt(D))                                          # (D, P)
    st = {"w": bk.asarray(np.zeros((S, P))), "b": bk.asarray(np.zeros(S))}
    Xt, yt = _test_set(mixture, n_test, seed, S)
    Zt = None if Xt is None else g(xp.matmul(bk.asarray(Xt), Fb))               # (S, n, P)
    sqP = math.sqrt(P)
    rec = {k: [] for k in ("w", "b", "cls", "mse")}

    def record(st):
        w, b = st["w"], st["b"]
        rec["w"].append(bk.to_numpy(w).copy())
        rec["b"].append(bk.to_numpy(b).copy())
        yhat = None if Zt is None else xp.sum(Zt * w[:, None, :], axis=-1) / sqP + b[:, None]
        cls, mse = _test_errors(bk, yhat, yt, S)
        rec["cls"].append(cls)
        rec["mse"].append(mse)

    def advance(st, Xb, yb):
        w, b = st["w"], st["b"]
        Z = g(xp.matmul(Xb, Fb))                                                # (S, n, P) features
        for i in range(Xb.shape[1]):
            z = Z[:, i, :]
            e = yb[:, i] - xp.sum(w * z, axis=-1) / sqP - b
            if reg:
                w = (1 - eta * reg / P) * w
            w = w + (eta / sqP) * e[:, None] * z
            b = b + (eta / P) * e
        st["w"], st["b"] = w, b

    _drive(bk, _DataStreams(mixture, seed, S), steps, chunk, st, advance, record, ("w",), "RF SGD", progress)
    return RFSGDTrajectory(steps / D, np.stack(rec["w"], 1), np.stack(rec["b"], 1), np.stack(rec["cls"], 1),
                           np.stack(rec["mse"], 1))
