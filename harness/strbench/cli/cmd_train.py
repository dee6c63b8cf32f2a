"""``strbench train``: train an algorithm with its default recipe and any overrides."""

from __future__ import annotations

import argparse
from pathlib import Path

from strbench import ui
from strbench.cli.common import add_algorithm_args, parse_overrides, resolve_device
from strbench.errors import NotSupportedError
from strbench.plugin.host import PluginHost
from strbench.run.preflight import check_output_dir
from strbench.training.recipes import load_recipe


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train an algorithm (PaddleOCR-style recipe by default)")
    add_algorithm_args(p, weights=False)
    p.add_argument("--train-data", nargs="+", required=True, type=Path, help="LMDB folders or label files")
    p.add_argument("--val-data", nargs="*", default=[], type=Path, help="validation datasets")
    p.add_argument("--output-dir", type=Path, required=True, help="checkpoints and weights go here")
    p.add_argument("--resume", type=Path, help="continue exactly from a checkpoint (model, optimizer, step, RNG; "
                                                "the --set overrides of its run are kept, a --set given now wins)")
    p.add_argument("--init-weights", type=Path, help="start from these weights (fine-tuning), at step 0")
    p.add_argument("--recipe", metavar="NAME[:STAGE]",
                   help="a training recipe the plugin ships (default: the variant's defaults, i.e. the "
                        "reference implementation's recipe); an unknown name lists the available ones")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a training setting, e.g. --set lr=1e-4 --set batch_size=64; "
                        "--set label_policy=drop-chars trains labels with characters outside the charset "
                        "with them removed (default skip: such samples are skipped and counted)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, host: PluginHost) -> int:
    algorithm = host.algorithm(args.algorithm)
    if not algorithm.capabilities.train:
        raise NotSupportedError(f"algorithm {algorithm.name!r} does not support training")
    variant = algorithm.variant(args.variant).name
    check_output_dir(args.output_dir, "--output-dir")
    recipe = load_recipe(algorithm.recipe_dir, args.recipe, variant) if args.recipe else None
    if recipe is not None:
        ui.info(f"recipe {args.recipe}: {recipe.description}")
    overrides = parse_overrides(args.overrides)
    if args.resume:
        overrides = resumed_overrides(args.resume, overrides)
    config = {
        **(recipe.settings if recipe is not None else {}),
        **({"recipe": args.recipe} if args.recipe else {}),
        "train_data": [str(p) for p in args.train_data],
        "val_data": [str(p) for p in args.val_data],
        "output_dir": str(args.output_dir),
        "device": resolve_device(args.device),
        **({"resume": str(args.resume)} if args.resume else {}),
        **({"init_weights": str(args.init_weights)} if args.init_weights else {}),
        **overrides,
        "overrides": [f"{key}={value}" for key, value in overrides.items()],
    }
    result = algorithm.train(variant, config)
    ui.console.print(f"trained {result.steps} steps; weights: {result.weights}; checkpoint: {result.checkpoint}"
                     + (f"; best validation word accuracy {result.best_metric:.2f}%" if result.best_metric is not None else ""))
    return 0


def resumed_overrides(checkpoint: Path, overrides: dict[str, str]) -> dict[str, str]:
    """``overrides`` on top of the ``--set`` overrides stored in ``checkpoint``'s run, so a resumed
    run keeps its settings. A checkpoint written before they were stored keeps what it trained with
    where that is known (labels with characters outside the charset: ``drop-chars``) and says so."""
    from strbench.training.checkpoint import load_checkpoint

    stored = load_checkpoint(checkpoint).get("config") or {}
    merged = dict(overrides)
    if "overrides" in stored:
        kept = parse_overrides([str(item) for item in stored["overrides"]])
        merged = {**kept, **overrides}
        shown = [f"{k}={v}" for k, v in kept.items() if k not in overrides]
        if shown:
            ui.info(f"resuming with the --set overrides of {checkpoint}: {' '.join(shown)}")
    else:
        ui.warn(f"{checkpoint} does not record the --set overrides of its run (written by an older strbench): "
                f"the recipe's settings apply; repeat the run's --set options to keep them")
    if "label_policy" not in stored and "label_policy" not in merged:
        merged["label_policy"] = "drop-chars"
        ui.warn(f"{checkpoint} was trained with characters outside the charset removed from labels: it continues "
                f"with label_policy=drop-chars (--set label_policy=skip to change)")
    return merged
