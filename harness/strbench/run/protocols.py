"""Evaluation protocols: named, versioned rules for normalising labels and predictions.

A protocol states whitespace handling, unicode normalisation, case, charset filtering, what
happens to labels longer than ``max_label_length``, to labels with characters outside the
charset and to labels that are empty after normalisation, and how the edit-distance metrics
treat empty strings. Labels go through every step; predictions go either through the same steps
(``predictions="same"``) or only through case mapping and charset filtering
(``predictions="charset_only"``, parseq's ``CharsetAdapter``: a prediction is never unicode
folded). Re-scoring a record under another protocol needs only the raw strings kept in it.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass, fields
from typing import Any, Literal

DIGITS_LOWER = string.digits + string.ascii_lowercase
DIGITS_CASED = DIGITS_LOWER + string.ascii_uppercase
PRINTABLE94 = DIGITS_CASED + string.punctuation
DIGITS_LOWER_PUNCT = DIGITS_LOWER + string.punctuation


@dataclass(frozen=True)
class Protocol:
    """How strings are compared. ``id@version`` identifies it in records.

    Label steps, in order: whitespace removal, unicode folding, the long-label rule
    (``long_label_length``: the raw label's length or the length after those two steps), the
    out-of-charset rule, case mapping and charset filtering (in ``case_stage`` order), the
    empty-label rule."""

    id: str
    version: int
    description: str
    unicode: Literal["none", "nfkd_ascii"] = "none"
    remove_whitespace: bool = True
    case: Literal["keep", "lower", "lower_if_charset_lower"] = "keep"
    charset: str | None = None  # characters outside it are removed
    keep_pattern: str | None = None  # regex of characters to keep (alternative to charset)
    max_label_length: int | None = 25
    long_labels: Literal["keep", "skip"] = "keep"
    empty_labels: Literal["skip", "keep"] = "skip"
    reference: str = ""
    predictions: Literal["same", "charset_only"] = "same"
    case_stage: Literal["before_charset", "after_charset"] = "before_charset"
    long_label_length: Literal["raw", "folded"] = "raw"
    out_of_charset_labels: Literal["strip", "skip"] = "strip"  # "skip": any char of label.lower() outside
    ned_empty: Literal["icdar2019", "zero_if_either_empty"] = "icdar2019"
    char_matching: Literal["lcs", "difflib"] = "lcs"
    char_metrics_keep_pattern: str | None = None  # NED and char P/R on lower-cased text reduced to this

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def _fold(self, text: str) -> str:
        if self.remove_whitespace:
            text = "".join(text.split())
        if self.unicode == "nfkd_ascii":
            text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return text

    def _lowers(self) -> bool:
        return self.case == "lower" or (self.case == "lower_if_charset_lower"
                                        and self.charset == (self.charset or "").lower())

    def _case_and_charset(self, text: str) -> str:
        lower = self._lowers()
        if lower and self.case_stage == "before_charset":
            text = text.lower()
        if self.charset is not None:
            allowed = set(self.charset)
            text = "".join(c for c in text if c in allowed)
        if self.keep_pattern is not None:
            text = "".join(re.findall(self.keep_pattern, text))
        if lower and self.case_stage == "after_charset":
            text = text.lower()
        return text

    def normalize(self, text: str) -> str:
        """Normalise a label (every step but the skip rules)."""
        return self._case_and_charset(self._fold(text))

    def normalize_prediction(self, text: str) -> str:
        """Normalise a prediction (``predictions="charset_only"``: no whitespace or unicode step)."""
        if self.predictions == "charset_only":
            return self._case_and_charset(text)
        return self.normalize(text)

    def char_view(self, text: str) -> str | None:
        """The text character metrics compare, when it is not the normalised text itself."""
        if self.char_metrics_keep_pattern is None:
            return None
        return "".join(re.findall(self.char_metrics_keep_pattern, text.lower()))

    def label_skip_reason(self, raw_label: str, normalized: str) -> str | None:
        """Why a sample is excluded under this protocol (``None``: it is scored)."""
        if self.long_labels == "skip" and self.is_long(raw_label):
            return f"label longer than {self.max_label_length} characters"
        if self.out_of_charset_labels == "skip" and self.charset is not None:
            allowed = set(self.charset)
            if any(c not in allowed for c in self._fold(raw_label).lower()):
                return "label has characters outside the charset"
        if self.empty_labels == "skip" and not normalized:
            return "empty label after normalisation"
        return None

    def is_long(self, raw_label: str) -> bool:
        text = raw_label if self.long_label_length == "raw" else self._fold(raw_label)
        return self.max_label_length is not None and len(text) > self.max_label_length


def protocol_from_json(data: dict[str, Any]) -> Protocol:
    """The protocol a record stores (``record["protocol"]``); fields it lacks keep their defaults."""
    names = {f.name for f in fields(Protocol)}
    return Protocol(**{k: v for k, v in data.items() if k in names})
