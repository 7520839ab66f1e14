r"""A certificate that the activation pattern of a 1-D two-layer ReLU net never changes again under GD.

Holzmueller & Steinwart, arXiv:2002.04861 (JMLR 2022), decide the "bad" event by proving that GD
from the current state keeps every kink between the two innermost data points forever (their
Section 5, stopping criterion of the experiments). This module implements a certificate of the
same kind, derived here for the reduced system of :mod:`theory.relu1d.reduced` (docs/THEORY.md E); it is a
*sufficient* condition, checked per network with O(n) work.

Derivation (frozen pattern, step h, everything at the certification epoch T)
--------------------------------------------------------------------------
Per side sigma the function is f(x) = c + beta_sigma x + gamma_sigma with
(beta, gamma)_sigma = (Sigma[w,a], Sigma[w,b])_sigma. Write v_sigma = (beta_sigma, gamma_sigma + c),
M = blockdiag(M_+, M_-) the data moments (docs/THEORY.md E), v* the weighted least-squares lines, and
u_hat = M (v* - v) (4,). Expanding Sigma <- (I + hQ) Sigma (I + hQ)^T,

    v <- v + h A u_hat + h^2 R,     A = blockdiag(G_+, G_-) + (e_2 + e_4)(e_2 + e_4)^T,

with G_sigma = Sigma[ab,ab] + Sigma[w,w] I_2 and R_sigma = (Q Sigma Q)[w, (a,b)], so
|R| <= |u_hat|^2 max_sigma |Sigma_sigma|. In psi = M^{1/2}(v* - v) (|u_hat| <= |M|^{1/2} |psi|):

    psi <- (I - h K) psi - h^2 M^{1/2} R,     K = M^{1/2} A M^{1/2} (symmetric PSD).

Every neuron of side sigma moves as theta_i(tau) = N_sigma(tau) theta_i(T) with
N = prod (I + h Q_sigma), |Q_sigma| = |u_hat_sigma|, hence |N - I| <= exp(h sum |u_hat|) - 1 =: delta,
|Sigma(tau) - Sigma(T)| <= (2 delta + delta^2)|Sigma(T)| and |A(tau) - A(T)| <= 2(2 delta + delta^2) S,
S = max_sigma |Sigma_sigma(T)| (2-norms throughout). Fix delta_bar >= 0 and let
rho = max |1 - h lambda(K(T))|,

    q = rho + 2 h |M| (2 delta_bar + delta_bar^2) S + h^2 |M|^{3/2} (1 + delta_bar)^2 S |psi_T|,
    kappa = h |M|^{1/2} |psi_T| / (1 - q).

If q < 1, expm1(kappa) <= delta_bar, and every neuron keeps its kink inside the innermost data
points under any perturbation of norm delta_bar |theta_i(T)|, i.e.

    delta_bar |theta_i(T)| (1 + x_in) < x_in |a_i| - |b_i|,   x_in = min(x_+min, |x_-max|),

then by induction over tau >= T: the pattern is frozen, |psi_tau| <= q^(tau-T) |psi_T|, and
delta(tau) <= expm1(kappa) <= delta_bar, so no kink ever crosses a data point and the loss converges
to L* (:func:`theory.relu1d.frozen_limit_loss`). The smallest admissible delta_bar is searched on a
log grid, vectorised over networks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks

from .frozen import check_data, frozen_outputs, side_moments

__all__ = ["Certificate", "frozen_pattern_certificate"]

_DELTA_GRID = np.concatenate([[0.0], np.logspace(-12, 0, 97)])


@dataclass(frozen=True)
class Certificate:
    """Per-network certificate (all arrays of shape (B,)).

    certified : the pattern provably never changes again under GD with step h
    delta : smallest admissible relative neuron movement delta_bar (inf where none)
    rate : contraction factor q of |psi| at that delta (inf where none)
    psi_norm : |psi_T| = |M^{-1/2} u_hat|, distance to the frozen optimum in the data metric
    degenerate : a side without neurons, or singular data moments on a side (no certificate possible)
    """

    certified: np.ndarray
    delta: np.ndarray
    rate: np.ndarray
    psi_norm: np.ndarray
    degenerate: np.ndarray


def _sym_sqrt(S):
    lam, U = np.linalg.eigh(S)
    return (U * np.sqrt(np.clip(lam, 0, None))[..., None, :]) @ np.swapaxes(U, -1, -2)


def _per_network(name: str, val, B: int) -> np.ndarray:
    """A finite number or a (B,) array, broadcast to (B,)."""
    a = _checks.array(name, val)
    if a.shape not in ((), (B,)):
        raise ValueError(f"{name} must be a number or have shape ({B},), got {a.shape}")
    return np.broadcast_to(a, (B,))


def frozen_pattern_certificate(x, y, p, h, theta, c, *, safety: float = 1e-9) -> Certificate:
    """Decide, per network, whether GD from the current state never changes the activation pattern.

    Parameters
    ----------
    x, y : array_like, shape (P,)
        Data (at least two points per side of the origin).
    p : array_like, shape (B, P) or (P,)
        Data weights.
    h : float or array_like (B,)
        GD step.
    theta : array_like, shape (B, n, 3)
        Current neurons (a_i, b_i, w_i); the pattern must currently be the frozen one (every kink
        strictly between the innermost data points), which is re-checked here.
    c : array_like, shape (B,)
        Current output bias.
    safety : float
        Relative margin added to every inequality against round-off of the simulation.

    Returns
    -------
    Certificate
    """
    if p is None:
        raise TypeError("p must be an array of data weights, shape (P,) or (B, P), got None")
    x, y, p = check_data(x, y, p)
    theta = _checks.array("theta", theta, shape=(None, None, 3))
    B = theta.shape[0]
    if p.shape not in ((x.size,), (B, x.size)):
        raise ValueError(f"p must have shape ({x.size},) or ({B}, {x.size}), got {p.shape}")
    p = np.broadcast_to(p, (B, x.size))
    h, c = _per_network("h", h, B), _per_network("c", c, B)
    if np.any(h <= 0):
        raise ValueError(f"h must be > 0, got {h[h <= 0][0]}")
    safety = _checks.nonneg("safety", safety)
    a, b = theta[..., 0], theta[..., 1]
    pos = x > 0
    x_in = min(x[pos].min(), -x[~pos].max())
    F = np.stack([x, np.ones_like(x)], axis=-1)                                   # (P, 2)
    Sigma = side_moments(a, b, theta[..., 2])                                     # (B, 2, 3, 3)
    e = p * (y - frozen_outputs(x, Sigma, c))                                     # weighted residuals
    Ms, Gs, us, Ss = [], [], [], []
    has = [(a > 0).any(-1), (a < 0).any(-1)]
    for k, side in enumerate((pos, ~pos)):
        Sig, Fs = Sigma[:, k], F[side]
        Ms.append(np.einsum("bj,jk,jl->bkl", p[:, side], Fs, Fs))
        us.append(e[:, side] @ Fs)
        Gs.append(Sig[:, :2, :2] + Sig[:, 2, 2][:, None, None] * np.eye(2))
        Ss.append(np.linalg.eigvalsh(Sig)[:, -1])
    Mev = np.concatenate([np.linalg.eigvalsh(Ms[0]), np.linalg.eigvalsh(Ms[1])], axis=-1)     # (B, 4)
    degenerate = ~(has[0] & has[1]) | (Mev.min(-1) <= 1e-12 * Mev.max(-1))
    Mn = Mev.max(-1)
    S = np.maximum(Ss[0], Ss[1])
    psi2 = np.zeros(B)
    good = ~degenerate
    for M_, u_ in zip(Ms, us):
        sol = np.linalg.solve(np.where(good[:, None, None], M_, np.eye(2)), u_[..., None])[..., 0]
        psi2 += np.where(good, np.einsum("bk,bk->b", u_, sol), 0.0)
    psi = np.sqrt(psi2)
    Z = np.zeros((B, 2, 2))
    A = np.block([[Gs[0], Z], [Z, Gs[1]]])
    A[:, 1::2, 1::2] += 1.0                                                        # the output bias c
    Mh = np.block([[_sym_sqrt(Ms[0]), Z], [Z, _sym_sqrt(Ms[1])]])
    lam = np.linalg.eigvalsh(Mh @ A @ Mh)
    rho = np.abs(1.0 - h[:, None] * lam).max(-1)
    d = _DELTA_GRID[None, :]
    q = (rho[:, None] + 2 * h[:, None] * Mn[:, None] * (2 * d + d**2) * S[:, None]
         + h[:, None] ** 2 * Mn[:, None] ** 1.5 * (1 + d) ** 2 * S[:, None] * psi[:, None]) * (1 + safety)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        kappa = np.where(q < 1, h[:, None] * np.sqrt(Mn)[:, None] * psi[:, None] / (1 - q), np.inf)
        ok = (q < 1) & (np.expm1(kappa) * (1 + safety) <= d) & good[:, None]
    first = np.argmax(ok, axis=1)
    found = ok.any(axis=1)
    delta = np.where(found, _DELTA_GRID[first], np.inf)
    rate = np.where(found, q[np.arange(B), first], np.inf)
    norm = np.linalg.norm(theta, axis=-1)                                           # (B, n)
    margin = x_in * np.abs(a) - np.abs(b) - np.where(found, delta, 0.0)[:, None] * norm * (1 + x_in) * (1 + safety)
    certified = found & np.all(margin > 0, axis=-1)
    return Certificate(certified, delta, rate, psi, degenerate)
