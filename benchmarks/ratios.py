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
    from sims.backends import usable_cores
    cores = usable_cores()
    for w, n, r in ((100, 64, 8), (1000, 16, 4)):
        print(f"NTK two inputs depth 3 width {w}, per member vs per-sample autograd: weights drawn "
              f"{ntk_speed_ratio(w, n, r):.0f}x; weight-free (marginal, 4096 members) "
              f"{ntk_speed_ratio(w, 4096, r, method='marginal'):.0f}x on {cores} threads, "
              f"{ntk_speed_ratio(w, 4096, r, method='marginal', n_workers=1):.0f}x on one")
    from sims.mlp_init import sample_init_ensemble
    from .bench_init import X2
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sample_init_ensemble(X2, (1000, 1000), C_b=0.1, C_W=2.0, activation="relu", n_members=32, ntk=True,
                         memory_budget_mb=256)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"NTK width 1000, 32 members, budget 256 MB: peak RSS {after / 1024:.0f} MB (before {before / 1024:.0f} MB)")


def main_wide():
    from .bench_wide import ensemble_speed_ratio, ntk_speed_ratio
    for be in ("torch", "numpy"):
        print(f"empirical NTK, width 1024, 256 points ({be}): layer-wise {ntk_speed_ratio(1024, 256, be):.0f}x "
              "faster than a per-sample autograd loop")
    r_ref, r_loop = ensemble_speed_ratio()
    print(f"64 seeds, width 512, 50 GD steps (torch CPU): batched {r_ref:.1f}x faster than a per-seed autograd loop, "
          f"{r_loop:.1f}x faster than looping our trainer over seeds")


def main_relu1d():
    from .bench_relu1d import decide_ratio, relu1d_ratios
    r_ref, r_batch, r_red = relu1d_ratios()
    print(f"1-D ReLU GD, n=64, 400 networks, 300 epochs: compiled trainer {r_ref:.0f}x the per-network loop, "
          f"{r_batch:.1f}x the batched array trainer; reduced system {r_red:.0f}x the batched array trainer")
    for n in (16, 64, 256):
        print(f"deciding the bad event (GD + certificate, 100 networks, 5000 epochs), n={n}: full compiled trainer "
              f"takes {decide_ratio(n):.1f}x the reduced system's time")


def main_mixture():
    from .bench_mixture import rf_matvec_ratio, rf_speed_ratios, rhs_speed_and_accuracy, sgd_speed_ratio
    r, e_ours, e_ref = rhs_speed_and_accuracy()
    print(f"mixture ODE RHS, K=4, 4 clusters: {r:.0f}x faster than per-tuple Monte Carlo (1e4 samples/tuple); "
          f"max abs error ours {e_ours:.1e}, reference {e_ref:.1e}")
    d, naive = rf_speed_ratios()
    print(f"RF population error P=1600 D=800: CG {d:.1f}x faster than dense P x P, {naive:.1f}x than per-cluster dense")
    m, err = rf_matvec_ratio()
    print(f"RF CG product P=1600 D=800: Numba k-component kernels {m:.1f}x faster than C-column BLAS "
          f"(max rel. difference {err:.1e})")
    print(f"2LNN online SGD, 64 seeds, N=500: {sgd_speed_ratio():.1f}x seed-steps/s vs a per-seed NumPy loop")


TARGETS = {"committee": main, "init": main_init, "wide": main_wide, "relu1d": main_relu1d, "mixture": main_mixture}


def cli(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ratios",
                                 description="Speed ratios against the reference implementations, measured in one run.")
    ap.add_argument("targets", nargs="*", default=["all"], choices=["all", *TARGETS],
                    help="which families (default: all)")
    args = ap.parse_args(argv)
    for name, fn in TARGETS.items():
        if "all" in args.targets or name in args.targets:
            fn()
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(cli())
