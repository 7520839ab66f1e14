"""asv benchmarks of ensembles at initialisation (effective theory, RYH arXiv:2106.10165).

``track_*`` benchmarks return ratios measured in one run against :mod:`benchmarks.references_init`.
"""
from __future__ import annotations

import numpy as np

from sims.mlp_init import sample_init_ensemble

from ._timing import backend_or_skip, interleaved_ratio
from .references_init import reference_kernel_loop, reference_ntk_autograd
from . import backend_params

X1 = np.array([[1.0, 0.5, -0.3]])
X2 = np.array([[1.0, 0.5, -0.3], [0.2, 1.0, 0.4]])


def kv_speed_and_se_ratio(n_members: int = 40_000, width: int = 100, depth: int = 4, ref_networks: int = 1000):
    """(members/s of the batched marginal sampler over the per-network loop,
    SE of the single-neuron V/n estimate over SE of the Rao-Blackwellised one, same members)."""
    kw = dict(C_b=0.1, C_W=1.0, activation="tanh")
    speed = interleaved_ratio(lambda: sample_init_ensemble(X1, (width,) * (depth - 1), n_members=n_members, seed=0,
                                                           method="marginal", **kw),
                              lambda: reference_kernel_loop(X1[0], width, depth, 0.1, 1.0, ref_networks),
                              pairs=3, scale=n_members / ref_networks).median
    ens = sample_init_ensemble(X1, (width,) * (depth - 1), n_members=n_members, seed=1, method="marginal", **kw)
    g = ens.G[:, depth - 1, 0, 0]                       # Rao-Blackwellised: Var(G) estimates V/n
    d = g - g.mean()
    se_rb = np.sqrt(max(np.mean(d**4) - np.mean(d**2) ** 2, 0.0) / g.size)
    z = ens.z0[:, depth - 1, 0]                         # one neuron: (E z^4 - 3 (E z^2)^2) / 3
    rng = np.random.default_rng(0)
    boots = []
    for _ in range(200):
        zz = z[rng.integers(0, z.size, z.size)]
        boots.append((np.mean(zz**4) - 3 * np.mean(zz**2) ** 2) / 3)
    return speed, float(np.std(boots) / se_rb)


def ntk_speed_ratio(width: int, n_members: int = 64, ref_networks: int = 8, depth: int = 3, method: str = "weights",
                    n_workers: int | None = None):
    """Per-member speed of the batched layerwise NTK over per-sample autograd with a per-parameter contraction
    (``n_workers=1``: one thread for our side too; default: every usable core)."""
    reference_ntk_autograd(X2, width, depth, 0.1, 2.0, 1)            # warm-up: torch import, first-call costs
    return interleaved_ratio(lambda: sample_init_ensemble(X2, (width,) * (depth - 1), C_b=0.1, C_W=2.0,
                                                          activation="relu", n_members=n_members, seed=0, ntk=True,
                                                          method=method, n_workers=n_workers),
                             lambda: reference_ntk_autograd(X2, width, depth, 0.1, 2.0, ref_networks),
                             pairs=3, scale=n_members / ref_networks, warmup=False).median


class InitEnsemble:
    """Empirical kernels of a depth-4 tanh MLP, one input."""

    params = (backend_params(), ["marginal", "weights"], [100, 1000])
    param_names = ["backend", "method", "width"]
    timeout = 300

    def setup(self, backend, method, width):
        self.bk = backend_or_skip(backend)
        self.n = 4000 if method == "marginal" else (400 if width == 100 else 8)

    def time_kernels(self, backend, method, width):
        sample_init_ensemble(X1, (width,) * 3, C_b=0.1, C_W=1.0, activation="tanh", n_members=self.n,
                             method=method, backend=self.bk)


class NTKWidth1000:
    """Peak memory of the layerwise NTK at width 1000 (two inputs, depth 3) under a 256 MB budget."""

    timeout = 300

    def peakmem_ntk_width1000_budget256(self):
        sample_init_ensemble(X2, (1000, 1000), C_b=0.1, C_W=2.0, activation="relu", n_members=32, ntk=True,
                             memory_budget_mb=256)

    def time_ntk_width1000(self):
        sample_init_ensemble(X2, (1000, 1000), C_b=0.1, C_W=2.0, activation="relu", n_members=32, ntk=True,
                             memory_budget_mb=256)


class InitRatios:
    timeout = 900
    number = 1
    repeat = 1

    def setup_cache(self):
        return kv_speed_and_se_ratio()

    def track_kv_members_per_s_vs_per_network_loop(self, res):
        return res[0]

    track_kv_members_per_s_vs_per_network_loop.unit = "x"

    def track_single_neuron_se_over_rao_blackwell_se(self, res):
        return res[1]

    track_single_neuron_se_over_rao_blackwell_se.unit = "x"


class NTKRatios:
    timeout = 900
    number = 1
    repeat = 1
    params = [100, 1000]
    param_names = ["width"]

    def setup(self, width):
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            raise NotImplementedError("the reference needs torch") from exc

    def track_ntk_per_member_vs_autograd(self, width):
        return ntk_speed_ratio(width, n_members=64 if width == 100 else 16, ref_networks=8 if width == 100 else 4)

    track_ntk_per_member_vs_autograd.unit = "x"

    def track_ntk_marginal_per_member_vs_autograd(self, width):
        return ntk_speed_ratio(width, n_members=4096, ref_networks=8 if width == 100 else 4, method="marginal")

    track_ntk_marginal_per_member_vs_autograd.unit = "x"

    def track_ntk_marginal_one_thread_per_member_vs_autograd(self, width):
        return ntk_speed_ratio(width, n_members=4096, ref_networks=8 if width == 100 else 4, method="marginal",
                               n_workers=1)

    track_ntk_marginal_one_thread_per_member_vs_autograd.unit = "x"
