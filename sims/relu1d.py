r"""Training many 1-D two-layer ReLU networks at once (Holzmueller & Steinwart, arXiv:2002.04861).

f(x) = c + sum_i w_i relu(a_i x + b_i); loss L = 1/2 sum_j p_j (f(x_j) - y_j)^2. Initialisations:
``"he"`` (a ~ N(0, 2), w ~ N(0, 2/n), b = c = 0, the paper's) and ``"swapped"`` (a ~ N(0, 2/n),
w ~ N(0, 2): the negative control). Optimisers, each with a per-network step h:

- ``"gd"``: full-batch gradient descent (the paper's; large step h = 1/lambda_max, or small);
- ``"sgd"``: each update uses a minibatch of ``batch_size`` points drawn i.i.d. from p (weights
  counts/batch_size times sum p, so the minibatch loss is unbiased), as in the paper's SGD runs;
  every network has its own random stream (SeedSequence child), so network i's minibatches do not
  depend on the batch of networks or on the backend;
- ``"adam"``: Adam (Kingma & Ba, arXiv:1412.6980, Alg. 1) on the full-batch loss, step h.

A crossing is any change of the activation pattern 1[a_i x_j + b_i > 0] at a data point, checked
after every update against the initial pattern -- so a neuron whose slope flips sign within one
step changes the pattern of every data point on both sides and is caught too. Every network ends
with a status: ``"crossed"``, ``"certified"`` (GD only: the pattern provably never changes again,
:mod:`theory.relu1d.certificate`, tested every ``check_every`` updates), ``"early_stopped"``
(validation loss with weights ``p_val`` not improved by ``min_delta`` in ``patience`` checks) or
``"cap"``. Stopped networks are frozen at once and leave the batch at the next check.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks

from theory.relu1d import check_data, frozen_limit_loss

from .backends import as_seed_sequence, compiled_kernels, get_backend
from twolayer.driver import Members, run_schedule

__all__ = ["OPTIMIZERS", "TrainResult", "draw_relu1d_init", "train_relu1d", "train_snapshots", "paper_networks",
           "crossing_task"]

OPTIMIZERS = ("gd", "sgd", "adam")


@dataclass(frozen=True)
class TrainResult:
    """Per-network outcome (first axis B).

    status : (B,) str, "crossed" | "certified" | "early_stopped" | "cap"
    stop_epoch : (B,) int, update count at which the network stopped
    crossing_epoch : (B,) int, first update with a pattern change (-1: none)
    final_loss : (B,) training loss (weights p) at stop_epoch
    limit_loss : (B,) L* of the frozen pattern for the network's weights p
    val_loss : (B,) best validation loss (weights p_val) seen at a check, or None
    loss : (B, n_epochs+1) training-loss curve (NaN after stop_epoch), or None
    params : tuple (a, b, w, c) at stop_epoch, shapes (B, n) x3 and (B,)
    """

    status: np.ndarray
    stop_epoch: np.ndarray
    crossing_epoch: np.ndarray
    final_loss: np.ndarray
    limit_loss: np.ndarray
    val_loss: np.ndarray | None
    loss: np.ndarray | None
    params: tuple


def draw_relu1d_init(n: int, n_nets: int, seed=0, init: str = "he"):
    """Initial (a, w) of shape (n_nets, n); b = c = 0."""
    n = _checks.integer("n (width)", n, minimum=1)
    n_nets = _checks.integer("n_nets", n_nets, minimum=1)
    if init not in ("he", "swapped"):
        raise ValueError(f"init must be 'he' or 'swapped', got {init!r}")
    rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
    va, vw = (2.0, 2.0 / n) if init == "he" else (2.0 / n, 2.0)
    return rng.normal(0, math.sqrt(va), (n_nets, n)), rng.normal(0, math.sqrt(vw), (n_nets, n))


def _check_options(optimizer, batch_size, betas, eps, certify, p_val, patience, min_delta, check_every, B, P):
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if optimizer == "sgd" and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"batch_size must be an integer >= 1 for optimizer='sgd', got {batch_size!r}")
    if optimizer == "adam" and not (0 <= betas[0] < 1 and 0 <= betas[1] < 1 and eps > 0):
        raise ValueError(f"betas must lie in [0, 1) and eps > 0, got betas={betas!r}, eps={eps!r}")
    if certify and optimizer != "gd":
        raise ValueError("certify=True needs optimizer='gd' (the certificate bounds full-batch GD)")
    _checks.integer("check_every", check_every, minimum=1)
    if (p_val is None) != (patience is None):
        raise ValueError("early stopping needs both p_val and patience")
    if patience is not None:
        if not isinstance(patience, (int, np.integer)) or patience < 1:
            raise ValueError(f"patience must be an integer >= 1, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        p_val = np.broadcast_to(np.asarray(p_val, float), (B, P)).copy()
        if np.any(p_val < 0) or not np.all(np.isfinite(p_val)):
            raise ValueError("p_val must be non-negative finite weights, one per data point")
    return p_val


def train_relu1d(a0, w0, x, y, p, h, n_epochs: int, *, optimizer: str = "gd", batch_size: int | None = None,
                 betas=(0.9, 0.999), eps: float = 1e-8, certify: bool = False, p_val=None,
                 patience: int | None = None, min_delta: float = 0.0, check_every: int = 50, seed=0,
                 backend="numpy", record_loss: bool = False, use_numba: bool = True,
                 progress: bool = False, b0=None, c0=None, memory_budget: float = 4 * 2**30) -> TrainResult:
    """Train every network until it crosses, is certified, stops early, or reaches ``n_epochs`` updates.

    Parameters
    ----------
    a0, w0 : array_like, shape (B, n)
        Initial slopes and output weights (b = c = 0).
    x, y : array_like, shape (P,)
        Data (at least two points per side of 0).
    p : array_like, shape (B, P) or (P,)
        Training weights (e.g. :func:`theory.relu1d.empirical_weights`).
    h : float or array_like (B,), > 0
        Step size per network.
    n_epochs : int
        Cap on the number of updates.
    optimizer : {"gd", "sgd", "adam"}
    batch_size : int
        Minibatch size for ``"sgd"``.
    betas, eps : Adam's moment decays and denominator offset.
    certify : bool
        GD only: stop networks certified never to cross (status ``"certified"``).
    p_val, patience, min_delta : early stopping on the validation loss 1/2 sum p_val (f - y)^2,
        evaluated every ``check_every`` updates.
    check_every : int
        Interval of the checks (certificate, early stopping) and of removing stopped networks.
    seed : int or SeedSequence
        Root of the per-network minibatch streams (``"sgd"``).
    backend : str
        Any backend of :func:`sims.backends.get_backend` (float64).
    use_numba : bool
        GD on the NumPy backend: run the fused compiled kernel (same arithmetic).
    progress : bool
        tqdm bar over the updates, with the counts per status.
    b0, c0 : array_like (B, n) and (B,), optional
        Initial biases (default 0), e.g. to resume from ``TrainResult.params``; crossings are
        counted against the pattern of this initial state.
    memory_budget : float
        Bytes the call may hold (default 4 GiB): parameters, optimiser moments, the (B, n, P)
        pre-activations of the array-API path and the loss curve. Checked before any work, with
        the estimate in the message.

    Notes
    -----
    The array-API path (torch, CuPy, or NumPy with ``use_numba=False``) uses that a network keeps
    its initial activation pattern until it crosses, which is exactly what is monitored: with the
    float mask M0 (n, P) of that pattern, f = c + x (w a) M0 + (w b) M0 and the gradients are
    w S1, w S0, a S1 + b S0 and sum r with S = M0 [r x, r] (r = p (f - y)). That is exact until the
    first crossing; from the crossing update on the network is frozen (step 0) and leaves at the
    next check. Per update: two (m, n, P) matmuls, one pattern matmul (m, n, 2) @ (2, P) and its
    comparison, no host synchronisation (the crossing epochs stay on the device until the check).
    """
    x, y, p = check_data(x, y, p)
    a0, w0 = (np.atleast_2d(_checks.array(name, v)) for name, v in (("a0", a0), ("w0", w0)))
    if a0.shape != w0.shape:
        raise ValueError(f"a0 and w0 must have the same shape, got {a0.shape} and {w0.shape}")
    B, n = a0.shape
    P_ = x.size
    h = np.broadcast_to(_checks.array("h", h, finite=False), (B,)).copy()
    if np.any(~np.isfinite(h)) or np.any(h <= 0):
        raise ValueError("h (step size) must be finite and > 0")
    n_epochs = _checks.integer("n_epochs", n_epochs, minimum=0)
    p = np.broadcast_to(p, (B, P_)).copy()
    p_val = _check_options(optimizer, batch_size, betas, eps, certify, p_val, patience, min_delta, check_every, B, P_)
    bk = get_backend(backend)
    fused = compiled_kernels(bk, use_numba) and optimizer == "gd"
    floats = 16 * B * n + 2 * B * P_ + (B * (n_epochs + 1) if record_loss else 0) \
        + (0 if fused else 5 * B * n * P_ + (8 * B * n if optimizer == "adam" else 0)
           + (B * min(check_every, n_epochs) if record_loss else 0))
    _checks.memory("memory_budget", 8.0 * floats, _checks.positive("memory_budget", memory_budget),
                   hint="or fewer networks, or record_loss=False" if record_loss else "or fewer networks")
    xp = bk.xp
    dev = None if bk.kind == "numpy" else getattr(bk.asarray(0.0), "device", None)
    X, Y = bk.asarray(x), bk.asarray(y)
    rngs = ([np.random.Generator(np.random.PCG64(s)) for s in as_seed_sequence(seed).spawn(B)]
            if optimizer == "sgd" else None)

    members = Members(B, n_epochs, width=13)
    crossing = np.full(B, -1, dtype=np.int64)
    best_val = np.full(B, np.inf) if patience else None
    wait = np.zeros(B, dtype=np.int64)
    b0 = np.zeros_like(a0) if b0 is None else np.array(np.broadcast_to(np.asarray(b0, float), a0.shape))
    c0 = np.zeros(B) if c0 is None else np.array(np.broadcast_to(np.asarray(c0, float), (B,)))
    if not (np.all(np.isfinite(b0)) and np.all(np.isfinite(c0)) and np.all(np.isfinite(a0)) and np.all(np.isfinite(w0))):
        raise ValueError("a0, w0, b0 and c0 must be finite")
    out_a, out_b, out_w, out_c = a0.copy(), b0.copy(), w0.copy(), c0.copy()
    curve = np.full((B, n_epochs + 1), np.nan) if record_loss else None

    if fused:
        a, b, w, c = a0.copy(), b0.copy(), w0.copy(), c0.copy()
    else:
        a, b, w, c = bk.asarray(a0), bk.asarray(b0), bk.asarray(w0), bk.asarray(c0)
        Pb, Hs = bk.asarray(p), bk.asarray(h)
        X1 = xp.stack([X, xp.ones_like(X)])                                     # (2, P)

        def on_pattern(a, b):                            # pre-activation > 0, one matmul (m, n, 2) @ (2, P)
            return (xp.stack([a, b], axis=-1) @ X1) > 0

        pattern0 = on_pattern(a, b)
        if optimizer == "adam":
            mom = [xp.zeros_like(v) for v in (a, b, w, c)] * 2          # first moments, then second

    def forward(a, b, w, c):                         # the true ReLU network's outputs (m, P)
        pre = a[:, :, None] * X + b[:, :, None]
        return c[:, None] + xp.sum(w[:, :, None] * xp.maximum(pre, 0.0 * pre), axis=1)

    def advance(t, steps):
        """``steps`` updates from update ``t`` of the running networks, then their checks and retiring."""
        nonlocal a, b, w, c, Pb, Hs, pattern0, mom
        idx = members.idx
        live_at = np.full(idx.size, -1, dtype=np.int64)          # crossing update within this chunk
        if fused:
            from ._relu1d_numba import gd_kernel
            cr = np.empty(idx.size, dtype=np.int64)
            fl = np.empty(idx.size)
            cv = np.full((idx.size, steps + 1), np.nan) if record_loss else np.empty((1, 1))
            pk, hk = np.ascontiguousarray(p[idx]), np.ascontiguousarray(h[idx])
            m = idx.size
            _checks.kernel_arrays("gd_kernel", a=(a, (m, n), float), b=(b, (m, n), float), w=(w, (m, n), float),
                                  c=(c, (m,), float), p=(pk, (m, P_), float), h=(hk, (m,), float),
                                  x=(x, (P_,), float), y=(y, (P_,), float))
            gd_kernel(a, b, w, c, pk, hk, x, y, int(steps), cr, fl, cv, bool(record_loss))
            live_at = np.where(cr >= 0, t + cr, -1)
            if record_loss:
                curve[idx, t:t + steps + 1] = cv            # NaN after a network's crossing
            Lh = fl
            f = forward(a, b, w, c) if patience else None
            ah, bh, wh, ch = a, b, w, c
        else:
            live = xp.full_like(Hs, -1.0)                    # crossing update within this chunk, on the device
            M0 = xp.astype(pattern0, X.dtype)                # (m, n, P) float mask of the initial pattern
            if optimizer == "sgd":
                sub = np.stack([rngs[i].multinomial(batch_size, p[i] / p[i].sum(), size=max(steps, 1))
                                for i in idx]) * (p[idx].sum(-1)[:, None, None] / batch_size)    # (b, steps, P)
                Wb = bk.asarray(sub)
            losses = []
            for s in range(steps):
                # Live networks keep their initial pattern, so the network is linear in (a, b) at a
                # fixed mask M0 until its first crossing; frozen (crossed) networks get hg = 0.
                U = xp.stack([w * a, w * b], axis=1) @ M0                            # (m, 2, P)
                f = c[:, None] + U[:, 0, :] * X + U[:, 1, :]
                if record_loss:
                    losses.append(0.5 * xp.sum(Pb * (f - Y) ** 2, axis=1))
                Wt = Wb[:, s, :] if optimizer == "sgd" else Pb
                r = Wt * (f - Y)                                                   # dL/df
                S = M0 @ xp.stack([r * X, r], axis=-1)                               # (m, n, 2)
                S1, S0 = S[:, :, 0], S[:, :, 1]
                g = [w * S1, w * S0, a * S1 + b * S0, xp.sum(r, axis=1)]
                if optimizer == "adam":
                    k = t + s + 1
                    for j in range(4):
                        mom[j] = betas[0] * mom[j] + (1 - betas[0]) * g[j]
                        mom[4 + j] = betas[1] * mom[4 + j] + (1 - betas[1]) * g[j] ** 2
                        g[j] = (mom[j] / (1 - betas[0] ** k)) / (xp.sqrt(mom[4 + j] / (1 - betas[1] ** k)) + eps)
                hg = Hs * xp.astype(live < 0, Hs.dtype)                             # crossed: step 0
                a, b, w, c = a - hg[:, None] * g[0], b - hg[:, None] * g[1], w - hg[:, None] * g[2], c - hg * g[3]
                changed = xp.any(on_pattern(a, b) != pattern0, axis=(1, 2))
                live = xp.where((live < 0) & changed, xp.full_like(live, t + s + 1), live)   # no host sync
            live_at = bk.to_numpy(live).astype(np.int64)
            if record_loss and steps:
                lc = bk.to_numpy(xp.stack(losses, axis=1))                           # (m, steps)
                valid = (live_at[:, None] < 0) | (t + np.arange(steps)[None, :] < live_at[:, None])
                curve[idx, t:t + steps] = np.where(valid, lc, np.nan)
            f = forward(a, b, w, c)
            Lh = bk.to_numpy(0.5 * xp.sum(Pb * (f - Y) ** 2, axis=1))
            if record_loss:
                end = live_at < 0
                curve[idx[end], t + steps] = Lh[end]
                curve[idx[~end], live_at[~end]] = Lh[~end]
            ah, bh, wh, ch = (bk.to_numpy(v) for v in (a, b, w, c))
        t += steps
        done = live_at >= 0
        why = np.where(done, "crossed", "").astype("<U13")
        crossing[idx[done]] = live_at[done]
        if certify and t < n_epochs:
            from theory.relu1d import frozen_pattern_certificate
            cert = frozen_pattern_certificate(x, y, p[idx], h[idx], np.stack([ah, bh, wh], axis=-1), ch)
            why[~done & cert.certified] = "certified"
        if patience and t < n_epochs:
            vl = 0.5 * np.sum(p_val[idx] * (bk.to_numpy(f) - y) ** 2, axis=1)
            better = vl < best_val[idx] - min_delta
            best_val[idx] = np.where(better, vl, best_val[idx])
            wait[idx] = np.where(better, 0, wait[idx] + 1)
            why[(why == "") & (wait[idx] >= patience)] = "early_stopped"
        if t >= n_epochs:
            why[why == ""] = "cap"
        out = why != ""                               # crossed at live_at, every other status at t
        members.retire(out, why, np.where(done, live_at, t), Lh, into=(out_a, out_b, out_w, out_c),
                       values=(ah, bh, wh, ch))
        keep = ~out
        members.keep(keep)
        if not members.running or t >= n_epochs:
            return False
        if fused:
            a, b, w, c = a[keep], b[keep], w[keep], c[keep]
        else:
            k = xp.asarray(np.nonzero(keep)[0], device=dev)
            a, b, w, c, Pb, Hs, pattern0 = (xp.take(v, k, axis=0) for v in (a, b, w, c, Pb, Hs, pattern0))
            if optimizer == "adam":
                mom = [xp.take(v, k, axis=0) for v in mom]
        return True

    run_schedule([0, n_epochs], advance, chunk=check_every, progress=progress, desc=f"relu1d {optimizer} n={n}",
                 unit="update", postfix=lambda: members.counts(("crossed", "certified", "early_stopped")),
                 run_empty=True)
    return TrainResult(members.status, members.stop, crossing, members.final, frozen_limit_loss(x, y, p),
                       best_val, curve, (out_a, out_b, out_w, out_c))


def train_snapshots(a0, w0, x, y, p, h, epochs, **kwargs):
    """Full-batch GD parameters of every network at each epoch of ``epochs`` (kink pictures).

    Runs :func:`train_relu1d` (GD, so a resumed run is the same run) from one epoch of the grid to
    the next, resuming from the parameters it stopped at. A network stops at its first pattern
    change (status "crossed"); its entries after that epoch are NaN.

    Parameters
    ----------
    a0, w0, x, y, p, h : as :func:`train_relu1d`.
    epochs : array_like of int (R,)
        Non-decreasing epochs, the first >= 0 (0 records the start).
    **kwargs
        Passed to :func:`train_relu1d` (``backend``, ``use_numba``, ...; not ``optimizer``).

    Returns
    -------
    dict with "epochs" (R,), "a", "b", "w" (R, B, n), "c" (R, B) and "stop_epoch" (B,): the
    update count at which each network stopped (the last epoch for one that never crossed).
    """
    refused = sorted(set(kwargs) & {"optimizer", "b0", "c0", "certify", "patience", "p_val", "min_delta"})
    if refused:
        raise ValueError(f"train_snapshots runs plain GD from (a0, 0, w0, 0) and stops a network only at its "
                         f"crossing; {', '.join(refused)} cannot be passed")
    t = _checks.time_grid("epochs", epochs, strict=False, minimum=0)
    if np.any(t != np.round(t)):
        raise ValueError("epochs must be integers")
    a = np.atleast_2d(_checks.array("a0", a0)).copy()          # updated in place below: never the caller's
    w = np.atleast_2d(_checks.array("w0", w0)).copy()
    if a.shape != w.shape:
        raise ValueError(f"a0 and w0 must have the same shape, got {a.shape} and {w.shape}")
    B, n = a.shape
    p = np.broadcast_to(_checks.array("p", p), (B, np.asarray(x).size))
    h = np.broadcast_to(_checks.array("h", h), (B,))
    out = {k: np.full((t.size, B, n), np.nan) for k in ("a", "b", "w")}
    out["c"] = np.full((t.size, B), np.nan)
    b, c = np.zeros_like(a), np.zeros(B)
    live = np.ones(B, bool)
    stop = np.full(B, int(t[-1]), dtype=np.int64)
    done = 0
    for r, epoch in enumerate(t.astype(np.int64)):
        if epoch > done and live.any():
            idx = np.flatnonzero(live)
            res = train_relu1d(a[idx], w[idx], x, y, p[idx], h[idx], int(epoch - done), b0=b[idx], c0=c[idx],
                               **kwargs)
            a[idx], b[idx], w[idx], c[idx] = res.params
            crossed = res.status == "crossed"
            stop[idx[crossed]] = done + res.stop_epoch[crossed]
            live[idx[crossed]] = False
            done = int(epoch)
        for k, v in (("a", a), ("b", b), ("w", w)):
            out[k][r, live] = v[live]
        out["c"][r, live] = c[live]
    out["epochs"], out["stop_epoch"] = t, stop
    return out


def paper_networks(n: int, n_nets: int, init: str = "he", step: str = "large", *, seed):
    """The paper's Monte Carlo set-up: initial (a0, w0) (n_nets, n), weights p (n_nets, 6) from an empirical
    sample of N = n^2 points, and the step h (n_nets,): 1/lambda_max (``"large"``) or 0.01/n (``"small"``).
    One SeedSequence child for the initialisation, one for the data."""
    from theory.relu1d import PAPER_X, empirical_weights, large_step, side_moments
    if step not in ("large", "small"):
        raise ValueError(f"step must be 'large' or 'small', got {step!r}")
    s_init, s_data = as_seed_sequence(seed).spawn(2)
    a0, w0 = draw_relu1d_init(n, n_nets, seed=s_init, init=init)
    p = empirical_weights(n * n, n_nets, seed=s_data)
    h = (large_step(PAPER_X, p, side_moments(a0, np.zeros_like(a0), w0)) if step == "large"
         else np.full(n_nets, 0.01 / n))
    return a0, w0, p, h


def crossing_task(n: int, n_nets: int, n_epochs: int, init: str = "he", step: str = "large", *, seed,
                  certify_every: int | None = 500):
    """One sweep task (:func:`sims.sweep.run_sweep`): decide the bad event for ``n_nets`` networks of width n.

    Set-up of :func:`paper_networks`; GD run on the width-independent reduced system (exact until
    the first crossing) with the never-cross certificate every ``certify_every`` epochs (None: no
    certificate). Returns {"status": (n_nets,) str (crossed / certified / degenerate / cap),
    "stop_epoch", "crossing_epoch" (-1: none), "final_loss", "crossing_kind"}: the last is
    :func:`theory.relu1d.crossing_kinds`' "kind" ("kink", "flip": a slope sign flip that the
    authors' |b/a| >= 1 test misses, "both", or "" when the network did not cross).
    """
    from theory.relu1d import PAPER_X, PAPER_Y, crossing_kinds, reduced_gd
    a0, w0, p, h = paper_networks(n, n_nets, init, step, seed=seed)
    red = reduced_gd(a0, w0, PAPER_X, PAPER_Y, p, h, _checks.integer("n_epochs", n_epochs, minimum=0),
                     certify_every=certify_every, record_loss=False)
    return {"status": red.status, "stop_epoch": red.stop_epoch, "crossing_epoch": red.crossing_epoch,
            "final_loss": red.final_loss, "crossing_kind": crossing_kinds(a0, w0, PAPER_X, red)["kind"]}
