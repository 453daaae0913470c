"""A fake pipeline and camera and a synthetic clip, for the session and window tests (no Qt)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np

from snowcam.feeds import CameraSpec
from snowcam.pipeline import Pipeline
from snowcam.sources import SourceError, SourceInfo
from snowcam.types import Frame
from tests.fakes import FakeDetector, OracleModel, ScriptedScene
from tests.helpers import template_points, textured_frame, write_video

CLIP_SIZE = (320, 240)
CLIP_FPS = 30.0
CLIP_FRAMES = 45
FACE_CENTER = (160.0, 110.0)
FACE_EYE_DISTANCE = 80.0


def fake_pipeline() -> Pipeline:
    """A real :class:`Pipeline` whose detector and model report one fixed face at the clip's centre."""
    scene = ScriptedScene()
    scene.faces = [template_points(FACE_CENTER, FACE_EYE_DISTANCE)]
    return Pipeline(FakeDetector(scene), OracleModel(scene))


def frame_number(index: int) -> Frame:
    """A textured frame with its index written on it, so consecutive frames differ."""
    width, height = CLIP_SIZE
    frame = textured_frame(height, width, seed=index % 3)
    cv2.putText(frame, str(index), (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
    return frame


def write_clip(path: Path, frames: int = CLIP_FRAMES, fps: float = CLIP_FPS) -> Path:
    return write_video(path, (frame_number(i) for i in range(frames)), fps)


class FakeCamera:
    """A camera delivering half-dark, half-bright frames at ``fps`` (its reads block like a real one).

    After ``fail_after`` frames it raises ``SourceError`` as an unplugged camera does.
    """

    def __init__(self, spec: CameraSpec, fps: float = 30.0, fail_after: int | None = None) -> None:
        width, height = CLIP_SIZE
        self.info = SourceInfo(width, height, fps, spec.label, None)
        self.frame = frame_number(0)
        self.frame[:, : width // 2] //= 4
        self.period_s = 1.0 / fps
        self.fail_after = fail_after
        self.count = 0
        self.closed = False
        self._next_s = time.monotonic()

    def read(self) -> tuple[float, Frame] | None:
        if self.closed:
            return None
        if self.fail_after is not None and self.count >= self.fail_after:
            raise SourceError("Camera 0 stopped delivering frames. It may have been unplugged.")
        self._next_s += self.period_s
        time.sleep(max(0.0, self._next_s - time.monotonic()))
        self.count += 1
        return time.monotonic(), self.frame.copy()

    def close(self) -> None:
        self.closed = True


class CameraBox:
    """A camera factory whose behaviour a test scripts: ``fail`` to refuse, ``fail_after`` to unplug."""

    def __init__(self) -> None:
        self.fail = False
        self.fail_after: int | None = None
        self.opened: list[FakeCamera] = []
        self.specs: list[CameraSpec] = []
        self.lock = threading.Lock()

    def __call__(self, spec: CameraSpec) -> FakeCamera:
        with self.lock:
            if self.fail:
                raise SourceError(f"Camera {spec.index} could not be opened. Check that it is connected.")
            camera = FakeCamera(spec, fail_after=self.fail_after)
            self.fail_after = None
            self.opened.append(camera)
            self.specs.append(spec)
            return camera


def differs(a: np.ndarray, b: np.ndarray, threshold: int = 30) -> bool:
    """Whether two frames differ by more than compression noise somewhere."""
    return a.shape == b.shape and int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max()) > threshold
