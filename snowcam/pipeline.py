"""The engine: frame in, faces found and followed, filters drawn, frame out. No Qt, no TensorFlow.

``Pipeline.process(frame, t_s)`` is the only place that composes detector → crop → keypoints
→ tracker → filters. The app, ``snowcam render`` and ``snowcam bench`` all drive it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event

from snowcam.detection import FaceDetector, create_detector
from snowcam.filters import Filter, create_filter, render
from snowcam.sources import FrameSource
from snowcam.tracking import FaceTracker, KeypointPredictor, TrackerConfig
from snowcam.types import Frame, FrameResult, validate_frame


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Settings of the engine; the defaults are what the app uses.

    ``detector`` names the face detector (:data:`snowcam.detection.DETECTORS`: BlazeFace, or
    ``"haar"``, the cascades); ``min_face_px`` is the smallest face (box side, frame pixels) it
    reports. For Haar, ``detect_max_side_px`` is the longer side the frame is shrunk to before
    detection and ``detect_scale_factor`` the cascade's pyramid step (1.15 costs about a third
    less than 1.1). ``detect_zoom`` adds BlazeFace's zoomed pass (one tile of the frame at twice
    the scale every second detector run) that finds faces down to ``min_face_px`` in a 640×480 frame.
    """

    model_path: str | None = None
    detector: str = "blazeface"
    min_face_px: int = 48
    detect_max_side_px: int = 320
    detect_scale_factor: float = 1.15
    detect_zoom: bool = True
    tracker: TrackerConfig = field(default_factory=TrackerConfig)


class Pipeline:
    """Process frames: detect and track faces, predict keypoints, draw the active filters.

    ``filters`` is an immutable tuple; the UI swaps it with one assignment from any thread,
    and each frame uses the tuple it read at its start.
    """

    def __init__(
        self,
        detector: FaceDetector,
        model: KeypointPredictor,
        filters: Sequence[Filter] = (),
        tracker_config: TrackerConfig | None = None,
    ) -> None:
        self.tracker = FaceTracker(detector, model, tracker_config)
        self.filters: tuple[Filter, ...] = tuple(filters)

    def reset(self) -> None:
        """Forget all tracked faces and the filters' state (call when the source changes)."""
        self.tracker.reset()
        for f in self.filters:
            f.reset()

    def process(self, frame: Frame, t_s: float) -> FrameResult:
        """Run one BGR frame taken at ``t_s`` seconds; the input frame is never modified."""
        validate_frame(frame)
        start = time.perf_counter()
        filters = self.filters
        faces = self.tracker.update(frame, t_s)
        times = self.tracker.last_times
        stage_ms = {"detect": times.detect_ms, "keypoints": times.keypoints_ms, "track": times.track_ms}
        out = render(frame, faces, filters, t_s, stage_ms)
        stage_ms["total"] = (time.perf_counter() - start) * 1000.0
        return FrameResult(t_s, frame, faces, out, stage_ms)


def build_pipeline(settings: PipelineSettings | None = None, filter_names: Sequence[str] = ()) -> Pipeline:
    """The real pipeline: the settings' detector, the shipped (or given) LiteRT model, named filters.

    Raises:
        snowcam.keypoints.ModelError: a model file or its card is missing or invalid.
        ValueError: an unknown filter or detector name.
    """
    from snowcam.keypoints import KeypointModel, default_model_path

    s = settings or PipelineSettings()
    model = KeypointModel(Path(s.model_path) if s.model_path else default_model_path())
    detector = create_detector(
        s.detector, s.min_face_px, s.detect_max_side_px, s.detect_scale_factor, zoom=s.detect_zoom
    )
    return Pipeline(detector, model, [create_filter(n) for n in filter_names], s.tracker)


def run(source: FrameSource, pipeline: Pipeline, stop: Event | None = None) -> Iterator[FrameResult]:
    """Process every frame of a source until it ends or ``stop`` is set; a plain generator.

    Each result's ``stage_ms["read"]`` is the time spent reading the frame.
    """
    while stop is None or not stop.is_set():
        start = time.perf_counter()
        item = source.read()
        read_ms = (time.perf_counter() - start) * 1000.0
        if item is None:
            return
        t_s, frame = item
        result = pipeline.process(frame, t_s)
        result.stage_ms["read"] = read_ms
        yield result
