"""``strbench report``: a static site that works from file:// — links resolve, nothing is fetched,
one leaderboard per protocol opening on lower36, every accuracy cell with the interval its record
stores, label-limited cells never best, readable record pages, stratified error galleries, and (in a
real headless browser) the headline average in view at 1,440, 1,024 and 390 px."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from strbench.cli.main import main
from strbench.report import leaderboard as lb
from strbench.report.error_analysis import Sample
from strbench.report.gallery import Totals, gallery_page, select_wrong
from strbench.report.leaderboard import Row
from strbench.report.site import pages
from strbench.report.site.command import reproduce
from strbench.report.site.html import readable
from strbench.report.site.plot import pareto_front, plot_points
from strbench.run.metrics import Scored

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.external: list[str] = []
        self.sections: list[tuple[str, bool]] = []  # (id, hidden)
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("href", "src", "srcset"):
            if a.get(key) and not str(a[key]).startswith("data:"):
                self.links.append(str(a[key]))
        if tag in ("script", "link", "img", "iframe", "source") and re.match(
                r"(https?:)?//", str(a.get("src") or a.get("href") or a.get("srcset") or "")):
            self.external.append(str(a.get("src") or a.get("href")))
        if tag == "section":
            self.sections.append((str(a.get("id")), "hidden" in a))
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    assert main(["-q", "report", "--results-dir", str(RESULTS), "-o", str(out), "--gallery-size", "60"]) == 0
    return out


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def visible_text(page: str) -> str:
    """The text a reader sees: no style, no script, no tags, entities decoded."""
    page = re.sub(r"<(style|script)>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def records_json() -> dict[str, dict[str, Any]]:
    out = {}
    for path in RESULTS.rglob("*.json"):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "id" in data and "schema" in data:
            out[data["id"]] = data
    return out


def row_html(index: str, record_id: str, section: str) -> str:
    """The ``<tr>`` of ``record_id`` in a protocol's section of the index."""
    start = index.index(f'id="{section}"')
    body = index[start:index.index("</section>", start)]
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", body, re.S) if f"records/{record_id}.html" in r)
    return row


@pytest.mark.slow
def test_every_link_resolves_and_nothing_is_fetched(site: Path) -> None:
    pages_ = [site / "index.html", *sorted((site / "records").glob("*.html"))]
    assert len(pages_) > 20
    for page in pages_:
        found = parse(page)
        assert not found.external, f"{page.name} fetches {found.external}"
        for link in found.links:
            target = (page.parent / link.split("#")[0]).resolve()
            assert target.is_file(), f"{page.name}: {link} does not resolve"


def test_index_opens_on_lower36_and_every_row_links_its_record(site: Path) -> None:
    index = parse(site / "index.html")
    ids = [ident for ident, _ in index.sections]
    assert ids[0] == "p-lower36-2" and "p-cased62-2" in ids
    assert [ident for ident, hidden in index.sections if not hidden] == ["p-lower36-2"]  # shown without script
    text = (site / "index.html").read_text()
    assert re.search(r'data-tab="p-lower36-2" class=active', text)
    rows = lb.collect(RESULTS, include_untrained=True).rows
    assert rows and all(f"records/{row.record_id}.html" in index.links for row in rows)
    assert any(link.startswith("plots/speed_accuracy_cpu") for link in index.links)
    assert 'class="acc s3 best"' in text and "UNTRAINED" in text and 'id="trained-only" checked' in text


def test_a_cell_carries_the_interval_its_record_stores(site: Path) -> None:
    index = (site / "index.html").read_text()
    board = lb.collect(RESULTS)
    row = next(r for r in board.rows if r.protocol.startswith("lower36") and r.trained)
    record = records_json()[row.record_id]
    tr = row_html(index, row.record_id, "p-lower36-2")
    for version in ("IIIT5k_3000", "CUTE80_288"):
        low, high = record["intervals"]["datasets"][version]["word_accuracy"]
        assert f"95% interval {low:.2f}–{high:.2f}" in tr  # on hover
        assert f"±{(high - low) / 2:.2f}" in tr  # and visible, for phones
    low, high = record["intervals"]["groups"]["benchmark"]["weighted"]["word_accuracy"]
    value = record["summary"]["groups"]["benchmark"]["weighted"]["word_accuracy"]
    headline = re.search(r'<td class="acc s3[^"]*"[^>]*>.*?</td>', tr, re.S)
    assert headline and f"{value:.2f}" in headline.group() and f"95% interval {low:.2f}–{high:.2f}" in headline.group()


def test_label_limited_cells_are_grey_and_never_best(site: Path) -> None:
    index = (site / "index.html").read_text()
    start = index.index('id="p-cased62-2"')
    section = index[start:index.index("</section>", start)]
    limited = re.findall(r'<td class="([^"]*\blimited\b[^"]*)"', section)
    assert len(limited) >= 4 and not any("best" in c for c in limited)
    assert 'class="acc best"' in section  # other versions still mark their best

    def row(name: str, svt: float, cased: bool) -> Row:
        return Row(key=(name,), record_id=name, algorithm=name, variant="v", weights="w", trained=True,
                   protocol="cased62@2", backend="torch", precision="fp32", params=None,
                   accuracy={"SVT_647": svt, "IIIT5k_3000": 50.0}, evaluated={}, group_weighted=50.0,
                   group_mean=50.0, group_complete=True, cased=cased)
    layout = lb.Layout(order=("IIIT5k_3000", "SVT_647"),
                       case_notes=(("SVT_647", "upper-case labels: cased scores measure the labels, not the model"),))
    table = pages.accuracy_table([row("a", 99.0, True), row("b", 10.0, True)], layout, "benchmark", "t")
    svt_cells = re.findall(r'<td class="([^"]*)"[^>]*><span class="v">(?:99|10)\.00', table)
    assert svt_cells and all("limited" in c and "best" not in c for c in svt_cells)


def test_record_page_title_headline_and_no_reprs(site: Path) -> None:
    records = records_json()
    rid = next(r.record_id for r in lb.collect(RESULTS).rows
               if r.algorithm == "rare" and r.backend == "onnx" and r.precision == "int8")
    record = records[rid]
    path = site / "records" / f"{rid}.html"
    value = record["summary"]["groups"]["benchmark"]["weighted"]["word_accuracy"]
    expected = f"RARE mv3 onnx/int8 · lower36 · {value:.2f}% · {record['created'][:10]}"
    assert parse(path).title == expected
    text = visible_text(path.read_text())
    assert text.index(f"{value:.2f}%") < text.index("Per version") < text.index("Incomplete groups")
    for repr_ in (r"\bNone\b", r"\bFalse\b", r"\bTrue\b", r"\{['\"]", r"\[['\"]", r"\['?\w+'?, "):
        assert not re.search(repr_, text), f"{repr_} on the page of {rid}"
    assert "strbench run --algorithm rare --variant mv3" in text and "--precision int8" in text
    assert f"{rid}.errors.html" in path.read_text() and "error gallery" in text


def test_perf_record_page_says_what_it_measured(site: Path) -> None:
    rid = next(r.perf_record for r in lb.collect(RESULTS).rows if r.perf_record)
    text = visible_text((site / "records" / f"{rid}.html").read_text())
    assert "What this record measured" in text and "throughput sweep over batch sizes" in text
    assert "img/s" in parse(site / "records" / f"{rid}.html").title
    assert "Subset: only the first" in text and "kind: accuracy" not in text and "strbench bench" in text


def test_site_gallery_samples_every_version_with_true_totals(site: Path) -> None:
    records = records_json()
    rid = next(r.record_id for r in lb.collect(RESULTS).rows if r.algorithm == "rare" and r.precision == "int8")
    record = records[rid]
    group = record["summary"]["groups"]["benchmark"]["datasets"]
    entries = {d["name"]: d for d in record["datasets"]}
    wrong = sum(round(entries[v]["evaluated"] * (1 - entries[v]["metrics"]["word_accuracy"] / 100)) for v in group)
    page = (site / "records" / f"{rid}.errors.html").read_text()
    assert f"60 of {wrong:,} wrong shown" in page
    cards = re.findall(r"class='card' data-version='([^']+)'", page)
    assert set(cards) == set(group) and all(cards.count(v) == 10 for v in group)
    assert re.search(r"confidence \d\.\d\d", page)


def _sample(version: str, key: str, label: str, prediction: str, confidence: float) -> Sample:
    return Sample(version, key, label, prediction, Scored(label, prediction, confidence))


def test_gallery_selection_is_stratified_worst_first_and_states_totals() -> None:
    samples = [_sample("A", f"a{i}", "word", "ward" if i % 2 else "word", 0.9 - i / 100) for i in range(40)]
    samples += [_sample("B", "b0", "word", "", 0.5), _sample("B", "b1", "word", "wore", 0.1),
                _sample("B", "b2", "word", "word", 0.9)]
    chosen = select_wrong(samples, 5)
    assert [s.dataset for s in chosen] == ["A", "B", "A", "B", "A"]  # every version, in turn
    assert [s.key for s in chosen if s.dataset == "B"] == ["b0", "b1"]  # largest edit distance first
    assert [s.key for s in chosen if s.dataset == "A"] == ["a39", "a37", "a35"]  # then lowest confidence
    page, _ = gallery_page("t", chosen, {}, Totals.of(samples))
    assert "5 of 22 wrong shown" in page and "A: 3 of 20" in page and "B: 2 of 2" in page
    assert "confidence 0.10" in page


def test_readable_values_and_the_reproducing_command() -> None:
    assert readable(False) == "no" and readable(None) == "—" and readable(["a", 1]) == "a, 1"
    nested = readable({"git": {"commit": "abc", "dirty": True}, "flags": []})
    assert "dirty</b>: yes" in nested and "{" not in nested and "flags</b>: —" in nested
    record = {"protocol": {"key": "cased62@2", "id": "cased62"}, "rescored_from": {"id": "R1"},
              "command": {"options": {"algorithm": "a", "variant": "v", "weights": None, "batch_size": 64,
                                      "protocol": None, "limit": 100, "perf": False}}}
    assert reproduce(record) == ["strbench run --algorithm a --variant v --limit 100",
                                 "strbench rescore results/R1.json --protocol cased62 --write"]


def _row(name: str, speed: float, acc: float, trained: bool = True) -> Row:
    return Row(key=(name,), record_id=name, algorithm=name, variant="v", weights="w", trained=trained,
               protocol="lower36@1", backend="torch", precision="fp32", params=None, accuracy={}, evaluated={},
               group_weighted=acc, group_mean=acc, group_complete=True,
               perf={"img/s (best bs)": speed, "perf device": "cpu (x, 2 threads)"},
               intervals={lb.GROUP_W: [acc - 1.0, acc + 2.0]})


def test_pareto_front_and_untrained_rows_out_of_the_plot() -> None:
    rows = [_row("fast", 400, 70), _row("slow-good", 80, 90), _row("dominated", 70, 60), _row("mid", 200, 80),
            _row("untrained", 500, 0, trained=False)]
    (points, untrained), = plot_points(rows, "lower36").values()
    assert [r.algorithm for r in untrained] == ["untrained"]
    assert "untrained" not in [p[0].algorithm for p in points]
    assert [p[0].algorithm for p in pareto_front(points)] == ["fast", "mid", "slow-good"]


def test_plot_ticks_are_plain_numbers_with_interval_error_bars() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from strbench.report.plots import accuracy_error, plain_log_axis, speed_accuracy_png

    ax = Figure().subplots()
    plain_log_axis(ax)
    assert [ax.xaxis.get_major_formatter()(v, 0) for v in (20.0, 200.0, 2000.0)] == ["20", "200", "2,000"]
    assert accuracy_error(_row("a", 10, 70), 70.0) == (1.0, 2.0)
    rows = [_row("a", 10, 70), _row("b", 20, 60), _row("u", 30, 1, trained=False)]
    assert speed_accuracy_png(rows, "benchmark") is not None
    assert speed_accuracy_png([rows[2]], "benchmark") is None  # an untrained row alone: nothing to plot


CHECK = """<script>
window.addEventListener('load', function () {
  var out = {viewport: window.innerWidth, docWidth: document.documentElement.scrollWidth, sorts: []};
  var section = document.querySelector('section.protocol:not([hidden])');
  out.shown = section.id;
  var wrap = section.querySelector('.wrap');
  function right(el) { return el.getBoundingClientRect().right; }
  var head = section.querySelector('td.s3');
  out.headlineRight = right(head);
  wrap.scrollLeft = wrap.scrollWidth;  // the per-version columns scroll; the headline stays
  out.headlineRightScrolled = right(head);
  out.headlineLeftScrolled = head.getBoundingClientRect().left;
  out.wrapRight = right(wrap);
  out.untrainedShown = Array.prototype.filter.call(section.querySelectorAll('tr.untrained'),
                                                   function (r) { return r.offsetParent !== null; }).length;
  wrap.scrollLeft = 0;
  var table = section.querySelector('table');
  var heads = table.querySelectorAll('thead th');
  function column() { return Array.prototype.map.call(table.tBodies[0].rows, function (r) {
    return r.offsetParent === null ? null : r.cells[2].getAttribute('data-v'); }).filter(function (v) {
    return v !== null; }); }
  heads[2].click(); out.sorts.push(column()); heads[2].click(); out.sorts.push(column());
  parent.postMessage(JSON.stringify(out), '*');
});
</script>"""
# headless Chromium lays pages out at least 500 px wide: the page runs in an iframe of the exact width
FRAME = """<!doctype html><html><head><style>body{margin:0}iframe{border:0;width:%dpx;height:900px}</style></head>
<body><iframe src="%s"></iframe><script>
window.addEventListener('message', function (e) {
  var pre = document.createElement('pre'); pre.id = 'check'; pre.textContent = e.data; document.body.appendChild(pre);
});
</script></body></html>"""


@pytest.mark.parametrize("width", [1440, 1024, 390])
def test_in_a_headless_browser_the_headline_stays_in_view(site: Path, tmp_path: Path, width: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium); the link and structure "
                    "tests above still run")
    page = site / f"index-check-{width}.html"
    page.write_text((site / "index.html").read_text().replace("</body>", CHECK + "</body>"))
    frame = site / f"frame-{width}.html"
    frame.write_text(FRAME % (width, page.name))
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          "--disable-quic", "--no-first-run", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={max(width, 500)},900",
                          "--virtual-time-budget=5000", "--dump-dom", frame.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    page.unlink()
    frame.unlink()
    found = re.search(r'<pre id="check">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    result = json.loads(html.unescape(found.group(1)))
    assert result["viewport"] == width and result["shown"] == "p-lower36-2"
    assert result["docWidth"] <= width  # only the table box scrolls, never the page
    assert result["headlineRight"] <= width and result["headlineRightScrolled"] <= result["wrapRight"] + 1
    assert result["headlineLeftScrolled"] >= 0 and result["untrainedShown"] == 0
    ascending, descending = ([float(v) for v in values if v] for values in result["sorts"])
    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert len(ascending) >= 4 and ascending != descending


def test_record_page_shows_calibration_or_says_why_not(site: Path) -> None:
    records = records_json()
    rid = next(r.record_id for r in lb.collect(RESULTS).rows
               if r.algorithm == "rare" and r.backend == "torch" and r.precision == "fp32")
    entry = records[rid]["calibration"]["groups"]["benchmark"]
    page = (site / "records" / f"{rid}.html").read_text()
    text = visible_text(page)
    assert "Confidence calibration" in text and f"{entry['ece']:.2f}" in text and f"{entry['e_aurc']:.2f}" in text
    assert text.index("Per version") < text.index("Confidence calibration") < text.index("Reproduce")
    images = re.findall(r'<img src="(img/[^"]+_(?:reliability|risk_coverage)\.png)"', page)
    assert len(images) == 2 and all((site / "records" / src).is_file() for src in images)
    flat = {**records[rid], "calibration": {"groups": {"benchmark": {
        "informative": False, "samples": 10, "accuracy": 50.0, "reason": "every confidence is 1.0"}}}}
    flat_text = visible_text(pages.record_page(flat))
    assert "not informative: every confidence is 1.0" in flat_text and "ECE %" in flat_text


def test_a_perturbed_record_page_says_so() -> None:
    record = next(r for r in records_json().values() if r.get("kind") == "accuracy" and r.get("summary"))
    perturbed = {**record, "data": {**record["data"], "perturbation": {
        "name": "blur", "severity": 2, "seed": 0, "level": 1.5, "unit": "px sigma", "description": "Gaussian blur"}}}
    text = visible_text(pages.record_page(perturbed))
    assert "Perturbed input: every image went through blur at severity 2 (1.5 px sigma): Gaussian blur" in text


def test_index_shows_robustness_apart_from_the_clean_board(site: Path) -> None:
    from strbench.report import robustness as rb

    quick = rb.PRESETS["quick"]
    models = rb.find_runs(RESULTS / "robustness", quick)
    if not models:
        pytest.skip("no robustness runs committed under results/robustness")
    index = (site / "index.html").read_text()
    text = visible_text(index)
    assert "Robustness to corruptions" in text and quick.describe() in text
    section = index[index.index("Robustness to corruptions"):]
    for model in models:
        assert model.label in section
        assert (site / "plots" / f"robustness_{model.slug}_{quick.name}.png").is_file()
    board = index[:index.index("Robustness to corruptions")]
    assert "_robustness-quick_" not in board  # no perturbed record is a board row
