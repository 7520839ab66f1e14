"""Statistical validations: one module per paper, each test one claim (docs/DESIGN.md section 5).

Helpers: :mod:`twolayer.claims.stats` (the assertions every claim uses), :mod:`twolayer.claims.report`
(claim table, JSON records, figures), :mod:`twolayer.claims.plotting`.
"""
