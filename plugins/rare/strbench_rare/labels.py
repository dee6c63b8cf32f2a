"""PaddleOCR's attention label encoding and decoding for RARE.

Classes: 0 = ``sos``, 1..36 = ``0-9a-z``, 37 = ``eos`` (38 in all).

Encoding (``AttnLabelEncode``): a raw label that is empty or longer than 25 characters is
rejected; it is lower-cased; characters outside the charset are dropped; if nothing or more than
23 characters remain it is rejected. Otherwise the target is ``[sos, ids..., eos, sos, sos, ...]``
of length 25 (the padding is class 0, and step 0 is trained to predict ``sos``). PaddleOCR's
test is ``len >= 25``, which lets a 24-character label through as a 26-step target that cannot
be batched; strbench rejects (and counts) it.

Decoding (``AttnLabelDecode``, current PaddleOCR): per step argmax; steps whose class is ``sos``
or ``eos`` are *skipped*, all the others are kept, over all 25 steps (PaddleOCR's ``break`` at
``eos`` is never reached because the skip test comes first). The confidence is the mean of the
kept steps' maximum probabilities (0 when nothing is kept). ``stop_at_eos`` instead ends the
string at the first ``eos``; the two differ only when a model emits characters after ``eos``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from strbench import Prediction

if TYPE_CHECKING:
    import torch

CHARSET = "0123456789abcdefghijklmnopqrstuvwxyz"
SOS = 0
EOS = len(CHARSET) + 1
NUM_CLASSES = len(CHARSET) + 2
MAX_TEXT_LENGTH = 25

DecodeMode = Literal["paddle", "stop_at_eos"]
DECODE_MODES: tuple[str, ...] = ("paddle", "stop_at_eos")
_INDEX = {c: i + 1 for i, c in enumerate(CHARSET)}


def encode_label(text: str, max_length: int = MAX_TEXT_LENGTH) -> list[int] | None:
    """Target class ids (length ``max_length``) for ``text``, or ``None`` when PaddleOCR drops it."""
    if not text or len(text) > max_length:
        return None
    ids = [_INDEX[c] for c in text.lower() if c in _INDEX]
    if not ids or len(ids) > max_length - 2:  # sos + characters + eos must fit the decoder's steps
        return None
    return [SOS, *ids, EOS] + [SOS] * (max_length - len(ids) - 2)


def encode_batch(texts: Sequence[str], max_length: int = MAX_TEXT_LENGTH) -> tuple[torch.Tensor, list[int]]:
    """Encode labels; return ``(targets (N, max_length) int64, kept row indices)``."""
    import torch

    rows, kept = [], []
    for i, text in enumerate(texts):
        ids = encode_label(text, max_length)
        if ids is not None:
            rows.append(ids)
            kept.append(i)
    targets = torch.tensor(rows, dtype=torch.long) if rows else torch.zeros(0, max_length, dtype=torch.long)
    return targets, kept


def decode_probs(probs: np.ndarray | torch.Tensor, mode: DecodeMode = "paddle") -> list[Prediction]:
    """Decode ``(B, T, 38)`` probabilities to predictions (see the module docstring)."""
    if mode not in DECODE_MODES:
        raise ValueError(f"unknown decode mode {mode!r}; choose one of {', '.join(DECODE_MODES)}")
    if not isinstance(probs, np.ndarray):  # a torch tensor
        probs = probs.detach().float().cpu().numpy()
    indices = probs.argmax(axis=2)
    maxima = probs.max(axis=2)
    out = []
    for idx_row, prob_row in zip(indices, maxima):
        chars, confs = [], []
        for idx, prob in zip(idx_row.tolist(), prob_row.tolist()):
            if idx == EOS and mode == "stop_at_eos":
                break
            if idx in (SOS, EOS):
                continue
            chars.append(CHARSET[idx - 1])
            confs.append(prob)
        out.append(Prediction("".join(chars), float(np.mean(confs)) if confs else 0.0))
    return out
