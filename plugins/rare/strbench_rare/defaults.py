"""RARE's training recipes and the defaults they give each variant (read without torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strbench import load_recipe

RECIPES = Path(__file__).parent / "recipes"


def training_defaults(variant: str) -> dict[str, Any]:
    """PaddleOCR's settings for ``variant`` (the ``paddle`` recipe) as TrainConfig fields."""
    return load_recipe(RECIPES, "paddle", variant).settings
