r"""Effective theory of deep MLPs at initialisation: kernel K, four-point vertex V, the 1/n kernel
correction G1 and the NTK mean H, for any depth, widths, activation and number of inputs.

Roberts, Yaida & Hanin, "The Principles of Deep Learning Theory", arXiv:2106.10165 (chapters 4, 5,
8): z^(1) = b + W x, z^(l+1) = b + W sigma(z^(l)), E b^2 = C_b, E W^2 = C_W / fan_in.
Conventions (docs/DESIGN.md section 3; activations as in :mod:`theory.activations`, so ``"erf"`` is
erf(x/sqrt 2)): for inputs x_alpha (alpha = 1..n_in) and widths n_0 (input), n_1, ..., n_{L-1}:

* E[z_i;a z_j;b] = delta_ij [K_ab + G1_ab / n_{l-1}] + O(1/n^2)  (layer l);
* connected four-point function of one neuron:
  (1/n_{l-1}) [V_(ab)(cd) + V_(ac)(bd) + V_(ad)(bc)], so E z^4 - 3 (E z^2)^2 = 3 V / n (one input);
* with the empirical kernel G^(l+1) = C_b + (C_W/n_l) sum_j sigma(z_j;a) sigma(z_j;b):
  E G = K + G1/n, Cov(G_ab, G_cd) = V_(ab)(cd) / n_{l-1} + O(1/n^2).

Recursions (leading order), with r = n_l / n_{l-1} and all brackets Gaussian expectations with
covariance K^(l):

    K^(1)  = C_b + C_W X X^T / n_0,                 V^(1) = 0, G1^(1) = 0 (and G1^(2) = 0)
    K^(l+1)_ab = C_b + C_W <s_a s_b>
    V^(l+1)_(ab)(cd) = C_W^2 [<s_a s_b s_c s_d> - <s_a s_b><s_c s_d>]
                       + r (C_W^2/4) sum_efgh V^(l)_(ef)(gh) <d_e d_f (s_a s_b)> <d_g d_h (s_c s_d)>
    G1^(l+1)_ab = r C_W [ 1/2 sum_ef <d_e d_f (s_a s_b)> G1^(l)_ef
                          + 1/8 sum_efgh V^(l)_(ef)(gh) <d_e d_f d_g d_h (s_a s_b)> ]
    H^(1)  = lambda_b + lambda_W X X^T / n_0
    H^(l+1)_ab = lambda_b + lambda_W <s_a s_b> + C_W <s'_a s'_b> H^(l)_ab

(the G1 recursion is the 1/n Taylor expansion of <s_a s_b> about the Gaussian: the metric shift
contributes 1/2 <d^2 F> G1, the quartic cumulant 1/8 <d^4 F> V). Derivatives are moved onto the
Gaussian weight by integration by parts: <d_i d_j F> = <F (u_i u_j - P_ij)>, P = K^-1, u = P z,
and the order-four Hermite tensor for <d^4 F>, so ReLU needs no delta functions. All expectations
of a layer come from one tensor Gauss--Hermite grid in n_in dimensions (vectorised over every
index tuple); closed forms (linear, ReLU, erf) are used for <s s> and <s' s'> and serve as
oracles in the tests. The NTK uses the learning-rate tensor (lambda_b, lambda_W / fan_in).
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from twolayer import checks as _checks
from twolayer.errors import InputError

from .activations import get_activation
from .criticality import critical_points
from .gaussian_integrals import I2, J2, has_closed_form, psd_sqrt, tensor_grid

__all__ = ["EffectiveTheory", "effective_theory", "critical_initialization", "layer_moments",
           "nngp_ntk", "DEFAULT_ORDERS"]

DEFAULT_ORDERS = {1: 150, 2: 100, 3: 30}


def _check_inputs(X):
    X = _checks.array("X", X, ndim=2)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (n_inputs, n_0) with both >= 1, got {X.shape}")
    return X


def _check_gram(K, name="input Gram matrix"):
    try:
        _checks.psd(name, K, rtol=1e-12, strict=True)
    except InputError as err:
        raise InputError(f"{err}; the inputs must be linearly independent (or C_b > 0)") from None


@dataclass(frozen=True)
class LayerMoments:
    """Gaussian expectations at covariance K (n = number of inputs).

    M2 (n, n): <s_a s_b>; M4 (n,)*4: <s_a s_b s_c s_d>; D2 (n,)*4: <d_c d_d (s_a s_b)>;
    D4 (n,)*6: <d_c d_d d_e d_f (s_a s_b)>; J (n, n): <s'_a s'_b>.
    """

    M2: np.ndarray
    M4: np.ndarray
    D2: np.ndarray
    D4: np.ndarray
    J: np.ndarray


def layer_moments(K, activation, order: int | None = None, *, need_d4: bool = True) -> LayerMoments:
    """All Gaussian expectations one layer of the recursions needs, at covariance ``K`` (n x n).

    Raises
    ------
    ValueError
        If the quadrature of an activation without closed forms does not converge.
    """
    with np.errstate(over="ignore", invalid="ignore"):   # non-convergence is reported below, by name
        return _layer_moments(K, activation, order, need_d4)


def _layer_moments(K, activation, order, need_d4):
    act = get_activation(activation)
    K = np.asarray(K, float)
    n = K.shape[0]
    if n > 3:
        raise ValueError(f"at most 3 inputs are supported by the quadrature grid, got {n}")
    order = DEFAULT_ORDERS[n] if order is None else int(order)
    nodes, w = tensor_grid(n, order)
    L = psd_sqrt(K, parameter="K")
    z = nodes @ L.T                                   # (Q, n)
    P = np.linalg.inv(K)
    u = z @ P                                         # K^-1 z
    s = act.g(z)
    ws = s * w[:, None]
    M2 = s.T @ ws
    ss = np.einsum("qa,qb->qab", s, ws)               # weighted s_a s_b per node
    M4 = np.einsum("qab,qc,qd->abcd", ss, s, s)
    D2 = np.einsum("qab,qc,qd->abcd", ss, u, u) - M2[:, :, None, None] * P[None, None]
    D4 = None
    if need_d4:
        uu = np.einsum("qa,qb->qab", u, u)
        t4 = np.einsum("qab,qcd->qabcd", uu, uu)
        # Hermite tensor: u^4 - sym6(P u u) + sym3(P P)
        t2 = (np.einsum("cd,qef->qcdef", P, uu) + np.einsum("ce,qdf->qcdef", P, uu)
              + np.einsum("cf,qde->qcdef", P, uu) + np.einsum("de,qcf->qcdef", P, uu)
              + np.einsum("df,qce->qcdef", P, uu) + np.einsum("ef,qcd->qcdef", P, uu))
        t0 = (np.einsum("cd,ef->cdef", P, P) + np.einsum("ce,df->cdef", P, P) + np.einsum("cf,de->cdef", P, P))
        D4 = np.einsum("qab,qcdef->abcdef", ss, t4 - t2) + M2[:, :, None, None, None, None] * t0
    closed = has_closed_form("I2", act, act) and has_closed_form("J2", act, act)
    if not closed:
        _check_converged(act, K, L, order, M2, M4)
    d = np.diag(K)
    if closed:
        M2 = I2(act, act, d[:, None], K, d[None, :])               # exact where a closed form exists
        J = J2(act, act, d[:, None], K, d[None, :])
    else:
        J = act.dg(z).T @ (act.dg(z) * w[:, None])
    return LayerMoments(M2, M4, D2, D4, J)


def _check_converged(act, K, L, order, M2, M4, rtol=1e-6):
    """Raise if <s s> or <s s s s> change by more than rtol between ``order`` and 2/3 of it."""
    n = K.shape[0]
    nodes, w = tensor_grid(n, max(4, (2 * order) // 3))
    s = act.g(nodes @ L.T)
    ws = s * w[:, None]
    m2 = s.T @ ws
    m4 = np.einsum("qa,qb,qc,qd->abcd", ws, s, s, s)
    for name, a, b in (("<s s>", M2, m2), ("<s s s s>", M4, m4)):
        scale = np.abs(a).max() + 1e-300
        if not (np.all(np.isfinite(a)) and np.abs(a - b).max() <= rtol * scale):
            raise ValueError(f"Gauss-Hermite quadrature of {name} for activation={act.name!r} at K={K.tolist()} "
                             f"did not converge (orders {order} and {(2 * order) // 3} differ by "
                             f"{np.abs(a - b).max():.3g}); the activation grows too fast or is too rough")


@dataclass(frozen=True)
class EffectiveTheory:
    """Per-layer predictions, index l-1 for layer l = 1..L.

    Attributes
    ----------
    K : ndarray, shape (L, n_in, n_in)
    V : ndarray, shape (L, n_in, n_in, n_in, n_in)
        Four-point vertex; the connected four-point function carries 1/n_{l-1}.
    G1 : ndarray, shape (L, n_in, n_in)
        1/n_{l-1} coefficient of the kernel's finite-width correction.
    H : ndarray, shape (L, n_in, n_in)
        NTK mean (infinite-width part).
    widths : tuple
        (n_0, n_1, ..., n_{L-1}).
    """

    K: np.ndarray
    V: np.ndarray
    G1: np.ndarray
    H: np.ndarray
    widths: tuple

    def kernel_mean(self, layer: int):
        """E[G^(l)] to O(1/n): K + G1 / n_{l-1}."""
        return self.K[layer - 1] + self.G1[layer - 1] / self.widths[layer - 1]

    def kernel_covariance(self, layer: int):
        """Cov(G_ab, G_cd) of the empirical kernel of layer l: V / n_{l-1}."""
        return self.V[layer - 1] / self.widths[layer - 1]


def hidden_widths_tuple(hidden_widths, depth=None) -> tuple:
    """(n_1, ..., n_{L-1}) from a sequence, or from one width and ``depth``; ValueError naming the problem."""
    if depth is not None:
        depth = _checks.integer("depth", depth, minimum=2)
    if hidden_widths is None or isinstance(hidden_widths, (str, bytes)):
        raise TypeError(f"hidden_widths must be an integer or a sequence of integers, got {hidden_widths!r}")
    if np.isscalar(hidden_widths):
        if depth is None:
            raise ValueError("give depth when hidden_widths is a single width")
        hidden_widths = (hidden_widths,) * (depth - 1)
    hw = tuple(hidden_widths)
    if depth is not None and len(hw) != depth - 1:
        raise ValueError(f"depth={depth} needs {int(depth) - 1} hidden widths, got {len(hw)}")
    return tuple(_checks.integer(f"hidden_widths[{i}]", n, minimum=1) for i, n in enumerate(hw))


def check_init_parameters(C_b, C_W, lambda_b=1.0, lambda_W=1.0) -> None:
    """C_b, lambda_b, lambda_W finite and >= 0, C_W finite and > 0 (ValueError naming the parameter)."""
    for name, val in (("C_b", C_b), ("lambda_b", lambda_b), ("lambda_W", lambda_W)):
        _checks.nonneg(name, val)
    _checks.positive("C_W", C_W)


def effective_theory(X, hidden_widths, *, C_b: float, C_W: float, activation: str = "relu",
                     depth: int | None = None, lambda_b: float = 1.0, lambda_W: float = 1.0,
                     order: int | None = None) -> EffectiveTheory:
    """K, V, G1 and H for every layer l = 1..L of an MLP at initialisation.

    Parameters
    ----------
    X : array_like, shape (n_inputs, n_0)
        Inputs (rows); at most 3, linearly independent unless C_b > 0.
    hidden_widths : sequence of int
        (n_1, ..., n_{L-1}); depth L = len(hidden_widths) + 1 unless ``depth`` is given with
        equal widths (then ``hidden_widths`` may be one int).
    C_b, C_W : float
        Bias variance (>= 0) and weight variance (> 0, divided by fan-in).
    lambda_b, lambda_W : float
        Learning-rate tensor of the NTK.
    order : int, optional
        Gauss--Hermite nodes per dimension (defaults: 150, 100, 30 for 1, 2, 3 inputs).
    """
    X = _check_inputs(X)
    hw = hidden_widths_tuple(hidden_widths, depth)
    check_init_parameters(C_b, C_W, lambda_b, lambda_W)
    get_activation(activation)
    n_in, n0 = X.shape
    widths = (n0,) + hw
    L = len(widths)
    K = np.empty((L, n_in, n_in))
    V = np.zeros((L, n_in, n_in, n_in, n_in))
    G1 = np.zeros((L, n_in, n_in))
    H = np.empty((L, n_in, n_in))
    K[0] = C_b + C_W * X @ X.T / n0
    H[0] = lambda_b + lambda_W * X @ X.T / n0
    _check_gram(K[0])
    for l in range(1, L):
        m = layer_moments(K[l - 1], activation, order)
        r = widths[l] / widths[l - 1]
        K[l] = C_b + C_W * m.M2
        V[l] = C_W**2 * (m.M4 - np.einsum("ab,cd->abcd", m.M2, m.M2))
        if l >= 2:
            V[l] += r * C_W**2 / 4 * np.einsum("abef,efgh,cdgh->abcd", m.D2, V[l - 1], m.D2)
            G1[l] = r * C_W * (0.5 * np.einsum("abef,ef->ab", m.D2, G1[l - 1])
                               + 0.125 * np.einsum("abefgh,efgh->ab", m.D4, V[l - 1]))
        H[l] = lambda_b + lambda_W * m.M2 + C_W * m.J * H[l - 1]
        if not np.all(np.isfinite(K[l])) or np.linalg.eigvalsh(K[l]).min() <= 0:
            raise ValueError(f"the kernel at layer {l + 1} is not positive definite ({K[l]}); "
                             "choose C_b, C_W closer to criticality")
    return EffectiveTheory(K, V, G1, H, widths)


def _per_layer(name, value, depth, *, positive=False):
    if np.ndim(value) == 0:
        arr = np.full(depth, _checks.positive(name, value) if positive else _checks.nonneg(name, value))
    else:
        arr = _checks.array(name, value, finite=False)
    if arr.shape != (depth,):
        raise ValueError(f"{name} must be a number or a sequence of {depth} per-layer values, got {value!r}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or (positive and np.any(arr <= 0)):
        raise ValueError(f"{name} must be finite and {'> 0' if positive else '>= 0'}, got {value!r}")
    return arr


def nngp_ntk(X, depth: int, *, C_b, C_W, activation: str = "relu", lambda_b=1.0, lambda_W=1.0):
    """Infinite-width NNGP kernel K^(depth) and NTK H^(depth) on every pair of rows of ``X``.

    K^(1) = C_b + C_W X X^T / n_0, K^(l+1) = C_b + C_W <s s>_{K^(l)};
    H^(1) = lambda_b + lambda_W X X^T / n_0,
    H^(l+1) = lambda_b + lambda_W <s s>_{K^(l)} + C_W <s' s'>_{K^(l)} H^(l)
    (RYH arXiv:2106.10165 eqs. 4.x/8.x; Jacot et al. arXiv:1806.07572 Theorem 1 for NTK
    parameterisation, where lambda = C). Each hyperparameter may be one number or a sequence of
    ``depth`` per-layer values (layer 1 first), e.g. a readout without bias (C_b[-1] = 0) or
    per-layer learning rates (lambda). Closed forms for ReLU/erf/linear, 2-D Gauss--Hermite
    otherwise; only two-point expectations are needed, so any number of inputs is allowed.

    Parameters
    ----------
    X : array_like, shape (n_inputs, n_0)
    depth : int >= 1
        Number of weight layers L (1 = linear model).

    Returns
    -------
    K, H : ndarray, shape (n_inputs, n_inputs)
    """
    X = _check_inputs(X)
    n0 = X.shape[1]
    depth = _checks.integer("depth", depth, minimum=1)
    act = get_activation(activation)
    Cb, CW = _per_layer("C_b", C_b, depth), _per_layer("C_W", C_W, depth, positive=True)
    lb, lW = _per_layer("lambda_b", lambda_b, depth), _per_layer("lambda_W", lambda_W, depth)
    K = Cb[0] + CW[0] * X @ X.T / n0
    H = lb[0] + lW[0] * X @ X.T / n0
    for l in range(1, depth):
        d = np.diag(K)
        M2 = I2(act, act, d[:, None], K, d[None, :])
        J = J2(act, act, d[:, None], K, d[None, :])
        K, H = Cb[l] + CW[l] * M2, lb[l] + lW[l] * M2 + CW[l] * J * H
    return K, H


def critical_initialization(activation):
    """(C_b, C_W) at criticality (RYH chapter 5).

    Scale-invariant activations (ReLU, linear): C_b = 0, C_W = 2 / (a_+^2 + a_-^2).
    K* = 0 class (odd, smooth: tanh, erf): C_b = 0, C_W = 1 / sigma'(0)^2.
    Any other activation (an :class:`theory.activations.Activation`, e.g. SWISH or GELU): the
    critical point with the smallest K* > 0 found by :func:`theory.criticality.critical_points`
    (call that for all of them and for K*); ValueError when there is none.
    """
    act = get_activation(activation)
    if act.criticality == "scale-invariant":
        a_plus, a_minus = act.slopes
        return 0.0, 2.0 / (a_plus**2 + a_minus**2)
    if act.criticality == "k0":
        return 0.0, float(1.0 / act.dg(np.array(0.0)) ** 2)
    pts = critical_points(act)
    if not pts:
        raise ValueError(f"activation={act.name!r} has no critical point with K* in [1e-2, 1e3] and C_b >= 0; "
                         "if it is odd with sigma'(0) != 0 it is in the K* = 0 class: C_b = 0, C_W = 1/sigma'(0)^2")
    return pts[0].C_b, pts[0].C_W
