"""Identify the weights of a run: the plugin's description, the file's sha256 and, for a
converted published release, where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strbench.checksum import sha256_file
from strbench.plugin.algorithm import Algorithm


def describe_weights(algorithm: Algorithm, variant: str, path: Path | None) -> dict[str, Any]:
    """``{name, trained, path, sha256, ...}`` for the record and the leaderboard."""
    desc = dict(algorithm.weights_identity(variant, path))
    if path is not None and path.is_file():
        desc.setdefault("path", str(path))
        desc["sha256"] = sha256_file(path)
        release = release_of(algorithm, variant, path)
        if release is not None:
            desc["release"] = release
    return desc


def release_of(algorithm: Algorithm, variant: str, path: Path) -> dict[str, Any] | None:
    """``{alias, url, reported_accuracy}`` when ``path`` is the cached conversion of a release."""
    for alias, per_variant in algorithm.weight_releases.items():
        release = per_variant.get(variant)
        if release is not None and path.resolve() == release.converted_path().resolve():
            return {"alias": alias, "url": release.url, "sha256": release.sha256,
                    "reported_accuracy": release.reported_accuracy}
    return None
