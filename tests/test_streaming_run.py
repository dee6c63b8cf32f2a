"""A large set is evaluated streaming: predictions reach the spool file batch by batch instead
of being held until the set ends, and the record still holds every one of them."""

from __future__ import annotations

import io
from pathlib import Path

import lmdb
import numpy as np
import stream_probe_plugin
from PIL import Image

from strbench.cli.main import main
from strbench.run.records import load_record, read_predictions

N, BATCH = 3000, 200


def tiny_lmdb(path: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    path.mkdir(parents=True)
    env = lmdb.open(str(path), map_size=2**28)
    with env.begin(write=True) as txn:
        txn.put(b"num-samples", str(n).encode())
        for i in range(1, n + 1):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (4, 6), dtype=np.uint8)).save(buf, format="PNG")
            txn.put(b"image-%09d" % i, buf.getvalue())
            txn.put(b"label-%09d" % i, b"ab")
    env.close()
    return path


def test_predictions_are_written_as_they_come(tmp_path, monkeypatch) -> None:
    results = tmp_path / "results"
    monkeypatch.setenv("STRBENCH_PROBE_RESULTS", str(results))
    stream_probe_plugin.SEEN.clear()
    big = tiny_lmdb(tmp_path / "big", N)
    assert main(["-q", "-p", "stream_probe_plugin", "run", "--plugin", "stream-probe", "--dataset", f"{big}=big",
                 "--workers", "0", "--batch-size", str(BATCH), "--results-dir", str(results)]) == 0
    seen = stream_probe_plugin.SEEN
    assert len(seen) == N // BATCH
    # every batch finds all earlier predictions already on disk
    assert all(on_disk == done for done, on_disk in seen) and seen[-1][0] == N - BATCH
    [record_path] = results.glob("*.json")
    record = load_record(record_path).to_json()  # the JSON as written
    assert record["datasets"][0]["evaluated"] == N and record["predictions"]["count"] == N
    assert sum(1 for _ in read_predictions(results / record["predictions"]["file"])) == N
    assert not list(results.glob(".spool-*"))
