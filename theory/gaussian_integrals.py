r"""Gaussian expectations that close the committee-machine ODEs.

All functions take *entries* of a covariance matrix as broadcastable arrays, so one call evaluates
every index tuple at once. ``C_ij`` is the covariance of the i-th and j-th listed argument; the
first argument(s) carry g' (conventions of Saad & Solla 1995, Phys. Rev. E 52, 4225; Goldt et al.
2019, arXiv:1906.08632, Appendix on the integrals I2, I3, I4, J2):

* ``I2(a, b)   = E[g(a) g(b)]``
* ``J2(a, b)   = E[g'(a) g'(b)]``
* ``I3(a, b, c) = E[g'(a) b g(c)]``
* ``I4(a, b, c, d) = E[g'(a) g'(b) g(c) g(d)]``

Closed forms exist for g(x) = erf(x/sqrt 2) (all four), linear g (all four) and ReLU (I2, J2 and --
through Stein's lemma -- I3). Everything else is evaluated by tensor-product Gauss--Hermite
quadrature in up to four dimensions after a PSD square root of the covariance, with
:func:`monte_carlo_expectation` (with a standard error) for higher dimensions.

Stein's lemma for jointly Gaussian zero-mean (a, b, c) gives, for any g,
``I3(a,b,c) = C12 E[g''(a) g(c)] + C23 E[g'(a) g'(c)]``, which is how the ReLU I3 is closed
(E[delta(a) relu(c)] = sqrt(C11 C33 - C13^2) / (2 pi C11)).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from twolayer import checks as _checks
from twolayer.errors import InputError

from .activations import ACTIVATIONS, closed_form, get_activation

__all__ = [
    "erf_I2", "erf_J2", "erf_I3", "erf_I4",
    "relu_I2", "relu_J2", "relu_I3", "relu_I4",
    "I2", "J2", "I3", "I4",
    "psd_sqrt", "tensor_grid", "gauss_hermite_expectation", "monte_carlo_expectation",
    "has_closed_form",
]

_2_PI = 2.0 / np.pi


#: An arcsin argument beyond 1 + ASIN_SLACK is not round-off but a covariance that is not PSD.
ASIN_SLACK = 1e-9


def _asin_clipped(x, what=None):
    """arcsin with its argument clipped to [-1, 1] where it is off by round-off only.

    Degenerate covariances (a student unit equal to a teacher unit) put the argument at +-1 up to
    rounding; without the clip the result would be NaN. An argument beyond 1 + ASIN_SLACK comes
    from a covariance that is not PSD: InputError naming ``what`` (NaN passes through, for the
    callers' own divergence checks). ``what=None`` (the ODE's right-hand side, whose adaptive trial
    states may overshoot a degenerate covariance by more than round-off) clips without checking.
    """
    if what is None:
        return np.arcsin(np.clip(x, -1.0, 1.0))
    x = np.asarray(x, dtype=float)
    over = np.abs(x) > 1.0 + ASIN_SLACK
    if np.any(over):
        raise InputError(f"{what} is not a covariance: the arcsin argument is {float(x[over].flat[0]):.6g} "
                         "(|argument| <= 1 for any PSD covariance)")
    return np.arcsin(np.clip(x, -1.0, 1.0))


# --------------------------------------------------------------------------------------------
# erf(x/sqrt 2)
# --------------------------------------------------------------------------------------------
@closed_form("erf", "I2")
def _erf_I2(C11, C12, C22):
    """:func:`erf_I2` without the input check (the right-hand side's inner loop)."""
    return _2_PI * _asin_clipped(C12 / np.sqrt((1.0 + C11) * (1.0 + C22)))


def erf_I2(C11, C12, C22):
    """E[g(a)g(b)] for g = erf(./sqrt2): (2/pi) asin(C12 / sqrt((1+C11)(1+C22))).

    Saad & Solla 1995 (cond-mat/9507079), appendix. Broadcasts over its arguments. InputError
    unless [[C11, C12], [C12, C22]] is PSD: C11, C22 >= 0 and C12^2 <= C11 C22 (relative slack
    2e-9 for round-off); NaN passes through.
    """
    C11, C12, C22 = (np.asarray(c, dtype=float) for c in (C11, C12, C22))
    with np.errstate(invalid="ignore"):
        bad = (C11 < 0) | (C22 < 0) | (C12 * C12 > C11 * C22 * (1.0 + 2 * ASIN_SLACK) + 1e-300)
    if np.any(bad):
        bad = np.broadcast_to(bad, np.broadcast_shapes(C11.shape, C12.shape, C22.shape))
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        c11, c12, c22 = (float(np.broadcast_to(c, bad.shape)[i]) for c in (C11, C12, C22))
        raise InputError(f"(C11, C12, C22) must form a PSD covariance, got ({c11:.6g}, {c12:.6g}, {c22:.6g})"
                         + (f" at index {i}" if i else ""))
    return _2_PI * _asin_clipped(C12 / np.sqrt((1.0 + C11) * (1.0 + C22)), "(C11, C12, C22)")


@closed_form("erf", "J2")
def erf_J2(C11, C12, C22):
    """E[g'(a)g'(b)] for g = erf(./sqrt2): (2/pi) (1 + C11 + C22 + C11 C22 - C12^2)^(-1/2)."""
    return _2_PI / np.sqrt((1.0 + C11) * (1.0 + C22) - C12 * C12)


@closed_form("erf", "I3")
def erf_I3(C11, C12, C13, C23, C33):
    """E[g'(a) b g(c)] for g = erf(./sqrt2).

    (2/pi) [C23 (1+C11) - C12 C13] / [(1+C11) sqrt(Lambda3)], Lambda3 = (1+C11)(1+C33) - C13^2.
    """
    lam3 = (1.0 + C11) * (1.0 + C33) - C13 * C13
    return _2_PI * (C23 * (1.0 + C11) - C12 * C13) / ((1.0 + C11) * np.sqrt(lam3))


@closed_form("erf", "I4")
def _erf_I4(C11, C12, C13, C14, C22, C23, C24, C33, C34, C44, what=None):
    """:func:`erf_I4`; ``what`` names the input for the arcsin check (None: no check)."""
    lam4 = (1.0 + C11) * (1.0 + C22) - C12 * C12
    lam0 = (lam4 * C34 - C23 * C24 * (1.0 + C11) - C13 * C14 * (1.0 + C22)
            + C12 * C13 * C24 + C12 * C14 * C23)
    lam1 = lam4 * (1.0 + C33) - C23 * C23 * (1.0 + C11) - C13 * C13 * (1.0 + C22) + 2.0 * C12 * C13 * C23
    lam2 = lam4 * (1.0 + C44) - C24 * C24 * (1.0 + C11) - C14 * C14 * (1.0 + C22) + 2.0 * C12 * C14 * C24
    return (4.0 / np.pi**2) / np.sqrt(lam4) * _asin_clipped(lam0 / np.sqrt(lam1 * lam2), what)


def erf_I4(C11, C12, C13, C14, C22, C23, C24, C33, C34, C44):
    """E[g'(a) g'(b) g(c) g(d)] for g = erf(./sqrt2) (Saad & Solla 1995, cond-mat/9507079, appendix).

    (4/pi^2) Lambda4^(-1/2) asin(Lambda0 / sqrt(Lambda1 Lambda2)). The asin argument is clipped to
    [-1, 1] where it exceeds 1 by round-off only; beyond 1 + 1e-9 the 4x4 covariance is not PSD
    and this raises InputError.
    """
    return _erf_I4(C11, C12, C13, C14, C22, C23, C24, C33, C34, C44, what="the 4x4 covariance of erf_I4")


# --------------------------------------------------------------------------------------------
# ReLU
# --------------------------------------------------------------------------------------------
def _corr(C11, C12, C22):
    return np.clip(C12 / np.sqrt(C11 * C22), -1.0, 1.0)


@closed_form("relu", "I2")
def relu_I2(C11, C12, C22):
    """E[relu(a) relu(b)] = (1/2pi)[sqrt(C11 C22 - C12^2) + C12 (pi/2 + asin rho)] (arc-cosine kernel)."""
    det = np.maximum(C11 * C22 - C12 * C12, 0.0)
    return (np.sqrt(det) + C12 * (0.5 * np.pi + np.arcsin(_corr(C11, C12, C22)))) / (2.0 * np.pi)


@closed_form("relu", "J2")
def relu_J2(C11, C12, C22):
    """E[step(a) step(b)] = 1/4 + asin(rho)/(2 pi) (orthant probability)."""
    return 0.25 + np.arcsin(_corr(C11, C12, C22)) / (2.0 * np.pi)


@closed_form("relu", "I3")
def relu_I3(C11, C12, C13, C23, C33):
    """E[step(a) b relu(c)] via Stein's lemma.

    C12 sqrt(C11 C33 - C13^2)/(2 pi C11) + C23 (1/4 + asin(rho_ac)/(2 pi)).
    """
    det = np.maximum(C11 * C33 - C13 * C13, 0.0)
    return C12 * np.sqrt(det) / (2.0 * np.pi * C11) + C23 * relu_J2(C11, C13, C33)


@lru_cache(maxsize=8)
def _path_nodes(n: int):
    """Nodes t in (0, 1) and weights of the interpolation integral of :func:`relu_I4`: t = 1 - s^2
    (dt = 2 s ds absorbs the (1 - t)^(-1/2) edge a singular covariance puts at t = 1), and s by
    tanh-sinh quadrature with ``n`` nodes (step 6/(n-1) on [-3, 3]), which also resolves the
    near-singular edge of a nearly singular covariance (e.g. a, b anti-correlated to 1 - 1e-8)."""
    u = np.linspace(-3.0, 3.0, int(n))
    h = u[1] - u[0]
    v = 0.5 * np.pi * np.sinh(u)
    sn = 0.5 * (1.0 + np.tanh(v))
    ds = h * 0.25 * np.pi * np.cosh(u) / np.cosh(v) ** 2
    keep = (sn > 0.0) & (sn < 1.0)
    sn, ds = sn[keep], ds[keep]
    return 1.0 - sn * sn, 2.0 * sn * ds


@closed_form("relu", "I4")
def relu_I4(C11, C12, C13, C14, C22, C23, C24, C33, C34, C44, *, n_nodes: int = 49):
    """E[step(a) step(b) relu(c) relu(d)], reduced to one smooth integral of closed forms.

    Interpolate the covariance from Sigma_0 (the same, with C12, C13, C14, C23, C24 set to 0) to
    Sigma along Sigma(t) = Sigma_0 + t (Sigma - Sigma_0), PSD for every t in [0, 1]. Gaussian
    interpolation (d/dt E f = 1/2 sum_ij dSigma_ij E[d_i d_j f]) with f = step(a) step(b) relu(c)
    relu(d) needs only mixed derivatives of the five moving pairs, and each is closed:

    * d_a d_b f = delta(a) delta(b) relu(c) relu(d): p_ab(0, 0) times the arc-cosine kernel of
      (c, d) given a = b = 0 (:func:`relu_I2`);
    * d_a d_c f = delta(a) step(b) step(c) relu(d): p_a(0) times E[step step relu] given a = 0
      (Stein's lemma: three bivariate orthant probabilities), and likewise for (a, d), (b, c), (b, d).

    At t = 0, a, b and (c, d) are independent: E = relu_I2(C33, C34, C44) / 4. The t-integral uses
    ``n_nodes`` tanh-sinh points in s = sqrt(1 - t) (:func:`_path_nodes`): against adaptive 2-D
    quadrature the error is ~1e-13 relative; over two sets of 300 random covariances, a third of
    them of rank 1 to 3, the error against a 241-node rule has median 3e-15 and maximum 8e-11 and
    4.6e-9 of sqrt(C33 C44) (nearly anti-correlated a, b; tests/test_gaussian_integrals.py). Exactly repeated
    fields (a student's field as c) are limits of a ridge of 1e-13 of the largest variance, which
    moves the result by < 1e-10 of its scale. Compiled (theory/_relu_i4_numba.py): one scalar
    evaluation per index tuple. Derivation: this module's own; no ReLU I4 closed form appears in Saad & Solla
    1995 or Goldt et al. 2019, whose ReLU results use numerical integration.
    """
    from ._relu_i4_numba import relu_I4_kernel
    C = np.broadcast_arrays(*[np.asarray(x, dtype=float) for x in (C11, C12, C13, C14, C22, C23, C24, C33, C34, C44)])
    shape = C[0].shape
    flat = np.stack([c.reshape(-1) for c in C], axis=-1)
    t, wt = _path_nodes(_checks.integer("n_nodes", n_nodes, minimum=3))
    inverse = None
    if flat.shape[0] > 64:
        # The ODE asks for every (i, k, c, d); I4 is symmetric under a <-> b and c <-> d, so
        # evaluate each tuple once in a canonical order (up to 4x fewer evaluations)
        canon = _canonical_I4_rows(flat)
        # a 1-D key per row (a fixed random projection), verified exactly: a collision of two
        # different rows would only cost the deduplication, never a wrong value
        _, first, inverse = np.unique(canon @ _ROW_KEY, return_index=True, return_inverse=True)
        if np.array_equal(canon[first][inverse.reshape(-1)], canon):
            flat = canon[first]
        else:
            inverse = None
    flat = np.ascontiguousarray(flat)
    out = np.empty(flat.shape[0])
    _checks.kernel_arrays("relu_I4_kernel", C=(flat, (flat.shape[0], 10), np.float64), t=(t, (t.size,), np.float64),
                          wt=(wt, (t.size,), np.float64), out=(out, (flat.shape[0],), np.float64))
    relu_I4_kernel(flat, t, wt, out)
    if inverse is not None:
        out = out[inverse.reshape(-1)]
    return out.reshape(shape) if shape else float(out[0])


# column order of an I4 row: C11 C12 C13 C14 C22 C23 C24 C33 C34 C44
_ROW_KEY = np.random.default_rng(20261202).uniform(1.0, 2.0, 10)
_SWAP_AB = [4, 1, 5, 6, 0, 2, 3, 7, 8, 9]
_SWAP_CD = [0, 1, 3, 2, 4, 6, 5, 9, 8, 7]


def _canonical_I4_rows(rows):
    """Each row (a, b, c, d) reordered so that (C11, C13, C14) >= (C22, C23, C24) and then
    (C33, C13, C23) >= (C44, C14, C24) lexicographically: symmetric tuples become equal rows."""
    rows = rows.copy()
    ab = _lex_greater(rows[:, [4, 5, 6]], rows[:, [0, 2, 3]])
    rows[ab] = rows[ab][:, _SWAP_AB]
    cd = _lex_greater(rows[:, [9, 3, 6]], rows[:, [7, 2, 5]])
    rows[cd] = rows[cd][:, _SWAP_CD]
    return rows


def _lex_greater(x, y):
    """Row-wise lexicographic x > y for (n, m) arrays."""
    gt = np.zeros(x.shape[0], dtype=bool)
    eq = np.ones(x.shape[0], dtype=bool)
    for j in range(x.shape[1]):
        gt |= eq & (x[:, j] > y[:, j])
        eq &= x[:, j] == y[:, j]
    return gt


# --------------------------------------------------------------------------------------------
# Linear g(x) = x: every expectation is a covariance entry
# --------------------------------------------------------------------------------------------
@closed_form("linear", "I2")
def _linear_I2(C11, C12, C22):
    """E[a b] = C12."""
    return np.broadcast_arrays(C12, C11, C22)[0] * 1.0


@closed_form("linear", "J2")
def _linear_J2(C11, C12, C22):
    """E[1] = 1."""
    return np.ones(np.broadcast(C11, C12, C22).shape)


@closed_form("linear", "I3")
def _linear_I3(C11, C12, C13, C23, C33):
    """E[b c] = C23."""
    return np.broadcast_arrays(C23, C11, C12, C13, C33)[0] * 1.0


@closed_form("linear", "I4")
def _linear_I4(C11, C12, C13, C14, C22, C23, C24, C33, C34, C44):
    """E[c d] = C34."""
    return np.broadcast_arrays(C34, C11, C12, C13, C14, C22, C23, C24, C33, C44)[0] * 1.0


# --------------------------------------------------------------------------------------------
# Mixed pairs for I2 (used by epsilon_g with different student/teacher activations)
# --------------------------------------------------------------------------------------------
def _mixed_I2(na, nb, C11, C12, C22):
    """Closed forms of E[g_a(a) g_b(b)] for mixed pairs, or None."""
    if {na, nb} == {"erf", "linear"}:
        Cee = C11 if na == "erf" else C22
        return C12 * np.sqrt(2.0 / np.pi) / np.sqrt(1.0 + Cee)   # Stein: C12 E[g'(a)]
    if {na, nb} == {"relu", "linear"}:
        return 0.5 * C12                                          # Stein: C12 E[step(a)]
    if {na, nb} == {"erf", "relu"}:
        Cee = C11 if na == "erf" else C22                         # erf odd: only the b/2 part of relu
        return C12 / np.sqrt(2.0 * np.pi * (1.0 + Cee))
    return None


def _closed(kind, *acts):
    """The registered closed form of ``kind`` when every activation is the same registered record,
    else None (a record derived with ``dataclasses.replace`` shares the ``closed`` dict, but not the
    function it was registered for, so it gets quadrature)."""
    a = acts[0]
    if ACTIVATIONS.get(a.name) is not a or not all(b is a for b in acts[1:]):
        return None
    return a.closed.get(kind)


def _registered_names(*acts):
    """Names of the activations when every one is the registry's own record (mixed closed forms)."""
    return tuple(a.name for a in acts) if all(ACTIVATIONS.get(a.name) is a for a in acts) else None


def has_closed_form(kind: str, *activations) -> bool:
    """Whether :func:`I2`/:func:`J2`/:func:`I3`/:func:`I4` (``kind``) is closed for these activations
    (names or :class:`theory.activations.Activation` records)."""
    if kind not in ("I2", "J2", "I3", "I4"):
        raise ValueError(f"kind={kind!r} must be one of 'I2', 'J2', 'I3', 'I4'")
    acts = tuple(get_activation(n) for n in activations)
    if _closed(kind, *acts) is not None:
        return True
    names = _registered_names(*acts)
    return kind == "I2" and names is not None and len(names) == 2 and _mixed_I2(*names, 1.0, 0.0, 1.0) is not None


# --------------------------------------------------------------------------------------------
# Generic quadrature
# --------------------------------------------------------------------------------------------
def psd_sqrt(cov, *, parameter: str = "cov", rtol: float = _checks.PSD_RTOL):
    """A factor L (L L^T = cov) of a batch of covariance matrices, from their eigendecomposition.

    Checked through :func:`twolayer.checks.psd_factor` (``method="eigh"``), so a rank-deficient
    covariance is allowed and its zero directions get zero columns.

    Parameters
    ----------
    cov : array_like, shape (..., d, d)

    Raises
    ------
    ValueError
        If ``cov`` is not finite, not square, not symmetric or has an eigenvalue below
        ``-rtol * max|eig|``.
    """
    return _checks.psd_factor(parameter, cov, method="eigh", rtol=rtol)


@lru_cache(maxsize=32)
def tensor_grid(dim: int, order: int):
    """Tensor Gauss--Hermite nodes (order**dim, dim) and weights for N(0, I_dim) (cached)."""
    x, w = hermegauss(order)
    w = w / np.sqrt(2.0 * np.pi)
    grids = np.meshgrid(*([x] * dim), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=-1)
    weights = np.ones(1)
    for _ in range(dim):
        weights = np.multiply.outer(weights, w).ravel()
    return nodes, weights


def gauss_hermite_expectation(f, cov, order: int = 20):
    """E[f(z)], z ~ N(0, cov), by tensor-product Gauss--Hermite quadrature after a PSD square root.

    Parameters
    ----------
    f : callable
        ``f(z)`` with ``z`` of shape (..., n_nodes, d) returning shape (..., n_nodes).
    cov : array_like, shape (..., d, d), d <= 4
    order : int
        Nodes per dimension (``order**d`` in total). Exact for polynomials of degree <= 2*order-1;
        spectral for smooth f, only algebraic (about order^-2) for kinks such as ReLU.

    Returns
    -------
    ndarray, shape (...)
    """
    cov = np.asarray(cov, dtype=float)
    d = cov.shape[-1]
    if d > 4:
        raise ValueError(f"cov has dimension {d} > 4: use monte_carlo_expectation")
    if int(order) < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    nodes, weights = tensor_grid(d, int(order))
    L = psd_sqrt(cov)
    z = np.einsum("...ij,qj->...qi", L, nodes)
    return np.sum(f(z) * weights, axis=-1)


def monte_carlo_expectation(f, cov, n_samples: int, seed=0):
    """Monte-Carlo E[f(z)], z ~ N(0, cov), with its standard error.

    Parameters
    ----------
    f : callable
        ``f(z)``, z of shape (n_samples, d) -> (n_samples,).
    cov : array_like, shape (d, d)
    n_samples : int
    seed : int or numpy.random.SeedSequence

    Returns
    -------
    mean, stderr : float
    """
    if int(n_samples) < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples}")
    rng = np.random.default_rng(seed)
    L = psd_sqrt(cov)
    z = rng.standard_normal((int(n_samples), L.shape[-1])) @ L.T
    vals = f(z)
    return float(np.mean(vals)), float(np.std(vals, ddof=1) / np.sqrt(len(vals)))


def _stack_cov(entries, d):
    """Build (..., d, d) covariance matrices from the upper-triangle entries (row-major)."""
    entries = np.broadcast_arrays(*[np.asarray(e, dtype=float) for e in entries])
    shape = entries[0].shape
    cov = np.empty(shape + (d, d))
    it = iter(entries)
    for i in range(d):
        for j in range(i, d):
            e = next(it)
            cov[..., i, j] = e
            cov[..., j, i] = e
    return cov


# --------------------------------------------------------------------------------------------
# Dispatching front ends
# --------------------------------------------------------------------------------------------
def I2(act_a, act_b, C11, C12, C22, *, order: int = 40):
    """E[g_a(a) g_b(b)]; closed form when registered, else 2-D Gauss--Hermite."""
    a, b = get_activation(act_a), get_activation(act_b)
    f = _closed("I2", a, b)
    if f is not None:
        return f(C11, C12, C22)
    names = _registered_names(a, b)
    mixed = None if names is None else _mixed_I2(*names, C11, C12, C22)
    if mixed is not None:
        return mixed
    cov = _stack_cov([C11, C12, C22], 2)
    return gauss_hermite_expectation(lambda z: a.g(z[..., 0]) * b.g(z[..., 1]), cov, order)


def J2(act_a, act_b, C11, C12, C22, *, order: int = 40):
    """E[g_a'(a) g_b'(b)]; closed form when registered, else 2-D Gauss--Hermite."""
    a, b = get_activation(act_a), get_activation(act_b)
    f = _closed("J2", a, b)
    if f is not None:
        return f(C11, C12, C22)
    cov = _stack_cov([C11, C12, C22], 2)
    return gauss_hermite_expectation(lambda z: a.dg(z[..., 0]) * b.dg(z[..., 1]), cov, order)


def I3(act_a, act_c, C11, C12, C13, C23, C33, *, order: int = 20):
    """E[g_a'(a) b g_c(c)]; closed form when registered, else 3-D Gauss--Hermite."""
    a, c = get_activation(act_a), get_activation(act_c)
    f = _closed("I3", a, c)
    if f is not None:
        return f(C11, C12, C13, C23, C33)
    # covariance of (a, b, c); C22 only enters through b's own variance, which the integrand's
    # linearity in b makes irrelevant -- any value keeping the matrix PSD works.
    C22 = _conditional_safe_variance(C11, C12, C13, C23, C33)
    cov = _stack_cov([C11, C12, C13, C22, C23, C33], 3)
    return gauss_hermite_expectation(lambda z: a.dg(z[..., 0]) * z[..., 1] * c.g(z[..., 2]), cov, order)


def _conditional_safe_variance(C11, C12, C13, C23, C33):
    """A variance for b that keeps cov(a, b, c) PSD: b's regression on (a, c) plus one unit.

    I3 is linear in b, so only Cov(b, a) and Cov(b, c) matter; this picks Var(b) large enough.
    """
    C11, C12, C13, C23, C33 = np.broadcast_arrays(*[np.asarray(x, float) for x in (C11, C12, C13, C23, C33)])
    sub = _stack_cov([C11, C13, C33], 2) + 1e-12 * np.eye(2)
    cb = np.stack([C12, C23], axis=-1)[..., None]
    quad = (np.swapaxes(cb, -1, -2) @ np.linalg.pinv(sub) @ cb)[..., 0, 0]
    return quad + 1.0


def I4(act_a, act_c, act_d, C11, C12, C13, C14, C22, C23, C24, C33, C34, C44, *, order: int = 10):
    """E[g_a'(a) g_a'(b) g_c(c) g_d(d)]; closed form when registered, else 4-D Gauss--Hermite."""
    a, c, d = get_activation(act_a), get_activation(act_c), get_activation(act_d)
    f = _closed("I4", a, c, d)
    if f is not None:
        return f(C11, C12, C13, C14, C22, C23, C24, C33, C34, C44)
    cov = _stack_cov([C11, C12, C13, C14, C22, C23, C24, C33, C34, C44], 4)
    return gauss_hermite_expectation(
        lambda z: a.dg(z[..., 0]) * a.dg(z[..., 1]) * c.g(z[..., 2]) * d.g(z[..., 3]), cov, order)
