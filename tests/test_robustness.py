"""Robustness summary: corruption errors by hand, and the preset run end to end on a tiny set."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from strbench.cli.main import main
from strbench.report import robustness as rb
from strbench.run.records import iter_records

PRESET = rb.Preset("tiny", ("gaussian_blur", "contrast"), (1, 3), 4, ("CUTE80_288",))
MODEL = rb.ModelKey("a", "v", None, "torch", "fp32", "lower36@2")
REF = rb.ModelKey("r", "v", None, "torch", "fp32", "lower36@2")
SMALL = rb.Preset("tiny", ("contrast",), (1, 3), 4, ("CUTE80_288",))  # three runs: clean, contrast 1 and 3


def matrix(model: rb.ModelKey, clean: float, cells: dict[tuple[str, int], float]) -> rb.Matrix:
    return rb.Matrix(model, clean, dict(cells), 100)


def test_corruption_errors_by_hand() -> None:
    m = matrix(MODEL, 90.0, {("gaussian_blur", 1): 80.0, ("gaussian_blur", 3): 40.0,
                             ("contrast", 1): 90.0, ("contrast", 3): 70.0})
    ref = matrix(REF, 80.0, {("gaussian_blur", 1): 60.0, ("gaussian_blur", 3): 20.0,
                             ("contrast", 1): 80.0, ("contrast", 3): 40.0})
    ces = {c.corruption: c for c in rb.corruption_errors(m, ref, PRESET)}
    # blur: model errors 20 + 60 = 80, reference 40 + 80 = 120 -> CE 66.67; contrast: (10 + 30) / (20 + 60) = 50
    assert ces["gaussian_blur"].ce == pytest.approx(100 * 80 / 120)
    assert ces["contrast"].ce == pytest.approx(50.0)
    # relative: blur (10 + 50) / (20 + 60) = 75; contrast (0 + 20) / (0 + 40) = 50
    assert ces["gaussian_blur"].relative_ce == pytest.approx(75.0)
    assert ces["contrast"].relative_ce == pytest.approx(50.0)
    mce, rel = rb.mean_ce(list(ces.values()))
    assert mce == pytest.approx((200 / 3 + 50) / 2) and rel == pytest.approx(62.5)
    assert m.mean_accuracy() == pytest.approx(70.0)
    assert m.mean_relative_drop() == pytest.approx(100 * (10 + 50 + 0 + 20) / 90 / 4)
    assert rb.mean_ce(rb.corruption_errors(ref, ref, PRESET))[0] == pytest.approx(100.0)


def test_a_corruption_missing_a_severity_is_left_out_of_the_mce() -> None:
    m = matrix(MODEL, 90.0, {("gaussian_blur", 1): 80.0, ("contrast", 1): 90.0, ("contrast", 3): 70.0})
    ref = matrix(REF, 80.0, {("gaussian_blur", 1): 60.0, ("gaussian_blur", 3): 20.0,
                             ("contrast", 1): 80.0, ("contrast", 3): 40.0})
    assert [c.corruption for c in rb.corruption_errors(m, ref, PRESET)] == ["contrast"]


def word(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((24, 64, 3), 220, np.uint8)
    for x in range(6, 56, 12):
        img[5:19, x:x + 7] = rng.integers(0, 80, 3, dtype=np.uint8)
    return img


def test_preset_runs_once_then_reuses_and_summarises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent / "plugins"))
    monkeypatch.setitem(rb.PRESETS, "quick", SMALL)
    root = tmp_path / "data" / "CUTE80_288"
    (root / "images").mkdir(parents=True)
    lines = []
    for i in range(6):
        Image.fromarray(word(i)).save(root / "images" / f"{i}.png")
        lines.append(f"images/{i}.png\tw{i}")
    (root / "gt.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = tmp_path / "robustness"
    args = ["-q", "-p", "dummy_plugin", "robustness", "--algorithm", "dummy", "--data-root", str(tmp_path / "data"),
            "--results-dir", str(results)]
    assert main([*args, "--reference", "dummy"]) == 2  # no runs of the reference yet: a usage error
    assert main(args) == 0
    records = [r for _, r in iter_records(results)]
    assert len(records) == 3
    assert sorted(str(rb.cell_key(r)) for r in records) == ["None", "contrast:1", "contrast:3"]
    assert all(r.data.subset_limit == 4 and [d.name for d in r.datasets] == ["CUTE80_288"] for r in records)
    assert (results / "dummy_base_tiny.png").stat().st_size > 0
    capsys.readouterr()

    assert main([*args, "--reference", "dummy/base", "--format", "markdown"]) == 0  # nothing re-run
    out = capsys.readouterr().out
    assert len(list(results.glob("*.json"))) == 3
    assert "| dummy/base | 4 |" in out and "| 100.0 |" in out  # against itself: mCE 100

    readme = tmp_path / "README.md"
    readme.write_text("<!-- robustness:start -->\n<!-- robustness:end -->\n", encoding="utf-8")
    assert main(["-q", "robustness", "--summary", "--results-dir", str(results), "--update-readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "| dummy/base | 4 |" in text and "| model | clean | contrast |" in text


def test_digests_differ_under_each_cell() -> None:
    """The dummy recognizer's predictions are digests of its input: every cell must change them."""
    from strbench.data.perturb import Perturbation

    img = word(0)
    seen = {hashlib.sha256(img.tobytes()).hexdigest()}
    for p in PRESET.cells:
        seen.add(hashlib.sha256(Perturbation(p.name, p.severity)(img, "k").tobytes()).hexdigest())
    assert len(seen) == 1 + len(PRESET.cells)
