r"""The 1/n correction to the mean of the NTK at initialisation, one input (the NTK diagonal).

Roberts, Yaida & Hanin (arXiv:2106.10165, ch. 8) give the NTK mean recursion H^(l) at leading
order and the NTK's O(1/n) variance and cross-correlations with the pre-activations; they do not
tabulate the O(1/n) shift of the mean itself. Guillen, Misof & Gerken (arXiv:2508.11522) compute
such corrections with Feynman diagrams and show that the diagonal NTK of scale-invariant
networks (ReLU) has none. The recursion below is our own derivation for one input, by
conditioning on the previous layer (conventions of :mod:`theory.effective_theory`:
z^(l+1) = b + W s(z^(l)), E b^2 = C_b, E W^2 = C_W/n_l; NTK with learning rates lambda_b,
lambda_W/fan_in).

Derivation. Given layer l-1 the rows of W^(l) are independent, so the pairs (z_j, H_jj) of layer
l are i.i.d. over j. Writing z_j = b_j + w.s, H_jj = lambda_b + lambda_W S + w^T M w with
S = |s|^2/n, M_km = s'_k s'_m H_km (layer l-1), splitting w along s and using Stein's lemma twice,

    E[f(z_j) H_jj | l-1] = Hc <f>_G + T <f''>_G,   Hc = E[H_jj | l-1],  T = (C_W/n)^2 sum_km a_k a_m H_km,

with a = s s', G = C_b + C_W S the empirical kernel and <.>_G the Gaussian average at variance G.
Expanding <f>_G about K to second order and taking the unconditional mean gives, with
S_l = (1/n_l) sum_j s(z_j)^2 and A_l = (1/n_l) sum_j s'(z_j)^2 H_jj (all brackets at K^(l)):

    E S_l  = <s^2> + 1/2 <(s^2)''> g_l + 1/8 <(s^2)''''> v_l
    E A_l  = (H_l + h_l) <s'^2> + H_l [1/2 <(s'^2)''> g_l + 1/8 <(s'^2)''''> v_l]
             + 1/2 <(s'^2)''> x_l + t_l <(s'^2)''>
    Var S_l = Var(s^2)/n_l + (1/2 <(s^2)''>)^2 v_l
    Cov(S_l, A_l) = H_l Cov(s^2, s'^2)/n_l + 1/2 <(s^2)''> [<s'^2> x_l + 1/2 H_l <(s'^2)''> v_l]

where g_l = E G_l - K_l (= G1/n), v_l = Var G_l (= V/n), x_l = Cov(Hc_l, G_l),
h_l = E H_l - H_l (the correction sought) and t_l = E T_l, all O(1/n). The next layer follows from
G = C_b + C_W S, Hc = lambda_b + lambda_W S + C_W A:

    g_{l+1} = C_W (E S_l - <s^2>),   v_{l+1} = C_W^2 Var S_l,
    x_{l+1} = C_W (lambda_W Var S_l + C_W Cov(S_l, A_l)),
    h_{l+1} = lambda_W (E S_l - <s^2>) + C_W (E A_l - H_l <s'^2>),
    t_{l+1} = C_W^2 [H_l <(s s')^2>/n_l + <(s s')'>^2 t_l]

(the last from E[a(z_k) a(z_m) H_km] = <a'>^2 E T_l for k != m, Stein's lemma on each row), with
every correction zero at layer 1. The g and v recursions are the book's G1 and V recursions
(checked in the tests); h vanishes identically for linear and ReLU networks (the brackets
<(s'^2)''>, <(s'^2)''''> and <(s^2)''''> are zero), in agreement with Guillen et al. Derivatives
are moved onto the Gaussian weight: <f''> = <f (z^2 - K)>/K^2, <f''''> = <f (z^4 - 6Kz^2 + 3K^2)>/K^4,
<f'> = <f z>/K. All corrections are absolute: E H^(l) = H^(l) + h_l + O(1/n^2) for any widths;
for equal widths n, h_l = H1^(l)/n. Validated against ensembles in
validations/test_roberts2021_effective_theory.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks

from .activations import get_activation
from .effective_theory import check_init_parameters, hidden_widths_tuple
from .gaussian_integrals import tensor_grid

__all__ = ["NTKMeanCorrection", "ntk_mean_correction"]


@dataclass(frozen=True)
class NTKMeanCorrection:
    """Per-layer values for layers l = 1..L (index l-1), one input.

    K, H : infinite-width kernel and NTK mean; g, v : E G - K and Var G of the empirical kernel
    (= G1/n and V/n); h : E NTK - H (the 1/n correction of the NTK mean); widths (n_0, ..., n_{L-1}).
    """

    K: np.ndarray
    H: np.ndarray
    g: np.ndarray
    v: np.ndarray
    h: np.ndarray
    widths: tuple

    def ntk_mean(self, layer: int) -> float:
        """E[NTK^(l)] to O(1/n): H + h."""
        return float(self.H[layer - 1] + self.h[layer - 1])


def _brackets(act, K, order):
    """Gaussian averages at variance K of everything one step of the recursion needs."""
    x, w = tensor_grid(1, order)
    z = np.sqrt(K) * x[:, 0]
    s, ds = act.g(z), act.dg(z)
    s2, j = s * s, ds * ds
    a = s * ds
    e = lambda f: float(w @ f)                                     # noqa: E731
    d2 = lambda f: e(f * (z * z - K)) / K**2                       # noqa: E731
    d4 = lambda f: e(f * (z**4 - 6 * K * z * z + 3 * K * K)) / K**4   # noqa: E731
    S2, J = e(s2), e(j)
    return dict(S2=S2, S2pp=d2(s2), S2p4=d4(s2), varS2=e(s2 * s2) - S2**2, J=J, Jpp=d2(j), Jp4=d4(j),
                covSJ=e(s2 * j) - S2 * J, A2=e(a * a), A1=e(a * z) / K)


def ntk_mean_correction(x, hidden_widths, *, C_b: float, C_W: float, activation: str = "relu",
                        lambda_b: float = 1.0, lambda_W: float = 1.0, depth: int | None = None,
                        order: int = 200) -> NTKMeanCorrection:
    """Kernel, NTK mean and their O(1/n) corrections for one input (module docstring).

    Parameters
    ----------
    x : array_like, shape (n_0,) or (1, n_0)
        The input. More than one input raises: the multi-input correction needs the tensor
        NTK-preactivation cross-correlations (not implemented).
    hidden_widths : sequence of int, or int with ``depth``
        (n_1, ..., n_{L-1}).
    C_b, C_W, lambda_b, lambda_W : float
    order : int
        Gauss--Hermite nodes; the result is checked against 2/3 of them (smooth activations) and
        a non-converged quadrature raises.
    """
    X = np.atleast_2d(_checks.array("x", x))
    if X.ndim != 2 or X.shape[0] != 1:
        raise ValueError(f"x must be one input, shape (n_0,) or (1, n_0), got {np.shape(x)}; the multi-input "
                         "correction is not implemented")
    if not np.all(np.isfinite(X)) or X.shape[1] < 1:
        raise ValueError("x must be a finite, non-empty vector")
    hw = hidden_widths_tuple(hidden_widths, depth)
    check_init_parameters(C_b, C_W, lambda_b, lambda_W)
    act = get_activation(activation)
    n0 = X.shape[1]
    widths = (n0,) + hw
    L = len(widths)
    K, H, g, v, h = (np.zeros(L) for _ in range(5))
    K[0] = C_b + C_W * float(X[0] @ X[0]) / n0
    H[0] = lambda_b + lambda_W * float(X[0] @ X[0]) / n0
    if K[0] <= 0:
        raise ValueError("the first-layer kernel is zero (x = 0 and C_b = 0)")
    xc = t = 0.0
    for l in range(L - 1):
        n = widths[l + 1]
        b = _brackets(act, K[l], order)
        if act.name not in ("relu", "linear"):
            b_low = _brackets(act, K[l], max(8, (2 * order) // 3))
            for key, val in b.items():
                if not np.isfinite(val) or abs(val - b_low[key]) > 1e-7 * max(1.0, abs(val)):
                    raise ValueError(f"Gauss-Hermite quadrature of {key} for activation={act.name!r} at K={K[l]:.4g} "
                                     f"did not converge ({val!r} vs {b_low[key]!r})")
        dS = 0.5 * b["S2pp"] * g[l] + 0.125 * b["S2p4"] * v[l]
        dA = h[l] * b["J"] + H[l] * (0.5 * b["Jpp"] * g[l] + 0.125 * b["Jp4"] * v[l]) + (0.5 * xc + t) * b["Jpp"]
        varS = b["varS2"] / n + (0.5 * b["S2pp"]) ** 2 * v[l]
        covSA = H[l] * b["covSJ"] / n + 0.5 * b["S2pp"] * (b["J"] * xc + 0.5 * H[l] * b["Jpp"] * v[l])
        K[l + 1] = C_b + C_W * b["S2"]
        H[l + 1] = lambda_b + lambda_W * b["S2"] + C_W * b["J"] * H[l]
        g[l + 1] = C_W * dS
        v[l + 1] = C_W**2 * varS
        h[l + 1] = lambda_W * dS + C_W * dA
        xc = C_W * (lambda_W * varS + C_W * covSA)
        t = C_W**2 * (H[l] * b["A2"] / n + b["A1"] ** 2 * t)
        if not (np.isfinite(K[l + 1]) and K[l + 1] > 0 and np.isfinite(h[l + 1])):
            raise ValueError(f"the kernel at layer {l + 2} is {K[l + 1]!r}; choose C_b, C_W closer to criticality")
    return NTKMeanCorrection(K, H, g, v, h, widths)
