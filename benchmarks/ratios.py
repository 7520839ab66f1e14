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


if __name__ == "__main__":
    main()
