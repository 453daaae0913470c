from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from snowcam.geometry import apply_affine
from snowcam.sources import VideoFileSource
from snowcam.types import Frame

ASSETS = Path(__file__).resolve().parents[1] / "assets"


@pytest.fixture(scope="module")
def meta() -> dict[str, Any]:
    return json.loads((ASSETS / "demo.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def affines(meta: dict[str, Any]) -> np.ndarray:
    return np.array([f["affine_from_frame0"] for f in meta["frames"]], np.float64)


@pytest.fixture(scope="module")
def frames() -> list[tuple[float, Frame]]:
    with VideoFileSource(ASSETS / "demo.mp4") as src:
        return list(src)


def test_clip_matches_its_metadata(meta: dict[str, Any], frames: list[tuple[float, Frame]]) -> None:
    assert (meta["width"], meta["height"], meta["fps"]) == (640, 480, 30)
    assert len(meta["frames"]) == meta["frame_count"] == len(frames)
    assert 7.0 <= meta["frame_count"] / meta["fps"] <= 9.0
    with VideoFileSource(ASSETS / "demo.mp4") as src:
        assert (src.info.width, src.info.height) == (meta["width"], meta["height"])
        assert src.info.fps == pytest.approx(meta["fps"])
        assert src.info.frame_count == meta["frame_count"]
    assert all(f.shape == (meta["height"], meta["width"], 3) for _, f in frames)
    assert [t for t, _ in frames] == pytest.approx([f["t_s"] for f in meta["frames"]], abs=1e-5)


def test_clip_is_compact() -> None:
    assert (ASSETS / "demo.mp4").stat().st_size < 2_000_000


def test_transforms_are_similarities_in_the_planned_range(meta: dict[str, Any], affines: np.ndarray) -> None:
    assert affines.shape == (meta["frame_count"], 2, 3)
    np.testing.assert_allclose(affines[0], [[1, 0, 0], [0, 1, 0]], atol=1e-9)
    a, b = affines[:, 0, 0], affines[:, 0, 1]
    np.testing.assert_allclose(affines[:, 1, 1], a, atol=1e-6)
    np.testing.assert_allclose(affines[:, 1, 0], -b, atol=1e-6)
    scale = np.hypot(a, b)
    roll = np.degrees(np.arctan2(-b, a))
    np.testing.assert_allclose(scale, [f["scale"] for f in meta["frames"]], atol=1e-5)
    np.testing.assert_allclose(roll, [f["roll_deg"] for f in meta["frames"]], atol=1e-3)
    assert scale.min() == pytest.approx(0.8, abs=0.01) and scale.max() == pytest.approx(1.25, abs=0.01)
    assert roll.min() == pytest.approx(-20, abs=0.5) and roll.max() == pytest.approx(20, abs=0.5)


def test_face_stays_inside_and_large(meta: dict[str, Any], affines: np.ndarray) -> None:
    x, y, w, h = meta["face_box_frame0_xywh"]
    corners0 = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
    eyes0 = np.array(meta["outer_eye_corners_frame0_xy"])
    for t, a in enumerate(affines):
        corners = apply_affine(corners0, a)
        assert corners.min() >= 0, t
        assert (corners[:, 0] < meta["width"]).all() and (corners[:, 1] < meta["height"]).all(), t
        eyes = apply_affine(eyes0, a)
        assert 60 <= np.linalg.norm(eyes[1] - eyes[0]) <= 120, t
        d = eyes[1] - eyes[0]
        assert np.degrees(np.arctan2(d[1], d[0])) == pytest.approx(meta["frames"][t]["roll_deg"], abs=0.01), (
            "roll_deg follows Keypoints.roll_deg: positive when the image-right eye is lower"
        )


def test_clip_has_a_still_segment_and_one_quick_move(meta: dict[str, Any], affines: np.ndarray) -> None:
    center = np.array([apply_affine(meta["face_center_frame0_xy"], a) for a in affines])
    roll = np.array([f["roll_deg"] for f in meta["frames"]])
    still = next(s for s in meta["segments"] if s["name"] == "still")
    first, last = still["start_frame"], still["end_frame"]
    assert last - first >= 30
    np.testing.assert_allclose(
        affines[first : last + 1], np.broadcast_to(affines[first], (last - first + 1, 2, 3))
    )
    step3 = np.linalg.norm(center[3:] - center[:-3], axis=1)
    quick = int(np.argmax(step3))
    assert step3[quick] >= 55, "one fast ~60 px shift over 3 frames"
    assert abs(roll[quick + 3] - roll[quick]) >= 14, "with a ~15° roll"
    others = np.delete(step3, range(quick - 3, quick + 4))
    assert others.max() < 20, "the rest of the motion is smooth"


@pytest.mark.parametrize("t", [60, 105, 150, 166, 167, 239])
def test_video_content_follows_the_ground_truth(
    t: int, meta: dict[str, Any], affines: np.ndarray, frames: list[tuple[float, Frame]]
) -> None:
    """Frame 0 warped by A_t must look like frame t on the face, and unlike it without the warp."""
    size = (meta["width"], meta["height"])
    frame0 = frames[0][1].astype(np.float32)
    predicted = cv2.warpAffine(frame0, affines[t], size, flags=cv2.INTER_LINEAR)
    x, y, w, h = meta["face_box_frame0_xywh"]
    face0 = np.zeros((meta["height"], meta["width"]), np.uint8)
    face0[int(y) : int(y + h), int(x) : int(x + w)] = 1
    face_t = cv2.warpAffine(face0, affines[t], size, flags=cv2.INTER_NEAREST).astype(bool)
    actual = frames[t][1].astype(np.float32)
    error = np.abs(predicted - actual)[face_t].mean()
    unwarped = np.abs(frame0 - actual)[face_t].mean()
    assert error < 8.0
    assert unwarped > 2 * error
