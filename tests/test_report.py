import json
import os

import numpy as np

from twolayer.claims.plotting import new_figure, theory_vs_sim
from twolayer.claims.report import ClaimRecord, claim_table, write_report
from twolayer.claims.stats import mean_vs_prediction


def _fig():
    """A small theory-vs-simulation figure for the report tests."""
    f, ax = new_figure(1)
    theory_vs_sim(ax[0], [1, 2, 3], [1, 2, 3], np.array([[1, 2, 3.1], [1.1, 2, 3]]))
    return f


def test_report_writes_json_png_and_index(tmp_path):
    rec = ClaimRecord("validations/test_x.py::test_claim[a]", "Paper", "0000.00000", "Fig. 1", "A claim.", 3)
    rec.check(mean_vs_prediction(np.array([1.0, 1.01, 0.99]), 1.0, name="m"))
    rec.outcome = "passed"
    rec.figure(_fig)
    path = write_report([rec], str(tmp_path))
    with open(os.path.join(tmp_path, f"{rec.slug}.json")) as fh:
        data = json.load(fh)
    assert data["verdicts"][0]["passed"] and data["seed"] == 3 and data["figure"].endswith(".png")
    assert os.path.getsize(os.path.join(tmp_path, data["figure"])) > 1000
    with open(path) as fh:
        assert "test_claim_a" in fh.read()
    assert "| m: 1 |" in claim_table([rec])


def test_report_summary_separates_skipped_from_failed_and_carries_the_manifest(tmp_path):
    recs = []
    for i, outcome in enumerate(("passed", "failed", "skipped", "error")):
        r = ClaimRecord(f"validations/test_x.py::test_{outcome}", "Paper A" if i < 2 else "Paper B", seed=5)
        r.check(mean_vs_prediction(np.array([1.0, 1.01, 0.99]), 1.0, name="m")) if i == 0 else None
        r.outcome, r.duration_s = outcome, 1.5
        recs.append(r)
    from twolayer.claims.report import summary_table
    rows = summary_table(recs)
    assert rows[0] == ("Paper A", 2, 1, 1, 0, 3.0) and rows[1] == ("Paper B", 2, 0, 1, 1, 3.0)
    assert rows[-1] == ("total", 4, 1, 2, 1, 6.0)
    path = write_report(recs, str(tmp_path))
    page = open(path).read()
    assert page.index("test_failed") < page.index("test_passed") < page.index("Skipped (not run here") < \
        page.index("test_skipped")
    man = json.load(open(tmp_path / "manifest.json"))
    assert man["seed"] == 5 and "numpy" in man["packages"] and "provenance" in page
    md = open(tmp_path / "claims.md").read()
    assert "| Paper B | 2 | 0 | 1 | 1 | 3.0 |" in md and "| accepted |" in md and "[0.4227, 1.577]" in md


def test_a_claim_whose_figure_fails_to_draw_fails_under_check_figures(tmp_path):
    """--check-figures (implied by --report) draws each figure inside its claim's test."""
    import subprocess
    import sys
    (tmp_path / "test_fig.py").write_text(
        "import pytest\n"
        "@pytest.mark.claim(paper='P', arxiv='0', ref='r')\n"
        "def test_broken(claim, seed):\n"
        "    def fig():\n"
        "        import matplotlib.pyplot as plt\n"
        "        f, ax = plt.subplots()\n"
        "        ax.errorbar([1, 2, 3], [1, 2])\n"
        "        return f\n"
        "    claim.figure(fig)\n"
        "@pytest.mark.claim(paper='P', arxiv='0', ref='r')\n"
        "def test_fine(claim, seed):\n"
        "    def fig():\n"
        "        import matplotlib.pyplot as plt\n"
        "        return plt.subplots()[0]\n"
        "    claim.figure(fig)\n")
    run = lambda *extra: subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "twolayer.claims.plugin",  # noqa: E731
                                         "-p", "no:cacheprovider", str(tmp_path / "test_fig.py"), *extra],
                                        capture_output=True, text=True, cwd=tmp_path,
                                        env={**{k: v for k, v in os.environ.items()
                                                if k not in ("TWOLAYER_REPORT", "TWOLAYER_CHECK_FIGURES")},
                                             "MPLBACKEND": "Agg",
                                             "PYTHONPATH": os.path.dirname(os.path.dirname(__file__))})
    assert run().returncode == 0                                         # figures are not drawn by default
    out = run("--check-figures")
    assert out.returncode == 1 and "2 passed, 1 error" in out.stdout and "failed to draw" in out.stdout
    out = run("--report", str(tmp_path / "rep"))
    assert out.returncode == 1 and (tmp_path / "rep" / "test_fine.png").stat().st_size > 1000


def test_every_claim_draws_a_figure():
    """Each claim calls ``claim.figure``, itself or through a module helper it hands ``claim`` to,
    so the report has a picture for every claim (the CI's commit-seed pass draws them all)."""
    import ast
    import pathlib
    missing = []
    for path in sorted((pathlib.Path(__file__).resolve().parents[1] / "validations").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        funcs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}

        def draws(fn, seen=()):
            for node in ast.walk(fn):
                if isinstance(node, ast.Attribute) and node.attr == "figure" and \
                        isinstance(node.value, ast.Name) and node.value.id == "claim":
                    return True
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in funcs \
                        and node.func.id not in seen and any(isinstance(a, ast.Name) and a.id == "claim"
                                                             for a in node.args):
                    if draws(funcs[node.func.id], seen + (node.func.id,)):
                        return True
            return False
        for name, fn in funcs.items():
            if name.startswith("test_") and "claim" in [a.arg for a in fn.args.args] and not draws(fn):
                missing.append(f"{path.name}::{name}")
    assert not missing, f"claims without a figure: {missing}"


def _report_with_two_papers(tmp_path):
    recs = []
    for i, paper in enumerate(("Paper A", "Paper A", "Paper B")):
        r = ClaimRecord(f"validations/test_x.py::test_{i}", paper, "0000.00000", "eq. 1", "A claim.", seed=5)
        r.check(mean_vs_prediction(np.array([1.0, 1.01, 0.99]), 1.0, name="m"))
        r.outcome = "passed"
        r.figure(_fig)
        recs.append(r)
    return write_report(recs, str(tmp_path / "rep"))


def test_report_offers_a_filter_by_paper(tmp_path):
    page = open(_report_with_two_papers(tmp_path)).read()
    assert "<option value='Paper A'>Paper A</option><option value='Paper B'>Paper B</option>" in page
    assert page.count("<div class='claim' data-paper='Paper A'>") == 2 and "#paper=" in page


def test_report_renders_in_headless_chromium_and_filters_by_paper(tmp_path):
    """A real browser: the page's script runs, #paper=NAME hides the other papers' claims, and the
    page paints (a screenshot with figures is far from blank). Skips without Chromium."""
    import shutil
    import subprocess
    import urllib.parse
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if exe is None:
        import pytest
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    path = _report_with_two_papers(tmp_path)
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    url = "file://" + urllib.parse.quote(os.path.abspath(path)) + "#paper=" + urllib.parse.quote("Paper B")
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    import re
    divs = re.findall(r'<div class="claim" data-paper="([^"]+)"( style="display: none;")?>', dom)
    assert sorted(divs) == [("Paper A", ' style="display: none;"')] * 2 + [("Paper B", "")], dom[:2000]
    shot = tmp_path / "page.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1100,1600", url.split("#")[0]],
                   capture_output=True, timeout=120)
    from PIL import Image
    with Image.open(shot) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50                     # text, tables and plotted figures


def test_every_claim_names_the_theory_it_checks_and_a_typo_fails_at_collection(tmp_path):
    """Claim markers carry theory= (and sims=) targets, resolved at collection to their source."""
    import ast
    import pathlib
    import subprocess
    import sys
    root = pathlib.Path(__file__).resolve().parents[1]
    for path in sorted((root / "validations").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "claim":
                kw = {k.arg: k.value for k in node.keywords if k.arg}
                assert "theory" in kw and ast.literal_eval(kw["theory"]), f"{path.name}:{node.lineno}: no theory="
                assert "sims" in kw, f"{path.name}:{node.lineno}: no sims= (an empty tuple if nothing is simulated)"
    from twolayer.claims.report import resolve_links
    links = resolve_links(theory=("theory.committee_ode:CommitteeODE.integrate",), sims="sims.teacher_student:simulate_sgd")
    assert [ln["kind"] for ln in links] == ["theory", "sims"]
    assert links[0]["file"].endswith("committee_ode.py") and links[0]["line"] > 1
    (tmp_path / "test_typo.py").write_text(
        "import pytest\n"
        "@pytest.mark.claim(paper='P', arxiv='0', ref='r', theory=('theory.committee_ode:CommitteeOD',))\n"
        "def test_x(claim, seed):\n    pass\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "twolayer.claims.plugin", "-p", "no:cacheprovider",
                          str(tmp_path / "test_typo.py")], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 4 and "CommitteeOD" in out.stdout + out.stderr and "does not resolve" in out.stdout + out.stderr
    rec = ClaimRecord("validations/test_x.py::test_y", "P", links=links)
    rec.outcome = "passed"
    page = open(write_report([rec], str(tmp_path / "rep"))).read()
    assert "checks the theory <code>theory.committee_ode:CommitteeODE.integrate</code>" in page
    assert "simulated by <code>sims.teacher_student:simulate_sgd</code>" in page and "teacher_student.py:" in page
