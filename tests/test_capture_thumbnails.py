"""Capture thumbnails and close-ups without Qt; the capture naming rule belongs to ``sinks``."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from snowcam.captures import (
    CLOSEUP_FRAMING,
    DEFAULT_CLOSEUP_FRAMING,
    face_crop_xywh,
    read_capture_thumbnail,
    recent_captures,
    render_closeup,
    transform_faces,
)
from snowcam.filters import create_filter, render
from snowcam.sinks import is_snapshot_name, save_image_atomic, snapshot_path
from snowcam.types import Face, FaceBox, Keypoints
from tests.clips import write_clip
from tests.helpers import template_points, textured_frame


def test_recent_captures_follow_the_snapshot_naming_rule(tmp_path: Path) -> None:
    photos, videos = tmp_path / "p", tmp_path / "v"
    videos.mkdir()
    frame = np.zeros((8, 8, 3), np.uint8)
    first = save_image_atomic(frame, snapshot_path(photos, datetime(2026, 1, 1, 10, 0, 0)))
    second = save_image_atomic(frame, snapshot_path(photos, datetime(2026, 1, 1, 10, 0, 0), ".jpg"))
    clip = write_clip(snapshot_path(videos, datetime(2026, 1, 1, 10, 0, 1), ".mp4"))
    os.utime(first, (1, 1))
    save_image_atomic(frame, photos / "holiday.png")  # not ours
    (photos / ".snowcam-20260101-100000-000.png.x.tmp").write_bytes(b"partial")
    assert recent_captures([photos, videos, tmp_path / "missing"], limit=10) == [clip, second, first]
    assert recent_captures([photos, videos], limit=1) == [clip]
    assert is_snapshot_name(second) and not is_snapshot_name("snowcam-today.png")


def test_capture_thumbnails_of_photos_and_recordings(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "snowcam-20260101-100000-000.mp4")
    photo = save_image_atomic(textured_frame(120, 160), tmp_path / "a.png")
    assert read_capture_thumbnail(clip, 48).shape == (48, 48, 3)
    assert read_capture_thumbnail(photo, 48).shape == (48, 48, 3)
    (tmp_path / "bad.png").write_bytes(b"no image")
    assert read_capture_thumbnail(tmp_path / "bad.png", 48) is None


def test_a_closeup_draws_what_render_draws_on_the_whole_frame() -> None:
    frame = textured_frame(240, 320)
    points = template_points((160.0, 120.0), 60.0)
    face = Face(FaceBox(110, 70, 100, 100), Keypoints(points))
    moved = transform_faces([face], (100.0, 50.0), 0.5)[0]
    assert moved.box.x == pytest.approx(5.0) and moved.box.w == pytest.approx(50.0)
    assert np.allclose(moved.keypoints.xy_px, (points - [100, 50]) * 0.5)

    glasses = create_filter("glasses-round")
    closeup = render_closeup(frame, (face,), (glasses,), 0.0, 96)
    whole = render(frame, (face,), (glasses,))
    side = 190  # 1.9 × the box, centred on it
    x0, y0 = 160 - side // 2, 120 - side // 2
    reference = cv2.resize(whole[y0 : y0 + side, x0 : x0 + side], (96, 96), interpolation=cv2.INTER_AREA)
    plain = cv2.resize(frame[y0 : y0 + side, x0 : x0 + side], (96, 96), interpolation=cv2.INTER_AREA)
    error = np.abs(closeup.astype(int) - reference.astype(int)).mean()
    assert error < 0.5 * np.abs(plain.astype(int) - reference.astype(int)).mean()


def test_a_head_sticker_closeup_has_room_above_the_face() -> None:
    frame = textured_frame(480, 640)
    face = Face(FaceBox(270, 230, 100, 100), Keypoints(template_points((320.0, 260.0), 60.0)))
    crown = create_filter("crown")
    zoom, lift = CLOSEUP_FRAMING["face"]
    _, y, side, _ = face_crop_xywh(frame.shape, (face,), zoom, lift)
    assert y + side / 2 == pytest.approx(280 - lift * 100, abs=1), "the square is lifted above the box centre"
    whole = render(frame, (face,), (crown,))
    drawn_ys = np.nonzero((whole != frame).any(axis=2))[0]
    assert drawn_ys.min() >= y, "the crown is inside the close-up's square"
    tight_y = face_crop_xywh(frame.shape, (face,), *DEFAULT_CLOSEUP_FRAMING)[1]
    assert drawn_ys.min() < tight_y, "without the lift the crown would be cut (the test would mean nothing)"
