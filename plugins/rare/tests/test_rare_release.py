"""``--weights paddle`` end to end: the release is served by a local HTTP server (the committed
Paddle-saved fixture archive standing in for PaddleOCR's tar), downloaded with its checksum,
converted once, identified in the record and reproduces Paddle's outputs."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch

from strbench import Batch, WeightsRelease, describe_weights, sha256_file
from strbench.testing import run_cli as main
from strbench_rare.algorithm import RareAlgorithm
from strbench_rare.weights import PADDLE_RELEASES

FIXTURES = Path(__file__).parent / "fixtures"
ARCHIVE = FIXTURES / "rare_mv3_random.tar.gz"
TOLERANCE = 5e-4  # test_rare_paddle_parity.TOLERANCE: end to end against Paddle, across CPUs


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fixture_server() -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(FIXTURES))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_declares_both_paddle_releases() -> None:
    releases = RareAlgorithm.weight_releases["paddle"]
    assert set(releases) == {"mv3", "r34"}
    assert releases["mv3"].filename == "rec_mv3_tps_bilstm_att_v2.0_train.tar"
    assert releases["r34"].filename == "rec_r34_vd_tps_bilstm_att_v2.0_train.tar"
    assert (releases["mv3"].reported_accuracy, releases["r34"].reported_accuracy) == ("82.50%", "83.60%")
    assert PADDLE_RELEASES is releases


def test_paddle_alias_downloads_converts_and_reproduces(fixture_server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STRBENCH_CACHE", str(tmp_path / "cache"))
    release = WeightsRelease(f"{fixture_server}/{ARCHIVE.name}", sha256=sha256_file(ARCHIVE), reported_accuracy="x%")
    monkeypatch.setattr(RareAlgorithm, "weight_releases", {"paddle": {"mv3": release}})
    algo = RareAlgorithm()

    path = algo.resolve_weights("mv3", "PADDLE")
    assert path == release.converted_path() and path.is_file()
    mtime = path.stat().st_mtime_ns
    assert algo.resolve_weights("mv3", "paddle") == path and path.stat().st_mtime_ns == mtime  # converted once

    desc = describe_weights(algo, "mv3", path)
    assert desc["release"]["alias"] == "paddle" and desc["release"]["url"] == release.url

    meta = json.loads((FIXTURES / "rare_mv3_random_outputs.json").read_text())
    with np.load(FIXTURES / "rare_mv3_random_outputs.npz") as data:
        inputs, paddle_probs = data["inputs"], data["probs"]
    recognizer = algo.load("mv3", path, "cpu")
    batch = Batch(keys=meta["images"], images=torch.from_numpy(inputs))
    probs = recognizer.forward(batch)
    assert float((probs - torch.from_numpy(paddle_probs)).abs().max()) < TOLERANCE
    assert [p.text for p in recognizer.decode(probs, batch)] == meta["texts"]


def test_paddle_alias_for_variant_without_release_is_a_usage_error(monkeypatch, capsys) -> None:
    monkeypatch.setattr(RareAlgorithm, "weight_releases", {"paddle": {"mv3": PADDLE_RELEASES["mv3"]}})
    image = FIXTURES / "word_0_rare.png"
    assert main(["-q", "infer", "--plugin", "rare", "--backbone", "r34", "--weights", "paddle", str(image)]) != 0
    assert "has no 'paddle' release" in capsys.readouterr().err


def test_releases_listing_names_every_algorithm_release(capsys) -> None:
    assert main(["weights", "releases", "--json"]) == 0
    rows = {(r["algorithm"], r["variant"], r["alias"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows[("rare", "mv3", "paddle")]["url"].endswith("/rec_mv3_tps_bilstm_att_v2.0_train.tar")
    assert rows[("rare", "r34", "paddle")]["url"].endswith("/rec_r34_vd_tps_bilstm_att_v2.0_train.tar")
    assert rows[("robustscanner", "r31", "paddle")]["url"].endswith("/rec_r31_robustscanner.tar")
    assert rows[("robustscanner", "r31", "paddle")]["reported_accuracy"] == "87.77%"
