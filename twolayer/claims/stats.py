r"""The statistical assertions every claim uses, calibrated at every seed.

Each assertion returns a :class:`Verdict`: the statistic, the prediction, the tolerance, the
minimal detectable deviation (MDD), pass/fail, a p-value where the assertion has one, and the
*decision rule* (``Verdict.rule``): a small JSON-able record from which :func:`decide` reproduces
pass/fail at any other prediction. The pass/fail of the claim and of every shifted prediction
(the power audit) come from that one function, so they cannot disagree.

Error rates
    ``ALPHA`` is the designed false-failure probability of one claim (one test function); a claim
    making several assertions splits it over them (Bonferroni). A plain run holds at most
    ``CLAIM_BUDGET`` claims, so the whole run fails by chance with probability at most
    ``SUITE_ALPHA`` = ``CLAIM_BUDGET`` x ``ALPHA`` = 1 % (union bound); the plugin (:mod:`twolayer.claims.plugin`)
    counts the claims of each run and refuses a run that holds more.

Kinds of null (``Verdict.null``)
    ``"point"``
        a two-sided test of one number (ensemble mean, slope, fit coefficient, proportion); its
        p-value is uniform under the null (exact for t and z tests with normal data; mid-p for
        large binomial counts), and ``Verdict.p_exact`` says so.
    ``"family"``
        a two-sided test of several numbers at once (a trajectory, a set of moments), Bonferroni
        over them: its p-value min(1, m min_i p_i) is conservative (super-uniform).
    ``"one-sided"``
        the claim is an inequality (theta <= bound, or >=). It fails only on evidence *against*
        the claim: the estimate beyond the bound by more than the one-sided quantile. Its power
        is stated the other way round: a true value beyond the bound by the MDD is rejected with
        probability ``POWER``.
    ``"gof"``
        a chi^2 goodness-of-fit test of a finite-size fit: it fails when the fitted model (e.g.
        a + b/n) misses a next order that the data resolve.
    ``"deterministic"``
        an exact agreement or a derived bound on a number that is not random (round-off, a
        certificate); the MDD is the tolerance itself, detected with certainty.
    ``"control"``
        a negative control: passes when the wrapped assertion rejects a prediction known to be
        wrong.

Minimal detectable deviation
    The smallest true deviation of the statistic from the prediction that the assertion detects
    with probability ``POWER`` = 0.8: MDD = (q_{1 - alpha/2} + q_{POWER}) SE + systematic (q the
    quantile of the reference distribution: Student t with the test's degrees of freedom, or the
    normal); one-sided tests use q_{1 - alpha}.

Systematic allowances
    Where a finite-N bias or an integrator error is known to be present, its derived bound is
    added to the tolerance as ``systematic`` with a one-line reason that the verdict carries; it
    is never a fudge factor. Such a test is conservative, and its p-value is computed from the
    deviation beyond the allowance.

Shifts (the power audit)
    :func:`shifted_decisions` evaluates the rule at the prediction moved by +-MDD and by +-5 %
    (relative); the audit runner (``python -m validations.audit``) collects them over seeds. The
    environment variable ``TWOLAYER_SHIFT`` (``mdd``, ``-mdd``, ``rel:0.05``, ``rel:-0.05``) or
    :func:`set_shift` makes every verdict *decide* at the shifted prediction, so a claim can be
    seen to fail under it. A shift moves the prediction and never the data.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats as sps

__all__ = ["Verdict", "require", "decide", "shifted_decisions", "set_shift", "active_shift", "binomial_mdd",
           "mean_vs_prediction", "estimate_vs_prediction", "paired_trajectory", "family_test", "one_sided_test",
           "slope_test", "proportion_ci", "proportion_test", "fit_coefficient_test", "fit_goodness_test",
           "replicate_fit_test", "replicate_fit_goodness_test",
           "exact_agreement", "deterministic_bound", "negative_control", "variance_with_se", "covariance_with_se",
           "gaussian_covariance_test",
           "ALPHA", "POWER", "SUITE_ALPHA", "CLAIM_BUDGET", "STANDARD_SHIFTS"]

SUITE_ALPHA = 0.01
CLAIM_BUDGET = 100
ALPHA = SUITE_ALPHA / CLAIM_BUDGET
POWER = 0.8
#: the shifts every verdict is evaluated at (label -> (kind, value))
STANDARD_SHIFTS = {"+mdd": ("mdd", 1.0), "-mdd": ("mdd", -1.0), "+5%": ("rel", 0.05), "-5%": ("rel", -0.05)}


@dataclass
class Verdict:
    """Outcome of one statistical assertion.

    Attributes
    ----------
    name : str
        What is compared.
    kind : str
        The assertion used, in words.
    statistic : float
        Observed value (an ensemble mean, a slope, a proportion; for families the worst element).
    prediction : float
        The theory's value; for one-sided assertions the bound.
    tolerance : float
        Accepted |statistic - prediction| (one-sided: accepted excess beyond the bound).
    mdd : float
        Minimal detectable deviation at power ``POWER``.
    passed : bool
    alpha : float
        Designed false-failure probability of this assertion.
    details : dict
        Anything else (standard error, CI, degrees of freedom, systematic allowance and reason).
    null : str
        ``"point"``, ``"family"``, ``"one-sided"``, ``"gof"``, ``"deterministic"`` or ``"control"``.
    p_value : float or None
        Probability under the null of a deviation at least this large (None where no null
        distribution exists: deterministic checks and controls).
    p_exact : bool
        Whether ``p_value`` is uniform under the null (else it is conservative).
    rule : dict
        The decision rule (see :func:`decide`).
    pit : float or None
        For point nulls, the probability integral transform of the signed statistic (e.g.
        F_t((est - pred)/SE)): uniform on (0, 1) under the null. The audit tests its uniformity,
        its mean (a bias) and its spread (a wrong SE) over seeds.
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
    null: str = "point"
    p_value: float | None = None
    p_exact: bool = False
    rule: dict = field(default_factory=dict)
    pit: float | None = None

    def message(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        det = ", ".join(f"{k}={_fmt(v)}" for k, v in self.details.items() if k != "shifted")
        p = "" if self.p_value is None else f", p={self.p_value:.3g}"
        return (f"[{status}] {self.name} ({self.kind}, {self.null}): statistic={self.statistic:.6g}, "
                f"prediction={self.prediction:.6g}, |diff|={abs(self.statistic - self.prediction):.3g}, "
                f"tolerance={self.tolerance:.3g}, MDD={self.mdd:.3g}, alpha={self.alpha:.2g}{p}; {det}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        d["rule"] = {k: _jsonable(v) for k, v in self.rule.items()}
        return {k: _jsonable(v) for k, v in d.items()}


def _fmt(v):
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    if isinstance(v, (tuple, list, np.ndarray)):
        return "(" + ", ".join(_fmt(x) for x in np.ravel(v)) + ")"
    return str(v)


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, (np.floating, float)):
        v = float(v)
        return v if math.isfinite(v) else (None if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, np.integer):
        return v.item()
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


def require(verdict: Verdict) -> Verdict:
    """Raise AssertionError with the full verdict if it failed; return it otherwise."""
    if not verdict.passed:
        raise AssertionError(verdict.message())
    return verdict


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not (0 < alpha < 1):
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")


# ------------------------------------------------------------------------------------------------
# decision rules: decide(rule, prediction) is the only place a verdict's pass/fail is computed
# ------------------------------------------------------------------------------------------------
def _num(x):
    return np.asarray(x, float) if isinstance(x, (list, tuple, np.ndarray)) else float(x)


def _binom_tails(k, n, p):
    """(P(X >= k), P(X <= k)) for X ~ Bin(n, p)."""
    return float(sps.binom.sf(k - 1, n, p)), float(sps.binom.cdf(k, n, p))


def decide(rule: dict, prediction) -> bool:
    """Pass/fail of a verdict's rule at ``prediction`` (scalar, or per element for families).

    Rule types: ``family`` (|est - pred| <= q se + sys for every element), ``one_sided`` (the
    estimate not beyond the bound by more than q se), ``binomial`` (exact Clopper-Pearson),
    ``wishart`` (exact two-sided chi^2 test of one Gaussian (co)variance, see
    ``gaussian_covariance_test``),
    ``chi2`` (goodness of fit; the prediction is not used), ``bound`` (deterministic:
    pred + lo <= est <= pred + hi) and ``control`` (passes when the inner rule fails at the
    inner prediction).
    """
    t = rule["type"]
    if t == "family":
        est, se, sysv = (_arr(rule[k]) for k in ("est", "se", "sys"))
        return bool(np.all(np.abs(est - np.asarray(prediction, float)) <= rule["q"] * se + sysv))
    if t == "one_sided":
        excess = (rule["est"] - prediction) if rule["side"] == "<=" else (prediction - rule["est"])
        return bool(excess <= rule["q"] * rule["se"])
    if t == "binomial":
        k, n, a = rule["k"], rule["n"], rule["alpha"]
        p = min(max(float(prediction), 0.0), 1.0)
        ge, le = _binom_tails(k, n, p)
        if rule["side"] == "=":
            return bool(ge >= a / 2 and le >= a / 2)
        return bool((ge if rule["side"] == "<=" else le) >= a)
    if t == "chi2":
        return bool(sps.chi2.sf(rule["stat"], rule["dof"]) >= rule["alpha"])
    if t == "wishart":
        stat = _wishart_stat(rule, prediction)
        a, dof = rule["alpha"], rule["n"] - 1
        return bool(np.isfinite(stat) and sps.chi2.cdf(stat, dof) >= a / 2 and sps.chi2.sf(stat, dof) >= a / 2)
    if t == "bound":
        lo, hi, e = (_arr(rule[k]) for k in ("lo", "hi", "est"))
        p = np.asarray(prediction, float)
        return bool(np.all((p + lo <= e) & (e <= p + hi)))
    if t == "control":
        return not decide(rule["inner"], rule["inner_prediction"])
    raise ValueError(f"unknown rule type {t!r}")


def _arr(v):
    """A rule's number or list as a float array ("inf"/"-inf" strings after a JSON round trip included)."""
    if isinstance(v, np.ndarray):
        return v.astype(float)
    return np.asarray(v, dtype=object).astype(float) if isinstance(v, list) else np.asarray(float(v))


def _rule_mdd(rule):
    """Per-element MDD of a rule (array for families)."""
    t = rule["type"]
    if t == "family":
        return (rule["q"] + rule["qp"]) * _arr(rule["se"]) + _arr(rule["sys"])
    if t == "one_sided":
        return (rule["q"] + rule["qp"]) * rule["se"]
    if t in ("binomial", "wishart"):
        return rule["mdd"]
    if t == "bound":
        lo, hi = np.abs(_arr(rule["lo"])), _arr(rule["hi"])
        return np.where(np.isfinite(hi), np.where(np.isfinite(lo), np.maximum(lo, hi), hi),
                        np.where(np.isfinite(lo), lo, 0.0))
    return None


def shifted_prediction(rule: dict, prediction, shift):
    """``prediction`` moved by ``shift`` = ("mdd", +-1) | ("rel", r) | ("bound", value); None when the
    shift does not apply to the rule (goodness of fit, controls; MDD shifts of one-sided rules,
    whose truth is not at the bound: the audit supplies ("bound", pooled estimate -+ MDD))."""
    kind, val = shift
    t = rule["type"]
    if t in ("chi2", "control"):
        return None
    pred = _num(prediction)
    if kind == "rel":
        out = pred * (1.0 + val)
        return min(max(out, 0.0), 1.0) if t == "binomial" else out
    if kind == "mdd":
        # one-sided: the truth is not at the bound; deterministic: a deviation beyond the tolerance
        # fails with certainty, and one of exactly the tolerance sits on the boundary
        if t in ("one_sided", "bound") or (t == "binomial" and rule["side"] != "="):
            return None
        out = pred + val * _rule_mdd(rule)
        return min(max(out, 0.0), 1.0) if t == "binomial" else out
    if kind == "bound":
        return float(val)
    raise ValueError(f"unknown shift kind {kind!r}")


def shifted_decisions(rule: dict, prediction) -> dict:
    """{label: pass/fail or None} at the ``STANDARD_SHIFTS`` of ``prediction``."""
    out = {}
    for label, shift in STANDARD_SHIFTS.items():
        p = shifted_prediction(rule, prediction, shift)
        out[label] = None if p is None else decide(rule, p)
    return out


_SHIFT = None


def _parse_shift(spec):
    if spec in (None, "", "none"):
        return None
    s = str(spec).strip().lower()
    if s in ("mdd", "+mdd"):
        return ("mdd", 1.0)
    if s == "-mdd":
        return ("mdd", -1.0)
    if s.startswith("rel:"):
        try:
            return ("rel", float(s[4:]))
        except ValueError:
            pass
    raise ValueError(f"TWOLAYER_SHIFT must be 'mdd', '-mdd' or 'rel:<fraction>', got {spec!r}")


def set_shift(spec) -> None:
    """Make every later verdict decide at its prediction shifted by ``spec`` ('mdd', '-mdd',
    'rel:0.05', ...; None to stop). The data are never touched."""
    global _SHIFT
    _SHIFT = _parse_shift(spec)


def active_shift():
    """The shift in force, as (kind, value), or None."""
    return _SHIFT


_SHIFT = _parse_shift(os.environ.get("TWOLAYER_SHIFT"))


def _verdict(name, kind, rule, statistic, prediction, tolerance, mdd, alpha, details, null, p_value, p_exact,
             shown_prediction=None, pit=None):
    """Build a Verdict whose pass/fail is ``decide(rule, prediction)`` (or at the active shift).

    ``prediction`` is what the rule is decided at (an array for families); ``shown_prediction``
    the number reported beside the statistic (default: ``prediction``)."""
    details = dict(details)
    passed = decide(rule, prediction)
    if _SHIFT is not None and null not in ("gof", "control"):
        p = shifted_prediction(rule, prediction, _SHIFT)
        details["shift"] = f"{_SHIFT[0]}:{_SHIFT[1]:+g}" + ("" if p is not None else " (not applicable)")
        if p is not None:
            passed = decide(rule, p)
    if null not in ("gof", "control"):
        details["shifted"] = shifted_decisions(rule, prediction)
    rule = dict(rule, prediction=_jsonable(np.asarray(prediction, float) if np.ndim(prediction) else float(prediction)))
    shown = prediction if shown_prediction is None else shown_prediction
    return Verdict(name, kind, float(statistic), float(np.mean(shown)), float(tolerance), float(mdd), bool(passed),
                   float(alpha), details, null, None if p_value is None else float(p_value), bool(p_exact), rule,
                   None if pit is None else float(pit))


def _quantiles(alpha, df, two_sided=True):
    a = alpha / 2 if two_sided else alpha
    if df is None or not np.isfinite(df):
        return float(sps.norm.isf(a)), float(sps.norm.ppf(POWER))
    return float(sps.t.isf(a, df)), float(sps.t.ppf(POWER, df))


def _sf(z, df):
    return float(sps.norm.sf(z) if df is None or not np.isfinite(df) else sps.t.sf(z, df))


def _aligned(name, first, *others):
    """``first`` as a non-empty 1-D float array and every other argument broadcast to its shape."""
    a = np.atleast_1d(np.asarray(first, float))
    if a.ndim != 1 or a.size < 1:
        raise ValueError(f"{name}: the statistic must be a number or a non-empty 1-D array, got shape {a.shape}")
    try:
        return (a, *(np.broadcast_to(np.asarray(o, float), a.shape).astype(float) for o in others))
    except ValueError:
        raise ValueError(f"{name}: predictions, SEs and bounds must be scalars or have the statistic's shape "
                         f"{a.shape}") from None


def family_test(estimates, predictions, ses, *, name: str = "family", alpha: float = ALPHA, df=None,
                systematic=0.0, systematic_reason: str = "", kind: str | None = None, details=None) -> Verdict:
    """Every |estimate_i - prediction_i| <= q se_i + systematic_i, q at alpha / m (Bonferroni).

    One element is the ordinary two-sided z (``df=None``) or t test, with a p-value uniform under
    the null when ``systematic`` is 0; with m > 1 the p-value min(1, m min_i p_i) is
    conservative.

    Parameters
    ----------
    estimates, predictions, ses : array_like, shape (m,)
        ``predictions`` may be a scalar.
    df : float, optional
        Degrees of freedom of the t reference distribution (None: normal).
    systematic : float or array_like of shape (m,)
        Derived allowances added to the tolerances.
    """
    _check_alpha(alpha)
    est, pred, se, sysv = _aligned(name, estimates, predictions, ses, systematic)
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(pred))):
        raise ValueError(f"{name}: estimates and predictions must be finite")
    if np.any(~np.isfinite(se)) or np.any(se < 0) or np.any(sysv < 0):
        raise ValueError(f"{name}: standard errors and systematic allowances must be finite and >= 0")
    m = est.size
    q, qp = _quantiles(alpha / m, df)
    dev = np.abs(est - pred)
    excess = np.maximum(dev - sysv, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, excess / np.where(se > 0, se, 1.0), np.where(excess > 0, np.inf, 0.0))
    p_el = np.array([2 * _sf(zi, df) if np.isfinite(zi) else 0.0 for zi in z])
    p = float(min(1.0, m * p_el.min()))
    tol = q * se + sysv
    ratio = np.where(tol > 0, dev / np.where(tol > 0, tol, 1.0), np.where(dev == 0, 0.0, np.inf))
    j = int(np.argmax(ratio))
    det = dict(details or {})
    if m == 1:
        det.update(se=float(se[0]), z=float((est[0] - pred[0]) / se[0]) if se[0] > 0 else np.inf)
    else:
        det.update(worst_index=j, se_at_worst=float(se[j]), n_elements=m, max_abs_diff=float(dev.max()))
    if df is not None:
        det["df"] = float(df)
    if np.any(sysv > 0):
        det["systematic"] = float(sysv[j])
        if systematic_reason:
            det["systematic_reason"] = systematic_reason
    rule = {"type": "family", "est": est, "se": se, "sys": sysv, "q": q, "qp": qp, "df": df}
    exact = m == 1 and not np.any(sysv > 0)
    pit = None
    if exact and se[0] > 0:
        zs = (est[0] - pred[0]) / se[0]
        pit = float(sps.norm.cdf(zs) if df is None or not np.isfinite(df) else sps.t.cdf(zs, df))
    return _verdict(name, kind or ("z-test" if df is None else "t-test") + ("" if m == 1 else f", Bonferroni over {m}"),
                    rule, est[j], pred if m > 1 else pred[0], tol[j], (q + qp) * se[j] + sysv[j], alpha, det,
                    "point" if m == 1 else "family", p, exact, shown_prediction=pred[j], pit=pit)


def mean_vs_prediction(samples, prediction, *, name: str = "mean", alpha: float = ALPHA,
                       systematic: float = 0.0, systematic_reason: str = "") -> Verdict:
    """Ensemble mean equals ``prediction``: |mean - prediction| <= t_{1-alpha/2, n-1} SE + systematic.

    Parameters
    ----------
    samples : array_like, shape (n,)
        Independent replicates (e.g. one number per seed), n >= 2.
    prediction : float or array_like, shape (n,)
        One prediction for all replicates, or one per replicate (a paired test of
        mean(samples - prediction) = 0; the reported prediction is the mean of them).
    """
    x = np.asarray(samples, dtype=float).ravel()
    _check_alpha(alpha)
    if x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: samples must hold at least two finite values")
    pr = np.asarray(prediction, float)
    if pr.ndim and pr.size != x.size:
        raise ValueError(f"{name}: prediction must be a scalar or have one value per sample ({x.size}), got {pr.shape}")
    pr = np.broadcast_to(pr.ravel() if pr.ndim else pr, x.shape)
    if not np.all(np.isfinite(pr)):
        raise ValueError(f"{name}: prediction must be finite")
    if systematic < 0:
        raise ValueError(f"{name}: systematic must be >= 0")
    n = x.size
    d = x - pr
    se = float(d.std(ddof=1) / np.sqrt(n))
    v = family_test([x.mean()], [pr.mean()], [se], name=name, alpha=alpha, df=n - 1, systematic=systematic,
                    systematic_reason=systematic_reason, kind="t-test of ensemble mean", details={"n": n})
    return v


def estimate_vs_prediction(estimate: float, se: float, prediction: float, *, name: str = "estimate",
                           alpha: float = ALPHA) -> Verdict:
    """z-test of an estimate with a known (large-sample) standard error: |est - pred| <= z_{1-alpha/2} SE."""
    if not (np.isfinite(estimate) and np.isfinite(se) and se > 0):
        raise ValueError(f"{name}: estimate must be finite and se > 0, got {estimate!r}, {se!r}")
    return family_test([estimate], [prediction], [se], name=name, alpha=alpha, kind="z-test (known SE)")


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
    if sim.ndim != 2:
        raise ValueError(f"{name}: sim must be (seeds, times), got shape {sim.shape}")
    th = np.broadcast_to(np.asarray(theory, float), sim.shape)
    S, nt = sim.shape
    if S < 2:
        raise ValueError(f"{name}: need at least two seeds")
    d = sim - th
    se = d.std(0, ddof=1) / np.sqrt(S)
    v = family_test(sim.mean(0), th.mean(0), se, name=name, alpha=alpha, df=S - 1, systematic=systematic,
                    systematic_reason=systematic_reason, kind="paired trajectory (Bonferroni over times)",
                    details={"n_seeds": S, "n_times": nt})
    return v


def one_sided_test(estimate: float, se: float, bound: float, side: str, *, name: str = "one-sided",
                   alpha: float = ALPHA, df=None, details=None) -> Verdict:
    """Claim theta <= bound (``side="<="``) or theta >= bound (``">="``); fails only on evidence against it.

    Rejects when the estimate lies beyond the bound by more than q_{1-alpha} SE (t with ``df``
    or normal). MDD = (q_{1-alpha} + q_POWER) SE: a true value that far beyond the bound is
    rejected with probability ``POWER``.
    """
    _check_alpha(alpha)
    if side not in ("<=", ">="):
        raise ValueError(f"{name}: side must be '<=' or '>=', got {side!r}")
    if not (np.isfinite(estimate) and np.isfinite(bound) and np.isfinite(se) and se > 0):
        raise ValueError(f"{name}: estimate and bound must be finite and se > 0, got {estimate!r}, {bound!r}, {se!r}")
    q, qp = _quantiles(alpha, df, two_sided=False)
    z = (estimate - bound) / se if side == "<=" else (bound - estimate) / se
    det = dict(details or {}, se=float(se), z=float(z), side=side)
    if df is not None:
        det["df"] = float(df)
    rule = {"type": "one_sided", "est": float(estimate), "se": float(se), "q": q, "qp": qp, "side": side, "df": df}
    return _verdict(name, f"one-sided {'z' if df is None else 't'}-test (claim {side} bound)", rule, estimate, bound,
                    q * se, (q + qp) * se, alpha, det, "one-sided", _sf(z, df), False)


# ------------------------------------------------------------------------------------------------
# slopes and fits
# ------------------------------------------------------------------------------------------------
def _group_stat_and_se(g, statistic):
    """Statistic of one group of replicates and its standard error (exact for the mean, else jackknife)."""
    n = g.size
    if statistic is None:
        return float(g.mean()), float(g.std(ddof=1) / np.sqrt(n))
    full = float(statistic(g))
    loo = np.empty(n)
    for lo in range(0, n, 256):             # leave-one-out values, in row blocks to bound memory
        hi = min(n, lo + 256)
        rows = np.broadcast_to(g, (hi - lo, n)).copy()
        mask = np.ones((hi - lo, n), bool)
        mask[np.arange(hi - lo), np.arange(lo, hi)] = False
        loo[lo:hi] = statistic(rows[mask].reshape(hi - lo, n - 1), axis=1)
    se = float(np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))
    return full, se


def slope_test(x, samples, *, expected=None, lower=None, upper=None, log: bool = True,
               name: str = "slope", alpha: float = ALPHA, statistic=None, correction: float | None = None) -> Verdict:
    """Slope of (log) ``statistic(samples[i])`` against (log) ``x[i]``: a t-test with Welch degrees of freedom.

    Per group i: the statistic s_i (the mean by default; any smooth ``statistic(a, axis=...)``
    with a jackknife SE) and its standard error; with ``log`` the delta method gives
    SE(log s_i) = SE(s_i)/s_i. The slope is the ordinary least-squares b = sum_i c_i Y_i with
    c_i = (X_i - mean X)/S_xx, so Var b = sum_i c_i^2 SE_i^2 exactly (groups independent); its
    reference distribution is Student t with the Welch-Satterthwaite degrees of freedom
    (sum c_i^2 SE_i^2)^2 / sum (c_i^4 SE_i^4 / (n_i - 1)).

    ``correction=p`` adds the next order of a finite-size expansion: Y = a + b X + d x^{-p}
    (e.g. p = 1 for an O(1/n) correction to a power law), so that b is the asymptotic exponent;
    c is then the row of the least-squares pseudo-inverse that gives b, and Var b and the
    degrees of freedom follow in the same way (the price is a larger SE).

    Exactly one of:
    ``expected``
        two-sided point null b = expected (p-value uniform under the null);
    ``lower`` / ``upper``
        one-sided claim b >= lower / b <= upper, failing only on evidence against it.

    Parameters
    ----------
    x : array_like, shape (G,), G >= 2 (G >= 3 recommended)
    samples : sequence of G arrays of replicates (each >= 2 values)
    """
    _check_alpha(alpha)
    x = np.asarray(x, float)
    groups = [np.asarray(s, float).ravel() for s in samples]
    if x.ndim != 1 or x.size != len(groups) or x.size < 2:
        raise ValueError(f"{name}: x and samples must describe at least two groups")
    if any(g.size < 2 or not np.all(np.isfinite(g)) for g in groups):
        raise ValueError(f"{name}: every group needs at least two finite replicates")
    given = [v is not None for v in (expected, lower, upper)]
    if sum(given) != 1:
        raise ValueError(f"{name}: give exactly one of expected, lower, upper")
    if log and np.any(x <= 0):
        raise ValueError(f"{name}: a log-log slope needs x > 0")
    st = np.array([_group_stat_and_se(g, statistic) for g in groups])
    s, se = st[:, 0], st[:, 1]
    if log:
        if np.any(s <= 0):
            raise ValueError(f"{name}: a log-log slope needs positive group statistics, got {s}")
        X, Y, seY = np.log(x), np.log(s), se / s
    else:
        X, Y, seY = x, s, se
    if correction is None:
        Xc = X - X.mean()
        c = Xc / (Xc @ Xc)
    else:
        if x.size < 4:
            raise ValueError(f"{name}: a slope with a correction term needs at least four groups")
        A = np.column_stack([np.ones_like(X), X, x ** (-float(correction))])
        c = np.linalg.pinv(A)[1]
    b, se_b, df = _welch_contrast(c, Y, seY, [g.size for g in groups], name)
    det = {"x": x, "group_stats": s, "group_se": se, "slope_se": se_b}
    label = ("log-log " if log else "") + "slope (OLS, Welch t)"
    if correction is not None:
        det["correction_exponent"] = float(correction)
        label += f" with an x^-{correction:g} correction"
    if expected is not None:
        return family_test([b], [expected], [se_b], name=name, alpha=alpha, df=df, kind=label, details=det)
    side, bound = (">=", lower) if lower is not None else ("<=", upper)
    return one_sided_test(b, se_b, bound, side, name=name, alpha=alpha, df=df, details=det)


def _welch_contrast(c, y, se, sizes, name):
    """(sum c_i y_i, its SE, Welch-Satterthwaite degrees of freedom) for independent group
    estimates y_i with SEs se_i from sizes[i] replicates each."""
    c, y, se = (np.asarray(a, float) for a in (c, y, se))
    var_terms = c**2 * se**2
    total = float(np.sqrt(var_terms.sum()))
    if total <= 0:
        raise ValueError(f"{name}: the standard error is zero (constant groups)")
    dfs = np.asarray(sizes, float) - 1
    df = float(var_terms.sum() ** 2 / np.sum(var_terms**2 / dfs))
    return float(c @ y), total, df


def _replicate_groups(x, samples, degree, name):
    x = np.asarray(x, float)
    groups = [np.asarray(g, float).ravel() for g in samples]
    if x.ndim != 1 or x.size != len(groups) or x.size < degree + 2:
        raise ValueError(f"{name}: x and samples must describe more than degree + 1 = {degree + 1} groups")
    if any(g.size < 2 or not np.all(np.isfinite(g)) for g in groups) or not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: x must be finite and every group needs at least two finite replicates")
    means = np.array([g.mean() for g in groups])
    ses = np.array([g.std(ddof=1) / np.sqrt(g.size) for g in groups])
    return x, groups, means, ses, np.vander(x, degree + 1, increasing=True)


def replicate_fit_test(x, samples, *, degree: int, coef: int, expected: float, name: str = "coefficient",
                       alpha: float = ALPHA) -> Verdict:
    """OLS polynomial fit of group means y_i = sum_k c_k x_i^k (k <= degree); Welch t-test of c_coef.

    For groups of independent replicates (e.g. a theory evaluated with independent Monte-Carlo
    seeds) whose SEs are *estimated* from few replicates: c_coef = sum_i L_i ybar_i with L the
    row of the least-squares pseudo-inverse, Var = sum_i L_i^2 s_i^2 / n_i exactly (groups
    independent), and the reference distribution is Student t with the Welch-Satterthwaite
    degrees of freedom -- the z-test of :func:`fit_coefficient_test` would treat these SEs as
    known and reject too often.

    Parameters
    ----------
    x : array_like, shape (G,), G > degree + 1
    samples : sequence of G arrays of replicates (each >= 2 values)
    """
    _check_alpha(alpha)
    x, groups, means, ses, A = _replicate_groups(x, samples, degree, name)
    L = np.linalg.pinv(A)[coef]
    b, se_b, df = _welch_contrast(L, means, ses, [g.size for g in groups], name)
    return family_test([b], [expected], [se_b], name=name, alpha=alpha, df=df,
                       kind=f"OLS degree-{degree} fit of replicate means, Welch t of coefficient {coef}",
                       details={"coefficients": np.linalg.pinv(A) @ means, "x": x, "y": means, "y_se": ses,
                                "replicates": [g.size for g in groups]})


def replicate_fit_goodness_test(x, samples, *, degree: int, name: str = "fit", alpha: float = ALPHA) -> Verdict:
    """Whether the degree-``degree`` polynomial fits the group means: Welch t-tests of the residual contrasts.

    The k = G - degree - 1 orthonormal contrasts n_j orthogonal to the polynomial's columns have
    mean 0 under the model; each is tested by a Welch t (Bonferroni over k; with k = 1, e.g. a
    line through three points, the test is the single t-test of the curvature contrast). Fails
    when a next order is resolved.
    """
    _check_alpha(alpha)
    x, groups, means, ses, A = _replicate_groups(x, samples, degree, name)
    q, _ = np.linalg.qr(np.column_stack([A, np.eye(x.size)]))
    basis = q[:, degree + 1:x.size].T                      # (k, G), orthogonal to the columns of A
    stats = [_welch_contrast(n, means, ses, [g.size for g in groups], name) for n in basis]
    vals, sds, dfs = (np.array(a) for a in zip(*stats))
    return family_test(vals, 0.0, sds, name=f"{name}: goodness of the degree-{degree} fit", alpha=alpha,
                       df=float(dfs.min()), kind="Welch t of the residual contrasts",
                       details={"x": x, "y": means, "y_se": ses, "contrast_df": dfs})


def _weighted_fit(x, y, se, degree):
    x, y, se = (np.asarray(a, float) for a in (x, y, se))
    if not (x.shape == y.shape == se.shape) or x.ndim != 1 or x.size < degree + 2:
        raise ValueError("x, y, se must be 1-D of equal length > degree + 1")
    if np.any(se <= 0) or not np.all(np.isfinite(np.r_[x, y, se])):
        raise ValueError("x, y must be finite and standard errors > 0")
    A = np.vander(x, degree + 1, increasing=True)
    Wt = 1.0 / se**2
    cov = np.linalg.inv(A.T @ (A * Wt[:, None]))
    c = cov @ (A.T @ (Wt * y))
    resid = (y - A @ c) / se
    return c, cov, float(resid @ resid), x.size - degree - 1


def fit_coefficient_test(x, y, se, *, degree: int, coef: int, expected: float, name: str = "coefficient",
                         alpha: float = ALPHA) -> Verdict:
    """Weighted polynomial fit y = sum_k c_k x^k (k <= degree) with known SEs; z-test of c_coef.

    Used for finite-size scaling in x = 1/n: the intercept (coef=0) is the infinite-width value,
    the slope (coef=1) the 1/n correction. The SEs of y are taken as known (each from many
    members), so the coefficient's covariance is (A^T W A)^-1 and the z-test is exact when the
    model holds; whether it holds is :func:`fit_goodness_test`'s job (the reduced chi^2 is
    reported here too).

    ``expected`` may also be an array of shape (G,): a paired prediction per point (e.g. each
    member's own infinite-width trajectory), with ``se`` the SEs of the paired differences; the
    prediction is then the same fit's coefficient of ``expected``, so that a shift of the
    prediction moves it linearly.
    """
    ex = np.asarray(expected, float)
    if ex.ndim:
        if ex.shape != np.shape(y):
            raise ValueError(f"{name}: a per-point expected must have the shape of y, got {ex.shape}")
        c_ex, _, _, _ = _weighted_fit(x, ex, se, degree)
        expected = float(c_ex[coef])
    c, cov, chi2, dof = _weighted_fit(x, np.asarray(y, float) - (ex if ex.ndim else 0.0), se, degree)
    c = c + (c_ex if ex.ndim else 0.0)
    sd = float(np.sqrt(cov[coef, coef]))
    return family_test([c[coef]], [expected], [sd], name=name, alpha=alpha,
                       kind=f"weighted degree-{degree} fit, z-test of coefficient {coef}",
                       details={"coefficients": c, "chi2_red": chi2 / dof if dof else np.nan, "dof": dof,
                                "x": np.asarray(x, float), "y": np.asarray(y, float), "y_se": np.asarray(se, float)})


def fit_goodness_test(x, y, se, *, degree: int, name: str = "fit", alpha: float = ALPHA) -> Verdict:
    """chi^2 goodness of fit of the weighted degree-``degree`` polynomial: fails when a next order is resolved.

    Statistic sum_i ((y_i - fit_i)/se_i)^2 ~ chi^2_{G - degree - 1} under the model (known SEs);
    rejects when its upper-tail probability is below ``alpha``.
    """
    _check_alpha(alpha)
    c, _, chi2, dof = _weighted_fit(x, y, se, degree)
    p = float(sps.chi2.sf(chi2, dof))
    q = float(sps.chi2.isf(alpha, dof))
    rule = {"type": "chi2", "stat": chi2, "dof": dof, "alpha": alpha}
    return _verdict(f"{name}: goodness of the degree-{degree} fit", "chi^2 goodness of fit", rule, chi2, float(dof),
                    q - dof, q - dof, alpha, {"chi2_red": chi2 / dof, "dof": dof, "coefficients": c}, "gof", p, True,
                    pit=float(sps.chi2.cdf(chi2, dof)))


# ------------------------------------------------------------------------------------------------
# proportions
# ------------------------------------------------------------------------------------------------
def proportion_ci(k: int, n: int, alpha: float = ALPHA):
    """Exact (Clopper--Pearson) two-sided 1 - alpha interval for a binomial proportion k/n."""
    _check_alpha(alpha)
    if not (0 <= k <= n) or n < 1:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    lo = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(sps.beta.isf(alpha / 2, k + 1, n - k))
    return lo, hi


def _binom_reject_region(n, bound, side, alpha):
    """Critical count of the exact test: ("<=": reject iff X >= c), (">=": reject iff X <= c)."""
    ks = np.arange(n + 1)
    if side == "<=":
        ok = sps.binom.sf(ks - 1, n, bound) < alpha
        return int(ks[ok][0]) if ok.any() else n + 1
    ok = sps.binom.cdf(ks, n, bound) < alpha
    return int(ks[ok][-1]) if ok.any() else -1


def _binom_power(n, c, side, p):
    return float(sps.binom.sf(c - 1, n, p) if side == "<=" else sps.binom.cdf(c, n, p))


def binomial_mdd(n: int, bound: float, side: str, alpha: float) -> float:
    """Exact MDD of a binomial test: the smallest distance beyond ``bound`` (side "<=": above it;
    ">=": below it; "=": the larger of the two) at which the exact test rejects with probability
    ``POWER``; inf when no alternative in [0, 1] reaches that power."""
    if side == "=":
        return max(binomial_mdd(n, bound, "<=", alpha / 2), binomial_mdd(n, bound, ">=", alpha / 2))
    c = _binom_reject_region(n, bound, side, alpha)
    if c > n or c < 0:
        return float("inf")
    lo, hi = (bound, 1.0) if side == "<=" else (0.0, bound)
    target = lo if side == "<=" else hi
    far = hi if side == "<=" else lo
    if _binom_power(n, c, side, far) < POWER:
        return float("inf")
    a, b = target, far          # bisection on the distance: power grows from bound to the far end
    for _ in range(60):
        mid = 0.5 * (a + b)
        if _binom_power(n, c, side, mid) >= POWER:
            b = mid
        else:
            a = mid
    return abs(b - bound)


def proportion_test(k: int, n: int, *, p0=None, lower=None, upper=None, name: str = "proportion",
                    alpha: float = ALPHA) -> Verdict:
    """Binomial proportion, exact. Exactly one of:

    ``p0``
        two-sided: p0 inside the Clopper-Pearson 1 - alpha interval (mid-p value reported);
    ``upper``
        one-sided claim p <= upper: fails only when P(X >= k | upper) < alpha, i.e. on evidence
        that p exceeds the bound;
    ``lower``
        one-sided claim p >= lower: fails only when P(X <= k | lower) < alpha.

    The MDD is exact (:func:`binomial_mdd`): the smallest distance from the prediction or bound
    at which the exact test rejects with probability ``POWER``.
    """
    _check_alpha(alpha)
    if isinstance(k, bool) or isinstance(n, bool) or not (0 <= int(k) <= int(n)) or int(n) < 1:
        raise ValueError(f"{name}: need 0 <= k <= n and n >= 1, got k={k!r}, n={n!r}")
    k, n = int(k), int(n)
    given = [(s, v) for s, v in (("=", p0), (">=", lower), ("<=", upper)) if v is not None]
    if len(given) != 1:
        raise ValueError(f"{name}: give exactly one of p0, lower, upper")
    side, pred = given[0]
    pred = float(pred)
    if not 0 <= pred <= 1:
        raise ValueError(f"{name}: the predicted proportion or bound must lie in [0, 1], got {pred}")
    mdd = binomial_mdd(n, pred, side, alpha)
    pmf = float(sps.binom.pmf(k, n, pred))
    ge, le = _binom_tails(k, n, pred)
    pit = None
    if side == "=":
        p = min(1.0, 2 * min(ge - 0.5 * pmf, le - 0.5 * pmf))
        exact = n * min(pred, 1 - pred) >= 25
        pit = le - 0.5 * pmf if exact else None       # mid-p transform, ~uniform for large counts
        null = "point"
        lo, hi = proportion_ci(k, n, alpha)
        tol = 0.5 * (hi - lo)
    else:
        p = ge if side == "<=" else le
        exact = False
        null = "one-sided"
        lo, hi = proportion_ci(k, n, 2 * alpha)
        tol = (k / n - lo) if side == "<=" else (hi - k / n)
    rule = {"type": "binomial", "k": k, "n": n, "alpha": alpha, "side": side, "mdd": mdd}
    kind = "exact binomial (Clopper-Pearson)" + ("" if side == "=" else f", one-sided (claim p {side} bound)")
    return _verdict(name, kind, rule, k / n, pred, tol, mdd, alpha, {"k": k, "n": n, "ci": (lo, hi), "side": side},
                    null, p, exact, pit=pit)


# ------------------------------------------------------------------------------------------------
# deterministic checks and controls
# ------------------------------------------------------------------------------------------------
def deterministic_bound(name: str, statistic, prediction, *, below=0.0, above=0.0, reason: str = "",
                        details=None) -> Verdict:
    """Numbers that are not random lie within [prediction - below, prediction + above].

    For round-off bounds, certificates and exact identities. ``statistic``, ``prediction``,
    ``below`` and ``above`` may be arrays of one shape (one bound per network, say), and
    ``below``/``above`` may be ``np.inf`` for a one-sided bound; the verdict reports the element
    closest to (or furthest beyond) its bound. ``reason`` says where the bound comes from.
    """
    est, pred, lo, hi = _aligned(name, statistic, prediction, below, above)
    if np.any(np.isnan(lo)) or np.any(np.isnan(hi)) or np.any(lo < 0) or np.any(hi < 0):
        raise ValueError(f"{name}: below and above must be >= 0")
    if not (np.all(np.isfinite(est)) and np.all(np.isfinite(pred))):
        raise ValueError(f"{name}: statistic and prediction must be finite")
    det = dict(details or {})
    if reason:
        det["reason"] = reason
    d = est - pred
    with np.errstate(divide="ignore", invalid="ignore"):
        use = np.where(d >= 0, hi, lo)
        ratio = np.where(use > 0, np.abs(d) / np.where(use > 0, use, 1.0), np.where(d == 0, 0.0, np.inf))
    j = int(np.argmax(ratio))
    if est.size > 1:
        det.update(worst_index=j, n_elements=int(est.size))
    rule = {"type": "bound", "est": est, "lo": -lo, "hi": hi}
    tol = float(use[j]) if np.isfinite(use[j]) else float(np.where(d[j] >= 0, lo[j], hi[j]))
    exact = not (np.any(lo > 0) or np.any(hi > 0))
    return _verdict(name, "exact agreement" if exact else "deterministic bound", rule, est[j],
                    pred if est.size > 1 else pred[0], tol, tol, 0.0, det, "deterministic", None, False,
                    shown_prediction=pred[j])


def exact_agreement(name: str, observed, expected, *, details=None) -> Verdict:
    """observed == expected exactly (counts, identical outcomes)."""
    return deterministic_bound(name, observed, expected, details=details)


def negative_control(verdict: Verdict, name: str | None = None) -> Verdict:
    """Passes when ``verdict`` (an assertion against a prediction known to be wrong) rejects."""
    inner = dict(verdict.rule)
    pred = inner.pop("prediction")
    rule = {"type": "control", "inner": inner, "inner_prediction": pred}
    return _verdict(name or f"negative control: {verdict.name} rejected", f"control ({verdict.kind})", rule,
                    verdict.statistic, verdict.prediction, verdict.tolerance, verdict.mdd, verdict.alpha,
                    {"control_passed": decide(inner, pred)}, "control", None, False)


# ------------------------------------------------------------------------------------------------
# moments with standard errors
# ------------------------------------------------------------------------------------------------
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


def _wishart_stat(rule, prediction):
    """(n - 1) w'Sw / w'C0w of a ``wishart`` rule at the predicted entry ``prediction`` (inf when
    the predicted w'C0w is not positive)."""
    v0 = rule["base"] + rule["coef"] * float(prediction)
    return (rule["n"] - 1) * rule["wSw"] / v0 if v0 > 0 else np.inf


def gaussian_covariance_test(a, b, prediction, *, var_a=None, var_b=None, name: str = "covariance",
                             alpha: float = ALPHA) -> Verdict:
    """Exact test that the covariance of Gaussian pairs (a_i, b_i) equals ``prediction``.

    For Gaussian samples with covariance C0, (n - 1) w'Sw / w'C0w ~ chi^2_{n-1} exactly for any
    fixed w (S the unbiased sample covariance; Cochran). A variance (``b is None``) uses w = 1:
    (n - 1) s^2 / sigma0^2. A covariance C_ab uses the standardised contrast
    w = (1/sqrt(var_a), -sign(rho0)/sqrt(var_b)) built from the *predicted* variances
    (w'C0w = 2 - 2|rho0|, the contrast most sensitive to C_ab), so w'C0w is linear in the
    predicted C_ab and the test can be decided at any shifted prediction. Two-sided at alpha.

    Why not a z-test with a plug-in (delta-method) SE: the SE of a sample variance is
    proportional to the variance itself, so a low estimate comes with a low SE. At n = 128 and
    alpha = 3.6e-6 the plug-in z-test rejects a true variance from below with probability
    4.0e-4, 224 times its design (and almost never from above). The chi^2 test is exact.

    Parameters
    ----------
    a, b : array_like, shape (n,)
        Paired samples, n >= 4 (``b=None``: test the variance of ``a``).
    prediction : float
        Predicted variance of ``a`` (``b=None``) or covariance of (a, b).
    var_a, var_b : float
        Predicted variances (needed for a covariance, > 0).

    Notes
    -----
    The law is assumed Gaussian; a non-Gaussian law with excess kurtosis g2 inflates the
    variance of s^2 by (1 + g2 (n - 1) / (2 n)), which the caller must show to be negligible.
    MDD: the larger of the two shifts of the prediction that are rejected with probability POWER.
    """
    _check_alpha(alpha)
    x = np.asarray(a, float).ravel()
    n = x.size
    if n < 4 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: a must hold at least four finite samples, got {n}")
    pred = float(prediction)
    if not np.isfinite(pred):
        raise ValueError(f"{name}: prediction must be finite, got {prediction!r}")
    if b is None:
        if pred <= 0:
            raise ValueError(f"{name}: a predicted variance must be > 0, got {pred!r}")
        est = float(x.var(ddof=1))
        rule = {"type": "wishart", "n": n, "wSw": est, "base": 0.0, "coef": 1.0, "alpha": alpha}
        other = 0.0
    else:
        y = np.asarray(b, float).ravel()
        if y.shape != x.shape or not np.all(np.isfinite(y)):
            raise ValueError(f"{name}: b must hold {n} finite samples like a, got shape {y.shape}")
        if var_a is None or var_b is None or not (var_a > 0 and var_b > 0):
            raise ValueError(f"{name}: a covariance test needs predicted variances var_a, var_b > 0, "
                             f"got {var_a!r}, {var_b!r}")
        S = np.cov(np.vstack([x, y]), ddof=1)
        est = float(S[0, 1])
        sa, sb = math.sqrt(var_a), math.sqrt(var_b)
        sgn = 1.0 if pred >= 0 else -1.0
        if abs(pred) >= sa * sb:
            raise ValueError(f"{name}: |prediction| = {abs(pred):.4g} must be below sqrt(var_a var_b) = {sa * sb:.4g}")
        other = S[0, 0] / var_a + S[1, 1] / var_b
        rule = {"type": "wishart", "n": n, "wSw": float(other - 2 * sgn * est / (sa * sb)), "base": 2.0,
                "coef": -2 * sgn / (sa * sb), "alpha": alpha}
    dof = n - 1
    lo, hi = float(sps.chi2.ppf(alpha / 2, dof)), float(sps.chi2.isf(alpha / 2, dof))
    v0 = rule["base"] + rule["coef"] * pred
    # prediction shifts rejected with probability POWER: the predicted w'C0w moved to v0 * ppf(POWER) / lo
    # (the data then read low) or to v0 * isf(POWER) / hi (they read high)
    shifts = [v0 * (sps.chi2.ppf(POWER, dof) / lo - 1), v0 * (sps.chi2.isf(POWER, dof) / hi - 1)]
    rule["mdd"] = float(max(abs(d) for d in shifts) / abs(rule["coef"]))
    stat = _wishart_stat(rule, pred)
    cdf = float(sps.chi2.cdf(stat, dof))
    p = float(min(1.0, 2 * min(cdf, sps.chi2.sf(stat, dof))))
    # accepted interval of the estimate (a covariance: the sample variances held at their observed values)
    wsw = [v0 * q / dof for q in (lo, hi)]
    ends = wsw if b is None else [(other - w) * sa * sb / (2 * sgn) for w in wsw]
    bounds = sorted(float(e) for e in ends)
    # tolerance: the same interval with the sample variances at their predicted values (it holds the prediction)
    band = sorted(float(e) for e in (wsw if b is None else [(2.0 - w) * sa * sb / (2 * sgn) for w in wsw]))
    tol = band[1] - pred if est >= pred else pred - band[0]
    det = {"n": n, "chi2": stat, "dof": dof, "accepted": [float(bounds[0]), float(bounds[1])],
           "se_null": float(abs(v0 / rule["coef"]) * math.sqrt(2.0 / dof))}
    pit = cdf if rule["coef"] > 0 else 1.0 - cdf
    return _verdict(name, "exact chi^2 test (Gaussian " + ("variance)" if b is None else "covariance, contrast)"),
                    rule, est, pred, tol, rule["mdd"], alpha, det, "point", p, True, pit=pit)


def covariance_with_se(a, b):
    """Sample covariance of paired samples a, b (shape (B,)) and its standard error (delta method)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    B = a.size
    da, db = a - a.mean(), b - b.mean()
    prod = da * db
    c = prod.sum() / (B - 1)
    return float(c), float(prod.std(ddof=1) / np.sqrt(B))
