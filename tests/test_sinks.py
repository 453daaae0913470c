from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from snowcam import sinks
from snowcam.sinks import SinkError, VideoRecorder, save_image_atomic, snapshot_path

W, H = 64, 48


def make_frame(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)


def test_png_is_written_losslessly_with_no_temp_file_left(tmp_path: Path) -> None:
    frame = make_frame()
    out = save_image_atomic(frame, tmp_path / "shot.png")
    assert out == tmp_path / "shot.png"
    assert os.listdir(tmp_path) == ["shot.png"]
    np.testing.assert_array_equal(cv2.imread(str(out), cv2.IMREAD_COLOR), frame)


def test_jpeg_by_suffix(tmp_path: Path) -> None:
    frame = np.full((H, W, 3), (10, 120, 230), np.uint8)
    out = save_image_atomic(frame, tmp_path / "shot.JPG")
    assert out.read_bytes()[:3] == b"\xff\xd8\xff"
    back = cv2.imread(str(out), cv2.IMREAD_COLOR)
    assert np.abs(back.astype(int) - frame.astype(int)).max() <= 3, "BGR order is kept"


def test_missing_folder_is_created(tmp_path: Path) -> None:
    out = save_image_atomic(make_frame(), tmp_path / "a" / "b" / "shot.png")
    assert out.is_file()


def test_overwrite_replaces_the_old_image(tmp_path: Path) -> None:
    target = tmp_path / "shot.png"
    save_image_atomic(make_frame(1), target)
    save_image_atomic(make_frame(2), target)
    np.testing.assert_array_equal(cv2.imread(str(target)), make_frame(2))
    assert os.listdir(tmp_path) == ["shot.png"]


@pytest.mark.parametrize(
    ("frame", "name"),
    [
        (np.zeros((H, W), np.uint8), "x.png"),
        (np.zeros((H, W, 3), np.float32), "x.png"),
        (np.zeros((H, W, 4), np.uint8), "x.png"),
        (np.zeros((H, W, 3), np.uint8), "x.bmp"),
    ],
)
def test_bad_input_raises_value_error(tmp_path: Path, frame: np.ndarray, name: str) -> None:
    with pytest.raises(ValueError):
        save_image_atomic(frame, tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_folder_that_is_a_file_raises_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(SinkError, match=r"shot\.png.*not a folder"):
        save_image_atomic(make_frame(), blocker / "shot.png")
    assert os.listdir(tmp_path) == ["not_a_folder"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_folder_raises_sink_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(SinkError, match="not writable"):
            save_image_atomic(make_frame(), locked / "shot.png")
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_permission_errors_say_the_folder_is_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def refuse(**kwargs: object) -> tuple[int, str]:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(sinks.tempfile, "mkstemp", refuse)
    with pytest.raises(SinkError, match=r"Could not save shot\.png: the folder .* is not writable"):
        save_image_atomic(make_frame(), tmp_path / "shot.png")
    assert os.listdir(tmp_path) == []


def test_full_disk_raises_sink_error_and_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "shot.png"
    save_image_atomic(make_frame(1), target)
    before = target.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sinks.os, "fsync", disk_full)
    with pytest.raises(SinkError, match=r"disk .* is full.*Free some space"):
        save_image_atomic(make_frame(2), target)
    assert os.listdir(tmp_path) == ["shot.png"]
    assert target.read_bytes() == before


def test_snapshot_path_format() -> None:
    now = datetime(2024, 3, 5, 14, 7, 9, 123456)
    assert snapshot_path(Path("/shots"), now) == Path("/shots/snowcam-20240305-140709-123.png")
    assert snapshot_path("/shots", now, suffix=".jpg").name == "snowcam-20240305-140709-123.jpg"


def test_snapshot_path_is_unique(tmp_path: Path) -> None:
    now = datetime(2024, 3, 5, 14, 7, 9, 5000)
    first = snapshot_path(tmp_path, now)
    assert first.name == "snowcam-20240305-140709-005.png"
    first.touch()
    second = snapshot_path(tmp_path, now)
    second.touch()
    third = snapshot_path(tmp_path, now)
    assert [second.name, third.name] == [
        "snowcam-20240305-140709-005-1.png",
        "snowcam-20240305-140709-005-2.png",
    ]


def count_frames(path: Path) -> tuple[int, tuple[int, int]]:
    cap = cv2.VideoCapture(str(path))
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n, size


def test_recorder_writes_a_replayable_mp4_only_at_close(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    rec = VideoRecorder(target, 30, (W, H))
    for i in range(12):
        rec.write(make_frame(i))
    assert rec.frames_written == 12
    assert not target.exists(), "an unfinished recording must not be at the final name"
    assert rec.partial_path == tmp_path / ".clip.partial.mp4"
    assert rec.partial_path.exists()
    assert rec.close() == target
    assert rec.close() == target
    assert os.listdir(tmp_path) == ["clip.mp4"]
    assert count_frames(target) == (12, (W, H))


def test_recorder_abort_leaves_nothing(tmp_path: Path) -> None:
    rec = VideoRecorder(tmp_path / "clip.mp4", 30, (W, H))
    rec.write(make_frame())
    rec.abort()
    rec.abort()
    assert os.listdir(tmp_path) == []
    with pytest.raises(SinkError, match="aborted"):
        rec.close()
    with pytest.raises(SinkError):
        rec.write(make_frame())


def test_recorder_context_manager_aborts_on_error(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), VideoRecorder(tmp_path / "clip.mp4", 30, (W, H)) as rec:
        rec.write(make_frame())
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_recorder_context_manager_closes(tmp_path: Path) -> None:
    with VideoRecorder(tmp_path / "clip.mp4", 10, (W, H), fourccs=("mp4v",)) as rec:
        for i in range(3):
            rec.write(make_frame(i))
    assert rec.fourcc == "mp4v"
    assert count_frames(tmp_path / "clip.mp4") == (3, (W, H))


def test_recorder_with_no_frames_saves_nothing(tmp_path: Path) -> None:
    rec = VideoRecorder(tmp_path / "clip.mp4", 30, (W, H))
    with pytest.raises(SinkError, match="No frames"):
        rec.close()
    assert os.listdir(tmp_path) == []


def test_recorder_rejects_frames_of_another_size(tmp_path: Path) -> None:
    with VideoRecorder(tmp_path / "clip.mp4", 30, (W, H)) as rec:
        rec.write(make_frame())
        with pytest.raises(ValueError, match="recording is 64×48"):
            rec.write(np.zeros((H + 2, W, 3), np.uint8))
    assert rec.frames_written == 1


def test_recorder_skips_a_codec_that_does_not_work(tmp_path: Path) -> None:
    with VideoRecorder(tmp_path / "clip.mp4", 30, (W, H), fourccs=("XXXX", "mp4v")) as rec:
        rec.write(make_frame())
    assert rec.fourcc == "mp4v"


def test_recorder_in_unusable_folder_raises_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(SinkError, match=r"clip\.mp4"):
        VideoRecorder(blocker / "clip.mp4", 30, (W, H))
    assert os.listdir(tmp_path) == ["not_a_folder"]


def test_recorder_without_any_codec_raises_sink_error(tmp_path: Path) -> None:
    with pytest.raises(SinkError, match="cannot write an mp4"):
        VideoRecorder(tmp_path / "clip.mp4", 30, (W, H), fourccs=("XXXX",))
    assert os.listdir(tmp_path) == []
