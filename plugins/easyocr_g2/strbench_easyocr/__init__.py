"""strbench plugin: EasyOCR english_g2 recognizer rebuilt in PyTorch."""

__version__ = "0.1.0"
