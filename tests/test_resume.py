"""An interrupted multi-dataset ``strbench run`` resumes: finished versions are kept, not recomputed,
and the record equals an uninterrupted run's."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from strbench.cli.main import main

TESTS = Path(__file__).resolve().parent
DEFAULT_SET = TESTS.parent / "harness" / "strbench" / "data" / "default_set"
VERSIONS = {"IIIT5K_3000": range(1, 6), "SVT": range(6, 10), "IC13_857": range(10, 13)}  # folder -> images


@pytest.fixture
def dummy(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(TESTS / "plugins"))
    monkeypatch.setenv("STRBENCH_DISABLE_PLUGIN_AUTOLOAD", "1")
    import dummy_plugin

    return dummy_plugin


def data_root(root: Path) -> Path:
    for folder, images in VERSIONS.items():
        (root / folder / "images").mkdir(parents=True)
        lines = []
        for i in images:
            shutil.copy(DEFAULT_SET / "images" / f"word_{i:04d}.png", root / folder / "images" / f"{i}.png")
            lines.append(f"images/{i}.png\tw{i}")
        (root / folder / "gt.txt").write_text("\n".join(lines) + "\n")
    return root


def run(root: Path, results: Path, *extra: str) -> int:
    return main(["-q", "-p", "dummy_plugin", "run", "--plugin", "dummy", "--data-root", str(root), "--datasets",
                 "IIIT5k_3000", "SVT_647", "IC13_857", "--workers", "0", "--results-dir", str(results), *extra])


def records(results: Path) -> list[Path]:
    return [p for p in results.glob("*.json") if not p.name.startswith(".")]


def comparable(path: Path) -> dict[str, Any]:
    record = json.loads(path.read_text())
    for key in ("id", "created", "timing", "environment", "predictions"):
        record.pop(key)
    for entry in record["datasets"]:
        entry.pop("seconds")
    record["command"]["options"].pop("record_id")
    return record


def test_an_interrupted_run_resumes_and_writes_the_same_record(dummy, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = data_root(tmp_path / "data")
    assert run(root, tmp_path / "whole") == 0
    (whole,) = records(tmp_path / "whole")

    calls: list[int] = []
    real_decode = dummy.DigestRecognizer.decode

    def counting_decode(self, outputs, batch):  # interrupt during the third version
        calls.append(len(batch))
        if len(calls) == 3 and not getattr(sys, "_resumed", False):
            raise KeyboardInterrupt
        return real_decode(self, outputs, batch)

    monkeypatch.setattr(dummy.DigestRecognizer, "decode", counting_decode)
    results = tmp_path / "interrupted"
    assert run(root, results) == 130
    assert not records(results) and len(list(results.glob(".resume-*.json"))) == 1

    calls.clear()
    monkeypatch.setattr(sys, "_resumed", True, raising=False)
    assert run(root, results) == 0
    assert calls == [3]  # only IC13_857 was predicted again; IIIT5k_3000 and SVT_647 were kept
    (resumed,) = records(results)
    assert comparable(resumed) == comparable(whole)
    assert not list(results.glob(".resume-*"))  # the state is gone with the record written


def test_fresh_recomputes_and_a_changed_configuration_does_not_resume(dummy, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = data_root(tmp_path / "data")
    calls: list[int] = []
    real_decode = dummy.DigestRecognizer.decode

    def interrupting_decode(self, outputs, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_decode(self, outputs, batch)

    monkeypatch.setattr(dummy.DigestRecognizer, "decode", interrupting_decode)
    results = tmp_path / "results"
    assert run(root, results) == 130
    monkeypatch.setattr(dummy.DigestRecognizer, "decode", lambda self, o, b: (calls.append(len(b)),
                                                                              real_decode(self, o, b))[1])
    (state,) = results.glob(".resume-*.json")
    calls.clear()
    assert run(root, results, "--batch-size", "2") == 0  # another configuration: nothing reused
    assert sum(calls) == 12 and state.exists()
    calls.clear()
    assert run(root, results, "--fresh") == 0  # the interrupted configuration, recomputed in full
    assert sum(calls) == 12 and not state.exists()


def test_the_state_is_appended_batch_by_batch_and_a_torn_last_line_is_cut_off(dummy, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = data_root(tmp_path / "data")
    assert run(root, tmp_path / "whole", "--batch-size", "2") == 0
    (whole,) = records(tmp_path / "whole")
    calls: list[int] = []
    real_decode = dummy.DigestRecognizer.decode

    def interrupting_decode(self, outputs, batch):  # interrupt in the second version's second batch
        calls.append(len(batch))
        if len(calls) == 5 and not getattr(sys, "_resumed", False):
            raise KeyboardInterrupt
        return real_decode(self, outputs, batch)

    monkeypatch.setattr(dummy.DigestRecognizer, "decode", interrupting_decode)
    results = tmp_path / "results"
    assert run(root, results, "--batch-size", "2") == 130
    (state,) = results.glob(".resume-*.json")
    lines = [json.loads(line) for line in state.read_text().splitlines()]
    assert lines[0]["schema"] == "strbench.resume/2"
    assert [next(iter(entry)) for entry in lines[1:]] == ["start", "v", "v", "v", "done", "start", "v"]
    assert [len(entry["rows"]) for entry in lines[1:] if "v" in entry] == [2, 2, 1, 2]
    with open(state, "a", encoding="utf-8") as fh:
        fh.write('{"v": "SVT", "rows": [{"key"')  # a write cut short
    calls.clear()
    monkeypatch.setattr(sys, "_resumed", True, raising=False)
    assert run(root, results, "--batch-size", "2") == 0
    assert sum(calls) == 7  # IIIT5k_3000 kept; SVT (4) and IC13_857 (3) predicted
    (resumed,) = records(results)
    assert comparable(resumed) == comparable(whole)
    assert not list(results.glob(".resume-*"))
