"""Fakes for the pipeline's heavy parts: a scripted detector and an oracle keypoint model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from snowcam.geometry import DetectorCalibration, box_from_points, region_from_box
from snowcam.types import CropRegion, FaceBox, Frame, Keypoints


class ScriptedScene:
    """The true faces of the current frame, shared by the fake detector and fake model."""

    def __init__(self) -> None:
        self.faces: list[npt.NDArray[np.float32]] = []


class FakeDetector:
    """Reports a box around each true face (unless ``blind``) and each of ``false_alarms``."""

    name = "fake"

    def __init__(self, scene: ScriptedScene) -> None:
        self.scene = scene
        self.calls = 0
        self.blind = False
        self.false_alarms: list[FaceBox] = []

    def detect(self, frame: Frame) -> list[FaceBox]:
        self.calls += 1
        if self.blind:
            return []
        boxes = []
        for points in self.scene.faces:
            b = box_from_points(points)
            side = max(b.w, b.h)
            cx, cy = b.center_xy
            boxes.append(FaceBox(cx - side / 2, cy - side / 2, side, side))
        return boxes + self.false_alarms


FACE_SCORE = 0.22
BACKGROUND_SCORE = 0.09


class OracleModel:
    """Returns the true points of the face a crop region covers; noise-free unless asked.

    A region that covers no face gives a collapsed shape, as a real model does on background.
    """

    calibration = DetectorCalibration(0.0, 0.0, 1.3)

    def __init__(
        self, scene: ScriptedScene, noise_px: float = 0.0, seed: int = 0, has_confidence: bool = False
    ) -> None:
        self.scene = scene
        self.has_confidence = has_confidence
        self.noise_px = noise_px
        self.rng = np.random.default_rng(seed)
        self.regions_seen: list[CropRegion] = []

    def _answer(self, cx: float, cy: float, size: float) -> Keypoints:
        for points in self.scene.faces:
            fx, fy = box_from_points(points).center_xy
            if np.hypot(fx - cx, fy - cy) < size / 2:
                noise = self.rng.normal(0.0, self.noise_px, points.shape) if self.noise_px else 0.0
                return Keypoints((points + noise).astype(np.float32), FACE_SCORE)
        # Background: a face-sized mean shape where the crop is, with a background score.
        spread = self.rng.normal(0, size / 6, (68, 2)).astype(np.float32)
        return Keypoints(np.float32([cx, cy]) + spread, BACKGROUND_SCORE)

    def predict(self, frame: Frame, regions: Sequence[CropRegion]) -> list[Keypoints]:
        self.regions_seen.extend(regions)
        return [self._answer(r.center_x_px, r.center_y_px, r.size_px) for r in regions]

    def predict_from_box(self, frame: Frame, box: FaceBox, refine_passes: int = 1) -> Keypoints:
        region = region_from_box(box, self.calibration)
        return self._answer(region.center_x_px, region.center_y_px, region.size_px)
