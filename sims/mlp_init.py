r"""Ensembles of MLPs at initialisation: empirical kernels and NTKs, batched over members.

Conventions: :mod:`theory.effective_theory` (Roberts, Yaida & Hanin, arXiv:2106.10165):
z^(1) = b + W x, z^(l+1) = b + W sigma(z^(l)), b ~ N(0, C_b), W ~ N(0, C_W / fan_in);
hidden widths n_1..n_{L-1}, output width n_L = ``n_out``.

Estimators use every neuron of every member (Rao--Blackwellised, RYH section 4.1): given layer l,
the n_{l+1} neurons of layer l+1 are i.i.d. Gaussian with covariance
G^(l+1) = C_b + (C_W / n_l) sum_j sigma(z_j^(l)) sigma(z_j^(l))^T, so the ensemble mean and
covariance of G^(l+1) estimate K + G1/n and V/n with far smaller errors than one neuron's moments.

NTK (learning-rate tensor lambda_b, lambda_W / fan_in), layerwise, without per-parameter Jacobians:
Theta_i(x, x') = sum_l <delta_l;i(x), delta_l;i(x')> (lambda_b + lambda_W <h_{l-1}(x), h_{l-1}(x')> / n_{l-1}),
delta_l;i = d z_i^(L) / d z^(l), h_0 = x. Averaged over the n_out output neurons (and reported for
neuron 0 alone, for fluctuation studies).

Two exact methods: ``method="weights"`` draws every weight (needed for the NTK);
``method="marginal"`` draws each layer's pre-activations from their exact conditional law given
the layer below, z^(l+1)_j ~ N(0, G^(l+1)) i.i.d. over neurons j (the weights only enter through
G), costing O(n_in^2 n_l) instead of O(n_l n_{l-1}) per layer -- the same joint law of
(z^(1), ..., z^(L)), hence of every forward statistic.

Reproducibility: the members are split into *stream units* of ``u`` consecutive members, unit k
drawing from child k of the root SeedSequence. ``u`` depends on the problem only (the largest power
of two <= MAX_BLOCK whose members fit in UNIT_BYTES; see :func:`stream_unit`), never on
``memory_budget_mb``, ``block`` or ``n_workers``. A batched call (a *block*) holds whole units and
draws each unit's normals from that unit's stream, so the numbers depend on the seed, the backend
and the problem (inputs, widths, method, ntk) only: the same seed gives the same members whatever
the budget, the block size or the thread count.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twolayer import checks as _checks
from twolayer.driver import Progress
from twolayer.linalg import eigh_factor, pinv_from_eigh

from theory.activations import get_activation

from .activations import backend_activation
from .backends import as_seed_sequence, get_backend, usable_cores

__all__ = ["InitEnsemble", "sample_init_ensemble", "reduced_kernel_sampler"]


@dataclass(frozen=True)
class InitEnsemble:
    """Per-member statistics of an ensemble at initialisation (B members, n inputs, L layers).

    Attributes
    ----------
    G : ndarray, shape (B, L, n, n)
        Empirical kernel G^(l) of layer l = 1..L (G^(1) is the same for every member).
    z0 : ndarray, shape (B, L, n)
        Pre-activation of neuron 0 of every layer (the single-neuron estimator's data).
    ntk : ndarray, shape (B, n, n) or None
        NTK of the output layer averaged over its n_out neurons.
    ntk0 : ndarray, shape (B, n, n) or None
        NTK of output neuron 0.
    widths : tuple
        (n_0, n_1, ..., n_{L-1}, n_L).
    """

    G: np.ndarray
    z0: np.ndarray
    ntk: np.ndarray | None
    ntk0: np.ndarray | None
    widths: tuple

    @property
    def n_members(self) -> int:
        return self.G.shape[0]

    def kernel_estimate(self, layer: int):
        """E[G^(l)] (= K + G1/n_{l-1} + O(n^-2)) and its standard error, each of shape (n, n)."""
        g = self.G[:, layer - 1]
        return g.mean(0), g.std(0, ddof=1) / np.sqrt(self.n_members)

    def vertex_estimate(self, layer: int):
        """Cov(G_ab, G_cd) of layer l (= V^(l)/n_{l-1} + O(n^-2)) and its standard error, shape (n,)*4.

        Rao--Blackwellised: every neuron of the layer below enters G; the SE is the delta-method
        standard error of a sample covariance.
        """
        g = self.G[:, layer - 1]
        B = g.shape[0]
        d = g - g.mean(0)
        prod = np.einsum("mab,mcd->mabcd", d, d)
        return prod.sum(0) / (B - 1), prod.std(0, ddof=1) / np.sqrt(B)

    def ntk_estimate(self):
        """Mean NTK of the output layer (averaged over its neurons and the members) and its SE."""
        if self.ntk is None:
            raise ValueError("this ensemble was drawn without ntk=True")
        return self.ntk.mean(0), self.ntk.std(0, ddof=1) / np.sqrt(self.n_members)


MAX_BLOCK = 1024   # default members per batched call: larger blocks gain nothing on a CPU
UNIT_BYTES = 32 * 2**20   # working memory of one stream unit (sets the unit's member count)


def stream_unit(per_member_bytes: float) -> int:
    """Members per stream unit: the largest power of two u <= MAX_BLOCK with u * per_member_bytes
    <= UNIT_BYTES (at least 1). A function of the problem's shape only, so the random stream layout
    does not depend on the memory budget or the block size."""
    u = 1
    while 2 * u <= MAX_BLOCK and 2 * u * per_member_bytes <= UNIT_BYTES:
        u *= 2
    return u


class _UnitStreams:
    """The random streams of one block: one stream per unit, the member axis split between them in
    order. ``normal(shape, axis)`` draws each unit's slice from its own stream and joins them, so a
    member's numbers are the same whichever block holds its unit."""

    def __init__(self, xp, streams, sizes):
        self._xp, self._streams, self._sizes = xp, streams, tuple(int(n) for n in sizes)

    def normal(self, shape, axis: int = 0):
        shape = tuple(shape)
        if shape[axis] != sum(self._sizes):
            raise RuntimeError(f"member axis {axis} of {shape} must hold the block's {sum(self._sizes)} members")
        if len(self._streams) == 1:
            return self._streams[0].normal(shape)
        parts = [s.normal(shape[:axis] + (n,) + shape[axis + 1:]) for s, n in zip(self._streams, self._sizes)]
        return self._xp.concat(parts, axis=axis)


def _default_workers(bk) -> int:
    return 1 if bk.is_gpu else usable_cores()


def _validate(X, hidden_widths, n_out, C_b, C_W, n_members):
    X = _checks.array("X", X, ndim=2)
    if min(X.shape) < 1:
        raise ValueError(f"X must be a finite array of shape (n_inputs, n_0), got shape {X.shape}")
    if isinstance(hidden_widths, (str, bytes)) or not hasattr(hidden_widths, "__iter__"):
        raise TypeError(f"hidden_widths must be a sequence of integers (n_1, ..., n_{{L-1}}), got {hidden_widths!r}")
    hw = tuple(_checks.integer(f"hidden_widths[{i}]", n, minimum=1) for i, n in enumerate(hidden_widths))
    _checks.integer("n_out", n_out, minimum=1)
    _checks.nonneg("C_b", C_b)
    _checks.positive("C_W", C_W)
    _checks.integer("n_members", n_members, minimum=1)
    return X, hw


def sample_init_ensemble(X, hidden_widths, *, C_b: float, C_W: float, activation: str = "relu",
                         n_members: int = 1000, seed=0, n_out: int = 1, ntk: bool = False,
                         lambda_b: float = 1.0, lambda_W: float = 1.0, backend="numpy", dtype="float64",
                         memory_budget_mb: float = 256.0, block: int | None = None,
                         method: str = "weights", n_workers: int | None = None,
                         progress: bool = False) -> InitEnsemble:
    """Draw ``n_members`` MLPs and record their empirical kernels (and NTKs) on the inputs ``X``.

    Parameters
    ----------
    X : array_like, shape (n_inputs, n_0)
    hidden_widths : sequence of int
        (n_1, ..., n_{L-1}); the depth is L = len(hidden_widths) + 1.
    C_b, C_W : float
    activation : str
    n_members : int
    seed : int or SeedSequence
    n_out : int
        Output width n_L (only the NTK and z0 of the last layer use it).
    ntk : bool
        Also compute the layerwise NTK of the output layer.
    backend, dtype :
        See :func:`sims.backends.get_backend`.
    memory_budget_mb : float
        Members per batched call are chosen so that weights and activations stay within this
        (at most ``MAX_BLOCK``, at least one stream unit, i.e. at most ``UNIT_BYTES`` of work
        memory), and concurrent blocks share it. It changes no number (module docstring).
    block : int, optional
        Members per batched call, overriding the budget; rounded down to a multiple of the stream
        unit (at least one unit). It changes no number.
    n_workers : int, optional
        Threads that run blocks concurrently (default: the usable CPU cores on CPU backends, 1 on
        GPUs; never more than fit in the memory budget). NumPy and torch release the GIL in the
        random fills, matmuls and linear algebra. The numbers do not depend on ``n_workers``.
    method : {"weights", "marginal"}
        Draw the weights, or draw pre-activations (and, for the NTK, backpropagated products)
        from their exact conditional laws without forming weight matrices.
    """
    X, hw = _validate(X, hidden_widths, n_out, C_b, C_W, n_members)
    memory_budget_mb = _checks.positive("memory_budget_mb", memory_budget_mb)
    if method not in ("weights", "marginal"):
        raise ValueError(f"method must be 'weights' or 'marginal', got {method!r}")

    get_activation(activation)
    bk = get_backend(backend, dtype)
    xp = bk.xp
    g, dg = backend_activation(activation, bk)
    n_in, n0 = X.shape
    widths = (n0,) + hw + (int(n_out),)
    L = len(widths) - 1
    if method == "weights":
        per_member = sum(widths[l] * widths[l + 1] for l in range(L)) + 4 * n_in * sum(widths)
    else:
        per_member = 6 * n_in * sum(widths) + (4 * (n_in * n_out) * sum(widths) if ntk else 0)
    if ntk:
        per_member += 3 * n_in * n_out * max(widths)
    if block is None:       # one member must fit; an explicit block overrides the budget (documented)
        _checks.memory("memory_budget_mb", 8.0 * per_member, memory_budget_mb * 2**20,
                       hint="or method='marginal', which forms no weight matrix" if method == "weights" else "")
    fit = max(1, int(memory_budget_mb * 2**20 / (8 * per_member)))      # members within the budget
    unit = stream_unit(8.0 * per_member)
    if block is None:
        block = min(fit, MAX_BLOCK)
    elif isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"block must be an integer >= 1, got {block!r}")
    n_units = math.ceil(n_members / unit)
    units_per_block = min(n_units, max(1, int(block) // unit))
    block = units_per_block * unit
    n_blocks = math.ceil(n_units / units_per_block)
    # threads share the budget: as many concurrent blocks as fit (never changes a number)
    workers = _default_workers(bk) if n_workers is None else _checks.integer("n_workers", n_workers, minimum=1)
    workers = max(1, min(workers, n_blocks, fit // block))
    streams = bk.streams(as_seed_sequence(seed), n_units)
    Xb = bk.asarray(X)
    G_out = np.empty((n_members, L, n_in, n_in))
    z_out = np.empty((n_members, L, n_in))
    ntk_out = np.empty((n_members, n_in, n_in)) if ntk else None
    ntk0_out = np.empty((n_members, n_in, n_in)) if ntk else None
    G_out[:, 0] = C_b + C_W * X @ X.T / n0

    def run_block(k):
        lo, hi = k * block, min(n_members, (k + 1) * block)
        u0, u1 = k * units_per_block, min(n_units, (k + 1) * units_per_block)
        rng = _UnitStreams(xp, streams[u0:u1], [min(n_members, (j + 1) * unit) - j * unit for j in range(u0, u1)])
        sampler = _marginal_block if method == "marginal" else _weights_block
        th = sampler(bk, rng, Xb, widths, C_b, C_W, g, dg, G_out[lo:hi], z_out[lo:hi], ntk, n_out,
                     lambda_b, lambda_W)
        if ntk:
            ntk_out[lo:hi] = bk.to_numpy(xp.mean(th, axis=-1))
            ntk0_out[lo:hi] = bk.to_numpy(th[..., 0])

    with Progress(progress, n_blocks, f"init ensemble ({n_members} members)", unit="block") as bar:
        if workers == 1:
            for k in range(n_blocks):
                run_block(k)
                bar.update()
        else:   # block k always uses units k*units_per_block.. and writes their rows, so threads change no number
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(workers) as ex:
                for _ in ex.map(run_block, range(n_blocks)):
                    bar.update()
    return InitEnsemble(G_out, z_out, ntk_out, ntk0_out, widths)


def _weights_block(bk, rng, Xb, widths, C_b, C_W, g, dg, G_out, z_out, ntk=False, n_out=1,
                   lambda_b=1.0, lambda_W=1.0):
    """Draw every weight of B members, forward the inputs, fill G_out, z_out in place; the layerwise
    NTK (B, n_in, n_in, n_out) when ``ntk`` (delta of every output neuron at once)."""
    xp = bk.xp
    B, L, n_in = z_out.shape
    n0 = widths[0]
    h = xp.broadcast_to(Xb[None], (B, n_in, n0))
    zs, Ws = [], []
    grams = [xp.matmul(Xb, xp.permute_dims(Xb, (1, 0)))[None]]     # h_l h_l^T, reused by the NTK
    for l in range(L):
        fan_in, width = widths[l], widths[l + 1]
        W = rng.normal((B, width, fan_in)) * math.sqrt(C_W / fan_in)
        b = rng.normal((B, 1, width)) * math.sqrt(C_b)
        z = xp.matmul(h, xp.permute_dims(W, (0, 2, 1))) + b          # (B, n_in, width)
        z_out[:, l] = bk.to_numpy(z[:, :, 0])
        zs.append(z)
        Ws.append(W)
        if l < L - 1:
            h = g(z)
            grams.append(xp.matmul(h, xp.permute_dims(h, (0, 2, 1))))
            G_out[:, l + 1] = bk.to_numpy(C_b + (C_W / width) * grams[-1])
    if ntk:
        # delta for every output neuron i at once: (B, n_in, n_out, n_l)
        eye = xp.eye(n_out, dtype=bk.dtype, device=getattr(Xb, "device", None))
        delta = xp.broadcast_to(eye[None, None], (B, n_in, n_out, n_out))
        theta = 0.0
        for l in range(L - 1, -1, -1):
            gram = lambda_b + lambda_W * grams[l] / widths[l]
            dd = xp.sum(delta[:, :, None, :, :] * delta[:, None, :, :, :], axis=-1)   # (B, n_in, n_in, n_out)
            theta = theta + dd * gram[:, :, :, None]
            if l > 0:
                delta = xp.matmul(delta, Ws[l][:, None, :, :]) * dg(zs[l - 1])[:, :, None, :]
        return theta
    return None


def _marginal_block(bk, rng, Xb, widths, C_b, C_W, g, dg, G_out, z_out, ntk=False, n_out=1,
                    lambda_b=1.0, lambda_W=1.0):
    """Exact layer-by-layer sampler without weight matrices; fills G_out, z_out in place.

    Forward: the weight part A_l = W_l h_{l-1} of every neuron is N(0, (C_W/n_{l-1}) H H^T) given
    the layer below (H: rows = inputs), i.i.d. over neurons; z_l = A_l + b_l. The first layer's
    covariance is the same for every member (one factor for the block).

    Backward (NTK): the backpropagated products W_{l+1}^T D (D: n_{l+1} x C, one column per
    (output neuron, input)) are drawn from their law conditional on the forward products
    A_{l+1} = W_{l+1} H: W = A (H^T H)^-1 H^T + W~ (I - P_H) with W~ independent of everything else,
    so W^T D = H (H^T H)^-1 A^T D + (I - P_H) Y, Y = W~^T D, whose rows are i.i.d.
    N(0, (C_W/n_l) D^T D). Y is drawn as W~^T D itself when n_{l+1} <= C (e.g. below a single
    output: n_l normals instead of C n_l), else through a C x C factor of D^T D. Everything is
    kept transposed, E = D^T of shape (B, C, n_l), so the long axis is contiguous. Cost
    O(n_l C min(C, n_{l+1})) per layer instead of O(n_l n_{l+1}). Returns the NTK
    (B, n_in, n_in, n_out) when ``ntk``.
    """
    xp = bk.xp
    B, L, n_in = z_out.shape
    T = lambda a: xp.permute_dims(a, (0, 2, 1))
    H = xp.broadcast_to(Xb[None], (B, n_in, widths[0]))
    gram = xp.matmul(Xb, xp.permute_dims(Xb, (1, 0)))[None]         # the same for every member
    eig = None                                                       # eigh of the current H H^T
    Hs, As, Zs, Ginvs, grams = [H], [], [], [None], [gram]
    for l in range(L):
        width = widths[l + 1]
        c = C_W / widths[l]
        N = rng.normal((B, n_in, width)) if l > 0 else rng.normal((n_in, B, width), axis=1)
        if ntk and l > 0:               # the weight part A alone; the bias is added below
            ev, U = eig                 # ev is already clipped at 0 (below), so the clip is a no-op
            F = eigh_factor(xp, None, eig=(c * ev, U))
        else:                           # one draw from N(0, C_b + c H H^T) per neuron (the backward
            F = eigh_factor(xp, c * gram + C_b)   # pass never needs the first layer's A apart)
        if l == 0:                      # shared factor: one GEMM for the block, seen as (B, n_in, width)
            A = xp.permute_dims(xp.reshape(xp.matmul(F[0], xp.reshape(N, (n_in, B * width))),
                                           (n_in, B, width)), (1, 0, 2))
        else:
            A = xp.matmul(F, N)
        z = A + rng.normal((B, 1, width)) * math.sqrt(C_b) if ntk and l > 0 and C_b > 0 else A
        z_out[:, l] = bk.to_numpy(z[:, :, 0])
        As.append(A)
        Zs.append(z)
        if l < L - 1:
            H = g(z)
            Hs.append(H)
            gram = xp.matmul(H, T(H))
            grams.append(gram)
            G_out[:, l + 1] = bk.to_numpy(C_b + (C_W / width) * gram)
            if ntk:
                ev, U = xp.linalg.eigh(gram)
                eig = (xp.clip(ev, 0.0, None), U)
                # pseudo-inverse: with a (nearly) dead ReLU layer H is rank-deficient and W is
                # constrained on span(H) only, which is exactly what the projector built from it expresses
                Ginvs.append(pinv_from_eigh(xp, *eig))
    if not ntk:
        return None
    C = n_out * n_in
    dtype, dev = Zs[-1].dtype, getattr(Zs[-1], "device", None)
    # E_L = D_L^T: row (i, a) is e_i (output neuron i, input a)
    eye = xp.eye(n_out, dtype=dtype, device=dev)
    E = xp.reshape(xp.broadcast_to(eye[:, None, :], (n_out, n_in, n_out)), (1, C, n_out))

    def contrib(E, l):
        # <delta_l(i, a), delta_l(i, b)> (lambda_b + lambda_W <h_{l-1,a}, h_{l-1,b}> / n_{l-1})
        dd = xp.matmul(E, T(E))
        if dd.shape[0] != B:
            dd = xp.broadcast_to(dd, (B, C, C))
        if n_out == 1:
            dd = dd[..., None]
        else:
            dd = xp.reshape(dd, (B, n_out, n_in, n_out, n_in))
            dd = xp.stack([dd[:, i, :, i, :] for i in range(n_out)], axis=-1)      # (B, n_in, n_in, n_out)
        return dd * (lambda_b + (lambda_W / widths[l]) * grams[l])[:, :, :, None]

    theta = contrib(E, L - 1)
    for l in range(L - 1, 0, -1):           # E holds delta^T of layer l+1 (index l); go to layer l
        Hl, Ginv = Hs[l], Ginvs[l]                                      # (B, n_in, n_l): h_l, input to W_{l+1}
        n_next, n_l = widths[l + 1], widths[l]
        c = C_W / n_l
        det = xp.matmul(xp.matmul(xp.matmul(E, T(As[l])), Ginv), Hl)   # D^T A^T (H H^T)^+ H: (B, C, n_l)
        if n_next <= C:                                                 # Y^T = D^T W~
            Y = xp.matmul(E, rng.normal((B, n_next, n_l)) * math.sqrt(c))
        else:
            F = eigh_factor(xp, c * xp.matmul(E, T(E)))                # (B, C, C)
            Y = xp.matmul(F, rng.normal((B, C, n_l)))
        Y = Y - xp.matmul(xp.matmul(xp.matmul(Y, T(Hl)), Ginv), Hl)    # Y^T (I - P_H)
        sprime = dg(Zs[l - 1])                                         # (B, n_in, n_l)
        if n_out > 1:
            sprime = xp.concat([sprime] * n_out, axis=1)               # row (i, a) takes input a
        E = (det + Y) * sprime
        theta = theta + contrib(E, l - 1)
    return theta


def reduced_kernel_sampler(x_norm2: float, n0: int, hidden_widths, *, C_b: float, C_W: float, activation: str,
                           n_members: int, seed=0) -> np.ndarray:
    """Exact single-input sampler of the empirical kernels G^(1..L) for ReLU and linear MLPs.

    Given layer l, z_j ~ N(0, G^(l)) i.i.d., so for linear sigma G^(l+1) = C_b + C_W G^(l) chi2_n / n,
    and for ReLU only the k ~ Binomial(n, 1/2) positive units contribute:
    G^(l+1) = C_b + C_W G^(l) chi2_k / n. Cost O(depth) per member, independent of the widths.

    Returns
    -------
    ndarray, shape (n_members, L)
    """
    name = get_activation(activation).name
    if name not in ("relu", "linear"):
        raise ValueError(f"activation={activation!r}: the exact reduced sampler exists for 'relu' and 'linear' only")
    if not (np.isfinite(x_norm2) and x_norm2 >= 0):
        raise ValueError(f"x_norm2 must be >= 0, got {x_norm2!r}")
    _validate(np.ones((1, max(int(n0), 1))), hidden_widths, 1, C_b, C_W, n_members)
    rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
    hw = tuple(hidden_widths)
    G = np.empty((n_members, len(hw) + 1))
    G[:, 0] = C_b + C_W * x_norm2 / n0
    for l, n in enumerate(hw):
        dof = rng.binomial(n, 0.5, n_members) if name == "relu" else np.full(n_members, n)
        chi = np.where(dof > 0, rng.chisquare(np.maximum(dof, 1)), 0.0)
        G[:, l + 1] = C_b + C_W * G[:, l] * chi / n
    return G
