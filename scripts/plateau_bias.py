"""Finite-N bias of the plateau claim, over many runs and several N  (issue 15's plateau study)

    python scripts/plateau_bias.py K ETA ALPHA_MAX --sizes 2500,5000,10000 --runs 40 [--root 7]
                                   [--window common|own] [--json FILE]

Runs the statistic of ``validations/test_saad1995_committee.py::test_plateau_height_matches_symmetric_fixed_point``
(:func:`validations._committee.plateau_offsets`: 16 seeds per run, ``method="gram"``, each seed
paired with the ODE from its own measured initial order parameters) at each N, run r drawing
from ``SeedSequence([root, K, N, r])``, and reports

- per N: the bias of the paired plateau height, (height - eps_p) / eps_p, with its standard error,
  the per-seed spread, N x bias (constant for an O(1/N) bias) and the Stouffer z of the per-run
  t statistics;
- with three or more sizes, the claim's own test per run (Welch t of the intercept of a fit
  against 1/N, and the goodness of the 1/N law): the Stouffer z of the intercept's PITs, the KS
  p-values of the PITs and of the goodness-of-fit p-values, and the failures at the claim's alpha.

``--window own`` gives the earlier form of the claim (each seed's own window), whose bias does
not vanish with N (the finite-N escape; see the claim's docstring). The root is fixed before
looking; 7 is the study of 2026-12-01.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from scipy import stats

from theory.committee_fixed_points import symmetric_plateau
from validations._committee import plateau_offsets
from twolayer.claims.stats import ALPHA, replicate_fit_goodness_test, replicate_fit_test


def run(K, eta, alpha_max, sizes, runs, root, window):
    out = {}
    for N in sizes:
        out[N] = []
        for r in range(runs):
            h, *_ = plateau_offsets(K, eta, N, alpha_max, np.random.SeedSequence([root, K, N, r]), window=window)
            out[N].append(h.tolist())
            print(f"N={N} run {r + 1}/{runs}: {h.size} seeds", file=sys.stderr, flush=True)
    return out


def _stouffer_t(groups):
    zs = [stats.norm.ppf(stats.t.cdf(g.mean() / (g.std(ddof=1) / np.sqrt(g.size)), g.size - 1))
          for g in groups if g.size > 2]
    return sum(zs) / np.sqrt(len(zs))


def summarise(K, eta, heights) -> str:
    ep = symmetric_plateau(K, eta).eps_g
    lines = []
    for N, runs in heights.items():
        rel = [(np.array(h) - ep) / ep for h in runs]
        allv = np.concatenate(rel)
        se = allv.std(ddof=1) / np.sqrt(allv.size)
        lines.append(f"N={N}: {allv.size} seeds, bias {allv.mean():+.2e} +- {se:.1e} eps_p (per-seed SD "
                     f"{allv.std(ddof=1):.2e}), N x bias {N * allv.mean():+.2f}, Stouffer z {_stouffer_t(rel):+.2f}")
    sizes = list(heights)
    if len(sizes) >= 3:
        x = 1.0 / np.array(sizes, float)
        pits, gofs, fails, coef = [], [], 0, []
        for r in range(len(heights[sizes[0]])):
            groups = [np.array(heights[N][r]) for N in sizes]
            v = replicate_fit_test(x, groups, degree=1, coef=0, expected=ep, alpha=ALPHA / 2)
            g = replicate_fit_goodness_test(x, groups, degree=1, alpha=ALPHA / 2)
            pits.append(v.pit)
            gofs.append(g.p_value)
            coef.append(v.details["coefficients"][1] / ep)
            fails += (not v.passed) + (not g.passed)
        z = stats.norm.ppf(np.array(pits))
        lines.append(f"fit against 1/N over {sizes}, {len(pits)} runs: Stouffer z of the intercept {z.sum() / np.sqrt(z.size):+.2f}, "
                     f"KS p of its PITs {stats.kstest(pits, 'uniform').pvalue:.3f}, KS p of the goodness p-values "
                     f"{stats.kstest(gofs, 'uniform').pvalue:.3f}, 1/N coefficient {np.mean(coef):+.3f} +- "
                     f"{np.std(coef, ddof=1) / np.sqrt(len(coef)):.3f} eps_p, failures {fails} of {2 * len(pits)}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("K", type=int)
    ap.add_argument("eta", type=float)
    ap.add_argument("alpha_max", type=float)
    ap.add_argument("--sizes", default="2500,5000,10000", help="comma-separated N (default 2500,5000,10000)")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--root", type=int, default=7)
    ap.add_argument("--window", choices=("common", "own"), default="common")
    ap.add_argument("--json", help="write the per-seed heights here")
    a = ap.parse_args(argv)
    h = run(a.K, a.eta, a.alpha_max, [int(n) for n in a.sizes.split(",")], a.runs, a.root, a.window)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({str(k): v for k, v in h.items()}, fh)
    print(summarise(a.K, a.eta, h))
    return 0


if __name__ == "__main__":
    sys.exit(main())
