"""EasyOCR-style greedy CTC decoding of logits (blank at index 0)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch

from strbench import Prediction


def greedy_decode(logits: torch.Tensor, classes: Sequence[str], ignore: Iterable[int] = ()) -> Prediction:
    """Decode one ``(T, C)`` logit matrix as ``easyocr.recognition.recognizer_predict`` does.

    Softmax, then the probabilities of the ``ignore`` classes (characters outside an allow-list)
    are zeroed and each step renormalised; argmax, collapse repeats, drop blanks. Confidence is
    EasyOCR's ``custom_mean``: the product of the non-blank steps' maximum probabilities raised
    to ``2 / sqrt(n)`` (0 when every step is blank).
    """
    probs = torch.softmax(logits.float(), dim=-1)
    ignore = sorted(set(ignore))
    if ignore:
        probs[:, ignore] = 0.0
        probs = probs / probs.sum(dim=-1, keepdim=True)
    score, best = probs.max(dim=-1)
    best_list = best.tolist()
    chars = [classes[i] for t, i in enumerate(best_list) if i != 0 and (t == 0 or best_list[t - 1] != i)]
    kept = score[best != 0].double()
    confidence = float(kept.prod() ** (2.0 / math.sqrt(len(kept)))) if len(kept) else 0.0
    return Prediction(text="".join(chars), confidence=min(max(confidence, 0.0), 1.0))
