"""twolayer.linalg: the batched covariance kernels, on NumPy and on torch's array-API namespace."""
import numpy as np
import pytest

from sims.backends import get_backend
from twolayer.linalg import batched_cholesky, eigh_factor, pinv_from_eigh, semidefinite_cholesky

BACKENDS = ["numpy", pytest.param("torch", marks=pytest.mark.skipif(
    not __import__("importlib").util.find_spec("torch"), reason="torch is not installed"))]


def _batch(rank, seed=0, S=4, d=5):
    A = np.random.default_rng(seed).standard_normal((S, d, rank))
    return A @ np.swapaxes(A, 1, 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_eigh_factor_reproduces_psd_and_rank_deficient_matrices(backend):
    bk = get_backend(backend)
    for rank in (5, 2):
        C = _batch(rank)
        F = bk.to_numpy(eigh_factor(bk.xp, bk.asarray(C)))
        np.testing.assert_allclose(F @ np.swapaxes(F, 1, 2), C, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_pinv_from_eigh_is_numpys_pinv(backend):
    bk = get_backend(backend)
    C = _batch(3)
    w, U = bk.xp.linalg.eigh(bk.asarray(C))
    np.testing.assert_allclose(bk.to_numpy(pinv_from_eigh(bk.xp, w, U)), np.linalg.pinv(C, hermitian=True),
                               atol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batched_cholesky_marks_each_member_and_never_stops_the_others(backend):
    bk = get_backend(backend)
    C = _batch(5)
    C[1] = _batch(2, seed=1)[0]               # semi-definite: the fast path refuses the batch
    C[2] -= 0.5 * np.abs(np.linalg.eigvalsh(C[2])).max() * np.eye(5)   # indefinite
    C[3, 0, 0] = np.nan
    eye = bk.asarray(np.eye(5))
    L = bk.to_numpy(batched_cholesky(bk.xp, bk.asarray(C), eye))
    np.testing.assert_allclose(L[0], np.linalg.cholesky(C[0]), atol=1e-12)
    np.testing.assert_allclose(L[1] @ L[1].T, C[1], atol=1e-12)
    assert np.allclose(np.triu(L[1], 1), 0.0) and (np.abs(np.diag(L[1])) > 0).sum() == 2
    assert np.isnan(L[2]).all() and np.isnan(L[3]).all()
    L_pd = bk.to_numpy(batched_cholesky(bk.xp, bk.asarray(C[:1]), eye))
    np.testing.assert_allclose(L_pd[0], L[0], atol=1e-12)


def test_semi_definite_cholesky_of_a_rank_deficient_and_of_an_indefinite_batch():
    C = _batch(2, S=3)                        # rank 2 in 5 dimensions
    C[2] -= 0.1 * np.eye(5)                   # not PSD
    L = np.asarray(semidefinite_cholesky(np, C))
    assert np.allclose(L[:2] @ np.swapaxes(L[:2], 1, 2), C[:2], atol=1e-12)
    assert np.allclose(np.triu(L[0], 1), 0.0) and np.isnan(L[2]).all()
    assert (np.abs(np.diagonal(L[:2], axis1=1, axis2=2)) > 0).sum(axis=1).tolist() == [2, 2]
