"""Resuming an interrupted ``strbench run``: finished dataset versions are kept, not recomputed.

After each dataset version the runner stores its raw predictions in a state file in the results
folder, ``.resume-<key>.json``, keyed by everything that decides the predictions (algorithm,
variant, weights sha256, protocol, data, limit, batch size, backend, precision, device, plugin
options, tag). A later run with the same configuration reuses the versions found there (when the
version's path and sample count are unchanged and the stored predictions' checksum matches), so
its record equals an uninterrupted run's. The state file is deleted once the record is written;
``--fresh`` ignores and deletes it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from strbench import ui
from strbench.atomic import atomic_write_bytes
from strbench.data.suite import LocatedVersion
from strbench.plugin.types import to_jsonable
from strbench.run.runinfo import RunInfo
from strbench.run.scoring import SamplePrediction

SCHEMA = "strbench.resume/1"
#: The dataset version's predictions, model seconds and wall seconds.
Cached = tuple[list[SamplePrediction], float, float]


def run_key(info: RunInfo, weights: dict[str, Any], protocol_id: str) -> dict[str, Any]:
    """What decides a run's predictions (not its id, results folder, workers or perf options)."""
    return to_jsonable({
        "algorithm": info.algorithm, "variant": info.variant,
        "weights": weights.get("sha256") or weights.get("name"), "protocol": protocol_id,
        "data_root": str(info.data_root.resolve()) if info.data_root else None, "suite": info.suite,
        "datasets": info.datasets, "dataset_paths": info.dataset_paths, "dataset_format": info.dataset_format,
        "dataset_root": str(info.dataset_root) if info.dataset_root else None,
        "calibration_data": str(info.calibration_data) if info.calibration_data else None,
        "calibration_samples": info.calibration_samples, "calibration_method": info.calibration_method,
        "limit": info.limit, "batch_size": info.batch_size, "backend": info.backend,
        "onnx_model": str(info.onnx_model) if info.onnx_model else None, "precision": info.precision,
        "device": info.device, "options": info.options, "tag": info.tag,
        **({"perturb": info.perturb, "perturb_seed": info.perturb_seed} if info.perturb else {}),
    })


def _digest(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class ResumeState:
    """The state file of one run configuration; :meth:`cached` and :meth:`save` per dataset version."""

    def __init__(self, results_dir: Path, key: dict[str, Any], *, fresh: bool = False) -> None:
        name = hashlib.sha256(json.dumps(key, sort_keys=True).encode("utf-8")).hexdigest()[:16]
        self.path = Path(results_dir) / f".resume-{name}.json"
        self.key = key
        self.versions: dict[str, dict[str, Any]] = {}
        if fresh:
            self.path.unlink(missing_ok=True)
        elif self.path.is_file():
            self.versions = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            if state.get("schema") == SCHEMA and state.get("key") == self.key:
                return dict(state["versions"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            ui.warn(f"ignoring the unreadable resume state {self.path} ({exc}); those versions are recomputed")
        return {}

    def cached(self, loc: LocatedVersion) -> Cached | None:
        """The stored result of ``loc`` when it is still valid, else ``None`` (recompute it)."""
        entry = self.versions.get(loc.version.name)
        if entry is None:
            return None
        try:
            rows = entry["predictions"]
            if entry["path"] != str(loc.path) or entry["found"] != loc.found or _digest(rows) != entry["sha256"]:
                raise ValueError("the dataset or the stored predictions changed")
            preds = [SamplePrediction.from_json(row) for row in rows]
            result = (preds, float(entry["model_seconds"]), float(entry["wall_seconds"]))
        except (KeyError, TypeError, ValueError) as exc:
            ui.warn(f"{loc.version.name}: not resuming from {self.path} ({exc}); recomputing it")
            return None
        ui.info(f"{loc.version.name}: resumed from {self.path} ({len(preds)} predictions kept; "
                f"--fresh recomputes)")
        return result

    def save(self, loc: LocatedVersion, preds: list[SamplePrediction], model_s: float, wall_s: float) -> None:
        """Record a finished dataset version (atomically: an interruption keeps the previous state)."""
        rows = [{**p.to_json(loc.version.name), "confidence": float(p.confidence)} for p in preds]  # unrounded
        self.versions[loc.version.name] = {"path": str(loc.path), "found": loc.found, "model_seconds": model_s,
                                           "wall_seconds": wall_s, "sha256": _digest(rows), "predictions": rows}
        state = {"schema": SCHEMA, "key": self.key, "versions": self.versions}
        atomic_write_bytes(self.path, json.dumps(state, ensure_ascii=False).encode("utf-8"))

    def finish(self) -> None:
        """The record is written: the state is no longer needed."""
        self.path.unlink(missing_ok=True)
