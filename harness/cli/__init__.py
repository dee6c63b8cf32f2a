"""strbench.cli."""
