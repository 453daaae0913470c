"""The main window: a view of the live session.

The window shows what the session reports (its events and shown frames, see
:mod:`snowcam.ui.worker`) and forwards the user's actions to it; it decodes, saves, flips and
filters nothing itself. The picture takes the space; the gallery sits beside it, so the window
fits a laptop screen, and in full screen only the picture shows until the mouse moves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import QElapsedTimer, QSettings, QSize, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QResizeEvent,
)
from PyQt6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMainWindow,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from snowcam import events as ev
from snowcam.filters import FILTERS, catalog, filter_names
from snowcam.filters.selection import Selection
from snowcam.session import (
    CameraSpec,
    CaptureSettings,
    CaptureState,
    FileSpec,
    Session,
    SessionEvent,
    Shown,
    SourceSpec,
)
from snowcam.sources import SourceInfo
from snowcam.ui import theme
from snowcam.ui.actions import WindowActions
from snowcam.ui.audio import Microphone
from snowcam.ui.controls import CaptureBar, PlaybackBar, clock_text
from snowcam.ui.devices import CameraDevice, CameraWatcher
from snowcam.ui.dialogs import Dialogs
from snowcam.ui.gallery import FilterGallery, StrengthPanel
from snowcam.ui.qimage import ndarray_to_qimage
from snowcam.ui.settings import AppSettings
from snowcam.ui.source_picker import SourcePicker, camera_entries, fill_camera_menu
from snowcam.ui.virtualcam import VirtualCameraToggle
from snowcam.ui.widgets import Banner, NoSourcePanel, PreviewWidget
from snowcam.ui.worker import SessionWorker
from snowcam.virtualcam import CameraFactory

logger = logging.getLogger(__name__)

SIDE_PANEL_PX = 320
# The first window leaves this much of the screen free; it never starts bigger than FIRST_SIZE.
SCREEN_MARGIN_PX = 48
FIRST_SIZE = QSize(1180, 780)
CLOSEUP_INTERVAL_MS = 1200
CONTROLS_HIDE_MS = 2500
SEEK_STEP_S = 5.0


class MainWindow(QMainWindow):
    """The camera app window. Everything it uses is handed in; :meth:`start` opens the first source.

    Signals for callers and tests: ``photo_saved(path)``, ``recording_saved(path, frames)``,
    ``recording_cut_short(message, path, seconds)``.
    """

    photo_saved = pyqtSignal(str)
    recording_saved = pyqtSignal(str, int)
    # A write error stopped the recording; what was written is kept: (message, path, seconds).
    recording_cut_short = pyqtSignal(str, str, float)
    COUNTDOWN_S = 3

    def __init__(
        self,
        worker: SessionWorker,
        settings: AppSettings,
        store: QSettings,
        cameras: Sequence[CameraDevice],
        demo_clip: Path,
        launched_s: float | None = None,
        watcher: CameraWatcher | None = None,
        closeups: bool = True,
        virtualcam_factory: CameraFactory | None = None,
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
        self._names = filter_names()
        self.selection = Selection.from_dict(settings.selection)
        self.state = CaptureState.NO_SOURCE
        self.spec: SourceSpec | None = None
        self.source_info: SourceInfo | None = None
        self.last_frame: Shown | None = None
        self.recording_path: Path | None = None
        self._recording_clock = QElapsedTimer()
        self._microphone: Microphone | None = None
        self._closeups = closeups
        self._closing = False

        self.setWindowTitle("snowcam")
        self.setAcceptDrops(True)
        self.actions = WindowActions(self)
        self.virtualcam = VirtualCameraToggle(self, virtualcam_factory)
        self._build_ui()
        self._build_menus()
        self._connect()
        self._show_selection(self.selection)
        self._fit_to_screen(store.value("window/geometry"))
        if watcher is not None:
            watcher.changed.connect(self.on_cameras_changed)
            watcher.setParent(self)

    # --- construction --------------------------------------------------------------------

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

    def _build_top_bar(self) -> QWidget:
        top = QWidget()
        top.setObjectName("topBar")
        row = QHBoxLayout(top)
        row.setContentsMargins(10, 6, 10, 6)
        row.setSpacing(8)
        self.picker = SourcePicker()
        self.source_combo = self.picker.source_combo
        self.resolution_combo = self.picker.resolution_combo
        self.actions.pause.setIcon(theme.icon("pause"))
        self.pause_button = QToolButton()
        self.pause_button.setObjectName("toggle")
        self.pause_button.setDefaultAction(self.actions.pause)
        self.pause_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pause_button.setToolTip("Pause / play (P)")
        self.loop_button = self._toggle_button("loop", "Loop", self.actions.loop)
        # Replay controls take the resolution's place while a video file plays.
        self.playback_bar = PlaybackBar(self.pause_button, self.loop_button)
        self.playback_bar.hide()
        row.addWidget(self.picker)
        row.addWidget(self.playback_bar, 1)
        self.top_stretch = QWidget()
        row.addWidget(self.top_stretch, 1)
        self.mirror_button = self._toggle_button("mirror", "Mirror", self.actions.mirror)
        self.countdown_button = self._toggle_button("timer", "3 s", self.actions.countdown)
        self.overlay_button = self._toggle_button("stats", "Stats", self.actions.overlay)
        self.virtualcam_button = self._toggle_button("camera", "Virtual camera", self.virtualcam.action)
        self.virtualcam_button.setToolTip(self.virtualcam.action.toolTip())
        self.capture_menu_button = QToolButton()
        self.capture_menu_button.setObjectName("toggle")
        self.capture_menu_button.setIcon(theme.icon("tune"))
        self.capture_menu_button.setIconSize(QSize(18, 18))
        self.capture_menu_button.setToolTip("Where and how photos and videos are saved")
        self.capture_menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.capture_menu_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for b in (
            self.virtualcam_button,
            self.mirror_button,
            self.countdown_button,
            self.overlay_button,
            self.capture_menu_button,
        ):
            row.addWidget(b)
        return top

    def _build_side_panel(self) -> QWidget:
        side = QWidget()
        side.setObjectName("bottomBar")
        side.setFixedWidth(SIDE_PANEL_PX)
        column = QVBoxLayout(side)
        column.setContentsMargins(10, 8, 10, 8)
        column.setSpacing(6)
        self.gallery = FilterGallery([(n, FILTERS[n].title, FILTERS[n].group) for n in self._names])
        self.strengths = StrengthPanel()
        self.strengths.hide()
        column.addWidget(self.gallery, 1)
        column.addWidget(self.strengths)
        return side

    def _build_ui(self) -> None:
        central = QWidget()
        central.setObjectName("central")
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.top_bar = self._build_top_bar()
        column.addWidget(self.top_bar)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        left = QVBoxLayout()
        left.setSpacing(0)
        self._column, self._left = column, left
        stage = QWidget()
        stage_column = QVBoxLayout(stage)
        stage_column.setContentsMargins(8, 6, 8, 6)
        stage_column.setSpacing(6)
        self.banner = Banner()
        self.preview = PreviewWidget()
        self.no_source = NoSourcePanel()
        # Its message is laid out for 520 px but must not hold the whole window that wide.
        self.no_source.setMinimumSize(320, 240)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.preview)
        self.stack.addWidget(self.no_source)
        stage_column.addWidget(self.banner)
        stage_column.addWidget(self.stack, 1)
        left.addWidget(stage, 1)
        self.controls = CaptureBar()
        self.captures = self.controls.captures
        self.shutter = self.controls.shutter
        self.record_button = self.controls.record_button
        left.addWidget(self.controls)
        body.addLayout(left, 1)
        self.side_panel = self._build_side_panel()
        body.addWidget(self.side_panel)
        column.addLayout(body, 1)
        self.setCentralWidget(central)
        self.statusBar().setSizeGripEnabled(False)
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._on_tick)
        self._closeup_timer = QTimer(self)
        self._closeup_timer.setInterval(CLOSEUP_INTERVAL_MS)
        self._closeup_timer.timeout.connect(self._request_closeups)
        self._chrome_timer = QTimer(self)
        self._chrome_timer.setSingleShot(True)
        self._chrome_timer.setInterval(CONTROLS_HIDE_MS)
        self._chrome_timer.timeout.connect(lambda: self._set_chrome_visible(not self.isFullScreen()))
        self._fill_source_combo()
        self._fill_resolution_combo()

    def _build_menus(self) -> None:
        self.camera_menu, saving = self.actions.build_menus(
            self.menuBar(), [self.virtualcam.action, self.virtualcam.mirror_action]
        )
        self._fill_camera_menu()
        self.capture_menu_button.setMenu(saving)

    def _connect(self) -> None:
        w = self.worker
        w.frame_ready.connect(self.on_frame_ready)
        w.event.connect(self.on_event)
        self.preview.first_frame_shown.connect(self.on_first_frame_shown)
        self.preview.mouse_moved.connect(self.on_mouse_moved)
        self.gallery.chosen.connect(self.on_gallery_chosen)
        self.gallery.group_shown.connect(lambda _group: self._request_closeups())
        self.strengths.changed.connect(lambda name, value: w.request(Session.set_strength, name, value))
        self.shutter.clicked.connect(self.take_photo)
        self.record_button.clicked.connect(self.toggle_recording)
        self.captures.opened.connect(self.open_capture)
        self.captures.folder_requested.connect(lambda: self.open_capture(self.settings.photo_dir))
        self.picker.camera_chosen.connect(self.open_camera)
        self.picker.open_requested.connect(self.ask_open_video)
        self.picker.demo_requested.connect(self.play_demo)
        self.picker.resolution_chosen.connect(self.on_resolution_chosen)
        self.playback_bar.seek_requested.connect(lambda s: w.request(Session.seek, s))
        self.no_source.open_button.clicked.connect(self.ask_open_video)
        self.no_source.demo_button.clicked.connect(self.play_demo)
        self.no_source.retry_button.clicked.connect(self.retry_camera)

    def _fit_to_screen(self, geometry: object) -> None:
        """Restore the last geometry, or open at a size that leaves room on the available screen."""
        screen = self.screen() or QApplication.primaryScreen()
        available = screen.availableGeometry().size() if screen is not None else FIRST_SIZE
        largest = QSize(available.width() - SCREEN_MARGIN_PX, available.height() - SCREEN_MARGIN_PX)
        if geometry is not None and self.restoreGeometry(geometry):
            self.resize(self.size().boundedTo(available))
            return
        self.resize(FIRST_SIZE.boundedTo(largest).expandedTo(self.minimumSizeHint()))

    # --- starting and sources ------------------------------------------------------------

    def start(self, spec: SourceSpec) -> None:
        """Give the session its settings, start it on ``spec``, and find the recent captures."""
        w = self.worker
        w.request(Session.set_selection, self.selection)
        w.request(Session.set_mirror, self.settings.mirror)
        w.request(Session.set_loop, self.settings.loop)
        self._push_capture()
        w.request(Session.recover_recordings)
        self.open_source(spec)
        w.start()
        self._tick.start()
        if self._closeups:
            self._closeup_timer.start()
        self.controls.load_recent((self.settings.photo_dir, self.settings.video_dir))
        self._report_filters_not_loaded()

    def _report_filters_not_loaded(self) -> None:
        """A banner for catalogue entries (built-in or the user's ``filters.toml``) that did not load."""
        problems = catalog.load_errors()
        for problem in problems:
            logger.warning("Filter not loaded: %s", problem.message)
        if problems:
            more = f" ({len(problems) - 1} more in the log)" if len(problems) > 1 else ""
            self.banner.show_message(
                f"A filter could not be loaded and is left out: {problems[0].message}{more}",
                "warning",
                timeout_ms=20000,
            )

    def open_source(self, spec: SourceSpec) -> None:
        if isinstance(spec, CameraSpec) and (
            not self.preview.has_image() or self.stack.currentWidget() is self.no_source
        ):
            self.preview.clear_image(f"Opening {spec.label}…")
            self.stack.setCurrentWidget(self.preview)
        self.worker.request(Session.open, spec)

    def open_camera(self, index: int | None = None) -> None:
        index = self.settings.camera_index if index is None else index
        spec = next((c for c in self._camera_entries() if c.index == index), None)
        width, height = self.settings.resolution
        self.open_source(CameraSpec(index, width, height, name=spec.name if spec else ""))

    def open_video(self, path: str | Path, name: str = "") -> None:
        self.open_source(FileSpec(Path(path), self.settings.loop, name))

    def play_demo(self) -> None:
        self.open_video(self.demo_clip, "Demo clip")

    def retry_camera(self) -> None:
        if self.state is CaptureState.LOST:
            self.worker.request(Session.retry_camera)
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

    # --- session events ------------------------------------------------------------------

    def on_event(self, event: SessionEvent) -> None:
        """Show what the session reports (runs on the UI thread)."""
        if self._closing and not isinstance(
            event, ev.RecordingSaved | ev.RecordingCutShort | ev.RecordingFailed
        ):
            return
        match event:
            case ev.StateChanged():
                self.on_state_changed(event)
            case ev.SourceFailed(spec=spec, message=message):
                self.on_source_failed(spec, message)
            case ev.SourceLost(message=message):
                self.preview.set_dim_message("Camera disconnected\nReconnecting…")
                self.banner.show_message(message, "warning", ("Retry now", self.retry_camera))
                self.banner.setProperty("source_error", True)
            case ev.SourceRecovered():
                self.preview.set_dim_message(None)
                self.banner.show_message("The camera is back.", "info", timeout_ms=3000)
                self.banner.setProperty("source_error", False)
            case ev.SelectionChanged(selection=selection):
                self._show_selection(selection)
                self.settings.selection = selection.to_dict()
                self._save_settings()
            case ev.MirrorChanged(mirror=mirror, applies=applies):
                self.actions.mirror.setChecked(mirror)
                is_file = isinstance(self.spec, FileSpec)
                self.actions.mirror.setEnabled(applies or not is_file)
                self.mirror_button.setToolTip(
                    "Video files play as recorded; the mirror applies to cameras (M)"
                    if is_file
                    else "Mirror the camera picture like a selfie; photos and videos are saved as shown (M)"
                )
            case ev.CountdownChanged(seconds_left=left):
                self.preview.set_countdown(left)
                self.shutter.set_active(left is not None)
            case ev.PhotoSaved(path=path, thumbnail=thumb):
                self.preview.flash()
                self.captures.add(path, ndarray_to_qimage(thumb))
                self.statusBar().showMessage(f"Saved {path}", 5000)
                self.photo_saved.emit(str(path))
            case ev.PhotoFailed(message=message):
                self.banner.show_message(message, "error", ("Choose folder…", self.ask_photo_dir), 15000)
            case ev.CaptureRefused(message=message):
                self.statusBar().showMessage(message, 3000)
            case ev.RecordingStarted(path=path):
                self.on_recording_started(path)
            case ev.RecordingSaved():
                self.on_recording_saved(event)
            case ev.RecordingCutShort():
                self.on_recording_cut_short(event)
            case ev.RecordingsRecovered(message=message):
                self.banner.show_message(message, "info", timeout_ms=15000)
                self.controls.load_recent((self.settings.photo_dir, self.settings.video_dir))
            case ev.RecordingFailed(message=message):
                self._recording_ended()
                self.banner.show_message(message, "error", ("Choose folder…", self.ask_video_dir), 15000)
            case ev.ProcessorFailed(message=message):
                self.on_processor_failed(message)
            case ev.ProcessingError(message=message) | ev.OutputFailed(message=message):
                self.banner.show_message(message, "error", timeout_ms=10000)
            case ev.Closeups(images=images):
                for name, image in images.items():
                    self.gallery.set_thumbnail(name, ndarray_to_qimage(image))

    def on_state_changed(self, event: ev.StateChanged) -> None:
        previous, self.state = self.state, event.state
        spec, info = event.spec, event.info
        if event.state is CaptureState.OPENING:
            self.spec = spec
            self._fill_source_combo()
            self._fill_camera_menu()
            return
        resumed = previous in (CaptureState.LOST, CaptureState.PAUSED, CaptureState.ENDED, CaptureState.LIVE)
        if event.state is CaptureState.LIVE and (not resumed or spec != self.spec):
            self.on_source_opened(spec, info)
        paused = event.state in (CaptureState.PAUSED, CaptureState.ENDED)
        self.actions.pause.setChecked(paused)
        self.actions.pause.setIcon(theme.icon("play" if paused else "pause"))
        self.preview.set_paused(event.state is CaptureState.PAUSED)
        if event.state is CaptureState.ENDED:
            self.statusBar().showMessage("End of the video: press P to play it again.", 5000)

    def on_source_opened(self, spec: SourceSpec | None, info: SourceInfo | None) -> None:
        if spec is None or info is None:
            return
        self.spec, self.source_info = spec, info
        self.setWindowTitle(f"{spec.label} – snowcam")
        is_file = isinstance(spec, FileSpec)
        if isinstance(spec, CameraSpec):
            self.settings.camera_index = spec.index
            self.settings.camera_name = spec.name
            self._save_settings()
        if self.banner.property("source_error"):
            self.banner.dismiss()
            self.banner.setProperty("source_error", False)
        self.preview.set_dim_message(None)
        self.stack.setCurrentWidget(self.preview)
        if not self.preview.has_image():
            self.preview.clear_image(f"Starting {spec.label}…")
        self.playback_bar.setVisible(is_file)
        # Sound comes from the microphone, which only goes with the camera's picture.
        self.actions.sound.setEnabled(not is_file)
        self.actions.sound.setToolTip(
            "Recordings of a video file have no sound" if is_file else "Record the default microphone"
        )
        self.top_stretch.setVisible(not is_file)
        self.resolution_combo.setVisible(not is_file)
        self._fill_source_combo()
        self._fill_camera_menu()
        self.statusBar().showMessage(f"{spec.label} · {info.width}×{info.height} · {info.fps:.0f} fps", 6000)

    def on_source_failed(self, spec: SourceSpec, message: str) -> None:
        logger.warning("Could not open %s: %s", spec.label, message)
        if isinstance(spec, CameraSpec):
            self.spec = spec
            self.last_frame = None
            self.no_source.set_message(f"{spec.label} is not available", message)
            self.stack.setCurrentWidget(self.no_source)
            self.preview.clear_image("")
            self.playback_bar.hide()
            self.top_stretch.show()
            self.resolution_combo.show()
            self._fill_source_combo()
            self._fill_camera_menu()
            return
        self.banner.show_message(message, "error", timeout_ms=15000)
        self.banner.setProperty("source_error", True)
        if not self.preview.has_image() or self.stack.currentWidget() is self.no_source:
            self.no_source.set_message("Cannot play this video", message)
            self.stack.setCurrentWidget(self.no_source)
        self._fill_source_combo()

    def on_cameras_changed(self, cameras: list[CameraDevice]) -> None:
        added = len(cameras) > len(self.cameras)
        self.cameras = list(cameras)
        self._fill_source_combo()
        self._fill_resolution_combo()
        self._fill_camera_menu()
        if added and self.state is CaptureState.FAILED and self.stack.currentWidget() is self.no_source:
            self.open_camera(self.settings.camera_index)
        elif self.state is CaptureState.LOST:
            self.worker.request(Session.retry_camera)

    def _camera_entries(self) -> list[CameraSpec]:
        return camera_entries(self.cameras, self.spec, self.settings.resolution, self.settings.camera_index)

    def _fill_camera_menu(self) -> None:
        fill_camera_menu(
            self.camera_menu,
            self._camera_entries(),
            self.spec,
            self.open_camera,
            [self.actions.retry, self.actions.mirror],
        )

    def _fill_source_combo(self) -> None:
        self.picker.show_sources(self._camera_entries(), self.spec)

    def _fill_resolution_combo(self) -> None:
        device = next((d for d in self.cameras if d.index == self.settings.camera_index), None)
        self.picker.show_resolutions(device, self.settings.resolution)

    def on_resolution_chosen(self, width: int, height: int) -> None:
        if (width, height) != self.settings.resolution:
            self.settings.resolution = (width, height)
            self._save_settings()
            if isinstance(self.spec, CameraSpec):
                self.open_camera(self.spec.index)

    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:
        if event is not None and self._dropped_file(event) is not None:
            event.acceptProposedAction()
            self.preview.set_drop_hint(True)

    def dragLeaveEvent(self, event: QDragLeaveEvent | None) -> None:
        self.preview.set_drop_hint(False)

    def dropEvent(self, event: QDropEvent | None) -> None:
        self.preview.set_drop_hint(False)
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
        self.preview.show_image(ndarray_to_qimage(frame.view), frame.ready_s)
        if frame.position_s is not None:
            self.playback_bar.set_position(frame.position_s, frame.duration_s)

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

    def _on_tick(self) -> None:
        if self.recording_path is not None:
            self.preview.set_recording(f"REC  {clock_text(self._recording_clock.elapsed() / 1000.0)}")
        if self.actions.overlay.isChecked():
            self.preview.set_stats_lines(self._stats_lines())

    def _stats_lines(self) -> list[str]:
        stats = self.preview.stats
        ages = sorted(stats.ages_s())
        age_ms = ages[len(ages) // 2] * 1000.0 if ages else 0.0
        lines = [f"display  {stats.fps():5.1f} fps   age {age_ms:4.0f} ms"]
        frame = self.last_frame
        if frame is None:
            return lines
        h, w = frame.view.shape[:2]
        lines.append(f"process  {frame.processed_fps:5.1f} fps")
        lines.append(f"skipped  {frame.skipped} frames (left out to stay live)")
        lines.append(f"{w}×{h}   faces {len(frame.result.faces)}")
        for stage, ms in frame.result.stage_ms.items():
            lines.append(f"{stage.removeprefix('filter:'):<14}{ms:6.1f} ms")
        return lines

    # --- filters -------------------------------------------------------------------------

    @property
    def active_filters(self) -> list[str]:
        """The filters on, as the session last reported them (``["none"]`` when none)."""
        return list(self.selection.names) or ["none"]

    def on_gallery_chosen(self, name: str, combine: bool) -> None:
        """Ctrl+click combines; a plain click picks (on an active tile: turns it off)."""
        if combine or (name != "none" and self.selection.is_active(name)):
            self.worker.request(Session.toggle, name)
        else:
            self.worker.request(Session.choose, name)

    def pick_number(self, n: int, combine: bool) -> None:
        """Key ``n`` (1–9): the n-th filter of the group shown, as a click on its tile."""
        names = self.gallery.visible_names()
        if 1 <= n <= len(names):
            self.on_gallery_chosen(names[n - 1], combine)

    def cycle_filter(self, step: int) -> None:
        """The next or previous filter in gallery order, on its own."""
        self.worker.request(Session.step_filter, step)

    def change_strength(self, steps: int) -> None:
        self.worker.request(Session.change_strength, steps)

    def _show_selection(self, selection: Selection) -> None:
        self.selection = selection
        self.gallery.set_active(selection.names)
        self.strengths.set_entries(
            [
                (n, FILTERS[n].title, selection.strength(n))
                for n in selection.names
                if FILTERS[n].group == "beauty" and FILTERS[n].has_strength
            ]
        )
        titles = " + ".join(FILTERS[n].title for n in selection.names) or "No filter"
        self.statusBar().showMessage(titles, 2000)

    def _request_closeups(self) -> None:
        if self._closeups and self.isVisible() and self.side_panel.isVisible():
            self.worker.request(Session.request_closeups, self.gallery.visible_names())

    def on_processor_failed(self, message: str) -> None:
        self.banner.show_message(
            f"Filters are off because the face model could not be loaded: {message}", "warning"
        )
        self.gallery.setEnabled(False)
        self.gallery.setToolTip(f"Filters are off: {message}")
        self.strengths.setEnabled(False)

    # --- photos and recordings -----------------------------------------------------------

    def take_photo(self) -> None:
        """Space: a photo, the countdown, or (during the countdown) the photo at once."""
        self.worker.request(Session.take_photo)

    def on_escape(self) -> None:
        if self.shutter.is_active():  # the countdown is running
            self.worker.request(Session.cancel_countdown)
        elif self.isFullScreen():
            self.toggle_fullscreen()

    def open_capture(self, path: str | Path) -> None:
        """Open a photo, video or folder with the desktop's default app."""
        if not Dialogs.open_path(path):
            self.statusBar().showMessage(f"No app could open {path}", 5000)

    def toggle_recording(self) -> None:
        if self.recording_path is not None:
            self.record_button.setEnabled(False)
            self.worker.request(Session.stop_recording)
            return
        audio = None
        if self.settings.record_sound and isinstance(self.spec, CameraSpec) and self._microphone is None:
            # The microphone lives on the UI thread (Qt Multimedia); its chunks go to the session.
            self._microphone = Microphone.start(
                lambda pcm, t_s: self.worker.request(Session.add_audio, pcm, t_s)
            )
            audio = self._microphone.format if self._microphone is not None else None
        self.worker.request(Session.start_recording, audio)

    def on_recording_started(self, path: Path) -> None:
        self.recording_path = path
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

    def on_recording_saved(self, event: ev.RecordingSaved) -> None:
        self._recording_ended()
        if self._closing:
            return
        if event.thumbnail is not None:
            self.captures.add(event.path, ndarray_to_qimage(event.thumbnail), True)
        self.statusBar().showMessage(f"Saved {event.path}", 5000)
        self.recording_saved.emit(str(event.path), event.frames)

    def on_recording_cut_short(self, event: ev.RecordingCutShort) -> None:
        """A write error (a full disk) stopped the recording; what was written is kept and shown."""
        self._recording_ended()
        if event.thumbnail is not None and not self._closing:
            self.captures.add(event.path, ndarray_to_qimage(event.thumbnail), True)
        self.banner.show_message(event.message, "error", ("Choose folder…", self.ask_video_dir), 20000)
        self.recording_cut_short.emit(event.message, str(event.path), event.duration_s)

    # --- settings ------------------------------------------------------------------------

    def _push_capture(self) -> None:
        s = self.settings
        countdown_s = self.COUNTDOWN_S if s.countdown else 0
        capture = CaptureSettings(Path(s.photo_dir), Path(s.video_dir), s.image_format, countdown_s)
        self.worker.request(Session.set_capture, capture)

    def set_mirror(self, on: bool) -> None:
        self.settings.mirror = bool(on)
        self.worker.request(Session.set_mirror, self.settings.mirror)
        self._save_settings()

    def set_countdown(self, on: bool) -> None:
        self.settings.countdown = bool(on)
        self._push_capture()
        self._save_settings()

    def set_record_sound(self, on: bool) -> None:
        self.settings.record_sound = bool(on)
        self._save_settings()

    def set_image_format(self, fmt: str) -> None:
        self.settings.image_format = fmt
        self._push_capture()
        self._save_settings()

    def set_overlay(self, on: bool) -> None:
        self.settings.overlay = bool(on)
        self.preview.set_stats_lines(self._stats_lines() if on else [])
        self._save_settings()

    def set_loop(self, on: bool) -> None:
        self.settings.loop = bool(on)
        self.worker.request(Session.set_loop, self.settings.loop)
        self._save_settings()

    def toggle_pause(self, paused: bool) -> None:
        if not isinstance(self.spec, FileSpec):
            self.actions.pause.setChecked(False)
            return
        self.worker.request(Session.set_paused, bool(paused))

    def seek_by(self, seconds: float) -> None:
        frame = self.last_frame
        if isinstance(self.spec, FileSpec) and frame is not None and frame.position_s is not None:
            self.worker.request(Session.seek, max(0.0, frame.position_s + seconds))

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.actions.fullscreen.setChecked(self.isFullScreen())
        self._set_chrome_visible(not self.isFullScreen())

    def on_mouse_moved(self) -> None:
        """In full screen the controls come back on a mouse move, and go again after a while."""
        if self.isFullScreen():
            self._set_chrome_visible(True)
            self._chrome_timer.start()

    def _set_chrome_visible(self, visible: bool) -> None:
        """Full screen: the picture, with the bars floating over it while ``visible``; else the layout."""
        full = self.isFullScreen()
        for widget in (self.menuBar(), self.side_panel, self.statusBar()):
            widget.setVisible(not full)
        if full:
            self._float_bars()
        else:
            self._dock_bars()
        self.top_bar.setVisible(visible or not full)
        self.controls.setVisible(visible or not full)

    def _float_bars(self) -> None:
        """Lay the top bar and the capture bar over the picture, so showing them never resizes it."""
        central = self.centralWidget()
        if self.top_bar.parent() is central and self._column.indexOf(self.top_bar) < 0:
            self._place_bars()
            return
        self._column.removeWidget(self.top_bar)
        self._left.removeWidget(self.controls)
        for bar in (self.top_bar, self.controls):
            bar.setParent(central)
        self._place_bars()

    def _place_bars(self) -> None:
        central = self.centralWidget()
        width, height = central.width(), central.height()
        top_h, bottom_h = self.top_bar.sizeHint().height(), self.controls.sizeHint().height()
        self.top_bar.setGeometry(0, 0, width, top_h)
        self.controls.setGeometry(0, height - bottom_h, width, bottom_h)
        self.top_bar.raise_()
        self.controls.raise_()

    def _dock_bars(self) -> None:
        if self._column.indexOf(self.top_bar) >= 0:
            return
        self._column.insertWidget(0, self.top_bar)
        self._left.insertWidget(1, self.controls)

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if self._column.indexOf(self.top_bar) < 0:
            self._place_bars()

    def ask_photo_dir(self) -> None:
        path = Dialogs.ask_folder(self, "Save photos in", self.settings.photo_dir)
        if path:
            self.settings.photo_dir = path
            self._push_capture()
            self._save_settings()

    def ask_video_dir(self) -> None:
        path = Dialogs.ask_folder(self, "Save videos in", self.settings.video_dir)
        if path:
            self.settings.video_dir = path
            self._push_capture()
            self._save_settings()

    def _save_settings(self) -> None:
        self.settings.save(self.store)

    # --- closing -------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent | None) -> None:
        """Stop the session (which finalises a recording in progress) and the capture scan."""
        self._closing = True
        self._tick.stop()
        self._closeup_timer.stop()
        if self.recording_path is not None:
            self.statusBar().showMessage("Finishing the recording…")
        self._save_settings()
        self.store.setValue("window/geometry", self.saveGeometry())
        self.store.sync()
        self.worker.stop()
        self.controls.wait_loaded()
        super().closeEvent(event)
