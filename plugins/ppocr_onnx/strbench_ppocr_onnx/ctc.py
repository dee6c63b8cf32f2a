"""Greedy CTC decoding of PP-OCR probability outputs (blank at index 0)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from strbench import Prediction


def greedy_decode(probs: np.ndarray, classes: Sequence[str]) -> Prediction:
    """Decode one ``(T, C)`` probability matrix.

    Repeated indices collapse, blanks are dropped; confidence is the mean of the kept
    characters' maximum probabilities (0 for an empty prediction), as PaddleOCR computes it.
    """
    best = probs.argmax(axis=1)
    score = probs.max(axis=1)
    keep = best != 0
    keep[1:] &= best[1:] != best[:-1]
    text = "".join(classes[i] for i in best[keep])
    confidence = float(score[keep].mean()) if keep.any() else 0.0
    return Prediction(text=text, confidence=min(max(confidence, 0.0), 1.0))
