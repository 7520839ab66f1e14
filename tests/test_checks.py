"""twolayer.checks: every error names the parameter; wrong types are TypeError, wrong values InputError."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from twolayer import checks
from twolayer.errors import DivergedError, InputError


def test_integer():
    assert checks.integer("n", np.int64(3), minimum=1) == 3 and type(checks.integer("n", 3)) is int
    for bad in (True, 2.0, "3", None, 1 + 0j):
        with pytest.raises(TypeError, match="^n must be an integer"):
            checks.integer("n", bad)
    with pytest.raises(InputError, match="n must be an integer >= 1, got 0"):
        checks.integer("n", 0, minimum=1)
    with pytest.raises(InputError, match="<= 5"):
        checks.integer("n", 6, maximum=5)


def test_real():
    assert checks.real("eta", np.float32(0.5)) == 0.5 and checks.real("eta", 2) == 2.0
    for bad in (True, "0.5", None, 1j, np.array([1.0])):
        with pytest.raises(TypeError, match="^eta must be a real number"):
            checks.real("eta", bad)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(InputError, match="eta must be a finite number"):
            checks.real("eta", bad)
    assert checks.real("x", math.inf, allow_inf=True) == math.inf
    with pytest.raises(InputError, match="eta must be > 0"):
        checks.positive("eta", 0.0)
    with pytest.raises(InputError, match="sigma must be >= 0"):
        checks.nonneg("sigma", -1e-300)


def test_choice_and_labels():
    assert checks.choice("method", "gram", ("full", "gram")) == "gram"
    for bad in (None, "exact", 3):
        with pytest.raises(InputError, match="method must be one of 'full', 'gram'"):
            checks.choice("method", bad, ("full", "gram"))
    with pytest.raises(InputError, match=r"labels must hold labels in \{-1, \+1\}, got 2"):
        checks.labels_pm1("labels", [1, -1, 2])


def test_array():
    a = checks.array("X", [[1, 2], [3, 4]], shape=(2, None))
    assert a.dtype == np.float64 and a.shape == (2, 2)
    assert checks.array("T", np.zeros((5, 3, 3)), shape=(..., 3, 3)).shape == (5, 3, 3)
    with pytest.raises(InputError, match=r"T must have shape \(\.\.\., 3, 3\), got \(5, 3, 2\)"):
        checks.array("T", np.zeros((5, 3, 2)), shape=(..., 3, 3))
    with pytest.raises(InputError, match=r"X must be finite, got nan at index \(1, 0\)"):
        checks.array("X", [[0.0, 1.0], [np.nan, 2.0]])
    for bad in (None, "abc", [1j], [True, False], [object()]):
        with pytest.raises(TypeError, match="^X must be an array of real numbers"):
            checks.array("X", bad)
    with pytest.raises(InputError, match="X must be 2-dimensional"):
        checks.array("X", [1.0], ndim=2)


def test_psd_names_the_smallest_eigenvalue_and_the_batch_index():
    good = np.stack([np.eye(2), np.array([[1.0, 1.0], [1.0, 1.0]])])        # the second is singular, still PSD
    assert checks.psd("C", good).shape == (2, 2, 2)
    bad = good.copy()
    bad[1, 0, 1] = bad[1, 1, 0] = 2.0
    with pytest.raises(InputError, match=r"C must be positive semi-definite, got smallest eigenvalue -1 .* batch index \(1,\)"):
        checks.psd("C", bad)
    with pytest.raises(InputError, match="C must be symmetric"):
        checks.psd("C", [[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(InputError, match="positive definite"):
        checks.psd("C", [[1.0, 1.0], [1.0, 1.0]], strict=True)


@given(st.integers(2, 5), st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_psd_accepts_every_gram_matrix_and_rejects_a_shifted_one(n, seed):
    A = np.random.default_rng(seed).standard_normal((n, n - 1))
    G = A @ A.T                                                               # rank n - 1: on the cone's edge
    checks.psd("G", G)
    with pytest.raises(InputError, match="smallest eigenvalue"):
        checks.psd("G", G - 1e-6 * np.abs(G).max() * np.eye(n))


@given(st.integers(1, 5), st.integers(0, 3), st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_psd_factor_reproduces_the_matrix(n, batch, seed):
    A = np.random.default_rng(seed).standard_normal((batch, n, n + 1) if batch else (n, n + 1))
    C = A @ np.swapaxes(A, -1, -2)
    for method in ("cholesky", "eigh"):
        L = checks.psd_factor("C", C, method=method)
        assert L.shape == C.shape
        np.testing.assert_allclose(L @ np.swapaxes(L, -1, -2), C, rtol=1e-9, atol=1e-9 * np.abs(C).max())
    assert np.allclose(np.triu(checks.psd_factor("C", C), 1), 0.0)          # Cholesky is lower triangular


def test_psd_factor_separates_singular_from_indefinite():
    sing = np.stack([np.eye(2), np.ones((2, 2))])                           # the second is rank 1
    L = checks.psd_factor("cov", sing, method="eigh")                       # allowed: a zero direction
    np.testing.assert_allclose(L @ np.swapaxes(L, -1, -2), sing, atol=1e-12)
    with pytest.raises(InputError, match=r"cov must be positive definite.*batch index \(1,\); a singular covariance"):
        checks.psd_factor("cov", sing)                                       # Cholesky: no density
    with pytest.raises(InputError, match="cov must be positive semi-definite, got smallest eigenvalue -1"):
        checks.psd_factor("cov", [[1.0, 2.0], [2.0, 1.0]], method="eigh")
    with pytest.raises(InputError, match="cov must have shape \\(3, 3\\)"):
        checks.psd_factor("cov", np.eye(2), shape=(3, 3))
    with pytest.raises(InputError, match="method must be one of"):
        checks.psd_factor("cov", np.eye(2), method="svd")
    with pytest.raises(InputError, match="M must be symmetric.*batch index \\(0,\\)"):
        checks.symmetric("M", [[[1.0, 0.5], [0.0, 1.0]]])


def test_time_grid_and_memory():
    assert checks.time_grid("alphas", [0, 1, 2]).tolist() == [0.0, 1.0, 2.0]
    assert checks.time_grid("t", [0, 0, 1], strict=False).size == 3
    with pytest.raises(InputError, match="alphas must be strictly increasing, got 1.0 then 1.0 at index 1"):
        checks.time_grid("alphas", [0, 1, 1])
    with pytest.raises(InputError, match="alphas must hold at least one time"):
        checks.time_grid("alphas", [])
    with pytest.raises(InputError, match="t must be >= 0"):
        checks.time_grid("t", [-1.0, 1.0], minimum=0.0)
    checks.memory("memory_budget", 10.0, 20.0)
    with pytest.raises(InputError, match="above memory_budget=1 GiB"):
        checks.memory("memory_budget", 2.0 * 2**30, 2.0**30)


def test_error_types():
    assert issubclass(InputError, ValueError) and issubclass(DivergedError, FloatingPointError)
    from sims.mixture_sgd import MixtureSimulationDivergedError
    from sims.teacher_student import SimulationDivergedError
    from theory.committee_ode import ODEDivergedError
    assert all(issubclass(e, DivergedError) for e in (ODEDivergedError, SimulationDivergedError,
                                                      MixtureSimulationDivergedError))


def test_kernel_arrays_names_the_kernel_and_the_array():
    a = np.zeros((3, 4))
    checks.kernel_arrays("k", a=(a, (3, 4), float))
    for bad, why in ((np.zeros((4, 3)), "shape"), (np.zeros((3, 4), np.float32), "float32"),
                     (np.zeros((4, 3)).T, "non-C order"), ([[0.0] * 4] * 3, "list")):
        with pytest.raises(InputError, match=f"k: a must be a C-ordered float64 array of shape \\(3, 4\\), got .*{why}"):
            checks.kernel_arrays("k", a=(bad, (3, 4), float))


def test_every_compiled_kernel_call_is_guarded():
    """Each call of a function imported from a ``_*_numba`` module (kernels index without bounds
    checks) is preceded, in the same function, by ``kernel_arrays("<that kernel>", ...)``."""
    import ast
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[1]
    seen = []
    for path in [*(root / "sims").rglob("*.py"), *(root / "theory").rglob("*.py")]:
        if path.name.startswith("_") and path.name.endswith("_numba.py"):
            continue
        tree = ast.parse(path.read_text())
        kernels = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   and (node.module or "").endswith("_numba") for a in node.names if a.name.islower()
                   and not a.name.isupper()}
        kernels = {k for k in kernels if k != "PSD_RTOL"}
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            calls = [c for c in ast.walk(fn) if isinstance(c, ast.Call)]
            guards = {(c.args[0].value, c.lineno) for c in calls if isinstance(c.func, ast.Attribute)
                      and c.func.attr == "kernel_arrays" and c.args and isinstance(c.args[0], ast.Constant)}
            for c in calls:
                if isinstance(c.func, ast.Name) and c.func.id in kernels:
                    seen.append((path.name, c.func.id))
                    assert any(name == c.func.id and line < c.lineno for name, line in guards), \
                        f"{path.name}:{c.lineno}: {c.func.id} runs without a kernel_arrays guard"
    assert {k for _, k in seen} >= {"gd_nd_kernel", "gram_chunk", "full_chunk", "gd_kernel", "reduced_chunk",
                                     "pcg", "project"}
