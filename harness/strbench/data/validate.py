"""Check every sample of a dataset and report each problem by sample.

LMDB: ``num-samples`` present and a count, ``image-``/``label-`` keys for 1..num-samples,
no extra samples beyond it, no unknown keys. Folder: every label line well-formed, image files
present, inside the dataset root and not listed twice. Every format: every image decodes, every
label is UTF-8, non-empty and free of control characters. The format is detected (or forced); a
path no format recognises is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from strbench.data.base import DatasetFormat
from strbench.data.folder import FolderFormat, find_label_file, parse_label_file
from strbench.data.lmdb_format import LmdbFormat, acquire_env, image_key, label_key, release_env
from strbench.data.loader import dataset_format, decode_image, open_dataset
from strbench.data.text import label_problem
from strbench.errors import DataError, SampleError

SAMPLE_KEY = re.compile(rb"^(image|label)-(\d{9})$")
Advance = Callable[[int], None]


@dataclass
class ValidationReport:
    """Result of validating one dataset: samples checked and ``(sample, problem)`` pairs."""

    location: str
    format: str
    declared: int = 0
    checked: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, key: str, problem: str) -> None:
        self.problems.append((key, problem))


def _check_label(report: ValidationReport, key: str, raw: bytes) -> None:
    try:
        label = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.add(key, f"label is not UTF-8 ({exc.reason}); fix it and rebuild the LMDB")
        return
    if not label:
        report.add(key, "empty label; add the transcription or drop the sample")
        return
    problem = label_problem(label)
    if problem:
        report.add(key, f"{problem}; fix the label and rebuild the LMDB")


def _check_image(report: ValidationReport, key: str, data: bytes) -> None:
    try:
        decode_image(data, key)
    except SampleError as exc:
        report.add(key, exc.reason)


def _scan_lmdb_keys(txn) -> tuple[set[int], set[int], list[bytes]]:
    images: set[int] = set()
    labels: set[int] = set()
    unknown: list[bytes] = []
    for key in txn.cursor().iternext(keys=True, values=False):
        match = SAMPLE_KEY.match(key)
        if match:
            (images if match.group(1) == b"image" else labels).add(int(match.group(2)))
        elif key != b"num-samples":
            unknown.append(key)
    return images, labels, unknown


def _declared_count(report: ValidationReport, raw: bytes | None) -> int | None:
    if raw is None:
        report.add("num-samples", "key missing; not a clovaai LMDB (rebuild it with 'strbench data convert')")
        return None
    try:
        n = int(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        report.add("num-samples", f"value {raw[:20]!r} is not an integer; rebuild the LMDB")
        return None
    if n < 0:
        report.add("num-samples", f"value {n} is a negative count; rebuild the LMDB")
        return None
    return n


def validate_lmdb(path: Path, advance: Advance | None = None) -> ValidationReport:
    """Validate a clovaai LMDB folder key by key."""
    report = ValidationReport(str(path), "lmdb")
    env = acquire_env(path)
    try:
        with env.begin() as txn:
            images, labels, unknown = _scan_lmdb_keys(txn)
            declared = _declared_count(report, txn.get(b"num-samples"))
            n = declared if declared is not None else max(images | labels, default=0)
            report.declared = n
            for index in range(1, n + 1):
                key = f"{index:09d}"
                image, label = txn.get(image_key(index)), txn.get(label_key(index))
                if image is None or label is None:
                    missing = " and ".join(k for k, v in (("image", image), ("label", label)) if v is None)
                    report.add(key, f"{missing} key missing although num-samples is {n}; rebuild the LMDB")
                else:
                    _check_label(report, key, label)
                    _check_image(report, key, image)
                report.checked += 1
                if advance:
                    advance(1)
    finally:
        release_env(path)
    extra = sorted(i for i in images | labels if i > n or i < 1)
    for index in extra:
        report.add(f"{index:09d}", f"sample beyond num-samples={n}: num-samples is too small or the key is stray; "
                                   f"rebuild the LMDB")
    for raw_key in unknown:
        report.add(raw_key.decode("ascii", "backslashreplace"), "unknown key (not num-samples/image-/label-)")
    return report


def validate_folder(label_file: Path, advance: Advance | None = None) -> ValidationReport:
    """Validate a label file and the images it lists."""
    report = ValidationReport(str(label_file), "folder")
    entries = parse_label_file(label_file)
    report.declared = len(entries)
    for entry in entries:
        report.checked += 1
        if advance:
            advance(1)
        if entry.problem and entry.path is None:
            report.add(entry.key, entry.problem)
            continue
        where = entry.key if entry.duplicate_of else f"{entry.key} ({label_file.name}:{entry.line})"
        if entry.problem:
            report.add(where, entry.problem)
        if entry.duplicate_of:
            continue
        assert entry.path is not None  # only entries with a problem lack a path
        try:
            data = entry.path.read_bytes()
        except FileNotFoundError:
            report.add(where, f"image file missing: {entry.path}; restore it or remove the line")
            continue
        except OSError as exc:
            report.add(where, f"cannot read {entry.path}: {exc}")
            continue
        _check_image(report, where, data)
    return report


def validate_source_samples(path: Path, fmt: DatasetFormat, advance: Advance | None = None) -> ValidationReport:
    """Validate any other format through its sample source: every sample reads and decodes."""
    source = fmt.open(path)
    report = ValidationReport(source.location, fmt.name, declared=len(source))
    try:
        for index in range(len(source)):
            report.checked += 1
            if advance:
                advance(1)
            try:
                sample = source.read(index)
            except SampleError as exc:
                report.add(exc.key, exc.reason)
                continue
            if not sample.label:
                report.add(sample.key, "empty label")
            _check_image(report, sample.key, sample.image)
    finally:
        source.close()
    return report


def count_samples(path: Path, formats: Mapping[str, DatasetFormat] | None = None, forced: str | None = None) -> int:
    """How many samples ``path`` declares (for progress totals); 0 when unknown."""
    try:
        source = open_dataset(path, formats, forced)
    except DataError:
        return 0
    n = len(source)
    source.close()
    return n


def validate_path(path: Path, formats: Mapping[str, DatasetFormat] | None = None,
                  advance: Advance | None = None, forced: str | None = None) -> ValidationReport:
    """Validate the dataset at ``path`` in its detected format (or the one named ``forced``): an
    LMDB key by key, a ``path<TAB>label`` folder line by line, any other format sample by sample.
    A path no format recognises is an error."""
    path = Path(path)
    fmt = dataset_format(path, formats, forced)
    if type(fmt) is LmdbFormat:
        return validate_lmdb(path, advance)
    if type(fmt) is FolderFormat:
        label_file = find_label_file(path)
        if label_file is None:
            fmt.open(path)  # raises the missing-label-file error
        else:
            return validate_folder(label_file, advance)
    return validate_source_samples(path, fmt, advance)
