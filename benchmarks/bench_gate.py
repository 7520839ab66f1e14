"""asv view of the performance gate (:mod:`benchmarks.gate`): one ``track_`` ratio per gated kernel.

Each value is the median over interleaved (reference, ours) pairs of the speed ratio against a fixed
reference implementation, so that the dashboard's history of these graphs does not depend on how
loaded the machine was. ``.ci/run`` gates the same numbers against ``benchmarks/gate_baseline.json``.
"""
from __future__ import annotations

from .gate import KERNELS, available, measure


class GateRatios:
    """Speed ratio of each gated hot kernel against its reference (higher is faster)."""

    params = [list(KERNELS)]
    param_names = ["kernel"]
    timeout = 300
    number = 1
    repeat = 1

    def setup(self, kernel):
        if not available(KERNELS[kernel]):
            raise NotImplementedError(f"{kernel} needs {KERNELS[kernel].needs}")

    def track_ratio(self, kernel):
        return measure(kernel).median

    track_ratio.unit = "x"
