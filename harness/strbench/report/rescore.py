"""Re-score a stored record under another protocol, offline, from its per-sample predictions
(checked against the sha256 the record holds)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from strbench.errors import DataError
from strbench.plugin.host import PluginHost
from strbench.run.assemble import protocol_info
from strbench.run.calibration import record_calibration
from strbench.run.record import Record, RescoredFrom
from strbench.run.record_check import (
    RESCORE_DATASET_FIELDS,
    RESCORE_FIELDS,
    require_fields,
    verify_predictions,
)
from strbench.run.records import now_iso, parse_record, read_predictions, record_id
from strbench.run.scoring import SamplePrediction, score, scored_result, summarize
from strbench.run.stats import record_intervals


def own_protocol(record: Record) -> str:
    """The id of the protocol ``record`` was scored under (its current version re-scores it)."""
    return record.protocol.id or record.protocol.key.split("@")[0]


def rescore_record(host: PluginHost, record_path: Path, raw: dict[str, Any], protocol_id: str | None = None,
                   keep_id: bool = False) -> Record:
    """A new record equal to the one in ``raw`` (read from ``record_path`` with
    :func:`strbench.run.records.load_record_json`) but scored under ``protocol_id`` (default: its own
    protocol's current version), predictions shared; ``keep_id``: the same record re-scored in place.

    ``raw`` is the JSON as written, so missing fields are caught before the typed record fills them in.
    """
    require_fields(record_path, raw, RESCORE_FIELDS, RESCORE_DATASET_FIELDS)
    record = parse_record(record_path, raw)
    protocol = host.protocol(protocol_id or own_protocol(record))
    metrics = host.metrics()
    by_dataset: dict[str, list[SamplePrediction]] = defaultdict(list)
    for dataset, pred in read_predictions(verify_predictions(record_path, raw)):
        by_dataset[dataset].append(pred)
    scores = {}
    datasets = []
    for entry in record.datasets:
        preds = by_dataset.get(entry.name)
        if preds is None:
            raise DataError(f"{record_path}: predictions hold no samples of {entry.name}")
        if len(preds) != entry.samples_run:
            raise DataError(f"{record_path}: {entry.name} has {len(preds)} stored predictions but the record "
                            f"ran {entry.samples_run}; the predictions file does not belong to this record")
        scores[entry.name] = s = score(preds, protocol, metrics)
        datasets.append(scored_result(entry, s))
    suite = host.suites().get(record.data.suite or "")
    source = record.rescored_from.id if keep_id and record.rescored_from is not None else record.id
    rescored_from: RescoredFrom | None = RescoredFrom(source, record.protocol.key, now_iso())
    if keep_id and protocol.key == record.protocol.key:  # same scores, sections added: its history stands
        rescored_from = record.rescored_from
    return replace(
        record, datasets=datasets, summary=summarize(scores, suite), intervals=record_intervals(scores, suite),
        calibration=record_calibration(scores, suite),
        protocol=protocol_info(protocol), rescored_from=rescored_from,
        id=record.id if keep_id else record_id(record.algorithm, record.variant, protocol.id, "rescored"),
    )
