"""Provenance of a run: what made these numbers, recorded beside them.

:func:`manifest` returns a JSON-ready dict, stored in every saved result (:mod:`twolayer.io`) and
shown in every report:

- ``twolayer``: version, source directory, git commit and whether the tree had uncommitted
  changes (``dirty``; None when the source is not a git checkout);
- ``python``, ``platform``, ``machine``, ``cpu_count``;
- ``packages``: versions of numpy, scipy, numba, torch, cupy, dask/distributed, matplotlib,
  whichever are importable (a missing one is absent, never an error);
- ``threads``: the thread-count environment variables and, when threadpoolctl is available,
  the BLAS/OpenMP libraries with their thread counts;
- ``backend`` and ``device`` (GPU name when the backend is CUDA), when the caller names one;
- ``seed``, ``command`` (``sys.argv``), ``started`` (UTC, ISO 8601) and ``wall_s`` when given.
"""
from __future__ import annotations

import datetime as _dt
import importlib.metadata as _md
import os
import platform
import subprocess
import sys
from pathlib import Path

__all__ = ["manifest", "git_state"]

_PACKAGES = ("numpy", "scipy", "numba", "torch", "cupy-cuda13x", "cupy-cuda12x", "cupy", "dask", "distributed",
             "matplotlib", "hypothesis", "pytest", "asv", "array-api-compat", "tqdm")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
                "TWOLAYER_THREADS")


def git_state(directory=None) -> dict:
    """``{"commit": sha or None, "dirty": bool or None}`` of the checkout holding ``directory``
    (default: this package's source). Never raises: no git, or not a checkout, gives None."""
    d = Path(directory) if directory is not None else Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "-C", str(d), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(d), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=10, check=True).stdout
        return {"commit": sha or None, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _versions() -> dict:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = _md.version(name)
        except _md.PackageNotFoundError:
            continue
    return out


def _threads() -> dict:
    env = {v: os.environ[v] for v in _THREAD_VARS if v in os.environ}
    libs = None
    try:
        from threadpoolctl import threadpool_info
        libs = [{"api": i.get("internal_api"), "library": Path(i.get("filepath", "")).name,
                 "num_threads": i.get("num_threads"), "version": i.get("version")} for i in threadpool_info()]
    except ImportError:
        pass
    return {"environment": env, "libraries": libs}


def _device(backend) -> str | None:
    if backend is None:
        return None
    name = str(backend)
    if "cuda" in name or name.startswith("cupy"):
        try:
            if name.startswith("cupy"):
                import cupy
                return cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()
            import torch
            return torch.cuda.get_device_name(torch.device(name.split(":", 1)[1]) if ":" in name else None)
        except Exception:  # noqa: BLE001 - provenance never fails a run
            return "unknown CUDA device"
    return "cpu"


def manifest(*, backend=None, seed=None, started: _dt.datetime | None = None, wall_s: float | None = None,
             command=None, extra: dict | None = None) -> dict:
    """The provenance record of this process (module docstring for the keys).

    Parameters
    ----------
    backend : str, optional
        The backend the run used ("numpy", "torch:cuda", "cupy", ...).
    seed : int or numpy.random.SeedSequence, optional
        Recorded as the int, or the SeedSequence's entropy and spawn key.
    started : datetime, optional
        When the run began (default: now).
    wall_s : float, optional
        Its wall time in seconds.
    command : sequence of str, optional
        The command line (default ``sys.argv``).
    extra : dict, optional
        Further JSON-ready entries (e.g. the run's parameters).
    """
    from . import __version__
    if seed is not None and hasattr(seed, "entropy"):
        seed = {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key)}
    started = started or _dt.datetime.now(_dt.timezone.utc)
    out = {
        "twolayer": {"version": __version__, "source": str(Path(__file__).resolve().parent.parent),
                     **git_state()},
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "packages": _versions(),
        "threads": _threads(),
        "backend": None if backend is None else str(backend),
        "device": _device(backend),
        "seed": seed,
        "command": list(sys.argv if command is None else command),
        "started": started.astimezone(_dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_s": None if wall_s is None else float(wall_s),
    }
    if extra:
        out["extra"] = dict(extra)
    return out
