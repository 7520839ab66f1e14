r"""Frozen-pattern GD of many 1-D two-layer ReLU networks at a cost independent of their width.

Holzmueller & Steinwart, arXiv:2002.04861 (JMLR 2022); the reduced system of
:mod:`theory.relu1d.frozen` (docs/THEORY.md E), iterated per network until a kink reaches a data point,
the pattern is certified frozen for ever (:mod:`theory.relu1d.certificate`) or the epoch cap.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks
from twolayer.driver import Members, run_schedule

from .certificate import frozen_pattern_certificate
from .frozen import check_data, frozen_outputs, side_moments

__all__ = ["ReducedTrajectory", "neurons_at", "reduced_gd", "crossing_kinds"]


@dataclass(frozen=True)
class ReducedTrajectory:
    """Outcome of :func:`reduced_gd`, per network (first axis B).

    status : (B,) str, why the network stopped: ``"crossed"`` (a kink reached a data point, or a
        slope changed sign), ``"certified"`` (the pattern provably never changes again,
        :mod:`theory.relu1d.certificate`), ``"degenerate"`` (no certificate possible: a side without
        neurons or singular data moments; stopped at a certification check) or ``"cap"`` (n_epochs reached)
    stop_epoch : (B,) int, the epoch at which it stopped (the crossing epoch for ``"crossed"``)
    crossing_epoch : (B,) int, the crossing epoch, -1 for every other status
    final_loss : (B,) loss at stop_epoch; for ``"crossed"`` at stop_epoch - 1, the last epoch the
        reduced system describes (after a pattern change it no longer gives the loss)
    loss : (B, n_epochs+1) loss curve, held at final_loss after that epoch; None unless ``record_loss``
    Sigma, c, M : state at stop_epoch: (B, 2, 3, 3), (B,), (B, 2, 3, 3) per-side moments, output
        bias and per-side maps theta_i(t) = M_sigma theta_i(0)
    """

    status: np.ndarray
    stop_epoch: np.ndarray
    crossing_epoch: np.ndarray
    final_loss: np.ndarray
    loss: np.ndarray | None
    Sigma: np.ndarray
    c: np.ndarray
    M: np.ndarray


def neurons_at(a0, w0, M):
    """theta_i(t) = M_sigma(t) (a_i, 0, w_i)(0) for every neuron; (B, n) x2, (B, 2, 3, 3) -> (B, n, 3)."""
    a0, w0 = np.atleast_2d(a0), np.atleast_2d(w0)
    th0 = np.stack([a0, np.zeros_like(a0), w0], axis=-1)
    Mi = np.where((a0 > 0)[..., None, None], M[:, None, 0], M[:, None, 1])
    return np.einsum("bnij,bnj->bni", Mi, th0)


def _next_check(t: int, every: int) -> int:
    """Epoch of the certificate check after epoch t: every ``every`` epochs, then every t // 20."""
    return t + max(every, t // 20)


def reduced_gd(a0, w0, x, y, p, h, n_epochs: int, *, start=None, certify_every: int | None = None,
               record_loss: bool = True, use_numba: bool = True, memory_budget: float = 4 * 2**30) -> ReducedTrajectory:
    """Frozen-pattern GD of many networks with cost independent of their width.

    Parameters
    ----------
    a0, w0 : array_like, shape (B, n)
        Initial slopes and output weights (b = 0).
    x, y : array_like, shape (P,)
    p : array_like, shape (B, P) or (P,)
    h : float or array_like (B,)
    n_epochs : int
        Epoch cap.
    start : tuple (Sigma, c, M), optional
        Resume from a state of an earlier run (e.g. ``(r.Sigma, r.c, r.M)`` of a
        :class:`ReducedTrajectory` from the same a0, w0); epochs are counted from there.
    certify_every : int, optional
        Test :func:`theory.relu1d.certificate.frozen_pattern_certificate` (O(n) per network) every
        max(certify_every, t // 20) epochs -- at most ~50 checks per decade of epochs, so long runs
        at large n are not dominated by the checks; certified networks stop with status ``"certified"``.
    record_loss : bool
        Keep the whole loss curve (B x (n_epochs+1) floats).
    use_numba : bool
        Run the epochs in the compiled per-network kernel (same arithmetic as the NumPy loop, which
        ``use_numba=False`` runs; they agree to round-off).
    memory_budget : float
        Bytes the call may hold (default 4 GiB), the loss curve included; checked before any work.

    The first epoch at which some neuron theta_i(t) = M_sigma(t) theta_i(0) has a kink -b_i/a_i
    reaching an inner data point (or its slope changing sign) is reported; after it the reduced
    dynamics no longer describes GD, and that network stops. The check costs O(1) per network and
    epoch (extreme ratios w_i/a_i per side), so the run is independent of n except for the
    certificates. Stopped networks leave the batch.
    """
    x, y, p = check_data(x, y, p)
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)       # any layout in; C order for the kernel
    a0, w0 = (np.atleast_2d(_checks.array(name, v)) for name, v in (("a0", a0), ("w0", w0)))
    B, n = a0.shape
    if a0.ndim != 2 or w0.shape != a0.shape:
        raise ValueError(f"a0 and w0 must both have shape (B, n), got {a0.shape} and {w0.shape}")
    n_epochs = _checks.integer("n_epochs", n_epochs, minimum=0)
    floats = B * (2 * n + 3 * x.size + 45) + (B * (n_epochs + 1) if record_loss else 0)
    _checks.memory("memory_budget", 8.0 * floats, _checks.positive("memory_budget", memory_budget),
                   hint="or record_loss=False, or fewer networks")
    if certify_every is not None and (not isinstance(certify_every, (int, np.integer)) or certify_every < 1):
        raise ValueError(f"certify_every must be a positive integer or None, got {certify_every!r}")
    p = np.broadcast_to(p, (B, x.size))
    h = np.broadcast_to(_checks.array("h", h, finite=False), (B,))
    if np.any(~np.isfinite(h)) or np.any(h <= 0):
        raise ValueError("h (step size) must be finite and > 0")
    if start is None:
        Sigma_all = side_moments(a0, np.zeros_like(a0), w0)
        c_all = np.zeros(B)
        M_all = np.broadcast_to(np.eye(3), (B, 2, 3, 3)).copy()
    else:
        Sigma_all, c_all, M_all = (np.array(v, float) for v in start)
        if Sigma_all.shape != (B, 2, 3, 3) or c_all.shape != (B,) or M_all.shape != (B, 2, 3, 3):
            raise ValueError("start must be (Sigma (B, 2, 3, 3), c (B,), M (B, 2, 3, 3)) for the B networks of a0")
    members = Members(B, n_epochs, width=10)         # every network retires (at the cap, at the latest)
    loss = np.full((B, n_epochs + 1), np.nan) if record_loss else None
    pos = x > 0
    sides = (pos, ~pos)
    lo, hi = x[~pos].max(), x[pos].min()       # kinks must stay strictly inside (lo, hi)
    sgn = a0 > 0
    r = w0 / a0
    has = np.stack([sgn.any(-1), (~sgn).any(-1)], axis=-1)                     # (B, 2): side has neurons
    rmin = np.stack([np.where(sgn, r, np.inf).min(-1), np.where(~sgn, r, np.inf).min(-1)], axis=-1)
    rmax = np.stack([np.where(sgn, r, -np.inf).max(-1), np.where(~sgn, r, -np.inf).max(-1)], axis=-1)
    rmin, rmax = np.where(has, rmin, 0.0), np.where(has, rmax, 0.0)
    Sigma, c, M, P, H = Sigma_all, c_all, M_all, np.asarray(p), np.asarray(h)

    def retire(out, why, t, L):
        members.retire(out, why, t, L, into=(Sigma_all, c_all, M_all), values=(Sigma, c, M))

    def certify(m, t, L):
        """Certificate for the running networks m at epoch t; retires certified/degenerate, returns them."""
        ids = members.idx[m]
        cert = frozen_pattern_certificate(x, y, P[m], H[m], neurons_at(a0[ids], w0[ids], M[m]), c[m])
        out = np.zeros(members.running, bool)
        for flag, why in ((cert.certified, "certified"), (cert.degenerate, "degenerate")):
            sel = np.zeros(members.running, bool)
            sel[m] = flag
            retire(sel, why, t, L)
            out |= sel
        return out

    def compact(keep):
        nonlocal Sigma, c, M, P, H, rmin, rmax, has
        members.keep(keep)
        Sigma, c, M, P, H, rmin, rmax, has = (v[keep] for v in (Sigma, c, M, P, H, rmin, rmax, has))

    if use_numba:
        from ._reduced_numba import reduced_chunk
        stops = [0]                            # the certificate checks' epochs, then the cap
        while stops[-1] < n_epochs:
            stops.append(n_epochs if certify_every is None else min(n_epochs, _next_check(stops[-1], certify_every)))

        def advance(t, steps):
            """Epochs t .. t1 = t + steps of the running networks in the kernel; retire the stopped ones."""
            nonlocal Sigma, c, M
            t1 = t + steps
            hit, L = np.empty(members.running, dtype=np.int64), np.empty(members.running)
            cv = np.full((members.running, t1 - t + 1), np.nan) if record_loss else np.empty((1, 1))
            Sigma, c, M, Pc, Hc = (np.ascontiguousarray(v) for v in (Sigma, c, M, P, H))
            b_, n_ = members.running, x.size
            _checks.kernel_arrays("reduced_chunk", Sigma=(Sigma, (b_, 2, 3, 3), float), c=(c, (b_,), float),
                                  M=(M, (b_, 2, 3, 3), float), p=(Pc, (b_, n_), float), h=(Hc, (b_,), float),
                                  x=(x, (n_,), float), y=(y, (n_,), float), pos=(pos, (n_,), bool),
                                  rmin=(rmin, (b_, 2), float), rmax=(rmax, (b_, 2), float), has=(has, (b_, 2), bool),
                                  hit=(hit, (b_,), np.int64), last_loss=(L, (b_,), float),
                                  curve=(cv, cv.shape if not record_loss else (b_, t1 - t + 1), float))
            reduced_chunk(Sigma, c, M, Pc, Hc, x, y, pos, rmin, rmax,
                          has, lo, hi, t, t1 - t, hit, L, cv, bool(record_loss))
            if record_loss:
                loss[members.idx, t:t1 + 1] = cv
            out = hit >= 0
            retire(out, "crossed", hit, L)
            if certify_every is not None and t1 < n_epochs:
                out |= certify(~out, t1, L)
            if t1 == n_epochs:
                retire(~out, "cap", t1, L)
                return False
            compact(~out)
            return bool(members.running)

        run_schedule(stops, advance, run_empty=True)
    else:
        check = None if certify_every is None else _next_check(0, certify_every)
        for t in range(n_epochs + 1):
            f = frozen_outputs(x, Sigma, c)
            e = P * (y - f)
            L = 0.5 * (e * (y - f)).sum(-1)
            if record_loss:
                loss[members.idx, t] = L
            out = np.zeros(members.running, bool)
            if check is not None and t == check and t < n_epochs:
                check = _next_check(t, certify_every)
                out = certify(np.ones(members.running, bool), t, L)
            if t == n_epochs:
                retire(~out, "cap", t, L)
                break
            if out.any():
                e, L = e[~out], L[~out]
                compact(~out)
                if not members.running:
                    break
            Qs = np.zeros((members.running, 2, 3, 3))
            for k, side in enumerate(sides):
                u0 = (e[:, side] * x[side]).sum(-1)
                u1 = e[:, side].sum(-1)
                Qs[:, k, 0, 2] = Qs[:, k, 2, 0] = u0
                Qs[:, k, 1, 2] = Qs[:, k, 2, 1] = u1
            step = np.eye(3) + H[:, None, None, None] * Qs
            Sigma = step @ Sigma @ np.swapaxes(step, -1, -2)
            M = step @ M
            c = c + H * e.sum(-1)
            # neuron i of side k: (a, b)(t) = a_i(0) (M00 + r_i M02, M10 + r_i M12), r_i = w_i(0)/a_i(0).
            # Its slope flips iff M00 + r M02 <= 0 (linear in r) and its kink -(M10 + r M12)/(M00 + r M02)
            # is monotone in r between poles: checking each side's extreme r decides every neuron, O(1).
            hit = np.zeros(members.running, bool)
            for k in range(2):
                for rr in (rmin[:, k], rmax[:, k]):
                    den = M[:, k, 0, 0] + rr * M[:, k, 0, 2]
                    num = M[:, k, 1, 0] + rr * M[:, k, 1, 2]
                    kink = -num / np.where(den > 0, den, 1.0)
                    bad = (den <= 0) | (kink <= lo) | (kink >= hi)
                    hit |= bad & has[:, k]
            if hit.any():
                retire(hit, "crossed", t + 1, L)       # final loss: the last frozen epoch t
                compact(~hit)
                if not members.running:
                    break
    status, stop, final = members.status, members.stop, members.final
    if record_loss:           # frozen after the stop epoch
        ep = np.arange(n_epochs + 1)[None, :]
        crossing = status == "crossed"
        loss = np.where(ep > (stop - crossing)[:, None], final[:, None], loss)
    crossing = np.where(status == "crossed", stop, -1)
    return ReducedTrajectory(status, stop, crossing, final, loss, Sigma_all, c_all, M_all)


def crossing_kinds(a0, w0, x, red: ReducedTrajectory) -> dict:
    """What ended each crossed network's frozen pattern, and whether the authors' test sees it.

    At the crossing epoch every neuron theta_i = M_sigma theta_i(0) (:func:`neurons_at`) is
    checked. Our criterion (:func:`reduced_gd`) stops a network when a kink -b_i/a_i leaves the
    open interval between the innermost data points, *or* a slope a_i changes sign. Holzmueller &
    Steinwart's own test (arXiv:2002.04861, section 5) is |b_i / a_i| >= x_in for data whose
    innermost points are -x_in and x_in (the paper's: +-1); here it is read as "a kink outside
    (lo, hi)", the innermost points on each side, which is the same for symmetric data. A slope
    that jumps through 0 in one GD step with its kink staying inside is a pattern change (the
    neuron switches to the other side's data) that their test does not see at that epoch.

    Parameters
    ----------
    a0, w0 : (B, n) initial slopes and output weights; x : (P,) data; red : the run from them.

    Returns
    -------
    dict of (B,) arrays: ``kind`` ("" for a network that did not cross, "kink": only kinks left
    the interval, "flip": only slopes changed sign -- not seen by the authors' test, "both", and
    "edge" when the per-neuron recheck finds neither: the reduced system's extreme-ratio test
    fired at round-off distance from the interval's end), ``authors_test`` (bool: the authors'
    test detects the crossing) and ``flip`` (bool).
    """
    x = np.asarray(x, float)
    lo, hi = x[x <= 0].max(), x[x > 0].min()
    a0, w0 = np.atleast_2d(a0), np.atleast_2d(w0)
    crossed = red.status == "crossed"
    kind = np.full(a0.shape[0], "", dtype="<U4")
    authors = np.zeros(a0.shape[0], bool)
    flip = np.zeros(a0.shape[0], bool)
    if crossed.any():
        th = neurons_at(a0[crossed], w0[crossed], red.M[crossed])
        a, b = th[..., 0], th[..., 1]
        flipped = (np.sign(a) != np.sign(a0[crossed])) | (a == 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(a != 0, -b / a, np.inf)
        out = (k <= lo) | (k >= hi)
        authors[crossed], flip[crossed] = out.any(-1), flipped.any(-1)
        au, fl = authors[crossed], flip[crossed]
        kind[crossed] = np.select([au & fl, au, fl], ["both", "kink", "flip"], "edge")
    return {"kind": kind, "authors_test": authors, "flip": flip}

