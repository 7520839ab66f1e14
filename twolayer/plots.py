"""Figures a researcher asks for, from the library's result objects (matplotlib, extra ``plot``).

Each function draws into a new figure (or the ``ax`` given) and returns the figure; nothing is
shown or saved unless asked (``path=``). matplotlib is imported on the first call (the package
imports without it), and its back end is left as the user or matplotlib chose it.

- :func:`order_parameters`: SGD order parameters and eps_g (ensemble mean with 1-SE bars) against
  ODE lines, over alpha = steps / N (Saad & Solla 1995; Goldt et al. arXiv:1906.08632 Fig. 2).
- :func:`first_layer_animation`: the first-layer weights of a two-layer net as particles over
  training, written as an animated GIF through Pillow (the picture the lazy / mean-field codes
  ship; Chizat, Oyallon & Bach arXiv:1812.07956 Fig. 1).
- :func:`crossing_probability`: the fraction of networks whose kink crosses a data point against
  width n, with exact Clopper-Pearson intervals and the reference line 2 n^(-1/2) (Holzmueller &
  Steinwart arXiv:2002.04861, Theorem 4.5 / Fig. 2).
- :func:`kink_positions`: kinks -b_i / a_i of a 1-D ReLU net over training, with the data points
  (the same paper, Fig. 1); snapshots from :func:`sims.relu1d.train_snapshots`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import checks as _checks

__all__ = ["order_parameters", "first_layer_animation", "crossing_probability", "kink_positions"]


def _plt():
    """pyplot, with whatever back end the user (or matplotlib's own choice: Agg without a display) set."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:                                  # pragma: no cover - depends on the install
        raise ImportError("twolayer.plots needs matplotlib: pip install 'twolayer[plot]'") from None
    return plt


def _axes(ax, ncols=1, width=4.6, height=3.5):
    plt = _plt()
    if ax is not None:
        axes = np.atleast_1d(ax)
        if axes.size != ncols:
            raise ValueError(f"ax must hold {ncols} axes for this figure, got {axes.size}")
        return axes.ravel()[0].figure, list(axes.ravel())
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, list(axes[0])


def _save(fig, path):
    if path is not None:
        fig.savefig(Path(path), dpi=120, bbox_inches="tight")
    return fig


def _mean_se(x):
    """Mean and standard error over the first axis (ignoring NaN; SE is NaN below 2 values)."""
    x = np.asarray(x, float)
    n = np.sum(np.isfinite(x), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.nanmean(x, axis=0) if x.shape[0] else np.full(x.shape[1:], np.nan)
        se = np.where(n > 1, np.nanstd(x, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1)), np.nan)
    return m, se


def order_parameters(sgd, ode=None, *, entries=("eps_g", "R", "Q"), logx=True, ax=None, path=None):
    """SGD against the ODE, one panel per entry.

    Parameters
    ----------
    sgd : sims.teacher_student.SGDTrajectory
        ``alphas`` (n_t,), ``Q`` (S, n_t, K, K), ``R`` (S, n_t, K, M), ``eps_g`` (S, n_t): drawn as
        the mean over the S seeds with 1-SE bars.
    ode : theory.committee_ode.ODETrajectory, optional
        The same quantities, drawn as lines of the same colours; an ODE run with a batch axis (one
        start per seed, as ``twolayer scm-ode --from`` makes) is drawn as the mean over the batch.
    entries : sequence of {"eps_g", "R", "Q", "v"}
        Panels: eps_g (log scale), the diagonal R_kk (k < min(K, M)), the diagonal Q_kk, the
        second-layer weights v_k.
    path : str or Path, optional
        Also save the figure there.
    """
    kinds = ("eps_g", "R", "Q", "v")
    entries = tuple(entries)
    for e in entries:
        _checks.choice("entries", e, kinds)
    if not entries:
        raise ValueError("entries must name at least one of " + ", ".join(kinds))
    a = _checks.time_grid("sgd.alphas", sgd.alphas, strict=False)
    fig, axes = _axes(ax, len(entries))
    for axi, e in zip(axes, entries):
        sims, theo, labels = _series(sgd, e), _series(ode, e) if ode is not None else None, None
        if e != "eps_g":
            labels = [f"{e}$_{{{k}{k}}}$" if e != "v" else f"v$_{{{k}}}$" for k in range(sims.shape[-1])]
        S = sims if sims.ndim == 3 else sims[..., None]
        m, se = _mean_se(S)
        for j in range(S.shape[-1]):
            col = f"C{j}"
            lab = labels[j] if labels else r"$\epsilon_g$"
            axi.errorbar(a, m[:, j], yerr=se[:, j], fmt="o", ms=3, mfc="white", color=col, capsize=1.5,
                         label=f"{lab} SGD ({S.shape[0]} seeds)")
            if theo is not None:
                T = theo if e != "eps_g" else theo[..., None]
                nb = int(np.prod(T.shape[:-2]))
                T = T.reshape((-1,) + T.shape[-2:]).mean(0)         # a batch of ODE starts: their mean
                axi.plot(ode.alphas, T[:, j], "-", color=col, lw=1.4,
                         label=f"{lab} ODE" + (f" (mean of {nb} starts)" if nb > 1 else ""))
        axi.set_xlabel(r"$\alpha$ = steps / N")
        axi.set_ylabel({"eps_g": r"$\epsilon_g$", "R": "teacher overlap R", "Q": "student norm Q",
                        "v": "second-layer weight v"}[e])
        if logx and np.any(a > 0):           # symlog keeps the alpha = 0 record
            axi.set_xscale("symlog", linthresh=float(a[a > 0].min()))
        if e == "eps_g":
            axi.set_yscale("log")
        axi.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def _series(tr, e):
    """(S?, n_t, k) array of one kind of order parameter (eps_g: (S?, n_t))."""
    if e == "eps_g":
        return np.asarray(tr.eps_g, float)
    if e == "v":
        return np.asarray(tr.v, float)
    X = np.asarray(getattr(tr, e), float)
    k = min(X.shape[-2], X.shape[-1])
    return np.diagonal(X[..., :k, :k], axis1=-2, axis2=-1)


def first_layer_animation(result, path, *, member: int = 0, fps: int = 8, max_frames: int = 200):
    """Animated GIF of the first-layer weights of one member over training (Pillow writer).

    Parameters
    ----------
    result : sims.wide_training.WideTrainingResult
        From ``train_gd(..., record_particles=True)``: ``particle_history`` (R, S, m, 1 + d [+ 1]),
        each neuron's (readout u, incoming weights theta, [bias]) at the R record steps.
    path : str or Path
        The .gif to write.
    member : int
        Which of the S members.

    Each frame shows the m neurons as points: for d = 1 the plane (w, readout), otherwise the
    first two input weights, coloured by the readout's sign and sized by its magnitude. Returns the
    figure of the last frame.
    """
    H = getattr(result, "particle_history", None)
    if H is None:
        raise ValueError("result has no particle_history; train with record_particles=True")
    R, S = H.shape[:2]
    member = _checks.integer("member", member, minimum=0)
    if member >= S:
        raise ValueError(f"member must be < {S} (the ensemble size), got {member}")
    fps = _checks.integer("fps", fps, minimum=1)
    max_frames = _checks.integer("max_frames", max_frames, minimum=2)
    d = result.model.widths[0]
    P = H[:, member]                                        # (R, m, 1 + d [+ 1]): (u, theta, [b])
    u = P[..., 0]
    xy = P[..., [1, 0]] if d == 1 else P[..., 1:3]
    frames = np.unique(np.linspace(0, R - 1, min(R, max_frames)).round().astype(int))
    plt = _plt()
    from matplotlib.animation import FuncAnimation, PillowWriter
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    lo, hi = np.nanmin(xy, axis=(0, 1)), np.nanmax(xy, axis=(0, 1))
    pad = 0.05 * np.maximum(hi - lo, 1e-12)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    ax.set_xlabel("input weight w" if d == 1 else "input weight w$_1$")
    ax.set_ylabel("readout u" if d == 1 else "input weight w$_2$")
    umax = max(float(np.nanmax(np.abs(u))), 1e-12)
    sc = ax.scatter(xy[0, :, 0], xy[0, :, 1], s=8, c=np.sign(u[0]), cmap="coolwarm", vmin=-1, vmax=1)
    title = ax.set_title("")
    times = result.times

    def draw(k):
        sc.set_offsets(xy[k])
        sc.set_sizes(4 + 40 * np.abs(u[k]) / umax)
        sc.set_array(np.sign(u[k]))
        title.set_text(f"{result.model.parameterization} parameterisation, m = {result.model.width}: "
                       f"t = {times[k]:.3g}")
        return sc, title
    anim = FuncAnimation(fig, draw, frames=frames, blit=False)
    anim.save(Path(path), writer=PillowWriter(fps=fps))
    return fig


def crossing_probability(n, crossed, total, *, reference: bool = True, alpha: float = 0.05, ax=None, path=None):
    """Fraction of networks with a kink crossing against width, with exact (Clopper-Pearson)
    1 - ``alpha`` intervals and, if ``reference``, the line 2 n^(-1/2).

    Parameters
    ----------
    n, crossed, total : array_like (k,)
        Widths, counts of networks that crossed and of networks run (e.g. from the statuses of
        :func:`sims.relu1d.crossing_task`).
    """
    from scipy.stats import beta as _beta
    n, c, t = (_checks.array(name, v, ndim=1) for name, v in (("n", n), ("crossed", crossed), ("total", total)))
    if not n.size == c.size == t.size:
        raise ValueError(f"n, crossed and total must have the same length, got {n.size}, {c.size}, {t.size}")
    if np.any(n <= 0) or np.any(t < 1) or np.any(c < 0) or np.any(c > t) or np.any(c != np.round(c)) \
            or np.any(t != np.round(t)):
        raise ValueError("need n > 0, integer total >= 1 and integer counts 0 <= crossed <= total")
    _checks.real("alpha", alpha)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    p = c / t
    lo = np.where(c > 0, _beta.ppf(alpha / 2, c, t - c + 1), 0.0)
    hi = np.where(c < t, _beta.ppf(1 - alpha / 2, c + 1, t - c), 1.0)
    fig, (axi,) = _axes(ax)
    axi.errorbar(n, p, yerr=[p - lo, hi - p], fmt="o", mfc="white", capsize=2, color="C0",
                 label=f"simulation ({100 * (1 - alpha):.0f} % Clopper-Pearson)")
    if reference:
        grid = np.geomspace(n.min(), n.max(), 100)
        axi.plot(grid, 2 / np.sqrt(grid), "--", color="C1", label=r"$2 n^{-1/2}$")
    axi.set_xscale("log", base=2)
    if np.all(c > 0):               # a zero count has no place on a log axis: then the axis is linear
        axi.set_yscale("log")
    axi.set_xlabel("width n")
    axi.set_ylabel("P(a kink crosses a data point)")
    axi.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def kink_positions(epochs, a, b, *, x=None, network: int = 0, ax=None, path=None):
    """Kinks -b_i / a_i of one network over training, one line per neuron, data points as rules.

    Parameters
    ----------
    epochs : array_like (R,)
    a, b : array_like (R, n) or (R, B, n)
        First-layer slopes and biases at those epochs (e.g. :func:`sims.relu1d.train_snapshots`);
        NaN after a network stopped.
    x : array_like (P,), optional
        Data points, drawn as horizontal lines: a kink reaching one is a pattern change.
    network : int
        Which network when a and b carry a network axis.
    """
    t = _checks.time_grid("epochs", epochs, strict=False)
    a, b = _checks.array("a", a, finite=False), _checks.array("b", b, finite=False)   # NaN: network stopped
    if np.isinf(a).any() or np.isinf(b).any():
        raise ValueError("a and b must be finite or NaN (NaN marks a stopped network)")
    if a.shape != b.shape or a.ndim not in (2, 3) or a.shape[0] != t.size:
        raise ValueError(f"a and b must have the same shape (R, n) or (R, B, n) with R = {t.size}, "
                         f"got {a.shape} and {b.shape}")
    if a.ndim == 3:
        network = _checks.integer("network", network, minimum=0)
        if network >= a.shape[1]:
            raise ValueError(f"network must be < {a.shape[1]}, got {network}")
        a, b = a[:, network], b[:, network]
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(a != 0, -b / a, np.nan)
    fig, (axi,) = _axes(ax)
    if x is not None:
        for xi in _checks.array("x", x, ndim=1):
            axi.axhline(xi, color="0.8", lw=0.8, zorder=0)
    axi.plot(t, k, lw=0.9)
    if x is not None:
        xx = np.asarray(x, float)
        pad = 0.25 * (xx.max() - xx.min() + 1e-12)
        axi.set_ylim(xx.min() - pad, xx.max() + pad)
    axi.set_xlabel("GD epoch")
    axi.set_ylabel(r"kink $-b_i/a_i$")
    axi.set_title(f"{k.shape[1]} neurons" + ("; grey: data points" if x is not None else ""), fontsize=9)
    fig.tight_layout()
    return _save(fig, path)
