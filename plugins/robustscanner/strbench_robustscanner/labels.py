"""dict90 class list, SAR-style label encoding and greedy decoding.

Class indices: the 90 characters of ``dict90.txt`` (0-89), ``<UKN>`` 90, ``<BOS/EOS>`` 91 (start
and end share one index), ``<PAD>`` 92. The network predicts 92 classes (0-91); PAD is never
predicted and is ignored by the loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

MAX_LEN = 40
UNKNOWN_TOKEN = "<UKN>"


@cache
def dict90() -> str:
    """The 90 characters of the shipped ``dict90.txt``, in file order."""
    text = (Path(__file__).parent / "dict90.txt").read_text(encoding="utf-8")
    chars = [line.rstrip("\r\n") for line in text.splitlines()]
    if len(chars) != 90 or any(len(c) != 1 for c in chars) or len(set(chars)) != 90:
        raise RuntimeError("the packaged dict90.txt is corrupt: expected 90 distinct single characters")
    return "".join(chars)


@dataclass(frozen=True)
class Vocabulary:
    """Index layout of the class list built from a charset."""

    charset: str

    @property
    def unknown_idx(self) -> int:
        return len(self.charset)

    @property
    def end_idx(self) -> int:
        return len(self.charset) + 1

    start_idx = end_idx

    @property
    def pad_idx(self) -> int:
        return len(self.charset) + 2

    @property
    def num_classes(self) -> int:
        """Size of the class list including PAD (the embedding size)."""
        return len(self.charset) + 3

    def token(self, index: int) -> str:
        return UNKNOWN_TOKEN if index == self.unknown_idx else self.charset[index]


class LabelEncoder:
    """SARLabelEncode semantics: reject empty or too long labels, drop characters outside the
    charset (never mapped to ``<UKN>``), reject labels that keep nothing or keep more than
    ``max_len - 2`` characters; encode as ``[start] + ids + [end] + [pad] * rest``."""

    def __init__(self, vocab: Vocabulary, max_len: int = MAX_LEN) -> None:
        self.vocab = vocab
        self.max_len = max_len
        self._index = {c: i for i, c in enumerate(vocab.charset)}

    def rejection(self, label: str) -> str | None:
        """Why ``label`` cannot be trained on (``None`` when it can)."""
        if not label:
            return "empty label"
        if len(label) > self.max_len:
            return f"label longer than {self.max_len} characters"
        kept = sum(1 for c in label if c in self._index)
        if kept == 0:
            return "no character of the label is in the charset"
        if kept >= self.max_len - 1:
            return f"more than {self.max_len - 2} characters after charset filtering"
        return None

    def encode(self, label: str) -> np.ndarray | None:
        """Encoded target of length ``max_len`` (int64), or ``None`` when rejected."""
        if self.rejection(label) is not None:
            return None
        ids = [self._index[c] for c in label if c in self._index]
        out = np.full(self.max_len, self.vocab.pad_idx, dtype=np.int64)
        out[0] = self.vocab.start_idx
        out[1 : 1 + len(ids)] = ids
        out[1 + len(ids)] = self.vocab.end_idx
        return out


def greedy_decode(probs: torch.Tensor, vocab: Vocabulary) -> list[tuple[str, float]]:
    """SARLabelDecode on ``(B, T, C)`` probabilities: argmax per step, skip PAD, stop at the end
    token. Confidence is the mean of the kept steps' max probabilities; for an empty result it is
    the max probability of the end token at step 0 (PaddleOCR would return NaN there)."""
    if probs.numel() == 0:
        return [("", 0.0) for _ in range(probs.shape[0])]
    max_prob, index = probs.detach().float().max(dim=2)
    index_np, prob_np = index.cpu().numpy(), max_prob.cpu().numpy()
    results = []
    for ids, ps in zip(index_np, prob_np):
        chars: list[str] = []
        confs: list[float] = []
        for idx, p in zip(ids.tolist(), ps.tolist()):
            if idx == vocab.pad_idx:
                continue
            if idx == vocab.end_idx:
                break
            chars.append(vocab.token(idx))
            confs.append(p)
        conf = float(np.mean(confs)) if confs else float(ps[0])
        results.append(("".join(chars), conf))
    return results
