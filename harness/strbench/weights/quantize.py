"""Post-training static int8 quantization of an exported ONNX model (ONNX Runtime, QDQ format).

Weights are quantized per output channel (signed int8), activations per tensor (unsigned int8)
with ranges calibrated on real images that the caller supplies already preprocessed: training
crops, never the images the model is then evaluated on. A plugin names in
:attr:`strbench.ExportResult.quantize_exclude` the node names (``fnmatch`` patterns) that must stay in float
(for example a spatial transformer, whose sampling grid does not survive 8 bits); only the
operator types in ``op_types`` are quantized, so softmax, recurrent cells and the decoder's
control flow stay in float as well.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from strbench.atomic import atomic_path
from strbench.checksum import sha256_file
from strbench.errors import DataError, UsageError

DEFAULT_OP_TYPES: tuple[str, ...] = ("Conv", "MatMul", "Gemm")
#: Activation-range calibrations. ``percentile`` (ONNX Runtime's 99.999th percentile of a 2,048-bin
#: histogram) is the default: on the shipped RARE-mv3 it lost 0.56 pp against fp32 where ``minmax``
#: lost 1.07 (results/bench/int8_calibration_rare_mv3.json). ONNX Runtime's entropy calibration is not
#: offered: ``quantize_static`` cannot set its bin counts, and at its defaults (128 bins into 128) it
#: chose the same ranges as ``minmax`` for every tensor.
CALIBRATION_METHODS = {
    "percentile": lambda m: m.Percentile,
    "minmax": lambda m: m.MinMax,
}
CALIBRATION_METHOD_NAMES: tuple[str, ...] = tuple(CALIBRATION_METHODS)
DEFAULT_CALIBRATION_METHOD = "percentile"


@dataclass(frozen=True)
class QuantizationFacts:
    """What the record says about a quantized model: how and on what it was calibrated."""

    method: str
    format: str
    weights: str
    activations: str
    op_types: tuple[str, ...]
    excluded_patterns: tuple[str, ...]
    excluded_nodes: int
    quantized_nodes: int
    calibration_method: str
    calibration_source: str
    calibration_samples: int
    calibration_sha256: str
    source_model_sha256: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["op_types"] = list(self.op_types)
        data["excluded_patterns"] = list(self.excluded_patterns)
        return data


class _Reader:
    """ONNX Runtime calibration reader over the graph's input feeds (and their running hash)."""

    def __init__(self, feeds: Iterable[Mapping[str, Any]]) -> None:
        self._feeds: Iterator[Mapping[str, Any]] = iter(feeds)
        self.samples = 0
        self.digest = hashlib.sha256()

    def get_next(self) -> dict[str, np.ndarray] | None:
        feed = next(self._feeds, None)
        if feed is None:
            return None
        arrays = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in feed.items()}
        self.samples += next(iter(arrays.values())).shape[0]
        for name in sorted(arrays):
            self.digest.update(arrays[name].tobytes())
        return arrays

    def rewind(self) -> None:  # part of ONNX Runtime's reader protocol; calibration reads once
        pass


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """ONNX Runtime's quantizer logs advice and per-bias notes to the root logger; keep errors only."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def quantize_onnx_int8(
    model: Path,
    output: Path,
    calibration: Iterable[Mapping[str, Any]],
    *,
    calibration_source: str,
    exclude: Sequence[str] = (),
    op_types: Sequence[str] = DEFAULT_OP_TYPES,
    calibration_method: str = DEFAULT_CALIBRATION_METHOD,
) -> QuantizationFacts:
    """Write an int8 QDQ copy of the float ONNX ``model`` to ``output``, calibrated on ``calibration``.

    ``calibration`` yields the graph's input feeds for batches of preprocessed training images
    (:meth:`strbench.Recognizer.onnx_feeds` of the float model's recognizer). Returns the facts a
    record needs to say how the model was made.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    if calibration_method not in CALIBRATION_METHODS:
        raise UsageError(f"unknown calibration method {calibration_method!r}; use one of "
                        f"{', '.join(CALIBRATION_METHOD_NAMES)}")
    model, output = Path(model), Path(output)
    if not model.is_file():
        raise DataError(f"ONNX model {model} does not exist; export it first")
    graph = onnx.load(str(model)).graph
    excluded = [n.name for n in graph.node if any(fnmatch.fnmatchcase(n.name, p) for p in exclude)]
    quantized = sum(1 for n in graph.node if n.op_type in op_types and n.name not in excluded)
    feeds = iter(calibration)
    first = next(feeds, None)
    if first is None:
        raise DataError(f"no calibration images from {calibration_source}; int8 needs real training crops")
    reader = _Reader(itertools.chain([first], feeds))
    with atomic_path(output, suffix=".onnx") as tmp, _quiet_root_logger():
        quantize_static(
            str(model), str(tmp), reader,  # duck-typed CalibrationDataReader
            quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            calibrate_method=CALIBRATION_METHODS[calibration_method](CalibrationMethod),
            op_types_to_quantize=list(op_types), nodes_to_exclude=excluded,
        )
    return QuantizationFacts(
        method=f"onnxruntime static post-training quantization ({calibration_method} calibration)",
        format="QDQ", weights="int8 per channel", activations="uint8 per tensor",
        op_types=tuple(op_types), excluded_patterns=tuple(exclude), excluded_nodes=len(excluded),
        quantized_nodes=quantized, calibration_method=calibration_method, calibration_source=calibration_source,
        calibration_samples=reader.samples, calibration_sha256=reader.digest.hexdigest(),
        source_model_sha256=sha256_file(model),
    )


def calibration_indices(total: int, count: int, seed: int = 0) -> list[int]:
    """``count`` sample indices spread over a source of ``total`` samples (a fixed-seed random
    choice, sorted), so calibration sees the whole set and not only its first images."""
    if total <= 0:
        raise DataError("the calibration set is empty; int8 needs real training crops")
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(total, size=min(count, total), replace=False))


def sample_digest(image: bytes, label: str) -> bytes:
    """A sample's identity by content: the sha256 of its image bytes and its label."""
    return hashlib.sha256(hashlib.sha256(image).digest() + label.encode("utf-8")).digest()


def calibration_digests(source: Any, indices: Sequence[int], where: str) -> set[bytes]:
    """The :func:`sample_digest` of each calibration sample whose image decodes; a set none of
    whose chosen samples is a readable image is a :class:`DataError` naming ``where``."""
    from strbench.data.preprocess import decode_image
    from strbench.errors import SampleError

    digests: set[bytes] = set()
    reasons: list[str] = []
    for index in indices:
        try:
            sample = source.read(index)
            decode_image(sample.image, sample.key)
        except SampleError as exc:
            reasons.append(f"{exc.key}: {exc.reason}")
            continue
        digests.add(sample_digest(sample.image, sample.label))
    if not digests:
        raise DataError(f"--calibration-data {where}: none of its {len(indices)} calibration samples is a readable "
                        f"image (e.g. {reasons[0] if reasons else 'no sample'}); give a dataset of training crops")
    return digests


def benchmark_overlap(digests: set[bytes], versions: Iterable[tuple[str, Any]]) -> dict[str, int]:
    """Per benchmark version (``(name, source)``), how many of ``digests`` are its samples."""
    from strbench.errors import SampleError

    overlap: dict[str, int] = {}
    for name, source in versions:
        found: set[bytes] = set()
        for index in range(len(source)):
            try:
                sample = source.read(index)
            except SampleError:
                continue
            digest = sample_digest(sample.image, sample.label)
            if digest in digests:
                found.add(digest)
        if found:
            overlap[name] = len(found)
    return overlap


def quantize_exported(
    algorithm: Any,
    recognizer: Any,
    variant: str,
    out_dir: Path,
    calibration_data: Path,
    *,
    samples: int = 256,
    batch_size: int = 32,
    device: str = "cpu",
    check_batch: Any = None,
    calibration_method: str = DEFAULT_CALIBRATION_METHOD,
) -> tuple[Any, dict[str, Any]]:
    """Export ``recognizer`` to float ONNX in ``out_dir``, quantize it to int8 calibrated on
    ``samples`` images of ``calibration_data`` (training crops), and load the int8 model.

    Returns the int8 :class:`strbench.Recognizer` and the record's description of the export
    and of the quantization.
    """
    from strbench.data.loader import make_loader, open_dataset

    out_dir = Path(out_dir)
    stem = f"{algorithm.name}-{variant}"
    exported = algorithm.export(recognizer, "onnx", out_dir / f"{stem}.onnx", check_batch)
    float_model = algorithm.load_exported(Path(exported.path), "onnx", variant, device=device)
    source = open_dataset(calibration_data)
    try:
        loader = make_loader(source, float_model.input_spec, batch_size=batch_size,
                             indices=calibration_indices(len(source), samples))
        feeds = (float_model.onnx_feeds(loaded.batch) for loaded in loader)
        facts = quantize_onnx_int8(
            Path(exported.path), out_dir / f"{stem}-int8.onnx", feeds,
            calibration_source=str(calibration_data), exclude=exported.quantize_exclude,
            calibration_method=calibration_method,
        )
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    int8 = algorithm.load_exported(out_dir / f"{stem}-int8.onnx", "onnx", variant, device=device)
    description = {"onnx_export": asdict(exported), "quantization": facts.to_json()}
    return int8, description
