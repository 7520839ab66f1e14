"""Goldt, Advani, Saxe, Krzakala, Zdeborova, "Dynamics of stochastic gradient descent for two-layer
neural networks in the teacher-student setup", NeurIPS 2019, arXiv:1906.08632.

Conventions: docs/DESIGN.md section 3; eps_g = 1/2 E(phi - phi*)^2 against the noise-free teacher,
y = phi* + sigma zeta; first layer eta/sqrt(N), second layer eta_v/N; alpha = steps/N.
Asymptotic errors are compared with the ODE started from the nominal initial condition and
averaged over the same late window; finite-N bias is removed by Richardson extrapolation in N
(:func:`validations._committee.richardson_window_average`).
"""
from __future__ import annotations

import numpy as np
import pytest

from sims.teacher_student import TeacherStudent, simulate_sgd
from theory.committee_fixed_points import asymptotic_error, asymptotic_error_linear, asymptotic_error_small_eta
from validations._backends import require_backend
from validations._committee import recorded_at, richardson_window_average, richardson_windows
from twolayer.claims.plotting import new_figure, shade_windows, theory_vs_sim
from twolayer.claims.stats import ALPHA, mean_vs_prediction, negative_control, slope_test
from twolayer.seeds import derive_seed

PAPER = dict(paper="Goldt et al. 2019", arxiv="1906.08632")


def _ode_window(p: TeacherStudent, a_lo, a_hi, n=41):
    Q0, R0, v0 = p.nominal_order_parameters()
    al = np.concatenate([[0.0], np.linspace(a_lo, a_hi, n)])
    return p.ode().integrate(Q0, R0, v0, al, rtol=1e-9, atol=1e-12).eps_g[1:].mean()


def _extrapolated_vs_ode(claim, problems, windows, names, *, n_seeds, seed, alpha):
    """For each problem: Richardson-extrapolated SGD window averages (samples over seeds) and the
    ODE window average; with a name, a t-test of the one against the other is recorded."""
    samples, theory = [], []
    for j, (p, w, name) in enumerate(zip(problems, windows, names)):
        ext, _ = richardson_window_average(p, *w, n_seeds=n_seeds, seed=derive_seed(seed, "problem", j))
        th = _ode_window(p, *w)
        samples.append(ext)
        theory.append(th)
        if name is not None:
            claim.check(mean_vs_prediction(ext, th, alpha=alpha, name=name))
    return samples, theory


# ------------------------------------------------------------------------------------------------
# 1. concentration: SGD follows the ODE with deviations O(N^-1/2)
# ------------------------------------------------------------------------------------------------
CONC = [pytest.param((250, 500, 1000, 2000), 20, "numpy", id="fast"),
        pytest.param((500, 1000, 2000, 4000, 8000), 32, "numpy", marks=pytest.mark.slow, id="slow"),
        pytest.param((1000, 2000, 4000, 8000, 16000), 64, "torch:cuda", marks=pytest.mark.gpu, id="gpu-torch"),
        pytest.param((1000, 2000, 4000, 8000, 16000), 64, "cupy", marks=pytest.mark.gpu, id="gpu-cupy")]


@pytest.mark.claim(ref="Theorem 1 (concentration); Fig. 1",
                   theory=("theory.committee_ode:CommitteeODE",),
                   sims=("sims.teacher_student:simulate_sgd",), **PAPER)
@pytest.mark.parametrize("Ns,n_seeds,backend", CONC)
@pytest.mark.heavy
def test_sgd_follows_ode_with_inverse_sqrt_n_deviation(claim, seed, Ns, n_seeds, backend):
    """Explicit-weight SGD follows the ODE from its own initial condition; the maximal deviation shrinks like N^-1/2.

    K = M = 2, erf, first layer, eta = 1, sigma = 0, random teacher (the ODE uses each seed's
    measured T, Q0, R0), w_k = 0.2 w*_k + 0.5 xi. For each N and seed: D = max over 40 log-spaced
    alpha <= 10 of |eps_SGD - eps_ODE| and of max_ij |(Q, R)_SGD - (Q, R)_ODE|. Log-log slope of
    the ensemble means against N, two-sided t-test of slope = -1/2 (Welch degrees of freedom,
    alpha split over the two quantities). MDD of the slope (reported) is about 0.15, so a
    deviation scaling like N^-1/4 or N^-1 -- or not shrinking at all -- is rejected. A 5 % error in
    the exponent (0.025) is out of reach: it is a sixth of the MDD, and MDD ~ S^-1/2 would need
    ~35x the seeds; the claim resolves exponents to ~0.15. The ``gpu`` versions run the same
    explicit-weight SGD on CUDA (torch or CuPy) up to N = 16000 with 64 seeds.
    """
    if backend != "numpy":
        require_backend(backend)
    devs_eps, devs_op, keep = [], [], {}
    for N in Ns:
        p = TeacherStudent(N=N, K=2, M=2, eta=1.0, init_overlap=0.2, init_std=0.5)
        tr = simulate_sgd(p, 10.0, n_seeds=n_seeds, seed=derive_seed(seed, "goldt2019", "concentration", N),
                          n_records=40,
                          backend=backend)
        Q0, R0, v0, T = tr.initial_order_parameters()
        ode = tr.ode().integrate(Q0, R0, v0, tr.alphas)
        devs_eps.append(np.abs(tr.eps_g - ode.eps_g).max(axis=1))
        op = np.maximum(np.abs(tr.Q - ode.Q).max(axis=(2, 3)), np.abs(tr.R - ode.R).max(axis=(2, 3)))
        devs_op.append(op.max(axis=1))
        keep[N] = (tr, ode)
    for name, devs in (("eps_g", devs_eps), ("order parameters", devs_op)):
        claim.check(slope_test(Ns, devs, expected=-0.5, alpha=ALPHA / 2,
                               name=f"log-log slope of max |SGD - ODE| ({name}) vs N"))

    def fig():
        f, ax = new_figure(2)
        tr, ode = keep[Ns[0]]
        theory_vs_sim(ax[0], tr.alphas[1:], ode.eps_g[:, 1:].mean(0), tr.eps_g[:, 1:], logx=True,
                      label_theory="ODE (mean over seeds' own inits)", label_sim=f"SGD N={Ns[0]}")
        ax[0].set(xlabel="alpha", ylabel="eps_g", title="SGD vs ODE")
        m = np.array([d.mean() for d in devs_eps])
        se = np.array([d.std(ddof=1) / np.sqrt(d.size) for d in devs_eps])
        Na = np.array(Ns, float)
        ref = np.exp(np.mean(np.log(m))) * (Na / np.exp(np.mean(np.log(Na)))) ** -0.5
        theory_vs_sim(ax[1], Na, ref, sim_mean=m, sim_se=se, logx=True, logy=True,
                      label_theory="N^-1/2 (through the data's centre)", label_sim="mean max |eps_SGD - eps_ODE|")
        ax[1].set_xticks(Na, [str(n) for n in Ns])
        ax[1].minorticks_off()
        ax[1].set(xlabel="N", ylabel="deviation", title="Concentration")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 4. first layer only: asymptotic error grows linearly with the number of extra units
# ------------------------------------------------------------------------------------------------
LS = (0, 1, 2, 4)


@pytest.mark.claim(ref="section 3.1, eq. (15) and Fig. 3: eps_g* of over-parameterised students",
                   theory=("theory.committee_ode:CommitteeODE",),
                   sims=("sims.teacher_student:simulate_sgd",), **PAPER)
@pytest.mark.parametrize("activation,window", [("erf", (200.0, 400.0)), ("linear", (60.0, 120.0))])
@pytest.mark.heavy
def test_first_layer_asymptotic_error_grows_linearly_with_L(claim, seed, activation, window):
    """Long-time eps_g of first-layer SGD matches the theory for M = 2, L = 0, 1, 2, 4 and grows linearly in L.

    eta = 0.1, sigma = 0.5, v = v* = 1, orthonormal teacher; the M matched units start at the
    teacher plus 0.05 xi, the L extra units at 0.05 xi. Theory: the ODE from the nominal initial
    condition averaged over the late window (linear net: stationary at Kησ²/(2(2-Kη)) exactly;
    erf: within 0.3 % of the stationary point for L <= 1 and on the long-lived state for L >= 2 --
    for L >= 2 the erf ODE later leaves it on a much slower time scale, alpha ~ 10^3/eta, when
    extra units pair up; recorded in the report). SGD: Richardson-extrapolated window averages
    from N = 1000 and 2000 (14 seeds each). Assertions (alpha split over 5): per-L t-tests, and
    a t-test of the OLS slope of eps_g against L against the theory's slope (its MDD, reported,
    is ~2 % of the slope, so a flat eps_g is rejected by far). MDDs are reported (about 1-2 % of
    eps_g per L).
    """
    M = 2
    probs = [TeacherStudent(N=1000, K=M + L, M=M, eta=0.1, sigma=0.5, activation=activation, orthonormal_teacher=True,
                            init_overlap=1.0, init_std=0.05) for L in LS]
    samples, theory = _extrapolated_vs_ode(claim, probs, [window] * len(LS),
                                           [f"{activation} L={L}: eps_g (N->inf extrapolated)" for L in LS],
                                           n_seeds=14, seed=derive_seed(seed, "goldt2019", "L_first_layer", activation),
                                           alpha=ALPHA / 5)
    th_slope = np.polyfit(LS, theory, 1)[0]
    claim.check(slope_test(LS, samples, expected=th_slope, log=False, alpha=ALPHA / 5,
                           name=f"{activation}: d eps_g / d L"))

    def fig():
        f, ax = new_figure(1)
        theory_vs_sim(ax[0], LS, theory, sim_mean=[s.mean() for s in samples],
                      sim_se=[s.std(ddof=1) / np.sqrt(s.size) for s in samples], label_theory="ODE (late window)",
                      label_sim="SGD, N->inf extrapolated")
        eta, sig = 0.1, 0.5
        if activation == "erf":
            ax[0].plot(LS, [asymptotic_error_small_eta(M, L, eta, sig) for L in LS], "k:", label="small-eta formula")
            ax[0].plot(LS, [asymptotic_error(M, L, eta, sig).eps_g for L in LS], "k--", lw=0.8,
                       label="symmetric state, exact in eta")
        else:
            ax[0].plot(LS, [asymptotic_error_linear(M + L, eta, sig) for L in LS], "k:", label="exact formula")
        ax[0].legend(fontsize=7)
        ax[0].set(xlabel="L (extra units)", ylabel="asymptotic eps_g", title=f"First layer only, {activation}, M=2")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 5. both layers: the asymptotic error does not grow with L
# ------------------------------------------------------------------------------------------------
@pytest.mark.claim(ref="section 3.2 and Fig. 4: training both layers",
                   theory=("theory.committee_ode:CommitteeODE",),
                   sims=("sims.teacher_student:simulate_sgd",), **PAPER)
@pytest.mark.heavy
def test_both_layers_asymptotic_error_does_not_grow_with_L(claim, seed):
    """With both layers trained (erf), long-time eps_g does not grow with L; it matches the ODE for each L.

    M = 2, L = 0, 1, 2, 4, eta = eta_v = 0.5, sigma = 0.3, orthonormal teacher, matched units at
    the teacher plus 0.2 xi, extra units 0.2 xi, v = 1 initially. SGD: Richardson-extrapolated
    (N = 250, 500; 12 seeds) averages over alpha in [1000, 2000], where the ODE is within 6 % of
    its stationary values (reported). Assertions (alpha split over 5): per-L t-tests against the
    ODE window averages, and a one-sided t-test of the claim that the OLS slope of eps_g against L
    is <= 0: it fails on evidence of growth with L (a growth by the MDD of the slope, reported,
    about 4e-5 per unit, is detected with probability 0.8).
    """
    M = 2
    window = (1000.0, 2000.0)
    probs = [TeacherStudent(N=250, K=M + L, M=M, eta=0.5, eta_v=0.5, sigma=0.3, orthonormal_teacher=True,
                            init_overlap=1.0, init_std=0.2) for L in LS]
    samples, theory = _extrapolated_vs_ode(claim, probs, [window] * len(LS),
                                           [f"both layers L={L}: eps_g" for L in LS],
                                           n_seeds=12, seed=derive_seed(seed, "goldt2019", "L_both_layers"), alpha=ALPHA / 5)
    claim.check(slope_test(LS, samples, upper=0.0, log=False, alpha=ALPHA / 5,
                           name="both layers: d eps_g / d L"))

    def fig():
        f, ax = new_figure(1)
        theory_vs_sim(ax[0], LS, theory, sim_mean=[s.mean() for s in samples],
                      sim_se=[s.std(ddof=1) / np.sqrt(s.size) for s in samples], label_theory="ODE (late window)",
                      label_sim="SGD, N->inf extrapolated")
        ax[0].set(xlabel="L (extra units)", ylabel="asymptotic eps_g", title="Both layers trained, erf, M=2")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 6. eps_g proportional to sigma^2 and to eta at small eta
# ------------------------------------------------------------------------------------------------
@pytest.mark.claim(ref="eq. (15): eps_g* ~ eta sigma^2 (L + M/sqrt 3)/(2 pi) at small eta",
                   theory=("theory.committee_ode:CommitteeODE",),
                   sims=("sims.teacher_student:simulate_sgd",), **PAPER)
@pytest.mark.parametrize("scan", ["sigma", "eta"])
@pytest.mark.heavy
def test_asymptotic_error_scales_with_sigma_squared_and_eta(claim, seed, scan):
    """Asymptotic eps_g of K = M = 2 first-layer SGD scales like sigma^2 (at fixed eta) and like eta (at small eta).

    sigma in (0.25, 0.5, 1.0) at eta = 0.2, or eta in (0.05, 0.1, 0.2) at sigma = 0.5; students
    start at the teacher plus 0.05 xi. SGD: Richardson-extrapolated (N = 1000, 2000; 12 seeds)
    window averages over alpha in [40/eta, 80/eta]. Assertions (alpha split over 4): t-tests of
    each of the three extrapolated averages against the ODE's window average (the prefactor:
    MDD ~ 2 % of eps_g, reported, so a 5 % error in the theory's level fails), and a t-test of
    the log-log slope against sigma (eta) against the exponent of the ODE's own window averages
    (exact in eta and sigma; slope MDD ~ 0.03, so an eps_g ~ sigma or ~ eta^2 law is rejected by
    a wide margin). Reported, not asserted: the distance of the ODE exponent from the small-eta
    ideal 2 (1), the size of the O(sigma^2) and O(eta) corrections at these values.
    """
    if scan == "sigma":
        xs, ideal = (0.25, 0.5, 1.0), 2.0
        probs = [TeacherStudent(N=1000, K=2, M=2, eta=0.2, sigma=s, orthonormal_teacher=True, init_overlap=1.0,
                                init_std=0.05) for s in xs]
    else:
        xs, ideal = (0.05, 0.1, 0.2), 1.0
        probs = [TeacherStudent(N=1000, K=2, M=2, eta=e, sigma=0.5, orthonormal_teacher=True, init_overlap=1.0,
                                init_std=0.05) for e in xs]
    samples, theory = _extrapolated_vs_ode(claim, probs, [(40.0 / p.eta, 80.0 / p.eta) for p in probs],
                                           [f"{scan}={x}: eps_g (N->inf extrapolated)" for x in xs], n_seeds=12,
                                           seed=derive_seed(seed, "goldt2019", "scan", scan), alpha=ALPHA / 4)
    th_slope = float(np.polyfit(np.log(xs), np.log(theory), 1)[0])
    v = slope_test(xs, samples, expected=th_slope, alpha=ALPHA / 4,
                   name=f"d log eps_g / d log {scan} (SGD) vs ODE exponent")
    v.details["ode_exponent_minus_ideal"] = th_slope - ideal
    claim.check(v)

    def fig():
        f, ax = new_figure(1)
        theory_vs_sim(ax[0], xs, theory, sim_mean=[s.mean() for s in samples],
                      sim_se=[s.std(ddof=1) / np.sqrt(s.size) for s in samples], logx=True, logy=True,
                      label_theory="ODE", label_sim=f"SGD (slope {v.statistic:.3f})")
        ax[0].set(xlabel=scan, ylabel="asymptotic eps_g", title=f"eps_g vs {scan}")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 7. mini-batch SGD: the eta^2 terms scale as 1/B
# ------------------------------------------------------------------------------------------------
MB_WINDOWS = ((0.5, 1.5), (20.0, 30.0))
MINIBATCH = [pytest.param(500, 96, id="fast"), pytest.param(2000, 192, marks=pytest.mark.slow, id="slow")]


@pytest.mark.claim(ref="eqs. (8)-(10) with mini-batches: the eta^2 terms divided by B (theory.committee_ode)",
                   theory=("theory.committee_ode:CommitteeODE",),
                   sims=("sims.teacher_student:simulate_sgd",), **PAPER)
@pytest.mark.parametrize("N,n_seeds", MINIBATCH)
@pytest.mark.heavy
def test_mini_batch_sgd_follows_the_ode_with_its_eta_squared_terms_over_B(claim, seed, N, n_seeds):
    """SGD averaging B samples per step follows the ODE whose eta^2 terms are divided by B, not the B = 1 ODE.

    K = M = 2 erf, first layer only, eta = 1, sigma = 0.5, orthonormal teacher, students at
    0.2 w* + 0.5 xi; B in (2, 8); alpha = steps/N (a step uses B samples). The eta^2 terms (the
    gradient's second moment, which carries the output noise) set both the early descent and the
    noise floor, eps_g* ~ eta sigma^2/B at small eta. SGD: exact gram chain with Wishart cross
    products, window averages of eps_g over alpha in [0.5, 1.5] (descent) and [20, 30] (noise
    floor), Richardson-extrapolated from N and 2N. Theory: the mini-batch ODE started from each
    seed's own measured initial overlaps, averaged and extrapolated the same way, so each sample
    is paired with its prediction (the spread of the initial conditions, most of the early
    window's variance, cancels). Assertions: a paired t-test per (B, window), alpha split over
    the four; and, as negative controls, the B = 1 ODE's late-window average, paired the same way,
    is rejected for each B (the B = 1 floor lies 2x (B = 2) to 6x (B = 8) above the measured one).
    Audit (20 seeds, root 20261205): no failure; mean MDDs 4.0 % / 2.3 % of eps_g (B = 2, descent /
    floor) and 2.7 % / 1.5 % (B = 8), so a 5 % error in either window, or a noise term scaling as
    1/sqrt(B) instead of 1/B, fails; the B = 8 descent window's Stouffer z was +2.6 (KS p = 0.03),
    a possible O(N^-2) remainder of the extrapolation at eta = 1, within the design's calibration.
    """
    Bs = (2, 8)
    base = TeacherStudent(N=N, K=2, M=2, eta=1.0, sigma=0.5, orthonormal_teacher=True, init_overlap=0.2, init_std=0.5)
    shown = np.geomspace(0.01, MB_WINDOWS[-1][1], 25)
    keep = {}
    for B in Bs:
        p = base.with_(batch_size=B)
        ext, _, trajs, (pred, pred1) = richardson_windows(p, MB_WINDOWS, n_seeds=n_seeds, seed=derive_seed(seed, "goldt2019", "mini_batch", B),
                                                          extra_alphas=shown, own_odes=(p, p.with_(batch_size=1)))
        for (a_lo, a_hi), samples, th in zip(MB_WINDOWS, ext, pred):
            claim.check(mean_vs_prediction(samples, th, alpha=ALPHA / (2 * len(Bs)),
                                           name=f"B={B}: eps_g over alpha in [{a_lo:g}, {a_hi:g}] (N->inf)"))
        wrong = mean_vs_prediction(ext[-1], pred1[-1], alpha=ALPHA / (2 * len(Bs)),
                                   name=f"B={B} SGD vs the B=1 ODE, late window")
        claim.check(negative_control(wrong, f"negative control: B={B} SGD does not follow the B=1 ODE's noise floor"))
        keep[B] = (p, trajs[2 * N])

    def fig():
        f, ax = new_figure(1)
        Q0, R0, v0 = base.nominal_order_parameters()
        al = np.concatenate([[0.0], shown])
        for B, col in zip(Bs, ("C0", "C1")):
            p, tr = keep[B]
            sel = recorded_at(tr, al)
            theory_vs_sim(ax[0], tr.alphas[sel][1:], p.ode().integrate(Q0, R0, v0, tr.alphas[sel]).eps_g[1:],
                          tr.eps_g[:, sel][:, 1:], logx=True, logy=True, label_theory=f"ODE, B={B} (nominal start)",
                          label_sim=f"SGD N={tr.problem.N}, B={B}", color=col)
        ax[0].plot(al[1:], base.ode().integrate(Q0, R0, v0, al).eps_g[1:], "k:", label="ODE, B=1")
        shade_windows(ax[0], MB_WINDOWS)
        ax[0].legend(fontsize=7)
        ax[0].set(xlabel="alpha = steps / N", ylabel="eps_g", title="Mini-batch SGD, erf K=M=2, eta=1, sigma=0.5")
        return f
    claim.figure(fig)


# ------------------------------------------------------------------------------------------------
# 8. ReLU students and teachers: SGD follows the ReLU ODE
# ------------------------------------------------------------------------------------------------
RELU_WINDOWS = ((0.5, 1.5), (3.0, 5.0), (10.0, 14.0), (40.0, 60.0))
RELU_PAIR = [pytest.param(500, 64, id="fast"), pytest.param(2000, 128, marks=pytest.mark.slow, id="slow")]


@pytest.mark.claim(ref="section 2 and eqs. (8)-(10) for g = g* = ReLU (the paper's ReLU experiments, Figs. 3-4)",
                   theory=("theory.committee_ode:CommitteeODE", "theory.gaussian_integrals:relu_I4"),
                   sims=("sims.teacher_student:simulate_sgd",), **PAPER)
@pytest.mark.parametrize("N,n_seeds", RELU_PAIR)
@pytest.mark.heavy
def test_relu_sgd_follows_the_relu_ode(claim, seed, N, n_seeds):
    """A ReLU student (K = 2) learning a ReLU teacher (M = 2) follows the ReLU ODE, whose I4 is exact.

    First layer only, eta = 0.5, sigma = 0.1, orthonormal teacher, students at 0.2 w* + 0.5 xi.
    The ODE's expectations are all closed for ReLU: I2 (arc-cosine kernel), J2 (orthant), I3
    (Stein) and I4 (theory.gaussian_integrals.relu_I4, one interpolation integral of closed forms;
    the generic 4-D Gauss-Hermite rule it replaced was off by -19 %). SGD: exact gram chain, window
    averages of eps_g over alpha in [0.5, 1.5], [3, 5], [10, 14] (descent, where the eta^2 term
    with its I4 matters most) and [40, 60] (noise floor), Richardson-extrapolated from N and 2N.
    Theory: the ODE from each seed's own measured start, averaged and extrapolated alike (paired).
    Assertions: a paired t-test per window, alpha split over the four. Audit (20 seeds, root
    20261206): no failure, calibration ok; mean MDDs 3.0 %, 4.7 %, 9.8 % and 3.4 % of eps_g per
    window. The [10, 14] window falls during the specialisation, whose timing varies from seed to
    seed: it resolves about 10 %, not 5 %; the three others resolve 5 %.
    """
    p = TeacherStudent(N=N, K=2, M=2, eta=0.5, sigma=0.1, activation="relu", orthonormal_teacher=True,
                       init_overlap=0.2, init_std=0.5)
    shown = np.geomspace(0.01, RELU_WINDOWS[-1][1], 25)
    ext, _, trajs, (pred,) = richardson_windows(p, RELU_WINDOWS, n_seeds=n_seeds, seed=derive_seed(seed, "goldt2019", "relu"),
                                                extra_alphas=shown, own_odes=(p,))
    for (a_lo, a_hi), samples, th in zip(RELU_WINDOWS, ext, pred):
        claim.check(mean_vs_prediction(samples, th, alpha=ALPHA / len(RELU_WINDOWS),
                                       name=f"ReLU: eps_g over alpha in [{a_lo:g}, {a_hi:g}] (N->inf)"))

    def fig():
        f, ax = new_figure(1)
        tr = trajs[2 * N]
        Q0, R0, v0, T = tr.initial_order_parameters()
        ode = tr.ode().integrate(Q0, R0, v0, tr.alphas)
        sel = recorded_at(tr, shown)
        theory_vs_sim(ax[0], tr.alphas[sel], ode.eps_g[:, sel].mean(0), tr.eps_g[:, sel], logx=True, logy=True,
                      label_theory="ReLU ODE (mean over seeds' own starts)", label_sim=f"SGD N={2 * N}")
        shade_windows(ax[0], RELU_WINDOWS)
        ax[0].legend(fontsize=7)
        ax[0].set(xlabel="alpha = steps / N", ylabel="eps_g", title="ReLU K=M=2, eta=0.5, sigma=0.1")
        return f
    claim.figure(fig)
