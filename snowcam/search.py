"""Find a face the Haar cascades missed, by scanning windows with the keypoint model's face score.

The cascades miss faces half covered by hair, pulling faces, or dark and tilted; the keypoint
model, trained on such crops, still gives them a face score near 0.2 (background: about 0.1).
:func:`search_face` crops a grid of upright square windows at several sizes, scores each,
refines the best few by re-cropping around their points (as the tracker does) and keeps the
most confident. It costs about 500 model runs (0.45 s on a 640×480 frame): ``snowcam eval`` runs
it when the model confirms none of a photo's detections, and the tracker spreads it over
frames (:class:`WindowScan`) while it follows no face.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.geometry import MODEL_INPUT_SIZE, crop_face
from snowcam.types import CropRegion, FaceBox, Frame, Keypoints

if TYPE_CHECKING:
    from snowcam.keypoints import KeypointModel


@dataclass(frozen=True)
class SearchConfig:
    """How :func:`search_face` scans.

    Attributes:
        window_fractions: window sides, as fractions of the image's shorter side.
        stride_fraction: step between windows, as a fraction of their side.
        min_window_px: smaller windows are skipped (in the shrunk image's pixels): blown up
            to 96 px they show texture, not a face; the cascades find such small faces.
        min_contrast: a window whose grey crop varies less than this (standard deviation, grey
            levels) is featureless (a wall, a blank frame) and is not scored: no face there,
            whatever a model's score says.
        scan_max_side_px: the image is shrunk to this longer side for the scan (the refinement
            crops the full-resolution image).
        candidates: how many of the best-scored windows are refined.
        refine_passes: re-crops around the points found, per candidate.
        min_confidence: the face score a result needs, and a detection too (:func:`confirmed`);
            stricter than the tracker's 0.17 for a new face, since a scan gives background
            hundreds of chances. Measured: the faces that only the scan finds on 300-W photos
            refine to 0.217–0.238, Haar's false alarms there to 0.13–0.185; on real clip frames
            turned 75–90° (faces upright windows cannot match, so the best window is part of a
            face, such as an eye) 1 of 47 scans reached 0.21 and 3 reached 0.20, while 91 % of
            the faces the scan does find score ≥ 0.21.
    """

    window_fractions: tuple[float, ...] = (0.9, 0.7, 0.55, 0.42, 0.32, 0.25)
    stride_fraction: float = 0.25
    min_window_px: float = 40.0
    min_contrast: float = 6.0
    scan_max_side_px: int = 400
    candidates: int = 3
    refine_passes: int = 2
    min_confidence: float = 0.21


DEFAULT_SEARCH = SearchConfig()


def scan_windows(width_px: int, height_px: int, config: SearchConfig = DEFAULT_SEARCH) -> list[CropRegion]:
    """The upright square windows of the scan, in pixels of a ``width_px``×``height_px`` image.

    Windows may reach past the image by a tenth of their side on each edge (faces cut by the
    frame's edge); the crop replicates the border there.
    """
    short = min(width_px, height_px)
    windows = []
    for fraction in config.window_fractions:
        side = fraction * short
        if side < config.min_window_px:
            continue
        step = max(side * config.stride_fraction, 2.0)
        for cy in _centres(height_px, side, step):
            for cx in _centres(width_px, side, step):
                windows.append(CropRegion(float(cx), float(cy), float(side), 0.0))
    return windows


def _centres(length_px: int, side: float, step: float) -> npt.NDArray[np.float64]:
    """Evenly spaced centres, at most ``step`` apart, from the first window that reaches a tenth
    of its side past the start to the last that reaches as far past the end."""
    first, last = 0.4 * side, length_px - 0.4 * side
    if last <= first:
        return np.array([length_px / 2.0])
    return np.linspace(first, last, int(np.ceil((last - first) / step)) + 1)


def search_face(
    model: KeypointModel, frame: Frame, config: SearchConfig = DEFAULT_SEARCH
) -> Keypoints | None:
    """The most confident face found by scanning a BGR (or grey) frame, or None.

    Returns keypoints in frame pixels, refined on the full-resolution frame, if their face
    score reaches ``config.min_confidence``.
    """
    return WindowScan(model, config, windows_per_step=None).step(frame)


class WindowScan:
    """:func:`search_face` spread over video frames: each :meth:`step` scores the next
    ``windows_per_step`` windows on the frame it is given; the step that completes the sweep
    refines the best windows on its own frame and starts a new sweep.

    The tracker runs one step per frame while it follows no face, so a face the cascades miss is
    found within a sweep (about 20 frames at 24 windows, 20–27 ms each, measured) without a stall.
    """

    def __init__(
        self, model: KeypointModel, config: SearchConfig = DEFAULT_SEARCH, windows_per_step: int | None = 24
    ) -> None:
        """``windows_per_step`` None scores every window in one step."""
        self.model, self.config, self.windows_per_step = model, config, windows_per_step
        self._shape: tuple[int, ...] = ()
        self._windows: list[CropRegion] = []
        self._scores = np.empty(0, np.float32)
        self._next = 0

    def reset(self) -> None:
        """Start the next sweep from its first window."""
        self._next = 0

    def step(self, frame: Frame) -> Keypoints | None:
        """Score the next windows on ``frame``; at the end of a sweep, the face found or None."""
        height, width = frame.shape[:2]
        shrink = min(1.0, self.config.scan_max_side_px / max(height, width))
        small = frame
        if shrink < 1.0:
            small = cv2.resize(frame, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        if frame.shape != self._shape:
            self._shape = frame.shape
            self._windows = scan_windows(small.shape[1], small.shape[0], self.config)
            self._scores = np.zeros(len(self._windows), np.float32)
            self._next = 0
        if not self._windows:
            return None
        stop = len(self._windows)
        if self.windows_per_step is not None:
            stop = min(stop, self._next + self.windows_per_step)
        for k in range(self._next, stop):
            crop = crop_face(small, self._windows[k], MODEL_INPUT_SIZE)[0]
            if crop.std() < self.config.min_contrast:
                self._scores[k] = 0.0
                continue
            # One crop per invoke: measured faster per crop than batches, whose activations
            # (tens of MB for hundreds of crops) fall out of the CPU caches.
            self.model.predict_crops(crop[None])
            self._scores[k] = self.model.last_confidence[0]
        self._next = stop
        if stop < len(self._windows):
            return None
        self._next = 0
        return self._refine_best(frame, shrink)

    def _refine_best(self, frame: Frame, shrink: float) -> Keypoints | None:
        best: Keypoints | None = None
        for k in np.argsort(-self._scores)[: self.config.candidates]:
            if self._scores[k] <= 0.0:
                break  # only featureless windows are left
            w = self._windows[int(k)]
            region = CropRegion(w.center_x_px / shrink, w.center_y_px / shrink, w.size_px / shrink, 0.0)
            keypoints = self.model.predict_refined(frame, region, self.config.refine_passes)
            if best is None or keypoints.confidence > best.confidence:
                best = keypoints
        return best if best is not None and best.confidence >= self.config.min_confidence else None


def confirmed(
    model: KeypointModel, frame: Frame, box: FaceBox, config: SearchConfig = DEFAULT_SEARCH
) -> bool:
    """Whether the model sees a face in a detector box (else the box is a false alarm)."""
    return model.predict_from_box(frame, box).confidence >= config.min_confidence
