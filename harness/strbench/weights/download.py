"""Downloading weights and other files into a local cache (standard library only).

:func:`fetch` returns the cached copy when it is there (and matches the expected sha256),
otherwise downloads to ``<name>.part`` with a progress bar, resuming a partial file with an HTTP
``Range`` request (and starting over when the server ignores it), checks the sha256 and renames
the file into place atomically. Without network access the error says where to put the file by
hand. The cache folder is ``cache_dir``, else ``$STRBENCH_CACHE``, else ``~/.cache/strbench``.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlparse

from strbench import ui
from strbench.checksum import sha256_file
from strbench.errors import DataError, UsageError

CACHE_ENV = "STRBENCH_CACHE"
_CHUNK = 1 << 16
_USER_AGENT = "strbench-download"


def cache_root(cache_dir: Path | None = None) -> Path:
    """The cache folder: ``cache_dir``, else ``$STRBENCH_CACHE``, else ``~/.cache/strbench``."""
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path.home() / ".cache" / "strbench"


def cached_path(url: str, *, cache_dir: Path | None = None, filename: str | None = None) -> Path:
    """Where :func:`fetch` keeps the file for ``url`` (also where a user may put it by hand)."""
    name = filename or unquote(Path(urlparse(url).path).name)
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise UsageError(f"cannot derive a file name from {url!r}; pass filename=...")
    return cache_root(cache_dir) / name


def fetch(
    url: str,
    *,
    sha256: str | None = None,
    cache_dir: Path | None = None,
    filename: str | None = None,
    timeout: float = 30.0,
) -> Path:
    """Return the local path of ``url``, downloading it into the cache when needed.

    ``sha256`` (hex) is checked on the cached file and after download; a mismatch after
    download deletes the file and raises :class:`DataError`. Network failures raise
    :class:`DataError` with the URL, the error and the path to place the file by hand.
    """
    dest = cached_path(url, cache_dir=cache_dir, filename=filename)
    expected = sha256.lower() if sha256 else None
    if dest.is_file():
        if expected is None or sha256_file(dest) == expected:
            return dest
        ui.warn(f"{dest} does not match sha256 {expected}; downloading it again")
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        _download(url, part, timeout)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError is an OSError
        reason = _reason(exc)
        hint = f" with sha256 {expected}" if expected else ""
        raise DataError(
            f"cannot download {url}: {reason}. Download it by other means and save it as {dest}{hint}, "
            f"then run the command again"
        ) from exc
    if expected is not None:
        actual = sha256_file(part)
        if actual != expected:
            part.unlink()
            raise DataError(
                f"{url} downloaded with sha256 {actual}, expected {expected}; the file was deleted. "
                f"The server may hold another version: check the URL, or place the right file at {dest}"
            )
    os.replace(part, dest)
    return dest


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return f"{type(exc).__name__}: {exc}"


def _download(url: str, part: Path, timeout: float) -> None:
    """Download ``url`` into ``part``, resuming from its current size when it exists."""
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the partial file is not a prefix we can extend
            part.unlink()
            return _download(url, part, timeout)
        raise
    with response:
        status = getattr(response, "status", None)
        if offset and not (status == 206 and _range_start(response.headers) == offset):
            offset = 0  # the server ignored the Range request: start over
        remaining = _content_length(response.headers)
        total = offset + remaining if remaining is not None else None
        with open(part, "ab" if offset else "wb") as out:
            _copy(response, out, offset, total, part.name.removesuffix(".part"))
    if total is not None and part.stat().st_size != total:
        raise OSError(f"connection closed after {part.stat().st_size} of {total} bytes")
    return None


def _copy(response: IO[bytes], out: IO[bytes], offset: int, total: int | None, name: str) -> None:
    with ui.progress() as bar:
        task = bar.add_task(f"download {name}", total=total, completed=offset)
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            bar.advance(task, len(chunk))


def _range_start(headers: Message) -> int | None:
    value = headers.get("Content-Range", "")  # "bytes START-END/TOTAL"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _content_length(headers: Message) -> int | None:
    try:
        return int(headers["Content-Length"])
    except (TypeError, ValueError):
        return None
