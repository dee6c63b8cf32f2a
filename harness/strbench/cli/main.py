"""``strbench`` command line: argparse sub-commands, each in its own ``cmd_*`` module.

Every command module exposes ``register(subparsers)`` which adds its parser and sets
``func=run`` where ``run(args, host) -> int``. Plugins add options through the
``strbench_addoption`` hook. :class:`strbench.StrbenchError` becomes a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from strbench import __version__
from strbench.errors import StrbenchError
from strbench.plugin.host import PluginHost, parse_plugin_args, use_host

SIGPIPE_EXIT = 141  # what a shell reports for a program ended by SIGPIPE (128 + 13)

COMMANDS = (
    "run", "bench", "train", "infer", "export", "weights", "data", "leaderboard", "report", "rescore", "compare",
    "errors", "plugins", "calibration", "robustness",
)


def _command_modules() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name in COMMANDS:
        try:
            found.append((name, importlib.import_module(f"strbench.cli.cmd_{name}")))
        except ModuleNotFoundError as exc:
            if exc.name != f"strbench.cli.cmd_{name}":
                raise
    return found


def _pre_parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the options that decide which plugins load, before the full parser exists."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("-p", dest="plugin_args", action="append", default=[])
    known, _ = pre.parse_known_args(argv)
    return known


def build_parser(host: PluginHost) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strbench", description="Benchmark harness and plugin registry for scene text recognition."
    )
    parser.add_argument("--version", action="version", version=f"strbench {__version__}")
    parser.add_argument(
        "-p", dest="plugin_args", action="append", default=[], metavar="NAME",
        help="load plugin module NAME, or block a plugin with 'no:NAME' (repeatable); "
             "set STRBENCH_DISABLE_PLUGIN_AUTOLOAD=1 to skip entry-point discovery",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, only results and errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _command_modules():
        module.register(sub)
        command_parser = sub.choices[name]
        before = {action.dest for action in command_parser._actions}
        host.add_options(command_parser, name)
        added = {action.dest for action in command_parser._actions} - before
        command_parser.set_defaults(plugin_option_dests=tuple(sorted(added)))
    return parser


def _asks_version(argv: Sequence[str]) -> bool:
    """``--version`` among the global options (before any command): answered without loading plugins."""
    for arg in argv:
        if arg == "--version":
            return True
        if arg in ("-h", "--help") or not arg.startswith("-"):
            return False
    return False


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _asks_version(argv):
        print(f"strbench {__version__}")
        return 0
    blocked, load = parse_plugin_args(_pre_parse(argv).plugin_args)
    from strbench import ui

    try:
        host = PluginHost(blocked=blocked, load=load)
        parser = build_parser(host)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # a usage error (already printed) or --help: an exit code, as from a command
            return exc.code if isinstance(exc.code, int) else 2
        ui.configure(quiet=args.quiet)
        with use_host(host):
            return int(args.func(args, host) or 0)
    except StrbenchError as exc:
        ui.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        ui.error("interrupted")
        return 130
    except BrokenPipeError:
        return _closed_pipe()


def _closed_pipe() -> int:
    """The reader of standard output went away (``strbench plugins --json | head -1``): end quietly.
    Standard output is pointed at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (e.g. a captured stream)
        pass
    return SIGPIPE_EXIT


if __name__ == "__main__":
    raise SystemExit(main())
