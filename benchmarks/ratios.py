"""Print the speed ratios of the closing notes: ``python -m benchmarks.ratios``."""
from __future__ import annotations

from .bench_committee import ode_speed_and_errors, sgd_speed_ratio


def main():
    print("single-seed online SGD (gram chain, numba) vs reference loop, N=500 K=M=2: "
          f"{sgd_speed_ratio(1):.1f}x")
    print(f"64 seeds (gram chain) seed-steps/s vs reference loop: {sgd_speed_ratio(64):.1f}x")
    print(f"single-seed explicit-weight SGD (method='full') vs reference loop: {sgd_speed_ratio(1, 'full', 4000):.2f}x")
    print(f"64 seeds explicit-weight SGD (method='full') vs reference loop: {sgd_speed_ratio(64, 'full', 1000):.2f}x")
    s, e1, e2 = ode_speed_and_errors()
    print(f"ODE K=6 M=3 to alpha=100: {s:.0f}x faster than Euler dt=0.01 per-tuple; max|eps error| ours {e1:.2e}, "
          f"Euler {e2:.2e}")




def main_init():
    from .bench_init import kv_speed_and_se_ratio, ntk_speed_ratio
    import resource
    s, se = kv_speed_and_se_ratio()
    print(f"K, V: depth 4, width 100, 40000 members (marginal sampler) vs per-network loop: {s:.0f}x members/s")
    print(f"SE of single-neuron V/n estimate / SE of Rao-Blackwellised estimate (same members): {se:.1f}x")
    for w, n, r in ((100, 64, 8), (1000, 16, 4)):
        print(f"NTK two inputs depth 3 width {w}: weights drawn {ntk_speed_ratio(w, n, r):.0f}x, weight-free "
              f"(marginal) {ntk_speed_ratio(w, 2000, r, method='marginal'):.0f}x per member vs per-sample autograd")
    from sims.mlp_init import sample_init_ensemble
    from .bench_init import X2
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sample_init_ensemble(X2, (1000, 1000), C_b=0.1, C_W=2.0, activation="relu", n_members=32, ntk=True,
                         memory_budget_mb=256)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"NTK width 1000, 32 members, budget 256 MB: peak RSS {after / 1024:.0f} MB (before {before / 1024:.0f} MB)")


if __name__ == "__main__":
    import sys
    if len(sys.argv) < 2 or sys.argv[1] in ("all", "committee"):
        main()
    if len(sys.argv) < 2 or sys.argv[1] in ("all", "init"):
        main_init()


def main_wide():
    from .bench_wide import ensemble_speed_ratio, ntk_speed_ratio
    for be in ("torch", "numpy"):
        print(f"empirical NTK, width 1024, 256 points ({be}): layer-wise {ntk_speed_ratio(1024, 256, be):.0f}x "
              "faster than a per-sample autograd loop")
    r_ref, r_loop = ensemble_speed_ratio()
    print(f"64 seeds, width 512, 50 GD steps (torch CPU): batched {r_ref:.1f}x faster than a per-seed autograd loop, "
          f"{r_loop:.1f}x faster than looping our trainer over seeds")


if __name__ == "__main__" and len(__import__("sys").argv) > 1 and __import__("sys").argv[1] in ("all", "wide"):
    main_wide()
