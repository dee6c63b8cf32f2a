"""Every hook's example in docs/plugin_hooks.md is a working plugin: each is registered as a module
and its hook's result checked."""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import strbench
from strbench.plugin import hookspecs
from strbench.plugin.host import HOOK_METHODS, PluginHost

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "plugin_hooks.md"
RECORD = min((REPO / "results").glob("*_lower36.json"))  # any committed record


def examples() -> dict[str, str]:
    """Hook name -> the first python code block of its section."""
    text = DOC.read_text(encoding="utf-8")
    found = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        name = re.match(r"`(strbench_\w+)\(", section)
        block = re.search(r"^```python\n(.*?)^```", section, re.S | re.M)
        if name and block:
            found[name.group(1)] = block.group(1)
    return found


def load(hook: str, source: str, tmp_path: Path) -> ModuleType:
    path = tmp_path / f"example_{hook}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses and pickling look the module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[path.stem]
    return module


def check_algorithms(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recognizer = host.algorithm("hello").load("base", None)
    assert recognizer.predict(strbench.Batch(keys=["a", "b"])) == [strbench.Prediction("hello", 1.0)] * 2


def check_dataset_formats(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from strbench.data.loader import dataset_format

    (tmp_path / "word.png").write_bytes(b"not really a png")
    labels = tmp_path / "labels.tsv"
    labels.write_text("image\tlabel\nword.png\thello\n", encoding="utf-8")
    fmt = dataset_format(labels, host.dataset_formats())
    assert fmt.name == "tsv-header"  # tried before the built-in folder format, which accepts the file too
    assert host.dataset_formats()["folder"].detect(labels)
    source = fmt.open(labels)
    assert len(source) == 1
    sample = source.read(0)
    assert (sample.key, sample.image, sample.label) == ("word.png", b"not really a png", "hello")


def check_suites(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = host.suites()["shop-signs"]
    assert [v.name for v in suite.versions] == ["signs_v1", "signs_v2"]


def check_protocols(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert host.protocol("digits").normalize("Tel: 0123-45") == "012345"


def check_metrics(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = [strbench.Scored("a", "", 1.0), strbench.Scored("b", "b", 1.0)]
    assert host.metrics()["empty_rate"].compute(samples) == 50.0


def check_addoption(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    host.add_options(parser, "run")
    assert parser.parse_args(["--beam-width", "5"]).beam_width == 5
    other = argparse.ArgumentParser()
    host.add_options(other, "train")
    assert "--beam-width" not in other.format_help()


def check_run_start(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    host.notify_run_start(strbench.RunInfo(algorithm="hello", protocol="digits"))
    assert "evaluating hello under digits" in capsys.readouterr().out


def check_run_end(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from strbench.run.records import load_record

    record = load_record(RECORD)
    host.notify_run_end(strbench.RunInfo(algorithm=record.algorithm), record)
    first = record.to_json()["datasets"][0]
    line = f"{first['name']}: {first['metrics']['word_accuracy']:.2f}% word accuracy"
    assert line in capsys.readouterr().out.splitlines()


def check_result_written(host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from strbench.run.records import load_record

    host.notify_result_written(RECORD, load_record(RECORD))
    assert f"record {RECORD.stem} written to {RECORD}" in capsys.readouterr().out


CHECKS: dict[str, Callable[[PluginHost, Path, pytest.CaptureFixture[str]], None]] = {
    "strbench_algorithms": check_algorithms,
    "strbench_dataset_formats": check_dataset_formats,
    "strbench_benchmark_suites": check_suites,
    "strbench_protocols": check_protocols,
    "strbench_metrics": check_metrics,
    "strbench_addoption": check_addoption,
    "strbench_run_start": check_run_start,
    "strbench_run_end": check_run_end,
    "strbench_result_written": check_result_written,
}


def test_every_hook_has_an_example_and_a_check() -> None:
    hooks = {name for name in vars(hookspecs) if name.startswith("strbench_")}
    assert set(examples()) == hooks == set(CHECKS) == set(HOOK_METHODS)


@pytest.mark.parametrize("hook", sorted(CHECKS))
def test_the_example_works(hook: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = load(hook, examples()[hook], tmp_path)
    host = PluginHost(autoload=False, extra_plugins=[("example", module)])
    assert host.plugin_infos() and host.errors() == []
    assert hook in next(i for i in host.plugin_infos() if i.name == "example").hooks
    CHECKS[hook](host, tmp_path, capsys)
