"""twolayer.plots: each figure draws what it says, from real result objects, and names bad input."""
import numpy as np
import pytest

pytest.importorskip("matplotlib")

from twolayer import plots  # noqa: E402
from twolayer.errors import InputError  # noqa: E402


def _lines(ax):
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]


def test_order_parameters_draw_sgd_means_against_ode_lines(tmp_path):
    from sims.teacher_student import TeacherStudent, simulate_sgd
    P = TeacherStudent(N=100, K=2, M=2, eta=0.5)
    sgd = simulate_sgd(P, 3.0, n_seeds=4, seed=1, method="gram", n_records=6)
    ode = P.ode().integrate(sgd.Q[0, 0], sgd.R[0, 0], sgd.v[0, 0], sgd.alphas)
    fig = plots.order_parameters(sgd, ode, path=tmp_path / "op.png")
    assert (tmp_path / "op.png").stat().st_size > 5000 and len(fig.axes) == 3
    eps_ax, r_ax, q_ax = fig.axes
    np.testing.assert_allclose(_lines(eps_ax)[0].get_ydata(), ode.eps_g)
    np.testing.assert_allclose(_lines(r_ax)[1].get_ydata(), ode.R[:, 1, 1])
    means = [c for c in eps_ax.containers][0].lines[0].get_ydata()
    np.testing.assert_allclose(means, sgd.eps_g.mean(0))
    assert q_ax.get_xlabel().startswith(r"$\alpha$") and eps_ax.get_yscale() == "log"
    with pytest.raises(InputError, match="entries"):
        plots.order_parameters(sgd, entries=("eps",))


def test_first_layer_animation_writes_one_frame_per_record(tmp_path):
    from PIL import Image
    from sims.wide_training import WideMLP, train_gd
    X = np.linspace(-1, 1, 12)[:, None]
    model = WideMLP((1, 64), "relu", "scaled", alpha=1.0)
    r = train_gd(model, X, np.sin(3 * X[:, 0]), eta=0.5, n_steps=40, n_seeds=2, seed=3, n_records=5,
                 record_particles=True)
    fig = plots.first_layer_animation(r, tmp_path / "w.gif", member=1)
    with Image.open(tmp_path / "w.gif") as im:
        assert im.n_frames == r.particle_history.shape[0]
    last = r.particle_history[-1, 1]                       # (m, 1 + d + 1): (u, theta, b)
    np.testing.assert_allclose(fig.axes[0].collections[0].get_offsets(), last[:, [1, 0]])   # x: theta, y: u
    assert fig.axes[0].get_xlabel() == "input weight w" and fig.axes[0].get_ylabel() == "readout u"
    with pytest.raises(InputError, match="member"):
        plots.first_layer_animation(r, tmp_path / "x.gif", member=-1)
    r.particle_history = None
    with pytest.raises(ValueError, match="record_particles=True"):
        plots.first_layer_animation(r, tmp_path / "x.gif")


def test_crossing_probability_has_exact_intervals_and_the_reference_line():
    from scipy.stats import beta
    fig = plots.crossing_probability([16, 64, 256], [40, 25, 10], [200, 200, 200])
    ax = fig.axes[0]
    bars = ax.containers[0]
    y = bars.lines[0].get_ydata()
    np.testing.assert_allclose(y, [0.2, 0.125, 0.05])
    seg = bars.lines[2][0].get_segments()
    np.testing.assert_allclose([s[0][1] for s in seg], beta.ppf(0.025, [40, 25, 10], [161, 176, 191]), rtol=1e-12)
    line = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"][0]
    np.testing.assert_allclose(line.get_ydata(), 2 / np.sqrt(line.get_xdata()))
    with pytest.raises(ValueError, match="crossed <= total"):
        plots.crossing_probability([16], [3], [2])
    with pytest.raises(ValueError, match="same length"):
        plots.crossing_probability([16, 32], [3], [5])


def test_train_snapshots_resume_exactly_and_kinks_are_drawn(tmp_path):
    from sims.relu1d import paper_networks, train_relu1d, train_snapshots
    from theory.relu1d import PAPER_X, PAPER_Y
    a0, w0, p, h = paper_networks(8, 6, seed=4)
    a_in = a0.copy()
    snap = train_snapshots(a0, w0, PAPER_X, PAPER_Y, p, h, [0, 40, 100, 300])
    np.testing.assert_array_equal(a0, a_in)                                # the caller's arrays stay
    direct = train_relu1d(a0, w0, PAPER_X, PAPER_Y, p, h, 300)
    ok = direct.status != "crossed"
    assert ok.any()
    for k, v in zip("abw", direct.params[:3]):
        np.testing.assert_allclose(snap[k][-1, ok], v[ok], rtol=1e-10, atol=1e-13)
        np.testing.assert_array_equal(snap[k][0], {"a": a0, "b": np.zeros_like(a0), "w": w0}[k])
    crossed = ~ok
    np.testing.assert_array_equal(snap["stop_epoch"][crossed], direct.stop_epoch[crossed])
    assert np.all(np.isnan(snap["a"][-1, crossed]))
    fig = plots.kink_positions(snap["epochs"], snap["a"], snap["b"], x=PAPER_X, network=int(np.argmax(ok)),
                               path=tmp_path / "k.png")
    assert len(fig.axes[0].get_lines()) == 8 + PAPER_X.size and (tmp_path / "k.png").stat().st_size > 3000
    with pytest.raises(ValueError, match="same shape"):
        plots.kink_positions([0, 1], np.ones((2, 3)), np.ones((3, 3)))
    for bad in (dict(optimizer="adam"), dict(certify=True), dict(patience=3)):
        with pytest.raises(ValueError, match="cannot be passed"):
            train_snapshots(a0, w0, PAPER_X, PAPER_Y, p, h, [0, 10], **bad)
