"""The claim fixtures and options live in :mod:`twolayer.claims.plugin` (loaded by the root conftest)."""
