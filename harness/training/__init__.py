"""strbench.training."""
