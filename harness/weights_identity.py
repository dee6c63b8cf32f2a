"""Identify the weights of a run: the plugin's description plus the file's sha256."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strbench.algorithm import Algorithm
from strbench.weights import sha256_file


def describe_weights(algorithm: Algorithm, variant: str, path: Path | None) -> dict[str, Any]:
    """``{name, trained, path, sha256, ...}`` for the record and the leaderboard."""
    desc = dict(algorithm.weights_identity(variant, path))
    if path is not None and path.is_file():
        desc.setdefault("path", str(path))
        desc["sha256"] = sha256_file(path)
    return desc
