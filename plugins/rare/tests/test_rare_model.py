"""RARE architecture facts: exact PaddleOCR parameter counts, shapes, frozen ex_fc, labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from strbench_rare.algorithm import NUM_PARAMETERS, RareAlgorithm
from strbench_rare.labels import EOS, SOS, decode_probs, encode_label
from strbench_rare.model import build_model

# PaddleOCR's counts (trainable weights incl. BN affine and the frozen ex_fc, no BN statistics).
PADDLE_COUNTS = {"mv3": 1_679_418, "r34": 26_983_268}


@pytest.mark.parametrize("variant", ["mv3", "r34"])
def test_parameter_count_equals_paddleocr(variant: str) -> None:
    model = build_model(variant)
    assert sum(p.numel() for p in model.parameters()) == PADDLE_COUNTS[variant]
    assert NUM_PARAMETERS[variant] == PADDLE_COUNTS[variant]
    assert RareAlgorithm().variants[variant].num_parameters == PADDLE_COUNTS[variant]


@pytest.mark.parametrize("variant", ["mv3", "r34"])
def test_shapes_and_modes(variant: str) -> None:
    model = build_model(variant).eval()
    x = torch.rand(2, 3, 32, 100) * 2 - 1
    with torch.no_grad():
        features = model.backbone(model.transform(x))
        probs = model(x)
    assert features.shape == (2, 480 if variant == "mv3" else 512, 1, 25)
    assert probs.shape == (2, 25, 38)
    assert torch.allclose(probs.sum(-1), torch.ones(2, 25), atol=1e-5)
    model.train()
    logits = model(x)
    assert not torch.allclose(logits.sum(-1), torch.ones(2, 25), atol=1e-3)


def test_ex_fc_frozen_and_zero() -> None:
    fc = build_model("mv3").transform.grid_generator.fc
    assert not fc.weight.requires_grad and not fc.bias.requires_grad
    assert fc.weight.abs().sum() == 0 and fc.bias.abs().sum() == 0


def test_label_encoding_follows_paddleocr() -> None:
    assert encode_label("Ab1") == [SOS, 11, 12, 2, EOS] + [SOS] * 20
    assert encode_label("a-b") == [SOS, 11, 12, EOS] + [SOS] * 21  # '-' dropped
    assert encode_label("") is None
    assert encode_label("a" * 26) is None  # raw label longer than 25
    assert encode_label("a" * 25) is None  # 25 encoded characters leave no room for eos
    assert encode_label("a" * 24) is None  # sos + 24 + eos would be 26 steps (PaddleOCR lets it through)
    assert encode_label("a" * 23) is not None
    assert encode_label("---") is None


def test_decoding_skips_sos_and_eos() -> None:
    steps = [11, SOS, 12, EOS, 13, EOS]  # a, sos, b, eos, c, eos
    probs = np.full((1, len(steps), 38), 0.01, dtype=np.float32)
    for t, c in enumerate(steps):
        probs[0, t, c] = 0.5 + 0.05 * t
    paddle = decode_probs(probs)[0]
    assert paddle.text == "abc"
    assert paddle.confidence == pytest.approx(np.mean([0.5, 0.6, 0.7]))
    assert decode_probs(probs, "stop_at_eos")[0].text == "ab"
    empty = np.zeros((1, 3, 38), dtype=np.float32)
    empty[0, :, EOS] = 1.0
    assert decode_probs(empty)[0].text == "" and decode_probs(empty)[0].confidence == 0.0


def test_shipped_weights_are_the_default_and_identify_themselves() -> None:
    """Without --weights, RARE-mv3 loads the strbench-trained weights shipped in the package; the
    identity JSON beside them names recipe, data and steps and holds the file's sha256."""
    import hashlib

    from strbench_rare.algorithm import RareAlgorithm
    from strbench_rare.weights import shipped_weights

    shipped = shipped_weights("mv3")
    if shipped is None:
        pytest.skip("no shipped RARE-mv3 weights in this checkout")
    path, identity = shipped
    assert path.stat().st_size < 10 * 2**20
    assert identity["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    algo = RareAlgorithm()
    described = algo.weights_identity("mv3", None)
    assert described["trained"] is True and described["shipped"] is True
    assert "strbench-synth-real" in described["recipe"] and described["steps"]
    rec = algo.load("mv3", None, "cpu", fast=False)
    from strbench import load_weights

    state, _ = load_weights(path)
    assert torch.equal(rec.model.state_dict()["head.generator.weight"], state["head.generator.weight"])
    untrained = algo.load("mv3", algo.resolve_weights("mv3", "untrained"), "cpu", fast=False)
    assert not torch.equal(untrained.model.state_dict()["head.generator.weight"], state["head.generator.weight"])
    assert algo.weights_identity("mv3", algo.resolve_weights("mv3", "untrained"))["trained"] is False
