"""Run the strbench conformance kit on this plugin: ``pytest tests`` (after ``pip install -e .``)."""

from strbench.testing import ConformanceTests


class TestExampleCrnn(ConformanceTests):
    algorithm_name = "example-crnn"
