"""theory.activations: one record per activation, and every layer reads the same record.

Each registered activation's derivatives, array-API pair and compiled scalar table agree with its
NumPy g; closed forms are found through the record; hand-built records work wherever names do.
"""
import numpy as np
import pytest

from sims.activations import ACTIVATION_CODES, backend_activation
from sims.backends import get_backend
from theory import gaussian_integrals as gi
from theory.activations import ACTIVATIONS, Activation, get_activation

X = np.linspace(-7.0, 7.0, 281)
X = X[np.abs(X) > 1e-9]                   # away from ReLU's kink (g'(0) = 1/2 is tested apart)
NAMES = sorted(ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_finite_differences(name):
    a = ACTIVATIONS[name]
    h = 1e-5
    fd = (a.g(X + h) - a.g(X - h)) / (2 * h)
    assert np.allclose(a.dg(X), fd, rtol=1e-8, atol=1e-9)
    if a.d2g is not None:
        fd2 = (a.dg(X + h) - a.dg(X - h)) / (2 * h)
        assert np.allclose(a.d2g(X), fd2, rtol=1e-7, atol=1e-8)


def test_relu_step_is_one_half_at_zero_and_sigmoid_cannot_overflow():
    assert float(ACTIVATIONS["relu"].dg(0.0)) == 0.5
    with np.errstate(all="raise"):
        s = ACTIVATIONS["sigmoid"].g(np.array([-800.0, 800.0]))
    assert s.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("name", NAMES)
def test_backend_pair_matches_numpy(name, backend):
    if backend == "torch":
        pytest.importorskip("torch")
    bk = get_backend(backend)
    g, dg = backend_activation(name, bk)
    a = ACTIVATIONS[name]
    assert np.allclose(bk.to_numpy(g(bk.asarray(X))), a.g(X), rtol=1e-13, atol=1e-15)
    assert np.allclose(bk.to_numpy(dg(bk.asarray(X))), a.dg(X), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", [n for n in NAMES if ACTIVATIONS[n].code is not None])
def test_compiled_scalar_tables_match_the_record(name):
    from sims._committee_numba import _dg, _g
    a = ACTIVATIONS[name]
    g = np.array([_g(a.code, float(x)) for x in X])
    dg = np.array([_dg(a.code, float(x)) for x in X])
    assert np.allclose(g, a.g(X), rtol=1e-13, atol=1e-15)
    assert np.allclose(dg, a.dg(X), rtol=1e-12, atol=1e-15)


def test_codes_are_distinct_and_cover_the_registry():
    codes = [a.code for a in ACTIVATIONS.values()]
    assert len(set(codes)) == len(codes) and set(ACTIVATION_CODES) == set(ACTIVATIONS)


def test_closed_forms_are_found_through_the_record():
    closed = {name: {k for k in ("I2", "J2", "I3", "I4") if gi.has_closed_form(k, name, name)} for name in NAMES}
    assert closed["erf"] == closed["linear"] == {"I2", "J2", "I3", "I4"}
    assert closed["relu"] == {"I2", "J2", "I3", "I4"}
    assert all(not closed[n] for n in ("tanh", "gelu", "swish", "sigmoid"))
    assert gi.has_closed_form("I2", "erf", "relu") and not gi.has_closed_form("J2", "erf", "relu")
    copy = Activation("my-erf", ACTIVATIONS["erf"].g, ACTIVATIONS["erf"].dg, None)
    assert not gi.has_closed_form("I2", copy, copy)            # a hand-built record gets quadrature
    C11, C12, C22 = 0.8, 0.3, 1.1
    assert gi.I2(copy, copy, C11, C12, C22) == pytest.approx(gi.erf_I2(C11, C12, C22), rel=1e-10)


def test_nngp_ntk_accepts_a_hand_built_record():
    """It used to look the record up by name and reject it (issue 17)."""
    from theory.effective_theory import nngp_ntk
    X2 = np.array([[1.0, 0.2], [-0.3, 0.9]])
    t = ACTIVATIONS["tanh"]
    mine = Activation("my-tanh", t.g, t.dg, t.d2g)
    for a, b in zip(nngp_ntk(X2, 3, C_b=0.1, C_W=1.2, activation=mine),
                    nngp_ntk(X2, 3, C_b=0.1, C_W=1.2, activation="tanh")):
        assert np.allclose(a, b, rtol=1e-12)


def test_criticality_class_comes_from_the_record():
    from theory.criticality import critical_points
    from theory.effective_theory import critical_initialization
    assert critical_initialization("relu") == (0.0, 2.0) and critical_initialization("linear") == (0.0, 1.0)
    assert critical_initialization("erf") == pytest.approx((0.0, np.pi / 2))
    for name in ("gelu", "swish"):
        p = critical_points(name)[0]
        assert critical_initialization(name) == (p.C_b, p.C_W)
    with pytest.raises(ValueError, match="slopes"):
        Activation("bad", np.abs, np.sign, None, criticality="scale-invariant")


@pytest.mark.parametrize("method", ["gram", "full"])
@pytest.mark.parametrize("name", ["gelu", "swish", "sigmoid"])
def test_new_activations_run_the_same_sgd_compiled_and_array_api(name, method):
    from sims.teacher_student import TeacherStudent, simulate_sgd
    P = TeacherStudent(N=40, K=2, M=2, eta=0.3, activation=name)
    kw = dict(n_seeds=3, seed=4, method=method, n_records=4)
    a = simulate_sgd(P, 2.0, **kw)
    b = simulate_sgd(P, 2.0, use_numba=False, **kw)
    assert np.allclose(a.Q, b.Q, rtol=1e-9, atol=1e-12) and np.allclose(a.R, b.R, rtol=1e-9, atol=1e-12)
    assert np.all(np.isfinite(a.eps_g))


def test_unknown_name_and_record_without_backend_pair_are_named():
    with pytest.raises(ValueError, match="activation='softplus' is not a known activation"):
        get_activation("softplus")
    bare = Activation("bare", np.tanh, ACTIVATIONS["tanh"].dg, None)
    with pytest.raises(ValueError, match="activation='bare' has no array-API implementation"):
        backend_activation(bare, get_backend("numpy"))
