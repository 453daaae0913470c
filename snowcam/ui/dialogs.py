"""Every modal interaction of the app, behind class methods that tests monkeypatch.

Nothing else in the UI opens a dialog or hands a URL to the desktop, so a test replaces
these methods and never blocks (pytest-qt's advice for dialogs).
"""

from __future__ import annotations

import os
from pathlib import Path

from PyQt6.QtCore import QUrl
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import QFileDialog, QWidget

VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.mpg *.mpeg *.wmv);;All files (*)"


class Dialogs:
    """The app's dialogs and desktop hand-offs."""

    @classmethod
    def ask_video_file(cls, parent: QWidget | None, start_dir: str) -> str | None:
        """A video file chosen by the user, or ``None`` when cancelled."""
        path, _ = QFileDialog.getOpenFileName(parent, "Open a video", start_dir, VIDEO_FILTER)
        return path or None

    @classmethod
    def ask_folder(cls, parent: QWidget | None, title: str, start_dir: str) -> str | None:
        """A folder chosen by the user, or ``None`` when cancelled."""
        path = QFileDialog.getExistingDirectory(parent, title, start_dir)
        return path or None

    @classmethod
    def open_path(cls, path: str | os.PathLike[str]) -> bool:
        """Open a file or folder with the desktop's default app; ``False`` when that failed."""
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path))))
