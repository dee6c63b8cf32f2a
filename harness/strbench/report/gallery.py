"""A self-contained HTML gallery of a record's wrong samples (embedded thumbnails, the label, the
prediction with the differing characters marked). Images are read through the dataset format and
path the record stores for each version."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from strbench.atomic import atomic_write_bytes
from strbench.data.base import DatasetFormat, SampleSource
from strbench.errors import DataError, SampleError
from strbench.report.error_analysis import Sample, marked

THUMB_HEIGHT = 48


def locate_source(entry: Mapping[str, Any], record: Mapping[str, Any], formats: Mapping[str, DatasetFormat],
                  data_root: Path | None) -> SampleSource:
    """Open the dataset version a record entry names; ``data_root`` replaces the record's data root."""
    stored = Path(str(entry.get("path")))
    path = stored
    old_root = record.get("data", {}).get("root")
    if data_root is not None and old_root:
        try:
            path = data_root / stored.relative_to(old_root)
        except ValueError:
            path = data_root / stored.name
    fmt = formats.get(str(entry.get("format")))
    if fmt is None or not path.exists():
        raise DataError(f"the images of {entry.get('name')} are not at {path} (stored in the record as {stored}); "
                        f"pass --data-root to the folder holding the benchmark sets")
    return fmt.open(path)


def thumbnail(image: bytes) -> str:
    from PIL import Image

    with Image.open(io.BytesIO(image)) as im:
        im = im.convert("RGB")
        w = max(1, round(im.width * THUMB_HEIGHT / max(1, im.height)))
        im = im.resize((min(w, 8 * THUMB_HEIGHT), THUMB_HEIGHT))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _marked_html(runs: Sequence[tuple[str, bool]]) -> str:
    return "".join(f"<mark>{html.escape(c)}</mark>" if d else html.escape(c) for c, d in runs) or "<i>(empty)</i>"


def write_gallery(out_dir: Path, title: str, wrong: Sequence[Sample],
                  sources: Mapping[str, SampleSource]) -> tuple[Path, int]:
    """Write ``out_dir/index.html``; return its path and the number of images embedded."""
    index: dict[str, dict[str, int]] = {name: {src.key(i): i for i in range(len(src))} for name, src in sources.items()}
    cards, shown = [], 0
    for s in wrong:
        img = ""
        src = sources.get(s.dataset)
        i = index.get(s.dataset, {}).get(s.key)
        if src is not None and i is not None:
            try:
                img = f'<img alt="{html.escape(s.key)}" src="{thumbnail(src.read(i).image)}">'
                shown += 1
            except (SampleError, OSError):
                img = "<i>image unreadable</i>"
        lab, pred = marked(s.scored.label, s.scored.prediction)
        cards.append(f"<div class='card'>{img}<div>label: <code>{_marked_html(lab)}</code></div>"
                     f"<div>pred: <code>{_marked_html(pred)}</code></div>"
                     f"<div class='k'>{html.escape(s.dataset)} · {html.escape(s.key)} · raw "
                     f"{html.escape(repr(s.raw_label))} → {html.escape(repr(s.raw_prediction))}</div></div>")
    style = ("body{font-family:sans-serif;margin:1em}.card{display:inline-block;border:1px solid #ccc;margin:4px;"
             "padding:4px;vertical-align:top;max-width:420px}mark{background:#f99}.k{color:#777;font-size:small}")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1><p>{len(wrong)} wrong samples; "
            f"marked characters differ in the alignment of the normalised label and prediction.</p>"
            + "".join(cards) + "</body></html>\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path, shown
