"""Fixtures of the RobustScanner tests: the Paddle-parity fixture, a width-reduced network holding
Paddle's weights, and real benchmark images (skipped when absent)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from strbench_robustscanner.algorithm import INPUT_SPEC, RobustScannerAlgorithm
from strbench_robustscanner.network import RobustScanner

REPO = Path(__file__).resolve().parents[3]
DATA_ROOT = Path(os.environ.get("STRBENCH_DATA_ROOT", REPO.parent / "shared" / "data" / "str-benchmarks"))
TINY_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "paddle_tiny"


@dataclass
class ParityFixture:
    """What ``scripts/make_paddle_fixture.py`` wrote: Paddle's weights, inputs and outputs."""

    root: Path
    config: dict[str, Any]
    io: dict[str, np.ndarray]

    @property
    def network(self) -> dict[str, Any]:
        return {k: self.config[k] for k in ("channels", "layers", "enc_channels")}

    @property
    def raw_images(self) -> list[np.ndarray]:
        return [self.io[f"raw_{i}"] for i in range(len(self.io["images"]))]

    def model(self) -> RobustScanner:
        algo = RobustScannerAlgorithm()
        model = algo.build("r31", self.network)
        algo.load_state(model, self.root / "paddle_weights.pdparams")
        return model.eval()


def load_fixture(root: Path) -> ParityFixture:
    config = json.loads((root / "config.json").read_text(encoding="utf-8"))
    with np.load(root / "paddle_io.npz", allow_pickle=False) as data:
        io = {k: data[k] for k in data.files}
    return ParityFixture(root, config, io)


@pytest.fixture(scope="session")
def tiny() -> ParityFixture:
    return load_fixture(TINY_FIXTURE)


@pytest.fixture(scope="session")
def tiny_model(tiny: ParityFixture) -> RobustScanner:
    return tiny.model()


@pytest.fixture(scope="session")
def iiit5k() -> Path:
    folder = DATA_ROOT / "IIIT5K_3000"
    if not (folder / "gt.txt").is_file():
        pytest.skip(f"real benchmark data not found at {folder} (set STRBENCH_DATA_ROOT to run this test)")
    return folder


def load_real(folder: Path, count: int, batch_size: int) -> list[Any]:
    """The first ``count`` samples of a dataset as strbench ``LoadedBatch`` objects."""
    from strbench import make_loader, open_dataset

    source = open_dataset(folder)
    return list(make_loader(source, INPUT_SPEC, batch_size=batch_size, indices=list(range(count))))
