"""Test-time flip averaging keeps the annotators' habit the model learned (its mirror offset)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from snowcam.datasets import LandmarkSet
from snowcam.evaluate import mirror_offset_card_entry, mirror_offsets_px
from snowcam.geometry import region_from_keypoints
from snowcam.keypoints import KeypointModel
from snowcam.types import CropRegion
from tests.helpers import template_points

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "keypoints.tflite"


class _HabitModel:
    """Sees a mirror-symmetric face in every crop and marks its points ``habit_crop_px`` right."""

    n_points = 68
    card = SimpleNamespace(input_size=96)

    def __init__(self, habit_crop_px: float) -> None:
        face = template_points((47.5, 40.0), 40.0)  # mirror-symmetric about the crop's centre
        self.points = (face + np.float32([habit_crop_px, 0.0])).astype(np.float32)

    def predict_crops(
        self, crops: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        return np.repeat(self.points[None], len(crops), axis=0), np.ones(len(crops), np.float32)


def _faces(eye_distances_px: list[float]) -> LandmarkSet:
    points = np.stack([template_points((200, 200), d) for d in eye_distances_px]).astype(np.float32)
    images = [np.full((400, 400), 128, np.uint8) for _ in eye_distances_px]
    names = [f"face{k}" for k in range(len(images))]
    return LandmarkSet("synthetic", images, points, names, names)


def test_mirror_offsets_are_half_the_mirror_gap_in_image_pixels() -> None:
    data = _faces([40.0, 80.0])
    offsets = mirror_offsets_px(_HabitModel(0.8), data)  # type: ignore[arg-type]
    image_px_per_crop_px = [region_from_keypoints(p).size_px / 96 for p in data.points]
    np.testing.assert_allclose(offsets, 0.8 * np.array(image_px_per_crop_px), rtol=1e-5)
    assert offsets[1] == pytest.approx(2 * offsets[0], rel=1e-3)  # twice the face, twice the pixels
    entry = mirror_offset_card_entry(_HabitModel(0.8), [data])  # type: ignore[arg-type]
    assert entry["mirror_offset_px"] == round(float(np.median(offsets)), 3)
    assert mirror_offsets_px(_HabitModel(0.0), data) == pytest.approx([0.0, 0.0], abs=1e-5)  # type: ignore[arg-type]


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped model")
def test_flip_average_of_a_model_with_the_habit_is_its_single_prediction() -> None:
    """A model that sees a mirror-symmetric face in every crop and marks it 0.8 crop px right:
    averaged with its mirrored-back self and given its offset, it predicts what it predicts alone
    (a wrong mirror, a missing relabelling or a plain average would each move the points)."""
    habit = _HabitModel(0.8)
    model = KeypointModel(SHIPPED)

    model.predict_crops = habit.predict_crops  # type: ignore[method-assign]
    frame = np.full((300, 400, 3), 128, np.uint8)
    region = CropRegion(200.0, 150.0, 120.0, 0.0)
    single = model.predict_points(frame, [region])[0]
    model.flip_average = True
    model.mirror_offset_px = 0.8 * 120.0 / 96.0
    np.testing.assert_allclose(model.predict_points(frame, [region])[0], single, atol=1e-4)
    model.mirror_offset_px = 0.0  # the plain average cancels the habit: 1 image px left
    np.testing.assert_allclose(
        model.predict_points(frame, [region])[0] - single, np.tile([-1.0, 0.0], (68, 1)), atol=1e-4
    )


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped model")
@pytest.mark.parametrize("angle_deg", [0.0, 20.0])
def test_flip_average_adds_the_mirror_offset_back_in_frame_pixels(angle_deg: float) -> None:
    skimage_data = pytest.importorskip("skimage.data")
    portrait = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    region = CropRegion(226.0, 125.0, 170.0, angle_deg)
    model = KeypointModel(SHIPPED, flip_average=True)
    model.mirror_offset_px = 0.0
    plain_average = model.predict_points(portrait, [region])[0]
    model.mirror_offset_px = 1.5
    kept_habit = model.predict_points(portrait, [region])[0]
    np.testing.assert_allclose(kept_habit - plain_average, np.tile([1.5, 0.0], (68, 1)), atol=1e-3)


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped model")
def test_the_shipped_card_carries_its_mirror_offset() -> None:
    offset = KeypointModel(SHIPPED).mirror_offset_px
    assert 0.5 < offset < 1.5  # measured: about 1 px on both data sets
