"""The ``robustscanner`` algorithm: variants, weights (untrained, files, the PaddleOCR release),
training, ONNX export."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strbench import (
    Algorithm,
    Batch,
    Capabilities,
    DataError,
    ExportResult,
    InputSpec,
    Recognizer,
    TrainResult,
    TrainSetting,
    Variant,
    WeightsRelease,
    load_recipe,
)
from strbench_robustscanner import __version__
from strbench_robustscanner.labels import Vocabulary, dict90

if TYPE_CHECKING:
    from strbench_robustscanner.network import RobustScanner

PADDLE_URL = "https://paddleocr.bj.bcebos.com/contribution/rec_r31_robustscanner.tar"
PADDLE_RELEASE = WeightsRelease(PADDLE_URL, reported_accuracy="87.77%",
                                reported_by="PaddleOCR (its own evaluation, average word accuracy over its benchmark sets)")
NUM_PARAMETERS = 47_979_996  # PaddleOCR's trainable parameter count (BN running stats excluded)
PADDLE_WEIGHT_SUFFIXES = (".pdparams", ".tar")

INPUT_SPEC = InputSpec(
    height=48,
    max_width=160,
    min_width=48,
    channels="BGR",
    resize="keep_ratio",
    width_rounding="round_to_divisor",
    width_divisor=4,
    pad_value=-1.0,
)

# PaddleOCR configs/rec/rec_r31_robustscanner.yml: Adam(0.9, 0.999), Piecewise 1e-3 / 1e-4 / 1e-5
# with boundaries at epochs 3 and 4, no L2, batch 64, 5 epochs, no augmentation.
RECIPES = Path(__file__).parent / "recipes"
#: PaddleOCR's settings (the ``paddle`` recipe) as TrainConfig fields.
TRAIN_DEFAULTS: dict[str, Any] = load_recipe(RECIPES, "paddle", "r31").settings


def init_untrained(model: RobustScanner, seed: int = 0) -> None:
    """Seeded initialisation following the PaddleOCR config (KaimingNormal convs in the backbone,
    Xavier-normal channel reduction); the rest keeps PyTorch's defaults. PAD row zeroed."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            fresh = torch.empty_like(param)
            if param.ndim == 4 and name.startswith("backbone."):
                std = (2.0 / param[0].numel()) ** 0.5
                param.copy_(fresh.normal_(0.0, std, generator=gen))
            elif name == "head.encoder.layer.weight":
                fan_in, fan_out = param.shape[1], param.shape[0]
                param.copy_(fresh.normal_(0.0, (2.0 / (fan_in + fan_out)) ** 0.5, generator=gen))
        model.head.decoder.hybrid_decoder.embedding.weight[model.config.pad_idx] = 0.0


#: Training settings this plugin reads itself (the rest are :class:`strbench.TrainConfig` fields).
TRAIN_SETTINGS = (
    TrainSetting("network", None, "JSON object or none",
                 "overrides of the network's sizes (NetworkConfig fields), e.g. a width-reduced test network "
                 "(none: the published r31 network)"),
)
#: Conservative CPU training throughput (images/s, 2 threads) for the cost warning of 'strbench train':
#: the r31 network runs inference at about 6 img/s on 2 CPU threads, training costs about three times that.
#: images/s of training on 2 CPU threads by ``amp`` setting, about 3/4 of what benchmarks/train_speed.py
#: measured on a quiet machine (3.1 fp32, 13.3 bf16)
CPU_TRAIN_IMAGES_PER_SECOND = {"off": 2.3, "bf16": 10.0}

class RobustScannerAlgorithm(Algorithm):
    name = "robustscanner"
    version = __version__
    description = "RobustScanner (ResNet31, hybrid + position decoders, dynamic fusion), PaddleOCR layout"
    paper = "Yue et al., RobustScanner: Dynamically Enhancing Positional Clues for Robust Text Recognition, ECCV 2020"
    default_variant = "r31"
    default_protocol = "lower36"
    capabilities = Capabilities(train=True, export=("onnx",), import_weights=("paddle",))
    weight_releases = {"paddle": {"r31": PADDLE_RELEASE}}
    recipe_dir = RECIPES
    train_settings = TRAIN_SETTINGS

    def __init__(self) -> None:
        self.variants = {
            "r31": Variant(
                name="r31",
                description="ResNet31 backbone, 3x48x[48-160] BGR input, dict90 (case-sensitive), 40 steps",
                input_spec=INPUT_SPEC,
                charset=dict90(),
                cased=True,
                num_parameters=NUM_PARAMETERS,
                defaults=dict(TRAIN_DEFAULTS),
                default_weights=None,
                cpu_train_images_per_second=CPU_TRAIN_IMAGES_PER_SECOND,
            )
        }

    # -- building --------------------------------------------------------------------------

    def build(self, variant: str, network: Mapping[str, Any] | None = None, seed: int = 0) -> RobustScanner:
        """An untrained network, the same for the same ``seed`` (``network`` overrides sizes,
        e.g. a width-reduced test config)."""
        import torch

        from strbench_robustscanner.network import NetworkConfig, RobustScanner

        self.variant(variant)
        config = NetworkConfig.from_mapping(dict(network or {}))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # PyTorch's default initialisers draw from the global RNG
            model = RobustScanner(config)
        init_untrained(model, seed)
        return model

    def load_state(self, model: RobustScanner, weights: Path) -> None:
        """Load a strbench weights file, or convert a PaddleOCR ``.pdparams``/``.tar`` on the fly."""
        from strbench import load_into, load_weights

        if weights.suffix.lower() in PADDLE_WEIGHT_SUFFIXES:
            from strbench import read_pdparams
            from strbench_robustscanner.paddle_weights import convert_state_dict

            state = convert_state_dict(read_pdparams(weights), model, source=str(weights))
        else:
            state, _ = load_weights(weights)
        load_into(model, state, source=str(weights))

    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        """Options: ``fast`` (default True: the optimised inference path; False: the reference
        path), ``network`` (a mapping of :class:`NetworkConfig` overrides), ``seed``."""
        from strbench_robustscanner.recognizer import RobustScannerRecognizer

        v = self.variant(variant)
        model = self.build(variant, options.get("network"), int(options.get("seed", 0)))
        if weights is not None:
            self.load_state(model, Path(weights))
        fast = options.get("fast", True)
        fast = fast if isinstance(fast, bool) else str(fast).lower() not in ("0", "false", "no")
        return RobustScannerRecognizer(model, Vocabulary(v.charset), v.input_spec, device, fast=fast)

    # -- weights ---------------------------------------------------------------------------

    def weights_identity(self, variant: str, weights: Path | None) -> dict[str, Any]:
        if weights is None:
            return {
                "name": "untrained",
                "trained": False,
                "note": "randomly initialised network: no trained RobustScanner weights are bundled; "
                "use --weights paddle (PaddleOCR release, needs a download) or a trained file",
            }
        identity: dict[str, Any] = {"name": str(weights), "trained": True}
        if weights.suffix == ".safetensors" and weights.is_file():
            from strbench import load_weights

            _, meta = load_weights(weights)
            if meta.get("source_sha256"):
                identity.update(source=meta.get("source_url") or meta.get("source"),
                                source_sha256=meta["source_sha256"])
        return identity

    def import_weights(self, variant: str, source: Path, dest: Path) -> dict[str, Any]:
        from strbench import read_pdparams, save_weights, sha256_file
        from strbench_robustscanner.paddle_weights import conversion_facts, convert_state_dict

        source, dest = Path(source), Path(dest)
        if not source.is_file():
            raise DataError(f"{source} does not exist; pass the PaddleOCR rec_r31_robustscanner .tar or .pdparams")
        paddle_state = read_pdparams(source)
        model = self.build(variant)
        state = convert_state_dict(paddle_state, model, source=str(source))
        model.load_state_dict(state)
        digest = sha256_file(source)
        save_weights(state, dest, metadata={
            "format": "strbench_robustscanner", "variant": variant, "source": str(source),
            "source_url": PADDLE_URL if source.name == Path(PADDLE_URL).name else "", "source_sha256": digest,
        })
        facts = conversion_facts(paddle_state, model)
        return {"source": str(source), "source_sha256": digest, "dest": str(dest),
                "parameters": sum(p.numel() for p in model.parameters()), **facts}

    # -- training and export -----------------------------------------------------------------

    def train(self, variant: str, config: Mapping[str, Any]) -> TrainResult:
        from strbench_robustscanner.train_task import train_variant

        return train_variant(self, variant, config)

    def export(self, recognizer: Recognizer, fmt: str, path: Path, check_batch: Batch | None) -> ExportResult:
        from strbench_robustscanner.export import export

        return export(self, recognizer, fmt, Path(path), check_batch)

    def load_exported(self, path: Path, fmt: str, variant: str, device: str = "cpu") -> Recognizer:
        from strbench_robustscanner.export import load_exported

        return load_exported(self, Path(path), fmt, variant, device)
