"""Re-score a stored record under another protocol, offline, from its per-sample predictions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from strbench.errors import DataError
from strbench.plugin.host import PluginHost
from strbench.run.assemble import protocol_info
from strbench.run.record import Record, RescoredFrom
from strbench.run.records import now_iso, predictions_path, read_predictions, record_id
from strbench.run.scoring import SamplePrediction, score, scored_result, summarize
from strbench.run.stats import record_intervals


def rescore_record(host: PluginHost, record_path: Path, record: Record, protocol_id: str,
                   keep_id: bool = False) -> Record:
    """A new record equal to ``record`` but scored under ``protocol_id`` (predictions shared);
    ``keep_id``: the same record re-scored in place (e.g. under a new version of its protocol)."""
    protocol = host.protocol(protocol_id)
    metrics = host.metrics()
    by_dataset: dict[str, list[SamplePrediction]] = defaultdict(list)
    for dataset, pred in read_predictions(predictions_path(record_path, record)):
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
