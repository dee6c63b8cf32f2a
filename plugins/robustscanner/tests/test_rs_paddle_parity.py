"""Reproduce PaddleOCR's own RobustScanner outputs from the committed fixture (no paddle needed).

The fixture (``fixtures/paddle_tiny``) was written by ``scripts/make_paddle_fixture.py`` with
paddlepaddle and PaddleOCR's code: a width-reduced network of the real structure. Point
``STRBENCH_RS_PADDLE_FIXTURE`` at a folder written with ``--full --images ...`` to run the same
checks on the full-size network.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import ParityFixture, load_fixture

from strbench import collate, preprocess_image
from strbench_robustscanner.algorithm import INPUT_SPEC
from strbench_robustscanner.labels import Vocabulary, dict90, greedy_decode
from strbench_robustscanner.loss import sar_loss
from strbench_robustscanner.network import inference_copy

TOL = 1e-4


def fixtures() -> list[ParityFixture]:
    from conftest import TINY_FIXTURE

    found = [load_fixture(TINY_FIXTURE)]
    extra = os.environ.get("STRBENCH_RS_PADDLE_FIXTURE")
    if extra:
        found.append(load_fixture(Path(extra)))
    return found


@pytest.fixture(scope="module", params=fixtures(), ids=lambda f: f.root.name)
def case(request: pytest.FixtureRequest) -> tuple[ParityFixture, torch.nn.Module]:
    return request.param, request.param.model()


def test_parameter_count_equals_paddle(case) -> None:
    fixture, model = case
    assert sum(p.numel() for p in model.parameters()) == fixture.config["paddle_trainable_parameters"]


def test_preprocessing_equals_paddle_resize_norm_img_sar(tiny: ParityFixture) -> None:
    images, unclamped = zip(*(preprocess_image(np.ascontiguousarray(bgr[:, :, ::-1]), INPUT_SPEC)
                              for bgr in tiny.raw_images))
    batch = collate([str(i) for i in range(len(images))], images, unclamped, INPUT_SPEC)
    assert np.array_equal(batch.images.numpy(), tiny.io["images"])
    assert np.array_equal(batch.valid_ratios.numpy(), tiny.io["valid_ratios"])
    assert len(set(tiny.io["valid_ratios"].tolist())) >= 4  # clamped, min-width and in-between crops


@pytest.mark.parametrize("fast", [False, True], ids=["plain", "fast"])
def test_eval_probabilities_and_strings_equal_paddle(case, fast: bool) -> None:
    fixture, model = case
    runner = model
    if fast:
        runner = inference_copy(model)
        runner.decode_mode = "fast_full"
    with torch.inference_mode():
        probs = runner(torch.from_numpy(fixture.io["images"]), torch.from_numpy(fixture.io["valid_ratios"]))
    expected = fixture.io["probs"]
    assert probs.shape == expected.shape
    assert float(np.abs(probs.numpy() - expected).max()) < TOL
    vocab = Vocabulary(dict90())
    ours = [t for t, _ in greedy_decode(probs, vocab)]
    paddle = [t for t, _ in greedy_decode(torch.from_numpy(expected), vocab)]
    assert ours == paddle


def test_teacher_forced_logits_and_loss_equal_paddle(case) -> None:
    fixture, model = case
    targets = torch.from_numpy(fixture.io["targets"])
    with torch.no_grad():
        logits = model(torch.from_numpy(fixture.io["images"]), torch.from_numpy(fixture.io["valid_ratios"]), targets)
    assert float(np.abs(logits.numpy() - fixture.io["logits"]).max()) < TOL
    loss = sar_loss(logits, targets, pad_idx=92)
    assert abs(float(loss) - float(fixture.io["loss"])) < TOL


def test_pad_row_is_zeroed_on_import(tiny_model) -> None:
    # Paddle returns zeros for padding_idx whatever the stored row holds; the fixture's row is not zero.
    row = tiny_model.head.decoder.hybrid_decoder.embedding.weight[92]
    assert torch.count_nonzero(row) == 0
