"""``snowcam virtualcam`` end to end with a fake virtual camera: frames, order, mirroring, stop, errors."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from snowcam import virtualcam_cli
from snowcam.cli import main
from snowcam.resources import models_dir
from snowcam.virtualcam_cli import MAX_LAG_S, RealTimePacer
from tests.fake_virtualcam import FakeVirtualCamera, FakeVirtualCameraFactory

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
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), CLIP_FPS, CLIP_SIZE)
    assert writer.isOpened()
    for i in range(CLIP_FRAMES):
        writer.write(clip_frame(i))
    writer.release()
    return path


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


@needs_model
def test_a_replay_arrives_whole_in_rgb_unmirrored_and_the_device_is_released(
    clip: Path, factory: FakeVirtualCameraFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["virtualcam", "--video", str(clip)]) == 0
    camera = factory.last
    assert (camera.width, camera.height, camera.fps) == (*CLIP_SIZE, CLIP_FPS)
    expected = decoded(clip)
    assert len(expected) == CLIP_FRAMES and len(camera.frames) == CLIP_FRAMES
    for sent, frame in zip(camera.frames, expected, strict=True):
        np.testing.assert_array_equal(sent, frame[:, :, ::-1])
    assert camera.frames[0][5, 5, 0] > 150 and camera.frames[0][5, -5, 1] > 20  # red left: RGB, unflipped
    assert camera.close_calls == 1
    err = capsys.readouterr().err
    assert "to /dev/video7" in err and f"sent {CLIP_FRAMES} frames" in err and "released" in err


@needs_model
def test_mirror_sends_the_selfie_view(clip: Path, factory: FakeVirtualCameraFactory) -> None:
    assert main(["virtualcam", "--video", str(clip), "--mirror", "--device", "/dev/video3"]) == 0
    camera = factory.last
    assert camera.device == "/dev/video3"
    for sent, frame in zip(camera.frames, decoded(clip), strict=True):
        np.testing.assert_array_equal(sent, cv2.flip(frame, 1)[:, :, ::-1])


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
    assert len(released[0].frames) == 2 * CLIP_FRAMES + 1  # past the end of the clip, then stopped
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


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now_s

    def wait(self, timeout_s: float) -> bool:
        self.waits.append(round(timeout_s, 6))
        self.now_s += timeout_s
        return False


def test_the_pacer_sends_frames_at_their_time_and_does_not_rush_after_a_stall() -> None:
    clock = FakeClock()
    pacer = RealTimePacer(clock, clock.wait)
    assert not pacer.until(0.0)  # the first frame sets the origin
    clock.now_s += 0.01  # processing took 10 ms
    assert not pacer.until(0.04)
    assert clock.waits == [0.03]
    clock.now_s += MAX_LAG_S + 1.0  # a long stall
    assert not pacer.until(0.08)
    assert clock.waits == [0.03]  # no wait, and the clock restarted from here
    pacer.until(0.12)
    assert clock.waits == [0.03, 0.04]


def test_the_pacer_reports_a_stop_while_waiting() -> None:
    pacer = RealTimePacer(lambda: 0.0, lambda timeout_s: True)
    assert not pacer.until(0.0)
    assert pacer.until(1.0)
