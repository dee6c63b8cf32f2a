"""A benchmark run: load the algorithm, find the datasets, evaluate, score, write the record."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any

from strbench import environment, ui
from strbench.data.base import RawSample, SampleSource
from strbench.data.suite import BenchmarkSuite, DatasetVersion, LocatedVersion, locate
from strbench.errors import DataError, UsageError
from strbench.plugin.algorithm import Algorithm, Recognizer
from strbench.plugin.host import PluginHost
from strbench.plugin.types import to_jsonable
from strbench.run.evaluation import predict_source
from strbench.run.preflight import check_output_dir
from strbench.run.records import SCHEMA, now_iso, record_id, write_record
from strbench.run.resume import ResumeState, run_key
from strbench.run.runinfo import RunInfo
from strbench.run.scoring import DatasetScore, SamplePrediction, averages, score
from strbench.weights.identity import describe_weights


@dataclasses.dataclass
class DatasetRun:
    """One evaluated dataset version: where it came from and its raw predictions."""

    located: LocatedVersion
    predictions: list[SamplePrediction]
    model_seconds: float
    wall_seconds: float
    synthetic: bool = False


def select_versions(suite: BenchmarkSuite, names: list[str] | None) -> BenchmarkSuite:
    if not names:
        return suite
    wanted = []
    for name in names:
        group = suite.groups.get(name)
        for item in group or (name,):
            try:
                wanted.append(suite.version(item))
            except KeyError:
                known = ", ".join([v.name for v in suite.versions] + list(suite.groups))
                raise UsageError(f"unknown dataset version or group {name!r} in suite {suite.name!r}; "
                                 f"known: {known}") from None
    unique = tuple(dict.fromkeys(wanted))
    return dataclasses.replace(suite, versions=unique)


def locate_datasets(host: PluginHost, info: RunInfo) -> list[LocatedVersion]:
    """The dataset versions of the run: below ``data_root``, or the embedded synthetic default set."""
    if info.data_root is None:
        from strbench.data import default_set

        return [default_set.located()]
    if not info.data_root.is_dir():
        raise DataError(f"data root {info.data_root} is not a folder; point --data-root at the folder "
                        f"holding the benchmark sets (see README: data preparation)")
    suites = host.suites()
    if info.suite not in suites:
        raise UsageError(f"unknown suite {info.suite!r}; available: {', '.join(sorted(suites))}")
    return locate(info.data_root, select_versions(suites[info.suite], info.datasets), host.dataset_formats())


def load_recognizer(algorithm: Algorithm, info: RunInfo, check_source: SampleSource | None) -> tuple[Recognizer, dict[str, Any]]:
    """Build the recognizer for the run's backend; return it with the weights description."""
    variant = algorithm.variant(info.variant).name
    weights_path = algorithm.resolve_weights(variant, info.weights) if info.weights else None
    weights = describe_weights(algorithm, variant, weights_path)
    recognizer = algorithm.load(variant, weights_path, device=info.device, **info.options)
    if info.backend == "torch":
        return recognizer, weights
    if info.backend != "onnx":
        raise UsageError(f"unknown backend {info.backend!r}; use 'torch' or 'onnx'")
    if info.onnx_model is not None:
        return algorithm.load_exported(info.onnx_model, "onnx", variant, device=info.device), weights
    from strbench.data.loader import make_loader

    check = None
    if check_source is not None:
        first = next(iter(make_loader(check_source, recognizer.input_spec, batch_size=8,
                                      indices=range(min(8, len(check_source))))))
        check = first.batch
    out_dir = Path(tempfile.mkdtemp(prefix="strbench-onnx-"))
    result = algorithm.export(recognizer, "onnx", out_dir / f"{algorithm.name}-{variant}.onnx", check)
    weights["onnx_export"] = to_jsonable(result)
    return algorithm.load_exported(Path(result.path), "onnx", variant, device=info.device), weights


def evaluate_versions(recognizer: Recognizer, located: list[LocatedVersion], host: PluginHost, info: RunInfo,
                      state: ResumeState | None = None) -> list[DatasetRun]:
    runs = []
    formats = host.dataset_formats()
    for loc in located:
        if loc.path is None:
            continue
        cached = state.cached(loc) if state is not None else None
        if cached is not None:
            runs.append(DatasetRun(loc, *cached, synthetic=getattr(loc.version, "synthetic", False)))
            continue
        source = formats[loc.format].open(loc.path) if loc.format in formats else None
        if source is None:
            raise DataError(f"no reader for format {loc.format!r} of {loc.path}")
        if info.limit is not None:
            source = _Subset(source, info.limit)
        start = time.perf_counter()
        preds, model_s = predict_source(recognizer, source, batch_size=info.batch_size, workers=info.workers,
                                        precision=info.precision, description=loc.version.name)
        runs.append(DatasetRun(loc, preds, model_s, time.perf_counter() - start,
                               synthetic=getattr(loc.version, "synthetic", False)))
        source.close()
        if state is not None:
            state.save(loc, preds, model_s, runs[-1].wall_seconds)
    return runs


class _Subset(SampleSource):
    """The first ``n`` samples of a source (``--limit``); records mark such runs as subsets."""

    def __init__(self, inner: SampleSource, n: int) -> None:
        self.inner, self.n = inner, min(n, len(inner))
        self.location = inner.location

    def __len__(self) -> int:
        return self.n

    def read(self, index: int) -> RawSample:
        return self.inner.read(index)

    def key(self, index: int) -> str:
        return self.inner.key(index)

    def close(self) -> None:
        self.inner.close()


def summarize(scores: dict[str, DatasetScore], suite: BenchmarkSuite | None) -> dict[str, Any]:
    """Averages over all evaluated versions and over each suite group that is complete."""
    summary: dict[str, Any] = {"all": {"datasets": list(scores), **averages(scores)}, "groups": {}}
    for group, names in (suite.groups.items() if suite else []):
        present = [n for n in names if n in scores]
        entry: dict[str, Any] = {"datasets": list(names), "complete": len(present) == len(names),
                                 "missing": [n for n in names if n not in scores]}
        if entry["complete"]:
            entry.update(averages({n: scores[n] for n in names}))
        summary["groups"][group] = entry
    return summary


def dataset_entry(run: DatasetRun, s: DatasetScore) -> dict[str, Any]:
    v: DatasetVersion = run.located.version
    entry = {
        "name": v.name, "family": v.family, "expected": v.expected, "found": run.located.found,
        "status": run.located.status, "format": run.located.format, "path": str(run.located.path),
        "synthetic": run.synthetic, "samples_run": len(run.predictions),
        "seconds": {"wall": round(run.wall_seconds, 3), "model": round(run.model_seconds, 3)},
    }
    entry.update(s.to_json())
    return entry


def build_record(info: RunInfo, algorithm: Algorithm, recognizer: Recognizer, weights: dict[str, Any],
                 host: PluginHost, located: list[LocatedVersion], runs: list[DatasetRun],
                 protocol_id: str, started: str, wall: float) -> dict[str, Any]:
    protocol = host.protocol(protocol_id)
    metrics = host.metrics()
    scores = {r.located.version.name: score(r.predictions, protocol, metrics) for r in runs}
    suite = host.suites().get(info.suite) if info.data_root is not None else None
    owner = host.algorithm_owner(algorithm.name)
    variant = algorithm.variant(info.variant)
    total_images = sum(len(r.predictions) for r in runs)
    model_seconds = sum(r.model_seconds for r in runs)
    return {
        "schema": SCHEMA,
        "id": info.record_id,
        "kind": "accuracy",
        "created": now_iso(),
        "plugin": {"name": owner.name, "distribution": owner.distribution, "version": owner.version,
                   "algorithm_version": algorithm.version},
        "algorithm": algorithm.name,
        "variant": variant.name,
        "weights": weights,
        "params": recognizer.num_parameters(),
        "input_spec": to_jsonable(recognizer.input_spec),
        "runtime": {"backend": info.backend, "device": info.device, "precision": info.precision,
                    "batch_size": info.batch_size, "workers": info.workers, **recognizer.describe()},
        "protocol": {"key": protocol.key, **to_jsonable(protocol)},
        "data": {"root": str(info.data_root) if info.data_root else None,
                 "suite": info.suite if info.data_root else None,
                 "synthetic": any(r.synthetic for r in runs),
                 "subset_limit": info.limit},
        "datasets": [dataset_entry(r, scores[r.located.version.name]) for r in runs],
        "missing": [loc.version.name for loc in located if loc.path is None],
        "count_mismatch": [loc.describe() for loc in located if loc.path is not None and loc.status != "ok"],
        "summary": summarize(scores, suite),
        "environment": environment.collect(info.device),
        "timing": {"started": started, "wall_s": round(wall, 3), "model_s": round(model_seconds, 3),
                   "images": total_images,
                   "images_per_s_model": round(total_images / model_seconds, 2) if model_seconds else None,
                   "note": "accuracy-pass timing only (no warm-up, includes first-batch effects); "
                           "see the perf section for the measured protocol"},
        "command": {"options": {k: to_jsonable(v) for k, v in dataclasses.asdict(info).items()
                                if k not in ("results_dir",)}},
    }


def run_benchmark(host: PluginHost, info: RunInfo) -> tuple[Path, dict[str, Any]]:
    """Evaluate ``info.algorithm`` on every located dataset and write the record (atomically)."""
    algorithm = host.algorithm(info.algorithm)
    protocol_id = info.protocol or algorithm.default_protocol
    host.protocol(protocol_id)  # fail early on an unknown protocol
    variant = algorithm.variant(info.variant).name
    info.variant = variant
    info.record_id = info.record_id or record_id(algorithm.name, variant, protocol_id, info.tag)
    check_output_dir(info.results_dir, "--results-dir")
    located = locate_datasets(host, info)
    for loc in located:
        (ui.warn if loc.status != "ok" else ui.info)(loc.describe())
    if not any(loc.path for loc in located):
        raise DataError(f"no dataset of suite {info.suite!r} found below {info.data_root}; "
                        f"expected folders such as IIIT5k_3000, SVT, IC13_857 (see README: data preparation)")
    started, t0 = now_iso(), time.perf_counter()
    first = next(loc for loc in located if loc.path)
    assert first.path is not None and first.format is not None  # a found version has both
    first_source = host.dataset_formats()[first.format].open(first.path)
    recognizer, weights = load_recognizer(algorithm, info, first_source)
    host.run_start(info)
    state = ResumeState(info.results_dir, run_key(info, weights, protocol_id), fresh=not info.resume)
    runs = evaluate_versions(recognizer, located, host, info, state)
    record = build_record(info, algorithm, recognizer, weights, host, located, runs, protocol_id, started,
                          time.perf_counter() - t0)
    if info.perf:
        from strbench.perf import measure_for_run

        record["perf"] = measure_for_run(recognizer, first_source, info, protocol=host.protocol(protocol_id),
                                         word_accuracy=host.metrics()["word_accuracy"],
                                         dataset=first.version.name)
    host.run_end(info, record)
    rows = (p.to_json(r.located.version.name) for r in runs for p in r.predictions)
    path = write_record(info.results_dir, record, rows)
    state.finish()
    host.result_written(path, record)
    return path, record
