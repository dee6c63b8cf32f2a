"""The strbench conformance kit on the tesseract plugin (real images when available)."""

from __future__ import annotations

import importlib.util

import pytest

from strbench import UsageError
from strbench.testing import ConformanceTests

if importlib.util.find_spec("strbench_tesseract") is None:
    pytest.skip("strbench-tesseract is not installed (pip install -e plugins/tesseract)", allow_module_level=True)

from strbench_tesseract.tessdata import find_tessdata  # noqa: E402

try:
    find_tessdata("eng")
except UsageError as exc:
    pytest.skip(str(exc), allow_module_level=True)


class TestTesseractConformance(ConformanceTests):
    algorithm_name = "tesseract"
    variant = "eng-lstm"
