"""Mixtures fitted to data, IDX/MNIST loading and the digits mixture (sims.data_mixtures)."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from sims.data_mixtures import digits_mixture, load_idx, load_mnist, mixture_from_data, mnist_mixture
from sims.gaussian_mixture import GaussianMixture


def _write_idx(path, arr, code=0x08, compress=False):
    head = bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
    dt = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    data = head + np.asarray(arr).astype(dt).tobytes()
    with (gzip.open if compress else open)(path, "wb") as fh:
        fh.write(data)


def test_idx_reader_round_trip_and_bad_files(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (7, 4, 3), dtype=np.uint8)
    _write_idx(tmp_path / "a.idx", img)
    np.testing.assert_array_equal(load_idx(tmp_path / "a.idx"), img)
    sh = rng.integers(-300, 300, (5,)).astype(np.int16)
    _write_idx(tmp_path / "b.idx.gz", sh, code=0x0B, compress=True)
    np.testing.assert_array_equal(load_idx(tmp_path / "b.idx.gz"), sh)
    fl = rng.standard_normal((2, 3)).astype(np.float32)
    _write_idx(tmp_path / "c.idx", fl, code=0x0D)
    np.testing.assert_array_equal(load_idx(tmp_path / "c.idx"), fl)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01" + bytes(8))
    with pytest.raises(ValueError, match="not an IDX file"):
        load_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + np.array([10], ">u4").tobytes() + bytes(3))
    with pytest.raises(ValueError, match="header says shape"):
        load_idx(tmp_path / "short")


def test_mnist_loader_finds_both_naming_schemes(tmp_path):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    lab = np.arange(20, dtype=np.uint8) % 10
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", img, compress=True)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", lab, compress=True)
    _write_idx(tmp_path / "t10k-images.idx3-ubyte", img[:6])
    _write_idx(tmp_path / "t10k-labels.idx1-ubyte", lab[:6])
    X, y = load_mnist(tmp_path)
    assert X.shape == (20, 784) and X.max() <= 1.0 and X.dtype == np.float64
    np.testing.assert_array_equal(y, lab)
    np.testing.assert_allclose(X[3], img[3].ravel() / 255.0)
    Xt, yt = load_mnist(tmp_path, split="test")
    assert Xt.shape == (6, 784)
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, split="val")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nope")
    (tmp_path / "t10k-labels.idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels"):
        load_mnist(tmp_path, split="test")
    # a tiny "MNIST" is too small for an unshrunk covariance, and fine with a fixed shrinkage
    dm = mnist_mixture(tmp_path, positive=(1, 3, 5, 7, 9), shrinkage=0.5)
    assert dm.mixture.n_clusters == 2 and dm.mixture.N == 784


def test_fit_recovers_a_known_anisotropic_mixture():
    """Raw coordinates (standardise=False): centres and covariances within 5 standard errors."""
    rng = np.random.default_rng(2)
    N, n = 4, 40_000
    A = rng.standard_normal((2, N, N))
    cov = A @ A.transpose(0, 2, 1) / N + 0.3 * np.eye(N)
    true = GaussianMixture(rng.standard_normal((2, N)) * np.sqrt(N), [1, -1], cov=cov, rho=0.3)
    X, y, c = true.sample(n, seed=3)
    dm = mixture_from_data(X, y.astype(int), positive=1, shrinkage=0.0, standardise=False)
    m = dm.mixture
    assert dm.cluster_labels == ((1,), (-1,)) and m.rho == pytest.approx(np.mean(y == 1))
    for a_fit, a_true in ((0, 0), (1, 1)):
        na = np.sum(c == a_true)
        se_mean = np.sqrt(np.diag(cov[a_true]) / na)
        assert np.all(np.abs(m.centres[a_fit] - true.centres[a_true]) < 5 * se_mean)
        S = cov[a_true]
        se_cov = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S**2) / na)
        assert np.all(np.abs(m.covariance(a_fit) - S) < 5 * se_cov)
    # standardised coordinates: the selection has mean 0 and unit variance per pixel
    ds = mixture_from_data(X, y.astype(int), positive=1, shrinkage=0.0)
    Z = ds.transform(X)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(0), 1, rtol=1e-12)
    yy, mask = ds.targets(y.astype(int))
    assert mask.all() and np.array_equal(yy, y)
    shared = mixture_from_data(X, y.astype(int), positive=1, covariance="shared", shrinkage=0.1)
    assert shared.mixture.cov.shape == (N, N) and shared.shrinkage.shape == (1,)


def test_fit_drops_constant_pixels_and_refuses_bad_input():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 5))
    X[:, 2] = 7.0
    lab = np.repeat([0, 1, 2], 100)
    dm = mixture_from_data(X, lab, positive=[1], shrinkage=0.0, clusters="label")
    assert dm.mixture.N == 4 and list(dm.kept) == [0, 1, 3, 4]
    assert dm.mixture.n_clusters == 3 and list(dm.mixture.labels) == [1, -1, -1]
    np.testing.assert_allclose(dm.mixture.probs, 1 / 3)
    assert dm.transform(X).shape == (300, 4)
    with pytest.raises(ValueError, match="share labels"):
        mixture_from_data(X, lab, positive=[1], negative=[1, 2])
    with pytest.raises(ValueError, match=r"positive labels \[7\] have no samples"):
        mixture_from_data(X, lab, positive=[7])
    with pytest.raises(ValueError, match="shrinkage"):
        mixture_from_data(X, lab, positive=[1], shrinkage=1.5)
    with pytest.raises(ValueError, match="shrinkage"):
        mixture_from_data(X, lab, positive=[1], shrinkage="oas")
    with pytest.raises(ValueError, match="labels must have shape"):
        mixture_from_data(X, lab[:10], positive=[1])
    with pytest.raises(ValueError, match="clusters"):
        mixture_from_data(X, lab, positive=[1], clusters="digit")
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        mixture_from_data(Xn, lab, positive=[1])
    with pytest.raises(ValueError, match=r"cluster \(1,\) is singular"):
        mixture_from_data(X[:, :4].repeat(2, axis=1), lab, positive=[1], shrinkage=0.0, clusters="label")
    with pytest.raises(ValueError, match="at least 2"):
        mixture_from_data(X[:201], lab[:201], positive=[2], negative=[0], shrinkage=0.1, clusters="label")


def test_digits_mixture_odd_even():
    pytest.importorskip("sklearn")
    dm = digits_mixture(clusters="label")
    m = dm.mixture
    assert m.N == 61 and m.n_clusters == 10                    # 3 of the 64 pixels are always 0
    assert dm.cluster_labels == tuple((d,) for d in (1, 3, 5, 7, 9, 0, 2, 4, 6, 8))
    assert list(m.labels) == [1] * 5 + [-1] * 5
    assert m.probs.sum() == pytest.approx(1) and np.all((dm.shrinkage > 0) & (dm.shrinkage < 1))
    two = digits_mixture(positive=3, negative=8, clusters="class", covariance="shared")
    assert two.mixture.n_clusters == 2 and two.mixture.cov.ndim == 2
