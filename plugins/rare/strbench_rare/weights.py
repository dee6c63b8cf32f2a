"""Where RARE weights come from: PaddleOCR's released training archives or local files.

``--weights paddle`` selects the variant's PaddleOCR release (:data:`PADDLE_RELEASES`, declared as
the algorithm's ``weight_releases``): the core downloads it into the strbench cache (resumable;
offline, the error says where to put the file by hand) and converts it once with
:func:`import_paddle`. A path may also name a release ``.tar``/``.tar.gz``, a ``.pdparams`` file (both converted in memory, read without
executing pickle code), or this plugin's ``.safetensors``/PyTorch state dict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strbench import WeightsRelease, read_pdparams, sha256_file

if TYPE_CHECKING:
    import torch

    from strbench_rare.model import RareModel

PADDLE_SUFFIXES = (".tar", ".gz", ".tgz", ".pdparams")

#: PaddleOCR's released RARE training archives and the accuracy PaddleOCR reports for them.
PADDLE_RELEASES = {
    "mv3": WeightsRelease(
        "https://paddleocr.bj.bcebos.com/dygraph_v2.0/en/rec_mv3_tps_bilstm_att_v2.0_train.tar",
        reported_accuracy="82.50%",
        reported_by="PaddleOCR (its own evaluation, average word accuracy over its benchmark sets)",
    ),
    "r34": WeightsRelease(
        "https://paddleocr.bj.bcebos.com/dygraph_v2.0/en/rec_r34_vd_tps_bilstm_att_v2.0_train.tar",
        reported_accuracy="83.60%",
        reported_by="PaddleOCR (its own evaluation, average word accuracy over its benchmark sets)",
    ),
}


#: Weights trained by strbench and shipped with the plugin: ``rare_<variant>.safetensors`` beside
#: ``rare_<variant>.json`` (the identity: recipe, data, steps, date, training record).
SHIPPED_DIR = Path(__file__).parent / "weights"


def shipped_weights(variant: str) -> tuple[Path, dict[str, Any]] | None:
    """The shipped weights of ``variant`` and their identity, or ``None`` when none ship."""
    path = SHIPPED_DIR / f"rare_{variant}.safetensors"
    identity = path.with_suffix(".json")
    if not path.is_file() or not identity.is_file():
        return None
    return path, json.loads(identity.read_text(encoding="utf-8"))


def is_paddle_file(path: Path) -> bool:
    return path.name.lower().endswith(PADDLE_SUFFIXES)


def convert_paddle_file(variant: str, source: Path) -> tuple[RareModel, dict[str, Any]]:
    """Read PaddleOCR weights (tar or pdparams) into a fresh model; return it and conversion facts."""
    from strbench import load_into
    from strbench_rare.model import build_model
    from strbench_rare.paddle_weights import convert_state

    paddle_state = read_pdparams(source)
    model = build_model(variant)
    state = convert_state(paddle_state, model, str(source))
    load_into(model, state, source=str(source))
    facts = {
        "source": str(source),
        "source_sha256": sha256_file(source),
        "format": "paddle",
        "variant": variant,
        "paddle_tensors": len(paddle_state),
        "tensors_converted": len(state),
        "num_parameters": sum(p.numel() for p in model.parameters()),
    }
    return model, facts


def import_paddle(variant: str, source: Path, dest: Path) -> dict[str, Any]:
    """Convert ``source`` to a safetensors file at ``dest`` holding the source sha256 in its metadata."""
    from strbench import save_weights

    model, facts = convert_paddle_file(variant, source)
    metadata = {k: str(v) for k, v in facts.items()} | {"algorithm": "rare"}
    save_weights(model.state_dict(), dest, metadata)
    return facts | {"dest": str(dest)}


def load_model(variant: str, weights: Path | None) -> RareModel:
    """A model for ``variant`` with ``weights`` (``None``: a fresh, untrained network)."""
    from strbench import load_into, load_weights
    from strbench_rare.model import build_model

    if weights is None:
        return build_model(variant)
    weights = Path(weights)
    if is_paddle_file(weights):
        return convert_paddle_file(variant, weights)[0]
    state, _ = load_weights(weights)
    model = build_model(variant)
    load_into(model, _with_bn_counters(state, model), source=str(weights))
    return model


def _with_bn_counters(state: dict[str, torch.Tensor], model: RareModel) -> dict[str, torch.Tensor]:
    """Accept state dicts without BN ``num_batches_tracked`` counters (they do not affect inference)."""
    import torch

    own = model.state_dict()
    extra = {k: torch.zeros_like(v) for k, v in own.items() if k.endswith("num_batches_tracked") and k not in state}
    return {**state, **extra}
