"""The conformance checks, as plain functions that raise ``AssertionError`` naming the problem.

:mod:`strbench.testing.conformance` wraps them in a pytest test class; they can also be called
directly from any test.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from strbench.data.base import SampleSource
from strbench.data.loader import LoadedBatch, make_loader, open_dataset
from strbench.errors import NotSupportedError, StrbenchError
from strbench.plugin.algorithm import Algorithm, Recognizer
from strbench.plugin.host import PluginHost
from strbench.plugin.types import (
    Batch,
    Capabilities,
    ExportResult,
    InputSpec,
    Prediction,
    Variant,
    to_jsonable,
)
from strbench.testing.samples import write_mixed_width_dataset, write_problem_dataset

#: Batched and one-by-one confidences may differ by floating-point noise, never strings.
CONFIDENCE_TOLERANCE = 1e-3


def _fail(problems: Sequence[str], what: str) -> None:
    if problems:
        raise AssertionError(f"{what}:\n  " + "\n  ".join(problems))


def overrides(algorithm: Algorithm, method: str) -> bool:
    """True when ``algorithm``'s class replaces :class:`Algorithm`'s default ``method``."""
    return getattr(type(algorithm), method) is not getattr(Algorithm, method)


# -- registration and metadata ---------------------------------------------------------------


def check_registration(host: PluginHost, name: str) -> Algorithm:
    """The algorithm is registered, and its plugin loaded without errors."""
    algorithms = host.algorithms()
    problems = host.errors()
    if name not in algorithms:
        raise AssertionError(f"no algorithm {name!r} registered (found: {', '.join(sorted(algorithms)) or 'none'}); "
                             f"is the package installed with a [project.entry-points.strbench] entry?"
                             + ("\nplugin errors:\n  " + "\n  ".join(problems) if problems else ""))
    owner = host.algorithm_owner(name)
    _fail(owner.errors, f"plugin {owner.name!r} ({owner.source}) providing {name!r} reported errors")
    if "strbench_algorithms" not in owner.hooks:
        raise AssertionError(f"plugin {owner.name!r} does not list strbench_algorithms among its hooks")
    return algorithms[name]


def input_spec_problems(spec: InputSpec) -> list[str]:
    """Inconsistencies in an :class:`InputSpec` (empty when it is usable)."""
    if not isinstance(spec, InputSpec):
        return [f"input_spec is {type(spec).__name__}, expected strbench.InputSpec"]
    problems = []
    if spec.resize != "none":
        if spec.height <= 0:
            problems.append(f"height must be > 0, got {spec.height}")
        if spec.max_width < 0 or (spec.max_width == 0 and not (spec.pad_to == "batch" and spec.resize == "keep_ratio")):
            problems.append(f"max_width={spec.max_width}: 0 (unbounded) is only valid with resize='keep_ratio' "
                            f"and pad_to='batch'")
        if spec.max_width > 0 and spec.min_width > spec.max_width:
            problems.append(f"min_width {spec.min_width} > max_width {spec.max_width}")
        for field_name in ("mean", "std"):
            values = getattr(spec, field_name)
            if len(values) not in (1, spec.num_channels) and len(values) < spec.num_channels:
                problems.append(f"{field_name} has {len(values)} values for {spec.num_channels} channel(s)")
        if any(s <= 0 for s in spec.std):
            problems.append(f"std must be positive, got {spec.std}")
        if spec.width_divisor < 1 or spec.min_canvas_width < 0 or spec.min_width < 1:
            problems.append("width_divisor and min_width must be >= 1, min_canvas_width >= 0")
    if spec.custom:
        module, _, func = spec.custom.partition(":")
        try:
            if not callable(getattr(importlib.import_module(module), func)):
                problems.append(f"custom preprocessor {spec.custom!r} is not callable")
        except (ImportError, AttributeError) as exc:
            problems.append(f"custom preprocessor {spec.custom!r} cannot be imported: {exc}")
    return problems


def check_metadata(algorithm: Algorithm, host: PluginHost | None = None) -> None:
    """Names, variants, input specs, charsets and capabilities are present and consistent."""
    problems = []
    for attr in ("name", "version", "description"):
        if not isinstance(getattr(algorithm, attr, None), str) or not getattr(algorithm, attr):
            problems.append(f"{attr} must be a non-empty string")
    variants = algorithm.variants
    if not isinstance(variants, Mapping) or not variants:
        problems.append("variants must be a non-empty mapping of name -> strbench.Variant")
        variants = {}
    if algorithm.default_variant not in variants:
        problems.append(f"default_variant {algorithm.default_variant!r} is not one of {sorted(variants)}")
    for key, variant in variants.items():
        if not isinstance(variant, Variant):
            problems.append(f"variant {key!r} is {type(variant).__name__}, expected strbench.Variant")
            continue
        if variant.name != key:
            problems.append(f"variant stored under {key!r} is named {variant.name!r}")
        if not isinstance(variant.charset, str) or not variant.charset:
            problems.append(f"variant {key!r}: charset must be a non-empty string")
        problems += [f"variant {key!r}: input_spec: {p}" for p in input_spec_problems(variant.input_spec)]
    caps = algorithm.capabilities
    if not isinstance(caps, Capabilities):
        problems.append(f"capabilities is {type(caps).__name__}, expected strbench.Capabilities")
    else:
        if caps.train != overrides(algorithm, "train"):
            problems.append(f"capabilities.train={caps.train} but train() is "
                            f"{'' if overrides(algorithm, 'train') else 'not '}implemented")
        for method in ("export", "load_exported"):
            if bool(caps.export) != overrides(algorithm, method):
                problems.append(f"capabilities.export={caps.export} but {method}() is "
                                f"{'' if overrides(algorithm, method) else 'not '}implemented")
        if bool(caps.import_weights) != overrides(algorithm, "import_weights"):
            problems.append(f"capabilities.import_weights={caps.import_weights} but import_weights() is "
                            f"{'' if overrides(algorithm, 'import_weights') else 'not '}implemented")
    if host is not None and algorithm.default_protocol not in host.protocols():
        problems.append(f"default_protocol {algorithm.default_protocol!r} is not a registered protocol "
                        f"({', '.join(sorted(host.protocols()))})")
    _fail(problems, f"algorithm {getattr(algorithm, 'name', '?')!r} metadata problems")


def check_recognizer(recognizer: Recognizer, variant: Variant) -> None:
    """The loaded recognizer is a :class:`Recognizer` that declares its input and charset."""
    problems = []
    if not isinstance(recognizer, Recognizer):
        problems.append(f"load() returned {type(recognizer).__name__}, expected strbench.Recognizer")
    else:
        problems += [f"recognizer.input_spec: {p}" for p in input_spec_problems(recognizer.input_spec)]
        if not isinstance(recognizer.charset, str) or not recognizer.charset:
            problems.append("recognizer.charset must be a non-empty string")
        if not isinstance(recognizer.device, str):
            problems.append("recognizer.device must be a string")
    _fail(problems, f"recognizer of variant {variant.name!r}")


# -- inference --------------------------------------------------------------------------------


def predict(recognizer: Recognizer, source: SampleSource, indices: Sequence[int], batch_size: int
            ) -> tuple[dict[int, Prediction], list[tuple[str, str]]]:
    """Predictions by source index through the core loader, and the skipped ``(key, reason)``."""
    out: dict[int, Prediction] = {}
    skipped: list[tuple[str, str]] = []
    for item in make_loader(source, recognizer.input_spec, batch_size=batch_size, indices=list(indices)):
        skipped += item.skipped
        preds = _run(recognizer, item)
        for index, pred in zip(item.indices, preds):
            out[index] = pred
    return out, skipped


def _run(recognizer: Recognizer, item: LoadedBatch) -> list[Prediction]:
    preds = recognizer.predict(item.batch.to(recognizer.device))
    if not isinstance(preds, list) or len(preds) != len(item.batch):
        raise AssertionError(f"predict() returned {type(preds).__name__} of length "
                             f"{len(preds) if hasattr(preds, '__len__') else '?'} for {len(item.batch)} images; "
                             f"it must return a list with one Prediction per image")
    return preds


def prediction_problems(pred: Any, key: str) -> list[str]:
    if not isinstance(pred, Prediction):
        return [f"{key}: got {type(pred).__name__}, expected strbench.Prediction"]
    problems = []
    if not isinstance(pred.text, str):
        problems.append(f"{key}: text is {type(pred.text).__name__}, expected str")
    if not isinstance(pred.confidence, float) or not math.isfinite(pred.confidence) or not 0 <= pred.confidence <= 1:
        problems.append(f"{key}: confidence {pred.confidence!r} ({type(pred.confidence).__name__}) must be a "
                        f"float in [0, 1]")
    return problems


def check_inference(recognizer: Recognizer, source: SampleSource, indices: Sequence[int], batch_size: int = 8
                    ) -> dict[int, Prediction]:
    """Exactly one well-formed prediction per readable image."""
    preds, skipped = predict(recognizer, source, indices, batch_size)
    problems = [f"{source.location}: sample {key} skipped: {reason}" for key, reason in skipped]
    if sorted(preds) != sorted(indices):
        problems.append(f"expected predictions for samples {sorted(indices)}, got {sorted(preds)}")
    for index, pred in preds.items():
        problems += prediction_problems(pred, source.key(index))
    _fail(problems, "inference problems")
    return preds


def check_batch_invariance(recognizer: Recognizer, source: SampleSource, indices: Sequence[int],
                           together: Mapping[int, Prediction] | None = None) -> None:
    """Predicting the samples in one batch gives the same strings as predicting them one by one
    (``together``: predictions already made with one batch of all ``indices``)."""
    if together is None:
        together, _ = predict(recognizer, source, indices, batch_size=len(indices))
    alone, _ = predict(recognizer, source, indices, batch_size=1)
    problems = []
    for index in indices:
        a, b = together[index], alone[index]
        if a.text != b.text or abs(a.confidence - b.confidence) > CONFIDENCE_TOLERANCE:
            problems.append(f"{source.key(index)}: batch {a.text!r} ({a.confidence:.6f}) vs one-by-one "
                            f"{b.text!r} ({b.confidence:.6f})")
    _fail(problems, "batched predictions differ from one-by-one predictions (padding or batch statistics "
                    "leak between samples; run each sample at its own width, e.g. group by width in forward)")


def check_batch_invariance_mixed_widths(recognizer: Recognizer, folder: Path) -> str:
    """Batch invariance on :data:`~strbench.testing.samples.MIXED_WIDTH_WORDS`, rendered into
    ``folder``: one batch of all of them (padded to the widest) against one by one. Returns the
    list of images used; a failure names them too."""
    sizes = write_mixed_width_dataset(folder)
    used = f"images used ({folder}): " + ", ".join(f"{name} {w}x{h}" for name, (w, h) in sizes.items())
    source = open_dataset(folder)
    try:
        check_batch_invariance(recognizer, source, list(range(len(source))))
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{used}") from None
    finally:
        source.close()
    return used


def check_problem_images(recognizer: Recognizer, folder: Path, good_image: bytes) -> None:
    """Broken images are counted skips naming the file; degenerate but valid images still predict."""
    kinds = write_problem_dataset(folder, good_image)
    source = open_dataset(folder)
    try:
        preds, skipped = predict(recognizer, source, range(len(source)), batch_size=len(source))
    except Exception as exc:
        raise AssertionError(f"the recognizer crashed on a batch of broken and degenerate images "
                             f"({', '.join(kinds)}): {type(exc).__name__}: {exc}") from exc
    problems = []
    names = {source.key(i).rsplit("/", 1)[-1]: i for i in range(len(source))}
    skipped_names = {key.rsplit("/", 1)[-1]: reason for key, reason in skipped}
    for name, kind in kinds.items():
        if kind == "broken":
            if name not in skipped_names:
                problems.append(f"{name}: broken image was not reported as a skipped sample")
            elif not skipped_names[name]:
                problems.append(f"{name}: skipped without a reason")
        elif names[name] not in preds:
            problems.append(f"{name}: valid {kind} image got no prediction "
                            f"(skip reason: {skipped_names.get(name, 'none')})")
        else:
            problems += prediction_problems(preds[names[name]], name)
    _fail(problems, "problem-image handling")


# -- capabilities -----------------------------------------------------------------------------


def check_unsupported(algorithm: Algorithm, variant: str, recognizer: Recognizer, tmp: Path) -> None:
    """Operations the capabilities do not declare raise :class:`strbench.NotSupportedError`."""
    caps = algorithm.capabilities
    calls: list[tuple[str, Callable[[], object]]] = []
    if not caps.train:
        calls.append(("train", lambda: algorithm.train(variant, {})))
    if "onnx" not in caps.export:
        calls.append(("export onnx", lambda: algorithm.export(recognizer, "onnx", tmp / "model.onnx", None)))
        calls.append(("load_exported onnx", lambda: algorithm.load_exported(tmp / "model.onnx", "onnx", variant)))
    calls.append(("export to an unknown format",
                  lambda: algorithm.export(recognizer, "no-such-format", tmp / "model.bin", None)))
    if not caps.import_weights:
        calls.append(("import_weights", lambda: algorithm.import_weights(variant, tmp / "in.bin", tmp / "out.bin")))
    problems = []
    for what, call in calls:
        try:
            call()
        except NotSupportedError:
            continue
        except StrbenchError as exc:
            if what == "export to an unknown format":
                continue
            problems.append(f"{what}: raised {type(exc).__name__} instead of NotSupportedError: {exc}")
        except Exception as exc:
            problems.append(f"{what}: raised {type(exc).__name__} instead of NotSupportedError: {exc}")
        else:
            problems.append(f"{what}: did not raise although capabilities do not declare it")
    _fail(problems, "unsupported operations must raise strbench.NotSupportedError")


def check_export_roundtrip(algorithm: Algorithm, variant: str, recognizer: Recognizer, batch: Batch, tmp: Path) -> None:
    """Every declared export format writes a model that loads back and predicts the same strings."""
    eager = recognizer.predict(batch.to(recognizer.device))
    problems = []
    for fmt in algorithm.capabilities.export:
        result = algorithm.export(recognizer, fmt, tmp / f"model.{fmt}", batch)
        if not isinstance(result, ExportResult) or not Path(result.path).exists():
            problems.append(f"{fmt}: export() returned {result!r}, expected an ExportResult naming a written file")
            continue
        exported = algorithm.load_exported(Path(result.path), fmt, variant)
        got = exported.predict(batch.to(exported.device))
        diff = [(k, a.text, b.text) for k, a, b in zip(batch.keys, eager, got) if a.text != b.text]
        if diff:
            problems.append(f"{fmt}: exported model predicts differently: " +
                            "; ".join(f"{k}: {a!r} vs {b!r}" for k, a, b in diff[:5]))
        if result.strings_equal is False:
            problems.append(f"{fmt}: export() itself reports strings_equal=False")
    _fail(problems, "export round trip")


def check_serializable(algorithm: Algorithm, variant: str, recognizer: Recognizer,
                       predictions: Sequence[Prediction]) -> str:
    """Metadata, recognizer facts, weights identity and predictions survive ``json.dumps``."""
    record = {
        "algorithm": {
            "name": algorithm.name, "version": algorithm.version, "description": algorithm.description,
            "paper": algorithm.paper, "default_variant": algorithm.default_variant,
            "default_protocol": algorithm.default_protocol, "capabilities": algorithm.capabilities,
            "variants": dict(algorithm.variants),
        },
        "weights": algorithm.weights_identity(variant, None),
        "recognizer": recognizer.describe(),
        "num_parameters": recognizer.num_parameters(),
        "predictions": list(predictions),
    }
    try:
        text = json.dumps(to_jsonable(record))
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"result record is not JSON-serialisable: {exc}") from exc
    back = json.loads(text)
    if [p["text"] for p in back["predictions"]] != [p.text for p in predictions]:
        raise AssertionError("prediction texts change through JSON serialisation")
    return text
