"""Console output: rich progress bars with ETA, tables and errors, all silenced by ``--quiet``."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console()
err_console = Console(stderr=True)
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
