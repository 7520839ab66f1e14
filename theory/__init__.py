"""Deterministic predictions for two-layer networks (pure functions of parameters).

Sub-modules
-----------
activations
    The Activation record (g, g', g'', array-API pair, compiled code, criticality class, closed forms).
gaussian_integrals
    Closed-form Gaussian expectations I2, J2, I3, I4 (erf, ReLU, linear; registered on the records;
    ReLU I4 as a one-dimensional integral of closed forms)
    and Gauss--Hermite / Monte-Carlo fallbacks.
mixture_integrals
    Gaussian expectations with a mean (ReLU closed forms through Owen's T, quadrature otherwise).
committee_ode
    Saad--Solla / Goldt et al. ODEs for teacher--student soft committee machines.
generalisation_error
    epsilon_g from order parameters.
committee_fixed_points
    Plateau, stability threshold and asymptotic errors as fixed points of the ODE.
effective_theory, ntk_correction
    Kernel, four-point vertex, NTK mean and their 1/n corrections at initialisation (RYH).
criticality
    Critical (C_b, C_W) of any activation: fixed point K* with both susceptibilities equal to one.
linearized_dynamics
    Infinite-width mean and covariance of the outputs under GD or gradient flow; eta_crit.
parameterizations
    WideMLP, the one description of a wide MLP (standard, NTK or alpha-scaled), and its map to the
    per-layer multipliers and the infinite-width kernels (NNGP and NTK).
scaling_regimes
    Width exponents of lazy and mean-field training.
mixture_ode, mixture_state_evolution
    Order-parameter ODEs of two-layer nets on Gaussian mixtures; their fixed points (state evolution).
random_features
    Gaussian-equivalent feature moments and the population least-squares readout (CG).
bayes_error
    Bayes-optimal errors of Gaussian mixtures (the XOR mixture in closed form).
relu1d
    1-D two-layer ReLU nets under GD: frozen-pattern formulas, the never-cross certificate, the
    reduced system (subpackage: frozen, certificate, reduced).
relu_nd
    d-dimensional ReLU nets: the per-ray loss bound and the tangent-kernel step.
relu1d_certificate
    Deprecated alias of relu1d.certificate.
_rf_numba
    Compiled kernels of the random-features CG readout.
_relu_i4_numba
    Compiled kernel of the ReLU I4 expectation (an interpolation integral of closed forms).
"""
