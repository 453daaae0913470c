"""Start the desktop app: build the engine's parts, the worker and the window, run Qt.

Every part the window uses comes from :class:`AppDeps`, so tests (and other front ends) swap
the pipeline, the camera, the settings store or the camera list without touching the window.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from PyQt6.QtCore import QLoggingCategory, QSettings, QTimer
from PyQt6.QtWidgets import QApplication

from snowcam.outputs import RecorderFactory, default_recorder
from snowcam.resources import assets_dir
from snowcam.session import CameraSpec, CaptureSettings, FileSpec, FrameProcessor, Session, SourceSpec
from snowcam.sources import CameraSource, FrameSource, VideoFileSource
from snowcam.ui.devices import CameraDevice, CameraWatcher, list_cameras
from snowcam.ui.main_window import MainWindow
from snowcam.ui.settings import AppSettings
from snowcam.ui.theme import app_icon, apply_theme
from snowcam.ui.worker import SessionWorker
from snowcam.virtualcam import CameraFactory

logger = logging.getLogger(__name__)


def default_processor() -> FrameProcessor:
    """The real pipeline (BlazeFace detector, shipped LiteRT model), no filters yet.

    Raises:
        snowcam.keypoints.ModelError: the model is missing or invalid (the app then runs unfiltered).
    """
    from snowcam.pipeline import PipelineSettings, build_pipeline

    return build_pipeline(PipelineSettings())


def default_camera(spec: CameraSpec) -> FrameSource:
    """An OpenCV camera at the requested size and rate."""
    return CameraSource(spec.index, spec.width, spec.height, spec.fps)


def default_video(spec: FileSpec) -> FrameSource:
    """A video file, looping when asked."""
    return VideoFileSource(spec.path, loop=spec.loop)


def default_store() -> QSettings:
    """The user's settings file (``~/.config/snowcam/snowcam.conf`` on Linux)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "snowcam", "snowcam")


@dataclass
class AppDeps:
    """The replaceable parts of the app.

    ``processor_factory`` builds the pipeline (in the background; frames flow unfiltered until
    it is ready); ``camera_factory``/``video_factory`` open sources and raise ``SourceError``;
    ``recorder_factory`` opens a recording's file; ``camera_lister`` names the cameras;
    ``watch_cameras`` follows plugging and unplugging; ``store`` is where settings live (default:
    the user's config); ``thumbnails`` turns the gallery's live close-ups on;
    ``virtualcam_factory`` opens the virtual camera (``None``: pyvirtualcam).
    """

    processor_factory: Callable[[], FrameProcessor] = default_processor
    camera_factory: Callable[[CameraSpec], FrameSource] = default_camera
    video_factory: Callable[[FileSpec], FrameSource] = default_video
    recorder_factory: RecorderFactory = default_recorder
    camera_lister: Callable[[], list[CameraDevice]] = list_cameras
    watch_cameras: bool = True
    store: QSettings | None = None
    demo_clip: Path = field(default_factory=lambda: assets_dir() / "demo.mp4")
    thumbnails: bool = True
    virtualcam_factory: CameraFactory | None = None


def seconds_since_process_start() -> float:
    """How long this process has been running (Linux: from ``/proc``; elsewhere 0)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        uptime_s = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime_s - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def first_source(
    video: str | None, camera: int | None, settings: AppSettings, cameras: list[CameraDevice]
) -> SourceSpec:
    """``--video``, else ``--camera``, else the last used camera (matched by name, then by index)."""
    if video is not None:
        return FileSpec(Path(video), settings.loop)
    width, height = settings.resolution
    if camera is not None:
        name = next((d.name for d in cameras if d.index == camera), "")
        return CameraSpec(camera, width, height, name=name)
    by_name = next((d for d in cameras if settings.camera_name and d.name == settings.camera_name), None)
    by_index = next((d for d in cameras if d.index == settings.camera_index), None)
    device = by_name or by_index or (cameras[0] if cameras else None)
    if device is None:
        return CameraSpec(settings.camera_index, width, height)
    return CameraSpec(device.index, width, height, name=device.name)


def create_window(
    video: str | None = None,
    camera: int | None = None,
    deps: AppDeps | None = None,
    launched_s: float | None = None,
) -> MainWindow:
    """Build the session, its worker and the window; open the first source (needs a ``QApplication``)."""
    deps = deps or AppDeps()
    store = deps.store if deps.store is not None else default_store()
    settings = AppSettings.load(store)
    cameras = deps.camera_lister()
    capture = CaptureSettings(Path(settings.photo_dir), Path(settings.video_dir), settings.image_format)

    def make_session(on_event, on_shown) -> Session:  # type: ignore[no-untyped-def]
        return Session(
            deps.camera_factory,
            deps.video_factory,
            capture,
            on_event=on_event,
            on_shown=on_shown,
            recorder_factory=deps.recorder_factory,
        )

    worker = SessionWorker(make_session, deps.processor_factory)
    watcher = CameraWatcher(deps.camera_lister) if deps.watch_cameras else None
    window = MainWindow(
        worker,
        settings,
        store,
        cameras,
        deps.demo_clip,
        launched_s,
        watcher,
        closeups=deps.thumbnails,
        virtualcam_factory=deps.virtualcam_factory,
    )
    worker.setParent(window)
    window.start(first_source(video, camera, settings, cameras))
    return window


def undo_opencv_qt_environment() -> None:
    """Drop the Qt plugin and font paths that ``import cv2`` (opencv-python) points at its own Qt.

    That bundled Qt is another version: PyQt6 would fail to load its ``xcb`` platform plugin
    ("no Qt platform plugin could be initialized") and use only the few bundled fonts.
    Call before the ``QApplication`` is created.
    """
    import cv2

    cv2_dir = str(Path(cv2.__file__).resolve().parent)
    for name in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        value = os.environ.get(name)
        if value and str(Path(value).resolve()).startswith(cv2_dir):
            del os.environ[name]


def quiet_libraries() -> None:
    """Silence warnings about optional system libraries that the app does not need."""
    # Missing optional multimedia backends (PipeWire, VA-API) are normal and not the user's problem.
    QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver=false\nqt.multimedia.ffmpeg*=false")
    import cv2

    # Errors only: a missing camera is reported in the window, not as OpenCV warnings.
    with contextlib.suppress(AttributeError):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def _report_unexpected_errors(window: MainWindow) -> None:
    """Log a bug in a slot and tell the user, instead of PyQt6's default of aborting the app."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            window.close()
            return
        logger.error("Unexpected error", exc_info=(kind, exc, tb))
        window.banner.show_message(
            f"Something went wrong: {exc or kind.__name__} (details in the log).", "error", timeout_ms=15000
        )

    sys.excepthook = hook


def display_problem(environ: Mapping[str, str], platform: str) -> str | None:
    """Why no window can open on this Linux session (no X11 or Wayland display), else ``None``.

    Qt would abort the process with a list of its plugins; this says what to do instead.
    """
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM", "") not in ("", "xcb", "wayland"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "snowcam: no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
        "Start it from your desktop session; without a screen, use `snowcam render` or "
        "`snowcam virtualcam`."
    )


def run_app(video: str | None = None, camera: int | None = None, *, deps: AppDeps | None = None) -> int:
    """Open the window on ``video`` (a file), ``camera`` (an OpenCV index) or the last camera.

    Returns the process exit code.
    """
    entered_s = time.monotonic()
    launched_s = entered_s - seconds_since_process_start()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    undo_opencv_qt_environment()
    problem = None if QApplication.instance() else display_problem(os.environ, sys.platform)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("snowcam")
    app.setOrganizationName("snowcam")
    app.setApplicationDisplayName("snowcam")
    apply_theme(app)
    app.setWindowIcon(app_icon())
    window = create_window(video, camera, deps, launched_s)
    _report_unexpected_errors(window)
    window.show()
    window.startup_marks_s = {"interpreter and imports": entered_s, "window": time.monotonic()}
    # Ctrl+C in the terminal and SIGTERM (logout, kill) close the window properly, which finishes a
    # recording in progress (Qt's loop would otherwise swallow Ctrl+C; SIGTERM would kill at once).
    signal.signal(signal.SIGINT, lambda *_: window.close())
    signal.signal(signal.SIGTERM, lambda *_: window.close())
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)
    return app.exec()
