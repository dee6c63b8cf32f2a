"""Small HTML building blocks: escaped text, tables with sortable headers, key-value lists."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strbench.report.site.assets import CSS, JS


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


@dataclass
class Cell:
    """One table cell: its HTML, the value it sorts by, a hover text and CSS classes."""

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


def text_cell(value: Any) -> Cell:
    return Cell(esc(value), classes=["name"])


def number_cell(value: float | int | None, digits: int = 2, title: str = "") -> Cell:
    return Cell(esc(num(value, digits)), sort=value if value is not None else "", title=title)


def mark_best(rows: Sequence[list[Cell]], column: int, higher: bool, eligible: Sequence[bool]) -> None:
    """Mark the best numeric value of ``column`` among the ``eligible`` rows (ties all marked)."""
    values = [(i, r[column].sort) for i, r in enumerate(rows)
              if eligible[i] and isinstance(r[column].sort, int | float)]
    if not values:
        return
    best = max(v for _, v in values) if higher else min(v for _, v in values)  # type: ignore[type-var]
    for i, v in values:
        if v == best:
            rows[i][column].classes.append("best")


def table(header: Sequence[str], rows: Iterable[Sequence[Cell]], *, name_columns: int, css_id: str = "",
          row_classes: Sequence[str] = ()) -> str:
    heads = "".join(f'<th class="name">{esc(h)}</th>' if i < name_columns else f"<th>{esc(h)}</th>"
                    for i, h in enumerate(header))
    body = []
    for i, row in enumerate(rows):
        cls = row_classes[i] if i < len(row_classes) and row_classes[i] else ""
        body.append(f'<tr{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>' + "".join(c.render() for c in row) + "</tr>")
    ident = f' id="{esc(css_id)}"' if css_id else ""
    return (f'<div class="wrap"><table class="sortable"{ident}><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def key_values(items: Mapping[str, Any]) -> str:
    """A two-column table; nested values as compact JSON."""
    rows = []
    for key, value in items.items():
        shown = value if isinstance(value, str | int | float | bool) or value is None else json.dumps(
            value, ensure_ascii=False, default=str)
        rows.append(f"<tr><td>{esc(key)}</td><td>{esc(shown)}</td></tr>")
    return f'<table class="kv">{"".join(rows)}</table>'


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}<script>{JS}</script></body></html>\n")
