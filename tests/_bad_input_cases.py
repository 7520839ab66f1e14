"""Generated bad-input cases for the public entry points (shared by tests/test_bad_input.py and
scripts/bad_input_census.py).

Each entry point has a *valid* small call (a factory returning fresh arguments) and a map from
parameter name to its kind. For every parameter, every value that is wrong for its kind
becomes one case; a case passes when the call raises ValueError/TypeError naming the parameter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

#: Wrong values by kind of parameter.
BAD = {
    "real": [("bool", True), ("str", "0.5"), ("None", None), ("complex", 1 + 2j), ("nan", math.nan), ("inf", math.inf)],
    "size": [("bool", True), ("float", 2.0), ("str", "3"), ("None", None), ("zero", 0), ("negative", -2)],
    "count0": [("bool", True), ("float", 2.0), ("str", "3"), ("None", None), ("negative", -1)],
    "choice": [("None", None), ("unknown", "no-such-option"), ("int", 3)],
    "array": [("None", None), ("str", "abc"), ("complex", np.array([1 + 1j, 2.0])), ("nan", "NAN"), ("empty", np.zeros((0,)))],
}
BAD["flag"] = [("None", None), ("str", "yes"), ("float", 0.5)]
BAD["array_nan"] = [c for c in BAD["array"] if c[0] != "nan"]        # arrays where NaN is documented
BAD["seed"] = [("bool", True), ("float", 1.5), ("str", "1"), ("negative", -1)]
BAD["positive"] = BAD["real"] + [("negative", -0.5), ("zero", 0.0)]
BAD["nonneg"] = BAD["real"] + [("negative", -0.5)]


@dataclass(frozen=True)
class Case:
    entry: str
    param: str
    what: str
    call: Callable[[], object]

    @property
    def id(self) -> str:
        return f"{self.entry}-{self.param}-{self.what}"


#: entry points that return a matplotlib Figure (drawn, not a result object to save)
FIGURE_ENTRIES = frozenset({"crossing_probability", "kink_positions"})


def _nan_like(val):
    a = np.array(val, dtype=float, copy=True)
    a.flat[0] = np.nan
    return a


def _sweep_fn(n, seed):
    """A sweep task for the run_sweep cases: module level, so any executor could run it."""
    return {"x": np.random.default_rng(seed).standard_normal(n)}


def _entries():
    """name -> (function, factory of valid kwargs, {param: kind})."""
    from sims.gaussian_mixture import GaussianMixture, circle_mixture, xor_mixture
    from sims.mixture_sgd import mixture_initial_weights, random_feature_matrix
    from sims.mlp_init import sample_init_ensemble
    from sims.particle_law import sliced_wasserstein, wasserstein_1d
    from sims.mixture_sgd import fit_random_features
    from sims.relu1d import draw_relu1d_init, train_relu1d, train_snapshots
    from theory.committee_fixed_points import asymptotic_error, asymptotic_error_linear, asymptotic_error_small_eta
    from twolayer import plots
    from sims.relu_nd import draw_relu_nd_init, star_dataset, train_relu_nd_gd
    from sims.wide_training import WideMLP, init_params, train_gd
    from theory.bayes_error import xor_bayes_error
    from theory.committee_fixed_points import max_stable_learning_rate
    from theory.criticality import susceptibilities
    from theory.effective_theory import effective_theory, nngp_ntk
    from theory.linearized_dynamics import eta_critical
    from theory.mixture_ode import MixtureODE
    from theory.ntk_correction import ntk_mean_correction
    from theory.relu1d import PAPER_X, PAPER_Y, empirical_weights, large_step, side_moments
    from theory.scaling_regimes import width_exponents

    from sims.relu1d import crossing_task
    from sims.wide_training import empirical_ntk, forward
    from theory.committee_fixed_points import stationary_point
    from theory.committee_ode import CommitteeODE
    from theory.criticality import critical_points
    from theory.linearized_dynamics import linearized_gd_moments
    from sims.data_mixtures import mixture_from_data
    from sims.sweep import run_sweep
    from theory.relu1d import frozen_pattern_certificate

    X3 = np.array([[1.0, 0.2, -0.3], [0.1, -0.5, 0.8]])

    def mixture_state():
        mix = xor_mixture(10, 0.1)
        rng = np.random.default_rng(0)
        w = 0.5 * rng.normal(size=(2, mix.N))
        return dict(self=MixtureODE.from_mixture(mix, 2, 0.3), R0=mix.means @ w.T / mix.N, Q0=w @ w.T / mix.N,
                    v0=rng.normal(size=2), t=[0.0, 0.5])

    def wide_model_args(X=True):
        m = WideMLP((3, 8), "tanh", "ntk")
        return dict(model=m, params=init_params(m, 2, seed=1), X=X3)

    def linearized_args():
        A = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]])
        return dict(K=A, theta=A, Y=np.array([0.5, -0.5]), times=[0.0, 1.0], n_train=2, eta=0.1)

    def relu1d_args():
        a0, w0 = draw_relu1d_init(4, 3, seed=1)
        p = empirical_weights(16, 3, seed=2)
        h = large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0))
        return dict(a0=a0, w0=w0, x=PAPER_X, y=PAPER_Y, p=p, h=h, n_epochs=5)

    def relu_nd_args():
        X, y = star_dataset(5, 0.2)
        A0, w0 = draw_relu_nd_init(4, 2, 3, seed=1)
        p = np.full((3, y.size), 1.0 / y.size)
        return dict(A0=A0, w0=w0, X=X, y=y, p=p, h=0.01, n_epochs=5)

    def wide_args():
        return dict(model=WideMLP((3, 8), "tanh", "ntk"), X=X3, Y=np.array([0.5, -0.2]), eta=0.05,
                    n_steps=3, n_seeds=2, seed=1)

    def certificate_args():
        a0, w0 = draw_relu1d_init(8, 3, seed=1)
        p = empirical_weights(16, 3, seed=2)
        h = large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0))
        return dict(x=PAPER_X, y=PAPER_Y, p=p, h=h, theta=np.stack([a0, np.zeros_like(a0), w0], axis=-1),
                    c=np.zeros(3))

    def data_mixture_args():
        rng = np.random.default_rng(3)
        return dict(X=rng.standard_normal((40, 5)), labels=np.arange(40) % 4, positive=[1], shrinkage=0.1)

    def sweep_args():
        import tempfile
        return dict(fn=_sweep_fn, tasks=[{"n": 2}, {"n": 3}], store=tempfile.mkdtemp(prefix="twolayer-census-"),
                    seed=1, executor="serial")

    def mixture_args():
        return dict(means=np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]) * np.sqrt(3), labels=np.array([1, -1]),
                    Delta=0.2, rho=0.4)

    return {
        "xor_mixture": (xor_mixture, lambda: dict(N=10, Delta=0.1), {"N": "size", "Delta": "positive", "scale": "positive",
                                                                      "rho": "positive"}),
        "circle_mixture": (circle_mixture, lambda: dict(N=10, clusters_per_label=2, Delta=0.1),
                           {"N": "size", "clusters_per_label": "size", "Delta": "positive"}),
        "GaussianMixture": (GaussianMixture, mixture_args, {"means": "array", "labels": "array", "Delta": "positive",
                                                            "rho": "positive"}),
        "mixture_initial_weights": (mixture_initial_weights, lambda: dict(N=10, K=2, n_seeds=2),
                                    {"N": "size", "K": "size", "n_seeds": "size", "init_std": "nonneg"}),
        "random_feature_matrix": (random_feature_matrix, lambda: dict(P=8, D=4), {"P": "size", "D": "size"}),
        "MixtureODE.from_mixture": (MixtureODE.from_mixture, lambda: dict(mixture=xor_mixture(10, 0.1), K=2, eta=0.1),
                                    {"K": "size", "eta": "positive", "reg": "nonneg", "activation": "choice"}),
        "xor_bayes_error": (xor_bayes_error, lambda: dict(Delta=0.1), {"Delta": "positive", "scale": "nonneg"}),
        "max_stable_learning_rate": (max_stable_learning_rate, lambda: dict(K=2), {"K": "size", "activation": "choice"}),
        "susceptibilities": (susceptibilities, lambda: dict(K=1.0, C_W=1.0, activation="tanh"),
                             {"K": "positive", "C_W": "positive", "activation": "choice"}),
        "effective_theory": (effective_theory, lambda: dict(X=X3, hidden_widths=20, depth=3, C_b=0.0, C_W=1.0,
                                                            activation="tanh"),
                             {"X": "array", "hidden_widths": "size", "depth": "size", "C_b": "nonneg", "C_W": "positive",
                              "activation": "choice", "lambda_b": "nonneg", "lambda_W": "nonneg"}),
        "nngp_ntk": (nngp_ntk, lambda: dict(X=X3, depth=3, C_b=0.0, C_W=2.0, activation="relu"),
                     {"X": "array", "depth": "size", "C_b": "nonneg", "C_W": "positive", "activation": "choice"}),
        "ntk_mean_correction": (ntk_mean_correction, lambda: dict(x=X3[0], hidden_widths=20, depth=3, C_b=0.0, C_W=1.0,
                                                                  activation="tanh"),
                                {"x": "array", "hidden_widths": "size", "depth": "size", "C_W": "positive",
                                 "activation": "choice"}),
        "eta_critical": (eta_critical, lambda: dict(theta_train=np.array([[2.0, 0.5], [0.5, 1.0]])),
                         {"theta_train": "array", "loss": "choice"}),
        "width_exponents": (width_exponents, lambda: dict(alpha_exponent=0.5), {"alpha_exponent": "real"}),
        "sample_init_ensemble": (sample_init_ensemble, lambda: dict(X=X3, hidden_widths=(8,), C_b=0.1, C_W=1.0,
                                                                    activation="tanh", n_members=16, seed=1),
                                 {"X": "array", "hidden_widths": "size", "C_b": "nonneg", "C_W": "positive",
                                  "activation": "choice", "n_members": "size", "memory_budget_mb": "positive"}),
        "wasserstein_1d": (wasserstein_1d, lambda: dict(a=np.arange(5.0), b=np.arange(5.0) + 1), {"a": "array",
                                                                                               "b": "array", "p": "positive"}),
        "sliced_wasserstein": (sliced_wasserstein, lambda: dict(x=np.ones((5, 2)), y=np.zeros((5, 2))),
                               {"x": "array", "y": "array", "n_projections": "size", "p": "positive"}),
        "draw_relu1d_init": (draw_relu1d_init, lambda: dict(n=4, n_nets=3), {"n": "size", "n_nets": "size",
                                                                            "init": "choice"}),
        "empirical_weights": (empirical_weights, lambda: dict(N=16, n_nets=3), {"N": "size", "n_nets": "size"}),
        "train_relu1d": (train_relu1d, relu1d_args, {"a0": "array", "w0": "array", "h": "positive", "n_epochs": "count0",
                                                     "optimizer": "choice", "check_every": "size"}),
        "star_dataset": (star_dataset, lambda: dict(k=5, dist=0.2), {"k": "size", "dist": "positive"}),
        "draw_relu_nd_init": (draw_relu_nd_init, lambda: dict(n=4, d=2, n_nets=3), {"n": "size", "d": "size",
                                                                                   "n_nets": "size"}),
        "train_relu_nd_gd": (train_relu_nd_gd, relu_nd_args, {"A0": "array", "w0": "array", "h": "positive",
                                                              "n_epochs": "count0"}),
        "WideMLP": (WideMLP, lambda: dict(widths=(3, 8), activation="tanh", parameterization="ntk"),
                    {"activation": "choice", "parameterization": "choice", "sigma_w": "positive", "sigma_b": "nonneg"}),
        "init_params": (init_params, lambda: dict(model=WideMLP((3, 8), "tanh", "ntk"), n_seeds=2),
                        {"n_seeds": "size", "backend": "choice", "dtype": "choice"}),
        "MixtureODE.integrate": (lambda self, **kw: self.integrate(**kw), mixture_state,
                                 {"R0": "array", "Q0": "array", "v0": "array", "t": "array", "rtol": "positive"}),
        "critical_points": (critical_points, lambda: dict(activation="tanh"),
                            {"activation": "choice", "K_min": "positive", "K_max": "positive", "n_grid": "size"}),
        "empirical_ntk": (empirical_ntk, wide_model_args, {"X": "array", "backend": "choice"}),
        "forward": (forward, wide_model_args, {"X": "array", "backend": "choice"}),
        "linearized_gd_moments": (linearized_gd_moments, linearized_args,
                                  {"K": "array", "theta": "array", "Y": "array", "times": "array", "n_train": "size",
                                   "eta": "positive", "loss": "choice"}),
        "stationary_point": (stationary_point, lambda: dict(ode=CommitteeODE(K=2, M=2, eta=0.5), Q0=np.eye(2) * 0.5,
                                                            R0=np.eye(2) * 0.5, alpha_max=5.0),
                             {"Q0": "array", "R0": "array", "alpha_max": "positive", "tol": "positive"}),
        "crossing_task": (crossing_task, lambda: dict(n=4, n_nets=3, n_epochs=5, seed=1, certify_every=None),
                          {"n": "size", "n_nets": "size", "n_epochs": "count0", "init": "choice", "step": "choice"}),
        "frozen_pattern_certificate": (frozen_pattern_certificate, certificate_args,
                                       {"x": "array", "y": "array", "p": "array", "h": "positive", "theta": "array",
                                        "c": "array", "safety": "nonneg"}),
        "mixture_from_data": (mixture_from_data, data_mixture_args,
                              {"X": "array", "clusters": "choice", "covariance": "choice", "shrinkage": "nonneg",
                               "standardise": "flag"}),
        "run_sweep": (run_sweep, sweep_args, {"executor": "choice", "seed": "seed", "progress": "flag",
                                              "raise_on_error": "flag"}),
        "train_gd": (train_gd, wide_args, {"X": "array", "Y": "array", "eta": "positive", "n_steps": "count0",
                                           "n_seeds": "size", "loss": "choice", "n_records": "size"}),
        # entry points added with issues 17, 18 and 22
        "fit_random_features": (fit_random_features, lambda: dict(mixture=xor_mixture(10, 0.1),
                                                                  F=random_feature_matrix(5, 10, seed=1), n=40,
                                                                  train_seed=1, test_seed=2),
                                {"F": "array", "n": "size", "activation": "choice"}),
        "train_snapshots": (train_snapshots, lambda: dict(**dict(zip(("a0", "w0", "x", "y", "p", "h"), (
                               *draw_relu1d_init(4, 2, seed=1), PAPER_X, PAPER_Y, np.full(6, 1 / 6), 0.05))),
                               epochs=[0, 5, 10]),
                            {"a0": "array", "w0": "array", "h": "positive", "epochs": "array"}),
        "asymptotic_error_linear": (asymptotic_error_linear, lambda: dict(K=2, eta=0.2, sigma=0.5),
                                    {"K": "size", "eta": "positive", "sigma": "nonneg", "batch_size": "size"}),
        "asymptotic_error": (asymptotic_error, lambda: dict(M=2, L=1, eta=0.1, sigma=0.5),
                             {"M": "size", "L": "count0", "eta": "positive", "sigma": "nonneg", "batch_size": "size",
                              "n_continuation": "size", "activation": "choice"}),
        "asymptotic_error_small_eta": (asymptotic_error_small_eta, lambda: dict(M=2, L=1, eta=0.1, sigma=0.5),
                                       {"M": "size", "L": "count0", "eta": "positive", "sigma": "nonneg",
                                        "batch_size": "size"}),
        "crossing_probability": (plots.crossing_probability, lambda: dict(n=[16, 64], crossed=[3, 1], total=[20, 20]),
                                 {"n": "array", "crossed": "array", "total": "array", "alpha": "positive"}),
        "kink_positions": (plots.kink_positions, lambda: dict(epochs=[0, 1], a=np.ones((2, 3)), b=np.zeros((2, 3))),
                           {"epochs": "array", "a": "array_nan", "b": "array_nan"}),
    }


def _bad_value(kind, what, val, base):
    if kind == "array" and what == "nan":
        return _nan_like(base)
    return val


def generate() -> list[Case]:
    cases = []
    for entry, (fn, factory, params) in _entries().items():
        for param, kind in params.items():
            for what, val in BAD[kind]:
                def call(fn=fn, factory=factory, param=param, kind=kind, what=what, val=val):
                    kw = factory()
                    kw[param] = _bad_value(kind, what, val, kw.get(param, 0.0))
                    return fn(**kw)
                cases.append(Case(entry, param, what, call))
    return cases


def valid_calls():
    """The valid call of each entry point (the cases' baselines must themselves run)."""
    return {entry: (lambda fn=fn, factory=factory: fn(**factory())) for entry, (fn, factory, _) in _entries().items()}
