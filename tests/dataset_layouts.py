"""Builders of one small word-image set in every supported on-disk layout (test fixtures)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import lmdb
import numpy as np
from PIL import Image

LABELS = ["hello", 'say "hi"', "back\\slash", "word", "x y z", "Zebra9"]


def png(seed: int, size: tuple[int, int] = (40, 16)) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def write_images(folder: Path, n: int, prefix: str = "word_") -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        name = f"{prefix}{i + 1}.png"
        (folder / name).write_bytes(png(i))
        names.append(name)
    return names


def tab_folder(root: Path, labels: list[str] = LABELS) -> Path:
    names = write_images(root / "images", len(labels))
    (root / "gt.txt").write_text("".join(f"images/{n}\t{t}\n" for n, t in zip(names, labels)), encoding="utf-8")
    return root


def paddle(root: Path, labels: list[str] = LABELS) -> Path:
    """PaddleOCR layout: ``root/train_data/rec/test/*.png`` and ``root/train_data/rec/labels/rec_gt_test.txt``
    listing ``test/word_1.png`` (relative to ``root/train_data/rec``, not to the label file)."""
    data_dir = root / "train_data" / "rec"
    names = write_images(data_dir / "test", len(labels))
    label_file = data_dir / "labels" / "rec_gt_test.txt"
    label_file.parent.mkdir(parents=True)
    label_file.write_text("".join(f"test/{n}\t{t}\n" for n, t in zip(names, labels)), encoding="utf-8")
    return label_file


def icdar(root: Path, labels: list[str] = LABELS) -> Path:
    names = write_images(root, len(labels))
    lines = []
    for n, t in zip(names, labels):
        escaped = t.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{n}, "{escaped}"')
    (root / "gt.txt").write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return root / "gt.txt"


def mmocr_json(root: Path, labels: list[str] = LABELS) -> Path:
    names = write_images(root / "textrecog_imgs" / "test", len(labels))
    doc = {"metainfo": {"dataset_type": "TextRecogDataset", "task_name": "textrecog"},
           "data_list": [{"img_path": f"textrecog_imgs/test/{n}", "instances": [{"text": t}]}
                         for n, t in zip(names, labels)]}
    (root / "textrecog_test.json").write_text(json.dumps(doc), encoding="utf-8")
    return root / "textrecog_test.json"


def mmocr_jsonl(root: Path, labels: list[str] = LABELS) -> Path:
    names = write_images(root / "imgs", len(labels))
    (root / "test_label.jsonl").write_text(
        "".join(json.dumps({"filename": f"imgs/{n}", "text": t}) + "\n" for n, t in zip(names, labels)),
        encoding="utf-8")
    return root / "test_label.jsonl"


def mmocr_txt(root: Path, labels: list[str] = LABELS) -> Path:
    names = write_images(root / "imgs", len(labels))
    (root / "test_label.txt").write_text("".join(f"imgs/{n} {t}\n" for n, t in zip(names, labels)), encoding="utf-8")
    return root / "test_label.txt"


def lmdb_set(path: Path, labels: list[str] = LABELS, start_seed: int = 0) -> Path:
    path.mkdir(parents=True)
    env = lmdb.open(str(path), map_size=2**26)
    with env.begin(write=True) as txn:
        txn.put(b"num-samples", str(len(labels)).encode())
        for i, t in enumerate(labels, start=1):
            txn.put(b"image-%09d" % i, png(start_seed + i - 1))
            txn.put(b"label-%09d" % i, t.encode("utf-8"))
    env.close()
    return path


def lmdb_tree(root: Path, labels: list[str] = LABELS) -> Path:
    """parseq layout: ``root/test/A`` and ``root/test/B`` (B holds the first half of the set)."""
    lmdb_set(root / "test" / "A", labels)
    lmdb_set(root / "test" / "B", labels[: len(labels) // 2])
    return root


LAYOUTS = {"folder": tab_folder, "icdar": icdar, "mmocr-json": mmocr_json, "mmocr-jsonl": mmocr_jsonl,
           "mmocr-txt": mmocr_txt, "paddle": paddle, "lmdb": lmdb_set}
