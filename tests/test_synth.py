"""``strbench data synth``: determinism across worker counts, label sources and rates, image shapes,
contrast enforcement, font discovery errors."""

from __future__ import annotations

import json
import random
import string
from collections import Counter
from pathlib import Path

import cv2
import lmdb
import numpy as np
import pytest

from strbench.cli.main import main
from strbench.data.synth import Renderer, SynthOptions, build_renderer, write_synth_lmdb
from strbench.data.synth.effects import MIN_CONTRAST, contrast_ratio, contrasting_colour
from strbench.data.synth.fonts import MIN_FONTS, discover_fonts
from strbench.data.synth.words import CASE_RATES, KIND_RATES, MAX_LABEL, PUNCT_RATE, load_words, sample_label
from strbench.data.validate import validate_lmdb
from strbench.errors import DataError

WORDS = ["harbour", "lantern", "meadow", "quarry", "saffron", "thimble", "velvet", "walnut", "zephyr", "orchid"]


@pytest.fixture(scope="module")
def word_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("words") / "words.txt"
    path.write_text("\n".join(WORDS + ["naïve", "two words", "x" * 30, "boss's"]) + "\n")
    return path


def renderer_for(seed: int, word_file: Path, **options):
    renderer, _ = build_renderer(SynthOptions(seed=seed, **options), word_files=[word_file], background_dir=True)
    return renderer


def lmdb_items(path: Path) -> dict[bytes, bytes]:
    env = lmdb.open(str(path), readonly=True, lock=False)
    try:
        with env.begin() as txn:
            return dict(txn.cursor().iternext())
    finally:
        env.close()


def decode(data: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


@pytest.fixture(scope="module")
def two_runs(fonts, word_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("synth")
    renderer = renderer_for(7, word_file)
    write_synth_lmdb(out / "w1", renderer, 200, workers=1)
    write_synth_lmdb(out / "w2", renderer, 200, workers=2)
    return out / "w1", out / "w2"


def test_same_seed_same_bytes_for_1_and_2_workers(two_runs: tuple[Path, Path]) -> None:
    one, two = (lmdb_items(p) for p in two_runs)
    assert one[b"num-samples"] == b"200"
    assert set(one) == {b"num-samples"} | {b"%s-%09d" % (k, i) for k in (b"image", b"label") for i in range(1, 201)}
    assert one == two


def test_different_seeds_differ(two_runs: tuple[Path, Path], word_file: Path, tmp_path: Path) -> None:
    write_synth_lmdb(tmp_path / "s8", renderer_for(8, word_file), 200, workers=1)
    a, b = lmdb_items(two_runs[0]), lmdb_items(tmp_path / "s8")
    same = sum(a[k] == b[k] for k in a if k.startswith(b"image-"))
    assert same < 5


def test_output_is_a_valid_clovaai_lmdb(two_runs: tuple[Path, Path]) -> None:
    report = validate_lmdb(two_runs[0])
    assert report.ok, report.problems[:5]
    meta = json.loads((two_runs[0] / "synth-meta.json").read_text())
    assert meta["count"] == 200 and meta["options"]["seed"] == 7 and meta["fonts"] >= MIN_FONTS


def test_images_decode_at_the_declared_height(two_runs: tuple[Path, Path]) -> None:
    items = lmdb_items(two_runs[0])
    for i in range(1, 201):
        img = decode(items[b"image-%09d" % i])
        assert img.shape[0] == 32 and 16 <= img.shape[1] <= 256 and img.shape[2] == 3


def test_fixed_width_and_png(fonts, word_file: Path) -> None:
    renderer = renderer_for(3, word_file, height=24, width=100, image_format="png")
    for i in range(20):
        label, data = renderer.sample(i)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert decode(data).shape == (24, 100, 3)


def test_labels_come_from_the_given_words(two_runs: tuple[Path, Path]) -> None:
    items = lmdb_items(two_runs[0])
    labels = [items[b"label-%09d" % i].decode("ascii") for i in range(1, 201)]
    assert all(0 < len(label) <= MAX_LABEL and label.isprintable() and " " not in label for label in labels)
    vocabulary = {w.lower() for w in WORDS}
    stripped = [label.strip(string.punctuation).lower() for label in labels]
    pieces = [all(p in vocabulary for p in s.replace("&", "-").replace("/", "-").replace(".", "-").split("-"))
              for s in stripped]
    assert sum(pieces) / len(labels) > 0.6  # words + compounds are 78% of the labels
    assert not any("naïve" in s or "boss" in s or "two" in s for s in stripped)


def test_word_lists_are_filtered(word_file: Path) -> None:
    (words,) = load_words([word_file])
    assert words == WORDS


def test_label_rates(word_file: Path) -> None:
    lists = load_words([word_file])
    n = 4000
    draws = [sample_label(random.Random(f"rates:{i}"), lists) for i in range(n)]
    kinds = Counter(kind for _, kind in draws)
    for kind, rate in KIND_RATES:
        assert abs(kinds[kind] / n - rate) < 0.03, (kind, kinds[kind] / n, rate)
    vocabulary = set(WORDS)
    words = [label for label, kind in draws if kind == "word"]
    bare = [w.strip(string.punctuation) for w in words]
    assert all(b.lower() in vocabulary for b in bare)
    cases = Counter("lower" if b.islower() else "upper" if b.isupper() else "title" for b in bare)
    for case, rate in CASE_RATES:
        assert abs(cases[case] / len(bare) - rate) < 0.04, (case, cases[case] / len(bare), rate)
    punctuated = sum(w != b for w, b in zip(words, bare))
    assert abs(punctuated / len(words) - PUNCT_RATE) < 0.03
    assert all(len(label) <= MAX_LABEL for label, _ in draws)
    numbers = [label for label, kind in draws if kind == "number"]
    assert all(any(c.isdigit() for c in label) for label in numbers)


def test_contrast_is_enforced() -> None:
    r = random.Random(0)
    for _ in range(2000):
        against = [tuple(r.randrange(256) for _ in range(3)) for _ in range(3)]
        colour = contrasting_colour(r, against)
        worst = min(contrast_ratio(colour, c) for c in against)
        if colour in ((0, 0, 0), (255, 255, 255)):
            other = (255, 255, 255) if colour == (0, 0, 0) else (0, 0, 0)
            assert worst >= min(min(contrast_ratio(other, c) for c in against), MIN_CONTRAST) - 1e-9
        else:
            assert worst >= MIN_CONTRAST
    assert contrasting_colour(random.Random(1), [(128, 128, 128)]) is not None


def test_no_fonts_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=str(tmp_path)) as info:
        discover_fonts([tmp_path])
    assert "usable fonts" in str(info.value)


def test_cli_no_fonts_message_not_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "nofonts"
    empty.mkdir()
    code = main(["-q", "data", "synth", str(tmp_path / "out"), "--count", "5", "--fonts", str(empty)])
    err = capsys.readouterr().err
    assert code == 2 and "usable fonts" in err and str(empty) in err.replace("\n", "")
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_cli_writes_an_lmdb(fonts, word_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    code = main(["-q", "data", "synth", str(out), "--count", "30", "--seed", "2", "--words", str(word_file),
                 "--no-backgrounds", "--width", "100"])
    assert code == 0, capsys.readouterr().err
    assert "wrote 30 images" in capsys.readouterr().out
    assert validate_lmdb(out).ok
    assert main(["-q", "data", "synth", str(out), "--count", "30"]) == 2  # exists, no --overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert main(["-q", "data", "synth", str(out), "--count", "0"]) == 2


def test_caps_only_fonts_upper_case_the_label(fonts, word_file: Path) -> None:
    caps = [f for f in fonts if f.caps_only and not f.missing]
    if not caps:
        pytest.skip("no caps-only font (e.g. Bebas Neue) installed")
    renderer = Renderer(SynthOptions(seed=1), caps, load_words([word_file]), [])
    labels = [renderer.sample(i)[0] for i in range(30)]
    assert all(label == label.upper() for label in labels)
    assert any(label.isalpha() for label in labels)


def test_backgrounds_from_a_label_file_use_only_the_images_it_names(tmp_path: Path, fonts, word_file: Path) -> None:
    crops = tmp_path / "crops"
    crops.mkdir()
    for i, colour in enumerate([(10, 200, 30), (200, 10, 30), (30, 10, 200)]):
        cv2.imwrite(str(crops / f"{i}.png"), np.full((40, 120, 3), colour, np.uint8))
    labels = tmp_path / "train.txt"
    labels.write_text("crops/0.png\tword\ncrops/2.png\tother\n")  # crops/1.png is held out
    renderer, sources = build_renderer(SynthOptions(seed=0), word_files=[word_file], background_dir=labels)
    assert sources.background_files == 2 and sources.background_dir == str(labels)
    assert sorted(tuple(int(v) for v in img[0, 0]) for img in renderer.backgrounds) == [(10, 200, 30), (30, 10, 200)]


def test_backgrounds_naming_test_set_images_are_refused(tmp_path: Path, fonts, word_file: Path) -> None:
    images = tmp_path / "str-benchmarks" / "SET"
    images.mkdir(parents=True)
    cv2.imwrite(str(images / "0.png"), np.full((40, 120, 3), 90, np.uint8))
    labels = tmp_path / "train.txt"
    labels.write_text("str-benchmarks/SET/0.png\tword\n")
    with pytest.raises(DataError, match="benchmark test sets"):
        build_renderer(SynthOptions(seed=0), word_files=[word_file], background_dir=labels)
    with pytest.raises(DataError, match="does not exist"):
        build_renderer(SynthOptions(seed=0), word_files=[word_file], background_dir=tmp_path / "missing.txt")
