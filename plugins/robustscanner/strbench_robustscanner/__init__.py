"""RobustScanner (ResNet31) for strbench, equal to PaddleOCR's model layer for layer."""

__version__ = "1.0.0"
