"""``strbench calibration``: a record's calibration section as a table, a reliability diagram and a
risk-coverage curve (the figures: :mod:`strbench.run.calibration`)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strbench.errors import DataError, UsageError
from strbench.plugin.host import PluginHost
from strbench.run.calibration import COVERAGES, coverage_key, record_calibration
from strbench.run.record import Record
from strbench.run.records import parse_record, predictions_path, read_predictions
from strbench.run.scoring import SamplePrediction, score

DEFAULT_SCOPE = "benchmark"
NOT_INFORMATIVE_CELL = "not informative"


def model_label(record: Record) -> str:
    """``algorithm/variant``, with the runtime when it is not eager fp32 and the perturbation if any."""
    label = f"{record.algorithm}/{record.variant}"
    if (record.runtime.backend, record.runtime.precision) != ("torch", "fp32"):
        label += f" ({record.runtime.backend} {record.runtime.precision})"
    if record.data.perturbation is not None:
        label += f", perturbed {record.data.perturbation.key}"
    return label


def section_of(host: PluginHost, path: Path, raw: dict[str, Any]) -> tuple[Record, dict[str, Any], bool]:
    """The record and its calibration section; a record without one has it computed from its
    predictions (third value ``True``) when its protocol is the current version of its own."""
    record = parse_record(path, raw)
    if record.calibration is not None:
        return record, record.calibration, False
    protocol_id = record.protocol.id or record.protocol.key.split("@")[0]
    protocol = host.protocol(protocol_id)
    if protocol.key != record.protocol.key:
        raise DataError(f"{path} has no calibration section and was scored under {record.protocol.key} (now "
                        f"{protocol.key}): run 'strbench rescore --in-place {path}' to add it")
    by_dataset: dict[str, list[SamplePrediction]] = defaultdict(list)
    for dataset, pred in read_predictions(predictions_path(path, record)):
        by_dataset[dataset].append(pred)
    metrics = host.metrics()
    scores = {d.name: score(by_dataset.get(d.name, []), protocol, metrics) for d in record.datasets}
    suite = host.suites().get(record.data.suite or "")
    return record, record_calibration(scores, suite), True


def scope_entry(section: dict[str, Any], scope: str) -> tuple[str, dict[str, Any] | None]:
    """``(scope name, entry)``: a group, a dataset version or ``all``; the default group falls back
    to ``all`` when the record does not hold it complete."""
    if scope == "all":
        return "all", section.get("all")
    for kind in ("groups", "datasets"):
        entry = (section.get(kind) or {}).get(scope)
        if entry is not None:
            return scope, entry
    if scope == DEFAULT_SCOPE:
        return "all", section.get("all")
    return scope, None


@dataclass
class CalibrationRow:
    """One table row: a record's figures over one scope."""

    label: str
    record_id: str
    protocol: str
    scope: str
    entry: dict[str, Any] | None

    @property
    def informative(self) -> bool:
        return bool(self.entry and self.entry.get("informative"))

    def cells(self) -> list[str]:
        e = self.entry or {}
        base = [self.label, self.scope, str(e.get("samples", "-")), _num(e.get("accuracy"))]
        if self.entry is None:
            return base + ["(not in the record)"] + [""] * (5 + len(COVERAGES))
        if not self.informative:
            return base + [NOT_INFORMATIVE_CELL] + ["-"] * (5 + len(COVERAGES))
        at = e.get("accuracy_at_coverage") or {}
        return base + [_num(e.get("mean_confidence")), _num(e.get("ece")), _num(e.get("brier"), 4),
                       _num(e.get("aurc")), _num(e.get("e_aurc")), *(_num(at.get(coverage_key(c))) for c in COVERAGES)]


HEADER = ["model", "scope", "samples", "acc %", "mean conf %", "ECE %", "Brier", "AURC %", "E-AURC %",
          *(f"acc@{coverage_key(c)}% cov" for c in COVERAGES)]


def _num(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{float(value):.{digits}f}"


def rows_for(records: Sequence[tuple[Record, dict[str, Any]]], scope: str, per_version: bool) -> list[CalibrationRow]:
    out = []
    for record, section in records:
        label = model_label(record)
        if per_version:
            for name, entry in (section.get("datasets") or {}).items():
                out.append(CalibrationRow(label, record.id, record.protocol.key, name, entry))
        name, entry = scope_entry(section, scope)
        out.append(CalibrationRow(label, record.id, record.protocol.key, name, entry))
    return out


def notes(rows: Sequence[CalibrationRow]) -> list[str]:
    """The reasons of every 'not informative' row (once per model), then how to read the columns."""
    out = []
    seen = set()
    for r in rows:
        if r.entry is not None and not r.informative and r.label not in seen:
            seen.add(r.label)
            out.append(f"{r.label}: {r.entry.get('reason', 'confidence not informative')}")
    out.append("ECE: 15 equal-width confidence bins; Brier: mean squared gap between confidence and correct (0/1); "
               "AURC: area under the risk-coverage curve, E-AURC: its excess over a perfect ranking at the same "
               "accuracy (lower is better); acc@c% cov: word accuracy of the "
               "c% most confident words. Correct = word accuracy's rule under the record's protocol "
               "(docs/robustness.md)")
    return out


def markdown_table(rows: Sequence[CalibrationRow]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" if i < 2 else "---:" for i in range(len(HEADER))) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r.cells()) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def plot_record(record: Record, section: dict[str, Any], scope: str, out_dir: Path) -> list[Path]:
    """``<id>_reliability.png`` and ``<id>_risk_coverage.png`` for one record's ``scope``; none
    when its confidences are not informative."""
    name, entry = scope_entry(section, scope)
    if not entry or not entry.get("informative") or "reliability" not in entry:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"{model_label(record)} — {name}, {record.protocol.key}"
    bins = int(section.get("bins", len(entry["reliability"]["count"])))
    rel = entry["reliability"]
    width = 100.0 / bins
    centers = [width * (i + 0.5) for i in range(bins)]
    acc = [a if a is not None else 0.0 for a in rel["accuracy"]]
    fig, (ax, axc) = plt.subplots(2, 1, figsize=(5.2, 5.6), height_ratios=(3, 1), sharex=True)
    ax.bar(centers, acc, width=width * 0.92, color="#4C72B0", label="accuracy in bin")
    gaps = [(c, a, conf) for c, a, conf in zip(centers, rel["accuracy"], rel["confidence"]) if a is not None]
    ax.bar([c for c, _, _ in gaps], [conf - a for _, a, conf in gaps], bottom=[a for _, a, _ in gaps],
           width=width * 0.92, color="#DD8452", alpha=0.45, label="gap to mean confidence")
    ax.plot([0, 100], [0, 100], "--", color="grey", lw=1, label="perfect calibration")
    ax.set_ylabel("word accuracy (%)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_title(f"{title}\nECE {entry['ece']:.2f}%, Brier {entry['brier']:.4f}", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    axc.bar(centers, rel["count"], width=width * 0.92, color="#8C8C8C")
    axc.set_yscale("log")
    axc.set_ylabel("words")
    axc.set_xlabel("confidence (%)")
    fig.tight_layout()
    reliability_png = out_dir / f"{_safe(record.id)}_reliability.png"
    fig.savefig(reliability_png, dpi=110)
    plt.close(fig)

    rc = entry["risk_coverage"]
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    ax.plot([100 * c for c in rc["coverage"]], rc["risk"], color="#4C72B0", lw=1.8, label="model's confidence")
    overall = 100.0 - float(entry["accuracy"])
    ax.axhline(overall, ls=":", color="grey", lw=1, label=f"no rejection ({overall:.1f}% errors)")
    right = float(entry["accuracy"])
    ax.plot([100 * c for c in rc["coverage"]], [max(0.0, 100 * c - right) / c for c in rc["coverage"]],
            "--", color="#55A868", lw=1, label="perfect ranking")
    ax.set_xlabel("coverage (%): the most confident words kept")
    ax.set_ylabel("risk: word error rate (%)")
    ax.set_xlim(0, 100)
    ax.set_ylim(bottom=0)
    ax.set_title(f"{title}\nAURC {entry['aurc']:.2f}%, E-AURC {entry['e_aurc']:.2f}%", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    rc_png = out_dir / f"{_safe(record.id)}_risk_coverage.png"
    fig.savefig(rc_png, dpi=110)
    plt.close(fig)
    return [reliability_png, rc_png]


def check_scope(records: Sequence[tuple[Record, dict[str, Any]]], scope: str) -> None:
    if scope in ("all", DEFAULT_SCOPE):
        return
    if not any(scope_entry(section, scope)[1] is not None for _, section in records):
        raise UsageError(f"--scope {scope}: no record holds this group or dataset version")
