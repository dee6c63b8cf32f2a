"""Errors the CLI turns into a one-line message and an exit code instead of a traceback."""

from __future__ import annotations


class StrbenchError(Exception):
    """Base class: a user-facing problem with a message that says what to do."""

    exit_code = 2


class UsageError(StrbenchError):
    """Bad arguments: unknown plugin, protocol, variant, dataset ..."""


class NotSupportedError(StrbenchError):
    """The selected plugin does not support the requested operation."""

    exit_code = 3


class PluginError(StrbenchError):
    """A plugin is broken: bad hook, wrong return type, duplicate name. The message names it."""


class DataError(StrbenchError):
    """A dataset is unreadable or inconsistent. The message names the file or sample and the fix."""


class SampleError(DataError):
    """One sample cannot be used (corrupt image, bad label). Counted and reported as a skip."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class StrbenchDeprecationWarning(DeprecationWarning):
    """A hook, argument or public name a plugin uses is deprecated and will change or go away;
    the message says since which version, what replaces it and when the old form stops working."""
