"""Reference implementations for the wide-network ratios: what one-off research code does.

* empirical NTK: one autograd backward per input point, the flattened per-parameter Jacobian
  (P x n_params), then J J^T;
* ensemble training: a Python loop over seeds, each network trained by torch autograd GD.
Both use the same parameterisation as :mod:`sims.wide_training` (NTK, two layers, erf).
"""
from __future__ import annotations

import math

import numpy as np


def _net(torch, d, width, seed, sigma_w=1.5, sigma_b=0.3):
    g = torch.Generator().manual_seed(seed)
    W1 = torch.randn(width, d, generator=g, dtype=torch.float64, requires_grad=True)
    b1 = torch.randn(width, generator=g, dtype=torch.float64, requires_grad=True)
    W2 = torch.randn(1, width, generator=g, dtype=torch.float64, requires_grad=True)
    b2 = torch.randn(1, generator=g, dtype=torch.float64, requires_grad=True)
    ps = [W1, b1, W2, b2]

    def f(x):
        z = sigma_w / math.sqrt(d) * x @ W1.T + sigma_b * b1
        h = torch.erf(z / math.sqrt(2.0))
        return (sigma_w / math.sqrt(width) * h @ W2.T + sigma_b * b2)[..., 0]
    return ps, f


def reference_ntk_autograd(X, width: int, seed: int = 0):
    """Empirical NTK (P, P) of one NTK-parameterised two-layer erf net, per-sample autograd."""
    import torch
    ps, f = _net(torch, X.shape[1], width, seed)
    x = torch.as_tensor(X)
    rows = []
    for i in range(len(X)):
        g = torch.autograd.grad(f(x[i:i + 1])[0], ps)
        rows.append(torch.cat([gi.reshape(-1) for gi in g]))
    J = torch.stack(rows)
    return (J @ J.T).numpy()


def reference_training_loop(X, Y, width: int, n_seeds: int, eta: float, n_steps: int):
    """Final training outputs (n_seeds, P): a Python loop over seeds of autograd GD (sum MSE)."""
    import torch
    x, y = torch.as_tensor(X), torch.as_tensor(Y)
    out = np.empty((n_seeds, len(X)))
    for s in range(n_seeds):
        ps, f = _net(torch, X.shape[1], width, s)
        for _ in range(n_steps):
            loss = 0.5 * ((f(x) - y) ** 2).sum()
            grads = torch.autograd.grad(loss, ps)
            with torch.no_grad():
                for p, g in zip(ps, grads):
                    p -= eta * g
        out[s] = f(x).detach().numpy()
    return out
