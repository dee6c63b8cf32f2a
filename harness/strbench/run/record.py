"""The result record as typed dataclasses, with ``to_json`` / ``from_json``.

One :class:`Record` per run (``results/<id>.json``). Every section keeps the keys it does not know
in ``extra`` and the key order it was read with, so a record written by an older or newer strbench
loads, and ``Record.from_json(data).to_json() == data`` for every complete record, key order
included. The JSON layout is ``strbench.record/1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

SCHEMA = "strbench.record/1"

JSON = dict[str, Any]


@dataclass
class Section:
    """A JSON object with typed fields; unknown keys live in ``extra``, the read key order in ``key_order``."""

    extra: JSON = field(default_factory=dict, kw_only=True)
    key_order: tuple[str, ...] = field(default=(), kw_only=True, repr=False, compare=False)

    @classmethod
    def known_keys(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls)) - {"extra", "key_order"}

    @classmethod
    def _open(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The ``extra`` and ``key_order`` arguments for a section read from ``data``."""
        known = cls.known_keys()
        return {"extra": {k: v for k, v in data.items() if k not in known}, "key_order": tuple(data)}

    def _emit(self, known: JSON) -> JSON:
        """``known`` plus ``extra``, in the order the section was read with (new keys last)."""
        merged = {**known, **self.extra}
        ordered = {k: merged[k] for k in self.key_order if k in merged}
        ordered.update(merged)
        return ordered


def _obj(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


@dataclass
class PluginIdentity(Section):
    """The plugin (distribution) that provided the algorithm."""

    name: str = ""
    distribution: str | None = None
    version: str | None = None
    algorithm_version: str | None = None

    def to_json(self) -> JSON:
        return self._emit({"name": self.name, "distribution": self.distribution, "version": self.version,
                           "algorithm_version": self.algorithm_version})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PluginIdentity:
        return cls(data.get("name", ""), data.get("distribution"), data.get("version"),
                   data.get("algorithm_version"), **cls._open(data))


@dataclass
class WeightsIdentity(Section):
    """What the record says about the weights: the plugin's description, ``sha256`` of the file (if any)."""

    name: str = "?"
    trained: bool = True
    sha256: str | None = None  # omitted from the JSON when unknown

    def to_json(self) -> JSON:
        known: JSON = {"name": self.name, "trained": self.trained}
        if self.sha256 is not None:
            known["sha256"] = self.sha256
        return self._emit(known)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WeightsIdentity:
        return cls(str(data.get("name", "?")), bool(data.get("trained", True)), data.get("sha256"),
                   **cls._open(data))


@dataclass
class RuntimeInfo(Section):
    """How the model ran; ``extra`` holds the recognizer's own ``describe()``."""

    backend: str = "torch"
    device: str = "cpu"
    precision: str = "fp32"
    batch_size: int | None = None
    workers: int | None = None

    def to_json(self) -> JSON:
        return self._emit({"backend": self.backend, "device": self.device, "precision": self.precision,
                           "batch_size": self.batch_size, "workers": self.workers})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuntimeInfo:
        return cls(data.get("backend", "torch"), data.get("device", "cpu"), data.get("precision", "fp32"),
                   data.get("batch_size"), data.get("workers"), **cls._open(data))


@dataclass
class ProtocolInfo(Section):
    """The protocol a record was scored under: ``key`` (``id@version``), ``id``, ``case``; the rest in ``extra``."""

    key: str = ""
    id: str | None = None
    case: str | None = None

    def to_json(self) -> JSON:
        known: JSON = {"key": self.key}
        if self.id is not None:
            known["id"] = self.id
        if self.case is not None:
            known["case"] = self.case
        return self._emit(known)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProtocolInfo:
        return cls(data.get("key", ""), data.get("id"), data.get("case"), **cls._open(data))


@dataclass
class PerturbationInfo(Section):
    """The controlled corruption a run's images went through (``--perturb``, data/perturb.py): its
    ``name``, ``severity`` (1-3) and ``seed``; its level, unit and seeding rule in ``extra``."""

    name: str = ""
    severity: int = 0
    seed: int = 0

    @property
    def key(self) -> str:
        """``name:severity`` (as ``--perturb`` takes it) and the seed: what keeps rows apart."""
        return f"{self.name}:{self.severity}" + (f"@seed{self.seed}" if self.seed else "")

    def to_json(self) -> JSON:
        return self._emit({"name": self.name, "severity": self.severity, "seed": self.seed})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PerturbationInfo:
        return cls(str(data.get("name", "")), int(data.get("severity", 0)), int(data.get("seed", 0)),
                   **cls._open(data))


@dataclass
class DataInfo(Section):
    """Where the data came from; ``synthetic`` and ``subset_limit`` keep a run off the default board.
    ``perturbation`` (absent for clean runs) names the corruption the images went through: a
    perturbed record is never comparable with a clean one."""

    root: str | None = None
    suite: str | None = None
    synthetic: bool = False
    subset_limit: int | None = None
    perturbation: PerturbationInfo | None = None

    def to_json(self) -> JSON:
        known: JSON = {"root": self.root, "suite": self.suite, "synthetic": self.synthetic,
                       "subset_limit": self.subset_limit}
        if self.perturbation is not None:
            known["perturbation"] = self.perturbation.to_json()
        return self._emit(known)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DataInfo:
        perturbation = data.get("perturbation")
        return cls(data.get("root"), data.get("suite"), bool(data.get("synthetic", False)),
                   data.get("subset_limit"),
                   PerturbationInfo.from_json(perturbation) if isinstance(perturbation, Mapping) else None,
                   **cls._open(data))


@dataclass
class SkipCounts(Section):
    """Samples not scored: how many, per reason, and the first few ``(key, reason)`` pairs."""

    total: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> JSON:
        return self._emit({"total": self.total, "reasons": dict(self.reasons),
                           "samples": [list(s) for s in self.samples]})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SkipCounts:
        return cls(int(data.get("total", 0)), dict(data.get("reasons", {})),
                   [(str(k), str(r)) for k, r in data.get("samples", [])], **cls._open(data))


@dataclass
class DatasetResult(Section):
    """One evaluated dataset version: where it was found, counts, seconds and metrics."""

    name: str = ""
    family: str | None = None
    expected: int | None = None
    found: int | None = None
    status: str | None = None
    format: str | None = None
    path: str | None = None
    synthetic: bool = False
    samples_run: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # {"wall", "model"}
    evaluated: int = 0
    skipped: SkipCounts = field(default_factory=SkipCounts)
    long_labels: int = 0
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> JSON:
        return self._emit({
            "name": self.name, "family": self.family, "expected": self.expected, "found": self.found,
            "status": self.status, "format": self.format, "path": self.path, "synthetic": self.synthetic,
            "samples_run": self.samples_run, "seconds": dict(self.seconds), "evaluated": self.evaluated,
            "skipped": self.skipped.to_json(), "long_labels": self.long_labels, "metrics": dict(self.metrics),
        })

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DatasetResult:
        return cls(
            data.get("name", ""), data.get("family"), data.get("expected"), data.get("found"), data.get("status"),
            data.get("format"), data.get("path"), bool(data.get("synthetic", False)), int(data.get("samples_run", 0)),
            dict(_obj(data, "seconds")), int(data.get("evaluated", 0)), SkipCounts.from_json(_obj(data, "skipped")),
            int(data.get("long_labels", 0)), dict(_obj(data, "metrics")), **cls._open(data),
        )


@dataclass
class Averages(Section):
    """Sample-weighted and arithmetic means of every metric over ``datasets``; for a suite group also
    whether it is ``complete`` (``weighted``/``mean`` only then) and which versions are ``missing``."""

    datasets: list[str] = field(default_factory=list)
    complete: bool | None = None  # None: the "all" entry, which has no completeness
    missing: list[str] | None = None
    weighted: dict[str, float] | None = None
    mean: dict[str, float] | None = None

    def to_json(self) -> JSON:
        known: JSON = {"datasets": list(self.datasets)}
        if self.complete is not None:
            known["complete"] = self.complete
        if self.missing is not None:
            known["missing"] = list(self.missing)
        if self.weighted is not None:
            known["weighted"] = dict(self.weighted)
        if self.mean is not None:
            known["mean"] = dict(self.mean)
        return self._emit(known)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Averages:
        weighted, mean = data.get("weighted"), data.get("mean")
        return cls(list(data.get("datasets", [])), data.get("complete"),
                   list(data["missing"]) if "missing" in data else None,
                   dict(weighted) if weighted is not None else None, dict(mean) if mean is not None else None,
                   **cls._open(data))

    def metric(self, name: str, *, weighted: bool = True) -> float | None:
        """A suite group's average of one metric; ``None`` unless the group is complete."""
        if not self.complete:
            return None
        return ((self.weighted if weighted else self.mean) or {}).get(name)


@dataclass
class Summary(Section):
    """Averages over every evaluated version (``all``) and over each suite group."""

    all: Averages = field(default_factory=Averages)
    groups: dict[str, Averages] = field(default_factory=dict)

    def to_json(self) -> JSON:
        return self._emit({"all": self.all.to_json(), "groups": {k: g.to_json() for k, g in self.groups.items()}})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        return cls(Averages.from_json(_obj(data, "all")),
                   {k: Averages.from_json(g) for k, g in _obj(data, "groups").items()}, **cls._open(data))

    def group(self, name: str) -> Averages:
        """The group's entry; an empty, incomplete one when the record has no such group."""
        return self.groups.get(name) or Averages(complete=False)


@dataclass
class Environment(Section):
    """Software versions, device, CPU and GPU of the machine that ran the record."""

    strbench: str | None = None
    git: JSON | None = None
    python: str | None = None
    platform: str | None = None
    packages: dict[str, str | None] = field(default_factory=dict)
    device: str | None = None
    cpu: JSON = field(default_factory=dict)
    gpu: JSON | None = None
    torch_cuda_available: bool | None = None

    def to_json(self) -> JSON:
        return self._emit({
            "strbench": self.strbench, "git": self.git, "python": self.python, "platform": self.platform,
            "packages": dict(self.packages), "device": self.device, "cpu": self.cpu, "gpu": self.gpu,
            "torch_cuda_available": self.torch_cuda_available,
        })

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Environment:
        return cls(data.get("strbench"), data.get("git"), data.get("python"), data.get("platform"),
                   dict(_obj(data, "packages")), data.get("device"), dict(_obj(data, "cpu")), data.get("gpu"),
                   data.get("torch_cuda_available"), **cls._open(data))


TIMING_NOTE = ("accuracy-pass timing only (no warm-up, includes first-batch effects); "
               "see the perf section for the measured protocol")


@dataclass
class Timing(Section):
    """Wall and model seconds of the accuracy pass (not the perf protocol)."""

    started: str = ""
    wall_s: float = 0.0
    model_s: float = 0.0
    images: int = 0
    images_per_s_model: float | None = None
    note: str = TIMING_NOTE

    def to_json(self) -> JSON:
        return self._emit({"started": self.started, "wall_s": self.wall_s, "model_s": self.model_s,
                           "images": self.images, "images_per_s_model": self.images_per_s_model, "note": self.note})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Timing:
        return cls(data.get("started", ""), data.get("wall_s", 0.0), data.get("model_s", 0.0), data.get("images", 0),
                   data.get("images_per_s_model"), data.get("note", TIMING_NOTE), **cls._open(data))


@dataclass
class PerfSection(Section):
    """The ``perf`` section (``strbench run --perf``): the measured configurations and the machine.

    The nested figures stay JSON objects (``perf/measure.py`` writes them, ``perf/summary.py`` and
    the perf report read them); the fields here are those the leaderboard picks a row's speed by."""

    system: JSON = field(default_factory=dict)
    configs: list[JSON] = field(default_factory=list)
    primary: int = 0
    flops: JSON = field(default_factory=dict)

    def to_json(self) -> JSON:
        return self._emit({"system": self.system, "configs": self.configs, "primary": self.primary,
                           "flops": self.flops})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PerfSection:
        return cls(dict(_obj(data, "system")), list(data.get("configs") or []), data.get("primary", 0),
                   dict(_obj(data, "flops")), **cls._open(data))

    @property
    def device(self) -> str:
        """Where the speed was measured (``cpu``, ``cuda:0``, ...); empty when unknown."""
        return str(self.system.get("device", ""))


@dataclass
class PredictionsRef(Section):
    """The per-sample predictions file next to the record."""

    file: str = ""
    sha256: str = ""
    count: int = 0

    def to_json(self) -> JSON:
        return self._emit({"file": self.file, "sha256": self.sha256, "count": self.count})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PredictionsRef:
        return cls(data.get("file", ""), data.get("sha256", ""), int(data.get("count", 0)), **cls._open(data))


@dataclass
class RescoredFrom(Section):
    """The record a re-scored record was derived from."""

    id: str = ""
    protocol: str = ""
    at: str = ""

    def to_json(self) -> JSON:
        return self._emit({"id": self.id, "protocol": self.protocol, "at": self.at})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RescoredFrom:
        return cls(data.get("id", ""), data.get("protocol", ""), data.get("at", ""), **cls._open(data))


@dataclass
class Record(Section):
    """One benchmark run. Sections absent from the JSON (``perf``, ``predictions``, ``rescored_from``)
    are ``None`` and stay absent when written."""

    id: str = ""
    kind: str = "accuracy"
    created: str = ""
    plugin: PluginIdentity = field(default_factory=PluginIdentity)
    algorithm: str = ""
    variant: str = ""
    weights: WeightsIdentity = field(default_factory=WeightsIdentity)
    params: int | None = None
    input_spec: JSON = field(default_factory=dict)
    runtime: RuntimeInfo = field(default_factory=RuntimeInfo)
    protocol: ProtocolInfo = field(default_factory=ProtocolInfo)
    data: DataInfo = field(default_factory=DataInfo)
    datasets: list[DatasetResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    count_mismatch: list[str] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    intervals: JSON | None = None  # 95% intervals per version and group (run/stats.py); absent in old records
    calibration: JSON | None = None  # confidence calibration per version and group (run/calibration.py)
    environment: Environment = field(default_factory=Environment)
    timing: Timing = field(default_factory=Timing)
    command: JSON = field(default_factory=dict)  # {"options": the RunInfo as JSON}
    perf: PerfSection | None = None
    predictions: PredictionsRef | None = None
    rescored_from: RescoredFrom | None = None
    schema: str = SCHEMA

    def to_json(self) -> JSON:
        out: JSON = {
            "schema": self.schema, "id": self.id, "kind": self.kind, "created": self.created,
            "plugin": self.plugin.to_json(), "algorithm": self.algorithm, "variant": self.variant,
            "weights": self.weights.to_json(), "params": self.params, "input_spec": self.input_spec,
            "runtime": self.runtime.to_json(), "protocol": self.protocol.to_json(), "data": self.data.to_json(),
            "datasets": [d.to_json() for d in self.datasets], "missing": list(self.missing),
            "count_mismatch": list(self.count_mismatch), "summary": self.summary.to_json(),
            **({"intervals": self.intervals} if self.intervals is not None else {}),
            **({"calibration": self.calibration} if self.calibration is not None else {}),
            "environment": self.environment.to_json(), "timing": self.timing.to_json(), "command": self.command,
        }
        for key, section in (("perf", self.perf), ("predictions", self.predictions),
                             ("rescored_from", self.rescored_from)):
            if section is not None:
                out[key] = section.to_json()
        return self._emit(out)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        """Read a record; raises ``KeyError``/``TypeError``/``ValueError`` on a malformed one."""
        if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
            raise ValueError(f"not a strbench record (schema {SCHEMA})")
        perf, preds, rescored = data.get("perf"), data.get("predictions"), data.get("rescored_from")
        return cls(
            id=data["id"], kind=data.get("kind", "accuracy"), created=data.get("created", ""),
            plugin=PluginIdentity.from_json(_obj(data, "plugin")), algorithm=data["algorithm"],
            variant=data["variant"], weights=WeightsIdentity.from_json(_obj(data, "weights")),
            params=data.get("params"), input_spec=dict(_obj(data, "input_spec")),
            runtime=RuntimeInfo.from_json(_obj(data, "runtime")), protocol=ProtocolInfo.from_json(_obj(data, "protocol")),
            data=DataInfo.from_json(_obj(data, "data")),
            datasets=[DatasetResult.from_json(d) for d in data.get("datasets", [])],
            missing=list(data.get("missing", [])), count_mismatch=list(data.get("count_mismatch", [])),
            summary=Summary.from_json(_obj(data, "summary")),
            intervals=dict(data["intervals"]) if isinstance(data.get("intervals"), Mapping) else None,
            calibration=dict(data["calibration"]) if isinstance(data.get("calibration"), Mapping) else None,
            environment=Environment.from_json(_obj(data, "environment")),
            timing=Timing.from_json(_obj(data, "timing")), command=dict(_obj(data, "command")),
            perf=PerfSection.from_json(perf) if isinstance(perf, Mapping) else None,
            predictions=PredictionsRef.from_json(preds) if isinstance(preds, Mapping) else None,
            rescored_from=RescoredFrom.from_json(rescored) if isinstance(rescored, Mapping) else None,
            schema=data["schema"], **cls._open(data),
        )

    @property
    def model_key(self) -> tuple[str, str, str, str, str]:
        """What speed depends on: algorithm, variant, weights (sha256, else name), backend, precision."""
        return (self.algorithm, self.variant, str(self.weights.sha256 or self.weights.name),
                self.runtime.backend, self.runtime.precision)
