"""The model's window scan (snowcam.search) on a public-domain portrait moved in known ways."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from snowcam.datasets import LandmarkSet
from snowcam.detection import HaarFaceDetector
from snowcam.evaluate import evaluate
from snowcam.geometry import box_from_points
from snowcam.keypoints import KeypointModel
from snowcam.search import SearchConfig, scan_windows, search_face
from snowcam.tracking import FaceTracker, TrackerConfig
from snowcam.types import CropRegion, FaceBox, Keypoints
from tests.helpers import template_points

skimage_data = pytest.importorskip("skimage.data")

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "keypoints.tflite"
needs_shipped_model = pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped model")

# The astronaut's face as the default cascade finds it on the untouched 512×512 portrait.
FACE = FaceBox(176.64, 66.56, 96.0, 96.0)


@pytest.mark.parametrize(("width", "height"), [(400, 300), (300, 400), (150, 150)])
def test_scan_windows_cover_the_frame_at_every_size(width: int, height: int) -> None:
    config = SearchConfig()
    windows = scan_windows(width, height, config)
    short = min(width, height)
    fractions = [f for f in config.window_fractions if f * short >= config.min_window_px]
    assert {round(w.size_px / short, 6) for w in windows} == {round(f, 6) for f in fractions}
    assert len(fractions) < len(config.window_fractions) if short == 150 else len(fractions) == 6
    for fraction in fractions:
        side = fraction * short
        covered = np.zeros((height, width), bool)
        for w in windows:
            if abs(w.size_px - side) < 1e-6:
                assert w.angle_deg == 0.0
                x0, x1 = (max(0, round(w.center_x_px + d * side / 2)) for d in (-1, 1))
                y0, y1 = (max(0, round(w.center_y_px + d * side / 2)) for d in (-1, 1))
                covered[y0:y1, x0:x1] = True
        assert covered.all(), f"windows of side {side:.0f} px leave part of the frame unscanned"


@pytest.fixture(scope="module")
def portrait() -> npt.NDArray[np.uint8]:
    return cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def model() -> KeypointModel:
    if not SHIPPED.is_file():
        pytest.skip("no shipped model")
    return KeypointModel(SHIPPED)


@pytest.fixture(scope="module")
def turned(portrait: npt.NDArray[np.uint8], model: KeypointModel) -> tuple[npt.NDArray[np.uint8], np.ndarray]:
    """The portrait turned 50° about the face (beyond the cascades' reach) and its points moved alike."""
    reference = model.predict_from_box(portrait, FACE).xy_px
    turn = cv2.getRotationMatrix2D(FACE.center_xy, 50, 1.0)
    frame = cv2.warpAffine(portrait, turn, (512, 512), borderMode=cv2.BORDER_REPLICATE)
    points = (np.hstack([reference, np.ones((68, 1))]) @ turn.T).astype(np.float32)
    return frame, points


@needs_shipped_model
def test_search_finds_the_upright_face_where_the_model_puts_it(
    portrait: npt.NDArray[np.uint8], model: KeypointModel
) -> None:
    reference = model.predict_from_box(portrait, FACE)
    found = search_face(model, portrait)
    assert found is not None
    assert found.confidence >= SearchConfig().min_confidence
    error_px = np.linalg.norm(found.xy_px - reference.xy_px, axis=1).mean()
    assert error_px < 0.05 * reference.outer_eye_distance_px


@needs_shipped_model
def test_search_finds_a_head_turned_beyond_the_cascades(
    turned: tuple[npt.NDArray[np.uint8], np.ndarray], model: KeypointModel
) -> None:
    frame, points = turned
    truth_box = box_from_points(points)
    assert all(b.iou(truth_box) < 0.3 for b in HaarFaceDetector().detect_thorough(frame))
    found = search_face(model, frame)
    assert found is not None
    eye_distance = float(np.linalg.norm(points[45] - points[36]))
    assert np.linalg.norm(found.xy_px - points, axis=1).mean() < 0.05 * eye_distance


@needs_shipped_model
def test_search_finds_nothing_without_a_face(portrait: npt.NDArray[np.uint8], model: KeypointModel) -> None:
    rng = np.random.default_rng(0)
    assert search_face(model, np.full((480, 640, 3), 128, np.uint8)) is None
    assert search_face(model, rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)) is None
    # The lower right of the portrait: spacesuit, flag and shuttle, no face.
    assert search_face(model, np.ascontiguousarray(portrait[256:, 256:])) is None


@needs_shipped_model
def test_eval_counts_a_face_only_the_search_finds(
    turned: tuple[npt.NDArray[np.uint8], np.ndarray], model: KeypointModel
) -> None:
    frame, points = turned
    data = LandmarkSet("turned", [frame], points[None], ["astronaut"], ["turned.png"])
    detector = HaarFaceDetector()
    assert evaluate(data, model, detector, search=None).summary()["no_face_rate"] == 1.0
    summary = evaluate(data, model, detector).summary()
    assert summary["no_face_rate"] == 0.0
    assert summary["n_found_by_search"] == 1
    assert summary["nme_68"] < 5.0


class _NoFaces:
    def detect(self, frame: npt.NDArray[np.uint8]) -> list[FaceBox]:
        return []


@needs_shipped_model
def test_tracker_finds_a_head_the_cascades_miss_within_one_sweep(
    turned: tuple[npt.NDArray[np.uint8], np.ndarray], model: KeypointModel
) -> None:
    frame, points = turned
    per_frame = TrackerConfig().scan_windows_per_frame
    sweep = -(-len(scan_windows(400, 400)) // per_frame)  # the 512 px frame is scanned at 400 px
    eye_distance = float(np.linalg.norm(points[45] - points[36]))
    # The cascades miss this head (test above); a detector that finds nothing keeps the test fast.
    without = FaceTracker(_NoFaces(), model, TrackerConfig(scan_windows_per_frame=0, smooth=False))
    tracker = FaceTracker(_NoFaces(), model, TrackerConfig(smooth=False))
    counts = []
    for i in range(sweep):
        assert without.update(frame, i / 30) == ()
        faces = tracker.update(frame, i / 30)
        counts.append(len(faces))
    assert counts[:-1] == [0] * (sweep - 1) and counts[-1] == 1
    assert np.linalg.norm(faces[0].keypoints.xy_px - points, axis=1).mean() < 0.05 * eye_distance
    # Once tracked, the scan stops and the face is followed from its keypoints.
    assert len(tracker.update(frame, sweep / 30)) == 1


@needs_shipped_model
def test_tracker_scan_finds_nothing_in_an_empty_scene(model: KeypointModel) -> None:
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[300:, :] = 160  # a floor
    tracker = FaceTracker(_NoFaces(), model, TrackerConfig())
    sweep = -(-len(scan_windows(400, 300)) // TrackerConfig().scan_windows_per_frame)
    assert all(tracker.update(frame, i / 30) == () for i in range(2 * sweep + 1))


class _AlwaysAFace:
    """A model that scores every crop as a face and puts a fixed face in the middle of the region."""

    def __init__(self) -> None:
        self.last_confidence = np.ones(1, np.float32)
        self.scored = 0

    def predict_crops(self, crops: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        self.scored += len(crops)
        self.last_confidence = np.ones(len(crops), np.float32)
        return np.zeros((len(crops), 68, 2), np.float32)

    def predict_refined(self, frame: npt.NDArray[np.uint8], region: CropRegion, passes: int) -> Keypoints:
        centre = (region.center_x_px, region.center_y_px)
        return Keypoints(template_points(centre, region.size_px / 2.0), 1.0)


def test_featureless_windows_are_never_faces_whatever_the_model_says() -> None:
    model = _AlwaysAFace()
    assert search_face(model, np.full((300, 400, 3), 128, np.uint8)) is None  # type: ignore[arg-type]
    assert model.scored == 0
    textured = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    assert search_face(model, textured) is not None  # type: ignore[arg-type]
    assert model.scored == len(scan_windows(400, 300))
