"""Hook specifications: the whole contract between strbench and its plugins.

A plugin is a module (or object) registered under the ``strbench`` entry-point group whose
functions are decorated with :data:`strbench.hookimpl` and named after the hooks below. An
implementation may accept any subset of a hook's arguments.

Registration hooks return a list of objects (or a single object); the core checks every returned
object's type and reports a wrong one naming the plugin, without stopping other plugins.

Every hook here must be documented in ``docs/plugin_hooks.md`` (a test enforces it).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from strbench.data.base import DatasetFormat
    from strbench.data.suite import BenchmarkSuite
    from strbench.plugin.algorithm import Algorithm
    from strbench.run.metrics import Metric
    from strbench.run.protocols import Protocol
    from strbench.run.runinfo import RunInfo

PROJECT = "strbench"
hookspec = pluggy.HookspecMarker(PROJECT)


# -- registration: what a plugin contributes -------------------------------------------------


@hookspec
def strbench_algorithms() -> list[Algorithm]:  # type: ignore[empty-body]
    """Return the recognition algorithms this plugin provides.

    Each is an :class:`strbench.Algorithm` with a unique ``name`` (the value of ``--algorithm``),
    its variants (e.g. backbones) with their declared :class:`strbench.InputSpec` and charset,
    its capabilities, and the methods ``load`` (build the model and load weights; inference goes
    through the returned :class:`strbench.Recognizer`), ``train``, ``export`` and
    ``import_weights``. Two plugins returning the same name is an error naming both.
    """


@hookspec
def strbench_dataset_formats() -> list[DatasetFormat]:  # type: ignore[empty-body]
    """Return dataset formats (readers) this plugin provides.

    A :class:`strbench.data.DatasetFormat` recognises a path (``detect``) and opens it as a
    :class:`strbench.data.SampleSource`. The core ships the clovaai LMDB and the
    folder + label-file formats.
    """


@hookspec
def strbench_benchmark_suites() -> list[BenchmarkSuite]:  # type: ignore[empty-body]
    """Return benchmark suites: named lists of dataset versions with expected sample counts and
    the folder names under which each version is found below a data root."""


@hookspec
def strbench_protocols() -> list[Protocol]:  # type: ignore[empty-body]
    """Return evaluation protocols: how labels and predictions are normalised before scoring
    (unicode, whitespace, case, charset filter, long-label policy). Ids must be unique."""


@hookspec
def strbench_metrics() -> list[Metric]:  # type: ignore[empty-body]
    """Return metrics computed on normalised (label, prediction, confidence) triples."""


# -- command line -----------------------------------------------------------------------------


@hookspec
def strbench_addoption(parser: argparse.ArgumentParser, command: str) -> None:
    """Add options to the parser of the sub-command ``command`` (``run``, ``train``, ...).

    Values reach plugins through :class:`strbench.run.runinfo.RunInfo.options` and the ``options``
    keyword arguments of :meth:`strbench.Algorithm.load`.
    """


# -- events: for reporters and integrations ---------------------------------------------------


@hookspec
def strbench_run_start(run: RunInfo) -> None:
    """Called once before a benchmark run evaluates its first dataset."""


@hookspec
def strbench_run_end(run: RunInfo, record: dict[str, Any]) -> None:
    """Called once after a run finished, with the complete result record (not yet written)."""


@hookspec
def strbench_result_written(path: Path, record: dict[str, Any]) -> None:
    """Called after a result record was written atomically to ``path``."""
