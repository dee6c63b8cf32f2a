"""Console output: rich progress bars with ETA, tables and errors, all silenced by ``--quiet``.

Printed text is never wrapped by strbench (``soft_wrap``: a path or URL stays on one line for a
script to find). In a terminal, tables fit its width; when the stream is a pipe or a file they take
their natural width, so no name, path or URL is folded or cut with an ellipsis.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleDimensions
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

UNBOUNDED_WIDTH = 10_000  # "as wide as the content" for a stream that is not a terminal


class StreamConsole(Console):
    """A rich console that lays out for the terminal's width, or without a width limit when its
    stream is not a terminal (rich would otherwise assume 80 columns)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(soft_wrap=True, **kwargs)

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(UNBOUNDED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = StreamConsole()
err_console = StreamConsole(stderr=True)
_state = {"quiet": False}


def configure(*, quiet: bool) -> None:
    """Set global verbosity (the CLI's ``--quiet``)."""
    _state["quiet"] = quiet


def quiet() -> bool:
    return _state["quiet"]


def progress() -> Progress:
    """A progress display with bar, count, elapsed time and ETA (disabled when quiet)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err_console,
        disable=_state["quiet"],
        transient=False,
    )


def info(message: str) -> None:
    if not _state["quiet"]:
        err_console.print(message)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/yellow] {message}")


def error(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}")
