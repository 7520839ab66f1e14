"""Criticality for any activation (RYH arXiv:2106.10165 ch. 5): closed forms, class rules and an
independent check of the fixed point and both susceptibilities by Gauss--Hermite quadrature."""
import math

import numpy as np
import pytest
from scipy.special import expit, ndtr

from theory.activations import Activation
from theory.criticality import critical_points, susceptibilities
from theory.effective_theory import critical_initialization
from theory.gaussian_integrals import gauss_hermite_expectation

SWISH = Activation("swish", lambda x: x * expit(x), lambda x: expit(x) * (1 + x * (1 - expit(x))), None)
GELU = Activation("gelu", lambda x: x * ndtr(x), lambda x: ndtr(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi),
                  None)


def _leaky(a):
    return Activation(f"leaky{a}", lambda x: np.where(x > 0, x, a * x), lambda x: np.where(x > 0, 1.0, a), None,
                      smooth=False)


def test_gelu_critical_point_is_the_closed_form():
    """For GELU the equation in K* is solved by (3 + sqrt 17)/2 (checked to 30 digits with mpmath)."""
    (pt,) = critical_points(GELU)
    assert pt.K_star == pytest.approx((3 + math.sqrt(17)) / 2, abs=1e-9)
    assert pt.chi_parallel == pytest.approx(1.0, abs=1e-9) and pt.chi_perp == pytest.approx(1.0, abs=1e-12)
    assert critical_initialization(GELU) == (pt.C_b, pt.C_W)


@pytest.mark.parametrize("act", [SWISH, GELU], ids=lambda a: a.name)
def test_critical_point_is_a_marginal_fixed_point_by_independent_quadrature(act):
    """Gauss--Hermite (order 240, not the adaptive quadrature of the solver): K* is a fixed point of
    K -> C_b + C_W <sigma^2>_K, the recursion's slope there is 1 (chi_par) and so is the slope of the
    off-diagonal kernel as the two inputs merge (chi_perp). A 1 % error in C_W breaks all three."""
    (pt,) = critical_points(act)
    K, Cb, CW = pt.K_star, pt.C_b, pt.C_W
    rec = lambda k: Cb + CW * float(gauss_hermite_expectation(lambda z: act.g(z[..., 0]) ** 2, [[k]], order=240))
    assert rec(K) == pytest.approx(K, rel=1e-7)
    h = 1e-4 * K
    assert (rec(K + h) - rec(K - h)) / (2 * h) == pytest.approx(1.0, abs=1e-5)

    def offdiag(k12):
        return CW * float(gauss_hermite_expectation(lambda z: act.g(z[..., 0]) * act.g(z[..., 1]),
                                                    [[K, k12], [k12, K]], order=240))
    chi_perp = (offdiag(K) - offdiag(K - h)) / h          # one-sided: K12 <= K
    assert chi_perp == pytest.approx(1.0, abs=2e-3)
    assert susceptibilities(K, 1.01 * CW, act)[1] == pytest.approx(1.01, abs=1e-9)


@pytest.mark.parametrize("a", [0.0, 0.1, 0.5])
def test_scale_invariant_activations_give_the_line_C_b_0(a):
    (pt,) = critical_points(_leaky(a))
    assert pt.scale_invariant and pt.C_b == 0.0 and math.isnan(pt.K_star)
    assert pt.C_W == pytest.approx(2.0 / (1.0 + a * a), rel=1e-8)


@pytest.mark.parametrize("name", ["tanh", "erf"])
def test_k_star_zero_class_has_no_critical_point_at_positive_K(name):
    assert critical_points(name) == []
    custom = Activation("my" + name, np.tanh, lambda x: 1 - np.tanh(x) ** 2, None)
    with pytest.raises(ValueError, match="K\\* = 0 class"):
        critical_initialization(custom)


@pytest.mark.parametrize("kwargs,match", [(dict(K_min=0.0), "K_min"), (dict(K_max=1e-3), "K_max"),
                                          (dict(n_grid=2), "n_grid")])
def test_bad_input_is_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        critical_points(GELU, **kwargs)
    with pytest.raises(ValueError, match="K must"):
        susceptibilities(-1.0, 1.0, GELU)
