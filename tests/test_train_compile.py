"""The ``compile`` training setting: listed with its default, off by default, and when set the
training step module (model, loss and auxiliary modules) goes through ``torch.compile`` once and
the compiled module is the one that runs every step. ``torch.compile`` is replaced by a recording
identity function, so no compiler runs here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from test_train_ux import PROBE, train_args

from strbench.cli.main import main
from strbench.training import TrainConfig
from strbench.training.loop import _StepModule


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``torch.compile`` call: the module given, its options and how often it then ran."""
    calls: list[dict[str, Any]] = []

    def fake_compile(module: Any = None, **options: Any) -> Any:
        call = {"module": module, "options": options, "forwards": 0}
        calls.append(call)

        def count(*_: Any) -> None:
            call["forwards"] += 1

        module.register_forward_hook(count)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    return calls


def test_list_settings_shows_compile_off_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*PROBE, "train", "--list-settings"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    (index,) = [i for i, line in enumerate(lines) if line.startswith("  compile = ")]
    assert lines[index] == "  compile = False  (bool)"
    assert "torch.compile the training step" in lines[index + 1]
    assert TrainConfig().compile is False


def test_compile_true_compiles_the_step_module(tmp_path: Path, compiled: list[dict[str, Any]],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(train_args(tmp_path, "--set", "max_steps=3", "--set", "compile=true")) == 0, capsys.readouterr().err
    assert len(compiled) == 1
    module = compiled[0]["module"]
    assert isinstance(module, _StepModule)
    assert isinstance(module.model, torch.nn.Sequential)  # the probe task's network, trained through it
    assert compiled[0]["forwards"] == 3  # the compiled module ran every training step, nothing else did
    events = [json.loads(line) for line in (tmp_path / "out" / "train_log.jsonl").read_text().splitlines()]
    assert events[0]["event"] == "start" and events[0]["config"]["compile"] is True  # recorded with the run
    assert [e["step"] for e in events if e["event"] == "train"][-1] == 3
    assert (tmp_path / "out" / "best.safetensors").is_file()


@pytest.mark.parametrize("extra", [(), ("--set", "compile=false")], ids=["default", "compile=false"])
def test_without_compile_torch_compile_is_not_called(tmp_path: Path, compiled: list[dict[str, Any]],
                                                    capsys: pytest.CaptureFixture[str], extra: tuple[str, ...]) -> None:
    assert main(train_args(tmp_path, "--set", "max_steps=2", *extra)) == 0, capsys.readouterr().err
    assert compiled == []
    events = [json.loads(line) for line in (tmp_path / "out" / "train_log.jsonl").read_text().splitlines()]
    assert events[0]["config"]["compile"] is False
    assert (tmp_path / "out" / "last.safetensors").is_file()


def test_compile_setting_converts_like_other_booleans() -> None:
    assert TrainConfig.from_mapping({}, {"compile": "on"}).compile is True
    assert TrainConfig.from_mapping({}, {"compile": "false"}).compile is False
