"""The claim fixtures and options live in :mod:`validations.plugin` (loaded by the root conftest)."""
