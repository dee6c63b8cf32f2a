"""Shared fixtures for the RARE plugin tests."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[3]


def data_root() -> Path:
    return Path(os.environ.get("STRBENCH_DATA_ROOT", REPO_ROOT.parent / "shared" / "data" / "str-benchmarks"))


@pytest.fixture(scope="session")
def rendered_words(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture's eight rendered word crops as a folder dataset (``gt.txt``)."""
    meta = json.loads((FIXTURES / "rare_mv3_random_outputs.json").read_text())
    folder = tmp_path_factory.mktemp("rendered_words")
    lines = []
    for name in meta["images"]:
        shutil.copy(FIXTURES / name, folder / name)
        lines.append(f"{name}\t{name.split('_')[-1].removesuffix('.png')}")
    (folder / "gt.txt").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="session")
def iiit5k() -> Path:
    """The real IIIT5K test set (skips when the shared data is absent)."""
    path = data_root() / "IIIT5K_3000"
    if not (path / "gt.txt").is_file():
        pytest.skip(f"real benchmark data not found at {path} (set STRBENCH_DATA_ROOT)")
    return path


@pytest.fixture(scope="session")
def iiit5k_subset(iiit5k: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A label file over the first 32 IIIT5K samples (the images stay where they are)."""
    lines = (iiit5k / "gt.txt").read_text(encoding="utf-8").splitlines()[:32]
    label_file = tmp_path_factory.mktemp("iiit5k32") / "gt.txt"
    (label_file.parent / "images").symlink_to(iiit5k.resolve() / "images", target_is_directory=True)
    label_file.write_text("".join(f"{line}\n" for line in lines))
    return label_file


@pytest.fixture(scope="session")
def word_images(rendered_words: Path) -> Path:
    """Real IIIT5K crops when the shared data is there, else the rendered fixture crops."""
    real = data_root() / "IIIT5K_3000"
    return real if (real / "gt.txt").is_file() else rendered_words
