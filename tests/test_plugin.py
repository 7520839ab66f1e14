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


def test_heavy_rotation_runs_a_balanced_share_and_consecutive_seeds_cover_every_heavy_claim():
    from twolayer.claims.plugin import heavy_rotation
    ids = [f"validations/test_x.py::test_{i}[p{i % 3}]" for i in range(17)]
    for share in (1, 2, 3, 5):
        runs = [heavy_rotation(ids, seed, share) for seed in range(100, 100 + share)]
        assert all(len(r) in (len(ids) // share, -(-len(ids) // share)) for r in runs)
        assert set().union(*runs) == set(ids) and sum(map(len, runs)) == len(ids)   # each exactly once
        # the share depends on the seed only through seed mod share, not on the order of collection
        assert heavy_rotation(ids[::-1], 100 + share, share) == runs[0]
    assert heavy_rotation(ids, 7, 1) == set(ids)


def test_heavy_share_deselects_there_and_refuses_bad_values(project):
    proj, run = project
    with open(proj / "test_doe2026.py", "a") as fh:
        fh.write('''

@pytest.mark.heavy
@pytest.mark.claim(paper="Doe 2026", arxiv="2601.00001", ref="eq. 5")
@pytest.mark.parametrize("k", range(4))
def test_a_heavy_claim(claim, seed, k):
    """The mean of 400 draws of N(0, 1) is 0."""
    claim.check(mean_vs_prediction(np.random.default_rng([seed, k]).normal(0.0, 1.0, 400), 0.0, name="mean"))
''')
    ran = []
    for seed in (10, 11):
        out = run("--claim-seed", str(seed), "--heavy-share", "2", "-k", "heavy", "--claim-json", "c.json")
        assert out.returncode == 0 and "2 passed, 4 deselected" in out.stdout, out.stdout + out.stderr
        assert "heavy claims: 2 of 4 ran at this seed (--heavy-share 2)" in out.stdout
        ran.append({r["test"] for r in json.load(open(proj / "c.json"))["records"]})
    assert ran[0].isdisjoint(ran[1]) and len(ran[0] | ran[1]) == 4
    for bad in ("0", "x"):
        out = run("--heavy-share", bad)
        assert out.returncode != 0 and "--heavy-share must be an integer >= 1" in out.stdout + out.stderr
    out = run("--heavy-share", "2", "--claim-seeds", "1,2")
    assert out.returncode != 0 and "cannot be combined with --claim-seeds" in out.stdout + out.stderr
