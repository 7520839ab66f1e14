"""The claim machinery, installed with the package: statistics, report, figures and the pytest plugin.

A *claim* is a pytest test that compares a theory prediction with a simulation through the
statistical assertions of :mod:`twolayer.claims.stats` (each with its decision rule, p-value and
minimum detectable difference). The pytest plugin :mod:`twolayer.claims.plugin` is registered as
a ``pytest11`` entry point, so any project that has twolayer installed gets the ``claim`` marker
and fixture, the ``seed`` fixture, ``--claim-seed``/``--claim-seeds``/``--claim-json``/``--report``
and the suite's error budget: the suite's own claims (``validations/``) are written the same way a
researcher writes claims about a new paper in their own repository. :mod:`twolayer.claims.report`
writes the claim table and the HTML report; :mod:`twolayer.claims.plotting` the figures.
"""
