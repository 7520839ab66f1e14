"""twolayer: the ground floor shared by :mod:`theory` and :mod:`sims`.

- :mod:`twolayer.checks` -- argument checks whose errors name the parameter (one home for them);
- :mod:`twolayer.errors` -- the exception types every layer raises;
- :mod:`twolayer.seeds` -- reading a seed, and independent child seeds derived by name;
- :mod:`twolayer.linalg` -- the batched covariance kernels (eigh factor, pseudo-inverse, semi-definite
  and batched Cholesky) for every array namespace;
- :mod:`twolayer.records` -- the record grid (the steps at which every simulator stores its state);
- :mod:`twolayer.driver` -- the one simulation loop (chunks between the stops of a schedule, records,
  early end when no member is left, the progress bar) and the per-member finiteness test;
- :mod:`twolayer.io` -- save and load of result objects (one versioned npz + JSON format);
- :mod:`twolayer.provenance` -- the manifest (commit, versions, threads, device, seed) of a run.

None of these imports :mod:`theory` or :mod:`sims`; both import from here (one-way).
:mod:`twolayer.cli`, the ``twolayer`` command, is the one module on top: it imports the
simulators and theories it runs, lazily, inside each subcommand.
"""
from .errors import DivergedError, InputError  # noqa: F401

try:                                   # one source for the version: pyproject.toml, as installed
    from importlib.metadata import PackageNotFoundError as _NotFound, version as _version
    __version__ = _version("twolayer")
except _NotFound:                      # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"
