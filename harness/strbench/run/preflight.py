"""Checks made before any work starts, so a long run never fails at its very end."""

from __future__ import annotations

import os
import tempfile
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
