"""Backend choice for claims and GPU tests: skip what cannot run here; pick the CPU backend.

``TWOLAYER_GPU_SMOKE=1`` runs the CUDA code paths on the CPU: ``require_backend("torch:cuda")``
then returns torch on the CPU (the same array-API code path, the same kernels, host memory), and
``"cupy"`` skips, since CuPy has no CPU device. CI runs ``pytest -m gpu tests`` this way, so that a
GPU path broken by a change fails here rather than on the first device.
"""
from __future__ import annotations

import pytest

from sims.backends import BackendUnavailableError, get_backend, gpu_smoke, runnable_backend

__all__ = ["require_backend", "cpu_backend", "gpu_smoke"]


def require_backend(spec: str):
    """The backend ``spec``, or skip the calling claim or test with the reason
    (:func:`sims.backends.runnable_backend`, which also maps the CPU smoke of the CUDA paths)."""
    bk, why = runnable_backend(spec)
    if bk is None:
        pytest.skip(why)
    return bk


def cpu_backend() -> str:
    """torch (multithreaded erf) when installed, else numpy: same numbers either way."""
    try:
        get_backend("torch")
        return "torch"
    except BackendUnavailableError:
        return "numpy"
