"""Small HTML building blocks: escaped text, tables with sortable headers and sticky leading
columns, readable value lists (never a Python or JSON repr on a page)."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strbench.report.site.assets import CSS, JS

NONE = "—"


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def half_width(interval: Sequence[float] | None) -> float | None:
    """Half the width of an interval ``[low, high]``: the ``±`` figure shown under a value."""
    if not interval or len(interval) != 2:
        return None
    return (float(interval[1]) - float(interval[0])) / 2.0


def interval_text(interval: Sequence[float] | None) -> str:
    """``95% interval 50.38–52.53`` (hover text), or ''."""
    if not interval or len(interval) != 2:
        return ""
    return f"95% interval {float(interval[0]):.2f}–{float(interval[1]):.2f}"


@dataclass
class Cell:
    """One table cell: its HTML, the value it sorts by, a hover text, CSS classes and attributes."""

    html: str
    sort: float | str | None = None
    title: str = ""
    classes: list[str] = field(default_factory=list)

    def render(self) -> str:
        attrs = ""
        if self.classes:
            attrs += f' class="{" ".join(self.classes)}"'
        if self.sort is not None:
            attrs += f' data-v="{esc(self.sort)}"'
        if self.title:
            attrs += f' title="{esc(self.title)}"'
        return f"<td{attrs}>{self.html}</td>"


def text_cell(value: Any, *classes: str) -> Cell:
    return Cell(esc(num(value)), classes=["name", *classes])


def number_cell(value: float | int | None, digits: int = 2, title: str = "") -> Cell:
    return Cell(esc(num(value, digits)), sort=value if value is not None else "", title=title)


def accuracy_cell(value: float | None, interval: Sequence[float] | None = None, *, title: str = "") -> Cell:
    """A percentage with its 95% interval visible under it (``±`` half-width; the exact bounds on hover)."""
    if value is None:
        return Cell(NONE, sort="", title=title)
    ci = half_width(interval)
    shown = f'<span class="v">{value:.2f}</span>'
    if ci is not None:
        shown += f'<span class="ci">±{ci:.2f}</span>'
    hover = "; ".join(t for t in (interval_text(interval), title) if t)
    return Cell(shown, sort=round(value, 6), title=hover, classes=["acc"])


def mark_best(rows: Sequence[list[Cell]], column: int, higher: bool, eligible: Sequence[bool]) -> None:
    """Mark the best numeric value of ``column`` among the ``eligible`` rows (ties all marked); a
    cell classed ``limited`` (it measures the labels, not the model) is never marked."""
    values = [(i, r[column].sort) for i, r in enumerate(rows)
              if eligible[i] and isinstance(r[column].sort, int | float) and "limited" not in r[column].classes]
    if not values:
        return
    best = max(v for _, v in values) if higher else min(v for _, v in values)  # type: ignore[type-var]
    for i, v in values:
        if v == best:
            rows[i][column].classes.append("best")


@dataclass(frozen=True)
class Head:
    """A column header: its HTML (escaped unless ``raw``), CSS classes and a hover text."""

    text: str
    classes: tuple[str, ...] = ()
    title: str = ""
    raw: bool = False

    def render(self) -> str:
        cls = f' class="{" ".join(self.classes)}"' if self.classes else ""
        title = f' title="{esc(self.title)}"' if self.title else ""
        return f"<th{cls}{title}>{self.text if self.raw else esc(self.text)}</th>"


def table(header: Sequence[str | Head], rows: Iterable[Sequence[Cell]], *, name_columns: int = 0, css_id: str = "",
          row_classes: Sequence[str] = (), row_attrs: Sequence[str] = (), classes: str = "sortable") -> str:
    """A table in a horizontally scrolling box. Plain-string headers of the first ``name_columns``
    columns are left-aligned; ``row_attrs``: extra attributes per body row (``data-device="..."``)."""
    heads = "".join(h.render() if isinstance(h, Head) else Head(h, ("name",) if i < name_columns else ()).render()
                    for i, h in enumerate(header))
    body = []
    for i, row in enumerate(rows):
        cls = row_classes[i] if i < len(row_classes) and row_classes[i] else ""
        extra = f" {row_attrs[i]}" if i < len(row_attrs) and row_attrs[i] else ""
        body.append(f'<tr{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}{extra}>'
                    + "".join(c.render() for c in row) + "</tr>")
    ident = f' id="{esc(css_id)}"' if css_id else ""
    return (f'<div class="wrap"><table class="{classes}"{ident}><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def label(key: str) -> str:
    """A field name as words: ``torch_threads`` -> ``torch threads``."""
    return str(key).replace("_", " ")


def _scalar(value: Any) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return NONE
        return f"{value:,.6g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


def readable(value: Any) -> str:
    """HTML for any JSON value, as a reader would write it: yes/no, "—" for nothing, lists of plain
    values joined with commas, objects and lists of objects as nested lists."""
    if isinstance(value, Mapping):
        if not value:
            return NONE
        return ('<ul class="kv">' + "".join(f"<li><b>{esc(label(k))}</b>: {readable(v)}</li>" for k, v in value.items())
                + "</ul>")
    if isinstance(value, list | tuple):
        if not value:
            return NONE
        if all(not isinstance(v, Mapping | list | tuple) for v in value):
            return esc(", ".join(_scalar(v) for v in value))
        return '<ol class="kv">' + "".join(f"<li>{readable(v)}</li>" for v in value) + "</ol>"
    return esc(_scalar(value))


def key_values(items: Mapping[str, Any], skip_empty: bool = False) -> str:
    """A two-column list of fields with readable values (:func:`readable`)."""
    rows = []
    for key, value in items.items():
        if skip_empty and (value is None or value == {} or value == [] or value == ""):
            continue
        rows.append(f"<tr><th>{esc(label(key))}</th><td>{readable(value)}</td></tr>")
    return f'<table class="kv">{"".join(rows)}</table>' if rows else f"<p>{NONE}</p>"


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}<script>{JS}</script></body></html>\n")
