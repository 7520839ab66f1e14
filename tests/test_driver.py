"""twolayer.driver: the one simulation loop (schedule, chunks, records, early end, progress)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from twolayer.driver import Members, Progress, finite_members, run_schedule
from twolayer.records import record_steps


def _trace(stops, chunk=None, alive_until=None, run_empty=False):
    calls, recs = [], []

    def advance(step, n):
        calls.append((step, n))
        return None if alive_until is None else step + n < alive_until

    end = run_schedule(stops, advance, recs.append, chunk=chunk, run_empty=run_empty)
    return end, calls, recs


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=0, max_size=6), st.one_of(st.none(), st.integers(1, 17)))
def test_chunks_tile_the_run_and_never_cross_a_stop(gaps, chunk):
    stops = np.concatenate([[0], np.cumsum(gaps)]).astype(np.int64)
    end, calls, recs = _trace(stops, chunk)
    assert end == stops[-1]
    assert recs == list(range(stops.size))
    # the chunks are contiguous, cover 0..end, and each lies between two consecutive stops
    pos = 0
    for step, n in calls:
        assert step == pos and n >= 1 and (chunk is None or n <= chunk)
        j = np.searchsorted(stops, step, side="right")
        assert step + n <= stops[j]
        pos += n
    assert pos == stops[-1]


def test_a_run_whose_members_all_stopped_ends_after_that_chunk():
    end, calls, recs = _trace(record_steps(100, 5), chunk=7, alive_until=30)
    grid = record_steps(100, 5)                # 0, 1, 5, 22, 100
    assert grid.tolist() == [0, 1, 5, 22, 100]
    # the chunk 29..35 ends the run; the stops reached before it are recorded, the next is not
    assert calls[-1] == (29, 7) and end == 36
    assert recs == [0, 1, 2, 3]


def test_an_empty_run_makes_one_empty_chunk_only_when_asked():
    assert _trace([0])[1] == []
    end, calls, recs = _trace([0], run_empty=True)
    assert (end, calls, recs) == (0, [(0, 0)], [0])


@pytest.mark.parametrize("stops", [[], [1, 2], [0, 3, 2], [[0, 1]]])
def test_bad_schedules_are_refused(stops):
    with pytest.raises(ValueError, match="stops"):
        run_schedule(stops, lambda s, n: None)


def test_bad_chunk_names_the_parameter():
    with pytest.raises(ValueError, match="chunk"):
        run_schedule([0, 5], lambda s, n: None, chunk=0)


def test_progress_counts_every_step_and_shows_the_postfix(capsys):
    bar = Progress(True, 12, "test run")
    seen = []
    run_schedule([0, 5, 12], lambda s, n: seen.append(n), chunk=4, progress=True, desc="x",
                 postfix=lambda: {"done": sum(seen)})
    bar.update(12, {"k": 1})
    bar.close()
    bar.close()                                # closing twice is harmless
    assert sum(seen) == 12
    off = Progress(False, 10, "off")           # disabled: the same methods, no output
    off.update(3, {"a": 1})
    off.close()


def test_finite_members(cpu_backend):
    bk = cpu_backend
    a = np.zeros((4, 2, 3))
    a[1, 0, 2] = np.nan
    v = np.ones((4, 5))
    v[3, 1] = np.inf
    ok = finite_members(bk, [bk.asarray(a), bk.asarray(v)])
    assert isinstance(ok, np.ndarray) and ok.tolist() == [True, False, True, False]


def _simulator_runs(progress):
    """Each simulator on the driver, at a tiny size (numbers must not depend on ``progress``)."""
    from sims.gaussian_mixture import xor_mixture
    from sims.mixture_sgd import random_feature_matrix, simulate_mixture_sgd, simulate_rf_sgd
    from sims.mlp_init import sample_init_ensemble
    from sims.relu1d import draw_relu1d_init, train_relu1d
    from sims.teacher_student import TeacherStudent, simulate_sgd
    from sims.wide_training import train_gd
    from theory.parameterizations import WideMLP

    mix = xor_mixture(10, 1.0)
    X = np.random.default_rng(0).normal(size=(4, 2))
    x = np.array([-2.0, -1.0, 1.0, 2.0])
    a0, w0 = draw_relu1d_init(4, 3, seed=0)
    return [
        simulate_sgd(TeacherStudent(N=20, K=2, M=1, eta=0.5), 2.0, seed=1, progress=progress).Q,
        simulate_mixture_sgd(mix, 2, 0.2, 2.0, seed=2, progress=progress).Q,
        simulate_rf_sgd(mix, random_feature_matrix(8, 10, seed=3), 0.1, 2.0, seed=4, progress=progress).w,
        train_gd(WideMLP(widths=(2, 16, 1)), X, np.sin(X[:, 0]), eta=0.01, n_steps=5, seed=5,
                 progress=progress).f,
        train_relu1d(a0, w0, x, np.sin(x), np.ones(4) / 4, 0.1, 30, check_every=10, progress=progress).final_loss,
        sample_init_ensemble(X, (8,), C_b=0.1, C_W=2.0, n_members=6, block=2, seed=6, progress=progress).G,
    ]


def test_every_simulator_shows_a_bar_and_keeps_its_numbers(capsys):
    quiet = _simulator_runs(False)
    assert capsys.readouterr().err == ""
    loud = _simulator_runs(True)
    err = capsys.readouterr().err
    for label in ("SGD full", "mixture SGD", "RF SGD", "GD ntk", "relu1d gd", "init ensemble (6 members)"):
        assert label in err
    for a, b in zip(quiet, loud):
        np.testing.assert_array_equal(a, b)


def test_members_retire_in_turn_and_keep_their_end_state():
    m = Members(5, cap=100)
    end = np.zeros((5, 2))
    state = np.arange(10.0).reshape(5, 2)                 # the running members' rows, in idx order
    out = np.array([False, True, False, False, True])
    ids = m.retire(out, np.array(["crossed", "crossed", "", "", "certified"]), np.array([0, 7, 0, 0, 40]),
                   np.array([0.0, 1.5, 0.0, 0.0, 2.5]), into=(end,), values=(state,))
    assert ids.tolist() == [1, 4]
    m.keep(~out)
    assert m.idx.tolist() == [0, 2, 3] and m.running == 3
    assert m.counts(("crossed", "certified", "early_stopped")) == {"crossed": 1, "certified": 1, "early_stopped": 0}
    # now the running rows are members 0, 2, 3: retiring the second is member 2
    m.retire(np.array([False, True, False]), "early_stopped", 60, np.array([9.0, 8.0, 7.0]),
             into=(end,), values=(np.full((3, 2), -1.0),))
    assert m.status.tolist() == ["cap", "crossed", "early_stopped", "cap", "certified"]
    assert m.stop.tolist() == [100, 7, 60, 100, 40]
    np.testing.assert_array_equal(m.final, [np.nan, 1.5, 8.0, np.nan, 2.5])
    np.testing.assert_array_equal(end, [[0, 0], [2, 3], [-1, -1], [0, 0], [8, 9]])


def test_members_refuse_a_bad_size_and_unpaired_state():
    with pytest.raises(ValueError, match="n"):
        Members(0, cap=1)
    m = Members(2, cap=1)
    with pytest.raises(ValueError, match="into and values"):
        m.retire(np.array([True, False]), "cap", 1, np.zeros(2), into=(np.zeros(2),), values=())
    assert m.status.tolist() == ["cap", "cap"] and m.running == 2       # nothing half-recorded


def _square(n, *, seed):
    return {"y": n**2}


def test_a_resumed_sweep_bar_starts_at_the_stored_tasks(tmp_path, capsys):
    from sims.sweep import run_sweep
    run_sweep(_square, [{"n": 1}, {"n": 2}], tmp_path, executor="serial")
    capsys.readouterr()
    res = run_sweep(_square, [{"n": 1}, {"n": 2}, {"n": 3}], tmp_path, executor="serial", progress=True)
    err = capsys.readouterr().err
    assert [r.values["y"] for r in res] == [1, 4, 9]
    assert "sweep" in err and "3/3" in err and "2/3" in err      # started at the two stored tasks
