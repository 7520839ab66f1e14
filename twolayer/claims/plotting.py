"""Figures of theory against simulation (matplotlib, imported lazily)."""
from __future__ import annotations

import numpy as np

__all__ = ["new_figure", "theory_vs_sim", "shade_windows"]


def new_figure(ncols: int = 1, width: float = 5.0, height: float = 3.6):
    """A figure with ``ncols`` axes side by side (Agg backend)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)
    return fig, axes[0]


def theory_vs_sim(ax, x, theory, sim_samples=None, *, sim_mean=None, sim_se=None, label_theory="theory",
                  label_sim="simulation", logx=False, logy=False, color="C0"):
    """Theory as a line, simulation as points with 1-SE error bars (mean over the first axis)."""
    if sim_samples is not None:
        s = np.asarray(sim_samples, float)
        sim_mean = s.mean(0)
        sim_se = s.std(0, ddof=1) / np.sqrt(s.shape[0])
    if theory is not None:
        ax.plot(x, theory, "-", color=color, lw=1.6, label=label_theory)
    if sim_mean is not None:
        ax.errorbar(x, sim_mean, yerr=sim_se, fmt="o", ms=3.5, color=color, mfc="white", capsize=2,
                    label=label_sim)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def shade_windows(ax, windows, color="0.9"):
    """Grey bands over the averaging windows ``[(lo, hi), ...]`` of a claim, behind the data."""
    for lo, hi in windows:
        ax.axvspan(lo, hi, color=color, zorder=0)
