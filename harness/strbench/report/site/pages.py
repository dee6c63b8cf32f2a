"""The index page (a leaderboard per protocol, the speed table, plots, notes) and the record pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strbench.perf import summary as ps
from strbench.report import leaderboard as lb
from strbench.report.site.command import reproduce
from strbench.report.site.html import (
    NONE,
    Cell,
    Head,
    accuracy_cell,
    esc,
    interval_text,
    key_values,
    mark_best,
    num,
    number_cell,
    page,
    readable,
    table,
    text_cell,
)


def record_href(record_id: str, prefix: str = "records/") -> str:
    return f"{prefix}{record_id}.html"


def gallery_href(record_id: str, prefix: str = "records/") -> str:
    return f"{prefix}{record_id}.errors.html"


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").lower() or "x"


def display_name(algorithm: str, names: Mapping[str, str]) -> str:
    """How an algorithm is written on the pages (``rare`` -> ``RARE`` when its plugin spells it so)."""
    return names.get(algorithm, algorithm)


def protocol_id(key: str) -> str:
    """``lower36@2`` -> ``lower36``."""
    return str(key).split("@")[0]


def ordered_protocols(rows: Sequence[lb.Row]) -> list[str]:
    """Protocols of the rows, the primary one (the board opens on it) first: ``lower36``, else the
    protocol with the most rows (:func:`strbench.report.leaderboard.primary_protocol`)."""
    keys = list(dict.fromkeys(r.protocol for r in rows))
    primary = lb.primary_protocol(keys, rows)
    return [primary, *(k for k in keys if k != primary)] if primary else []


def _marks(row: lb.Row) -> str:
    marks = [] if row.trained else ["UNTRAINED"]
    if row.subset_limit:
        marks.append(f"SUBSET {row.subset_limit}")
    if row.stale:
        marks.append("STALE?")
    return "".join(f'<span class="mark">{m}</span>' for m in marks)


def runtime(row: lb.Row) -> str:
    return f"{'native' if row.backend == 'torch' else row.backend}/{row.precision}"


def _model_cell(row: lb.Row, names: Mapping[str, str], *, link_weights: bool = True) -> Cell:
    """Algorithm and variant (linking the record page), the runtime when not native fp32, the marks,
    and the weights on a second line."""
    rt = "" if (row.backend, row.precision) == ("torch", "fp32") else f' <span class="rt">{esc(runtime(row))}</span>'
    name = f"{display_name(row.algorithm, names)} {row.variant}"
    weights = (f'<a href="{record_href(row.record_id)}">{esc(row.weights)}</a>' if link_weights
               else esc(row.weights))
    return Cell(f'<a class="model" href="{record_href(row.record_id)}">{esc(name)}</a>{rt}{_marks(row)}'
                f'<span class="w" title="weights: {esc(row.weights)}">{weights}</span>',
                sort=f"{name} {runtime(row)}".lower(), classes=["name", "s2"])


def _published_cell(row: lb.Row) -> Cell:
    if row.published is None:
        return Cell(NONE, sort="", title="no publisher's figure for these weights")
    gap = row.published_gap
    gap_html = "" if gap is None else (f'<span class="gap {"neg" if gap < -0.005 else "pos"}">'
                                       f'{gap:+.2f} pp</span>')
    return Cell(f'<span class="v">{row.published:.2f}</span>{gap_html}', sort=row.published,
                title=f"reported by {row.published_by or 'its publisher'}; measured here minus reported "
                      f"= {'' if gap is None else f'{gap:+.2f}'} percentage points")


@dataclass(frozen=True)
class Columns:
    """Which columns a protocol's table shows."""

    versions: list[str]
    regular: bool
    irregular: bool
    published: bool
    training: bool


def accuracy_table(rows: Sequence[lb.Row], layout: lb.Layout, group: str, css_id: str,
                   names: Mapping[str, str] = {}) -> str:
    """Rank, model, the headline average (these three stay in view), regular and irregular
    averages, the publisher's figure with the gap, the versions, the mean, training data, params."""
    cols = Columns(lb.version_columns(rows, layout.order), any(r.regular is not None for r in rows),
                   any(r.irregular is not None for r in rows), any(r.published is not None for r in rows),
                   any(r.training_data for r in rows))
    notes = dict(layout.case_notes)
    header: list[Head] = [
        Head("#", ("num", "s1"), "rank within this protocol by the headline average (trained, complete rows)"),
        Head("model", ("name", "s2"), "algorithm and variant (runtime when not native fp32); weights below"),
        Head(f'avg<span class="sub">{esc(group)}, weighted</span>', ("s3",),
             f"word accuracy over the {group} group's samples (sample-weighted): the headline", raw=True)]
    if cols.regular:
        header.append(Head('regular<span class="sub">weighted</span>', (), "IIIT5K, SVT, IC13", raw=True))
    if cols.irregular:
        header.append(Head('irregular<span class="sub">weighted</span>', (), "IC15, SVTP, CUTE80", raw=True))
    if cols.published:
        header.append(Head('published<span class="sub">measured − published</span>', (),
                           "word accuracy the weights' publisher reports, and how far the measured headline is "
                           "from it (percentage points)", raw=True))
    header += [Head(v.replace("_", " "), ("ver",), f"word accuracy on {v}") for v in cols.versions]
    header.append(Head(f'mean<span class="sub">{esc(group)}</span>', (), "arithmetic mean over the group's versions",
                       raw=True))
    if cols.training:
        header.append(Head("training data", ("name",)))
    header.append(Head("params<span class=\"sub\">M</span>", (), raw=True))
    cells: list[list[Cell]] = []
    for row in rows:
        line = [Cell(num(row.rank) if row.rank else "", sort=row.rank if row.rank else "", classes=["num", "s1"]),
                _model_cell(row, names)]
        head = accuracy_cell(row.group_weighted, row.intervals.get(lb.GROUP_W))
        head.classes.append("s3")
        line.append(head)
        if cols.regular:
            line.append(accuracy_cell(row.regular, row.intervals.get(lb.REGULAR)))
        if cols.irregular:
            line.append(accuracy_cell(row.irregular, row.intervals.get(lb.IRREGULAR)))
        if cols.published:
            line.append(_published_cell(row))
        for v in cols.versions:
            limited = lb.label_limited(row, v, layout)
            cell = accuracy_cell(row.accuracy.get(v), row.intervals.get(v),
                                 title=f"measures the labels, not the model: {notes.get(v, '')}" if limited else "")
            if limited:
                cell.classes.append("limited")
            line.append(cell)
        line.append(accuracy_cell(row.group_mean, row.intervals.get(lb.GROUP_M)))
        if cols.training:
            line.append(Cell(esc(row.training_data or NONE), sort=row.training_data or "", classes=["name", "td"]))
        line.append(number_cell(row.params / 1e6 if row.params else None, 2))
        cells.append(line)
    eligible = [r.trained and not r.subset_limit for r in rows]
    first_acc = 2
    last_acc = len(header) - (2 if cols.training else 1)
    for column in range(first_acc, last_acc):
        if cols.published and header[column].text.startswith("published"):
            continue
        mark_best(cells, column, higher=True, eligible=eligible)
    return table(header, cells, css_id=css_id, classes="sortable board",
                 row_classes=[" ".join(c for c in ("" if r.trained else "untrained",) if c) for r in rows])


SPEED_COLUMNS = ((ps.THROUGHPUT, True, 1, 'images/s<span class="sub">best batch</span>'),
                 (ps.LATENCY, False, 2, 'latency ms<span class="sub">batch 1, median</span>'),
                 (ps.LATENCY_P90, False, 2, 'latency ms<span class="sub">batch 1, p90</span>'),
                 (ps.BEST_BS, None, 0, "best batch"),
                 (ps.PEAK_MEMORY, False, 0, 'peak MB<span class="sub">best batch</span>'),
                 (ps.GFLOPS, False, 2, "GFLOPs<span class=\"sub\">per image</span>"))


def speed_rows(rows: Sequence[lb.Row]) -> list[lb.Row]:
    """One row per measured model (speed does not depend on the protocol), fastest first."""
    seen: dict[tuple[str, ...], lb.Row] = {}
    for row in rows:
        if row.perf and row.perf_record:
            key = (row.algorithm, row.variant, row.weights, row.backend, row.precision)
            seen.setdefault(key, row)
    return sorted(seen.values(), key=lambda r: -float(r.perf.get(ps.THROUGHPUT) or 0.0))


def device_label(row: lb.Row) -> str:
    """``cpu · AMD EPYC · 2 threads``: the perf device, short."""
    text = str(row.perf.get("perf device", "?")).removesuffix(" CONTENDED")
    if " (" in text and text.endswith(")"):
        device, detail = text[:-1].split(" (", 1)
        return " · ".join([device, *(p.strip() for p in detail.split(","))])
    return text


def speed_table(rows: Sequence[lb.Row], names: Mapping[str, str] = {}) -> str:
    header = [Head("model", ("name", "s2")), *(Head(h, (), raw=True) for _, _, _, h in SPEED_COLUMNS),
              Head("params<span class=\"sub\">M</span>", (), raw=True), Head("device", ("name",)),
              Head("record", ("name",))]
    cells = []
    for row in rows:
        line = [_model_cell(row, names, link_weights=False)]
        line[0].html = line[0].html.replace(record_href(row.record_id), record_href(row.perf_record or row.record_id))
        for name, _, digits, _ in SPEED_COLUMNS:
            cell = number_cell(row.perf.get(name), digits)
            if row.contended and name != ps.BEST_BS and row.perf.get(name) is not None:
                cell.html += '<span class="mark">contended</span>'
            line.append(cell)
        line.append(number_cell(row.params / 1e6 if row.params else None, 2))
        perf_id = row.perf_record or ""
        line += [Cell(esc(device_label(row)), sort=device_label(row), classes=["name", "dev"]),
                 Cell(f'<a href="{record_href(perf_id)}">perf record</a>', sort=perf_id, title=perf_id,
                      classes=["name"])]
        cells.append(line)
    eligible = [r.trained and not r.contended for r in rows]
    for i, (_, higher, _, _) in enumerate(SPEED_COLUMNS):
        if higher is not None:
            mark_best(cells, 1 + i, higher=higher, eligible=eligible)
    return table(header, cells, css_id="speed", classes="sortable speed",
                 row_classes=["" if r.trained else "untrained" for r in rows],
                 row_attrs=[f'data-device="{esc(device_label(r))}"' for r in rows])


def _intro(board: lb.Board, group: str, hidden: int) -> str:
    shown = f"{len(board.rows)} rows from {board.found} records"
    return (f'<p class="lead">Word accuracy (%) per benchmark version; <b>avg</b>: the sample-weighted average '
            f"over the {esc(group)} group, the headline. ±: half the width of the 95% interval (exact bounds on "
            f"hover). Green: best trained value of a column; grey: the cell measures the labels, not the model. "
            f"Click a header to sort. {shown}.</p>")


def _trained_only(hidden: int) -> str:
    """The trained-only filter (on by default; CSS hides untrained rows while it is checked)."""
    if not hidden:
        return ""
    return (f'<label class="chk"><input type="checkbox" id="trained-only" checked> trained weights only '
            f'<span class="muted">({hidden} untrained {"row" if hidden == 1 else "rows"} hidden)</span></label>')


@dataclass(frozen=True)
class RobustnessSection:
    """One robustness preset on the index page: its description, the summary table (header, rows)
    and a degradation plot per model (src, model)."""

    preset: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    plots: Sequence[tuple[str, str]]


def robustness_html(sections: Sequence[RobustnessSection]) -> str:
    """Accuracy under controlled corruptions (``strbench robustness``): never mixed with the clean board."""
    if not sections:
        return ""
    parts = ['<h2>Robustness to corruptions</h2><p class="lead">Word accuracy on a fixed subset under seeded '
             "corruptions (rotation, blur, noise, JPEG, contrast, perspective, curvature), from "
             "<code>strbench robustness</code> records (docs/robustness.md); these runs never enter the tables above."
             "</p>"]
    for sec in sections:
        cells = [[text_cell(row[0]), *(Cell(esc(v), sort=v) for v in row[1:])] for row in sec.rows]
        parts.append(f"<h3>{esc(sec.preset)}</h3>" + table(list(sec.header), cells, name_columns=1))
        parts.append('<div style="display:flex;flex-wrap:wrap;gap:8px">' + "".join(
            f'<figure style="flex:0 1 460px;margin:0"><img class="plot" src="{esc(src)}" '
            f'alt="degradation of {esc(model)}"><figcaption>{esc(model)}: accuracy against severity per corruption'
            f"</figcaption></figure>" for src, model in sec.plots) + "</div>")
    return "".join(parts)


def index_page(board: lb.Board, layout: lb.Layout, group: str, plots: Sequence[tuple[str, str]],
               notes: Sequence[str], names: Mapping[str, str] = {},
               robustness: Sequence[RobustnessSection] = ()) -> str:
    protocols = ordered_protocols(board.rows)
    primary = protocols[0] if protocols else ""
    tabs = "".join(f'<button type="button" data-tab="p-{slug(p)}"{" class=active" if p == primary else ""}>'
                   f"{esc(p)}<span class=\"n\">{sum(1 for r in board.rows if r.protocol == p and r.trained)}</span>"
                   f"</button>" for p in protocols)
    sections = []
    for protocol in protocols:
        rows = [r for r in board.rows if r.protocol == protocol]
        lead = (f"<p class=\"pnote\">{esc(protocol)}: case-sensitive, so versions whose labels are all one case "
                f"measure the labels, not the model (grey).</p>" if any(r.cased for r in rows) else "")
        sections.append(f'<section class="protocol" id="p-{slug(protocol)}"{"" if protocol == primary else " hidden"}>'
                        f"{lead}" + accuracy_table(rows, layout, group, f"acc-{slug(protocol)}", names)
                        + "</section>")
    hidden = sum(1 for r in board.rows if not r.trained)
    speed = speed_rows(board.rows)
    devices = list(dict.fromkeys(device_label(r) for r in speed))
    device_filter = ""
    if devices:
        options = "".join(f'<option value="{esc(d)}">{esc(d)}</option>' for d in devices)
        device_filter = (f'<label class="chk">device <select id="device-filter"><option value="">all devices</option>'
                         f"{options}</select></label>")
    speed_html = (f'<h2>Speed</h2><p class="lead">Forward + decode under the perf protocol, one row per model, '
                  f"fastest first. {device_filter}</p>" + speed_table(speed, names)) if speed else ""
    plot_caption = ("headline accuracy (bars: its 95% interval) against throughput of the trained models; red: the "
                    "Pareto front, the models nothing beats on both")
    plot_html = "".join(f'<figure><picture><source media="(max-width: 700px)" '
                        f'srcset="{esc(src.removesuffix(".png"))}_narrow.png"><img class="plot" '
                        f'alt="speed against accuracy on {esc(device)}" src="{esc(src)}"></picture>'
                        f"<figcaption>{esc(device)}: {esc(plot_caption)}</figcaption></figure>" for device, src in plots)
    excluded = "".join(f"<li><code>{esc(e.record)}</code>: {esc(e.reason)}</li>" for e in board.excluded)
    body = (f"<header><h1>strbench leaderboard</h1>{_intro(board, group, hidden)}"
            f'<div class="controls"><div class="tabs" role="tablist">{tabs}</div>'
            f'<input class="filter" type="search" placeholder="filter rows" aria-label="filter rows" '
            f'data-target="table.sortable">{_trained_only(hidden)}</div></header>'
            f'{"".join(sections)}{speed_html}'
            + (f"<h2>Speed against accuracy</h2>{plot_html}" if plots else "")
            + robustness_html(robustness)
            + f'<h2>Notes</h2><ul class="notes">{"".join(f"<li>{esc(n)}</li>" for n in notes)}</ul>'
            + (f'<details><summary>{len(board.excluded)} records left out, and why</summary><ul class="notes">'
               f"{excluded}</ul></details>" if excluded else ""))
    return page("strbench leaderboard", body)


METRICS = (("one_minus_ned", "1-NED"), ("char_precision", "char precision"), ("char_recall", "char recall"),
           ("mean_confidence", "mean confidence"))


def _date(created: Any) -> str:
    return str(created or "")[:10] or NONE


@dataclass(frozen=True)
class GalleryLink:
    """The error gallery of a record page: where, how many wrong samples it shows, of how many."""

    href: str
    shown: int
    wrong: int


def headline(record: Mapping[str, Any], group: str) -> tuple[float | None, list[float] | None]:
    """The group's sample-weighted word accuracy and its 95% interval, when the group is complete."""
    g = ((record.get("summary") or {}).get("groups") or {}).get(group) or {}
    value = (g.get("weighted") or {}).get("word_accuracy") if g.get("complete") else None
    iv = ((((record.get("intervals") or {}).get("groups") or {}).get(group) or {}).get("weighted") or {})
    return value, (iv.get("word_accuracy") if value is not None else None)


def is_perf_record(record: Mapping[str, Any]) -> bool:
    return record.get("kind", "accuracy") != "accuracy" or bool(record.get("perf"))


def record_title(record: Mapping[str, Any], group: str, names: Mapping[str, str] = {}) -> str:
    """``RARE mv3 · lower36 · 52.05% · 2026-11-29`` (a perf record: its best throughput instead)."""
    name = f"{display_name(str(record.get('algorithm', '?')), names)} {record.get('variant', '')}".strip()
    rt = record.get("runtime") or {}
    if (rt.get("backend"), rt.get("precision")) not in ((None, None), ("torch", "fp32")):
        name += f" {'native' if rt.get('backend') == 'torch' else rt.get('backend')}/{rt.get('precision')}"
    protocol = protocol_id((record.get("protocol") or {}).get("key", "?"))
    if is_perf_record(record):
        columns = ps.leaderboard_columns(record["perf"]) if record.get("perf") else {}
        speed = columns.get(ps.THROUGHPUT)
        figure = f"speed {speed:,.1f} img/s" if speed is not None else f"{record.get('kind', 'perf')} record"
    else:
        value, _ = headline(record, group)
        figure = f"{value:.2f}%" if value is not None else f"no {group} average"
    return " · ".join([name, protocol, figure, _date(record.get("created"))])


def _datasets_table(record: Mapping[str, Any], group: str) -> str:
    members = set((((record.get("summary") or {}).get("groups") or {}).get(group) or {}).get("datasets") or [])
    iv = (record.get("intervals") or {}).get("datasets") or {}
    header = [Head("version", ("name",)), Head("word accuracy %"), Head("95% interval"),
              *(Head(f"{label} %") for _, label in METRICS), Head("samples"), Head(f"in {group}", ("name",)),
              Head("skipped"), Head("status", ("name",))]
    cells = []
    for d in record.get("datasets", []):
        metrics = d.get("metrics") or {}
        interval = (iv.get(d.get("name")) or {}).get("word_accuracy")
        status = d.get("status") or "ok"
        cells.append([text_cell(d.get("name")), accuracy_cell(metrics.get("word_accuracy"), interval),
                      Cell(esc(interval_text(interval).removeprefix("95% interval ") or NONE)),
                      *(number_cell(metrics.get(m)) for m, _ in METRICS),
                      number_cell(d.get("evaluated"), 0), text_cell("yes" if d.get("name") in members else "no"),
                      number_cell((d.get("skipped") or {}).get("total"), 0),
                      text_cell(status, *([] if status in ("ok", "complete") else ["warnbg"]))])
    return table(header, cells, classes="sortable plain")


def _groups_html(record: Mapping[str, Any], group: str) -> str:
    groups = (record.get("summary") or {}).get("groups") or {}
    ivs = (record.get("intervals") or {}).get("groups") or {}
    complete = [(n, g) for n, g in groups.items() if g.get("complete") and n != group]
    incomplete = [(n, g) for n, g in groups.items() if not g.get("complete")]
    parts = []
    if complete:
        cells = [[text_cell(n), text_cell(", ".join(g.get("datasets") or [])),
                  accuracy_cell((g.get("weighted") or {}).get("word_accuracy"),
                                ((ivs.get(n) or {}).get("weighted") or {}).get("word_accuracy")),
                  accuracy_cell((g.get("mean") or {}).get("word_accuracy"),
                                ((ivs.get(n) or {}).get("mean") or {}).get("word_accuracy"))] for n, g in complete]
        parts.append("<h2>Other suite groups</h2>" + table(
            [Head("group", ("name",)), Head("versions", ("name",)), Head("weighted %"), Head("mean %")], cells,
            classes="sortable plain"))
    if incomplete:
        items = "".join(f"<li><b>{esc(n)}</b> <span class=\"mark\">incomplete</span>: no average; missing "
                        f"{esc(', '.join(g.get('missing') or []) or NONE)}</li>" for n, g in incomplete)
        parts.append(f'<h2>Incomplete groups</h2><ul class="notes">{items}</ul>')
    return "".join(parts)


def _perf_summary(record: Mapping[str, Any]) -> str:
    """What a perf record measured, in a sentence."""
    perf = record.get("perf") or {}
    config = perf.get("config") or {}
    inputs = perf.get("inputs") or {}
    system = perf.get("system") or {}
    sizes = config.get("batch_sizes") or []
    sweep = (f"a throughput sweep over batch sizes {', '.join(str(s) for s in sizes)}" if sizes
             else "a throughput sweep")
    device = str(system.get("device", "?"))
    where = (f"{device} ({system.get('gpu')})" if device.startswith("cuda") else
             f"{device} ({system.get('cpu_model', '?')}, {system.get('torch_threads', '?')} threads)")
    return (f"<p class=\"info\"><b>What this record measured:</b> speed under the perf protocol "
            f"(<code>docs/perf-protocol.md</code>): batch-1 latency over {num(config.get('latency_runs'))} timed runs "
            f"after {num(config.get('warmup'))} warm-up runs, and {sweep}, on {num(inputs.get('images'))} real images "
            f"of {esc(inputs.get('dataset', '?'))}, on {esc(where)}; forward + decode, precision "
            f"{esc(', '.join(config.get('precisions') or ['fp32']))}.</p>")


def _warnings(record: Mapping[str, Any]) -> str:
    data = record.get("data") or {}
    weights = record.get("weights") or {}
    out = []
    if data.get("subset_limit"):
        out.append(f"Subset: only the first {num(data['subset_limit'])} samples of each set were scored. These "
                   f"accuracies are a quick check, not comparable with full runs.")
    if data.get("synthetic"):
        out.append("Ran on the embedded synthetic default set: rendered words, not a real benchmark.")
    if weights.get("trained") is False:
        out.append("Untrained weights (randomly initialised): the accuracy tests the pipeline, not the model.")
    if record.get("kind", "accuracy") != "accuracy":
        out.append(f"A {esc(record.get('kind'))} record, not an accuracy run.")
    perturbation = data.get("perturbation")
    if isinstance(perturbation, Mapping):
        level = " ".join(str(perturbation[k]) for k in ("level", "unit") if perturbation.get(k) is not None)
        out.append(f"Perturbed input: every image went through <b>{esc(perturbation.get('name'))}</b> at severity "
                   f"{esc(perturbation.get('severity'))}" + (f" ({esc(level)})" if level else "")
                   + (f": {esc(perturbation['description'])}" if perturbation.get("description") else "")
                   + f", seed {esc(perturbation.get('seed', 0))}. A robustness measurement, never a clean-board row.")
    return "".join(f'<p class="warn">{w}</p>' for w in out)


CALIBRATION_COLUMNS = (("samples", "samples", 0), ("accuracy", "accuracy %", 2),
                       ("mean_confidence", "mean confidence %", 2), ("ece", "ECE %", 2), ("brier", "Brier", 4),
                       ("aurc", "AURC %", 2), ("e_aurc", "E-AURC %", 2))


def _calibration_entries(section: Mapping[str, Any], group: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The group first, then every version, then all versions together."""
    entries: list[tuple[str, Mapping[str, Any]]] = []
    groups = section.get("groups") or {}
    if isinstance(groups.get(group), Mapping):
        entries.append((f"{group} (group)", groups[group]))
    entries += [(name, e) for name, e in (section.get("datasets") or {}).items() if isinstance(e, Mapping)]
    if isinstance(section.get("all"), Mapping):
        entries.append(("all versions", section["all"]))
    return entries


def calibration_html(record: Mapping[str, Any], group: str, plots: Sequence[tuple[str, str]] = ()) -> str:
    """How far the record's word confidences can be trusted: expected calibration error, Brier
    score, (excess) area under the risk-coverage curve and accuracy at 90%/95% coverage per group
    and version, with the reliability diagram and risk-coverage curve; entries whose confidences
    carry no information say why instead of giving figures."""
    section = record.get("calibration")
    if not isinstance(section, Mapping):
        return ""
    header = ["scope", *(label for _, label, _ in CALIBRATION_COLUMNS), "accuracy at 90% coverage",
              "accuracy at 95% coverage"]
    cells = []
    for name, entry in _calibration_entries(section, group):
        if not entry.get("informative"):
            reason = entry.get("reason") or "confidence not informative"
            cells.append([text_cell(name), number_cell(entry.get("samples"), 0), number_cell(entry.get("accuracy")),
                          Cell(f"not informative: {esc(reason)}", sort="", classes=["note"]),
                          *(Cell(NONE, sort="") for _ in range(len(CALIBRATION_COLUMNS) - 1))])
            continue
        coverage = entry.get("accuracy_at_coverage") or {}
        cells.append([text_cell(name), *(number_cell(entry.get(key), digits) for key, _, digits in CALIBRATION_COLUMNS),
                      number_cell(coverage.get("90")), number_cell(coverage.get("95"))])
    if not cells:
        return ""
    figures = "".join(f'<figure class="calibration"><img src="{esc(src)}" alt="{esc(alt)}"><figcaption>{esc(alt)}'
                      f"</figcaption></figure>" for src, alt in plots)
    return ("<h2>Confidence calibration</h2><p>Word-level: each reading's confidence against whether it is right "
            "under the record's protocol. ECE over 15 equal-width bins (lower is better); E-AURC: the area under "
            "the risk-coverage curve above a perfect ranking's (how well confidence puts right readings before "
            "wrong ones); accuracy at 90% coverage: keeping the 90% most confident readings. Definitions: "
            "docs/robustness.md.</p>" + table(header, cells, name_columns=1) + figures)


def _speed_headline(record: Mapping[str, Any]) -> str:
    """A perf record's headline: its best throughput, batch-1 latency and peak memory."""
    columns = ps.leaderboard_columns(record["perf"])
    speed = columns.get(ps.THROUGHPUT)
    big = f'<div class="big">{speed:,.1f} <small>img/s</small></div>' if speed is not None else ""
    facts = []
    if ps.BEST_BS in columns:
        facts.append(f"best throughput at batch size {int(columns[ps.BEST_BS])}")
    if ps.LATENCY in columns:
        facts.append(f"batch-1 latency {columns[ps.LATENCY]:.2f} ms median, {columns[ps.LATENCY_P90]:.2f} ms p90")
    if ps.PEAK_MEMORY in columns:
        facts.append(f"peak memory {columns[ps.PEAK_MEMORY]:,.0f} MB at the best batch size")
    if ps.GFLOPS in columns:
        facts.append(f"{columns[ps.GFLOPS]:.2f} GFLOPs per image")
    return f'<div class="headline">{big}<div><p>{esc("; ".join(facts)) or NONE}.</p></div></div>'


def _headline_html(record: Mapping[str, Any], group: str, gallery: GalleryLink | None) -> str:
    value, interval = headline(record, group)
    g = ((record.get("summary") or {}).get("groups") or {}).get(group) or {}
    samples = sum(d.get("evaluated") or 0 for d in record.get("datasets", []) if d.get("name") in (g.get("datasets") or []))
    mean = (g.get("mean") or {}).get("word_accuracy") if g.get("complete") else None
    mean_iv = (((((record.get("intervals") or {}).get("groups") or {}).get(group) or {}).get("mean") or {})
               .get("word_accuracy"))
    subset = bool((record.get("data") or {}).get("subset_limit"))
    if value is not None:
        big = f'<div class="big{" dim" if subset else ""}">{value:.2f}%</div>'
        what = (f"{'subset ' if subset else ''}word accuracy over the {esc(group)} group ({esc(', '.join(g.get('datasets') or []))}; "
                f"{samples:,} samples, sample-weighted)")
        if interval:
            what += f"; {esc(interval_text(interval))}"
        if mean is not None:
            what += f". Arithmetic mean over the versions: {mean:.2f}%"
            if mean_iv:
                what += f" ({esc(interval_text(mean_iv))})"
    else:
        missing = ", ".join(g.get("missing") or [])
        big = f'<div class="big dim">{NONE}</div>'
        what = (f"no {esc(group)} average: the record does not hold every version of the group"
                + (f" (missing {esc(missing)})" if missing else ""))
    links = []
    if gallery is not None:
        links.append(f'<a href="{esc(gallery.href)}">error gallery</a> ({gallery.shown:,} of {gallery.wrong:,} wrong '
                     f"readings shown)")
    predictions = (record.get("predictions") or {}).get("file")
    if predictions:
        links.append(f"per-sample predictions: <code>{esc(predictions)}</code>")
    return (f'<div class="headline">{big}<div><p>{what}.</p>'
            + (f"<p>{' · '.join(links)}</p>" if links else "") + "</div></div>")


def _perf_html(perf: Mapping[str, Any]) -> str:
    parts = ["<h2>Speed (perf protocol)</h2>"]
    columns = ps.leaderboard_columns(dict(perf))
    if columns:
        parts.append(key_values({k: round(v, 3) if isinstance(v, float) else v for k, v in columns.items()}))
    for config in perf.get("configs", []):
        title = f"{config.get('precision')}, compile {(config.get('compile') or {}).get('mode', 'none')}"
        stages = (config.get("latency_bs1") or {}).get("stages") or {}
        stage_cells = [[text_cell(name.replace("_", " ")), number_cell(s.get("median_ms")), number_cell(s.get("p90_ms")),
                        number_cell(s.get("iqr_ms")), number_cell(s.get("mean_ms")), number_cell(s.get("runs"), 0)]
                       for name, s in stages.items()]
        parts.append(f"<h3>Stages at batch 1 ({esc(title)})</h3>"
                     + table([Head("stage", ("name",)), "median ms", "p90 ms", "IQR ms", "mean ms", "runs"],
                             stage_cells, classes="sortable plain"))
        points = (config.get("throughput") or {}).get("points", [])
        sweep = []
        for p in points:
            memory = p.get("memory") or {}
            peak = memory.get("peak_rss_mb", memory.get("max_allocated_mb"))
            sweep.append([number_cell(p.get("batch_size"), 0), text_cell(p.get("status") or "ok"),
                          number_cell(p.get("images_per_s"), 1),
                          number_cell((p.get("model_and_decode") or {}).get("median_ms")), number_cell(peak, 1)])
        if sweep:
            parts.append(f"<h3>Batch sweep ({esc(title)})</h3>"
                         + table(["batch size", Head("status", ("name",)), "images/s", "forward + decode ms",
                                  "peak MB"], sweep, classes="sortable plain"))
    system = perf.get("system") or {}
    if system:
        parts.append("<h3>Measurement conditions</h3>" + key_values(system))
    return "".join(parts)


def _listed_gallery(record: Mapping[str, Any], gallery: Sequence[tuple[str, str]]) -> str:
    analysis = record.get("error_analysis") or record.get("errors")
    parts = []
    if analysis:
        parts.append("<h2>Error analysis</h2>" + (key_values(analysis) if isinstance(analysis, Mapping)
                                                    else f"<p>{readable(analysis)}</p>"))
    if gallery:
        parts.append("<h2>Examples the record lists</h2>" + "".join(
            f'<figure class="ex"><img src="{esc(src)}" alt="{esc(caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>" for src, caption in gallery))
    return "".join(parts)


def _command_html(command: str) -> str:
    """A command line that wraps only between its words (never inside ``--data-root``)."""
    return " ".join(f"<span>{esc(word)}</span>" for word in command.split(" "))


def record_page(record: Mapping[str, Any], gallery: Sequence[tuple[str, str]] = (), *, group: str = lb.DEFAULT_GROUP,
                names: Mapping[str, str] = {}, errors: GalleryLink | None = None,
                calibration_plots: Sequence[tuple[str, str]] = ()) -> str:
    """A record's page: the title (algorithm, variant, protocol, headline, date), the headline with
    its interval and the error gallery's link, per-version results, incomplete groups after, the
    command that reproduces it, then weights, runtime, speed and environment as readable lists;
    the confidence calibration (``calibration_plots``: its figures, (src, caption)) after the results."""
    title = record_title(record, group, names)
    protocol = record.get("protocol") or {}
    data = record.get("data") or {}
    weights = record.get("weights") or {}
    rt = record.get("runtime") or {}
    backend = "native" if rt.get("backend") == "torch" else rt.get("backend", "?")
    sub = (f"protocol <b>{esc(protocol.get('key', '?'))}</b> · runtime {esc(backend)}/"
           f"{esc(rt.get('precision', '?'))} on {esc(rt.get('device', '?'))} · weights {esc(weights.get('name', '?'))}"
           f" · suite {esc(data.get('suite') or NONE)} · record <code>{esc(record.get('id'))}</code>")
    commands = reproduce(record)
    about = {"created": record.get("created"), "data root": data.get("root"), "synthetic data": data.get("synthetic"),
             "subset (samples per set)": data.get("subset_limit"), "missing versions": record.get("missing"),
             "protocol": protocol.get("description"), "plugin": record.get("plugin"), "parameters": record.get("params")}
    body = (f'<p><a href="../index.html">&larr; leaderboard</a></p><h1>{esc(title)}</h1><p class="sub">{sub}</p>'
            + _warnings(record)
            + (_perf_summary(record) + _speed_headline(record) if record.get("perf") else "")
            + (f"<h2>Accuracy{' on the subset' if data.get('subset_limit') else ''}</h2>" if record.get("perf") else "")
            + _headline_html(record, group, errors)
            + "<h2>Per version</h2>" + _datasets_table(record, group)
            + _groups_html(record, group)
            + calibration_html(record, group, calibration_plots)
            + ("<h2>Reproduce</h2><pre class=\"cmd\">" + "\n".join(_command_html(c) for c in commands) + "</pre>"
               if commands else "")
            + "<h2>Weights</h2>" + key_values(weights)
            + "<h2>Runtime</h2>" + key_values(rt)
            + (_perf_html(record["perf"]) if record.get("perf") else "")
            + _listed_gallery(record, gallery)
            + "<h2>About this record</h2>" + key_values(about)
            + "<h2>Environment</h2>" + key_values(record.get("environment") or {}))
    return page(title, body)
