"""Result records: one self-describing JSON file per run plus its per-sample predictions.

``results/<id>.json`` holds what was run (plugin, variant, weights sha256, protocol, datasets with
evaluated/skipped counts, metrics, environment, timing); ``results/<id>.predictions.jsonl.gz``
holds every sample's raw label and prediction so ``strbench rescore`` can re-score offline.
Both are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strbench.atomic import atomic_write_bytes
from strbench.errors import DataError
from strbench.run.record_check import require_fields
from strbench.run.scoring import SamplePrediction

SCHEMA = "strbench.record/1"
PREDICTIONS_SUFFIX = ".predictions.jsonl.gz"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_id(algorithm: str, variant: str, protocol: str, tag: str = "") -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    parts = [stamp, algorithm, variant, protocol] + ([tag] if tag else [])
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts))


def write_predictions(path: Path, rows: Iterable[dict[str, Any]]) -> tuple[str, int]:
    """Write gzip JSON lines atomically; return (sha256 of the file, number of rows)."""
    buf = io.BytesIO()
    count = 0
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
            count += 1
    data = buf.getvalue()
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest(), count


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


def write_record(results_dir: Path, record: dict[str, Any], predictions: Iterable[dict[str, Any]] | None) -> Path:
    """Write predictions (if any) then the record; return the record path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{record['id']}.json"
    if predictions is not None:
        pred_path = results_dir / f"{record['id']}{PREDICTIONS_SUFFIX}"
        sha, count = write_predictions(pred_path, predictions)
        record["predictions"] = {"file": pred_path.name, "sha256": sha, "count": count}
    text = json.dumps(record, indent=1, ensure_ascii=False, sort_keys=False, allow_nan=True) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def load_record(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read record {path}: {exc}") from exc
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise DataError(f"{path} is not a strbench record (schema {SCHEMA})")
    require_fields(path, record)
    return record


def iter_records(results_dir: Path, problems: list[tuple[Path, str]] | None = None
                 ) -> Iterator[tuple[Path, dict[str, Any]]]:
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


def predictions_path(record_path: Path, record: dict[str, Any]) -> Path:
    info = record.get("predictions")
    if not info:
        raise DataError(f"{record_path} has no per-sample predictions; it cannot be re-scored")
    return record_path.parent / info["file"]
