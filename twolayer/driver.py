"""The one simulation loop: a run's schedule of chunks, its records, its progress bar.

Every simulator of the suite advances an ensemble of members (seeds, networks) through integer
steps and stops at a few of them to record its state or to test it: committee SGD
(:func:`sims.teacher_student.simulate_sgd`), mixture and random-feature SGD
(:mod:`sims.mixture_sgd`), wide-network GD (:func:`sims.wide_training.train_gd`), the 1-D ReLU
networks (:func:`sims.relu1d.train_relu1d`) and their frozen-pattern reduction
(:func:`theory.relu1d.reduced.reduced_gd`). They differ only in their state, their step kernel and
what they record. What they share lives here, written once:

* :func:`run_schedule`: from step 0 to the last stop of a schedule (a record grid of
  :func:`twolayer.records.record_steps`, or a grid of checks), in chunks of at most ``chunk`` steps
  that never cross a stop, calling the simulator's ``advance(step, n)`` for each chunk and its
  ``record(j)`` at each stop; a run whose members have all stopped ends early.
* :class:`Progress`: the one tqdm bar (steps, updates, blocks of an initialisation ensemble, sweep
  tasks), or nothing.
* :class:`Members`: which members are still running, and, for each retired one, why it stopped,
  at which step and with which final value (the 1-D ReLU networks and their reduction stop
  member by member: crossed, certified, early-stopped, capped).
* :func:`finite_members`: which members' state arrays are all finite, on any backend (the test
  behind every simulator's :class:`twolayer.errors.DivergedError`).

What the chunk boundaries are never changes a simulator's numbers: each draws its random inputs
per member in blocks that do not depend on the chunk (see each simulator's notes), and a record
is taken after the chunk that reaches it.
"""
from __future__ import annotations

import numpy as np

from . import checks as _checks

__all__ = ["run_schedule", "Progress", "Members", "finite_members"]


class Progress:
    """A tqdm bar over ``total`` steps when ``enabled``, else a no-op with the same methods.

    Parameters
    ----------
    enabled : bool
    total : int
        Steps (or updates) of the whole run.
    desc : str
        The bar's label, e.g. ``"SGD gram N=500 S=8"``.
    unit : str
        ``"step"``; ``"update"`` for the 1-D ReLU networks, ``"block"`` for an initialisation
        ensemble, ``"task"`` for a sweep.
    initial : int
        Already done when the bar starts (a resumed sweep's stored tasks).
    """

    def __init__(self, enabled: bool, total: int, desc: str, unit: str = "step", initial: int = 0):
        self._bar = None
        if enabled:
            from tqdm.auto import tqdm
            self._bar = tqdm(total=int(total), initial=int(initial), unit=unit, desc=desc)

    def update(self, n: int = 1, postfix: dict | None = None) -> None:
        """Advance the bar by ``n``; ``postfix`` (e.g. counts per status) is shown beside it."""
        if self._bar is not None:
            self._bar.update(n)
            if postfix is not None:
                self._bar.set_postfix(postfix)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def run_schedule(stops, advance, record=None, *, chunk: int | None = None, progress: bool = False,
                 desc: str = "", unit: str = "step", postfix=None, run_empty: bool = False) -> int:
    """Advance a run from step 0 to ``stops[-1]``, chunk by chunk, stopping at every entry of ``stops``.

    Parameters
    ----------
    stops : array_like of int, shape (R,)
        Sorted steps, ``stops[0] == 0`` (a record grid, or the steps of periodic checks). A chunk
        never crosses a stop.
    advance : callable (step, n) -> bool or None
        Advances every running member by ``n`` >= 1 steps from the global step ``step`` (the
        simulator's kernel, its finiteness test, its retiring of stopped members). Returning
        ``False`` says no member is left: the run ends after this chunk.
    record : callable (j) -> None, optional
        Called with ``j = 0`` before the first chunk and with ``j`` once step ``stops[j]`` is reached.
    chunk : int >= 1, optional
        Most steps per call of ``advance`` (default: from one stop to the next).
    progress : bool
        A :class:`Progress` bar over ``stops[-1]`` steps, labelled ``desc`` in ``unit``.
    postfix : callable () -> dict, optional
        The bar's postfix after each chunk (e.g. members per status).
    run_empty : bool
        When ``stops[-1] == 0``, still call ``advance(0, 0)`` once: for simulators whose chunk
        also evaluates the end state (final loss, status), so a run of zero steps reports it.

    Returns
    -------
    int
        The step reached: ``stops[-1]``, or the end of the chunk after which ``advance`` said
        that no member was left.
    """
    stops = np.asarray(stops)
    if stops.ndim != 1 or stops.size < 1 or stops[0] != 0 or np.any(np.diff(stops) < 0):
        raise ValueError(f"stops must be a sorted 1-D grid of steps starting at 0, got {stops!r}")
    chunk = None if chunk is None else _checks.integer("chunk", chunk, minimum=1)
    if record is not None:
        record(0)
    step = 0
    with Progress(progress, int(stops[-1]), desc, unit) as bar:
        if run_empty and int(stops[-1]) == 0:
            advance(0, 0)
            return 0
        for j in range(1, stops.size):
            end = int(stops[j])
            while step < end:
                n = end - step if chunk is None else min(chunk, end - step)
                alive = advance(step, n)
                step += n
                bar.update(n, None if postfix is None else postfix())
                if alive is False:
                    return step
            if record is not None:
                record(j)
    return step


class Members:
    """The running members of an ensemble of ``n``, and the record of each one that has stopped.

    Parameters
    ----------
    n : int >= 1
        Ensemble size.
    cap : int
        The stop step of a member that never stops early (its status stays ``status``).
    status : str
        The status until a member retires (``"cap"``: it ran to the cap).
    width : int
        Longest status name (the status array is ``<U{width}``).

    Attributes
    ----------
    idx : ndarray of int64 (m,)
        Ensemble indices of the m running members, in order; the simulator's running arrays have
        the member on axis 0 in this order.
    status : ndarray of str (n,); stop : ndarray of int64 (n,); final : ndarray of float (n,)
        Why each member stopped, at which step, and its final value (NaN while it runs).
    """

    def __init__(self, n: int, cap: int, *, status: str = "cap", width: int = 13):
        n = _checks.integer("n", n, minimum=1)
        self.idx = np.arange(n)
        self.status = np.full(n, status, dtype=f"<U{int(width)}")
        self.stop = np.full(n, int(cap), dtype=np.int64)
        self.final = np.full(n, np.nan)

    def retire(self, out, why, stop, final, into=(), values=()) -> np.ndarray:
        """Record the running members ``out`` as stopped; returns their ensemble indices.

        Parameters
        ----------
        out : bool ndarray (m,)
            Which running members stop (they stay in :attr:`idx` until :meth:`keep`).
        why : str or ndarray of str (m,)
            Their status.
        stop : int or int ndarray (m,)
            The step at which each stopped.
        final : ndarray (m,)
            Their final value (a loss).
        into, values : sequences of arrays, of equal length
            For each pair, ``into[k]`` (n, ...) over the whole ensemble receives the retiring
            members' rows of ``values[k]`` (m, ...) over the running ones (their end state).
        """
        if len(into) != len(values):
            raise ValueError(f"into and values must pair up, got {len(into)} and {len(values)} arrays")
        ids = self.idx[out]
        self.status[ids] = why if isinstance(why, str) else why[out]
        self.stop[ids] = stop if np.isscalar(stop) else stop[out]
        self.final[ids] = final[out]
        for full, run in zip(into, values):
            full[ids] = run[out]
        return ids

    def keep(self, keep) -> None:
        """Keep the running members ``keep`` (bool (m,)); the simulator compacts its arrays alike."""
        self.idx = self.idx[keep]

    @property
    def running(self) -> int:
        """How many members are still running."""
        return int(self.idx.size)

    def counts(self, names) -> dict:
        """How many retired members have each status of ``names`` (a progress bar's postfix)."""
        gone = np.ones(self.status.size, bool)
        gone[self.idx] = False
        return {s: int((self.status[gone] == s).sum()) for s in names}


def finite_members(bk, arrays) -> np.ndarray:
    """Host bool (S,): member s has every entry of every array finite.

    Parameters
    ----------
    bk : sims.backends.Backend
        The arrays' backend (``bk.xp`` its array namespace, ``bk.to_numpy`` the copy to the host).
    arrays : sequence of arrays of shape (S, ...)
        A member's state: its weights, order parameters or loss, with the member on axis 0.
    """
    xp = bk.xp
    ok = None
    for a in arrays:
        fin = xp.all(xp.isfinite(xp.reshape(a, (a.shape[0], -1))), axis=1)
        ok = fin if ok is None else ok & fin
    return bk.to_numpy(ok)
