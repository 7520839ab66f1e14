"""Tiny calls that compile every numba kernel of the main entry points (``twolayer warmup``).

numba caches compiled kernels on disk (``cache=True``); the first call after an install pays
the compilation (seconds per kernel, measured by ``scripts/cold_start.py``), every later process
loads them. ``twolayer warmup`` (run by ``scripts/install.sh``) pays it once, at install time.
Each entry is (imports, call) source text, so that the cold-start script can time the same
calls in fresh processes; imports of :mod:`sims` and :mod:`theory` happen only when run.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

#: entry -> (imports, call): small problems, so the time is compilation and set-up, not work
ENTRIES = {
    "simulate_sgd[gram]": ("from sims.teacher_student import TeacherStudent, simulate_sgd",
                           "simulate_sgd(TeacherStudent(N=100, K=2, M=2, eta=0.5), 1.0, n_seeds=2, method='gram')"),
    "simulate_sgd[full]": ("from sims.teacher_student import TeacherStudent, simulate_sgd",
                           "simulate_sgd(TeacherStudent(N=100, K=2, M=2, eta=0.5), 1.0, n_seeds=2, method='full')"),
    "CommitteeODE.integrate": ("from theory.committee_ode import CommitteeODE\nimport numpy as np",
                               "CommitteeODE(K=2, M=2, eta=0.5).integrate(0.1 * np.eye(2), 0.01 * np.eye(2), None, [0, 5])"),
    "CommitteeODE.integrate[relu]": ("from theory.committee_ode import CommitteeODE\nimport numpy as np",
                                     "CommitteeODE(K=2, M=2, eta=0.5, activation='relu').integrate("
                                     "0.1 * np.eye(2), 0.01 * np.eye(2), None, [0, 5])"),
    "train_relu1d": ("from sims.relu1d import paper_networks, train_relu1d\nfrom theory.relu1d import PAPER_X, PAPER_Y",
                     "a0, w0, p, h = paper_networks(8, 4, seed=1)\ntrain_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 20)"),
    "reduced_gd": ("from sims.relu1d import paper_networks\nfrom theory.relu1d import PAPER_X, PAPER_Y, reduced_gd",
                   "a0, w0, p, h = paper_networks(8, 4, seed=1)\nreduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, 20)"),
    "train_relu_nd_gd": ("from sims.relu_nd import draw_relu_nd_init, star_dataset, train_relu_nd_gd\nimport numpy as np",
                         "X, y = star_dataset(5, 0.2)\nA0, w0 = draw_relu_nd_init(4, 2, 3, seed=1)\n"
                         "train_relu_nd_gd(A0, w0, X, y, np.full((3, y.size), 1.0 / y.size), 0.01, 5)"),
    "rf_population_readout": ("from sims.gaussian_mixture import xor_mixture\n"
                              "from sims.mixture_sgd import random_feature_matrix\n"
                              "from theory.random_features import GaussianEquivalentFeatures, rf_population_readout",
                              "mix = xor_mixture(20, 0.1)\n"
                              "feat = GaussianEquivalentFeatures(mix.centres, 0.1, random_feature_matrix(40, 20))\n"
                              "rf_population_readout(feat, mix.labels, mix.probs)"),
    "simulate_mixture_sgd": ("from sims.gaussian_mixture import xor_mixture\nfrom sims.mixture_sgd import simulate_mixture_sgd",
                             "simulate_mixture_sgd(xor_mixture(20, 0.1), 2, 0.1, 1.0, n_seeds=2)"),
    "sample_init_ensemble": ("from sims.mlp_init import sample_init_ensemble\nimport numpy as np",
                             "sample_init_ensemble(np.eye(3), (16,), C_b=0.0, C_W=1.0, n_members=8)"),
    "train_gd": ("from sims.wide_training import WideMLP, train_gd\nimport numpy as np",
                 "train_gd(WideMLP((3, 16), 'tanh', 'ntk'), np.eye(3)[:2], np.zeros(2), eta=0.01, n_steps=3)"),
}



def warmup(entries=None, *, stream="stderr") -> dict:
    """Run each entry's call once in this process (compiling and caching its kernels); returns
    {entry: seconds}. Progress goes to ``stream`` (default: ``sys.stderr`` as it is at the call;
    None: silent)."""
    if stream == "stderr":
        stream = sys.stderr
    out = {}
    for name in entries or ENTRIES:
        imports, call = ENTRIES[name]
        ns: dict = {}
        t0 = time.perf_counter()
        exec(imports + "\n" + call, ns)          # our own fixed source text, never user input
        out[name] = time.perf_counter() - t0
        if stream is not None:
            print(f"warmup {name}: {out[name]:.1f} s", file=stream, flush=True)
    return out


_PROBE = """
import time
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{call}
t2 = time.perf_counter()
print(f"TIMES {{t1 - t0}} {{t2 - t1}}")
"""


def first_call_seconds(entry: str, cache_dir: str | None = None, env: dict | None = None) -> tuple[float, float]:
    """(import seconds, first-call seconds) of ``entry`` in a new Python process.

    ``cache_dir``: the numba cache it uses (``NUMBA_CACHE_DIR``); an empty directory gives the cold
    start of a fresh install (compilation included), a filled one the warm start. None: the
    default cache (what a user's next process pays).
    """
    if entry not in ENTRIES:
        raise ValueError(f"entry={entry!r} is not a warm-up entry; choose one of {list(ENTRIES)}")
    imports, call = ENTRIES[entry]
    env = dict(os.environ if env is None else env)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    code = _PROBE.format(imports=imports, call=textwrap.dedent(call))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if out.returncode != 0:
        raise RuntimeError(f"{entry} failed:\n{out.stderr[-2000:]}")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("TIMES ")][-1]
    t_import, t_call = map(float, line.split()[1:])
    return t_import, t_call

