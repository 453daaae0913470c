"""Fixtures for the window tests: offscreen Qt, a temporary settings store, fake pipeline and camera."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # tests never need a screen, even on a desktop

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings, QStandardPaths

from snowcam.ui.app import AppDeps, create_window
from snowcam.ui.main_window import MainWindow
from tests.ui.support import CameraBox, fake_pipeline, write_clip


@pytest.fixture(autouse=True)
def _qt_test_paths() -> Iterator[None]:
    QStandardPaths.setTestModeEnabled(True)
    yield
    QStandardPaths.setTestModeEnabled(False)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "clip.mp4")


@pytest.fixture
def store(tmp_path: Path) -> QSettings:
    """A settings file in ``tmp_path``, with photo and video folders there too, and big eyes on.

    The window tests start from big eyes (a filter with a strength slider) rather than the
    first-launch default, which ``test_layout`` checks on its own.
    """
    settings = QSettings(str(tmp_path / "snowcam.ini"), QSettings.Format.IniFormat)
    settings.setValue("capture/photo_dir", str(tmp_path / "photos"))
    settings.setValue("capture/video_dir", str(tmp_path / "videos"))
    settings.setValue("filters/selection", '{"names": ["big-eyes"], "strengths": {}}')
    return settings


@pytest.fixture
def cameras() -> CameraBox:
    return CameraBox()


@pytest.fixture
def make_window(qtbot, store: QSettings, cameras: CameraBox) -> Callable[..., MainWindow]:
    """Open the app window on a source (``video=...`` or ``camera=...``) with fakes, shown offscreen."""

    def make(video: str | Path | None = None, camera: int | None = None, **overrides: object) -> MainWindow:
        options: dict[str, object] = {
            "processor_factory": fake_pipeline,
            "camera_factory": cameras,
            "camera_lister": lambda: [],
            "watch_cameras": False,
            "store": store,
            "thumbnails": False,
        }
        options.update(overrides)
        window = create_window(None if video is None else str(video), camera, AppDeps(**options))  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.show()
        return window

    return make
