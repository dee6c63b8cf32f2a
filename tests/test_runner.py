"""``run_benchmark`` as steps: the request is not changed, every source is opened once and closed,
the ONNX export's temporary folder is removed, hooks get the record's JSON form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import strbench
from strbench import ExportResult, Recognizer
from strbench.data.base import SampleSource
from strbench.data.folder import FolderFormat
from strbench.plugin.host import PluginHost
from strbench.run.runinfo import RunInfo
from strbench.run.runner import run_benchmark


@pytest.fixture
def dummy(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent / "plugins"))
    import dummy_plugin

    return dummy_plugin


def count_sources(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count opens and closes of folder-format sources (the embedded default set is one)."""
    counts = {"open": 0, "close": 0}
    real_open = FolderFormat.open

    def open_(self: FolderFormat, path: Path) -> SampleSource:
        source = real_open(self, path)
        counts["open"] += 1
        real_close = source.close

        def close() -> None:
            counts["close"] += 1
            real_close()

        source.close = close  # type: ignore[method-assign]
        return source

    monkeypatch.setattr(FolderFormat, "open", open_)
    return counts


def test_request_unchanged_and_each_source_opened_once_and_closed(dummy, monkeypatch, tmp_path) -> None:
    host = PluginHost(autoload=False, extra_plugins=[("dummy", dummy)])
    info = RunInfo(algorithm="dummy", workers=0, results_dir=tmp_path)
    counts = count_sources(monkeypatch)
    path, record = run_benchmark(host, info)
    assert info.variant is None and info.record_id == ""  # the caller's request is not changed
    assert record.variant == "base" and path.name == f"{record.id}.json"
    assert counts == {"open": 2, "close": 2}  # one open to count it when located, one for the run


class Exporting(strbench.Algorithm):
    """The dummy algorithm with an 'export' that writes a file and runs the eager recognizer."""

    def __init__(self, base: strbench.Algorithm, seen: list[Path]) -> None:
        self.base, self.seen = base, seen
        self.name, self.version, self.variants = "exporting", base.version, base.variants
        self.default_variant, self.capabilities = base.default_variant, base.capabilities

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        return self.base.load(variant, weights, device, **options)

    def export(self, recognizer: Recognizer, fmt: str, path: Path, check_batch: Any) -> ExportResult:
        assert check_batch is not None and len(check_batch) > 0
        path.write_bytes(b"model")
        self.seen.append(path)
        return ExportResult(str(path), fmt, checked_samples=len(check_batch))

    def load_exported(self, path: Path, fmt: str, variant: str, device: str = "cpu") -> Recognizer:
        assert path.read_bytes() == b"model"
        return self.base.load(variant, None, device)


def test_onnx_export_folder_is_removed_after_the_run(dummy, monkeypatch, tmp_path) -> None:
    seen: list[Path] = []

    class Plugin:
        @staticmethod
        @strbench.hookimpl
        def strbench_algorithms() -> list[strbench.Algorithm]:
            return [Exporting(dummy.DummyAlgorithm(), seen)]

    host = PluginHost(autoload=False, extra_plugins=[("exporting", Plugin)])
    counts = count_sources(monkeypatch)
    _, record = run_benchmark(host, RunInfo(algorithm="exporting", backend="onnx", workers=0, results_dir=tmp_path))
    (exported,) = seen
    assert record.weights.extra["onnx_export"]["path"] == str(exported)
    assert not exported.parent.exists()
    assert counts == {"open": 2, "close": 2}  # the export check reused the run's source


def test_event_hooks_get_the_records_json(dummy, tmp_path) -> None:
    got: dict[str, Any] = {}

    class Listener:
        @staticmethod
        @strbench.hookimpl
        def strbench_run_start(run: RunInfo) -> None:
            got["start"] = run

        @staticmethod
        @strbench.hookimpl
        def strbench_run_end(run: RunInfo, record: dict[str, Any]) -> None:
            got["end"] = record

        @staticmethod
        @strbench.hookimpl
        def strbench_result_written(path: Path, record: dict[str, Any]) -> None:
            got["written"] = (path, record)

    host = PluginHost(autoload=False, extra_plugins=[("dummy", dummy), ("listener", Listener)])
    path, record = run_benchmark(host, RunInfo(algorithm="dummy", workers=0, results_dir=tmp_path))
    assert got["start"].variant == "base"
    assert got["end"]["id"] == record.id and "predictions" not in got["end"]  # not yet written
    assert got["written"] == (path, record.to_json())
