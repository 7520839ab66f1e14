"""The claim plugin in a researcher's own project: a throwaway project outside this repository,
with no conftest, no ``-p`` and no PYTHONPATH, gets the marker, the fixtures, the options, the
verdicts and the report from the installed package's ``pytest11`` entry point alone."""
import json
import os
import subprocess
import sys

import pytest

CLAIMS = '''
import numpy as np
import pytest

from twolayer.claims.stats import mean_vs_prediction


@pytest.mark.claim(paper="Doe 2026", arxiv="2601.00001", ref="eq. 3")
def test_sample_mean_is_the_prediction(claim, seed):
    """The mean of 400 draws of N(1/2, 1) is 1/2."""
    x = np.random.default_rng(seed).normal(0.5, 1.0, 400)
    claim.check(mean_vs_prediction(x, 0.5, name="mean"))


@pytest.mark.claim(paper="Doe 2026", arxiv="2601.00001", ref="eq. 4")
def test_a_prediction_off_by_eight_standard_errors_fails(claim, seed):
    """The same draws against 1/2 + 8 SE."""
    x = np.random.default_rng(seed).normal(0.5, 1.0, 400)
    claim.check(mean_vs_prediction(x, 0.5 + 8 / 20, name="mean"))
'''


def _installed(cwd, env):
    """Whether a Python started where the project lives sees the entry point (a checkout's own
    stale ``*.egg-info`` can hide it from a process started in the checkout)."""
    code = ("from importlib.metadata import entry_points; "
            "print(any(e.name == 'twolayer.claims.plugin' for e in entry_points(group='pytest11')))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env=env).stdout.strip() == "True"


@pytest.fixture
def project(tmp_path):
    proj = tmp_path / "my-paper"
    proj.mkdir()
    (proj / "test_doe2026.py").write_text(CLAIMS)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
                                                              "PYTEST_ADDOPTS", "TWOLAYER_SEED", "TWOLAYER_REPORT",
                                                              "TWOLAYER_CHECK_FIGURES")}
    env["MPLBACKEND"] = "Agg"
    if not _installed(proj, env):
        pytest.skip("twolayer is not installed in this environment (no pytest11 entry point); "
                    "pip install -e . registers it")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                              capture_output=True, text=True, cwd=proj, env=env, timeout=300)
    return proj, run


def test_a_project_outside_the_tree_gets_verdicts_and_report(project):
    proj, run = project
    out = run("--claim-seed", "7", "--report", "rep", "--claim-json", "claims.json")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 failed, 1 passed" in out.stdout
    recs = {r["test"].split("::")[-1]: r for r in json.load(open(proj / "claims.json"))["records"]}
    good, bad = recs["test_sample_mean_is_the_prediction"], recs["test_a_prediction_off_by_eight_standard_errors_fails"]
    assert good["outcome"] == "passed" and bad["outcome"] == "failed" and good["seed"] == bad["seed"] == 7
    assert good["paper"] == "Doe 2026" and good["verdicts"][0]["p_value"] > 1e-4 > bad["verdicts"][0]["p_value"]
    table = (proj / "rep" / "claims.md").read_text()
    assert "Doe 2026" in table and "seeds [7]" in table and (proj / "rep" / "index.html").exists()


def test_claim_seeds_and_the_error_budget_work_there_too(project):
    proj, run = project
    out = run("--claim-seeds", "1,2,3", "-k", "sample_mean")
    assert out.returncode == 0 and "3 passed" in out.stdout, out.stdout + out.stderr
    out = run("--claim-seed", "bogus")
    assert out.returncode != 0 and "claim-seed" in (out.stdout + out.stderr)
