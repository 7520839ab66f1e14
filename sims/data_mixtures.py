r"""Gaussian mixtures estimated from real data (class means and covariances), and data loaders.

Refinetti et al. (arXiv:2102.11742) study isotropic mixtures; real data are mixtures only
approximately. This module fits the labelled mixture of :mod:`sims.gaussian_mixture` to a
dataset, so that theory that accepts a general covariance (random features:
:class:`theory.random_features.GaussianEquivalentFeatures`) and every simulator can run on
"digits-like" or "MNIST-like" Gaussian data, and so that models trained on the mixture can be
tested on the real images (:meth:`DataMixture.transform`).

Fit (one convention, stated where it is used):

1. Select the samples whose label is in ``positive`` (y = +1) or ``negative`` (y = -1).
2. Standardise: subtract each pixel's mean over the selected samples, divide by its standard
   deviation; pixels that are constant over the selection are dropped (they carry no
   information and would make every covariance singular). N is the number of pixels kept.
3. Clusters: one per class (``clusters="class"``: the class mean and the within-class
   covariance, which then includes the spread between the digits of the class) or one per
   original label (``clusters="label"``, e.g. ten digit clusters labelled by parity).
   Cluster probabilities are the empirical frequencies (class imbalance is kept).
4. Covariance per cluster (or pooled within clusters, ``covariance="shared"``), sample
   covariance S with 1/(n - 1), shrunk towards its mean eigenvalue:
   Sigma = (1 - lambda) S + lambda (tr S / N) I. ``shrinkage="ledoit-wolf"`` takes lambda from
   Ledoit & Wolf (J. Multivar. Anal. 88, 365 (2004)) through scikit-learn; a number in [0, 1)
   fixes it. With lambda = 0 a singular S (fewer samples than pixels, or a pixel constant within
   a cluster) is refused with the cluster's name.
5. The mixture's raw means are sqrt(N) times the standardised cluster means, so its centres
   mu/sqrt(N) are the cluster means themselves (docs/DESIGN.md section 3: x = mu/sqrt(N) + L z). In
   these coordinates each pixel has unit total variance; the centres have norm O(sqrt(N)) rather
   than the paper's O(1): the fitted mixture sits in whatever signal-to-noise regime the data have.

Data sources: :func:`load_digits` (scikit-learn's bundled 8 x 8 digits, 1797 images; extra
``data``) and :func:`load_mnist`, which reads MNIST or Fashion-MNIST IDX files that the user
already has on disk (nothing is downloaded).
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twolayer import checks as _checks

from .gaussian_mixture import GaussianMixture

__all__ = ["DataMixture", "mixture_from_data", "digits_mixture", "mnist_mixture", "load_digits",
           "load_mnist", "load_idx"]

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path) -> np.ndarray:
    """Read one IDX file (the MNIST format; ``.gz`` is decompressed), shape as stored.

    Header: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then one big-endian uint32 per
    dimension; the data follow big-endian.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (magic bytes {raw[:4]!r})")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dt = np.dtype(_IDX_DTYPES[raw[2]])
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) != 4 + 4 * ndim + count * dt.itemsize:
        raise ValueError(f"{path}: IDX header says shape {shape} ({count * dt.itemsize} bytes of data), "
                         f"the file has {len(raw) - 4 - 4 * ndim}")
    return np.frombuffer(raw, dt, count=count, offset=4 + 4 * ndim).reshape(shape).astype(dt.newbyteorder("="))


def load_mnist(directory, split: str = "train"):
    """MNIST or Fashion-MNIST from IDX files in ``directory`` (both use the same file names).

    Looks for ``{train,t10k}-images-idx3-ubyte`` and ``{train,t10k}-labels-idx1-ubyte``, with
    ``-`` or ``.`` before ``idx`` and with or without ``.gz``.

    Returns
    -------
    X : ndarray (n, rows * cols), float64 in [0, 1]
    labels : ndarray (n,), int64
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST directory {str(directory)!r} does not exist")
    prefix = "train" if split == "train" else "t10k"

    def find(kind, idx):
        names = [f"{prefix}-{kind}{sep}{idx}-ubyte{gz}" for sep in ("-", ".") for gz in ("", ".gz")]
        for name in names:
            if (directory / name).is_file():
                return directory / name
        raise FileNotFoundError(f"none of {names} in {str(directory)!r}")

    images, labels = load_idx(find("images", "idx3")), load_idx(find("labels", "idx1"))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"images {images.shape} and labels {labels.shape} do not form an (n, rows, cols) / (n,) pair")
    return images.reshape(images.shape[0], -1).astype(float) / 255.0, labels.astype(np.int64)


def load_digits():
    """scikit-learn's bundled 8 x 8 digits: X (1797, 64) float64 (grey levels 0..16), labels (1797,)."""
    try:
        from sklearn.datasets import load_digits as _load
    except ImportError as exc:               # pragma: no cover - depends on the environment
        raise ImportError("the digits data ship with scikit-learn: pip install 'twolayer[data]'") from exc
    d = _load()
    return np.asarray(d.data, float), np.asarray(d.target, np.int64)


@dataclass(frozen=True)
class DataMixture:
    """A mixture fitted to data (module docstring) and the map from raw data to its coordinates.

    Attributes
    ----------
    mixture : GaussianMixture
        N = number of kept pixels; one cluster per class or per original label.
    kept : ndarray (N,)
        Indices of the raw input coordinates kept (non-constant over the selection).
    shift, scale : ndarray (N,)
        Per-pixel mean and standard deviation of the selection (identity if not standardised).
    cluster_labels : tuple of tuples
        The original labels that each cluster stands for.
    positive, negative : tuple
        Original labels mapped to y = +1 and y = -1.
    shrinkage : ndarray (C,) or (1,)
        lambda actually used per covariance.
    """

    mixture: GaussianMixture
    kept: np.ndarray
    shift: np.ndarray
    scale: np.ndarray
    cluster_labels: tuple
    positive: tuple
    negative: tuple
    shrinkage: np.ndarray

    def transform(self, X) -> np.ndarray:
        """Raw inputs (n, N_raw) -> the mixture's coordinates (n, N)."""
        X = np.asarray(X, float)
        if X.ndim != 2 or X.shape[1] <= int(self.kept.max()):
            raise ValueError(f"X must have shape (n, N_raw) with N_raw > {int(self.kept.max())}, got {X.shape}")
        return (X[:, self.kept] - self.shift) / self.scale

    def targets(self, labels):
        """Original labels -> y in {+1, -1}, and a mask of the samples that belong to either class."""
        labels = np.asarray(labels)
        pos, neg = np.isin(labels, self.positive), np.isin(labels, self.negative)
        return np.where(pos, 1.0, -1.0), pos | neg


def _label_set(name, values, present):
    vals = tuple(np.atleast_1d(np.asarray(values)).tolist())
    if len(vals) == 0:
        raise ValueError(f"{name} must name at least one label")
    missing = [v for v in vals if v not in present]
    if missing:
        raise ValueError(f"{name} labels {missing} have no samples (labels present: {sorted(present)})")
    return vals


def _shrinkage_intensity(Xc, shrinkage):
    if isinstance(shrinkage, str):
        if shrinkage != "ledoit-wolf":
            raise ValueError(f"shrinkage must be a number in [0, 1) or 'ledoit-wolf', got {shrinkage!r}")
        try:
            from sklearn.covariance import ledoit_wolf_shrinkage
        except ImportError as exc:           # pragma: no cover - depends on the environment
            raise ImportError("shrinkage='ledoit-wolf' uses scikit-learn: pip install 'twolayer[data]', "
                              "or pass a number") from exc
        return float(ledoit_wolf_shrinkage(Xc, assume_centered=True))
    lam = _checks.real("shrinkage", shrinkage)
    if not (0 <= lam < 1):
        raise ValueError(f"shrinkage must be a number in [0, 1) or 'ledoit-wolf', got {shrinkage!r}")
    return lam


def _shrunk_cov(Xc, lam, name):
    n, N = Xc.shape
    if n < 2:
        raise ValueError(f"{name} has {n} sample(s); a covariance needs at least 2")
    S = Xc.T @ Xc / (n - 1)
    S = (1 - lam) * S + lam * (np.trace(S) / N) * np.eye(N)
    if lam == 0:
        ev = np.linalg.eigvalsh(S).min()
        if ev <= 1e-10 * max(np.trace(S) / N, 1e-300):
            raise ValueError(f"the sample covariance of {name} is singular (smallest eigenvalue {ev:.3g}, "
                             f"{n} samples in {N} dimensions); use shrinkage > 0 or 'ledoit-wolf'")
    return S


def mixture_from_data(X, labels, positive, negative=None, *, clusters: str = "class",
                      covariance: str = "per-cluster", shrinkage="ledoit-wolf",
                      standardise: bool = True) -> DataMixture:
    """Fit a labelled Gaussian mixture to data (module docstring for the convention).

    Parameters
    ----------
    X : array_like (n, N_raw)
    labels : array_like (n,)
        Original labels (e.g. digits 0..9).
    positive : label or sequence of labels
        Mapped to y = +1.
    negative : label or sequence of labels, optional
        Mapped to y = -1 (default: every other label present).
    clusters : {"class", "label"}
        One Gaussian per class, or one per original label.
    covariance : {"per-cluster", "shared"}
        Each cluster's own covariance, or the pooled within-cluster covariance.
    shrinkage : float in [0, 1) or "ledoit-wolf"
    standardise : bool
        Per-pixel standardisation over the selection (constant pixels are dropped either way).

    Returns
    -------
    DataMixture
    """
    X = _checks.array("X", X, ndim=2)
    if X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (n, N_raw) with n >= 2, got {X.shape}")
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape ({X.shape[0]},), got {labels.shape}")
    _checks.choice("clusters", clusters, ("class", "label"))
    _checks.choice("covariance", covariance, ("per-cluster", "shared"))
    if not isinstance(standardise, (bool, np.bool_)):
        raise TypeError(f"standardise must be True or False, got {standardise!r}")
    if not isinstance(shrinkage, str):
        _checks.real("shrinkage", shrinkage, minimum=0.0, maximum=1.0)
    present = set(np.unique(labels).tolist())
    pos = _label_set("positive", positive, present)
    neg = _label_set("negative", sorted(present - set(pos)) if negative is None else negative, present)
    if set(pos) & set(neg):
        raise ValueError(f"positive {pos} and negative {neg} share labels {sorted(set(pos) & set(neg))}")
    sel = np.isin(labels, pos + neg)
    Xs, ls = X[sel], labels[sel]
    sd = Xs.std(axis=0)
    kept = np.flatnonzero(sd > 1e-12 * max(float(sd.max()), 1e-300))
    if kept.size == 0:
        raise ValueError("every input coordinate is constant over the selected samples")
    shift = Xs[:, kept].mean(axis=0) if standardise else np.zeros(kept.size)
    scale = sd[kept] if standardise else np.ones(kept.size)
    Z = (Xs[:, kept] - shift) / scale
    N = kept.size
    groups = [(v,) for v in pos + neg] if clusters == "label" else [pos, neg]
    ys = [1 if set(g) <= set(pos) else -1 for g in groups]
    members = [np.isin(ls, g) for g in groups]
    names = [f"cluster {g}" for g in groups]
    means = np.stack([Z[m].mean(axis=0) for m in members])
    probs = np.array([m.sum() for m in members], float) / Z.shape[0]
    centred = [Z[m] - means[k] for k, m in enumerate(members)]
    if covariance == "shared":
        pooled = np.concatenate(centred)
        lam = _shrinkage_intensity(pooled, shrinkage)
        n, C = pooled.shape[0], len(groups)
        S = _shrunk_cov(pooled, lam, "the pooled within-cluster data") * (n - 1) / max(n - C, 1)
        cov, lams = S, np.array([lam])
    else:
        lams = np.array([_shrinkage_intensity(c, shrinkage) for c in centred])
        cov = np.stack([_shrunk_cov(c, lam, nm) for c, lam, nm in zip(centred, lams, names)])
    mix = GaussianMixture(np.sqrt(N) * means, np.array(ys), cov=cov, probs=probs)
    return DataMixture(mix, kept, shift, scale, tuple(tuple(g) for g in groups), pos, neg, lams)


def digits_mixture(positive=(1, 3, 5, 7, 9), negative=None, **kwargs) -> DataMixture:
    """Mixture fitted to scikit-learn's 8 x 8 digits (default: odd (+1) vs even (-1));
    keyword arguments go to :func:`mixture_from_data`."""
    X, labels = load_digits()
    return mixture_from_data(X, labels, positive, negative, **kwargs)


def mnist_mixture(directory, positive, negative=None, split: str = "train", **kwargs) -> DataMixture:
    """Mixture fitted to MNIST / Fashion-MNIST IDX files in ``directory`` (:func:`load_mnist`);
    keyword arguments go to :func:`mixture_from_data`."""
    X, labels = load_mnist(directory, split)
    return mixture_from_data(X, labels, positive, negative, **kwargs)
