"""The geometry options of ``strbench data synth`` (``SynthOptions.curve_rate``, ``curve_max``,
``perspective_rate``, ``perspective_jitter``, ``rotation``): the defaults render exactly what the
rates table gives, other values keep every sample's label and font and change its geometry, and
the command line validates them and records them in ``synth-meta.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
from test_synth import WORDS, lmdb_items

from strbench.cli.main import main
from strbench.data.synth import Renderer, SynthOptions, build_renderer, effects
from strbench.data.synth.render import CURVE_RATE, PERSPECTIVE_RATE
from strbench.data.validate import validate_lmdb

SEED = 11
COUNT = 60
DEFAULTS = {"curve_rate": CURVE_RATE, "curve_max": 0.30, "perspective_rate": PERSPECTIVE_RATE,
            "perspective_jitter": 0.12, "rotation": 5.0}


@pytest.fixture(scope="module")
def word_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("words") / "words.txt"
    path.write_text("\n".join(WORDS) + "\n")
    return path


@pytest.fixture(scope="module")
def sources(fonts, word_file: Path) -> tuple[Any, Any, Any]:
    """Fonts, words and backgrounds loaded once; each test builds renderers over them."""
    renderer, _ = build_renderer(SynthOptions(seed=SEED), word_files=[word_file], background_dir=True)
    return renderer.faces, renderer.words, renderer.backgrounds


def renderer(sources: tuple[Any, Any, Any], **geometry: float) -> Renderer:
    return Renderer(SynthOptions(seed=SEED, **geometry), *sources)


@dataclass
class Sample:
    label: str
    image: bytes
    font: int
    line_h: int
    amplitude: float | None  # the bend in pixels, None when not curved
    quad: tuple[float, float] | None  # (rotation degrees, corner jitter px), None without a warp
    state: tuple  # the sample's random state after all its draws


@pytest.fixture
def trace(monkeypatch: pytest.MonkeyPatch):
    """Render samples 0..COUNT-1 while recording the font, line height and geometry each one got."""
    seen: dict[str, Any] = {}
    real_image, real_layout, real_curve, real_quad = (Renderer._image, Renderer._layout, effects.curve,
                                                      effects.distort_quad)

    def image(self, r, label, font):
        seen["font"] = font
        out = real_image(self, r, label, font)
        seen["state"] = r.getstate()
        return out

    def layout(self, r, label, font, stroke):
        masks, line_h = real_layout(self, r, label, font, stroke)
        seen["line_h"] = line_h
        return masks, line_h

    def curve(masks, r, amplitude):
        seen["amplitude"] = amplitude
        return real_curve(masks, r, amplitude)

    def distort_quad(r, w, h, angle, jitter):
        seen["quad"] = (angle, jitter)
        return real_quad(r, w, h, angle, jitter)

    monkeypatch.setattr(Renderer, "_image", image)
    monkeypatch.setattr(Renderer, "_layout", layout)
    monkeypatch.setattr(effects, "curve", curve)
    monkeypatch.setattr(effects, "distort_quad", distort_quad)

    def run(r: Renderer) -> list[Sample]:
        out = []
        for i in range(COUNT):
            seen.clear()
            label, data = r.sample(i)
            out.append(Sample(label, data, seen["font"], seen["line_h"], seen.get("amplitude"), seen.get("quad"),
                              seen["state"]))
        return out

    return run


def plain(sample: Sample) -> bool:
    """Neither bent nor warped (rotated or distorted)."""
    return sample.amplitude is None and sample.quad is None


# --- the renderer --------------------------------------------------------------------------------


def test_geometry_defaults_are_the_rates_table() -> None:
    options = asdict(SynthOptions())
    assert {name: options[name] for name in DEFAULTS} == DEFAULTS


def test_explicit_defaults_render_the_same_bytes(sources) -> None:
    default = renderer(sources)
    explicit = renderer(sources, curve_rate=0.12, curve_max=0.3, perspective_rate=0.35, perspective_jitter=0.12,
                        rotation=5)
    for i in range(COUNT):
        assert default.sample(i) == explicit.sample(i), i


def test_strong_curves_keep_labels_and_fonts_and_bend_every_word(sources, trace) -> None:
    default, strong = trace(renderer(sources)), trace(renderer(sources, curve_rate=1.0, curve_max=1.0))
    assert [(s.label, s.font) for s in strong] == [(s.label, s.font) for s in default]
    assert [s.line_h for s in strong] == [s.line_h for s in default]
    changed = sum(a.image != b.image for a, b in zip(default, strong))
    assert changed >= COUNT // 2, changed
    # every word is bent, by 8% to 100% of its line height; the default bends some by 8-30%
    assert all(s.amplitude is not None for s in strong)
    ratios = [s.amplitude / s.line_h for s in strong]
    assert min(ratios) >= 0.08 - 1e-9 and max(ratios) <= 1.0 + 1e-9 and max(ratios) > 0.30
    bent = [(a, b) for a, b in zip(default, strong) if a.amplitude is not None]
    assert bent and all(0.08 - 1e-9 <= a.amplitude / a.line_h <= 0.30 + 1e-9 for a, _ in bent)
    assert sum(s.amplitude is not None for s in default) < COUNT // 2
    # the same draw on a wider range: a bent word only bends further
    assert all(b.amplitude >= a.amplitude for a, b in bent)


def test_a_curve_max_below_the_smallest_bend_is_the_bend(sources, trace) -> None:
    samples = trace(renderer(sources, curve_rate=1.0, curve_max=0.05))
    for s in samples:
        assert s.amplitude == pytest.approx(0.05 * s.line_h)


def test_no_geometry_keeps_labels_and_leaves_plain_samples_untouched(sources, trace) -> None:
    default = trace(renderer(sources))
    flat = trace(renderer(sources, curve_rate=0.0, perspective_rate=0.0, rotation=0.0))
    assert [(s.label, s.font) for s in flat] == [(s.label, s.font) for s in default]
    assert all(plain(s) for s in flat)  # nothing bent, rotated or distorted
    untouched = [(a, b) for a, b in zip(default, flat) if plain(a)]
    shaped = [(a, b) for a, b in zip(default, flat) if not plain(a)]
    assert untouched and shaped
    assert all(a.image == b.image for a, b in untouched)  # same draws: the very same image
    assert any(a.image != b.image for a, b in shaped)


def test_stronger_geometry_at_the_same_rates_changes_only_the_geometry(sources, trace) -> None:
    default = trace(renderer(sources))
    strong = trace(renderer(sources, curve_max=1.0, perspective_jitter=0.3, rotation=12.0))
    assert [(s.label, s.font) for s in strong] == [(s.label, s.font) for s in default]
    # the same samples are bent and warped, each further than by default
    assert [s.amplitude is None for s in strong] == [s.amplitude is None for s in default]
    assert [s.quad is None for s in strong] == [s.quad is None for s in default]
    for a, b in zip(default, strong):
        if a.amplitude is not None:
            assert b.amplitude >= a.amplitude
        if a.quad is not None:
            assert b.quad[0] == pytest.approx(a.quad[0] * 12 / 5, abs=1e-9)  # the same draw, scaled
            assert a.quad[1] in (0.0, pytest.approx(0.12 * a.line_h))
            assert b.quad[1] == (0.0 if a.quad[1] == 0.0 else pytest.approx(0.3 * b.line_h))
    assert max(abs(s.quad[0]) for s in strong if s.quad) > 5
    assert all(a.image == b.image for a, b in zip(default, strong) if plain(a))
    assert any(a.image != b.image for a, b in zip(default, strong) if not plain(a))
    # the other draws (colours, background, degradations) stay the same; only a fill colour redrawn
    # for contrast where the moved text lands on another part of the background can differ
    same_draws = sum(a.state == b.state for a, b in zip(default, strong))
    assert same_draws >= 0.9 * COUNT, same_draws


# --- the command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--curve-rate", "1.5", "--curve-rate must be in 0..1"),
    ("--curve-rate", "-0.1", "--curve-rate must be in 0..1"),
    ("--curve-rate", "nan", "--curve-rate must be in 0..1"),
    ("--curve-max", "0", "--curve-max must be in (0, 2] line heights"),
    ("--curve-max", "2.5", "--curve-max must be in (0, 2] line heights"),
    ("--perspective-rate", "1.01", "--perspective-rate must be in 0..1"),
    ("--perspective-rate", "-1", "--perspective-rate must be in 0..1"),
    ("--perspective-jitter", "-0.01", "--perspective-jitter must be in 0..1 line heights"),
    ("--perspective-jitter", "1.5", "--perspective-jitter must be in 0..1 line heights"),
    ("--rotation", "-1", "--rotation must be in 0..45 degrees"),
    ("--rotation", "46", "--rotation must be in 0..45 degrees"),
])
def test_cli_rejects_out_of_range_geometry(option: str, value: str, message: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["-q", "data", "synth", str(out), "--count", "5", "--no-backgrounds", option, value])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not out.exists()


def synth(out: Path, word_file: Path, *extra: str) -> int:
    return main(["-q", "data", "synth", str(out), "--count", "20", "--seed", "3", "--words", str(word_file),
                 "--no-backgrounds", *extra])


def test_cli_records_geometry_and_keeps_the_labels(fonts, word_file: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    geometry = ["--curve-rate", "1", "--curve-max", "2", "--perspective-rate", "0.6", "--perspective-jitter", "1",
                "--rotation", "45"]  # the largest values accepted
    assert synth(tmp_path / "default", word_file) == 0, capsys.readouterr().err
    assert synth(tmp_path / "irregular", word_file, *geometry) == 0, capsys.readouterr().err
    assert validate_lmdb(tmp_path / "irregular").ok
    meta = json.loads((tmp_path / "irregular" / "synth-meta.json").read_text())
    assert meta["count"] == 20
    assert meta["options"] == asdict(SynthOptions(seed=3, curve_rate=1.0, curve_max=2.0, perspective_rate=0.6,
                                                  perspective_jitter=1.0, rotation=45.0))
    default_meta = json.loads((tmp_path / "default" / "synth-meta.json").read_text())
    assert {name: default_meta["options"][name] for name in DEFAULTS} == DEFAULTS
    plain_items, irregular = lmdb_items(tmp_path / "default"), lmdb_items(tmp_path / "irregular")
    labels = [b"label-%09d" % i for i in range(1, 21)]
    images = [b"image-%09d" % i for i in range(1, 21)]
    assert [irregular[k] for k in labels] == [plain_items[k] for k in labels]
    assert sum(irregular[k] != plain_items[k] for k in images) >= 15  # every word is bent at least


def test_cli_explicit_defaults_write_the_same_lmdb(fonts, word_file: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert synth(tmp_path / "implicit", word_file) == 0, capsys.readouterr().err
    assert synth(tmp_path / "explicit", word_file, "--curve-rate", "0.12", "--curve-max", "0.3",
                 "--perspective-rate", "0.35", "--perspective-jitter", "0.12", "--rotation", "5") == 0
    assert lmdb_items(tmp_path / "explicit") == lmdb_items(tmp_path / "implicit")
