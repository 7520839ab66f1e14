"""Repository-wide pytest set-up (shared by tests/ and validations/): the claim plugin
(options --claim-seed, --claim-seeds, --claim-json, --report; the ``claim`` and ``seed`` fixtures)."""

pytest_plugins = ["twolayer.claims.plugin"]
