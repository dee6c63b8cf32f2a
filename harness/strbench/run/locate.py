"""The locate step of a run: which datasets it evaluates and where they are.

Suite versions are found below ``--data-root``; sets given by path (``--dataset PATH[=NAME]``)
are opened with the host's dataset formats (detected, or ``--format``) and recorded as custom
sets with their sample count and content hash, never as a version of a suite. Without either,
the embedded synthetic set is used, and only then: a wrong path, name or suite is an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strbench import ui
from strbench.data.base import DatasetFormat, SampleSource
from strbench.data.suite import BenchmarkSuite, DatasetVersion, LocatedVersion, locate
from strbench.errors import DataError, SampleError, UsageError
from strbench.plugin.host import PluginHost
from strbench.run.runinfo import RunInfo

#: Annotation file names that say nothing about the set: the set is named after their folder.
GENERIC_STEMS = {"gt", "gt_cased", "label", "labels", "annotation", "test_label", "train_label",
                 "textrecog_test", "textrecog_train", "textrecog_val", "rec_gt_test", "rec_gt_train"}


PATH_SUFFIXES = {".txt", ".json", ".jsonl", ".mdb", ".lmdb"}


@dataclass(frozen=True)
class DatasetSpec:
    """One ``--dataset PATH[=NAME]`` argument."""

    path: Path
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> DatasetSpec:
        path, sep, name = text.rpartition("=")
        if sep and name and "/" not in name and not Path(text).exists():
            return cls(Path(path), name)
        return cls(Path(text))

    def default_name(self) -> str:
        path = self.path.resolve() if self.path.name in ("", ".", "..") else self.path
        if path.is_file() or path.suffix:
            return path.parent.name if path.stem.lower() in GENERIC_STEMS else path.stem
        return path.name


def content_hash(source: SampleSource, description: str = "") -> str:
    """sha256 over every sample's image digest and label, in order (independent of the storage
    format and of sample keys: the same images and labels hash alike in a folder and an LMDB)."""
    total = hashlib.sha256()
    with ui.progress() as bar:
        task = bar.add_task(f"hash {description}", total=len(source))
        for i in range(len(source)):
            try:
                sample = source.read(i)
                total.update(hashlib.sha256(sample.image).digest() + sample.label.encode("utf-8"))
            except SampleError as exc:
                total.update(b"\x00unreadable:" + exc.reason.encode("utf-8"))
            total.update(b"\n")
            bar.advance(task)
    return total.hexdigest()


def detect_format(path: Path, formats: Mapping[str, DatasetFormat], forced: str | None) -> DatasetFormat:
    """The format of ``path``: ``forced`` (``--format``) or the first that recognises it."""
    if forced is not None:
        if forced not in formats:
            raise UsageError(f"unknown --format {forced!r}; available: {', '.join(formats)}")
        return formats[forced]
    for fmt in formats.values():
        if fmt.detect(path):
            return fmt
    listing = "; ".join(f"{f.name}: {f.description}" for f in formats.values())
    raise DataError(f"--dataset {path}: not a dataset in any known format. Known formats: {listing}. "
                    f"Force one with --format NAME when detection is wrong")


def open_located(formats: Mapping[str, DatasetFormat], loc: LocatedVersion) -> SampleSource:
    """Open a located set with its format (and its ``--dataset-root``)."""
    fmt = formats.get(loc.format or "")
    if loc.path is None or fmt is None:
        raise DataError(f"no reader for format {loc.format!r} of {loc.path}")
    return fmt.open_rooted(loc.path, loc.root) if loc.root is not None else fmt.open(loc.path)


def _custom(name: str, path: Path, fmt: DatasetFormat, root: Path | None) -> LocatedVersion:
    version = DatasetVersion(name, "custom", None, note="custom set given by path")
    loc = LocatedVersion(version, path, fmt.name, None, custom=True, root=root)
    source = open_located({fmt.name: fmt}, loc)
    try:
        if len(source) == 0:
            raise DataError(f"--dataset {path}: the {fmt.name} set has no samples")
        return LocatedVersion(version, path, fmt.name, len(source), custom=True,
                              content_hash=content_hash(source, name), root=root)
    finally:
        source.close()


def locate_custom(spec: DatasetSpec, formats: Mapping[str, DatasetFormat], forced: str | None = None,
                  root: Path | None = None) -> list[LocatedVersion]:
    """The custom set(s) at ``spec.path``: one, or one per leaf of a format holding several."""
    if not spec.path.exists():
        raise DataError(f"--dataset {spec.path}: no such file or folder (give the path of a dataset: a label "
                        f"file, a folder holding one, an LMDB folder or a root of LMDBs)")
    if root is not None and not root.is_dir():
        raise DataError(f"--dataset-root {root} is not a folder")
    fmt = detect_format(spec.path, formats, forced)
    base = spec.name or spec.default_name()
    parts = fmt.versions(spec.path)
    if parts is None:
        return [_custom(base, spec.path, fmt, root)]
    located = []
    for rel, leaf in parts:
        located.append(_custom(f"{base}/{rel}", leaf, detect_format(leaf, formats, None), root))
    return located


def _check_names(located: list[LocatedVersion], suites: Mapping[str, BenchmarkSuite]) -> None:
    reserved = {v.name.lower(): s.name for s in suites.values() for v in s.versions}
    seen: set[str] = set()
    for loc in located:
        name = loc.version.name
        if loc.custom and name.lower() in reserved:
            raise UsageError(f"--dataset {loc.path}: the name {name!r} is a version of suite "
                             f"{reserved[name.lower()]!r}; a set given by path is recorded as a custom set, so "
                             f"name it otherwise (--dataset PATH=NAME), or evaluate the suite with --data-root")
        if name.lower() in seen:
            raise UsageError(f"two datasets are named {name!r}; name them apart with --dataset PATH=NAME")
        seen.add(name.lower())


def versions_named(suite: BenchmarkSuite, name: str) -> tuple[DatasetVersion, ...]:
    """What ``--datasets NAME`` selects in ``suite`` (case-insensitive): a group's versions, one
    version, or the version of a family that has only one (``CUTE80`` is ``CUTE80_288``). A family
    with several versions (``IC13``) is a usage error listing them; so is an unknown name."""
    lowered = name.lower()
    groups = {g.lower(): members for g, members in suite.groups.items()}
    if lowered in groups:
        return tuple(suite.version(member) for member in groups[lowered])
    try:
        return (suite.version(name),)
    except KeyError:
        pass
    family = tuple(v for v in suite.versions if v.family.lower() == lowered)
    if len(family) == 1:
        return family
    groups_known = f" (or a group: {', '.join(suite.groups)})" if suite.groups else ""
    if family:
        raise UsageError(f"--datasets {name} is ambiguous: suite {suite.name!r} has {len(family)} versions of "
                         f"{family[0].family}: {', '.join(v.name for v in family)}; name the version(s) to evaluate, "
                         f"e.g. --datasets {family[0].name}{groups_known}")
    raise UsageError(f"unknown dataset version or group {name!r} in suite {suite.name!r}; known versions: "
                     f"{', '.join(v.name for v in suite.versions)}{groups_known}")


def select_versions(suite: BenchmarkSuite, names: list[str] | None) -> BenchmarkSuite:
    """``suite`` restricted to the ``--datasets`` names (:func:`versions_named`), each version once."""
    if not names:
        return suite
    wanted = [version for name in names for version in versions_named(suite, name)]
    return dataclasses.replace(suite, versions=tuple(dict.fromkeys(wanted)))


def select_suite_versions(suite: BenchmarkSuite, names: list[str] | None) -> BenchmarkSuite:
    """``suite`` restricted to ``--datasets`` versions, families or groups (a path there is an error)."""
    for name in names or []:
        if "/" in name or "\\" in name or Path(name).suffix.lower() in PATH_SUFFIXES:
            raise UsageError(f"--datasets {name!r}: --datasets selects versions or groups of the suite; "
                             f"evaluate a dataset at a path with --dataset PATH")
    return select_versions(suite, names)


def locate_run(host: PluginHost, info: RunInfo) -> list[LocatedVersion]:
    """Every dataset of the run: suite versions below ``data_root`` then the ``--dataset`` sets."""
    formats, suites = host.dataset_formats(), host.suites()
    located: list[LocatedVersion] = []
    if (info.dataset_format or info.dataset_root) and not info.dataset_paths:
        raise UsageError("--format and --dataset-root apply to --dataset PATH sets; give --dataset")
    if info.data_root is None:
        if info.datasets:
            raise UsageError("--datasets selects versions of the suite found below --data-root: give --data-root, "
                             "or evaluate a dataset at a path with --dataset PATH")
        if info.suite != "standard":
            raise UsageError(f"--suite {info.suite} needs --data-root (the folder holding its sets); "
                             f"'strbench data suites' lists what each suite looks for")
        if not info.dataset_paths:
            from strbench.data import default_set

            return [default_set.located()]
    else:
        if not info.data_root.is_dir():
            raise DataError(f"data root {info.data_root} is not a folder; point --data-root at the folder "
                            f"holding the benchmark sets (see docs/datasets.md)")
        if info.suite not in suites:
            raise UsageError(f"unknown suite {info.suite!r}; available: {', '.join(sorted(suites))}")
        located = locate(info.data_root, select_suite_versions(suites[info.suite], info.datasets), formats)
        if not any(loc.path for loc in located):
            raise DataError(f"no dataset of suite {info.suite!r} found below {info.data_root}; "
                            f"'strbench data suites --data-root {info.data_root}' shows the folder names it looks "
                            f"for (see docs/datasets.md)")
    for text in info.dataset_paths:
        located += locate_custom(DatasetSpec.parse(text), formats, info.dataset_format, info.dataset_root)
    _check_names(located, suites)
    return located


def record_fields(loc: LocatedVersion) -> dict[str, Any]:
    """What a record adds for a custom set (empty for suite versions)."""
    if not loc.custom:
        return {}
    return {"custom": True, "expected": None, "content_hash": loc.content_hash,
            "root": str(loc.root) if loc.root else None}
