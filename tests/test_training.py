"""Tests for strbench.training on a tiny model and an in-memory synthetic dataset (CPU)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import strbench.data.loader as loader_module
from strbench import Batch, InputSpec, Prediction, Recognizer
from strbench.data.base import RawSample, SampleSource
from strbench.errors import DataError, PluginError, UsageError
from strbench.training import TrainConfig, TrainTask, train
from strbench.training.checkpoint import load_checkpoint, rng_state, set_rng_state
from strbench.training.data import ConcatSource, epoch_order
from strbench.training.schedule import lr_factor
from strbench.weights.io import load_weights, save_weights

CHARSET = "abcd"
SPEC = InputSpec(height=8, max_width=16, resize="stretch", channels="RGB")


def _png(value: int) -> bytes:
    rng = np.random.default_rng(value)
    pixels = (rng.random((8, 16, 3)) * 60 + value * 60).clip(0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


class MemorySource(SampleSource):
    """Samples whose image brightness encodes the label's first character."""

    def __init__(self, labels: list[str], name: str = "memory") -> None:
        self.labels = labels
        self.location = name
        self.images = [_png(CHARSET.find(x[:1]) + 1) for x in labels]

    def __len__(self) -> int:
        return len(self.labels)

    def read(self, index: int) -> RawSample:
        return RawSample(f"{self.location}:{index}", self.images[index], self.labels[index])


class TinyRecognizer(Recognizer):
    input_spec = SPEC
    charset = CHARSET

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def forward(self, batch: Batch) -> Any:
        return self.model(batch.images).softmax(-1)

    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        conf, idx = outputs.max(-1)
        return [Prediction(CHARSET[i], float(c)) for i, c in zip(idx.tolist(), conf.tolist())]


class TinyTask(TrainTask):
    """Classifies the first character; labels starting outside the charset are rejected."""

    input_spec = SPEC

    def __init__(self, seed: int = 0, dropout: float = 0.3) -> None:
        torch.manual_seed(seed)
        self.model = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(4, len(CHARSET)),
        )

    def encode(self, labels: list[str]) -> tuple[Any, torch.Tensor]:
        keep = torch.tensor([bool(x) and x[0] in CHARSET for x in labels])
        targets = torch.tensor(
            [CHARSET.index(x[0]) for x, k in zip(labels, keep.tolist()) if k], dtype=torch.long
        )
        return targets, keep

    def training_step(self, batch: Batch, targets: Any) -> torch.Tensor:
        return nn.functional.cross_entropy(self.model(batch.images), targets)

    def make_recognizer(self) -> Recognizer:
        return TinyRecognizer(self.model)


TRAIN_LABELS = [CHARSET[i % 4] + "x" for i in range(13)] + ["", "zz"]  # 15 samples, 2 rejected
VAL_LABELS = [CHARSET[i % 4] for i in range(8)]


@pytest.fixture
def datasets(monkeypatch):
    """Route dataset paths ``mem:train``/``mem:val``/``mem:val2`` to in-memory sources."""
    sources = {
        "mem:train": MemorySource(TRAIN_LABELS, "train"),
        "mem:val": MemorySource(VAL_LABELS, "val"),
        "mem:val2": MemorySource(VAL_LABELS[:3], "val2"),
    }
    monkeypatch.setattr("strbench.training.loop.open_dataset", lambda path, formats=None: sources[str(path)])
    return sources


def _config(out: Path, **overrides: Any) -> TrainConfig:
    base = {
        "train_data": ["mem:train"],
        "output_dir": str(out),
        "batch_size": 4,
        "epochs": 3,
        "lr": 0.05,
        "weight_decay": 1e-4,
        "grad_clip": 1.0,
        "device": "cpu",
        "log_every": 2,
    }
    return TrainConfig.from_mapping(base, overrides)


def _final_state(out: Path) -> dict[str, Any]:
    return load_checkpoint(out / "last.ckpt")


def _assert_tensors_equal(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_tensors_equal(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_tensors_equal(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_resume_is_bit_exact(tmp_path, datasets, capsys):
    # 15 samples / batch 4 -> 3 steps per epoch; 7 steps cross two epoch boundaries.
    full = train(TinyTask(), _config(tmp_path / "full", max_steps=7))
    assert full.steps == 7

    first = train(TinyTask(), _config(tmp_path / "split", max_steps=4))
    assert first.steps == 4
    state = _final_state(tmp_path / "split")
    assert (state["epoch"], state["batch_in_epoch"], state["global_step"]) == (1, 1, 4)

    other_init = TinyTask(seed=123)  # resume must not depend on the fresh model's initialisation
    resumed = train(
        other_init, _config(tmp_path / "split", max_steps=7, resume=str(tmp_path / "split" / "last.ckpt"))
    )
    assert resumed.steps == 7

    a, b = _final_state(tmp_path / "full"), _final_state(tmp_path / "split")
    for part in ("model", "optimizer", "scheduler", "rng"):
        _assert_tensors_equal(a[part], b[part], part)
    assert (a["epoch"], a["batch_in_epoch"], a["rejected"]) == (
        b["epoch"],
        b["batch_in_epoch"],
        b["rejected"],
    )
    assert "differ" not in capsys.readouterr().err
    weights, meta = load_weights(Path(full.weights))
    assert meta["global_step"] == "7"
    _assert_tensors_equal(weights, a["model"])


def test_different_seed_changes_the_run(tmp_path, datasets):
    train(TinyTask(), _config(tmp_path / "a", max_steps=3))
    train(TinyTask(), _config(tmp_path / "b", max_steps=3, seed=1))
    a, b = _final_state(tmp_path / "a")["model"], _final_state(tmp_path / "b")["model"]
    assert not all(torch.equal(a[k], b[k]) for k in a)


def test_epoch_order_is_a_seeded_permutation():
    assert sorted(epoch_order(10, 0, 0)) == list(range(10))
    assert epoch_order(10, 0, 0) == epoch_order(10, 0, 0)
    assert epoch_order(10, 0, 0) != epoch_order(10, 0, 1)
    assert epoch_order(10, 0, 0) != epoch_order(10, 1, 0)


def test_validation_keeps_best_and_counts_rejects(tmp_path, datasets, capsys):
    cfg = _config(tmp_path / "v", val_data=["mem:val", "mem:val2"], eval_every=3, epochs=2)
    result = train(TinyTask(), cfg)
    assert result.steps == 6
    assert result.weights == str(tmp_path / "v" / "best.safetensors")
    assert result.best_metric is not None and 0.0 <= result.best_metric <= 100.0
    _, meta = load_weights(Path(result.weights))
    assert float(meta["word_accuracy"]) == pytest.approx(result.best_metric, abs=1e-3)
    state = _final_state(tmp_path / "v")
    assert state["best_metric"] == result.best_metric
    err = capsys.readouterr().err
    assert "val2: word accuracy" in err
    # two epochs of 3 batches over 15 samples: each rejected label seen when its batch was used
    assert state["rejected"] > 0 and "cannot train on" in err


def test_validation_does_not_disturb_training(tmp_path, datasets):
    train(TinyTask(), _config(tmp_path / "plain", max_steps=5))
    train(TinyTask(), _config(tmp_path / "val", max_steps=5, val_data=["mem:val"], eval_every=2))
    _assert_tensors_equal(_final_state(tmp_path / "plain")["model"], _final_state(tmp_path / "val")["model"])


def test_init_weights_fine_tunes_from_step_zero(tmp_path, datasets, capsys):
    donor = TinyTask(seed=5)
    state = dict(donor.model.state_dict())
    del state["6.bias"]  # reported as not loaded
    state["extra.weight"] = torch.zeros(1)  # reported as unused
    path = tmp_path / "init.safetensors"
    save_weights(state, path)
    task = TinyTask(seed=0)
    result = train(
        task, _config(tmp_path / "ft", max_steps=1, init_weights=str(path), lr=1e-9, grad_clip=None)
    )
    assert result.steps == 1
    err = capsys.readouterr().err
    assert "6.bias" in err and "extra.weight" in err
    trained = task.model.state_dict()
    assert torch.allclose(trained["0.weight"], state["0.weight"], atol=1e-6)  # lr 1e-9: barely moved
    assert _final_state(tmp_path / "ft")["global_step"] == 1


def test_init_weights_shape_mismatch_is_an_error(tmp_path, datasets):
    path = tmp_path / "bad.safetensors"
    save_weights({"6.weight": torch.zeros(9, 4)}, path)
    with pytest.raises(DataError, match=r"bad\.safetensors.*6\.weight"):
        train(TinyTask(), _config(tmp_path / "x", init_weights=str(path)))


def test_param_groups_and_piecewise_schedule(tmp_path, datasets):
    class GroupedTask(TinyTask):
        def param_groups(self, cfg):
            conv = list(self.model[0].parameters())
            rest = [p for p in self.model.parameters() if all(p is not q for q in conv)]
            return [{"params": conv, "lr": cfg.lr * 0.1}, {"params": rest}]

    cfg = _config(
        tmp_path / "pw",
        lr_schedule="piecewise",
        lr_boundaries_epochs="[1, 2]",
        lr_values="0.05,0.01,0.001",
        epochs=3,
        max_steps=4,
    )
    train(GroupedTask(), cfg)
    groups = _final_state(tmp_path / "pw")["optimizer"]["param_groups"]
    # after 4 steps (3 per epoch) the lr of step 5 is set: second piece, 0.01
    assert groups[0]["lr"] == pytest.approx(0.001)
    assert groups[1]["lr"] == pytest.approx(0.01)
    factor = lr_factor(cfg, steps_per_epoch=3)
    assert [factor(s) * cfg.lr for s in (0, 2, 3, 5, 6, 100)] == pytest.approx(
        [0.05, 0.05, 0.01, 0.01, 0.001, 0.001]
    )


def test_param_groups_must_cover_all_parameters(tmp_path, datasets):
    class Partial(TinyTask):
        def param_groups(self, cfg):
            return [{"params": list(self.model[0].parameters())}]

    with pytest.raises(PluginError, match="6.weight"):
        train(Partial(), _config(tmp_path / "p"))


def test_bad_encode_results_are_plugin_errors(tmp_path, datasets):
    class WrongTargets(TinyTask):
        def encode(self, labels):
            return torch.zeros(len(labels) + 1, dtype=torch.long), torch.ones(len(labels), dtype=torch.bool)

    with pytest.raises(PluginError, match="targets for 5 samples but kept 4"):
        train(WrongTargets(), _config(tmp_path / "w"))


def test_too_little_data_and_amp_on_cpu(tmp_path, datasets):
    with pytest.raises(UsageError, match="fewer than batch_size"):
        train(TinyTask(), _config(tmp_path / "x", batch_size=64))
    with pytest.raises(UsageError, match="needs a CUDA device"):
        train(TinyTask(), _config(tmp_path / "x", amp="fp16"))
    assert train(TinyTask(), _config(tmp_path / "b", amp="bf16", max_steps=2)).steps == 2  # CPU autocast


def test_log_curve_and_time_based_checkpoint(tmp_path, datasets):
    from strbench.training.log import read_log

    out = tmp_path / "log"
    train(TinyTask(), _config(out, epochs=10, max_steps=20, log_every=2, save_every=0, save_every_minutes=1e-9))
    events = read_log(out / "train_log.jsonl")
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("train") == 11
    train_events = [e for e in events if e["event"] == "train"]
    assert [e["step"] for e in train_events] == [1, *range(2, 21, 2)]  # the first step, then every log_every
    assert all(e["sample_passes"] > 0 and e["images_per_second"] > 0 and "lr" in e for e in train_events)
    assert (out / "train_curve.png").stat().st_size > 1000
    assert load_checkpoint(out / "last.ckpt")["global_step"] == 20


def test_cosine_schedule_warms_up_then_decays():
    cfg = TrainConfig(lr=1.0, lr_schedule="cosine", warmup_steps=4, min_lr_ratio=0.1, epochs=1)
    factor = lr_factor(cfg, steps_per_epoch=10, total_steps=24)
    assert [factor(s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert factor(4) == pytest.approx(1.0) and factor(24) == pytest.approx(0.1)
    assert factor(14) == pytest.approx(0.55)


def test_boolean_settings_convert():
    assert TrainConfig.from_mapping({}, {"teacher_forcing": "true"}).teacher_forcing is True
    assert TrainConfig.from_mapping({}, {"teacher_forcing": "off"}).teacher_forcing is False
    with pytest.raises(UsageError, match="teacher_forcing"):
        TrainConfig.from_mapping({}, {"teacher_forcing": "maybe"})


def test_resume_with_other_data_order_warns(tmp_path, datasets, capsys):
    train(TinyTask(), _config(tmp_path / "r", max_steps=2))
    train(TinyTask(), _config(tmp_path / "r", max_steps=3, seed=4, resume=str(tmp_path / "r" / "last.ckpt")))
    assert "seed differ from the run" in capsys.readouterr().err


def test_resume_compares_train_data_by_resolved_path(tmp_path, monkeypatch):
    from strbench.training.loop import _order_changes, _resolved

    (tmp_path / "synth").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "synth")
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path)
    saved = TrainConfig(train_data=["synth"])
    state = {"config": saved.to_dict(), "train_data_resolved": _resolved(saved.train_data)}
    assert _order_changes(state, TrainConfig(train_data=[str(tmp_path / "synth")])) == []
    assert _order_changes(state, TrainConfig(train_data=["link"])) == []
    assert _order_changes(state, TrainConfig(train_data=["other"])) == ["train_data"]
    assert _order_changes(state, TrainConfig(train_data=["synth"], seed=9)) == ["seed"]
    # a checkpoint from before resolved paths were stored compares the names as given
    assert _order_changes({"config": saved.to_dict()}, TrainConfig(train_data=["link"])) == ["train_data"]


def test_resume_errors(tmp_path, datasets):
    with pytest.raises(DataError, match="does not exist"):
        train(TinyTask(), _config(tmp_path / "x", resume=str(tmp_path / "none.ckpt")))
    plain = tmp_path / "plain.ckpt"
    torch.save({"a": torch.ones(1)}, plain)
    with pytest.raises(DataError, match="not a strbench training checkpoint"):
        train(TinyTask(), _config(tmp_path / "x", resume=str(plain)))


def test_from_mapping_converts_and_rejects():
    cfg = TrainConfig.from_mapping(
        {"lr": 1e-3, "betas": (0.9, 0.999), "train_data": ["a"]},
        {
            "lr": "5e-4",
            "betas": "0.8, 0.99",
            "max_steps": "1e4",
            "grad_clip": "none",
            "train_data": "x,y",
            "lr_values": "[0.1, 0.01]",
            "lr_boundaries_epochs": "3",
            "lr_schedule": "piecewise",
            "resume": "null",
        },
    )
    assert cfg.lr == 5e-4 and cfg.betas == (0.8, 0.99) and cfg.max_steps == 10000 and cfg.grad_clip is None
    assert cfg.train_data == ["x", "y"] and cfg.lr_values == [0.1, 0.01] and cfg.lr_boundaries_epochs == [3.0]
    assert cfg.resume is None
    assert TrainConfig.from_mapping({}, {"output_dir": Path("/tmp/o")}).output_dir == "/tmp/o"
    with pytest.raises(UsageError, match=r"unknown training setting 'lr_rate'.*valid settings: train_data"):
        TrainConfig.from_mapping({}, {"lr_rate": "1"})
    with pytest.raises(UsageError, match="batch_size='big'"):
        TrainConfig.from_mapping({}, {"batch_size": "big"})
    with pytest.raises(UsageError, match="expected 2 values"):
        TrainConfig.from_mapping({}, {"betas": "0.9"})
    with pytest.raises(UsageError, match="expected an integer"):
        TrainConfig.from_mapping({}, {"epochs": "2.5"})
    with pytest.raises(UsageError, match="optimizer='sgd'"):
        TrainConfig.from_mapping({}, {"optimizer": "sgd"})
    with pytest.raises(UsageError, match="one more lr_values"):
        TrainConfig.from_mapping({}, {"lr_schedule": "piecewise", "lr_values": "0.1,0.01"})
    with pytest.raises(UsageError, match="do not combine"):
        TrainConfig(resume="a", init_weights="b")


def test_rng_state_round_trip_through_weights_only_checkpoint(tmp_path):
    import random

    state = rng_state()
    expected = (random.random(), np.random.rand(), torch.rand(1))
    path = tmp_path / "rng.pt"
    torch.save(state, path)
    set_rng_state(torch.load(path, weights_only=True))
    assert (random.random(), np.random.rand()) == expected[:2]
    assert torch.equal(torch.rand(1), expected[2])


def test_concat_source():
    a, b = MemorySource(["a", "b"], "A"), MemorySource(["c"], "B")
    both = ConcatSource([a, b])
    assert len(both) == 3 and both.location == "A + B"
    assert [both.read(i).label for i in range(3)] == ["a", "b", "c"]
    assert both.key(2) == "B:0"
    with pytest.raises(IndexError):
        both.read(3)


def test_loader_module_is_the_core_one():
    # training reads data only through the core loader (shared preprocessing and skip handling)
    import strbench.training.loop as loop

    assert loop.make_loader is loader_module.make_loader


def test_train_data_repeat_mixes_sources(tmp_path):
    from strbench.training.loop import _open_sources

    small = tmp_path / "small.txt"
    big = tmp_path / "big.txt"
    (tmp_path / "images").mkdir()
    for name, count in ((small, 2), (big, 5)):
        lines = []
        for i in range(count):
            image = tmp_path / "images" / f"{name.stem}{i}.png"
            image.write_bytes(_png(i % 4))
            lines.append(f"images/{image.name}\t{name.stem}")
        name.write_text("\n".join(lines) + "\n")
    source = _open_sources([str(big), str(small)], "train_data", None, [1, 3])
    assert len(source) == 5 + 3 * 2
    assert [source.label(i) for i in range(len(source))].count("small") == 6
    source.close()
    with pytest.raises(UsageError, match="one count per source"):
        TrainConfig(train_data=["a", "b"], train_data_repeat=[2])


def test_max_minutes_stops_a_budgeted_run(tmp_path, datasets):
    result = train(TinyTask(), _config(tmp_path / "t", max_steps=10_000, epochs=1000, max_minutes=1e-6))
    assert 1 <= result.steps < 10_000
    assert load_checkpoint(tmp_path / "t" / "last.ckpt")["global_step"] == result.steps
    with pytest.raises(UsageError, match="max_minutes"):
        TrainConfig(max_minutes=0)


def test_a_failing_encode_names_the_batch(tmp_path, datasets):
    class Broken(TinyTask):
        def encode(self, labels):
            raise ValueError("expected sequence of length 25")

    with pytest.raises(PluginError, match=r"Broken.encode failed at step 1 on the labels \["):
        train(Broken(), _config(tmp_path / "b"))
