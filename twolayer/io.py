"""Save and load result objects: one versioned format, readable without the backend that made it.

A saved result is one ``.npz`` file (NumPy's zip of ``.npy`` arrays, read with
``allow_pickle=False``, so loading never runs code from the file):

- every array of the object is one entry ``a0``, ``a1``, ... (float64, int64 or bool, as made);
- the entry ``__twolayer__`` is a 0-d unicode array holding UTF-8 JSON::

      {"format": "twolayer-result", "version": 1,
       "object": <encoded object>, "manifest": {...} | null}

An encoded object is a JSON value, where

- ``{"__array__": "a3"}`` is an array entry;
- ``{"__dataclass__": "module:QualName", "fields": {name: value}}`` is a dataclass (the result
  types of :mod:`sims` and :mod:`theory`); loading imports ``module`` and rebuilds it with the
  saved fields (and re-runs its checks);
- ``{"__tuple__": [...]}`` is a tuple; ``{"__dict__": {key: value}}`` a dict with string keys;
- numbers (NaN and infinities as JSON's non-standard ``NaN``/``Infinity``, which Python's
  ``json`` reads), strings, booleans and null are themselves.

Backend arrays (torch, CuPy) are converted to NumPy when saved, so a run made on a GPU loads on a
machine without one. ``manifest`` is the provenance record of :func:`twolayer.provenance.manifest`
when the caller passes one.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
from pathlib import Path

import numpy as np

from .errors import InputError

__all__ = ["save", "load", "load_manifest", "FORMAT", "VERSION"]

FORMAT = "twolayer-result"
VERSION = 1
_META = "__twolayer__"


def _to_numpy(val):
    """A backend array (NumPy, torch, CuPy) as a NumPy array, or None if ``val`` is not one."""
    if isinstance(val, np.ndarray):
        return val
    if isinstance(val, np.generic):
        return None
    mod = type(val).__module__.split(".")[0]
    if mod == "torch":
        return val.detach().cpu().numpy()
    if mod == "cupy":
        return val.get()
    return None


def _encode(val, arrays: dict, where: str):
    arr = _to_numpy(val)
    if arr is not None:
        if arr.dtype == object or arr.dtype.kind not in "biufcU":
            raise TypeError(f"cannot save {where}: an array of dtype {arr.dtype}")
        key = f"a{len(arrays)}"
        arrays[key] = arr
        return {"__array__": key}
    if dataclasses.is_dataclass(val) and not isinstance(val, type):
        cls = type(val)
        fields = {f.name: _encode(getattr(val, f.name), arrays, f"{where}.{f.name}")
                  for f in dataclasses.fields(val)}
        return {"__dataclass__": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if val is None or isinstance(val, (bool, str)):
        return val
    if isinstance(val, (np.bool_,)):
        return bool(val)
    if isinstance(val, (int, np.integer)):
        return int(val)
    if isinstance(val, (float, np.floating)):
        return float(val)
    if isinstance(val, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(val)]}
    if isinstance(val, list):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(val)]
    if isinstance(val, dict):
        bad = [k for k in val if not isinstance(k, str)]
        if bad:
            raise TypeError(f"cannot save {where}: dict keys must be strings, got {bad[0]!r}")
        return {"__dict__": {k: _encode(v, arrays, f"{where}[{k!r}]") for k, v in val.items()}}
    raise TypeError(f"cannot save {where}: objects of type {type(val).__name__} have no saved form")


def _decode(obj, arrays):
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        return arrays[obj["__array__"]]
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {k: _decode(v, arrays) for k, v in obj["__dict__"].items()}
    if "__dataclass__" in obj:
        cls = _import(obj["__dataclass__"])
        fields = {k: _decode(v, arrays) for k, v in obj["fields"].items()}
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        out = cls(**{k: v for k, v in fields.items() if k in init})
        for k, v in fields.items():            # fields computed in __post_init__ (init=False)
            if k not in init:
                object.__setattr__(out, k, v)
        return out
    raise ValueError(f"unknown encoded object with keys {sorted(obj)}")


def _import(spec: str):
    module, _, qual = spec.partition(":")
    if not module or not qual or not all(p.isidentifier() for p in module.split(".") + qual.split(".")):
        raise ValueError(f"malformed class reference {spec!r} in the saved file")
    obj = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
        raise ValueError(f"{spec} is not a dataclass; the file is not a twolayer result")
    return obj


def save(result, path, *, manifest: dict | None = None) -> Path:
    """Write ``result`` (a result dataclass, or a dict/tuple/list of arrays and numbers) to ``path``.

    Parameters
    ----------
    result : object
        Anything the format encodes (module docstring): the result types of :mod:`sims` and
        :mod:`theory`, and containers of arrays and plain values.
    path : str or os.PathLike
        Target file; ``.npz`` is appended if missing. Written atomically (a temporary file in
        the same directory, then renamed), so an interrupted save leaves no partial file.
    manifest : dict, optional
        Provenance (:func:`twolayer.provenance.manifest`), stored beside the object.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if manifest is not None and not isinstance(manifest, dict):
        raise TypeError(f"manifest must be a dict, got {type(manifest).__name__}")
    arrays: dict = {}
    meta = {"format": FORMAT, "version": VERSION, "object": _encode(result, arrays, "result"),
            "manifest": manifest}
    text = json.dumps(meta, allow_nan=True, default=_json_default)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays, **{_META: np.array(text)})
    os.replace(tmp, path)
    return path


def _json_default(val):
    if isinstance(val, (np.integer,)):
        return int(val)
    if isinstance(val, (np.floating,)):
        return float(val)
    if isinstance(val, Path):
        return str(val)
    raise TypeError(f"manifest value of type {type(val).__name__} is not JSON")


def _read(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"path {str(path)!r} is not a file")
    try:
        with np.load(path, allow_pickle=False) as z:
            if _META not in z.files:
                raise InputError(f"path {str(path)!r} is not a twolayer result (no {_META} entry)")
            meta = json.loads(str(z[_META][()]))
            arrays = {k: z[k] for k in z.files if k != _META}
    except (OSError, ValueError, json.JSONDecodeError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(f"path {str(path)!r} is not a readable twolayer result: {err}") from None
    if meta.get("format") != FORMAT:
        raise InputError(f"path {str(path)!r} holds format {meta.get('format')!r}, not {FORMAT!r}")
    if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
        raise InputError(f"path {str(path)!r} has format version {meta.get('version')!r}; this twolayer "
                         f"reads versions <= {VERSION} (upgrade twolayer)")
    return meta, arrays


def load(path):
    """Read a result written by :func:`save`; the same type, with NumPy arrays."""
    meta, arrays = _read(path)
    return _decode(meta["object"], arrays)


def load_manifest(path) -> dict | None:
    """The provenance manifest saved with a result (None if it was saved without one)."""
    return _read(path)[0]["manifest"]


def _isclose_tree(a, b) -> bool:          # used by the round-trip tests
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(_isclose_tree(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_isclose_tree, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_isclose_tree(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b
