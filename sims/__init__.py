"""Simulations of two-layer networks on interchangeable array backends.

``get_backend("numpy" | "torch" | "torch:cuda" | "cupy")`` is the one way to pick a backend;
every simulator takes ``backend=`` (a string or a :class:`~sims.backends.Backend`).
"""
from .backends import Backend, BackendUnavailableError, available_backends, get_backend

__all__ = ["Backend", "BackendUnavailableError", "available_backends", "get_backend"]
