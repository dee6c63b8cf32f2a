"""strbench plugin: Tesseract 5 LSTM line recognition."""

__version__ = "0.1.0"
