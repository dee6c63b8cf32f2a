"""Find the tessdata folder holding a language's ``.traineddata`` file."""

from __future__ import annotations

import os
from pathlib import Path

from strbench import UsageError

DEBIAN_TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
APT_PACKAGE = "tesseract-ocr-eng"


def find_tessdata(lang: str = "eng") -> Path:
    """``$TESSDATA_PREFIX`` if set, else Debian's folder; a clear error when the model is absent."""
    env = os.environ.get("TESSDATA_PREFIX")
    folder = Path(env) if env else DEBIAN_TESSDATA
    if not (folder / f"{lang}.traineddata").is_file():
        where = f"TESSDATA_PREFIX={env}" if env else str(folder)
        raise UsageError(
            f"Tesseract model {lang}.traineddata not found in {where}; install it with "
            f"'apt-get install -y {APT_PACKAGE}' (Debian/Ubuntu) or point TESSDATA_PREFIX at a "
            f"folder that holds {lang}.traineddata"
        )
    return folder
