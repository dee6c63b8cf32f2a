"""The fast inference path gives the plain model's outputs and strings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from strbench import Batch
from strbench_rare.algorithm import RareAlgorithm
from strbench_rare.model import build_model
from strbench_rare.recognizer import RareRecognizer

FIXTURES = Path(__file__).parent / "fixtures"


def _inputs() -> Batch:
    meta = json.loads((FIXTURES / "rare_mv3_random_outputs.json").read_text())
    with np.load(FIXTURES / "rare_mv3_random_outputs.npz") as data:
        images = torch.from_numpy(data["inputs"])
    return Batch(keys=meta["images"], images=images)


def _perturb_batch_norm(model: torch.nn.Module) -> None:
    """Non-trivial BN statistics and TPS fc2 weight, so folding and the warp are exercised."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_(0, 0.1, generator=gen)
                mod.running_var.uniform_(0.5, 1.5, generator=gen)
                mod.weight.uniform_(0.5, 1.5, generator=gen)
                mod.bias.normal_(0, 0.1, generator=gen)
        model.transform.loc_net.fc2.weight.normal_(0, 0.02, generator=gen)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["mv3", "r34"])
def test_fast_equals_plain(variant: str) -> None:
    torch.manual_seed(0)
    model = build_model(variant)
    _perturb_batch_norm(model)
    spec = RareAlgorithm().variants[variant]
    batch = _inputs()
    plain = RareRecognizer(model.eval(), spec, fast=False)
    fast = RareRecognizer(model, spec, fast=True)
    a, b = plain.forward(batch), fast.forward(batch)
    assert float((a - b).abs().max()) < 1e-5
    assert [p.text for p in plain.decode(a, batch)] == [p.text for p in fast.decode(b, batch)]


def test_fast_equals_plain_with_paddle_weights() -> None:
    algo = RareAlgorithm()
    batch = _inputs()
    plain = algo.load("mv3", FIXTURES / "rare_mv3_random.tar.gz", fast=False)
    fast = algo.load("mv3", FIXTURES / "rare_mv3_random.tar.gz", fast="true")
    a, b = plain.forward(batch), fast.forward(batch)
    assert float((a - b).abs().max()) < 1e-5
    assert [p.text for p in plain.decode(a, batch)] == [p.text for p in fast.decode(b, batch)]


def test_parameters_and_runtime_modules_are_named_apart() -> None:
    """module() holds the trained parameters; runtime_module() is what forward runs (what
    --compile compiles): the fast inference copy on the fast path, the model itself otherwise."""
    fast = RareAlgorithm().load("mv3", None, "cpu", fast=True)
    plain = RareAlgorithm().load("mv3", None, "cpu", fast=False)
    assert fast.runtime_module() is fast.net and fast.module() is fast.model and fast.net is not fast.model
    assert plain.runtime_module() is plain.module()
