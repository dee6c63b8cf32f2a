"""A benchmark run: resolve → locate → load → predict → score → assemble → write.

:func:`run_benchmark` is the whole sequence; each step is one function below. Every dataset
source is opened once and closed (the first one stays open for the ONNX export check and the perf
protocol), the ONNX export lives in a temporary folder removed at the end of the run, and the
caller's :class:`RunInfo` is never changed (the resolved copy is :attr:`RunPlan.info`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from rich.progress import Progress, TaskID

from strbench import ui
from strbench.data.base import RawSample, SampleSource
from strbench.data.perturb import parse_perturbation
from strbench.data.suite import BenchmarkSuite, LocatedVersion
from strbench.errors import DataError, UsageError
from strbench.plugin.algorithm import Algorithm, Recognizer
from strbench.plugin.host import PluginHost
from strbench.plugin.types import to_jsonable
from strbench.run.assemble import DatasetRun, Loaded, build_record
from strbench.run.calibration import record_calibration
from strbench.run.evaluation import QUANTIZED_PRECISIONS, predict_source
from strbench.run.locate import locate_run, open_located
from strbench.run.metrics import Metric
from strbench.run.preflight import check_output_dir
from strbench.run.protocols import Protocol
from strbench.run.record import PerfSection, PredictionsRef, Record, Summary, WeightsIdentity
from strbench.run.records import now_iso, record_id, write_predictions_file, write_record_json
from strbench.run.resume import ResumeState, run_key
from strbench.run.runinfo import RunInfo
from strbench.run.scoring import DatasetScore, ScoreStream, summarize
from strbench.run.sharding import (
    DistContext,
    Shard,
    describe_sharding,
    distributed_run,
    gather_runs,
    shard_range,
    share,
)
from strbench.run.stats import record_intervals
from strbench.run.streaming import PredictionSpool
from strbench.weights.identity import describe_weights

SINGLE_PROCESS = DistContext()


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """Everything a run resolves once: the request with its variant and record id filled in, the
    algorithm, the protocol and metrics it is scored with, and the suite (``None``: default set)."""

    info: RunInfo
    algorithm: Algorithm
    protocol: Protocol
    metrics: Mapping[str, Metric]
    suite: BenchmarkSuite | None


# -- resolve ----------------------------------------------------------------------------------


def resolve(host: PluginHost, info: RunInfo) -> RunPlan:
    """Look up the algorithm, variant, protocol, metrics and suite; fail early on unknown names."""
    algorithm = host.algorithm(info.algorithm)
    protocol = host.protocol(info.protocol or algorithm.default_protocol)
    variant = algorithm.variant(info.variant).name
    check_precision(info)
    suite = None
    if info.data_root is not None:
        suites = host.suites()
        if info.suite not in suites:
            raise UsageError(f"unknown suite {info.suite!r}; available: {', '.join(sorted(suites))}")
        suite = suites[info.suite]
    resolved = dataclasses.replace(
        info, variant=variant, record_id=info.record_id or record_id(algorithm.name, variant, protocol.id, info.tag))
    return RunPlan(resolved, algorithm, protocol, host.metrics(), suite)


def check_precision(info: RunInfo) -> None:
    """int8 is a quantized ONNX graph: it needs ``--backend onnx`` and training crops to calibrate on
    (or an already quantized ``--onnx-model``), and it cannot be measured next to autocast precisions."""
    extra = [p for p in info.perf_options.get("precisions") or () if p != info.precision]
    if info.precision not in QUANTIZED_PRECISIONS:
        if any(p in QUANTIZED_PRECISIONS for p in extra):
            raise UsageError("int8 is a quantized model, not an autocast precision: measure it in a run of its own "
                             "(--backend onnx --precision int8 --calibration-data TRAIN_SET)")
        return
    if info.backend != "onnx":
        raise UsageError(f"--precision {info.precision} runs a quantized ONNX graph: add --backend onnx")
    if extra:
        raise UsageError(f"--perf-precisions {' '.join(extra)} cannot be measured on an {info.precision} model")
    if info.onnx_model is None and info.calibration_data is None:
        raise UsageError(f"--precision {info.precision} needs --calibration-data PATH: training crops (never the "
                         f"benchmark sets) whose activations set the int8 ranges, e.g. "
                         f"../shared/data/str-train/IIIT5K_train_2000")
    if info.calibration_data is not None and not info.calibration_data.exists():
        raise DataError(f"calibration data {info.calibration_data} not found; give a dataset of training crops")
    if info.calibration_samples < 1:
        raise UsageError(f"--calibration-samples must be at least 1, got {info.calibration_samples}")


def check_calibration(host: PluginHost, plan: RunPlan, found: list[LocatedVersion]) -> dict[str, object] | None:
    """int8 calibration data, checked before any export: a dataset with a readable image, holding no
    sample (same image bytes and label) of a benchmark version found below ``--data-root`` or of
    a set the run evaluates, unless ``--allow-test-calibration`` (then recorded: the returned
    fields go to ``weights.quantization``)."""
    from strbench.data.loader import open_dataset
    from strbench.data.suite import locate
    from strbench.weights.quantize import benchmark_overlap, calibration_digests, calibration_indices

    info = plan.info
    if info.precision not in QUANTIZED_PRECISIONS or info.onnx_model is not None or info.calibration_data is None:
        return None
    formats = host.dataset_formats()
    where = str(info.calibration_data)
    try:
        source = open_dataset(info.calibration_data, formats)
    except DataError as exc:
        raise DataError(f"--calibration-data {where} is not a dataset ({exc}); give a dataset of training "
                        f"crops") from None
    with contextlib.closing(source):
        if len(source) == 0:
            raise DataError(f"--calibration-data {where} holds no sample; give a dataset of training crops")
        digests = calibration_digests(source, calibration_indices(len(source), info.calibration_samples), where)
    versions = list(found)
    if info.data_root is not None and plan.suite is not None:  # every version of the suite, evaluated or not
        versions += [loc for loc in locate(info.data_root, plan.suite, formats) if loc.path is not None]
    seen: set[str] = set()
    opened = []
    for loc in versions:
        if loc.path is None or str(Path(loc.path).resolve()) in seen:
            continue
        seen.add(str(Path(loc.path).resolve()))
        opened.append((loc.version.name, open_located(formats, loc)))
    try:
        overlap = benchmark_overlap(digests, opened)
    finally:
        for _, opened_source in opened:
            opened_source.close()
    if overlap and not info.allow_test_calibration:
        named = ", ".join(f"{n} of {name}" for name, n in overlap.items())
        raise UsageError(f"--calibration-data {where}: {sum(overlap.values())} of its {len(digests)} calibration "
                         f"samples are benchmark test samples ({named}: the same image bytes and label); calibrate "
                         f"on training crops, or pass --allow-test-calibration to do it anyway (recorded)")
    if not info.allow_test_calibration:
        return None
    return {"test_calibration_allowed": True, "calibration_test_samples": overlap}


# -- locate -----------------------------------------------------------------------------------


def locate_datasets(host: PluginHost, plan: RunPlan) -> list[LocatedVersion]:
    """The datasets of the run (``run/locate.py``): suite versions below ``data_root``, sets given
    by path, or the embedded synthetic default set when neither is given."""
    return locate_run(host, plan.info)


def found_versions(located: list[LocatedVersion], info: RunInfo) -> list[LocatedVersion]:
    """Report every located version; return the found ones (at least one, else a :class:`DataError`)."""
    for loc in located:
        (ui.warn if loc.status != "ok" else ui.info)(loc.describe())
    found = [loc for loc in located if loc.path is not None]
    if not found:
        raise DataError(f"no dataset of suite {info.suite!r} found below {info.data_root}; "
                        f"expected folders such as IIIT5K_3000, SVT, IC13_857 (see docs/datasets.md)")
    return found


def open_source(host: PluginHost, loc: LocatedVersion) -> SampleSource:
    """Open a found version with the dataset format it was located by (and its ``--dataset-root``)."""
    return open_located(host.dataset_formats(), loc)


# -- load -------------------------------------------------------------------------------------


def load_recognizer(plan: RunPlan, check_source: SampleSource, stack: contextlib.ExitStack) -> Loaded:
    """Build the recognizer for the run's backend with its weights identity. For ``--backend onnx``
    the export goes to a temporary folder that ``stack`` removes when the run ends."""
    algorithm, info = plan.algorithm, plan.info
    variant = str(info.variant)
    weights_path = algorithm.resolve_weights(variant, info.weights) if info.weights else None
    weights = WeightsIdentity.from_json(describe_weights(algorithm, variant, weights_path))
    recognizer = algorithm.load(variant, weights_path, device=info.device, **info.options)
    if info.backend == "torch":
        return Loaded(recognizer, weights)
    if info.backend != "onnx":
        raise UsageError(f"unknown backend {info.backend!r}; use 'torch' or 'onnx'")
    if info.onnx_model is not None:
        return Loaded(algorithm.load_exported(info.onnx_model, "onnx", variant, device=info.device), weights)
    from strbench.data.loader import make_loader

    first = next(iter(make_loader(check_source, recognizer.input_spec, batch_size=8,
                                  indices=range(min(8, len(check_source))))))
    out_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="strbench-onnx-")))
    if info.precision in QUANTIZED_PRECISIONS:
        from strbench.weights.quantize import quantize_exported

        assert info.calibration_data is not None  # check_precision
        int8, facts = quantize_exported(algorithm, recognizer, variant, out_dir, info.calibration_data,
                                        samples=info.calibration_samples, device=info.device,
                                        calibration_method=info.calibration_method,
                                        check_batch=first.batch)
        weights.extra.update(to_jsonable(facts))
        return Loaded(int8, weights)
    result = algorithm.export(recognizer, "onnx", out_dir / f"{algorithm.name}-{variant}.onnx", first.batch)
    weights.extra["onnx_export"] = to_jsonable(result)
    return Loaded(algorithm.load_exported(Path(result.path), "onnx", variant, device=info.device), weights)


def load_model(plan: RunPlan, check_source: SampleSource, stack: contextlib.ExitStack) -> Loaded:
    """:func:`load_recognizer` as a visible phase: "loading model ..." (a spinner in a terminal)
    until it is ready, then how long it took."""
    info = plan.info
    what = f"{plan.algorithm.name}/{info.variant} ({', '.join(filter(None, (info.backend, info.precision, info.device)))})"
    start = time.perf_counter()
    with ui.status(f"loading model {what} …"):
        loaded = load_recognizer(plan, check_source, stack)
    ui.info(f"model {what} ready in {time.perf_counter() - start:.1f} s")
    return loaded


# -- predict ----------------------------------------------------------------------------------


class _Subset(SampleSource):
    """The first ``n`` samples of a source (``--limit``); records mark such runs as subsets.
    Closing it leaves the inner source open: whoever opened that closes it."""

    def __init__(self, inner: SampleSource, n: int) -> None:
        self.inner, self.n = inner, min(n, len(inner))
        self.location = inner.location

    def __len__(self) -> int:
        return self.n

    def read(self, index: int) -> RawSample:
        return self.inner.read(index)

    def key(self, index: int) -> str:
        return self.inner.key(index)


def run_share(source: SampleSource, info: RunInfo, ctx: DistContext) -> SampleSource:
    """What this process predicts of a version: its first ``--limit`` samples for a subset run,
    and of those this rank's shard under torchrun."""
    subset = _Subset(source, info.limit) if info.limit is not None else source
    return Shard(subset, shard_range(len(subset), ctx)) if ctx.enabled else subset


def _samples_run(loc: LocatedVersion, info: RunInfo) -> int:
    """How many samples of a version the run evaluates: all it found, or its first ``--limit``."""
    found = loc.found or 0
    return found if info.limit is None else min(found, info.limit)


def predict_version(recognizer: Recognizer, loc: LocatedVersion, source: SampleSource, info: RunInfo,
                    spool: PredictionSpool, advance: Callable[[int], None], ctx: DistContext,
                    state: ResumeState | None = None) -> DatasetRun:
    """Predict this process's share of one version (:func:`run_share`), streaming the predictions
    into ``spool`` as they come (bounded memory) and, batch by batch, into the resume ``state``."""
    subset = run_share(source, info, ctx)
    log = state.begin(loc) if state is not None else None
    writer = spool.writer(log)
    start = time.perf_counter()
    _, model_s = predict_source(recognizer, subset, batch_size=info.batch_size, workers=info.workers,
                                precision=info.precision, sink=writer.write, advance=advance,
                                perturb=parse_perturbation(info.perturb, info.perturb_seed))
    wall_s = time.perf_counter() - start
    if log is not None:
        log.finish(loc, model_s, wall_s)
    return DatasetRun(loc, writer.finish(), model_s, wall_s, synthetic=getattr(loc.version, "synthetic", False))


def predict_versions(host: PluginHost, recognizer: Recognizer, found: list[LocatedVersion],
                     first_source: SampleSource, info: RunInfo, spool: PredictionSpool,
                     state: ResumeState | None = None, ctx: DistContext = SINGLE_PROCESS) -> list[DatasetRun]:
    """Predict each found version, one progress bar each (images/s, ETA) under a bar for the whole
    run; every source but the (already open) first is opened here and closed. A version ``state``
    holds from an interrupted identical run is taken from there (no bar: the whole-run bar counts
    what is left to predict); each newly predicted one is logged to it batch by batch."""
    cached = {loc.version.name: state.cached(loc) if state is not None else None for loc in found}
    sizes = {loc.version.name: len(shard_range(_samples_run(loc, info), ctx)) for loc in found}
    to_predict = [loc for loc in found if cached[loc.version.name] is None]
    runs = []
    with ui.progress(rate_unit="img") as bar:
        overall = (bar.add_task(f"all {len(to_predict)} versions", total=sum(sizes[loc.version.name] for loc in to_predict))
                   if len(to_predict) > 1 else None)
        for i, loc in enumerate(found):
            name = loc.version.name
            hit = cached[name]
            if hit is not None:  # ResumeState.cached said so
                runs.append(DatasetRun(loc, *hit, synthetic=getattr(loc.version, "synthetic", False)))
                continue
            advance = _advancer(bar, bar.add_task(name, total=sizes[name]), overall)
            if i == 0:
                runs.append(predict_version(recognizer, loc, first_source, info, spool, advance, ctx, state))
            else:
                with contextlib.closing(open_source(host, loc)) as source:
                    runs.append(predict_version(recognizer, loc, source, info, spool, advance, ctx, state))
    return runs


def _advancer(bar: Progress, task: TaskID, overall: TaskID | None) -> Callable[[int], None]:
    """Advance a version's bar and the whole run's bar together."""

    def advance(n: int) -> None:
        bar.advance(task, n)
        if overall is not None:
            bar.advance(overall, n)

    return advance


def measure_perf(plan: RunPlan, recognizer: Recognizer, source: SampleSource, dataset: str) -> PerfSection:
    """The perf protocol on the first version's images (``strbench run --perf``)."""
    from strbench.perf import measure_for_run

    return PerfSection.from_json(measure_for_run(recognizer, source, plan.info, protocol=plan.protocol,
                                                 word_accuracy=plan.metrics["word_accuracy"], dataset=dataset))


# -- score ------------------------------------------------------------------------------------


def score_and_write_predictions(plan: RunPlan, runs: list[DatasetRun]
                                ) -> tuple[dict[str, DatasetScore], Summary, PredictionsRef]:
    """One pass over each version's spooled predictions: score them (keeping only the compact
    per-sample columns intervals and calibration need) while writing the record's predictions file."""
    scores: dict[str, DatasetScore] = {}

    def rows() -> Iterator[dict[str, Any]]:
        for r in runs:
            name = r.located.version.name
            stream = ScoreStream(plan.protocol, plan.metrics, keep_samples=False)
            for p in r.predictions:
                stream.add(p)
                yield p.to_json(name)
            scores[name] = stream.result()

    ref = write_predictions_file(plan.info.results_dir, str(plan.info.record_id), rows())
    return scores, summarize(scores, plan.suite), ref


# -- the run ----------------------------------------------------------------------------------


@dataclasses.dataclass
class RunResult:
    """What a finished run hands back: where the record is, the typed record, its JSON exactly as
    written (serialised once, when written) and the plan it ran (its algorithm included)."""

    path: Path
    record: Record
    data: dict[str, Any]
    plan: RunPlan


def run_benchmark(host: PluginHost, info: RunInfo) -> tuple[Path, Record]:
    """Evaluate ``info.algorithm`` on every located dataset and write the record (atomically);
    return its path and content (:func:`execute` in its own distributed lifetime)."""
    with distributed_run(info) as (ctx, joined):
        result = execute(host, joined, ctx)
    return result.path, result.record


def execute(host: PluginHost, info: RunInfo, ctx: DistContext = SINGLE_PROCESS) -> RunResult:
    """The run of ``info`` in the distributed context ``ctx`` (``run/sharding.py: distributed_run``
    joins and leaves it). Under torchrun every rank predicts its shard and rank 0 writes the one
    record; every rank returns its path and content."""
    plan = resolve(host, info)
    check_output_dir(plan.info.results_dir, "--results-dir")
    located = locate_datasets(host, plan)
    found = found_versions(located, plan.info)
    started, t0 = now_iso(), time.perf_counter()
    with contextlib.ExitStack() as stack:
        calibration = check_calibration(host, plan, found)
        first_source = stack.enter_context(contextlib.closing(open_source(host, found[0])))
        loaded = load_model(plan, first_source, stack)
        if calibration is not None and isinstance(loaded.weights.extra.get("quantization"), dict):
            loaded.weights.extra["quantization"].update(calibration)
        spool = stack.enter_context(PredictionSpool(plan.info.results_dir))
        state = None if ctx.enabled else ResumeState(
            plan.info.results_dir, run_key(plan.info, loaded.weights, plan.protocol.id), spool,
            fresh=not plan.info.resume)
        if state is not None:
            stack.callback(state.close)
        if ctx.is_main:
            host.notify_run_start(plan.info)
        runs = predict_versions(host, loaded.recognizer, found, first_source, plan.info, spool, state, ctx)
        gathered = gather_runs(ctx, runs) if ctx.enabled else runs
        if gathered is None:  # not rank 0: rank 0 scores, writes and shares the result
            path, record, data = share(ctx, None)
            return RunResult(Path(path), record, data, plan)
        wall = time.perf_counter() - t0
        perf = measure_perf(plan, loaded.recognizer, first_source, found[0].version.name) if plan.info.perf else None
        scores, summary, predictions = score_and_write_predictions(plan, gathered)
        record = build_record(plan.info, plan.algorithm, plan.protocol, host.algorithm_owner(plan.algorithm.name),
                              loaded, located, gathered, scores, summary, started=started, wall=wall, perf=perf,
                              intervals=record_intervals(scores, plan.suite),
                              calibration=record_calibration(scores, plan.suite))
        if ctx.enabled:
            describe_sharding(record, ctx)
        try:
            host.notify_run_end(plan.info, record)
        except BaseException:
            (plan.info.results_dir / predictions.file).unlink(missing_ok=True)
            raise
        record.predictions = predictions
        data = record.to_json()
        path = write_record_json(plan.info.results_dir, record.id, data)
        if state is not None:
            state.finish()
    host.notify_result_written(path, record, data)
    if ctx.enabled:
        share(ctx, (str(path), record, data))
    return RunResult(path, record, data, plan)
