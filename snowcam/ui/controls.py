"""Control rows: the capture bar (recent captures, shutter, record) and a video file's replay bar."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QSlider, QToolButton, QWidget

from snowcam.captures import read_capture_thumbnail, recent_captures
from snowcam.session import THUMB_PX
from snowcam.types import Frame
from snowcam.ui.qimage import ndarray_to_qimage
from snowcam.ui.widgets import CaptureStrip, RoundButton

END_SNAP_S = 0.05


def clock_text(seconds: float) -> str:
    """``mm:ss`` of a non-negative number of seconds (whole seconds, rounded down)."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class PlaybackBar(QWidget):
    """``pause_button``, a seek bar with ``position / duration``, ``loop_button``.

    ``seek_requested(seconds)`` when the user drags or clicks the bar; frames arriving while the
    bar is held do not move it.
    """

    seek_requested = pyqtSignal(float)
    STEPS_PER_S = 10

    def __init__(
        self, pause_button: QToolButton, loop_button: QToolButton, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.setMinimumWidth(120)
        self.slider.setToolTip("Seek (Shift+← / Shift+→: 5 s)")
        self.slider.setPageStep(5 * self.STEPS_PER_S)
        self.time_label = QLabel(clock_text(0))
        self.time_label.setObjectName("dim")
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("00:00 / 00:00") + 6)
        row.addWidget(pause_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        row.addWidget(loop_button)
        self.slider.sliderMoved.connect(self._emit_seek)
        self.slider.actionTriggered.connect(lambda _action: self._emit_seek(self.slider.sliderPosition()))

    def _emit_seek(self, value: int) -> None:
        self.seek_requested.emit(value / self.STEPS_PER_S)

    def set_position(self, position_s: float | None, duration_s: float | None) -> None:
        """Show where the replay is (``duration_s`` ``None``: unknown length, no bar)."""
        position = position_s or 0.0
        if duration_s and duration_s - position < END_SNAP_S:
            position = duration_s  # the last frame starts a frame before the end: it reads as the end
        text = clock_text(position)
        if duration_s:
            text += f" / {clock_text(duration_s)}"
            if not self.slider.isSliderDown():
                self.slider.blockSignals(True)
                self.slider.setRange(0, round(duration_s * self.STEPS_PER_S))
                self.slider.setValue(round(position * self.STEPS_PER_S))
                self.slider.blockSignals(False)
        self.slider.setEnabled(bool(duration_s))
        if text != self.time_label.text():
            self.time_label.setText(text)


class CaptureBar(QWidget):
    """Below the picture: the recent captures, the shutter and record buttons, a key hint.

    :meth:`load_recent` fills the strip with earlier captures, read in a thread of its own.
    """

    _found = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._found.connect(self._add_found)
        self._loader: threading.Thread | None = None
        self.setObjectName("bottomBar")
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 4, 10, 4)
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
        self.hint_label = QLabel("Space photo · R record\n←/→ filters · [ ] strength")
        self.hint_label.setObjectName("dim")
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # The hint gives way first when the window is narrow.
        self.hint_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.hint_label.setMinimumWidth(0)
        grid.addWidget(self.captures, 0, 0)
        grid.addLayout(center, 0, 1)
        grid.addWidget(self.hint_label, 0, 2)
        for col in range(3):
            grid.setColumnStretch(col, 1)

    def load_recent(self, folders: Sequence[str | os.PathLike[str]]) -> None:
        """Show the newest captures in ``folders`` (named by ``sinks``) without waiting for the disk."""

        def load() -> None:
            items: list[tuple[Path, Frame]] = []
            for path in recent_captures(folders, CaptureStrip.MAX_ITEMS):
                thumb = read_capture_thumbnail(path, THUMB_PX)
                if thumb is not None:
                    items.append((path, thumb))
            self._found.emit(items)

        self._loader = threading.Thread(target=load, name="snowcam-recent-captures", daemon=True)
        self._loader.start()

    def wait_loaded(self, timeout_s: float = 5.0) -> None:
        """Wait for :meth:`load_recent`'s thread (closing the window)."""
        if self._loader is not None:
            self._loader.join(timeout_s)

    def _add_found(self, items: list[tuple[Path, Frame]]) -> None:
        known = set(self.captures.paths())
        for path, thumb in reversed(items):
            if path not in known:
                self.captures.add(path, ndarray_to_qimage(thumb), path.suffix.lower() == ".mp4")
