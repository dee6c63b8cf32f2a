"""What a result record must hold to be read back, and the check of the files it points to."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from strbench.checksum import sha256_file
from strbench.errors import DataError

#: Fields every reader needs (dotted: nested), and those of each ``datasets`` entry.
RECORD_FIELDS = ("id", "algorithm", "variant", "protocol.key", "datasets")
DATASET_FIELDS = ("name", "metrics", "evaluated")
#: What re-scoring needs besides.
RESCORE_FIELDS = (*RECORD_FIELDS, "data", "predictions.file", "predictions.sha256")
RESCORE_DATASET_FIELDS = (*DATASET_FIELDS, "samples_run")


def _has(record: Any, dotted: str) -> bool:
    node = record
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def missing_fields(record: dict[str, Any], fields: Sequence[str] = RECORD_FIELDS,
                   dataset_fields: Sequence[str] = DATASET_FIELDS) -> list[str]:
    """The dotted names of the fields ``record`` lacks (``datasets[i].name`` for its entries)."""
    missing = [f for f in fields if not _has(record, f)]
    datasets = record.get("datasets")
    if "datasets" in fields and not isinstance(datasets, list):
        return missing if "datasets" in missing else [*missing, "datasets (not a list)"]
    for i, entry in enumerate(datasets or []):
        missing += [f"datasets[{i}].{f}" for f in dataset_fields if not _has(entry, f)]
    return missing


def require_fields(path: Path, record: dict[str, Any], fields: Sequence[str] = RECORD_FIELDS,
                   dataset_fields: Sequence[str] = DATASET_FIELDS) -> None:
    """Raise :class:`DataError` naming ``path`` and every missing field."""
    missing = missing_fields(record, fields, dataset_fields)
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise DataError(f"record {path} lacks {shown}; it is damaged or was edited: restore it from a copy "
                        f"or re-run the benchmark")


def verify_predictions(record_path: Path, record: dict[str, Any]) -> Path:
    """The record's predictions file, after checking it exists and has the sha256 the record holds."""
    info = record.get("predictions")
    if not info:
        raise DataError(f"{record_path} has no per-sample predictions; it cannot be re-scored")
    require_fields(record_path, record, ("predictions.file", "predictions.sha256"), ())
    path = record_path.parent / str(info["file"])
    try:
        actual = sha256_file(path)
    except FileNotFoundError:
        raise DataError(f"{record_path}: its predictions file {path} is missing; restore it next to the "
                        f"record (it cannot be re-scored without it)") from None
    except OSError as exc:
        raise DataError(f"cannot read predictions {path}: {exc}") from None
    if actual != info["sha256"]:
        raise DataError(f"{path} does not match {record_path}: its sha256 is {actual[:12]}..., the record "
                        f"says {str(info['sha256'])[:12]}...; the file was replaced or damaged: restore the "
                        f"predictions written with this record")
    return path


def run_identity(record: Any) -> tuple[str, str]:
    """What makes a record one run: its id and its predictions' sha256 (or, for a record without
    predictions, the sha256 of its JSON), so the same record under two file names is one run."""
    import hashlib
    import json

    predictions = getattr(record, "predictions", None)
    if predictions is not None and predictions.sha256:
        return str(record.id), str(predictions.sha256)
    text = json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False)
    return str(record.id), hashlib.sha256(text.encode("utf-8")).hexdigest()


def distinct_runs(candidates: Sequence[tuple[Any, Path]]) -> list[tuple[Any, Path]]:
    """``(record, path)`` pairs with each run (:func:`run_identity`) once: the first path of a copy."""
    seen: set[tuple[str, str]] = set()
    out = []
    for record, path in candidates:
        identity = run_identity(record)
        if identity not in seen:
            seen.add(identity)
            out.append((record, path))
    return out
