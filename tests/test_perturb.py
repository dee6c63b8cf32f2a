"""Controlled corruptions: deterministic per sample, identical whatever the batching, recorded."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from strbench.cli.main import main
from strbench.data.base import RawSample, SampleSource
from strbench.data.loader import make_loader
from strbench.data.perturb import CORRUPTIONS, SEVERITIES, Perturbation, parse_perturbation, tag_with
from strbench.errors import UsageError
from strbench.plugin.types import InputSpec
from strbench.run.records import load_record, predictions_path, read_predictions

RAW = InputSpec(height=0, max_width=0, channels="RGB", resize="none")
ALL = [(name, s) for name in CORRUPTIONS for s in SEVERITIES]


def word_image(seed: int, h: int = 20, w: int = 52) -> np.ndarray:
    """A small RGB crop: a light background with dark blocks (letters) and some texture."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 200, np.uint8) + rng.integers(0, 30, (h, w, 3), dtype=np.uint8)
    for x in range(4, w - 8, 10):
        img[4:h - 4, x:x + 6] = rng.integers(0, 60, 3, dtype=np.uint8)
    return img


class ArraySource(SampleSource):
    """Samples held as PNG bytes in memory."""

    def __init__(self, n: int) -> None:
        self.location = "memory"
        self.images = []
        for i in range(n):
            buf = io.BytesIO()
            Image.fromarray(word_image(i, 16 + 3 * i, 40 + 5 * i)).save(buf, format="PNG")
            self.images.append(buf.getvalue())

    def __len__(self) -> int:
        return len(self.images)

    def read(self, index: int) -> RawSample:
        return RawSample(self.key(index), self.images[index], f"w{index}")

    def key(self, index: int) -> str:
        return f"img/{index:03d}.png"


@pytest.mark.parametrize(("name", "severity"), ALL)
def test_every_corruption_is_deterministic_uint8_rgb(name: str, severity: int) -> None:
    img = word_image(0)
    p = Perturbation(name, severity)
    out = p(img.copy(), "a.png")
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    assert np.array_equal(out, p(img.copy(), "a.png"))
    assert not np.array_equal(out, img) or out.shape != img.shape


def test_rotation_is_parseqs_pil_rotate_with_expand() -> None:
    img = word_image(1)
    for severity, angle in zip(SEVERITIES, (90, 180, 270), strict=True):
        expected = np.asarray(Image.fromarray(img).rotate(angle, expand=True))
        assert np.array_equal(Perturbation("rotation", severity)(img, "k"), expected)


def test_random_draws_depend_on_key_and_seed_not_on_severity() -> None:
    img = np.full((32, 64, 3), 128, np.uint8)
    a = Perturbation("gaussian_noise", 1)(img, "a.png").astype(int) - 128
    b = Perturbation("gaussian_noise", 1)(img, "b.png").astype(int) - 128
    c = Perturbation("gaussian_noise", 3)(img, "a.png").astype(int) - 128
    d = Perturbation("gaussian_noise", 1, seed=7)(img, "a.png").astype(int) - 128
    assert not np.array_equal(a, b) and not np.array_equal(a, d)
    moved = a != 0
    assert moved.mean() > 0.8 and np.array_equal(np.sign(a[moved]), np.sign(c[moved]))  # the same draws, scaled
    assert np.abs(c).mean() > np.abs(a).mean()


def test_severity_grows_the_change() -> None:
    img = word_image(2, 40, 120)
    for name in ("gaussian_blur", "gaussian_noise", "jpeg", "contrast", "perspective"):
        changes = [np.abs(Perturbation(name, s)(img, "k").astype(int) - img).mean() for s in SEVERITIES]
        assert changes[0] < changes[1] < changes[2], name
    heights = [Perturbation("curvature", s)(img, "k").shape[0] for s in SEVERITIES]
    assert 40 < heights[0] < heights[1] < heights[2]


def test_parse_specs() -> None:
    assert parse_perturbation("gaussian_blur") == Perturbation("gaussian_blur", 2)
    assert parse_perturbation("rotation:90") == Perturbation("rotation", 1)
    assert parse_perturbation("Gaussian-Noise:3", seed=4) == Perturbation("gaussian_noise", 3, 4)
    assert parse_perturbation(None) is None and parse_perturbation("") is None
    for bad in ("fog", "jpeg:4", "jpeg:x", "rotation:45"):
        with pytest.raises(UsageError):
            parse_perturbation(bad)
    assert tag_with("", "jpeg:1") == "jpeg-1" and tag_with("mine", "jpeg:1") == "mine_jpeg-1"
    assert tag_with("mine", None) == "mine"
    assert tag_with("mine_jpeg-1", "jpeg:1") == "mine_jpeg-1" and tag_with("jpeg-1", "jpeg:1") == "jpeg-1"


def loaded(source: SampleSource, perturb: Perturbation, batch_size: int, indices: list[int],
           workers: int = 0) -> dict[str, np.ndarray]:
    out = {}
    for item in make_loader(source, RAW, batch_size=batch_size, indices=indices, perturb=perturb, workers=workers):
        assert not item.skipped
        out.update(zip(item.batch.keys, item.batch.raw or [], strict=True))
    return out


@pytest.mark.parametrize("name", ["gaussian_noise", "perspective", "curvature"])
def test_loader_inputs_identical_whatever_batch_size_order_and_workers(name: str) -> None:
    source = ArraySource(6)
    p = Perturbation(name, 2)
    first = loaded(source, p, 4, list(range(6)))
    assert len(first) == 6
    for batch_size, indices, workers in ((1, [5, 3, 1, 0, 2, 4], 0), (6, [2, 0, 1, 5, 4, 3], 0), (2, [4, 1], 1)):
        again = loaded(source, p, batch_size, indices, workers)
        for key, img in again.items():
            assert np.array_equal(img, first[key]), (key, batch_size)


def test_run_records_the_perturbation_and_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent / "plugins"))
    data = tmp_path / "words"
    (data / "images").mkdir(parents=True)
    lines = []
    for i in range(5):
        Image.fromarray(word_image(i, 18 + i, 50)).save(data / "images" / f"{i}.png")
        lines.append(f"images/{i}.png\tw{i}")
    (data / "gt.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(results: Path, *extra: str) -> tuple[list, object]:
        assert main(["-q", "-p", "dummy_plugin", "run", "--algorithm", "dummy", "--dataset", f"{data}=words",
                     "--workers", "0", "--results-dir", str(results), *extra]) == 0
        [path] = results.glob("*.json")
        record = load_record(path)
        return [p for _, p in read_predictions(predictions_path(path, record))], record

    noisy_a, record = run(tmp_path / "a", "--perturb", "gaussian_noise:2", "--batch-size", "2")
    noisy_b, _ = run(tmp_path / "b", "--perturb", "gaussian-noise:2", "--batch-size", "5")
    clean, clean_record = run(tmp_path / "c")
    assert [p.prediction for p in noisy_a] == [p.prediction for p in noisy_b]
    assert [p.prediction for p in noisy_a] != [p.prediction for p in clean]
    info = record.data.perturbation
    assert info is not None and (info.name, info.severity, info.seed) == ("gaussian_noise", 2, 0)
    assert info.key == "gaussian_noise:2" and info.extra["level"] == CORRUPTIONS["gaussian_noise"].levels[1]
    assert record.id.endswith("_gaussian_noise-2") and record.command["options"]["perturb"] == "gaussian_noise:2"
    assert clean_record.data.perturbation is None and "perturbation" not in clean_record.to_json()["data"]
    assert main(["-q", "-p", "dummy_plugin", "run", "--algorithm", "dummy", "--perturb", "fog:1"]) == 2
