"""strbench.testing: the plugin conformance kit.

- :class:`strbench.testing.conformance.ConformanceTests`: subclass it in a test module.
- :mod:`strbench.testing.checks`: the individual checks as plain functions.
- :mod:`strbench.testing.plugin`: ``pytest -p strbench.testing.plugin --pyargs strbench.testing
  --strbench-plugin NAME`` runs the kit on an installed plugin without writing any test.
"""
