"""Write a Paddle-parity fixture for the RobustScanner plugin by running PaddleOCR's own code.

Needs ``paddlepaddle``, ``numpy`` and ``opencv-python-headless`` (no torch, no strbench) and a
local PaddleOCR checkout, passed with ``--paddleocr``. These files of the checkout are loaded
(nothing else of PaddleOCR is imported):

- ``ppocr/modeling/backbones/rec_resnet_31.py`` (``ResNet31``)
- ``ppocr/modeling/heads/rec_robustscanner_head.py`` (``RobustScannerHead``)
- ``ppocr/losses/rec_sar_loss.py`` (``SARLoss``)
- ``ppocr/data/imaug/rec_img_aug.py`` (only the function ``resize_norm_img_sar`` is taken)

Default (the committed CI fixture): a width-reduced network of the real structure, seeded random
weights with non-trivial batch-norm statistics, and a handful of word crops rendered here with
OpenCV. ``--full --images DIR`` instead builds the full-size network and takes the first
``--count`` images of a ``DIR/gt.txt`` label file (for local checks; do not commit such output).

Writes ``OUT/paddle_weights.pdparams`` (``paddle.save`` of the state dict) and
``OUT/paddle_io.npz`` (raw BGR crops, Paddle-preprocessed inputs, valid ratios, encoded labels,
eval probabilities, teacher-forced logits, SAR loss) plus ``OUT/config.json``.

    python make_paddle_fixture.py --paddleocr /path/to/PaddleOCR --out tests/fixtures/paddle_tiny
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import math
import sys
from pathlib import Path

import cv2
import numpy as np

TINY = {"channels": [16, 32, 48, 48, 64, 64, 64], "layers": [1, 2, 5, 3], "enc_channels": 32}
FULL = {"channels": [64, 128, 256, 256, 512, 512, 512], "layers": [1, 2, 5, 3], "enc_channels": 128}
WORDS = ["Hello", "RobustScanner", "A", "2024!", "parity-check-of-a-long-word", "Qx", "strBench"]
DICT90 = (
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    + "!\"#$%&'()*+,-./:;<=>?@[\\]_`~"
)
MAX_LEN, START, PAD = 40, 91, 92


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_resize(path: Path):
    """Take ``resize_norm_img_sar`` from rec_img_aug.py without importing the rest of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "resize_norm_img_sar")
    namespace = {"math": math, "cv2": cv2, "np": np}
    exec(compile(ast.Module(body=[func], type_ignores=[]), str(path), "exec"), namespace)
    return namespace["resize_norm_img_sar"]


def render(word: str, seed: int) -> np.ndarray:
    """A BGR word crop: coloured text on a coloured background, random scale and margins."""
    rng = np.random.default_rng(seed)
    scale = float(rng.uniform(0.8, 1.6))
    (tw, th), base = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    mx, my = int(rng.integers(2, 12)), int(rng.integers(2, 10))
    bg = rng.integers(120, 256, size=3)
    img = np.empty((th + base + 2 * my, tw + 2 * mx, 3), np.uint8)
    img[:] = bg
    fg = tuple(int(v) for v in rng.integers(0, 100, size=3))
    cv2.putText(img, word, (mx, my + th), cv2.FONT_HERSHEY_SIMPLEX, scale, fg, 2, cv2.LINE_AA)
    return img


def encode(label: str) -> np.ndarray:
    ids = [DICT90.index(c) for c in label if c in DICT90][: MAX_LEN - 2]
    out = np.full(MAX_LEN, PAD, np.int64)
    out[0] = START
    out[1 : 1 + len(ids)] = ids
    out[1 + len(ids)] = START
    return out


def read_images(folder: Path, count: int) -> tuple[list[np.ndarray], list[str]]:
    images, labels = [], []
    for line in (folder / "gt.txt").read_text(encoding="utf-8").splitlines()[:count]:
        rel, label = line.split("\t", 1)
        img = cv2.imread(str(folder / rel), cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit(f"cannot read {folder / rel}")
        images.append(img)
        labels.append(label)
    return images, labels


def randomise(model, paddle, seed: int) -> None:
    """Seeded weights; batch-norm statistics and affine terms away from their trivial init."""
    rng = np.random.default_rng(seed)
    for name, param in model.state_dict().items():
        arr = param.numpy()
        if name.endswith("_variance"):
            new = rng.uniform(0.5, 2.0, arr.shape)
        elif name.endswith("_mean"):
            new = rng.normal(0.0, 0.2, arr.shape)
        elif arr.ndim == 1:
            new = rng.normal(0.0, 0.1, arr.shape) + (1.0 if ".bn" in name and name.endswith("weight") else 0.0)
        else:
            fan_in = int(np.prod(arr.shape[1:])) if arr.ndim > 2 else arr.shape[0]
            new = rng.normal(0.0, 1.0 / math.sqrt(max(fan_in, 1)), arr.shape)
        param.set_value(new.astype(arr.dtype))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paddleocr", type=Path, required=True, help="PaddleOCR checkout (root folder)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--full", action="store_true", help="full-size network instead of the reduced one")
    parser.add_argument("--images", type=Path, help="folder with gt.txt + images (default: rendered crops)")
    parser.add_argument("--count", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--paddle-init", action="store_true", help="keep Paddle's own initialisation")
    args = parser.parse_args()

    import paddle

    paddle.set_device("cpu")
    paddle.seed(args.seed)
    root = args.paddleocr
    backbones = load_module(root / "ppocr/modeling/backbones/rec_resnet_31.py", "pp_rec_resnet_31")
    heads = load_module(root / "ppocr/modeling/heads/rec_robustscanner_head.py", "pp_rec_robustscanner_head")
    losses = load_module(root / "ppocr/losses/rec_sar_loss.py", "pp_rec_sar_loss")
    resize = load_resize(root / "ppocr/data/imaug/rec_img_aug.py")
    cfg = FULL if args.full else TINY

    class Model(paddle.nn.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = backbones.ResNet31(in_channels=3, layers=cfg["layers"], channels=cfg["channels"])
            self.head = heads.RobustScannerHead(
                out_channels=93, in_channels=cfg["channels"][-1], enc_outchannles=cfg["enc_channels"],
                hybrid_dec_rnn_layers=2, hybrid_dec_dropout=0, position_dec_rnn_layers=2,
                start_idx=START, max_text_length=MAX_LEN, mask=True, padding_idx=PAD, encode_value=False,
            )

        def forward(self, x, targets):
            return self.head(self.backbone(x), targets)

    model = Model()
    n_all = sum(int(np.prod(p.shape)) for p in model.parameters())
    n_trainable = sum(int(np.prod(p.shape)) for p in model.parameters() if not p.stop_gradient)
    print(f"paddle parameters: {n_all} (trainable {n_trainable})")
    if not args.paddle_init:
        randomise(model, paddle, args.seed)
    model.eval()

    if args.images:
        raw, labels = read_images(args.images, args.count)
    else:
        raw = [render(w, i) for i, w in enumerate(WORDS)]
        raw.append(np.ascontiguousarray(render("I", 99).transpose(1, 0, 2)))  # tall crop: min width
        labels = [*WORDS, "I"]
    prepared = [resize(img, [3, 48, 48, 160], 0.25) for img in raw]
    images = np.stack([p[0] for p in prepared]).astype(np.float32)
    ratios = np.array([p[3] for p in prepared], np.float32)
    targets = np.stack([encode(t) for t in labels])
    positions = np.tile(np.arange(MAX_LEN, dtype=np.int64), (len(raw), 1))

    x, vr, pos = paddle.to_tensor(images), paddle.to_tensor(ratios), paddle.to_tensor(positions)
    with paddle.no_grad():
        probs = model(x, [vr, pos]).numpy()
        model.head.train()  # teacher forcing in the head, batch norm stays in eval mode
        logits = model(x, [paddle.to_tensor(targets), vr, pos])
        loss = losses.SARLoss()(logits, [None, paddle.to_tensor(targets)])["loss"]
        model.head.eval()

    args.out.mkdir(parents=True, exist_ok=True)
    paddle.save(model.state_dict(), str(args.out / "paddle_weights.pdparams"))
    raw_arrays = {f"raw_{i}": img for i, img in enumerate(raw)}
    np.savez_compressed(
        args.out / "paddle_io.npz", images=images, valid_ratios=ratios, targets=targets, probs=probs,
        logits=logits.numpy(), loss=np.float32(loss.numpy()), **raw_arrays,
    )
    meta = {**cfg, "paddle_parameters": n_all, "paddle_trainable_parameters": n_trainable,
            "paddle_version": paddle.__version__, "labels": labels, "seed": args.seed}
    (args.out / "config.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(raw)} samples, probs {probs.shape}, loss {float(loss):.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
