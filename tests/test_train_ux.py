"""``strbench train`` for a person: the settings listed from their definitions, unknown keys with
the closest one, a log line at the first step and at the end with a per-token loss, the next
command at the end, and a warning before a CPU run estimated at over an hour."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import numpy as np
import pytest
import train_probe_plugin
from PIL import Image

from strbench.cli.main import build_parser, main
from strbench.errors import UsageError
from strbench.plugin.host import PluginHost
from strbench.training import TrainConfig
from strbench.training.budget import CostEstimate, cpu_cost_warning
from strbench.training.loop import effective_log_every

PROBE = ["-p", "train_probe_plugin"]


def label_file(folder: Path, count: int = 16) -> Path:
    """``count`` 8x16 crops whose brightness encodes the label's first character."""
    (folder / "images").mkdir(parents=True)
    lines = []
    for i in range(count):
        char = "abcd"[i % 4]
        pixels = np.full((8, 16, 3), 40 + 60 * (i % 4), np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        (folder / "images" / f"{i}.png").write_bytes(buffer.getvalue())
        lines.append(f"images/{i}.png\t{char}")
    path = folder / "labels.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def train_args(tmp_path: Path, *extra: str) -> list[str]:
    data = label_file(tmp_path / "data")
    return [*PROBE, "train", "--algorithm", "train-probe", "--train-data", str(data), "--val-data", str(data),
            "--output-dir", str(tmp_path / "out"), "--device", "cpu", *extra]


def test_list_settings_shows_defaults_types_and_meanings(capsys):
    assert main([*PROBE, "train", "--list-settings"]) == 0
    out = capsys.readouterr().out
    assert "max_steps = none  (int or none)" in out and "optimizer steps over the whole run" in out
    assert "val_limit = 2000" in out and "log_every = 50" in out
    # every TrainConfig field, from the dataclass itself
    for name in TrainConfig.__dataclass_fields__:
        assert f"  {name} = " in out


def test_list_settings_resolves_the_variant_and_plugin_settings(capsys):
    assert main([*PROBE, "train", "--list-settings", "--algorithm", "train-probe"]) == 0
    out = capsys.readouterr().out
    assert "batch_size = 4  (int) [train-probe base defaults]" in out
    assert "probe_width = 4  (int) [plugin train-probe]" in out and "the probe plugin reads itself" in out


def test_list_settings_resolves_a_recipe_stage(capsys):
    assert main(["train", "--list-settings", "--algorithm", "rare", "--variant", "r34",
                 "--recipe", "strbench-synth-real:pretrain"]) == 0
    out = capsys.readouterr().out
    assert "max_steps = 2200" in out and "batch_size = 32" in out and "tps_init = identity" in out


def test_help_points_to_the_settings(capsys):
    with pytest.raises(SystemExit):
        build_parser(PluginHost(autoload=False)).parse_args(["train", "--help"])
    out = capsys.readouterr().out
    assert "--list-settings" in out
    assert all(name in out for name in ("max_steps", "batch_size", "lr", "eval_every", "log_every"))


def test_unknown_key_suggests_the_close_one(tmp_path, capsys):
    assert main(train_args(tmp_path, "--set", "max_step=3")) == 2
    err = capsys.readouterr().err
    assert "unknown training setting 'max_step'" in err and "did you mean max_steps" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(UsageError, match="did you mean batch_size"):
        TrainConfig.from_mapping({}, {"batchsize": 8})


def test_short_run_logs_first_step_and_end_with_the_next_command(tmp_path, capsys):
    assert main(train_args(tmp_path, "--set", "max_steps=3", "--set", "log_every=50")) == 0
    captured = capsys.readouterr()
    steps = [line for line in captured.err.splitlines() if line.startswith("step ") and "loss/token" in line]
    assert steps[0].startswith("step 1/3 ") and steps[-1].startswith("step 3/3 ")
    assert "img/s" in steps[0] and "ETA" in steps[0]
    events = [json.loads(line) for line in (tmp_path / "out" / "train_log.jsonl").read_text().splitlines()]
    losses = [e["loss"] for e in events if e["event"] == "train"]
    assert [e["step"] for e in events if e["event"] == "train"][0] == 1
    assert all(0 < loss < 3 for loss in losses)  # per token (ln 4 = 1.39 at the start), not summed over the batch
    last = captured.out.strip().splitlines()[-1]
    assert last.startswith("next: strbench run ") and "train_log.jsonl" in last
    command = shlex.split(last.removeprefix("next: "), comments=True)
    weights = Path(command[command.index("--weights") + 1])
    assert weights.is_file() and weights.name == "best.safetensors"
    args = build_parser(PluginHost(load=["train_probe_plugin"])).parse_args(command[1:])
    assert (args.command, args.algorithm, args.variant) == ("run", "train-probe", "base")


def test_log_every_is_lowered_for_short_runs():
    assert effective_log_every(50, 3) == 1 and effective_log_every(50, 200) == 20
    assert effective_log_every(50, 10_000) == 50 and effective_log_every(0, 100) == 0


def test_cpu_cost_warning_for_a_big_run_only(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(train_probe_plugin.IMAGES_PER_SECOND, "value", 0.001)  # a very slow CPU figure
    assert main(train_args(tmp_path / "big", "--set", "max_steps=2")) == 0
    err = capsys.readouterr().err
    assert "training on the CPU" in err and "--set max_steps=" in err and "about 0.001 img/s" in err
    monkeypatch.setitem(train_probe_plugin.IMAGES_PER_SECOND, "value", 1000.0)
    assert main(train_args(tmp_path / "small", "--set", "max_steps=2")) == 0
    assert "training on the CPU" not in capsys.readouterr().err


def test_cpu_cost_warning_suggests_an_hour():
    message = cpu_cost_warning(CostEstimate(steps=2200, batch_size=256, images_per_second=20.0), "figure")
    assert message is not None and "--set batch_size=32 --set max_steps=2200" in message
    assert cpu_cost_warning(CostEstimate(steps=20, batch_size=256, images_per_second=6.0), "figure") is None
