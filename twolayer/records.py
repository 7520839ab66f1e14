"""The record grid every simulator uses: at which integer steps a run stores its state.

One rule, three spellings of time:

- committee SGD records at alpha = steps / N (:func:`sims.teacher_student.simulate_sgd`,
  ``scale = N``), log-spaced by default because the dynamics have plateaus and power-law tails;
- mixture SGD records at t = steps / N (:func:`sims.mixture_sgd.simulate_mixture_sgd`, ``scale =
  N``), evenly spaced by default, as the escape from the initial plateau happens at t ~ 1..10;
- wide-network GD records at the step itself (:func:`sims.wide_training.train_gd`, ``scale = 1``),
  log-spaced.

Explicit times are rounded to the nearest step. Step 0 (the initial state) is always recorded, and
the steps come back sorted without repeats, so two times that round to one step are one record.
"""
from __future__ import annotations

import numpy as np

from . import checks as _checks

__all__ = ["record_steps"]


def record_steps(end=None, n_records: int | None = None, *, spacing: str = "log", times=None, scale: float = 1.0,
                 times_name: str = "times") -> np.ndarray:
    """Sorted unique int64 steps at which to record, 0 included.

    Parameters
    ----------
    end : float >= 0
        The run's last step (with ``n_records``: required unless ``times`` is given). ``spacing="log"``: 0 and
        ``n_records - 1`` log-spaced steps from 1 to ``round(end)`` (step 0 only when that is 0);
        ``spacing="linear"``: ``n_records`` evenly spaced points from 0 to ``end``, each rounded.
    n_records : int >= 2
        Records on the default grid, 0 included (fewer when rounding merges steps).
    spacing : {"log", "linear"}
    times : array_like (n,), optional
        Non-decreasing times >= 0; the steps are ``round(times * scale)``, plus step 0.
    scale : float > 0
        Steps per unit of ``times`` (N for alpha = steps / N, 1 for steps).
    times_name : str
        The caller's name for ``times`` in error messages (``"alphas"``, ``"t_record"``).

    Returns
    -------
    ndarray of int64, shape (R,)
    """
    if times is not None:
        t = _checks.time_grid(times_name, times, strict=False, minimum=0.0)
        scale = _checks.positive("scale", scale)
        return np.unique(np.concatenate([[0], np.round(t * scale).astype(np.int64)]))
    if end is None or n_records is None:
        raise TypeError("record_steps needs end and n_records, or times")
    end = _checks.nonneg("end", end)
    n = _checks.integer("n_records", n_records, minimum=2)
    spacing = _checks.choice("spacing", spacing, ("log", "linear"))
    if spacing == "linear":
        return np.unique(np.round(np.linspace(0, end, n)).astype(np.int64))
    total = int(round(end))
    if total == 0:
        return np.zeros(1, dtype=np.int64)
    # n_records = 2 is (0, the end): numpy's geomspace(1, total, 1) is [1], which made a 2-record
    # run of simulate_sgd stop after one step and train_gd record its "last" state at step 1
    pts = np.geomspace(1, total, n - 1) if n > 2 else np.array([float(total)])
    return np.unique(np.concatenate([[0], np.round(pts).astype(np.int64)]))
