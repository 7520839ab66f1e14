r"""Infinite-width linearised training on MSE: mean and covariance of the outputs at time t.

Lee et al., "Wide neural networks of any depth evolve as linear models under gradient descent",
arXiv:1902.06720, section 2.3 and eqs. (14)-(16); docs/THEORY.md D. For a network whose outputs at
initialisation are f_0 ~ GP(0, K) (the NNGP kernel) and whose NTK Theta stays at its deterministic
infinite-width value, gradient descent on the training set X (n points) with targets Y gives, for
any point x (training or test),

    f_t(x) = f_0(x) - A_t(x) (f_0(X) - Y),    A_t(x) = Theta(x, X) Theta^{-1} (I - D_t),

with D_t = exp(-eta Theta t / c) (gradient flow, time t in units of the rate eta) or
D_t = (I - eta Theta / c)^t (t discrete GD steps). The loss normalisation sets c:

* ``loss="sum"``:  L = 1/2 sum_i (f(x_i) - y_i)^2,       c = 1;
* ``loss="mean"``: L = 1/(2 n) sum_i (f(x_i) - y_i)^2,   c = n  (a rescaling of time).

Hence E f_t(x) = A_t(x) Y and
Cov(f_t(x), f_t(x')) = K(x,x') - A_t(x) K(X,x') - K(x,X) A_t(x')^T + A_t(x) K(X,X) A_t(x')^T.
On training points A_t = I - D_t. Theta^{-1}(I - D_t) is applied through the eigenvalues of the
training-set NTK, (1 - d(lambda))/lambda, with its lambda -> 0 limit (eta t / c), so a singular NTK
is fine.

Learning-rate limits (discrete GD on the linear model, function-space Hessian Theta / c):
GD is stable iff eta < 2 c / lambda_max; Lee et al.'s Theorem 2.1 assumes
eta < eta_critical = 2 c / (lambda_min + lambda_max).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks


__all__ = ["LinearizedPrediction", "linearized_gd_moments", "eta_critical", "LOSS_SCALES"]

LOSS_SCALES = ("sum", "mean")


def _loss_scale(loss: str, n: int) -> float:
    if loss == "sum":
        return 1.0
    if loss == "mean":
        return float(n)
    raise ValueError(f"loss must be one of {LOSS_SCALES}, got {loss!r}")


def _sym_psd(name, M, n):
    """``M`` checked PSD (to 1e-9, the round-off of a kernel built by sums), made exactly symmetric."""
    M = _checks.psd(name, M, shape=(n, n), rtol=1e-9)
    return 0.5 * (M + M.T)


def eta_critical(theta_train, *, loss: str = "sum"):
    """Learning-rate limits of GD on the linearised model.

    Parameters
    ----------
    theta_train : array_like, shape (n, n) or (..., n, n)
        Training-set NTK (a batch of them gives per-member limits).
    loss : {"sum", "mean"}
        Loss normalisation (module docstring).

    Returns
    -------
    eta_crit : ndarray, shape (...)
        2 c / (lambda_min + lambda_max), Lee et al. arXiv:1902.06720 Theorem 2.1.
    eta_max : ndarray, shape (...)
        2 c / lambda_max: above it the linearised dynamics diverge.
    """
    th = _checks.array("theta_train", theta_train)
    if th.ndim < 2 or th.shape[-1] != th.shape[-2]:
        raise ValueError(f"theta_train must be square (..., n, n), got shape {th.shape}")
    c = _loss_scale(loss, th.shape[-1])
    ev = np.linalg.eigvalsh(0.5 * (th + np.swapaxes(th, -1, -2)))
    if np.any(ev[..., -1] <= 0):
        raise ValueError("theta_train has no positive eigenvalue")
    return 2 * c / (ev[..., 0] + ev[..., -1]), 2 * c / ev[..., -1]


@dataclass(frozen=True)
class LinearizedPrediction:
    """Mean and covariance of f_t on all points (training points first, then test points).

    mean: (R, n + m); cov: (R, n + m, n + m); times: (R,) (flow time or GD steps).
    """

    times: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    n_train: int

    @property
    def test_mean(self):
        return self.mean[:, self.n_train:]

    @property
    def test_cov(self):
        return self.cov[:, self.n_train:, self.n_train:]


def linearized_gd_moments(K, theta, Y, times, *, n_train: int, eta: float = 1.0, loss: str = "sum",
                          discrete: bool = False, return_gain: bool = False):
    """Law of the infinite-width linearised network's outputs during training.

    Parameters
    ----------
    K, theta : array_like, shape (P, P)
        NNGP kernel and NTK on all points, the ``n_train`` training points first.
    Y : array_like, shape (n_train,)
        Targets.
    times : array_like, shape (R,)
        Flow times t (``discrete=False``, f evolves as exp(-eta Theta t / c)) or GD step counts
        (``discrete=True``, (I - eta Theta / c)^t); non-negative.
    eta : float
        Learning rate (> 0).
    loss : {"sum", "mean"}
    return_gain : bool
        Also return A_t, shape (R, P, n_train), so that f_t = f_0 - A_t (f_0(X) - Y) can be
        applied to sampled initial outputs (a per-member infinite-width prediction).

    Returns
    -------
    LinearizedPrediction (and A_t if ``return_gain``).
    """
    K = _checks.array("K", K, ndim=2)
    P = K.shape[0]
    K = _sym_psd("K", K, P)
    theta = _sym_psd("theta", _checks.array("theta", theta, ndim=2), P)
    n_train = _checks.integer("n_train", n_train, minimum=1, maximum=P)
    Y = _checks.array("Y", Y, shape=(n_train,))
    t = _checks.array("times", np.atleast_1d(_checks.array("times", times)), ndim=1)
    if t.size == 0 or np.any(t < 0):
        raise ValueError("times must be a non-empty 1-D array of finite values >= 0")
    eta = _checks.positive("eta", eta)
    c = _loss_scale(loss, n_train)
    lam, U = np.linalg.eigh(theta[:n_train, :n_train])
    lam = np.clip(lam, 0.0, None)
    rate = eta * lam / c  # per-eigenmode decay rate per unit time / per step
    if discrete:
        _, eta_max = eta_critical(theta[:n_train, :n_train], loss=loss)
        if eta >= eta_max:
            raise ValueError(f"eta={eta} >= 2c/lambda_max = {eta_max:.6g}: discrete GD on the "
                             "linearised model diverges")
        # (1 - (1 - r)^t) / lambda, with the lambda -> 0 limit eta t / c
        decay = np.power(1.0 - rate[None, :], t[:, None])
        small = rate < 1e-12
        g = np.where(small[None, :], eta * t[:, None] / c,
                     (1.0 - decay) / np.where(small, 1.0, lam)[None, :])
    else:
        x = rate[None, :] * t[:, None]
        small = lam <= 1e-300
        g = np.where(small[None, :], eta * t[:, None] / c,
                     -np.expm1(-x) / np.where(small, 1.0, lam)[None, :])
    # Theta^{-1}(I - D_t) = U diag(g) U^T;  A_t = Theta(:, X) U diag(g) U^T, shape (R, P, n)
    TU = theta[:, :n_train] @ U
    A = np.einsum("pk,rk,nk->rpn", TU, g, U)
    mean = A @ Y
    KX = K[:, :n_train]
    AK = A @ KX.T  # (R, P, P): A_t(x) K(X, x')
    cov = K[None] - AK - np.swapaxes(AK, 1, 2) + A @ K[:n_train, :n_train] @ np.swapaxes(A, 1, 2)
    cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    pred = LinearizedPrediction(t, mean, cov, int(n_train))
    return (pred, A) if return_gain else pred
