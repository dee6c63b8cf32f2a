"""The conformance kit passes a correct plugin and catches each kind of broken one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conformance_fakes import (
    SPEC,
    DriftingExportAlgorithm,
    FakeAlgorithm,
    FakePlugin,
    LeakyAlgorithm,
    LongPaddingAlgorithm,
    NumpyConfidenceAlgorithm,
    OverclaimingAlgorithm,
    ShortAlgorithm,
    SilentExportAlgorithm,
)

import strbench
from strbench.plugin.host import PluginHost
from strbench.plugin.types import InputSpec
from strbench.testing import checks
from strbench.testing.conformance import ConformanceTests
from strbench.testing.samples import MIXED_WIDTH_WORDS, conformance_samples, make_batch, render_word

TESTS = Path(__file__).resolve().parent


def host_with(*algorithms: strbench.Algorithm) -> PluginHost:
    return PluginHost(autoload=False, extra_plugins=[("fakes", FakePlugin(*algorithms))])


@pytest.fixture(scope="module")
def samples():
    return conformance_samples(6)


class TestFakeAlgorithmConformance(ConformanceTests):
    """The whole kit, as a plugin author runs it, on a correct fake."""

    algorithm_name = "fake-good"
    num_samples = 6

    def make_host(self) -> PluginHost:
        return host_with(FakeAlgorithm())


def test_default_samples_without_real_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STRBENCH_DATA_ROOT", str(tmp_path))
    found = conformance_samples(5)
    assert "synthetic" in found.description and len(found.indices) == 5
    assert found.source.read(found.indices[-1]).image


def test_batch_leak_is_caught(samples) -> None:
    rec = LeakyAlgorithm().load("base", None)
    with pytest.raises(AssertionError, match="batched predictions differ from one-by-one"):
        checks.check_batch_invariance(rec, samples.source, samples.indices)


def test_padding_to_the_widest_image_is_caught_on_mixed_widths(tmp_path: Path) -> None:
    rec = LongPaddingAlgorithm().load("base", None)
    narrow = conformance_samples(16)  # real or synthetic benchmark crops: widths within a factor 5
    checks.check_batch_invariance(rec, narrow.source, narrow.indices)  # so the narrow check passes
    with pytest.raises(AssertionError, match="batched predictions differ") as info:
        checks.check_batch_invariance_mixed_widths(rec, tmp_path / "mixed")
    assert "images used" in str(info.value) and "banner.png" in str(info.value) and "tall_crop.png" in str(info.value)
    used = checks.check_batch_invariance_mixed_widths(FakeAlgorithm().load("base", None), tmp_path / "ok")
    assert all(name in used for name in MIXED_WIDTH_WORDS)


def test_missing_prediction_is_caught(samples) -> None:
    rec = ShortAlgorithm().load("base", None)
    with pytest.raises(AssertionError, match="one Prediction per image"):
        checks.check_inference(rec, samples.source, samples.indices)


def test_non_float_confidence_is_caught(samples) -> None:
    rec = NumpyConfidenceAlgorithm().load("base", None)
    with pytest.raises(AssertionError, match=r"confidence .* must be a float in \[0, 1\]"):
        checks.check_inference(rec, samples.source, samples.indices)


def test_capabilities_must_match_implemented_methods() -> None:
    with pytest.raises(AssertionError) as info:
        checks.check_metadata(OverclaimingAlgorithm())
    assert "capabilities.train=True but train() is not implemented" in str(info.value)
    assert "export() is not implemented" in str(info.value)
    with pytest.raises(AssertionError, match=r"capabilities.export=\(\) but export\(\) is implemented"):
        checks.check_metadata(SilentExportAlgorithm())


def test_undeclared_operation_must_raise_not_supported(tmp_path: Path) -> None:
    algo = SilentExportAlgorithm()
    with pytest.raises(AssertionError, match="export onnx: raised RuntimeError instead of NotSupportedError"):
        checks.check_unsupported(algo, "base", algo.load("base", None), tmp_path)
    good = FakeAlgorithm()
    checks.check_unsupported(good, "base", good.load("base", None), tmp_path)


@pytest.mark.parametrize(("spec", "message"), [
    (InputSpec(height=32, max_width=0), "0 (unbounded) is only valid"),
    (InputSpec(height=32, max_width=100, std=(0.5, 0.0, 0.5)), "std must be positive"),
    (InputSpec(height=0, max_width=100), "height must be > 0"),
    (InputSpec(height=32, max_width=100, mean=(0.5, 0.5)), "mean has 2 values for 3 channel"),
    (InputSpec(height=32, max_width=100, custom="no_such_module:f"), "cannot be imported"),
])
def test_inconsistent_input_specs_are_reported(spec: InputSpec, message: str) -> None:
    assert any(message in p for p in checks.input_spec_problems(spec))
    assert checks.input_spec_problems(SPEC) == []


def test_registration_reports_missing_algorithm_and_plugin_errors() -> None:
    with pytest.raises(AssertionError, match="no algorithm 'nope' registered"):
        checks.check_registration(host_with(FakeAlgorithm()), "nope")
    host = PluginHost(autoload=False, extra_plugins=[("dup-a", FakePlugin(FakeAlgorithm())),
                                                     ("dup-b", FakePlugin(FakeAlgorithm()))])
    checks.check_registration(host, "fake-good")  # the first provider is fine ...
    assert any("duplicate algorithm name" in e for e in host.errors())  # ... the second is reported


def test_problem_images_are_skipped_and_degenerate_ones_predicted(samples, tmp_path: Path) -> None:
    rec = FakeAlgorithm().load("base", None)
    good = samples.source.read(samples.indices[0]).image
    checks.check_problem_images(rec, tmp_path / "set", good)

    class Crashing(type(rec)):
        def forward(self, batch):
            raise RuntimeError("crash on degenerate input")

    with pytest.raises(AssertionError, match="crashed on a batch of broken and degenerate images"):
        checks.check_problem_images(Crashing(), tmp_path / "set2", good)


def test_export_round_trip_mismatch_is_caught(samples, tmp_path: Path) -> None:
    algo = DriftingExportAlgorithm()
    checks.check_metadata(algo)
    rec = algo.load("base", None)
    batch = make_batch([render_word("abc", 16), render_word("abcdef", 16)], rec.input_spec)
    with pytest.raises(AssertionError, match="exported model predicts differently"):
        checks.check_export_roundtrip(algo, "base", rec, batch, tmp_path)


def test_serialisation_round_trip(samples) -> None:
    algo = FakeAlgorithm()
    rec = algo.load("base", None)
    preds = checks.check_inference(rec, samples.source, samples.indices)
    record = json.loads(checks.check_serializable(algo, "base", rec, list(preds.values())))
    assert record["algorithm"]["variants"]["base"]["input_spec"]["height"] == 16
    assert record["weights"] == {"name": "untrained", "trained": False}


@pytest.mark.parametrize(("plugin_module", "outcome"), [("fake_plugin_good", "passed"),
                                                        ("fake_plugin_leaky", "failed")])
def test_command_line_kit(tmp_path: Path, plugin_module: str, outcome: str) -> None:
    """``pytest -p strbench.testing.plugin --pyargs strbench.testing --strbench-plugin NAME``."""
    algo = "FakeAlgorithm" if outcome == "passed" else "LeakyAlgorithm"
    (tmp_path / f"{plugin_module}.py").write_text(
        "import strbench\nfrom conformance_fakes import " + algo + "\n\n"
        "@strbench.hookimpl\ndef strbench_algorithms():\n    return [" + algo + "()]\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "STRBENCH_PLUGINS": plugin_module, "STRBENCH_DISABLE_PLUGIN_AUTOLOAD": "1"}
    name = "fake-good" if outcome == "passed" else "fake-leaky"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "strbench.testing.plugin", "--pyargs", "strbench.testing",
         "--strbench-plugin", name, "-q", "-p", "no:cacheprovider", "-W", "error::pytest.PytestDeprecationWarning"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    summary = proc.stdout.strip().splitlines()[-1]
    if outcome == "passed":
        assert proc.returncode == 0, proc.stdout[-3000:]
        assert "9 passed" in summary
    else:
        assert proc.returncode == 1, proc.stdout[-3000:]
        assert "2 failed" in summary and "test_batch_equals_one_by_one" in proc.stdout
        assert "test_batch_invariance_mixed_widths" in proc.stdout and "images used" in proc.stdout


def test_kit_without_pytest_says_to_install_the_test_extra() -> None:
    """``import strbench.testing`` where pytest is missing (simulated) names the extra to install."""
    code = ("import sys\nsys.modules['pytest'] = None\n"
            "try:\n    import strbench.testing\nexcept ImportError as exc:\n    print(exc)\nelse:\n    print('imported')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "pip install 'strbench[test]'" in proc.stdout and "pytest" in proc.stdout
