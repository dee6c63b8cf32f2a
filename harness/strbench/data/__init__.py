"""strbench.data."""
