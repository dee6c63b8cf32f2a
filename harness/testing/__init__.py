"""strbench.testing."""
