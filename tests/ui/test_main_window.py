"""The app window on fake sources and a fake pipeline: frames, filters, photos, videos, errors."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PyQt6.QtCore import QMimeData, QPointF, Qt, QUrl
from PyQt6.QtGui import QDropEvent

from snowcam.filters import FILTERS, filter_names
from snowcam.ui.devices import CameraDevice
from snowcam.ui.dialogs import Dialogs
from snowcam.ui.main_window import MainWindow
from snowcam.ui.worker import CameraSpec, FileSpec
from tests.ui.support import CLIP_FPS, CLIP_SIZE, differs, wait_filters, wait_frames


def _count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"{path} does not open as a video"
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def _hidden_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_video_source_shows_filtered_frames(qtbot, make_window, clip: Path) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window, 5)
    assert window.stack.currentWidget() is window.preview
    assert isinstance(window.spec, FileSpec) and window.spec.path == clip
    result = window.last_frame.result
    assert result.output.shape == (CLIP_SIZE[1], CLIP_SIZE[0], 3)
    assert len(result.faces) == 1
    assert not window.last_frame.mirrored, "video files are shown as recorded"
    assert window.playback_bar.isVisible()


def test_filter_keys_arrows_and_gallery_switch_filters(qtbot, make_window, clip: Path) -> None:
    names = filter_names()
    window = make_window(video=clip)
    wait_frames(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.active_filters == [names[2]]
    wait_filters(qtbot, window, names[2])
    assert window.gallery.tiles[names[2]].isChecked()

    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.active_filters == [names[3]]
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.active_filters == [names[1]]
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.active_filters == [names[-1]], "left from the first filter wraps to the last"

    window.gallery.tiles["glasses-round"].click()
    assert window.active_filters == ["glasses-round"]
    wait_filters(qtbot, window, "glasses-round")
    assert not window.strength_slider.isVisible()

    window.choose_filter("big-eyes", combine=True)
    assert window.active_filters == ["big-eyes", "glasses-round"], "warps run before stickers"
    wait_filters(qtbot, window, "big-eyes", "glasses-round")
    assert window.strength_slider.isVisible()

    window.strength_slider.setValue(90)
    qtbot.waitUntil(lambda: window.worker._processor.filters[0].strength == pytest.approx(0.9))


def test_photo_is_the_filtered_full_size_frame_saved_atomically(
    qtbot, make_window, clip: Path, store, monkeypatch
) -> None:
    window = make_window(video=clip)
    window.choose_filter("glasses-round")
    wait_filters(qtbot, window, "glasses-round")

    with qtbot.waitSignal(window.photo_saved, timeout=5000) as saved:
        window.shutter.click()
    path = Path(saved.args[0])
    assert path.parent == Path(store.value("capture/photo_dir"))
    assert path.suffix == ".png" and path.name.startswith("snowcam-")
    photo = cv2.imread(str(path))
    assert photo is not None and photo.shape == (CLIP_SIZE[1], CLIP_SIZE[0], 3)
    assert differs(photo, window.last_frame.result.frame), "the photo must show the filter"
    assert _hidden_files(path.parent) == [], "no temporary file may be left behind"
    assert window.captures.paths()[0] == path

    opened: list[str] = []
    monkeypatch.setattr(Dialogs, "open_path", classmethod(lambda cls, p: opened.append(str(p)) or True))
    window.captures.items[0][1].click()
    assert opened == [str(path)]


def test_space_with_countdown_takes_a_jpeg(qtbot, make_window, clip: Path, monkeypatch) -> None:
    monkeypatch.setattr(MainWindow, "COUNTDOWN_S", 1)
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    window.act_jpg.trigger()
    window.act_countdown.setChecked(True)
    with qtbot.waitSignal(window.photo_saved, timeout=5000) as saved:
        qtbot.keyClick(window, Qt.Key.Key_Space)
        assert window.preview._countdown == 1
    assert saved.args[0].endswith(".jpg")
    assert cv2.imread(saved.args[0]).shape == (CLIP_SIZE[1], CLIP_SIZE[0], 3)
    assert window.preview._countdown is None


def test_recording_has_the_frames_of_its_duration(qtbot, make_window, clip: Path) -> None:
    window = make_window(video=clip)
    window.choose_filter("glasses-round")
    wait_filters(qtbot, window, "glasses-round")
    with qtbot.waitSignal(window.worker.recording_started, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_R)
    start_t = window.last_frame.result.t_s
    assert window.record_button.is_active() and window.preview._recording is not None
    qtbot.waitUntil(lambda: window.last_frame.result.t_s - start_t >= 1.5, timeout=5000)
    with qtbot.waitSignal(window.recording_saved, timeout=5000) as saved:
        window.record_button.click()
        stop_t = window.last_frame.result.t_s
    path, frames = Path(saved.args[0]), saved.args[1]
    expected = (stop_t - start_t) * CLIP_FPS
    assert abs(frames - expected) <= 4, f"{frames} frames written for {expected:.0f} expected"
    assert abs(_count_frames(path) - frames) <= 1
    assert _hidden_files(path.parent) == []
    assert not window.record_button.is_active() and window.preview._recording is None
    assert window.captures.paths()[0] == path


def test_closing_while_recording_leaves_a_playable_file(qtbot, make_window, clip: Path, store) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    with qtbot.waitSignal(window.worker.recording_started, timeout=5000):
        window.toggle_recording()
    wait_frames(qtbot, window, 10)
    window.close()
    assert not window.worker.is_running
    videos = Path(store.value("capture/video_dir"))
    saved = [p for p in videos.iterdir() if p.suffix == ".mp4"]
    assert [p for p in saved if not p.name.startswith(".")], "the recording was not finalised"
    assert _count_frames(saved[0]) >= 10
    assert _hidden_files(videos) == []


def test_no_camera_shows_a_message_and_its_buttons_work(
    qtbot, make_window, cameras, clip: Path, monkeypatch
) -> None:
    cameras.fail = True
    window = make_window(camera=0)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.no_source, timeout=5000)
    assert "could not be opened" in window.no_source.message.text()

    window.no_source.demo_button.click()
    wait_frames(qtbot, window, 3)
    assert window.stack.currentWidget() is window.preview
    assert window.spec.label == "Demo clip"

    window.no_source.retry_button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.no_source, timeout=5000)

    monkeypatch.setattr(Dialogs, "ask_video_file", classmethod(lambda cls, parent, start: str(clip)))
    window.no_source.open_button.click()
    qtbot.waitUntil(lambda: isinstance(window.spec, FileSpec) and window.spec.path == clip, timeout=5000)
    wait_frames(qtbot, window, 3)

    cameras.fail = False
    window.no_source.retry_button.click()
    qtbot.waitUntil(lambda: isinstance(window.spec, CameraSpec), timeout=5000)
    wait_frames(qtbot, window, 3)
    assert window.last_frame.mirrored


def test_unreadable_video_gives_a_message_and_the_app_keeps_running(
    qtbot, make_window, clip: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 100)
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    window.open_video(broken)
    qtbot.waitUntil(lambda: "broken.mp4" in window.banner.text(), timeout=5000)
    wait_frames(qtbot, window, 5)
    assert window.spec.path == clip, "the previous video keeps playing"

    first = make_window(video=broken)
    qtbot.waitUntil(lambda: first.stack.currentWidget() is first.no_source, timeout=5000)
    assert "broken.mp4" in first.no_source.message.text()


def test_camera_unplugged_mid_stream_recovers(qtbot, make_window, cameras) -> None:
    cameras.fail_after = 10
    window = make_window(camera=0)
    with qtbot.waitSignal(window.worker.source_lost, timeout=5000):
        pass
    assert "unplugged" in window.banner.text()
    assert window.preview._dim_message is not None
    with qtbot.waitSignal(window.worker.source_recovered, timeout=5000):
        pass
    wait_frames(qtbot, window, 3)
    assert window.preview._dim_message is None
    assert len(cameras.opened) == 2 and cameras.opened[0].closed


def test_mirror_follows_the_setting_in_preview_and_photo(qtbot, make_window) -> None:
    window = make_window(camera=0)
    wait_frames(qtbot, window)
    width = CLIP_SIZE[0]

    def left_is_brighter(image: np.ndarray) -> bool:
        return image[:, : width // 2].mean() > image[:, width // 2 :].mean()

    assert window.last_frame.mirrored and left_is_brighter(window.last_frame.result.output)
    with qtbot.waitSignal(window.photo_saved, timeout=5000) as saved:
        window.take_photo()
    assert left_is_brighter(cv2.imread(saved.args[0])), "saved as shown by default"

    window.act_as_shown.trigger()
    with qtbot.waitSignal(window.photo_saved, timeout=5000) as saved:
        window.take_photo()
    assert not left_is_brighter(cv2.imread(saved.args[0]))

    qtbot.keyClick(window, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: not window.last_frame.mirrored, timeout=3000)
    assert not left_is_brighter(window.last_frame.result.output)


def test_pause_loop_overlay_and_drop(qtbot, make_window, clip: Path, tmp_path: Path) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: window.worker._paused, timeout=2000)
    shown = window.worker._last_result.t_s
    window.choose_filter("glasses-hearts")
    wait_filters(qtbot, window, "glasses-hearts")
    assert window.last_frame.result.t_s == shown, "paused: the still frame is redrawn, not advanced"
    qtbot.keyClick(window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: window.last_frame.result.t_s > shown, timeout=3000)

    qtbot.keyClick(window, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: any("fps" in line for line in window.preview._stats_lines), timeout=2000)
    assert any("keypoints" in line for line in window.preview._stats_lines)

    other = tmp_path / "other.mp4"
    other.write_bytes(clip.read_bytes())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.spec.path == other, timeout=3000)


def test_settings_persist_between_runs(qtbot, make_window, clip: Path, store) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    window.choose_filter("big-eyes")
    window.strength_slider.setValue(80)
    window.act_overlay.trigger()
    window.act_countdown.trigger()
    window.close()

    again = make_window(video=clip)
    assert again.active_filters == ["big-eyes"]
    assert again.strength_slider.value() == 80
    assert again.act_overlay.isChecked() and again.act_countdown.isChecked()
    wait_filters(qtbot, again, "big-eyes")


def test_gallery_thumbnails_are_rendered_by_the_pipeline(qtbot, make_window, clip: Path) -> None:
    window = make_window(video=clip, thumbnails=True, demo_clip=clip)
    rendered: dict[str, np.ndarray] = {}
    window._bridge.thumbnails_ready.connect(rendered.update)
    window._start_thumbnails()
    qtbot.waitUntil(lambda: bool(rendered), timeout=5000)
    assert set(rendered) == set(FILTERS)
    assert differs(rendered["glasses-round"], rendered["none"])
    assert not differs(rendered["none"], rendered["none"])


def test_without_a_model_the_app_runs_unfiltered_and_says_why(qtbot, make_window) -> None:
    from snowcam.keypoints import ModelError

    def no_model():
        raise ModelError("models/keypoints.tflite is missing")

    window = make_window(camera=0, processor_factory=no_model)
    wait_frames(qtbot, window)
    qtbot.waitUntil(lambda: "face model" in window.banner.text(), timeout=3000)
    assert not window.gallery.isEnabled()
    assert window.last_frame.result.faces == ()


def test_plugging_a_camera_in_opens_it_and_names_it(qtbot, make_window, cameras) -> None:
    cameras.fail = True
    window = make_window(camera=0)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.no_source, timeout=5000)
    cameras.fail = False
    window.on_cameras_changed([CameraDevice(0, "USB Camera", ((640, 480), (1280, 720)))])
    wait_frames(qtbot, window, 3)
    assert window.stack.currentWidget() is window.preview
    assert window.source_combo.currentText() == "USB Camera"
    assert [window.resolution_combo.itemText(i) for i in range(window.resolution_combo.count())] == [
        "640×480",
        "1280×720",
    ]


def test_choosing_a_resolution_reopens_the_camera_at_that_size(qtbot, make_window, cameras, store) -> None:
    window = make_window(camera=0)
    wait_frames(qtbot, window)
    index = window.resolution_combo.findText("1280×720")
    window.resolution_combo.setCurrentIndex(index)
    window.resolution_combo.activated.emit(index)
    qtbot.waitUntil(lambda: len(cameras.specs) == 2, timeout=3000)
    assert (cameras.specs[-1].width, cameras.specs[-1].height) == (1280, 720)
    assert cameras.opened[0].closed
    wait_frames(qtbot, window, 3)
    assert store.value("camera/width", type=int) == 1280


def test_a_bug_in_a_slot_is_reported_not_fatal(qtbot, make_window, clip: Path, monkeypatch) -> None:
    from snowcam.ui import app

    window = make_window(video=clip)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    app._report_unexpected_errors(window)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert "boom" in window.banner.text()


def test_no_photo_of_a_stale_frame_when_the_camera_failed(qtbot, make_window, cameras, clip: Path) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    cameras.fail = True
    window.open_camera(0)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.no_source, timeout=5000)
    with qtbot.assertNotEmitted(window.photo_saved, wait=300):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert "No picture" in window.statusBar().currentMessage()
