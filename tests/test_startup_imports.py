"""Commands that run no model start without torch (and without ONNX Runtime, ONNX, OpenCV and,
except where they draw, matplotlib).

Each command runs in a fresh interpreter through ``strbench.cli.main.main`` against the committed
records in ``results/`` (or the embedded synthetic set); the interpreter then reports which heavy
modules it imported. Timings are ``benchmarks/cli_startup.py``'s job, not this test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"
RECORD_A = RESULTS / "20261123T004629056287Z_ppocr-onnx_v6-small_lower36.json"
RECORD_B = RESULTS / "20261123T005841639700Z_ppocr-onnx_v6-tiny_lower36.json"

#: Loaded only to build, run or export a model.
MODEL_MODULES = ("torch", "onnxruntime", "onnx", "cv2")

WRAPPER = """
import contextlib, io, json, sys
from strbench.cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": {m: m in sys.modules for m in sys.argv[0].split(",")}}))
"""


def loaded_after(args: list[str], watch: tuple[str, ...]) -> tuple[int, dict[str, bool]]:
    """Run ``strbench ARGS`` in a fresh interpreter; its exit code and which of ``watch`` it imported."""
    proc = subprocess.run([sys.executable, "-c", WRAPPER.replace("sys.argv[0]", repr(",".join(watch))), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return report["code"], report["modules"]


def commands(tmp: Path) -> dict[str, tuple[list[str], tuple[str, ...]]]:
    """name -> (arguments, modules that must stay unloaded)."""
    plain = (*MODEL_MODULES, "matplotlib")
    a, b = str(RECORD_A), str(RECORD_B)
    return {
        "help": (["--help"], plain),
        "version": (["--version"], plain),
        "plugins": (["plugins"], plain),
        "plugins-json": (["plugins", "--json"], plain),
        "leaderboard": (["leaderboard"], plain),
        "leaderboard-html": (["leaderboard", "--format", "html"], MODEL_MODULES),  # embeds its plot
        "report": (["report", "-o", str(tmp / "report")], MODEL_MODULES),  # draws its plots with matplotlib
        "compare": (["compare", a, b], plain),
        "rescore": (["rescore", a, "--protocol", "cased62"], plain),
        "errors": (["errors", a], plain),
        "calibration": (["calibration", a], plain),
        "robustness-summary": (["robustness", "--summary"], plain),
        "data-suites": (["data", "suites"], plain),
        "data-inspect": (["data", "inspect", "default-synthetic"], plain),
        "data-validate": (["data", "validate", "default-synthetic"], plain),
        "weights-releases": (["weights", "releases"], plain),
    }


#: ``report`` renders the whole site (every plot): about 20 s on two busy cores.
NAMES = [pytest.param(name, marks=pytest.mark.slow) if name == "report" else name for name in commands(Path("/unused"))]


@pytest.mark.parametrize("name", NAMES)
def test_command_starts_without_model_libraries(name: str, tmp_path: Path) -> None:
    if not RECORD_A.is_file() or not RECORD_B.is_file():
        pytest.skip("the committed PP-OCR records are not in results/")
    args, unwanted = commands(tmp_path)[name]
    code, loaded = loaded_after(args, unwanted)
    assert code == 0, f"strbench {' '.join(args)} exited {code}"
    assert not [m for m in unwanted if loaded[m]], f"strbench {' '.join(args)} imported {loaded}"


def test_import_strbench_and_plugin_entry_points_without_torch() -> None:
    """The public API and every built-in plugin's entry-point module (its Algorithm and variants)."""
    code = """
import json, sys
import strbench, strbench.testing
from importlib.metadata import entry_points
algorithms = {}
for ep in entry_points(group="strbench"):
    module = ep.load()
    for algo in module.strbench_algorithms():
        algorithms[algo.name] = {name: len(v.charset) for name, v in algo.variants.items()}
print(json.dumps({"algorithms": algorithms, "loaded": [m for m in ("torch", "onnxruntime", "onnx", "cv2", "matplotlib")
                                                       if m in sys.modules]}))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
    assert {"rare", "robustscanner"} <= set(report["algorithms"])


def test_lazy_public_names_resolve() -> None:
    """Names whose modules need torch are imported on first use and are the real objects."""
    import strbench
    from strbench.data.loader import make_loader
    from strbench.training.loop import train
    from strbench.weights.io import load_weights

    assert strbench.make_loader is make_loader
    assert strbench.train is train
    assert strbench.load_weights is load_weights
    assert set(strbench.__all__) <= set(dir(strbench))
    with pytest.raises(AttributeError):
        strbench.no_such_name  # noqa: B018
