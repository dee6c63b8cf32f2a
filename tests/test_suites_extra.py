"""The suites beyond the standard six: found in the layouts of their public distributions,
listed by 'data suites', and 'data fetch' (downloads checked against a local server)."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest
from dataset_layouts import LABELS, lmdb_set, mmocr_json, tab_folder

from strbench.cli.main import main
from strbench.data.fetch import fetch_suite
from strbench.data.suite import BenchmarkSuite, DatasetVersion, Download, locate
from strbench.errors import DataError
from strbench.plugin.host import PluginHost


@pytest.fixture(scope="module")
def host():
    return PluginHost(autoload=False)


def build_root(root: Path) -> dict[tuple[str, str], str]:
    """One version of each suite in a layout its distribution uses; returns (suite, version) -> format."""
    mmocr_json(root / "Union14M-L" / "Union14M-Benchmarks" / "artistic")
    (root / "Union14M-L" / "Union14M-Benchmarks" / "artistic" / "textrecog_test.json").rename(
        root / "Union14M-L" / "Union14M-Benchmarks" / "artistic" / "annotation.json")
    lmdb_set(root / "u14m" / "curve")
    lmdb_set(root / "test" / "ArT")
    lmdb_set(root / "OST" / "weak")
    tab_folder(root / "WordArt")
    lmdb_set(root / "ltb")
    return {("union14m", "artistic"): "mmocr-json", ("union14m", "curve"): "lmdb", ("parseq-new", "ArT"): "lmdb",
            ("ost", "OST_weak"): "lmdb", ("wordart", "WordArt"): "folder", ("ltb", "LTB"): "lmdb"}


def test_each_suite_finds_its_layouts_and_checks_counts(host, tmp_path) -> None:
    expected = build_root(tmp_path)
    suites, formats = host.suites(), host.dataset_formats()
    for (suite, version), fmt in expected.items():
        loc = {x.version.name: x for x in locate(tmp_path, suites[suite], formats)}[version]
        assert (loc.format, loc.found, loc.status) == (fmt, len(LABELS), "count mismatch"), (suite, version)
    counts = {v.name: v.expected for v in suites["union14m"].versions}
    assert counts == {"curve": 2426, "multi_oriented": 1369, "artistic": 900, "contextless": 779, "salient": 1585,
                      "multi_words": 829, "general": 400000, "incomplete": None}
    assert [v.expected for v in suites["parseq-new"].versions] == [35149, 9825, 80551]
    assert [v.expected for v in suites["ost"].versions] == [2416, 2416]
    assert suites["wordart"].versions[0].expected == 1511 and suites["ltb"].versions[0].expected == 3376


def test_unpublished_count_is_reported_not_checked(host, tmp_path) -> None:
    lmdb_set(tmp_path / "u14m" / "incomplete")
    [loc] = [x for x in locate(tmp_path, host.suites()["union14m"], host.dataset_formats()) if x.path]
    assert loc.status == "ok" and "no published count" in loc.describe()


def test_data_suites_lists_every_suite_and_what_a_root_holds(tmp_path, capsys) -> None:
    build_root(tmp_path)
    assert main(["-q", "data", "suites", "--data-root", str(tmp_path), "--json"]) == 0
    listing = {s["suite"]: s for s in json.loads(capsys.readouterr().out)}
    assert {"standard", "union14m", "parseq-new", "ost", "wordart", "ltb"} <= set(listing)
    found = {f["version"]: f["status"] for f in listing["parseq-new"]["found"]}
    assert found == {"ArT": "count mismatch", "COCOv1.4": "missing", "Uber": "missing"}
    assert all(s["source"] for s in listing.values())


def test_run_suite_below_a_root(install_entry_point, tmp_path) -> None:
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")
    build_root(tmp_path / "root")
    assert main(["-q", "run", "--plugin", "dummy", "--workers", "0", "--data-root", str(tmp_path / "root"),
                 "--suite", "ost", "--results-dir", str(tmp_path / "r")]) == 0
    [path] = (tmp_path / "r").glob("*.json")
    record = json.loads(path.read_text())
    assert [d["name"] for d in record["datasets"]] == ["OST_weak"] and record["missing"] == ["OST_heavy"]


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def zip_of_lmdb(tmp_path: Path) -> bytes:
    src = lmdb_set(tmp_path / "src" / "ltb")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in src.iterdir():
            zf.write(f, f"ltb/{f.name}")
    return buf.getvalue()


def suite_with(url: str, sha: str | None) -> BenchmarkSuite:
    return BenchmarkSuite("ltb-test", "test", (DatasetVersion("LTB", "LTB", 6, ("ltb",)),),
                          source="a test server", downloads=(Download(url, "ltb.zip", sha),))


def test_fetch_downloads_checks_and_unpacks(server, tmp_path, host) -> None:
    served, base = server
    data = zip_of_lmdb(tmp_path)
    (served / "ltb.zip").write_bytes(data)
    dest = tmp_path / "data"
    files = fetch_suite(suite_with(f"{base}/ltb.zip", hashlib.sha256(data).hexdigest()), dest)
    assert files == [dest / "ltb.zip"]
    [loc] = locate(dest, suite_with("", None), host.dataset_formats())
    assert (loc.format, loc.found, loc.status) == ("lmdb", len(LABELS), "ok")


def test_fetch_refuses_a_wrong_checksum_and_an_unreachable_server(server, tmp_path) -> None:
    served, base = server
    (served / "ltb.zip").write_bytes(zip_of_lmdb(tmp_path))
    dest = tmp_path / "data"
    with pytest.raises(DataError, match="differs from the published"):
        fetch_suite(suite_with(f"{base}/ltb.zip", "0" * 64), dest)
    assert not list(dest.iterdir())
    with pytest.raises(DataError, match="Offline.*get the ltb-test data from: a test server"):
        fetch_suite(suite_with(f"{base}/missing.zip", None), dest)


def test_fetch_without_a_public_url_says_what_to_get_and_where(tmp_path, capsys) -> None:
    assert main(["-q", "data", "fetch", "union14m", "--to", str(tmp_path)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "Mountchicken/Union14M" in out and f"{tmp_path}/u14m/curve" in out
    assert main(["-q", "data", "fetch", "nope", "--to", str(tmp_path)]) != 0
