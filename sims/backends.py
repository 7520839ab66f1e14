"""One resolver from a string to an array backend (docs/DESIGN.md section 2).

``get_backend(spec, dtype)`` returns a :class:`Backend` holding the array-API namespace
(via ``array_api_compat``), the device, the default dtype and seeded random streams. Simulation
kernels are written once against ``backend.xp``; only what the array API lacks lives here
(``erf``, random number generation, host transfers).

Specs: ``"numpy"`` (default), ``"torch"`` (CPU), ``"torch:cuda"`` (or ``"torch:cuda:1"``),
``"cupy"``. torch and CuPy are optional: asking for them when they are not installed (or when CUDA
is absent) raises :class:`BackendUnavailableError`, which tests turn into a clean skip.

Reproducibility: every stream comes from a ``numpy.random.SeedSequence``; the same seed on the
same backend gives the same numbers. Streams are per seed of an ensemble (``spawn``), so member
``i`` of an ensemble does not depend on how many members run beside it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from twolayer.seeds import as_seed_sequence  # re-exported: the one home is twolayer.seeds

__all__ = ["Backend", "BackendUnavailableError", "get_backend", "available_backends", "runnable_backend",
           "as_seed_sequence", "usable_cores", "compiled_kernels"]


class BackendUnavailableError(RuntimeError):
    """The requested backend cannot run here (package or device missing)."""


def compiled_kernels(bk: "Backend", use_numba: bool = True) -> bool:
    """The one rule for the compiled (numba) kernels: they run on the NumPy backend in float64,
    unless the caller opts out with ``use_numba=False`` (the parity tests compare both paths).

    Every other backend or dtype runs the array-API kernels. A simulator may add conditions of its
    own (an activation without a compiled table, an optimiser the kernel does not implement).
    """
    return bk.kind == "numpy" and bool(use_numba) and np.dtype(bk.dtype) == np.float64


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:      # not on Linux
        return max(1, os.cpu_count() or 1)


class _NumpyStream:
    def __init__(self, ss, dtype):
        self._g = np.random.Generator(np.random.PCG64(ss))
        self._dtype = dtype

    def normal(self, shape):
        return self._g.standard_normal(shape, dtype=self._dtype)

    def uniform(self, shape):
        return self._g.random(shape, dtype=self._dtype)


class _TorchStream:
    def __init__(self, ss, torch, device, dtype):
        self._torch, self._device, self._dtype = torch, device, dtype
        self._g = torch.Generator(device=device)
        self._g.manual_seed(int(ss.generate_state(1, dtype=np.uint64)[0] & np.uint64(2**63 - 1)))

    def normal(self, shape):
        return self._torch.randn(tuple(shape), generator=self._g, device=self._device, dtype=self._dtype)

    def uniform(self, shape):
        return self._torch.rand(tuple(shape), generator=self._g, device=self._device, dtype=self._dtype)


class _CupyStream:
    def __init__(self, ss, cupy, dtype):
        self._cp, self._dtype = cupy, dtype
        self._g = cupy.random.default_rng(int(ss.generate_state(1, dtype=np.uint64)[0] & np.uint64(2**63 - 1)))

    def normal(self, shape):
        return self._g.standard_normal(tuple(shape), dtype=self._dtype)

    def uniform(self, shape):
        return self._g.random(tuple(shape), dtype=self._dtype)


@dataclass(frozen=True)
class Backend:
    """An array backend.

    Attributes
    ----------
    name : str
        Canonical spec (``"numpy"``, ``"torch"``, ``"torch:cuda:0"``, ``"cupy"``).
    xp : module
        array-API compatible namespace (``array_api_compat.array_namespace`` of this backend).
    device : Any
        Device on which arrays are created.
    dtype : Any
        Default floating dtype of this backend (float64 unless asked).
    """

    name: str
    xp: Any
    device: Any
    dtype: Any
    _native: Any = None   # numpy / torch / cupy module

    @property
    def kind(self) -> str:
        return self.name.split(":")[0]

    @property
    def is_gpu(self) -> bool:
        return "cuda" in self.name or self.kind == "cupy"

    def asarray(self, a, dtype=None):
        """Array on this backend's device with dtype ``dtype`` (default: the backend's)."""
        dtype = self.dtype if dtype is None else dtype
        if self.kind == "torch":
            t = self._native
            if isinstance(a, t.Tensor):
                return a.to(device=self.device, dtype=dtype)
            return t.as_tensor(np.asarray(a), dtype=dtype, device=self.device)
        if self.kind == "cupy":
            return self._native.asarray(a, dtype=dtype)
        return np.asarray(a, dtype=dtype)

    def to_numpy(self, a) -> np.ndarray:
        """Copy ``a`` to a host NumPy array."""
        if self.kind == "torch":
            return a.detach().cpu().numpy()
        if self.kind == "cupy":
            return self._native.asnumpy(a)
        return np.asarray(a)

    def erf(self, a, out=None):
        """Elementwise error function (not part of the array API standard); ``out=a`` writes in place."""
        if self.kind == "torch":
            return self._native.special.erf(a, out=out)
        if self.kind == "cupy":
            import cupyx.scipy.special as cps
            return cps.erf(a, out=out)
        from scipy.special import erf
        return erf(a, out=out)

    def exp_(self, a):
        """exp(a) written into ``a`` (an array the caller owns), returned. Saves a fresh allocation
        in hot elementwise code; the array API has no in-place exp."""
        return self._native.exp(a, out=a)

    def streams(self, seed, n: int):
        """``n`` independent random streams (``normal(shape)``, ``uniform(shape)``) spawned from ``seed``."""
        children = as_seed_sequence(seed).spawn(int(n))
        if self.kind == "torch":
            return [_TorchStream(c, self._native, self.device, self.dtype) for c in children]
        if self.kind == "cupy":
            return [_CupyStream(c, self._native, self.dtype) for c in children]
        return [_NumpyStream(c, self.dtype) for c in children]

    def synchronize(self):
        """Wait for queued device work (for timing); no-op on CPU backends."""
        if self.kind == "torch" and "cuda" in self.name:
            self._native.cuda.synchronize()
        elif self.kind == "cupy":
            self._native.cuda.Stream.null.synchronize()


_DTYPES = ("float64", "float32")


def get_backend(spec: "str | Backend" = "numpy", dtype: str = "float64") -> Backend:
    """Resolve ``spec`` to a :class:`Backend`.

    Parameters
    ----------
    spec : {"numpy", "torch", "torch:cpu", "torch:cuda", "torch:cuda:N", "cupy"} or Backend
    dtype : {"float64", "float32"}

    Raises
    ------
    ValueError
        Unknown ``spec`` or ``dtype``.
    BackendUnavailableError
        The package or the CUDA device is missing.
    """
    if isinstance(spec, Backend):
        return spec
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {_DTYPES}, got {dtype!r}")
    if not isinstance(spec, str):
        raise ValueError(f"backend must be a string such as 'numpy' or 'torch:cuda', got {spec!r}")
    import array_api_compat

    parts = spec.strip().lower().split(":")
    kind = parts[0]
    if kind == "numpy" and len(parts) == 1:
        return Backend("numpy", array_api_compat.array_namespace(np.empty(0)), "cpu", getattr(np, dtype), np)
    if kind == "torch":
        dev = ":".join(parts[1:]) or "cpu"
        if not (dev == "cpu" or dev == "cuda" or (dev.startswith("cuda:") and dev[5:].isdigit())):
            raise ValueError(f"backend={spec!r}: unknown torch device {dev!r} (use 'torch', 'torch:cuda', 'torch:cuda:N')")
        try:
            import torch
        except ImportError as exc:
            raise BackendUnavailableError("backend 'torch' needs PyTorch: pip install torch") from exc
        if dev.startswith("cuda") and not torch.cuda.is_available():
            raise BackendUnavailableError(f"backend {spec!r}: CUDA is not available to torch")
        device = torch.device(dev)
        name = "torch" if dev == "cpu" else f"torch:{device.type}:{device.index or 0}"
        xp = array_api_compat.array_namespace(torch.empty(0))
        return Backend(name, xp, device, getattr(torch, dtype), torch)
    if kind == "cupy" and len(parts) == 1:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # ImportError or CUDARuntimeError
            raise BackendUnavailableError(f"backend 'cupy' is unavailable: {exc}") from exc
        xp = array_api_compat.array_namespace(cupy.empty(0))
        return Backend("cupy", xp, cupy.cuda.Device(), getattr(cupy, dtype), cupy)
    raise ValueError(f"backend={spec!r} is not known; use 'numpy', 'torch', 'torch:cuda' or 'cupy'")


def gpu_smoke() -> bool:
    """Whether ``TWOLAYER_GPU_SMOKE=1`` asks for the CUDA code paths on the CPU (see :func:`runnable_backend`)."""
    return os.environ.get("TWOLAYER_GPU_SMOKE") == "1"


def runnable_backend(spec: str, dtype: str = "float64", *, smoke: bool = True):
    """``(backend, None)`` when ``spec`` can run here, else ``(None, reason)``: the one test behind
    the claims' and tests' skips (``validations._backends.require_backend``) and the benchmarks'
    NotImplementedError (``benchmarks._timing.backend_or_skip``).

    With ``TWOLAYER_GPU_SMOKE=1`` in the environment, ``"torch:cuda..."`` resolves to torch on the
    CPU (the same array-API code path and kernels in host memory: CI's smoke of the CUDA paths) and
    ``"cupy"`` does not run (CuPy has no CPU device). ``smoke=False`` ignores that variable (the
    benchmarks: a timing labelled torch:cuda must not come from the CPU).
    """
    if smoke and gpu_smoke():
        if spec.startswith("torch:cuda"):
            spec = "torch"
        elif spec.startswith("cupy"):
            return None, "TWOLAYER_GPU_SMOKE=1: CuPy has no CPU device"
    try:
        return get_backend(spec, dtype), None
    except BackendUnavailableError as exc:
        return None, f"backend {spec!r} unavailable: {exc}"


def available_backends() -> list[str]:
    """Specs among numpy, torch, torch:cuda, cupy that can run on this machine."""
    out = []
    for spec in ("numpy", "torch", "torch:cuda", "cupy"):
        try:
            get_backend(spec)
            out.append(spec)
        except BackendUnavailableError:
            pass
    return out
