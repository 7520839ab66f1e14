"""Resumable parameter sweeps on Dask distributed (or in-process), for every paper family.

A sweep is a function ``fn(**params, seed=SeedSequence) -> dict[str, array_like]`` and a list of
parameter dicts (JSON-serialisable). Each task has a key, a hash of its canonical JSON, and a seed
derived from the sweep's root seed and that key only, so a task's numbers do not depend on which
other tasks run, in what order, or on which worker. Results are written by the client as each
task finishes, one ``<key>.npz`` (written to a temporary name, then renamed: a file that exists is
complete) plus ``<key>.json`` with the task key, the parameters and the npz's SHA-256 (also written
atomically). A rerun with the same store skips finished tasks; a result whose files are missing,
truncated, corrupt or another task's (key or checksum mismatch) is recomputed, with a warning that
names the file. Workers need no shared file system.

Executors: ``"dask"`` (a ``distributed.Client``: the one passed in, e.g. connected to a cluster
across machines, or an in-process ``LocalCluster`` by default; install the ``sweep`` extra) and
``"serial"`` (a plain loop, no dependency).
"""
from __future__ import annotations

import hashlib
import json
import os
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twolayer import checks as _checks
from twolayer.driver import Progress
from twolayer.seeds import as_seed_sequence, extend_seed

__all__ = ["SweepResult", "SweepError", "task_key", "task_seed", "run_sweep", "load_sweep"]

_MANIFEST = "sweep.json"


class SweepError(RuntimeError):
    """Some tasks failed; finished tasks are stored. ``failures`` maps key -> traceback text."""

    def __init__(self, msg, failures):
        super().__init__(msg)
        self.failures = failures


@dataclass(frozen=True)
class SweepResult:
    key: str
    params: dict
    values: dict


def _canonical(params) -> str:
    if not isinstance(params, dict):
        raise ValueError(f"each task must be a dict of parameters, got {type(params).__name__}")
    try:
        return json.dumps(params, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"task parameters must be JSON-serialisable (plain numbers, strings, lists): {e}") from None


def task_key(params: dict) -> str:
    """16 hex digits of SHA-256 of the canonical JSON of ``params``."""
    return hashlib.sha256(_canonical(params).encode()).hexdigest()[:16]


def task_seed(root_seed, key: str) -> np.random.SeedSequence:
    """SeedSequence of one task: entropy = root seed's entropy + the key's 64 bits (:func:`twolayer.seeds.extend_seed`)."""
    return extend_seed(root_seed, int(key, 16))


def _run_one(fn, params, seed):
    out = fn(**params, seed=seed)
    if not isinstance(out, dict) or not out:
        raise TypeError(f"the sweep function must return a non-empty dict of arrays, got {type(out).__name__}")
    return {str(k): np.asarray(v) for k, v in out.items()}


_FORMAT = 2


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _atomic_text(path: Path, text: str):
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write(store: Path, key: str, params: dict, values: dict):
    """``<key>.npz`` then ``<key>.json`` (task key, parameters, SHA-256 of the npz), each written to a
    temporary name and renamed: a result counts as finished only when both exist and agree."""
    tmp = store / f"{key}.partial.npz"
    with open(tmp, "wb") as fh:
        np.savez(fh, **values)
    meta = {"format": _FORMAT, "key": key, "params": json.loads(_canonical(params)), "sha256": _sha256(tmp)}
    os.replace(tmp, store / f"{key}.npz")
    _atomic_text(store / f"{key}.json", json.dumps(meta, sort_keys=True))


def _check_stored(store: Path, key: str):
    """(params, None) for a verified result of task ``key``, else (None, why it is not)."""
    npz, meta_path = store / f"{key}.npz", store / f"{key}.json"
    if not npz.exists():
        return None, "missing"
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        return None, f"{meta_path.name} is missing"
    except (ValueError, UnicodeDecodeError):
        return None, f"{meta_path.name} is not valid JSON"
    if isinstance(meta, dict) and meta.get("format") == _FORMAT:
        params = meta.get("params")
        if meta.get("key") != key:
            return None, f"{meta_path.name} belongs to task {meta.get('key')!r}"
        if _sha256(npz) != meta.get("sha256"):
            return None, f"{npz.name} does not match its checksum (truncated, corrupt or another task's result)"
    else:                                   # format 1: the parameters only, no checksum
        params = meta
    try:
        if not isinstance(params, dict) or task_key(params) != key:
            return None, f"{meta_path.name} holds the parameters of another task"
        with np.load(npz, allow_pickle=False) as z:
            z.files                         # noqa: B018 - reads the zip directory
    except Exception as e:  # noqa: BLE001 - any unreadable file is not a result
        return None, f"{npz.name} cannot be read ({type(e).__name__}: {e})"
    return params, None


def _manifest(store: Path, fn, seed):
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    ss = as_seed_sequence(seed)
    info = {"function": name, "seed_entropy": str(ss.entropy), "spawn_key": list(ss.spawn_key)}
    path = store / _MANIFEST
    if path.exists():
        old = json.loads(path.read_text())
        if old != info:
            raise ValueError(f"store {store} belongs to another sweep ({old}); use a new directory or the same "
                             f"function and seed ({info})")
    else:
        path.write_text(json.dumps(info))


def run_sweep(fn, tasks, store, *, seed=0, executor: str = "dask", client=None, progress: bool = False,
              raise_on_error: bool = True) -> list[SweepResult]:
    """Run every task not yet in ``store``; return all results in task order.

    Parameters
    ----------
    fn : callable
        ``fn(**params, seed=numpy.random.SeedSequence) -> dict[str, array_like]``; must be
        picklable for process/remote workers (a module-level function).
    tasks : sequence of dict
        Parameters; keys must be distinct.
    store : str or Path
        Directory of results (created); reusing it resumes the sweep.
    seed : int or SeedSequence
        Root seed; task seeds come from :func:`task_seed`.
    executor : {"dask", "serial"}
    client : distributed.Client, optional
        With ``executor="dask"``: where to run. Default: an in-process local cluster, closed after.
    progress : bool
        tqdm bar over tasks.
    raise_on_error : bool
        After all tasks ran, raise :class:`SweepError` if any failed (finished ones are stored).
    """
    if not callable(fn):
        raise TypeError(f"fn must be a callable fn(**params, seed=...), got {type(fn).__name__}")
    if isinstance(tasks, (str, bytes, dict)) or not hasattr(tasks, "__iter__"):
        raise TypeError(f"tasks must be a sequence of parameter dicts, got {type(tasks).__name__}")
    tasks = list(tasks)
    for i, p in enumerate(tasks):
        if not isinstance(p, dict):
            raise TypeError(f"tasks[{i}] must be a dict of parameters, got {type(p).__name__}")
        if "seed" in p:
            raise ValueError(f"tasks[{i}] has a 'seed' key; the sweep passes each task's seed itself (task_seed)")
    keys = [task_key(p) for p in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("tasks contain duplicates (identical parameter dicts)")
    _checks.choice("executor", executor, ("dask", "serial"))
    for name, flag in (("progress", progress), ("raise_on_error", raise_on_error)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    as_seed_sequence(seed)                                     # a bad root seed fails before any work
    store = _store_dir(store, create=True)
    _manifest(store, fn, seed)
    todo = []
    for k, p in zip(keys, tasks):
        ok, why = _check_stored(store, k)
        if ok is None:
            if why != "missing":
                warnings.warn(f"sweep store {store}: the result of task {k} is recomputed: {why}", stacklevel=2)
            todo.append((k, p))
    failures = {}
    bar = Progress(progress, len(tasks), "sweep", unit="task", initial=len(tasks) - len(todo))
    if executor == "serial":
        for k, p in todo:
            try:
                _write(store, k, p, _run_one(fn, p, task_seed(seed, k)))
            except Exception:  # noqa: BLE001 - recorded and reported after the sweep
                failures[k] = traceback.format_exc()
            bar.update()
    elif todo:
        try:
            from distributed import Client, as_completed
        except ImportError as e:
            raise ImportError("executor='dask' needs Dask distributed: pip install 'twolayer[sweep]' "
                              "(or use executor='serial')") from e
        own = client is None
        if own:
            client = Client(processes=False, dashboard_address=None)
        try:
            futs = {client.submit(_run_one, fn, p, task_seed(seed, k), key=f"sweep-{k}", pure=False): (k, p)
                    for k, p in todo}
            for fut in as_completed(list(futs)):
                k, p = futs[fut]
                try:
                    _write(store, k, p, fut.result())
                except Exception:  # noqa: BLE001
                    failures[k] = traceback.format_exc()
                fut.release()
                bar.update()
        finally:
            if own:
                client.close()
    bar.close()
    for k, tb in failures.items():
        (store / f"{k}.error.txt").write_text(tb)
    if failures and raise_on_error:
        first = next(iter(failures.values())).strip().splitlines()[-1]
        raise SweepError(f"{len(failures)} of {len(tasks)} tasks failed (finished ones are stored in {store}; "
                         f"tracebacks in <key>.error.txt); first: {first}", failures)
    return [r for r in (_load_one(store, k) for k in keys) if r is not None]


def _store_dir(store, create=False) -> Path:
    if not isinstance(store, (str, os.PathLike)):
        raise TypeError(f"store must be a directory path, got {type(store).__name__}")
    store = Path(store)
    if store.exists() and not store.is_dir():
        raise ValueError(f"store {store} exists and is not a directory")
    if create:
        store.mkdir(parents=True, exist_ok=True)
    elif not store.is_dir():
        raise ValueError(f"store {store} is not a directory")
    return store


def _load_one(store: Path, key: str):
    params, why = _check_stored(store, key)
    if params is None:
        if why != "missing":
            warnings.warn(f"sweep store {store}: skipping task {key}: {why}", stacklevel=3)
        return None
    with np.load(store / f"{key}.npz", allow_pickle=False) as z:
        values = {k: z[k] for k in z.files}
    return SweepResult(key, params, values)


def load_sweep(store) -> list[SweepResult]:
    """Every finished, verified task in ``store`` (sorted by key); a corrupt or mismatched file is
    skipped with a warning that names it (``run_sweep`` on the same store recomputes it)."""
    store = _store_dir(store)
    return [r for r in (_load_one(store, p.name[:-4]) for p in sorted(store.glob("*.npz"))
                        if not p.name.endswith(".partial.npz")) if r is not None]
