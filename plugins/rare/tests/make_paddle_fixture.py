"""Generate the Paddle parity fixture for the RARE plugin (run by hand, not by the tests).

Needs ``paddlepaddle`` (tested with 3.3.1), ``numpy``, ``opencv-python-headless`` and ``pillow``
in the running interpreter, and a local PaddleOCR checkout (its ``ppocr`` package is imported
from the path given with ``--paddleocr``; nothing of it is copied here). Example::

    /tmp/paddle-venv/bin/python plugins/rare/tests/make_paddle_fixture.py \\
        --paddleocr /path/to/PaddleOCR --out plugins/rare/tests/fixtures

It builds RARE with PaddleOCR's own layers (TPS, MobileNetV3 / ResNet34_vd, SequenceEncoder,
AttentionHead), gives it seeded random weights (batch-norm statistics and the TPS ``fc2`` weight
included, values on a coarse grid so the file compresses), saves them with ``paddle.save`` inside
a release-style tar (``<name>/best_accuracy.pdparams``), renders word crops with Pillow, preprocesses
them with PaddleOCR's RARE rule (BGR, keep ratio to 32 x <=100, [-1, 1], zero right padding) and
stores Paddle's eval-mode probabilities and ``AttnLabelDecode`` results.

``--images`` runs the same comparison on existing crops instead (e.g. a benchmark folder) and
writes the outputs without copying the images.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import math
import sys
import tarfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

WORDS = ("rare", "paddle", "street", "coffee", "hotel", "2024", "exit", "london")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
HEIGHT, MAX_WIDTH = 32, 100


def build_paddle_rare(variant: str):
    """RARE assembled from PaddleOCR's layer classes with ``BaseModel``'s attribute names."""
    from paddle import nn
    from ppocr.modeling.backbones.rec_mobilenet_v3 import MobileNetV3
    from ppocr.modeling.backbones.rec_resnet_vd import ResNet
    from ppocr.modeling.heads.rec_att_head import AttentionHead
    from ppocr.modeling.necks.rnn import SequenceEncoder
    from ppocr.modeling.transforms.tps import TPS

    hidden = 96 if variant == "mv3" else 256

    class Rare(nn.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.transform = TPS(3, 20, 0.1, "small" if variant == "mv3" else "large")
            self.backbone = MobileNetV3(3, model_name="large", scale=0.5) if variant == "mv3" else ResNet(3, layers=34)
            self.neck = SequenceEncoder(self.backbone.out_channels, "rnn", hidden_size=hidden)
            self.head = AttentionHead(self.neck.out_channels, 38, hidden)

        def forward(self, x):
            return self.head(self.neck(self.backbone(self.transform(x))))

    return Rare()


def load_attn_decoder(paddleocr: Path):
    """``AttnLabelDecode`` loaded from its file (the ``ppocr.postprocess`` package imports detection deps)."""
    path = paddleocr / "ppocr" / "postprocess" / "rec_postprocess.py"
    spec = importlib.util.spec_from_file_location("rec_postprocess", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.AttnLabelDecode()


def randomize(model, seed: int, fc2_std: float) -> None:
    """Seeded random weights on a 1/1024 grid (so the file compresses). The frozen ex_fc stays 0,
    ``fc2.bias`` keeps the slanted initial fiducials and ``fc2.weight`` is PaddleOCR's zero init
    unless ``fc2_std`` > 0. Batch-norm statistics are set by :func:`calibrate`."""
    rng = np.random.default_rng(seed)
    new = {}
    for key, tensor in model.state_dict().items():
        shape = tuple(tensor.shape)
        if "grid_generator.fc" in key or key.endswith(("_mean", "_variance")) or key == "transform.loc_net.fc2.bias":
            continue
        if ".bn." in key or "_batch_norm." in key:
            value = rng.uniform(0.5, 1.5, shape) if key.endswith("weight") else rng.normal(0.0, 0.1, shape)
        elif key == "transform.loc_net.fc2.weight":
            value = rng.normal(0.0, fc2_std, shape) if fc2_std > 0 else np.zeros(shape)
        elif key.startswith("head.generator"):  # peaked, input-dependent logits; sos/eos common
            value = rng.normal(0.0, 4.0 / math.sqrt(shape[0]), shape) if len(shape) == 2 else rng.normal(0.0, 1.0, shape)
            if len(shape) == 1:
                value[[0, -1]] += 1.5
        elif key == "head.attention_cell.rnn.weight_ih":  # let the attended image features drive the GRU
            value = rng.normal(0.0, 1.0, shape) / math.sqrt(shape[1])
            value[:, : shape[1] - 38] *= 4.0
        elif key == "head.attention_cell.score.weight":  # sharp, step-dependent attention
            value = rng.normal(0.0, 3.0 / math.sqrt(shape[0]), shape)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
            if key.endswith(".weight") and len(shape) == 2 and "lstm" not in key and "rnn" not in key:
                fan_in = shape[0]  # Paddle Linear weights are [in, out]
            value = rng.normal(0.0, 1.0 / math.sqrt(max(fan_in, 1)), shape)
        new[key] = (np.round(value * 1024.0) / 1024.0).astype("float32")
    model.set_state_dict(new)


def calibrate(model, inputs: np.ndarray, passes: int = 60) -> None:
    """Train-mode forward passes so every batch norm's running statistics fit the data (momentum 0.9)."""
    import paddle

    model.train()
    with paddle.no_grad():
        for _ in range(passes):
            model(paddle.to_tensor(inputs))
    model.eval()


def render(word: str, seed: int) -> np.ndarray:
    """A dark-on-light word crop (RGB uint8), slightly rotated so TPS has something to do, and
    blurred like a camera crop: PaddleOCR computes the TPS grid in float32 as ``P_hat (inv_delta_C C')``,
    which turns last-bit differences of ``C'`` into ~1e-5 grid noise, so razor-sharp synthetic
    edges would dominate the comparison."""
    rng = np.random.default_rng(seed)
    font = ImageFont.truetype(FONT, 28)
    left, top, right, bottom = font.getbbox(word)
    w, h = right - left + 12, bottom - top + 12
    bg = tuple(int(v) for v in rng.integers(150, 255, 3))
    fg = tuple(int(v) for v in rng.integers(0, 90, 3))
    img = Image.new("RGB", (w, h), bg)
    ImageDraw.Draw(img).text((6 - left, 6 - top), word, font=font, fill=fg)
    img = img.rotate(float(rng.uniform(-6, 6)), resample=Image.BILINEAR, expand=False, fillcolor=bg)
    return np.asarray(img.filter(ImageFilter.GaussianBlur(1.5)))  # camera-like soft edges


def preprocess(bgr: np.ndarray) -> np.ndarray:
    """PaddleOCR's RARE input rule (``RecResizeImg`` with padding) on a BGR uint8 image."""
    h, w = bgr.shape[:2]
    resized_w = min(MAX_WIDTH, int(math.ceil(HEIGHT * w / float(h))))
    img = cv2.resize(bgr, (resized_w, HEIGHT)).astype("float32").transpose(2, 0, 1) / 255.0
    img = (img - 0.5) / 0.5
    out = np.zeros((3, HEIGHT, MAX_WIDTH), dtype=np.float32)
    out[:, :, :resized_w] = img
    return out


def read_images(paths: list[Path]) -> list[np.ndarray]:
    images = []
    for path in paths:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise SystemExit(f"cannot read image {path}")
        images.append(bgr)
    return images


def save_release_tar(model, tar_path: Path) -> None:
    """``paddle.save`` the state dict and store it as ``<stem>/best_accuracy.pdparams`` in a gzip tar."""
    import paddle

    buffer = io.BytesIO()
    paddle.save(model.state_dict(), buffer)
    data = buffer.getvalue()
    info = tarfile.TarInfo(f"{tar_path.name.split('.')[0]}/best_accuracy.pdparams")
    info.size = len(data)
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.addfile(info, io.BytesIO(data))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paddleocr", type=Path, required=True, help="PaddleOCR checkout (holds ppocr/)")
    parser.add_argument("--variant", choices=("mv3", "r34"), default="mv3")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--images", type=Path, nargs="*", help="existing crops to use instead of rendered words")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--fc2-std", type=float, default=0.0,
        help="std of the TPS fc2 weight (default 0 = PaddleOCR's init: the fiducials are fc2.bias bit for bit; "
             "> 0 makes them depend on the image, and float32 rounding of the grid then differs by ~1e-5 "
             "between frameworks)",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(args.paddleocr.resolve()))
    import paddle

    paddle.set_device("cpu")
    paddle.seed(args.seed)
    model = build_paddle_rare(args.variant)
    decoder = load_attn_decoder(args.paddleocr)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"rare_{args.variant}_random"

    if args.images:
        names = [str(p) for p in args.images]
        bgr_images = read_images(list(args.images))
    else:
        names = []
        bgr_images = []
        for i, word in enumerate(WORDS):
            rgb = render(word, args.seed + i)
            path = args.out / f"word_{i}_{word}.png"
            Image.fromarray(rgb).save(path, optimize=True)
            names.append(path.name)
            bgr_images.append(read_images([path])[0])

    inputs = np.stack([preprocess(img) for img in bgr_images])
    randomize(model, args.seed, args.fc2_std)
    calibrate(model, inputs[: args.batch_size])
    probs, rectified, loc_fc1 = [], [], []
    hook = model.transform.loc_net.fc1.register_forward_post_hook(lambda layer, inp, out: loc_fc1.append(out.numpy()))
    with paddle.no_grad():
        for start in range(0, len(inputs), args.batch_size):
            chunk = paddle.to_tensor(inputs[start : start + args.batch_size])
            probs.append(model(chunk).numpy())
            rectified.append(model.transform(chunk).numpy())
    hook.remove()
    probs, rectified, loc_fc1 = np.concatenate(probs), np.concatenate(rectified), np.concatenate(loc_fc1[::2])
    decoded = decoder(probs)

    save_release_tar(model, args.out / f"{stem}.tar.gz")
    np.savez_compressed(
        args.out / f"{stem}_outputs.npz", inputs=inputs, loc_fc1=loc_fc1, rectified=rectified, probs=probs
    )
    meta = {
        "variant": args.variant,
        "seed": args.seed,
        "fc2_std": args.fc2_std,
        "paddle_version": paddle.__version__,
        "images": names,
        "texts": [t for t, _ in decoded],
        "confidences": [float(c) for _, c in decoded],
        "decoder": "ppocr.postprocess.rec_postprocess.AttnLabelDecode",
    }
    (args.out / f"{stem}_outputs.json").write_text(json.dumps(meta, indent=1) + "\n")
    for name, (text, conf) in zip(names, decoded):
        print(f"{name}\t{text!r}\t{float(conf):.4f}")
    top2 = np.sort(probs, axis=2)[..., -2:]
    print(f"smallest top-1/top-2 probability margin: {float((top2[..., 1] - top2[..., 0]).min()):.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
