"""The training loop: data order, optimisation, validation, checkpoints and exact resume.

Each epoch visits the training samples in an order that depends only on ``(seed, epoch)``, in
full batches (the last partial batch is dropped, as PaddleOCR does). A checkpoint records how
many batches of the current epoch were consumed, so a resumed run skips exactly those (without
reading them) and, with every RNG restored, continues as if it had never stopped: on CPU the
result is bit-for-bit the same as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from strbench import ui
from strbench.data.base import SampleSource
from strbench.data.loader import make_loader, open_dataset
from strbench.errors import PluginError, StrbenchError, UsageError
from strbench.training.checkpoint import (
    load_checkpoint,
    preserved_rng,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
)
from strbench.training.config import TrainConfig
from strbench.training.data import ConcatSource, epoch_generator, epoch_order, leading_size, select, to_device
from strbench.training.schedule import make_optimizer, make_scheduler
from strbench.training.task import TrainTask
from strbench.types import TrainResult
from strbench.weights import compare_state, load_into, load_weights, save_weights

LAST_CHECKPOINT = "last.ckpt"
LAST_WEIGHTS = "last.safetensors"
BEST_WEIGHTS = "best.safetensors"
_SHOWN_REJECTS = 5
_ORDER_SETTINGS = ("train_data", "batch_size", "seed")


@dataclass
class _Position:
    """Where the run is: epoch, batches consumed in it, optimizer steps done, best validation."""

    epoch: int = 0
    batch_in_epoch: int = 0
    global_step: int = 0
    best_metric: float | None = None


@dataclass
class _Counts:
    """Samples the run could not use: unreadable images and labels the task rejected."""

    unreadable: int = 0
    rejected: int = 0
    examples: list[str] = field(default_factory=list)

    def reject(self, labels: list[str], keep: torch.Tensor) -> None:
        dropped = [label for label, k in zip(labels, keep.tolist()) if not k]
        self.rejected += len(dropped)
        self.examples.extend(repr(x) for x in dropped[: max(0, _SHOWN_REJECTS - len(self.examples))])


def _check_task(task: Any) -> None:
    members = ("model", "input_spec", "encode", "training_step", "param_groups", "make_recognizer")
    missing = [m for m in members if not hasattr(task, m)]
    if missing:
        raise PluginError(f"{type(task).__name__} is not a TrainTask: it lacks {', '.join(missing)}")
    if not isinstance(task.model, torch.nn.Module):
        raise PluginError(
            f"{type(task).__name__}.model is a {type(task.model).__name__}, not a torch.nn.Module"
        )


def resolve_device(device: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; asking for CUDA without it is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device {device!r} requested but CUDA is not available; use device=cpu")
    return resolved


def amp_dtype(amp: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``amp`` on ``device`` (``None``: full precision)."""
    if amp == "off":
        return None
    if device.type != "cuda":
        if amp == "auto":
            return None
        raise UsageError(f"amp={amp} needs a CUDA device (training runs on {device}); use amp=off")
    if amp == "bf16" or (amp == "auto" and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    return torch.float16


def _open_sources(paths: list[str], what: str) -> SampleSource:
    if not paths:
        raise UsageError(f"no {what} given")
    sources = [open_dataset(p) for p in paths]
    return sources[0] if len(sources) == 1 else ConcatSource(sources)


def _init_from_weights(model: torch.nn.Module, path: str) -> None:
    state, _ = load_weights(Path(path))
    missing, unexpected, _ = compare_state(model, state)
    load_into(model, state, source=path, strict=False)  # shape mismatches are still an error
    loaded = len(state) - len(unexpected)
    ui.info(f"initialised {loaded} tensors from {path}")
    if missing:
        ui.warn(
            f"{len(missing)} model tensors not in {path} keep their initial values: {', '.join(missing[:8])}"
            + (" ..." if len(missing) > 8 else "")
        )
    if unexpected:
        ui.warn(
            f"{len(unexpected)} tensors of {path} are not used by the model: {', '.join(unexpected[:8])}"
            + (" ..." if len(unexpected) > 8 else "")
        )


class _Trainer:
    """State of one :func:`train` call; split into methods so each stays readable."""

    def __init__(self, task: TrainTask, cfg: TrainConfig) -> None:
        _check_task(task)
        if not cfg.output_dir:
            raise UsageError("no output_dir given for the training checkpoints and weights")
        self.task, self.cfg = task, cfg
        self.out = Path(cfg.output_dir)
        self.device = resolve_device(cfg.device)
        self.dtype = amp_dtype(cfg.amp, self.device)
        self.train_source = _open_sources(cfg.train_data, "train_data")
        self.val_sources = [open_dataset(p) for p in cfg.val_data]
        self.steps_per_epoch = len(self.train_source) // cfg.batch_size
        if self.steps_per_epoch == 0:
            raise UsageError(
                f"train_data has {len(self.train_source)} samples, fewer than batch_size={cfg.batch_size}; "
                f"lower batch_size or add data"
            )
        self.total_steps = cfg.epochs * self.steps_per_epoch
        if cfg.max_steps is not None:
            self.total_steps = min(self.total_steps, cfg.max_steps)

        seed_everything(cfg.seed)
        self.model = task.model.to(self.device)
        if cfg.init_weights:
            _init_from_weights(self.model, cfg.init_weights)
        self.optimizer = make_optimizer(self.model, task.param_groups(cfg), cfg)
        self.scheduler = make_scheduler(self.optimizer, cfg, self.steps_per_epoch)
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None
        self.recognizer = task.make_recognizer() if self.val_sources else None
        self.pos = _Position()
        self.counts = _Counts()
        if cfg.resume:
            self._resume(Path(cfg.resume))

    # -- checkpoints -----------------------------------------------------------------------

    def _resume(self, path: Path) -> None:
        state = load_checkpoint(path)
        load_into(self.model, state["model"], source=str(path))
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.pos = _Position(
            state["epoch"], state["batch_in_epoch"], state["global_step"], state["best_metric"]
        )
        self.counts = _Counts(state["unreadable"], state["rejected"])
        set_rng_state(state["rng"])
        stored = state.get("config", {})
        changed = [k for k in _ORDER_SETTINGS if k in stored and stored[k] != self.cfg.to_dict()[k]]
        if changed:
            ui.warn(
                f"{', '.join(changed)} differ from the run in {path}: the data order changes, so the resumed "
                f"run is not an exact continuation"
            )
        ui.info(
            f"resumed from {path}: step {self.pos.global_step}, epoch {self.pos.epoch + 1}, "
            f"batch {self.pos.batch_in_epoch}/{self.steps_per_epoch}"
        )

    def _save(self) -> None:
        metadata = {"global_step": str(self.pos.global_step), "epoch": str(self.pos.epoch)}
        save_weights(self.model.state_dict(), self.out / LAST_WEIGHTS, metadata)
        save_checkpoint(
            {
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
                "epoch": self.pos.epoch,
                "batch_in_epoch": self.pos.batch_in_epoch,
                "global_step": self.pos.global_step,
                "best_metric": self.pos.best_metric,
                "unreadable": self.counts.unreadable,
                "rejected": self.counts.rejected,
                "rng": rng_state(),
                "config": self.cfg.to_dict(),
            },
            self.out / LAST_CHECKPOINT,
        )

    # -- validation ------------------------------------------------------------------------

    def _validate(self) -> float | None:
        """Sample-weighted word accuracy over ``val_data``; keeps ``best.safetensors``."""
        if self.recognizer is None:
            return None
        from strbench.evaluation import evaluate_source

        correct = total = 0.0
        with preserved_rng():
            self.model.eval()
            try:
                for source in self.val_sources:
                    result = evaluate_source(
                        self.recognizer,
                        source,
                        self.cfg.val_protocol,
                        batch_size=self.cfg.batch_size,
                        workers=self.cfg.workers,
                    )
                    n = result.score.evaluated
                    accuracy = result.metrics.get("word_accuracy", 0.0)
                    ui.info(
                        f"step {self.pos.global_step}: {source.location}: word accuracy {accuracy:.2f}% ({n} samples)"
                    )
                    correct += accuracy * n
                    total += n
            finally:
                self.model.train()
        metric = correct / total if total else 0.0
        if self.pos.best_metric is None or metric > self.pos.best_metric:
            self.pos.best_metric = metric
            save_weights(
                self.model.state_dict(),
                self.out / BEST_WEIGHTS,
                {"global_step": str(self.pos.global_step), "word_accuracy": f"{metric:.4f}"},
            )
        return metric

    # -- optimisation ----------------------------------------------------------------------

    def _loader(self, epoch: int, skip_batches: int) -> Any:
        order = epoch_order(len(self.train_source), self.cfg.seed, epoch)
        return make_loader(
            self.train_source,
            self.task.input_spec,
            batch_size=self.cfg.batch_size,
            workers=self.cfg.workers,
            drop_last=True,
            indices=order[skip_batches * self.cfg.batch_size :],
            generator=epoch_generator(self.cfg.seed, epoch),  # keeps the global RNG untouched
        )

    def _step(self, item: Any) -> float | None:
        """One optimizer step on a loaded batch; ``None`` when no sample of it was usable."""
        self.counts.unreadable += len(item.skipped)
        if not item.labels:
            return None
        targets, keep = self.task.encode(item.labels)
        keep = torch.as_tensor(keep, dtype=torch.bool)
        if keep.shape != (len(item.labels),):
            raise PluginError(
                f"encode() returned a keep mask of shape {tuple(keep.shape)} for {len(item.labels)} labels"
            )
        self.counts.reject(item.labels, keep)
        kept = int(keep.sum())
        if kept == 0:
            return None
        size = leading_size(targets)
        if size is not None and size != kept:
            raise PluginError(
                f"encode() returned targets for {size} samples but kept {kept}; "
                f"targets must cover the kept labels only"
            )
        batch = select(item.batch, keep) if kept < len(keep) else item.batch
        batch, targets = batch.to(self.device), to_device(targets, self.device)
        autocast = (
            torch.autocast(self.device.type, dtype=self.dtype)
            if self.dtype is not None
            else contextlib.nullcontext()
        )
        with autocast:
            loss = self.task.training_step(batch, targets)
        if not torch.isfinite(loss.detach()).all():
            if self.scaler is None:
                raise StrbenchError(
                    f"the loss became {loss.item()} at step {self.pos.global_step + 1}; "
                    f"lower lr, set grad_clip or check the labels"
                )
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            self._clip()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self._clip()
            self.optimizer.step()
        self.scheduler.step()
        return float(loss.detach())

    def _clip(self) -> None:
        if self.cfg.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)

    def _due(self, every: int) -> bool:
        return every > 0 and self.pos.global_step % every == 0

    def run(self) -> TrainResult:
        cfg, pos = self.cfg, self.pos
        ui.info(
            f"training on {self.device} ({len(self.train_source)} samples, {self.steps_per_epoch} steps per "
            f"epoch, {self.total_steps} steps{', amp ' + str(self.dtype).removeprefix('torch.') if self.dtype else ''})"
        )
        self.model.train()
        window: list[float] = []
        validated_at = -1
        start = time.perf_counter()
        with ui.progress() as bar:
            task_id = bar.add_task("train", total=self.total_steps, completed=pos.global_step)
            while pos.global_step < self.total_steps and pos.epoch < cfg.epochs:
                if pos.batch_in_epoch >= self.steps_per_epoch:
                    pos.epoch, pos.batch_in_epoch = pos.epoch + 1, 0
                    continue
                for item in self._loader(pos.epoch, pos.batch_in_epoch):
                    loss = self._step(item)
                    pos.batch_in_epoch += 1
                    if loss is None:
                        continue
                    pos.global_step += 1
                    window.append(loss)
                    bar.update(task_id, advance=1, description=f"train epoch {pos.epoch + 1} loss {loss:.4f}")
                    if self._due(cfg.log_every):
                        self._log(window, start)
                        window = []
                    if self._due(cfg.eval_every):
                        self._validate()
                        validated_at = pos.global_step
                    if self._due(cfg.save_every):
                        self._save()
                    if pos.global_step >= self.total_steps:
                        break
        if validated_at != pos.global_step:
            self._validate()
        self._save()
        self._report_skips()
        best = self.out / BEST_WEIGHTS
        return TrainResult(
            checkpoint=str(self.out / LAST_CHECKPOINT),
            weights=str(best if best.is_file() and self.recognizer is not None else self.out / LAST_WEIGHTS),
            steps=pos.global_step,
            best_metric=pos.best_metric,
        )

    def close(self) -> None:
        for source in [self.train_source, *self.val_sources]:
            source.close()

    def _log(self, window: list[float], start: float) -> None:
        lr = self.scheduler.get_last_lr()[0]
        mean = sum(window) / len(window) if window else math.nan
        ui.info(
            f"step {self.pos.global_step}/{self.total_steps} epoch {self.pos.epoch + 1} loss {mean:.4f} "
            f"lr {lr:.3g} ({time.perf_counter() - start:.0f} s)"
        )

    def _report_skips(self) -> None:
        if self.counts.unreadable:
            ui.warn(f"{self.counts.unreadable} unreadable training samples were skipped")
        if self.counts.rejected:
            ui.warn(
                f"{self.counts.rejected} training samples had labels the algorithm cannot train on and were "
                f"skipped (e.g. {', '.join(self.counts.examples)})"
            )


def train(task: TrainTask, cfg: TrainConfig) -> TrainResult:
    """Train ``task`` as ``cfg`` says; write ``last.ckpt``, ``last.safetensors`` and (with
    validation data) ``best.safetensors`` to ``cfg.output_dir``."""
    trainer = _Trainer(task, cfg)
    try:
        return trainer.run()
    finally:
        trainer.close()
