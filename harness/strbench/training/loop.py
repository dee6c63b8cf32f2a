"""The training loop: data order, optimisation, validation, checkpoints and exact resume.

Each epoch visits the training samples in an order that depends only on ``(seed, epoch)``, in
full batches (the last partial batch is dropped, as PaddleOCR does). A checkpoint records how
many batches of the current epoch were consumed, so a resumed run skips exactly those (without
reading them) and, with every RNG restored, continues as if it had never stopped: on CPU the
result is bit-for-bit the same as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch

from strbench import environment, ui
from strbench.data.base import SampleSource
from strbench.data.loader import make_loader, open_dataset
from strbench.errors import DataError, PluginError, StrbenchError, UsageError
from strbench.plugin.types import TrainResult
from strbench.training.augment import resolve_augmenter
from strbench.training.checkpoint import (
    load_checkpoint,
    preserved_rng,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
)
from strbench.training.config import TrainConfig
from strbench.training.curve import plot_curve
from strbench.training.data import (
    ConcatSource,
    SpreadSubset,
    epoch_generator,
    epoch_order,
    leading_size,
    select,
    to_device,
)
from strbench.training.distributed import (
    DistContext,
    context_from_env,
    init_distributed,
    rank_indices,
    reduce_sum,
    shutdown,
)
from strbench.training.log import Throughput as _Throughput
from strbench.training.log import TrainLog
from strbench.training.schedule import make_optimizer, make_scheduler
from strbench.training.task import TrainTask
from strbench.weights.io import compare_state, load_into, load_weights, save_weights

if TYPE_CHECKING:
    from strbench.plugin.host import PluginHost

LAST_CHECKPOINT = "last.ckpt"
LOG_FILE = "train_log.jsonl"
CURVE_FILE = "train_curve.png"
LAST_WEIGHTS = "last.safetensors"
BEST_WEIGHTS = "best.safetensors"
_SHOWN_REJECTS = 5
_ORDER_SETTINGS = ("train_data", "batch_size", "seed")


def _resolved(paths: list[str]) -> list[str]:
    """Absolute, symlink-free forms of ``paths``: the same data named another way compares equal."""
    return [str(Path(p).resolve()) for p in paths]


def _order_changes(state: dict[str, Any], cfg: TrainConfig) -> list[str]:
    """Settings that decide the data order and differ between the checkpoint and ``cfg``.

    ``train_data`` is compared by resolved path when the checkpoint stored one, so a relative and an
    absolute name (or a symlink) of the same folder are not a change.
    """
    stored = state.get("config", {})
    current = cfg.to_dict()
    changed = []
    for key in _ORDER_SETTINGS:
        if key not in stored:
            continue
        if key == "train_data" and "train_data_resolved" in state:
            differs = state["train_data_resolved"] != _resolved(cfg.train_data)
        else:
            differs = stored[key] != current[key]
        if differs:
            changed.append(key)
    return changed


@dataclass
class _Position:
    """Where the run is: epoch, batches consumed in it, optimizer steps done, best validation."""

    epoch: int = 0
    batch_in_epoch: int = 0
    global_step: int = 0
    best_metric: float | None = None
    sample_passes: int = 0


#: A training sample, once however often it is read: (its dataset's location, its index there).
SampleId = tuple[str, int]
_COUNT_KINDS = ("unreadable", "rejected", "charset", "dropped_chars")


@dataclass
class _Counts:
    """Samples the run could not use, each counted once (not once per epoch, repeat or process):
    unreadable images, labels the task rejected, labels with characters outside the charset
    (skipped, or with ``label_policy=drop-chars`` trained with those characters removed)."""

    unreadable: set[SampleId] = field(default_factory=set)
    rejected: set[SampleId] = field(default_factory=set)
    charset: set[SampleId] = field(default_factory=set)
    dropped_chars: set[SampleId] = field(default_factory=set)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, ids: list[SampleId], labels: list[str] | None = None) -> None:
        getattr(self, kind).update(ids)
        shown = self.examples.setdefault(kind, [])
        shown.extend(repr(x) for x in (labels or [])[: max(0, _SHOWN_REJECTS - len(shown))])

    def to_state(self) -> dict[str, Any]:
        return {kind: [[loc, index] for loc, index in sorted(getattr(self, kind))] for kind in _COUNT_KINDS}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _Counts:
        """The counts of a checkpoint (one written before they were kept per sample restarts them)."""
        stored = state.get("skipped_samples") or {}
        counts = cls()
        for kind in _COUNT_KINDS:
            getattr(counts, kind).update((str(loc), int(index)) for loc, index in stored.get(kind, []))
        return counts

    def merged(self, others: list[_Counts]) -> _Counts:
        out = _Counts(examples=self.examples)
        for other in others:
            for kind in _COUNT_KINDS:
                getattr(out, kind).update(getattr(other, kind))
        return out


def task_charset(task: Any) -> str | None:
    """The characters ``task`` trains on: its ``charset``, else its ``variant``'s or ``vocab``'s
    (``None``: not declared, labels are not checked against it)."""
    for owner in (task, getattr(task, "variant", None), getattr(task, "vocab", None)):
        charset = getattr(owner, "charset", None)
        if isinstance(charset, str) and charset:
            return charset
    return None


def outside_charset(label: str, charset: str) -> str:
    """The characters of ``label`` outside ``charset``; a charset without upper-case letters is read
    case-insensitively (the model is trained on lower-cased labels)."""
    text = label if any(c != c.lower() for c in charset) else label.lower()
    known = set(charset)
    return "".join(dict.fromkeys(c for c in text if c not in known))


def _check_task(task: Any) -> None:
    members = ("model", "input_spec", "encode", "training_step", "param_groups", "make_recognizer")
    missing = [m for m in members if not hasattr(task, m)]
    if missing:
        raise PluginError(f"{type(task).__name__} is not a TrainTask: it lacks {', '.join(missing)}")
    if not isinstance(task.model, torch.nn.Module):
        raise PluginError(
            f"{type(task).__name__}.model is a {type(task.model).__name__}, not a torch.nn.Module"
        )


def resolve_device(device: str, ctx: DistContext | None = None) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; asking for CUDA without it is an error. Under
    torchrun each process takes the GPU of its ``LOCAL_RANK``."""
    resolved = torch.device(environment.resolve_device(device))
    if resolved.type == "cuda" and ctx is not None and ctx.enabled and resolved.index is None:
        resolved = torch.device("cuda", ctx.local_rank)
    return resolved


class _StepModule(torch.nn.Module):
    """The task's model and auxiliary modules as one module whose forward is the training step,
    so that DistributedDataParallel sees every trained parameter and synchronises its gradients."""

    def __init__(self, task: TrainTask, auxiliary: torch.nn.Module | None) -> None:
        super().__init__()
        self.task = [task]  # a list, so the task is not registered as a submodule
        self.model = task.model
        self.auxiliary = auxiliary

    def forward(self, batch: Any, targets: Any) -> torch.Tensor:
        return self.task[0].training_step(batch, targets)


def amp_dtype(amp: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``amp`` on ``device`` (``None``: full precision)."""
    if amp == "off":
        return None
    if device.type != "cuda":
        if amp == "auto":
            return None
        if amp == "bf16":
            return torch.bfloat16  # CPU autocast (fast on CPUs with bf16 instructions)
        raise UsageError(f"amp={amp} needs a CUDA device (training runs on {device}); use amp=off or bf16")
    if amp == "bf16" or (amp == "auto" and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    return torch.float16


def _open_sources(paths: list[str], what: str, formats: Any, repeat: list[int] | None = None) -> SampleSource:
    """``paths`` as one source, each repeated ``repeat[i]`` times (default once)."""
    if not paths:
        raise UsageError(f"no {what} given")
    sources = [open_dataset(p, formats) for p in paths]
    repeated = [s for s, k in zip(sources, repeat or [1] * len(sources)) for _ in range(k)]
    return repeated[0] if len(repeated) == 1 else ConcatSource(repeated)


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

    def __init__(self, task: TrainTask, cfg: TrainConfig, host: PluginHost) -> None:
        _check_task(task)
        if not cfg.output_dir:
            raise UsageError("no output_dir given for the training checkpoints and weights")
        self.task, self.cfg = task, cfg
        self.out = Path(cfg.output_dir)
        self.dist = context_from_env()
        self.device = resolve_device(cfg.device, self.dist)
        init_distributed(self.dist, self.device)
        if not self.dist.is_main:
            ui.configure(quiet=True)  # rank 0 reports for the job
        self.dtype = amp_dtype(cfg.amp, self.device)
        # protocols, metrics and dataset formats come from the plugin host, as in 'strbench run'
        formats = host.dataset_formats()
        if cfg.val_data:
            self.val_protocol, self.val_metrics = host.protocol(cfg.val_protocol), host.metrics()
        self.train_source = _open_sources(cfg.train_data, "train_data", formats, cfg.train_data_repeat)
        self.val_sources = [open_dataset(p, formats) for p in cfg.val_data] if self.dist.is_main else []
        self.steps_per_epoch = len(self.train_source) // (cfg.batch_size * self.dist.world_size)
        if self.steps_per_epoch == 0:
            raise UsageError(
                f"train_data has {len(self.train_source)} samples, fewer than batch_size={cfg.batch_size} x "
                f"{self.dist.world_size} processes; lower batch_size or add data"
            )
        self.total_steps = cfg.epochs * self.steps_per_epoch
        if cfg.max_steps is not None:
            self.total_steps = min(self.total_steps, cfg.max_steps)

        seed_everything(cfg.seed)
        self.model = task.model.to(self.device)
        auxiliary = getattr(task, "auxiliary", None)
        self.auxiliary = auxiliary.to(self.device) if auxiliary is not None else None
        if cfg.init_weights:
            _init_from_weights(self.model, cfg.init_weights)
        trained = torch.nn.ModuleList([self.model] + ([self.auxiliary] if self.auxiliary is not None else []))
        self.optimizer = make_optimizer(trained, task.param_groups(cfg), cfg)
        self.scheduler = make_scheduler(self.optimizer, cfg, self.steps_per_epoch, self.total_steps)
        self.augmenter = resolve_augmenter(cfg.augment, cfg.seed, cfg.augment_prob)
        self.log = TrainLog(self.out / LOG_FILE, enabled=self.dist.is_main)
        self.saved_at = time.monotonic()
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None
        self.step_module: torch.nn.Module = _StepModule(task, self.auxiliary)
        if self.dist.enabled:
            self.step_module = torch.nn.parallel.DistributedDataParallel(self.step_module)
        if cfg.compile:
            self.step_module = cast(torch.nn.Module, torch.compile(self.step_module))
        self.recognizer = task.make_recognizer() if self.val_sources else None
        self.pos = _Position()
        self.counts = _Counts()
        self.charset = task_charset(task)
        self.batch_indices: list[int] = []
        if cfg.resume:
            self._resume(Path(cfg.resume))

    # -- checkpoints -----------------------------------------------------------------------

    def _resume(self, path: Path) -> None:
        state = load_checkpoint(path)
        load_into(self.model, state["model"], source=str(path))
        if self.auxiliary is not None and state.get("auxiliary"):
            load_into(self.auxiliary, state["auxiliary"], source=f"{path} (auxiliary)")
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.pos = _Position(
            state["epoch"], state["batch_in_epoch"], state["global_step"], state["best_metric"],
            state.get("sample_passes", 0),
        )
        self.counts = _Counts.from_state(state)
        set_rng_state(state["rng"])
        changed = _order_changes(state, self.cfg)
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
        self.saved_at = time.monotonic()
        if not self.dist.is_main:
            return
        metadata = {"global_step": str(self.pos.global_step), "epoch": str(self.pos.epoch)}
        save_weights(self.model.state_dict(), self.out / LAST_WEIGHTS, metadata)
        save_checkpoint(
            {
                "model": self.model.state_dict(),
                "auxiliary": self.auxiliary.state_dict() if self.auxiliary is not None else None,
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
                "epoch": self.pos.epoch,
                "batch_in_epoch": self.pos.batch_in_epoch,
                "global_step": self.pos.global_step,
                "best_metric": self.pos.best_metric,
                "sample_passes": self.pos.sample_passes,
                "unreadable": len(self.counts.unreadable),
                "rejected": len(self.counts.rejected),
                "skipped_samples": self.counts.to_state(),
                "rng": rng_state(),
                "config": self.cfg.to_dict(),
                "train_data_resolved": _resolved(self.cfg.train_data),
            },
            self.out / LAST_CHECKPOINT,
        )
        self.saved_at = time.monotonic()

    # -- validation ------------------------------------------------------------------------

    def _validate(self) -> float | None:
        """Sample-weighted word accuracy over ``val_data`` (rank 0); keeps ``best.safetensors``."""
        if self.recognizer is None or not self.dist.is_main:
            return None
        from strbench.run.evaluation import predict_source
        from strbench.run.scoring import score

        correct = total = 0.0
        per_source: dict[str, float] = {}
        with preserved_rng():
            self.model.eval()
            try:
                for full in self.val_sources:
                    source = SpreadSubset(full, self.cfg.val_limit)
                    with ui.progress(rate_unit="img", terminal_only=True, transient=True) as bar:
                        task_id = bar.add_task(f"validate {Path(str(source.location)).name}", total=len(source))
                        preds, _ = predict_source(
                            self.recognizer, source, batch_size=self.cfg.batch_size, workers=self.cfg.workers,
                            advance=functools.partial(bar.advance, task_id),
                        )
                    result = score(preds, self.val_protocol, self.val_metrics)
                    n = result.evaluated
                    accuracy = result.metrics.get("word_accuracy", 0.0)
                    ui.info(
                        f"step {self.pos.global_step}: {source.location}: word accuracy {accuracy:.2f}% ({n} samples"
                        + (f" of {len(full)}, val_limit={self.cfg.val_limit}" if len(source) < len(full) else "") + ")"
                    )
                    correct += accuracy * n
                    total += n
                    per_source[str(source.location)] = accuracy
            finally:
                self.model.train()
        metric = correct / total if total else 0.0
        self.log.write(
            "validation", step=self.pos.global_step, sample_passes=self.pos.sample_passes,
            word_accuracy=metric, per_source=per_source, protocol=self.cfg.val_protocol,
        )
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
        self.batch_indices = rank_indices(order, self.cfg.batch_size, self.dist, skip_batches)
        return make_loader(
            self.train_source,
            self.task.input_spec,
            batch_size=self.cfg.batch_size,
            workers=self.cfg.workers,
            drop_last=True,
            indices=self.batch_indices,
            augment=self.augmenter,
            epoch=epoch,
            generator=epoch_generator(self.cfg.seed, epoch),  # keeps the global RNG untouched
        )

    def _sample_id(self, index: int) -> SampleId:
        source: Any = self.train_source
        if isinstance(source, ConcatSource):
            source, index = source.origin(index)
        return str(source.location), index

    def _charset_mask(self, item: Any) -> list[bool]:
        """Which labels of ``item`` may go to the task's encoding under ``label_policy``; labels
        with characters outside the charset are counted (skipped, or trained with them dropped)."""
        if self.charset is None:
            return [True] * len(item.labels)
        outside = [bool(outside_charset(label, self.charset)) for label in item.labels]
        bad = [i for i, o in enumerate(outside) if o]
        if bad:
            kind = "charset" if self.cfg.label_policy == "skip" else "dropped_chars"
            self.counts.add(kind, [self._sample_id(item.indices[i]) for i in bad], [item.labels[i] for i in bad])
        return [not o for o in outside] if self.cfg.label_policy == "skip" else [True] * len(item.labels)

    def _step(self, item: Any, requested: list[int]) -> tuple[float, int] | None:
        """One optimizer step on a loaded batch (``requested``: the source indices it was read from):
        ``(loss, samples used)`` summed over the processes (loss averaged; per label token when the
        task's loss is a sum, see ``TrainTask.loss_tokens``); ``None`` when no sample of it was usable."""
        if item.skipped:
            loaded = set(item.indices)
            self.counts.add("unreadable", [self._sample_id(i) for i in requested if i not in loaded])
        if not item.labels:
            return None
        allowed = self._charset_mask(item)
        labels = [label for label, ok in zip(item.labels, allowed) if ok]
        encoded = torch.zeros(len(labels), dtype=torch.bool)
        targets: Any = None
        if labels:
            try:
                targets, encoded = self.task.encode(labels)
            except Exception as exc:  # a plugin bug must name the batch, not end in a bare traceback
                raise PluginError(
                    f"{type(self.task).__name__}.encode failed at step {self.pos.global_step + 1} on the labels "
                    f"{labels!r}: {type(exc).__name__}: {exc}"
                ) from exc
            encoded = torch.as_tensor(encoded, dtype=torch.bool)
            if encoded.shape != (len(labels),):
                raise PluginError(
                    f"encode() returned a keep mask of shape {tuple(encoded.shape)} for {len(labels)} labels"
                )
        keep = torch.zeros(len(item.labels), dtype=torch.bool)
        keep[[i for i, ok in enumerate(allowed) if ok]] = encoded
        rejected = [i for i, ok in enumerate(allowed) if ok and not keep[i]]
        if rejected:
            self.counts.add("rejected", [self._sample_id(item.indices[i]) for i in rejected],
                            [item.labels[i] for i in rejected])
        kept = int(keep.sum())
        if kept == 0:
            if self.dist.enabled:
                raise StrbenchError(
                    f"rank {self.dist.rank}: a whole batch was unusable at step {self.pos.global_step + 1}; "
                    f"distributed training needs a usable sample in every batch: clean the training data"
                )
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
            loss = self.step_module(batch, targets)
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
        tokens = getattr(self.task, "loss_tokens", None)
        per = tokens(targets) if callable(tokens) else None
        value = float(loss.detach()) / per if per else float(loss.detach())
        loss_sum, used = reduce_sum([value, float(kept)], self.dist, self.device)
        return loss_sum / self.dist.world_size, int(used)

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
        if self.auxiliary is not None:
            self.auxiliary.train()
        window: list[float] = []
        validated_at = logged_at = -1
        start = time.perf_counter()
        first_step = pos.global_step + 1
        log_every = effective_log_every(cfg.log_every, self.total_steps - pos.global_step)
        self.log.write("start", step=pos.global_step, sample_passes=pos.sample_passes, config=cfg.to_dict(),
                       device=str(self.device), threads=torch.get_num_threads(), world_size=self.dist.world_size,
                       train_samples=len(self.train_source))
        speed = _Throughput()
        with ui.progress() as bar:
            task_id = bar.add_task("train", total=self.total_steps, completed=pos.global_step)
            while pos.global_step < self.total_steps and pos.epoch < cfg.epochs:
                if pos.batch_in_epoch >= self.steps_per_epoch:
                    pos.epoch, pos.batch_in_epoch = pos.epoch + 1, 0
                    continue
                batch_size = cfg.batch_size
                for n, item in enumerate(self._loader(pos.epoch, pos.batch_in_epoch)):
                    stepped = self._step(item, self.batch_indices[n * batch_size:(n + 1) * batch_size])
                    pos.batch_in_epoch += 1
                    if stepped is None:
                        continue
                    loss, used = stepped
                    pos.global_step += 1
                    pos.sample_passes += used
                    window.append(loss)
                    speed.add(used)
                    bar.update(
                        task_id, advance=1,
                        description=f"train ep {pos.epoch + 1} loss/token {loss:.4f} lr "
                        f"{self.scheduler.get_last_lr()[0]:.2e} {speed.rate():.0f} img/s",
                    )
                    if pos.global_step == first_step or self._due(log_every):
                        self._log(window, start, speed.rate(), first_step)
                        window, logged_at = [], pos.global_step
                    if self._due(cfg.eval_every):
                        self._validate()
                        validated_at = pos.global_step
                    if self._due(cfg.save_every) or self._save_is_overdue():
                        self._save()
                    if self._due(cfg.snapshot_every) and self.dist.is_main:
                        save_weights(self.model.state_dict(), self.out / "snapshots" / f"step{pos.global_step:07d}.safetensors",
                                     {"global_step": str(pos.global_step), "sample_passes": str(pos.sample_passes)})
                    if pos.global_step >= self.total_steps or self._out_of_time(start):
                        break
                if pos.global_step == 0 and pos.batch_in_epoch >= self.steps_per_epoch:
                    self._no_usable_sample()
                if self._out_of_time(start):
                    ui.info(f"stopping at step {pos.global_step}: max_minutes={cfg.max_minutes} reached")
                    break
        if logged_at != pos.global_step and pos.global_step >= first_step:
            self._log(window, start, speed.rate(), first_step)
        if validated_at != pos.global_step:
            self._validate()
        self._save()
        self._report_skips()
        self.log.write("end", step=pos.global_step, sample_passes=pos.sample_passes,
                       seconds=time.perf_counter() - start, best_metric=pos.best_metric)
        if self.dist.is_main:
            plot_curve(self.out / LOG_FILE, self.out / CURVE_FILE)
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
        shutdown(self.dist)

    def _out_of_time(self, start: float) -> bool:
        """``max_minutes`` has passed (the same answer on every rank of a distributed job)."""
        if self.cfg.max_minutes is None:
            return False
        over = time.perf_counter() - start >= 60 * self.cfg.max_minutes
        return bool(reduce_sum([float(over)], self.dist, self.device)[0] > 0)

    def _save_is_overdue(self) -> bool:
        minutes = self.cfg.save_every_minutes
        return minutes > 0 and time.monotonic() - self.saved_at >= 60 * minutes

    def _log(self, window: list[float], start: float, images_per_second: float, first_step: int) -> None:
        """A log line and a ``train`` event: the mean per-token loss since the last line, LR, img/s, ETA."""
        lr = self.scheduler.get_last_lr()[0]
        mean = sum(window) / len(window) if window else math.nan
        elapsed = time.perf_counter() - start
        done = self.pos.global_step - first_step + 1
        eta = elapsed / done * (self.total_steps - self.pos.global_step) if done > 0 else math.nan
        self.log.write(
            "train", step=self.pos.global_step, epoch=self.pos.epoch + 1, sample_passes=self.pos.sample_passes,
            loss=mean, lr=lr, images_per_second=images_per_second, seconds=elapsed,
        )
        ui.info(
            f"step {self.pos.global_step}/{self.total_steps} epoch {self.pos.epoch + 1} loss/token {mean:.4f} "
            f"lr {lr:.3g} {images_per_second:.0f} img/s elapsed {_duration(elapsed)} ETA {_duration(eta)}"
        )

    def _all_counts(self) -> _Counts:
        """The skip counts of every process (each sample once)."""
        if not self.dist.enabled:
            return self.counts
        gathered: list[Any] = [None] * self.dist.world_size
        torch.distributed.all_gather_object(gathered, self.counts.to_state())
        return self.counts.merged([_Counts.from_state({"skipped_samples": g}) for g in gathered])

    def _skip_lines(self, counts: _Counts) -> list[str]:
        def eg(kind: str) -> str:
            shown = counts.examples.get(kind)
            return f" (e.g. {', '.join(shown)})" if shown else ""

        lines = []
        if counts.unreadable:
            lines.append(f"{len(counts.unreadable)} unreadable training samples were skipped")
        if counts.rejected:
            lines.append(f"{len(counts.rejected)} training samples had labels the algorithm cannot train on and were "
                         f"skipped{eg('rejected')}")
        if counts.charset:
            lines.append(f"{len(counts.charset)} training samples had labels with characters outside the "
                         f"algorithm's charset and were skipped{eg('charset')}; --set label_policy=drop-chars trains "
                         f"them with those characters removed")
        if counts.dropped_chars:
            lines.append(f"{len(counts.dropped_chars)} training samples were trained with the characters outside "
                         f"the algorithm's charset removed (label_policy=drop-chars){eg('dropped_chars')}")
        return lines

    def _no_usable_sample(self) -> None:
        """A whole epoch gave no optimizer step: stop before any weights are written."""
        lines = self._skip_lines(self._all_counts())
        raise DataError(
            f"no usable training sample in {self.train_source.location} (a whole epoch of "
            f"{len(self.train_source)} samples gave no step): {'; '.join(lines) or 'every batch was unusable'}; "
            f"no weights were written: fix the training data or the settings"
        )

    def _report_skips(self) -> None:
        counts = self._all_counts()
        for line in self._skip_lines(counts):
            ui.warn(line)
        self.log.write("skipped", **{kind: len(getattr(counts, kind)) for kind in _COUNT_KINDS})


def effective_log_every(log_every: int, steps: int) -> int:
    """``log_every``, lowered for a short run so it logs about 10 times (0: no lines in between)."""
    return min(log_every, max(1, steps // 10)) if log_every > 0 else 0


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 07 min`` (``?`` when unknown)."""
    if not math.isfinite(seconds):
        return "?"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def train(task: TrainTask, cfg: TrainConfig, host: PluginHost | None = None) -> TrainResult:
    """Train ``task`` as ``cfg`` says; write ``last.ckpt``, ``last.safetensors`` and (with
    validation data) ``best.safetensors`` to ``cfg.output_dir``.

    ``cfg`` names datasets and the validation protocol; they are opened and resolved through
    ``host`` (default: :func:`strbench.plugin.host.current_host`, the running command's host)."""
    if host is None:
        from strbench.plugin.host import current_host

        host = current_host()
    trainer = _Trainer(task, cfg, host)
    try:
        return trainer.run()
    finally:
        trainer.close()
