"""Console output: rich progress bars with ETA, tables and errors, all silenced by ``--quiet``.

Printed text is never wrapped by strbench (``soft_wrap``: a path or URL stays on one line for a
script to find). In a terminal, tables fit its width; when the stream is a pipe or a file they take
their natural width, so no name, path or URL is folded or cut with an ellipsis.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from rich.console import Console, ConsoleDimensions
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

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
_status: dict[str, Any] = {}  # the spinner of the running ui.status, while one is shown


def configure(*, quiet: bool) -> None:
    """Set global verbosity (the CLI's ``--quiet``)."""
    _state["quiet"] = quiet


def quiet() -> bool:
    return _state["quiet"]


class RateColumn(ProgressColumn):
    """Items per second (``unit/s``): the recent rate while a task runs, its average once it is done
    (also when it took a single step)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Any) -> Text:
        if task.finished and task.finished_time:
            speed = task.completed / task.finished_time
        else:
            speed = task.speed
            if speed is None and task.completed and task.elapsed:
                speed = task.completed / task.elapsed
        return Text("-" if speed is None else f"{speed:,.1f} {self.unit}/s", style="progress.data.speed")


def progress(*, rate_unit: str | None = None, terminal_only: bool = False, transient: bool = False) -> Progress:
    """A progress display with bar, count, elapsed time and ETA (disabled when quiet).

    ``rate_unit`` adds a rate column (e.g. ``"img"``: ``512.3 img/s``). ``terminal_only`` shows it only
    when stderr is a terminal: no trace of it in a pipe or a log file. ``transient`` removes it when done."""
    disable = _state["quiet"] or (terminal_only and not err_console.is_terminal)
    if not disable:
        _pause_status()
    # a log (not a terminal) gets the final state once: a short bar keeps its lines within 80 columns
    bar = BarColumn(bar_width=40 if err_console.is_terminal else 20)
    columns: list[Any] = [TextColumn("[bold]{task.description}"), bar, MofNCompleteColumn()]
    if rate_unit is not None:
        columns.append(RateColumn(rate_unit))
    columns += [TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(
        *columns,
        console=err_console,
        disable=disable,
        transient=transient,
    )


@contextlib.contextmanager
def status(message: str) -> Iterator[None]:
    """Say what is happening while it happens: a spinner with ``message`` in a terminal (removed at
    the end), the message as one line otherwise; nothing when quiet. A progress display started
    inside it (a download, say) replaces the spinner, whose message then stays as a line."""
    if _state["quiet"]:
        yield
        return
    if not err_console.is_terminal:
        err_console.print(message, highlight=False)
        yield
        return
    spinner = err_console.status(message)
    spinner.start()
    _status.update(spinner=spinner, message=message)
    try:
        yield
    finally:
        _pause_status(keep_line=False)


def _pause_status(keep_line: bool = True) -> None:
    """Stop the spinner of :func:`status`, if one turns (one live display at a time), leaving its
    message as a line when ``keep_line``."""
    spinner = _status.pop("spinner", None)
    message = _status.pop("message", "")
    if spinner is not None:
        spinner.stop()
        if keep_line:
            err_console.print(message, highlight=False)


def info(message: str) -> None:
    if not _state["quiet"]:
        err_console.print(message)


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/yellow] {message}")


def error(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}")
