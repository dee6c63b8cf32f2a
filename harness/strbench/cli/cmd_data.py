"""``strbench data``: convert datasets to LMDB, inspect their statistics, validate every sample,
generate synthetic word images, split training crops into train and held-out parts, list and
fetch benchmark suites (``data_suites``)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from strbench import ui
from strbench.cli import data_suites
from strbench.cli.common import int_at_least, non_negative_int, positive_int
from strbench.data import default_set
from strbench.data.convert import LMDB_FILES, ConvertReport, suite_destinations, write_lmdb
from strbench.data.holdout import DEFAULT_PERCENT, OUTPUT_NAMES, SPLIT_FILE, write_holdout
from strbench.data.inspection import IMAGE_SAMPLE_LIMIT, DatasetStats, contact_sheet, image_stats, label_stats
from strbench.data.loader import open_dataset
from strbench.data.suite import locate
from strbench.data.validate import ValidationReport, count_samples, validate_path
from strbench.errors import UsageError
from strbench.plugin.host import PluginHost
from strbench.run.preflight import check_free_space, check_new_folder

MAX_LISTED = 200


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="convert, inspect and validate datasets")
    p.set_defaults(func=run)
    data_sub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")

    c = data_sub.add_parser("convert", help="folder/label file -> clovaai LMDB (one set, or a whole suite)")
    c.add_argument("src", nargs="?", type=Path, help="folder with gt.txt, a label file, or an LMDB")
    c.add_argument("dest", type=Path, help="new LMDB folder (with --suite: the root for one LMDB per version)")
    c.add_argument("--suite", help="convert every version of this suite found below --data-root")
    c.add_argument("--data-root", type=Path, help="with --suite: folder holding the benchmark sets")
    c.add_argument("--check-images", action="store_true", help="decode every image first; skip and list bad ones")
    c.add_argument("--overwrite", action="store_true", help="replace an existing LMDB at the destination")

    i = data_sub.add_parser("inspect", help="label, charset and image-size statistics; optional contact sheet")
    i.add_argument("path", type=Path, help=f"dataset path (or '{default_set.NAME}' for the embedded set)")
    i.add_argument("--contact-sheet", type=Path, metavar="PNG", help="write a grid of samples with labels")
    i.add_argument("--n", type=positive_int, default=64, help="samples on the contact sheet (default 64)")
    i.add_argument("--seed", type=int, default=0, help="seed of the sample selection (default 0)")
    i.add_argument("--json", action="store_true", help="print machine-readable JSON instead of tables")
    i.add_argument("--format", dest="dataset_format", metavar="NAME",
                   help="read PATH as this dataset format (default: detected; 'strbench plugins' lists them)")

    v = data_sub.add_parser("validate", help="check every sample (exit 1 when problems are found)")
    v.add_argument("path", nargs="?", type=Path, help=f"dataset path (or '{default_set.NAME}')")
    v.add_argument("--suite", help="instead: check discovery of this suite below --data-root")
    v.add_argument("--data-root", type=Path, help="with --suite: folder holding the benchmark sets")
    v.add_argument("--json", action="store_true", help="print machine-readable JSON instead of tables")
    v.add_argument("--format", dest="dataset_format", metavar="NAME",
                   help="read PATH as this dataset format (default: detected; 'strbench plugins' lists them)")

    data_suites.register(data_sub)

    s = data_sub.add_parser("synth", help="generate MJSynth-style word images into a new clovaai LMDB")
    s.add_argument("out", type=Path, metavar="OUT", help="new LMDB folder")
    s.add_argument("--count", type=positive_int, required=True, help="number of images")
    s.add_argument("--seed", type=int, default=0, help="seed; the same seed gives the same LMDB (default 0)")
    s.add_argument("--start", type=non_negative_int, default=0, help="index of the first sample (to add shards; default 0)")
    s.add_argument("--workers", type=positive_int, default=1, help="rendering processes (default 1)")
    s.add_argument("--fonts", type=Path, nargs="+", metavar="DIR",
                   help="font folders searched for TTF/OTF (default /usr/share/fonts and trdg's fonts)")
    s.add_argument("--words", type=Path, nargs="+", metavar="FILE",
                   help="word lists, one word per line (default wamerican and trdg's en.txt)")
    s.add_argument("--backgrounds", type=Path, metavar="DIR|LABELS",
                   help="training images cropped for natural backgrounds: a folder, or a label file of "
                        "path<TAB>label lines such as strbench data holdout's train.txt, so held-out crops stay "
                        "unseen (default ../shared/data/str-train)")
    s.add_argument("--no-backgrounds", action="store_true", help="plain and gradient backgrounds only")
    s.add_argument("--height", type=positive_int, default=32, help="image height (default 32)")
    s.add_argument("--width", type=positive_int, help="fixed image width (default: from the aspect ratio)")
    s.add_argument("--min-width", type=positive_int, default=16, help="smallest width from the aspect ratio (default 16)")
    s.add_argument("--max-width", type=positive_int, default=256, help="largest width from the aspect ratio (default 256)")
    s.add_argument("--format", dest="image_format", choices=("jpeg", "png"), default="jpeg",
                   help="image encoding (default jpeg)")
    s.add_argument("--quality", type=int_at_least(1), default=90, help="JPEG quality (default 90)")
    g = s.add_argument_group("geometry (curved and perspective text; defaults: docs/synth.md's rates)")
    g.add_argument("--curve-rate", type=float, default=0.12, metavar="P", help="share of bent words (default 0.12)")
    g.add_argument("--curve-max", type=float, default=0.30, metavar="A",
                   help="largest bend amplitude in line heights (default 0.30; smallest 0.08)")
    g.add_argument("--perspective-rate", type=float, default=0.35, metavar="P",
                   help="share of words with a projective distortion (default 0.35)")
    g.add_argument("--perspective-jitter", type=float, default=0.12, metavar="J",
                   help="largest corner move in line heights (default 0.12)")
    g.add_argument("--rotation", type=float, default=5.0, metavar="DEG", help="largest rotation (default 5)")
    s.add_argument("--overwrite", action="store_true", help="replace an existing LMDB at OUT")

    h = data_sub.add_parser("holdout", help="split training crops into train.txt and a held-out heldout.txt (by hash)")
    h.add_argument("src", nargs="+", type=Path, metavar="SRC", help="folders holding gt.txt, or label files")
    h.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for train.txt, heldout.txt and split.json")
    h.add_argument("--percent", type=float, default=DEFAULT_PERCENT,
                   help=f"share of each source held out, in steps of 0.01 (default {DEFAULT_PERCENT:g})")
    h.add_argument("--overwrite", action="store_true", help="replace an existing split in DIR")


def run(args: argparse.Namespace, host: PluginHost) -> int:
    handlers: dict[str, Callable[[argparse.Namespace, PluginHost], int]] = {
        "convert": _convert, "inspect": _inspect, "validate": _validate, "synth": _synth, "holdout": _holdout,
        "suites": data_suites.suites, "fetch": data_suites.fetch,
    }
    return handlers[args.data_command](args, host)


def _say(text: str, *, markup: bool = False) -> None:
    """One result line on stdout, never wrapped (paths stay copyable); data is not read as markup."""
    ui.console.print(text, soft_wrap=True, markup=markup)


def _dataset_path(path: Path) -> Path:
    """``path`` itself, or the embedded default set for its name (with a note that it is synthetic)."""
    if str(path) == default_set.NAME and not path.exists():
        path = default_set.path()
    if _is_default_set(path):
        ui.info(f"note: {default_set.NAME} is {default_set.TITLE}")
    return path


def _is_default_set(path: Path) -> bool:
    return path.exists() and default_set.path() in (path.resolve(), path.resolve().parent)


@contextmanager
def _progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    with ui.progress() as bar:
        task = bar.add_task(description, total=total or None)
        yield lambda n: bar.advance(task, n)


def _suite(host: PluginHost, name: str, data_root: Path | None, command: str):
    if data_root is None:
        raise UsageError(f"'strbench data {command} --suite {name}' needs --data-root (the folder holding the sets)")
    suites = host.suites()
    if name not in suites:
        raise UsageError(f"unknown suite {name!r}; available: {', '.join(sorted(suites))}")
    if not data_root.is_dir():
        raise UsageError(f"--data-root {data_root} is not a folder")
    return suites[name]


def _list_problems(title: str, items: list[tuple[str, str]]) -> None:
    table = Table(title=title, show_lines=False)
    table.add_column("sample")
    table.add_column("problem")
    for key, reason in items[:MAX_LISTED]:
        table.add_row(escape(key), escape(reason))
    ui.console.print(table)
    if len(items) > MAX_LISTED:
        _say(f"... and {len(items) - MAX_LISTED} more")


# --- convert -------------------------------------------------------------------------------------


def _convert_one(src: Path, dest: Path, args: argparse.Namespace, host: PluginHost, label: str) -> ConvertReport:
    source = open_dataset(src, host.dataset_formats())
    try:
        with _progress(f"convert {label}", len(source)) as advance:
            return write_lmdb(source, dest, check_images=args.check_images, overwrite=args.overwrite,
                              advance=advance)
    finally:
        source.close()


def _print_convert(report: ConvertReport) -> None:
    _say(f"{report.source} -> {report.dest}: wrote {report.written} samples, "
         f"skipped {len(report.skipped)} (map size {report.map_size // 2**20} MiB)")
    if report.skipped:
        _list_problems(f"skipped samples of {report.source}", report.skipped)


def _check_lmdb_dest(dest: Path, option: str, overwrite: bool, own: tuple[str, ...] = LMDB_FILES) -> None:
    """The destination of a new LMDB, checked before any work (a file in the way, a folder holding
    something else, an LMDB without --overwrite, no write permission)."""
    check_new_folder(dest, option, overwrite=overwrite, own=own, what="an LMDB")


def _convert(args: argparse.Namespace, host: PluginHost) -> int:
    if args.suite is None:
        if args.src is None:
            raise UsageError("usage: strbench data convert SRC DEST, or --suite NAME --data-root ROOT DEST_ROOT")
        _check_lmdb_dest(args.dest, "DEST", args.overwrite)
        _print_convert(_convert_one(_dataset_path(args.src), args.dest, args, host, args.src.name))
        return 0
    if args.src is not None:
        raise UsageError("with --suite give only DEST_ROOT (the sets come from --data-root)")
    suite = _suite(host, args.suite, args.data_root, "convert")
    formats = host.dataset_formats()
    table = Table(title=f"suite {suite.name}: {args.data_root} -> {args.dest}")
    for column in ("version", "expected", "source", "written", "skipped", "LMDB"):
        table.add_column(column)
    reports = []
    destinations = suite_destinations(args.data_root, args.dest, suite, formats)
    for _, dest in destinations:
        if dest is not None:
            _check_lmdb_dest(dest, "DEST_ROOT", args.overwrite)
    for loc, dest in destinations:
        if dest is None:
            table.add_row(loc.version.name, str(loc.version.expected), "missing", "-", "-", "-")
            continue
        assert loc.path is not None  # a destination is given only for a found version
        report = _convert_one(loc.path, dest, args, host, loc.version.name)
        reports.append(report)
        table.add_row(loc.version.name, str(loc.version.expected), escape(str(loc.path.relative_to(args.data_root))),
                      str(report.written), str(len(report.skipped)), dest.name)
    ui.console.print(table)
    for report in reports:
        if report.skipped:
            _list_problems(f"skipped samples of {report.source}", report.skipped)
    return 0


# --- inspect -------------------------------------------------------------------------------------


def _stats_table(stats: DatasetStats) -> list[Table]:
    summary = Table(title=f"{stats.location}: {stats.samples} samples")
    summary.add_column("statistic")
    for column in ("min", "median", "mean", "max"):
        summary.add_column(column, justify="right")
    for name, values in (("label length", stats.label_length), ("image width", stats.width),
                         ("image height", stats.height), ("aspect ratio w/h", stats.aspect_ratio)):
        if values:
            summary.add_row(name, *(f"{values[k]:g}" for k in ("min", "median", "mean", "max")))
    lengths = Table(title="label lengths")
    lengths.add_column("length")
    lengths.add_column("labels", justify="right")
    for bucket, count in stats.length_histogram.items():
        lengths.add_row(bucket, str(count))
    chars = Table(title=f"charset: {stats.distinct_chars} distinct characters")
    chars.add_column("class")
    chars.add_column("characters", justify="right")
    chars.add_column("labels containing", justify="right")
    for name, count in stats.char_counts.items():
        chars.add_row(name, str(count), str(stats.labels_with.get(name, 0)))
    return [summary, lengths, chars]


def _inspect(args: argparse.Namespace, host: PluginHost) -> int:
    path = _dataset_path(args.path)
    source = open_dataset(path, host.dataset_formats(), args.dataset_format)
    try:
        stats = DatasetStats(location=source.location, samples=len(source))
        with _progress("labels", len(source)) as advance:
            label_stats(source, stats, advance)
        with _progress("image sizes", min(len(source), IMAGE_SAMPLE_LIMIT)) as advance:
            image_stats(source, stats, seed=args.seed, advance=advance)
        sheet_problems = []
        if args.contact_sheet:
            sheet_problems = contact_sheet(source, args.contact_sheet, n=args.n, seed=args.seed)
    finally:
        source.close()
    if args.json:
        data = stats.to_json()
        if _is_default_set(path):
            data["dataset"] = {"name": default_set.NAME, "title": default_set.TITLE, "synthetic": True}
        if args.contact_sheet:
            data["contact_sheet"] = str(args.contact_sheet)
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    for table in _stats_table(stats):
        ui.console.print(table)
    _say(f"charset: {stats.charset!r}")
    if stats.image_sample < stats.samples:
        _say(f"image sizes from a sample of {stats.image_sample} images (seed {args.seed})")
    problems = stats.label_errors + stats.image_errors + sheet_problems
    if problems:
        _list_problems("unreadable samples (run 'strbench data validate' for a full check)", problems)
    if args.contact_sheet:
        _say(f"contact sheet written: {args.contact_sheet}")
    return 0


# --- validate ------------------------------------------------------------------------------------


def _validate_suite(args: argparse.Namespace, host: PluginHost) -> int:
    suite = _suite(host, args.suite, args.data_root, "validate")
    located = locate(args.data_root, suite, host.dataset_formats())
    bad = [loc for loc in located if loc.status == "count mismatch"]
    found = [loc for loc in located if loc.path is not None]
    if args.json:
        print(json.dumps([{"version": loc.version.name, "expected": loc.version.expected, "found": loc.found,
                           "status": loc.status, "format": loc.format, "path": str(loc.path) if loc.path else None}
                          for loc in located], indent=2))
    else:
        table = Table(title=f"suite {suite.name} below {args.data_root}")
        for column in ("version", "expected", "found", "status", "format", "path"):
            table.add_column(column)
        for loc in located:
            style = {"ok": "green", "missing": "yellow"}.get(loc.status, "red")
            table.add_row(loc.version.name, str(loc.version.expected), "-" if loc.found is None else str(loc.found),
                          f"[{style}]{loc.status}[/{style}]", loc.format or "-", escape(str(loc.path or "-")))
        ui.console.print(table)
        for loc in bad:
            _say(loc.describe())
        _say(f"{len(found)} of {len(located)} versions found, {len(bad)} with a wrong sample count")
    return 1 if bad or not found else 0


def _print_validation(report: ValidationReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"location": report.location, "format": report.format, "declared": report.declared,
                          "checked": report.checked, "ok": report.ok,
                          "problems": [{"sample": k, "problem": p} for k, p in report.problems]}, indent=2))
        return
    if report.problems:
        _list_problems(f"problems in {report.location}", report.problems)
    verdict = "[green]clean[/green]" if report.ok else f"[red]{len(report.problems)} problem(s)[/red]"
    _say(f"{escape(report.location)} ({report.format}): {report.checked} samples checked, {verdict}", markup=True)


def _validate(args: argparse.Namespace, host: PluginHost) -> int:
    if args.suite is not None:
        if args.path is not None:
            raise UsageError("give either PATH or --suite NAME --data-root ROOT, not both")
        if args.dataset_format is not None:
            raise UsageError("--format applies to a PATH; a suite's versions are detected")
        return _validate_suite(args, host)
    if args.path is None:
        raise UsageError("usage: strbench data validate PATH, or --suite NAME --data-root ROOT")
    path = _dataset_path(args.path)
    formats = host.dataset_formats()
    with _progress(f"validate {path.name}", count_samples(path, formats, args.dataset_format)) as advance:
        report = validate_path(path, formats, advance, args.dataset_format)
    _print_validation(report, args.json)
    return 0 if report.ok else 1


# --- synth ---------------------------------------------------------------------------------------


def _synth_options(args: argparse.Namespace):
    from strbench.data.synth import SynthOptions

    checks = [(args.count >= 1, "--count must be at least 1"), (args.seed >= 0, "--seed must be >= 0"),
              (args.start >= 0, "--start must be >= 0"), (args.workers >= 1, "--workers must be at least 1"),
              (8 <= args.height <= 512, "--height must be in 8..512"),
              (args.width is None or 8 <= args.width <= 4096, "--width must be in 8..4096"),
              (1 <= args.min_width <= args.max_width, "need 1 <= --min-width <= --max-width"),
              (1 <= args.quality <= 100, "--quality must be in 1..100"),
              (not (args.backgrounds and args.no_backgrounds), "give --backgrounds or --no-backgrounds, not both"),
              (0 <= args.curve_rate <= 1, "--curve-rate must be in 0..1"),
              (0 < args.curve_max <= 2, "--curve-max must be in (0, 2] line heights"),
              (0 <= args.perspective_rate <= 1, "--perspective-rate must be in 0..1"),
              (0 <= args.perspective_jitter <= 1, "--perspective-jitter must be in 0..1 line heights"),
              (0 <= args.rotation <= 45, "--rotation must be in 0..45 degrees")]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)
    return SynthOptions(seed=args.seed, height=args.height, width=args.width, min_width=args.min_width,
                        max_width=args.max_width, image_format=args.image_format, quality=args.quality,
                        curve_rate=args.curve_rate, curve_max=args.curve_max, perspective_rate=args.perspective_rate,
                        perspective_jitter=args.perspective_jitter, rotation=args.rotation)


#: The fewest bytes one generated sample takes in the LMDB (image, label, keys), by image format:
#: below every sample measured (the smallest 32-px crops: 640-byte JPEGs at quality 1, 406-byte
#: PNGs; a typical JPEG sample takes about 3.4 KB), so a count that fits is never refused.
SYNTH_MIN_SAMPLE_BYTES = {"jpeg": 600 + 48, "png": 400 + 48}


def _synth(args: argparse.Namespace, host: PluginHost) -> int:
    from strbench.data.synth import build_renderer, write_synth_lmdb
    from strbench.data.synth.writer import META_FILE

    options = _synth_options(args)
    _check_lmdb_dest(args.out, "OUT", args.overwrite, (*LMDB_FILES, META_FILE))
    least = SYNTH_MIN_SAMPLE_BYTES[args.image_format]
    check_free_space(args.out, args.count * least, "OUT",
                     f"--count {args.count:,} images (at least {least} bytes each as {args.image_format.upper()})")
    for folder in args.fonts or []:
        if not folder.is_dir():
            raise UsageError(f"--fonts {folder} is not a folder")
    for file in args.words or []:
        if not file.is_file():
            raise UsageError(f"--words {file} is not a file")
    backgrounds = False if args.no_backgrounds else (args.backgrounds or True)
    renderer, sources = build_renderer(options, font_dirs=args.fonts, word_files=args.words,
                                       background_dir=backgrounds)
    families = len(renderer.families)
    ui.info(f"fonts: {len(renderer.faces)} ({families} families) from {', '.join(sources.font_dirs)}")
    ui.info(f"words: {' + '.join(str(len(w)) for w in renderer.words)} from {', '.join(sources.word_files)}")
    ui.info(f"backgrounds: {len(renderer.backgrounds)} of {sources.background_files} images in "
            f"{sources.background_dir}" if sources.background_dir else "backgrounds: plain and gradient only")
    with _progress(f"synth {args.out.name}", args.count) as advance:
        report = write_synth_lmdb(args.out, renderer, args.count, workers=args.workers, start=args.start,
                                  overwrite=args.overwrite, meta={"sources": sources.as_dict()}, advance=advance)
    _say(f"{report.dest}: wrote {report.written} images with {len(renderer.faces)} fonts in {report.seconds:.1f} s "
         f"({report.written / max(report.seconds, 1e-9):.0f} images/s, {args.workers} worker(s)); "
         f"map size {report.map_size // 2**20} MiB")
    return 0


# --- holdout -------------------------------------------------------------------------------------


def _holdout(args: argparse.Namespace, host: PluginHost) -> int:
    check_new_folder(args.out, "--out", overwrite=args.overwrite, own=(*OUTPUT_NAMES, SPLIT_FILE),
                     what="a holdout split")
    report = write_holdout(args.src, args.out, args.percent, overwrite=args.overwrite)
    table = Table(title=f"held-out split ({report.percent:g}% by sha256 of source/path) -> {args.out}")
    for column in ("source", "samples", "train", "held out"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for split in report.sources:
        table.add_row(escape(split.name), str(split.samples), str(len(split.train)), str(len(split.heldout)))
    table.add_row("total", str(report.train + report.heldout), str(report.train), str(report.heldout))
    ui.console.print(table)
    _say(f"{args.out / 'train.txt'}: {report.train} samples; {args.out / 'heldout.txt'}: {report.heldout} samples; "
         f"rule and checksums in {args.out / 'split.json'}")
    return 0
