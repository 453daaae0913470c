"""Beauty filters: where they act, what they keep, and that strength scales them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from helpers import face_from_template, textured_frame

from snowcam.filters import FILTERS, create_filter, render
from snowcam.filters.beauty import face_outline
from snowcam.types import Face

H, W = 240, 320
BEAUTY = [n for n in FILTERS if FILTERS[n].group == "beauty"]


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != b).any(axis=2)


def _polygon_mask(points: np.ndarray, grow_px: int = 0) -> np.ndarray:
    mask = np.zeros((H, W), np.uint8)
    cv2.fillPoly(mask, [np.rint(points).astype(np.int32)], 1)
    if grow_px:
        mask = cv2.dilate(mask, np.ones((2 * grow_px + 1, 2 * grow_px + 1), np.uint8))
    return mask.astype(bool)


def _face() -> Face:
    return face_from_template((160, 100), 90)


def test_there_are_at_least_five_beauty_filters_all_with_strength() -> None:
    assert len(BEAUTY) >= 5 and "big-eyes" in BEAUTY
    for name in BEAUTY:
        assert FILTERS[name].has_strength and FILTERS[name].default_strength > 0


@pytest.mark.parametrize("name", BEAUTY)
def test_strength_zero_is_the_identity_and_more_strength_changes_more(name: str) -> None:
    frame = textured_frame(H, W)
    face = _face()
    diffs = [
        np.abs(render(frame, [face], [create_filter(name, s)]).astype(int) - frame).sum() for s in (0, 0.4, 1)
    ]
    assert diffs[0] == 0 < diffs[1] < diffs[2]


def test_smoothing_stays_on_the_face_and_keeps_eyes_brows_and_lips_sharp() -> None:
    frame = textured_frame(H, W)
    face = _face()
    assert face.keypoints is not None
    xy = face.keypoints.xy_px.astype(np.float64)
    out = render(frame, [face], [create_filter("beauty-smooth", 1.0)])
    changed = _changed(out, frame)
    assert not changed[~_polygon_mask(face_outline(xy), grow_px=2)].any(), "smoothed outside the face outline"
    quad = np.array([xy[2], xy[31], xy[48], xy[5]])
    cheeks = _polygon_mask(quad.mean(axis=0) + (quad - quad.mean(axis=0)) * 0.7)
    assert changed[cheeks].mean() > 0.9, "the cheeks are smoothed"
    smoothed = np.abs(cv2.Laplacian(out, cv2.CV_32F)).sum(axis=2)
    original = np.abs(cv2.Laplacian(frame, cv2.CV_32F)).sum(axis=2)
    assert smoothed[cheeks].mean() < 0.6 * original[cheeks].mean(), "the cheeks lose fine texture"
    for part in (xy[36:42], xy[42:48], xy[48:60]):
        core = _polygon_mask(part.mean(axis=0) + (part - part.mean(axis=0)) * 0.8)
        assert not changed[core].any(), "eyes and lips stay sharp"
    for brow in (xy[17:22], xy[22:27]):
        assert not changed[np.rint(brow[1:4, 1]).astype(int), np.rint(brow[1:4, 0]).astype(int)].any()


def test_slimming_pulls_the_jaw_in_without_an_edge() -> None:
    # Vertical stripes: a horizontal warp shows as a shift of the stripes.
    x = np.arange(W)
    stripes = (127 + 100 * np.sin(x / 4.0)).astype(np.uint8)
    frame = np.repeat(np.repeat(stripes[None, :, None], H, axis=0), 3, axis=2)
    face = _face()
    assert face.keypoints is not None
    xy = face.keypoints.xy_px.astype(np.float64)
    out = render(frame, [face], [create_filter("beauty-slim", 1.0)])
    changed = _changed(out, frame)
    assert changed.any()
    # The pull is towards the centre line: at the lower cheeks the picture moves inwards.
    row = round(xy[5, 1])
    diff = out[row, :, 0].astype(int) - frame[row, :, 0].astype(int)
    assert np.abs(diff[: int(xy[5, 0]) + 10]).max() > 20
    assert not changed[:, :40].any() and not changed[:, -40:].any(), "far from the jaw nothing moves"
    assert not changed[: int(xy[17:27, 1].min()) - 5].any(), "the eyes and above are not warped"
    # No edge: along the row, the change grows gradually from the outside in (no jump).
    outer = np.abs(diff[: int(xy[4, 0])])
    assert outer[:5].max() == 0 and np.abs(np.diff(np.convolve(outer, np.ones(3) / 3, "valid"))).max() < 80


def test_eye_brightening_lightens_inside_the_eyes_only() -> None:
    frame = np.full((H, W, 3), 100, np.uint8)
    face = _face()
    assert face.keypoints is not None
    xy = face.keypoints.xy_px.astype(np.float64)
    out = render(frame, [face], [create_filter("beauty-eyes", 1.0)])
    for eye in (xy[36:42], xy[42:48]):
        cx, cy = np.rint(eye.mean(axis=0)).astype(int)
        assert out[cy, cx].mean() > 115
    eyes = _polygon_mask(xy[36:42], grow_px=4) | _polygon_mask(xy[42:48], grow_px=4)
    assert not _changed(out, frame)[~eyes].any()


def test_teeth_whitening_takes_the_yellow_out_of_bright_pixels_in_the_mouth() -> None:
    frame = np.full((H, W, 3), (120, 200, 225), np.uint8)  # yellowish (BGR)
    face = _face()
    assert face.keypoints is not None
    xy = face.keypoints.xy_px.astype(np.float64)
    out = render(frame, [face], [create_filter("beauty-teeth", 1.0)])
    cx, cy = np.rint(xy[60:68].mean(axis=0)).astype(int)
    b, _, r = out[cy, cx].astype(int)
    assert b - 120 > 30 and (r - b) < 60, "less yellow (blue up towards red)"
    assert not _changed(out, frame)[~_polygon_mask(xy[60:68], grow_px=3)].any()
    dark = np.full((H, W, 3), (30, 40, 60), np.uint8)  # the mouth's inside: left alone
    assert np.array_equal(render(dark, [face], [create_filter("beauty-teeth", 1.0)]), dark)


def test_lip_colour_tints_the_lips_not_the_mouth_opening() -> None:
    frame = np.full((H, W, 3), 128, np.uint8)
    face = _face()
    assert face.keypoints is not None
    xy = face.keypoints.xy_px.astype(np.float64)
    out = render(frame, [face], [create_filter("beauty-lips", 1.0)])
    lower_lip = np.rint((xy[57] + xy[66]) / 2).astype(int)
    _, g, r = out[lower_lip[1], lower_lip[0]].astype(int)
    assert r > g + 15, "the lip takes a rose tint"
    # The feathered edge (3 blur widths, 0.09 mouth widths) straddles the lip line.
    assert not _changed(out, frame)[~_polygon_mask(xy[48:60], grow_px=6)].any()
