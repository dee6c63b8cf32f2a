"""The distributed-training test's task, run under torchrun or alone:

    python tiny_task.py DATA OUT BATCH STEPS

It trains the test registry plugin's first-letter task: a linear layer without batch norm (per-process
statistics would differ from the combined batch's) and a per-sample mean loss that keeps every label, so
the gradient of a combined batch equals the mean of equal-sized per-process gradients.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from registry_plugin import FirstLetterTask  # noqa: E402

from strbench.training import TrainConfig, seed_everything, train  # noqa: E402


def main(data: str, out: str, batch: int, steps: int) -> None:
    cfg = TrainConfig(train_data=[data], output_dir=out, batch_size=batch, max_steps=steps, epochs=5,
                      device="cpu", amp="off", lr=1e-2, log_every=1, seed=7, workers=0)
    seed_everything(cfg.seed)
    train(FirstLetterTask(), cfg)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
