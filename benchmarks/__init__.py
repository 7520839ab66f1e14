"""asv benchmarks of the hot kernels (DESIGN.md section 6); reference implementations live here too.

When ``benchmarks.history`` measures an older commit it puts that commit's tree first on the path and
sets ``TWOLAYER_TREE``; the editable install's finder, which would fill the old tree's gaps with this
checkout's modules (a mixed, meaningless measurement), is then removed, so that a benchmark whose
code the old tree lacks fails with ImportError and leaves a gap in its graph.
"""
import os as _os
import sys as _sys



def drop_editable_finder() -> None:
    """Remove the editable install's import finder (older trees must not borrow this checkout's modules)."""
    _sys.meta_path[:] = [f for f in _sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]


if _os.environ.get("TWOLAYER_TREE"):
    drop_editable_finder()
