"""Statistical validations: one module per paper, each test one claim (docs/DESIGN.md section 5).

Helpers: :mod:`validations.stats` (the assertions every claim uses), :mod:`validations.report`
(claim table, JSON records, figures), :mod:`validations.plotting`.
"""
