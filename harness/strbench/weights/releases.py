"""Published weights that an algorithm names by alias (e.g. ``--weights paddle``).

An alias is downloaded on first use with :func:`strbench.weights.download.fetch` (cache, resume, checksum;
offline, the error says where to put the file by hand), converted once to the plugin's own format
next to the download and loaded from there afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strbench.weights.download import cached_path, fetch


@dataclass(frozen=True)
class WeightsRelease:
    """One published weights archive: where it is and what its publisher reports for it."""

    url: str
    sha256: str | None = None
    reported_accuracy: str | None = None
    #: Who reports ``reported_accuracy`` and on what (shown in the leaderboard's reference table).
    reported_by: str | None = None

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        name = self.filename
        for suffix in (".tar.gz", ".tgz", ".tar", ".zip"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return Path(name).stem

    def converted_path(self, cache_dir: Path | None = None) -> Path:
        """Where the converted file lives in the download cache."""
        return cached_path(self.url, cache_dir=cache_dir, filename=f"{self.stem}.strbench.safetensors")


def fetch_release(release: WeightsRelease, convert: Callable[[Path, Path], Any],
                  cache_dir: Path | None = None) -> Path:
    """The converted file for ``release``: downloaded and converted (``convert(source, dest)``) only
    when it is not in the cache yet."""
    converted = release.converted_path(cache_dir)
    if not converted.is_file():
        archive = fetch(release.url, sha256=release.sha256, cache_dir=cache_dir)
        convert(archive, converted)
    return converted
