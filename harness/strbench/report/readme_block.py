"""Generated blocks in a markdown file: the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""

from __future__ import annotations

from pathlib import Path

from strbench.atomic import atomic_write_bytes
from strbench.errors import UsageError


def replace_block(path: Path, name: str, markdown: str) -> None:
    """Put ``markdown`` between the ``name`` markers of ``path`` (both must be there)."""
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise UsageError(f"{path} has no '{start}' ... '{end}' markers")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    body = markdown if markdown.endswith("\n") else markdown + "\n"
    atomic_write_bytes(path, f"{head}{start}\n{body}{end}{tail}".encode())
