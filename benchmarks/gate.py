"""Performance gate: fail when a hot kernel has become >= 1.5x slower than at the recorded baseline.

``python -m benchmarks.gate`` measures, for every gated kernel, the speed ratio of our kernel against a
fixed reference implementation (:mod:`benchmarks.references` and friends, or a LAPACK solve), as
the median of interleaved pairs (:func:`benchmarks._timing.interleaved_ratio`). Absolute times
drift by ~30 % between runs on the shared 2-core machines; the two sides of a pair share the
drift, so the ratio does not. The gate compares each ratio with the one recorded in
``benchmarks/gate_baseline.json``:

    slowdown = baseline ratio / current ratio,   fail when slowdown >= FACTOR = 1.5.

A kernel that crosses the line is measured again with twice the pairs, and the decision is taken on
all its samples together, so that one disturbed batch does not fail CI while a real 1.5x slowdown,
seen in every pair, still does.

Every thread pool (Numba, OpenBLAS/MKL/OpenMP, torch) runs on **one thread** in the gate: on the
shared 2-core machines a parallel kernel against a serial reference measures how free the second
core happens to be as much as the kernel (the reduced 1-D GD read 0.95x-1.40x of its baseline over
five unchanged runs with two threads). The gate therefore catches slower kernels, not worse parallel
scaling; the asv ``track_`` ratios, measured with every thread, show the latter on the dashboard.

Commands::

    python -m benchmarks.gate                    # measure and compare (exit 1 on a slowdown)
    python -m benchmarks.gate --record           # measure 5 times, write the median as the baseline
    python -m benchmarks.gate --tree OLD_CHECKOUT  # gate another checkout's sims/theory (history checks)
    python -m benchmarks.gate --against baseline   # same-machine A/B against the baseline's commit (CI)
    python -m benchmarks.gate --list

``--tree`` puts another checkout's ``sims`` and ``theory`` in front of this one's, with this
checkout's gate and references; it is how the historical slowdowns are replayed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

FACTOR = 1.5
RECORD_RUNS = 15
THREADS = 1
POOLS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
BASELINE = Path(__file__).with_name("gate_baseline.json")


@dataclass(frozen=True)
class GatedKernel:
    """One gated kernel.

    ``build()`` does the set-up (outside the timing) and returns ``(ours, reference, scale)``: two
    zero-argument callables and the work of ``ours`` over the work of ``reference``.
    """

    name: str
    description: str
    build: Callable[[], tuple]
    pairs: int = 7
    needs: str | None = None        # optional module ("torch"): skipped, and said so, without it


# ---- set-ups --------------------------------------------------------------------------------------

def _repeat(fn, n):
    """``fn`` called ``n`` times: brings a kernel of a few ms to a sample long enough to time."""
    def run():
        for _ in range(n):
            fn()
    return run


def _relu1d_problem(n=64, B=200):
    from .bench_relu1d import _setup
    return _setup(n, B)


def _relu1d_reference(a0, w0, p, h, epochs, k):
    from theory.relu1d import PAPER_X, PAPER_Y
    from .references_relu1d import reference_per_network_gd
    return lambda: reference_per_network_gd(a0[:k], w0[:k], p[:k], h[:k], epochs, PAPER_X, PAPER_Y)


def build_relu1d_gd(epochs=300, k=8, reps=3):
    """Compiled 1-D ReLU GD (n = 64, 200 networks, 300 epochs) vs the per-network NumPy loop."""
    from sims.relu1d import train_relu1d
    from theory.relu1d import PAPER_X, PAPER_Y
    a0, w0, p, h = _relu1d_problem()
    ours = _repeat(lambda: train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, epochs), reps)
    return ours, _relu1d_reference(a0, w0, p, h, epochs, k), reps * a0.shape[0] / k


def build_relu1d_array_api(epochs=100):
    """Array-API 1-D ReLU GD on NumPy (the torch/CuPy path; n = 64, 200 networks, 100 epochs, one
    check at the end) vs the research code's vectorised NumPy GD over the same networks."""
    from sims.relu1d import train_relu1d
    from theory.relu1d import PAPER_X, PAPER_Y
    from .references_relu1d import reference_vectorised_gd
    a0, w0, p, h = _relu1d_problem()
    return (lambda: train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, epochs, check_every=epochs, use_numba=False),
            lambda: reference_vectorised_gd(a0, w0, p, h, epochs, PAPER_X, PAPER_Y), 1.0)


def build_reduced_gd(epochs=300, k=8, reps=6):
    """The reduced 1-D system (same networks and epochs) vs the per-network NumPy loop."""
    from theory.relu1d import PAPER_X, PAPER_Y, reduced_gd
    a0, w0, p, h = _relu1d_problem()
    ours = _repeat(lambda: reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, epochs), reps)
    return ours, _relu1d_reference(a0, w0, p, h, epochs, k), reps * a0.shape[0] / k


def build_rf_readout(P=1600, D=800):
    """Random-features population readout by CG (P = 1600, D = 800, XOR) vs a dense P x P Cholesky solve."""
    import numpy as np
    from scipy.linalg import cho_factor, cho_solve
    from sims.gaussian_mixture import xor_mixture
    from sims.mixture_sgd import random_feature_matrix
    from theory.random_features import GaussianEquivalentFeatures, rf_population_readout
    mix = xor_mixture(D, 0.1)
    F = random_feature_matrix(P, D, seed=0)
    feat = GaussianEquivalentFeatures(mix.centres, 0.1, F)
    A = F @ F.T / D + np.eye(P)
    rhs = np.ones(P)
    ours = lambda: rf_population_readout(feat, mix.labels, mix.probs)             # noqa: E731
    return ours, lambda: cho_solve(cho_factor(A), rhs), 1.0


def build_committee_sgd(method="gram", n_seeds=16, n_steps=10_000, ref_steps=1_000):
    """Online SGD, erf, K = M = 2, N = 500, batched over seeds, vs one seed's per-sample NumPy loop."""
    from sims.teacher_student import TeacherStudent, simulate_sgd
    from .references import reference_sgd_loop
    p = TeacherStudent(N=500, K=2, M=2, eta=1.0, init_overlap=0.2)
    ours = lambda: simulate_sgd(p, n_steps / 500, n_seeds=n_seeds, method=method, n_records=3)  # noqa: E731
    return ours, lambda: reference_sgd_loop(500, 2, 2, 1.0, ref_steps), n_seeds * n_steps / ref_steps


def build_committee_sgd_full():
    """Explicit-weight SGD (method='full'), 8 seeds x 1000 steps, vs the per-sample loop."""
    return build_committee_sgd("full", 8, 1_000, 1_000)


def build_committee_ode(calls=200, ref_calls=10):
    """Committee ODE right-hand side (erf, K = 6, M = 3) vs one closed-form call per index tuple."""
    import numpy as np
    from theory.committee_ode import CommitteeODE
    from .references import reference_ode_rhs
    K, M = 6, 3
    ode = CommitteeODE(K=K, M=M, eta=0.5, sigma=0.1)
    rng = np.random.default_rng(0)
    Q, R = np.eye(K) * 0.5, rng.normal(0, 0.1, (K, M))
    y = ode.pack(Q, R)
    T, v, vs = np.eye(M), np.ones(K), np.ones(M)

    return (_repeat(lambda: ode.rhs_packed(y), calls),
            _repeat(lambda: reference_ode_rhs(Q, R, T, v, vs, 0.5, 0.1), ref_calls), calls / ref_calls)


def build_mixture_ode(calls=10, ref_samples=500):
    """Mixture ODE right-hand side (K = 4, XOR, 4 clusters) vs per-tuple Monte Carlo (500 samples/tuple)."""
    from theory.mixture_ode import MixtureODE
    from .bench_mixture import _ode_state
    from .references_mixture import reference_rhs_per_tuple_mc
    mix, R, Q, v = _ode_state(4)
    ode = MixtureODE.from_mixture(mix, 4, 0.5)
    return _repeat(lambda: ode.rhs(R, Q, v), calls), lambda: reference_rhs_per_tuple_mc(ode, R, Q, v, ref_samples), \
        float(calls)


def build_mixture_ode_shared_mc(calls=10, ns=10_000):
    """Mixture ODE right-hand side (K = 4, XOR, 4 clusters) vs the research code's scheme: one shared
    set of 10^4 samples per cluster, one Monte Carlo mean per index tuple."""
    from theory.mixture_ode import MixtureODE
    from .bench_mixture import _ode_state
    from .references_mixture import reference_rhs_shared_mc
    mix, R, Q, v = _ode_state(4)
    ode = MixtureODE.from_mixture(mix, 4, 0.5)
    return _repeat(lambda: ode.rhs(R, Q, v), calls), lambda: reference_rhs_shared_mc(ode, R, Q, v, ns), \
        float(calls)


def build_mixture_sgd(n_seeds=8, steps=2000, ref_seeds=1):
    """Online SGD of the ReLU 2LNN on the XOR mixture (N = 500, K = 4), batched, vs a per-seed NumPy loop."""
    from sims.gaussian_mixture import xor_mixture
    from sims.mixture_sgd import mixture_initial_weights, simulate_mixture_sgd
    from .bench_mixture import reference_sgd_loop
    mix = xor_mixture(500, 0.1)
    w0, v0 = mixture_initial_weights(500, 4, n_seeds, 0)
    ours = lambda: simulate_mixture_sgd(mix, 4, 0.5, steps / 500, n_seeds=n_seeds, n_records=2,   # noqa: E731
                                        initial_weights=(w0, v0))
    ref = lambda: [reference_sgd_loop(mix, 4, 0.5, steps, w0[s], v0[s], s) for s in range(ref_seeds)]  # noqa: E731
    return ours, ref, n_seeds / ref_seeds


def build_init_kv(n_members=20_000, ref_networks=200):
    """K and V at initialisation (tanh, depth 4, width 100), marginal sampler vs a per-network loop."""
    import numpy as np
    from sims.mlp_init import sample_init_ensemble
    from .references_init import reference_kernel_loop
    X1 = np.array([[1.0, 0.5, -0.3]])
    ours = lambda: sample_init_ensemble(X1, (100,) * 3, n_members=n_members, seed=0, method="marginal",  # noqa: E731
                                        C_b=0.1, C_W=1.0, activation="tanh")
    return ours, lambda: reference_kernel_loop(X1[0], 100, 4, 0.1, 1.0, ref_networks), n_members / ref_networks


def _wide(width, P):
    from .bench_wide import _data, _model
    X, Y = _data(P)
    return _model(width), X, Y


def _torch_threads():
    import torch
    torch.set_num_threads(int(os.environ.get("NUMBA_NUM_THREADS", torch.get_num_threads())))


def build_wide_ntk(width=1024, P=128, reps=10):
    """Layer-wise empirical NTK (torch CPU, width 1024, 128 points) vs per-sample autograd."""
    from sims.wide_training import empirical_ntk, init_params
    from .references_wide import reference_ntk_autograd
    _torch_threads()
    model, X, _ = _wide(width, P)
    params = init_params(model, 1, seed=0, backend="torch")
    ours = _repeat(lambda: empirical_ntk(model, params, X, backend="torch"), reps)
    return ours, lambda: reference_ntk_autograd(X, width), float(reps)


def build_wide_training(n_seeds=32, width=512, P=16, n_steps=30, ref_seeds=2):
    """Batched GD of 32 width-512 nets (torch CPU, with linearisation and NTK) vs a per-seed autograd loop."""
    from sims.wide_training import train_gd
    from .references_wide import reference_training_loop
    _torch_threads()
    model, X, Y = _wide(width, P)
    eta = 0.2
    ours = lambda: train_gd(model, X, Y, eta=eta, n_steps=n_steps, n_seeds=n_seeds, backend="torch",  # noqa: E731
                            n_records=3)
    return ours, lambda: reference_training_loop(X, Y, width, ref_seeds, eta, n_steps), n_seeds / ref_seeds


KERNELS: dict[str, GatedKernel] = {k.name: k for k in (
    GatedKernel("relu1d_gd", build_relu1d_gd.__doc__, build_relu1d_gd),
    GatedKernel("relu1d_array_api", build_relu1d_array_api.__doc__, build_relu1d_array_api),
    GatedKernel("relu1d_reduced_gd", build_reduced_gd.__doc__, build_reduced_gd),
    GatedKernel("rf_readout_cg", build_rf_readout.__doc__, build_rf_readout),
    GatedKernel("committee_sgd_gram", build_committee_sgd.__doc__, build_committee_sgd),
    GatedKernel("committee_sgd_full", build_committee_sgd_full.__doc__, build_committee_sgd_full),
    GatedKernel("committee_ode_rhs", build_committee_ode.__doc__, build_committee_ode),
    GatedKernel("mixture_ode_rhs", build_mixture_ode.__doc__, build_mixture_ode),
    GatedKernel("mixture_ode_shared_mc", build_mixture_ode_shared_mc.__doc__, build_mixture_ode_shared_mc,
                pairs=5),
    GatedKernel("mixture_sgd", build_mixture_sgd.__doc__, build_mixture_sgd),
    GatedKernel("init_kv_marginal", build_init_kv.__doc__, build_init_kv),
    GatedKernel("wide_ntk_torch", build_wide_ntk.__doc__, build_wide_ntk, needs="torch"),
    GatedKernel("wide_training_torch", build_wide_training.__doc__, build_wide_training, needs="torch"),
)}


# ---- measuring and deciding -----------------------------------------------------------------------

def available(kernel: GatedKernel) -> bool:
    if kernel.needs is None:
        return True
    import importlib.util
    return importlib.util.find_spec(kernel.needs) is not None


_TREE: Path | None = None           # set by --tree: the checkout whose sims/theory are gated


class NotInTree(RuntimeError):
    """A gated kernel that the checkout given by ``--tree`` does not have (an older commit)."""


def _check_tree(name: str) -> None:
    if _TREE is None:
        return
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None) or ""
        if mod.__name__.split(".")[0] in ("sims", "theory") and f and not Path(f).resolve().is_relative_to(_TREE):
            raise NotInTree(f"{name}: {mod.__name__} is not in {_TREE} (it came from {f})")


def measure(name: str, pairs: int | None = None):
    """The :class:`~benchmarks._timing.Ratio` of kernel ``name`` (set-up excluded, one warm-up call)."""
    from ._timing import interleaved_ratio
    k = resolve(name)
    try:
        ours, ref, scale = k.build()
    except ImportError as exc:
        if _TREE is not None:
            raise NotInTree(f"{name}: {exc}") from exc
        raise
    _check_tree(name)
    return interleaved_ratio(ours, ref, pairs=pairs or k.pairs, scale=scale)


def resolve(name: str) -> GatedKernel:
    """The gated kernel called ``name``; ValueError listing the known names otherwise."""
    try:
        return KERNELS[name]
    except KeyError:
        raise ValueError(f"unknown gated kernel {name!r}; known: {', '.join(KERNELS)}") from None


def load_baseline(path: Path = BASELINE) -> dict:
    """The recorded baseline: ``{"kernels": {name: {"ratio": float, ...}}, "commit": str, ...}``."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no gate baseline at {path}; record one with `python -m benchmarks.gate --record`")
    return json.loads(Path(path).read_text())


def decide(baseline_ratio: float, ratio: float, factor: float = FACTOR) -> tuple[float, bool]:
    """(slowdown = baseline_ratio / ratio, failed = slowdown >= factor)."""
    if not (ratio > 0 and baseline_ratio > 0):
        raise ValueError(f"ratios must be positive, got baseline {baseline_ratio!r} and current {ratio!r}")
    slowdown = baseline_ratio / ratio
    return slowdown, bool(slowdown >= factor)


def gate(names, baseline: dict, factor: float = FACTOR, out=print) -> list[dict]:
    """Measure ``names`` and compare each with ``baseline``; returns one row per kernel.

    A kernel over the line is measured again with twice its pairs, *after all the others* and in a
    *fresh process* (:func:`measure_in_fresh_process`), and decided on all its samples: the
    run-to-run variation of these ratios is mostly between processes (memory layout, which core
    the process lands on), so a second look in the same process would repeat the first one's luck."""
    import numpy as np
    rows, over = {}, []
    for name in names:
        k = resolve(name)
        if not available(k):
            out(f"  {name:22s} skipped: {k.needs} is not installed")
            rows[name] = {"kernel": name, "skipped": True}
            continue
        if name not in baseline["kernels"]:
            raise KeyError(f"gated kernel {name!r} has no baseline; record one with --record")
        base = float(baseline["kernels"][name]["ratio"])
        try:
            r = measure(name)
        except NotInTree as exc:
            out(f"  {name:22s} skipped: not in this tree ({exc})")
            rows[name] = {"kernel": name, "skipped": True, "reason": str(exc)}
            continue
        slowdown, failed = decide(base, r.median, factor)
        rows[name] = {"kernel": name, "ratio": r.median, "baseline": base, "slowdown": slowdown, "failed": failed,
                      "remeasured": False, "samples": np.asarray(r.samples).tolist(), "spread": r.spread}
        if failed:
            over.append(name)
        else:
            _line(out, rows[name])
    fresh = measure_in_fresh_process(over, pairs_factor=2) if over else {}
    for name in over:
        row = rows[name]
        samples = np.concatenate([row["samples"], fresh[name]])
        slowdown, failed = decide(row["baseline"], float(np.median(samples)), factor)
        row.update(ratio=float(np.median(samples)), slowdown=slowdown, failed=failed, remeasured=True,
                   first_slowdown=row["slowdown"], samples=samples.tolist())
        _line(out, row)
    return [rows[n] for n in names]


def measure_in_fresh_process(names, pairs_factor: int = 1, tree="same") -> dict:
    """{name: samples} measured by a new ``python -m benchmarks.gate --measure-only`` process, with the
    same thread pools (inherited environment) and the same ``--tree`` (or ``tree``: a checkout, or
    None for this one). Kernels the tree lacks are left out."""
    import tempfile
    tree = _TREE if tree == "same" else tree
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / "rows.json"
        cmd = [sys.executable, "-m", "benchmarks.gate", *names, "--measure-only", "--pairs-factor", str(pairs_factor),
               "--json", str(out), "--threads", os.environ.get("NUMBA_NUM_THREADS", str(THREADS))]
        if tree is not None:
            cmd += ["--tree", str(tree)]
        proc = subprocess.run(cmd, cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"the fresh-process measurement of {', '.join(names)} failed:\n{proc.stderr[-2000:]}")
        return {r["kernel"]: r["samples"] for r in json.loads(out.read_text()) if not r.get("skipped")}


def export_tree(rev: str, dest: Path, repo: Path | None = None) -> Path:
    """Write the ``sims``, ``theory`` and ``twolayer`` packages of commit ``rev`` into ``dest``
    (``git archive``; the repository itself is not touched). Returns ``dest``."""
    repo = repo or Path(__file__).resolve().parent.parent
    dest.mkdir(parents=True, exist_ok=True)
    arch = subprocess.run(["git", "archive", "--format=tar", rev, "sims", "theory", "twolayer"], cwd=repo,
                          capture_output=True, check=False)
    if arch.returncode != 0:
        raise RuntimeError(f"git archive {rev} failed: {arch.stderr.decode(errors='replace')[-500:]}")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch.stdout, check=True)
    return dest


def gate_against(names, rev: str, rounds: int = 2, factor: float = FACTOR, out=print) -> list[dict]:
    """Same-machine A/B gate: the sims/theory of commit ``rev`` and of this checkout, measured in
    alternating fresh processes (``rounds`` each), every ratio against the same fixed reference.

    slowdown = median ratio of ``rev`` / median ratio of this checkout; fail at >= ``factor``. The
    machine, its CPU and its drift enter both sides alike, so the verdict does not depend on which
    machine runs it (a stored baseline does: these ratios moved by up to 1.8x between VM instances
    for unchanged code). A kernel over the line gets two more rounds with twice the pairs, decided
    on all rounds."""
    import tempfile
    import numpy as np
    rows = {}
    with tempfile.TemporaryDirectory(prefix="gate-base-") as td:
        base_tree = export_tree(rev, Path(td) / "tree")

        def run(todo, n_rounds, pairs_factor):
            got = {n: ([], []) for n in todo}
            for _ in range(n_rounds):
                for side, tree in ((0, base_tree), (1, None)):
                    for n, smp in measure_in_fresh_process(todo, pairs_factor, tree=tree).items():
                        got[n][side].append(float(np.median(smp)))
            return got

        got = run(names, rounds, 1)
        over = []
        for n in names:
            base, cur = got[n]
            if not base or not cur:
                out(f"  {n:22s} skipped: not in {rev} (or not installed)")
                rows[n] = {"kernel": n, "skipped": True}
                continue
            slowdown, failed = decide(float(np.median(base)), float(np.median(cur)), factor)
            rows[n] = {"kernel": n, "ratio": float(np.median(cur)), "baseline": float(np.median(base)),
                       "slowdown": slowdown, "failed": failed, "remeasured": False, "rounds": [base, cur],
                       "spread": float(np.ptp(cur) / (2 * np.median(cur))) if len(cur) > 1 else 0.0}
            (over.append(n) if failed else _line(out, rows[n]))
        if over:
            more = run(over, 2, 2)
            for n in over:
                base = rows[n]["rounds"][0] + more[n][0]
                cur = rows[n]["rounds"][1] + more[n][1]
                slowdown, failed = decide(float(np.median(base)), float(np.median(cur)), factor)
                rows[n].update(ratio=float(np.median(cur)), baseline=float(np.median(base)), slowdown=slowdown,
                               failed=failed, remeasured=True, first_slowdown=rows[n]["slowdown"], rounds=[base, cur])
                _line(out, rows[n])
    return [rows[n] for n in names]


def _line(out, row):
    extra = f" (re-measured; first look {row['first_slowdown']:.2f}x)" if row["remeasured"] else ""
    out(f"  {row['kernel']:22s} ratio {row['ratio']:9.2f}  baseline {row['baseline']:9.2f}  "
        f"slowdown {row['slowdown']:5.2f}x  spread ±{row['spread']:.0%}  {'SLOWER' if row['failed'] else 'ok'}{extra}")


def _commit(cwd: Path) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(names, runs: int = RECORD_RUNS, path: Path = BASELINE, out=print) -> dict:
    """Measure every kernel ``runs`` times and write the median ratio of each as the new baseline."""
    import numpy as np
    kernels = {}
    todo = [n for n in names if available(resolve(n))]
    for name in names:
        if name not in todo:
            out(f"  {name:22s} skipped: {resolve(name).needs} is not installed")
    runs_by = {n: [] for n in todo}
    for i in range(runs):           # one fresh process per run: the baseline spans between-process variation
        for name, samples in measure_in_fresh_process(todo).items():
            runs_by[name].append(float(np.median(samples)))
        out(f"  run {i + 1}/{runs} done")
    for name in todo:
        meds, k = runs_by[name], resolve(name)
        kernels[name] = {"ratio": float(np.median(meds)), "runs": meds, "description": " ".join(k.description.split())}
        out(f"  {name:22s} ratio {np.median(meds):9.2f}  runs {', '.join(f'{m:.2f}' for m in meds)}")
    # with --tree the gated sims/theory are that checkout's: the baseline is its commit's
    doc = {"factor": FACTOR, "commit": _commit(_TREE if _TREE is not None else Path(__file__).parent),
           "machine": "reference (2 cores, like CI)",
           "threads": os.environ.get("NUMBA_NUM_THREADS"), "kernels": kernels}
    Path(path).write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def pin_threads(n: int = THREADS) -> None:
    """Give every thread pool ``n`` threads; must run before NumPy, Numba or torch is imported."""
    loaded = [m for m in ("numpy", "numba", "torch") if m in sys.modules]
    if loaded:
        raise RuntimeError(f"pin_threads must run before {', '.join(loaded)} is imported")
    for var in POOLS:
        os.environ[var] = str(n)


def cli(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gate",
                                 description="Fail when a gated hot kernel is >= FACTOR slower than at the baseline "
                                             "(ratios against fixed references, median of interleaved pairs).")
    ap.add_argument("kernels", nargs="*", help="gated kernels to run (default: all; see --list)")
    ap.add_argument("--record", action="store_true", help=f"measure {RECORD_RUNS} times and write the baseline")
    ap.add_argument("--baseline", type=Path, default=BASELINE, help="baseline file (default: %(default)s)")
    ap.add_argument("--factor", type=float, default=FACTOR, help="slowdown that fails (default: %(default)s)")
    ap.add_argument("--tree", type=Path, help="another checkout whose sims/theory are gated instead of this one's")
    ap.add_argument("--against", metavar="REV",
                    help="same-machine A/B: measure commit REV ('baseline': the baseline file's commit) and this "
                         "checkout in alternating fresh processes and compare them, instead of the stored ratios")
    ap.add_argument("--rounds", type=int, default=2, help="with --against: fresh processes per side (default 2)")
    ap.add_argument("--json", type=Path, help="write the rows to this file")
    ap.add_argument("--list", action="store_true", help="list the gated kernels and exit")
    ap.add_argument("--measure-only", action="store_true",
                    help="measure and write the samples (--json), no decision (the gate's fresh-process second look)")
    ap.add_argument("--pairs-factor", type=int, default=1, help="with --measure-only: multiply each kernel's pairs")
    ap.add_argument("--threads", type=int, default=THREADS,
                    help="threads of every pool (default: %(default)s; the baseline is recorded with 1)")
    args = ap.parse_args(argv)
    if args.list:
        for k in KERNELS.values():
            print(f"{k.name:22s} {' '.join(k.description.split())}")
        return 0
    if not args.factor > 1:
        ap.error(f"--factor must be > 1, got {args.factor}")
    names = args.kernels or list(KERNELS)
    for n in names:
        if n not in KERNELS:
            ap.error(f"unknown gated kernel {n!r}; known: {', '.join(KERNELS)}")
    if args.threads < 1:
        ap.error(f"--threads must be >= 1, got {args.threads}")
    if not any(m in sys.modules for m in ("numpy", "numba", "torch")):
        pin_threads(args.threads)
    elif os.environ.get("NUMBA_NUM_THREADS") != str(args.threads):
        print(f"warning: NumPy is already imported; thread pools are not pinned to {args.threads}", file=sys.stderr)
    if args.tree is not None:
        tree = args.tree.resolve()
        if not (tree / "sims").is_dir():
            ap.error(f"--tree {tree} has no sims/ package")
        if "sims" in sys.modules or "theory" in sys.modules:
            raise RuntimeError("--tree must be applied before sims/theory are imported")
        sys.path.insert(0, str(tree))
        # an editable install would fill the old tree's gaps with this checkout's modules: drop it
        from . import drop_editable_finder
        drop_editable_finder()
        global _TREE
        _TREE = tree
        print(f"gating the sims/theory of {tree} (commit {_commit(tree)})")
    if args.measure_only:
        rows = []
        for name in names:
            try:
                r = measure(name, args.pairs_factor * resolve(name).pairs)
            except NotInTree as exc:
                rows.append({"kernel": name, "skipped": True, "reason": str(exc)})
                continue
            rows.append({"kernel": name, "ratio": r.median, "samples": [float(x) for x in r.samples]})
        if args.json:
            args.json.write_text(json.dumps(rows) + "\n")
        return 0
    if args.record:
        record(names, path=args.baseline)
        return 0
    if args.against is not None:
        if args.tree is not None:
            ap.error("--against compares this checkout with REV; it takes no --tree")
        if args.rounds < 1:
            ap.error(f"--rounds must be >= 1, got {args.rounds}")
        rev = load_baseline(args.baseline).get("commit") if args.against == "baseline" else args.against
        print(f"performance gate: fail at a slowdown >= {args.factor}x against commit {rev}, measured now on this "
              f"machine ({args.rounds} alternating fresh processes per side)")
        rows = gate_against(names, rev, args.rounds, args.factor)
    else:
        baseline = load_baseline(args.baseline)
        print(f"performance gate: fail at a slowdown >= {args.factor}x against the baseline of commit "
              f"{baseline.get('commit')}")
        rows = gate(names, baseline, args.factor)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    slow = [r["kernel"] for r in rows if r.get("failed")]
    if slow:
        print(f"performance gate FAILED: {', '.join(slow)} ran >= {args.factor}x slower than the baseline",
              file=sys.stderr)
        return 1
    print(f"performance gate passed ({sum(not r.get('skipped') for r in rows)} kernels)")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
