"""``strbench report``: a static site that works from file:// — links resolve, nothing is fetched,
one leaderboard per protocol, the Pareto front, and (in a real headless browser) it fits 1,440 px
and sorts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from strbench.cli.main import main
from strbench.report.leaderboard import Row
from strbench.report.site.plot import pareto_front, plot_points

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.external: list[str] = []
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key):
                self.links.append(str(a[key]))
        if tag in ("script", "link", "img", "iframe") and re.match(r"(https?:)?//", str(a.get("src") or a.get("href") or "")):
            self.external.append(str(a.get("src") or a.get("href")))
        if tag == "section":
            self.sections.append(str(a.get("id")))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    assert main(["-q", "report", "--results-dir", str(RESULTS), "-o", str(out)]) == 0
    return out


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_link_resolves_and_nothing_is_fetched(site: Path) -> None:
    pages = [site / "index.html", *sorted((site / "records").glob("*.html"))]
    assert len(pages) > 10
    for page in pages:
        found = parse(page)
        assert not found.external, f"{page.name} fetches {found.external}"
        for link in found.links:
            target = (page.parent / link.split("#")[0]).resolve()
            assert target.is_file(), f"{page.name}: {link} does not resolve"


def test_index_has_a_tab_per_protocol_rows_linking_to_records_and_a_plot(site: Path) -> None:
    index = parse(site / "index.html")
    assert index.sections == ["p-cased62-2", "p-lower36-2"]
    records = [link for link in index.links if link.startswith("records/")]
    from strbench.report.leaderboard import collect

    rows = collect(RESULTS).rows
    assert rows and all(f"records/{row.record_id}.html" in records for row in rows)  # every row links its record
    assert any(link.startswith("plots/speed_accuracy_cpu") for link in index.links)
    text = (site / "index.html").read_text()
    assert 'class="best"' in text and "UNTRAINED" in text


def test_record_page_shows_versions_weights_environment_and_perf(site: Path) -> None:
    page = next((site / "records").glob("*ppocr-onnx_v6-tiny*perf-suite.html")).read_text()
    for part in ("Per version", "IIIT5k_3000", "Weights", "Environment", "Stages at batch 1", "Batch sweep",
                 "model_and_decode"):
        assert part in page


def _row(name: str, speed: float, acc: float, trained: bool = True) -> Row:
    return Row(key=(name,), record_id=name, algorithm=name, variant="v", weights="w", trained=trained,
               protocol="lower36@1", backend="torch", precision="fp32", params=None, accuracy={}, evaluated={},
               group_weighted=acc, group_mean=acc, group_complete=True,
               perf={"img/s (best bs)": speed, "perf device": "cpu (x, 2 threads)"})


def test_pareto_front_and_untrained_rows_out_of_the_plot() -> None:
    rows = [_row("fast", 400, 70), _row("slow-good", 80, 90), _row("dominated", 70, 60), _row("mid", 200, 80),
            _row("untrained", 500, 0, trained=False)]
    (points, untrained), = plot_points(rows, "lower36").values()
    assert [r.algorithm for r in untrained] == ["untrained"]
    assert "untrained" not in [p[0].algorithm for p in points]
    assert [p[0].algorithm for p in pareto_front(points)] == ["fast", "mid", "slow-good"]


CHECK = """<script>
window.addEventListener('load', function () {
  var out = {docWidth: document.documentElement.scrollWidth, viewport: window.innerWidth, overflow: [], sorts: []};
  document.querySelectorAll('.tabs button').forEach(function (tab) {
    tab.click();
    document.querySelectorAll('.wrap').forEach(function (w) {
      if (w.offsetParent !== null && w.scrollWidth > w.clientWidth) { out.overflow.push(w.firstChild.id); }
    });
    out.docWidth = Math.max(out.docWidth, document.documentElement.scrollWidth);
  });
  var table = document.querySelector('section.protocol:not([hidden]) table');
  var heads = table.querySelectorAll('thead th'); var col = heads.length - 2;
  function column() { return Array.prototype.map.call(table.tBodies[0].rows,
                                                      function (r) { return r.cells[col].textContent; }); }
  heads[col].click(); out.sorts.push(column()); heads[col].click(); out.sorts.push(column());
  var pre = document.createElement('pre'); pre.id = 'check'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def test_in_a_headless_browser_it_fits_1440px_and_sorts(site: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium); the link and structure "
                    "tests above still run")
    page = site / "index-check.html"
    page.write_text((site / "index.html").read_text().replace("</body>", CHECK + "</body>"))
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1440,900",
                          "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="check">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["viewport"] == 1440
    assert result["docWidth"] <= 1440 and result["overflow"] == []
    ascending, descending = ([float(v) for v in values if v != "-"] for values in result["sorts"])
    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert len(ascending) >= 4 and ascending != descending
