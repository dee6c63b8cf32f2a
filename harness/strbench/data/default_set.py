"""The embedded default evaluation set: synthetic word images shipped with the package.

``strbench run`` evaluates on it when no ``--data-root`` is given, so the main command works
offline. It is "strbench-default (synthetic, NOT a real benchmark)": its scores say nothing about
published benchmarks, and records made on it carry ``synthetic: true``. The images were generated
once by ``benchmarks/make_default_set.py`` (see ``default_set/README.txt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from strbench.data.folder import FolderFormat
from strbench.data.suite import DatasetVersion, LocatedVersion
from strbench.errors import DataError

NAME = "default-synthetic"
TITLE = "strbench-default (synthetic, NOT a real benchmark)"
EXPECTED_SAMPLES = 236


@dataclass(frozen=True)
class SyntheticVersion(DatasetVersion):
    """A :class:`DatasetVersion` that is generated data, not a benchmark split."""

    synthetic: bool = True


VERSION = SyntheticVersion(
    name=NAME,
    family="strbench-default",
    expected=EXPECTED_SAMPLES,
    folder_names=("default_set",),
    label_files=("default_set/gt.txt",),
    note=TITLE,
)


def path() -> Path:
    """The folder holding ``gt.txt`` and ``images/`` (raises :class:`DataError` if not installed)."""
    folder = Path(__file__).resolve().parent / "default_set"
    if not (folder / "gt.txt").is_file():
        raise DataError(f"the embedded default set is missing ({folder / 'gt.txt'}); reinstall strbench "
                        f"with its package data, or pass --data-root with real benchmark sets")
    return folder


def located() -> LocatedVersion:
    """The default set as a located dataset version, its sample count read from disk."""
    folder = path()
    source = FolderFormat().open(folder)
    try:
        return LocatedVersion(VERSION, folder, FolderFormat.name, len(source))
    finally:
        source.close()
