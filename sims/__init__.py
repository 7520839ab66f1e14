"""Simulations of two-layer networks on interchangeable array backends.

``get_backend("numpy" | "torch" | "torch:cuda" | "cupy")`` is the one way to pick a backend;
every simulator takes ``backend=`` (a string or a :class:`~sims.backends.Backend`).

Sub-modules
-----------
backends
    The backend resolver, seeded random streams, the runnable-backend test behind every skip.
activations
    Each activation's array-API pair (from its theory record) and the compiled codes.
teacher_student
    Online SGD of soft committee machines: explicit weights or the exact order-parameter chain.
gaussian_mixture, data_mixtures
    Labelled Gaussian mixtures (sampler, Bayes rule), and mixtures fitted to real data.
mixture_sgd
    Online SGD of two-layer nets and of random features on Gaussian mixtures.
mlp_init
    Ensembles of MLPs at initialisation: empirical kernels and NTKs (weights or exact marginals).
wide_training
    Full-batch GD of wide MLP ensembles (standard, NTK or scaled parameterisation), empirical NTK;
    re-exports theory.parameterizations.WideMLP.
particle_law
    Exact 1-D and sliced Wasserstein distances between particle clouds.
relu1d, relu_nd
    1-D ReLU nets (thousands at once, GD / SGD / Adam) and d-dimensional ones (the star data).
sweep
    Parameter sweeps (Dask or serial) with resumable, verified result stores.
_committee_numba, _relu1d_numba, _relu_nd_numba
    Compiled kernels.
"""
from .backends import Backend, BackendUnavailableError, available_backends, get_backend

__all__ = ["Backend", "BackendUnavailableError", "available_backends", "get_backend"]
