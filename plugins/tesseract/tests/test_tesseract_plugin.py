"""Tests of the tesseract plugin (need tesserocr and the tesseract-ocr-eng traineddata)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("strbench_tesseract", reason="install the plugin: pip install -e plugins/tesseract")

from strbench import (  # noqa: E402
    NotSupportedError,
    UsageError,
    make_batch,  # noqa: E402
)
from strbench.testing import render_word  # noqa: E402
from strbench_tesseract.algorithm import Tesseract  # noqa: E402
from strbench_tesseract.tessdata import DEBIAN_TESSDATA, find_tessdata  # noqa: E402


def have_eng() -> bool:
    try:
        find_tessdata("eng")
    except UsageError:
        return False
    return True


needs_eng = pytest.mark.skipif(not have_eng(), reason="apt-get install -y tesseract-ocr-eng")


def test_missing_traineddata_names_the_apt_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    with pytest.raises(UsageError, match=r"apt-get install -y tesseract-ocr-eng") as info:
        Tesseract().load("eng-lstm", None)
    assert str(tmp_path) in str(info.value)


def test_tessdata_prefix_overrides_the_debian_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "eng.traineddata").write_bytes(b"")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    assert find_tessdata("eng") == tmp_path
    monkeypatch.delenv("TESSDATA_PREFIX")
    if (DEBIAN_TESSDATA / "eng.traineddata").is_file():
        assert find_tessdata("eng") == DEBIAN_TESSDATA


def test_weights_option_is_refused() -> None:
    with pytest.raises(UsageError, match="TESSDATA_PREFIX"):
        Tesseract().load("eng-lstm", Path("some.traineddata"))


def test_declares_no_training_or_export(tmp_path: Path) -> None:
    algo = Tesseract()
    assert not algo.capabilities.train and algo.capabilities.export == ()
    with pytest.raises(NotSupportedError):
        algo.train("eng-lstm", {})
    with pytest.raises(NotSupportedError):
        algo.export(None, "onnx", tmp_path / "x.onnx", None)  # type: ignore[arg-type]


@needs_eng
def test_reads_rendered_words_from_raw_rgb() -> None:
    rec = Tesseract().load("eng-lstm", None)
    words = ["Hello", "WORLD 42", "strbench"]
    batch = make_batch([render_word(w) for w in words], rec.input_spec)
    assert batch.images is None and len(batch.raw) == 3
    preds = rec.predict(batch)
    assert [p.text for p in preds] == words
    assert all(0.5 < p.confidence <= 1.0 for p in preds)
