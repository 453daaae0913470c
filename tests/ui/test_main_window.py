"""The app window on fake sources and a fake pipeline: frames, filters, photos, videos, errors."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PyQt6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PyQt6.QtGui import QDragEnterEvent, QDropEvent

from snowcam.filters import FILTERS
from snowcam.session import CameraSpec, CaptureState, FileSpec
from snowcam.ui.devices import CameraDevice
from snowcam.ui.dialogs import Dialogs
from snowcam.ui.main_window import MainWindow
from tests.ui.support import CLIP_FPS, CLIP_SIZE, differs, wait_active, wait_filters, wait_frames


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


def _big_eyes(window: MainWindow):
    """The big-eyes filter object the session draws with."""
    return next(f for f in window.worker.session._filters if f.name == "big-eyes")


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


def test_filter_keys_arrows_tabs_and_gallery_switch_filters(qtbot, make_window, clip: Path) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    gallery = window.gallery
    assert [gallery.tabs.tabText(i) for i in range(gallery.tabs.count())][:2] == ["Face", "Beauty"]

    gallery.show_group("face")
    faces = gallery.names_in("face")
    qtbot.keyClick(window, Qt.Key.Key_3)
    wait_active(qtbot, window, "big-eyes", faces[2])  # the stored big eyes stay on: beauty is independent
    wait_filters(qtbot, window, "big-eyes", faces[2])
    assert gallery.tiles[faces[2]].isChecked() and not gallery.tiles[faces[0]].isChecked()

    qtbot.keyClick(window, Qt.Key.Key_0)
    wait_active(qtbot, window, "none")
    assert gallery.none_button.isChecked()

    names = window._names
    qtbot.keyClick(window, Qt.Key.Key_Right)
    wait_active(qtbot, window, names[1])
    qtbot.keyClick(window, Qt.Key.Key_Right)
    wait_active(qtbot, window, names[2])
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: window.active_filters == ["none"])
    qtbot.keyClick(window, Qt.Key.Key_Left)
    wait_active(qtbot, window, names[-1])  # left from the first wraps to the last
    assert gallery.current_group() == FILTERS[names[-1]].group, "the tab follows the pick"

    qtbot.keyClick(window, Qt.Key.Key_Up)
    assert gallery.current_group() == gallery.groups[-2]

    gallery.tiles["glasses-round"].click()
    wait_active(qtbot, window, "landmarks", "glasses-round")
    gallery.tiles["glasses-round"].click()  # clicked again: off
    wait_active(qtbot, window, "landmarks")
    window.on_gallery_chosen("glasses-round", True)  # Ctrl+click combines
    window.on_gallery_chosen("big-eyes", True)
    wait_filters(qtbot, window, "big-eyes", "glasses-round", "landmarks")
    assert list(window.strengths.sliders) == ["big-eyes"] and window.strengths.isVisible()

    window.strengths.sliders["big-eyes"].setValue(90)
    qtbot.waitUntil(lambda: _big_eyes(window).strength == pytest.approx(0.9))
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    qtbot.waitUntil(lambda: window.strengths.sliders["big-eyes"].value() == 80)
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    qtbot.waitUntil(lambda: window.strengths.sliders["big-eyes"].value() == 100)
    qtbot.waitUntil(lambda: _big_eyes(window).strength == pytest.approx(1.0))


def test_looks_combine_and_one_look_replaces_another(qtbot, make_window, clip: Path) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    looks = window.gallery.names_in("look")
    if len(looks) < 2:
        pytest.skip("needs two looks")
    window.gallery.show_group("look")
    qtbot.keyClick(window, Qt.Key.Key_1)
    wait_active(qtbot, window, "big-eyes", looks[0])
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    wait_active(qtbot, window, "big-eyes", looks[1])


def test_photo_is_the_filtered_full_size_frame_saved_atomically(
    qtbot, make_window, clip: Path, store, monkeypatch
) -> None:
    window = make_window(video=clip)
    window.on_gallery_chosen("glasses-round", False)
    wait_filters(qtbot, window, "big-eyes", "glasses-round")

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
    window.actions.jpg.trigger()
    window.actions.countdown.trigger()
    assert window.actions.countdown.isChecked()
    with qtbot.waitSignal(window.photo_saved, timeout=5000) as saved:
        qtbot.keyClick(window, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: window.preview._countdown == 1, timeout=2000)
    assert saved.args[0].endswith(".jpg")
    assert cv2.imread(saved.args[0]).shape == (CLIP_SIZE[1], CLIP_SIZE[0], 3)
    assert window.preview._countdown is None


def test_space_during_the_countdown_takes_the_photo_now_and_esc_cancels(
    qtbot, make_window, clip: Path, monkeypatch
) -> None:
    monkeypatch.setattr(MainWindow, "COUNTDOWN_S", 30)
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    window.actions.countdown.trigger()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.preview._countdown == 30, timeout=2000)
    assert window.shutter.is_active()
    with qtbot.waitSignal(window.photo_saved, timeout=3000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.preview._countdown is None, timeout=2000)

    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.preview._countdown == 30, timeout=2000)
    with qtbot.assertNotEmitted(window.photo_saved, wait=300):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: window.preview._countdown is None, timeout=2000)


def test_recording_has_the_frames_of_its_duration(qtbot, make_window, clip: Path) -> None:
    window = make_window(video=clip)
    window.on_gallery_chosen("glasses-round", False)
    wait_filters(qtbot, window, "big-eyes", "glasses-round")
    qtbot.keyClick(window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=5000)
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
    window.toggle_recording()
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=5000)
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
    assert window.actions.mirror.isChecked() and window.actions.mirror.isEnabled(), (
        "the setting waits for a camera"
    )

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
    qtbot.waitUntil(lambda: "unplugged" in window.banner.text(), timeout=5000)
    assert window.preview._dim_message is not None
    qtbot.waitUntil(lambda: "back" in window.banner.text(), timeout=5000)
    wait_frames(qtbot, window, 3)
    assert window.preview._dim_message is None
    assert len(cameras.opened) == 2 and cameras.opened[0].closed


def test_mirror_is_shown_and_saved_as_shown_and_files_play_as_recorded(
    qtbot, make_window, clip: Path
) -> None:
    window = make_window(camera=0)
    wait_frames(qtbot, window)
    width = CLIP_SIZE[0]

    def left_is_brighter(image: np.ndarray) -> bool:
        return image[:, : width // 2].mean() > image[:, width // 2 :].mean()

    assert window.last_frame.mirrored and left_is_brighter(window.last_frame.view)
    assert not left_is_brighter(window.last_frame.result.output), "filters work on the camera's picture"
    with qtbot.waitSignal(window.photo_saved, timeout=5000) as saved:
        window.take_photo()
    assert left_is_brighter(cv2.imread(saved.args[0])), "saved as shown"

    qtbot.keyClick(window, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: not window.last_frame.mirrored, timeout=3000)
    assert not left_is_brighter(window.last_frame.view)
    assert not window.actions.mirror.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_M)

    window.open_video(clip)
    qtbot.waitUntil(lambda: isinstance(window.spec, FileSpec), timeout=3000)
    qtbot.waitUntil(lambda: not window.actions.mirror.isEnabled(), timeout=3000)
    assert window.actions.mirror.isChecked(), "the setting is kept, shown, and not applied to files"
    assert "as recorded" in window.mirror_button.toolTip()


def test_pause_loop_overlay_and_drop(qtbot, make_window, clip: Path, tmp_path: Path) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: window.state is CaptureState.PAUSED, timeout=2000)
    assert window.preview._paused and window.actions.pause.isChecked()
    shown = window.last_frame.result.t_s
    window.on_gallery_chosen("glasses-hearts", False)
    wait_filters(qtbot, window, "big-eyes", "glasses-hearts")
    assert window.last_frame.result.t_s == shown, "paused: the still frame is redrawn, not advanced"

    window.playback_bar.seek_requested.emit(1.0)
    qtbot.waitUntil(lambda: window.last_frame.position_s == pytest.approx(1.0), timeout=2000)
    assert window.playback_bar.time_label.text() == "00:01 / 00:01"
    assert window.playback_bar.slider.value() == 10
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.last_frame.position_s == 0.0, timeout=2000)
    shown = window.last_frame.result.t_s
    qtbot.keyClick(window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: window.last_frame.result.t_s > shown, timeout=3000)

    qtbot.keyClick(window, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: any("fps" in line for line in window.preview._stats_lines), timeout=2000)
    assert any("keypoints" in line for line in window.preview._stats_lines)
    assert any("skipped" in line and "to stay live" in line for line in window.preview._stats_lines)

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
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dragEnterEvent(enter)
    assert enter.isAccepted() and window.preview._drop_hint, "a drop highlight while dragging"
    window.dropEvent(event)
    assert not window.preview._drop_hint
    qtbot.waitUntil(lambda: window.spec.path == other, timeout=3000)


def test_settings_persist_between_runs(qtbot, make_window, clip: Path, store) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    window.on_gallery_chosen("glasses-round", False)
    window.on_gallery_chosen("look-warm", True)
    wait_active(qtbot, window, "big-eyes", "glasses-round", "look-warm")
    window.strengths.sliders["big-eyes"].setValue(80)
    qtbot.waitUntil(lambda: window.selection.strength("big-eyes") == pytest.approx(0.8))
    window.actions.overlay.trigger()
    window.actions.countdown.trigger()
    window.close()

    again = make_window(video=clip)
    assert again.active_filters == ["big-eyes", "glasses-round", "look-warm"]
    assert again.strengths.sliders["big-eyes"].value() == 80
    assert again.actions.overlay.isChecked() and again.actions.countdown.isChecked()
    wait_filters(qtbot, again, "big-eyes", "glasses-round", "look-warm")


def test_gallery_shows_live_closeups_of_the_shown_tab(qtbot, make_window, clip: Path) -> None:
    window = make_window(video=clip, thumbnails=True)
    wait_frames(qtbot, window)
    window.gallery.show_group("face")
    qtbot.waitUntil(lambda: window.gallery.has_thumbnail("glasses-round"), timeout=5000)
    assert all(window.gallery.has_thumbnail(n) for n in window.gallery.names_in("face"))
    assert not window.gallery.has_thumbnail("landmarks"), "only the tab shown is rendered"
    window.gallery.show_group("debug")
    qtbot.waitUntil(lambda: window.gallery.has_thumbnail("landmarks"), timeout=5000)


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
    qtbot.waitUntil(lambda: "No picture" in window.statusBar().currentMessage(), timeout=2000)


def test_session_events_update_the_view(qtbot, make_window, clip: Path) -> None:
    """The view shows what the session reports, and nothing else decides it."""
    from snowcam import events as ev

    window = make_window(video=clip)
    wait_frames(qtbot, window)
    window.worker.event.emit(ev.CountdownChanged(2))
    assert window.preview._countdown == 2 and window.shutter.is_active()
    window.worker.event.emit(ev.CountdownChanged(None))
    assert window.preview._countdown is None and not window.shutter.is_active()
    window.worker.event.emit(ev.StateChanged(CaptureState.ENDED, window.spec, window.source_info))
    assert window.actions.pause.isChecked() and "End of the video" in window.statusBar().currentMessage()
    window.worker.event.emit(ev.CaptureRefused("No picture yet."))
    assert window.statusBar().currentMessage() == "No picture yet."
    window.worker.event.emit(ev.OutputFailed("virtualcam", "The virtual camera went away."))
    assert "went away" in window.banner.text()


def test_earlier_captures_come_back_in_the_strip(qtbot, make_window, clip: Path) -> None:
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    with qtbot.waitSignal(window.photo_saved, timeout=5000) as saved:
        window.take_photo()
    window.close()

    again = make_window(video=clip)
    qtbot.waitUntil(lambda: again.captures.paths() == [Path(saved.args[0])], timeout=5000)


def test_a_broken_filter_entry_shows_a_banner_and_the_app_runs(
    qtbot, make_window, clip: Path, monkeypatch
) -> None:
    from snowcam.filters import catalog

    broken = [
        catalog.LoadError(
            "/u/filters.toml", "star", "/u/filters.toml: [star] image: no such file /u/star.png"
        ),
        catalog.LoadError(
            "/u/filters.toml", "teal", "/u/filters.toml: [teal] cube: line 7: expected 3 numbers"
        ),
    ]
    monkeypatch.setattr(catalog, "load_errors", lambda: list(broken))
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    text = window.banner.label.text()
    assert window.banner.isVisible() and "[star] image: no such file" in text and "1 more" in text
