"""Shared fixtures of the unit tests: backends (one resolver behind every skip) and pre-drawn noise.

``torch_backend`` and ``cpu_backend`` skip through :func:`validations._backends.require_backend`,
which asks :func:`sims.backends.runnable_backend` -- the same test the benchmarks' NotImplementedError
uses. ``predrawn_noise`` draws the inputs of :func:`sims.teacher_student.simulate_sgd` for parity
tests (every backend and kernel fed the same numbers).
"""
import numpy as np
import pytest

from validations._backends import require_backend


@pytest.fixture
def torch_backend():
    """torch on the CPU, or skip with the reason."""
    return require_backend("torch")


@pytest.fixture(params=["numpy", "torch"])
def cpu_backend(request):
    """Each CPU backend in turn (torch skips with the reason when it is not installed)."""
    return require_backend(request.param)


def _predrawn(method, S, n, N, P, seed=11, batch_size=1):
    rng = np.random.default_rng(seed)
    per = () if batch_size == 1 else (batch_size,)
    if method == "full":
        return {"x": rng.standard_normal((S, n) + per + (N,)), "zeta": rng.standard_normal((S, n) + per)}
    out = {"z": rng.standard_normal((S, n) + per + (P,)), "zeta": rng.standard_normal((S, n) + per)}
    if batch_size == 1:
        out["chi2"] = rng.chisquare(N - P, (S, n))
    else:                         # any PSD matrices will do for parity: Gram matrices of N - P normals
        A = rng.standard_normal((S, n, batch_size, N - P))
        out["perp"] = A @ np.swapaxes(A, -1, -2)
    return out


@pytest.fixture
def predrawn_noise():
    """``predrawn_noise(method, S, n, N, P, seed=11, batch_size=1)``: the ``noise=`` dict of simulate_sgd
    for S seeds and n steps (``full``: x (S, n, N) and zeta; ``gram``: z (S, n, P = K + M), zeta,
    chi2_{N-P}; with batch_size B > 1 a batch axis after the step axis, and ``perp`` (S, n, B, B))."""
    return _predrawn
