"""Resumable sweeps: per-task seeds, incremental results, resume after a failure, Dask == serial."""
from __future__ import annotations

import json

import numpy as np
import pytest

from sims.sweep import SweepError, load_sweep, run_sweep, task_key, task_seed

CALLS = []


def draw(n, scale=1.0, *, seed):
    CALLS.append(n)
    x = scale * np.random.default_rng(seed).standard_normal(n)
    return {"mean": x.mean(), "x": x}


def flaky(n, *, seed):
    if n == 3 and not FLAG.get("fixed"):
        raise RuntimeError("worker lost")
    return draw(n, seed=seed)


FLAG = {}
TASKS = [{"n": n, "scale": 2.0} for n in (1, 2, 3, 4)]


def test_keys_and_seeds_depend_only_on_the_task():
    assert task_key({"a": 1, "b": [1, 2]}) == task_key({"b": [1, 2], "a": 1})
    assert task_key({"a": 1}) != task_key({"a": 2})
    k = task_key({"n": 3})
    a = np.random.default_rng(task_seed(5, k)).random(3)
    assert np.array_equal(a, np.random.default_rng(task_seed(5, k)).random(3))
    assert not np.array_equal(a, np.random.default_rng(task_seed(6, k)).random(3))
    with pytest.raises(ValueError, match="JSON"):
        task_key({"f": object()})


def test_serial_sweep_stores_and_resumes_without_rerunning(tmp_path):
    CALLS.clear()
    res = run_sweep(draw, TASKS, tmp_path, seed=1, executor="serial")
    assert [r.params for r in res] == TASKS and CALLS == [1, 2, 3, 4]
    assert res[2].values["x"].shape == (3,)
    again = run_sweep(draw, TASKS + [{"n": 5, "scale": 2.0}], tmp_path, seed=1, executor="serial")
    assert CALLS == [1, 2, 3, 4, 5]                      # only the new task ran
    assert np.array_equal(again[1].values["x"], res[1].values["x"])
    assert len(load_sweep(tmp_path)) == 5
    with pytest.raises(ValueError, match="another sweep"):
        run_sweep(draw, TASKS, tmp_path, seed=2, executor="serial")


def test_failed_tasks_are_reported_and_finished_ones_kept(tmp_path):
    FLAG.clear()
    tasks = [{"n": n} for n in (1, 2, 3)]
    with pytest.raises(SweepError, match="1 of 3 tasks failed") as e:
        run_sweep(flaky, tasks, tmp_path, seed=0, executor="serial")
    assert len(e.value.failures) == 1 and len(load_sweep(tmp_path)) == 2
    assert "worker lost" in (tmp_path / f"{task_key({'n': 3})}.error.txt").read_text()
    FLAG["fixed"] = True
    assert len(run_sweep(flaky, tasks, tmp_path, seed=0, executor="serial")) == 3


def test_dask_local_cluster_gives_the_serial_numbers(tmp_path):
    pytest.importorskip("distributed")
    a = run_sweep(draw, TASKS, tmp_path / "dask", seed=3)
    b = run_sweep(draw, TASKS, tmp_path / "serial", seed=3, executor="serial")
    for ra, rb in zip(a, b):
        assert ra.key == rb.key and np.array_equal(ra.values["x"], rb.values["x"])
    assert json.loads((tmp_path / "dask" / f"{a[0].key}.json").read_text())["params"] == TASKS[0]


def test_bad_sweeps_are_named(tmp_path):
    with pytest.raises(ValueError, match="duplicates"):
        run_sweep(draw, [{"n": 1}, {"n": 1}], tmp_path, executor="serial")
    with pytest.raises(ValueError, match="executor"):
        run_sweep(draw, [{"n": 1}], tmp_path, executor="mpi")
    with pytest.raises(TypeError, match=r"tasks\[0\] must be a dict"):
        run_sweep(draw, [3], tmp_path, executor="serial")
    with pytest.raises(ValueError, match="'seed' key"):
        run_sweep(draw, [{"n": 1, "seed": 3}], tmp_path, executor="serial")
    with pytest.raises(TypeError, match="fn must be a callable"):
        run_sweep("draw", [{"n": 1}], tmp_path, executor="serial")


def test_relu1d_crossing_sweep_resumes_with_identical_numbers(tmp_path):
    from sims.relu1d import crossing_task
    tasks = [{"n": n, "n_nets": 50, "n_epochs": 200} for n in (8, 16)]
    a = run_sweep(crossing_task, tasks[:1], tmp_path, seed=4, executor="serial")
    b = run_sweep(crossing_task, tasks, tmp_path, seed=4, executor="serial")
    assert np.array_equal(a[0].values["crossing_epoch"], b[0].values["crossing_epoch"])
    assert b[1].values["crossing_epoch"].shape == (50,) and np.all(np.isfinite(b[1].values["final_loss"]))


def _corrupt(kind, store, key, other):
    npz, meta = store / f"{key}.npz", store / f"{key}.json"
    if kind == "npz-truncated":
        npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    elif kind == "npz-empty":
        npz.write_bytes(b"")
    elif kind == "npz-garbage":
        npz.write_bytes(b"\x00not a zip file" * 20)
    elif kind == "npz-of-another-task":
        npz.write_bytes((store / f"{other}.npz").read_bytes())
    elif kind == "both-of-another-task":
        npz.write_bytes((store / f"{other}.npz").read_bytes())
        meta.write_text((store / f"{other}.json").read_text())
    elif kind == "json-missing":
        meta.unlink()
    elif kind == "json-garbage":
        meta.write_text("{not json")
    elif kind == "json-empty":
        meta.write_text("")


@pytest.mark.parametrize("kind", ["npz-truncated", "npz-empty", "npz-garbage", "npz-of-another-task",
                                  "both-of-another-task", "json-missing", "json-garbage", "json-empty"])
def test_a_corrupt_or_mismatched_result_is_recomputed_with_a_warning_naming_it(tmp_path, kind):
    """Each file type in turn. Before, a truncated, empty or garbage file counted as finished and
    every later run/load failed with BadZipFile/EOFError naming no file; another task's result
    copied under a key was accepted."""
    fresh = {r.key: r for r in run_sweep(draw, TASKS, tmp_path / "ref", seed=1, executor="serial")}
    run_sweep(draw, TASKS, tmp_path / "s", seed=1, executor="serial")
    key, other = task_key(TASKS[1]), task_key(TASKS[2])
    _corrupt(kind, tmp_path / "s", key, other)
    with pytest.warns(UserWarning, match=rf"{key}"):
        loaded = load_sweep(tmp_path / "s")
    assert key not in {r.key for r in loaded} and len(loaded) == len(TASKS) - 1
    CALLS.clear()
    with pytest.warns(UserWarning, match=rf"task {key} is recomputed"):
        again = run_sweep(draw, TASKS, tmp_path / "s", seed=1, executor="serial")
    assert CALLS == [TASKS[1]["n"]]                         # only the damaged task ran again
    for r in again:
        assert r.params == fresh[r.key].params
        assert all(np.array_equal(r.values[k], fresh[r.key].values[k]) for k in r.values)
    assert len(load_sweep(tmp_path / "s")) == len(TASKS)


def test_the_metadata_carries_key_and_checksum_and_old_stores_still_load(tmp_path):
    run_sweep(draw, TASKS[:1], tmp_path, seed=1, executor="serial")
    key = task_key(TASKS[0])
    meta = json.loads((tmp_path / f"{key}.json").read_text())
    assert meta["key"] == key and meta["params"] == TASKS[0] and len(meta["sha256"]) == 64
    (tmp_path / f"{key}.json").write_text(json.dumps(TASKS[0]))       # format 1: parameters only
    (r,) = load_sweep(tmp_path)
    assert r.params == TASKS[0]


def test_a_store_that_is_a_file_is_named(tmp_path):
    f = tmp_path / "results"
    f.write_text("x")
    with pytest.raises(ValueError, match="is not a directory"):
        run_sweep(draw, TASKS, f, executor="serial")
    with pytest.raises(ValueError, match="is not a directory"):
        load_sweep(f)
