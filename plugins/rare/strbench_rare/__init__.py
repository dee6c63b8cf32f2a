"""RARE for strbench: TPS + MobileNetV3 / ResNet34_vd + BiLSTM + attention, equal to PaddleOCR."""

__version__ = "1.0.0"
