"""Entry point of the ``rare`` plugin: registers :class:`RareAlgorithm` with strbench."""

from __future__ import annotations

import strbench
from strbench_rare.algorithm import RareAlgorithm


@strbench.hookimpl
def strbench_algorithms() -> list[RareAlgorithm]:
    return [RareAlgorithm()]
