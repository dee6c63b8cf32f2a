"""Atomic file writes: the new content appears under its name complete or not at all.

Every file strbench writes for later use (records, predictions, weights, checkpoints, ONNX
models, leaderboards) goes through :func:`atomic_path`: a temporary file in the destination folder
(same file system), renamed over the destination only when writing succeeded. The file gets the
mode an ordinary ``open(path, "w")`` would give it (0666 less the umask: 0644 under the usual 022),
not ``mkstemp``'s private 0600. A process killed mid-write (SIGKILL, power loss) cannot delete its
temporary file; such files are recognisable by name (``.<name>.strbench-tmp-<pid>-<random><suffix>``)
and the next write into the same folder removes those whose process is gone
(:func:`clean_stale_temporaries`).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_MARK = ".strbench-tmp-"
_TEMP_NAME = re.compile(r"^\..+" + re.escape(TEMP_MARK) + r"(\d+)-[A-Za-z0-9_]+")
#: A temporary file this old is stale even when its process id is alive again (reused).
STALE_AFTER_S = 24 * 3600


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def clean_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files of interrupted atomic writes in ``folder``: those whose writing
    process no longer runs, or older than :data:`STALE_AFTER_S`. Returns the deleted paths."""
    removed: list[Path] = []
    try:
        children = list(Path(folder).iterdir())
    except OSError:
        return removed
    now = time.time()
    for child in children:
        match = _TEMP_NAME.match(child.name)
        if match is None or not child.is_file():
            continue
        try:
            stale = not _alive(int(match.group(1))) or now - child.stat().st_mtime > STALE_AFTER_S
            if stale and int(match.group(1)) != os.getpid():
                child.unlink()
                removed.append(child)
        except OSError:
            continue
    return removed


def current_umask() -> int:
    """The process umask (read from /proc where available, which does not change it even briefly)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on a clean exit rename it to ``path``, otherwise
    delete it. The parent folder is created. ``suffix`` is the temporary file's extension (some
    writers choose the format from it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(path.parent)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}{os.getpid()}-", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    mode = 0o666 & ~current_umask()
    try:
        os.chmod(tmp, mode)
        yield tmp
        os.chmod(tmp, mode)  # again: a writer may have replaced the file rather than written into it
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (flushed to disk before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
