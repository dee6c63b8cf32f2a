"""Argument helpers shared by several commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from strbench.environment import resolve_device  # noqa: F401  (the commands import it from here)
from strbench.errors import UsageError


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer >= ``minimum``, else a one-line usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def add_algorithm_args(parser: argparse.ArgumentParser, *, weights: bool = True, required: bool = True) -> None:
    parser.add_argument("--algorithm", "--plugin", dest="algorithm", required=required, metavar="NAME",
                        help="algorithm to use (see 'strbench plugins'; --plugin is an alias)")
    parser.add_argument("--variant", "--backbone", dest="variant", metavar="VARIANT",
                        help="variant of the algorithm (a backbone, a model size, a language model; --backbone is "
                             "an alias); default: the algorithm's default")
    if weights:
        parser.add_argument("--weights", metavar="PATH", help="weights file (or an alias the plugin documents); "
                                                               "default: the variant's default, else untrained")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default)")


def plugin_options(args: argparse.Namespace) -> dict[str, Any]:
    return {dest: getattr(args, dest) for dest in getattr(args, "plugin_option_dests", ())}


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``key=value`` strings to a dict (values stay strings; the consumer converts types)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = value
    return out
