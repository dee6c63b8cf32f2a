"""``strbench errors RECORD``: error analysis from a record's stored predictions (and an HTML gallery)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from strbench import ui
from strbench.plugin.host import PluginHost
from strbench.report.error_analysis import ErrorReport, analyse, analysed_versions, record_samples
from strbench.report.gallery import (
    ORDERS,
    Totals,
    open_sources,
    record_perturbation,
    select_wrong,
    write_gallery,
)
from strbench.run.preflight import check_new_folder
from strbench.run.protocols import protocol_from_json
from strbench.run.records import load_record


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("errors", help="what a model gets wrong, from a record's stored predictions")
    p.add_argument("record", type=Path, help="a results/*.json record")
    p.add_argument("--protocol", help="score under this protocol (default: the record's own)")
    p.add_argument("--datasets", nargs="+", help="versions or suite groups to analyse (default: the 'benchmark' "
                                                 "group when complete, else every version; versions overlap)")
    p.add_argument("--top", type=int, default=15, help="rows in the confusion and wrong-word lists")
    p.add_argument("--html", type=Path, metavar="DIR", help="write a gallery of the wrong crops to DIR/index.html")
    p.add_argument("--overwrite", action="store_true", help="with --html: replace the gallery DIR already holds")
    p.add_argument("--max-images", type=int, default=300,
                   help="wrong samples shown in the gallery, taken from every version in turn (default: 300)")
    p.add_argument("--order", choices=list(ORDERS), default="worst",
                   help="which wrong samples of each version come first: " + "; ".join(
                       f"{k}: {v}" for k, v in ORDERS.items()) + " (default: worst)")
    p.add_argument("--data-root", type=Path, help="where the benchmark sets are, if not where the record ran")
    p.set_defaults(func=run)


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
    if args.html:  # before any work: a gallery never lands in someone else's folder
        check_new_folder(args.html, "--html", overwrite=args.overwrite, own=("index.html",), what="an error gallery")
    typed = load_record(args.record)
    record = typed.to_json()  # the error-analysis helpers read the record's JSON
    protocol = host.protocol(args.protocol) if args.protocol else protocol_from_json(record["protocol"])
    versions = analysed_versions(record, args.datasets)
    samples = record_samples(args.record, typed, protocol, versions)
    ui.console.print(f"{record['algorithm']}/{record['variant']} [{record['id']}], protocol {protocol.key}, "
                     f"versions: {', '.join(versions)}")
    print_report(analyse(samples), args.top)
    if args.html:
        totals = Totals.of(samples)
        shown = select_wrong(samples, args.max_images, args.order)
        sources, problems = open_sources(record, list(dict.fromkeys(s.dataset for s in shown)),
                                         host.dataset_formats(), args.data_root)
        for problem in problems:
            ui.warn(problem)
        try:
            perturb = record_perturbation(record)
            note = (f"Perturbed record: the crops are shown as the model read them, after "
                    f"{typed.data.perturbation.key}." if perturb is not None and typed.data.perturbation else "")
            path, thumbs = write_gallery(args.html, f"{record['algorithm']} {record['variant']}: wrong readings "
                                                    f"({protocol.key})", shown, sources, totals, args.order,
                                         note=note, perturb=perturb)
        finally:
            for src in sources.values():
                src.close()
        wrong = sum(totals.wrong.values())
        ui.info(f"gallery written: {path} ({len(shown):,} of {wrong:,} wrong samples shown, from "
                f"{sum(1 for v in totals.wrong if totals.wrong[v])} versions; {thumbs} thumbnails)")
    return 0
