"""Terminal summary of one record (rich)."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from strbench import ui

SHOWN_METRICS = (("word_accuracy", "Acc"), ("one_minus_ned", "1-NED"), ("mean_confidence", "Conf"))


def fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def caveats(record: dict[str, Any]) -> list[str]:
    """Plain-language warnings that must accompany the numbers."""
    notes = []
    if record["data"].get("synthetic"):
        notes.append("evaluated on the embedded SYNTHETIC default set: not a real benchmark")
    if not record["weights"].get("trained", True):
        notes.append("UNTRAINED weights (no trained weights given): accuracy is meaningless")
    if record["data"].get("subset_limit"):
        notes.append(f"subset run: first {record['data']['subset_limit']} samples per set")
    if record.get("missing"):
        notes.append("missing versions: " + ", ".join(record["missing"]))
    notes.extend(record.get("count_mismatch", []))
    if any(ds.get("status") == "count mismatch" for ds in record.get("datasets", [])):
        notes.append("'(N of M!)': a version found with N samples where its published split has M; its score is "
                     "not comparable with published figures")
    if any(ds.get("custom") for ds in record.get("datasets", [])):
        notes.append("'(custom <hash>)': a set given by path, scored on its own (not a benchmark version)")
    return notes


def dataset_label(ds: dict[str, Any]) -> str:
    """A dataset's name as every report shows it: custom sets and wrong-count versions marked."""
    if ds.get("custom"):
        return f"{ds['name']} (custom {str(ds.get('content_hash') or '')[:8]})".replace(" )", ")")
    if ds.get("status") == "count mismatch":
        return f"{ds['name']} ({ds.get('found')} of {ds.get('expected')}!)"
    return str(ds["name"])


def print_run_summary(record: dict[str, Any]) -> None:
    title = (f"{record['algorithm']} / {record['variant']} — protocol {record['protocol']['key']} — "
             f"weights {record['weights'].get('name')}")
    table = Table(title=title)
    table.add_column("dataset")
    table.add_column("evaluated", justify="right")
    table.add_column("skipped", justify="right")
    for _, label in SHOWN_METRICS:
        table.add_column(label, justify="right")
    last = len(record["datasets"]) - 1
    for i, ds in enumerate(record["datasets"]):
        table.add_row(dataset_label(ds), str(ds["evaluated"]), str(ds["skipped"]["total"]),
                      *(fmt(ds["metrics"].get(m)) for m, _ in SHOWN_METRICS), end_section=(i == last))
    summary = record["summary"]
    rows = [("all (sample-weighted)", summary["all"]["weighted"]), ("all (arithmetic mean)", summary["all"]["mean"])]
    for group, entry in summary.get("groups", {}).items():
        if entry.get("complete"):
            rows += [(f"{group} (sample-weighted)", entry["weighted"]), (f"{group} (arithmetic mean)", entry["mean"])]
    for label, values in rows:
        table.add_row(label, "", "", *(fmt(values.get(m)) for m, _ in SHOWN_METRICS))
    ui.console.print(table)
    for note in caveats(record):
        ui.console.print(f"[yellow]note:[/yellow] {note}")
