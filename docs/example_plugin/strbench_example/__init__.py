"""Example strbench plugin: a tiny CTC recognizer."""

__version__ = "0.1.0"
