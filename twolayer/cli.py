"""The ``twolayer`` command: run an experiment, keep its result, know later how it was made.

::

    twolayer scm-sgd  -K 2 -M 2 -N 1000 --lr 0.5 --alpha 200 --seeds 8 --out run.npz --log run.dat
    twolayer scm-ode  -K 2 -M 2 --lr 0.5 --alpha 200 --from run.npz --out ode.npz
    twolayer gmm-sgd  -N 500 -K 4 --lr 0.1 --t 20 --seeds 4 --n-test 10000 --out gmm.npz
    twolayer gmm-ode  -N 500 -K 4 --lr 0.1 --t 20 --from gmm.npz
    twolayer rf-error -N 200 --p-over-d 2 --delta 0.1
    twolayer relu1d-mc --n 16 32 64 --n-nets 1000 --store mc/ --out mc.json
    twolayer validate --paper saad1995 --report report/ --seed 3
    twolayer audit -k plateau --seeds 20 --out audit/
    twolayer show run.npz                       # what a saved result holds, and its manifest
    twolayer warmup                             # compile every numba kernel into the cache, once

(also ``python -m twolayer ...``). Every subcommand has ``--help``.

Conventions, as in the library: order parameters Q = w w^T / N, R = w w*^T / N, T = w* w*^T / N;
time alpha = steps / N; erf activation g(x) = erf(x / sqrt 2); eps_g = E[(phi_student - phi_teacher)^2] / 2
(Saad & Solla, cond-mat/9507079, eq. 4). The first layer moves by eta / sqrt(N) per step.

Outputs
-------
``--out FILE.npz``
    The result object in the format of :mod:`twolayer.io` (arrays + JSON), with the provenance
    manifest of :mod:`twolayer.provenance` (commit, versions, threads, device, seed, command line,
    wall time). Read it back with ``twolayer.io.load``.
``--log FILE.dat`` (scm-sgd, scm-ode)
    The order-parameter log of Goldt's pyscm (``scm_online.py``), so that existing analysis scripts
    keep working: comment lines start with ``#``; each row is comma-separated
    ``alpha, e_g, e_t, diff, Q[k,l] (k <= l), R[k,m]``. e_t (training error on a fixed set) and
    diff (mean |dw| of the last step) are NaN here: the simulators learn online and record order
    parameters only. With several seeds, one file per seed: ``FILE_s<i>.dat``.
``--out FILE.json`` (relu1d-mc)
    Per width n: counts of each outcome, P(cross) with its exact 99 % interval, and the manifest.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]


# ------------------------------------------------------------------------------------------------
# shared options
# ------------------------------------------------------------------------------------------------
def _positive_int(text):
    try:
        val = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if val < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {val}")
    return val


def _nonneg_int(text):
    try:
        val = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if val < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {val}")
    return val


def _committee_options(p, *, sgd: bool):
    g = p.add_argument_group("committee machine (Saad & Solla 1995; Goldt et al. 2019, arXiv:1906.08632)")
    g.add_argument("-K", type=_positive_int, default=2, help="student hidden units (default 2)")
    g.add_argument("-M", type=_positive_int, default=2, help="teacher hidden units (default 2)")
    g.add_argument("-N", type=_positive_int, default=1000,
                   help="input dimension (default 1000; for scm-ode, the N of the random initial condition)")
    g.add_argument("--lr", "--eta", dest="eta", type=float, default=0.5, help="first-layer learning rate eta (default 0.5)")
    g.add_argument("--lr-v", "--eta-v", dest="eta_v", type=float, default=0.0,
                   help="second-layer learning rate (default 0: first layer only)")
    g.add_argument("--sigma", type=float, default=0.0, help="teacher output-noise std (default 0)")
    g.add_argument("--wd", "--kappa", dest="kappa", type=float, default=0.0, help="weight decay per unit alpha (default 0)")
    g.add_argument("--batch-size", type=_positive_int, default=1,
                   help="inputs averaged per step (mini-batch SGD; the ODE divides its eta^2 terms by it); "
                        "alpha still counts steps (default 1)")
    g.add_argument("--g", "--activation", dest="activation", default="erf",
                   help="student activation: erf, relu, linear, tanh (default erf)")
    g.add_argument("--g-teacher", dest="teacher_activation", default=None, help="teacher activation (default: the student's)")
    g.add_argument("--init-std", type=float, default=1.0,
                   help="student weights w = init_overlap w* + init_std xi (default 1: pyscm's large random init)")
    g.add_argument("--init-overlap", type=float, default=0.0, help="see --init-std (default 0)")
    g.add_argument("--orthonormal-teacher", action="store_true", help="teacher rows orthogonal, T = I exactly")
    g.add_argument("--graded", action="store_true", help="graded teacher T = diag(1, ..., M) (pyscm's --graded)")
    g.add_argument("--teacher", dest="teacher_file", metavar="FILE",
                   help="teacher weights M x N from a .npy or text file (pyscm's --teacher)")
    g.add_argument("--normalise", action="store_true",
                   help="outputs divided by the number of hidden units (pyscm's --normalise)")
    g.add_argument("--init", choices=("random", "informed", "denoise"), default="random",
                   help="student start: random (default; see --init-std, --init-overlap), informed (w_k = w*_k "
                        "+ init_std xi_k) or denoise (teacher units shared among K/M students each); pyscm's "
                        "small start is --init-std N**-0.5")
    g.add_argument("--alpha", type=float, default=200.0, help="duration in alpha = steps / N (default 200)")
    g.add_argument("--records", type=_positive_int, default=100, help="recorded times, log-spaced (default 100)")
    g.add_argument("--seeds", type=_positive_int, default=1, help="independent runs, batched (default 1)")
    g.add_argument("-s", "--seed", type=_nonneg_int, default=0, help="root seed (default 0)")
    if sgd:
        g.add_argument("--method", choices=("gram", "full"), default="gram",
                       help="exact overlap chain (gram, default) or explicit weights (full)")
        g.add_argument("--backend", default="numpy", help="numpy (default), torch, torch:cuda, cupy")
    _output_options(p, log=True)


def _output_options(p, *, log=False):
    g = p.add_argument_group("output")
    g.add_argument("--out", metavar="FILE", help="save the result here (twolayer.io format, with provenance)")
    if log:
        g.add_argument("--log", metavar="FILE", help="pyscm-style order-parameter log (one file per seed)")
    g.add_argument("-q", "--quiet", action="store_true", help="no summary on stdout")
    g.add_argument("--progress", action="store_true", help="progress bar on stderr")


def _mixture_options(p):
    g = p.add_argument_group("Gaussian mixture (Refinetti et al. 2021, arXiv:2102.11742)")
    g.add_argument("--mixture", choices=("xor", "circle"), default="xor",
                   help="xor: y = -1 at +-e1, y = +1 at +-e2 (default); circle: 2 x --clusters-per-label on a circle")
    g.add_argument("-N", type=_positive_int, default=1000, help="input dimension (default 1000)")
    g.add_argument("--delta", type=float, default=0.1, help="cluster variance Delta (default 0.1)")
    g.add_argument("--scale", type=float, default=1.0, help="distance of the centres from 0, after 1/sqrt(N) (default 1)")
    g.add_argument("--rho", type=float, default=0.5, help="probability of label +1 (default 0.5)")
    g.add_argument("--clusters-per-label", type=_positive_int, default=2, help="circle mixture only (default 2)")
    g.add_argument("-s", "--seed", type=_nonneg_int, default=0, help="root seed (default 0)")


def _mixture(a):
    from sims.gaussian_mixture import circle_mixture, xor_mixture
    if a.mixture == "xor":
        return xor_mixture(a.N, a.delta, scale=a.scale, rho=a.rho)
    return circle_mixture(a.N, a.clusters_per_label, a.delta, scale=a.scale, rho=a.rho)


def _two_layer_options(p):
    g = p.add_argument_group("two-layer network")
    g.add_argument("-K", type=_positive_int, default=4, help="hidden units (default 4)")
    g.add_argument("--lr", "--eta", dest="eta", type=float, default=0.1, help="first-layer learning rate (default 0.1)")
    g.add_argument("--lr-v", "--eta-v", dest="eta_v", type=float, default=None, help="second-layer rate (default: --lr)")
    g.add_argument("--reg", type=float, default=0.0, help="weight decay (default 0)")
    g.add_argument("--g", "--activation", dest="activation", default="relu", help="relu (default), erf, linear, tanh")
    g.add_argument("--init-std", type=float, default=1.0, help="initial first-layer weights N(0, init_std^2) (default 1)")
    g.add_argument("--t", dest="t_max", type=float, default=20.0, help="duration in t = steps / N (default 20)")
    g.add_argument("--records", type=_positive_int, default=21, help="recorded times, evenly spaced (default 21)")
    g.add_argument("--seeds", type=_positive_int, default=1, help="independent runs, batched (default 1)")


def _problem(a):
    from sims.teacher_student import TeacherStudent
    return TeacherStudent(N=a.N, K=a.K, M=a.M, eta=a.eta, eta_v=a.eta_v, sigma=a.sigma, kappa=a.kappa,
                          activation=a.activation, teacher_activation=a.teacher_activation,
                          orthonormal_teacher=a.orthonormal_teacher, init_std=a.init_std,
                          init_overlap=a.init_overlap, batch_size=a.batch_size,
                          teacher_T="graded" if a.graded else None, normalise=a.normalise, init=a.init,
                          teacher_file=a.teacher_file)


def _record_grid(a):
    import numpy as np
    if not a.alpha > 0:
        raise SystemExit(f"twolayer: error: --alpha must be > 0, got {a.alpha}")
    return np.concatenate([[0.0], np.geomspace(min(1e-2, a.alpha), a.alpha, a.records)])


def _finish(a, result, *, backend=None, extra=None, save=True):
    """The run's provenance manifest (start and wall time from :func:`main`); with ``save`` and
    ``--out``, ``result`` is saved with it."""
    from .io import save as _save
    from .provenance import manifest
    man = manifest(backend=backend, seed=getattr(a, "seed", None), started=a.started,
                   wall_s=time.perf_counter() - a.t0, extra=extra)
    if save and a.out:
        path = _save(result, a.out, manifest=man)
        if not a.quiet:
            print(f"saved {path}", file=sys.stderr)
    return man


def _load_start(path, cls, what: str):
    """The saved result ``--from path``, which must be a ``cls``."""
    from .io import load
    src = load(path)
    if not isinstance(src, cls):
        raise SystemExit(f"twolayer: error: --from {path} holds a {type(src).__name__}, not {what}")
    return src


# ------------------------------------------------------------------------------------------------
# pyscm-style log
# ------------------------------------------------------------------------------------------------
def write_pyscm_log(path, alphas, eps_g, Q, R, header: str = "") -> Path:
    """Write one run's order parameters as pyscm's ``scm_online.py`` log (module docstring).

    Parameters
    ----------
    alphas : (n_t,); eps_g : (n_t,); Q : (n_t, K, K); R : (n_t, K, M)
    """
    import numpy as np
    K, M = R.shape[-2:]
    iu = np.triu_indices(K)
    cols = ["steps / N", "e_g", "e_t", "diff"] + [f"Q[{k}, {l}]" for k, l in zip(*iu)] + \
        [f"R[{k}, {m}]" for k in range(K) for m in range(M)]
    head = "# " + ", ".join(f"{i} {c}" for i, c in enumerate(cols))
    rows = np.column_stack([alphas, eps_g, np.full_like(alphas, np.nan), np.full_like(alphas, np.nan),
                            Q[:, iu[0], iu[1]], R.reshape(len(alphas), K * M)])
    path = Path(path)
    with open(path, "w") as fh:
        for line in header.splitlines():
            fh.write(f"# {line}\n")
        fh.write(head + "\n")
        for r in rows:
            fh.write(", ".join("%g" % x for x in r) + "\n")
    return path


def _write_logs(a, alphas, eps_g, Q, R):
    base = Path(a.log)
    S = eps_g.shape[0]
    header = (f"twolayer {a.command}: K={a.K}, M={a.M}, N={a.N}, lr={a.eta:g}, lr_v={a.eta_v:g}, wd={a.kappa:g}, "
              f"sigma={a.sigma:g}, activation={a.activation}, batch_size={a.batch_size}, seed={a.seed}")
    paths = []
    for s in range(S):
        p = base if S == 1 else base.with_name(f"{base.stem}_s{s}{base.suffix or '.dat'}")
        paths.append(write_pyscm_log(p, alphas, eps_g[s], Q[s], R[s], header + f", run {s} of {S}"))
    return paths


def _summary(a, alphas, eps_g, label):
    import numpy as np
    if a.quiet:
        return
    e = eps_g[:, -1]
    ok = np.isfinite(e)
    se = float(e[ok].std(ddof=1) / np.sqrt(ok.sum())) if ok.sum() > 1 else float("nan")
    print(f"{label}: eps_g(alpha={alphas[-1]:g}) = {float(e[ok].mean()) if ok.any() else float('nan'):.6g}"
          f" +- {se:.2g} (SE over {int(ok.sum())} of {e.size} runs)")


# ------------------------------------------------------------------------------------------------
# subcommands
# ------------------------------------------------------------------------------------------------
def _scm_sgd(a):
    from sims.teacher_student import simulate_sgd
    tr = simulate_sgd(_problem(a), alphas=_record_grid(a), n_seeds=a.seeds, seed=a.seed, method=a.method,
                      backend=a.backend, progress=a.progress)
    _finish(a, tr, backend=a.backend, extra={"subcommand": "scm-sgd"})
    if a.log:
        _write_logs(a, tr.alphas, tr.eps_g, tr.Q, tr.R)
    _summary(a, tr.alphas, tr.eps_g, f"SGD ({a.method}, {a.backend})")
    return 0


def _scm_ode(a):
    import numpy as np

    from sims.teacher_student import SGDTrajectory, simulate_sgd
    alphas = _record_grid(a)
    if a.start:
        src = _load_start(a.start, SGDTrajectory, "an SGD trajectory")
        problem = src.problem.with_(eta=a.eta, eta_v=a.eta_v, sigma=a.sigma, kappa=a.kappa, batch_size=a.batch_size)
    else:   # the measured initial order parameters of the SGD initialisation at this N and seed
        problem = _problem(a)
        src = simulate_sgd(problem, alphas=[0.0], n_seeds=a.seeds, seed=a.seed, method="gram")
    Q0, R0, v0, T = src.initial_order_parameters()
    ode = problem.ode(T=T).integrate(Q0, R0, v0, alphas, method=a.solver)
    _finish(a, ode, extra={"subcommand": "scm-ode", "from": a.start})
    eps = np.atleast_2d(ode.eps_g)
    if a.log:
        _write_logs(a, ode.alphas, eps, np.reshape(ode.Q, eps.shape + ode.Q.shape[-2:]),
                    np.reshape(ode.R, eps.shape + ode.R.shape[-2:]))
    _summary(a, ode.alphas, eps, f"ODE ({a.solver})")
    return 0


def _relu1d_mc(a):
    import numpy as np
    from scipy.stats import binomtest

    from sims.relu1d import crossing_task
    from sims.sweep import run_sweep
    tasks = [{"n": int(n), "n_nets": a.n_nets, "n_epochs": a.n_epochs, "init": a.init, "step": a.step} for n in a.n]
    results = run_sweep(crossing_task, tasks, a.store, seed=a.seed, executor=a.executor, progress=a.progress)
    rows = []
    for t, r in zip(tasks, results):
        status = np.asarray(r.values["status"]).astype(str)
        counts = {s: int((status == s).sum()) for s in ("crossed", "certified", "degenerate", "cap")}
        k, m = counts["crossed"], status.size
        ci = binomtest(k, m).proportion_ci(confidence_level=0.99, method="exact")
        rows.append({"n": t["n"], "n_nets": m, **counts, "p_cross": k / m, "ci99": [float(ci.low), float(ci.high)]})
        if not a.quiet:
            print(f"n={t['n']:6d}: P(cross) = {k / m:.4f}  99% CI [{ci.low:.4f}, {ci.high:.4f}]  "
                  f"(crossed {k}, certified {counts['certified']}, degenerate {counts['degenerate']}, "
                  f"undecided at the cap {counts['cap']}; reference 2 n^-1/2 = {2 / np.sqrt(t['n']):.4f})")
    man = _finish(a, None, extra={"subcommand": "relu1d-mc", "tasks": tasks}, save=False)
    if a.out:
        Path(a.out).write_text(json.dumps({"format": "twolayer-relu1d-mc", "version": 1, "rows": rows,
                                           "manifest": man}, indent=1))
    return 0


def _gmm_sgd(a):
    import numpy as np

    from sims.mixture_sgd import simulate_mixture_sgd
    mix = _mixture(a)
    tr = simulate_mixture_sgd(mix, a.K, a.eta, a.t_max, eta_v=a.eta_v, reg=a.reg, activation=a.activation,
                              n_seeds=a.seeds, seed=a.seed, backend=a.backend, init_std=a.init_std,
                              n_records=a.records, n_test=a.n_test, progress=a.progress)
    _finish(a, tr, backend=a.backend, extra={"subcommand": "gmm-sgd", "mixture": _mixture_record(a)})
    if not a.quiet:
        if a.n_test:
            c, m = tr.test_class[:, -1], tr.test_mse[:, -1]
            print(f"SGD ({a.backend}): at t={tr.t[-1]:g} test eps_class = {c.mean():.4g}, eps_mse = {m.mean():.4g} "
                  f"(mean over {c.size} runs, {a.n_test} test samples each)")
        else:
            print(f"SGD ({a.backend}): recorded {tr.t.size} times up to t={tr.t[-1]:g}; pass --n-test for test errors "
                  f"(|Q| at the end: {float(np.abs(tr.Q[:, -1]).mean()):.4g})")
    return 0


def _mixture_record(a):
    return {k: getattr(a, k) for k in ("mixture", "N", "delta", "scale", "rho", "clusters_per_label")}


def _gmm_ode(a):
    import numpy as np

    from sims.mixture_sgd import MixtureSGDTrajectory, mixture_initial_weights
    from theory.mixture_ode import MixtureODE
    mix = _mixture(a)
    if a.start:
        src = _load_start(a.start, MixtureSGDTrajectory, "a gmm-sgd trajectory")
        R0, Q0, v0 = src.R[:, 0], src.Q[:, 0], src.v[:, 0]
    else:    # the order parameters of a fresh initialisation at this N and seed
        w, v0 = mixture_initial_weights(a.N, a.K, a.seeds, a.seed, init_std=a.init_std)
        R0 = np.einsum("cn,skn->sck", mix.means, w) / a.N
        Q0 = np.einsum("skn,sln->skl", w, w) / a.N
    ode = MixtureODE.from_mixture(mix, R0.shape[-1], a.eta, reg=a.reg, activation=a.activation)
    traj = ode.integrate(R0, Q0, v0, np.linspace(0.0, a.t_max, a.records), method=a.solver)
    _finish(a, traj, extra={"subcommand": "gmm-ode", "from": a.start, "mixture": _mixture_record(a)})
    if not a.quiet:
        print(f"ODE ({a.solver}): at t={a.t_max:g} eps_class = {float(np.mean(traj.eps_class[..., -1])):.4g}, "
              f"eps_mse = {float(np.mean(traj.eps_mse[..., -1])):.4g} (mean over {np.size(traj.eps_mse[..., -1])} starts)")
    return 0


def _rf_error(a):
    from sims.mixture_sgd import random_feature_matrix
    from theory.random_features import GaussianEquivalentFeatures, rf_population_readout
    mix = _mixture(a)
    D = a.N
    P = a.P if a.P is not None else int(round(a.p_over_d * D))
    feat = GaussianEquivalentFeatures(mix.centres, mix.Delta, random_feature_matrix(P, D, seed=a.seed),
                                      activation=a.activation)
    out = rf_population_readout(feat, mix.labels, mix.probs, ridge=a.ridge, method=a.method)
    _finish(a, out, extra={"subcommand": "rf-error", "P": P, "mixture": _mixture_record(a)})
    if not a.quiet:
        bayes = mix.bayes_error(100_000, seed=a.seed)[0]
        print(f"random features P={P}, D={D} ({a.activation}): eps_class = {out.eps_class:.4g}, eps_mse = "
              f"{out.eps_mse:.4g}; Bayes error of the mixture ~ {bayes:.4g} (Monte Carlo, 1e5 samples)")
    return 0


def _repo_validations():
    root = Path(__file__).resolve().parent.parent
    v = root / "validations"
    if not (v / "conftest.py").is_file():
        raise SystemExit("twolayer: error: the validations are not next to this installation "
                         f"({v} not found); run from a checkout of the twolayer repository")
    return root, v


def _validate(a, extra):
    import subprocess
    root, v = _repo_validations()
    files = [str(v)]
    if a.paper:
        files = sorted(str(p) for p in v.glob(f"test_*{a.paper}*.py"))
        if not files:
            known = sorted(p.stem[5:] for p in v.glob("test_*.py"))
            raise SystemExit(f"twolayer: error: --paper {a.paper!r} matches no validation module; known: {', '.join(known)}")
    cmd = [sys.executable, "-m", "pytest", *files]
    if a.report:
        cmd += ["--report", a.report]
    if a.seed is not None:
        cmd += ["--claim-seed", str(a.seed)]
    if a.k:
        cmd += ["-k", a.k]
    if a.m:
        cmd += ["-m", a.m]
    cmd += list(extra)
    return subprocess.call(cmd, cwd=root)


def _audit(a, extra):
    import subprocess
    root, _ = _repo_validations()
    return subprocess.call([sys.executable, "-m", "validations.audit", *extra], cwd=root)


def _show(a):
    from .io import _read
    meta, arrays = _read(a.file)
    obj = meta["object"]
    kind = obj.get("__dataclass__", type(obj).__name__) if isinstance(obj, dict) else type(obj).__name__
    print(f"{a.file}: {meta['format']} v{meta['version']}, {kind}")
    if isinstance(obj, dict) and "fields" in obj:
        for name, val in obj["fields"].items():
            if isinstance(val, dict) and "__array__" in val:
                arr = arrays[val["__array__"]]
                print(f"  {name}: array {arr.dtype} {arr.shape}")
            elif isinstance(val, dict) and "__dataclass__" in val:
                print(f"  {name}: {val['__dataclass__']}")
            else:
                print(f"  {name}: {json.dumps(val)[:100]}")
    man = meta.get("manifest")
    if man:
        tl = man.get("twolayer", {})
        print(f"  made by twolayer {tl.get('version')} at commit {tl.get('commit')}"
              f"{' (uncommitted changes)' if tl.get('dirty') else ''}, {man.get('started')}, "
              f"{man.get('wall_s') or float('nan'):.3g} s, backend {man.get('backend')}, seed {man.get('seed')}")
        print(f"  command: {' '.join(man.get('command', []))}")
    return 0


def _warmup(a):
    from ._warmup import warmup
    times = warmup()
    print(f"compiled and cached the kernels of {len(times)} entry points in {sum(times.values()):.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``twolayer`` command (one subparser per subcommand)."""
    ap = argparse.ArgumentParser(prog="twolayer", description=__doc__.split("\n\n")[0],
                                 epilog="Each subcommand has --help. Results: twolayer.io (npz + JSON with provenance).")
    ap.add_argument("--version", action="version", version=f"twolayer {_version()}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("scm-sgd", help="online SGD of a soft committee machine (teacher-student)",
                       description="Online SGD of a K-unit student learning an M-unit teacher, batched over seeds.")
    _committee_options(p, sgd=True)
    p.set_defaults(run=_scm_sgd)

    p = sub.add_parser("scm-ode", help="the order-parameter ODE of the committee machine",
                       description="Integrate the N -> infinity order-parameter ODE (Saad & Solla 1995, eqs. 8-10; "
                                   "Goldt et al. 2019 for the second layer and noise), from the measured initial "
                                   "order parameters of an SGD run (--from) or of a fresh random initialisation "
                                   "at -N and --seed.")
    _committee_options(p, sgd=False)
    p.add_argument("--from", dest="start", metavar="FILE", help="an scm-sgd result: start from its initial overlaps")
    p.add_argument("--solver", choices=("DOP853", "RK45", "LSODA", "Radau", "RK4"), default="DOP853",
                   help="ODE method (default DOP853, rtol 1e-9)")
    p.set_defaults(run=_scm_ode)

    p = sub.add_parser("gmm-sgd", help="online SGD of a two-layer net on a Gaussian mixture",
                       description="Online SGD of a K-unit two-layer net classifying a Gaussian mixture, batched over "
                                   "seeds (Refinetti et al. 2021); order parameters R = mu w^T / N, Q = w w^T / N, v.")
    _mixture_options(p)
    _two_layer_options(p)
    p.add_argument("--n-test", type=_nonneg_int, default=0, help="fixed test samples per run (default 0: none)")
    p.add_argument("--backend", default="numpy", help="numpy (default), torch, torch:cuda, cupy")
    _output_options(p)
    p.set_defaults(run=_gmm_sgd)

    p = sub.add_parser("gmm-ode", help="the order-parameter ODE of the two-layer net on a Gaussian mixture",
                       description="Integrate the mixture ODE (Refinetti et al. 2021, isotropic clusters) from an "
                                   "gmm-sgd run's initial order parameters (--from) or a fresh initialisation.")
    _mixture_options(p)
    _two_layer_options(p)
    p.add_argument("--from", dest="start", metavar="FILE", help="a gmm-sgd result: start from its initial overlaps")
    p.add_argument("--solver", default="RK45", help="scipy solve_ivp method or RK4 (default RK45)")
    _output_options(p)
    p.set_defaults(run=_gmm_ode)

    p = sub.add_parser("rf-error", help="random-features population error on a Gaussian mixture",
                       description="Population least-squares readout of P random ReLU features of the D = N inputs "
                                   "(Gaussian-equivalent moments, Refinetti et al. 2021 section 4) and its errors.")
    _mixture_options(p)
    q = p.add_mutually_exclusive_group()
    q.add_argument("-P", type=_positive_int, default=None, help="features (default: --p-over-d x N)")
    q.add_argument("--p-over-d", type=float, default=2.0, help="P / D (default 2)")
    p.add_argument("--ridge", type=float, default=0.0, help="ridge added to the feature covariance (default 0)")
    p.add_argument("--g", "--activation", dest="activation", default="relu", help="feature activation (default relu)")
    p.add_argument("--method", choices=("cg", "dense"), default="cg", help="linear solver (default cg)")
    _output_options(p)
    p.set_defaults(run=_rf_error)

    p = sub.add_parser("relu1d-mc", help="Holzmueller-Steinwart crossing Monte Carlo (resumable sweep)",
                       description="P(a kink crosses the data) for GD on width-n 1-D ReLU nets, the set-up of "
                                   "Holzmueller & Steinwart (arXiv:2002.04861), through sims.sweep: rerunning with "
                                   "the same --store resumes.")
    p.add_argument("--n", type=_positive_int, nargs="+", default=[16, 32, 64], help="widths (default 16 32 64)")
    p.add_argument("--n-nets", type=_positive_int, default=1000, help="networks per width (default 1000)")
    p.add_argument("--n-epochs", type=_nonneg_int, default=1500, help="GD epochs (default 1500)")
    p.add_argument("--init", choices=("he", "swapped"), default="he", help="initialisation (default he)")
    p.add_argument("--step", choices=("large", "small"), default="large", help="step-size rule (default large)")
    p.add_argument("--store", required=True, metavar="DIR", help="sweep store (resumable)")
    p.add_argument("--executor", choices=("serial", "dask"), default="serial", help="default serial")
    p.add_argument("-s", "--seed", type=_nonneg_int, default=0, help="root seed (default 0)")
    p.add_argument("--out", metavar="FILE.json", help="summary with provenance")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--progress", action="store_true")
    p.set_defaults(run=_relu1d_mc)

    p = sub.add_parser("validate", help="run the validation claims (pytest), optionally one paper",
                       description="Run the claims of validations/ (needs a checkout of the repository). "
                                   "Unknown options go to pytest.")
    p.add_argument("--paper", help="a module name fragment, e.g. saad1995, goldt2019, refinetti2021")
    p.add_argument("--report", metavar="DIR", help="write the validation report here")
    p.add_argument("--seed", type=_nonneg_int, default=None, help="claim seed (default: the suite's default)")
    p.add_argument("-k", help="pytest -k expression")
    p.add_argument("-m", help="pytest -m expression (default: the suite's, 'not slow')")
    p.set_defaults(run=_validate, passthrough=True)

    p = sub.add_parser("audit", help="calibration and power audit over many seeds (python -m validations.audit)",
                       description="Every option goes to python -m validations.audit; see its --help.",
                       add_help=False)
    p.set_defaults(run=_audit, passthrough=True)

    p = sub.add_parser("warmup", help="compile and cache every numba kernel now (a first call then takes < 2 s)",
                       description="Run a tiny call of each main entry point so that numba compiles its kernels "
                                   "into the on-disk cache (scripts/install.sh runs this once).")
    p.set_defaults(run=_warmup)

    p = sub.add_parser("show", help="describe a saved result and its provenance")
    p.add_argument("file")
    p.set_defaults(run=_show)

    p = sub.add_parser("plot", help="draw a saved run (twolayer.plots; needs matplotlib)",
                       description="scm-sgd runs: order parameters and eps_g against alpha, with an ODE run "
                                   "(--ode, e.g. from scm-ode --from) as lines; wide-network runs recorded "
                                   "with particles: an animated GIF of the first-layer weights.")
    p.add_argument("file", help="a result saved by a twolayer subcommand or twolayer.io.save")
    p.add_argument("--ode", help="an ODE run (scm-ode) to draw as lines beside an scm-sgd run")
    p.add_argument("-o", "--out", required=True, help="output image (.png, .pdf, .svg; .gif for an animation)")
    p.add_argument("--member", type=int, default=0, help="ensemble member of an animation (default 0)")
    p.set_defaults(run=_plot)
    return ap


def _plot(a):
    from . import plots
    from .io import load
    res = load(a.file)
    kind = type(res).__name__
    if kind == "SGDTrajectory":
        ode = load(a.ode) if a.ode else None
        if ode is not None and type(ode).__name__ != "ODETrajectory":
            raise SystemExit(f"twolayer plot: error: --ode {a.ode} holds {type(ode).__name__}, not an ODE run")
        plots.order_parameters(res, ode, path=a.out)
    elif kind == "WideTrainingResult":
        if not str(a.out).endswith(".gif"):
            raise SystemExit("twolayer plot: error: a wide-network run is drawn as an animation: give -o NAME.gif")
        plots.first_layer_animation(res, a.out, member=a.member)
    else:
        raise SystemExit(f"twolayer plot: error: {a.file} holds {kind}; plot draws SGDTrajectory "
                         "(scm-sgd) and WideTrainingResult (with particles)")
    print(f"wrote {a.out}")
    return 0


def _version():
    from . import __version__
    return __version__


def main(argv=None) -> int:
    """Entry point of the ``twolayer`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = build_parser()
    if argv[:1] == ["audit"]:                     # everything after 'audit' belongs to validations.audit
        return _audit(None, argv[1:])
    a, extra = ap.parse_known_args(argv)
    if extra and not getattr(a, "passthrough", False):
        ap.error(f"unrecognized arguments: {' '.join(extra)}")
    a.started, a.t0 = _dt.datetime.now(_dt.timezone.utc), time.perf_counter()
    try:
        return a.run(a, extra) if getattr(a, "passthrough", False) else a.run(a)
    except (ValueError, TypeError) as err:        # bad parameters: the library's message, no traceback
        print(f"twolayer {a.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
