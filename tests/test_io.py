"""twolayer.io: every result object of the public entry points round-trips exactly; bad files are refused."""
import json

import numpy as np
import pytest

from _bad_input_cases import FIGURE_ENTRIES, valid_calls
from twolayer import io
from twolayer.errors import InputError
from twolayer.provenance import manifest

CALLS = valid_calls()


@pytest.mark.parametrize("entry", sorted(set(CALLS) - FIGURE_ENTRIES))
def test_every_entry_points_result_round_trips(entry, tmp_path):
    result = CALLS[entry]()
    back = io.load(io.save(result, tmp_path / entry))
    assert type(back) is type(result) and io._isclose_tree(result, back)


def test_trajectories_round_trip_with_their_manifest(tmp_path):
    from sims.teacher_student import TeacherStudent, simulate_sgd
    tr = simulate_sgd(TeacherStudent(N=40, K=2, M=2, eta=0.5), 1.0, n_seeds=2, seed=3, method="gram")
    ode = tr.ode().integrate(*tr.initial_order_parameters()[:3], tr.alphas)
    man = manifest(backend="numpy", seed=3)
    for obj in (tr, ode):
        path = io.save(obj, tmp_path / "run.npz", manifest=man)
        assert io._isclose_tree(obj, io.load(path))
        got = io.load_manifest(path)
        assert got["seed"] == 3 and got["backend"] == "numpy" and got["packages"]["numpy"] == np.__version__
    assert not list(tmp_path.glob(".*tmp"))                          # the atomic write left nothing behind
    back = io.load(io.save(tr, tmp_path / "sgd"))
    assert back.problem == tr.problem and back.Q.dtype == np.float64


def test_backend_arrays_are_saved_as_numpy(tmp_path):
    torch = pytest.importorskip("torch")
    back = io.load(io.save({"w": torch.arange(3.0)}, tmp_path / "t"))
    assert isinstance(back["w"], np.ndarray) and back["w"].tolist() == [0.0, 1.0, 2.0]


def test_bad_files_and_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save result\['f'\]: objects of type builtin_function_or_method"):
        io.save({"f": len}, tmp_path / "x")
    with pytest.raises(TypeError, match="dict keys must be strings"):
        io.save({1: 2}, tmp_path / "x")
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(InputError, match="not a twolayer result"):
        io.load(tmp_path / "plain.npz")
    with pytest.raises(InputError, match="is not a file"):
        io.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable twolayer result"):
        io.load(tmp_path / "junk.npz")
    meta = {"format": io.FORMAT, "version": io.VERSION + 1, "object": 1, "manifest": None}
    np.savez(tmp_path / "future.npz", __twolayer__=np.array(json.dumps(meta)))
    with pytest.raises(InputError, match="format version 2"):
        io.load(tmp_path / "future.npz")
    meta = {"format": io.FORMAT, "version": 1, "manifest": None,
            "object": {"__dataclass__": "os:system", "fields": {}}}
    np.savez(tmp_path / "evil.npz", __twolayer__=np.array(json.dumps(meta)))
    with pytest.raises(ValueError, match="not a dataclass"):                # never calls what a file names
        io.load(tmp_path / "evil.npz")
