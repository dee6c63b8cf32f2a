"""strbench.builtin."""
