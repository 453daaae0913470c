"""``snowcam virtualcam`` end to end with a fake virtual camera: frames, order, mirroring, stop, errors."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from snowcam import virtualcam_cli
from snowcam.cli import main
from snowcam.resources import models_dir
from tests.fake_virtualcam import FakeVirtualCamera, FakeVirtualCameraFactory
from tests.helpers import write_video

REPO = Path(__file__).resolve().parents[1]
CLIP_FRAMES, CLIP_FPS, CLIP_SIZE = 6, 30.0, (96, 64)
needs_model = pytest.mark.skipif(
    not (models_dir() / "keypoints.tflite").is_file(), reason="the shipped model is not built yet"
)


def clip_frame(i: int) -> np.ndarray:
    """Red on the image left, green on the right, brightness by frame number: order and side show."""
    width, height = CLIP_SIZE
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:, : width // 3] = (0, 0, 200)
    frame[:, width // 3 :] = (0, 40 + 30 * i, 0)
    return frame


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    return write_video(path, (clip_frame(i) for i in range(CLIP_FRAMES)), CLIP_FPS)


def decoded(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while (item := cap.read())[0]:
        frames.append(item[1])
    cap.release()
    return frames


@pytest.fixture
def factory(monkeypatch: pytest.MonkeyPatch) -> FakeVirtualCameraFactory:
    fake = FakeVirtualCameraFactory()
    monkeypatch.setattr(virtualcam_cli, "CAMERA_FACTORY", fake)
    return fake


def matches_in_order(sent: list[np.ndarray], frames: list[np.ndarray]) -> list[int]:
    """The index of the source frame each sent frame equals; a real-time replay may skip late ones."""
    indices, start = [], 0
    for frame in sent:
        index = next(i for i in range(start, len(frames)) if np.array_equal(frame, frames[i]))
        indices.append(index)
        start = index + 1
    return indices


@needs_model
def test_a_replay_arrives_in_rgb_in_order_unmirrored_and_the_device_is_released(
    clip: Path, factory: FakeVirtualCameraFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["virtualcam", "--video", str(clip), "--mirror", "--device", "/dev/video3"]
    assert main(argv) == 0  # --mirror: video files are sent as recorded all the same
    camera = factory.last
    assert camera.device == "/dev/video3"
    assert (camera.width, camera.height, camera.fps) == (*CLIP_SIZE, CLIP_FPS)
    expected = [frame[:, :, ::-1] for frame in decoded(clip)]  # BGR -> RGB
    assert len(expected) == CLIP_FRAMES and camera.frames
    assert matches_in_order(camera.frames, expected)[-1] == CLIP_FRAMES - 1  # up to the last frame
    assert camera.frames[0][5, 5, 0] > 150 and camera.frames[0][5, -5, 1] > 20  # red left: RGB, unflipped
    assert camera.close_calls == 1
    err = capsys.readouterr().err
    assert "to /dev/video3" in err and f"sent {len(camera.frames)} frames" in err and "released" in err


class StillCamera:
    """A fake camera source: the same asymmetric picture at 30 fps, read blocking like a real one."""

    def __init__(self, spec: object) -> None:
        from snowcam.sources import SourceInfo

        width, height = CLIP_SIZE
        self.info = SourceInfo(width, height, 30.0, "fake camera", None)
        self.frame = clip_frame(0)
        self.count = 0

    def read(self) -> tuple[float, np.ndarray] | None:
        time.sleep(1 / 30)
        self.count += 1
        return self.count / 30, self.frame.copy()

    def close(self) -> None:
        pass


@needs_model
@pytest.mark.parametrize("mirror", [False, True], ids=["default-unmirrored", "mirror"])
def test_a_camera_goes_out_unmirrored_unless_mirror_is_asked(
    monkeypatch: pytest.MonkeyPatch, mirror: bool
) -> None:
    opened: list[FakeVirtualCamera] = []

    class StopAfterThree(FakeVirtualCamera):
        def __init__(self, *args: object) -> None:
            super().__init__(*args)  # type: ignore[arg-type]
            opened.append(self)

        def send(self, frame: np.ndarray) -> None:
            super().send(frame)
            if len(self.frames) == 3:
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(virtualcam_cli, "open_camera", StillCamera)
    monkeypatch.setattr(virtualcam_cli, "CAMERA_FACTORY", StopAfterThree)
    assert main(["virtualcam", "--camera", "0", *(["--mirror"] if mirror else [])]) == 0
    (camera,) = opened
    expected = clip_frame(0)[:, :, ::-1]
    if mirror:
        expected = expected[:, ::-1]
    assert len(camera.frames) >= 3
    for sent in camera.frames:
        np.testing.assert_array_equal(sent, expected)
    assert camera.closed


@needs_model
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_looping_replay_runs_until_a_signal_then_releases_the_device_and_exits_0(
    clip: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    released: list[FakeVirtualCamera] = []

    class SignalAfter(FakeVirtualCamera):
        def send(self, frame: np.ndarray) -> None:
            super().send(frame)
            if len(self.frames) == 2 * CLIP_FRAMES + 1:
                signal.raise_signal(signum)

        def close(self) -> None:
            super().close()
            released.append(self)

    monkeypatch.setattr(virtualcam_cli, "CAMERA_FACTORY", SignalAfter)
    before = signal.getsignal(signum)
    assert main(["virtualcam", "--video", str(clip), "--loop"]) == 0
    assert len(released) == 1, "the device was not released exactly once"
    assert len(released[0].frames) > 2 * CLIP_FRAMES  # past the clip's end: it loops
    assert signal.getsignal(signum) is before


@needs_model
def test_no_virtual_camera_exits_2_with_the_install_steps(
    clip: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = RuntimeError("'v4l2loopback' backend: No v4l2 loopback device found at /dev/video[0-99].")
    monkeypatch.setattr(virtualcam_cli, "CAMERA_FACTORY", FakeVirtualCameraFactory(error))
    monkeypatch.setattr("snowcam.virtualcam.platform.system", lambda: "Linux")
    assert main(["virtualcam", "--video", str(clip)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("snowcam virtualcam: error: No virtual camera could be opened")
    assert "sudo apt install v4l2loopback-dkms" in err
    assert "sudo modprobe v4l2loopback exclusive_caps=1 card_label=snowcam" in err


@needs_model
def test_without_the_extra_the_command_exits_2_with_the_pip_command_and_no_traceback(clip: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["pyvirtualcam"] = None
        from snowcam.cli import main
        sys.exit(main(["virtualcam", "--video", {str(clip)!r}]))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert 'python -m pip install "snowcam[virtualcam]"' in proc.stderr
    assert "Traceback" not in proc.stderr


@needs_model
def test_sigterm_to_a_running_command_releases_the_device_and_exits_0(clip: Path, tmp_path: Path) -> None:
    """A real process and a real signal: the fake camera writes a file when it is released."""
    released = tmp_path / "released"
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from snowcam import virtualcam_cli
        from snowcam.cli import main
        from tests.fake_virtualcam import FakeVirtualCamera

        class Camera(FakeVirtualCamera):
            def send(self, frame):
                super().send(frame)
                if len(self.frames) == 1:
                    print("first frame sent", flush=True)

            def close(self):
                super().close()
                Path({str(released)!r}).write_text(str(len(self.frames)))

        virtualcam_cli.CAMERA_FACTORY = Camera
        sys.exit(main(["virtualcam", "--video", {str(clip)!r}, "--loop"]))
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "first frame sent"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert int(released.read_text()) >= 1
    assert "released" in err and "Traceback" not in err


@needs_model
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--loop"], "--loop needs --video"),
        (["--video", "missing.mp4"], "missing.mp4"),
        (["--video", "CLIP", "--filter", "dog-ears"], "unknown filter 'dog-ears'"),
    ],
)
def test_bad_arguments_exit_2_before_a_device_is_opened(
    clip: Path,
    factory: FakeVirtualCameraFactory,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    args = [str(clip) if a == "CLIP" else a for a in args]
    assert main(["virtualcam", *args]) == 2
    assert message in capsys.readouterr().err
    assert factory.opened == []


def test_camera_and_video_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["virtualcam", "--camera", "0", "--video", "x.mp4"])
    assert info.value.code == 2 and "not allowed with" in capsys.readouterr().err


@needs_model
def test_a_device_lost_mid_stream_exits_2_with_one_line_and_no_traceback(clip: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from snowcam import virtualcam_cli
        from snowcam.cli import main
        from tests.fake_virtualcam import FakeVirtualCamera

        class Camera(FakeVirtualCamera):
            def send(self, frame):
                super().send(frame)
                if len(self.frames) == 2:
                    self.fail_send = OSError("No such device")

        virtualcam_cli.CAMERA_FACTORY = Camera
        sys.exit(main(["virtualcam", "--video", {str(clip)!r}, "--loop"]))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "error: The virtual camera /dev/video7 stopped accepting frames (No such device)" in proc.stderr
    assert "Traceback" not in proc.stderr
