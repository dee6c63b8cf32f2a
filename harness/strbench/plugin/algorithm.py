"""The two objects an algorithm plugin provides: an :class:`Algorithm` and its :class:`Recognizer`.

An algorithm plugin returns :class:`Algorithm` instances from the ``strbench_algorithms`` hook.
The core never imports a plugin: it only calls these methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from strbench.errors import NotSupportedError, UsageError
from strbench.plugin.types import (
    Batch,
    Capabilities,
    ExportResult,
    InputSpec,
    Prediction,
    TrainResult,
    TrainSetting,
    Variant,
)
from strbench.weights.releases import WeightsRelease, fetch_release


class Recognizer(ABC):
    """A loaded, ready-to-run model.

    ``forward`` runs the model proper on a preprocessed batch (device tensors in, raw outputs out);
    ``decode`` turns those outputs into :class:`Prediction` objects. Keeping them apart lets the
    performance harness time model and decoding separately. Implementations must be pure
    functions of each sample: the same image gives the same prediction whatever batch it is in.
    """

    input_spec: InputSpec
    charset: str
    device: str = "cpu"

    @abstractmethod
    def forward(self, batch: Batch) -> Any:
        """Run the network on ``batch`` (already on :attr:`device`) and return raw outputs."""

    @abstractmethod
    def decode(self, outputs: Any, batch: Batch) -> list[Prediction]:
        """Turn raw outputs into one :class:`Prediction` per sample, in batch order."""

    def predict(self, batch: Batch) -> list[Prediction]:
        """Forward and decode in one call."""
        return self.decode(self.forward(batch), batch)

    def module(self) -> Any | None:
        """The ``torch.nn.Module`` holding the trained parameters (parameter counts, precision), if any."""
        return None

    def runtime_module(self) -> Any | None:
        """The module :meth:`forward` calls as a whole (what ``--compile`` compiles and FLOPs are
        counted on): a faster inference copy where the plugin runs one; by default :meth:`module`."""
        return self.module()

    def num_parameters(self) -> int | None:
        """Number of parameters of the model, or ``None`` when it has no meaningful count."""
        mod = self.module()
        if mod is None:
            return None
        return sum(p.numel() for p in mod.parameters())

    def describe(self) -> dict[str, Any]:
        """Extra facts for the result record (runtime, precision, decode options, ...)."""
        return {}

    def onnx_feeds(self, batch: Batch) -> dict[str, Any]:
        """The ONNX Runtime inputs (name -> float32 array) this recognizer feeds its graph for
        ``batch``; recognizers returned by :meth:`Algorithm.load_exported` for ONNX implement it
        (int8 calibration feeds the same inputs)."""
        raise NotSupportedError(f"{type(self).__name__} does not run an ONNX graph")


class Algorithm(ABC):
    """A recognition algorithm and everything the harness can ask of it.

    Subclasses set :attr:`name`, :attr:`version`, :attr:`description`, :attr:`variants` and
    :attr:`capabilities`, implement :meth:`load`, and override ``train``/``export``/
    ``import_weights`` only for what they support.
    """

    name: str
    version: str
    description: str
    variants: Mapping[str, Variant]
    default_variant: str
    default_protocol: str = "lower36"
    capabilities: Capabilities = Capabilities()
    paper: str = ""
    #: ``{alias: {variant: WeightsRelease}}``: published weights usable as ``--weights ALIAS``.
    weight_releases: Mapping[str, Mapping[str, WeightsRelease]] = {}
    #: Folder of training recipes (``*.toml``, see :mod:`strbench.training.recipes`), or ``None``.
    recipe_dir: Path | None = None
    #: Training settings the algorithm reads itself (``--set``), beside ``TrainConfig``'s.
    train_settings: tuple[TrainSetting, ...] = ()

    def variant(self, name: str | None) -> Variant:
        """Resolve a variant name (``None`` selects :attr:`default_variant`)."""
        key = name or self.default_variant
        if key not in self.variants:
            known = ", ".join(sorted(self.variants))
            raise UsageError(f"algorithm {self.name!r} has no variant {key!r}; choose one of: {known}")
        return self.variants[key]

    def resolve_weights(self, variant: str, spec: str) -> Path:
        """Turn the user's ``--weights`` value into a local file.

        An alias of :attr:`weight_releases` (case-insensitive) is downloaded on first use and
        converted once with :meth:`import_weights` (:func:`strbench.weights.releases.fetch_release`);
        anything else must be an existing path.
        """
        releases = {alias.lower(): per_variant for alias, per_variant in self.weight_releases.items()}
        if spec.lower() in releases:
            v = self.variant(variant)
            release = releases[spec.lower()].get(v.name)
            if release is None:
                raise UsageError(f"{self.name} variant {v.name!r} has no {spec!r} release; variants with one: "
                                 f"{', '.join(sorted(releases[spec.lower()])) or 'none'}")
            return fetch_release(release, lambda source, dest: self.import_weights(v.name, source, dest))
        path = Path(spec).expanduser()
        if not path.exists():
            aliases = f" (or one of the aliases: {', '.join(sorted(releases))})" if releases else ""
            raise UsageError(f"weights file not found: {spec}{aliases}")
        return path

    @abstractmethod
    def load(self, variant: str, weights: Path | None, device: str = "cpu", **options: Any) -> Recognizer:
        """Build the model for ``variant``, load ``weights`` (``None``: the variant's defaults or an
        untrained model) and return a ready :class:`Recognizer` in eval mode on ``device``."""

    def weights_identity(self, variant: str, weights: Path | None) -> dict[str, Any]:
        """Describe the weights for the record (the core adds the sha256 of a weights file)."""
        v = self.variant(variant)
        if weights is None and v.default_weights is None:
            return {"name": "untrained", "trained": False}
        return {"name": str(weights or v.default_weights), "trained": True}

    def train(self, variant: str, config: Mapping[str, Any]) -> TrainResult:
        """Train ``variant`` with ``config`` (the plugin's defaults overridden by the user)."""
        raise NotSupportedError(f"algorithm {self.name!r} does not support training")

    def export(self, recognizer: Recognizer, fmt: str, path: Path, check_batch: Batch | None) -> ExportResult:
        """Export ``recognizer`` to ``fmt`` at ``path`` and check it against eager on ``check_batch``."""
        raise NotSupportedError(f"algorithm {self.name!r} does not support export to {fmt!r}")

    def load_exported(self, path: Path, fmt: str, variant: str, device: str = "cpu") -> Recognizer:
        """Load an exported model (e.g. ONNX through ONNX Runtime) as a :class:`Recognizer`."""
        raise NotSupportedError(f"algorithm {self.name!r} cannot run exported {fmt!r} models")

    def import_weights(self, variant: str, source: Path, dest: Path) -> dict[str, Any]:
        """Convert foreign weights at ``source`` to this plugin's format at ``dest``; return facts
        about the conversion (source sha256, tensors converted, ...)."""
        raise NotSupportedError(f"algorithm {self.name!r} cannot import foreign weights")
