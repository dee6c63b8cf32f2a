"""The ``rare`` algorithm: variants, loading, training, ONNX export and PaddleOCR weight import."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strbench import (
    Algorithm,
    Batch,
    Capabilities,
    ExportResult,
    InputSpec,
    Recognizer,
    TrainResult,
    TrainSetting,
    UsageError,
    Variant,
)
from strbench_rare import __version__
from strbench_rare.defaults import RECIPES, training_defaults
from strbench_rare.labels import CHARSET, DECODE_MODES
from strbench_rare.weights import PADDLE_RELEASES, import_paddle, load_model, shipped_weights

TPS_INITS = ("paddle", "identity")
#: Training settings this plugin reads itself (the rest are :class:`strbench.TrainConfig` fields).
TRAIN_SETTINGS = (
    TrainSetting("tps_init", "paddle", " | ".join(TPS_INITS),
                 "where the TPS starts: paddle (PaddleOCR's slanted fiducials, RARE paper Fig. 6a) or identity "
                 "(the rectangle: the first images are seen unwarped)"),
)
PLUGIN_SETTINGS = tuple(s.name for s in TRAIN_SETTINGS)
#: Conservative CPU training throughput (images/s, 2 threads) for the cost warning of 'strbench train':
#: measured mv3 60-70 img/s and r34 22 img/s with the strbench-synth-real recipe (bf16) on a quiet CPU,
#: r34 5 img/s on a shared one; fp32 (the paddle recipe) and a busy CPU are slower.
#: images/s of training on 2 CPU threads by ``amp`` setting, about 3/4 of what benchmarks/train_speed.py
#: measured on a quiet machine (mv3: 93 fp32, 107 bf16; r34: 13 fp32, 34 bf16)
CPU_TRAIN_IMAGES_PER_SECOND = {"mv3": {"off": 70.0, "bf16": 80.0}, "r34": {"off": 10.0, "bf16": 25.0}}

#: ``--weights untrained``: a fresh network, also where trained weights ship.
UNTRAINED = "untrained"

INPUT_SPEC = InputSpec(
    height=32, max_width=100, channels="BGR", mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
    resize="keep_ratio", pad_value=0.0,
)
NUM_PARAMETERS = {"mv3": 1_679_418, "r34": 26_983_268}
DESCRIPTIONS = {
    "mv3": "TPS (small loc net) + MobileNetV3-large x0.5 + BiLSTM 96 + GRU attention (PaddleOCR rec_mv3_tps_bilstm_att)",
    "r34": "TPS (large loc net) + ResNet34_vd + BiLSTM 256 + GRU attention (PaddleOCR rec_r34_vd_tps_bilstm_att)",
}
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS or text in FALSE_WORDS:
        return text in TRUE_WORDS
    raise UsageError(f"rare option {name}={value!r} must be true or false")


def _shipped_path(variant: str) -> str | None:
    shipped = shipped_weights(variant)
    return str(shipped[0]) if shipped is not None else None


def _shipped_training_data(variant: str) -> str | None:
    """The shipped weights' ``training_data`` summary (their metadata file), if any."""
    shipped = shipped_weights(variant)
    value = shipped[1].get("training_data") if shipped is not None else None
    return str(value) if value else None


class RareAlgorithm(Algorithm):
    """RARE (Shi et al., CVPR 2016) as PaddleOCR implements it, in two backbones."""

    name = "rare"
    version = __version__
    description = "RARE: TPS rectification + CNN + BiLSTM + attention decoder (PaddleOCR layout)"
    paper = "Robust Scene Text Recognition with Automatic Rectification (CVPR 2016)"
    default_variant = "mv3"
    recipe_dir = RECIPES
    train_settings = TRAIN_SETTINGS
    default_protocol = "lower36"
    capabilities = Capabilities(train=True, export=("onnx",), import_weights=("paddle",))
    weight_releases = {"paddle": PADDLE_RELEASES}
    variants = {
        key: Variant(
            name=key,
            description=DESCRIPTIONS[key],
            input_spec=INPUT_SPEC,
            charset=CHARSET,
            cased=False,
            num_parameters=NUM_PARAMETERS[key],
            defaults=training_defaults(key),
            default_weights=_shipped_path(key),
            training_data=_shipped_training_data(key),
            cpu_train_images_per_second=CPU_TRAIN_IMAGES_PER_SECOND[key],
        )
        for key in ("mv3", "r34")
    }

    # -- inference ---------------------------------------------------------------------------

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        """Options: ``fast`` (default true: folded BN etc., same outputs), ``decode``
        (``paddle`` = skip sos/eos over all steps, or ``stop_at_eos``)."""
        from strbench_rare.recognizer import RareRecognizer

        v = self.variant(variant)
        unknown = set(options) - {"fast", "decode"}
        if unknown:
            raise UsageError(f"unknown rare option(s) {', '.join(sorted(unknown))}; known: fast, decode")
        decode = str(options.get("decode", "paddle"))
        if decode not in DECODE_MODES:
            raise UsageError(f"rare option decode={decode!r} must be one of {', '.join(DECODE_MODES)}")
        model = load_model(v.name, self._weights_or_shipped(v.name, weights)).to(device).eval()
        return RareRecognizer(model, v, device, fast=_flag(options.get("fast", True), "fast"), decode=decode)  # type: ignore[arg-type]

    def resolve_weights(self, variant: str, spec: str) -> Path:
        """Also accepts ``untrained``: a randomly initialised network even where weights ship."""
        if spec.lower() == UNTRAINED:
            return Path(UNTRAINED)
        return super().resolve_weights(variant, spec)

    def weights_identity(self, variant: str, weights: Path | None) -> dict[str, Any]:
        v = self.variant(variant)
        weights = self._weights_or_shipped(v.name, weights)
        shipped = shipped_weights(v.name)
        if weights is None:
            return {
                "name": "untrained",
                "trained": False,
                "note": f"randomly initialised RARE-{v.name}: no trained weights were given, predictions are meaningless",
            }
        if shipped is not None and Path(weights).resolve() == shipped[0].resolve():
            return {"name": shipped[0].name, "trained": True, "shipped": True, **shipped[1]}
        return {"name": str(weights), "trained": True}

    def _weights_or_shipped(self, variant: str, weights: Path | None) -> Path | None:
        """``weights`` as given; ``None`` -> the shipped weights (when they exist); ``untrained`` -> ``None``."""
        if weights is not None:
            return None if str(weights) == UNTRAINED else weights
        shipped = shipped_weights(variant)
        return shipped[0] if shipped is not None else None

    # -- weights -----------------------------------------------------------------------------

    def import_weights(self, variant: str, source: Path, dest: Path) -> dict[str, Any]:
        """Convert a PaddleOCR release ``.tar`` or ``best_accuracy.pdparams`` to safetensors at ``dest``."""
        v = self.variant(variant)
        return import_paddle(v.name, Path(source), Path(dest))

    # -- training ----------------------------------------------------------------------------

    def train(self, variant: str, config: Mapping[str, Any]) -> TrainResult:
        from strbench import TrainConfig, seed_everything, train
        from strbench_rare.tps import target_fiducials
        from strbench_rare.train_task import RareTrainTask

        v = self.variant(variant)
        tps_init = str(config.get("tps_init", TRAIN_SETTINGS[0].default))
        if tps_init not in TPS_INITS:
            raise UsageError(f"rare setting tps_init={tps_init!r} must be one of {', '.join(TPS_INITS)}")
        cfg = TrainConfig.from_mapping(v.defaults, {k: val for k, val in config.items() if k not in PLUGIN_SETTINGS})
        seed_everything(cfg.seed)  # before building: the same seed gives the same initial network
        model = load_model(v.name, None)
        if tps_init == "identity":
            model.transform.loc_net.start_from(target_fiducials(model.arch.num_fiducial))
        task = RareTrainTask(model, v, cfg)
        return train(task, cfg)

    # -- export ------------------------------------------------------------------------------

    def export(self, recognizer: Recognizer, fmt: str, path: Path, check_batch: Batch | None) -> ExportResult:
        from strbench_rare.export import export

        return export(recognizer, fmt, Path(path), check_batch)

    def load_exported(self, path: Path, fmt: str, variant: str, device: str = "cpu") -> Recognizer:
        from strbench_rare.export import load_exported

        return load_exported(self.variant(variant), Path(path), fmt, device)
