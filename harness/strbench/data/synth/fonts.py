"""Font discovery and per-worker glyph cache.

Discovery walks the search folders (``/usr/share/fonts`` and trdg's ``fonts/latin`` by default),
sorts the TTF/OTF files, and keeps those whose FreeType rendering has every ASCII letter and digit
(a glyph that is not the font's ``.notdef`` box and has ink). Symbol/maths/emoji faces are skipped
by name (they map letters to other shapes). Fonts whose lowercase glyphs equal their capitals
(Bebas, Capture it), or are scaled-down capitals (small-caps faces: named "... SC"/"Smallcaps", or
whose lowercase glyphs overlap their scaled capitals, such as Amatic Bold), are
marked ``caps_only``; their labels are upper-cased when they draw.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from strbench.errors import DataError

#: Fewer usable fonts than this is an error (the data would lack typeface variety).
MIN_FONTS = 10
#: Font size (pixels per em) every glyph is rendered at; images are rescaled to their final height.
FONT_SIZE = 28
FONT_SUFFIXES = (".ttf", ".otf")
#: Version of :func:`check_font`'s rules (cached results of another version are ignored).
CHECK_VERSION = 2
#: Strokes thinner than this (pixels at FONT_SIZE) are thickened when drawn (Lato Hairline: 0.33).
MIN_STEM = 1.5
#: Above this :func:`small_caps_similarity` a face is treated as capitals only.
SMALL_CAPS_SIMILARITY = 0.7
REQUIRED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#: Every character a label may contain (printable ASCII without space).
CHARSET = "".join(chr(c) for c in range(0x21, 0x7F))
#: Family/file names containing one of these are not text faces.
DENYLIST = ("symbol", "dingbat", "math", "emoji", "icon", "wingding", "ornament", "d050000l", "keyboard",
            "fontawesome")
_NOTDEF_PROBE = "\U0010fffd"  # a private-use code point no text font maps


@dataclass(frozen=True)
class FontFace:
    """One usable font file: its family (for sampling) and the characters it lacks."""

    path: str
    family: str
    caps_only: bool
    missing: str  # characters of :data:`CHARSET` the font cannot draw
    stem: float = 3.0  # width in pixels of the vertical stems of "I" and "l" at FONT_SIZE

    @property
    def bolden(self) -> int:
        """Pixels to thicken the strokes of hairline/thin faces by (they vanish at 32 px height)."""
        return max(0, math.ceil(MIN_STEM - self.stem))


def default_font_dirs() -> list[Path]:
    """``/usr/share/fonts`` and, when the trdg wheel is installed, its ``fonts/latin`` (code not imported)."""
    dirs = [Path("/usr/share/fonts")]
    trdg = trdg_dir()
    if trdg is not None:
        dirs.append(trdg / "fonts" / "latin")
    return dirs


def trdg_dir() -> Path | None:
    """The installed trdg package folder, found without importing (and so running) its code."""
    try:
        spec = importlib.util.find_spec("trdg")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def font_files(dirs: list[Path]) -> list[Path]:
    """Every TTF/OTF file below ``dirs``, sorted by path, without duplicates."""
    files = {p.resolve() for d in dirs if d.is_dir() for p in d.rglob("*") if p.suffix.lower() in FONT_SUFFIXES}
    return sorted(files)


def _mask(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray:
    im = Image.new("L", (2 * FONT_SIZE, 2 * FONT_SIZE))
    ImageDraw.Draw(im).text((FONT_SIZE // 2, FONT_SIZE // 2), char, font=font, fill=255)
    return np.asarray(im)


def _ink(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask > 64)
    return mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def small_caps_similarity(masks: dict[str, np.ndarray], letters: str = "aegnrt") -> float:
    """Mean overlap (IoU) of lowercase glyphs with their capitals scaled to the same box: near 1 for
    small-caps faces, about 0.5 or less for ordinary ones."""
    scores = []
    for c in letters:
        lower, upper = _ink(masks[c]), _ink(masks[c.upper()])
        scaled = cv2.resize(upper, lower.shape[::-1], interpolation=cv2.INTER_AREA) > 100
        lower = lower > 100
        scores.append((lower & scaled).sum() / max((lower | scaled).sum(), 1))
    return float(np.mean(scores))


@lru_cache(maxsize=4096)
def check_font(path: str) -> FontFace | None:
    """The :class:`FontFace` of ``path``, or None when it cannot render letters and digits."""
    try:
        font = ImageFont.truetype(path, FONT_SIZE, layout_engine=ImageFont.Layout.BASIC)
        family, style = font.getname()
    except (OSError, ValueError):
        return None
    family = family or Path(path).stem
    if any(word in f"{family} {style} {Path(path).name}".lower() for word in DENYLIST):
        return None
    notdef = _mask(font, _NOTDEF_PROBE)
    masks = {c: _mask(font, c) for c in CHARSET}
    missing = "".join(c for c, m in masks.items() if not m.any() or np.array_equal(m, notdef))
    if any(c in missing for c in REQUIRED):
        return None
    same = sum(np.array_equal(masks[c], masks[c.upper()]) for c in "abdegnqrt")
    stem = float(np.mean([(m.astype(np.float32) / 255).sum() / max(int((m > 64).any(axis=1).sum()), 1)
                          for m in (masks["I"], masks["l"])]))
    named_sc = family.endswith(" SC") or any(w in family.lower() for w in ("smallcaps", "small caps"))
    caps_only = same >= 7 or named_sc or small_caps_similarity(masks) > SMALL_CAPS_SIMILARITY
    return FontFace(path=path, family=family, caps_only=caps_only, missing=missing, stem=round(stem, 3))


def _cache_file() -> Path:
    from strbench.weights.download import cache_root

    return cache_root() / "synth-fonts.json"


def _checked(paths: list[Path], use_cache: bool) -> list[FontFace | None]:
    """:func:`check_font` of each path, remembered on disk by (path, size, mtime) between runs."""
    cache_file = _cache_file() if use_cache else None
    stored: dict = {}
    if cache_file is not None:
        try:
            stored = json.loads(cache_file.read_text())
            stored = stored.get("entries", {}) if stored.get("version") == CHECK_VERSION else {}
        except (OSError, ValueError, AttributeError):
            stored = {}
    results, fresh = [], {}
    for path in paths:
        st = path.stat()
        key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
        if key in stored:
            entry = stored[key]
            face = None if entry is None else FontFace(str(path), entry[0], bool(entry[1]), entry[2], entry[3])
        else:
            face = check_font(str(path))
        fresh[key] = None if face is None else [face.family, face.caps_only, face.missing, face.stem]
        results.append(face)
    if cache_file is not None and fresh != stored:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": CHECK_VERSION, "entries": {**stored, **fresh}}))
            tmp.replace(cache_file)
        except OSError:
            pass  # a read-only home only costs the check next time
    return results


def discover_fonts(dirs: list[Path] | None = None, minimum: int = MIN_FONTS, use_cache: bool = True) -> list[FontFace]:
    """Usable fonts below ``dirs`` (default :func:`default_font_dirs`), in sorted path order; the
    per-file checks are cached in ``<strbench cache>/synth-fonts.json``."""
    dirs = default_font_dirs() if not dirs else [Path(d) for d in dirs]
    faces = [f for f in _checked(font_files(dirs), use_cache) if f is not None]
    if len(faces) < minimum:
        searched = ", ".join(str(d) for d in dirs)
        raise DataError(f"found {len(faces)} usable fonts (need at least {minimum}) in {searched}; install "
                        f"Debian fonts (apt-get install fonts-liberation2 fonts-dejavu-extra fonts-urw-base35 ...), "
                        f"'pip install --no-deps trdg==1.8.0', or pass --fonts DIR with TTF/OTF files")
    return faces


@dataclass
class Glyph:
    """A rendered glyph: coverage mask, offset of its top-left from the pen on the baseline, advance."""

    mask: np.ndarray
    dx: int
    dy: int
    advance: float
    height: int
    width: int


class GlyphCache:
    """Glyph bitmaps per (font, character), rendered on first use in this process."""

    def __init__(self, faces: list[FontFace]) -> None:
        self.faces = faces
        self._fonts: dict[int, ImageFont.FreeTypeFont] = {}
        self._glyphs: dict[tuple[int, str], Glyph] = {}
        self._lines: dict[int, tuple[int, int]] = {}

    def font(self, index: int) -> ImageFont.FreeTypeFont:
        font = self._fonts.get(index)
        if font is None:
            font = ImageFont.truetype(self.faces[index].path, FONT_SIZE, layout_engine=ImageFont.Layout.BASIC)
            self._fonts[index] = font
        return font

    def glyph(self, index: int, char: str) -> Glyph:
        glyph = self._glyphs.get((index, char))
        if glyph is None:
            font = self.font(index)
            left, top, right, bottom = font.getbbox(char, anchor="ls")
            im = Image.new("L", (max(right - left, 1), max(bottom - top, 1)))
            ImageDraw.Draw(im).text((-left, -top), char, font=font, anchor="ls", fill=255)
            mask = np.asarray(im)
            glyph = Glyph(mask, left, top, font.getlength(char), mask.shape[0], mask.shape[1])
            self._glyphs[(index, char)] = glyph
        return glyph

    def line(self, index: int) -> tuple[int, int]:
        """Top and bottom of the font's line box ("Hg" ascender to descender) relative to the baseline."""
        box = self._lines.get(index)
        if box is None:
            _, top, _, bottom = self.font(index).getbbox("Hdg", anchor="ls")
            box = self._lines[index] = (top, bottom)
        return box
