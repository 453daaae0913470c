"""Follow faces over time: detect and confirm new faces, crop from last frame's keypoints, smooth.

Once a face has keypoints, the next frame's crop comes from those keypoints (as MediaPipe
tracks). The detector runs on every frame while no face is tracked and every few frames while
faces are, to find new ones and to check the old ones; a detection starts a track only when it
is confirmed (detector score, the keypoint model's face score, not inside a followed face: see
:class:`TrackerConfig`). The caller hands in each
frame's time; nothing here reads a clock except to measure stage durations.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from snowcam.detection import FaceDetector
from snowcam.geometry import DetectorCalibration, box_from_points, region_from_box, region_from_keypoints
from snowcam.smoothing import OneEuroFilter
from snowcam.types import CropRegion, Face, FaceBox, Frame, Keypoints


class KeypointPredictor(Protocol):
    """What the tracker needs from a keypoint model (``KeypointModel`` or a test fake)."""

    @property
    def calibration(self) -> DetectorCalibration:
        """How a detector box maps to a crop region."""
        ...

    @property
    def has_confidence(self) -> bool:
        """Whether ``Keypoints.confidence`` is a real face score (else it is always 1.0)."""
        ...

    def predict(self, frame: Frame, regions: Sequence[CropRegion]) -> list[Keypoints]: ...

    def predict_from_box(self, frame: Frame, box: FaceBox, refine_passes: int = 1) -> Keypoints: ...


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Tracking and smoothing settings.

    Attributes:
        detect_every_n_frames: while faces are tracked, run the detector on every N-th frame
            (with none tracked it runs on every frame, and on the frame after a detection that
            waits for its second confirmation).
        new_face_detector_score: the detector's own score (``FaceBox.score``, 0–1) a detection
            needs to become a new face. BlazeFace reports boxes from 0.5; its false boxes on
            face-free scenes mostly score below 0.7, real faces above (docs/pipeline.md). Haar's
            boxes all score 1.
        new_face_confidence: the keypoint model's face score (crop from the detector's box, one
            re-crop) a detection needs to become a new face. Heat-map models score about 0.2 on
            faces, 0.1 on background.
        small_face_fraction, small_face_confidence: a detection narrower than this share of the
            frame's longer side (all the faces BlazeFace's zoomed pass reports, where textures
            fool it more often) needs the stricter face score ``small_face_confidence``.
        confirm_detections: detector runs in a row on which a new face must be found and pass both
            scores, at the same place (its points' boxes overlap by IoU ≥ 0.3), before it gets a
            track; 1 starts it at once. While a candidate waits, the detector runs on every frame.
        inside_fraction: a detection with at least this share of its box's area inside a face's
            crop region (a followed one, or a bigger new one) is part of that face (a false face
            on a forehead or a cheek), never a new one.
        keep_confidence: below this score a tracked crop is taken to have lost its face.
        max_detector_misses: for a model without a face score, drop a track after this many
            detector runs in a row that found no face near it (its keypoints alone cannot tell a
            face from a wall). A model with a face score keeps a track while it scores a face.
        max_faces: the most faces followed at once.
        new_face_iou: a detection overlapping a track's crop region by at least this IoU is that track.
        min_cutoff_hz, beta, d_cutoff_hz: One Euro filter settings for the keypoints; speeds are
            measured in eye distances per second, so the same values suit small and big faces.
            beta 8 was chosen on real clips: jitter ≤ 1 % of the eye distance on the noisiest
            (low-resolution webcam) clip, and the demo clip's quick move caught up two frames
            after it ends (beta 10: 1.04 % jitter; beta 6: 0.90 % but visibly more lag).
    """

    detect_every_n_frames: int = 10
    new_face_detector_score: float = 0.7
    new_face_confidence: float = 0.17
    small_face_fraction: float = 1 / 5
    small_face_confidence: float = 0.2
    confirm_detections: int = 1
    inside_fraction: float = 0.5
    keep_confidence: float = 0.13
    max_detector_misses: int = 3
    max_faces: int = 4
    new_face_iou: float = 0.25
    min_cutoff_hz: float = 0.5
    beta: float = 8.0
    d_cutoff_hz: float = 1.0
    smooth: bool = True


@dataclass
class _Track:
    """One followed face: its last raw keypoints and the crop region they give for the next frame."""

    track_id: int
    raw: Keypoints
    region: CropRegion
    smoother: OneEuroFilter
    detector_misses: int = 0


@dataclass
class TrackerTimes:
    """Milliseconds spent in each stage of the last update."""

    detect_ms: float = 0.0
    keypoints_ms: float = 0.0
    track_ms: float = 0.0
    detected: bool = False


class FaceTracker:
    """Detect, confirm, follow and smooth faces in a stream of frames."""

    def __init__(self, detector: FaceDetector, model: KeypointPredictor, config: TrackerConfig | None = None):
        self.detector = detector
        self.model = model
        self.config = config or TrackerConfig()
        self._tracks: list[_Track] = []
        # Detections that passed the face score on the last detector run, with how many runs in a row.
        self._candidates: list[tuple[Keypoints, int]] = []
        self._next_id = 1
        self._frame_index = 0
        self.last_times = TrackerTimes()

    def reset(self) -> None:
        """Forget every face (for a new source)."""
        self._tracks = []
        self._candidates = []
        self._frame_index = 0

    def update(self, frame: Frame, t_s: float) -> tuple[Face, ...]:
        """The faces of this frame (smoothed keypoints, stable ids), given its time in seconds."""
        cfg = self.config
        times = TrackerTimes()
        height, width = frame.shape[:2]

        start = time.perf_counter()
        if self._tracks:
            predicted = self.model.predict(frame, [tr.region for tr in self._tracks])
            kept = []
            for track, keypoints in zip(self._tracks, predicted, strict=True):
                region = _follow_region(keypoints, track.region, width, height, cfg.keep_confidence)
                if region is not None:
                    track.raw, track.region = keypoints, region
                    kept.append(track)
            self._tracks = kept
        times.keypoints_ms = (time.perf_counter() - start) * 1000.0

        if not self._tracks or self._candidates or self._frame_index % cfg.detect_every_n_frames == 0:
            start = time.perf_counter()
            boxes = self.detector.detect(frame)
            times.detect_ms = (time.perf_counter() - start) * 1000.0
            times.detected = True
            start = time.perf_counter()
            self._match_detections(frame, boxes)
            times.keypoints_ms += (time.perf_counter() - start) * 1000.0

        start = time.perf_counter()
        self._drop_duplicates()
        faces = []
        for track in self._tracks:
            shown = track.raw
            if cfg.smooth:
                scale = max(track.raw.outer_eye_distance_px, 1.0)
                xy = track.smoother.filter(track.raw.xy_px, t_s, scale=scale)
                shown = Keypoints(xy, track.raw.confidence)
            faces.append(Face(box_from_points(shown.xy_px), shown, track.track_id))
        times.track_ms = (time.perf_counter() - start) * 1000.0
        self._frame_index += 1
        self.last_times = times
        return tuple(faces)

    def _start_track(self, keypoints: Keypoints) -> None:
        cfg = self.config
        self._tracks.append(
            _Track(
                self._next_id,
                keypoints,
                region_from_keypoints(keypoints.xy_px, rotate=True),
                OneEuroFilter(cfg.min_cutoff_hz, cfg.beta, cfg.d_cutoff_hz),
            )
        )
        self._next_id += 1

    def _match_detections(self, frame: Frame, boxes: list[FaceBox]) -> None:
        """Match the detector's boxes to tracks; confirm the others as new faces (:class:`TrackerConfig`)."""
        cfg = self.config
        calibration = self.model.calibration
        small_px = cfg.small_face_fraction * max(frame.shape[:2])
        tracked = [region_from_keypoints(tr.raw.xy_px).bounding_box() for tr in self._tracks]
        matched: set[int] = set()
        candidates: list[tuple[Keypoints, int]] = []
        for box in sorted(boxes, key=lambda b: -b.w * b.h):  # a face before the faces inside it
            det_box = region_from_box(box, calibration).bounding_box()
            best_iou, best_k = max(((det_box.iou(t), k) for k, t in enumerate(tracked)), default=(0.0, -1))
            if best_iou >= cfg.new_face_iou:
                matched.add(best_k)
                continue
            if any(_inside_share(box, t) >= cfg.inside_fraction for t in tracked):
                continue  # a face within a followed face is part of it
            full = len(self._tracks) + len(candidates) >= cfg.max_faces
            if full or box.score < cfg.new_face_detector_score:
                continue
            keypoints = self.model.predict_from_box(frame, box, refine_passes=1)
            needed = cfg.small_face_confidence if box.w < small_px else cfg.new_face_confidence
            if keypoints.confidence < needed:
                continue  # a detector false alarm: the model sees no face there
            found = box_from_points(keypoints.xy_px)
            runs = 1 + max(
                (n for c, n in self._candidates if box_from_points(c.xy_px).iou(found) >= 0.3), default=0
            )
            if runs >= cfg.confirm_detections:
                self._start_track(keypoints)
                matched.add(len(self._tracks) - 1)
                tracked.append(region_from_keypoints(keypoints.xy_px).bounding_box())
            else:
                candidates.append((keypoints, runs))
        self._candidates = candidates
        if self.model.has_confidence:
            return  # the model's face score already drops tracks that lost their face
        survivors = []
        for k, track in enumerate(self._tracks):
            track.detector_misses = 0 if k in matched else track.detector_misses + 1
            if track.detector_misses < cfg.max_detector_misses:
                survivors.append(track)
        self._tracks = survivors

    def _drop_duplicates(self) -> None:
        """Two tracks that converged on one face: keep the older."""
        kept: list[_Track] = []
        for track in sorted(self._tracks, key=lambda tr: tr.track_id):
            box = box_from_points(track.raw.xy_px)
            if all(box.iou(box_from_points(k.raw.xy_px)) < 0.5 for k in kept):
                kept.append(track)
        self._tracks = kept


def _follow_region(
    keypoints: Keypoints, region: CropRegion, width: int, height: int, min_confidence: float
) -> CropRegion | None:
    """The next frame's crop region from points predicted in ``region``, or None when the points
    no longer look like a face inside the frame (jumped, shrank, left the frame, low face score)."""
    new = region_from_keypoints(keypoints.xy_px, rotate=True)
    ratio = new.size_px / region.size_px
    shift = np.hypot(new.center_x_px - region.center_x_px, new.center_y_px - region.center_y_px)
    inside = -0.25 * new.size_px < new.center_x_px < width + 0.25 * new.size_px and (
        -0.25 * new.size_px < new.center_y_px < height + 0.25 * new.size_px
    )
    steady = 0.6 < ratio < 1.6 and shift < 0.35 * region.size_px and new.size_px > 12
    return new if steady and inside and keypoints.confidence >= min_confidence else None


def _inside_share(box: FaceBox, outer: FaceBox) -> float:
    """The share of ``box``'s area that lies inside ``outer``."""
    return box.intersection_area(outer) / (box.w * box.h)
