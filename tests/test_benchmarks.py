"""The benchmark tooling: interleaved ratios, the performance gate's decision, the history and dashboard CLIs.

Nothing here times anything against a target (speed targets live in the benchmarks): the gate's logic
is checked on given ratios."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import gate
from benchmarks._timing import Ratio, interleaved_ratio


def test_interleaved_ratio_alternates_and_scales():
    calls = []
    r = interleaved_ratio(lambda: calls.append("o"), lambda: calls.append("r"), pairs=4, scale=3.0, warmup=True,
                          inner=1)
    assert calls[:2] == ["o", "r"]                       # warm-up
    assert calls[2:] == ["r", "o", "o", "r", "r", "o", "o", "r"]   # the first side alternates
    assert r.samples.shape == (4,) and np.all(r.samples > 0)
    assert r.median == pytest.approx(np.median(r.samples))
    calls.clear()
    interleaved_ratio(lambda: calls.append("o"), lambda: calls.append("r"), pairs=2, warmup=False, inner=2)
    assert calls == ["r", "r", "o", "o", "o", "o", "r", "r"]      # each side twice in a row, fastest kept


@pytest.mark.parametrize("kw", [{"pairs": 0}, {"pairs": -1}, {"inner": 0}])
def test_interleaved_ratio_rejects_bad_counts(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        interleaved_ratio(lambda: None, lambda: None, **kw)


def test_ratio_spread():
    r = Ratio(2.0, np.array([1.0, 2.0, 3.0, 2.0]), 1.0, 2.0)
    q1, q3 = np.quantile(r.samples, [0.25, 0.75])
    assert r.spread == pytest.approx((q3 - q1) / 4.0)
    assert float(r) == 2.0


def test_decide_fails_exactly_from_the_factor():
    assert gate.decide(30.0, 20.0) == (pytest.approx(1.5), True)
    assert gate.decide(30.0, 20.1)[1] is False
    assert gate.decide(30.0, 60.0) == (pytest.approx(0.5), False)      # faster never fails
    with pytest.raises(ValueError, match="positive"):
        gate.decide(30.0, 0.0)
    with pytest.raises(ValueError, match="positive"):
        gate.decide(float("nan"), 1.0)


def _fake_measure(values):
    """measure() returning the given medians in order (each a 7-pair Ratio at that value)."""
    it = iter(values)

    def measure(name, pairs=None):
        v = next(it)
        return Ratio(v, np.full(pairs or 7, v), 1.0, v)
    return measure


def _fake_fresh(value):
    """measure_in_fresh_process() returning 14 samples at ``value`` for each kernel asked for."""
    def fresh(names, pairs_factor=1):
        return {n: np.full(7 * pairs_factor, value) for n in names}
    return fresh


def test_gate_remeasures_once_in_a_fresh_process_and_decides_on_all_samples(monkeypatch):
    base = {"kernels": {"relu1d_gd": {"ratio": 30.0}}}
    # a disturbed first batch (slowdown 2x) that the second batch does not confirm: pooled median passes
    monkeypatch.setattr(gate, "measure", _fake_measure([15.0]))
    monkeypatch.setattr(gate, "measure_in_fresh_process", _fake_fresh(29.0))
    rows = gate.gate(["relu1d_gd"], base, out=lambda s: None)
    assert rows[0]["remeasured"] and not rows[0]["failed"] and len(rows[0]["samples"]) == 21
    # a real slowdown is seen in both batches: it fails, and the row names the kernel
    monkeypatch.setattr(gate, "measure", _fake_measure([15.0]))
    monkeypatch.setattr(gate, "measure_in_fresh_process", _fake_fresh(16.0))
    rows = gate.gate(["relu1d_gd"], base, out=lambda s: None)
    assert rows[0]["failed"] and rows[0]["kernel"] == "relu1d_gd" and rows[0]["slowdown"] >= 1.5
    # within the line: measured once, no second process
    monkeypatch.setattr(gate, "measure", _fake_measure([25.0]))
    monkeypatch.setattr(gate, "measure_in_fresh_process", lambda *a, **k: pytest.fail("second look not needed"))
    assert not gate.gate(["relu1d_gd"], base, out=lambda s: None)[0]["remeasured"]


def test_gate_cli_names_the_slow_kernel(monkeypatch, tmp_path, capsys):
    path = tmp_path / "base.json"
    path.write_text(json.dumps({"commit": "abc", "kernels": {"relu1d_gd": {"ratio": 30.0}}}))
    monkeypatch.setattr(gate, "measure", _fake_measure([10.0]))
    monkeypatch.setattr(gate, "measure_in_fresh_process", _fake_fresh(10.0))
    assert gate.cli(["relu1d_gd", "--baseline", str(path)]) == 1
    assert "relu1d_gd" in capsys.readouterr().err


def test_gate_cli_rejects_bad_input(capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        gate.cli(["no_such_kernel"])
    assert e.value.code == 2 and "no_such_kernel" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        gate.cli(["--factor", "0.9"])
    with pytest.raises(FileNotFoundError, match="--record"):
        gate.cli(["relu1d_gd", "--baseline", str(tmp_path / "missing.json")])
    with pytest.raises(ValueError, match="known"):
        gate.resolve("nope")


def test_baseline_covers_every_gated_kernel():
    base = gate.load_baseline()
    assert set(base["kernels"]) == set(gate.KERNELS)
    for name, entry in base["kernels"].items():
        assert entry["ratio"] > 0, name
        assert len(entry["runs"]) == gate.RECORD_RUNS, name


def test_history_rejects_unknown_revisions(capsys):
    from benchmarks import history
    with pytest.raises(SystemExit):
        history.cli(["no-such-revision-xyz"])
    assert "no-such-revision-xyz" in capsys.readouterr().err
    with pytest.raises(ValueError, match="--last"):
        history.resolve_revs([], 0)


def test_dashboard_page_is_pointed_at_local_copies(tmp_path):
    from benchmarks import dashboard
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    cache.mkdir()
    urls = list(dashboard.VENDORED)
    (site / "index.html").write_text("".join(f'<script src="{u}"></script>' for u in urls[:-1])
                                     + f'<link href="{urls[-1]}" rel="stylesheet">'
                                     + '<script src="https://example.invalid/other.js"></script>')
    for u in urls:
        (cache / dashboard._local_name(u)).write_text("x")
    left = dashboard.localise(site, cache)
    assert left == ["https://example.invalid/other.js"]       # an unknown external script is reported
    text = (site / "index.html").read_text()
    assert not any(u in text for u in urls)
    assert all((site / "vendor" / dashboard._local_name(u)).exists() for u in urls)


def _nonnull(v):
    if isinstance(v, list):
        return any(_nonnull(x) for x in v)
    return v is not None


def test_published_dashboard_has_a_graph_for_every_measured_benchmark(tmp_path):
    """asv's own output (index.json, graphs/) covers every benchmark the kept history measured,
    with a point for every commit that measured it."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    from benchmarks import history
    pytest.importorskip("asv")
    here = Path(sys.executable).with_name("asv")
    asv = str(here) if here.exists() else shutil.which("asv")
    machines = [d for d in history.results_dir().iterdir() if (d / "machine.json").exists()]
    assert machines, f"no kept asv history in {history.results_dir()}"
    measured = {}
    for m in machines:
        for f in m.glob("*.json"):
            if f.name == "machine.json":
                continue
            doc = json.loads(f.read_text())
            for name, res in doc["results"].items():
                if _nonnull(res[0] if isinstance(res, list) else res):
                    measured[name] = measured.get(name, 0) + 1
    assert measured
    out = tmp_path / "html"
    subprocess.run([asv, "publish", "--no-pull", "--html-dir", str(out)], cwd=history.ROOT, check=True,
                   capture_output=True)
    index = json.loads((out / "index.json").read_text())
    for name, n_commits in measured.items():
        assert name in index["benchmarks"], name
        graphs = list((out / "graphs").rglob(f"{name}.json"))
        assert graphs, f"no graph for {name}"
        points = set()
        for g in graphs:
            for rev, val in json.loads(g.read_text()):
                if _nonnull(val):
                    points.add(rev)
        assert len(points) >= n_commits, (name, len(points), n_commits)


def test_first_call_probe_names_bad_entries_and_times_a_real_call(tmp_path):
    from twolayer._warmup import first_call_seconds
    with pytest.raises(ValueError, match="entry='nope'"):
        first_call_seconds("nope")
    t_import, t_call = first_call_seconds("CommitteeODE.integrate", tmp_path)
    assert t_import > 0 and t_call > 0


def test_gate_against_a_commit_compares_both_trees_measured_now(monkeypatch, tmp_path):
    """The A/B gate: the base commit's tree and this one, alternating fresh processes; a kernel the
    old tree lacks is skipped; a slowdown seen in every round fails after two more rounds."""
    monkeypatch.setattr(gate, "export_tree", lambda rev, dest, repo=None: tmp_path)
    calls = []

    def fresh(values):
        def f(names, pairs_factor=1, tree="same"):
            calls.append((tuple(names), pairs_factor, "base" if tree is not None else "current"))
            side = values["base" if tree is not None else "current"]
            return {n: np.full(7 * pairs_factor, side[n]) for n in names if n in side}
        return f

    monkeypatch.setattr(gate, "measure_in_fresh_process", fresh({"base": {"relu1d_gd": 30.0},
                                                                 "current": {"relu1d_gd": 29.0, "mixture_sgd": 2.0}}))
    rows = gate.gate_against(["relu1d_gd", "mixture_sgd"], "abc", rounds=2, out=lambda s: None)
    assert not rows[0]["failed"] and not rows[0]["remeasured"] and rows[1]["skipped"]
    assert [c[2] for c in calls] == ["base", "current", "base", "current"]
    calls.clear()
    monkeypatch.setattr(gate, "measure_in_fresh_process", fresh({"base": {"relu1d_gd": 30.0},
                                                                 "current": {"relu1d_gd": 15.0}}))
    rows = gate.gate_against(["relu1d_gd"], "abc", rounds=2, out=lambda s: None)
    assert rows[0]["failed"] and rows[0]["remeasured"] and rows[0]["slowdown"] == pytest.approx(2.0)
    assert len(calls) == 8 and calls[-1][1] == 2


def test_export_tree_writes_the_packages_of_a_commit(tmp_path):
    import subprocess
    root = Path(gate.__file__).resolve().parent.parent
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    out = gate.export_tree("HEAD", tmp_path / "t", repo=root)
    assert (out / "sims" / "teacher_student.py").is_file() and (out / "theory" / "committee_ode.py").is_file()
    with pytest.raises(RuntimeError, match="git archive"):
        gate.export_tree("no-such-revision", tmp_path / "u", repo=root)
