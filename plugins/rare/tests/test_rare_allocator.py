"""The fast path keeps freed memory in the process, so repeated batches do not fault their pages in again."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from strbench_rare.algorithm import RareAlgorithm

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# Page faults of three repeated forward passes of RARE-mv3 (batch 32), after one untimed pass.
FAULTS_SCRIPT = """
import resource, sys, torch
from strbench_rare.allocator import retain_freed_memory
from strbench_rare.model import build_model
torch.set_num_threads(1)
if sys.argv[1] == "retain":
    assert retain_freed_memory()
model = build_model("mv3").eval()
x = torch.rand(32, 3, 32, 100) * 2 - 1
with torch.inference_mode():
    model(x)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        model(x)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", FAULTS_SCRIPT, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(not GLIBC, reason="the allocator setting applies to glibc only")
def test_retained_memory_saves_page_faults() -> None:
    default, retained = _faults("default"), _faults("retain")
    assert retained * 3 < default, (default, retained)


def test_fast_recognizer_reports_the_allocator_setting() -> None:
    fast = RareAlgorithm().load("mv3", None)
    plain = RareAlgorithm().load("mv3", None, fast=False)
    assert fast.describe()["heap_retained"] is GLIBC
    assert plain.describe()["heap_retained"] is False
