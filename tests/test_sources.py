from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from snowcam import sources
from snowcam.sources import CameraSource, FrameSource, SourceError, SourceInfo, VideoFileSource
from tests.helpers import write_video

W, H = 64, 48


def _level(i: int) -> int:
    return 20 + 40 * i


def write_clip(path: Path, n_frames: int, fps: float = 10.0) -> Path:
    """A small mp4 whose frame i is a flat grey of level ``_level(i)`` (survives compression)."""
    return write_video(path, (np.full((H, W, 3), _level(i), np.uint8) for i in range(n_frames)), fps)


def test_file_source_reports_info_and_index_timestamps(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", 5, fps=10.0)
    with VideoFileSource(clip) as src:
        assert isinstance(src, FrameSource)
        assert src.info == SourceInfo(width=W, height=H, fps=10.0, name="clip.mp4", frame_count=5)
        items = list(src)
    assert [t for t, _ in items] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    for i, (_, frame) in enumerate(items):
        assert frame.shape == (H, W, 3) and frame.dtype == np.uint8
        assert abs(float(frame.mean()) - _level(i)) < 6, "frames come out in file order"


def test_file_source_end_and_close_return_none(tmp_path: Path) -> None:
    src = VideoFileSource(write_clip(tmp_path / "clip.mp4", 2))
    assert src.read() is not None and src.read() is not None
    assert src.read() is None
    assert src.read() is None
    src.close()
    src.close()
    assert src.read() is None


def test_file_replay_is_reproducible(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", 4)
    with VideoFileSource(clip) as a, VideoFileSource(clip) as b:
        first, second = list(a), list(b)
    assert [t for t, _ in first] == [t for t, _ in second]
    for (_, fa), (_, fb) in zip(first, second, strict=True):
        np.testing.assert_array_equal(fa, fb)


def test_loop_restarts_and_time_keeps_increasing(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", 3, fps=10.0)
    with VideoFileSource(clip, loop=True) as src:
        items = [src.read() for _ in range(8)]
    assert all(item is not None for item in items)
    times = [item[0] for item in items if item is not None]
    assert times == pytest.approx([i / 10.0 for i in range(8)])
    levels = [float(item[1].mean()) for item in items if item is not None]
    expected = [_level(i % 3) for i in range(8)]
    assert np.allclose(levels, expected, atol=6), "the second pass starts again at frame 0"


def test_missing_file_raises_helpful_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"not found: .*nope\.mp4.*Check the path"):
        VideoFileSource(tmp_path / "nope.mp4")


def test_folder_raises_helpful_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a folder"):
        VideoFileSource(tmp_path)


def test_corrupt_file_raises_helpful_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(SourceError, match=r"broken\.mp4.*(damaged|corrupt)"):
        VideoFileSource(bad)


def test_empty_file_raises_helpful_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match=r"empty\.mp4"):
        VideoFileSource(empty)


class FakeCapture:
    """Stands in for ``cv2.VideoCapture``: scripted read results and properties."""

    def __init__(self, reads: list[bool], props: dict[int, float] | None = None, opened: bool = True) -> None:
        self.reads = list(reads)
        self.props = dict(props or {})
        self.opened = opened
        self.released = False
        self.n_reads = 0

    def isOpened(self) -> bool:
        return self.opened

    def read(self) -> tuple[bool, np.ndarray | None]:
        ok = self.reads.pop(0) if self.reads else False
        self.n_reads += 1
        return (True, np.full((H, W, 3), self.n_reads, np.uint8)) if ok else (False, None)

    def get(self, prop: int) -> float:
        return self.props.get(prop, 0.0)

    def set(self, prop: int, value: float) -> bool:
        return True

    def release(self) -> None:
        self.released = True


def test_zero_fps_file_falls_back_to_30_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clip = tmp_path / "nofps.mp4"
    clip.write_bytes(b"placeholder")
    monkeypatch.setattr(sources, "_open_video", lambda path: FakeCapture([True, True, True]))
    with caplog.at_level(logging.WARNING, logger="snowcam.sources"):
        src = VideoFileSource(clip)
    assert src.info.fps == 30.0
    assert src.info.frame_count is None
    assert "nofps.mp4" in caplog.text and "30" in caplog.text
    assert [t for t, _ in src] == pytest.approx([0.0, 1 / 30, 2 / 30])


def test_camera_with_impossible_index_raises_fast() -> None:
    start = time.monotonic()
    with pytest.raises(SourceError, match=r"Camera 9999 could not be opened.*another camera"):
        CameraSource(9999)
    assert time.monotonic() - start < 5.0


def _fake_camera(monkeypatch: pytest.MonkeyPatch, cap: FakeCapture) -> None:
    monkeypatch.setattr(sources, "_open_camera", lambda index: cap)
    monkeypatch.setattr(sources, "_CAMERA_RETRY_DELAY_S", 0.0)


def test_camera_timestamps_come_from_the_injected_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    cap = FakeCapture([True] * 4, props={cv2.CAP_PROP_FPS: 25.0})
    _fake_camera(monkeypatch, cap)
    ticks = iter([10.0, 10.5, 11.25, 12.0])
    with CameraSource(1, clock=lambda: next(ticks)) as cam:
        assert cam.info == SourceInfo(width=W, height=H, fps=25.0, name="camera 1", frame_count=None)
        got = [cam.read() for _ in range(4)]
    assert [item[0] for item in got if item is not None] == [10.0, 10.5, 11.25, 12.0]
    assert [int(item[1][0, 0, 0]) for item in got if item is not None] == [1, 2, 3, 4]
    assert cap.released


def test_camera_without_fps_reports_the_requested_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_camera(monkeypatch, FakeCapture([True]))
    with CameraSource(0, fps=24) as cam:
        assert cam.info.fps == 24.0


def test_camera_survives_a_few_dropped_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_camera(monkeypatch, FakeCapture([True, False, False, True]))
    with CameraSource(0, max_failed_reads=3, clock=lambda: 0.0) as cam:
        assert cam.read() is not None
        assert cam.read() is not None


def test_camera_that_disappears_raises_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    cap = FakeCapture([True, True] + [False] * 5)
    _fake_camera(monkeypatch, cap)
    cam = CameraSource(0, max_failed_reads=5, clock=lambda: 0.0)
    assert cam.read() is not None
    assert cam.read() is not None
    with pytest.raises(SourceError, match=r"Camera 0 stopped delivering frames.*reconnect"):
        cam.read()
    assert cap.n_reads == 7
    cam.close()
    assert cam.read() is None


def test_camera_that_opens_but_never_delivers_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    cap = FakeCapture([])
    _fake_camera(monkeypatch, cap)
    with pytest.raises(SourceError, match="delivers no picture"):
        CameraSource(0, max_failed_reads=2)
    assert cap.released
