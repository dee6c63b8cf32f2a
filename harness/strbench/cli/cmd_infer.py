"""``strbench infer``: recognise the words in image files and print text and confidence."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from strbench import ui
from strbench.cli.common import add_algorithm_args, plugin_options, positive_int, resolve_device
from strbench.errors import SampleError
from strbench.plugin.host import PluginHost


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("infer", help="recognise word images and print text and confidence")
    add_algorithm_args(p)
    p.add_argument("images", nargs="+", type=Path, help="image files")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--json", action="store_true", help="one JSON object per image")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    import torch

    from strbench.data.loader import decode_image
    from strbench.data.preprocess import make_batch

    algorithm = host.algorithm(args.algorithm)
    variant = algorithm.variant(args.variant).name
    weights = algorithm.resolve_weights(variant, args.weights) if args.weights else None
    device = resolve_device(args.device)
    recognizer = algorithm.load(variant, weights, device=device, **plugin_options(args))
    if weights is None and algorithm.weights_identity(variant, None).get("trained") is False:
        ui.warn(f"{algorithm.name}/{variant} has no trained weights: pass --weights (predictions are noise)")
    spec = recognizer.input_spec
    failures = 0
    for start in range(0, len(args.images), args.batch_size):
        chunk = args.images[start : start + args.batch_size]
        keys, images = [], []
        for path in chunk:
            try:
                rgb = decode_image(path.read_bytes(), str(path))
            except (OSError, SampleError) as exc:
                failures += 1
                ui.error(f"{path}: {exc.reason if isinstance(exc, SampleError) else exc}")
                continue
            keys.append(str(path))
            images.append(rgb)
        if not keys:
            continue
        batch = make_batch(images, spec, keys)
        with torch.inference_mode():
            preds = recognizer.predict(batch.to(recognizer.device))
        for key, pred in zip(keys, preds, strict=True):
            if args.json:
                print(json.dumps({"image": key, "text": pred.text, "confidence": round(pred.confidence, 6)},
                                 ensure_ascii=False))
            else:
                print(f"{key}\t{pred.text}\t{pred.confidence:.4f}")
    return 1 if failures else 0
