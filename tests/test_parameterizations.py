"""theory.parameterizations: the map from a wide MLP's parameterisation to its kernels."""
import math

import numpy as np
import pytest

from theory.parameterizations import PARAMETERIZATIONS, WideMLP


def test_sims_trains_the_theorys_architecture():
    import sims.wide_training as wt
    assert wt.WideMLP is WideMLP and wt.PARAMETERIZATIONS is PARAMETERIZATIONS


def test_ntk_and_standard_share_the_function_law_and_differ_in_the_rate_tensor():
    ntk = WideMLP((5, 40, 30), "tanh", "ntk", sigma_w=1.3, sigma_b=0.2)
    std = ntk.with_(parameterization="standard")
    h_ntk, h_std = ntk.kernel_hyperparameters(), std.kernel_hyperparameters()
    np.testing.assert_allclose(h_ntk["C_W"], [1.3**2] * 3)
    np.testing.assert_allclose(h_std["C_W"], h_ntk["C_W"])
    np.testing.assert_allclose(h_std["C_b"], h_ntk["C_b"])
    # lambda_W = r c^2 fan_in: sigma_w^2 under NTK, fan_in under standard (c = 1), RYH eq. (8.12)
    np.testing.assert_allclose(h_ntk["lambda_W"], [1.3**2] * 3)
    np.testing.assert_allclose(h_std["lambda_W"], [5, 40, 30])
    X = np.random.default_rng(0).standard_normal((6, 5))
    K1, T1 = ntk.infinite_width_kernels(X)
    K2, T2 = std.infinite_width_kernels(X)
    np.testing.assert_allclose(K1, K2, rtol=1e-12)
    assert not np.allclose(T1, T2)


def test_lazy_scaled_net_is_the_ntk_net_without_readout_bias():
    m = 64
    scaled = WideMLP((4, m), "erf", "scaled", sigma_w=1.5, sigma_b=0.3, alpha=math.sqrt(m))
    ntk = WideMLP((4, m), "erf", "ntk", sigma_w=1.5, sigma_b=0.3)
    hs, hn = scaled.kernel_hyperparameters(), ntk.kernel_hyperparameters()
    np.testing.assert_allclose(hs["C_W"], hn["C_W"])
    np.testing.assert_allclose(hs["lambda_W"], hn["lambda_W"])
    assert hs["C_b"][-1] == 0 and hn["C_b"][-1] == pytest.approx(0.09)


def test_bad_architecture_names_the_parameter():
    with pytest.raises(ValueError, match="sigma_w"):
        WideMLP((3, 8), "erf", "ntk", sigma_w=-1.0)
    with pytest.raises(ValueError, match="parameterization"):
        WideMLP((3, 8), "erf", "mup")
    with pytest.raises(ValueError, match=r"lr_weights\[1\]"):
        WideMLP((3, 8), "erf", "ntk", lr_weights=(1.0, float("nan")))
    with pytest.raises(ValueError, match="X must have shape"):
        WideMLP((3, 8)).infinite_width_kernels(np.zeros((2, 4)))
