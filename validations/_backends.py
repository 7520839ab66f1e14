"""Backend choice for claims: skip a claim whose backend cannot run here; pick the CPU backend."""
from __future__ import annotations

import pytest

from sims.backends import BackendUnavailableError, get_backend


def require_backend(spec: str):
    """The backend ``spec``, or skip the calling claim with the reason."""
    try:
        return get_backend(spec)
    except BackendUnavailableError as exc:
        pytest.skip(f"backend {spec!r} unavailable: {exc}")


def cpu_backend() -> str:
    """torch (multithreaded erf) when installed, else numpy: same numbers either way."""
    try:
        get_backend("torch")
        return "torch"
    except BackendUnavailableError:
        return "numpy"
