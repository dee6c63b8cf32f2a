"""Tests for strbench.weights.export: ONNX export of a TPS-like + LSTM + greedy-loop module, sessions, diffs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from strbench.errors import DataError, NotSupportedError
from strbench.weights.export import export_onnx, max_abs_diff, onnx_session


class _Recognizer(nn.Module):
    """Rectify with grid_sample(align_corners=True), encode with a BiLSTM, decode greedily for 4 steps."""

    steps = 4

    def __init__(self) -> None:
        super().__init__()
        self.loc = nn.Linear(3, 6)
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.lstm = nn.LSTM(8, 8, batch_first=True, bidirectional=True)
        self.embedding = nn.Embedding(7, 8)
        self.cell = nn.GRUCell(8 + 16, 16)
        self.classifier = nn.Linear(16, 7)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, 8), torch.linspace(-1, 1, 24), indexing="ij")
        self.register_buffer("base", torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(1, -1, 3))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        b = images.shape[0]
        theta = self.loc(images.mean((2, 3))).view(b, 2, 3) * 0.1 + torch.eye(2, 3)
        grid = (self.base @ theta.transpose(1, 2)).reshape(b, 8, 24, 2)
        x = F.grid_sample(images, grid, align_corners=True)
        features, _ = self.lstm(torch.relu(self.bn(self.conv(x))).mean(2).permute(0, 2, 1))
        context = features.mean(1)
        hidden = torch.zeros(b, 16)
        token = torch.zeros(b, dtype=torch.long)
        logits = []
        for _ in range(self.steps):
            hidden = self.cell(torch.cat([self.embedding(token), context], 1), hidden)
            step = self.classifier(hidden)
            token = step.argmax(1)
            logits.append(step)
        return torch.stack(logits, 1).softmax(-1)


def _model() -> nn.Module:
    torch.manual_seed(0)
    model = _Recognizer()
    with torch.no_grad():  # non-trivial BN statistics, so eval mode matters
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    return model.train()


def test_export_matches_eager_with_dynamic_batch(tmp_path):
    model = _model()
    path = export_onnx(
        model,
        (torch.randn(2, 3, 16, 48),),
        tmp_path / "out" / "model.onnx",
        input_names=["images"],
        output_names=["probs"],
        dynamic_axes={"images": {0: "batch"}, "probs": {0: "batch"}},
    )
    assert model.training  # restored
    assert path == tmp_path / "out" / "model.onnx" and path.is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.onnx"]

    import onnx

    proto = onnx.load(str(path))
    assert {o.domain: o.version for o in proto.opset_import}[""] == 17
    assert "GridSample" in {n.op_type for n in proto.graph.node}

    session = onnx_session(path, threads=1)
    model.eval()
    for batch in (1, 5):
        images = torch.randn(batch, 3, 16, 48)
        with torch.no_grad():
            eager = model(images)
        (onnx_out,) = session.run(None, {"images": images.numpy()})
        assert onnx_out.shape == (batch, 4, 7)
        assert max_abs_diff(onnx_out, eager) < 1e-5
        assert np.array_equal(onnx_out.argmax(-1), eager.argmax(-1).numpy())


class _AffineGrid(nn.Module):
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        theta = torch.eye(2, 3).expand(images.shape[0], 2, 3) * 0.9
        grid = F.affine_grid(theta, [images.shape[0], 1, 4, 6], align_corners=True)
        return F.grid_sample(images, grid, align_corners=True)


def test_falls_back_to_torch_export_exporter(tmp_path):
    # aten::affine_grid_generator has no TorchScript translation below opset 20
    images = torch.rand(2, 1, 8, 12)
    path = export_onnx(
        _AffineGrid(),
        (images,),
        tmp_path / "affine.onnx",
        input_names=["images"],
        output_names=["out"],
        dynamic_axes=None,
    )
    (out,) = onnx_session(path).run(None, {"images": images.numpy()})
    assert max_abs_diff(out, _AffineGrid()(images)) < 1e-5


class _ReturnsText(nn.Module):
    def forward(self, images: torch.Tensor) -> str:
        return "text"


def test_unexportable_module_names_both_exporters(tmp_path):
    with pytest.raises(NotSupportedError, match="TorchScript exporter.*torch.export exporter"):
        export_onnx(
            _ReturnsText(),
            (torch.zeros(1),),
            tmp_path / "x.onnx",
            input_names=["x"],
            output_names=["y"],
            dynamic_axes=None,
        )
    assert list(tmp_path.iterdir()) == []


def test_onnx_session_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        onnx_session(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(DataError, match=r"bad\.onnx"):
        onnx_session(bad)
    with pytest.raises(NotSupportedError, match="device 'tpu'"):
        onnx_session(bad, device="tpu")


def test_max_abs_diff():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert max_abs_diff(a, a.numpy()) == 0.0
    assert max_abs_diff(a, np.array([[1.0, 2.5], [2.0, 4.0]])) == pytest.approx(1.0)
    assert np.isnan(max_abs_diff(np.array([np.nan]), np.array([0.0])))
    assert max_abs_diff(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        max_abs_diff(np.zeros(2), np.zeros(3))
