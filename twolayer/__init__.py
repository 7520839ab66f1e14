"""twolayer: the ground floor shared by :mod:`theory` and :mod:`sims`.

- :mod:`twolayer.checks` -- argument checks whose errors name the parameter (one home for them);
- :mod:`twolayer.errors` -- the exception types every layer raises.

Nothing here imports :mod:`theory` or :mod:`sims`; both import from here (one-way).
"""
from .errors import DivergedError, InputError  # noqa: F401
