"""ONNX export (TPS sampler included, dynamic batch) matches eager inference.

PaddleOCR computes the TPS sampling grid in float32 as ``P_hat (inv_delta_C C')`` with float32
constants; the products cancel about five digits, so the grid carries ~1e-5 rounding noise whose
pattern depends on the matrix-product summation order. ONNX Runtime's MatMul sums in another
order than PyTorch, and these random-weight models amplify the difference to a few 1e-3 in the
probabilities (measured 6e-3 on 16 IIIT5K crops), while everything else agrees to ~1e-6.
Strings must be identical; probabilities are held to ``TOLERANCE``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from strbench import Batch, make_loader, open_dataset
from strbench_rare.algorithm import RareAlgorithm

FIXTURES = Path(__file__).parent / "fixtures"
TOLERANCE = 2e-2


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, word_images: Path):
    algo = RareAlgorithm()
    recognizer = algo.load("mv3", FIXTURES / "rare_mv3_random.tar.gz", "cpu")
    path = tmp_path_factory.mktemp("onnx") / "rare_mv3.onnx"
    source = open_dataset(word_images)
    count = min(16, len(source))
    batch = next(iter(make_loader(source, recognizer.input_spec, batch_size=count, indices=range(count)))).batch
    result = algo.export(recognizer, "onnx", path, batch)
    return algo, recognizer, path, batch, result


@pytest.mark.slow
def test_export_matches_eager(exported) -> None:
    _, _, path, batch, result = exported
    assert Path(result.path) == path and path.is_file()
    assert result.inputs == ("images",) and result.checked_samples == len(batch) >= 8
    assert result.max_abs_diff is not None and result.max_abs_diff < TOLERANCE
    assert result.strings_equal is True


@pytest.mark.slow
def test_onnx_recognizer_dynamic_batch(exported) -> None:
    algo, recognizer, path, batch, _ = exported
    onnx_rec = algo.load_exported(path, "onnx", "mv3")
    for size in (1, 5):
        part = Batch(keys=batch.keys[:size], images=batch.images[:size])
        eager = recognizer.forward(part)
        out = onnx_rec.forward(part)
        assert out.shape == (size, 25, 38)
        assert float((torch.from_numpy(out) - eager).abs().max()) < TOLERANCE
        assert [p.text for p in onnx_rec.decode(out, part)] == [p.text for p in recognizer.decode(eager, part)]
