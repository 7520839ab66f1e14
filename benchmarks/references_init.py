"""Reference implementations for the initialisation-ensemble benchmarks (research-code style)."""
from __future__ import annotations

import math

import numpy as np


def reference_kernel_loop(x, width: int, depth: int, C_b: float, C_W: float, n_networks: int, seed: int = 0):
    """One network at a time: draw all weights, forward one input, record one neuron per layer and
    the empirical kernel. Returns (G (n, depth), z (n, depth))."""
    rng = np.random.default_rng(seed)
    n0 = x.size
    G = np.empty((n_networks, depth))
    z0 = np.empty((n_networks, depth))
    for m in range(n_networks):
        h = x
        fan = n0
        for l in range(depth):
            W = rng.normal(0, math.sqrt(C_W / fan), (width, fan))
            b = rng.normal(0, math.sqrt(C_b), width)
            z = W @ h + b
            z0[m, l] = z[0]
            G[m, l] = C_b + C_W * np.sum(h * h) / fan          # G^(l) from the layer below
            h = np.tanh(z)
            fan = width
    return G, z0


def reference_ntk_autograd(X, width: int, depth: int, C_b: float, C_W: float, n_networks: int, seed: int = 0):
    """Per-network, per-input torch autograd of the scalar output, contracted parameter by parameter."""
    import torch

    g = torch.Generator().manual_seed(seed)
    n0 = X.shape[1]
    out = []
    Xt = torch.as_tensor(X, dtype=torch.float64)
    for _ in range(n_networks):
        params = []
        fan = n0
        for l in range(depth):
            wdt = 1 if l == depth - 1 else width
            params.append((torch.randn(wdt, fan, generator=g, dtype=torch.float64) * math.sqrt(C_W / fan)).requires_grad_())
            params.append((torch.randn(wdt, generator=g, dtype=torch.float64) * math.sqrt(C_b)).requires_grad_())
            fan = wdt
        grads = []
        for x in Xt:
            h = x
            for l in range(depth):
                z = params[2 * l] @ h + params[2 * l + 1]
                h = torch.relu(z) if l < depth - 1 else z
            grads.append(torch.autograd.grad(h[0], params))
        theta = torch.zeros(len(Xt), len(Xt), dtype=torch.float64)
        for a in range(len(Xt)):
            for b in range(len(Xt)):
                fan = n0
                for l in range(depth):
                    theta[a, b] += (grads[a][2 * l] * grads[b][2 * l]).sum() / fan + (grads[a][2 * l + 1] * grads[b][2 * l + 1]).sum()
                    fan = width
        out.append(theta)
    return torch.stack(out).numpy()
