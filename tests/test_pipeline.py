"""Pipeline wiring with fakes: filters drawn on a copy, stage times, validation, the run loop."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from snowcam.filters import create_filter
from snowcam.pipeline import Pipeline, run
from snowcam.tracking import TrackerConfig
from snowcam.types import Face, Frame
from tests.fakes import FakeDetector, OracleModel, ScriptedScene
from tests.helpers import template_points, textured_frame


class CountingFilter:
    name = "count"
    group = "effect"

    def __init__(self) -> None:
        self.faces: list[Face] = []
        self.times_s: list[float] = []
        self.resets = 0

    def apply(self, out: Frame, faces: Sequence[Face], t_s: float) -> None:
        self.faces.extend(faces)
        self.times_s.append(t_s)
        out[0, 0] = (1, 2, 3)

    def reset(self) -> None:
        self.resets += 1


class ListSource:
    def __init__(self, frames: list[tuple[float, Frame]]) -> None:
        self.frames = list(frames)

    def read(self) -> tuple[float, Frame] | None:
        return self.frames.pop(0) if self.frames else None


def make_pipeline(filters=()) -> tuple[ScriptedScene, Pipeline]:
    scene = ScriptedScene()
    pipeline = Pipeline(FakeDetector(scene), OracleModel(scene), filters, TrackerConfig(smooth=False))
    return scene, pipeline


def test_process_draws_on_a_copy_and_reports_stage_times() -> None:
    counter = CountingFilter()
    scene, pipeline = make_pipeline([counter])
    scene.faces = [template_points((160, 120), 60)]
    frame = textured_frame()
    before = frame.copy()
    result = pipeline.process(frame, 0.0)
    np.testing.assert_array_equal(frame, before)
    assert result.frame is frame
    assert tuple(result.output[0, 0]) == (1, 2, 3)
    assert len(result.faces) == 1 and counter.faces == list(result.faces)
    assert counter.times_s == [0.0], "filters are given the frame's time"
    pipeline.reset()
    assert counter.resets == 1, "a reset reaches the filters' state"
    assert {"detect", "keypoints", "track", "filter:count", "total"} <= set(result.stage_ms)
    assert all(v >= 0 for v in result.stage_ms.values())


def test_filters_are_swapped_by_assignment_between_frames() -> None:
    scene, pipeline = make_pipeline()
    scene.faces = [template_points((160, 120), 60)]
    frame = textured_frame()
    plain = pipeline.process(frame, 0.0).output
    np.testing.assert_array_equal(plain, frame)
    pipeline.filters = (create_filter("big-eyes"),)
    eyes = pipeline.process(frame, 1 / 30).output
    assert np.abs(eyes.astype(int) - frame).sum() > 0


def test_process_rejects_frames_that_are_not_bgr_uint8() -> None:
    _, pipeline = make_pipeline()
    with pytest.raises(ValueError, match="H×W×3 uint8 BGR"):
        pipeline.process(np.zeros((10, 10), np.uint8), 0.0)
    with pytest.raises(ValueError, match="H×W×3 uint8 BGR"):
        pipeline.process(np.zeros((10, 10, 3), np.float32), 0.0)


def test_run_yields_every_frame_with_read_time_and_stops_on_event() -> None:
    _, pipeline = make_pipeline()
    frames = [(i / 30, textured_frame(seed=i)) for i in range(5)]
    results = list(run(ListSource(frames), pipeline))
    assert [r.t_s for r in results] == [t for t, _ in frames]
    assert all("read" in r.stage_ms for r in results)
    stop = threading.Event()
    stop.set()
    assert list(run(ListSource(frames), pipeline, stop)) == []
