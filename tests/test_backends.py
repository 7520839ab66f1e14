import numpy as np
import pytest

from sims.backends import Backend, BackendUnavailableError, as_seed_sequence, available_backends, get_backend


def test_numpy_backend_defaults():
    b = get_backend()
    assert b.name == "numpy" and b.dtype == np.float64 and not b.is_gpu
    assert get_backend("numpy", "float32").dtype == np.float32
    assert get_backend(b) is b


@pytest.mark.parametrize("spec", ["jax", "torch:tpu", "numpy:cuda", "", 3])
def test_unknown_backend_is_named(spec):
    with pytest.raises(ValueError, match="backend"):
        get_backend(spec)


def test_bad_dtype_is_named():
    with pytest.raises(ValueError, match="dtype"):
        get_backend("numpy", "int8")


def test_streams_are_reproducible_and_independent():
    b = get_backend()
    s1, s2 = b.streams(7, 2)
    t1, _ = b.streams(7, 2)
    a = s1.normal((1000,))
    assert np.array_equal(a, t1.normal((1000,)))
    assert abs(np.corrcoef(a, s2.normal((1000,)))[0, 1]) < 0.2


def test_seed_validation():
    with pytest.raises(ValueError, match="seed"):
        as_seed_sequence(-1)
    with pytest.raises(ValueError, match="seed"):
        as_seed_sequence(1.5)


def test_cuda_backends_raise_unavailable_rather_than_crash():
    for spec in ("torch:cuda", "cupy"):
        try:
            b = get_backend(spec)
            assert isinstance(b, Backend) and b.is_gpu
        except BackendUnavailableError as exc:
            assert spec.split(":")[0] in str(exc)
    assert "numpy" in available_backends()


def test_torch_backend_round_trip():
    try:
        b = get_backend("torch")
    except BackendUnavailableError as exc:
        pytest.skip(str(exc))
    x = b.asarray(np.arange(3.0))
    assert np.array_equal(b.to_numpy(x), np.arange(3.0))
    from scipy.special import erf
    assert np.allclose(b.to_numpy(b.erf(x)), erf(np.arange(3.0)))


def test_runnable_backend_is_the_one_test_behind_skips_and_the_gpu_smoke(monkeypatch):
    from sims.backends import runnable_backend
    bk, why = runnable_backend("numpy")
    assert bk.name == "numpy" and why is None
    with pytest.raises(ValueError, match="jax"):          # an unknown name is bad input, not a skip
        runnable_backend("jax")
    bk, why = runnable_backend("cupy")
    assert (bk is None and "cupy" in why) or bk.kind == "cupy"
    monkeypatch.setenv("TWOLAYER_GPU_SMOKE", "1")
    assert runnable_backend("cupy") == (None, "TWOLAYER_GPU_SMOKE=1: CuPy has no CPU device")
    bk, why = runnable_backend("torch:cuda")
    assert (bk is None and "torch" in why) or bk.kind == "torch"
    from benchmarks._timing import backend_or_skip
    with pytest.raises(NotImplementedError, match="cupy"):      # benchmarks ignore the smoke mapping
        backend_or_skip("cupy")
    bk, why = runnable_backend("torch:cuda", smoke=False)
    assert bk is None or "cuda" in bk.name


def test_one_rule_chooses_the_compiled_kernels():
    from sims.backends import compiled_kernels
    assert compiled_kernels(get_backend("numpy"))
    assert not compiled_kernels(get_backend("numpy"), use_numba=False)
    assert not compiled_kernels(get_backend("numpy", "float32"))
    pytest.importorskip("torch")
    assert not compiled_kernels(get_backend("torch"))
