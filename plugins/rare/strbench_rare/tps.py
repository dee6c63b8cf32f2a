"""Thin-plate-spline rectification (RARE's spatial transformer), as PaddleOCR builds it.

A small CNN (the localisation network) predicts ``F`` fiducial points on the input image; the
grid generator maps a fixed pixel-centre grid of the rectified image through the TPS defined by
those points; ``grid_sample(align_corners=True)`` reads the input at the mapped positions.
The two constant matrices (the inverse of ``Delta_C`` and ``P_hat``) are computed in float64 and
cast to float32, exactly as PaddleOCR does.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from strbench_rare.layers import ConvBNAct

#: (conv channels, fc width) of the localisation network: "small" for mv3, "large" for r34.
LOC_NET_SIZES = {"small": ((16, 32, 64, 128), 64), "large": ((64, 128, 256, 512), 256)}
RBF_EPS = 1e-6


def initial_fiducials(num_fiducial: int) -> np.ndarray:
    """Slanted start points (RARE paper, Fig. 6a): top row y 0 -> -1, bottom row y 1 -> 0."""
    half = num_fiducial // 2
    x = np.linspace(-1.0, 1.0, half)
    top = np.stack([x, np.linspace(0.0, -1.0, half)], axis=1)
    bottom = np.stack([x, np.linspace(1.0, 0.0, half)], axis=1)
    return np.concatenate([top, bottom], axis=0)


def target_fiducials(num_fiducial: int) -> np.ndarray:
    """Fiducial points of the rectified image: the top (y=-1) and bottom (y=+1) edges, ``F x 2``."""
    half = num_fiducial // 2
    x = np.linspace(-1.0, 1.0, half)
    return np.concatenate([np.stack([x, -np.ones(half)], 1), np.stack([x, np.ones(half)], 1)], axis=0)


def inverse_delta_c(c: np.ndarray) -> np.ndarray:
    """Inverse of the ``(F+3) x (F+3)`` TPS system matrix for control points ``c`` (float64)."""
    f = c.shape[0]
    r = np.linalg.norm(c[:, None, :] - c[None, :, :], axis=2)
    np.fill_diagonal(r, 1.0)
    c_hat = r**2 * np.log(r)
    delta = np.concatenate(
        [
            np.concatenate([np.ones((f, 1)), c, c_hat], axis=1),
            np.concatenate([np.zeros((2, 3)), c.T], axis=1),
            np.concatenate([np.zeros((1, 3)), np.ones((1, f))], axis=1),
        ],
        axis=0,
    )
    return np.linalg.inv(delta)


def sampling_points(height: int, width: int) -> np.ndarray:
    """Pixel-centre grid of the rectified image, row-major over (y, x), each point as (x, y)."""
    xs = (np.arange(-width, width, 2) + 1.0) / width
    ys = (np.arange(-height, height, 2) + 1.0) / height
    return np.stack(np.meshgrid(xs, ys), axis=2).reshape(-1, 2)


def p_hat(c: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``n x (F+3)`` rows ``[1, x, y, d_1^2 ln(d_1 + eps), ...]`` with ``d_k = |p - c_k|`` (float64)."""
    d = np.linalg.norm(p[:, None, :] - c[None, :, :], axis=2)
    rbf = d**2 * np.log(d + RBF_EPS)
    return np.concatenate([np.ones((p.shape[0], 1)), p, rbf], axis=1)


class LocalizationNetwork(nn.Module):
    """Four conv-BN-ReLU stages (max-pool after the first three, global average after the last),
    then ``fc1`` + ReLU and ``fc2`` giving ``F`` (x, y) points. ``fc2`` starts at zero weights and
    the slanted initial fiducials as bias."""

    def __init__(self, in_channels: int, num_fiducial: int, size: str) -> None:
        super().__init__()
        channels, fc_dim = LOC_NET_SIZES[size]
        self.num_fiducial = num_fiducial
        for i, out in enumerate(channels):
            self.add_module(f"loc_conv{i}", ConvBNAct(in_channels, out, 3, act="relu"))
            in_channels = out
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(in_channels, fc_dim)
        self.fc2 = nn.Linear(fc_dim, num_fiducial * 2)
        bound = 1.0 / np.sqrt(in_channels)
        nn.init.uniform_(self.fc1.weight, -bound, bound)
        nn.init.uniform_(self.fc1.bias, -bound, bound)
        nn.init.zeros_(self.fc2.weight)
        with torch.no_grad():
            self.fc2.bias.copy_(torch.from_numpy(initial_fiducials(num_fiducial).reshape(-1)))

    def start_from(self, fiducials: np.ndarray) -> None:
        """Re-initialise the output layer so every image starts at ``fiducials`` (``F x 2``)."""
        with torch.no_grad():
            self.fc2.weight.zero_()
            self.fc2.bias.copy_(torch.from_numpy(fiducials.reshape(-1)).to(self.fc2.bias.dtype))

    def convs(self) -> list[ConvBNAct]:
        return [getattr(self, f"loc_conv{i}") for i in range(4)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        convs = self.convs()
        for conv in convs[:-1]:
            x = self.pool(conv(x))
        x = convs[-1](x).mean(dim=(2, 3))
        x = self.fc2(F.relu(self.fc1(x)))
        return x.reshape(-1, self.num_fiducial, 2)


class GridGenerator(nn.Module):
    """Maps predicted fiducials ``C'`` to a sampling grid. ``fc`` (PaddleOCR's frozen "ex_fc",
    zero-initialised, learning rate 0) supplies the 3 x 2 block appended below ``C'``."""

    def __init__(self, num_fiducial: int) -> None:
        super().__init__()
        self.num_fiducial = num_fiducial
        self.fc = nn.Linear(num_fiducial * 2, 6)
        nn.init.zeros_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)
        self.fc.weight.requires_grad_(False)
        self.fc.bias.requires_grad_(False)
        c = target_fiducials(num_fiducial)
        self.register_buffer("inv_delta_c", torch.from_numpy(inverse_delta_c(c)).float(), persistent=False)
        self._p_hat: dict[tuple[int, int], torch.Tensor] = {}

    def p_hat(self, height: int, width: int, device: torch.device) -> torch.Tensor:
        key = (height, width)
        if key not in self._p_hat:
            points = sampling_points(height, width)
            self._p_hat[key] = torch.from_numpy(p_hat(target_fiducials(self.num_fiducial), points)).float()
        return self._p_hat[key].to(device)

    def forward(self, c_prime: torch.Tensor, height: int, width: int) -> torch.Tensor:
        extra = self.fc(c_prime.reshape(c_prime.shape[0], -1)).reshape(-1, 3, 2).detach()
        t = torch.matmul(self.inv_delta_c, torch.cat([c_prime, extra], dim=1))
        grid = torch.matmul(self.p_hat(height, width, c_prime.device), t)
        return grid.reshape(-1, height, width, 2)


class TPS(nn.Module):
    """Rectify ``(B, C, H, W)`` images to the same size through a thin-plate spline."""

    def __init__(self, in_channels: int = 3, num_fiducial: int = 20, size: str = "small") -> None:
        super().__init__()
        self.loc_net = LocalizationNetwork(in_channels, num_fiducial, size)
        self.grid_generator = GridGenerator(num_fiducial)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height, width = int(image.shape[2]), int(image.shape[3])
        grid = self.grid_generator(self.loc_net(image), height, width)
        return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
