"""A self-contained HTML gallery of a record's wrong samples (embedded thumbnails, the label, the
prediction with the differing characters marked, the model's confidence). Images are read through
the dataset format and path the record stores for each version.

A gallery shows a sample of the wrong predictions, never "the first N": :func:`select_wrong` takes
them from every version in turn (round-robin), worst first within each version, and the page states
the true totals ("300 of 3,679 wrong shown") per version, with a filter by version."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strbench.atomic import atomic_write_bytes
from strbench.data.base import DatasetFormat, SampleSource
from strbench.errors import DataError, SampleError
from strbench.report.error_analysis import Sample, marked

THUMB_HEIGHT = 48
ORDERS = {
    "worst": "largest edit distance first, then lowest confidence",
    "confident": "most confident first (the errors a confidence threshold would not catch)",
    "record": "in the order of the predictions file",
}


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


def _order_key(order: str) -> Any:
    if order == "worst":
        return lambda s: (-s.distance, s.confidence)
    if order == "confident":
        return lambda s: (-s.confidence, -s.distance)
    if order == "record":
        return None
    raise ValueError(f"unknown gallery order {order!r}; one of {', '.join(ORDERS)}")


def select_wrong(samples: Sequence[Sample], limit: int, order: str = "worst") -> list[Sample]:
    """Up to ``limit`` wrong samples, stratified across versions: each version's wrong samples sorted
    by ``order`` (:data:`ORDERS`), then taken one per version in turn (versions in order of
    appearance), so every version is represented however few wrong samples it has."""
    key = _order_key(order)
    per_version: dict[str, list[Sample]] = {}
    for s in samples:
        if not s.correct:
            per_version.setdefault(s.dataset, []).append(s)
    queues = [sorted(wrong, key=key) if key else list(wrong) for wrong in per_version.values()]
    chosen: list[Sample] = []
    depth = 0
    while len(chosen) < limit and any(depth < len(q) for q in queues):
        for q in queues:
            if depth < len(q) and len(chosen) < limit:
                chosen.append(q[depth])
        depth += 1
    return chosen


@dataclass(frozen=True)
class Totals:
    """Per version: samples scored and wrong, over everything the gallery was chosen from."""

    samples: dict[str, int]
    wrong: dict[str, int]

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Totals:
        total: dict[str, int] = {}
        wrong: dict[str, int] = {}
        for s in samples:
            total[s.dataset] = total.get(s.dataset, 0) + 1
            wrong[s.dataset] = wrong.get(s.dataset, 0) + (not s.correct)
        return cls(total, wrong)


#: ``perturb(rgb, sample_key)``: the corruption a perturbed record's images went through.
Perturb = Callable[[Any, str], Any]


def record_perturbation(record: Mapping[str, Any]) -> Perturb | None:
    """The corruption of a perturbed record (``data.perturbation``, as ``run --perturb`` stores it),
    rebuilt with its seed so a gallery shows the crops as the model saw them; ``None`` for clean runs."""
    info = (record.get("data") or {}).get("perturbation")
    if not isinstance(info, Mapping):
        return None
    from strbench.data.perturb import Perturbation

    return Perturbation(str(info.get("name")), int(info.get("severity", 0)), int(info.get("seed", 0)))


def thumbnail(image: bytes, perturb: Perturb | None = None, key: str = "") -> str:
    """A ``data:`` URI of the image scaled to :data:`THUMB_HEIGHT` pixels (JPEG: small pages); with
    ``perturb``, of the image as that corruption changed it for sample ``key``."""
    from PIL import Image

    with Image.open(io.BytesIO(image)) as im:
        im = im.convert("RGB")
        if perturb is not None:
            import numpy as np

            im = Image.fromarray(perturb(np.asarray(im), key))
        w = max(1, round(im.width * THUMB_HEIGHT / max(1, im.height)))
        im = im.resize((min(w, 8 * THUMB_HEIGHT), THUMB_HEIGHT))
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _marked_html(runs: Sequence[tuple[str, bool]]) -> str:
    return "".join(f"<mark>{html.escape(c)}</mark>" if d else html.escape(c) for c, d in runs) or "<i>(empty)</i>"


STYLE = """
body{font:13px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;padding:12px 16px;max-width:1440px;
     color:#1d1d1f}
h1{font-size:19px;margin:4px 0 6px}a{color:#0645ad}
.lead{margin:4px 0 8px;color:#333}
.filters{display:flex;flex-wrap:wrap;gap:4px;margin:8px 0}
.filters button{border:1px solid #bbb;background:#f4f4f4;padding:3px 10px;border-radius:12px;cursor:pointer;font:inherit}
.filters button.active{background:#1d1d1f;color:#fff;border-color:#1d1d1f}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:6px}
.card{border:1px solid #d0d0d0;border-radius:4px;padding:6px;overflow:hidden}
.card img{display:block;max-width:100%;height:auto;margin-bottom:4px}
.card code{font-size:14px;word-break:break-all}
mark{background:#f9a8a8}
.k{color:#666;font-size:12px;overflow-wrap:anywhere}.k code{font-size:12px}
@media (max-width:600px){body{padding:10px 8px}.cards{grid-template-columns:repeat(auto-fill,minmax(160px,1fr))}}
.conf{font-variant-numeric:tabular-nums}
"""

FILTER_JS = """
(function(){
  var buttons=document.querySelectorAll('.filters button');
  buttons.forEach(function(b){b.addEventListener('click',function(){
    var v=b.getAttribute('data-version');
    buttons.forEach(function(o){o.classList.toggle('active',o===b);});
    document.querySelectorAll('.card').forEach(function(c){
      c.hidden=!(v===''||c.getAttribute('data-version')===v);});
  });});
})();
"""


def _count(n: int) -> str:
    return f"{n:,}"


def gallery_page(title: str, shown: Sequence[Sample], sources: Mapping[str, SampleSource], totals: Totals, *,
                 order: str = "worst", back: tuple[str, str] | None = None, note: str = "",
                 perturb: Perturb | None = None) -> tuple[str, int]:
    """The gallery's HTML and the number of thumbnails embedded. ``shown``: the samples chosen
    (:func:`select_wrong`); ``totals``: what they were chosen from, stated on the page; ``back``:
    (href, text) of a link above the title; ``perturb``: the record's corruption, applied to each
    thumbnail so it shows what the model read."""
    index: dict[str, dict[str, int]] = {name: {src.key(i): i for i in range(len(src))} for name, src in sources.items()}
    cards, thumbs = [], 0
    for s in shown:
        img = ""
        src = sources.get(s.dataset)
        i = index.get(s.dataset, {}).get(s.key)
        if src is not None and i is not None:
            try:
                img = (f'<img alt="{html.escape(s.key)}" loading="lazy" '
                       f'src="{thumbnail(src.read(i).image, perturb, s.key)}">')
                thumbs += 1
            except (SampleError, OSError):
                img = "<i>image unreadable</i>"
        lab, pred = marked(s.scored.label, s.scored.prediction)
        cards.append(
            f"<div class='card' data-version='{html.escape(s.dataset)}'>{img}"
            f"<div>label: <code>{_marked_html(lab)}</code></div><div>read: <code>{_marked_html(pred)}</code></div>"
            f"<div class='k'><span class='conf'>confidence {s.confidence:.2f}</span> · edit distance {s.distance}"
            f"</div><div class='k'>{html.escape(s.dataset)} · {html.escape(s.key)}</div>"
            f"<div class='k'>raw: <code>{html.escape(s.raw_label)}</code> → <code>{html.escape(s.raw_prediction)}"
            f"</code></div></div>")
    per_version = {v: sum(1 for s in shown if s.dataset == v) for v in totals.wrong}
    all_wrong, all_samples = sum(totals.wrong.values()), sum(totals.samples.values())
    buttons = [f"<button type='button' class='active' data-version=''>all versions: {_count(len(shown))} of "
               f"{_count(all_wrong)}</button>"]
    buttons += [f"<button type='button' data-version='{html.escape(v)}'>{html.escape(v)}: "
                f"{_count(per_version[v])} of {_count(totals.wrong[v])}</button>"
                for v in totals.wrong if totals.wrong[v]]
    link = f"<p><a href='{html.escape(back[0])}'>&larr; {html.escape(back[1])}</a></p>" if back else ""
    thumbs_note = "" if thumbs or not shown else " The images were not found, so no thumbnails are shown."
    lead = (f"<p class='lead'><b>{_count(len(shown))} of {_count(all_wrong)} wrong shown</b> "
            f"({_count(all_wrong)} wrong of {_count(all_samples)} scored samples in {len(totals.samples)} versions). "
            f"Chosen from every version in turn, within each version {html.escape(ORDERS.get(order, order))}. "
            f"Marked characters differ in the alignment of the normalised label and reading; confidence is the "
            f"model's own (0 to 1).{thumbs_note}{(' ' + html.escape(note)) if note else ''}</p>")
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{link}<h1>{html.escape(title)}</h1>{lead}"
            f"<div class='filters'>{''.join(buttons)}</div><div class='cards'>{''.join(cards)}</div>"
            f"<script>{FILTER_JS}</script></body></html>\n")
    return page, thumbs


def write_gallery(out_dir: Path, title: str, shown: Sequence[Sample], sources: Mapping[str, SampleSource],
                  totals: Totals | None = None, order: str = "worst", *, note: str = "",
                  perturb: Perturb | None = None) -> tuple[Path, int]:
    """Write ``out_dir/index.html``; return its path and the number of images embedded."""
    page, thumbs = gallery_page(title, shown, sources, totals or Totals.of(shown), order=order, note=note,
                                perturb=perturb)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path, thumbs


def open_sources(record: Mapping[str, Any], versions: Sequence[str], formats: Mapping[str, DatasetFormat],
                 data_root: Path | None) -> tuple[dict[str, SampleSource], list[str]]:
    """The sample sources of ``versions`` (for thumbnails) and a message per version whose images
    are not found. The caller closes the sources."""
    entries = {d["name"]: d for d in record.get("datasets", [])}
    sources, problems = {}, []
    for name in versions:
        if name not in entries:
            continue
        try:
            sources[name] = locate_source(entries[name], record, formats, data_root)
        except (DataError, OSError) as exc:
            problems.append(f"{exc}; the gallery shows no thumbnails for {name}")
    return sources, problems
