"""strbench.testing: the plugin conformance kit, and the public test API for plugins.

- :class:`ConformanceTests`: subclass it in a test module.
- the individual checks as plain functions (``check_batch_invariance`` ...), also in
  :mod:`strbench.testing.checks`.
- :mod:`strbench.testing.plugin`: ``pytest -p strbench.testing.plugin --pyargs strbench.testing
  --strbench-plugin NAME`` runs the kit on an installed plugin without writing any test.
- helpers for a plugin's own tests: :func:`render_word`, :func:`make_batch`,
  :func:`conformance_samples`, :class:`PluginHost` (the registry as the CLI builds it) and
  :func:`run_cli` (``strbench ...`` in-process).

Plugins and their tests import from ``strbench`` and ``strbench.testing`` only. The kit needs
pytest: ``pip install 'strbench[test]'``.
"""

from __future__ import annotations

from collections.abc import Sequence

try:
    import pytest  # noqa: F401  (the kit's test classes and fixtures are pytest's)
except ModuleNotFoundError as exc:
    if exc.name != "pytest":
        raise
    raise ImportError("strbench.testing (the plugin conformance kit) needs pytest; "
                      "install it with: pip install 'strbench[test]'", name="pytest") from exc

from strbench.data.preprocess import make_batch
from strbench.plugin.host import PluginHost
from strbench.testing.checks import (
    check_batch_invariance,
    check_batch_invariance_mixed_widths,
    check_export_roundtrip,
    check_inference,
    check_metadata,
    check_problem_images,
    check_recognizer,
    check_registration,
    check_serializable,
    check_unsupported,
)
from strbench.testing.conformance import ConformanceTests
from strbench.testing.samples import (
    MIXED_WIDTH_WORDS,
    ConformanceSamples,
    conformance_samples,
    data_root,
    render_word,
)


def run_cli(argv: Sequence[str]) -> int:
    """Run ``strbench ARGV...`` in this process; return its exit code."""
    from strbench.cli.main import main

    return main(list(argv))


__all__ = [
    "MIXED_WIDTH_WORDS",
    "ConformanceSamples",
    "ConformanceTests",
    "PluginHost",
    "check_batch_invariance",
    "check_batch_invariance_mixed_widths",
    "check_export_roundtrip",
    "check_inference",
    "check_metadata",
    "check_problem_images",
    "check_recognizer",
    "check_registration",
    "check_serializable",
    "check_unsupported",
    "conformance_samples",
    "data_root",
    "make_batch",
    "render_word",
    "run_cli",
]
