"""Result records: one self-describing JSON file per run plus its per-sample predictions.

``results/<id>.json`` holds what was run (plugin, variant, weights sha256, protocol, datasets with
evaluated/skipped counts, metrics, environment, timing); ``results/<id>.predictions.jsonl.gz``
holds every sample's raw label and prediction so ``strbench rescore`` can re-score offline.
Both are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strbench.atomic import atomic_path, atomic_write_bytes
from strbench.checksum import sha256_file
from strbench.errors import DataError
from strbench.run.record import SCHEMA, PredictionsRef, Record
from strbench.run.record_check import require_fields
from strbench.run.scoring import SamplePrediction

__all__ = ["SCHEMA", "Record", "iter_records", "load_record", "predictions_path", "read_predictions",
           "record_text", "write_record"]

PREDICTIONS_SUFFIX = ".predictions.jsonl.gz"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_id(algorithm: str, variant: str, protocol: str, tag: str = "") -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    parts = [stamp, algorithm, variant, protocol] + ([tag] if tag else [])
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts))


def write_predictions(path: Path, rows: Iterable[dict[str, Any]]) -> tuple[str, int]:
    """Write gzip JSON lines atomically, streaming (rows are not held); return (sha256 of the
    file, number of rows)."""
    count = 0
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                for row in rows:
                    gz.write((json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
                    count += 1
            raw.flush()
            os.fsync(raw.fileno())
        digest = sha256_file(tmp)
    return digest, count


def read_predictions(path: Path) -> Iterator[tuple[str, SamplePrediction]]:
    """Yield ``(dataset, SamplePrediction)`` from a predictions file."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{lineno}: not valid JSON ({exc.msg}); the file is damaged") from None
                yield row["dataset"], SamplePrediction.from_json(row)
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read predictions {path}: {exc}") from exc


def record_text(record: Record) -> str:
    """The record's JSON text as written to ``results/<id>.json``."""
    return record_json_text(record.to_json())


def record_json_text(data: dict[str, Any]) -> str:
    """The text of a record's JSON form as written to ``results/<id>.json``."""
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False, allow_nan=True) + "\n"


def write_record_json(results_dir: Path, record_id: str, data: dict[str, Any]) -> Path:
    """Write a record's JSON form (its predictions already written) atomically; return its path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{record_id}.json"
    atomic_write_bytes(path, record_json_text(data).encode("utf-8"))
    return path


def write_predictions_file(results_dir: Path, record_id: str, rows: Iterable[dict[str, Any]]) -> PredictionsRef:
    """Write the predictions of record ``record_id`` (streaming, atomically); return the record's
    reference to them."""
    results_dir.mkdir(parents=True, exist_ok=True)
    pred_path = results_dir / f"{record_id}{PREDICTIONS_SUFFIX}"
    sha, count = write_predictions(pred_path, rows)
    return PredictionsRef(pred_path.name, sha, count)


def write_record(results_dir: Path, record: Record, predictions: Iterable[dict[str, Any]] | None) -> Path:
    """Write predictions (if any; ``record.predictions`` then names them) then the record; return its path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{record.id}.json"
    if predictions is not None:
        record.predictions = write_predictions_file(results_dir, record.id, predictions)
    atomic_write_bytes(path, record_text(record).encode("utf-8"))
    return path


def _not_a_record(path: Path, raw: bytes) -> str | None:
    """What ``path`` is instead of a record, when that is recognisable from its name or bytes."""
    stem = next((path.name[: -len(end)] for end in (PREDICTIONS_SUFFIX, ".predictions.jsonl")
                 if path.name.endswith(end)), None)
    if stem is not None:
        return f"{path} is a predictions file, not a record; give its record {path.with_name(stem + '.json')}"
    if raw.startswith(b"\x1f\x8b"):
        return (f"{path} is gzip-compressed data, not a record (a predictions file?); give the results/<id>.json "
                f"record it belongs to")
    return None


def load_record_json(path: Path) -> dict[str, Any]:
    """A record's JSON as written (the fields every reader needs checked). A file that is no record
    (a predictions file, a binary or non-UTF-8 file, other JSON) is a :class:`DataError` naming it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read record {path}: {exc}") from exc
    other = _not_a_record(path, raw)
    if other:
        raise DataError(other)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot read record {path}: not UTF-8 text ({exc.reason} at byte {exc.start}); give a "
                        f"results/<id>.json record") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"cannot read record {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise DataError(f"{path} is not a strbench record (schema {SCHEMA})")
    require_fields(path, data)
    return data


def load_record(path: Path) -> Record:
    """Read a record; a file that is not one (or is damaged) is a :class:`DataError` naming it."""
    return parse_record(path, load_record_json(path))


def parse_record(path: Path, data: dict[str, Any]) -> Record:
    """The typed record of ``data`` (:func:`load_record_json` of ``path``); damage names ``path``."""
    try:
        return Record.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{path} is a damaged strbench record ({type(exc).__name__}: {exc}); "
                        f"re-run it or remove the file") from None


def iter_records(results_dir: Path, problems: list[tuple[Path, str]] | None = None
                 ) -> Iterator[tuple[Path, Record]]:
    """Every record below ``results_dir`` (recursively), oldest first by id. JSON files of other
    kinds are passed over; unreadable or damaged records are appended to ``problems`` as
    ``(path, message)``."""
    for path in sorted(results_dir.rglob("*.json")):
        if path.name.startswith("."):  # temporary and resume-state files
            continue
        try:
            yield path, load_record(path)
        except DataError as exc:
            if problems is not None and not _other_json(path):
                problems.append((path, str(exc)))


def _other_json(path: Path) -> bool:
    """True for a readable JSON file that is not a strbench record (training logs, perf summaries)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return not (isinstance(data, dict) and data.get("schema") == SCHEMA)


def predictions_path(record_path: Path, record: Record) -> Path:
    """The record's predictions file, after checking it exists and has the sha256 the record holds
    (a replaced or damaged file is an error naming both, never silently read)."""
    from strbench.run.record_check import verify_predictions

    if record.predictions is None:
        raise DataError(f"{record_path} has no per-sample predictions; it cannot be re-scored")
    return verify_predictions(record_path, {"predictions": {"file": record.predictions.file,
                                                            "sha256": record.predictions.sha256}})
