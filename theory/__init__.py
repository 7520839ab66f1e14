"""Deterministic predictions for two-layer networks (pure functions of parameters).

Sub-modules
-----------
activations
    Activation registry (g, g', g'') with the closed forms each one supports.
gaussian_integrals
    Closed-form Gaussian expectations (erf, ReLU, linear) and generic
    Gauss--Hermite / Monte-Carlo fallbacks.
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
"""
