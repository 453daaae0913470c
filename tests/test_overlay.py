"""Exact pixel tests for snowcam.overlay: expected images are built independently with numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import textured_frame
from numpy.testing import assert_array_equal

from snowcam.overlay import PremultipliedImage, alpha_blend, blend_premultiplied, blend_rgba, magnify


def _translation(dx: float, dy: float, scale: float = 1.0) -> np.ndarray:
    return np.array([[scale, 0.0, dx], [0.0, scale, dy]])


def _opaque_sticker(h: int, w: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sticker = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    sticker[..., 3] = 255
    return sticker


def test_opaque_sticker_with_integer_translation_is_a_plain_copy() -> None:
    frame = textured_frame(20, 30)
    sticker = _opaque_sticker(8, 10)
    expected = frame.copy()
    expected[7:15, 5:15] = sticker[..., :3]

    blend_rgba(frame, sticker, _translation(5, 7))

    assert_array_equal(frame, expected)


def test_half_alpha_over_known_colours_gives_the_hand_computed_value() -> None:
    frame = np.zeros((12, 12, 3), np.uint8)
    frame[:] = (100, 50, 200)
    sticker = np.zeros((4, 4, 4), np.uint8)
    sticker[:] = (200, 150, 0, 128)
    # out = c·128/255 + o·127/255, rounded: B (25600 + 12700)/255 = 150.2, G (19200 + 6350)/255 = 100.2,
    # R (0 + 25400)/255 = 99.6.
    expected = frame.copy()
    expected[4:8, 3:7] = (150, 100, 100)

    blend_rgba(frame, sticker, _translation(3, 4))

    assert_array_equal(frame, expected)


def test_fully_transparent_pixels_leave_the_frame_unchanged_whatever_their_colour() -> None:
    frame = textured_frame(16, 16)
    sticker = _opaque_sticker(10, 10)
    sticker[..., 3] = 0
    before = frame.copy()

    blend_rgba(frame, sticker, np.array([[0.9, 0.3, 2.2], [-0.3, 0.9, 4.7]]))

    assert_array_equal(frame, before)


def test_subpixel_edges_have_no_dark_fringe() -> None:
    # White opaque square inside a transparent border whose (invisible) colour is black: blending
    # straight alpha bilinearly would pull the edge pixels toward black; premultiplied must not.
    frame = np.full((30, 30, 3), 255, np.uint8)
    sticker = np.zeros((12, 12, 4), np.uint8)
    sticker[3:9, 3:9] = 255

    blend_rgba(frame, sticker, _translation(7.5, 8.25))

    assert_array_equal(frame, np.full_like(frame, 255))


def test_subpixel_edges_are_anti_aliased() -> None:
    frame = np.zeros((10, 10, 3), np.uint8)
    sticker = np.full((4, 4, 4), 255, np.uint8)

    blend_rgba(frame, sticker, _translation(2.5, 2.0))

    # Columns 2 and 6 are half covered (bilinear sample halfway between a sticker pixel and outside).
    assert_array_equal(frame[3, :, 0], [0, 0, 128, 255, 255, 255, 128, 0, 0, 0])


@pytest.mark.parametrize(
    ("dx", "dy"),
    [(-5, -3), (25, 4), (4, 16), (-6, 17), (-40, 0), (0, 50), (30, 20)],
    ids=["top-left", "right", "bottom", "bottom-left", "outside-left", "outside-below", "corner-out"],
)
def test_sticker_is_clipped_at_the_frame_border(dx: int, dy: int) -> None:
    frame = textured_frame(20, 30)
    sticker = _opaque_sticker(8, 10)
    # Expected: paste into a frame padded by 64 px on every side, then cut the frame back out.
    pad = 64
    canvas = np.zeros((20 + 2 * pad, 30 + 2 * pad, 3), np.uint8)
    canvas[pad : pad + 20, pad : pad + 30] = frame
    canvas[pad + dy : pad + dy + 8, pad + dx : pad + dx + 10] = sticker[..., :3]
    expected = canvas[pad : pad + 20, pad : pad + 30]

    blend_rgba(frame, sticker, _translation(dx, dy))

    assert_array_equal(frame, expected)


def test_strongly_shrunk_sticker_keeps_its_place_and_colour() -> None:
    # Shrinking by 4 goes through a pre-shrunk level; its footprint must not shift.
    frame = np.zeros((40, 40, 3), np.uint8)
    sticker = np.full((64, 64, 4), 255, np.uint8)

    blend_rgba(frame, sticker, _translation(10.0, 6.0, scale=0.25))

    # Sticker pixel x maps to 0.25·x + 10, so its footprint spans [9.875, 25.875] × [5.875, 21.875].
    assert (frame[7:21, 11:25] == 255).all()
    assert (frame[:5] == 0).all() and (frame[23:] == 0).all()
    assert (frame[:, :9] == 0).all() and (frame[:, 27:] == 0).all()
    coverage = frame[..., 0].astype(np.float64) / 255.0
    ys, xs = np.mgrid[0:40, 0:40]
    assert coverage.sum() == pytest.approx(16.0 * 16.0, rel=0.03)
    assert (coverage * xs).sum() / coverage.sum() == pytest.approx(17.875, abs=0.1)
    assert (coverage * ys).sum() / coverage.sum() == pytest.approx(13.875, abs=0.1)


def test_prepared_sticker_blends_like_blend_rgba() -> None:
    sticker = _opaque_sticker(9, 13)
    sticker[..., 3] = np.arange(9 * 13, dtype=np.uint8).reshape(9, 13) * 2
    affine = np.array([[0.8, -0.4, 6.3], [0.4, 0.8, 3.1]])
    a, b = textured_frame(24, 24), textured_frame(24, 24)

    blend_rgba(a, sticker, affine)
    blend_premultiplied(b, PremultipliedImage.from_rgba(sticker), affine)

    assert_array_equal(a, b)
    assert not np.array_equal(a, textured_frame(24, 24))


def test_blend_rejects_bad_input() -> None:
    frame = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="H×W×4"):
        blend_rgba(frame, np.zeros((4, 4, 3), np.uint8), _translation(0, 0))
    with pytest.raises(ValueError, match="2×3"):
        blend_rgba(frame, np.zeros((4, 4, 4), np.uint8), np.eye(3))
    with pytest.raises(ValueError, match="H×W×3 uint8"):
        blend_rgba(np.zeros((8, 8), np.uint8), np.zeros((4, 4, 4), np.uint8), _translation(0, 0))


@pytest.mark.parametrize(("x", "y"), [(2, 3), (-2, -1), (5, 6), (9, 9)])
def test_alpha_blend_pastes_clipped_patch(x: int, y: int) -> None:
    frame = textured_frame(8, 8)
    patch = np.full((4, 4, 3), 200, np.uint8)
    expected = frame.copy()
    canvas = np.zeros((16, 16, 3), np.uint8)
    canvas[4:12, 4:12] = expected
    canvas[4 + y : 8 + y, 4 + x : 8 + x] = (
        canvas[4 + y : 8 + y, 4 + x : 8 + x].astype(np.float64) + 200
    ) / 2 + 0.5
    expected = canvas[4:12, 4:12]

    alpha_blend(frame, patch, 0.5, x, y)

    assert_array_equal(frame, expected)


def _elliptical_radius(
    shape: tuple[int, int], center: tuple[float, float], radii: tuple[float, float], angle_deg: float
) -> np.ndarray:
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    t = math.radians(angle_deg)
    dx, dy = xs - center[0], ys - center[1]
    u = (dx * math.cos(t) + dy * math.sin(t)) / radii[0]
    v = (-dx * math.sin(t) + dy * math.cos(t)) / radii[1]
    return np.sqrt(u * u + v * v)


def test_magnify_with_strength_zero_is_identity() -> None:
    src = textured_frame(60, 80)
    out = textured_frame(60, 80, seed=3)
    expected = out.copy()

    magnify(out, src, (40, 30), (25, 15), 0.0, angle_deg=20)

    assert_array_equal(out, expected)


@pytest.mark.parametrize(
    ("center", "radii", "angle"),
    [
        ((40.0, 30.0), (25.0, 15.0), 30.0),
        ((3.5, 57.2), (20.0, 12.0), -70.0),
        ((-5.0, 10.0), (18.0, 18.0), 0.0),
    ],
    ids=["inside", "near-corner", "centre-outside"],
)
def test_magnify_changes_nothing_outside_the_ellipse(
    center: tuple[float, float], radii: tuple[float, float], angle: float
) -> None:
    src = textured_frame(60, 80)
    out = src.copy()

    magnify(out, out, center, radii, 0.8, angle_deg=angle)

    outside = _elliptical_radius(src.shape[:2], center, radii, angle) >= 1.0
    assert_array_equal(out[outside], src[outside])
    assert not np.array_equal(out[~outside], src[~outside])


def test_magnify_follows_its_documented_radial_map() -> None:
    # A ramp image (value = x) shows where each output pixel sampled from along the axis.
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (41, 1, 3))
    out = ramp.copy()
    strength, radius = 0.5, 60.0
    k = strength / (1.0 + strength)

    magnify(out, ramp, (128.0, 20.0), radius, strength)

    d = np.arange(-70, 71)
    r = np.abs(d) / radius
    expected = 128 + d * np.where(r < 1, 1 - k * (1 - r**2) ** 2, 1.0)
    assert np.abs(out[20, 128 + d, 0].astype(np.float64) - expected).max() <= 0.51
    # Centre magnified by 1 + strength: 10 px of output cover 10 / 1.5 px of input.
    assert out[20, 133, 0] - out[20, 123, 0] in (6, 7)


def test_magnify_never_folds() -> None:
    ramp = np.tile(np.arange(200, dtype=np.uint8)[None, :, None], (9, 1, 3))
    out = ramp.copy()

    magnify(out, out, (100.0, 4.0), (80.0, 30.0), 5.0)

    assert (np.diff(out[4, :, 0].astype(np.int32)) >= 0).all()


def test_magnify_reading_its_own_output_equals_reading_a_copy() -> None:
    src = textured_frame(50, 50)
    a, b = src.copy(), src.copy()

    magnify(a, a, (24.3, 25.1), (16.0, 11.0), 0.4, angle_deg=15)
    magnify(b, src.copy(), (24.3, 25.1), (16.0, 11.0), 0.4, angle_deg=15)

    assert_array_equal(a, b)


def test_magnify_rejects_bad_arguments() -> None:
    frame = textured_frame(10, 10)
    with pytest.raises(ValueError, match="strength"):
        magnify(frame, frame, (5, 5), 3.0, -0.1)
    with pytest.raises(ValueError, match="radii"):
        magnify(frame, frame, (5, 5), (3.0, 0.0), 0.5)
    with pytest.raises(ValueError, match="src must match"):
        magnify(frame, frame[:5], (5, 5), 3.0, 0.5)
