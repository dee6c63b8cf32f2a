"""Re-score a stored record under another protocol, offline, from its per-sample predictions
(checked against the sha256 the record holds)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from strbench.errors import DataError
from strbench.plugin.host import PluginHost
from strbench.run.assemble import protocol_info
from strbench.run.record import Record, RescoredFrom
from strbench.run.record_check import (
    RESCORE_DATASET_FIELDS,
    RESCORE_FIELDS,
    require_fields,
    verify_predictions,
)
from strbench.run.records import load_record_json, now_iso, read_predictions, record_id
from strbench.run.scoring import SamplePrediction, score, scored_result, summarize
from strbench.run.stats import record_intervals


def rescore_record(host: PluginHost, record_path: Path, record: Record, protocol_id: str,
                   keep_id: bool = False) -> Record:
    """A new record equal to ``record`` but scored under ``protocol_id`` (predictions shared);
    ``keep_id``: the same record re-scored in place (e.g. under a new version of its protocol)."""
    protocol = host.protocol(protocol_id)
    metrics = host.metrics()
    raw = load_record_json(record_path)  # as written: the typed record fills in absent fields
    require_fields(record_path, raw, RESCORE_FIELDS, RESCORE_DATASET_FIELDS)
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
    return replace(
        record, datasets=datasets, summary=summarize(scores, suite), intervals=record_intervals(scores, suite),
        protocol=protocol_info(protocol), rescored_from=RescoredFrom(source, record.protocol.key, now_iso()),
        id=record.id if keep_id else record_id(record.algorithm, record.variant, protocol.id, "rescored"),
    )
