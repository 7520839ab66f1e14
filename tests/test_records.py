"""twolayer.records: the one record grid of the simulators."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sims.teacher_student import record_steps as sgd_record_steps
from twolayer.errors import InputError
from twolayer.records import record_steps


@settings(max_examples=80, deadline=None)
@given(end=st.floats(0, 1e6), n=st.integers(2, 300), spacing=st.sampled_from(["log", "linear"]))
def test_grid_starts_at_zero_is_sorted_unique_and_ends_at_the_last_step(end, n, spacing):
    s = record_steps(end, n, spacing=spacing)
    assert s.dtype == np.int64 and s[0] == 0
    assert np.all(np.diff(s) > 0) and s.size <= n
    assert s[-1] == round(end)


def test_log_grid_is_log_spaced_and_linear_grid_evenly_spaced():
    s = record_steps(10_000, 5)
    assert s.tolist() == [0, 1, 22, 464, 10_000]          # 10^(4 k / 3), rounded
    assert record_steps(100, 5, spacing="linear").tolist() == [0, 25, 50, 75, 100]
    assert record_steps(0, 7).tolist() == [0]
    assert record_steps(20, 2).tolist() == [0, 20]         # geomspace(1, 20, 1) alone would give [1]


def test_explicit_times_are_rounded_at_the_scale_and_merged():
    s = record_steps(times=[0.1, 0.1, 0.25, 3.0], scale=20, times_name="alphas")
    assert s.tolist() == [0, 2, 5, 60]


def test_committee_sgd_grid_is_the_shared_grid_in_alpha():
    assert np.array_equal(sgd_record_steps(500, 20.0, 41), record_steps(10_000, 41))
    assert np.array_equal(sgd_record_steps(500, 1.0, 5, alphas=[0.5, 1.0]), [0, 250, 500])
    assert sgd_record_steps(10, 0.01, 5).tolist() == [0, 1]             # at least one step


@pytest.mark.parametrize("kw,err,word", [
    (dict(end=-1, n_records=5), InputError, "end"),
    (dict(end=10, n_records=1), InputError, "n_records"),
    (dict(end=10, n_records=5, spacing="cubic"), InputError, "spacing"),
    (dict(times=[1.0, 0.5]), InputError, "t_record"),
    (dict(times=[-1.0]), InputError, "t_record"),
    (dict(times=[1.0], scale=0), InputError, "scale"),
    (dict(end=float("nan"), n_records=3), InputError, "end"),
    (dict(end=10), TypeError, "n_records"),
])
def test_bad_grids_name_the_parameter(kw, err, word):
    with pytest.raises(err, match=word):
        record_steps(times_name="t_record", **kw)
