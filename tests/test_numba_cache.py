"""A compiled kernel gives the same numbers freshly compiled and loaded from numba's disk cache.

numba optimises ``parallel=True`` code differently in the two cases (numba issue #10617). For a
kernel that may reorder sums (``fastmath`` reassociation) that changes the rounding, so this is
the measured contract (docs/DESIGN.md, "Same numbers"): the random-features kernels agree bit for
bit; the fused 1-D ReLU GD kernel agrees bit for bit in its parameters, crossings and statuses and
to round-off in its losses. Each side runs in a fresh interpreter with its own cache directory.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("numba")

_SCRIPT = r"""
import sys
import numpy as np
from sims.relu1d import draw_relu1d_init, train_relu1d
from theory._rf_numba import expand, project
x = np.array([-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0])
a0, w0 = draw_relu1d_init(200, 16, seed=0)
r = train_relu1d(a0, w0, x, np.sin(x), np.ones(8) / 8, 0.05, 2000, check_every=500, use_numba=True)
rng = np.random.default_rng(1)
A, T, U = rng.normal(size=(403, 151)), rng.normal(size=(3, 151)), rng.normal(size=(3, 403))
Y, T2 = np.empty((3, 403)), np.empty((3, 151))
expand(A, T, Y)
project(A, U, T2)
np.savez(sys.argv[1], final=r.final_loss, stop=r.stop_epoch, crossing=r.crossing_epoch,
         status=r.status, a=r.params[0], w=r.params[2], Y=Y, T2=T2)
"""


def _run(tmp_path, name):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    out = tmp_path / f"{name}.npz"
    subprocess.run([sys.executable, "-c", _SCRIPT, str(out)], check=True, env=env, cwd=os.getcwd(),
                   capture_output=True, text=True)
    return np.load(out)


def test_fresh_and_cached_kernels_agree(tmp_path):
    fresh = _run(tmp_path, "fresh")             # compiles and fills the empty cache
    assert any((tmp_path / "cache").rglob("*.nbi")), "the first run did not fill the cache"
    cached = _run(tmp_path, "cached")           # loads from it
    for key in ("stop", "crossing", "status", "a", "w", "Y", "T2"):
        assert fresh[key].tobytes() == cached[key].tobytes(), key
    # the losses: round-off of a reordered sum over n = 200 neurons of O(1) terms
    np.testing.assert_allclose(fresh["final"], cached["final"], rtol=0, atol=1e-10)
