"""Training augmentation: presets, determinism, degenerate crops, loader wiring across workers."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from strbench.data.loader import make_loader, open_dataset
from strbench.errors import UsageError
from strbench.plugin.types import InputSpec
from strbench.training.augment import OPS, PRESETS, Augmenter, AugmentPolicy, OpSpec, resolve_augmenter

ACTIVE = [name for name, policy in PRESETS.items() if policy.ops]
DEGENERATE = [(1, 1), (3, 200), (300, 6), (2, 2), (1, 50), (50, 1), (4, 4)]
DOC = Path(__file__).resolve().parents[1] / "docs" / "training.md"
SPEC = InputSpec(height=32, max_width=100, resize="stretch", channels="RGB")
WORDS = ["STREET", "coffee", "Hotel42", "exit"]


def word_image(text: str = "Benchmark", height: int = 32, seed: int = 0) -> np.ndarray:
    """A word crop: coloured text on a shaded background, like a cropped scene word."""
    rng = np.random.default_rng(seed)
    font = (cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_TRIPLEX)[seed % 3]
    scale, thick = height / 36, max(1, round(height * (1 + seed % 2) / 32))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    width = tw + height // 2
    bg = rng.integers(120, 256, 3).astype(np.float32)
    shade = np.linspace(0.8, 1.0, width, dtype=np.float32)[None, :, None]
    img = np.ascontiguousarray(np.broadcast_to(bg * shade, (height, width, 3)).astype(np.uint8))
    colour = tuple(int(c) for c in rng.integers(0, 90, 3))
    cv2.putText(img, text, (height // 4, (height + th) // 2), font, scale, colour, thick, cv2.LINE_AA)
    return img


def assert_image(out: np.ndarray) -> None:
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8
    assert out.ndim == 3 and out.shape[2] == 3 and out.shape[0] > 0 and out.shape[1] > 0


def always(name: str, seed: int = 7) -> Augmenter:
    return Augmenter(name, seed, prob=1.0)


# --- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ACTIVE)
def test_same_seed_epoch_index_gives_identical_bytes(preset: str) -> None:
    img = word_image()
    for index in range(12):
        a, b = always(preset)(img, 3, index), always(preset)(img, 3, index)
        assert a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("preset", ACTIVE)
def test_different_index_epoch_or_seed_changes_output(preset: str) -> None:
    img = word_image()
    base = always(preset)(img, 0, 0)
    for other in (always(preset)(img, 0, 1), always(preset)(img, 1, 0), always(preset, seed=8)(img, 0, 0)):
        assert other.shape != base.shape or other.tobytes() != base.tobytes()


def test_pickled_augmenter_gives_the_same_output() -> None:
    aug = always("strbench")
    clone = pickle.loads(pickle.dumps(aug))
    img = word_image()
    assert all(np.array_equal(aug(img, 2, i), clone(img, 2, i)) for i in range(8))


def test_prob_gates_samples() -> None:
    img = word_image()
    assert all(Augmenter("strong", 0, prob=0.0)(img, 0, i) is img for i in range(20))
    unchanged = sum(Augmenter("strbench", 0, prob=0.5)(img, 0, i) is img for i in range(200))
    assert 60 < unchanged < 140


# --- every preset and op, on words and on degenerate crops --------------------------------------


@pytest.mark.parametrize("preset", ACTIVE)
def test_presets_on_word_images(preset: str) -> None:
    for index in range(25):
        img = word_image(WORDS[index % 4], height=(32, 48, 20)[index % 3], seed=index)
        out = always(preset)(img, 0, index)
        assert_image(out)
        assert out.shape[0] <= 2 * img.shape[0] and out.shape[1] <= 2 * img.shape[1]


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("shape", DEGENERATE)
def test_presets_on_degenerate_images(preset: str, shape: tuple[int, int]) -> None:
    img = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    for index in range(10):
        assert_image(Augmenter(preset, 1, prob=1.0)(img, 0, index))


def test_every_op_is_used_by_a_preset() -> None:
    assert {op.name for policy in PRESETS.values() for op in policy.ops} == set(OPS)


@pytest.mark.parametrize("op", sorted(OPS))
def test_each_op_at_strong_magnitude(op: str) -> None:
    spec = next(s for s in PRESETS["strong"].ops if s.name == op)
    aug = Augmenter(AugmentPolicy(ops=(spec,), num_ops=(1, 1), prob=1.0), seed=0)
    for shape in [(32, 100), (64, 40), *DEGENERATE]:
        img = word_image(height=shape[0]) if shape == (32, 100) else np.full((*shape, 3), 200, np.uint8)
        for index in range(3):
            assert_image(aug(img, 0, index))
    assert not np.array_equal(aug(word_image(), 0, 0), word_image()) or op == "posterize"


def test_rejects_a_non_rgb_array() -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        always("light")(np.zeros((8, 8), np.uint8), 0, 0)


# --- presets and resolution --------------------------------------------------------------------


def test_required_presets_exist() -> None:
    assert {"off", "light", "strbench", "strong"} <= set(PRESETS)


def test_resolve_augmenter() -> None:
    assert resolve_augmenter("off", 0, 0.5) is None
    assert resolve_augmenter("strbench", 0, 0.0) is None
    aug = resolve_augmenter("strbench", 3, 0.25)
    assert isinstance(aug, Augmenter) and aug.prob == 0.25 and aug.seed == 3
    assert aug.policy is PRESETS["strbench"]


def test_unknown_preset_names_the_presets() -> None:
    with pytest.raises(UsageError) as err:
        resolve_augmenter("heavy", 0, 0.5)
    assert all(name in str(err.value) for name in PRESETS)
    with pytest.raises(UsageError):
        Augmenter("heavy", 0)


def test_policy_validation() -> None:
    with pytest.raises(UsageError, match="unknown augmentation op"):
        AugmentPolicy(ops=(OpSpec("swirl", 0, 1),))
    with pytest.raises(UsageError):
        AugmentPolicy(ops=(OpSpec("blur", 2, 1),))
    with pytest.raises(UsageError):
        Augmenter("strbench", 0, prob=1.5)


def range_cell(preset: str, op: str) -> str:
    spec = next((s for s in PRESETS[preset].ops if s.name == op), None)
    if spec is None:
        return "-"
    return "yes" if spec.low == spec.high == 0 else f"{spec.low:g}-{spec.high:g}"


def test_docs_list_presets_ops_and_ranges() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(f"| `{name}` |" in text for name in PRESETS)
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")}
    for op in OPS:
        cells = [c.strip() for c in rows[op].strip("|").split("|")][-len(ACTIVE):]
        assert [c.split(" (")[0] for c in cells] == [range_cell(p, op) for p in ACTIVE], f"update {op} in {DOC}"


# --- loader wiring -----------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    lines = []
    for i, word in enumerate(WORDS):
        cv2.imwrite(str(tmp_path / "images" / f"{i}.png"), cv2.cvtColor(word_image(word, seed=i), cv2.COLOR_RGB2BGR))
        lines.append(f"images/{i}.png\t{word}")
    (tmp_path / "gt.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def batches(root: Path, **kwargs) -> list:
    return list(make_loader(open_dataset(root), SPEC, batch_size=2, **kwargs))


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[int, int, int], int]] = []

    def __call__(self, rgb: np.ndarray, epoch: int, index: int) -> np.ndarray:
        self.calls.append((rgb.shape, epoch, index))
        return rgb


def test_loader_applies_augment_only_when_given(folder: Path) -> None:
    plain, default = batches(folder), batches(folder, augment=None)
    augmented = batches(folder, augment=always("strbench"), epoch=1)
    for a, b, c in zip(plain, default, augmented, strict=True):
        assert a.labels == b.labels == c.labels and a.indices == b.indices == c.indices
        assert np.array_equal(a.batch.images.numpy(), b.batch.images.numpy())
        assert not np.array_equal(a.batch.images.numpy(), c.batch.images.numpy())


def test_loader_passes_epoch_and_source_index(folder: Path) -> None:
    recorder = Recorder()
    batches(folder, augment=recorder, epoch=5, indices=[3, 1])
    assert [(epoch, index) for _, epoch, index in recorder.calls] == [(5, 3), (5, 1)]
    assert all(len(shape) == 3 and shape[2] == 3 for shape, _, _ in recorder.calls)


def test_loader_augments_raw_images(folder: Path) -> None:
    raw = InputSpec(height=32, max_width=100, resize="none")
    loader = make_loader(open_dataset(folder), raw, batch_size=4, augment=always("strong"), epoch=2)
    item = next(iter(loader))
    expected = [always("strong")(img, 2, i) for i, img in enumerate(next(iter(make_loader(
        open_dataset(folder), raw, batch_size=4))).batch.raw)]
    assert all(np.array_equal(a, b) for a, b in zip(item.batch.raw, expected, strict=True))


def test_workers_give_the_same_batches(folder: Path) -> None:
    aug = Augmenter("strong", 11, prob=1.0)
    serial = batches(folder, augment=aug, epoch=3)
    parallel = batches(folder, augment=aug, epoch=3, workers=2)
    for a, b in zip(serial, parallel, strict=True):
        assert a.indices == b.indices
        assert np.array_equal(a.batch.images.numpy(), b.batch.images.numpy())


# --- visual check --------------------------------------------------------------------------------


def contact_sheet(preset: str, rows: int = 12, cols: int = 4) -> np.ndarray:
    """Augmented samples of rendered words, each resized to 32x100 as a recognizer sees them."""
    tiles = []
    for r in range(rows):
        row = []
        for c in range(cols):
            img = word_image(WORDS[(r + c) % 4], height=32, seed=r)
            out = always(preset, seed=r)(img, 0, c) if c else img
            row.append(np.pad(cv2.resize(out, (100, 32), interpolation=cv2.INTER_AREA), ((2, 2), (2, 2), (0, 0))))
        tiles.append(np.concatenate(row, axis=1))
    return np.concatenate(tiles, axis=0)


@pytest.mark.parametrize("preset", ACTIVE)
def test_contact_sheet(preset: str, tmp_path: Path) -> None:
    """Writes a sheet (first column: originals); set STRBENCH_AUGMENT_SHEET=dir/ to keep them."""
    sheet = contact_sheet(preset)
    assert sheet.shape == (12 * 36, 4 * 104, 3)
    target = os.environ.get("STRBENCH_AUGMENT_SHEET")
    out = Path(target) if target else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    name = "augment_sheet.png" if preset == "strbench" else f"augment_sheet_{preset}.png"
    assert cv2.imwrite(str(out / name), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
