"""Terminal summary of one record (rich)."""

from __future__ import annotations

import math
import re
from typing import Any

from rich.table import Table

from strbench import ui
from strbench.run.record import DatasetResult, PerfSection, Record

SHOWN_METRICS = (("word_accuracy", "Acc"), ("one_minus_ned", "1-NED"), ("mean_confidence", "Conf"))


def fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def caveats(record: Record) -> list[str]:
    """Plain-language warnings that must accompany the numbers."""
    notes = []
    if record.data.synthetic:
        notes.append("evaluated on the embedded SYNTHETIC default set: not a real benchmark")
    if not record.weights.trained:
        notes.append("UNTRAINED weights (no trained weights given): accuracy is meaningless")
    if record.data.subset_limit:
        notes.append(f"subset run: first {record.data.subset_limit} samples per set")
    if record.data.perturbation is not None:
        p = record.data.perturbation
        notes.append(f"PERTURBED inputs: {p.key} ({p.extra.get('description', 'a controlled corruption')}, "
                     f"level {p.extra.get('level', '?')} {p.extra.get('unit', '')}): not comparable with clean runs")
    if record.missing:
        notes.append("missing versions: " + ", ".join(record.missing))
    notes.extend(record.count_mismatch)
    if any(ds.status == "count mismatch" for ds in record.datasets):
        notes.append("'(N of M!)': a version found with N samples where its published split has M; its score is "
                     "not comparable with published figures")
    if any(ds.extra.get("custom") for ds in record.datasets):
        notes.append("'(custom <hash>)': a set given by path, scored on its own (not a benchmark version)")
    notes.extend(skip_notes(record))
    return notes


def skip_notes(record: Record, examples: int = 3) -> list[str]:
    """One line per dataset with skipped samples: how many, and the first few with their reasons."""
    out = []
    for ds in record.datasets:
        if ds.skipped.total:
            shown = "; ".join(f"{key}: {reason}" for key, reason in ds.skipped.samples[:examples])
            out.append(f"{ds.name}: {ds.skipped.total} sample(s) skipped (not scored)" + (f", e.g. {shown}" if shown else ""))
    return out


def dataset_label(ds: DatasetResult) -> str:
    """A dataset's name as every report shows it: custom sets and wrong-count versions marked."""
    if ds.extra.get("custom"):
        return f"{ds.name} (custom {str(ds.extra.get('content_hash') or '')[:8]})".replace(" )", ")")
    if ds.status == "count mismatch":
        return f"{ds.name} ({ds.found} of {ds.expected}!)"
    return ds.name


def print_run_summary(record: Record) -> None:
    title = (f"{record.algorithm} / {record.variant} — protocol {record.protocol.key} — "
             f"weights {record.weights.name}")
    table = Table(title=title)
    table.add_column("dataset")
    table.add_column("evaluated", justify="right")
    table.add_column("skipped", justify="right")
    for _, label in SHOWN_METRICS:
        table.add_column(label, justify="right")
    last = len(record.datasets) - 1
    for i, ds in enumerate(record.datasets):
        table.add_row(dataset_label(ds), str(ds.evaluated), str(ds.skipped.total),
                      *(fmt(ds.metrics.get(m)) for m, _ in SHOWN_METRICS), end_section=(i == last))
    summary = record.summary
    rows = [("all (sample-weighted)", summary.all.weighted), ("all (arithmetic mean)", summary.all.mean)]
    for group, entry in summary.groups.items():
        if entry.complete:
            rows += [(f"{group} (sample-weighted)", entry.weighted), (f"{group} (arithmetic mean)", entry.mean)]
    for label, values in rows:
        table.add_row(label, "", "", *(fmt((values or {}).get(m)) for m, _ in SHOWN_METRICS))
    ui.console.print(table)
    for note in caveats(record):
        ui.console.print(f"[yellow]note:[/yellow] {note}")


#: the group whose sample-weighted average is set beside a publisher's reported figure
PUBLISHED_GROUP = "benchmark"


def publisher_lines(record: Record, algorithm: Any, group: str = PUBLISHED_GROUP) -> list[str]:
    """For a run on real data: what the weights' publishers report for this algorithm and variant
    (``Algorithm.weight_releases[alias][variant].reported_accuracy``) beside the measured ``group``
    weighted word accuracy and the gap, e.g. "publisher reports 82.50% (PaddleOCR, ...); measured
    here 52.05% (-30.45 pp; ...)". Empty without such metadata or on the synthetic set."""
    if algorithm is None or record.data.synthetic:
        return []
    entry = record.summary.groups.get(group)
    measured = (entry.weighted or {}).get("word_accuracy") if entry is not None and entry.complete else None
    used = record.weights.extra.get("release") or {}
    lines = []
    for alias, per_variant in sorted((getattr(algorithm, "weight_releases", None) or {}).items()):
        release = per_variant.get(record.variant)
        if release is None or not release.reported_accuracy:
            continue
        same = used.get("alias") == alias
        line = (f"publisher reports {release.reported_accuracy} ({release.reported_by or 'its publisher'}, for "
                f"{'these weights' if same else f'--weights {alias}'}); ")
        number = re.search(r"\d+(?:\.\d+)?", release.reported_accuracy)
        if record.data.subset_limit:
            line += f"measured here: no {group} average to set beside it (subset run, --limit {record.data.subset_limit})"
        elif measured is None:
            line += f"measured here: no {group} average to set beside it (not all of its versions were evaluated)"
        elif not record.weights.trained:
            line += "measured here: untrained weights, nothing to set beside it"
        else:
            gap = f"{measured - float(number.group()):+.2f} pp; " if number else ""
            weights = "the same weights" if same else f"weights {record.weights.name}"
            line += (f"measured here {measured:.2f}% ({gap}{group} weighted average, {record.protocol.key}, "
                     f"{weights})")
        lines.append(line)
    return lines


def print_publisher_lines(record: Record, algorithm: Any) -> None:
    for line in publisher_lines(record, algorithm):  # sentences: wrapped at word boundaries in a terminal
        ui.console.print(line, highlight=False, markup=False, soft_wrap=False)


def perf_lines(record: dict[str, Any]) -> list[str]:
    """The perf section in a few lines: batch-1 latency p50/p90, best throughput and its batch size,
    peak memory, and whether other processes competed for the CPU while it was measured."""
    from strbench.perf import summary as ps
    from strbench.report.leaderboard import perf_contention, perf_device_label

    perf = record.get("perf")
    if not perf:
        return []
    cols = ps.leaderboard_columns(perf)
    config = ps.primary_config(perf) or {}
    label = f"{config.get('precision', 'fp32')}, compile {config.get('compile', {}).get('mode', 'none')}"
    section = PerfSection.from_json(perf)
    lines = [f"speed on {perf_device_label(section)} ({label}; forward + decode):"]
    if ps.LATENCY in cols:
        lines.append(f"  latency at batch 1: p50 {fmt(cols[ps.LATENCY])} ms, p90 {fmt(cols[ps.LATENCY_P90])} ms")
    if ps.THROUGHPUT in cols:
        lines.append(f"  best throughput: {fmt(cols[ps.THROUGHPUT], 1)} images/s at batch size {int(cols[ps.BEST_BS])}")
    if ps.PEAK_MEMORY in cols:
        lines.append(f"  peak memory at that batch size: {fmt(cols[ps.PEAK_MEMORY], 1)} MB")
    other = perf.get("system", {}).get("other_processes") or {}
    cores = perf_contention(section)
    if cores is not None:
        lines.append(f"  CONTENDED: other processes kept {cores:.2f} CPU cores busy during the measurement; "
                     f"these figures are not comparable (the leaderboard leaves them out unless --include-contended)")
    elif other.get("other_cpu_cores") is not None:
        lines.append(f"  contention: none (other processes used {other['other_cpu_cores']:.2f} CPU cores)")
    return lines


def print_perf_summary(record: dict[str, Any]) -> None:
    for line in perf_lines(record):
        ui.console.print(line, highlight=False, markup=False)


def next_steps(record: dict[str, Any], can_train: bool, releases: list[str]) -> list[str]:
    """What to do after a run whose numbers do not mean much yet: untrained weights, synthetic data."""
    algo, variant = record["algorithm"], record["variant"]
    steps = []
    if not record["weights"].get("trained", True):
        if releases:
            steps.append(f"use published weights: strbench run --algorithm {algo} --variant {variant} "
                         f"--weights {releases[0]}  (see 'strbench weights releases --algorithm {algo}')")
        steps.append("use your own weights: --weights PATH (.safetensors or a PyTorch state dict)")
        if can_train:
            steps.append(f"train them: strbench train --algorithm {algo} --variant {variant} --train-data LMDB "
                         f"--val-data LMDB --output-dir runs/{algo}-{variant}  (docs/training.md)")
    if record["data"].get("synthetic"):
        steps.append("evaluate on the real benchmarks: --data-root DIR (clovaai LMDB folders or folders with "
                     "label files; README 'Data preparation')")
    return steps


def print_next_steps(record: dict[str, Any], can_train: bool, releases: list[str]) -> None:
    steps = next_steps(record, can_train, releases)
    if steps:
        ui.console.print("next steps:", highlight=False)
        for step in steps:
            ui.console.print(f"  - {step}", highlight=False, markup=False)
