"""Perf protocol on CPU: statistics, warm-up exclusion, the out-of-memory stop, FLOP counting,
precision deltas, compile applicability and the record/leaderboard structure (no timing thresholds:
timed fakes advance an injected clock)."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from strbench import Batch, InputSpec, Prediction, Recognizer
from strbench.cli.main import main
from strbench.data.base import RawSample, SampleSource
from strbench.errors import SampleError, UsageError
from strbench.perf import PerfConfig, measure_recognizer
from strbench.perf.clock import Clock
from strbench.perf.flops import count_forward, coverage, recognizer_flops
from strbench.perf.measure import is_out_of_memory
from strbench.perf.stats import percentile, summarize_ms
from strbench.perf.summary import GFLOPS, LATENCY, THROUGHPUT, leaderboard_columns
from strbench.report.leaderboard import collect_rows
from strbench.report.plots import speed_accuracy_png
from strbench.run.records import load_record

SPEC = InputSpec(height=8, max_width=32, channels="RGB", pad_to="batch")


def png(value: int, width: int = 20) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((8, width, 3), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


class MemorySource(SampleSource):
    """``n`` small PNG word images labelled "a"; index ``broken`` holds undecodable bytes."""

    def __init__(self, n: int, broken: int | None = None) -> None:
        self.location, self.n, self.broken = "memory", n, broken

    def __len__(self) -> int:
        return self.n

    def read(self, index: int) -> RawSample:
        if index == self.broken:
            return RawSample(f"img{index}", b"not an image", "a")
        return RawSample(f"img{index}", png(10 * index % 250, 12 + index), "a")

    def key(self, index: int) -> str:
        return f"img{index}"


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class TimedFake(Recognizer):
    """Advances the injected clock: 1 ms per image in forward, 0.5 ms in decode; the first call at
    every batch size costs 1000 s (a stand-in for warm-up effects), and ``fail_at`` raises."""

    input_spec = SPEC
    charset = "a"
    device = "cpu"

    def __init__(self, clock: FakeClock, fail_at: int | None = None, error: Exception | None = None) -> None:
        self.clock, self.fail_at, self.error = clock, fail_at, error
        self.seen: set[int] = set()
        self.calls = 0

    def forward(self, batch: Batch) -> Any:
        n = len(batch)
        if self.fail_at is not None and n >= self.fail_at:
            raise self.error
        self.calls += 1
        self.clock.t += 1000.0 if n not in self.seen else 0.001 * n
        self.seen.add(n)
        return batch.images.mean(dim=(1, 2, 3))

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        self.clock.t += 0.0005 * len(batch)
        return [Prediction("a", 1.0) for _ in range(len(batch))]


def small_config(**overrides: Any) -> PerfConfig:
    base = dict(images=6, warmup=1, latency_runs=5, batch_sizes=(1, 2, 4), warmup_batches=1, throughput_repeats=2,
                throughput_min_images=4, flop_images=2, accuracy_batch_size=4)
    base.update(overrides)
    return PerfConfig(**base).validated()


def measure_fake(recognizer: Recognizer, clock: FakeClock, **overrides: Any) -> dict[str, Any]:
    return measure_recognizer(recognizer, MemorySource(8), small_config(**overrides), clock=Clock("cpu", now=clock))


def test_percentiles_on_known_samples() -> None:
    samples = [float(x) for x in range(1, 11)]
    assert percentile(samples, 50) == pytest.approx(5.5)
    assert percentile(samples, 90) == pytest.approx(9.1)
    stats = summarize_ms([s / 1000 for s in [4.0, 1.0, 3.0, 2.0, 100.0]])
    assert stats["runs"] == 5
    assert stats["median_ms"] == pytest.approx(3.0)
    assert stats["q1_ms"] == pytest.approx(2.0) and stats["q3_ms"] == pytest.approx(4.0)
    assert stats["iqr_ms"] == pytest.approx(2.0)
    assert stats["p90_ms"] == pytest.approx(61.6)  # 4 + 0.6 * (100 - 4)
    assert stats["max_ms"] == pytest.approx(100.0)
    assert summarize_ms([]) == {"runs": 0}


def test_warmup_is_excluded_from_latency_and_throughput() -> None:
    clock = FakeClock()
    perf = measure_fake(TimedFake(clock), clock)
    lat = perf["configs"][0]["latency_bs1"]
    assert lat["warmup_runs"] == 1 and lat["warmup_seconds"] >= 1000  # the slow first call, reported apart
    forward = lat["stages"]["forward"]
    assert forward["runs"] == 5
    assert forward["median_ms"] == pytest.approx(1.0) and forward["max_ms"] == pytest.approx(1.0)
    assert lat["stages"]["model_and_decode"]["median_ms"] == pytest.approx(1.5)
    assert lat["stages"]["preprocess"]["median_ms"] == pytest.approx(0.0)  # the fake clock stands still there
    points = perf["configs"][0]["throughput"]["points"]
    assert [p["batch_size"] for p in points] == [1, 2, 4]
    for p in points:
        assert p["status"] == "ok"
        assert p["model_and_decode"]["max_ms"] == pytest.approx(1.5 * p["batch_size"])  # no warm-up batch leaked
        assert p["images_per_s"] == pytest.approx(1000 / 1.5, rel=1e-4)
        assert p["timed_batches"] == max(2, 4 // p["batch_size"])


@pytest.mark.parametrize("error", [torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
                                   RuntimeError("[enforce fail] DefaultCPUAllocator: not enough memory: out of memory"),
                                   MemoryError()])
def test_out_of_memory_ends_the_sweep_cleanly(error: Exception) -> None:
    clock = FakeClock()
    perf = measure_fake(TimedFake(clock, fail_at=8, error=error), clock, batch_sizes=(1, 2, 4, 8, 16, 32))
    sweep = perf["configs"][0]["throughput"]
    assert [p["batch_size"] for p in sweep["points"]] == [1, 2, 4, 8]
    assert [p["status"] for p in sweep["points"]] == ["ok", "ok", "ok", "out_of_memory"]
    assert type(error).__name__ in sweep["points"][-1]["error"]
    assert sweep["stopped"] == "out of memory at batch size 8; larger batch sizes not tried"
    assert sweep["best"]["batch_size"] in (1, 2, 4)


def test_other_errors_are_not_taken_for_out_of_memory() -> None:
    clock = FakeClock()
    with pytest.raises(RuntimeError, match="shape mismatch"):
        measure_fake(TimedFake(clock, fail_at=2, error=RuntimeError("shape mismatch")), clock)
    assert not is_out_of_memory(ValueError("bad value"))
    assert is_out_of_memory(RuntimeError("Failed to allocate memory for requested buffer of size 123"))


class LinearRecognizer(Recognizer):
    """Flattens the image and applies one Linear layer; prediction "x" when the output is positive
    (under autocast it returns "y", a stand-in for a precision-sensitive model)."""

    input_spec = InputSpec(height=4, max_width=6, channels="GRAY", resize="stretch")
    charset = "xy"
    device = "cpu"

    def __init__(self, features: int = 3) -> None:
        torch.manual_seed(0)
        self.model = torch.nn.Linear(4 * 6, features)

    def forward(self, batch: Batch) -> Any:
        return self.model(batch.images.flatten(1))

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        text = "y" if torch.is_autocast_enabled("cpu") else "x"
        return [Prediction(text, 1.0) for _ in range(len(batch))]

    def module(self) -> torch.nn.Module:
        return self.model


def test_flops_of_a_linear_layer_are_exact_per_image() -> None:
    rec = LinearRecognizer(features=3)
    batch = Batch(["k"], torch.zeros(1, 1, 4, 6), torch.ones(1))
    flops = recognizer_flops(rec, [batch, batch])
    assert flops["available"] and flops["images"] == 2
    assert flops["gflops_per_image"] * 1e9 == pytest.approx(2 * 24 * 3)
    assert flops["by_operator_gflops_per_image"] == {"aten.addmm": pytest.approx(2 * 24 * 3 / 1e9)}
    assert "grid_sample" in flops["not_counted"]


def test_flops_count_fused_lstm_layers_and_the_coverage_probes() -> None:
    lstm = torch.nn.LSTM(16, 32, num_layers=2, bidirectional=True)
    weights = sum(p.numel() for name, p in lstm.named_parameters() if name.startswith("weight"))
    total, by_op = count_forward(lambda: lstm(torch.randn(7, 3, 16)))
    assert total == 2 * 7 * 3 * weights and set(by_op) == {"aten.lstm"}
    probes = coverage("cpu")
    assert all(p.get("exact") for p in probes.values()), probes
    assert probes["grid_sample (interpolation)"]["counted"] == 0


def test_precision_rows_carry_their_accuracy_delta_against_fp32() -> None:
    perf = measure_recognizer(LinearRecognizer(), MemorySource(8, broken=2),
                              small_config(precisions=("fp32", "bf16"), batch_sizes=(1,)),
                              protocol="lower36")
    assert perf["inputs"]["images"] == 6 and perf["inputs"]["skipped"][0][0] == "img2"
    fp32, bf16 = perf["configs"]
    assert (fp32["precision"], bf16["precision"]) == ("fp32", "bf16")
    assert fp32["accuracy"]["delta_vs_fp32_pp"] == 0 and fp32["accuracy"]["identical_predictions_vs_fp32"] == 1
    assert bf16["accuracy"]["word_accuracy"] == 0 and bf16["accuracy"]["fp32_word_accuracy"] == 0
    assert bf16["accuracy"]["identical_predictions_vs_fp32"] == 0
    assert perf["primary"] == 0 and perf["flops"]["available"]
    assert perf["configs"][0]["latency_bs1"]["stages"]["preprocess"]["runs"] == 5


def test_compile_not_applicable_is_stated() -> None:
    clock = FakeClock()
    perf = measure_fake(TimedFake(clock), clock, compile="default")
    assert perf["compile_not_applicable"].startswith("no torch module")
    assert [c["compile"]["mode"] for c in perf["configs"]] == ["none"]
    assert perf["flops"] == {"available": False, "reason": perf["flops"]["reason"]}


@pytest.mark.slow
def test_compiled_configuration_is_measured_next_to_eager() -> None:
    from torch._dynamo.utils import counters

    graphs_before = counters["stats"]["unique_graphs"]
    rec = LinearRecognizer()
    perf = measure_recognizer(rec, MemorySource(4), small_config(images=4, batch_sizes=(1, 2), compile="default"))
    assert perf["compile_not_applicable"] is None
    eager, compiled = perf["configs"]
    assert (eager["compile"]["mode"], compiled["compile"]["mode"]) == ("none", "default")
    assert compiled["latency_bs1"]["warmup_runs"] == 4  # at least one pass over every distinct input
    assert compiled["accuracy"]["identical_predictions_vs_fp32"] == 1
    assert perf["primary"] == 1
    assert "forward" not in vars(rec.model)  # eager again afterwards
    assert counters["stats"]["unique_graphs"] > graphs_before  # dynamo really compiled the module


def test_config_rejects_bad_options() -> None:
    with pytest.raises(UsageError, match="compile mode"):
        PerfConfig.for_device("cpu", options={"compile": "fast"})
    with pytest.raises(UsageError, match="unknown perf option"):
        PerfConfig.for_device("cpu", options={"batchsize": [1]})
    with pytest.raises(UsageError, match="batch sizes"):
        PerfConfig.for_device("cpu", options={"batch_sizes": [0]})
    cfg = PerfConfig.for_device("cpu", "bf16", 32, {"precisions": ["fp32", "bf16"]})
    assert cfg.precisions == ("bf16", "fp32") and cfg.batch_sizes[-1] == 64 and cfg.accuracy_batch_size == 32
    assert PerfConfig.for_device("cuda").batch_sizes[-1] == 512


def test_unreadable_set_is_a_clear_error() -> None:
    class Broken(MemorySource):
        def read(self, index: int) -> RawSample:
            raise SampleError(f"img{index}", "missing file")

    with pytest.raises(Exception, match="no readable image"):
        measure_recognizer(LinearRecognizer(), Broken(3), small_config())


def test_bench_record_has_perf_next_to_accuracy_and_a_leaderboard(install_entry_point, tmp_path: Path, capsys) -> None:
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")
    results = tmp_path / "results"
    assert main(["-q", "bench", "--plugin", "dummy", "--limit", "8", "--workers", "0", "--batch-size", "4",
                 "--perf-images", "6", "--perf-runs", "3", "--perf-warmup", "1", "--perf-batch-sizes", "1", "2",
                 "--perf-repeats", "1", "--compile", "default", "--results-dir", str(results)]) == 0
    (path,) = [p for p in results.glob("*.json")]
    record = load_record(path)
    assert record.perf is not None
    perf = record.perf.to_json()
    assert perf["schema"] == "strbench.perf/1" and perf["inputs"]["dataset"] == "default-synthetic"
    assert record.runtime.precision == perf["configs"][perf["primary"]]["precision"] == "fp32"
    assert perf["compile_not_applicable"] == "the recognizer's forward does not call its runtime_module() as a whole"
    assert perf["system"]["torch_threads"] >= 1 and len(perf["system"]["load_average_before"]) == 3
    other = perf["system"]["other_processes"]
    assert set(other) == {"wall_s", "other_cpu_cores", "steal_cores", "contended"} and other["wall_s"] > 0
    assert set(perf["method"]["stages"]) == {"preprocess", "forward", "decode", "model_and_decode", "end_to_end"}
    config = perf["configs"][0]
    assert set(config["latency_bs1"]["stages"]) == set(perf["method"]["stages"])
    assert [p["batch_size"] for p in config["throughput"]["points"]] == [1, 2]
    assert config["throughput"]["points"][0]["memory"]["peak_rss_mb"] > 0
    assert config["accuracy"]["images"] == 6 and config["accuracy"]["protocol"] == "lower36@2"
    assert perf["flops"]["gflops_per_image"] == 0  # the dummy runs no torch operator in forward
    assert record.command["options"]["perf_options"]["batch_sizes"] == [1, 2]
    json.dumps(record.to_json(), allow_nan=False)

    columns = leaderboard_columns(perf)
    assert columns[THROUGHPUT] == config["throughput"]["best"]["images_per_s"]
    assert columns[LATENCY] == config["latency_bs1"]["stages"]["model_and_decode"]["median_ms"]
    assert columns[GFLOPS] == 0
    rows = collect_rows(results, include_subsets=True, include_synthetic=True, include_contended=True,
                        include_untrained=True)
    assert speed_accuracy_png(rows, "benchmark") is None  # the dummy's weights are untrained: never plotted
    png_bytes = speed_accuracy_png([dataclasses.replace(r, trained=True) for r in rows], "benchmark")
    assert png_bytes is not None and png_bytes.startswith(b"\x89PNG")
    assert speed_accuracy_png([], "benchmark") is None
    capsys.readouterr()
    assert main(["-q", "leaderboard", "--results-dir", str(results), "--include-subsets", "--include-synthetic",
                 "--include-contended", "--include-untrained", "--format", "markdown"]) == 0  # this machine may be busy
    assert LATENCY in capsys.readouterr().out
