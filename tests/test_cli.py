"""The twolayer command: each subcommand runs, writes what its help says, and names bad options."""
import json
import subprocess
import sys

import numpy as np
import pytest

from sims.teacher_student import SGDTrajectory
from theory.committee_ode import ODETrajectory
from twolayer import io
from twolayer.cli import build_parser, main


def test_every_subcommand_has_help(capsys):
    for cmd in ("scm-sgd", "scm-ode", "relu1d-mc", "validate", "show", "plot"):
        with pytest.raises(SystemExit) as e:
            main([cmd, "--help"])
        assert e.value.code == 0 and "usage: twolayer" in capsys.readouterr().out
    assert {"scm-sgd", "scm-ode", "relu1d-mc", "validate", "audit", "show", "warmup", "plot"} <= set(
        build_parser()._subparsers._group_actions[0].choices)


def test_scm_sgd_then_ode_from_its_start(tmp_path, capsys):
    run, ode = tmp_path / "run.npz", tmp_path / "ode.npz"
    assert main(["scm-sgd", "-K", "2", "-M", "2", "-N", "200", "--lr", "0.5", "--alpha", "2", "--seeds", "2",
                 "--init-std", "0.1", "--records", "8", "--out", str(run), "--log", str(tmp_path / "run.dat")]) == 0
    tr = io.load(run)
    assert isinstance(tr, SGDTrajectory) and tr.eps_g.shape == (2, 9) and tr.problem.N == 200
    man = io.load_manifest(run)
    assert man["extra"]["subcommand"] == "scm-sgd" and man["seed"] == 0 and man["wall_s"] > 0
    # the pyscm-style log: comma-separated, '#' comments, alpha, e_g, e_t, diff, Q (k <= l), R
    rows = np.loadtxt(tmp_path / "run_s1.dat", delimiter=",", comments="#")
    assert rows.shape == (9, 4 + 3 + 4)
    np.testing.assert_allclose(rows[:, 1], tr.eps_g[1], rtol=1e-5)
    np.testing.assert_allclose(rows[:, 7], tr.R[1, :, 0, 0], rtol=1e-5, atol=1e-12)
    assert main(["scm-ode", "--lr", "0.5", "--alpha", "2", "--records", "8", "--from", str(run), "--out", str(ode)]) == 0
    o = io.load(ode)
    assert isinstance(o, ODETrajectory)
    np.testing.assert_allclose(o.Q[:, 0], tr.Q[:, 0], rtol=1e-12)              # started from the run's overlaps
    assert "ODE (DOP853)" in capsys.readouterr().out
    assert main(["show", str(run)]) == 0
    shown = capsys.readouterr().out
    assert "sims.teacher_student:SGDTrajectory" in shown and "Q: array float64 (2, 9, 2, 2)" in shown and "command:" in shown
    pytest.importorskip("matplotlib")
    assert main(["plot", str(run), "--ode", str(ode), "-o", str(tmp_path / "run.png")]) == 0
    assert (tmp_path / "run.png").stat().st_size > 5000
    with pytest.raises(SystemExit, match="holds ODETrajectory"):
        main(["plot", str(ode), "-o", str(tmp_path / "x.png")])
    with pytest.raises(SystemExit, match="not an ODE run"):
        main(["plot", str(run), "--ode", str(run), "-o", str(tmp_path / "x.png")])


def test_scm_mini_batch_runs_carry_their_batch_size(tmp_path):
    run = tmp_path / "mb.npz"
    assert main(["scm-sgd", "-N", "100", "--alpha", "1", "--records", "4", "--batch-size", "4", "-q",
                 "--out", str(run)]) == 0
    tr = io.load(run)
    assert tr.problem.batch_size == 4 and tr.ode().batch_size == 4
    assert main(["scm-ode", "--alpha", "1", "--records", "4", "--batch-size", "4", "-q", "--from", str(run)]) == 0
    with pytest.raises(SystemExit):
        main(["scm-sgd", "--batch-size", "0"])


def test_relu1d_mc_resumes_and_writes_its_summary(tmp_path):
    args = ["relu1d-mc", "--n", "8", "--n-nets", "40", "--n-epochs", "50", "--store", str(tmp_path / "s"), "-q"]
    assert main(args + ["--out", str(tmp_path / "a.json")]) == 0
    assert main(args + ["--out", str(tmp_path / "b.json")]) == 0                 # resumed from the store
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert a["rows"] == b["rows"] and a["rows"][0]["n_nets"] == 40
    lo, hi = a["rows"][0]["ci99"]
    assert lo <= a["rows"][0]["p_cross"] <= hi


def test_scm_pyscm_setups_reach_the_problem(tmp_path, capsys):
    run = tmp_path / "graded.npz"
    assert main(["scm-sgd", "-N", "100", "-K", "4", "-M", "2", "--graded", "--normalise", "--init", "denoise",
                 "--init-std", "0.01", "--alpha", "1", "--records", "3", "-q", "--out", str(run)]) == 0
    p = io.load(run).problem
    assert (p.teacher_T, p.normalise, p.init) == ((1.0, 2.0), True, "denoise")
    w = np.random.default_rng(0).standard_normal((2, 100))
    np.savetxt(tmp_path / "teacher.txt", w)
    run2 = tmp_path / "file.npz"
    assert main(["scm-sgd", "-N", "100", "--teacher", str(tmp_path / "teacher.txt"), "--alpha", "1", "--records", "3",
                 "--seeds", "2", "-q", "--out", str(run2)]) == 0
    np.testing.assert_allclose(io.load(run2).T, np.broadcast_to(w @ w.T / 100, (2, 2, 2)), rtol=1e-12)
    assert main(["scm-sgd", "-N", "50", "--teacher", str(tmp_path / "teacher.txt"), "-q"]) == 2
    assert "teacher_file" in capsys.readouterr().err


def test_bad_options_are_named(capsys):
    with pytest.raises(SystemExit):
        main(["scm-sgd", "-K", "0"])
    assert "argument -K: expected an integer >= 1" in capsys.readouterr().err
    assert main(["scm-sgd", "--lr", "-1", "-q"]) == 2
    assert "eta must be >= 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["scm-sgd", "--no-such-option"])
    with pytest.raises(SystemExit, match="matches no validation module"):
        main(["validate", "--paper", "no-such-paper"])


def test_installed_command_and_module_run():
    out = subprocess.run([sys.executable, "-m", "twolayer", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("twolayer ")


def test_warmup_runs_every_entry_point(capsys):
    from twolayer._warmup import ENTRIES
    assert main(["warmup"]) == 0
    err = capsys.readouterr().err
    assert all(f"warmup {name}:" in err for name in ENTRIES)


def test_gmm_sgd_then_ode_and_rf_error(tmp_path, capsys):
    from sims.mixture_sgd import MixtureSGDTrajectory
    from theory.mixture_ode import MixtureTrajectory
    from theory.random_features import RFReadout
    run, ode, rf = tmp_path / "g.npz", tmp_path / "o.npz", tmp_path / "rf.npz"
    assert main(["gmm-sgd", "-N", "100", "-K", "2", "--t", "1", "--seeds", "2", "--n-test", "500", "--records", "3",
                 "--out", str(run)]) == 0
    tr = io.load(run)
    assert isinstance(tr, MixtureSGDTrajectory) and tr.R.shape == (2, 3, 4, 2)
    assert io.load_manifest(run)["extra"]["mixture"]["N"] == 100
    assert main(["gmm-ode", "-N", "100", "-K", "2", "--t", "1", "--records", "3", "--from", str(run), "--out", str(ode)]) == 0
    o = io.load(ode)
    assert isinstance(o, MixtureTrajectory)
    np.testing.assert_allclose(o.R[:, 0], tr.R[:, 0], rtol=1e-12)
    assert main(["rf-error", "-N", "50", "-P", "60", "--out", str(rf)]) == 0
    r = io.load(rf)
    assert isinstance(r, RFReadout) and r.w.shape == (60,) and 0.0 < r.eps_class < 0.5
    assert "Bayes error" in capsys.readouterr().out
