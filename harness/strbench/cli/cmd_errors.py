"""``strbench errors RECORD``: error analysis from a record's stored predictions (and an HTML gallery)."""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.table import Table

from strbench import ui
from strbench.errors import DataError, UsageError
from strbench.plugin.host import PluginHost
from strbench.report.error_analysis import ErrorReport, Sample, analyse
from strbench.report.gallery import locate_source, write_gallery
from strbench.run.protocols import protocol_from_json
from strbench.run.records import load_record, predictions_path, read_predictions
from strbench.run.scoring import SamplePrediction, score


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("errors", help="what a model gets wrong, from a record's stored predictions")
    p.add_argument("record", type=Path, help="a results/*.json record")
    p.add_argument("--protocol", help="score under this protocol (default: the record's own)")
    p.add_argument("--datasets", nargs="+", help="versions or suite groups to analyse (default: the 'benchmark' "
                                                 "group when complete, else every version; versions overlap)")
    p.add_argument("--top", type=int, default=15, help="rows in the confusion and wrong-word lists")
    p.add_argument("--html", type=Path, metavar="DIR", help="write a gallery of the wrong crops to DIR/index.html")
    p.add_argument("--max-images", type=int, default=300, help="wrong samples shown in the gallery")
    p.add_argument("--data-root", type=Path, help="where the benchmark sets are, if not where the record ran")
    p.set_defaults(func=run)


def chosen_versions(record: dict[str, Any], wanted: list[str] | None) -> list[str]:
    present = [d["name"] for d in record["datasets"]]
    groups = record.get("summary", {}).get("groups", {})
    if not wanted:
        bench = groups.get("benchmark", {})
        return list(bench["datasets"]) if bench.get("complete") else present
    out = []
    for name in wanted:
        members = groups.get(name, {}).get("datasets") or [name]
        for m in members:
            if m not in present:
                raise UsageError(f"{m!r} is not in the record; it holds {', '.join(present)}")
            out.append(m)
    return list(dict.fromkeys(out))


def _table(title: str, header: str, rows: list[tuple[str, int, int, float]]) -> Table:
    t = Table(title=title)
    for col in (header, "right", "samples", "accuracy %"):
        t.add_column(col, justify="right")
    for name, right, total, acc in rows:
        t.add_row(name, str(right), str(total), f"{acc:.2f}")
    return t


def print_report(rep: ErrorReport, top: int) -> None:
    ui.console.print(f"{rep.samples} samples, {rep.correct} right ({100.0 * rep.correct / max(1, rep.samples):.2f}%), "
                     f"{rep.samples - rep.correct} wrong")
    ui.console.print(_table("by label length (normalised)", "length", rep.length_rows()))
    ui.console.print(_table("by case of the raw label", "case", rep.by_case.rows()))
    ui.console.print(_table("by characters of the raw label", "characters", rep.by_chars.rows()))
    conf = Table(title=f"top {top} character confusions (label → prediction, ∅ = missing)")
    for col in ("label", "prediction", "count"):
        conf.add_column(col, justify="right")
    for (a, b), n in rep.confusions.most_common(top):
        conf.add_row(repr(a), repr(b), str(n))
    ui.console.print(conf)
    words = Table(title=f"top {top} misread words")
    for col in ("label", "wrong", "read as (most often)"):
        words.add_column(col, justify="right")
    for word, n in rep.wrong_words.most_common(top):
        reads = ", ".join(f"{p!r}×{c}" for p, c in rep.misreadings[word].most_common(3))
        words.add_row(word, str(n), reads)
    ui.console.print(words)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    typed = load_record(args.record)
    record = typed.to_json()  # the error-analysis helpers read the record's JSON
    protocol = host.protocol(args.protocol) if args.protocol else protocol_from_json(record["protocol"])
    versions = chosen_versions(record, args.datasets)
    by_dataset: dict[str, list[SamplePrediction]] = defaultdict(list)
    for dataset, pred in read_predictions(predictions_path(args.record, typed)):
        if dataset in versions:
            by_dataset[dataset].append(pred)
    samples = []
    for name in versions:
        raw = {p.key: p for p in by_dataset.get(name, [])}
        for key, sc in score(raw.values(), protocol, {}).samples:
            samples.append(Sample(name, key, raw[key].label, raw[key].prediction, sc))
    ui.console.print(f"{record['algorithm']}/{record['variant']} [{record['id']}], protocol {protocol.key}, "
                     f"versions: {', '.join(versions)}")
    print_report(analyse(samples), args.top)
    if args.html:
        wrong = [s for s in samples if not s.correct][:args.max_images]
        entries = {d["name"]: d for d in record["datasets"]}
        sources = {}
        for name in dict.fromkeys(s.dataset for s in wrong):
            try:
                sources[name] = locate_source(entries[name], record, host.dataset_formats(), args.data_root)
            except DataError as exc:
                ui.warn(f"{exc}; the gallery shows no thumbnails for {name}")
        path, shown = write_gallery(args.html, f"{record['algorithm']}/{record['variant']}: wrong samples "
                                               f"({protocol.key})", wrong, sources)
        for src in sources.values():
            src.close()
        ui.info(f"gallery written: {path} ({len(wrong)} wrong samples, {shown} thumbnails)")
    return 0
