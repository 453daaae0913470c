"""The main window: widgets wired to the frame worker, the sinks and the settings.

Slots stay short: they forward a user's action to :class:`~snowcam.ui.worker.FrameWorker` or
to a background job, and show what comes back. Saving a photo and loading thumbnails run on
an I/O thread, so the window never waits on the disk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import cv2
from PyQt6.QtCore import QElapsedTimer, QObject, QSettings, QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PyQt6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from snowcam.filters import FILTERS, create_filter, filter_names
from snowcam.sinks import SinkError, save_image_atomic, snapshot_path
from snowcam.sources import SourceInfo
from snowcam.types import Frame
from snowcam.ui import theme
from snowcam.ui.audio import Microphone
from snowcam.ui.devices import CameraDevice, CameraWatcher
from snowcam.ui.dialogs import Dialogs
from snowcam.ui.qimage import ndarray_to_qimage, square_thumbnail
from snowcam.ui.settings import RESOLUTIONS, AppSettings
from snowcam.ui.thumbnails import render_thumbnails
from snowcam.ui.widgets import Banner, CaptureStrip, FilterGallery, NoSourcePanel, PreviewWidget, RoundButton
from snowcam.ui.worker import (
    CameraSpec,
    DisplayFrame,
    FileSpec,
    FrameWorker,
    PassThrough,
    ProcessorFactory,
    SourceSpec,
)

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
CAPTURE_GLOBS = ("snowcam-*.png", "snowcam-*.jpg", "snowcam-*.jpeg", "snowcam-*.mp4")


class _Bridge(QObject):
    """Carries results of background jobs (any thread) to the window (UI thread)."""

    photo_saved = pyqtSignal(str, object)
    photo_failed = pyqtSignal(str)
    thumbnails_ready = pyqtSignal(object)
    captures_found = pyqtSignal(object)
    recordings_recovered = pyqtSignal(str)


def _read_thumbnail(path: Path, size_px: int) -> Frame | None:
    """A square thumbnail of a saved photo or of a video's first frame; ``None`` if unreadable."""
    if path.suffix.lower() == ".mp4":
        cap = cv2.VideoCapture(str(path))
        ok, frame = cap.read()
        cap.release()
        image = frame if ok else None
    else:
        image = cv2.imread(str(path), cv2.IMREAD_REDUCED_COLOR_4)
    return None if image is None else square_thumbnail(image, size_px)


def _clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class MainWindow(QMainWindow):
    """The camera app window. Everything it uses is handed in; :meth:`start` opens the first source.

    Signals for callers and tests: ``photo_saved(path)``, ``recording_saved(path, frames)``.
    """

    photo_saved = pyqtSignal(str)
    recording_saved = pyqtSignal(str, int)
    COUNTDOWN_S = 3
    THUMB_PX = 96

    def __init__(
        self,
        worker: FrameWorker,
        settings: AppSettings,
        store: QSettings,
        cameras: Sequence[CameraDevice],
        thumbnail_factory: ProcessorFactory | None,
        demo_clip: Path,
        launched_s: float | None = None,
        watcher: CameraWatcher | None = None,
    ) -> None:
        super().__init__()
        self.worker = worker
        self.settings = settings
        self.store = store
        self.cameras = list(cameras)
        self.demo_clip = demo_clip
        self.launched_s = launched_s
        self.first_frame_ms: float | None = None
        self.startup_marks_s: dict[str, float] = {}
        self._thumbnail_factory = thumbnail_factory
        self._names = filter_names()
        self.active_filters: list[str] = self._valid_filters(settings.filters)
        self.spec: SourceSpec | None = None
        self.source_info: SourceInfo | None = None
        self.last_frame: DisplayFrame | None = None
        self.recording_path: Path | None = None
        self._recording_thumb: Frame | None = None
        self._microphone: Microphone | None = None
        self._recording_clock = QElapsedTimer()
        self._countdown_left: int | None = None
        self._camera_state = "idle"
        self._filters_available = True
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snowcam-io")
        self._thumb_thread: threading.Thread | None = None
        self._bridge = _Bridge(self)
        self._closing = False

        self.setWindowTitle("snowcam")
        self.setAcceptDrops(True)
        self.resize(1100, 860)
        self._build_actions()
        self._build_ui()
        self._build_menus()
        self._connect()
        self._sync_filter_widgets()
        geometry = store.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if watcher is not None:
            watcher.changed.connect(self.on_cameras_changed)
            watcher.setParent(self)

    # --- construction --------------------------------------------------------------------

    def _action(
        self, text: str, slot: Callable[..., object], shortcut: str | None = None, checkable: bool = False
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        s = self.settings
        self.act_open = self._action("&Open a video…", self.ask_open_video, "Ctrl+O")
        self.act_demo = self._action("Play the &demo clip", self.play_demo)
        self.act_photo_dir = self._action("Photo folder…", self.ask_photo_dir)
        self.act_video_dir = self._action("Video folder…", self.ask_video_dir)
        self.act_show_photos = self._action("Show photos", lambda: self.open_capture(self.settings.photo_dir))
        self.act_quit = self._action("&Quit", self.close, "Ctrl+Q")
        self.act_retry = self._action("&Try the camera again", self.retry_camera)
        self.act_mirror = self._action("&Mirror (selfie view)", self.set_mirror, "M", checkable=True)
        self.act_mirror.setChecked(s.mirror)
        self.act_snapshot = self._action("Take a &photo", self.take_photo, "Space")
        self.act_record = self._action("&Record video", self.toggle_recording, "R")
        self.act_countdown = self._action("3-second &countdown", self.set_countdown, "T", checkable=True)
        self.act_countdown.setChecked(s.countdown)
        self.act_as_shown = self._action(
            "Save pictures as shown (mirrored)", self.set_save_as_shown, checkable=True
        )
        self.act_as_shown.setChecked(s.save_as_shown)
        self.act_sound = self._action("Record &sound (microphone)", self.set_record_sound, checkable=True)
        self.act_sound.setChecked(s.record_sound)
        self.format_group = QActionGroup(self)
        self.act_png = self._action("PNG (lossless)", lambda: self.set_image_format("png"), checkable=True)
        self.act_jpg = self._action("JPEG (smaller)", lambda: self.set_image_format("jpg"), checkable=True)
        for act in (self.act_png, self.act_jpg):
            self.format_group.addAction(act)
        (self.act_jpg if s.image_format == "jpg" else self.act_png).setChecked(True)
        self.act_overlay = self._action("&Stats overlay", self.set_overlay, "F", checkable=True)
        self.act_overlay.setChecked(s.overlay)
        self.act_pause = self._action("&Pause", self.toggle_pause, "P", checkable=True)
        self.act_loop = self._action("&Loop", self.set_loop, "L", checkable=True)
        self.act_loop.setChecked(s.loop)
        self.act_next = self._action("&Next filter", lambda: self.cycle_filter(1), "Right")
        self.act_prev = self._action("P&revious filter", lambda: self.cycle_filter(-1), "Left")
        self.act_fullscreen = self._action("&Full screen", self.toggle_fullscreen, "F11", checkable=True)
        self.act_escape = self._action("Cancel", self.on_escape, "Esc")
        self.filter_actions: dict[str, QAction] = {}
        for i, name in enumerate(self._names):
            key = str(i + 1) if i < 9 else None
            act = self._action(FILTERS[name].title, lambda _=False, n=name: self.choose_filter(n), key, True)
            self.filter_actions[name] = act

    def _toggle_button(self, icon_name: str, text: str, action: QAction) -> QToolButton:
        button = QToolButton()
        button.setObjectName("toggle")
        action.setIconText(text)
        action.setIcon(theme.icon(icon_name))
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setIconSize(QSize(18, 18))
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setToolTip(f"{action.text().replace('&', '')} ({action.shortcut().toString()})")
        return button

    def _build_ui(self) -> None:
        central = QWidget()
        central.setObjectName("central")
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)

        top = QWidget()
        top.setObjectName("topBar")
        top_row = QHBoxLayout(top)
        top_row.setContentsMargins(12, 8, 12, 8)
        top_row.setSpacing(8)
        self.source_combo = QComboBox()
        self.source_combo.setMinimumWidth(230)
        self.source_combo.setToolTip("Camera or video to show")
        self.resolution_combo = QComboBox()
        self.resolution_combo.setToolTip("Camera resolution")
        for combo in (self.source_combo, self.resolution_combo):
            combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            combo.setCursor(Qt.CursorShape.PointingHandCursor)
        # Replay controls take the resolution's place while a video file plays.
        self.playback_bar = QWidget()
        play_row = QHBoxLayout(self.playback_bar)
        play_row.setContentsMargins(0, 0, 0, 0)
        play_row.setSpacing(8)
        self.act_pause.setIcon(theme.icon("pause"))
        self.pause_button = QToolButton()
        self.pause_button.setObjectName("toggle")
        self.pause_button.setDefaultAction(self.act_pause)
        self.pause_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pause_button.setToolTip("Pause / play (P)")
        self.position_label = QLabel()
        self.position_label.setObjectName("dim")
        self.position_label.setMinimumWidth(96)
        self.loop_button = self._toggle_button("loop", "Loop", self.act_loop)
        play_row.addWidget(self.pause_button)
        play_row.addWidget(self.position_label)
        play_row.addWidget(self.loop_button)
        self.playback_bar.hide()
        top_row.addWidget(self.source_combo)
        top_row.addWidget(self.resolution_combo)
        top_row.addWidget(self.playback_bar)
        top_row.addStretch(1)
        self.mirror_button = self._toggle_button("mirror", "Mirror", self.act_mirror)
        self.countdown_button = self._toggle_button("timer", "3 s", self.act_countdown)
        self.overlay_button = self._toggle_button("stats", "Stats", self.act_overlay)
        self.capture_menu_button = QToolButton()
        self.capture_menu_button.setObjectName("toggle")
        self.capture_menu_button.setIcon(theme.icon("tune"))
        self.capture_menu_button.setIconSize(QSize(18, 18))
        self.capture_menu_button.setToolTip("Where and how photos and videos are saved")
        self.capture_menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.capture_menu_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for b in (self.mirror_button, self.countdown_button, self.overlay_button, self.capture_menu_button):
            top_row.addWidget(b)
        column.addWidget(top)

        stage = QWidget()
        stage_column = QVBoxLayout(stage)
        stage_column.setContentsMargins(12, 8, 12, 8)
        stage_column.setSpacing(8)
        self.banner = Banner()
        self.preview = PreviewWidget()
        self.no_source = NoSourcePanel()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.preview)
        self.stack.addWidget(self.no_source)
        stage_column.addWidget(self.banner)
        stage_column.addWidget(self.stack, 1)
        column.addWidget(stage, 1)

        bottom = QWidget()
        bottom.setObjectName("bottomBar")
        bottom_column = QVBoxLayout(bottom)
        bottom_column.setContentsMargins(12, 6, 12, 8)
        bottom_column.setSpacing(4)
        self.gallery = FilterGallery([(n, FILTERS[n].title) for n in self._names])
        bottom_column.addWidget(self.gallery)
        self.strength_row = QWidget()
        strength_layout = QHBoxLayout(self.strength_row)
        strength_layout.setContentsMargins(0, 0, 0, 0)
        self.strength_label = QLabel()
        self.strength_label.setObjectName("dim")
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(0, 100)
        self.strength_slider.setFixedWidth(260)
        self.strength_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.strength_value = QLabel()
        self.strength_value.setObjectName("dim")
        self.strength_value.setFixedWidth(36)
        strength_layout.addStretch(1)
        strength_layout.addWidget(self.strength_label)
        strength_layout.addWidget(self.strength_slider)
        strength_layout.addWidget(self.strength_value)
        strength_layout.addStretch(1)
        self.strength_row.setFixedHeight(26)
        bottom_column.addWidget(self.strength_row)

        controls = QGridLayout()
        controls.setContentsMargins(0, 4, 0, 0)
        self.captures = CaptureStrip()
        self.shutter = RoundButton("shutter")
        self.shutter.setToolTip("Take a photo (Space)")
        self.record_button = RoundButton("record")
        self.record_button.setToolTip("Record video (R)")
        center = QHBoxLayout()
        center.setSpacing(18)
        center.addStretch(1)
        center.addWidget(self.shutter)
        center.addWidget(self.record_button)
        center.addStretch(1)
        self.hint_label = QLabel("Space photo · R record · ←/→ filters · F stats")
        self.hint_label.setObjectName("dim")
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        controls.addWidget(self.captures, 0, 0)
        controls.addLayout(center, 0, 1)
        controls.addWidget(self.hint_label, 0, 2)
        for col in range(3):
            controls.setColumnStretch(col, 1)
        bottom_column.addLayout(controls)
        column.addWidget(bottom)

        self.setCentralWidget(central)
        self.statusBar().setSizeGripEnabled(False)
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._on_tick)
        self._countdown_timer = QTimer(self)
        self._countdown_timer.setInterval(1000)
        self._countdown_timer.timeout.connect(self._countdown_step)
        self._fill_source_combo()
        self._fill_resolution_combo()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_open, self.act_demo])
        file_menu.addSeparator()
        file_menu.addActions([self.act_show_photos, self.act_photo_dir, self.act_video_dir])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        self.camera_menu = bar.addMenu("&Camera")
        self._fill_camera_menu()
        capture_menu = bar.addMenu("Ca&pture")
        capture_menu.addActions([self.act_snapshot, self.act_record])
        capture_menu.addSeparator()
        capture_menu.addAction(self.act_countdown)
        settings_menu = QMenu("Saving", self)
        settings_menu.addActions([self.act_png, self.act_jpg])
        settings_menu.addSeparator()
        settings_menu.addActions([self.act_as_shown, self.act_sound])
        settings_menu.addSeparator()
        settings_menu.addActions([self.act_photo_dir, self.act_video_dir, self.act_show_photos])
        capture_menu.addMenu(settings_menu)
        self.capture_menu_button.setMenu(settings_menu)
        filters_menu = bar.addMenu("Fi&lters")
        filters_menu.addActions(list(self.filter_actions.values()))
        filters_menu.addSeparator()
        filters_menu.addActions([self.act_prev, self.act_next])
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.act_overlay, self.act_fullscreen])
        view_menu.addSeparator()
        view_menu.addActions([self.act_pause, self.act_loop])

    def _fill_camera_menu(self) -> None:
        self.camera_menu.clear()
        group = QActionGroup(self.camera_menu)
        for device in self.cameras:
            act = self.camera_menu.addAction(device.name)
            act.setCheckable(True)
            act.setChecked(isinstance(self.spec, CameraSpec) and self.spec.index == device.index)
            act.triggered.connect(lambda _=False, d=device: self.open_camera(d.index))
            group.addAction(act)
        if not self.cameras:
            self.camera_menu.addAction("No camera found").setEnabled(False)
        self.camera_menu.addSeparator()
        self.camera_menu.addActions([self.act_retry, self.act_mirror])

    def _connect(self) -> None:
        w = self.worker
        w.frame_ready.connect(self.on_frame_ready)
        w.source_opened.connect(self.on_source_opened)
        w.source_failed.connect(self.on_source_failed)
        w.source_lost.connect(self.on_source_lost)
        w.source_recovered.connect(self.on_source_recovered)
        w.playback_finished.connect(self.on_playback_finished)
        w.processor_failed.connect(self.on_processor_failed)
        w.processing_error.connect(lambda msg: self.banner.show_message(msg, "error", timeout_ms=10000))
        w.recording_started.connect(self.on_recording_started)
        w.recording_saved.connect(self.on_recording_saved)
        w.recording_failed.connect(self.on_recording_failed)
        w.recording_cut_short.connect(self.on_recording_cut_short)
        self._bridge.recordings_recovered.connect(
            lambda msg: self.banner.show_message(msg, "info", timeout_ms=15000)
        )
        self._bridge.photo_saved.connect(self.on_photo_saved)
        self._bridge.photo_failed.connect(self.on_photo_failed)
        self._bridge.thumbnails_ready.connect(self.on_thumbnails_ready)
        self._bridge.captures_found.connect(self.on_captures_found)
        self.preview.first_frame_shown.connect(self.on_first_frame_shown)
        self.gallery.chosen.connect(self.choose_filter)
        self.strength_slider.valueChanged.connect(self.on_strength_changed)
        self.shutter.clicked.connect(self.take_photo)
        self.record_button.clicked.connect(self.toggle_recording)
        self.captures.opened.connect(self.open_capture)
        self.captures.folder_requested.connect(lambda: self.open_capture(self.settings.photo_dir))
        self.source_combo.activated.connect(self.on_source_combo)
        self.resolution_combo.activated.connect(self.on_resolution_combo)
        self.no_source.open_button.clicked.connect(self.ask_open_video)
        self.no_source.demo_button.clicked.connect(self.play_demo)
        self.no_source.retry_button.clicked.connect(self.retry_camera)

    # --- starting and sources ------------------------------------------------------------

    def start(self, spec: SourceSpec) -> None:
        """Open ``spec``, start the worker and, in the background, the recent captures."""
        self.open_source(spec)
        self.worker.set_filters(self._build_filters())
        self.worker.set_mirror(self.settings.mirror)
        self.worker.start()
        self._tick.start()
        self._io.submit(self._recover_recordings)
        self._io.submit(self._find_captures)
        # Thumbnails start once the first frame is up (or soon after), not to slow that frame down.
        QTimer.singleShot(1500, self._start_thumbnails)

    def open_source(self, spec: SourceSpec) -> None:
        if isinstance(spec, CameraSpec):
            self._camera_state = "opening"
            if not self.preview.has_image() or self.stack.currentWidget() is self.no_source:
                self.preview.clear_image(f"Opening {spec.label}…")
                self.stack.setCurrentWidget(self.preview)
        self.worker.open_source(spec)

    def open_camera(self, index: int | None = None) -> None:
        index = self.settings.camera_index if index is None else index
        name = next((d.name for d in self.cameras if d.index == index), "")
        width, height = self.settings.resolution
        self.open_source(CameraSpec(index, width, height, name=name))

    def open_video(self, path: str | Path, name: str = "") -> None:
        self.open_source(FileSpec(Path(path), self.settings.loop, name))

    def play_demo(self) -> None:
        self.open_video(self.demo_clip, "Demo clip")

    def retry_camera(self) -> None:
        if self._camera_state == "lost":
            self.worker.retry_camera()
            self.statusBar().showMessage("Trying to reconnect the camera…", 3000)
        else:
            self.open_camera()

    def ask_open_video(self) -> None:
        start = self.settings.last_video_dir or str(Path.home())
        path = Dialogs.ask_video_file(self, start)
        if path:
            self.settings.last_video_dir = str(Path(path).parent)
            self._save_settings()
            self.open_video(path)

    def on_source_opened(self, spec: SourceSpec, info: SourceInfo) -> None:
        self.spec, self.source_info = spec, info
        self.setWindowTitle(f"{spec.label} – snowcam")
        is_file = isinstance(spec, FileSpec)
        if isinstance(spec, CameraSpec):
            self._camera_state = "live"
            self.settings.camera_index = spec.index
            self.settings.camera_name = spec.name
            self._save_settings()
        else:
            self._camera_state = "idle"
        if self.banner.property("source_error"):
            self.banner.dismiss()
            self.banner.setProperty("source_error", False)
        self.preview.set_dim_message(None)
        self.stack.setCurrentWidget(self.preview)
        if not self.preview.has_image():
            self.preview.clear_image(f"Starting {spec.label}…")
        self.playback_bar.setVisible(is_file)
        self.resolution_combo.setVisible(not is_file)
        self.act_pause.setChecked(False)
        self.act_pause.setIcon(theme.icon("pause"))
        self.preview.set_paused(False)
        self.act_mirror.setEnabled(not is_file)
        self._fill_source_combo()
        self._fill_camera_menu()
        self.statusBar().showMessage(f"{spec.label} · {info.width}×{info.height} · {info.fps:.0f} fps", 6000)

    def on_source_failed(self, spec: SourceSpec, message: str) -> None:
        logger.warning("Could not open %s: %s", spec.label, message)
        if isinstance(spec, CameraSpec):
            self._camera_state = "failed"
            self.spec = spec
            self.last_frame = None
            self.no_source.set_message("No camera", message)
            self.stack.setCurrentWidget(self.no_source)
            self.preview.clear_image("")
            self.playback_bar.hide()
            self.resolution_combo.show()
            self._fill_source_combo()
            return
        self.banner.show_message(message, "error", timeout_ms=15000)
        self.banner.setProperty("source_error", True)
        if not self.preview.has_image() or self.stack.currentWidget() is self.no_source:
            self.no_source.set_message("Cannot play this video", message)
            self.stack.setCurrentWidget(self.no_source)
        self._fill_source_combo()

    def on_source_lost(self, message: str) -> None:
        self._camera_state = "lost"
        self.preview.set_dim_message("Camera disconnected\nReconnecting…")
        self.banner.show_message(message, "warning", ("Retry now", self.worker.retry_camera))
        self.banner.setProperty("source_error", True)

    def on_source_recovered(self, info: SourceInfo) -> None:
        self.source_info = info
        self._camera_state = "live"
        self.preview.set_dim_message(None)
        self.banner.show_message("The camera is back.", "info", timeout_ms=3000)
        self.banner.setProperty("source_error", False)

    def on_playback_finished(self) -> None:
        self.act_pause.setChecked(True)
        self.preview.set_paused(True)
        self.act_pause.setIcon(theme.icon("play"))
        self.statusBar().showMessage("End of the video: press P to play it again.", 5000)

    def on_cameras_changed(self, cameras: list[CameraDevice]) -> None:
        added = len(cameras) > len(self.cameras)
        self.cameras = list(cameras)
        self._fill_source_combo()
        self._fill_resolution_combo()
        self._fill_camera_menu()
        if added and self._camera_state == "failed" and self.stack.currentWidget() is self.no_source:
            self.open_camera(self.settings.camera_index)
        elif self._camera_state == "lost":
            self.worker.retry_camera()

    def _fill_source_combo(self) -> None:
        combo = self.source_combo
        combo.blockSignals(True)
        combo.clear()
        for device in self.cameras:
            combo.addItem(theme.icon("camera"), device.name, ("camera", device.index))
        if not self.cameras:
            combo.addItem(theme.icon("camera"), "Camera 0", ("camera", 0))
        if isinstance(self.spec, FileSpec):
            combo.addItem(theme.icon("film"), self.spec.label, ("file", str(self.spec.path)))
        combo.insertSeparator(combo.count())
        combo.addItem(theme.icon("folder"), "Open a video…", ("open", None))
        combo.addItem(theme.icon("film"), "Demo clip", ("demo", None))
        current = 0
        for i in range(combo.count()):
            data = combo.itemData(i)
            if isinstance(self.spec, FileSpec) and data == ("file", str(self.spec.path)):
                current = i
            elif isinstance(self.spec, CameraSpec) and data == ("camera", self.spec.index):
                current = i
        combo.setCurrentIndex(current)
        combo.blockSignals(False)

    def _fill_resolution_combo(self) -> None:
        combo = self.resolution_combo
        combo.blockSignals(True)
        combo.clear()
        device = next((d for d in self.cameras if d.index == self.settings.camera_index), None)
        offered = set(device.resolutions) if device and device.resolutions else set(RESOLUTIONS)
        sizes = sorted({s for s in RESOLUTIONS if s in offered} | {self.settings.resolution})
        for w, h in sizes:
            combo.addItem(f"{w}×{h}", (w, h))
            if (w, h) == self.settings.resolution:
                combo.setCurrentIndex(combo.count() - 1)
        combo.blockSignals(False)

    def on_source_combo(self, index: int) -> None:
        kind, value = self.source_combo.itemData(index) or (None, None)
        if kind == "camera":
            self.open_camera(int(value))
        elif kind == "open":
            self._fill_source_combo()
            self.ask_open_video()
        elif kind == "demo":
            self.play_demo()

    def on_resolution_combo(self, index: int) -> None:
        size = self.resolution_combo.itemData(index)
        if size and tuple(size) != self.settings.resolution:
            self.settings.resolution = (int(size[0]), int(size[1]))
            self._save_settings()
            if isinstance(self.spec, CameraSpec):
                self.open_camera(self.spec.index)

    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:
        if event is not None and self._dropped_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:
        path = self._dropped_file(event) if event is not None else None
        if path is not None:
            event.acceptProposedAction()  # type: ignore[union-attr]
            self.open_video(path)

    @staticmethod
    def _dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                return Path(url.toLocalFile())
        return None

    # --- frames --------------------------------------------------------------------------

    def on_frame_ready(self) -> None:
        frame = self.worker.take_latest()
        if frame is None or self._closing:
            return
        self.last_frame = frame
        self.preview.show_image(ndarray_to_qimage(frame.result.output), frame.ready_s)
        if isinstance(self.spec, FileSpec):
            self._update_position(frame.result.t_s)

    def on_first_frame_shown(self) -> None:
        if self.launched_s is None:
            return
        now = time.monotonic()
        self.first_frame_ms = (now - self.launched_s) * 1000.0
        parts, previous = [], self.launched_s
        for label, mark in [*self.startup_marks_s.items(), ("first picture", now)]:
            parts.append(f"{label} {(mark - previous) * 1000.0:.0f}")
            previous = mark
        logger.info(
            "First frame on screen %.0f ms after launch (%s ms)", self.first_frame_ms, ", ".join(parts)
        )

    def _update_position(self, t_s: float) -> None:
        info = self.source_info
        if info is None:
            return
        total = (info.frame_count or 0) / info.fps if info.fps else 0.0
        position = t_s % total if total > 0 else t_s
        text = _clock_text(position)
        if total > 0:
            text += f" / {_clock_text(total)}"
        if text != self.position_label.text():
            self.position_label.setText(text)

    def _on_tick(self) -> None:
        if self.recording_path is not None:
            self.preview.set_recording(f"REC  {_clock_text(self._recording_clock.elapsed() / 1000.0)}")
        if self.act_overlay.isChecked():
            self.preview.set_stats_lines(self._stats_lines())

    def _stats_lines(self) -> list[str]:
        stats = self.preview.stats
        ages = sorted(stats.ages_s())
        age_ms = ages[len(ages) // 2] * 1000.0 if ages else 0.0
        lines = [f"display  {stats.fps():5.1f} fps   age {age_ms:4.0f} ms"]
        frame = self.last_frame
        if frame is None:
            return lines
        h, w = frame.result.output.shape[:2]
        lines.append(f"process  {frame.processed_fps:5.1f} fps   dropped {frame.dropped}")
        lines.append(f"{w}×{h}   faces {len(frame.result.faces)}")
        for stage, ms in frame.result.stage_ms.items():
            lines.append(f"{stage.removeprefix('filter:'):<14}{ms:6.1f} ms")
        return lines

    # --- filters -------------------------------------------------------------------------

    def _valid_filters(self, names: Sequence[str]) -> list[str]:
        chosen = [n for n in self._names if n in names and n != "none"]
        return chosen or ["none"]

    def _strength(self, name: str) -> float | None:
        info = FILTERS[name]
        if not info.has_strength:
            return None
        return self.settings.strengths.get(name, info.default_strength)

    def _build_filters(self) -> list[object]:
        return [create_filter(n, self._strength(n)) for n in self.active_filters]

    def choose_filter(self, name: str, combine: bool = False) -> None:
        """Make ``name`` the only filter, or with ``combine`` add or remove it from the active ones."""
        if name not in FILTERS:
            return
        if combine and name != "none":
            active = set(self.active_filters) - {"none"}
            active ^= {name}
            self.active_filters = self._valid_filters(sorted(active))
        else:
            self.active_filters = [name]
        self.worker.set_filters(self._build_filters())
        self.settings.filters = tuple(self.active_filters)
        self._save_settings()
        self._sync_filter_widgets()
        titles = " + ".join(FILTERS[n].title for n in self.active_filters)
        self.statusBar().showMessage(titles, 2000)

    def cycle_filter(self, step: int) -> None:
        current = self.active_filters[-1]
        index = (self._names.index(current) + step) % len(self._names)
        self.choose_filter(self._names[index])

    def on_strength_changed(self, value: int) -> None:
        name = next((n for n in self.active_filters if FILTERS[n].has_strength), None)
        if name is None:
            return
        self.settings.strengths[name] = value / 100.0
        self.strength_value.setText(f"{value}%")
        self.worker.set_filters(self._build_filters())
        self._save_settings()

    def _sync_filter_widgets(self) -> None:
        self.gallery.set_active(self.active_filters)
        for name, act in self.filter_actions.items():
            act.setChecked(name in self.active_filters)
        strong = next((n for n in self.active_filters if FILTERS[n].has_strength), None)
        self.strength_slider.setVisible(strong is not None)
        self.strength_label.setVisible(strong is not None)
        self.strength_value.setVisible(strong is not None)
        if strong is not None:
            value = round((self._strength(strong) or 0.0) * 100)
            self.strength_label.setText(FILTERS[strong].title)
            self.strength_slider.blockSignals(True)
            self.strength_slider.setValue(value)
            self.strength_slider.blockSignals(False)
            self.strength_value.setText(f"{value}%")

    def _start_thumbnails(self) -> None:
        if self._thumbnail_factory is None or self._thumb_thread is not None or self._closing:
            return
        factory, names = self._thumbnail_factory, list(self._names)

        def job() -> None:
            try:
                processor = factory()
            except Exception:
                # Without the model the tiles still show the demo face, unfiltered.
                processor = PassThrough()
            try:
                thumbs = render_thumbnails(
                    processor, self.demo_clip, names, self._strength, self.THUMB_PX * 2
                )
            except Exception:
                logger.exception("The gallery thumbnails could not be rendered")
                return
            self._bridge.thumbnails_ready.emit(thumbs)

        self._thumb_thread = threading.Thread(target=job, name="snowcam-thumbnails", daemon=True)
        self._thumb_thread.start()

    def on_thumbnails_ready(self, thumbs: dict[str, Frame]) -> None:
        for name, image in thumbs.items():
            self.gallery.set_thumbnail(name, ndarray_to_qimage(image))

    def on_processor_failed(self, message: str) -> None:
        self._filters_available = False
        self.banner.show_message(
            f"Filters are off because the face model could not be loaded: {message}", "warning"
        )
        self.gallery.setEnabled(False)
        self.gallery.setToolTip(f"Filters are off: {message}")
        self.strength_row.setEnabled(False)

    # --- photos --------------------------------------------------------------------------

    def take_photo(self) -> None:
        """Snap now, or after the countdown when it is on; pressing again during it cancels."""
        if self._countdown_left is not None:
            self._cancel_countdown()
            return
        if self.last_frame is None:
            self.statusBar().showMessage("No picture yet.", 3000)
            return
        if self.act_countdown.isChecked():
            self._countdown_left = self.COUNTDOWN_S
            self.preview.set_countdown(self._countdown_left)
            self.shutter.set_active(True)
            self._countdown_timer.start()
        else:
            self._capture()

    def _countdown_step(self) -> None:
        assert self._countdown_left is not None
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self.preview.set_countdown(self._countdown_left)
            return
        self._cancel_countdown()
        self._capture()

    def _cancel_countdown(self) -> None:
        self._countdown_timer.stop()
        self._countdown_left = None
        self.preview.set_countdown(None)
        self.shutter.set_active(False)

    def on_escape(self) -> None:
        if self._countdown_left is not None:
            self._cancel_countdown()
        elif self.isFullScreen():
            self.toggle_fullscreen()

    def _capture(self) -> None:
        frame = self.last_frame
        if frame is None:
            return
        image = frame.result.output
        flip = frame.mirrored and not self.settings.save_as_shown
        folder, suffix = Path(self.settings.photo_dir), f".{self.settings.image_format}"
        self.preview.flash()
        self._io.submit(self._save_photo, image, flip, folder, suffix)

    def _save_photo(self, image: Frame, flip: bool, folder: Path, suffix: str) -> None:
        """Runs on the I/O thread."""
        try:
            if flip:
                image = cv2.flip(image, 1)
            path = save_image_atomic(image, snapshot_path(folder, datetime.now(), suffix))
            self._bridge.photo_saved.emit(str(path), square_thumbnail(image, self.THUMB_PX))
        except (SinkError, ValueError) as exc:
            self._bridge.photo_failed.emit(str(exc))
        except Exception as exc:
            logger.exception("Saving a photo failed")
            self._bridge.photo_failed.emit(f"The photo could not be saved: {exc}")

    def on_photo_saved(self, path: str, thumb: Frame) -> None:
        self.captures.add(Path(path), ndarray_to_qimage(thumb))
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self.photo_saved.emit(path)

    def on_photo_failed(self, message: str) -> None:
        self.banner.show_message(message, "error", ("Choose folder…", self.ask_photo_dir), timeout_ms=15000)

    def _recover_recordings(self) -> None:
        """Runs on the I/O thread: leftovers of a recording interrupted by a crash become files."""
        from snowcam.video_writer import recover_recordings

        recovery = recover_recordings(self.settings.video_dir)
        if recovery.message():
            self._bridge.recordings_recovered.emit(recovery.message())

    def _find_captures(self) -> None:
        """Runs on the I/O thread: the newest earlier captures, for the strip."""
        found: list[tuple[float, Path]] = []
        for folder in {self.settings.photo_dir, self.settings.video_dir}:
            for pattern in CAPTURE_GLOBS:
                try:
                    found.extend((p.stat().st_mtime, p) for p in Path(folder).glob(pattern))
                except OSError as exc:
                    logger.warning("Cannot list earlier captures in %s: %s", folder, exc)
        found.sort(reverse=True)
        items = []
        for _, path in found[: CaptureStrip.MAX_ITEMS]:
            thumb = _read_thumbnail(path, self.THUMB_PX)
            if thumb is not None:
                items.append((path, thumb))
        self._bridge.captures_found.emit(items)

    def open_capture(self, path: str | Path) -> None:
        """Open a photo, video or folder with the desktop's default app."""
        if not Dialogs.open_path(path):
            self.statusBar().showMessage(f"No app could open {path}", 5000)

    def on_captures_found(self, items: list[tuple[Path, Frame]]) -> None:
        known = set(self.captures.paths())
        for path, thumb in reversed(items):
            if path not in known:
                self.captures.add(path, ndarray_to_qimage(thumb), path.suffix.lower() == ".mp4")

    # --- recording -----------------------------------------------------------------------

    def toggle_recording(self) -> None:
        if self.recording_path is not None:
            self.record_button.setEnabled(False)
            self.worker.stop_recording()
            return
        if self.last_frame is None:
            self.statusBar().showMessage("No picture to record yet.", 3000)
            return
        path = snapshot_path(self.settings.video_dir, datetime.now(), ".mp4")
        self._recording_thumb = self.last_frame.result.output
        audio = None
        if self.settings.record_sound and isinstance(self.spec, CameraSpec):
            self._microphone = Microphone.start(self.worker.add_audio)
            audio = self._microphone.format if self._microphone is not None else None
        self.worker.start_recording(path, keep_mirror=self.settings.save_as_shown, audio=audio)

    def on_recording_started(self, path: str) -> None:
        self.recording_path = Path(path)
        self._recording_clock.start()
        self.record_button.set_active(True)
        self.record_button.setToolTip("Stop recording (R)")
        self.preview.set_recording("REC  00:00")

    def _recording_ended(self) -> None:
        if self._microphone is not None:
            self._microphone.stop()
            self._microphone = None
        self.recording_path = None
        self.record_button.set_active(False)
        self.record_button.setEnabled(True)
        self.record_button.setToolTip("Record video (R)")
        self.preview.set_recording(None)

    def on_recording_saved(self, path: str, frames: int) -> None:
        thumb = self._recording_thumb
        self._recording_ended()
        if self._closing:
            return
        if thumb is not None:
            self.captures.add(Path(path), ndarray_to_qimage(square_thumbnail(thumb, self.THUMB_PX)), True)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self.recording_saved.emit(path, frames)

    def on_recording_cut_short(self, message: str, path: str, seconds: float) -> None:
        """A write error (full disk...) stopped the recording; ``seconds`` of it were kept in ``path``."""
        thumb = self._recording_thumb
        self._recording_ended()
        if thumb is not None and not self._closing:
            self.captures.add(Path(path), ndarray_to_qimage(square_thumbnail(thumb, self.THUMB_PX)), True)
        self.banner.show_message(message, "error", ("Choose folder…", self.ask_video_dir), timeout_ms=20000)

    def on_recording_failed(self, message: str) -> None:
        self._recording_ended()
        self.banner.show_message(message, "error", ("Choose folder…", self.ask_video_dir), timeout_ms=15000)

    # --- settings ------------------------------------------------------------------------

    def set_mirror(self, on: bool) -> None:
        self.settings.mirror = bool(on)
        self.worker.set_mirror(self.settings.mirror)
        self._save_settings()

    def set_countdown(self, on: bool) -> None:
        self.settings.countdown = bool(on)
        self._save_settings()

    def set_record_sound(self, on: bool) -> None:
        self.settings.record_sound = bool(on)
        self._save_settings()

    def set_save_as_shown(self, on: bool) -> None:
        self.settings.save_as_shown = bool(on)
        self._save_settings()

    def set_image_format(self, fmt: str) -> None:
        self.settings.image_format = fmt
        self._save_settings()

    def set_overlay(self, on: bool) -> None:
        self.settings.overlay = bool(on)
        self.preview.set_stats_lines(self._stats_lines() if on else [])
        self._save_settings()

    def set_loop(self, on: bool) -> None:
        self.settings.loop = bool(on)
        self.worker.set_loop(self.settings.loop)
        self._save_settings()

    def toggle_pause(self, paused: bool) -> None:
        if not isinstance(self.spec, FileSpec):
            self.act_pause.setChecked(False)
            return
        self.worker.set_paused(bool(paused))
        self.preview.set_paused(bool(paused))
        self.act_pause.setIcon(theme.icon("play" if paused else "pause"))

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.act_fullscreen.setChecked(self.isFullScreen())

    def ask_photo_dir(self) -> None:
        path = Dialogs.ask_folder(self, "Save photos in", self.settings.photo_dir)
        if path:
            self.settings.photo_dir = path
            self._save_settings()

    def ask_video_dir(self) -> None:
        path = Dialogs.ask_folder(self, "Save videos in", self.settings.video_dir)
        if path:
            self.settings.video_dir = path
            self._save_settings()

    def _save_settings(self) -> None:
        self.settings.save(self.store)

    # --- closing -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent | None) -> None:
        """Stop the worker (which finalises a recording in progress) and wait for pending saves."""
        self._closing = True
        self._cancel_countdown()
        self._tick.stop()
        if self.recording_path is not None:
            self.statusBar().showMessage("Finishing the recording…")
        self._save_settings()
        self.store.setValue("window/geometry", self.saveGeometry())
        self.store.sync()
        self.worker.stop()
        self._io.shutdown(wait=True)
        if self._thumb_thread is not None:
            self._thumb_thread.join(2.0)
        super().closeEvent(event)
