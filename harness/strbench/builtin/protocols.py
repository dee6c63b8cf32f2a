"""Built-in evaluation protocols."""

from __future__ import annotations

from strbench import hookimpl
from strbench.run.protocols import BUILTIN_PROTOCOLS


@hookimpl
def strbench_protocols() -> list:
    return list(BUILTIN_PROTOCOLS)
