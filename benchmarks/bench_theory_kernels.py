"""asv benchmarks of the pure-theory kernels that the validations call in their inner loops.

* Refinetti et al., arXiv:2102.11742: state evolution (stationary point of the mixture ODE) in the
  symmetric K = 4 XOR ansatz (:mod:`theory.mixture_state_evolution`).
* Roberts, Yaida & Hanin, arXiv:2106.10165: the effective-theory recursions K, V, G1, H
  (:func:`theory.effective_theory.effective_theory`), the infinite-width NNGP kernel and NTK
  (:func:`theory.effective_theory.nngp_ntk`, also Jacot et al. arXiv:1806.07572), the 1/n correction
  of the NTK mean (:func:`theory.ntk_correction.ntk_mean_correction`) and criticality for any
  activation (:mod:`theory.criticality`, RYH ch. 5).
* Lee et al., arXiv:1902.06720: moments of the infinite-width linearised GD and its learning-rate
  limits (:mod:`theory.linearized_dynamics`).
* Saad & Solla 1995 / Goldt et al., arXiv:1906.08632: committee-ODE fixed points -- the symmetric
  plateau, the largest stable learning rate and the noisy stationary point
  (:mod:`theory.committee_fixed_points`).

Arguments are the ones the validations use (``validations/test_*.py``). Parameters never depend on
the environment; combinations that cannot run in reasonable time or memory raise
NotImplementedError in setup (asv's "skipped") with the reason.
"""
from __future__ import annotations

import math

import numpy as np

from sims.gaussian_mixture import xor_mixture
from sims.wide_training import WideMLP
from theory.activations import Activation
from theory.committee_fixed_points import max_stable_learning_rate, stationary_point, symmetric_plateau
from theory.committee_ode import CommitteeODE
from theory.criticality import critical_points, susceptibilities
from theory.effective_theory import critical_initialization, effective_theory, nngp_ntk
from theory.linearized_dynamics import eta_critical, linearized_gd_moments
from theory.mixture_ode import MixtureODE
from theory.mixture_state_evolution import state_evolution, xor_symmetric_ansatz
from theory.ntk_correction import ntk_mean_correction

X1 = np.array([[1.0, 0.5, -0.3]])                      # the inputs of validations/test_roberts2021_*
X2 = np.array([[1.0, 0.5, -0.3], [0.2, 1.0, 0.4]])
XOR_START = np.array([1.0, 1.0, 1.2, 1.2, -0.8, -0.8, 0.0, -1.0, 1.0])   # (r1, r2, q1, q2, d1, d2, c, a, b)


def _gelu():
    from scipy.special import ndtr
    return Activation("gelu", lambda x: x * ndtr(x),
                      lambda x: ndtr(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi), None)


def _swish():
    from scipy.special import expit
    return Activation("swish", lambda x: x * expit(x), lambda x: expit(x) * (1 + x * (1 - expit(x))), None)


def _crit(activation):
    """(C_b, C_W) of the RYH validations: critical, with C_b = 0.1 for the K* = 0 class."""
    C_b, C_W = critical_initialization(activation)
    return (0.1 if activation in ("tanh", "erf") else C_b), C_W


def _sphere_points(P, d=8, seed=0):
    """P points on the sphere |x|^2 = d (validations/_wide.py's data, more of them)."""
    X = np.random.default_rng(seed).standard_normal((P, d))
    return X * (math.sqrt(d) / np.linalg.norm(X, axis=1, keepdims=True))


# ------------------------------------------------------------------------------------------------
# Refinetti et al. 2021: state evolution
# ------------------------------------------------------------------------------------------------
class MixtureStateEvolution:
    """Stationary point of the K = 4 ReLU mixture ODE on the XOR mixture (N = 100, Delta = 0.1,
    reg = 0.05), symmetric 9-parameter ansatz from the validations' start: RK45 relaxation windows
    then a hybrid-Powell polish to max|dx/dt| <= 1e-4; Monte-Carlo eta^2 term with 4096 samples
    (1.5-3 s on a loaded 2-core machine; the validations use 16384 samples and tol = 2e-5, ~3x
    longer)."""

    params = [[0.1, 0.5]]
    param_names = ["eta"]
    timeout = 300

    def setup(self, eta):
        self.ode = MixtureODE.from_mixture(xor_mixture(100, 0.1), 4, eta, reg=0.05, mc_seed=0, n_mc=1 << 12,
                                           n_mc_class=1 << 12)
        self.E = xor_symmetric_ansatz(self.ode)
        self.R, self.Q, self.v = self.ode.unpack(self.E @ XOR_START)

    def time_state_evolution(self, eta):
        state_evolution(self.ode, self.R, self.Q, self.v, ansatz=self.E, tol=1e-4)


# ------------------------------------------------------------------------------------------------
# Roberts, Yaida & Hanin: effective theory at initialisation
# ------------------------------------------------------------------------------------------------
class EffectiveTheoryRecursions:
    """K, V, G1 and H for every layer of a depth-4, width-64 MLP at criticality, on 1 or 2 inputs
    (tensor Gauss--Hermite grids in n_inputs dimensions; ~1-120 ms)."""

    params = (["tanh", "relu"], [1, 2])
    param_names = ["activation", "n_inputs"]

    def setup(self, activation, n_inputs):
        self.X = X1 if n_inputs == 1 else X2
        self.C_b, self.C_W = _crit(activation)

    def time_effective_theory(self, activation, n_inputs):
        effective_theory(self.X, 64, depth=4, C_b=self.C_b, C_W=self.C_W, activation=activation)


class NNGPNTK:
    """Infinite-width NNGP kernel and NTK of a depth-3 MLP on P points of the sphere |x|^2 = 8
    (closed forms for erf and ReLU; 2-D Gauss--Hermite per pair for tanh). P = 16 is the Lee et al.
    validation's set (< 1 ms for the closed forms, ~0.3-0.6 s for tanh); 1024 a realistic
    kernel-regression set (~0.1-0.5 s)."""

    params = (["erf", "relu", "tanh"], [16, 256, 1024])
    param_names = ["activation", "P"]
    timeout = 300

    def setup(self, activation, P):
        if activation == "tanh" and P > 16:
            raise NotImplementedError("tanh takes the Gauss-Hermite path: P^2 x 1600 nodes per layer "
                                      "(~2 min at P = 256, 25 GiB at P = 1024)")
        self.X = _sphere_points(P)

    def time_nngp_ntk(self, activation, P):
        nngp_ntk(self.X, 3, C_b=0.1, C_W=1.5, activation=activation, lambda_b=0.1, lambda_W=1.5)


class NTKMeanCorrection:
    """O(1/n) correction of the NTK mean, one input, depth 4 and 8 (the RYH validation uses depth 4;
    200 Gauss--Hermite nodes, checked against 133 for smooth activations; ~0.5-30 ms)."""

    params = (["tanh", "relu"], [4, 8])
    param_names = ["activation", "depth"]

    def setup(self, activation, depth):
        self.C_b, self.C_W = _crit(activation)

    def time_ntk_mean_correction(self, activation, depth):
        ntk_mean_correction(X1, 16, depth=depth, C_b=self.C_b, C_W=self.C_W, activation=activation,
                            lambda_b=0.0, lambda_W=1.0)


class Criticality:
    """Critical points for any activation: a 120-point log scan of K* in [1e-2, 1e3] with adaptive
    quadrature of three Gaussian moments per point, then Brent's method (~0.6-1.5 s); and the two
    susceptibilities at one K (~5-10 ms). GELU and SWISH have a critical point at K* > 0, tanh is
    the K* = 0 class (no root, full scan)."""

    params = [["gelu", "swish", "tanh"]]
    param_names = ["activation"]
    timeout = 300

    def setup(self, activation):
        self.act = {"gelu": _gelu, "swish": _swish}.get(activation, lambda: activation)()

    def time_critical_points(self, activation):
        critical_points(self.act)

    def time_susceptibilities(self, activation):
        susceptibilities(2.0, 1.0, self.act)


# ------------------------------------------------------------------------------------------------
# Lee et al. 2019: infinite-width linearised GD
# ------------------------------------------------------------------------------------------------
class LinearizedGDMoments:
    """Mean and covariance of the linearised network's outputs after discrete GD (kernels of the
    two-layer erf net in the NTK parameterisation, sigma_w = 1.5, sigma_b = 0.3, eta = 1/lambda_max),
    12 record steps up to 150, with the gain A_t: P points of which 3/4 train. P = 16 is the
    validation's set (12 train + 4 test; ~1 ms); P = 256 a larger data set (O(R P^3): ~0.5 s)."""

    params = [[16, 128, 256]]
    param_names = ["P"]

    def setup(self, P):
        X = _sphere_points(P)
        model = WideMLP((8, 64), "erf", "ntk", sigma_w=1.5, sigma_b=0.3)      # validations/_wide.py's
        self.K, self.H = model.infinite_width_kernels(X)
        self.n = 3 * P // 4
        self.Y = np.tanh(X[:self.n, 0] + 0.5 * X[:self.n, 1])
        self.eta = 1.0 / float(np.linalg.eigvalsh(self.H[:self.n, :self.n]).max())
        self.steps = np.round(np.linspace(0, 150, 12))

    def time_linearized_gd_moments(self, P):
        linearized_gd_moments(self.K, self.H, self.Y, self.steps, n_train=self.n, eta=self.eta, discrete=True,
                              return_gain=True)


class EtaCritical:
    """Per-member learning-rate limits from a batch of 128 empirical training NTKs (what
    ``train_gd`` computes for an ensemble of 128 seeds) on n training points: 12 is the Lee et al.
    validation's set (~2-9 ms), 128 a larger one (batched eigvalsh, ~0.4 s)."""

    params = [[12, 128]]
    param_names = ["n_train"]

    def setup(self, n_train):
        rng = np.random.default_rng(0)
        A = rng.standard_normal((128, n_train, n_train + 8))
        self.theta = A @ np.swapaxes(A, 1, 2) / (n_train + 8)

    def time_eta_critical(self, n_train):
        eta_critical(self.theta)


# ------------------------------------------------------------------------------------------------
# Saad & Solla 1995, Goldt et al. 2019: committee fixed points
# ------------------------------------------------------------------------------------------------
class CommitteeFixedPoints:
    """Committee ODE (erf, K = M, T = I): symmetric plateau at the Saad--Solla validation's (K, eta)
    (root of a 3-parameter map plus the full Jacobian; ~20-40 ms) and the largest stable learning
    rate (Jacobian spectrum on an 80-point eta grid, then brentq; ~0.25-0.4 s)."""

    params = [[2, 3]]
    param_names = ["K"]
    timeout = 300

    def setup(self, K):
        self.eta = {2: 0.25, 3: 0.5}[K]

    def time_symmetric_plateau(self, K):
        symmetric_plateau(K, self.eta)

    def time_max_stable_learning_rate(self, K):
        max_stable_learning_rate(K)


class CommitteeStationaryPoint:
    """Noisy stationary point (Goldt et al. eq. 15 setting: K = M = 2, erf, eta = 0.2, sigma = 0.5):
    integration to alpha = 400 (the validation's window end) then a least-squares polish (~1 s)."""

    timeout = 300

    def setup(self):
        self.ode = CommitteeODE(K=2, M=2, eta=0.2, sigma=0.5)

    def time_stationary_point(self):
        stationary_point(self.ode, np.eye(2) * 1.01, np.eye(2), alpha_max=400.0)
