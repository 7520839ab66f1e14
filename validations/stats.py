r"""The few statistical assertions every claim uses (DESIGN.md section 5).

Each returns a :class:`Verdict` carrying the statistic, the prediction, the tolerance, the minimal
detectable deviation (MDD) and pass/fail; :func:`require` raises with all of them on failure.

Error rates. ``alpha`` is the designed false-failure probability of one assertion (default 1e-3);
a test making several assertions splits its alpha across them (Bonferroni).

Minimal detectable deviation. The smallest true deviation of the statistic from the prediction
that the assertion detects with probability ``POWER`` = 0.8:
MDD = (q_{1 - alpha/2} + q_{POWER}) * SE + systematic, with q the quantile of the reference
distribution (Student t for ensemble means, normal otherwise).

Systematic allowances. Where a finite-N bias or an integrator error is known to be present, its
derived bound is added to the tolerance as ``systematic`` together with a one-line reason that
the verdict carries; it is never a fudge factor.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats as sps

__all__ = ["Verdict", "require", "mean_vs_prediction", "estimate_vs_prediction", "paired_trajectory", "slope_test",
           "proportion_ci", "proportion_test", "variance_with_se", "covariance_with_se",
           "fit_coefficient_test", "ALPHA", "POWER"]

ALPHA = 1e-3
POWER = 0.8


@dataclass
class Verdict:
    """Outcome of one statistical assertion.

    Attributes
    ----------
    name : str
        What is compared.
    kind : str
        The assertion used.
    statistic : float
        Observed value (e.g. an ensemble mean, a slope).
    prediction : float
        The theory's value; for one-sided assertions (a CI above ``lower`` / below ``upper``) the bound.
    tolerance : float
        Accepted |statistic - prediction| (for interval tests: the half-width used).
    mdd : float
        Minimal detectable deviation at power ``POWER``.
    passed : bool
    alpha : float
        Designed false-failure probability of this assertion.
    details : dict
        Anything else (standard error, CI, z, systematic allowance and its reason).
    """

    name: str
    kind: str
    statistic: float
    prediction: float
    tolerance: float
    mdd: float
    passed: bool
    alpha: float
    details: dict = field(default_factory=dict)

    def message(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        det = ", ".join(f"{k}={_fmt(v)}" for k, v in self.details.items())
        return (f"[{status}] {self.name} ({self.kind}): statistic={self.statistic:.6g}, "
                f"prediction={self.prediction:.6g}, |diff|={abs(self.statistic - self.prediction):.3g}, "
                f"tolerance={self.tolerance:.3g}, MDD={self.mdd:.3g}, alpha={self.alpha:.2g}; {det}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        return {k: _jsonable(v) for k, v in d.items()}


def _fmt(v):
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    if isinstance(v, (tuple, list, np.ndarray)):
        return "(" + ", ".join(_fmt(x) for x in np.ravel(v)) + ")"
    return str(v)


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    return v


def require(verdict: Verdict) -> Verdict:
    """Raise AssertionError with the full verdict if it failed; return it otherwise."""
    if not verdict.passed:
        raise AssertionError(verdict.message())
    return verdict


def _check_alpha(alpha):
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")


def mean_vs_prediction(samples, prediction: float, *, name: str = "mean", alpha: float = ALPHA,
                       systematic: float = 0.0, systematic_reason: str = "") -> Verdict:
    """Ensemble mean equals ``prediction``: |mean - prediction| <= t_{1-alpha/2, n-1} SE + systematic.

    Parameters
    ----------
    samples : array_like, shape (n,)
        Independent replicates (e.g. one number per seed), n >= 2.
    """
    x = np.asarray(samples, dtype=float).ravel()
    _check_alpha(alpha)
    if x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError("samples must hold at least two finite values")
    if systematic < 0:
        raise ValueError("systematic must be >= 0")
    n = x.size
    mean = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(n))
    q = float(sps.t.isf(alpha / 2, n - 1))
    qp = float(sps.t.ppf(POWER, n - 1))
    tol = q * se + systematic
    det = {"n": n, "se": se, "t": (mean - prediction) / se if se > 0 else np.inf, "systematic": systematic}
    if systematic_reason:
        det["systematic_reason"] = systematic_reason
    return Verdict(name, "t-test of ensemble mean", mean, float(prediction), tol, (q + qp) * se + systematic,
                   abs(mean - prediction) <= tol, alpha, det)


def estimate_vs_prediction(estimate: float, se: float, prediction: float, *, name: str = "estimate",
                           alpha: float = ALPHA) -> Verdict:
    """z-test of an estimate with a known (large-sample) standard error: |est - pred| <= z_{1-alpha/2} SE."""
    _check_alpha(alpha)
    if not (np.isfinite(estimate) and np.isfinite(se) and se > 0):
        raise ValueError(f"estimate must be finite and se > 0, got {estimate!r}, {se!r}")
    q = float(sps.norm.isf(alpha / 2))
    return Verdict(name, "z-test (known SE)", float(estimate), float(prediction), q * se,
                   (q + float(sps.norm.ppf(POWER))) * se, abs(estimate - prediction) <= q * se, alpha,
                   {"se": float(se), "z": (estimate - prediction) / se})


def paired_trajectory(sim, theory, *, name: str = "trajectory", alpha: float = ALPHA,
                      systematic=0.0, systematic_reason: str = "") -> Verdict:
    """Mean simulated trajectory follows the theory at every recorded time.

    At each time t the paired differences d_s(t) = sim_s(t) - theory_s(t) over seeds s give a
    t statistic; the verdict passes when every |mean d(t)| <= q SE(t) + systematic(t), with q the
    Student-t quantile at alpha / n_t (Bonferroni over the n_t times).

    Parameters
    ----------
    sim, theory : array_like, shape (S, n_t)
        ``theory`` may also be (n_t,) (one prediction for all seeds).
    systematic : float or array_like of shape (n_t,)
    """
    sim = np.asarray(sim, float)
    th = np.broadcast_to(np.asarray(theory, float), sim.shape)
    _check_alpha(alpha)
    S, nt = sim.shape
    if S < 2:
        raise ValueError("need at least two seeds")
    d = sim - th
    mean = d.mean(0)
    se = d.std(0, ddof=1) / np.sqrt(S)
    q = float(sps.t.isf(alpha / (2 * nt), S - 1))
    qp = float(sps.t.ppf(POWER, S - 1))
    sysv = np.broadcast_to(np.asarray(systematic, float), (nt,))
    tol = q * se + sysv
    ratio = np.where(tol > 0, np.abs(mean) / np.where(tol > 0, tol, 1), np.where(mean == 0, 0.0, np.inf))
    j = int(np.argmax(ratio))
    det = {"worst_time_index": j, "se_at_worst": float(se[j]), "q": q, "n_times": nt, "n_seeds": S,
           "max_abs_mean_diff": float(np.abs(mean).max())}
    if systematic_reason:
        det["systematic_reason"] = systematic_reason
    return Verdict(name, "paired trajectory (Bonferroni over times)", float(mean[j]), 0.0, float(tol[j]),
                   float((q + qp) * se[j] + sysv[j]), bool(np.all(np.abs(mean) <= tol)), alpha, det)


def _interval_check(lo, hi, expected, lower, upper, point):
    """Whether a CI [lo, hi] contains ``expected`` and lies above ``lower`` / below ``upper``
    (each only if given); also the value to report as the prediction (the bound for one-sided checks)."""
    ok = True
    if expected is not None:
        ok &= lo <= expected <= hi
    if lower is not None:
        ok &= lo > lower
    if upper is not None:
        ok &= hi < upper
    centre = expected if expected is not None else (upper if upper is not None else
                                                    (lower if lower is not None else point))
    return bool(ok), float(centre)


def slope_test(x, samples, *, expected=None, lower=None, upper=None, log: bool = True,
               name: str = "slope", alpha: float = ALPHA, n_boot: int = 20000, seed: int = 0,
               statistic=np.mean) -> Verdict:
    """Slope of (log) ``statistic(samples[i])`` against (log) ``x[i]``, with a bootstrap CI.

    The CI is the percentile interval [alpha/2, 1 - alpha/2] over ``n_boot`` resamples of each
    group's replicates (seeds are independent within and across groups). The verdict passes when
    ``expected`` (if given) lies in the CI, and the CI lies above ``lower`` / below ``upper`` (if
    given): e.g. ``upper=0`` asserts a decrease that the noise cannot explain.

    Parameters
    ----------
    x : array_like, shape (G,), G >= 2
    samples : sequence of G arrays of replicates (each >= 2 values)
    """
    _check_alpha(alpha)
    x = np.asarray(x, float)
    groups = [np.asarray(s, float).ravel() for s in samples]
    if x.ndim != 1 or x.size != len(groups) or x.size < 2:
        raise ValueError("x and samples must describe at least two groups")
    if any(g.size < 2 or not np.all(np.isfinite(g)) for g in groups):
        raise ValueError("every group needs at least two finite replicates")
    X = np.log(x) if log else x
    rng = np.random.default_rng(seed)

    def fit(ys):
        Y = np.log(ys) if log else ys
        Xc = X - X.mean()
        return (Y - Y.mean(axis=-1, keepdims=True)) @ Xc / (Xc @ Xc)

    point = float(fit(np.array([statistic(g) for g in groups])))
    boots = np.empty((n_boot, len(groups)))
    for i, g in enumerate(groups):
        idx = rng.integers(0, g.size, size=(n_boot, g.size))
        boots[:, i] = statistic(g[idx], axis=1)
    if log and np.any(boots <= 0):
        raise ValueError("log-log slope needs positive group statistics")
    bs = fit(boots)
    lo, hi = (float(v) for v in np.quantile(bs, [alpha / 2, 1 - alpha / 2]))
    ok, centre = _interval_check(lo, hi, expected, lower, upper, point)
    half = 0.5 * (hi - lo)
    zq = sps.norm.isf(alpha / 2)
    mdd = half * (zq + sps.norm.ppf(POWER)) / zq
    det = {"ci": (lo, hi), "boot_se": float(bs.std(ddof=1)), "n_boot": n_boot, "x": x, "group_stats":
           np.array([statistic(g) for g in groups]), "lower": lower, "upper": upper}
    return Verdict(name, ("log-log " if log else "") + "slope with bootstrap CI", point, centre,
                   half, float(mdd), bool(ok), alpha, det)


def proportion_ci(k: int, n: int, alpha: float = ALPHA):
    """Exact (Clopper--Pearson) two-sided 1 - alpha interval for a binomial proportion k/n."""
    _check_alpha(alpha)
    if not (0 <= k <= n) or n < 1:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    lo = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(sps.beta.isf(alpha / 2, k + 1, n - k))
    return lo, hi


def proportion_test(k: int, n: int, *, p0=None, lower=None, upper=None, name: str = "proportion",
                    alpha: float = ALPHA) -> Verdict:
    """Binomial proportion: ``p0`` inside the exact CI, and/or CI above ``lower`` / below ``upper``."""
    lo, hi = proportion_ci(k, n, alpha)
    phat = k / n
    ok, centre = _interval_check(lo, hi, p0, lower, upper, phat)
    se = np.sqrt(max(phat * (1 - phat), 1.0 / n) / n)
    mdd = (sps.norm.isf(alpha / 2) + sps.norm.ppf(POWER)) * se
    return Verdict(name, "exact binomial (Clopper-Pearson)", phat, float(centre), 0.5 * (hi - lo), float(mdd),
                   bool(ok), alpha, {"k": k, "n": n, "ci": (lo, hi), "lower": lower, "upper": upper})


def variance_with_se(samples, axis: int = 0):
    """Unbiased variance of ``samples`` along ``axis`` and its standard error (delta method).

    SE^2 = (m4 - s^4 (B - 3)/(B - 1)) / B with m4 the fourth central moment (exact for the
    sampling variance of s^2 up to O(1/B^2)).
    """
    x = np.asarray(samples, float)
    B = x.shape[axis]
    if B < 4:
        raise ValueError("need at least four samples for the variance's standard error")
    d = x - x.mean(axis=axis, keepdims=True)
    s2 = (d**2).sum(axis=axis) / (B - 1)
    m4 = (d**4).mean(axis=axis)
    return s2, np.sqrt(np.maximum(m4 - s2**2 * (B - 3) / (B - 1), 0.0) / B)


def covariance_with_se(a, b):
    """Sample covariance of paired samples a, b (shape (B,)) and its standard error (delta method)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    B = a.size
    da, db = a - a.mean(), b - b.mean()
    prod = da * db
    c = prod.sum() / (B - 1)
    return float(c), float(prod.std(ddof=1) / np.sqrt(B))


def fit_coefficient_test(x, y, se, *, degree: int, coef: int, expected: float, name: str = "coefficient",
                         alpha: float = ALPHA) -> Verdict:
    """Weighted polynomial fit y = sum_k c_k x^k (k <= degree) with known SEs; z-test of c_coef.

    Used for finite-size scaling in x = 1/n: the intercept (coef=0) is the infinite-width value,
    the slope (coef=1) the 1/n correction. The coefficient's covariance (A^T W A)^-1 is inflated by
    the reduced chi^2 when that exceeds 1 (the fit then says its model is incomplete).
    """
    x, y, se = (np.asarray(a, float) for a in (x, y, se))
    if not (x.shape == y.shape == se.shape) or x.ndim != 1 or x.size < degree + 2:
        raise ValueError("x, y, se must be 1-D of equal length > degree + 1")
    if np.any(se <= 0):
        raise ValueError("standard errors must be > 0")
    A = np.vander(x, degree + 1, increasing=True)
    Wt = 1.0 / se**2
    cov = np.linalg.inv(A.T @ (A * Wt[:, None]))
    c = cov @ (A.T @ (Wt * y))
    resid = (y - A @ c) / se
    dof = x.size - degree - 1
    chi2_red = float(resid @ resid / dof)
    cov = cov * max(1.0, chi2_red)
    sd = float(np.sqrt(cov[coef, coef]))
    q = float(sps.norm.isf(alpha / 2))
    tol = q * sd
    return Verdict(name, f"weighted degree-{degree} fit, z-test of coefficient {coef}", float(c[coef]),
                   float(expected), tol, (q + float(sps.norm.ppf(POWER))) * sd, abs(c[coef] - expected) <= tol, alpha,
                   {"coefficients": c, "se": sd, "chi2_red": chi2_red, "dof": dof})
