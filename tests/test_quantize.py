"""int8 post-training quantization of exported ONNX models (strbench.weights.quantize)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from strbench.errors import DataError
from strbench.weights.export import export_onnx, onnx_session
from strbench.weights.quantize import calibration_indices, quantize_onnx_int8

pytest.importorskip("onnxruntime.quantization")


class _Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.Conv2d(8, 4, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stem(x)).mean(dim=(2, 3))


def _export(tmp_path: Path) -> Path:
    return export_onnx(_Tiny(), (torch.zeros(2, 3, 8, 16),), tmp_path / "tiny.onnx", input_names=["images"],
                       output_names=["out"], dynamic_axes={"images": {0: "batch"}, "out": {0: "batch"}})


def _feeds(n: int, seed: int = 0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{"images": rng.uniform(-1, 1, (4, 3, 8, 16)).astype(np.float32)} for _ in range(n)]


def test_int8_model_follows_the_float_model_and_records_its_calibration(tmp_path: Path) -> None:
    model = _export(tmp_path)
    facts = quantize_onnx_int8(model, tmp_path / "tiny-int8.onnx", _feeds(4), calibration_source="unit")
    x = _feeds(1, seed=1)[0]
    ref = onnx_session(model).run(None, x)[0]
    got = onnx_session(tmp_path / "tiny-int8.onnx").run(None, x)[0]
    assert np.abs(ref - got).max() < 0.05 * np.abs(ref).max() + 1e-3
    assert not np.array_equal(ref, got)  # the int8 graph really is a different computation
    assert facts.calibration_samples == 16 and facts.quantized_nodes == 3 and facts.excluded_nodes == 0
    assert len(facts.calibration_sha256) == 64 and facts.format == "QDQ"
    again = quantize_onnx_int8(model, tmp_path / "again.onnx", _feeds(4), calibration_source="unit")
    assert again.calibration_sha256 == facts.calibration_sha256
    other = quantize_onnx_int8(model, tmp_path / "other.onnx", _feeds(4, seed=3), calibration_source="unit")
    assert other.calibration_sha256 != facts.calibration_sha256


def test_excluded_nodes_stay_in_float(tmp_path: Path) -> None:
    import onnx

    model = _export(tmp_path)
    facts = quantize_onnx_int8(model, tmp_path / "q.onnx", _feeds(2), calibration_source="unit",
                               exclude=("/head/*",))
    assert facts.excluded_nodes == 1 and facts.quantized_nodes == 2
    graph = onnx.load(str(tmp_path / "q.onnx")).graph
    head_inputs = [i for n in graph.node if n.name.startswith("/head") and n.op_type == "Conv" for i in n.input]
    producers = {o: n.op_type for n in graph.node for o in n.output}
    weight = next(i for i in head_inputs if "weight" in i)
    assert producers.get(weight) != "DequantizeLinear"  # the head's weights are not quantized


def test_no_calibration_images_is_a_clear_error(tmp_path: Path) -> None:
    model = _export(tmp_path)
    with pytest.raises(DataError, match="calibration"):
        quantize_onnx_int8(model, tmp_path / "q.onnx", [], calibration_source="empty set")
    assert not (tmp_path / "q.onnx").exists()


def test_calibration_indices_spread_over_the_set() -> None:
    picked = calibration_indices(1000, 50)
    assert len(picked) == 50 == len(set(picked)) and picked == sorted(picked) and picked[-1] > 500
    assert calibration_indices(10, 50) == list(range(10))
    assert calibration_indices(1000, 50) == picked
    with pytest.raises(DataError):
        calibration_indices(0, 5)


def test_run_with_int8_records_the_quantization(tmp_path: Path) -> None:
    """``run --backend onnx --precision int8`` quantizes the export, calibrated on the given crops (here the
    evaluated default set itself: refused unless ``--allow-test-calibration``, which the record states)."""
    pytest.importorskip("strbench_rare")
    from strbench.cli.main import main
    from strbench.data import default_set
    from strbench.run.records import load_record

    calibration = default_set.path()
    rc = main(["-q", "run", "--plugin", "rare", "--backbone", "mv3", "--backend", "onnx", "--precision", "int8",
               "--calibration-data", str(calibration), "--calibration-samples", "8", "--calibration-method", "minmax", "--limit", "8",
               "--workers", "0", "--results-dir", str(tmp_path), "--allow-test-calibration"])
    assert rc == 0
    (path,) = tmp_path.glob("*.json")
    record = load_record(path)
    assert record.runtime.precision == "int8" and record.runtime.backend == "onnx"
    facts = record.weights.extra["quantization"]
    assert facts["calibration_samples"] == 8 and facts["calibration_source"] == str(calibration)
    assert facts["calibration_method"] == "minmax" and "minmax" in facts["method"]
    assert facts["quantized_nodes"] > 0 and facts["excluded_nodes"] > 0  # TPS and decoder stay float
    assert record.weights.extra["onnx_export"]["quantize_exclude"]
    assert facts["test_calibration_allowed"] is True
    assert facts["calibration_test_samples"] == {"default-synthetic": 8}


@pytest.mark.parametrize(("extra", "message"), [
    ([], "add --backend onnx"),
    (["--backend", "onnx"], "needs --calibration-data"),
    (["--backend", "onnx", "--calibration-data", "no/such/folder"], "not found"),
])
def test_int8_needs_onnx_and_calibration_data(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              extra: list[str], message: str) -> None:
    pytest.importorskip("strbench_rare")
    from strbench.cli.main import main

    rc = main(["-q", "run", "--plugin", "rare", "--backbone", "mv3", "--precision", "int8", *extra,
               "--limit", "2", "--workers", "0", "--results-dir", str(tmp_path)])
    assert rc != 0 and message in capsys.readouterr().err
    assert not list(tmp_path.glob("*.json"))
