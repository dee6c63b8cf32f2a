"""How long a CPU training run will take, estimated before it starts, and a smaller setting to try.

The estimate is ``steps x batch_size / images_per_second``, with the variant's CPU figure for the
run's precision (``Variant.cpu_train_images_per_second``; docs/training.md lists them). It
only advises: the run keeps the settings it was given.
"""

from __future__ import annotations

from dataclasses import dataclass

#: A CPU run estimated longer than this gets the warning.
CPU_BUDGET_SECONDS = 3600.0
#: The batch size the warning suggests (a smaller one, when the run's is smaller already, is kept).
SUGGESTED_BATCH_SIZE = 32


@dataclass(frozen=True)
class CostEstimate:
    steps: int
    batch_size: int
    images_per_second: float

    @property
    def images(self) -> int:
        return self.steps * self.batch_size

    @property
    def seconds(self) -> float:
        return self.images / self.images_per_second


def planned_steps(epochs: int, max_steps: int | None, train_samples: int | None, batch_size: int) -> int | None:
    """The optimizer steps a run will take (``None``: unknown, no ``max_steps`` and no data size)."""
    by_epochs = epochs * (train_samples // batch_size) if train_samples is not None else None
    if by_epochs is None:
        return max_steps
    return by_epochs if max_steps is None else min(by_epochs, max_steps)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} hours" if seconds >= 5400 else f"{seconds / 60:.0f} minutes"


def cpu_cost_warning(estimate: CostEstimate, what: str) -> str | None:
    """The warning for a CPU run of over :data:`CPU_BUDGET_SECONDS` (``None``: shorter), naming the
    estimate, where its figure comes from (``what``) and an about-an-hour setting to try first."""
    if estimate.seconds <= CPU_BUDGET_SECONDS:
        return None
    batch = min(estimate.batch_size, SUGGESTED_BATCH_SIZE)
    steps = max(1, int(CPU_BUDGET_SECONDS * estimate.images_per_second / batch))
    steps = steps if steps < 100 else steps // 100 * 100  # a round number
    suggestion = (f"--set batch_size={batch} " if batch != estimate.batch_size else "") + f"--set max_steps={steps}"
    return (
        f"training on the CPU: {estimate.steps:,} steps x batch {estimate.batch_size} = {estimate.images:,} images "
        f"at about {estimate.images_per_second:g} img/s ({what}) take about {_hours(estimate.seconds)}; for a first "
        f"run of about an hour try {suggestion} (the run goes on with the settings given)"
    )
