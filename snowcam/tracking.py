"""Follow faces over time: detect now and then, crop from last frame's keypoints, smooth.

Once a face has keypoints, the next frame's crop comes from those keypoints (as MediaPipe
tracks), so the detector runs only every few frames or when no face is tracked; while none is,
the keypoint model also scans the frame for faces the detector misses. The caller
hands in each frame's time; nothing here reads a clock except to measure stage durations.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from snowcam.detection import FaceDetector
from snowcam.geometry import DetectorCalibration, box_from_points, region_from_box, region_from_keypoints
from snowcam.search import WindowScan
from snowcam.smoothing import OneEuroFilter
from snowcam.types import CropRegion, Face, FaceBox, Frame, Keypoints


class KeypointPredictor(Protocol):
    """What the tracker needs from a keypoint model (``KeypointModel`` or a test fake)."""

    @property
    def calibration(self) -> DetectorCalibration: ...

    def predict(self, frame: Frame, regions: Sequence[CropRegion]) -> list[Keypoints]: ...

    def predict_from_box(self, frame: Frame, box: FaceBox, refine_passes: int = 1) -> Keypoints: ...


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Tracking and smoothing settings.

    Attributes:
        detect_every_n_frames: run the detector on every N-th frame while faces are tracked.
        idle_detect_every_n_frames: while no face is tracked, a detector with a pass cycle
            (``detect_pass``, as :class:`snowcam.detection.HaarFaceDetector` has) runs one pass
            on every frame: its whole search, padded and turned frames included, spread so
            that no frame stalls. Any other detector's ``detect`` runs on every N-th frame.
        scan_windows_per_frame: while no face is tracked, the keypoint model also scores this
            many scan windows per frame (:class:`snowcam.search.WindowScan`, 20–27 ms), so a
            face the cascades miss (half behind hair, a head rolled 40–60°) is found within a sweep
            of about 20 frames; 0 turns the scan off. Needs a model with a face score.
        max_detector_misses: for a model without a face score, drop a track after this many
            detector runs in a row that found no face near it (its keypoints alone cannot tell a
            face from a wall). A model with a face score keeps a track while it scores a face, so
            a head turn or roll that the Haar cascade misses does not restart the track.
        max_faces: the most faces followed at once.
        new_face_iou: a detection overlapping a track's crop region less than this starts a new track.
        new_face_confidence: the model's face score a new detection needs to start a track
            (heat-map models score about 0.2 on faces and 0.1 on background).
        keep_confidence: below this score a tracked crop is taken to have lost its face.
        min_cutoff_hz, beta, d_cutoff_hz: One Euro filter settings for the keypoints; speeds are
            measured in eye distances per second, so the same values suit small and big faces.
            beta 8 was chosen on real clips: jitter ≤ 1 % of the eye distance on the noisiest
            (low-resolution webcam) clip, and the demo clip's quick move caught up two frames
            after it ends (beta 10: 1.04 % jitter; beta 6: 0.90 % but visibly more lag).
    """

    detect_every_n_frames: int = 30
    idle_detect_every_n_frames: int = 3
    scan_windows_per_frame: int = 24
    new_face_confidence: float = 0.17
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
    """Detect, follow and smooth faces in a stream of frames."""

    def __init__(self, detector: FaceDetector, model: KeypointPredictor, config: TrackerConfig | None = None):
        self.detector = detector
        self.model = model
        self.config = config or TrackerConfig()
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._frame_index = 0
        self._idle_step = 0
        self.last_times = TrackerTimes()
        # The model's own window scan needs its face score and raw crops (a KeypointModel of a
        # heat-map model); fakes and other models only need `predict`.
        self._scan: WindowScan | None = None
        scannable = getattr(model, "has_confidence", False) and hasattr(model, "predict_crops")
        if self.config.scan_windows_per_frame > 0 and scannable:
            self._scan = WindowScan(model, windows_per_step=self.config.scan_windows_per_frame)

    def reset(self) -> None:
        """Forget every face (for a new source)."""
        self._tracks = []
        self._frame_index = 0
        self._idle_step = 0
        if self._scan is not None:
            self._scan.reset()

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

        index = self._frame_index
        boxes: list[FaceBox] | None = None
        start = time.perf_counter()
        detect_pass = getattr(self.detector, "detect_pass", None)
        if not self._tracks and detect_pass is not None:
            boxes = detect_pass(frame, self._idle_step)
            self._idle_step += 1
        elif index % cfg.detect_every_n_frames == 0 or (
            not self._tracks and index % cfg.idle_detect_every_n_frames == 0
        ):
            boxes = self.detector.detect(frame)
        if self._tracks:
            self._idle_step = 0  # a face lost later is looked for with the quick pass first
        if boxes is not None:
            times.detect_ms = (time.perf_counter() - start) * 1000.0
            times.detected = True
            start = time.perf_counter()
            self._match_detections(frame, boxes)
            times.keypoints_ms += (time.perf_counter() - start) * 1000.0

        if self._scan is not None:
            if self._tracks:
                self._scan.reset()
            else:
                start = time.perf_counter()
                found = self._scan.step(frame)
                if found is not None:
                    self._start_track(found)
                times.detect_ms += (time.perf_counter() - start) * 1000.0

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
        cfg = self.config
        calibration = self.model.calibration
        matched: set[int] = set()
        for box in boxes:
            det_box = region_from_box(box, calibration).bounding_box()
            overlaps = [
                (det_box.iou(region_from_keypoints(tr.raw.xy_px).bounding_box()), k)
                for k, tr in enumerate(self._tracks)
            ]
            best_iou, best_k = max(overlaps, default=(0.0, -1))
            if best_iou >= cfg.new_face_iou:
                matched.add(best_k)
                continue
            if len(self._tracks) >= cfg.max_faces:
                continue
            keypoints = self.model.predict_from_box(frame, box, refine_passes=1)
            if keypoints.confidence < cfg.new_face_confidence:
                continue  # a detector false alarm: the model sees no face there
            self._start_track(keypoints)
            matched.add(len(self._tracks) - 1)
        if getattr(self.model, "has_confidence", False):
            return  # the model's face score already drops tracks that lost their face
        confirm = getattr(self.detector, "contains_face", None)
        survivors = []
        for k, track in enumerate(self._tracks):
            if k not in matched and confirm is not None:
                region = region_from_keypoints(track.raw.xy_px).bounding_box()
                if confirm(frame, region):
                    matched.add(k)
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
