"""Evaluation protocols: named, versioned rules for normalising labels and predictions.

A protocol states unicode normalisation, whitespace handling, case, charset filtering and what
happens to labels longer than ``max_label_length``. The same function normalises the ground
truth and the prediction, so re-scoring a record under another protocol needs only the raw
strings kept in the record.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import Literal

DIGITS_LOWER = string.digits + string.ascii_lowercase
DIGITS_CASED = DIGITS_LOWER + string.ascii_uppercase
PRINTABLE94 = DIGITS_CASED + string.punctuation


@dataclass(frozen=True)
class Protocol:
    """How strings are compared. ``id@version`` identifies it in records."""

    id: str
    version: int
    description: str
    unicode: Literal["none", "nfkd_ascii"] = "none"
    remove_whitespace: bool = True
    case: Literal["keep", "lower", "lower_if_charset_lower"] = "keep"
    charset: str | None = None  # characters outside it are removed (after case mapping)
    keep_pattern: str | None = None  # regex of characters to keep (alternative to charset)
    max_label_length: int | None = 25
    long_labels: Literal["keep", "skip"] = "keep"
    empty_labels: Literal["skip", "keep"] = "skip"
    reference: str = ""

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def normalize(self, text: str) -> str:
        """Normalise a label or a prediction."""
        if self.unicode == "nfkd_ascii":
            text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        if self.remove_whitespace:
            text = "".join(text.split())
        if self.case == "lower" or (self.case == "lower_if_charset_lower" and self.charset == (self.charset or "").lower()):
            text = text.lower()
        if self.charset is not None:
            allowed = set(self.charset)
            text = "".join(c for c in text if c in allowed)
        if self.keep_pattern is not None:
            text = "".join(re.findall(self.keep_pattern, text))
        return text

    def label_skip_reason(self, raw_label: str, normalized: str) -> str | None:
        """Why a sample is excluded under this protocol (``None``: it is scored)."""
        if self.empty_labels == "skip" and not normalized:
            return "empty label after normalisation"
        if (self.long_labels == "skip" and self.max_label_length is not None
                and len(raw_label) > self.max_label_length):
            return f"label longer than {self.max_label_length} characters"
        return None

    def is_long(self, raw_label: str) -> bool:
        return self.max_label_length is not None and len(raw_label) > self.max_label_length
