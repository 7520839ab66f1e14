"""Where in the plateau window does SGD depart from its ODE?  (issue 15's plateau study)

    python scripts/plateau_bias.py K ETA N ALPHA_MAX --runs 24 [--root 20261201] [--json FILE]

Runs the statistic of ``validations/test_saad1995_committee.py::test_plateau_height_matches_symmetric_fixed_point``
(16 seeds per run, ``method="gram"``, each seed paired with the ODE from its own measured initial
order parameters, the window where that ODE is within 0.5 % of the symmetric fixed point) and
reports, over all seeds:

- the relative bias (eps_SGD - eps_ODE) / eps_p over the whole window, with its standard error;
- the same in the first, middle and last third of each seed's window (a bias in the last third is
  SGD escaping the plateau earlier than its ODE at finite N; in the first, a late approach);
- the Stouffer z of the per-run t statistics (what the calibration audit computes).

The root seed is fixed before looking (default: the one used in the 2026-12-01 study).
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from scipy import stats

from sims.teacher_student import TeacherStudent, simulate_sgd
from theory.committee_fixed_points import symmetric_plateau


def run(K: int, eta: float, N: int, alpha_max: float, runs: int, root: int) -> list[dict]:
    fp = symmetric_plateau(K, eta)
    out = []
    for r in range(runs):
        p = TeacherStudent(N=N, K=K, M=K, eta=eta, orthonormal_teacher=True, init_std=0.1)
        tr = simulate_sgd(p, alphas=np.linspace(0.0, alpha_max, 151), n_seeds=16,
                          seed=np.random.SeedSequence([root, K, N, r]), method="gram")
        Q0, R0, v0, _ = tr.initial_order_parameters()
        ode = tr.ode().integrate(Q0, R0, v0, tr.alphas, rtol=1e-9, atol=1e-12)
        near = np.abs(ode.eps_g / fp.eps_g - 1.0) < 5e-3
        for s in np.nonzero(near.sum(axis=1) >= 3)[0]:
            idx = np.nonzero(near[s])[0]
            d = (tr.eps_g[s, idx] - ode.eps_g[s, idx]) / fp.eps_g
            out.append({"run": r, "d": float(d.mean()), "thirds": [float(x.mean()) for x in np.array_split(d, 3)],
                        "window": [float(tr.alphas[idx[0]]), float(tr.alphas[idx[-1]])]})
        print(f"run {r + 1}/{runs}: {len(out)} seeds", file=sys.stderr, flush=True)
    return out


def summarise(rows: list[dict]) -> str:
    d = np.array([r["d"] for r in rows])
    th = np.array([r["thirds"] for r in rows])
    se = lambda x: x.std(ddof=1) / np.sqrt(x.size)  # noqa: E731
    lines = [f"seeds {d.size}: relative bias {d.mean():+.2e} +- {se(d):.1e} (per-seed SD {d.std(ddof=1):.2e})"]
    for k, name in enumerate(("first", "middle", "last")):
        lines.append(f"  {name:6s} third of the window: {th[:, k].mean():+.2e} +- {se(th[:, k]):.1e}")
    ts = []
    for r in sorted({x["run"] for x in rows}):
        y = np.array([x["d"] for x in rows if x["run"] == r])
        ts.append((y.mean() / se(y), y.size - 1))
    z = sum(stats.norm.ppf(stats.t.cdf(t, df)) for t, df in ts) / np.sqrt(len(ts))
    lines.append(f"Stouffer z over {len(ts)} runs: {z:+.2f}")
    w = np.array([r["window"] for r in rows])
    lines.append(f"window: alpha {np.median(w[:, 0]):.0f} .. {np.median(w[:, 1]):.0f} (medians)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("K", type=int)
    ap.add_argument("eta", type=float)
    ap.add_argument("N", type=int)
    ap.add_argument("alpha_max", type=float)
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--root", type=int, default=20261201)
    ap.add_argument("--json", help="write the per-seed rows here")
    a = ap.parse_args(argv)
    rows = run(a.K, a.eta, a.N, a.alpha_max, a.runs, a.root)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh)
    print(summarise(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
