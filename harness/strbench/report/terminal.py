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
    notes.extend(skip_notes(record))
    return notes


def skip_notes(record: dict[str, Any], examples: int = 3) -> list[str]:
    """One line per dataset with skipped samples: how many, and the first few with their reasons."""
    out = []
    for ds in record.get("datasets", []):
        skipped = ds.get("skipped") or {}
        if skipped.get("total"):
            shown = "; ".join(f"{key}: {reason}" for key, reason in skipped.get("samples", [])[:examples])
            out.append(f"{ds['name']}: {skipped['total']} sample(s) skipped (not scored)" + (f", e.g. {shown}" if shown else ""))
    return out


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
        table.add_row(ds["name"], str(ds["evaluated"]), str(ds["skipped"]["total"]),
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
