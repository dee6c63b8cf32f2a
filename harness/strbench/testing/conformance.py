"""A pytest test class a plugin author subclasses to run the conformance checks::

    from strbench.testing.conformance import ConformanceTests

    class TestMyAlgorithm(ConformanceTests):
        algorithm_name = "my-algo"   # the name its strbench_algorithms() hook returns
        variant = None               # None: the default variant

Every check works for untrained models: strings may be garbage but must be well-formed and
must not depend on batching.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from strbench.data.loader import make_loader
from strbench.plugin.algorithm import Algorithm, Recognizer
from strbench.plugin.host import PluginHost
from strbench.plugin.types import Prediction
from strbench.testing import checks
from strbench.testing.samples import ConformanceSamples, conformance_samples


class ConformanceTests:
    """Subclass with ``algorithm_name`` set; override :meth:`make_host` to load plugins specially."""

    algorithm_name: str = ""
    variant: str | None = None
    weights: Path | None = None
    load_options: dict[str, Any] = {}
    num_samples: int = 16
    export_check_samples: int = 2

    def make_host(self) -> PluginHost:
        """The plugin host, discovering plugins through entry points as ``strbench`` does."""
        return PluginHost()

    # -- fixtures (one model load per test class) ------------------------------------------

    # Class-scoped fixtures are classmethods (pytest runs them once per class, so they must not
    # depend on a test instance); ``make_host``, an instance method subclasses override, is
    # called on a fresh instance.

    @pytest.fixture(scope="class")
    @classmethod
    def host(cls) -> PluginHost:
        if not cls.algorithm_name:
            pytest.skip("set algorithm_name on the ConformanceTests subclass (or pass --strbench-plugin)")
        return cls().make_host()

    @pytest.fixture(scope="class")
    @classmethod
    def algorithm(cls, host: PluginHost) -> Algorithm:
        return checks.check_registration(host, cls.algorithm_name)

    @pytest.fixture(scope="class")
    @classmethod
    def variant_name(cls, algorithm: Algorithm) -> str:
        return algorithm.variant(cls.variant).name

    @pytest.fixture(scope="class")
    @classmethod
    def recognizer(cls, algorithm: Algorithm, variant_name: str) -> Recognizer:
        return algorithm.load(variant_name, cls.weights, "cpu", **cls.load_options)

    @pytest.fixture(scope="class")
    @classmethod
    def samples(cls) -> ConformanceSamples:
        return conformance_samples(cls.num_samples)

    @pytest.fixture(scope="class")
    @classmethod
    def batched(cls, recognizer: Recognizer, samples: ConformanceSamples) -> dict[int, Prediction]:
        """Predictions of all samples in one batch (checked by :meth:`test_inference`)."""
        return checks.check_inference(recognizer, samples.source, samples.indices, len(samples.indices))

    # -- checks ----------------------------------------------------------------------------

    def test_registration(self, host: PluginHost) -> None:
        checks.check_registration(host, self.algorithm_name)

    def test_metadata(self, algorithm: Algorithm, host: PluginHost) -> None:
        checks.check_metadata(algorithm, host)

    def test_load(self, algorithm: Algorithm, variant_name: str, recognizer: Recognizer) -> None:
        checks.check_recognizer(recognizer, algorithm.variants[variant_name])

    def test_inference(self, batched: dict[int, Prediction], samples: ConformanceSamples) -> None:
        assert sorted(batched) == sorted(samples.indices)

    def test_batch_equals_one_by_one(self, recognizer: Recognizer, samples: ConformanceSamples,
                                     batched: dict[int, Prediction]) -> None:
        checks.check_batch_invariance(recognizer, samples.source, samples.indices, batched)

    def test_batch_invariance_mixed_widths(self, recognizer: Recognizer, tmp_path: Path) -> None:
        """Widely different widths and aspect ratios in one batch (the images are listed on failure
        and printed on success)."""
        print(checks.check_batch_invariance_mixed_widths(recognizer, tmp_path / "mixed_widths"))

    def test_problem_images(self, recognizer: Recognizer, samples: ConformanceSamples,
                            tmp_path: Path) -> None:
        good = samples.source.read(samples.indices[0]).image
        checks.check_problem_images(recognizer, tmp_path / "problem_set", good)

    def test_unsupported_operations(self, algorithm: Algorithm, variant_name: str, recognizer: Recognizer,
                                    tmp_path: Path) -> None:
        checks.check_unsupported(algorithm, variant_name, recognizer, tmp_path)

    def test_export_roundtrip(self, algorithm: Algorithm, variant_name: str, recognizer: Recognizer,
                              samples: ConformanceSamples, tmp_path: Path) -> None:
        if not algorithm.capabilities.export:
            pytest.skip(f"{algorithm.name} declares no export format")
        count = self.export_check_samples
        item = next(iter(make_loader(samples.source, recognizer.input_spec, batch_size=count,
                                     indices=samples.indices[:count])))
        checks.check_export_roundtrip(algorithm, variant_name, recognizer, item.batch, tmp_path)

    def test_serializable(self, algorithm: Algorithm, variant_name: str, recognizer: Recognizer,
                          batched: dict[int, Prediction]) -> None:
        checks.check_serializable(algorithm, variant_name, recognizer, list(batched.values()))
