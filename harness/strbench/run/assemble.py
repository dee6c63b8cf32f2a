"""Assemble a run's :class:`~strbench.run.record.Record` from what the run produced (no scoring here:
the scores come from :mod:`strbench.run.scoring`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from strbench import environment
from strbench.data.perturb import parse_perturbation
from strbench.data.suite import LocatedVersion
from strbench.plugin.algorithm import Algorithm, Recognizer
from strbench.plugin.host import PluginInfo
from strbench.plugin.types import to_jsonable
from strbench.run.locate import record_fields
from strbench.run.protocols import Protocol
from strbench.run.record import (
    DataInfo,
    DatasetResult,
    Environment,
    PerfSection,
    PerturbationInfo,
    PluginIdentity,
    ProtocolInfo,
    Record,
    RuntimeInfo,
    Summary,
    Timing,
    WeightsIdentity,
)
from strbench.run.records import now_iso
from strbench.run.runinfo import RunInfo
from strbench.run.scoring import DatasetScore, SamplePrediction, scored_result


@dataclass
class DatasetRun:
    """One evaluated dataset version: where it came from and its raw predictions."""

    located: LocatedVersion
    predictions: Collection[SamplePrediction]  # streamed to disk for large sets (run/streaming.py)
    model_seconds: float
    wall_seconds: float
    synthetic: bool = False


@dataclass
class Loaded:
    """The recognizer a run evaluates and what the record says about its weights."""

    recognizer: Recognizer
    weights: WeightsIdentity


def dataset_result(run: DatasetRun, s: DatasetScore) -> DatasetResult:
    """The record's entry for one evaluated version."""
    loc, v = run.located, run.located.version
    entry = DatasetResult(
        v.name, v.family, v.expected, loc.found, loc.status, loc.format, str(loc.path), run.synthetic,
        len(run.predictions), {"wall": round(run.wall_seconds, 3), "model": round(run.model_seconds, 3)},
    )
    entry.extra.update((k, v) for k, v in record_fields(loc).items() if k != "expected")  # a custom set's identity
    return scored_result(entry, s)


def protocol_info(protocol: Protocol) -> ProtocolInfo:
    """The record's ``protocol``: its key, id and case, and every other field of the protocol."""
    fields = to_jsonable(protocol)
    known = ProtocolInfo.known_keys()
    return ProtocolInfo(protocol.key, fields.get("id"), fields.get("case"),
                        extra={k: v for k, v in fields.items() if k not in known}, key_order=("key", *fields))


def runtime_info(info: RunInfo, recognizer: Recognizer) -> RuntimeInfo:
    """The record's ``runtime``: how the run ran the model, and the recognizer's ``describe()``
    (which may restate any of those)."""
    described = recognizer.describe()
    known: dict[str, Any] = {"backend": info.backend, "device": info.device, "precision": info.precision,
                             "batch_size": info.batch_size, "workers": info.workers}
    known.update((k, v) for k, v in described.items() if k in known)
    return RuntimeInfo(**known, extra={k: v for k, v in described.items() if k not in known})


def timing(runs: list[DatasetRun], started: str, wall: float) -> Timing:
    images = sum(len(r.predictions) for r in runs)
    model_seconds = sum(r.model_seconds for r in runs)
    return Timing(started, round(wall, 3), round(model_seconds, 3), images,
                  round(images / model_seconds, 2) if model_seconds else None)


def perturbation_info(info: RunInfo) -> PerturbationInfo | None:
    """The record's ``data.perturbation`` of a ``--perturb`` run; ``None`` for a clean one."""
    perturbation = parse_perturbation(info.perturb, info.perturb_seed)
    if perturbation is None:
        return None
    described = perturbation.describe()
    known = PerturbationInfo.known_keys()
    return PerturbationInfo(perturbation.name, perturbation.severity, perturbation.seed,
                            extra={k: v for k, v in described.items() if k not in known})


def command(info: RunInfo) -> dict[str, object]:
    """The request as run (``results_dir`` left out: it says where the record is, not what was run)."""
    return {"options": {k: to_jsonable(v) for k, v in dataclasses.asdict(info).items() if k != "results_dir"}}


def build_record(info: RunInfo, algorithm: Algorithm, protocol: Protocol, owner: PluginInfo, loaded: Loaded,
                 located: list[LocatedVersion], runs: list[DatasetRun], scores: dict[str, DatasetScore],
                 summary: Summary, *, started: str, wall: float, perf: PerfSection | None = None,
                 intervals: dict[str, Any] | None = None, calibration: dict[str, Any] | None = None) -> Record:
    """The record of a finished run (``predictions`` is filled in when it is written)."""
    recognizer = loaded.recognizer
    return Record(
        id=info.record_id, kind="accuracy", created=now_iso(),
        plugin=PluginIdentity(owner.name, owner.distribution, owner.version, algorithm.version),
        algorithm=algorithm.name, variant=str(info.variant), weights=loaded.weights,
        params=recognizer.num_parameters(), input_spec=to_jsonable(recognizer.input_spec),
        runtime=runtime_info(info, recognizer), protocol=protocol_info(protocol),
        data=DataInfo(str(info.data_root) if info.data_root else None, info.suite if info.data_root else None,
                      any(r.synthetic for r in runs), info.limit, perturbation_info(info)),
        datasets=[dataset_result(r, scores[r.located.version.name]) for r in runs],
        missing=[loc.version.name for loc in located if loc.path is None],
        count_mismatch=[loc.describe() for loc in located if loc.path is not None and loc.status != "ok"],
        summary=summary, intervals=intervals, calibration=calibration,
        environment=Environment.from_json(environment.collect(info.device)),
        timing=timing(runs, started, wall), command=command(info), perf=perf,
    )
