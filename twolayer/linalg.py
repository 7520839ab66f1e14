"""Batched linear algebra of covariances, written once for every array namespace.

These are the unchecked kernels of the hot paths (an ODE stage, an SGD step, an ensemble block):
they take the array namespace ``xp`` (``numpy``, or the array-API namespace of a
:class:`sims.backends.Backend`: torch, CuPy) and a batch of symmetric matrices of shape
(..., d, d), and never raise on a bad matrix; they mark it (clip, zero or NaN) as each docstring
says. The checked entry for user input, with an error that names the parameter, is
:func:`twolayer.checks.psd_factor`, which uses the same factor.

* :func:`eigh_factor`: F with F F^T = C from C = U diag(w) U^T, negative eigenvalues clipped to 0.
* :func:`pinv_from_eigh`: the Moore-Penrose inverse U diag(1/w) U^T with NumPy's cut-off.
* :func:`semidefinite_cholesky`: the rank-revealing (semi-definite) Cholesky, column by column.
* :func:`batched_cholesky`: the backend's Cholesky, falling back to :func:`semidefinite_cholesky`
  where it refuses a batch; NaN for a member whose matrix is not finite or not PSD.
"""
from __future__ import annotations

import numpy as np

__all__ = ["eigh_factor", "pinv_from_eigh", "semidefinite_cholesky", "batched_cholesky", "SEMIDEFINITE_RTOL"]

#: A Cholesky pivot within +-SEMIDEFINITE_RTOL * C[j, j] is round-off, a rank drop: that variable is a
#: linear combination of the earlier ones (in committee SGD, the student has reached the teacher's
#: span). The compiled committee kernels use the same value.
SEMIDEFINITE_RTOL = 1e-13


def eigh_factor(xp, C, eig=None):
    """A factor F = U diag(sqrt(max(w, 0))) with F F^T = C (clipped), for a batch C (..., d, d).

    Negative eigenvalues (round-off of a semi-definite matrix, or an ODE solver's slightly
    indefinite intermediate stage) are clipped to zero, so a rank-deficient C gets zero columns.
    ``eig`` = (w, U) reuses an eigendecomposition already computed.
    """
    w, U = xp.linalg.eigh(C) if eig is None else eig
    return U * xp.sqrt(xp.clip(w, 0.0, None))[..., None, :]


def pinv_from_eigh(xp, w, U):
    """Moore-Penrose inverse U diag(1/w) U^T of a batch (B, d, d) from its eigenpairs.

    Eigenvalues w <= d eps max(w) (eps of the dtype, NumPy's ``pinv`` cut-off) count as zero.
    """
    tol = w.shape[-1] * np.finfo(np.float64 if w.dtype == xp.float64 else np.float32).eps
    cut = tol * xp.max(w, axis=-1, keepdims=True)
    inv = xp.where(w > cut, 1.0 / xp.where(w > cut, w, xp.ones_like(w)), xp.zeros_like(w))
    return xp.matmul(U * inv[..., None, :], xp.permute_dims(U, (0, 2, 1)))


def semidefinite_cholesky(xp, C, rtol: float = SEMIDEFINITE_RTOL):
    """Semi-definite Cholesky of a batch C (S, P, P), column by column, vectorised over the batch.

    A pivot within +-rtol * C[j, j] is a rank drop (column j of L is zero); a pivot below
    -rtol * C[j, j] means that C is not PSD, and that member's factor is NaN. The compiled kernel
    :func:`sims._committee_numba.gram_chunk` follows the same rule.
    """
    S, P, _ = C.shape
    L = xp.zeros_like(C)
    bad = xp.zeros((S,), dtype=xp.bool)
    for j in range(P):
        Lj = L[:, j, :j]
        acc = C[:, j, j] - xp.sum(Lj * Lj, axis=1)
        tol = rtol * C[:, j, j]
        pos = acc > tol
        bad = bad | (acc < -tol)
        d = xp.sqrt(xp.where(pos, acc, xp.ones_like(acc)))
        below = (C[:, j + 1:, j] - xp.matmul(L[:, j + 1:, :j], Lj[:, :, None])[:, :, 0]) / d[:, None]
        L[:, j, j] = xp.where(pos, d, xp.zeros_like(d))
        L[:, j + 1:, j] = xp.where(pos[:, None], below, xp.zeros_like(below))
    return xp.where(bad[:, None, None], xp.full_like(L, float("nan")), L)


def batched_cholesky(xp, C, eye, rtol: float = SEMIDEFINITE_RTOL):
    """Lower factors L L^T = C of a batch (S, P, P); NaN for a member whose C is not finite or not PSD.

    The fast path is the namespace's Cholesky. Where it refuses the batch (a matrix that is only
    semi-definite), the batch is factored by :func:`semidefinite_cholesky` with ``rtol``. One
    member's failure never stops the others. ``eye`` is the (P, P) identity in C's dtype and device.
    """
    S = C.shape[0]
    finite = xp.all(xp.isfinite(xp.reshape(C, (S, -1))), axis=1)
    Cs = xp.where(finite[:, None, None], C, eye)
    try:
        L = xp.linalg.cholesky(Cs)
        ok = bool(xp.all(xp.isfinite(L)))     # CuPy returns NaN where numpy and torch raise
    except Exception:
        ok = False
    if not ok:
        L = semidefinite_cholesky(xp, Cs, rtol)
    return xp.where(finite[:, None, None], L, eye * float("nan"))
