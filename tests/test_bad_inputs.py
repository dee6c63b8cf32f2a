"""The bad-input suite (``tests/bad_inputs/generate.py``): every case gives its expected outcome,
a clear one-line error, a counted skip or correct handling, and never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "bad_inputs"))
from generate import CASES, Case, record_of  # noqa: E402

from strbench.cli.main import main  # noqa: E402

TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _test_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(TESTS / "plugins"))
    monkeypatch.setenv("STRBENCH_DISABLE_PLUGIN_AUTOLOAD", "1")


def run_case(case: Case, folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = ["-q", *case.build(folder)]
    capsys.readouterr()
    if case.isolate:  # a regression would kill the test process with SIGBUS
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS / "plugins"), os.environ.get("PYTHONPATH", "")]),
               "STRBENCH_DISABLE_PLUGIN_AUTOLOAD": "1", "OMP_NUM_THREADS": "1"}
        proc = subprocess.run([sys.executable, "-m", "strbench", *args], capture_output=True, text=True, env=env,
                              timeout=120)
        return proc.returncode, proc.stdout + proc.stderr
    code = main(args)  # usage errors are exit codes too, not SystemExit
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_suite_has_at_least_forty_cases_of_each_kind() -> None:
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)
    assert {c.outcome for c in CASES} == {"error", "skip", "handled"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_case(case, tmp_path, capsys)
    flat = "".join(output.split())  # rich wraps long lines, even inside words
    assert "Traceback" not in output, output
    assert code == case.exit_code, f"exit {code}, expected {case.exit_code}:\n{output[-3000:]}"
    for text in case.says:
        assert "".join(text.split()) in flat, f"{text!r} not in the output:\n{output[-3000:]}"
    if case.outcome == "error":
        assert "error" in output.lower()
    if case.outcome == "skip":
        (entry,) = record_of(tmp_path)["datasets"]
        assert entry["skipped"]["total"] == case.skipped, entry["skipped"]
        assert any(case.skip_reason in reason for reason in entry["skipped"]["reasons"]), entry["skipped"]
        assert entry["evaluated"] == 3  # the good samples still count
    if case.check is not None:
        case.check(tmp_path)


ERROR_SAMPLE = ["lmdb_foreign_database", "limit_negative", "workers_negative", "batch_size_zero",
                "results_dir_below_a_file", "rescore_record_missing_fields", "train_lr_nan"]


@pytest.mark.parametrize("name", ERROR_SAMPLE)
def test_user_errors_print_no_traceback_from_the_real_command(name: str, tmp_path: Path) -> None:
    """The installed ``python -m strbench`` entry point, not just ``main()``: one line, exit 2."""
    case = next(c for c in CASES if c.name == name)
    args = case.build(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS / "plugins"), os.environ.get("PYTHONPATH", "")]),
           "STRBENCH_DISABLE_PLUGIN_AUTOLOAD": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "strbench", "-q", *args], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip(), "no message"
    assert json.dumps(proc.stderr)  # printable


def test_a_failed_write_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``data convert`` and ``data synth`` write into ``<dest>.partial``: a full disk or an interrupt
    removes it, says so in one line, and leaves an existing destination as it was."""
    import errno
    from typing import cast

    from generate import folder_set, good_image

    from strbench.data import convert
    from strbench.data.loader import open_dataset
    from strbench.data.synth import Renderer, writer
    from strbench.errors import DataError

    def disk_full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    source = open_dataset(folder_set(tmp_path / "data", [], {}))
    monkeypatch.setattr(convert, "put_growing", disk_full)
    with pytest.raises(DataError, match="No space left on device.*nothing was written"):
        convert.write_lmdb(source, tmp_path / "out" / "db")
    assert not (tmp_path / "out" / "db").exists() and not (tmp_path / "out" / "db.partial").exists()

    class Interrupted:  # a render pool whose user presses Ctrl-C after the first sample
        def samples(self, start: int, count: int):  # noqa: ANN201 - an iterator of (label, image)
            yield "word", good_image(1)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        writer.write_synth_lmdb(tmp_path / "synth", cast(Renderer, None), 5, pool=cast(writer.RenderPool, Interrupted()))
    assert not list(tmp_path.glob("synth*"))
