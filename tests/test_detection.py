"""The Haar detector on a public-domain portrait (scikit-image's astronaut) moved in known ways."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from snowcam.detection import HaarFaceDetector
from snowcam.types import FaceBox

skimage_data = pytest.importorskip("skimage.data")

# The astronaut's face as the default cascade finds it on the untouched 512×512 portrait.
FACE = FaceBox(176.64, 66.56, 96.0, 96.0)


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    return cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def detector() -> HaarFaceDetector:
    return HaarFaceDetector()


def best_iou(found: list[FaceBox], truth: FaceBox) -> float:
    return max((b.iou(truth) for b in found), default=0.0)


def test_finds_the_upright_face(portrait: np.ndarray, detector: HaarFaceDetector) -> None:
    assert best_iou(detector.detect(portrait), FACE) > 0.9
    assert best_iou(detector.detect_thorough(portrait), FACE) > 0.9


def test_thorough_search_finds_a_tilted_head_that_detect_misses(
    portrait: np.ndarray, detector: HaarFaceDetector
) -> None:
    cx, cy = FACE.center_xy
    turned = cv2.warpAffine(portrait, cv2.getRotationMatrix2D((cx, cy), 33, 1.0), (512, 512))
    assert best_iou(detector.detect(turned), FACE) == 0.0
    assert best_iou(detector.detect_thorough(turned), FACE) > 0.6


@pytest.mark.parametrize("cut", [0.2, 0.35])
def test_thorough_search_finds_a_face_cut_by_the_frame_edge(
    portrait: np.ndarray, detector: HaarFaceDetector, cut: float
) -> None:
    # A share `cut` of the face is outside the frame's left edge; at 0.2 detect() reports a
    # false hit elsewhere (which must not stop the search), at 0.35 nothing at all.
    x0 = int(FACE.x + cut * FACE.w)
    frame = np.ascontiguousarray(portrait[:320, x0 : x0 + 320])
    truth = FaceBox(FACE.x - x0, FACE.y, FACE.w, FACE.h)
    assert best_iou(detector.detect(frame), truth) < 0.3
    assert best_iou(detector.detect_thorough(frame), truth) > 0.8


def test_thorough_search_finds_nothing_in_a_plain_or_noisy_frame(detector: HaarFaceDetector) -> None:
    assert detector.detect_thorough(np.full((480, 640, 3), 128, np.uint8)) == []
    noise = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    assert detector.detect_thorough(cv2.GaussianBlur(noise, (0, 0), 3)) == []


def test_boxes_are_in_frame_pixels_of_the_original_size(portrait: np.ndarray) -> None:
    big = cv2.resize(portrait, None, fx=2.0, fy=2.0)
    found = HaarFaceDetector(max_side_px=320).detect(big)
    doubled = FaceBox(FACE.x * 2, FACE.y * 2, FACE.w * 2, FACE.h * 2)
    assert best_iou(found, doubled) > 0.8


def _cycle(detector: HaarFaceDetector, frame: np.ndarray, truth: FaceBox) -> dict[str, float]:
    """Each pass of the idle cycle → the best IoU of its boxes with ``truth``."""
    names = detector.idle_passes
    return {
        name: max(
            best_iou(detector.detect_pass(frame, step), truth)
            for step in range(len(names))
            if names[step] == name
        )
        for name in set(names)
    }


def test_the_idle_cycle_is_the_thorough_search_cut_into_passes(detector: HaarFaceDetector) -> None:
    assert detector.idle_passes == (
        "frontal", "alt2", "frontal", "profile", "frontal", "profile_mirrored",
        "frontal", "padded", "frontal", "turned+", "frontal", "turned-",
    )  # fmt: skip
    assert HaarFaceDetector(fallback=False).idle_passes == (
        "frontal", "padded", "frontal", "turned+", "frontal", "turned-",
    )  # fmt: skip
    # Steps count cyclically.
    assert detector.detect_pass(np.zeros((240, 320, 3), np.uint8), 12 * 7 + 9) == []


def test_the_idle_cycle_finds_what_the_thorough_search_finds(
    portrait: np.ndarray, detector: HaarFaceDetector
) -> None:
    assert _cycle(detector, portrait, FACE)["frontal"] > 0.9
    cx, cy = FACE.center_xy
    # A head turned by +33° is found by the pass that turns the frame back by -25°, and the other way round.
    for tilt_deg, finder, other in ((33, "turned-", "turned+"), (-33, "turned+", "turned-")):
        turned = cv2.warpAffine(portrait, cv2.getRotationMatrix2D((cx, cy), tilt_deg, 1.0), (512, 512))
        found = _cycle(detector, turned, FACE)
        assert found["frontal"] == 0.0 and found[other] == 0.0 and found[finder] > 0.6
    x0 = int(FACE.x + 0.35 * FACE.w)
    cut = np.ascontiguousarray(portrait[:320, x0 : x0 + 320])
    found = _cycle(detector, cut, FaceBox(FACE.x - x0, FACE.y, FACE.w, FACE.h))
    assert found["frontal"] < 0.3 and found["padded"] > 0.8


def test_the_profile_passes_look_each_way(detector: HaarFaceDetector) -> None:
    """scikit-image's cameraman, a head in three-quarter view: each profile pass finds it looking
    its own way, and on the mirrored photo the other pass finds the mirrored box."""
    photo = skimage_data.camera()
    mirrored = np.ascontiguousarray(photo[:, ::-1])
    width = photo.shape[1]
    steps = {name: step for step, name in enumerate(detector.idle_passes)}
    for one, other in (("profile", "profile_mirrored"), ("profile_mirrored", "profile")):
        found = detector.detect_pass(photo, steps[one])
        assert len(found) == 1 and 0.2 < found[0].x / width < 0.6
        again = detector.detect_pass(mirrored, steps[other])
        expected = FaceBox(width - found[0].x - found[0].w, found[0].y, found[0].w, found[0].h)
        assert len(again) == 1 and again[0].iou(expected) > 0.99


def test_no_idle_pass_finds_a_face_in_a_plain_or_noisy_frame(detector: HaarFaceDetector) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    for frame in (np.full((480, 640, 3), 128, np.uint8), cv2.GaussianBlur(noise, (0, 0), 3)):
        assert all(detector.detect_pass(frame, step) == [] for step in range(len(detector.idle_passes)))
