"""The calibration audit flags a biased claim and accepts a calibrated one.

Two levels: (1) the analysis (``validations.audit.analyse``) on synthetic claim records, many
times over, so that its rates are measured: a prediction biased by one standard error is flagged
from 20 seeds with probability >= 0.75 (design: ~0.81), a calibrated one at most at the audit's
own level; (2) the whole runner end to end on a throwaway claim file outside the package (pytest
subprocesses, the sweep store, resume, the report files).
"""
import json
import textwrap

import numpy as np
import pytest

from validations import audit
from twolayer.claims import stats


def _records(rng, n_seeds, bias_se, n=50, base="x.py::test_claim"):
    """Claim records as the plugin writes them: one t-test of a mean per seed."""
    out = []
    for s in range(n_seeds):
        x = rng.normal(0.0, 1.0, n)
        v = stats.mean_vs_prediction(x, bias_se / np.sqrt(n), name="mean")
        out.append({"base": base, "paper": "synthetic", "seed": s, "outcome": "passed" if v.passed else "failed",
                    "duration_s": 0.0, "error": "", "verdicts": [json.loads(json.dumps(v.to_dict()))]})
    return out


def test_audit_flags_a_one_se_bias_from_20_seeds_and_accepts_a_calibrated_claim():
    rng = np.random.default_rng(20261201)
    n_rep = 300
    flag_biased = flag_ok = 0
    for _ in range(n_rep):
        flag_biased += audit.analyse(_records(rng, 20, 1.0))["claims"][0]["calibration_flag"]
        flag_ok += audit.analyse(_records(rng, 20, 0.0))["claims"][0]["calibration_flag"]
    lo, _ = stats.proportion_ci(flag_biased, n_rep, 1e-3)
    assert lo > 0.7, flag_biased / n_rep
    assert flag_ok <= 3, flag_ok            # level 1e-3: P(X >= 4 | 300, 1e-3) ~ 3e-4


def test_power_and_rates_in_the_analysis():
    rng = np.random.default_rng(5)
    c = audit.analyse(_records(rng, 40, 0.0))["claims"][0]
    a = c["assertions"][0]
    assert a["null"] == "point" and a["shifts"]["+mdd"]["n"] == 40 and a["power_at_mdd"]["n"] == 80
    assert not a["power_at_mdd"]["flag"] and not c["power_flag"]
    assert c["designed_alpha"] == pytest.approx(stats.ALPHA) and not c["rate_flag"]


def test_audit_seeds_are_derived_and_skip_the_excluded():
    s = audit.audit_seeds(1, 30)
    assert len(set(s)) == 30 and not set(s) & set(audit.EXCLUDED_SEEDS)
    assert s == audit.audit_seeds(1, 30) and s[:10] == audit.audit_seeds(1, 10) and s != audit.audit_seeds(2, 30)
    with pytest.raises(ValueError, match="seeds"):
        audit.audit_seeds(1, 0)


CLAIMS = '''
import numpy as np
import pytest

from twolayer.claims.stats import mean_vs_prediction, proportion_test


@pytest.mark.claim(paper="synthetic", arxiv="0000.00000", ref="-")
def test_calibrated(claim, seed):
    """A calibrated claim."""
    x = np.random.default_rng(seed).normal(0.0, 1.0, 50)
    claim.check(mean_vs_prediction(x, 0.0))
    k = int(np.random.default_rng([seed, 1]).binomial(400, 0.2))
    claim.check(proportion_test(k, 400, upper=0.3, name="one-sided"))


@pytest.mark.claim(paper="synthetic", arxiv="0000.00000", ref="-")
def test_biased(claim, seed):
    """A prediction off by three standard errors."""
    x = np.random.default_rng(seed).normal(0.0, 1.0, 50)
    claim.check(mean_vs_prediction(x, 3.0 / np.sqrt(50)))
'''


def test_audit_runner_end_to_end(tmp_path):
    f = tmp_path / "claims_synthetic.py"
    f.write_text(textwrap.dedent(CLAIMS))
    out = tmp_path / "audit"
    kw = dict(paths=[str(f)], n_seeds=20, root_seed=1, out=out, executor="serial", chunk=10,
              extra_args=("-p", "twolayer.claims.plugin"), progress=False)
    summary = audit.run_audit(**kw)
    by = {c["claim"].split("::")[-1]: c for c in summary["claims"]}
    assert set(by) == {"test_calibrated", "test_biased"}
    ok, bad = by["test_calibrated"], by["test_biased"]
    assert ok["runs"] == 20 and not ok["calibration_flag"] and not ok["rate_flag"] and not ok["power_flag"]
    assert bad["calibration_flag"]
    one = ok["assertions"][1]
    assert one["null"] == "one-sided" and one["shifts"]["+mdd"]["n"] == 20 and "pooled_estimate" in one
    assert (out / "audit.md").exists() and (out / "index.html").exists() and (out / "audit.json").exists()
    # resumes: nothing to run the second time, same numbers
    again = audit.run_audit(**kw)
    assert again["claims"][0]["assertions"][0]["statistic_mean"] == summary["claims"][0]["assertions"][0]["statistic_mean"]
