"""Re-score a stored record under another protocol, offline, from its per-sample predictions
(checked against the sha256 the record holds)."""

from __future__ import annotations

import copy
from collections import defaultdict
from pathlib import Path
from typing import Any

from strbench.errors import DataError
from strbench.plugin.host import PluginHost
from strbench.plugin.types import to_jsonable
from strbench.run.record_check import (
    RESCORE_DATASET_FIELDS,
    RESCORE_FIELDS,
    require_fields,
    verify_predictions,
)
from strbench.run.records import now_iso, read_predictions, record_id
from strbench.run.runner import summarize
from strbench.run.scoring import SamplePrediction, score


def rescore_record(host: PluginHost, record_path: Path, record: dict[str, Any], protocol_id: str) -> dict[str, Any]:
    """A new record equal to ``record`` but scored under ``protocol_id`` (predictions shared)."""
    protocol = host.protocol(protocol_id)
    metrics = host.metrics()
    require_fields(record_path, record, RESCORE_FIELDS, RESCORE_DATASET_FIELDS)
    by_dataset: dict[str, list[SamplePrediction]] = defaultdict(list)
    for dataset, pred in read_predictions(verify_predictions(record_path, record)):
        by_dataset[dataset].append(pred)
    new = copy.deepcopy(record)
    scores = {}
    for entry in new["datasets"]:
        preds = by_dataset.get(entry["name"])
        if preds is None:
            raise DataError(f"{record_path}: predictions hold no samples of {entry['name']}")
        if len(preds) != entry["samples_run"]:
            raise DataError(f"{record_path}: {entry['name']} has {len(preds)} stored predictions but the record "
                            f"ran {entry['samples_run']}; the predictions file does not belong to this record")
        s = score(preds, protocol, metrics)
        scores[entry["name"]] = s
        entry.update(s.to_json())
    suite = host.suites().get(new["data"].get("suite") or "")
    new["summary"] = summarize(scores, suite)
    new["protocol"] = {"key": protocol.key, **to_jsonable(protocol)}
    new["rescored_from"] = {"id": record["id"], "protocol": record["protocol"]["key"], "at": now_iso()}
    new["id"] = record_id(record["algorithm"], record["variant"], protocol.id, "rescored")
    return new
