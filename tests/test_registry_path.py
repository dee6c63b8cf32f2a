"""One registry path: a protocol, a metric, a dataset format and a suite registered by a plugin
work in every command (run, train validation, rescore, export checks, data tools), because the
core resolves them only through the plugin host."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from strbench.cli.main import main

TEST_PLUGINS = Path(__file__).resolve().parent / "plugins"
LABELS = ["apple", "Bee", "cat", "dog", "axe", "bob"]


@pytest.fixture
def words_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data root holding the test suite's one version, in the plugin's ``words`` format."""
    monkeypatch.syspath_prepend(str(TEST_PLUGINS))
    monkeypatch.setenv("STRBENCH_DISABLE_PLUGIN_AUTOLOAD", "1")
    folder = tmp_path / "data" / "tiny"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(len(LABELS)):
        Image.fromarray(rng.integers(0, 255, (10, 20, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    (folder / "words.json").write_text(json.dumps([[f"{i}.png", label] for i, label in enumerate(LABELS)]))
    return tmp_path / "data"


def _run(tmp_path: Path, root: Path, *extra: str) -> dict:
    results = tmp_path / "results"
    code = main(["-q", "-p", "registry_plugin", "run", "--plugin", "tiny-trainable", "--data-root", str(root),
                 "--suite", "words-suite", "--workers", "0", "--results-dir", str(results), *extra])
    assert code == 0
    (path,) = [p for p in results.glob("*.json")]
    return json.loads(path.read_text())


def test_run_uses_the_plugin_format_suite_protocol_and_metric(tmp_path, words_root):
    record = _run(tmp_path, words_root, "--protocol", "first-char")
    (entry,) = record["datasets"]
    assert entry["format"] == "words" and entry["evaluated"] == len(LABELS)
    assert record["protocol"]["key"] == "first-char@1"
    assert "length_ratio" in entry["metrics"]
    # predictions are a doubled letter: under first-char only that letter is compared
    assert entry["metrics"]["length_ratio"] == pytest.approx(100 * 6 / 6)


def test_rescore_under_the_plugin_protocol(tmp_path, words_root, capsys):
    record = _run(tmp_path, words_root)
    assert record["protocol"]["key"] == "lower36@2"
    path = next((tmp_path / "results").glob("*.json"))
    assert main(["-q", "-p", "registry_plugin", "rescore", str(path), "--protocol", "first-char", "--write"]) == 0
    rescored = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*rescored*.json")]
    assert rescored and rescored[0]["protocol"]["key"] == "first-char@1"
    # without the plugin the protocol is unknown: there is no second registry to fall back to
    assert main(["-q", "rescore", str(path), "--protocol", "first-char"]) == 2


def test_train_validates_under_the_plugin_protocol_on_the_plugin_format(tmp_path, words_root):
    data = str(words_root / "tiny")
    out = tmp_path / "run"
    code = main(["-q", "-p", "registry_plugin", "train", "--plugin", "tiny-trainable", "--train-data", data,
                 "--val-data", data, "--output-dir", str(out), "--set", "val_protocol=first-char",
                 "--set", "max_steps=2", "--set", "save_every_minutes=0"])
    assert code == 0
    events = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    validations = [e for e in events if e.get("event") == "validation" or e.get("kind") == "validation"]
    assert validations and all(v["protocol"] == "first-char" for v in validations)
    assert (out / "best.safetensors").is_file()


def test_data_tools_open_the_plugin_format(tmp_path, words_root, capsys):
    data = str(words_root / "tiny")
    assert main(["-q", "-p", "registry_plugin", "data", "inspect", data, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["samples"] == len(LABELS)
    assert main(["-q", "-p", "registry_plugin", "data", "convert", data, str(tmp_path / "lmdb")]) == 0
