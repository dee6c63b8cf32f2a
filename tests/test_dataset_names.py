"""``--datasets NAME``: a version (any case), a group, or the family of a single version
(``CUTE80`` is ``CUTE80_288``); a family with several versions is a usage error listing them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dataset_layouts import tab_folder

from strbench.builtin.datasets import STANDARD
from strbench.cli.main import main
from strbench.errors import UsageError
from strbench.run.locate import select_suite_versions, versions_named


def names(*selected: str) -> list[str]:
    return [v.name for v in select_suite_versions(STANDARD, list(selected)).versions]


def test_a_family_with_one_version_selects_it() -> None:
    assert names("CUTE80") == ["CUTE80_288"]
    assert names("cute80", "svt") == ["CUTE80_288", "SVT_647"]
    assert names("IIIT5K") == ["IIIT5k_3000"]  # the family's spelling, not the version's


def test_exact_version_names_and_groups_keep_working() -> None:
    assert names("ic13_857") == ["IC13_857"] and names("CUTE80_288") == ["CUTE80_288"]
    assert names("benchmark") == list(STANDARD.groups["benchmark"])
    assert names("Benchmark", "CUTE80") == list(STANDARD.groups["benchmark"])  # each version once


def test_a_family_with_several_versions_is_ambiguous_and_lists_them() -> None:
    with pytest.raises(UsageError, match="ambiguous") as err:
        versions_named(STANDARD, "IC13")
    message = str(err.value)
    assert all(v in message for v in ("IC13_857", "IC13_1015", "IC13_1095"))
    assert "benchmark" in message  # the groups are offered too


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown dataset version or group 'CUTE81'") as err:
        versions_named(STANDARD, "CUTE81")
    assert "CUTE80_288" in str(err.value)


def test_run_with_a_family_name(install_entry_point, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    install_entry_point("strbench-dummy", {"dummy": "dummy_plugin"}, version="0.0.1")
    root = tmp_path / "data"
    tab_folder(root / "CUTE80")  # the folder name of CUTE80_288 (6 samples: a count mismatch, still run)
    results = tmp_path / "results"
    args = ["-q", "run", "--algorithm", "dummy", "--data-root", str(root),
            "--results-dir", str(results), "--workers", "0", "--json"]
    assert main([*args, "--datasets", "IC13"]) == 2
    assert "IC13_1015" in capsys.readouterr().err
    assert main([*args, "--datasets", "CUTE80"]) == 0
    record = json.loads(capsys.readouterr().out)["record"]
    assert [d["name"] for d in record["datasets"]] == ["CUTE80_288"]
