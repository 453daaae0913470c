from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from snowcam import files, sinks
from snowcam.sinks import SinkError, save_image_atomic, snapshot_path

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
    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(files, "create_hidden_temp", refuse)
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


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_photo_permissions_follow_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        out = save_image_atomic(make_frame(), tmp_path / "shot.png")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
