"""The app's virtual camera toggle with a fake virtual camera: frames, mirroring, release, failures."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from snowcam.session import FileSpec
from tests.fake_virtualcam import FakeVirtualCamera, FakeVirtualCameraFactory
from tests.ui.support import CLIP_SIZE, wait_frames

WIDTH, HEIGHT = CLIP_SIZE


def left_darker(frame_rgb: np.ndarray) -> bool:
    """The fake camera's picture is dark on its left: True when a frame is in the camera's orientation."""
    return float(frame_rgb[:, : WIDTH // 2].mean()) < float(frame_rgb[:, WIDTH // 2 :].mean())


def wait_sent(qtbot, camera: FakeVirtualCamera, count: int, timeout_ms: int = 5000) -> list[np.ndarray]:
    target = len(camera.frames) + count
    qtbot.waitUntil(lambda: len(camera.frames) >= target, timeout=timeout_ms)
    return list(camera.frames)


@pytest.fixture
def vcam() -> FakeVirtualCameraFactory:
    return FakeVirtualCameraFactory()


def test_the_toggle_sends_the_camera_unmirrored_names_the_device_and_releases_it(
    qtbot, make_window, vcam: FakeVirtualCameraFactory
) -> None:
    window = make_window(camera=0, virtualcam_factory=vcam)
    wait_frames(qtbot, window)
    toggle = window.virtualcam
    assert not toggle.action.isChecked() and not toggle.status_label.isVisible()
    window.virtualcam_button.click()
    assert toggle.action.isChecked()
    qtbot.waitUntil(lambda: toggle.status_label.text() == "Virtual camera: /dev/video7", timeout=5000)
    assert toggle.status_label.isVisible()
    camera = vcam.last
    assert (camera.width, camera.height, camera.fps) == (WIDTH, HEIGHT, 30.0)
    sent = wait_sent(qtbot, camera, 3)
    assert window.last_frame.mirrored, "the preview stays mirrored"
    assert all(left_darker(f) for f in sent), "the call gets the camera's own orientation"
    assert sent[-1].shape == (HEIGHT, WIDTH, 3)  # RGB order: tests/test_virtualcam.py
    wait_frames(qtbot, window)  # the preview keeps running

    window.virtualcam_button.click()
    assert not toggle.action.isChecked() and not toggle.status_label.isVisible()
    qtbot.waitUntil(lambda: camera.closed, timeout=3000)
    count = len(camera.frames)
    wait_frames(qtbot, window)
    assert len(camera.frames) == count, "frames were sent after the toggle went off"
    assert len(vcam.opened) == 1


def test_the_mirror_setting_sends_the_preview_view_and_is_remembered(
    qtbot, make_window, vcam: FakeVirtualCameraFactory, store
) -> None:
    window = make_window(camera=0, virtualcam_factory=vcam)
    wait_frames(qtbot, window)
    window.virtualcam.action.trigger()
    qtbot.waitUntil(lambda: bool(vcam.opened) and len(vcam.last.frames) > 0, timeout=5000)
    window.virtualcam.mirror_action.trigger()  # while it runs
    assert window.settings.virtualcam_mirror
    qtbot.waitUntil(lambda: len(vcam.opened) == 2, timeout=5000)  # re-added: reopened at the next frame
    assert vcam.opened[0].closed
    sent = wait_sent(qtbot, vcam.last, 3)
    assert not any(left_darker(f) for f in sent), "with the setting, the call gets the mirrored view"
    window.close()
    assert vcam.last.closed, "closing the app releases the device"
    assert store.value("virtualcam/mirror", type=bool) is True


def test_a_video_file_goes_out_as_recorded_at_its_size(qtbot, make_window, clip, vcam) -> None:
    window = make_window(video=clip, virtualcam_factory=vcam)
    wait_frames(qtbot, window)
    assert isinstance(window.spec, FileSpec)
    window.virtualcam.action.trigger()
    qtbot.waitUntil(lambda: bool(vcam.opened), timeout=5000)
    sent = wait_sent(qtbot, vcam.last, 3)
    assert sent[-1].shape == (HEIGHT, WIDTH, 3)
    window.close()
    assert vcam.last.closed


def test_no_virtual_camera_shows_the_install_steps_and_the_preview_keeps_running(
    qtbot, make_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("snowcam.virtualcam.platform.system", lambda: "Linux")
    error = RuntimeError("'v4l2loopback' backend: No v4l2 loopback device found at /dev/video[0-99].")
    window = make_window(camera=0, virtualcam_factory=FakeVirtualCameraFactory(error))
    wait_frames(qtbot, window)
    window.virtualcam_button.click()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    text = window.banner.label.text()
    assert "sudo apt install v4l2loopback-dkms" in text
    assert "sudo modprobe v4l2loopback exclusive_caps=1 card_label=snowcam" in text
    assert not window.virtualcam.action.isChecked() and not window.virtualcam.status_label.isVisible()
    wait_frames(qtbot, window)  # nothing else stopped
    assert window.worker.session.output_names() == []


def test_without_pyvirtualcam_the_banner_gives_the_pip_command(
    qtbot, make_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyvirtualcam", None)
    window = make_window(camera=0)  # the real factory: pyvirtualcam, here missing
    wait_frames(qtbot, window)
    window.virtualcam.action.trigger()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    assert 'python -m pip install "snowcam[virtualcam]"' in window.banner.label.text()
    assert not window.virtualcam.action.isChecked()


def test_a_device_lost_mid_stream_turns_the_toggle_off_with_a_banner(
    qtbot, make_window, vcam: FakeVirtualCameraFactory
) -> None:
    window = make_window(camera=0, virtualcam_factory=vcam)
    wait_frames(qtbot, window)
    window.virtualcam.action.trigger()
    qtbot.waitUntil(lambda: bool(vcam.opened) and len(vcam.last.frames) > 0, timeout=5000)
    vcam.last.fail_send = OSError("No such device")
    # The toggle and the window each get the session's event through their own queued slot.
    qtbot.waitUntil(
        lambda: (
            not window.virtualcam.action.isChecked()
            and "stopped accepting frames" in window.banner.label.text()
        ),
        timeout=5000,
    )
    assert "stopped accepting frames" in window.banner.label.text()
    assert vcam.last.closed and not window.virtualcam.status_label.isVisible()
    wait_frames(qtbot, window)
