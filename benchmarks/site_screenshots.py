"""Screenshots of the ``strbench report`` site at desktop, laptop and phone widths.

    python benchmarks/site_screenshots.py                      # docs/img/site_{1440,1024,390}.png, ...
    python benchmarks/site_screenshots.py --index-only --name site_before   # the index only
    python benchmarks/site_screenshots.py --results-dir results --out-dir docs/img --widths 1440 1024 390

Builds the site from ``--results-dir`` into a temporary folder with ``strbench report`` (in a
separate process, as a user runs it) and photographs its index page at ``--widths``, and the record
page of the board's first row and its error gallery at ``--detail-widths`` (files
``NAME_record_WIDTH.png``, ``NAME_errors_WIDTH.png``), in headless Chromium
(``apt-get install chromium``). The window is tall so that the headline table and the plot are in the picture; nothing is fetched
from the network. Headless Chromium lays a page out at least 500 px wide whatever the window, so a
narrower width is photographed through an iframe of exactly that width (its own viewport: the page's
media queries apply) and the picture is cropped to it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEIGHTS = {1440: 1500, 1024: 1500, 390: 1700}  # tall enough for the tabs, the main table and its notes
MIN_WINDOW = 500  # headless Chromium's narrowest layout viewport
FRAME = ("<!doctype html><html><head><style>html,body{{margin:0;background:#fff}}"
         "iframe{{border:0;display:block;width:{width}px;height:{height}px}}</style></head>"
         "<body><iframe src=\"{src}\"></iframe></body></html>")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=4000"]


def find_browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium found: apt-get install -y chromium (Debian) and run again")


def build_site(results_dir: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "strbench.cli.main", "-q", "report", "--results-dir", str(results_dir),
                    "-o", str(out)], check=True)


def screenshot(browser: str, page: Path, png: Path, width: int, height: int) -> None:
    """``page`` at a viewport ``width`` CSS px wide, the first ``height`` px of it, as ``png``."""
    target, frame = page, None
    if width < MIN_WINDOW:
        frame = page.with_name(f"_frame_{width}_{page.name}")
        frame.write_text(FRAME.format(width=width, height=height, src=page.name), encoding="utf-8")
        target = frame
    png.unlink(missing_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="strbench-chromium-") as profile:
            subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                            f"--window-size={max(width, MIN_WINDOW)},{height}", f"--screenshot={png}",
                            target.as_uri()], check=True, capture_output=True, timeout=180)
    finally:
        if frame is not None:
            frame.unlink(missing_ok=True)
    if not png.is_file():
        raise SystemExit(f"Chromium wrote no screenshot for {page} at {width} px")
    from PIL import Image

    with Image.open(png) as im:
        picture = im.convert("RGB").crop((0, 0, width, height))
    picture.save(png, optimize=True)


def pages_of(site: Path) -> dict[str, Path]:
    """The pages photographed: the index, the record page of the board's first row and its error
    gallery (when the site has them)."""
    pages = {"": site / "index.html"}
    first = re.search(r'href="(records/[^"]+?)\.html"', pages[""].read_text(encoding="utf-8"))
    if first:
        record = site / f"{first.group(1)}.html"
        gallery = site / f"{first.group(1)}.errors.html"
        if record.is_file():
            pages["_record"] = record
        if gallery.is_file():
            pages["_errors"] = gallery
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results-dir", type=Path, default=REPO / "results")
    parser.add_argument("--out-dir", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("--name", default="site", help="file name stem: NAME_WIDTH.png (default: site)")
    parser.add_argument("--widths", type=int, nargs="+", default=[1440, 1024, 390], help="widths of the index")
    parser.add_argument("--detail-widths", type=int, nargs="+", default=[1024, 390],
                        help="widths of the record page and its error gallery")
    parser.add_argument("--index-only", action="store_true", help="photograph the index page only")
    parser.add_argument("--keep-site", type=Path, metavar="DIR", help="build the site here and keep it")
    args = parser.parse_args()
    browser = find_browser()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="strbench-site-") as tmp:
        site = args.keep_site or Path(tmp) / "site"
        build_site(args.results_dir, site)
        pages = pages_of(site)
        if args.index_only:
            pages = {"": pages[""]}
        for suffix, page in pages.items():
            for width in (args.widths if suffix == "" else args.detail_widths):
                png = args.out_dir / f"{args.name}{suffix}_{width}.png"
                screenshot(browser, page, png, width, HEIGHTS.get(width, 1500))
                print(png.relative_to(REPO) if png.is_relative_to(REPO) else png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
