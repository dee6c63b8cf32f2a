"""``strbench train``: train an algorithm with its default recipe and any overrides."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from strbench import ui
from strbench.cli.common import add_algorithm_args, parse_overrides, resolve_device
from strbench.errors import NotSupportedError, UsageError
from strbench.plugin.host import PluginHost
from strbench.run.preflight import check_output_dir
from strbench.training.recipes import load_recipe

EPILOG = """\
training settings (--set KEY=VALUE, repeatable; a recipe's settings, then yours):
  max_steps     optimizer steps of the run (default: epochs decide)
  batch_size    samples per step (the paddle recipes use 256: slow on a CPU)
  lr            learning rate
  eval_every    validate every N steps (0: only at the end); val_limit caps the samples
  log_every     a log line every N steps (and at the first step and the end)
'strbench train --list-settings [--algorithm A --variant V --recipe R[:STAGE]]' lists every
setting with its default, type and meaning.

example, a short first run on a CPU:
  strbench train --algorithm rare --variant mv3 --recipe strbench-synth-real:pretrain \\
      --train-data TRAIN --val-data VAL --output-dir runs/try --set max_steps=200 --set eval_every=100
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train an algorithm (PaddleOCR-style recipe by default)", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_algorithm_args(p, weights=False, required=False)
    p.add_argument("--list-settings", action="store_true",
                   help="list every training setting with its default (as --algorithm/--variant/--recipe resolve "
                        "it), type and meaning, then exit")
    p.add_argument("--train-data", nargs="+", type=Path, help="LMDB folders or label files (required to train)")
    p.add_argument("--val-data", nargs="*", default=[], type=Path, help="validation datasets")
    p.add_argument("--output-dir", type=Path, help="checkpoints and weights go here (required to train)")
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
    if args.list_settings:
        return list_settings(args, host)
    missing = [flag for flag, value in (("--algorithm", args.algorithm), ("--train-data", args.train_data),
                                        ("--output-dir", args.output_dir)) if not value]
    if missing:
        raise UsageError(f"strbench train needs {', '.join(missing)} (--list-settings lists the settings)")
    algorithm = host.algorithm(args.algorithm)
    if not algorithm.capabilities.train:
        raise NotSupportedError(f"algorithm {algorithm.name!r} does not support training")
    variant = algorithm.variant(args.variant).name
    overrides = parse_overrides(args.overrides)
    check_setting_names(overrides, algorithm)
    check_output_dir(args.output_dir, "--output-dir")
    recipe = load_recipe(algorithm.recipe_dir, args.recipe, variant) if args.recipe else None
    if recipe is not None:
        ui.info(f"recipe {args.recipe}: {recipe.description}")
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
    if config["device"] == "cpu":
        warn_cpu_cost(algorithm, variant, config, host)
    result = algorithm.train(variant, config)
    ui.console.print(f"trained {result.steps} steps; weights: {result.weights}; checkpoint: {result.checkpoint}"
                     + (f"; best validation word accuracy {result.best_metric:.2f}%" if result.best_metric is not None else ""))
    ui.console.print(next_step(algorithm.name, variant, Path(result.weights), args.output_dir))
    return 0


def next_step(algorithm: str, variant: str, weights: Path, output_dir: Path) -> str:
    """The last line of a run: the command that evaluates the new weights, and where the log is."""
    from strbench.training.loop import CURVE_FILE, LOG_FILE

    command = ["strbench", "run", "--algorithm", algorithm, "--variant", variant, "--weights", str(weights)]
    curve = output_dir / CURVE_FILE
    return (f"next: {shlex.join(command)}  # add --data-root DIR for the benchmark sets (without it: the "
            f"embedded synthetic set); training log {output_dir / LOG_FILE}"
            + (f", curve {curve}" if curve.is_file() else ""))


def plugin_settings(algorithm: Any) -> dict[str, Any]:
    """``{name: TrainSetting}`` of the settings ``algorithm`` reads itself."""
    return {s.name: s for s in getattr(algorithm, "train_settings", ())}


def check_setting_names(overrides: dict[str, str], algorithm: Any) -> None:
    """An unknown ``--set`` key is an error naming the closest known ones."""
    import dataclasses

    from strbench.training.config import TrainConfig, unknown_setting

    known = [f.name for f in dataclasses.fields(TrainConfig)] + list(plugin_settings(algorithm))
    for key in overrides:
        if key not in known:
            raise unknown_setting(key, known, " (--set)")


def list_settings(args: argparse.Namespace, host: PluginHost) -> int:
    """``--list-settings``: every setting, its default as the chosen recipe/stage or variant gives it
    (else the harness's), its type and its meaning, from the settings' own definitions."""
    from strbench.training.config import describe_settings

    defaults: dict[str, Any] = {}
    source, extra = "", {}
    if args.algorithm:
        algorithm = host.algorithm(args.algorithm)
        variant = algorithm.variant(args.variant)
        extra = plugin_settings(algorithm)
        if args.recipe:
            recipe = load_recipe(algorithm.recipe_dir, args.recipe, variant.name)
            defaults, source = recipe.settings, f"recipe {args.recipe}"
        else:
            defaults, source = dict(variant.defaults), f"{algorithm.name} {variant.name} defaults"
    elif args.recipe:
        raise UsageError("--recipe needs --algorithm (the recipe is the algorithm's)")
    rows = describe_settings({k: v for k, v in defaults.items() if k not in extra}, source)
    for name, setting in extra.items():
        value = defaults.get(name, setting.default)
        rows.append(type(rows[0])(name, value, setting.type, setting.meaning,
                                  source if name in defaults else f"plugin {args.algorithm}"))
    header = f"training settings ({'defaults from ' + source if source else 'harness defaults'}; --set KEY=VALUE):"
    ui.console.print(header, highlight=False, markup=False)
    for row in rows:
        shown = "none" if row.default is None else ("\"\"" if row.default == "" else row.default)
        if isinstance(shown, list | tuple):
            shown = ",".join(str(v) for v in shown) or "(empty)"
        origin = f" [{row.source}]" if row.source != "harness" else ""
        ui.console.print(f"  {row.name} = {shown}  ({row.type}){origin}\n      {row.meaning}",
                         highlight=False, markup=False, soft_wrap=True)
    return 0


def warn_cpu_cost(algorithm: Any, variant: str, config: dict[str, Any], host: PluginHost) -> None:
    """Warn before a CPU run estimated at over an hour, with a smaller setting to try (nothing changes)."""
    from strbench.training.budget import CostEstimate, cpu_cost_warning, planned_steps
    from strbench.training.config import TrainConfig

    figures = algorithm.variant(variant).cpu_train_images_per_second or {}
    extra = plugin_settings(algorithm)
    cfg = TrainConfig.from_mapping(algorithm.variant(variant).defaults,
                                   {k: v for k, v in config.items() if k not in extra})
    precision = "off" if cfg.amp == "auto" else cfg.amp  # auto is full precision on a CPU
    figure = figures.get(precision)
    if not figure:
        return
    steps = planned_steps(cfg.epochs, cfg.max_steps, train_samples(cfg, host), cfg.batch_size)
    if steps is None:
        return
    estimate = CostEstimate(steps, cfg.batch_size, figure)
    label = "fp32" if precision == "off" else precision
    message = cpu_cost_warning(estimate, f"{algorithm.name} {variant}'s figure for {label} on 2 CPU threads")
    if message:
        ui.warn(message)


def train_samples(cfg: Any, host: PluginHost) -> int | None:
    """How many samples an epoch of ``cfg`` holds (``None`` when a dataset cannot be opened: the run says why)."""
    from strbench.data.loader import open_dataset
    from strbench.errors import StrbenchError

    formats = host.dataset_formats()
    repeat = cfg.train_data_repeat or [1] * len(cfg.train_data)
    total = 0
    try:
        for path, k in zip(cfg.train_data, repeat):
            source = open_dataset(path, formats)
            total += k * len(source)
            source.close()
    except (StrbenchError, OSError):
        return None
    return total


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
