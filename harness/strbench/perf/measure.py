"""The perf protocol: batch-1 latency by stage, a batch-size sweep, accuracy on the same images.

Every timed iteration reads the clock at stage boundaries (synchronising CUDA first):
``preprocess`` (``preprocess_image`` + ``collate``), ``forward`` (host-to-device copy +
``Recognizer.forward``) and ``decode`` (``Recognizer.decode``). Warm-up iterations (and with
``torch.compile`` a pass over every distinct input shape) are run untimed and reported apart.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
from collections.abc import Callable
from typing import Any

import torch

from strbench.data.base import SampleSource
from strbench.environment import OtherCpuLoad, cpu_model
from strbench.perf import compile as compile_mod
from strbench.perf.clock import Clock
from strbench.perf.config import PerfConfig
from strbench.perf.flops import coverage, recognizer_flops
from strbench.perf.inputs import PerfImages, Preprocessor, read_images
from strbench.perf.memory import PeakMemory
from strbench.perf.nvml import EnergyMeter, Nvml
from strbench.perf.stats import summarize_ms
from strbench.plugin.algorithm import Recognizer
from strbench.run.evaluation import QUANTIZED_PRECISIONS, autocast
from strbench.run.metrics import Metric
from strbench.run.protocols import Protocol
from strbench.run.scoring import SamplePrediction, score

SCHEMA = "strbench.perf/1"
STAGES = {
    "preprocess": "strbench.data.preprocess.preprocess_image per image + collate (CPU); image file decoding is not timed",
    "forward": "host-to-device copy + Recognizer.forward (the model; ONNX Runtime session for ONNX recognizers)",
    "decode": "Recognizer.decode (outputs to strings and confidences)",
    "model_and_decode": "forward + decode: the headline latency and throughput",
    "end_to_end": "preprocess + forward + decode, single process",
}
OOM_MARKERS = ("out of memory", "failed to allocate memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA/host allocation failures from torch or ONNX Runtime (caught to end a batch-size sweep)."""
    if isinstance(exc, torch.cuda.OutOfMemoryError | MemoryError):
        return True
    return isinstance(exc, Exception) and any(m in str(exc).lower() for m in OOM_MARKERS)


def _free_device_memory(device: str) -> None:
    gc.collect()
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()


class _Runner:
    """Runs and times recognizer stages for one (precision, compile) configuration."""

    def __init__(self, recognizer: Recognizer, prep: Preprocessor, clock: Clock, precision: str) -> None:
        self.recognizer, self.prep, self.clock, self.precision = recognizer, prep, clock, precision

    def context(self) -> contextlib.ExitStack:
        stack = contextlib.ExitStack()
        stack.enter_context(torch.inference_mode())
        stack.enter_context(autocast(self.recognizer.device, self.precision))
        return stack

    def model_and_decode(self, batch: Any) -> tuple[float, float, list[Any]]:
        """(forward seconds, decode seconds, predictions) of one batch."""
        t1 = self.clock.now()
        outputs = self.recognizer.forward(batch.to(self.recognizer.device))
        t2 = self.clock.now()
        preds = self.recognizer.decode(outputs, batch)
        t3 = self.clock.now()
        return t2 - t1, t3 - t2, preds

    def latency_bs1(self, warmup: int, runs: int) -> dict[str, Any]:
        n = len(self.prep.images)
        pre, fwd, dec, warm = [], [], [], []
        with self.context():
            for it in range(warmup + runs):
                t0 = self.clock.now()
                batch = self.prep.batch([it % n])
                t1 = self.clock.now()
                f, d, _ = self.model_and_decode(batch)
                if it < warmup:
                    warm.append(t1 - t0 + f + d)
                else:
                    pre.append(t1 - t0)
                    fwd.append(f)
                    dec.append(d)
        return {
            "batch_size": 1, "warmup_runs": warmup, "warmup_seconds": round(sum(warm), 4),
            "first_call_ms": round(warm[0] * 1000, 3) if warm else None,
            "stages": {"preprocess": summarize_ms(pre) if self.prep.applicable else {"runs": 0, "note": "not applicable: "
                       "the recognizer takes raw RGB images; its own preprocessing is inside forward"},
                       "forward": summarize_ms(fwd), "decode": summarize_ms(dec),
                       "model_and_decode": summarize_ms([f + d for f, d in zip(fwd, dec)]),
                       "end_to_end": summarize_ms([p + f + d for p, f, d in zip(pre, fwd, dec)])},
        }

    def batch_size_point(self, bs: int, cfg: PerfConfig, compiled: bool, memory: PeakMemory,
                         meter: EnergyMeter | None) -> dict[str, Any]:
        images = self.prep.images
        distinct = [images.indices(k * bs, bs) for k in range(max(1, math.ceil(len(images) / bs)))]
        batches = [self.prep.batch(idx) for idx in distinct]
        timed = max(cfg.throughput_repeats, math.ceil(cfg.throughput_min_images / bs))
        warm = max(cfg.warmup_batches, len(batches) if compiled else 0)
        memory.reset()
        fwd, dec = [], []
        with self.context():
            t0 = self.clock.now()
            for w in range(warm):
                self.model_and_decode(batches[w % len(batches)])
            warm_s = self.clock.now() - t0
            if meter is not None:
                meter.start()
            for r in range(timed):
                f, d, _ = self.model_and_decode(batches[r % len(batches)])
                fwd.append(f)
                dec.append(d)
            energy = meter.stop(timed * bs) if meter is not None else None
        mem = memory.read()
        pre = []
        for r in range(timed if self.prep.applicable else 0):
            t0 = self.clock.now()
            self.prep.batch(distinct[r % len(distinct)])
            pre.append(self.clock.now() - t0)
        model = summarize_ms([f + d for f, d in zip(fwd, dec)])
        point: dict[str, Any] = {
            "batch_size": bs, "status": "ok", "timed_batches": timed, "warmup_batches": warm,
            "warmup_seconds": round(warm_s, 4), "distinct_batches": len(batches),
            "images_per_s": _rate(bs, model), "forward": summarize_ms(fwd), "decode": summarize_ms(dec),
            "model_and_decode": model, "memory": mem,
        }
        if pre:
            point["preprocess"] = summarize_ms(pre)
            total = model["median_ms"] + point["preprocess"]["median_ms"]
            point["images_per_s_end_to_end"] = round(1000.0 * bs / total, 3) if total > 0 else None
        if energy is not None:
            point["energy"] = energy
        return point

    def predict_all(self, batch_size: int) -> list[SamplePrediction]:
        images = self.prep.images
        out = []
        with self.context():
            for start in range(0, len(images), batch_size):
                idx = list(range(start, min(len(images), start + batch_size)))
                batch = self.prep.batch(idx)
                preds = self.recognizer.predict(batch.to(self.recognizer.device))
                out += [SamplePrediction(images.keys[i], images.labels[i], p.text, float(p.confidence))
                        for i, p in zip(idx, preds, strict=True)]
        return out


def _notes(recognizer: Recognizer, precision: str, cuda: bool) -> list[str]:
    if precision in QUANTIZED_PRECISIONS:
        notes = [f"{precision}: the model itself is quantized; its accuracy delta against fp32 comes from "
                 f"comparing this record with an fp32 one (strbench compare), not from this run"]
    elif recognizer.module() is None and precision != "fp32":
        notes = ["autocast has no effect: the recognizer runs no torch module"]
    else:
        notes = []
    if recognizer.module() is not None:
        return notes
    if cuda:
        notes.append("torch allocator peaks exclude memory the runtime allocates itself (e.g. ONNX Runtime's "
                     "CUDA arena); nvml_process_memory_mb includes it")
    return notes


def _rate(bs: int, stats: dict[str, Any]) -> float | None:
    median = stats.get("median_ms")
    return round(1000.0 * bs / median, 3) if median else None


def sweep(runner: _Runner, cfg: PerfConfig, compiled: bool, nvml: Nvml | None) -> dict[str, Any]:
    """Throughput over ``cfg.batch_sizes``; an out-of-memory error ends the sweep and is reported."""
    memory = PeakMemory(runner.recognizer.device)
    meter = EnergyMeter(nvml, cfg.power_interval_s) if nvml is not None else None
    points: list[dict[str, Any]] = []
    stopped = None
    for bs in cfg.batch_sizes:
        try:
            points.append(runner.batch_size_point(bs, cfg, compiled, memory, meter))
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            points.append({"batch_size": bs, "status": "out_of_memory", "error": f"{type(exc).__name__}: {message}"})
            stopped = f"out of memory at batch size {bs}; larger batch sizes not tried"
        if stopped:
            _free_device_memory(runner.recognizer.device)
            break
    ok = [p for p in points if p["status"] == "ok" and p["images_per_s"]]
    best = max(ok, key=lambda p: p["images_per_s"]) if ok else None
    return {"points": points, "stopped": stopped,
            "best": {"batch_size": best["batch_size"], "images_per_s": best["images_per_s"],
                     "memory": best["memory"]} if best else None}


def accuracy(preds: list[SamplePrediction], reference: list[SamplePrediction] | None, protocol: Protocol,
             word_accuracy: Metric) -> dict[str, Any]:
    """Word accuracy on the perf images, and its delta and agreement against fp32 eager."""
    metrics = {"word_accuracy": word_accuracy}
    acc = score(preds, protocol, metrics).metrics.get("word_accuracy")
    out: dict[str, Any] = {"protocol": protocol.key, "images": len(preds), "word_accuracy": acc,
                           "prediction_length_mean": round(sum(len(p.prediction) for p in preds) / max(1, len(preds)), 3)}
    if reference is not None:
        ref = score(reference, protocol, metrics).metrics.get("word_accuracy")
        out["fp32_word_accuracy"] = ref
        out["delta_vs_fp32_pp"] = None if acc is None or ref is None else round(acc - ref, 4)
        same = sum(a.prediction == b.prediction for a, b in zip(preds, reference, strict=True))
        out["identical_predictions_vs_fp32"] = round(same / max(1, len(preds)), 6)
    return out


def system_facts(device: str, nvml: Nvml | None) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "device": device, "cpu_model": cpu_model(), "logical_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
    }
    if torch.device(device).type == "cuda":
        facts.update(cudnn_benchmark=torch.backends.cudnn.benchmark,
                     cudnn_deterministic=torch.backends.cudnn.deterministic,
                     deterministic_algorithms=torch.are_deterministic_algorithms_enabled(),
                     gpu=torch.cuda.get_device_name(torch.device(device)),
                     nvml=nvml.facts() if nvml is not None else None)
    return facts


def measure_recognizer(recognizer: Recognizer, source: SampleSource, cfg: PerfConfig, *,
                       protocol: Protocol | str = "lower36", word_accuracy: Metric | None = None,
                       dataset: str | None = None, backend: str = "torch",
                       clock: Clock | None = None, on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the whole protocol on the first ``cfg.images`` readable images of ``source``.

    The accuracy check scores under ``protocol`` with the ``word_accuracy`` metric; a protocol id
    and a missing metric are resolved through the current plugin host."""
    if isinstance(protocol, str) or word_accuracy is None:
        from strbench.plugin.host import current_host

        host = current_host()
        protocol = host.protocol(protocol) if isinstance(protocol, str) else protocol
        word_accuracy = word_accuracy or host.metrics()["word_accuracy"]
    device = recognizer.device
    clock = clock or Clock(device)
    step = on_step or (lambda _msg: None)
    other_load = OtherCpuLoad().start()
    images: PerfImages = read_images(source, cfg.images)
    prep = Preprocessor(images, recognizer.input_spec)
    cuda = torch.device(device).type == "cuda"
    nvml = Nvml(device) if cuda else None
    try:
        probe = prep.batch([0])
        reason = compile_mod.not_applicable_reason(recognizer, cfg.compile, probe)
        modes = ["none"] + ([cfg.compile] if cfg.compile != "none" and reason is None else [])
        configs: list[dict[str, Any]] = []
        reference: list[SamplePrediction] | None = None
        for mode in modes:
            with compile_mod.compiled(recognizer, mode):
                for precision in cfg.precisions:
                    step(f"perf: {precision}, compile {mode}")
                    runner = _Runner(recognizer, prep, clock, precision)
                    compiled = mode != "none"
                    warmup = max(cfg.warmup, len(images)) if compiled else cfg.warmup
                    entry: dict[str, Any] = {"precision": precision, "compile": compile_mod.describe_mode(mode, device)}
                    entry["notes"] = _notes(recognizer, precision, cuda)
                    entry["latency_bs1"] = runner.latency_bs1(warmup, cfg.latency_runs)
                    entry["throughput"] = sweep(runner, cfg, compiled, nvml)
                    preds = runner.predict_all(cfg.accuracy_batch_size)
                    if reference is None and precision == "fp32" and mode == "none":
                        reference = preds
                    if reference is None and precision not in QUANTIZED_PRECISIONS:
                        reference = _Runner(recognizer, prep, clock, "fp32").predict_all(cfg.accuracy_batch_size)
                    entry["accuracy"] = accuracy(preds, reference, protocol, word_accuracy)
                    if nvml is not None:
                        entry["nvml_process_memory_mb"] = nvml.process_memory_mb()
                    configs.append(entry)
        step("perf: FLOPs")
        flops = recognizer_flops(recognizer, [prep.batch([i]) for i in range(min(cfg.flop_images, len(images)))])
        other_load.stop()
        primary = next(i for i, c in enumerate(configs)
                       if c["precision"] == cfg.precisions[0] and c["compile"]["mode"] == modes[-1])
        return {
            "schema": SCHEMA,
            "method": {"clock": clock.describe(), "stages": STAGES,
                       "statistics": "median, p90, IQR (q3-q1), mean, min, max over timed runs; numpy linear "
                                     "interpolation; warm-up runs excluded and reported apart",
                       "latency": "batch 1, one real image per run, cycling through the perf images",
                       "throughput": "images/s = batch size / median(forward + decode) per batch, pre-collated "
                                     "batches of real images (repeated when the set is smaller than the batch)",
                       "compile": "compile time is in the warm-up (a pass over every distinct input shape), "
                                  "never in the timed runs"},
            "config": cfg.to_json(),
            "inputs": {"dataset": dataset, **images.describe()},
            "backend": backend,
            "system": {**system_facts(device, nvml), "load_average_before": other_load.load_average_before,
                       "load_average_after": other_load.load_average_after,
                       "other_processes": other_load.as_dict()},
            "params": recognizer.num_parameters(),
            "flops": flops,
            "flop_coverage": coverage(device) if flops.get("available") else None,
            "compile_not_applicable": reason,
            "configs": configs,
            "primary": primary,
        }
    finally:
        if nvml is not None:
            nvml.close()


def measure_for_run(recognizer: Recognizer, source: SampleSource, info: Any, *,
                    protocol: Protocol, word_accuracy: Metric, dataset: str | None = None) -> dict[str, Any]:
    """The ``perf`` section of a ``strbench run --perf`` record (options from ``info.perf_options``)."""
    cfg = PerfConfig.for_device(info.device, info.precision, info.batch_size, info.perf_options)
    from strbench import ui

    return measure_recognizer(recognizer, source, cfg, protocol=protocol, word_accuracy=word_accuracy,
                              dataset=dataset, backend=info.backend, on_step=ui.info)
