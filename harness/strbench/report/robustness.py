"""``strbench robustness``: a model's accuracy under the preset matrix of corruptions.

Every cell of a preset (the clean subset, then each corruption at each severity) is an ordinary
``strbench run`` on the first ``limit`` samples of each version of the preset's groups, written as a
record under ``results/robustness/`` (tag ``robustness-<preset>``, the perturbation in
``data.perturbation``). The summary reads those records back: accuracy per corruption and
severity, the drop from the clean record of the same subset, and the mean corruption error against
a reference model (ImageNet-C's mCE). docs/robustness.md defines every figure.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strbench.data.perturb import CORRUPTIONS, SEVERITIES, Perturbation, tag_with
from strbench.errors import DataError, UsageError
from strbench.run.record import Record
from strbench.run.records import iter_records
from strbench.run.runinfo import RunInfo

DEFAULT_DIR = Path("results") / "robustness"
TAG_PREFIX = "robustness-"
METRIC = "word_accuracy"


@dataclass(frozen=True)
class Preset:
    """A matrix of corruptions x severities on the first ``limit`` samples of each version of ``datasets``."""

    name: str
    corruptions: tuple[str, ...]
    severities: tuple[int, ...]
    limit: int | None
    datasets: tuple[str, ...] = ("benchmark",)

    @property
    def cells(self) -> list[Perturbation]:
        return [Perturbation(c, s) for c in self.corruptions for s in self.severities]

    @property
    def tag(self) -> str:
        return f"{TAG_PREFIX}{self.name}"

    def describe(self) -> str:
        subset = f"first {self.limit} samples of each version" if self.limit else "every sample of each version"
        return (f"{self.name}: {len(self.corruptions)} corruptions x severities "
                f"{', '.join(map(str, self.severities))} ({len(self.cells)} runs + the clean one), {subset} of "
                f"{', '.join(self.datasets)}")


PRESETS: dict[str, Preset] = {
    "quick": Preset("quick", tuple(CORRUPTIONS), (1, 3), 100),
    "full": Preset("full", tuple(CORRUPTIONS), SEVERITIES, None),
}


@dataclass(frozen=True)
class ModelKey:
    """What identifies one model's runs: algorithm, variant, ``--weights`` as given, runtime, protocol."""

    algorithm: str
    variant: str
    weights: str | None
    backend: str
    precision: str
    protocol: str

    @classmethod
    def of_record(cls, record: Record) -> ModelKey:
        return cls(record.algorithm, record.variant, (record.command.get("options") or {}).get("weights"),
                   record.runtime.backend, record.runtime.precision, record.protocol.key)

    @property
    def label(self) -> str:
        label = f"{self.algorithm}/{self.variant}"
        if (self.backend, self.precision) != ("torch", "fp32"):
            label += f" ({self.backend} {self.precision})"
        return label

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(
            [self.algorithm, self.variant] + ([self.backend, self.precision]
                                              if (self.backend, self.precision) != ("torch", "fp32") else [])))


def cell_key(record: Record) -> str | None:
    """``name:severity`` of a perturbed record; ``None`` for a clean one."""
    p = record.data.perturbation
    return None if p is None else f"{p.name}:{p.severity}"


def is_preset_run(record: Record, preset: Preset) -> bool:
    tag = str((record.command.get("options") or {}).get("tag") or "")
    seed = record.data.perturbation.seed if record.data.perturbation is not None else 0
    return (tag.split("_")[0] == preset.tag and record.data.subset_limit == preset.limit and seed == 0
            and not record.data.synthetic)


def find_runs(results_dir: Path, preset: Preset) -> dict[ModelKey, dict[str | None, tuple[Path, Record]]]:
    """Every model's preset runs below ``results_dir``: cell (``None``: clean) -> the newest record."""
    found: dict[ModelKey, dict[str | None, tuple[Path, Record]]] = {}
    if not results_dir.is_dir():
        return found
    for path, record in iter_records(results_dir):
        if is_preset_run(record, preset):
            found.setdefault(ModelKey.of_record(record), {})[cell_key(record)] = (path, record)  # oldest first
    return found


@dataclass
class Matrix:
    """One model's accuracies: clean and per (corruption, severity)."""

    model: ModelKey
    clean: float | None
    cells: dict[tuple[str, int], float] = field(default_factory=dict)
    samples: int | None = None

    def errors(self, corruption: str, severities: Iterable[int]) -> list[float] | None:
        """Error rates (100 - accuracy) of ``corruption`` at ``severities``; ``None`` when one is missing."""
        out = []
        for s in severities:
            acc = self.cells.get((corruption, s))
            if acc is None:
                return None
            out.append(100.0 - acc)
        return out

    def mean_accuracy(self) -> float | None:
        return sum(self.cells.values()) / len(self.cells) if self.cells else None

    def mean_relative_drop(self) -> float | None:
        """Mean over cells of (clean - corrupted) / clean, in percent."""
        if not self.cells or not self.clean:
            return None
        return 100.0 * sum((self.clean - a) / self.clean for a in self.cells.values()) / len(self.cells)


def _accuracy(record: Record) -> float | None:
    value = (record.summary.all.weighted or {}).get(METRIC)
    return None if value is None or math.isnan(value) else float(value)


def matrix_of(model: ModelKey, runs: dict[str | None, tuple[Path, Record]]) -> Matrix:
    clean = runs.get(None)
    m = Matrix(model, _accuracy(clean[1]) if clean else None)
    for key, (_, record) in runs.items():
        if key is None:
            m.samples = sum(d.evaluated for d in record.datasets)
            continue
        name, _, severity = key.partition(":")
        acc = _accuracy(record)
        if acc is not None:
            m.cells[(name, int(severity))] = acc
    return m


@dataclass
class CorruptionError:
    """CE of one corruption: the model's errors summed over severities over the reference's."""

    corruption: str
    ce: float
    relative_ce: float | None


def corruption_errors(m: Matrix, ref: Matrix, preset: Preset) -> list[CorruptionError]:
    """CE (and relative CE) per corruption both matrices hold at every severity of ``preset``."""
    out = []
    for c in preset.corruptions:
        e, r = m.errors(c, preset.severities), ref.errors(c, preset.severities)
        if e is None or r is None or sum(r) == 0:
            continue
        relative = None
        if m.clean is not None and ref.clean is not None:
            ref_gap = sum(x - (100.0 - ref.clean) for x in r)
            if ref_gap > 0:
                relative = 100.0 * sum(x - (100.0 - m.clean) for x in e) / ref_gap
        out.append(CorruptionError(c, 100.0 * sum(e) / sum(r), relative))
    return out


def mean_ce(ces: Sequence[CorruptionError]) -> tuple[float | None, float | None]:
    """(mCE, relative mCE) in percent: the mean over corruptions."""
    if not ces:
        return None, None
    rel = [c.relative_ce for c in ces]
    return (sum(c.ce for c in ces) / len(ces),
            sum(r for r in rel if r is not None) / len(rel) if all(r is not None for r in rel) else None)


# -- running ----------------------------------------------------------------------------------


def cell_info(base: RunInfo, preset: Preset, perturbation: Perturbation | None, results_dir: Path) -> RunInfo:
    """The ``RunInfo`` of one preset cell (``None``: the clean subset)."""
    spec = perturbation.spec if perturbation is not None else None
    return dataclasses.replace(base, datasets=list(preset.datasets), limit=preset.limit, results_dir=results_dir,
                               tag=tag_with(preset.tag, spec), perturb=spec, perturb_seed=0, record_id="")


def run_preset(base: RunInfo, preset: Preset, results_dir: Path, model: ModelKey,
               run: Callable[[RunInfo], tuple[Path, Record]], fresh: bool = False,
               report: Callable[[str], None] = lambda _: None) -> dict[str | None, tuple[Path, Record]]:
    """Run every cell of ``preset`` that ``results_dir`` does not hold yet (all with ``fresh``)."""
    existing = {} if fresh else find_runs(results_dir, preset).get(model, {})
    out: dict[str | None, tuple[Path, Record]] = {}
    cells: list[Perturbation | None] = [None, *preset.cells]
    for i, perturbation in enumerate(cells, start=1):
        key = perturbation.spec if perturbation is not None else None
        name = key or "clean"
        if key in existing:
            out[key] = existing[key]
            report(f"{i}/{len(cells)} {name}: kept {existing[key][0].name}")
            continue
        out[key] = run(cell_info(base, preset, perturbation, results_dir))
        acc = _accuracy(out[key][1])
        report(f"{i}/{len(cells)} {name}: {acc:.2f}% word accuracy" if acc is not None else f"{i}/{len(cells)} {name}")
    return out


def resolve_reference(text: str, results_dir: Path, preset: Preset) -> ModelKey:
    """``--reference``: a record of the reference model (any of its runs; its preset runs are read
    from ``results_dir``) or ``ALGORITHM[/VARIANT]`` naming a model with runs there."""
    from strbench.run.records import load_record

    path = Path(text)
    if path.suffix == ".json" or path.exists():
        return ModelKey.of_record(load_record(path))
    algorithm, _, variant = text.partition("/")
    models = [m for m in find_runs(results_dir, preset) if m.algorithm == algorithm and variant in ("", m.variant)]
    if len(models) != 1:
        known = ", ".join(sorted({m.label for m in find_runs(results_dir, preset)})) or "none"
        what = "no" if not models else "more than one"
        raise UsageError(f"--reference {text}: {what} model with {preset.name} runs in {results_dir} (models: {known}); "
                         f"give one of its records")
    return models[0]


def reference_matrix(model: ModelKey, results_dir: Path, preset: Preset) -> Matrix:
    runs = find_runs(results_dir, preset).get(model)
    if not runs:
        raise DataError(f"reference {model.label}: no {preset.name} runs in {results_dir}; run "
                        f"'strbench robustness --algorithm {model.algorithm} --variant {model.variant} "
                        f"--preset {preset.name}' first")
    return matrix_of(model, runs)


# -- tables and the plot ------------------------------------------------------------------------


def _f(value: float | None, fmt: str = ".2f") -> str:
    return "-" if value is None else format(value, fmt)


MATRIX_HEADER = ["corruption", "severity", "level", "acc %", "drop pp", "relative drop %", "reference acc %"]


def matrix_rows(m: Matrix, preset: Preset, ref: Matrix | None) -> list[list[str]]:
    rows = [["clean", "-", "-", _f(m.clean), "-", "-", _f(ref.clean) if ref else "-"]]
    for p in preset.cells:
        acc = m.cells.get((p.name, p.severity))
        drop = m.clean - acc if acc is not None and m.clean is not None else None
        rel = 100.0 * drop / m.clean if drop is not None and m.clean else None
        ref_acc = ref.cells.get((p.name, p.severity)) if ref else None
        rows.append([p.name, str(p.severity), f"{p.level:g}", _f(acc), _f(drop, "+.2f"), _f(rel, ".1f"), _f(ref_acc)])
    return rows


SUMMARY_HEADER = ["model", "samples", "clean acc %", "mean corrupted acc %", "mean relative drop %", "mCE %",
                  "relative mCE %", "worst corruption"]


def summary_row(m: Matrix, preset: Preset, ref: Matrix | None) -> list[str]:
    ces = corruption_errors(m, ref, preset) if ref is not None else []
    mce, rel = mean_ce(ces)
    worst = None
    if m.clean is not None:
        per = {c: [m.cells[(c, s)] for s in preset.severities if (c, s) in m.cells] for c in preset.corruptions}
        means = {c: sum(v) / len(v) for c, v in per.items() if v}
        if means:
            c = min(means, key=lambda k: means[k])
            worst = f"{c} ({means[c]:.1f}%)"
    return [m.model.label, str(m.samples or "-"), _f(m.clean), _f(m.mean_accuracy()), _f(m.mean_relative_drop(), ".1f"),
            _f(mce, ".1f"), _f(rel, ".1f"), worst or "-"]


def corruption_header(preset: Preset) -> list[str]:
    return ["model", "clean", *preset.corruptions]


def corruption_row(m: Matrix, preset: Preset) -> list[str]:
    """Mean accuracy over the preset's severities per corruption."""
    cells = []
    for c in preset.corruptions:
        values = [m.cells[(c, s)] for s in preset.severities if (c, s) in m.cells]
        cells.append(_f(sum(values) / len(values)) if len(values) == len(preset.severities) else "-")
    return [m.model.label, _f(m.clean), *cells]


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def plot_degradation(m: Matrix, preset: Preset, path: Path) -> Path:
    """Accuracy vs severity (0 = clean) per corruption, one line each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    xs = [0, *preset.severities]
    for c in preset.corruptions:
        ys = [m.clean, *(m.cells.get((c, s)) for s in preset.severities)]
        pts = [(x, y) for x, y in zip(xs, ys) if y is not None]
        if len(pts) > 1:
            ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", lw=1.6, label=c)
    ax.set_xticks(xs, ["clean", *map(str, preset.severities)])
    ax.set_xlabel("severity")
    ax.set_ylabel("word accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    samples = f", {m.samples} words" if m.samples else ""
    ax.set_title(f"{m.model.label}: accuracy under corruption ({preset.name} preset{samples}, {m.model.protocol})",
                 fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def extra_levels_note(preset: Preset) -> list[str]:
    """What each corruption's level means (the ``level`` column)."""
    return [f"{c}: level = {CORRUPTIONS[c].unit}" for c in preset.corruptions]


def summary_json(m: Matrix, preset: Preset, ref: Matrix | None) -> dict[str, Any]:
    ces = corruption_errors(m, ref, preset) if ref is not None else []
    mce, rel = mean_ce(ces)
    return {
        "model": dataclasses.asdict(m.model), "preset": preset.name, "samples": m.samples, "clean": m.clean,
        "cells": [{"corruption": c, "severity": s, "accuracy": a,
                   "drop": (m.clean - a) if m.clean is not None else None} for (c, s), a in sorted(m.cells.items())],
        "mean_accuracy": m.mean_accuracy(), "mean_relative_drop": m.mean_relative_drop(),
        "reference": dataclasses.asdict(ref.model) if ref is not None else None,
        "corruption_errors": [dataclasses.asdict(c) for c in ces], "mce": mce, "relative_mce": rel,
    }
