"""The virtual camera output with a fake pyvirtualcam: size, RGB order, resizing, release, failures."""

from __future__ import annotations

import glob
import platform
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from snowcam import virtualcam
from snowcam.virtualcam import (
    EXTRA_INSTALL_COMMAND,
    VirtualCameraOutput,
    VirtualCameraUnavailable,
    fit_frame,
    install_hint,
    open_pyvirtualcam,
)
from tests.fake_virtualcam import FakeVirtualCameraFactory
from tests.helpers import write_video

NO_LOOPBACK = "'v4l2loopback' backend: No v4l2 loopback device found at /dev/video[0-99]. Did you run " \
    "'modprobe v4l2loopback'? See also pyvirtualcam's documentation."  # fmt: skip


def bgr(width: int, height: int, color: tuple[int, int, int]) -> np.ndarray:
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:] = color
    return frame


def test_opens_at_the_given_size_and_rate_and_sends_rgb() -> None:
    factory = FakeVirtualCameraFactory()
    with VirtualCameraOutput(factory=factory) as output:
        assert output.open(64, 48, 25.0) == "/dev/video7"
        assert output.device == "/dev/video7" and output.size_px == (64, 48)
        frame = bgr(64, 48, (255, 0, 0))  # blue in BGR
        frame[0, 0] = (10, 20, 30)
        output.send(frame)
        camera = factory.last
        assert (camera.width, camera.height, camera.fps) == (64, 48, 25.0)
        sent = camera.frames[0]
        assert sent.shape == (48, 64, 3)
        assert tuple(sent[1, 1]) == (0, 0, 255)  # blue last: RGB
        assert tuple(sent[0, 0]) == (30, 20, 10)
        assert frame[0, 0].tolist() == [10, 20, 30], "the caller's frame was changed"
        assert output.frames_sent == 1


def test_frames_are_sent_as_given_never_flipped() -> None:
    factory = FakeVirtualCameraFactory()
    frame = np.zeros((4, 6, 3), np.uint8)
    frame[:, :2] = (0, 0, 255)  # red on the image left
    with VirtualCameraOutput(factory=factory) as output:
        output.open(6, 4, 30)
        output.send(frame)
    sent = factory.last.frames[0]
    assert (sent[:, :2] == (255, 0, 0)).all() and (sent[:, 2:] == 0).all()


def test_a_device_can_be_asked_for_by_name() -> None:
    factory = FakeVirtualCameraFactory()
    with VirtualCameraOutput("/dev/video4", factory) as output:
        assert output.open(8, 8, 30) == "/dev/video4"
    assert factory.last.device == "/dev/video4"


def test_a_new_frame_size_is_fitted_to_the_open_device_without_reopening() -> None:
    factory = FakeVirtualCameraFactory()
    with VirtualCameraOutput(factory=factory) as output:
        output.open(64, 48, 30)
        output.send(bgr(128, 72, (0, 255, 0)))  # 16:9 into 4:3: bars above and below
        output.send(bgr(24, 48, (0, 0, 255)))  # portrait: bars left and right
    assert len(factory.opened) == 1
    wide, tall = factory.last.frames
    assert (wide[:6] == 0).all() and (wide[-6:] == 0).all()
    assert (wide[7:-7] == (0, 255, 0)).all()
    assert (tall[:, :20] == 0).all() and (tall[:, -20:] == 0).all()
    assert (tall[:, 21:-21] == (255, 0, 0)).all()


def test_fit_frame_keeps_a_frame_of_the_right_size_as_it_is() -> None:
    frame = bgr(10, 6, (1, 2, 3))
    assert fit_frame(frame, 10, 6) is frame
    assert fit_frame(frame, 20, 12).shape == (12, 20, 3)


def test_close_releases_the_device_once_and_the_output_can_reopen() -> None:
    factory = FakeVirtualCameraFactory()
    output = VirtualCameraOutput(factory=factory)
    output.open(8, 8, 30)
    first = factory.last
    output.close()
    output.close()
    assert first.close_calls == 1 and not output.is_open and output.device is None
    with pytest.raises(RuntimeError, match="not open"):
        output.send(bgr(8, 8, (0, 0, 0)))
    output.open(8, 8, 30)
    output.open(16, 16, 30)  # opening again releases the previous device first
    assert factory.opened[1].close_calls == 1 and factory.last.close_calls == 0
    output.close()
    assert factory.last.close_calls == 1


def test_leaving_the_with_block_on_an_error_releases_the_device() -> None:
    factory = FakeVirtualCameraFactory()
    with pytest.raises(KeyError), VirtualCameraOutput(factory=factory) as output:
        output.open(8, 8, 30)
        raise KeyError("boom")
    assert factory.last.closed


def test_a_bad_frame_is_refused_with_a_clear_error() -> None:
    with VirtualCameraOutput(factory=FakeVirtualCameraFactory()) as output:
        output.open(8, 8, 30)
        with pytest.raises(ValueError, match="virtual camera frame"):
            output.send(np.zeros((8, 8), np.uint8))


def test_a_device_that_stops_accepting_frames_is_released_with_a_message() -> None:
    factory = FakeVirtualCameraFactory()
    output = VirtualCameraOutput(factory=factory)
    output.open(8, 8, 30)
    factory.last.fail_send = OSError("No such device")
    with pytest.raises(
        VirtualCameraUnavailable, match=r"/dev/video7 stopped accepting frames \(No such device\)"
    ):
        output.send(bgr(8, 8, (0, 0, 0)))
    assert factory.last.closed and not output.is_open


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ("Linux", ["sudo apt install v4l2loopback-dkms",
                   "sudo modprobe v4l2loopback exclusive_caps=1 card_label=snowcam"]),
        ("Windows", ["OBS Studio", "Start Virtual Camera", "once"]),
        ("Darwin", ["OBS Studio", "Start Virtual Camera", "once", "System Settings"]),
    ],
)  # fmt: skip
def test_no_virtual_camera_says_what_to_install_per_platform(
    monkeypatch: pytest.MonkeyPatch, system: str, expected: list[str]
) -> None:
    monkeypatch.setattr(virtualcam.platform, "system", lambda: system)
    output = VirtualCameraOutput(factory=FakeVirtualCameraFactory(RuntimeError(NO_LOOPBACK)))
    with pytest.raises(VirtualCameraUnavailable) as info:
        output.open(640, 480, 30)
    message = str(info.value)
    assert message.startswith("No virtual camera could be opened")
    assert "No v4l2 loopback device found" in message  # pyvirtualcam's own reason is kept
    for text in expected:
        assert text in message
    assert not output.is_open
    assert install_hint(system) in message


def test_a_named_device_that_is_missing_is_named_in_the_message() -> None:
    error = RuntimeError("'v4l2loopback' backend: Device /dev/video9 does not exist.")
    output = VirtualCameraOutput("/dev/video9", FakeVirtualCameraFactory(error))
    with pytest.raises(
        VirtualCameraUnavailable, match=r"^The virtual camera /dev/video9 could not be opened"
    ):
        output.open(640, 480, 30)


def test_without_pyvirtualcam_the_message_gives_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyvirtualcam", None)  # makes `import pyvirtualcam` fail
    with pytest.raises(VirtualCameraUnavailable) as info:
        open_pyvirtualcam(640, 480, 30, None)
    assert EXTRA_INSTALL_COMMAND in str(info.value) and "GPL-2.0" in str(info.value)
    output = VirtualCameraOutput()
    with pytest.raises(VirtualCameraUnavailable, match="snowcam\\[virtualcam\\]"):
        output.open(640, 480, 30)


@pytest.mark.skipif(
    platform.system() != "Linux" or bool(glob.glob("/dev/video*")),
    reason="only where Linux has no video device, so the real pyvirtualcam cannot find one",
)
def test_real_pyvirtualcam_without_a_loopback_device_gives_the_install_steps() -> None:
    pytest.importorskip("pyvirtualcam")
    with pytest.raises(VirtualCameraUnavailable) as info:
        VirtualCameraOutput().open(640, 480, 30)
    assert "v4l2loopback-dkms" in str(info.value) and "modprobe v4l2loopback" in str(info.value)


def test_as_a_session_output_the_first_frame_opens_the_device_at_its_size() -> None:
    factory = FakeVirtualCameraFactory()
    output = VirtualCameraOutput(factory=factory, fps=24.0)
    output.write(bgr(32, 16, (0, 0, 255)), 0.0)
    output.write(bgr(64, 16, (0, 0, 255)), 1 / 24)
    output.close()
    assert len(factory.opened) == 1
    camera = factory.last
    assert (camera.width, camera.height, camera.fps) == (32, 16, 24.0)
    assert len(camera.frames) == 2 and (camera.frames[0] == (255, 0, 0)).all()
    assert camera.closed


class RecordingBackend:
    """A pyvirtualcam backend (its documented plug-in interface) that keeps what it is sent."""

    instances: ClassVar[list[RecordingBackend]] = []

    def __init__(self, *, width: int, height: int, fps: float, fourcc: int, device: str | None) -> None:
        self.size, self.fps, self.fourcc = (width, height), fps, fourcc
        self.name = device or "Fake Virtual Camera"
        self.frames: list[np.ndarray] = []
        self.closed = False
        RecordingBackend.instances.append(self)

    def send(self, frame: np.ndarray) -> None:
        self.frames.append(frame.copy())

    def device(self) -> str:
        return self.name

    def native_fourcc(self) -> int | None:
        return None

    def close(self) -> None:
        self.closed = True


class MissingBackend(RecordingBackend):
    def __init__(self, **kwargs: object) -> None:
        raise RuntimeError("No v4l2 loopback device found at /dev/video[0-99].")


def test_through_the_real_pyvirtualcam_frames_reach_its_backend_as_rgb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pyvirtualcam = pytest.importorskip("pyvirtualcam")
    from pyvirtualcam import camera as pvc_camera
    from pyvirtualcam.util import encode_fourcc

    # Only the recording backend, so a machine with a real virtual camera is never written to.
    monkeypatch.setattr(pvc_camera, "BACKENDS", {"recording": RecordingBackend})
    RecordingBackend.instances.clear()
    frame = bgr(64, 48, (255, 0, 0))
    with VirtualCameraOutput() as output:
        assert output.open(64, 48, 30.0) == "Fake Virtual Camera"
        output.send(frame)
        output.send(bgr(128, 72, (0, 0, 255)))  # another size: fitted, the backend stays as opened
    (backend,) = RecordingBackend.instances
    assert backend.size == (64, 48) and backend.fps == 30.0
    assert backend.fourcc == encode_fourcc(pyvirtualcam.PixelFormat.RGB.value)
    assert [f.size for f in backend.frames] == [64 * 48 * 3] * 2
    first = backend.frames[0].reshape(48, 64, 3)
    assert (first == (0, 0, 255)).all()  # blue, in RGB order
    assert backend.closed


def test_the_real_pyvirtualcam_failure_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyvirtualcam")
    from pyvirtualcam import camera as pvc_camera

    monkeypatch.setattr(pvc_camera, "BACKENDS", {"v4l2loopback": MissingBackend})
    monkeypatch.setattr(virtualcam.platform, "system", lambda: "Linux")
    with pytest.raises(VirtualCameraUnavailable) as info:
        VirtualCameraOutput().open(64, 48, 30.0)
    assert "'v4l2loopback' backend: No v4l2 loopback device found" in str(info.value)
    assert "sudo modprobe v4l2loopback exclusive_caps=1 card_label=snowcam" in str(info.value)


def test_every_frame_of_a_replay_reaches_the_virtual_camera_through_the_session(tmp_path: Path) -> None:
    """The session (not paced, no model) replays a clip into the output: one sent frame per frame."""
    from snowcam.events import CaptureSettings, CaptureState
    from snowcam.session import FileSpec, Session
    from snowcam.sources import VideoFileSource

    clip, n_frames = tmp_path / "clip.mp4", 9
    write_video(clip, (bgr(48, 32, (0, 20 * i, 200)) for i in range(n_frames)), 15.0)
    factory = FakeVirtualCameraFactory()
    session = Session(
        lambda spec: pytest.fail("no camera here"),
        lambda spec: VideoFileSource(spec.path, loop=spec.loop),
        CaptureSettings(tmp_path, tmp_path),
        realtime=False,
    )
    session.set_loop(False)
    session.open(FileSpec(clip, loop=False))
    session.add_output("virtualcam", VirtualCameraOutput(factory=factory, fps=15.0))
    session.run_until(lambda: session.state is CaptureState.ENDED)
    session.close()
    camera = factory.last
    assert (camera.width, camera.height, camera.fps) == (48, 32, 15.0)
    assert len(camera.frames) == n_frames
    greens = [int(f[..., 1].mean()) for f in camera.frames]
    assert greens == sorted(greens) and greens[0] < greens[-1]  # in order
    assert int(camera.frames[0][..., 0].mean()) > 150  # red is the first channel: RGB
    assert camera.closed
