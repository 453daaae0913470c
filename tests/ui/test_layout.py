"""The window fits a laptop, names cameras one way, shows menu state, and gives the picture the space."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PyQt6.QtCore import QPoint, QSize, Qt
from PyQt6.QtGui import QMouseEvent
from PyQt6.QtWidgets import QApplication

from tests.ui.support import wait_frames

_SIZE_HINT = """
import json, os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QApplication
from snowcam.ui.app import AppDeps, create_window
from snowcam.ui.theme import apply_theme
from tests.clips import CameraBox, fake_pipeline
app = QApplication([])
apply_theme(app)
store = QSettings({ini!r}, QSettings.Format.IniFormat)
deps = AppDeps(processor_factory=fake_pipeline, camera_factory=CameraBox(), camera_lister=lambda: [],
               watch_cameras=False, store=store, thumbnails=False)
window = create_window(None, 0, deps)
window.show()
hint, minimum = window.sizeHint(), window.minimumSizeHint()
print(json.dumps({{"dpr": window.devicePixelRatio(), "hint": [hint.width(), hint.height()],
                   "min": [minimum.width(), minimum.height()]}}))
window.close()
"""


def _size_hint(tmp_path: Path, scale: str) -> dict:
    env = {**os.environ, "QT_SCALE_FACTOR": scale, "PYTHONPATH": os.getcwd()}
    code = _SIZE_HINT.format(ini=str(tmp_path / f"s{scale}.ini"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_window_fits_1280x720_and_at_2x_fits_2560x1440(qtbot, make_window, tmp_path: Path) -> None:
    window = make_window(camera=0)
    hint = window.sizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    screen = QApplication.primaryScreen().availableGeometry().size()
    assert window.width() <= screen.width() and window.height() <= screen.height()

    scaled = _size_hint(tmp_path, "2")
    assert scaled["dpr"] == 2.0
    width, height = (v * scaled["dpr"] for v in scaled["hint"])
    assert width <= 2560 and height <= 1440, scaled


def test_at_1280x720_the_picture_is_the_main_thing(qtbot, make_window) -> None:
    window = make_window(camera=0)
    wait_frames(qtbot, window)
    window.resize(QSize(1280, 720 - 60))  # a 720-pixel screen less a panel and a title bar
    qtbot.waitUntil(lambda: window.height() <= 660)
    QApplication.processEvents()
    picture = window.preview.image_rect()
    assert picture.height() >= 0.6 * window.height(), picture
    assert window.shutter.isVisible() and window.record_button.isVisible()
    bottom = window.shutter.mapTo(window, QPoint(0, window.shutter.height())).y()
    assert bottom <= window.height(), "the shutter is on screen"

    window.resize(QSize(824, 590))  # the smallest size that showed a 250 px picture before
    qtbot.waitUntil(lambda: window.height() <= 590)
    QApplication.processEvents()
    assert window.preview.image_rect().height() >= 0.6 * window.height()


def test_one_name_per_camera_in_selector_menu_and_messages(qtbot, make_window, cameras) -> None:
    cameras.fail = True
    window = make_window(camera=3)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.no_source, timeout=5000)
    assert window.source_combo.currentText() == "Camera 3"
    menu = [
        a.text() for a in window.camera_menu.actions() if a.isCheckable() and a is not window.actions.mirror
    ]
    assert menu == ["Camera 3"]
    assert "Camera 3" in window.no_source.title.text()


def test_menu_toggles_show_their_state(qtbot, make_window) -> None:
    window = make_window(camera=0)
    for action in (
        window.actions.mirror,
        window.actions.loop,
        window.actions.overlay,
        window.actions.countdown,
    ):
        assert action.isCheckable() and not action.isIconVisibleInMenu(), action.text()
    before = window.actions.overlay.isChecked()
    window.actions.overlay.trigger()
    assert window.actions.overlay.isChecked() != before and window.overlay_button.isChecked() != before


def test_full_screen_shows_the_picture_and_controls_on_mouse_move(qtbot, make_window, monkeypatch) -> None:
    window = make_window(camera=0)
    wait_frames(qtbot, window)
    monkeypatch.setattr(window, "isFullScreen", lambda: True)
    window._set_chrome_visible(False)
    assert not window.side_panel.isVisible() and not window.controls.isVisible()
    move = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        window.preview.rect().center().toPointF(),
        window.preview.mapToGlobal(window.preview.rect().center()).toPointF(),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.processEvents()
    picture = window.preview.size()
    QApplication.sendEvent(window.preview, move)
    assert window.controls.isVisible() and window.top_bar.isVisible()
    QApplication.processEvents()
    assert window.preview.size() == picture, "the controls float over the picture"
    assert window.controls.geometry().bottom() == window.centralWidget().height() - 1
    window._chrome_timer.timeout.emit()
    assert not window.controls.isVisible(), "they go again"
    monkeypatch.setattr(window, "isFullScreen", lambda: False)
    window._set_chrome_visible(True)
    assert window.side_panel.isVisible() and window._column.indexOf(window.top_bar) == 0


def test_forty_filters_fit_the_gallery(qtbot, make_window, monkeypatch) -> None:
    """The catalogue is growing to about 40 filters: tabs and a scrolling grid keep the window small."""
    from dataclasses import replace

    from snowcam.filters import FILTERS

    template = FILTERS["glasses-round"]
    for i, group in enumerate(["face"] * 16 + ["beauty"] * 6 + ["look"] * 4 + ["effect"] * 10):
        name = f"extra-{group}-{i}"
        monkeypatch.setitem(FILTERS, name, replace(template, name=name, title=f"Extra {i}", group=group))
    window = make_window(camera=0)
    assert len(window.gallery.tiles) >= 40
    assert [window.gallery.tabs.tabText(i) for i in range(window.gallery.tabs.count())] == [
        "Face",
        "Beauty",
        "Looks",
        "Effects",
        "Debug",
    ]
    hint = window.sizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    wait_frames(qtbot, window)
    window.gallery.show_group("face")
    qtbot.keyClick(window, Qt.Key.Key_9)
    names = window.gallery.names_in("face")
    qtbot.waitUntil(lambda: names[8] in window.active_filters, timeout=3000)


def test_settings_of_an_earlier_version_keep_their_filters(tmp_path: Path) -> None:
    from PyQt6.QtCore import QSettings

    from snowcam.ui.settings import AppSettings

    store = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    assert AppSettings.load(store).selection["names"] == ["cat"], "the default"
    store.setValue("filters/active", ["glasses-round", "landmarks"])
    assert AppSettings.load(store).selection["names"] == ["glasses-round", "landmarks"]
    store.setValue("filters/selection", "{not json")
    assert AppSettings.load(store).selection["names"] == ["glasses-round", "landmarks"]
    settings = AppSettings.load(store)
    settings.selection = {"names": ["look-warm"], "strengths": {"big-eyes": 0.3}}
    settings.save(store)
    assert AppSettings.load(store).selection == settings.selection
