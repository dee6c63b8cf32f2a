"""Checks made before any work starts, so a long run never fails at its very end."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Collection
from pathlib import Path

from strbench.errors import UsageError


def _blocking_file(path: Path) -> Path | None:
    """The first existing non-folder among ``path`` and its parents (it blocks creating ``path``)."""
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return None if candidate.is_dir() else candidate
    return None


def check_output_dir(path: Path, option: str) -> None:
    """Raise :class:`UsageError` unless ``path`` is, or can be created as, a folder this process can
    write to. The folder is created (as the command would create it anyway)."""
    path = Path(path)
    blocker = _blocking_file(path)
    if blocker is not None:
        where = "is" if blocker == path else f"is below {blocker}, which is"
        raise UsageError(f"{option} {path} {where} a file, not a folder; choose another folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".strbench-write-check-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"{option} {path} is not writable ({reason}); choose a folder you can write to "
                         f"or fix its permissions") from None


def check_output_file(path: Path, option: str) -> None:
    """Raise :class:`UsageError` unless the file ``path`` can be written: its folder is writable and
    ``path`` itself is not a folder."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name")
    check_output_dir(path.parent if str(path.parent) else Path("."), f"{option} {path}: its folder")


def _existing_folder(path: Path) -> Path:
    """``path`` when it is a folder, else its nearest existing ancestor (which a command creating
    ``path`` writes into)."""
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path(".")


def _check_writable(folder: Path, option: str, path: Path) -> None:
    """Raise :class:`UsageError` unless a file can be created (and is removed again) in ``folder``."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".strbench-write-check-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        where = "" if folder == path else f" (its folder {folder})"
        raise UsageError(f"{option} {path} is not writable{where}: {exc.strerror or exc}; choose a folder you can "
                         f"write to or fix its permissions") from None


def check_new_folder(path: Path, option: str, *, overwrite: bool, own: Collection[str], what: str) -> None:
    """Raise :class:`UsageError` unless ``path`` can become a folder holding ``what`` (e.g. "an LMDB"),
    before any work starts: no file stands at or above it; an existing folder holds only ``own`` files
    (replaced only with ``--overwrite``); the folder that receives it, and ``path`` itself when it
    exists, are writable. Nothing is created."""
    path = Path(path)
    blocker = _blocking_file(path)
    if blocker is not None:
        where = "is" if blocker == path else f"is below {blocker}, which is"
        raise UsageError(f"{option} {path} {where} a file, not a folder; choose another folder")
    if path.is_dir():
        contents = sorted(p.name for p in path.iterdir())
        foreign = [name for name in contents if name not in own]
        if foreign:
            raise UsageError(f"{option} {path} is a non-empty folder that does not hold {what} (it holds "
                             f"{foreign[0]!r}{' ...' if len(foreign) > 1 else ''}); choose an empty or new folder")
        if contents and not overwrite:
            raise UsageError(f"{option} {path} already holds {what}; pass --overwrite to replace it")
        _check_writable(path, option, path)
    _check_writable(_existing_folder(path.parent), option, path)


def check_free_space(path: Path, needed: int, option: str, what: str) -> None:
    """Raise :class:`UsageError` when the disk that will hold ``path`` has less than ``needed`` bytes
    free (``what`` says what needs them and how they were estimated)."""
    free = shutil.disk_usage(_existing_folder(Path(path))).free
    if needed > free:
        raise UsageError(f"{option} {path}: {what} need at least {_size(needed)}, but only {_size(free)} are free "
                         f"on its disk; lower the count or free space")


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"
