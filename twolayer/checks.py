"""Argument checks shared by :mod:`theory` and :mod:`sims`: one home, errors that name the parameter.

Every check takes the parameter's name first and returns the cleaned value (a Python ``int`` or
``float``, or a float ndarray). Wrong *types* (``bool`` for a number, ``str``, ``None``, complex)
raise ``TypeError``; wrong *values* (negative sizes, NaN, a non-PSD covariance, a decreasing
time grid) raise :class:`twolayer.errors.InputError` (a ``ValueError``). Messages read
``"<name> must be ..., got <value>"``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import InputError
from .linalg import eigh_factor

__all__ = ["integer", "real", "nonneg", "positive", "choice", "array", "symmetric", "psd", "psd_factor",
           "time_grid", "labels_pm1", "memory", "kernel_arrays", "PSD_RTOL"]

#: Relative tolerance of :func:`psd`: an eigenvalue below -PSD_RTOL * (largest |eigenvalue|)
#: is not round-off.
PSD_RTOL = 1e-10


def _short(val) -> str:
    r = repr(val)
    return r if len(r) <= 80 else r[:77] + "..."


def _is_number(val) -> bool:
    return isinstance(val, numbers.Real) and not isinstance(val, (bool, np.bool_))


def integer(name: str, val, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``val`` as an int; TypeError unless an integer (not bool, not float), InputError outside the range."""
    if isinstance(val, (bool, np.bool_)) or not isinstance(val, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_short(val)} ({type(val).__name__})")
    val = int(val)
    if minimum is not None and val < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {val}")
    if maximum is not None and val > maximum:
        raise InputError(f"{name} must be an integer <= {maximum}, got {val}")
    return val


def real(name: str, val, *, minimum: float | None = None, maximum: float | None = None,
         strict: bool = False, allow_inf: bool = False) -> float:
    """``val`` as a float.

    TypeError for bool, str, None, complex and other non-reals; InputError for NaN, for infinity
    (unless ``allow_inf``) and outside [minimum, maximum] (open at ``minimum`` if ``strict``).
    """
    if not _is_number(val):
        raise TypeError(f"{name} must be a real number, got {_short(val)} ({type(val).__name__})")
    val = float(val)
    if math.isnan(val) or (math.isinf(val) and not allow_inf):
        raise InputError(f"{name} must be a finite number, got {val}")
    if minimum is not None and (val < minimum or (strict and val == minimum)):
        raise InputError(f"{name} must be {'>' if strict else '>='} {minimum}, got {val}")
    if maximum is not None and val > maximum:
        raise InputError(f"{name} must be <= {maximum}, got {val}")
    return val


def nonneg(name: str, val) -> float:
    """A finite real >= 0."""
    return real(name, val, minimum=0.0)


def positive(name: str, val) -> float:
    """A finite real > 0."""
    return real(name, val, minimum=0.0, strict=True)


def choice(name: str, val, options):
    """``val`` if it is one of ``options`` (compared as given); InputError listing them otherwise."""
    opts = tuple(options)
    if not isinstance(val, type(opts[0])) or val not in opts:
        raise InputError(f"{name} must be one of {', '.join(map(repr, opts))}; got {_short(val)}")
    return val


def array(name: str, val, *, shape: tuple | None = None, ndim: int | None = None, finite: bool = True,
          min_ndim: int | None = None) -> np.ndarray:
    """``val`` as a float64 ndarray, checked.

    ``shape`` entries that are None match any length; ``shape`` may also give only the trailing
    axes when it starts with ``...`` (Ellipsis). TypeError for complex, object, str or bool data.
    """
    if val is None:
        raise TypeError(f"{name} must be an array of real numbers, got None")
    a = np.asarray(val)
    if a.dtype == object or a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {a.dtype}")
    a = a.astype(np.float64, copy=False)
    if ndim is not None and a.ndim != ndim:
        raise InputError(f"{name} must be {ndim}-dimensional, got shape {a.shape}")
    if min_ndim is not None and a.ndim < min_ndim:
        raise InputError(f"{name} must have at least {min_ndim} dimensions, got shape {a.shape}")
    if shape is not None:
        want = tuple(shape)
        trailing = bool(want) and want[0] is Ellipsis
        want = want[1:] if trailing else want
        got = a.shape[a.ndim - len(want):] if trailing and a.ndim >= len(want) else a.shape
        if len(got) != len(want) or any(w is not None and w != g for w, g in zip(want, got)):
            text = "(..., " + ", ".join("n" if w is None else str(w) for w in want) + ")" if trailing else \
                "(" + ", ".join("n" if w is None else str(w) for w in want) + ("," if len(want) == 1 else "") + ")"
            raise InputError(f"{name} must have shape {text}, got {a.shape}")
    if finite and a.size and not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise InputError(f"{name} must be finite, got {a[tuple(bad)]} at index {tuple(int(i) for i in bad)}")
    return a


def _batch_index(mask) -> str:
    """`` at batch index (i, ...)`` for the first True entry of a batch mask ('' for a single matrix)."""
    if not np.ndim(mask):
        return ""
    return f" at batch index {tuple(int(i) for i in np.argwhere(mask)[0])}"


def symmetric(name: str, M, *, shape: tuple | None = None, rtol: float = PSD_RTOL) -> np.ndarray:
    """A finite (batch of) square, symmetric matrices, as a float ndarray.

    ``shape`` as in :func:`array` (e.g. ``(n, n)`` or ``(..., n, n)``); symmetry to ``rtol``
    relative to each matrix's largest entry. The message gives the asymmetry and, for a batch,
    the first offending index.
    """
    M = array(name, M, min_ndim=2) if shape is None else array(name, M, shape=shape, min_ndim=2)
    if M.shape[-1] != M.shape[-2]:
        raise InputError(f"{name} must be square in its last two axes, got shape {M.shape}")
    scale = np.max(np.abs(M), axis=(-2, -1), initial=0.0)
    asym = np.max(np.abs(M - np.swapaxes(M, -1, -2)), axis=(-2, -1), initial=0.0)
    bad = asym > rtol * np.maximum(scale, 1e-300)
    if np.any(bad):
        raise InputError(f"{name} must be symmetric, got an asymmetry of {float(np.max(asym)):.3g}"
                         + _batch_index(bad))
    return M


def psd(name: str, C, *, shape: tuple | None = None, rtol: float = PSD_RTOL, strict: bool = False) -> np.ndarray:
    """A (batch of) symmetric positive semi-definite matrices (``strict``: definite).

    Symmetry to ``rtol`` relative to the largest entry (:func:`symmetric`); the smallest
    eigenvalue must be >= -rtol * (largest |eigenvalue|) (> that bound if ``strict``). The message
    gives the smallest eigenvalue and, for a batch, the first offending index.
    """
    C = symmetric(name, C, shape=shape, rtol=rtol)
    ev = np.linalg.eigvalsh(C)
    _eigen_bound(name, ev, rtol, strict)
    return C


def _eigen_bound(name: str, ev, rtol: float, strict: bool) -> None:
    lo, hi = ev[..., 0], np.max(np.abs(ev), axis=-1)
    bound = -rtol * hi
    bad = (lo <= -bound) if strict else (lo < bound)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        kind = "positive definite" if strict else "positive semi-definite"
        raise InputError(f"{name} must be {kind}, got smallest eigenvalue {float(lo[idx]):.3g} "
                         f"(largest |eigenvalue| {float(hi[idx]):.3g})" + _batch_index(bad))


def psd_factor(name: str, C, *, shape: tuple | None = None, method: str = "cholesky",
               rtol: float = PSD_RTOL) -> np.ndarray:
    """A factor L with L L^T = C of a checked (batch of) covariance matrices.

    Parameters
    ----------
    name : str
        The parameter's name, for the messages.
    C : array_like, shape (..., d, d)
        Finite, symmetric (to ``rtol``).
    shape : tuple, optional
        Required shape, as in :func:`array`.
    method : {"cholesky", "eigh"}
        ``"cholesky"``: C must be positive definite (a singular covariance has no density);
        L is lower triangular. ``"eigh"``: C must be positive semi-definite to ``rtol``;
        L = V diag(sqrt(max(w, 0))) from C = V diag(w) V^T, so rank-deficient C are allowed.

    Returns
    -------
    L : ndarray, shape (..., d, d)
    """
    method = choice("method", method, ("cholesky", "eigh"))
    C = symmetric(name, C, shape=shape, rtol=rtol)
    if method == "eigh":
        w, V = np.linalg.eigh(C)
        _eigen_bound(name, w, rtol, strict=False)
        return eigh_factor(np, C, eig=(w, V))
    try:
        return np.linalg.cholesky(C)
    except np.linalg.LinAlgError:
        ev = np.linalg.eigvalsh(C)
        lo = ev[..., 0]
        bad = lo <= 0 if lo.ndim else np.asarray(True)
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if lo.ndim else ()
        raise InputError(f"{name} must be positive definite, got smallest eigenvalue {float(lo[idx]):.3g}"
                         + _batch_index(bad) + "; a singular covariance has no density") from None


def time_grid(name: str, t, *, strict: bool = True, minimum: float | None = None) -> np.ndarray:
    """A finite 1-D grid of times, increasing (strictly if ``strict``), each >= ``minimum``."""
    t = array(name, t, ndim=1)
    if t.size == 0:
        raise InputError(f"{name} must hold at least one time, got an empty array")
    d = np.diff(t)
    if np.any(d <= 0) if strict else np.any(d < 0):
        i = int(np.argmax(d <= 0 if strict else d < 0))
        raise InputError(f"{name} must be {'strictly ' if strict else ''}increasing, got {t[i]} then {t[i + 1]} "
                         f"at index {i}")
    if minimum is not None and t[0] < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {t[0]}")
    return t


def labels_pm1(name: str, y) -> np.ndarray:
    """Labels in {-1, +1}."""
    y = array(name, y)
    bad = (y != 1.0) & (y != -1.0)
    if np.any(bad):
        raise InputError(f"{name} must hold labels in {{-1, +1}}, got {y[bad].flat[0]}")
    return y


def memory(name: str, nbytes: float, budget: float, *, hint: str = "") -> None:
    """InputError if a request of ``nbytes`` exceeds ``budget`` bytes; the message gives both and
    names the parameter that raises the budget (``name``), and ``hint`` (another way out) if given."""
    if nbytes > budget:
        unit = "MiB" if name.endswith("_mb") else "bytes"
        raise InputError(f"this call needs about {nbytes / 2**30:.3g} GiB, above {name}={budget / 2**30:.3g} GiB; "
                         f"pass a larger {name} ({unit}), {hint or 'or fewer seeds / a shorter record'}")


def kernel_arrays(kernel: str, **arrays) -> None:
    """Before a compiled kernel runs (it indexes without bounds checks): each ``name=(array, shape,
    dtype)`` must have exactly that shape, that dtype and C order; InputError naming the kernel and
    the array otherwise."""
    for name, (a, shape, dtype) in arrays.items():
        if not isinstance(a, np.ndarray) or a.shape != tuple(shape) or a.dtype != np.dtype(dtype) \
                or not a.flags.c_contiguous:
            got = (f"{type(a).__name__}" if not isinstance(a, np.ndarray) else
                   f"shape {a.shape}, dtype {a.dtype}, {'C' if a.flags.c_contiguous else 'non-C'} order")
            raise InputError(f"{kernel}: {name} must be a C-ordered {np.dtype(dtype)} array of shape "
                             f"{tuple(shape)}, got {got}")
