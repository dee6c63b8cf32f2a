"""install.sh on a Python that refuses pip installs outside a virtual environment (PEP 668): it
creates .venv (here: STRBENCH_VENV), installs into it and says how to use it."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MARKER = "EXTERNALLY-MANAGED"


def debian_python() -> Path:
    """The distribution's python3 when it carries the PEP 668 marker."""
    exe = Path("/usr/bin/python3")
    if not exe.exists():
        pytest.skip("no /usr/bin/python3 on this machine")
    probe = subprocess.run([str(exe), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                           capture_output=True, text=True)
    if probe.returncode or not (Path(probe.stdout.strip()) / MARKER).exists():
        pytest.skip(f"{exe} carries no {MARKER} marker")
    return exe


def simulated_python(root: Path) -> Path:
    """An interpreter of its own prefix (this Python's binary, its standard library linked in, an empty
    site-packages) with the PEP 668 marker in its standard library folder."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    base_stdlib = Path(sysconfig.get_path("stdlib", vars={"base": sys.base_prefix, "installed_base": sys.base_prefix}))
    binary = Path(sys.base_prefix) / "bin" / version
    if not binary.exists() or not (base_stdlib / "os.py").exists():
        pytest.skip(f"cannot find this Python's binary and standard library under {sys.base_prefix}")
    stdlib = root / "lib" / version
    (stdlib / "site-packages").mkdir(parents=True)
    for entry in base_stdlib.iterdir():
        if entry.name != "site-packages":
            (stdlib / entry.name).symlink_to(entry)
    (stdlib / MARKER).write_text("[externally-managed]\nError=simulated by the strbench tests\n")
    (root / "bin").mkdir()
    exe = root / "bin" / "python3"
    exe.write_bytes(binary.read_bytes())
    exe.chmod(0o755)
    check = subprocess.run([str(exe), "-c", "import sys, sysconfig; print(sys.prefix == sys.base_prefix, "
                            "sysconfig.get_path('stdlib'))"], capture_output=True, text=True)
    if check.returncode or check.stdout.split() != ["True", str(stdlib)]:
        pytest.skip(f"this Python cannot run from a copied prefix: {check.stdout} {check.stderr}")
    return exe


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """setuptools for the isolated build of strbench, fetched once so install.sh runs with --no-index."""
    out = tmp_path_factory.mktemp("wheels")
    got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                          "setuptools>=77", "-d", str(out)], capture_output=True, text=True)
    if got.returncode:
        pytest.skip(f"the package index is not reachable to fetch setuptools: {got.stderr.strip()[-200:]}")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["debian", "simulated"])
def test_install_sh_creates_and_uses_a_virtual_environment(kind: str, wheelhouse: Path, tmp_path: Path) -> None:
    python = debian_python() if kind == "debian" else simulated_python(tmp_path / "python")
    if kind == "debian":  # the marker is real: a plain pip install is refused
        refused = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "strbench"],
                                 capture_output=True, text=True)
        assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(PYTHON=str(python), STRBENCH_VENV=str(venv), PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(["bash", str(REPO / "install.sh"), "--no-deps"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"creating the virtual environment {venv}" in done.stdout
    assert f"source {venv}/bin/activate" in done.stdout
    version = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import importlib.metadata as m; print(m.version('strbench'))"],
                             capture_output=True, text=True)
    assert version.stdout.strip() == "0.1.0", version.stderr
    assert (venv / "bin" / "strbench").exists()



def test_unknown_option_is_refused() -> None:
    done = subprocess.run(["bash", str(REPO / "install.sh"), "--nope"], capture_output=True, text=True)
    assert done.returncode == 2 and "unknown option '--nope'" in done.stderr


FAKE_PYTHON = """#!/bin/sh
# a Python inside a virtual environment whose pip installs nothing
case "$2" in *"print(sys.prefix)"*) echo "$FAKE_PREFIX" ;; esac
exit 0
"""
FAKE_APT = """#!/bin/sh
echo "$*" >> "$FAKE_APT_LOG"
case "$*" in *DPkg::Lock::Timeout=*) ;; *) echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2; exit 100 ;; esac
if [ -n "$FAKE_APT_FAIL" ]; then echo "E: Unable to locate package" >&2; exit 100; fi
exit 0
"""


@pytest.mark.parametrize("fail", [False, True])
def test_system_packages_wait_for_a_busy_package_manager(fail: bool, tmp_path: Path) -> None:
    """apt-get is asked to wait for the dpkg lock (a busy package manager is not a skip); a package
    that still cannot be installed is named with the command that will not work, and the exit is 1."""
    bin_dir, prefix = tmp_path / "bin", tmp_path / "venv"
    (prefix / "bin").mkdir(parents=True)
    bin_dir.mkdir()
    for path, text in ((bin_dir / "python3", FAKE_PYTHON), (prefix / "bin" / "python", FAKE_PYTHON),
                       (bin_dir / "apt-get", FAKE_APT), (bin_dir / "sudo", '#!/bin/sh\nexec "$@"\n')):
        path.write_text(text)
        path.chmod(0o755)
    log = tmp_path / "apt.log"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHON": str(bin_dir / "python3"),
           "FAKE_PREFIX": str(prefix), "FAKE_APT_LOG": str(log), "STRBENCH_SYSROOT": str(tmp_path / "empty"),
           "STRBENCH_APT_LOCK_TIMEOUT": "5", **({"FAKE_APT_FAIL": "1"} if fail else {})}
    done = subprocess.run(["bash", str(REPO / "install.sh")], capture_output=True, text=True, env=env, timeout=60)
    calls = log.read_text().splitlines()
    assert calls and all("DPkg::Lock::Timeout=5" in call for call in calls), calls
    if not fail:
        assert done.returncode == 0, done.stdout + done.stderr
        assert any("tesseract-ocr-eng" in c for c in calls) and any("wamerican" in c for c in calls)
        assert "will not work" not in done.stdout + done.stderr
    else:
        assert done.returncode == 1, done.stdout + done.stderr
        assert "the tesseract plugin: sudo apt-get install tesseract-ocr-eng" in done.stderr
        assert "'strbench data synth' will not work until you run" in done.stderr
