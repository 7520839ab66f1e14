r"""Full-batch GD of wide MLPs (ensembles of seeds), their linearisation and their empirical NTK.

Papers: Lee et al. arXiv:1902.06720 (NTK parameterisation, linearised model, eq. (6)-(9));
Jacot et al. arXiv:1806.07572; Chizat, Oyallon & Bach arXiv:1812.07956 (lazy scaling);
Mei, Montanari & Nguyen arXiv:1804.06561 (mean field). docs/THEORY.md D.

Network (scalar output, depth L = len(widths) weight layers, widths = (n_0, n_1, ..., n_{L-1})):
z^(1) = c_1 W^(1) x + cb_1 b^(1), z^(l+1) = c_{l+1} W^(l+1) sigma(z^(l)) + cb_{l+1} b^(l+1), f = z^(L).
Trainable entries and multipliers per parameterisation (the architecture, :class:`WideMLP`, and
its map to kernel hyperparameters live in :mod:`theory.parameterizations`; re-exported here):

* ``"ntk"``: W, b ~ N(0, 1); c_l = sigma_w / sqrt(n_{l-1}), cb_l = sigma_b (Lee et al. eq. (1)).
* ``"standard"``: W ~ N(0, sigma_w^2 / n_{l-1}), b ~ N(0, sigma_b^2); c_l = cb_l = 1. Same function
  law at init; its NTK grows with width unless the rates are ~ 1/n_{l-1}.
* ``"scaled"`` (two layers only): f(x) = sigma_w (alpha / m) sum_j u_j sigma(theta_j . x sigma_w /
  sqrt(n_0) + sigma_b b_j), u, theta, b ~ N(0, 1), no readout bias, every rate multiplied by
  m / alpha^2 (see :mod:`theory.scaling_regimes` for why not m / alpha). alpha = sqrt(m) is the NTK
  parameterisation without readout bias (lazy); alpha = 1 is mean-field.

GD on L = (1/c) * 1/2 sum_i (f(x_i) - y_i)^2, c = 1 (``loss="sum"``) or n (``loss="mean"``):
p <- p - eta r_p dL/dp, r_p the per-layer rate multiplier (``lr_weights``, ``lr_biases``).
The empirical NTK is rate-weighted, Theta(x, x') = sum_p r_p df(x)/dp df(x')/dp, computed
layer-wise without per-parameter Jacobians:
Theta = sum_l <delta_l(x), delta_l(x')> (r_W c_l^2 <h_{l-1}(x), h_{l-1}(x')> + r_b cb_l^2),
delta_l = df/dz^(l). Then GD on the linearised model f_lin(p) = f(p_0) + J_0 (p - p_0) is exactly
f_lin <- f_lin - eta Theta_0(., X) dL/df_lin(X) (same rates), which is how it is trained here.

Everything is written against the array-API namespace of :mod:`sims.backends`, so it runs on
``"numpy"``, ``"torch"``, ``"torch:cuda"`` and ``"cupy"``; initial parameters are drawn with NumPy
from one SeedSequence child per member (member i never depends on the ensemble size or backend).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from twolayer import checks as _checks
from twolayer.driver import finite_members, run_schedule
from twolayer.records import record_steps

from theory.linearized_dynamics import LOSS_SCALES, eta_critical
from theory.parameterizations import PARAMETERIZATIONS, WideMLP

from .activations import backend_activation
from .backends import as_seed_sequence, get_backend
from .teacher_student import SimulationDivergedError

__all__ = ["WideMLP", "PARAMETERIZATIONS", "init_params", "empirical_ntk", "forward", "train_gd",
           "WideTrainingResult", "LearningRateWarning", "SimulationDivergedError"]


class LearningRateWarning(UserWarning):
    """eta exceeds Lee et al.'s eta_critical = 2c / (lambda_min + lambda_max) (still stable)."""


# ------------------------------------------------------------------------------------------------
# parameters, forward, layer-wise backward
# ------------------------------------------------------------------------------------------------
def _n_params(model: WideMLP) -> int:
    """Trainable parameters of one member."""
    return sum(lo * li + (lo if cb > 0 else 0) for (li, lo, cW, cb, *_r) in model.layers())


def init_params(model: WideMLP, n_seeds: int, seed=0, backend="numpy", dtype: str = "float64",
                memory_budget: float = 4 * 2**30):
    """Initial parameters of ``n_seeds`` members: list over layers of (W, b).

    W has shape (S, fan_out, fan_in) and b (S, fan_out) (None without bias), in the trainable
    coordinates of the parameterisation. Member i uses SeedSequence child i of ``seed``.
    ``memory_budget`` (bytes) bounds the host copy and the backend copy (2 S n_params float64).
    """
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, (int, np.integer)) or n_seeds < 1:
        raise ValueError(f"n_seeds must be an integer >= 1, got {n_seeds!r}")
    _checks.memory("memory_budget", 16.0 * n_seeds * _n_params(model),
                   _checks.positive("memory_budget", memory_budget), hint="or fewer seeds / a narrower model")
    be = get_backend(backend, dtype)
    layers = model.layers()
    Ws = [np.empty((n_seeds, lo, li)) for (li, lo, *_r) in layers]
    bs = [np.empty((n_seeds, lo)) if cb > 0 else None for (li, lo, cW, cb, *_r) in layers]
    for s, child in enumerate(as_seed_sequence(seed).spawn(int(n_seeds))):
        rng = np.random.default_rng(child)
        for l, (li, lo, cW, cb, sW, sB, *_r) in enumerate(layers):
            Ws[l][s] = sW * rng.standard_normal((lo, li))
            if bs[l] is not None:
                bs[l][s] = sB * rng.standard_normal(lo)
    return [(be.asarray(W), None if b is None else be.asarray(b)) for W, b in zip(Ws, bs)]


def _check_params(model, params):
    layers = model.layers()
    if len(params) != len(layers):
        raise ValueError(f"params must hold {len(layers)} layers, got {len(params)}")
    S = params[0][0].shape[0]
    for l, ((W, b), (li, lo, cW, cb, *_r)) in enumerate(zip(params, layers)):
        if tuple(W.shape) != (S, lo, li):
            raise ValueError(f"params[{l}] weight must have shape ({S}, {lo}, {li}), got {tuple(W.shape)}")
        if (b is None) != (cb == 0) or (b is not None and tuple(b.shape) != (S, lo)):
            raise ValueError(f"params[{l}] bias must be {'None' if cb == 0 else (S, lo)}")
    return S


def _forward(model, params, X, g):
    """f (S, P) and per layer (h_{l-1}, z_l); X (P, n_0) is shared by all members.

    Arrays created here are updated in place (no temporaries of shape (S, P, n_l)).
    """
    cache = []
    h = X
    layers = model.layers()
    for l, ((W, b), (li, lo, cW, cb, *_r)) in enumerate(zip(params, layers)):
        z = h @ W.mT
        if cW != 1.0:
            z *= cW
        if b is not None:
            z += cb * b[:, None, :]
        cache.append((h, z))
        if l + 1 < len(layers):
            h = g(z)
    return z[..., 0], cache


def _deltas(model, params, cache, dg, xp):
    """delta_l = df/dz^(l), shape (S, P, n_l), for every layer (last: ones).

    The last hidden layer's delta is c_L W^(L) * g'(z) (a broadcast, not an outer-product matmul).
    """
    layers = model.layers()
    z_last = cache[-1][1]
    out = [xp.ones_like(z_last)]
    d = None
    for l in range(len(layers) - 2, -1, -1):
        W_next, c_next = params[l + 1][0], layers[l + 1][2]
        if d is None:                      # W_next (S, 1, n_l) broadcasts over the P points
            d = dg(cache[l][1])
            d *= c_next * W_next
        else:
            d = d @ W_next
            d *= c_next
            d *= dg(cache[l][1])
        out.append(d)
    return out[::-1]


def _gram(a, b):
    """a @ b^T over the last axis (batched; b may be a shared 2-D array). With b is a, NumPy
    recognises a @ a^T and calls BLAS syrk (half the flops); torch has no syrk, so there the
    symmetric Gram is built from two half-height products (3/4 of the flops) and mirrored."""
    if b is a and a.ndim == 3 and a.shape[1] >= 128 and type(a).__module__.startswith("torch"):
        import torch
        P, h = a.shape[1], a.shape[1] // 2
        out = torch.empty(a.shape[0], P, P, dtype=a.dtype, device=a.device)
        torch.matmul(a[:, :h], a.mT, out=out[:, :h])
        torch.matmul(a[:, h:], a[:, h:].mT, out=out[:, h:, h:])
        out[:, h:, :h] = out[:, :h, h:].mT
        return out
    return a @ (b.mT if b.ndim == 3 else b.T)


def _ntk_from(model, cache_a, deltas_a, cache_b, deltas_b, xp):
    L = len(model.layers())
    th = None
    for l, (li, lo, cW, cb, sW, sB, rW, rb) in enumerate(model.layers()):
        term = _gram(cache_a[l][0], cache_b[l][0])
        term *= rW * cW**2                 # a fresh matmul result: updated in place
        if cb > 0:
            term += rb * cb**2
        if l < L - 1:                      # the output layer's delta is 1
            dd = _gram(deltas_a[l], deltas_b[l])
            if term.ndim == dd.ndim:
                dd *= term
            else:                          # first layer: (P, P2) input Gram shared by all members
                dd *= term[None]
            term = dd
        th = term if th is None else th + term
    return th


def forward(model: WideMLP, params, X, backend="numpy"):
    """Outputs f(X) of every member, NumPy array of shape (S, P)."""
    be = get_backend(backend, _dtype_of(params))
    _check_params(model, params)
    g, _ = backend_activation(model.activation, be)
    f, _ = _forward(model, params, be.asarray(_check_X(model, X, "X")), g)
    return be.to_numpy(f)


def empirical_ntk(model: WideMLP, params, X, X2=None, backend="numpy"):
    """Rate-weighted empirical NTK of every member, NumPy array of shape (S, P, P2).

    Layer-wise (module docstring): O(S P P2 sum_l n_l) work, no per-parameter Jacobian.
    """
    be = get_backend(backend, _dtype_of(params))
    xp = be.xp
    _check_params(model, params)
    g, dg = backend_activation(model.activation, be)
    Xa = be.asarray(_check_X(model, X, "X"))
    _, ca = _forward(model, params, Xa, g)
    da = _deltas(model, params, ca, dg, xp)
    if X2 is None:
        cb_, db = ca, da
    else:
        _, cb_ = _forward(model, params, be.asarray(_check_X(model, X2, "X2")), g)
        db = _deltas(model, params, cb_, dg, xp)
    return be.to_numpy(_ntk_from(model, ca, da, cb_, db, xp))


def _dtype_of(params):
    return "float32" if "float32" in str(params[0][0].dtype) else "float64"


def _check_X(model, X, name):
    X = _checks.array(name, X)
    if X.ndim != 2 or X.shape[1] != model.widths[0] or X.shape[0] < 1:
        raise ValueError(f"{name} must have shape (P, {model.widths[0]}) with P >= 1, got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains non-finite values")
    return X


# ------------------------------------------------------------------------------------------------
# training
# ------------------------------------------------------------------------------------------------
@dataclass
class WideTrainingResult:
    """Recorded GD trajectories of an ensemble (R record steps, S members, P = n + n_test points).

    steps (R,); f, f_lin (R, S, P) network and linearised outputs (training points first);
    loss (R, S); ntk_change (R, S) = ||Theta_t - Theta_0||_F on the training set;
    param_distance (R, S) = ||p_t - p_0|| (trainable coordinates, all layers);
    neuron_displacement (R, S) = mean_j ||(incoming weights, bias, readout)_j,t - ..._0|| (two layers);
    sup_ntk_change, sup_lin_gap (S,): maxima over *every* step of ||Theta_t - Theta_0||_F and of
    the RMS over all points of f_t - f_t^lin; ntk0 (S, P, P) (rate-weighted); eta_crit, eta_max (S,).
    """

    model: WideMLP
    eta: float
    loss_kind: str
    n_train: int
    steps: np.ndarray
    f: np.ndarray
    f_lin: np.ndarray
    loss: np.ndarray
    ntk_change: np.ndarray
    param_distance: np.ndarray
    neuron_displacement: np.ndarray
    sup_ntk_change: np.ndarray
    sup_lin_gap: np.ndarray
    ntk0: np.ndarray
    eta_crit: np.ndarray
    eta_max: np.ndarray
    params0: list = field(repr=False, default=None)
    params: list = field(repr=False, default=None)
    ntk: np.ndarray | None = field(repr=False, default=None)
    particle_history: np.ndarray | None = field(repr=False, default=None)

    @property
    def n_seeds(self) -> int:
        return self.f.shape[1]

    @property
    def times(self) -> np.ndarray:
        """Gradient-flow time eta * steps (the rate multipliers are inside Theta)."""
        return self.eta * self.steps

    def particles(self, which: str = "final") -> np.ndarray:
        """Two-layer nets: per-neuron particles (u_j, theta_j, b_j), shape (S, m, n_0 + 1 [+ 1])."""
        if self.model.depth != 2:
            raise ValueError("particles are defined for two-layer networks")
        if which not in ("initial", "final"):
            raise ValueError(f"which must be 'initial' or 'final', got {which!r}")
        return _particles(self.params0 if which == "initial" else self.params)


def _particles(params, xp=np):
    (W1, b1), (W2, _b2) = params
    cols = [W2[:, 0, :, None], W1] + ([b1[..., None]] if b1 is not None else [])
    return xp.concat(cols, axis=-1)


def _train_memory(model: WideMLP, S: int, P: int, n: int, R: int, record_ntk: bool, record_particles: bool) -> float:
    """Bytes :func:`train_gd` holds (float64): three parameter copies (start, current, gradient),
    the forward cache (h, z) and the backward deltas on all P points, the NTK (S, P, n), and the
    records."""
    units = sum(lo for (li, lo, *_r) in model.layers())
    words = S * (3 * _n_params(model) + 3 * P * units + 2 * P * n)
    words += R * S * (2 * P + 4 + (n * n if record_ntk else 0)
                      + (model.width * (model.widths[0] + 2) if record_particles else 0))
    return 8.0 * words


def train_gd(model: WideMLP, X, Y, *, eta: float, n_steps: int, n_seeds: int = 1, seed=0,
             X_test=None, loss: str = "sum", backend="numpy", dtype: str = "float64",
             n_records: int = 40, params0=None, allow_unstable: bool = False, record_ntk: bool = False,
             record_particles: bool = False, progress: bool = False,
             memory_budget: float = 4 * 2**30) -> WideTrainingResult:
    """Full-batch GD of ``n_seeds`` independent networks and of their linearisations.

    Parameters
    ----------
    model : WideMLP
    X : array_like, shape (n, n_0); Y : array_like, shape (n,)
        Training set (shared by all members).
    eta : float
        Base learning rate (> 0); layer p moves by eta r_p dL/dp.
    n_steps : int
        GD steps (>= 0); gradient-flow time t = eta * steps.
    X_test : array_like, shape (n_test, n_0), optional
        Points where f, f_lin are recorded too (they do not enter the loss).
    loss : {"sum", "mean"}
        L = (1/c) 1/2 sum (f - y)^2 with c = 1 or n; eta_crit uses the same c.
    params0 : list, optional
        Initial parameters (as from :func:`init_params`); default drawn from ``seed``.
    allow_unstable : bool
        By default eta >= eta_max = 2c/lambda_max(Theta_0) of any member raises ValueError; with
        True the run goes on (and stops with the step number if it diverges).
    record_ntk : bool
        Also keep the training-set NTK Theta_t at every record step, ``result.ntk`` (R, S, n, n).
    record_particles : bool
        Two layers: keep the particles (u_j, theta_j, b_j) at every record step,
        ``result.particle_history`` (R, S, m, n_0 + 2).
    progress : bool
        tqdm bar over steps.
    memory_budget : float
        Bytes the run may hold (estimated before anything is drawn: the parameters, their start
        and gradient, the forward and backward caches, the NTK and the records); above it
        InputError names this parameter. Default 4 GiB.

    Raises
    ------
    ValueError
        Bad shapes/values, eta >= eta_max (naming eta_crit and eta_max), a run above
        ``memory_budget``.
    SimulationDivergedError
        Non-finite loss; the message names the first step and member.

    Warns
    -----
    LearningRateWarning
        eta above Lee et al.'s eta_crit = 2c/(lambda_min + lambda_max) but below eta_max.
    """
    eta = _checks.positive("eta", eta)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
    if loss not in LOSS_SCALES:
        raise ValueError(f"loss must be one of {LOSS_SCALES}, got {loss!r}")
    X = _check_X(model, X, "X")
    n = X.shape[0]
    Y = _checks.array("Y", Y, finite=False)
    if Y.shape != (n,) or not np.all(np.isfinite(Y)):
        raise ValueError(f"Y must be a finite array of shape ({n},), got {Y.shape}")
    Xall = X if X_test is None else np.concatenate([X, _check_X(model, X_test, "X_test")])
    memory_budget = _checks.positive("memory_budget", memory_budget)
    rec = record_steps(int(n_steps), n_records)

    def check_memory(S):
        _checks.memory("memory_budget", _train_memory(model, S, Xall.shape[0], n, len(rec), record_ntk, record_particles),
                       memory_budget, hint="or fewer seeds / records, or a narrower model")

    be = get_backend(backend, dtype)
    xp = be.xp
    if params0 is None:
        check_memory(_checks.integer("n_seeds", n_seeds, minimum=1))        # before anything is drawn
        params0 = init_params(model, n_seeds, seed, be, dtype, memory_budget=memory_budget)
        S = _check_params(model, params0)
    else:
        params0 = [(be.asarray(W), None if b is None else be.asarray(b)) for W, b in params0]
        S = _check_params(model, params0)
        check_memory(S)                                                    # the given members
    g, dg = backend_activation(model.activation, be)
    c = 1.0 if loss == "sum" else float(n)
    Xb, Yb = be.asarray(Xall), be.asarray(Y)
    layers = model.layers()

    f, cache = _forward(model, params0, Xb, g)
    deltas = _deltas(model, params0, cache, dg, xp)
    ntk0_all = _ntk_from(model, cache, deltas, [(h[..., :n, :], z) for h, z in cache],
                         [d[:, :n, :] for d in deltas], xp)  # (S, P, n)
    ntk0_np = be.to_numpy(ntk0_all)
    eta_crit, eta_max = eta_critical(ntk0_np[:, :n, :], loss=loss)
    if eta >= eta_max.min() and not allow_unstable:
        raise ValueError(f"eta={eta:.6g} >= eta_max = 2c/lambda_max(Theta_0) = {eta_max.min():.6g} (smallest over "
                         f"members; Lee et al.'s eta_crit = 2c/(lambda_min+lambda_max) = {eta_crit.min():.6g}): "
                         "GD on the linearised model diverges; pass allow_unstable=True to run anyway")
    if eta > eta_crit.min():
        warnings.warn(f"eta={eta:.6g} exceeds eta_crit = 2c/(lambda_min+lambda_max) = {eta_crit.min():.6g} "
                      f"(Lee et al. arXiv:1902.06720 Thm 2.1 assumes eta < eta_crit; eta_max = {eta_max.min():.6g})",
                      LearningRateWarning, stacklevel=2)

    R, P = len(rec), Xall.shape[0]
    out = {k: np.empty((R, S, P)) for k in ("f", "f_lin")}
    out.update({k: np.empty((R, S)) for k in ("loss", "ntk_change", "param_distance", "neuron_displacement")})
    if record_particles and model.depth != 2:
        raise ValueError("record_particles needs a two-layer network")
    ntk_hist = np.empty((R, S, n, n)) if record_ntk else None
    part_hist = np.empty((R, S, model.width, model.widths[0] + 1 + (model.sigma_b > 0))) if record_particles else None
    params = [(xp.asarray(W, copy=True), None if b is None else xp.asarray(b, copy=True)) for W, b in params0]
    ntk0_train = ntk0_all[:, :n, :]
    part0 = _particles(params0, xp) if model.depth == 2 else None
    sup_ntk = xp.zeros(S, dtype=f.dtype)
    sup_gap = xp.zeros(S, dtype=f.dtype)
    now = {}              # the current step's outputs, residuals, loss, NTK and NTK change

    def measure(step):
        """Forward pass at the current parameters (step > 0), its divergence test and the running sups."""
        nonlocal sup_ntk, sup_gap
        if step == 0:
            f_, cache_, deltas_, f_lin_ = f, cache, deltas, f
        else:
            f_, cache_ = _forward(model, params, Xb, g)
            deltas_, f_lin_ = _deltas(model, params, cache_, dg, xp), now["f_lin"]
        res = f_[:, :n] - Yb
        L_t = 0.5 * xp.sum(res * res, axis=1) / c
        bad = ~finite_members(be, [L_t])
        if bad.any():  # checked every step, so this is the first bad step
            s = int(np.argmax(bad))
            raise SimulationDivergedError(f"GD diverged at step {step} (t = eta*step = {eta * step:.6g}) "
                                          f"in member {s} of {S} (loss not finite; eta={eta:.6g}, "
                                          f"eta_max={eta_max[s]:.6g})")
        if step == 0:
            theta_t = ntk0_train
        else:
            c_n, d_n = [(h[..., :n, :], z[:, :n]) for h, z in cache_], [d[:, :n] for d in deltas_]
            theta_t = _ntk_from(model, c_n, d_n, c_n, d_n, xp)
        dth = xp.sqrt(xp.sum((theta_t - ntk0_train) ** 2, axis=(1, 2)))
        gap = xp.sqrt(xp.mean((f_ - f_lin_) ** 2, axis=1))
        sup_ntk = xp.maximum(sup_ntk, dth)
        sup_gap = xp.maximum(sup_gap, gap)
        now.update(f=f_, cache=cache_, deltas=deltas_, f_lin=f_lin_, res=res, L=L_t, theta=theta_t, dth=dth)

    def record(j):
        out["f"][j] = be.to_numpy(now["f"])
        out["f_lin"][j] = be.to_numpy(now["f_lin"])
        out["loss"][j] = be.to_numpy(now["L"])
        out["ntk_change"][j] = be.to_numpy(now["dth"])
        if ntk_hist is not None:
            ntk_hist[j] = be.to_numpy(now["theta"])
        d2 = 0.0
        for (W, b), (W0, b0) in zip(params, params0):
            d2 = d2 + xp.sum((W - W0) ** 2, axis=(1, 2)) + (0.0 if b is None else xp.sum((b - b0) ** 2, axis=1))
        out["param_distance"][j] = be.to_numpy(xp.sqrt(d2))
        if model.depth == 2:
            part = _particles(params, xp)
            if part_hist is not None:
                part_hist[j] = be.to_numpy(part)
            dn = xp.sum((part - part0) ** 2, axis=2)
            out["neuron_displacement"][j] = be.to_numpy(xp.mean(xp.sqrt(dn), axis=1))
        else:
            out["neuron_displacement"][j] = np.nan

    def advance(step, _one):
        """One GD step of the network (layer-wise backprop of dL/df) and of its linearisation."""
        nonlocal params
        gf = now["res"] / c
        new = []
        for l, ((W, b), (li, lo, cW, cb, sW, sB, rW, rb)) in enumerate(zip(params, layers)):
            e = now["deltas"][l][:, :n, :] * gf[:, :, None]  # (S, n, n_l)
            gW = cW * (e.mT @ now["cache"][l][0][..., :n, :])
            W = W - (eta * rW) * gW
            if b is not None:
                b = b - (eta * rb * cb) * xp.sum(e, axis=1)
            new.append((W, b))
        params = new
        # the linearised model, in function space with Theta_0 (exact)
        now["f_lin"] = now["f_lin"] - eta * (ntk0_all @ ((now["f_lin"][:, :n] - Yb) / c)[:, :, None])[..., 0]
        measure(step + 1)

    measure(0)
    run_schedule(rec, advance, record, chunk=1, progress=progress,
                 desc=f"GD {model.parameterization} m={model.width} S={S}")
    to_np = lambda ps: [(be.to_numpy(W), None if b is None else be.to_numpy(b)) for W, b in ps]  # noqa: E731
    return WideTrainingResult(model, eta, loss, n, rec, out["f"], out["f_lin"], out["loss"], out["ntk_change"],
                              out["param_distance"], out["neuron_displacement"], be.to_numpy(sup_ntk),
                              be.to_numpy(sup_gap), ntk0_np[:, :n, :], eta_crit, eta_max, to_np(params0),
                              to_np(params), ntk_hist, part_hist)
