"""Training recipes: TOML files an algorithm ships, selected with ``strbench train --recipe NAME``.

A recipe file holds ``description``, ``deviations`` (how it departs from the reference
implementation's published recipe), ``[settings]`` (:class:`TrainConfig` fields), optional
``[variants.<variant>]`` tables and optional ``[stages.<stage>]`` tables (e.g. synthetic
pre-training, then real fine-tuning), selected as ``NAME:STAGE``. Later tables override earlier
ones: settings, then the variant's, then the stage's (and the user's ``--set`` last of all).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strbench.errors import UsageError


@dataclass(frozen=True)
class Recipe:
    """A resolved recipe: where it came from and the settings it gives."""

    name: str
    path: Path
    stage: str | None
    description: str
    settings: dict[str, Any]
    deviations: list[str] = field(default_factory=list)
    stages: tuple[str, ...] = ()

    def identity(self) -> dict[str, Any]:
        """What a training log or record says about the recipe."""
        return {"name": self.name, "stage": self.stage, "file": self.path.name, "description": self.description,
                "deviations": self.deviations, "settings": self.settings}


def available_recipes(folder: Path | None) -> dict[str, Path]:
    """``{name: path}`` of the ``*.toml`` recipes in ``folder`` (empty without one)."""
    if folder is None or not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def load_recipe(folder: Path | None, spec: str, variant: str) -> Recipe:
    """Resolve ``NAME`` or ``NAME:STAGE`` from ``folder`` for ``variant``."""
    name, _, stage = spec.partition(":")
    recipes = available_recipes(folder)
    if name not in recipes:
        raise UsageError(f"no training recipe {name!r}; available: {', '.join(recipes) or 'none'}")
    path = recipes[name]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"recipe {path} is not valid TOML: {exc}") from None
    stages = data.get("stages", {})
    if stage and stage not in stages:
        raise UsageError(f"recipe {name!r} has no stage {stage!r}; stages: {', '.join(stages) or 'none'}")
    if not stage and stages:
        raise UsageError(f"recipe {name!r} has stages; choose one: "
                         + ", ".join(f"--recipe {name}:{s}" for s in stages))
    settings = dict(data.get("settings", {}))
    settings.update(data.get("variants", {}).get(variant, {}))
    if stage:
        settings.update(stages[stage])
    return Recipe(
        name=name, path=path, stage=stage or None, description=str(data.get("description", "")),
        settings=settings, deviations=list(data.get("deviations", [])), stages=tuple(stages),
    )
