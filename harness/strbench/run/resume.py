"""Resuming an interrupted ``strbench run``: finished versions are kept, not recomputed.

The runner appends to a state file in the results folder, ``.resume-<key>.json``, keyed by
everything that decides the predictions (algorithm, variant, weights sha256, protocol, data,
limit, batch size, backend, precision, device, plugin options, tag). The file is JSON lines and
append-only: a header line (schema and key), then per dataset version a ``start`` line, one line
per predicted batch (the batch's spool lines; flushed and fsync'd at the batch's end) and a
``done`` line (path, sample count, seconds, number of predictions and the sha256 of its lines).
Nothing of it is held in memory while a run predicts, and it is read only once, at the start of
a later run with the same configuration: each version with a ``done`` line whose path, sample
count and checksum still match is copied into that run's spool and not predicted again, so its
record equals an uninterrupted run's. The state file is deleted once the record is written;
``--fresh`` ignores and deletes it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from strbench import ui
from strbench.data.suite import LocatedVersion
from strbench.plugin.types import to_jsonable
from strbench.run.record import WeightsIdentity
from strbench.run.runinfo import RunInfo
from strbench.run.streaming import PredictionSpool, SpoolWriter, StoredPredictions

SCHEMA = "strbench.resume/2"
#: The dataset version's stored predictions, model seconds and wall seconds.
Cached = tuple[StoredPredictions, float, float]


def run_key(info: RunInfo, weights: WeightsIdentity, protocol_id: str) -> dict[str, Any]:
    """What decides a run's predictions (not its id, results folder, workers or perf options)."""
    return to_jsonable({
        "algorithm": info.algorithm, "variant": info.variant,
        "weights": weights.sha256 or weights.name, "protocol": protocol_id,
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


@dataclass
class _Finished:
    """A version the state file holds in full, already copied into this run's spool."""

    path: str
    found: int | None
    model_seconds: float
    wall_seconds: float
    stored: StoredPredictions


class VersionLog:
    """Appends one version's batches to the state file (the ``mirror`` of its spool writer)."""

    def __init__(self, state: ResumeState, name: str) -> None:
        self.state, self.name = state, name
        self._sha = hashlib.sha256()
        self.count = 0
        state.append({"start": name})

    def __call__(self, lines: list[str]) -> None:
        for line in lines:
            self._sha.update(line.encode("utf-8") + b"\n")
        self.count += len(lines)
        self.state.append_raw('{"v": ' + json.dumps(self.name, ensure_ascii=False) + ', "rows": ['
                              + ", ".join(lines) + "]}")

    def finish(self, loc: LocatedVersion, model_s: float, wall_s: float) -> None:
        self.state.append({"done": self.name, "path": str(loc.path), "found": loc.found, "model_seconds": model_s,
                           "wall_seconds": wall_s, "count": self.count, "sha256": self._sha.hexdigest()})


class ResumeState:
    """The state file of one run configuration: :meth:`cached` per dataset version found in it,
    :meth:`begin` to log a version being predicted."""

    def __init__(self, results_dir: Path, key: dict[str, Any], spool: PredictionSpool, *,
                 fresh: bool = False) -> None:
        name = hashlib.sha256(json.dumps(key, sort_keys=True).encode("utf-8")).hexdigest()[:16]
        self.path = Path(results_dir) / f".resume-{name}.json"
        self.key = key
        self.finished: dict[str, _Finished] = {}
        self._fh: IO[str] | None = None
        if fresh:
            self.path.unlink(missing_ok=True)
        elif self.path.is_file():
            self._load(spool)

    def _load(self, spool: PredictionSpool) -> None:
        """Read the state file once, copying each complete version into ``spool``."""
        open_versions: dict[str, tuple[SpoolWriter, Any]] = {}
        try:
            with open(self.path, "rb") as fh:
                header = json.loads(fh.readline() or b"null")
                if not (isinstance(header, dict) and header.get("schema") == SCHEMA and header.get("key") == self.key):
                    raise ValueError("not the state of this configuration")
                end = fh.tell()
                for line in fh:
                    if not line.endswith(b"\n"):
                        break  # the last line of an interrupted write: cut off below
                    self._replay(json.loads(line), spool, open_versions)
                    end += len(line)
            if end < self.path.stat().st_size:
                os.truncate(self.path, end)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            ui.warn(f"ignoring the unreadable resume state {self.path} ({exc}); those versions are recomputed")
            for stored in self.finished.values():
                stored.stored.path.unlink(missing_ok=True)
            self.finished.clear()
            self.path.unlink(missing_ok=True)
        finally:
            for writer, _ in open_versions.values():
                writer.discard()

    def _replay(self, entry: dict[str, Any], spool: PredictionSpool,
                open_versions: dict[str, tuple[SpoolWriter, Any]]) -> None:
        if "start" in entry:
            name = str(entry["start"])
            if name in open_versions:
                open_versions.pop(name)[0].discard()
            old = self.finished.pop(name, None)
            if old is not None:
                old.stored.path.unlink(missing_ok=True)
            open_versions[name] = (spool.writer(), hashlib.sha256())
        elif "v" in entry:
            writer, sha = open_versions[str(entry["v"])]
            lines = [json.dumps(row, ensure_ascii=False) for row in entry["rows"]]
            for line in lines:
                sha.update(line.encode("utf-8") + b"\n")
            writer.write_lines(lines)
        elif "done" in entry:
            name = str(entry["done"])
            writer, sha = open_versions.pop(name)
            if sha.hexdigest() != entry["sha256"] or writer.count != entry["count"]:
                writer.discard()
                ui.warn(f"{name}: not resuming from {self.path} (the stored predictions changed); recomputing it")
                return
            self.finished[name] = _Finished(entry["path"], entry["found"], float(entry["model_seconds"]),
                                            float(entry["wall_seconds"]), writer.finish())

    def cached(self, loc: LocatedVersion) -> Cached | None:
        """The stored result of ``loc`` when it is still valid, else ``None`` (recompute it)."""
        entry = self.finished.get(loc.version.name)
        if entry is None:
            return None
        if entry.path != str(loc.path) or entry.found != loc.found:
            ui.warn(f"{loc.version.name}: not resuming from {self.path} (the dataset changed); recomputing it")
            return None
        ui.info(f"{loc.version.name}: resumed from {self.path} ({len(entry.stored)} predictions kept; "
                f"--fresh recomputes)")
        return entry.stored, entry.model_seconds, entry.wall_seconds

    def begin(self, loc: LocatedVersion) -> VersionLog:
        """Log the version about to be predicted: the returned log mirrors its spool writer."""
        return VersionLog(self, loc.version.name)

    def append(self, entry: dict[str, Any]) -> None:
        self.append_raw(json.dumps(entry, ensure_ascii=False))

    def append_raw(self, line: str) -> None:
        """Append one line and make it durable (flush and fsync)."""
        if self._fh is None:
            new = not self.path.is_file() or self.path.stat().st_size == 0
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in finish()/close()
            if new:
                self._fh.write(json.dumps({"schema": SCHEMA, "key": self.key}, ensure_ascii=False) + "\n")
        self._fh.write(line + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def finish(self) -> None:
        """The record is written: the state is no longer needed."""
        self.close()
        self.path.unlink(missing_ok=True)
