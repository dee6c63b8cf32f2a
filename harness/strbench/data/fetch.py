"""``strbench data fetch``: download the files of a suite that have a public direct URL.

Each file is streamed to a ``.partial`` file, checked against its sha256 when the suite knows it,
renamed, and unpacked (zip/tar) into the destination. Most benchmark archives live on Google
Drive or Baidu Yun, which have no direct URL: for those, and when the network is unreachable,
:func:`manual_steps` says what to fetch by other means and where to put it.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from strbench.data.suite import BenchmarkSuite, Download
from strbench.errors import DataError

CHUNK = 1 << 20


def manual_steps(suite: BenchmarkSuite, dest: Path) -> str:
    """What to download by hand for ``suite`` and where to put it so ``--data-root`` finds it."""
    examples = []
    for v in suite.versions[:3]:
        where = v.folder_names[0] if v.folder_names else v.label_files[0]
        examples.append(f"{dest}/{where}")
    return (f"get the {suite.name} data from: {suite.source or 'its publisher'}; unpack it below {dest} so that "
            f"its sets sit at e.g. {', '.join(examples)} (LMDB folders or annotation files; docs/datasets.md "
            f"lists every layout), then run 'strbench data suites --data-root {dest}' to check the counts")


def _download(item: Download, dest: Path, advance: Callable[[int], None] | None) -> Path:
    target = dest / item.filename
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(item.url, timeout=60) as response, open(partial, "wb") as out:  # noqa: S310
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                if advance is not None:
                    advance(len(chunk))
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise DataError(f"cannot download {item.url}: {exc}") from exc
    if item.sha256 is not None and digest.hexdigest() != item.sha256.lower():
        partial.unlink(missing_ok=True)
        raise DataError(f"{item.url}: sha256 {digest.hexdigest()} differs from the published {item.sha256}; "
                        f"the download is damaged or the file changed upstream (nothing was kept)")
    partial.replace(target)
    return target


def unpack(archive: Path, dest: Path) -> bool:
    """Unpack a zip or tar archive into ``dest`` (members may not leave it); False if not an archive."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            root = dest.resolve()
            for name in zf.namelist():
                if not (dest / name).resolve().is_relative_to(root):
                    raise DataError(f"{archive}: member {name!r} would be written outside {dest}; not unpacked")
            zf.extractall(dest)
        return True
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            tf.extractall(dest, filter="data")
        return True
    return False


def fetch_suite(suite: BenchmarkSuite, dest: Path, advance: Callable[[int], None] | None = None) -> list[Path]:
    """Download (and unpack) every direct download of ``suite`` into ``dest``; return the files."""
    if not suite.downloads:
        raise DataError(f"suite {suite.name!r} has no direct download: {manual_steps(suite, dest)}")
    dest.mkdir(parents=True, exist_ok=True)
    if shutil.disk_usage(dest).free < 1 << 20:
        raise DataError(f"{dest}: less than 1 MiB free")
    files = []
    for item in suite.downloads:
        try:
            path = _download(item, dest, advance)
        except DataError as exc:
            raise DataError(f"{exc}. Offline? {manual_steps(suite, dest)}") from None
        if item.extract:
            unpack(path, dest)
        files.append(path)
    return files
