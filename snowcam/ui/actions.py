"""The window's commands as ``QAction`` s (shortcuts, menu items, toggle buttons) and its menus.

Each action calls a method of the window; toggles start from the stored settings and show their
state as a checkmark in the menus (never an icon, which hid the state on the dark menu).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import QMenu, QMenuBar

from snowcam.session import Session

if TYPE_CHECKING:
    from snowcam.ui.main_window import MainWindow

SEEK_STEP_S = 5.0


class WindowActions:
    """Every command of ``window``, added to it so its shortcut works even with the menus hidden."""

    def __init__(self, window: MainWindow) -> None:
        self._window = w = window
        s = window.settings
        self.open = self._action("&Open a video…", w.ask_open_video, "Ctrl+O")
        self.demo = self._action("Play the &demo clip", w.play_demo)
        self.photo_dir = self._action("Photo folder…", w.ask_photo_dir)
        self.video_dir = self._action("Video folder…", w.ask_video_dir)
        self.show_photos = self._action("Show photos", lambda: w.open_capture(w.settings.photo_dir))
        self.quit = self._action("&Quit", w.close, "Ctrl+Q")
        self.retry = self._action("&Try the camera again", w.retry_camera)
        self.mirror = self._action("&Mirror the camera (selfie view)", w.set_mirror, "M", True, s.mirror)
        self.snapshot = self._action("Take a &photo", w.take_photo, "Space")
        self.record = self._action("&Record video", w.toggle_recording, "R")
        self.countdown = self._action("3-second &countdown", w.set_countdown, "T", True, s.countdown)
        self.sound = self._action(
            "Record &sound (microphone)", w.set_record_sound, None, True, s.record_sound
        )
        self.format_group = QActionGroup(window)
        self.png = self._action("PNG (lossless)", lambda: w.set_image_format("png"), None, True)
        self.jpg = self._action("JPEG (smaller)", lambda: w.set_image_format("jpg"), None, True)
        for act in (self.png, self.jpg):
            self.format_group.addAction(act)
        (self.jpg if s.image_format == "jpg" else self.png).setChecked(True)
        self.overlay = self._action("&Stats overlay", w.set_overlay, "F", True, s.overlay)
        self.pause = self._action("&Pause", w.toggle_pause, "P", True)
        self.loop = self._action("&Loop the video", w.set_loop, "L", True, s.loop)
        self.back = self._action("Back 5 s", lambda: w.seek_by(-SEEK_STEP_S), "Shift+Left")
        self.ahead = self._action("Ahead 5 s", lambda: w.seek_by(SEEK_STEP_S), "Shift+Right")
        self.next = self._action("&Next filter", lambda: w.cycle_filter(1), "Right")
        self.prev = self._action("P&revious filter", lambda: w.cycle_filter(-1), "Left")
        self.next_group = self._action("Next group", lambda: w.gallery.step_group(1), "Down")
        self.prev_group = self._action("Previous group", lambda: w.gallery.step_group(-1), "Up")
        self.none = self._action("&No filter", lambda: w.worker.request(Session.choose, "none"), "0")
        self.less = self._action("Less (strength)", lambda: w.change_strength(-1), "[")
        self.more = self._action("More (strength)", lambda: w.change_strength(1), "]")
        self.fullscreen = self._action("&Full screen", w.toggle_fullscreen, "F11", True)
        self.escape = self._action("Cancel", w.on_escape, "Esc")
        for n in range(1, 10):
            self._action(f"Filter {n}", lambda _=False, n=n: w.pick_number(n, False), str(n))
            self._action(f"Combine {n}", lambda _=False, n=n: w.pick_number(n, True), f"Ctrl+{n}")

    def _action(
        self,
        text: str,
        slot: Callable[..., object],
        shortcut: str | None = None,
        checkable: bool = False,
        checked: bool = False,
    ) -> QAction:
        action = QAction(text, self._window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.setChecked(checked)
        # A checkable item shows a checkmark in menus; an icon would hide it on the dark menu.
        action.setIconVisibleInMenu(False)
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    def build_menus(self, bar: QMenuBar, outputs: Sequence[QAction] = ()) -> tuple[QMenu, QMenu]:
        """Fill the menu bar; returns the Camera menu (filled by the window) and the Saving menu.

        ``outputs`` (the virtual camera's toggle and setting) go in the Capture menu.
        """
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.open, self.demo])
        file_menu.addSeparator()
        file_menu.addActions([self.show_photos, self.photo_dir, self.video_dir])
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        camera_menu = bar.addMenu("&Camera")
        capture_menu = bar.addMenu("Ca&pture")
        capture_menu.addActions([self.snapshot, self.record])
        capture_menu.addSeparator()
        capture_menu.addAction(self.countdown)
        if outputs:
            capture_menu.addSeparator()
            capture_menu.addActions(list(outputs))
        saving = QMenu("Saving", self._window)
        saving.addActions([self.png, self.jpg])
        saving.addSeparator()
        saving.addAction(self.sound)
        saving.addSeparator()
        saving.addActions([self.photo_dir, self.video_dir, self.show_photos])
        capture_menu.addMenu(saving)
        filters_menu = bar.addMenu("Fi&lters")
        filters_menu.addActions([self.none, self.prev, self.next])
        filters_menu.addActions([self.prev_group, self.next_group, self.less, self.more])
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.mirror, self.overlay, self.fullscreen])
        view_menu.addSeparator()
        view_menu.addActions([self.pause, self.loop, self.back, self.ahead])
        return camera_menu, saving
