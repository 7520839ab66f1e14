"""Bad input at the public entry points: a clear error that names the parameter, never a hang,
a silent number or an exception from deep inside NumPy, SciPy or numba (issue 18).

Every case runs under a watchdog (:func:`faulthandler.dump_traceback_later`): a call that hangs
kills the test process with a traceback after ``HANG_S`` seconds instead of stalling CI.
Each case asserts a ``ValueError``/``TypeError`` (``twolayer.errors.InputError`` is a
``ValueError``) whose message contains the parameter's name, or, for runaway dynamics, a
``twolayer.errors.DivergedError`` that names the step and the seed.

Coverage so far (the committee family, the mixture simulators, the RF readout, the reduced 1-D
GD, the Bayes error); the sweep stores and the remaining entry points follow.
"""
from __future__ import annotations

import faulthandler
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sims.gaussian_mixture import xor_mixture
from sims.mixture_sgd import random_feature_matrix, simulate_mixture_sgd, simulate_rf_sgd
from sims.relu1d import draw_relu1d_init
from sims.teacher_student import TeacherStudent, simulate_sgd
from theory.committee_fixed_points import plateau_small_eta, symmetric_plateau
from theory.committee_ode import CommitteeODE
from theory.gaussian_integrals import erf_I2, erf_I4
from theory.generalisation_error import generalisation_error
from theory.random_features import GaussianEquivalentFeatures, rf_population_readout
from theory.relu1d import PAPER_X, PAPER_Y, empirical_weights, reduced_gd
from twolayer.errors import DivergedError

HANG_S = 120.0

#: Values that are wrong for any real-number parameter, by kind.
NOT_A_NUMBER = [pytest.param(v, id=i) for i, v in
                (("bool", True), ("str", "0.5"), ("None", None), ("complex", 1 + 2j), ("nan", math.nan),
                 ("inf", math.inf))]
#: Values that are wrong for any size (a count >= 1).
NOT_A_SIZE = [pytest.param(v, id=i) for i, v in
              (("bool", True), ("float", 2.0), ("str", "3"), ("None", None), ("zero", 0), ("negative", -2))]


def named(fn, name, exc=(ValueError, TypeError)):
    """Assert that ``fn()`` raises ``exc`` naming ``name``, within HANG_S seconds."""
    faulthandler.dump_traceback_later(HANG_S, exit=True)
    try:
        with pytest.raises(exc) as info:
            fn()
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert name in str(info.value), f"message does not name {name!r}: {info.value}"
    return info.value


# ---------------------------------------------------------------------------------------------
# committee machines: TeacherStudent, simulate_sgd, CommitteeODE, generalisation error, plateau
# ---------------------------------------------------------------------------------------------
TS = dict(N=50, K=2, M=2, eta=0.5)


@pytest.mark.parametrize("name", ["eta", "eta_v", "sigma", "kappa", "init_std", "init_overlap"])
@pytest.mark.parametrize("value", NOT_A_NUMBER)
def test_teacher_student_rates_and_scales(name, value):
    named(lambda: TeacherStudent(**{**TS, name: value}), name)


@pytest.mark.parametrize("name", ["N", "K", "M", "batch_size"])
@pytest.mark.parametrize("value", NOT_A_SIZE)
def test_teacher_student_sizes(name, value):
    named(lambda: TeacherStudent(**{**TS, name: value}), name)


@pytest.mark.parametrize("name,value", [
    pytest.param(n, v.values[0], id=f"{n}-{v.id}") for n in ("n_seeds", "chunk_steps", "max_steps") for v in NOT_A_SIZE
    if not (n == "chunk_steps" and v.values[0] is None)])      # chunk_steps=None is the documented default
def test_simulate_sgd_counts(name, value):
    named(lambda: simulate_sgd(TeacherStudent(**TS), 1.0, **{name: value}), name)


@pytest.mark.parametrize("value", NOT_A_NUMBER + [pytest.param(-1.0, id="negative"), pytest.param(0.0, id="zero")])
def test_simulate_sgd_alpha_max(value):
    named(lambda: simulate_sgd(TeacherStudent(**TS), value), "alpha_max")


@pytest.mark.parametrize("alphas", [[0.0, 2.0, 1.0], [0.0, math.nan], [0.0, math.inf], [-1.0, 1.0], [[0.0, 1.0]]],
                         ids=["decreasing", "nan", "inf", "negative", "2-D"])
def test_simulate_sgd_alphas(alphas):
    named(lambda: simulate_sgd(TeacherStudent(**TS), alphas=alphas), "alphas")


@pytest.mark.parametrize("name,value", [("method", None), ("method", "exact"), ("on_divergence", None),
                                        ("on_divergence", "ignore"), ("backend", "jax")])
def test_simulate_sgd_choices(name, value):
    named(lambda: simulate_sgd(TeacherStudent(**TS), 1.0, **{name: value}), name)


def test_simulate_sgd_refuses_a_run_of_days_and_a_request_beyond_memory():
    named(lambda: simulate_sgd(TeacherStudent(**TS), 1e9), "max_steps")          # used to hang
    named(lambda: simulate_sgd(TeacherStudent(**TS), 1.0, n_seeds=10**8), "memory_budget")


def test_wide_and_init_samplers_refuse_a_request_beyond_memory():
    """Before any draw: a (2^16)-wide net with 200 members (16 GiB), a 10^5 x 10^5 layer (75 GiB)."""
    from sims.mlp_init import sample_init_ensemble
    from sims.wide_training import WideMLP, init_params, train_gd
    X = np.random.default_rng(0).standard_normal((50, 3))
    wide = WideMLP((3, 2**16), "tanh", "ntk")
    named(lambda: train_gd(wide, X, np.zeros(50), eta=0.1, n_steps=10, n_seeds=200), "memory_budget")
    named(lambda: init_params(wide, 10**4), "memory_budget")
    err = named(lambda: sample_init_ensemble(np.eye(3), (10**5, 10**5), C_b=0.0, C_W=1.0, n_members=2),
                "memory_budget_mb")
    assert "method='marginal'" in str(err)                                     # the way out is named


def test_relu1d_trainers_refuse_a_loss_curve_beyond_memory():
    """A recorded loss curve of 10^3 networks x 10^9 epochs (7.3 TiB), refused before any epoch runs."""
    from sims.relu1d import draw_relu1d_init, train_relu1d
    from theory.relu1d import reduced_gd
    x = np.array([-1.0, -0.5, 0.5, 1.0])
    y = np.array([0.2, -0.1, 0.3, 0.1])
    a0, w0 = draw_relu1d_init(4, 1000, seed=0)[:2]
    err = named(lambda: train_relu1d(a0, w0, x, y, np.full(4, 0.25), 0.1, 10**9, record_loss=True), "memory_budget")
    assert "record_loss=False" in str(err)
    named(lambda: reduced_gd(a0, w0, x, y, np.full(4, 0.25), 0.1, 10**9), "memory_budget")
    named(lambda: train_relu1d(a0, w0, x, y, np.full(4, 0.25), 0.1, 10, memory_budget=-1.0), "memory_budget")


@pytest.mark.parametrize("method,noise", [
    ("full", {"x": np.zeros((2, 50, 49)), "zeta": np.zeros((2, 50))}),            # wrong N: out of bounds before
    ("full", {"x": np.zeros((1, 50, 50)), "zeta": np.zeros((1, 50))}),            # wrong seed count
    ("gram", {"z": np.zeros((2, 50, 3)), "zeta": np.zeros((2, 50)), "chi2": np.ones((2, 50))}),
    ("gram", {"z": np.zeros((2, 10, 4)), "zeta": np.zeros((2, 10)), "chi2": np.ones((2, 10))}),   # too few steps
    ("gram", {"z": np.full((2, 50, 4), np.nan), "zeta": np.zeros((2, 50)), "chi2": np.ones((2, 50))}),
], ids=["full-N", "full-seeds", "gram-P", "gram-steps", "gram-nan"])
def test_pre_drawn_noise_is_checked_before_the_compiled_kernels_index_it(method, noise):
    named(lambda: simulate_sgd(TeacherStudent(**TS), alphas=[0.0, 1.0], n_seeds=2, method=method, noise=noise),
          "noise[")


@pytest.mark.parametrize("method", ["full", "gram"])
def test_a_runaway_student_is_a_divergence_with_step_and_seed(method):
    """A linear student at eta = 20 used to reach eps_g = 3.7e281 with diverged_step = -1."""
    p = TeacherStudent(N=50, K=2, M=2, eta=20.0, activation="linear")
    err = named(lambda: simulate_sgd(p, 10.0, n_seeds=2, method=method), "runaway", DivergedError)
    assert "step" in str(err) and "seed index" in str(err)
    tr = simulate_sgd(p, 10.0, n_seeds=2, method=method, on_divergence="flag")
    assert np.all(tr.diverged_step >= 0) and np.all(np.isnan(tr.eps_g[:, -1]))


@pytest.mark.parametrize("name", ["K", "M", "batch_size"])
@pytest.mark.parametrize("value", NOT_A_SIZE)
def test_committee_ode_sizes(name, value):
    named(lambda: CommitteeODE(**{"K": 2, "M": 2, "eta": 0.5, name: value}), name)


@pytest.mark.parametrize("name", ["eta", "eta_v", "sigma", "kappa"])
@pytest.mark.parametrize("value", NOT_A_NUMBER + [pytest.param(-0.5, id="negative")])
def test_committee_ode_rates(name, value):
    named(lambda: CommitteeODE(**{"K": 2, "M": 2, "eta": 0.5, name: value}), name)


@pytest.mark.parametrize("T", [[[1.0, 2.0], [2.0, 1.0]], [[1.0, np.nan], [np.nan, 1.0]], [[1.0, 0.5], [0.0, 1.0]],
                               np.eye(3)], ids=["not-psd", "nan", "asymmetric", "shape"])
def test_committee_ode_teacher_overlaps(T):
    named(lambda: CommitteeODE(K=2, M=2, eta=0.5, T=T), "T")


def test_committee_ode_teacher_second_layer():
    named(lambda: CommitteeODE(K=2, M=2, eta=0.5, v_star=[1.0, np.nan]), "v_star")


ODE = CommitteeODE(K=2, M=2, eta=0.5)
Q0, R0 = 0.1 * np.eye(2), np.zeros((2, 2))


@pytest.mark.parametrize("Q,R,name", [
    (np.array([[1.0, 2.0], [2.0, 1.0]]), R0, "Q0"),                  # Q not PSD: used to hang
    (np.eye(2), 2.0 * np.eye(2), "Q0"),                               # R inconsistent with Q and T
    (np.full((2, 2), np.nan), R0, "Q0"),
    (Q0, np.full((2, 2), np.inf), "R0"),
    (np.eye(3), R0, "Q0"),
], ids=["Q-not-psd", "R-inconsistent", "Q-nan", "R-inf", "Q-shape"])
def test_committee_ode_initial_state(Q, R, name):
    named(lambda: ODE.integrate(Q, R, None, [0.0, 1.0]), name)


@pytest.mark.parametrize("alphas", [[0.0, math.nan], [0.0, math.inf], [1.0, 0.0], [], "0 1"],
                         ids=["nan", "inf", "decreasing", "empty", "str"])
def test_committee_ode_alphas(alphas):
    named(lambda: ODE.integrate(Q0, R0, None, alphas), "alphas")


def test_committee_ode_refuses_an_rk4_step_that_would_hang():
    named(lambda: ODE.integrate(Q0, R0, None, [0.0, 1.0], method="RK4", dt=1e-300), "dt")
    named(lambda: ODE.integrate(Q0, R0, None, [0.0, 1.0], method="RK4", dt=-0.1), "dt")
    named(lambda: ODE.integrate(Q0, R0, None, [0.0, 1.0], method=None), "method")
    named(lambda: ODE.integrate(Q0, R0, None, [0.0, 1.0], rtol=0.0), "rtol")


def test_generalisation_error_refuses_a_state_of_no_network():
    """(Q, R, T) not jointly PSD used to return eps_g = -0.667."""
    named(lambda: generalisation_error(np.eye(2), 2.0 * np.eye(2), np.eye(2), np.ones(2), np.ones(2)), "joint covariance")
    named(lambda: generalisation_error(np.eye(2), np.zeros((2, 2)), np.eye(2), [1.0, np.nan], np.ones(2)), "v")
    named(lambda: generalisation_error(np.eye(2), np.zeros((2, 2)), np.eye(2), [1.0, 1j], np.ones(2)), "v")


def test_erf_integrals_refuse_a_covariance_that_is_not_psd():
    """|C12| > sqrt(C11 C22) used to return 1.0 (the arcsin was clipped)."""
    named(lambda: erf_I2(1.0, 3.0, 1.0), "C12")
    named(lambda: erf_I2(-1.0, 0.0, 1.0), "C11")
    assert erf_I2(1.0, 1.0, 1.0) == pytest.approx(2 / np.pi * np.arcsin(0.5))     # degenerate but PSD
    named(lambda: erf_I4(1, 0, 0, 0, 1, 0, 0, 1, 5, 1), "erf_I4")


VARIANCE = st.one_of(st.just(0.0), st.floats(1e-6, 10.0))      # away from underflow (C11 C22 < 1e-300)


@given(VARIANCE, VARIANCE, st.floats(1.0001, 10.0))
@settings(max_examples=50, deadline=None)
def test_erf_I2_is_defined_exactly_on_psd_covariances(c11, c22, excess):
    c12 = math.sqrt(c11 * c22)
    assert np.isfinite(erf_I2(c11, c12, c22))
    if c11 * c22 > 0:
        named(lambda: erf_I2(c11, excess * c12, c22), "C12")


def test_plateau_functions_refuse_sizes_and_rates_outside_their_regime():
    named(lambda: plateau_small_eta(-2), "K")                     # used to return numbers
    named(lambda: plateau_small_eta(1.5), "K")
    named(lambda: symmetric_plateau(2, 1e3), "eta")               # its symmetric root has eps_g < 0
    named(lambda: symmetric_plateau(2, -0.1), "eta")
    named(lambda: symmetric_plateau(2, "0.5"), "eta")


# ---------------------------------------------------------------------------------------------
# Gaussian mixtures, random features
# ---------------------------------------------------------------------------------------------
MIX = xor_mixture(20, 0.1)


@pytest.mark.parametrize("kw,name", [
    (dict(n_seeds=10**6), "memory_budget"),                        # used to hang at N = 20
    (dict(t_max=1e9), "max_steps"),
    (dict(t_max=math.nan), "t_max"),
    (dict(eta="0.1"), "eta"), (dict(eta=None), "eta"), (dict(eta=0.0), "eta"),
    (dict(K=True), "K"), (dict(n_seeds=2.0), "n_seeds"), (dict(chunk=0), "chunk"),
    (dict(t_record=[0.0, 2.0, 1.0]), "t_record"),
])
def test_simulate_mixture_sgd_arguments(kw, name):
    args = {"K": 4, "eta": 0.1, "t_max": 1.0, **kw}
    named(lambda: simulate_mixture_sgd(MIX, **args), name)


def test_mixture_and_rf_runaways_are_divergences():
    """simulate_rf_sgd at eta = 1e4 used to return finite, meaningless weights."""
    named(lambda: simulate_mixture_sgd(MIX, K=4, eta=1e4, t_max=5.0), "ran away", DivergedError)
    F = random_feature_matrix(40, 20, seed=1)
    named(lambda: simulate_rf_sgd(MIX, F, 1e4, 20.0), "ran away", DivergedError)


def test_rf_readout_labels_must_be_plus_minus_one():
    """Labels (2, -2) used to give eps_mse < 0."""
    mix = xor_mixture(30, 0.2)
    feat = GaussianEquivalentFeatures(mix.centres, 0.2, random_feature_matrix(40, 30, seed=1))
    named(lambda: rf_population_readout(feat, 2 * mix.labels, mix.probs), "labels")


def test_bayes_error_sample_counts():
    named(lambda: MIX.bayes_error(1e10), "n_samples")              # a float count
    named(lambda: MIX.bayes_error(10**10), "max_samples")          # used to hang (and fill memory)


# ---------------------------------------------------------------------------------------------
# 1-D ReLU: the reduced GD system
# ---------------------------------------------------------------------------------------------
def test_reduced_gd_refuses_nan_weights():
    """NaN in a0 used to run to the epoch cap."""
    a0, w0 = draw_relu1d_init(2, 10, seed=3)
    a0[0, 0] = np.nan
    p = empirical_weights(64, 10, seed=4)
    named(lambda: reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, 0.1, 10), "a0")
    named(lambda: reduced_gd(np.ones_like(a0), w0, PAPER_X, PAPER_Y, p, 0.1, True), "n_epochs")


# ---------------------------------------------------------------------------------------------
# generated cases: every parameter of every entry point in tests/_bad_input_cases.py, with every
# value that is wrong for its kind (also counted, before and after, by scripts/bad_input_census.py)
# ---------------------------------------------------------------------------------------------
from _bad_input_cases import generate, valid_calls  # noqa: E402

GENERATED = generate()


@pytest.mark.parametrize("entry", sorted(valid_calls()))
def test_the_generated_cases_start_from_a_valid_call(entry):
    valid_calls()[entry]()            # a bad value, not a broken baseline, must cause each failure


@pytest.mark.parametrize("case", GENERATED, ids=[c.id for c in GENERATED])
def test_generated_bad_value_is_named(case):
    named(case.call, case.param)
