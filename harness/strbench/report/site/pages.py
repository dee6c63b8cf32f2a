"""The index page (leaderboards per protocol, the speed table, plots, notes) and the record pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from strbench.perf import summary as ps
from strbench.report import leaderboard as lb
from strbench.report.site.html import Cell, esc, key_values, mark_best, number_cell, page, table, text_cell


def record_href(record_id: str, prefix: str = "records/") -> str:
    return f"{prefix}{record_id}.html"


def interval(dataset: Mapping[str, Any], metric: str = "word_accuracy") -> str:
    """A hover text for a metric's interval when the record carries one (``intervals`` or ``ci``
    mappings of ``metric`` to ``[low, high]`` or ``{"low", "high"}``), else ''."""
    for holder in (dataset.get("intervals"), dataset.get("ci"), dataset.get("metrics", {}).get(f"{metric}_ci")):
        value = holder.get(metric) if isinstance(holder, Mapping) and metric in holder else holder
        if isinstance(value, Mapping) and "low" in value and "high" in value:
            value = [value["low"], value["high"]]
        if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
            return f"interval: {value[0]:.2f} to {value[1]:.2f}"
    return ""


def _marks(row: lb.Row) -> str:
    marks = [] if row.trained else ["UNTRAINED"]
    if row.subset_limit:
        marks.append(f"SUBSET {row.subset_limit}")
    return "".join(f'<span class="mark">{m}</span>' for m in marks)


def _runtime(row: lb.Row) -> str:
    return f"{'native' if row.backend == 'torch' else row.backend}/{row.precision}"


def accuracy_table(rows: Sequence[lb.Row], records: Mapping[str, dict[str, Any]], versions: Sequence[str],
                   group: str, css_id: str) -> str:
    header = ["algorithm", "variant", "weights", "runtime", *versions, f"{group} weighted", f"{group} mean"]
    cells: list[list[Cell]] = []
    for row in rows:
        datasets = {d["name"]: d for d in records[row.record_id].get("datasets", [])}
        line = [text_cell(row.algorithm), text_cell(row.variant),
                Cell(f'<a href="{record_href(row.record_id)}">{esc(row.weights)}</a>{_marks(row)}', sort=row.weights,
                     classes=["name"]),
                text_cell(_runtime(row))]
        line += [number_cell(row.accuracy.get(v), title=interval(datasets.get(v, {}))) for v in versions]
        summary = records[row.record_id].get("summary", {}).get("groups", {}).get(group, {})
        line += [number_cell(row.group_weighted, title=interval(summary.get("weighted", {}))),
                 number_cell(row.group_mean)]
        cells.append(line)
    trained = [r.trained for r in rows]
    for column in range(4, len(header)):
        mark_best(cells, column, higher=True, eligible=trained)
    return table(header, cells, name_columns=4, css_id=css_id,
                 row_classes=["" if r.trained else "untrained" for r in rows])


SPEED_COLUMNS = ((ps.THROUGHPUT, True, 1), (ps.LATENCY, False, 2), (ps.LATENCY_P90, False, 2),
                 (ps.BEST_BS, None, 0), (ps.PEAK_MEMORY, False, 0), (ps.GFLOPS, False, 2))


def speed_rows(rows: Sequence[lb.Row]) -> list[lb.Row]:
    """One row per measured model (speed does not depend on the protocol)."""
    seen: dict[tuple[str, ...], lb.Row] = {}
    for row in rows:
        if row.perf and row.perf_record:
            key = (row.algorithm, row.variant, row.weights, row.backend, row.precision)
            seen.setdefault(key, row)
    return list(seen.values())


def speed_table(rows: Sequence[lb.Row]) -> str:
    header = ["algorithm", "variant", "weights", "runtime", "params (M)",
              *(name for name, _, _ in SPEED_COLUMNS), "device", "measured in"]
    cells = []
    for row in rows:
        line = [text_cell(row.algorithm), text_cell(row.variant), text_cell(row.weights), text_cell(_runtime(row)),
                number_cell(row.params / 1e6 if row.params else None, 3)]
        for name, _, digits in SPEED_COLUMNS:
            cell = number_cell(row.perf.get(name), digits)
            if row.contended and name != ps.BEST_BS and row.perf.get(name) is not None:
                cell.html += '<span class="mark">contended</span>'
            line.append(cell)
        perf_id = row.perf_record or ""
        line += [text_cell(row.perf.get("perf device", "?")),
                 Cell(f'<a href="{record_href(perf_id)}">record</a>', sort=perf_id, title=perf_id, classes=["name"])]
        cells.append(line)
    eligible = [not r.contended for r in rows]
    for i, (_, higher, _) in enumerate(SPEED_COLUMNS):
        if higher is not None:
            mark_best(cells, 5 + i, higher=higher, eligible=eligible)
    return table(header, cells, name_columns=4, css_id="speed")


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").lower() or "x"


def index_page(board: lb.Board, records: Mapping[str, dict[str, Any]], layout: lb.Layout, group: str,
               plots: Sequence[tuple[str, str]], notes: Sequence[str]) -> str:
    protocols = list(dict.fromkeys(r.protocol for r in board.rows))
    tabs = "".join(f'<button type="button" data-tab="p-{slug(p)}">{esc(p)}</button>' for p in protocols)
    sections = []
    for protocol in protocols:
        rows = [r for r in board.rows if r.protocol == protocol]
        versions = lb.version_columns(rows, layout.order)
        sections.append(f'<section class="protocol" id="p-{slug(protocol)}"><h2>Protocol {esc(protocol)}</h2>'
                        + accuracy_table(rows, records, versions, group, f"acc-{slug(protocol)}") + "</section>")
    speed = speed_rows(board.rows)
    speed_html = ("<h2>Speed</h2>" + speed_table(speed)) if speed else ""
    plot_html = "".join(f'<h3>{esc(device)}</h3><img class="plot" alt="speed-accuracy plot, {esc(device)}" '
                        f'src="{esc(src)}">' for device, src in plots)
    excluded = "".join(f"<li>{esc(e.record)}: {esc(e.reason)}</li>" for e in board.excluded)
    body = (f"<h1>strbench leaderboard</h1><p>{board.found} records read, {len(board.rows)} rows; word accuracy (%) "
            f"per benchmark version; the best value of each column is marked; hover a value for its interval "
            f"when the record has one; click a header to sort.</p>"
            f'<input class="filter" type="search" placeholder="filter rows" data-target="table.sortable">'
            f'<div class="tabs">{tabs}</div>{"".join(sections)}{speed_html}'
            + (f"<h2>Speed vs accuracy</h2>{plot_html}" if plots else "")
            + f'<h2>Notes</h2><ul class="notes">{"".join(f"<li>{esc(n)}</li>" for n in notes)}</ul>'
            + (f'<h2>Records left out</h2><ul class="notes">{excluded}</ul>' if excluded else ""))
    return page("strbench leaderboard", body)


METRICS = (("word_accuracy", "word acc"), ("one_minus_ned", "1-NED"), ("char_precision", "char P"),
           ("char_recall", "char R"), ("mean_confidence", "confidence"))


def _datasets_table(record: dict[str, Any]) -> str:
    header = ["version", "status", "found", "expected", "evaluated", "skipped", *(label for _, label in METRICS)]
    cells = []
    for d in record.get("datasets", []):
        metrics = d.get("metrics", {})
        cells.append([text_cell(d.get("name")), text_cell(d.get("status", "")), number_cell(d.get("found")),
                      number_cell(d.get("expected")), number_cell(d.get("evaluated")),
                      number_cell((d.get("skipped") or {}).get("total")),
                      *(number_cell(metrics.get(m), title=interval(d, m)) for m, _ in METRICS)])
    return table(header, cells, name_columns=2)


def _perf_html(perf: dict[str, Any]) -> str:
    parts = ["<h2>Speed (perf protocol)</h2>", key_values(perf.get("system", {}))]
    for config in perf.get("configs", []):
        title = f"{config.get('precision')}, compile {config.get('compile', {}).get('mode', 'none')}"
        stages = config.get("latency_bs1", {}).get("stages", {})
        stage_cells = [[text_cell(name), number_cell(s.get("median_ms")), number_cell(s.get("p90_ms")),
                        number_cell(s.get("iqr_ms")), number_cell(s.get("mean_ms")), number_cell(s.get("runs"))]
                       for name, s in stages.items()]
        parts.append(f"<h3>Stages at batch 1 ({esc(title)})</h3>"
                     + table(["stage", "median ms", "p90 ms", "IQR ms", "mean ms", "runs"], stage_cells, name_columns=1))
        points = (config.get("throughput") or {}).get("points", [])
        sweep = []
        for p in points:
            memory = p.get("memory") or {}
            peak = memory.get("peak_rss_mb", memory.get("max_allocated_mb"))
            sweep.append([number_cell(p.get("batch_size")), text_cell(p.get("status", "")),
                          number_cell(p.get("images_per_s"), 1),
                          number_cell((p.get("model_and_decode") or {}).get("median_ms")), number_cell(peak, 1)])
        if sweep:
            parts.append(f"<h3>Batch sweep ({esc(title)})</h3>"
                         + table(["batch size", "status", "images/s", "forward + decode ms", "peak MB"], sweep,
                                 name_columns=0))
    return "".join(parts)


def _errors_html(record: dict[str, Any], gallery: Sequence[tuple[str, str]]) -> str:
    analysis = record.get("error_analysis") or record.get("errors")
    parts = []
    if analysis:
        parts.append("<h2>Error analysis</h2>" + (key_values(analysis) if isinstance(analysis, dict)
                                                    else f"<pre>{esc(analysis)}</pre>"))
    if gallery:
        parts.append("<h2>Error gallery</h2>" + "".join(
            f'<figure style="display:inline-block;margin:4px"><img src="{esc(src)}" alt="{esc(caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>" for src, caption in gallery))
    return "".join(parts)


def record_page(record: dict[str, Any], gallery: Sequence[tuple[str, str]] = ()) -> str:
    protocol = record.get("protocol", {})
    data = record.get("data", {})
    head = {"algorithm": record.get("algorithm"), "variant": record.get("variant"), "protocol": protocol.get("key"),
            "created": record.get("created"), "kind": record.get("kind"), "suite": data.get("suite"),
            "data root": data.get("root"), "synthetic data": data.get("synthetic"),
            "subset (samples per set)": data.get("subset_limit"), "missing versions": record.get("missing"),
            "predictions": (record.get("predictions") or {}).get("file")}
    groups = record.get("summary", {}).get("groups", {})
    group_cells = [[text_cell(name), text_cell("complete" if g.get("complete") else "incomplete"),
                    number_cell((g.get("weighted") or {}).get("word_accuracy")),
                    number_cell((g.get("mean") or {}).get("word_accuracy"))] for name, g in groups.items()]
    body = (f'<p><a href="../index.html">&larr; leaderboard</a></p><h1>{esc(record.get("id"))}</h1>'
            + key_values(head)
            + "<h2>Per version</h2>" + _datasets_table(record)
            + ("<h2>Groups</h2>" + table(["group", "state", "word acc weighted", "word acc mean"], group_cells,
                                         name_columns=2) if group_cells else "")
            + "<h2>Weights</h2>" + key_values(record.get("weights", {}))
            + "<h2>Runtime</h2>" + key_values(record.get("runtime", {}))
            + (_perf_html(record["perf"]) if record.get("perf") else "")
            + _errors_html(record, gallery)
            + "<h2>Environment</h2>" + key_values(record.get("environment", {}))
            + "<h2>Command</h2>" + key_values(record.get("command", {})))
    return page(str(record.get("id")), body)
