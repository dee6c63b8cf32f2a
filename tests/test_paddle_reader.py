"""Tests for strbench.weights.paddle: real ``paddle.save`` files, release archives, refused malicious pickles.

The ``paddle_tiny*.pdparams`` fixtures and the expected arrays in ``paddle_tiny.npz`` were written
by ``tests/fixtures/make_paddle_fixture.py`` with PaddlePaddle 3.3.1.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from strbench.errors import DataError
from strbench.weights.paddle import NAME_TABLE_KEY, SPLIT_INFO_KEY, read_pdparams

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def expected() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "paddle_tiny.npz") as npz:  # allow_pickle=False by default
        return {name: npz[name] for name in npz.files}


def _assert_same(state: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    assert sorted(state) == sorted(expected)
    for name, array in expected.items():
        assert state[name].dtype == array.dtype, name
        np.testing.assert_array_equal(state[name], array, err_msg=name)


@pytest.mark.parametrize("name", ["paddle_tiny.pdparams", "paddle_tiny_p2.pdparams"])
def test_reads_paddle_state_dict(name, expected):
    state = read_pdparams(FIXTURES / name)
    assert NAME_TABLE_KEY not in state
    assert state["fc.weight"].shape == (4, 3)  # Paddle Linear layout [in, out]
    assert "bn._variance" in state and "rnn.0.cell_fw.weight_ih" in state
    _assert_same(state, expected)


def test_reads_numpy_1_module_names(tmp_path, expected):
    data = (FIXTURES / "paddle_tiny_p2.pdparams").read_bytes()
    assert b"numpy._core.multiarray" in data  # protocol 2 names globals as text lines
    old = tmp_path / "numpy1.pdparams"
    old.write_bytes(data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    _assert_same(read_pdparams(old), expected)


def test_reads_tuple_records_of_nested_objects(expected):
    state = read_pdparams(FIXTURES / "paddle_tiny_nested.pdparams")
    _assert_same(state, {f"model.{k}": v for k, v in expected.items()})  # "epoch" (an int) is dropped


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_reads_release_archive_in_memory(tmp_path, expected):
    weights = (FIXTURES / "paddle_tiny.pdparams").read_bytes()
    archive = _tar(
        tmp_path / "rec_train.tar",
        {
            "rec_train/best_accuracy.pdopt": b"optimizer state",
            "rec_train/best_accuracy.pdparams": weights,
            "rec_train/best_accuracy.states": b"states",
            "rec_train/latest.pdparams": b"other",
        },
    )
    _assert_same(read_pdparams(archive), expected)
    _assert_same(read_pdparams(archive, member="rec_train/best_accuracy.pdparams"), expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec_train.tar"]  # nothing extracted
    with pytest.raises(DataError, match=r"member 'nope\.pdparams'.*no match.*latest\.pdparams"):
        read_pdparams(archive, member="nope.pdparams")


def test_archive_without_default_member_uses_single_pdparams(tmp_path, expected):
    archive = _tar(tmp_path / "a.tar", {"x/model.pdparams": (FIXTURES / "paddle_tiny.pdparams").read_bytes()})
    _assert_same(read_pdparams(archive), expected)
    ambiguous = _tar(tmp_path / "b.tar", {"x/a.pdparams": b"1", "x/b.pdparams": b"2"})
    with pytest.raises(DataError, match="several matches"):
        read_pdparams(ambiguous)


def test_archive_with_path_traversal_is_refused(tmp_path):
    archive = _tar(tmp_path / "evil.tar", {"../best_accuracy.pdparams": b"x"})
    with pytest.raises(DataError, match="unsafe path"):
        read_pdparams(archive)


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.pdparams"
    path.write_bytes(pickle.dumps({"w": np.ones(2), "x": _RunsCode(marker)}, protocol=2))
    with pytest.raises(DataError, match=r"evil\.pdparams.*'(posix|os)\.system'"):
        read_pdparams(path)
    assert not marker.exists()


class _EvalCode:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


def test_eval_is_only_accepted_for_dense_tensor_records(tmp_path):
    path = tmp_path / "evil_eval.pdparams"
    path.write_bytes(pickle.dumps({"x": _EvalCode()}, protocol=4))
    with pytest.raises(DataError, match="refused call eval"):
        read_pdparams(path)


class _DenseTensor:  # how Paddle pickles a bare DenseTensor
    def __init__(self, data: np.ndarray) -> None:
        self.data = data

    def __reduce__(self):
        return (eval, ("data", {"data": self.data}))


def test_dense_tensor_records(tmp_path):
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = tmp_path / "dense.pdparams"
    path.write_bytes(pickle.dumps({"w": _DenseTensor(array)}, protocol=4))
    np.testing.assert_array_equal(read_pdparams(path)["w"], array)


def test_split_big_arrays_are_joined(tmp_path):
    big = np.arange(10, dtype=np.float32).reshape(2, 5)
    flat = big.reshape(-1)
    obj = {  # the layout paddle.save uses for arrays over 1 GiB with protocol 2/3
        "small": np.ones(3, dtype=np.float32),
        "big@@.0": flat[:4],
        "big@@.1": flat[4:8],
        "big@@.2": flat[8:],
        SPLIT_INFO_KEY: {"big": {"OriginShape": (2, 5), "slices": ["big@@.0", "big@@.1", "big@@.2"]}},
        NAME_TABLE_KEY: {"small": "p_0", "big": "p_1"},
    }
    path = tmp_path / "split.pdparams"
    path.write_bytes(pickle.dumps(obj, protocol=2))
    state = read_pdparams(path)
    assert sorted(state) == ["big", "small"]
    np.testing.assert_array_equal(state["big"], big)


def test_safetensors_pdparams(tmp_path, expected):
    from safetensors.numpy import save_file

    path = tmp_path / "model.pdparams"
    save_file(expected, str(path))
    _assert_same(read_pdparams(path), expected)


def test_bad_inputs(tmp_path):
    with pytest.raises(DataError, match="do not exist"):
        read_pdparams(tmp_path / "missing.pdparams")
    garbage = tmp_path / "garbage.pdparams"
    garbage.write_bytes(b"\x80\x04garbage")
    with pytest.raises(DataError, match=r"garbage\.pdparams.*damaged"):
        read_pdparams(garbage)
    not_dict = tmp_path / "list.pdparams"
    not_dict.write_bytes(pickle.dumps([np.ones(1)]))
    with pytest.raises(DataError, match="not a state dict"):
        read_pdparams(not_dict)
    no_arrays = tmp_path / "opt.pdopt"
    no_arrays.write_bytes(pickle.dumps({"LR_Scheduler": {"last_epoch": 3}}))
    with pytest.raises(DataError, match="holds no arrays"):
        read_pdparams(no_arrays)
    with pytest.raises(DataError, match="not a tar archive"):
        read_pdparams(FIXTURES / "paddle_tiny.pdparams", member="x")
