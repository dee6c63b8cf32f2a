"""strbench.perf."""
