"""The training curve: loss and validation word accuracy against sample-passes, as a PNG."""

from __future__ import annotations

from pathlib import Path

from strbench.training.log import read_log


def plot_curve(log_path: Path, png_path: Path) -> Path | None:
    """Draw ``log_path``'s loss and validation accuracy to ``png_path``; ``None`` without data."""
    if not log_path.is_file():
        return None
    events = read_log(log_path)
    train = [e for e in events if e["event"] == "train"]
    val = [e for e in events if e["event"] == "validation"]
    if not train and not val:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, loss_ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    if train:
        loss_ax.plot([e["sample_passes"] for e in train], [e["loss"] for e in train], color="tab:blue", lw=1)
    loss_ax.set_xlabel("sample-passes (training images seen)")
    loss_ax.set_ylabel("training loss", color="tab:blue")
    loss_ax.set_yscale("log")
    if val:
        acc_ax = loss_ax.twinx()
        acc_ax.plot([e["sample_passes"] for e in val], [e["word_accuracy"] for e in val],
                    color="tab:red", marker="o", ms=3)
        acc_ax.set_ylabel(f"validation word accuracy % ({val[-1].get('protocol', '')})", color="tab:red")
        acc_ax.set_ylim(0, 100)
    loss_ax.grid(alpha=0.3)
    fig.tight_layout()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path)
    plt.close(fig)
    return png_path
