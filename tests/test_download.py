"""Tests for strbench.weights.download against a local HTTP server (with and without Range support)."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from strbench.errors import DataError, UsageError
from strbench.weights.download import cached_path, fetch

PAYLOAD = os.urandom(300_000)
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


class _Server:
    """Serves ``/file.bin``; records each request's Range header; can ignore Range."""

    def __init__(self) -> None:
        self.honour_range = True
        self.ranges: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.ranges.append(self.headers.get("Range"))
                if self.path != "/file.bin":
                    self.send_error(404)
                    return
                start = 0
                header = self.headers.get("Range")
                if header and server.honour_range:
                    start = int(header.removeprefix("bytes=").split("-")[0])
                    if start >= len(PAYLOAD):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(PAYLOAD) - start))
                self.end_headers()
                self.wfile.write(PAYLOAD[start:])

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/file.bin"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.close()


def test_fresh_download_then_cache_hit(server, tmp_path):
    path = fetch(server.url, sha256=DIGEST, cache_dir=tmp_path)
    assert path == tmp_path / "file.bin"
    assert path.read_bytes() == PAYLOAD
    assert server.ranges == [None]
    assert fetch(server.url, sha256=DIGEST.upper(), cache_dir=tmp_path) == path
    assert fetch(server.url, cache_dir=tmp_path) == path
    assert len(server.ranges) == 1  # served from the cache
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


def test_cache_dir_from_environment_and_filename(server, tmp_path, monkeypatch):
    monkeypatch.setenv("STRBENCH_CACHE", str(tmp_path / "env-cache"))
    path = fetch(server.url, filename="renamed.bin")
    assert path == tmp_path / "env-cache" / "renamed.bin"
    assert path.read_bytes() == PAYLOAD


def test_resumes_partial_file(server, tmp_path):
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:123_456])
    path = fetch(server.url, sha256=DIGEST, cache_dir=tmp_path)
    assert server.ranges == ["bytes=123456-"]
    assert path.read_bytes() == PAYLOAD
    assert not (tmp_path / "file.bin.part").exists()


def test_restarts_when_server_ignores_range(server, tmp_path):
    server.honour_range = False
    (tmp_path / "file.bin.part").write_bytes(b"stale bytes that must be discarded")
    path = fetch(server.url, sha256=DIGEST, cache_dir=tmp_path)
    assert server.ranges == ["bytes=34-"]
    assert path.read_bytes() == PAYLOAD


def test_restarts_when_range_is_not_satisfiable(server, tmp_path):
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD + b"extra")
    path = fetch(server.url, sha256=DIGEST, cache_dir=tmp_path)
    assert server.ranges == [f"bytes={len(PAYLOAD) + 5}-", None]
    assert path.read_bytes() == PAYLOAD


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    with pytest.raises(DataError, match=f"expected {'0' * 64}.*{tmp_path / 'file.bin'}"):
        fetch(server.url, sha256="0" * 64, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_cached_file_is_downloaded_again(server, tmp_path):
    (tmp_path / "file.bin").write_bytes(b"corrupt")
    path = fetch(server.url, sha256=DIGEST, cache_dir=tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert server.ranges == [None]


def test_unreachable_url_says_where_to_put_the_file(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/weights/model.safetensors"
    with pytest.raises(DataError) as info:
        fetch(url, sha256=DIGEST, cache_dir=tmp_path, timeout=5)
    message = str(info.value)
    assert url in message
    assert "refused" in message.lower()
    assert str(tmp_path / "model.safetensors") in message and DIGEST in message
    assert list(tmp_path.iterdir()) == []


def test_http_error(server, tmp_path):
    with pytest.raises(DataError, match="HTTP 404"):
        fetch(server.url.replace("file.bin", "missing.bin"), cache_dir=tmp_path)


def test_url_without_file_name(tmp_path):
    with pytest.raises(UsageError, match="filename"):
        cached_path("http://127.0.0.1/", cache_dir=tmp_path)


class _ReleaseAlgorithm:
    """Just enough of an Algorithm to resolve a release alias (conversion copies the bytes)."""

    def __init__(self, url: str) -> None:
        from strbench.plugin.algorithm import Algorithm
        from strbench.plugin.types import InputSpec, Variant
        from strbench.weights.releases import WeightsRelease

        outer = self

        class Algo(Algorithm):
            name, version, description, default_variant = "algo", "1", "test", "small"
            variants = {k: Variant(name=k, description=k, input_spec=InputSpec(height=32, max_width=100), charset="ab")
                        for k in ("small", "large")}
            weight_releases = {"Upstream": {"small": WeightsRelease(url, sha256=DIGEST, reported_accuracy="80%")}}

            def load(self, variant, weights, device="cpu", **options):
                raise NotImplementedError

            def import_weights(self, variant, source, dest):
                outer.conversions.append((variant, source))
                dest.write_bytes(source.read_bytes()[:10])
                return {}

        self.conversions: list = []
        self.algo = Algo()


def test_release_alias_downloads_converts_once_and_is_identified(server, tmp_path, monkeypatch):
    from strbench.weights.identity import describe_weights

    monkeypatch.setenv("STRBENCH_CACHE", str(tmp_path))
    fake = _ReleaseAlgorithm(server.url)
    path = fake.algo.resolve_weights("small", "upstream")
    assert path == tmp_path / "file.strbench.safetensors" and path.read_bytes() == PAYLOAD[:10]
    assert fake.algo.resolve_weights("small", "UPSTREAM") == path
    assert len(fake.conversions) == 1 and len(server.ranges) == 1  # downloaded and converted once
    desc = describe_weights(fake.algo, "small", path)
    assert desc["release"] == {"alias": "Upstream", "url": server.url, "sha256": DIGEST, "reported_accuracy": "80%"}
    with pytest.raises(UsageError, match="variant 'large' has no 'upstream' release; variants with one: small"):
        fake.algo.resolve_weights("large", "upstream")
    with pytest.raises(UsageError, match="weights file not found: nope .or one of the aliases: upstream"):
        fake.algo.resolve_weights("small", "nope")
