"""asv benchmarks of the hot kernels (docs/DESIGN.md section 6); reference implementations live here too.

When ``benchmarks.history`` measures an older commit it puts that commit's tree first on the path and
sets ``TWOLAYER_TREE``; the editable install's finder, which would fill the old tree's gaps with this
checkout's modules (a mixed, meaningless measurement), is then removed, so that a benchmark whose
code the old tree lacks fails with ImportError and leaves a gap in its graph.
"""
import os as _os
import sys as _sys



#: Every backend a ``backend`` parameter of the suite runs on.
ALL_BACKENDS = ("numpy", "torch", "torch:cuda", "cupy")


def backend_params() -> list:
    """The ``backend`` parameter values: all four, or the comma-separated subset in the environment
    variable ``TWOLAYER_BENCH_BACKENDS`` (``scripts/gpu_check.sh`` sets ``numpy,torch:cuda,cupy`` so
    that its few GPU minutes are spent on the GPU parameters and one CPU reference)."""
    env = _os.environ.get("TWOLAYER_BENCH_BACKENDS")
    if not env:
        return list(ALL_BACKENDS)
    chosen = [b.strip() for b in env.split(",") if b.strip()]
    unknown = [b for b in chosen if b not in ALL_BACKENDS]
    if unknown:
        raise ValueError(f"TWOLAYER_BENCH_BACKENDS names unknown backends {unknown}; known: {', '.join(ALL_BACKENDS)}")
    return chosen


def drop_editable_finder() -> None:
    """Remove the editable install's import finder (older trees must not borrow this checkout's modules)."""
    _sys.meta_path[:] = [f for f in _sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]


if _os.environ.get("TWOLAYER_TREE"):
    drop_editable_finder()
