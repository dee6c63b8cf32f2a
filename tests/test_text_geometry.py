"""``benchmarks/text_geometry.py``: bend, perspective and slope from 20 edge points (10 along the
top edge left to right, then 10 along the bottom; normalised coordinates -1..1), checked on
constructed point sets whose geometry is known, and the edge points read off drawn ink."""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "text_geometry.py"
X = np.linspace(-0.9, 0.9, 10)


@pytest.fixture(scope="module")
def tg() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("text_geometry_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def edges(top_y: np.ndarray, bottom_y: np.ndarray, x: np.ndarray = X) -> np.ndarray:
    """One image's (20, 2) fiducials from the y of the top and bottom edges at ``x``."""
    top = np.stack([x, np.broadcast_to(top_y, x.shape)], axis=1)
    bottom = np.stack([x, np.broadcast_to(bottom_y, x.shape)], axis=1)
    return np.concatenate([top, bottom])


def batch(*images: np.ndarray) -> np.ndarray:
    return np.stack(images).astype(np.float32)


def rotated(points: np.ndarray, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    return points @ np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])


def test_a_straight_rectangle_is_flat_level_and_square(tg: ModuleType) -> None:
    out = tg.geometry(batch(edges(-0.5, 0.5), edges(-0.2, 0.3)))
    assert set(out) == {"bend", "perspective", "slope_deg"}
    for name, values in out.items():
        assert values.shape == (2,), name
        np.testing.assert_allclose(values, 0.0, atol=1e-5, err_msg=name)


def test_an_arc_bends_in_proportion_to_its_displacement(tg: ModuleType) -> None:
    parabola = 1 - (X / 0.9) ** 2  # 0 at both ends, 1 in the middle
    arcs = [edges(-0.4 - d * parabola, 0.4 - d * parabola) for d in (0.1, 0.2, 0.4)]
    out = tg.geometry(batch(edges(-0.4, 0.4), *arcs))
    bend = out["bend"]
    assert bend[0] == pytest.approx(0.0, abs=1e-5)
    assert bend[1] > 0.05  # clearly bent: 0.1 of displacement on a 0.8 tall word
    np.testing.assert_allclose(bend[2:] / bend[1], [2.0, 4.0], rtol=1e-4)  # linear in the displacement
    # the line fitted through a symmetric arc is level at the arc's mean height: the bend is the
    # largest distance from that mean (at the ends here), in text heights (0.8)
    assert bend[1] == pytest.approx(0.1 * np.abs(parabola - parabola.mean()).max() / 0.8, rel=1e-4)
    # a bend moves both edges together: the ends stay equally tall and level
    np.testing.assert_allclose(out["perspective"], 0.0, atol=1e-5)
    np.testing.assert_allclose(out["slope_deg"], 0.0, atol=1e-4)


def test_a_trapezoid_half_as_tall_on_the_right_has_perspective_ln2(tg: ModuleType) -> None:
    t = (X - X[0]) / (X[-1] - X[0])  # 0 at the left end, 1 at the right
    trapezoid = edges(-0.4 + 0.2 * t, 0.4 - 0.2 * t)  # height 0.8 on the left, 0.4 on the right
    mirrored = edges(-0.2 - 0.2 * t, 0.2 + 0.2 * t)  # the other way round: the measure is absolute
    out = tg.geometry(batch(trapezoid, mirrored))
    np.testing.assert_allclose(out["perspective"], math.log(2), rtol=1e-4)
    np.testing.assert_allclose(out["bend"], 0.0, atol=1e-5)  # straight edges
    np.testing.assert_allclose(out["slope_deg"], 0.0, atol=1e-4)  # symmetric about the centre line


def test_a_rotated_rectangle_slopes_without_bending(tg: ModuleType) -> None:
    rectangle = edges(-0.3, 0.3)
    out = tg.geometry(batch(rectangle, rotated(rectangle, 5.0), rotated(rectangle, -10.0)))
    np.testing.assert_allclose(out["bend"], 0.0, atol=1e-4)
    assert out["slope_deg"][0] == pytest.approx(0.0, abs=1e-4)
    assert 0 < out["slope_deg"][1] < out["slope_deg"][2]  # the sign is dropped, larger turns slope more
    # in normalised units the slope is scaled to the 100 x 32 px input (16 / 50 px per unit)
    assert out["slope_deg"][1] == pytest.approx(math.degrees(math.atan(math.tan(math.radians(5.0)) * 16 / 50)),
                                                rel=1e-3)
    np.testing.assert_allclose(out["perspective"], 0.0, atol=1e-4)


def test_summary_quartiles_and_threshold_shares(tg: ModuleType) -> None:
    values = {"bend": np.linspace(0.0, 0.3, 101), "perspective": np.zeros(101), "slope_deg": np.full(101, 2.0)}
    out = tg.summary(values)
    assert out["samples"] == 101
    assert out["bend"]["median"] == pytest.approx(0.15) and out["bend"]["p90"] == pytest.approx(0.27)
    assert out["bend"]["q1"] == pytest.approx(0.075) and out["bend"]["q3"] == pytest.approx(0.225)
    assert out["bend"]["share_above_0.1"] == pytest.approx(67 / 101, abs=1e-4)
    assert out["bend"]["share_above_0.2"] == pytest.approx(34 / 101, abs=1e-4)
    assert out["perspective"]["share_above_0.15"] == 0.0 and out["perspective"]["share_above_0.3"] == 0.0
    assert out["slope_deg"] == {"q1": 2.0, "median": 2.0, "q3": 2.0, "p90": 2.0}  # no thresholds for slope


def band(height_at: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], dark_on_light: bool = True) -> np.ndarray:
    """A 32 x 100 grey image with an ink band between ``height_at(x) -> (top, bottom)`` rows."""
    x = np.arange(100)
    top, bottom = height_at(x)
    rows = np.arange(32)[:, None]
    ink = (rows >= top[None, :]) & (rows <= bottom[None, :]) & (x[None, :] >= 8) & (x[None, :] < 92)
    image = np.where(ink, 30, 220) if dark_on_light else np.where(ink, 220, 30)
    return image.astype(np.uint8)


def test_ink_of_a_straight_band_is_flat_either_polarity(tg: ModuleType) -> None:
    for dark in (True, False):
        points = tg.ink_fiducials(band(lambda x: (np.full(x.shape, 10), np.full(x.shape, 21)), dark))
        assert points is not None and points.shape == (20, 2)
        g = tg.geometry(points[None])
        assert g["bend"][0] < 0.02 and g["perspective"][0] < 0.02 and g["slope_deg"][0] < 0.5


def test_ink_of_an_arched_band_bends_and_a_tapering_one_has_perspective(tg: ModuleType) -> None:
    def arch(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lift = np.round(8 * (1 - ((x - 50) / 42) ** 2)).clip(0)
        return 14 - lift, 22 - lift

    def taper(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        half = np.round(8 - 4 * (x - 8) / 84)  # 16 rows tall on the left, 8 on the right
        return 16 - half, 16 + half

    bent = tg.geometry(tg.ink_fiducials(band(arch))[None])
    assert bent["bend"][0] > 0.3 and bent["perspective"][0] < 0.2  # ends cut obliquely by the bins
    tapered = tg.geometry(tg.ink_fiducials(band(taper))[None])
    assert tapered["bend"][0] < 0.1 and abs(tapered["perspective"][0] - math.log(2)) < 0.15


def test_an_image_without_ink_is_unmeasured(tg: ModuleType) -> None:
    assert tg.ink_fiducials(np.full((32, 100), 128, np.uint8)) is None
