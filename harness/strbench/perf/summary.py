"""The few perf figures a leaderboard row shows, taken from a record's primary perf configuration."""

from __future__ import annotations

from typing import Any

from strbench.perf.memory import headline_mb

LATENCY = "latency bs1 ms"
LATENCY_P90 = "latency bs1 p90 ms"
THROUGHPUT = "img/s (best bs)"
BEST_BS = "best bs"
PEAK_MEMORY = "peak MB (best bs)"
GFLOPS = "GFLOPs/img"


def primary_config(perf: dict[str, Any], index: int | None = None) -> dict[str, Any] | None:
    """Configuration ``index`` of a perf section, by default its primary one."""
    configs = perf.get("configs") or []
    if index is None:
        index = perf.get("primary", 0)
    return configs[index] if isinstance(index, int) and 0 <= index < len(configs) else None


def leaderboard_columns(perf: dict[str, Any], config_index: int | None = None) -> dict[str, float]:
    """Median and p90 batch-1 latency (forward + decode), best throughput, its batch size and
    peak memory, and GFLOPs per image of one configuration (default: the primary one); figures a
    record lacks are left out."""
    out: dict[str, float] = {}
    config = primary_config(perf, config_index)
    if config is not None:
        model = config.get("latency_bs1", {}).get("stages", {}).get("model_and_decode", {})
        if model.get("median_ms") is not None:
            out[LATENCY] = float(model["median_ms"])
            out[LATENCY_P90] = float(model["p90_ms"])
        best = (config.get("throughput") or {}).get("best")
        if best:
            out[THROUGHPUT] = float(best["images_per_s"])
            out[BEST_BS] = int(best["batch_size"])
            mb = headline_mb(best.get("memory") or {})
            if mb is not None:
                out[PEAK_MEMORY] = float(mb)
    flops = perf.get("flops") or {}
    if flops.get("available"):
        out[GFLOPS] = float(flops["gflops_per_image"])
    return out
