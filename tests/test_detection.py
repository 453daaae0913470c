"""The detectors on a public-domain portrait (scikit-image's astronaut) moved in known ways."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from snowcam.blazeface import BlazeFaceDetector
from snowcam.detection import DETECTORS, HaarFaceDetector, create_detector
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


@pytest.fixture(scope="module")
def blazeface() -> BlazeFaceDetector:
    return BlazeFaceDetector(min_face_px=20)


def best_iou(found: list[FaceBox], truth: FaceBox) -> float:
    return max((b.iou(truth) for b in found), default=0.0)


def test_finds_the_upright_face(
    portrait: np.ndarray, detector: HaarFaceDetector, blazeface: BlazeFaceDetector
) -> None:
    assert best_iou(detector.detect(portrait), FACE) > 0.9
    # BlazeFace's box, in the cascade's convention (the keypoint model's calibration applies).
    found = blazeface.detect(portrait)
    assert len(found) == 1 and found[0].iou(FACE) > 0.7 and found[0].score > 0.9


def test_blazeface_finds_a_tilted_head_that_the_cascades_miss(
    portrait: np.ndarray, detector: HaarFaceDetector, blazeface: BlazeFaceDetector
) -> None:
    cx, cy = FACE.center_xy
    for tilt_deg in (-60, -33, 33, 60):
        turned = cv2.warpAffine(portrait, cv2.getRotationMatrix2D((cx, cy), tilt_deg, 1.0), (512, 512))
        assert best_iou(detector.detect(turned), FACE) < 0.3
        assert best_iou(blazeface.detect(turned), FACE) > 0.5


@pytest.mark.parametrize("cut", [0.2, 0.35])
def test_blazeface_finds_a_face_cut_by_the_frame_edge(
    portrait: np.ndarray, detector: HaarFaceDetector, blazeface: BlazeFaceDetector, cut: float
) -> None:
    # A share `cut` of the face is outside the frame's left edge: the cascades need the whole face.
    x0 = int(FACE.x + cut * FACE.w)
    frame = np.ascontiguousarray(portrait[:320, x0 : x0 + 320])
    truth = FaceBox(FACE.x - x0, FACE.y, FACE.w, FACE.h)
    assert best_iou(detector.detect(frame), truth) < 0.3
    assert best_iou(blazeface.detect(frame), truth) > 0.5


def test_nothing_in_a_plain_or_noisy_frame(detector: HaarFaceDetector, blazeface: BlazeFaceDetector) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    for frame in (np.full((480, 640, 3), 128, np.uint8), cv2.GaussianBlur(noise, (0, 0), 3)):
        assert detector.detect(frame) == [] and blazeface.detect(frame) == []


def test_boxes_are_in_frame_pixels_of_the_original_size(
    portrait: np.ndarray, blazeface: BlazeFaceDetector
) -> None:
    big = cv2.resize(portrait, None, fx=2.0, fy=2.0)
    doubled = FaceBox(FACE.x * 2, FACE.y * 2, FACE.w * 2, FACE.h * 2)
    assert best_iou(HaarFaceDetector(max_side_px=320).detect(big), doubled) > 0.8
    assert best_iou(blazeface.detect(big), doubled) > 0.7
    # Letterboxed both ways: a wide frame is padded above and below, a tall one left and right.
    head = np.ascontiguousarray(portrait[:256, 96:352])
    for top, left in ((0, 150), (150, 0)):
        framed = cv2.copyMakeBorder(head, top, top, left, left, cv2.BORDER_CONSTANT, value=(40, 40, 40))
        moved = FaceBox(FACE.x - 96 + left, FACE.y + top, FACE.w, FACE.h)
        assert best_iou(blazeface.detect(framed), moved) > 0.7


def test_detectors_by_name() -> None:
    assert DETECTORS[0] == "blazeface"
    assert [create_detector(name).name for name in DETECTORS] == list(DETECTORS)
    with pytest.raises(ValueError, match="blazeface, haar"):
        create_detector("yunet")
