"""MJSynth-style synthetic word images written straight to a clovaai LMDB (``strbench data synth``).

Modules: :mod:`.fonts` (font discovery, glyph cache), :mod:`.words` (word lists, label sampling and
its rates), :mod:`.effects` (colours, backgrounds, warps, degradations), :mod:`.render` (the
per-sample pipeline and its rates), :mod:`.writer` (worker pool, ordered LMDB writing).
See docs/synth.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from strbench.data.synth.effects import background_files, load_backgrounds
from strbench.data.synth.fonts import MIN_FONTS, discover_fonts
from strbench.data.synth.render import Renderer, SynthOptions
from strbench.data.synth.words import default_word_files, load_words
from strbench.data.synth.writer import (
    GENERATOR_VERSION,
    RenderPool,
    SynthReport,
    iter_samples,
    write_synth_lmdb,
)
from strbench.errors import DataError

#: Environment variable naming the real training root (its images are the natural backgrounds).
TRAIN_ROOT_ENV = "STRBENCH_TRAIN_ROOT"

__all__ = ["GENERATOR_VERSION", "RenderPool", "Renderer", "SynthOptions", "SynthReport", "SynthSources", "build_renderer",
           "default_background_dir", "iter_samples", "write_synth_lmdb"]


#: Used when the variable is unset: the data folder beside a repository checkout, relative to the
#: directory the command runs from (the repository root).
DEFAULT_TRAIN_ROOT = Path("..") / "shared" / "data" / "str-train"


def default_background_dir() -> Path | None:
    """``$STRBENCH_TRAIN_ROOT``, else :data:`DEFAULT_TRAIN_ROOT`, if it exists."""
    env = os.environ.get(TRAIN_ROOT_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(DEFAULT_TRAIN_ROOT)
    return next((c for c in candidates if c.is_dir()), None)


@dataclass
class SynthSources:
    """Where fonts, words and backgrounds came from (recorded in the metadata)."""

    font_dirs: list[str]
    word_files: list[str]
    background_dir: str | None
    background_files: int

    def as_dict(self) -> dict:
        return {"font_dirs": self.font_dirs, "word_files": self.word_files,
                "background_dir": self.background_dir, "background_files": self.background_files}


def build_renderer(options: SynthOptions, *, font_dirs: list[Path] | None = None,
                   word_files: list[Path] | None = None, background_dir: Path | None | bool = True,
                   min_fonts: int = MIN_FONTS) -> tuple[Renderer, SynthSources]:
    """A renderer from the default or given sources. ``background_dir``: a folder or a label file
    (:func:`strbench.data.synth.effects.background_files`), True for
    :func:`default_background_dir` (plain/gradient backgrounds when absent), False/None for none."""
    from strbench.data.synth.fonts import default_font_dirs

    dirs = [Path(d) for d in font_dirs] if font_dirs else default_font_dirs()
    faces = discover_fonts(dirs, minimum=min_fonts)
    files = [Path(f) for f in word_files] if word_files else default_word_files()
    words = load_words(files if word_files else None)
    folder = default_background_dir() if background_dir is True else (Path(background_dir) if background_dir else None)
    images, listed = [], 0
    if folder is not None:
        if not (folder.is_dir() or folder.is_file()):
            raise DataError(f"background folder or label file {folder} does not exist")
        found = background_files(folder)
        if "str-benchmarks" in folder.resolve().parts or any("str-benchmarks" in p.resolve().parts for p in found):
            raise DataError(f"{folder} is or names images inside the benchmark test sets; backgrounds must come "
                            f"from training images (e.g. ../shared/data/str-train)")
        listed = len(found)
        images = load_backgrounds(found)
        if not images:
            raise DataError(f"no readable images (jpg/png/bmp) in the backgrounds {folder}")
    sources = SynthSources([str(d) for d in dirs], [str(f) for f in files],
                           None if folder is None else str(folder), listed)
    return Renderer(options, faces, words, images), sources
