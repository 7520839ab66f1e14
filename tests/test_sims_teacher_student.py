"""Online SGD simulator: parity across backends, gram == full in law, reproducibility, errors."""
import numpy as np
import pytest

from sims.teacher_student import SimulationDivergedError, TeacherStudent, simulate_sgd

P = TeacherStudent(N=64, K=2, M=3, eta=0.8, eta_v=0.3, sigma=0.2, kappa=0.1, init_overlap=0.3, init_std=0.7)


@pytest.fixture
def noise(predrawn_noise):
    """Inputs of 3 seeds x 400 steps for this module's problem P (mini-batches of ``batch_size``)."""
    return lambda method, batch_size=1: predrawn_noise(method, 3, 400, P.N, P.K + P.M, batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("method", ["full", "gram"])
def test_numpy_and_torch_give_the_same_trajectory_from_the_same_inputs(method, batch_size, torch_backend, noise):
    kw = dict(alphas=np.linspace(0, 400 / P.N, 9), n_seeds=3, seed=5, method=method, noise=noise(method, batch_size))
    p = P.with_(batch_size=batch_size)
    a = simulate_sgd(p, backend="numpy", **kw)
    b = simulate_sgd(p, backend="torch", **kw)
    for name in ("Q", "R", "v", "eps_g"):
        assert np.abs(getattr(a, name) - getattr(b, name)).max() < 1e-10, name


@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("method", ["full", "gram"])
def test_numba_kernels_equal_the_array_api_kernels(method, batch_size, noise):
    kw = dict(alphas=np.linspace(0, 400 / P.N, 9), n_seeds=3, seed=5, method=method, noise=noise(method, batch_size))
    p = P.with_(batch_size=batch_size)
    a = simulate_sgd(p, use_numba=True, **kw)
    b = simulate_sgd(p, use_numba=False, **kw)
    assert np.abs(a.Q - b.Q).max() < 1e-10 and np.abs(a.v - b.v).max() < 1e-10


def test_a_mini_batch_step_is_the_mean_of_its_per_sample_updates(noise):
    """Explicit weights, B = 3: each step is w <- (1 - kappa/N) w + (1/B) sum_mu (eta/sqrt N) v
    g'(lambda^mu) (y^mu - phi^mu) x^mu, and likewise for v -- written out here in plain NumPy."""
    from scipy.special import erf
    B, n = 3, 5
    p = P.with_(batch_size=B)
    nz = noise("full", B)
    tr = simulate_sgd(p, alphas=[0.0, n / p.N], n_seeds=3, seed=5, noise=nz, initial_weights=None, method="full")
    from sims.teacher_student import draw_initial_weights
    from sims.backends import as_seed_sequence
    init_ss = [ss.spawn(2)[0] for ss in as_seed_sequence(5).spawn(3)]
    w, ws = draw_initial_weights(p, init_ss)
    v = np.broadcast_to(p.v0_array, (3, p.K)).copy()
    g = lambda x: erf(x / np.sqrt(2))
    dg = lambda x: np.sqrt(2 / np.pi) * np.exp(-x * x / 2)
    s = 1 - p.kappa / p.N
    for t in range(n):
        x = nz["x"][:, t]                                                   # (S, B, N)
        lam = np.einsum("skn,sbn->sbk", w, x) / np.sqrt(p.N)
        rho = np.einsum("smn,sbn->sbm", ws, x) / np.sqrt(p.N)
        err = g(rho).sum(-1) - (v[:, None] * g(lam)).sum(-1) + p.sigma * nz["zeta"][:, t]
        dw = np.einsum("sbk,sbn->skn", (p.eta / np.sqrt(p.N)) * v[:, None] * dg(lam) * err[..., None], x) / B
        dv = (p.eta_v / p.N) * (g(lam) * err[..., None]).mean(axis=1)
        w, v = s * w + dw, s * v + dv
    assert np.allclose(tr.Q[:, -1], w @ np.swapaxes(w, 1, 2) / p.N, rtol=1e-12, atol=1e-14)
    assert np.allclose(tr.v[:, -1], v, rtol=1e-12, atol=1e-14)


def test_gram_chain_has_the_law_of_explicit_weight_sgd():
    """Same initial weights, independent noise: eps_g and Q_11 at alpha = 3 agree in mean.

    Two-sample Welch t-test per observable at alpha = 1e-4 each; the mean eps_g difference it
    detects (MDD) is about 4 % of eps_g -- e.g. dropping the |x|^2 = |z|^2 + chi^2 term (using
    N instead) shifts eps_g at eta = 1.5, N = 40 by far more.
    """
    from scipy import stats
    p = TeacherStudent(N=40, K=2, M=2, eta=1.5, sigma=0.3, init_overlap=0.2, init_std=0.6)
    a = simulate_sgd(p, alphas=[1.0, 3.0], n_seeds=600, seed=1, method="full")
    b = simulate_sgd(p, alphas=[1.0, 3.0], n_seeds=600, seed=1, method="gram")
    assert np.allclose(a.Q[:, 0], b.Q[:, 0])          # identical initial conditions
    for x, y in ((a.eps_g[:, -1], b.eps_g[:, -1]), (a.Q[:, -1, 0, 0], b.Q[:, -1, 0, 0])):
        assert stats.ttest_ind(x, y, equal_var=False).pvalue > 1e-4


def test_gram_chain_has_the_law_of_explicit_weight_mini_batch_sgd():
    """As above with mini-batches of B = 4 (the chain draws the inputs' cross products through a
    Wishart matrix). Welch t-tests at alpha = 1e-4 of eps_g and Q_11 at alpha = 3 and of the
    off-diagonal Q_12; 600 + 600 seeds. Treating the cross products x^mu.x^nu as 0 (their mean)
    instead of drawing them changes the eta^2 N^-1/2 fluctuations only; dropping the Wishart part
    (N - K - M of the N dimensions) shifts eps_g by far more than the MDD (about 4 %)."""
    from scipy import stats
    p = TeacherStudent(N=40, K=2, M=2, eta=3.0, sigma=0.3, init_overlap=0.2, init_std=0.6, batch_size=4)
    a = simulate_sgd(p, alphas=[1.0, 3.0], n_seeds=600, seed=1, method="full")
    b = simulate_sgd(p, alphas=[1.0, 3.0], n_seeds=600, seed=1, method="gram")
    assert np.allclose(a.Q[:, 0], b.Q[:, 0])
    for x, y in ((a.eps_g[:, -1], b.eps_g[:, -1]), (a.Q[:, -1, 0, 0], b.Q[:, -1, 0, 0]),
                 (a.Q[:, -1, 0, 1], b.Q[:, -1, 0, 1])):
        assert stats.ttest_ind(x, y, equal_var=False).pvalue > 1e-4


REALISABLE = TeacherStudent(N=50, K=2, M=2, eta=0.5, orthonormal_teacher=True)


@pytest.mark.parametrize("use_numba", [True, False])
def test_gram_chain_follows_the_student_onto_the_teacher(use_numba):
    """Realisable erf K = M = 2, sigma = 0 (Saad & Solla's perfect learning): the field covariance
    becomes singular as the student reaches the teacher's span. The chain must factor it as
    semi-definite and keep going, down to eps_g ~ 1e-14 at alpha = 1000 where explicit weights reach
    1e-16 (both are round-off floors), instead of stopping with a false divergence (it used to
    stop at step ~4e4, eps_g ~ 1e-14)."""
    kw = dict(alphas=np.linspace(0, 1000, 11), n_seeds=4, seed=1)
    g = simulate_sgd(REALISABLE, method="gram", use_numba=use_numba, **kw)
    f = simulate_sgd(REALISABLE, method="full", **kw)
    assert np.all(g.diverged_step < 0)
    assert np.all(np.abs(g.eps_g[:, -1]) < 1e-12) and np.all(np.abs(f.eps_g[:, -1]) < 1e-12)


def test_gram_chain_has_the_law_of_explicit_weights_close_to_the_teacher():
    """Two-sample Welch t-test (alpha = 1e-4) of log eps_g at alpha = 600, where eps_g ~ 1e-11:
    the chain's convergence rate is that of explicit-weight SGD. Measured: mean log10 eps_g -11.2,
    SD 0.75 decades per seed; the MDD (power 0.8) over 200 + 200 seeds is 0.36 decades, i.e. ~3 % in
    the exponential rate."""
    from scipy import stats
    kw = dict(alphas=[0.0, 600.0], n_seeds=200, seed=3)
    g = simulate_sgd(REALISABLE, method="gram", **kw)
    f = simulate_sgd(REALISABLE, method="full", seed=4, **{k: v for k, v in kw.items() if k != "seed"})
    lg, lf = np.log10(g.eps_g[:, -1]), np.log10(f.eps_g[:, -1])
    assert np.all(np.isfinite(lg)) and np.all(np.isfinite(lf))
    assert stats.ttest_ind(lg, lf, equal_var=False).pvalue > 1e-4


@pytest.mark.parametrize("method", ["full", "gram"])
@pytest.mark.parametrize("use_numba", [True, False])
def test_an_exact_teacher_start_stays_at_the_teacher(method, use_numba):
    p = REALISABLE.with_(init_std=0.0, init_overlap=1.0)
    tr = simulate_sgd(p, alphas=[0.0, 5.0, 10.0], n_seeds=2, seed=1, method=method, use_numba=use_numba)
    assert np.all(tr.diverged_step < 0) and np.all(np.abs(tr.eps_g) < 1e-14)


@pytest.mark.parametrize("method", ["full", "gram"])
def test_same_seed_same_numbers_whatever_the_record_grid_or_chunk(method):
    """NumPy backend: one stream per variable and seed, read in step order, so the recorded
    state at a shared time does not depend on the other recorded times or on chunk_steps."""
    a = simulate_sgd(P, alphas=[0.0, 2.0, 4.0], n_seeds=3, seed=7, method=method)
    b = simulate_sgd(P, alphas=np.linspace(0, 4.0, 17), n_seeds=3, seed=7, method=method, chunk_steps=13)
    c = simulate_sgd(P, alphas=[0.0, 4.0], n_seeds=3, seed=7, method=method, chunk_steps=1000)
    assert np.array_equal(a.Q[:, 1], b.Q[:, 8]) and np.array_equal(a.Q[:, 2], b.Q[:, -1])
    assert np.array_equal(a.R[:, 2], c.R[:, -1]) and np.array_equal(a.v[:, 2], c.v[:, -1])


def test_torch_full_numbers_do_not_depend_on_the_record_grid_or_chunk(torch_backend):
    """Device draws come in fixed blocks of the default chunk length, sliced at the records and
    at the chunks asked for."""
    kw = dict(n_seeds=2, seed=7, method="full", backend="torch")
    a = simulate_sgd(P, alphas=[0.0, 4.0], **kw)
    b = simulate_sgd(P, alphas=np.linspace(0, 4.0, 9), chunk_steps=50, **kw)
    c = simulate_sgd(P, alphas=[0.0, 2.0, 4.0], chunk_steps=7, **kw)
    assert np.array_equal(a.Q[:, -1], b.Q[:, -1]) and np.array_equal(a.Q[:, -1], c.Q[:, -1])
    assert np.array_equal(b.R[:, 4], c.R[:, 1])


def test_same_seed_same_numbers_and_members_do_not_depend_on_ensemble_size():
    kw = dict(alpha_max=2.0, seed=123, n_records=5)
    a = simulate_sgd(P, n_seeds=3, **kw)
    b = simulate_sgd(P, n_seeds=3, **kw)
    c = simulate_sgd(P, n_seeds=5, **kw)
    assert np.array_equal(a.Q, b.Q)
    assert np.array_equal(a.Q, c.Q[:3])


def test_recorded_eps_g_matches_its_definition_on_fresh_samples():
    """eps_g recorded from the weights equals 1/2 E(phi - phi*)^2 estimated with fresh inputs (5 SE)."""
    from theory.activations import get_activation
    p = TeacherStudent(N=50, K=2, M=2, eta=0.5, init_overlap=0.5, init_std=0.5, activation="relu")
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(1, 2, 50)) * 0.7
    ws = rng.normal(size=(1, 2, 50))
    tr = simulate_sgd(p, alphas=[0.0], n_seeds=1, initial_weights=(w0, ws))
    x = rng.normal(size=(400_000, 50))
    g = get_activation("relu").g
    d = 0.5 * (g(x @ w0[0].T / np.sqrt(50)).sum(1) - g(x @ ws[0].T / np.sqrt(50)).sum(1)) ** 2
    assert abs(tr.eps_g[0, 0] - d.mean()) < 5 * d.std() / np.sqrt(d.size)


def test_orthonormal_teacher_has_identity_overlaps():
    tr = simulate_sgd(P.with_(orthonormal_teacher=True), alphas=[0.0], n_seeds=2)
    assert np.abs(tr.T - np.eye(P.M)).max() < 1e-12


@pytest.mark.parametrize("method", ["full", "gram"])
def test_divergence_names_step_and_seed(method):
    p = TeacherStudent(N=50, K=2, M=2, eta=40.0, activation="linear", init_overlap=0.5)
    with pytest.raises(SimulationDivergedError, match=r"diverged at step \d+ .*seed index \d"):
        simulate_sgd(p, 200.0, n_seeds=2, method=method)


def test_divergence_can_be_flagged_instead():
    p = TeacherStudent(N=50, K=2, M=2, eta=40.0, activation="linear", init_overlap=0.5)
    tr = simulate_sgd(p, 200.0, n_seeds=2, method="gram", on_divergence="flag")
    assert np.all(tr.diverged_step > 0)
    assert np.isnan(tr.eps_g[:, -1]).all() and np.isfinite(tr.eps_g[:, 0]).all()


def test_numba_and_array_api_kernels_name_the_same_divergence_step():
    """The replay that names the step agrees with the numba kernel's per-step check.

    On the last step before overflow the field covariance (entries ~1e300) is numerically on the
    edge of positive definiteness: the hand-written factorisation may reject it one step before
    LAPACK's does (the array-API path then reports the NaN it produces a step later). So the two
    agree to within that single step, never more.
    """
    p = TeacherStudent(N=50, K=2, M=2, eta=40.0, activation="linear", init_overlap=0.5)
    a = simulate_sgd(p, 200.0, n_seeds=3, method="gram", on_divergence="flag", use_numba=True)
    b = simulate_sgd(p, 200.0, n_seeds=3, method="gram", on_divergence="flag", use_numba=False)
    assert np.all(a.diverged_step > 0)
    assert np.all((b.diverged_step - a.diverged_step >= 0) & (b.diverged_step - a.diverged_step <= 1))


def test_float32_runs():
    tr = simulate_sgd(P, 1.0, n_seeds=2, dtype="float32", n_records=4)
    assert np.all(np.isfinite(tr.eps_g))


@pytest.mark.parametrize("kwargs,name", [
    (dict(N=0), "N"), (dict(K=-1), "K"), (dict(M=1.5), "M"), (dict(eta=-0.1), "eta"), (dict(eta_v=np.inf), "eta_v"),
    (dict(sigma=-1.0), "sigma"), (dict(kappa=np.nan), "kappa"), (dict(activation="softplus"), "activation"),
    (dict(teacher_activation="elu"), "teacher_activation"), (dict(v_star=(1.0,)), "v_star"),
    (dict(v0=(1.0, np.nan)), "v0"), (dict(init_std=-1.0), "init_std"),
])
def test_bad_problem_parameters_are_named(kwargs, name):
    base = dict(N=20, K=2, M=2, eta=0.1)
    base.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=name):
        TeacherStudent(**base)


def test_gram_mini_batch_needs_room_for_the_wishart_part():
    p = TeacherStudent(N=8, K=2, M=2, eta=0.5, batch_size=5)
    with pytest.raises(ValueError, match="batch_size"):
        simulate_sgd(p, 1.0, method="gram")
    simulate_sgd(p, 1.0, method="full")


def test_bad_run_arguments_are_named():
    with pytest.raises(ValueError, match="backend"):
        simulate_sgd(P, 1.0, backend="jax")
    with pytest.raises(ValueError, match="n_seeds"):
        simulate_sgd(P, 1.0, n_seeds=0)
    with pytest.raises(ValueError, match="method"):
        simulate_sgd(P, 1.0, method="exact")
    with pytest.raises(ValueError, match="seed"):
        simulate_sgd(P, 1.0, seed=-3)
    with pytest.raises(ValueError, match="alpha_max"):
        simulate_sgd(P, -1.0)
    with pytest.raises(ValueError, match="N > K"):
        simulate_sgd(P.with_(N=4), 1.0, method="gram")
    with pytest.raises(ValueError, match="initial_weights"):
        simulate_sgd(P, 1.0, initial_weights=(np.zeros((1, 3, P.N)), np.zeros((1, P.M, P.N))))
    with pytest.raises(ValueError, match="dtype"):
        simulate_sgd(P, 1.0, dtype="float16")


def test_ode_from_measured_initial_condition_tracks_a_large_n_run():
    """Smoke version of the concentration claim: at N = 20000 the gram chain stays within 0.01 of the ODE."""
    p = TeacherStudent(N=20000, K=2, M=2, eta=1.0, init_overlap=0.2, init_std=0.5)
    tr = simulate_sgd(p, 5.0, n_seeds=2, method="gram", n_records=10)
    Q0, R0, v0, T = tr.initial_order_parameters()
    ode = tr.ode().integrate(Q0, R0, v0, tr.alphas)
    assert np.abs(tr.eps_g - ode.eps_g).max() < 0.01


def test_nominal_order_parameters_are_the_large_n_law_of_the_initial_weights():
    p = TeacherStudent(N=20000, K=3, M=2, eta=0.5, init_overlap=0.4, init_std=0.6, orthonormal_teacher=True)
    Q0, R0, v0 = p.nominal_order_parameters()
    tr = simulate_sgd(p, alphas=[0.0], n_seeds=4, seed=2, method="gram")
    # fluctuations of the overlaps are O(N^-1/2) = 0.007 per entry; 6 SD bounds them
    assert np.abs(tr.Q[:, 0] - Q0).max() < 6 / np.sqrt(p.N) and np.abs(tr.R[:, 0] - R0).max() < 6 / np.sqrt(p.N)
    np.testing.assert_array_equal(v0, np.ones(3))


# ------------------------------------------------------------------------------------------------
# pyscm's set-ups (Goldt's scm_online.py): graded teacher, normalised outputs, informed and
# denoise starts, a teacher from a file
# ------------------------------------------------------------------------------------------------
def test_graded_teacher_has_overlaps_one_to_M():
    p = TeacherStudent(N=400, K=3, M=3, eta=0.5, teacher_T="graded")
    assert p.teacher_T == (1.0, 2.0, 3.0)
    exact = simulate_sgd(p.with_(orthonormal_teacher=True), alphas=[0.0], n_seeds=2, method="gram")
    np.testing.assert_allclose(exact.T, np.broadcast_to(np.diag([1.0, 2.0, 3.0]), (2, 3, 3)), atol=1e-12)
    drawn = simulate_sgd(p, alphas=[0.0], n_seeds=2, method="gram")
    # T_mn = sqrt(m n) (w_m . w_n)/N with unit-variance rows: SD sqrt(m n (1 + delta_mn)/N) <= 0.25
    assert np.abs(drawn.T - np.diag([1.0, 2.0, 3.0])).max() < 6 * 0.25
    np.testing.assert_array_equal(p.ode().T, np.diag([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("method", ["full", "gram"])
def test_normalised_outputs_are_second_layers_over_K_and_M(method):
    p = TeacherStudent(N=50, K=3, M=2, eta=0.7, eta_v=0.2, sigma=0.1, init_overlap=0.2, normalise=True)
    explicit = p.with_(normalise=False, v0=(1 / 3,) * 3, v_star=(0.5, 0.5))
    a = simulate_sgd(p, 2.0, n_seeds=2, seed=4, method=method, n_records=5)
    b = simulate_sgd(explicit, 2.0, n_seeds=2, seed=4, method=method, n_records=5)
    for f in ("Q", "R", "v", "eps_g"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_array_equal(p.ode().v_star, [0.5, 0.5])


@pytest.mark.parametrize("init", ["random", "informed", "denoise"])
def test_every_start_has_its_nominal_order_parameters(init):
    p = TeacherStudent(N=20000, K=5, M=2, eta=0.5, init_std=0.3, teacher_T="graded", orthonormal_teacher=True,
                       init=init, init_overlap=0.4 if init == "random" else 0.0)
    Q0, R0, _ = p.nominal_order_parameters()
    tr = simulate_sgd(p, alphas=[0.0], n_seeds=3, seed=5, method="gram")
    # each overlap is a sum of O(1) products with SD <= sqrt(2 T_max)/sqrt(N) ~ 0.014; 6 SD bounds them
    assert np.abs(tr.Q[:, 0] - Q0).max() < 6 * 2 / np.sqrt(p.N) and np.abs(tr.R[:, 0] - R0).max() < 6 * 2 / np.sqrt(p.N)
    if init == "denoise":   # units 0, 2, 4 share teacher 0 (1/3 each); 1, 3 share teacher 1 (1/2 each)
        np.testing.assert_allclose(R0[:, 0], [1 / 3, 0, 1 / 3, 0, 1 / 3])
        np.testing.assert_allclose(R0[:, 1], [0, 1.0, 0, 1.0, 0])   # 2/2 with T_11 = 2
    if init == "informed":
        np.testing.assert_allclose(R0[:2], np.diag([1.0, 2.0]))
        np.testing.assert_allclose(R0[2:], 0.0)


@pytest.mark.parametrize("init", ["informed", "denoise"])
def test_informed_and_denoise_starts_realise_a_linear_teacher(init):
    # the denoise copies add up to the teacher's weights, so a linear student computes the teacher
    p = TeacherStudent(N=200, K=4, M=2, eta=0.5, activation="linear", init=init, init_std=1e-9,
                       v0=(1.0, 1.0, 0.0, 0.0) if init == "informed" else None)
    tr = simulate_sgd(p, alphas=[0.0], n_seeds=2, method="gram")
    assert tr.eps_g[:, 0].max() < 1e-15


def test_a_teacher_file_gives_the_same_run_as_the_teacher_drawn_in_it(tmp_path):
    from sims.backends import as_seed_sequence
    from sims.teacher_student import draw_initial_weights
    p = TeacherStudent(N=60, K=3, M=2, eta=0.6, sigma=0.1, init_overlap=0.3, init_std=0.5)
    init_ss = as_seed_sequence(7).spawn(1)[0].spawn(2)[0]   # simulate_sgd's layout: seed s -> (init, noise)
    _, w_star = draw_initial_weights(p, [init_ss])
    ref = simulate_sgd(p, 1.0, n_seeds=1, seed=7, n_records=4)
    for name, save in (("t.npy", np.save), ("t.txt", np.savetxt)):
        path = tmp_path / name
        save(path, w_star[0])
        tr = simulate_sgd(p.with_(teacher_file=str(path)), 1.0, n_seeds=1, seed=7, n_records=4)
        np.testing.assert_array_equal(tr.Q, ref.Q)
        np.testing.assert_array_equal(tr.R, ref.R)
        np.testing.assert_allclose(p.with_(teacher_file=str(path)).nominal_T(), w_star[0] @ w_star[0].T / p.N)


def test_bad_setups_are_named(tmp_path):
    base = dict(N=20, K=2, M=3, eta=0.1)
    with pytest.raises(ValueError, match="init must be one of"):
        TeacherStudent(**base, init="small")
    with pytest.raises(ValueError, match="needs K >= M"):
        TeacherStudent(**base, init="denoise")
    with pytest.raises(ValueError, match="init_overlap applies"):
        TeacherStudent(**dict(base, K=3), init="informed", init_overlap=0.5)
    with pytest.raises(ValueError, match="teacher_T"):
        TeacherStudent(**base, teacher_T="steep")
    with pytest.raises(ValueError, match="teacher_T"):
        TeacherStudent(**base, teacher_T=(1.0, -1.0, 2.0))
    with pytest.raises(ValueError, match="teacher_file fixes"):
        TeacherStudent(**base, teacher_file="t.npy", orthonormal_teacher=True)
    with pytest.raises(TypeError, match="normalise"):
        TeacherStudent(**base, normalise="yes")
    bad = tmp_path / "bad.npy"
    np.save(bad, np.ones((3, 19)))
    with pytest.raises(ValueError, match="teacher_file .* 3 x 20"):
        simulate_sgd(TeacherStudent(**base, teacher_file=str(bad)), 1.0)
    nan = tmp_path / "nan.npy"
    np.save(nan, np.full((3, 20), np.nan))
    with pytest.raises(ValueError, match="non-finite"):
        simulate_sgd(TeacherStudent(**base, teacher_file=str(nan)), 1.0)
    with pytest.raises(ValueError, match="could not be read"):
        simulate_sgd(TeacherStudent(**base, teacher_file=str(tmp_path / "missing.txt")), 1.0)


def test_ode_tracks_a_large_n_run_with_a_graded_teacher_normalised_outputs_and_a_denoise_start():
    """Like the smoke test above: the ODE from the nominal (N -> inf) start follows the gram chain.

    eps_g falls from 0.020 to 0.010 here; the run differs from the ODE by O(N^-1/2) relative
    (overlap fluctuations), bounded by 6 N^-1/2 = 4 % of eps_g (observed about 0.5 %)."""
    p = TeacherStudent(N=20000, K=4, M=2, eta=1.0, init_std=0.3, teacher_T="graded", orthonormal_teacher=True,
                       normalise=True, init="denoise", sigma=0.1)
    tr = simulate_sgd(p, 5.0, n_seeds=2, method="gram", n_records=10)
    ode = p.ode().integrate(*p.nominal_order_parameters(), tr.alphas)
    assert np.abs(tr.eps_g - ode.eps_g).max() < 6 / np.sqrt(p.N) * float(ode.eps_g.max())
