"""Tests for strbench.weights.io: safetensors round trip, torch checkpoints, clear mismatch errors."""

from __future__ import annotations

import hashlib
import os

import pytest
import torch

from strbench.checksum import sha256_file
from strbench.errors import DataError
from strbench.weights.io import compare_state, load_into, load_weights, save_weights


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4, 2)
    )


def test_sha256_file(tmp_path):
    path = tmp_path / "blob.bin"
    data = os.urandom(3 << 20)
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_safetensors_round_trip_with_metadata(tmp_path):
    model = _model()
    state = model.state_dict()
    state["transposed"] = torch.arange(6.0).reshape(2, 3).t()  # non-contiguous
    path = tmp_path / "sub" / "w.safetensors"
    save_weights(state, path, metadata={"algorithm": "rare", "steps": 3})
    loaded, meta = load_weights(path)
    assert meta == {"algorithm": "rare", "steps": "3"}
    assert set(loaded) == set(state)
    for name, tensor in state.items():
        assert torch.equal(loaded[name], tensor), name
    assert [p.name for p in path.parent.iterdir()] == ["w.safetensors"]  # no temp file left


def test_save_shared_storage_tensors(tmp_path):
    shared = torch.ones(4)
    path = tmp_path / "tied.safetensors"
    save_weights({"a": shared, "b": shared}, path)
    loaded, _ = load_weights(path)
    assert torch.equal(loaded["a"], loaded["b"])


@pytest.mark.parametrize("wrap", [None, "state_dict", "model"])
def test_torch_checkpoint(tmp_path, wrap):
    state = _model().state_dict()
    path = tmp_path / "w.pth"
    torch.save(state if wrap is None else {wrap: state, "epoch": 3}, path)
    loaded, meta = load_weights(path)
    assert meta == {}
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_torch_checkpoint_with_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": _Evil()}, path)
    with pytest.raises(DataError, match="evil.pt"):
        load_weights(path)


def test_torch_file_without_state_dict(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([torch.ones(1)], path)
    with pytest.raises(DataError, match="does not hold a state dict"):
        load_weights(path)


def test_unknown_extension_missing_file_and_garbage(tmp_path):
    odd = tmp_path / "w.bin"
    odd.write_bytes(b"x")
    with pytest.raises(DataError, match=r"w\.bin.*unknown extension"):
        load_weights(odd)
    with pytest.raises(DataError, match="does not exist"):
        load_weights(tmp_path / "nope.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file at all")
    with pytest.raises(DataError, match=r"bad\.safetensors"):
        load_weights(bad)


def test_load_into_reports_all_problems():
    model = _model()
    state = dict(model.state_dict())
    del state["1.running_mean"]
    state["extra.weight"] = torch.zeros(1)
    state["3.weight"] = torch.zeros(5, 4)
    with pytest.raises(DataError) as info:
        load_into(model, state, source="my.safetensors")
    msg = str(info.value)
    assert "my.safetensors" in msg
    assert "1 missing: 1.running_mean" in msg
    assert "1 unexpected: extra.weight" in msg
    assert "3.weight: file [5, 4] vs model [2, 4]" in msg


def test_load_into_non_strict_loads_matching_keys():
    source, target = _model(), _model()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(1.0)
    state = dict(source.state_dict())
    del state["0.bias"]
    state["unused"] = torch.zeros(2)
    missing, unexpected, mismatched = compare_state(target, state)
    assert (missing, unexpected, mismatched) == (["0.bias"], ["unused"], [])
    before = target.state_dict()["0.bias"].clone()
    load_into(target, state, source="x", strict=False)
    assert torch.equal(target.state_dict()["0.weight"], source.state_dict()["0.weight"])
    assert torch.equal(target.state_dict()["0.bias"], before)


def test_load_into_non_strict_still_refuses_shape_mismatch():
    model = _model()
    state = dict(model.state_dict())
    state["3.bias"] = torch.zeros(7)
    with pytest.raises(DataError, match="different shape"):
        load_into(model, state, source="x", strict=False)


def test_load_into_strict_success():
    source, target = _model(), _model()
    with torch.no_grad():
        source[3].weight.fill_(0.25)
    load_into(target, source.state_dict(), source="x")
    assert torch.all(target[3].weight == 0.25)
