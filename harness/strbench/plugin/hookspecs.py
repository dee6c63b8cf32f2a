"""Hook specifications: the whole contract between strbench and its plugins.

A plugin is a module (or object) registered under the ``strbench`` entry-point group whose
functions are decorated with :data:`strbench.hookimpl` and named after the hooks below. An
implementation may accept any subset of a hook's arguments. Every type a hook receives or
returns is exported by :mod:`strbench` (``tests/test_hook_contract.py`` checks it).

Registration hooks return a list of objects (or a single object); the core checks every returned
object's type and reports a wrong one naming the plugin, without stopping other plugins. They are
called through pluggy's hook loop: ``@strbench.hookimpl(tryfirst=True)`` puts a plugin's objects
before the built-in ones (its dataset formats are tried first in detection, its names win a
clash), ``trylast=True`` after every other plugin's, and a ``wrapper=True`` implementation receives
the list of every implementation's list, in that order, and returns it (possibly changed).

Each hook states since which strbench version it exists. A hook that changes or goes away keeps
working for at least one minor release and warns with :class:`strbench.StrbenchDeprecationWarning`
meanwhile (pluggy's ``warn_on_impl`` on its specification).

Every hook here must be documented in ``docs/plugin_hooks.md``, with a runnable example (tests
enforce both).
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

    Since 0.1.0. Each is a :class:`strbench.Algorithm` with a unique ``name`` (the value of
    ``--algorithm``), its variants (:class:`strbench.Variant`, e.g. backbones) with their declared
    :class:`strbench.InputSpec` and charset, its :class:`strbench.Capabilities`, and the methods
    ``load`` (build the model and load weights; inference goes through the returned
    :class:`strbench.Recognizer`), ``train``, ``export`` and ``import_weights``. Two plugins
    returning the same name is an error naming both.
    """


@hookspec
def strbench_dataset_formats() -> list[DatasetFormat]:  # type: ignore[empty-body]
    """Return dataset formats (readers) this plugin provides.

    Since 0.1.0. A :class:`strbench.DatasetFormat` recognises a path (``detect``) and opens it as
    a :class:`strbench.SampleSource` of :class:`strbench.RawSample` records. Detection tries the
    formats in precedence order and takes the first that recognises the path. Built in: 8 formats,
    in detection order ``lmdb``, ``icdar``, ``mmocr-json``, ``mmocr-jsonl``, ``mmocr-txt``,
    ``paddle``, ``folder``, ``lmdb-tree``; a plugin's format comes after them unless its
    implementation is marked ``tryfirst``.
    """


@hookspec
def strbench_benchmark_suites() -> list[BenchmarkSuite]:  # type: ignore[empty-body]
    """Return benchmark suites: named lists of dataset versions with expected sample counts and
    the folder names under which each version is found below a data root.

    Since 0.1.0. Each is a :class:`strbench.BenchmarkSuite` of :class:`strbench.DatasetVersion`
    objects (and :class:`strbench.Download` sources). Built in: 6 suites, ``standard``,
    ``union14m``, ``parseq-new``, ``ost``, ``wordart``, ``ltb``.
    """


@hookspec
def strbench_protocols() -> list[Protocol]:  # type: ignore[empty-body]
    """Return evaluation protocols: how labels and predictions are normalised before scoring
    (unicode, whitespace, case, charset filter, long-label policy). Ids must be unique.

    Since 0.1.0. Each is a :class:`strbench.Protocol`. Built in: 14 protocols.
    """


@hookspec
def strbench_metrics() -> list[Metric]:  # type: ignore[empty-body]
    """Return metrics computed on normalised (label, prediction, confidence) triples.

    Since 0.1.0. Each is a :class:`strbench.Metric` whose ``compute`` receives the
    :class:`strbench.Scored` samples of one dataset. Built in: 5 metrics, ``word_accuracy``,
    ``one_minus_ned``, ``char_precision``, ``char_recall``, ``mean_confidence``.
    """


# -- command line -----------------------------------------------------------------------------


@hookspec
def strbench_addoption(parser: argparse.ArgumentParser, command: str) -> None:
    """Add options to the parser of the sub-command ``command`` (``run``, ``train``, ...).

    Since 0.1.0. Values reach plugins through :attr:`strbench.RunInfo.options` and the
    ``options`` keyword arguments of :meth:`strbench.Algorithm.load`.
    """


# -- events: for reporters and integrations ---------------------------------------------------


@hookspec
def strbench_run_start(run: RunInfo) -> None:
    """Called once before a benchmark run evaluates its first dataset.

    Since 0.1.0. ``run`` is the run's :class:`strbench.RunInfo` (algorithm, variant, datasets,
    protocol, record id, plugin options).
    """


@hookspec
def strbench_run_end(run: RunInfo, record: dict[str, Any]) -> None:
    """Called once after a run finished, with the complete result record (not yet written).

    Since 0.1.0. ``run`` is the :class:`strbench.RunInfo`, ``record`` the record's JSON form;
    changing the dictionary does not change the written record.
    """


@hookspec
def strbench_result_written(path: Path, record: dict[str, Any]) -> None:
    """Called after a result record was written atomically to ``path``.

    Since 0.1.0. ``record`` is the record's JSON form, as written.
    """
