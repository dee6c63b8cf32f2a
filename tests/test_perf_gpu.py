"""Perf protocol on a CUDA device: synchronised clock, allocator peaks, NVML facts and energy,
low precision, a real out-of-memory stop and CUDA graphs. Skipped without a GPU."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from strbench import Batch, InputSpec, Prediction, Recognizer
from strbench.perf import PerfConfig, measure_recognizer
from strbench.perf.nvml import EnergyMeter, Nvml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_perf import MemorySource  # noqa: E402

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch.cuda.is_available() is False)")]


class ConvRecognizer(Recognizer):
    """A small convolutional model; ``huge_from`` allocates far more than any GPU holds from that batch size."""

    input_spec = InputSpec(height=8, max_width=32, channels="RGB", pad_to="batch")
    charset = "ab"

    def __init__(self, huge_from: int | None = None) -> None:
        self.device = "cuda"
        self.huge_from = huge_from
        self.model = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
                                         torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 2)).cuda()

    def forward(self, batch: Batch) -> Any:
        if self.huge_from is not None and len(batch) >= self.huge_from:
            torch.empty(len(batch) * 2**40, dtype=torch.uint8, device=self.device)
        return self.model(batch.images)

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        return [Prediction("ab"[int(i)], 1.0) for i in outputs.argmax(-1).cpu()]

    def module(self) -> torch.nn.Module:
        return self.model


def config(**overrides: Any) -> PerfConfig:
    base = dict(images=8, warmup=2, latency_runs=5, batch_sizes=(1, 4, 16), warmup_batches=1, throughput_repeats=3,
                throughput_min_images=16, flop_images=2, accuracy_batch_size=8, precisions=("fp32", "fp16", "bf16"))
    base.update(overrides)
    return PerfConfig(**base).validated()


def test_cuda_measurement_records_allocator_peaks_nvml_and_precisions() -> None:
    perf = measure_recognizer(ConvRecognizer(), MemorySource(8), config())
    assert "synchronize" in perf["method"]["clock"]
    assert perf["system"]["gpu"] and "cudnn_benchmark" in perf["system"]
    assert [c["precision"] for c in perf["configs"]] == ["fp32", "fp16", "bf16"]
    for c in perf["configs"]:
        for p in c["throughput"]["points"]:
            mem = p["memory"]
            assert mem["kind"] == "cuda allocator" and 0 < mem["max_allocated_mb"] <= mem["max_reserved_mb"]
            assert p["energy"]["method"]  # counter delta, sampled power, or 'not measured' with its reason
        assert c["accuracy"]["identical_predictions_vs_fp32"] is not None
    assert perf["flops"]["available"] and perf["flops"]["gflops_per_image"] > 0


def test_real_out_of_memory_ends_the_sweep_and_frees_the_device() -> None:
    perf = measure_recognizer(ConvRecognizer(huge_from=4), MemorySource(8), config(precisions=("fp32",), accuracy_batch_size=2))
    points = perf["configs"][0]["throughput"]["points"]
    assert [p["status"] for p in points] == ["ok", "out_of_memory"]
    assert "OutOfMemoryError" in points[-1]["error"]
    assert torch.cuda.memory_allocated() < 2**30


def test_nvml_reports_the_device_and_an_energy_method() -> None:
    nvml = Nvml("cuda")
    if not nvml.available:
        pytest.skip(f"NVML not usable here: {nvml.error}")
    try:
        facts = nvml.facts()
        assert facts["name"] and facts["driver"]
        meter = EnergyMeter(nvml, interval_s=0.01)
        meter.start()
        x = torch.randn(2048, 2048, device="cuda")
        for _ in range(20):
            x = x @ x
            x = x / x.norm()
        torch.cuda.synchronize()
        result = meter.stop(images=1000)
        assert result["method"] != "not measured" or result["reason"]
        if result["method"] != "not measured":
            assert result["joules"] >= 0 and result["joules_per_1000_images"] == pytest.approx(result["joules"], rel=1e-3)
    finally:
        nvml.close()


@pytest.mark.slow
def test_reduce_overhead_compiles_with_cuda_graphs() -> None:
    perf = measure_recognizer(ConvRecognizer(), MemorySource(4),
                              config(images=4, precisions=("fp32",), batch_sizes=(1, 2), compile="reduce-overhead"))
    assert perf["compile_not_applicable"] is None
    compiled = perf["configs"][perf["primary"]]
    assert compiled["compile"] == {"mode": "reduce-overhead", "cuda_graphs": True, "note": ""}
    assert compiled["accuracy"]["identical_predictions_vs_fp32"] == 1
