"""Identify the weights of a run: the plugin's description plus the file's sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from strbench.algorithm import Algorithm


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_weights(algorithm: Algorithm, variant: str, path: Path | None) -> dict[str, Any]:
    """``{name, trained, path, sha256, ...}`` for the record and the leaderboard."""
    desc = dict(algorithm.weights_identity(variant, path))
    if path is not None and path.is_file():
        desc.setdefault("path", str(path))
        desc["sha256"] = file_sha256(path)
    return desc
