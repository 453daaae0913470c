"""The worker's plain-Python parts: file pacing, the camera grabber, recording cadence, images."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtGui import QColor

from snowcam.resources import assets_dir
from snowcam.sources import SourceError, SourceInfo
from snowcam.types import Frame
from snowcam.ui.qimage import ndarray_to_qimage
from snowcam.ui.worker import CameraGrabber, CameraSpec, FilePlayer, RecordingWriter, _Recording
from snowcam.video_writer import SavedVideo, VideoWriter
from tests.ui.support import FakeCamera

FPS = 10.0


class ListSource:
    """``n`` numbered frames at ``FPS``; each frame's first pixel holds its index."""

    def __init__(self, n: int) -> None:
        self.info = SourceInfo(8, 6, FPS, "list", n)
        self.items = [(i / FPS, np.full((6, 8, 3), i, np.uint8)) for i in range(n)]
        self.closed = False

    def read(self) -> tuple[float, Frame] | None:
        return self.items.pop(0) if self.items else None

    def close(self) -> None:
        self.closed = True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_file_player_waits_for_due_frames_and_skips_late_ones() -> None:
    clock = Clock()
    player = FilePlayer(ListSource(20), clock)
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        clock.now += seconds
        return False

    t_s, frame, due = player.next_frame(wait)
    assert (t_s, frame[0, 0, 0], due) == (0.0, 0, 100.0) and waits == []
    t_s, _, due = player.next_frame(wait)
    assert t_s == pytest.approx(0.1) and waits == [pytest.approx(0.1)] and due == pytest.approx(100.1)

    clock.now += 0.35  # the UI stalled: frames 2 and 3 are already stale, frame 4 is due
    t_s, frame, _ = player.next_frame(wait)
    assert frame[0, 0, 0] == 4 and player.dropped == 2

    clock.now += 5.0  # far behind: re-sync instead of skipping a burst
    t_s, frame, due = player.next_frame(wait)
    assert frame[0, 0, 0] == 5 and due == clock.now


def test_file_player_keeps_the_frame_when_woken_and_reports_the_end() -> None:
    player = FilePlayer(ListSource(2), Clock())
    player.next_frame(lambda s: False)
    assert player.next_frame(lambda s: True) is None and not player.ended
    _, frame, _ = player.next_frame(lambda s: False)
    assert frame[0, 0, 0] == 1
    assert player.next_frame(lambda s: False) is None and player.ended


class MemoryRecorder:
    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.path = Path("memory.mp4")

    def write(self, frame: Frame, t_s: float | None = None) -> None:
        self.frames.append(frame)

    def write_audio(self, samples: object, t_s: float) -> None:
        pass

    def close(self) -> SavedVideo:
        return SavedVideo(self.path, len(self.frames), len(self.frames) / 10)

    def abort(self) -> None:
        pass

    def salvage(self) -> SavedVideo | None:
        return None


def test_recording_repeats_frames_to_keep_real_time_and_skips_long_gaps() -> None:
    recorder = MemoryRecorder()
    writer = RecordingWriter(recorder)  # type: ignore[arg-type]
    recording = _Recording(writer, fps=10.0, flip=True)
    frame = np.zeros((2, 3, 3), np.uint8)
    frame[:, 0] = 255
    for t_s in (0.0, 0.1, 0.3, 0.32, 0.4):
        recording.add(frame, t_s)
    assert recording.frames == 5  # 0.0, 0.1, 0.2 (repeat), 0.3, 0.4; 0.32 is not due yet
    recording.add(frame, 10.0)
    assert recording.frames == 6, "a 10 s gap is one frame, not 96 copies"
    writer.finish()
    assert len(recorder.frames) == 6
    assert recorder.frames[0][0, 2, 0] == 255 and recorder.frames[0][0, 0, 0] == 0, "flipped"


def test_recording_writer_produces_a_playable_mp4(tmp_path: Path) -> None:
    import cv2

    writer = RecordingWriter(VideoWriter(tmp_path / "out.mp4", 30.0, (64, 48)))
    for i in range(12):
        writer.submit(np.full((48, 64, 3), i * 20, np.uint8))
    result = writer.finish()
    assert result.error is None and result.saved is not None
    cap = cv2.VideoCapture(str(result.saved.path))
    count = 0
    while cap.read()[0]:
        count += 1
    assert count == 12


def test_camera_grabber_keeps_the_newest_frame_and_reconnects() -> None:
    events: list[tuple[str, object]] = []
    frames: list[float] = []
    opened = threading.Event()
    recovered = threading.Event()
    attempts = {"n": 0}

    def factory(spec: CameraSpec) -> FakeCamera:
        attempts["n"] += 1
        if attempts["n"] == 2:
            raise SourceError("still unplugged")
        return FakeCamera(spec, fps=200.0, fail_after=5 if attempts["n"] == 1 else None)

    def on_event(kind: str, payload: object) -> None:
        events.append((kind, payload))
        (opened if kind == "opened" else recovered if kind == "recovered" else threading.Event()).set()

    grabber = CameraGrabber(
        CameraSpec(0), factory, lambda t, f, a: frames.append(t), on_event, reconnect_delays_s=(0.01,)
    )
    grabber.start()
    assert recovered.wait(5.0)
    assert grabber.stop()
    assert [k for k, _ in events] == ["opened", "lost", "recovered"]
    assert attempts["n"] == 3 and len(frames) >= 5


def test_camera_grabber_reports_a_camera_that_never_opens() -> None:
    events: list[tuple[str, object]] = []

    def factory(spec: CameraSpec) -> FakeCamera:
        raise SourceError("Camera 3 could not be opened.")

    grabber = CameraGrabber(CameraSpec(3), factory, lambda *a: None, lambda k, p: events.append((k, p)))
    grabber.start()
    assert grabber.stop()
    assert events == [("failed", "Camera 3 could not be opened.")]


def test_ndarray_to_qimage_keeps_bgr_and_owns_its_pixels() -> None:
    frame = np.zeros((4, 6, 3), np.uint8)
    frame[..., 2] = 200  # red in BGR
    view = frame[:, ::2]  # not contiguous
    image = ndarray_to_qimage(view)
    del frame, view
    assert (image.width(), image.height()) == (3, 4)
    assert QColor(image.pixel(1, 1)).getRgb()[:3] == (200, 0, 0)
    with pytest.raises(ValueError, match="H×W×3"):
        ndarray_to_qimage(np.zeros((4, 6), np.uint8))


def test_starting_the_app_does_not_import_tensorflow(tmp_path: Path) -> None:
    """The real start-up path (pipeline factory included) stays free of TensorFlow."""
    code = f"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QApplication
from snowcam.ui.app import AppDeps, create_window
app = QApplication([])
store = QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat)
deps = AppDeps(store=store, camera_lister=lambda: [], watch_cameras=False, thumbnails=False)
window = create_window({str(assets_dir() / "demo.mp4")!r}, None, deps)
deadline = time.monotonic() + 10
while window.last_frame is None and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
window.close()
assert window.last_frame is not None, "no frame"
assert "tensorflow" not in sys.modules, "TensorFlow was imported"
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
