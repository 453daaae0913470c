"""The app's widgets. Each shows state it is given and reports clicks; none knows the pipeline."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import QPointF, QRect, QRectF, QSize, Qt, QTimer, QVariantAnimation, pyqtSignal
from PyQt6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QIcon,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PyQt6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from snowcam.ui import theme
from snowcam.ui.gallery import rounded_pixmap


def _pill(p: QPainter, rect: QRectF, fill: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(fill)
    p.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)


class DisplayStats:
    """Frames shown per second and the age of each shown frame, over the last ``window_s`` seconds."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self.shown = 0
        self.history: list[tuple[float, float]] | None = None
        self._events: deque[tuple[float, float]] = deque()

    def record(self, shown_s: float, age_s: float) -> None:
        """A frame reached the screen at ``shown_s`` (monotonic seconds), ``age_s`` after its capture.

        Every ``(shown_s, age_s)`` is also appended to ``history`` when it is a list (measurements).
        """
        self.shown += 1
        self._events.append((shown_s, age_s))
        if self.history is not None:
            self.history.append((shown_s, age_s))
        while self._events and self._events[0][0] < shown_s - self.window_s:
            self._events.popleft()

    def fps(self) -> float:
        if len(self._events) < 2:
            return 0.0
        span = self._events[-1][0] - self._events[0][0]
        return (len(self._events) - 1) / span if span > 0 else 0.0

    def ages_s(self) -> list[float]:
        return [age for _, age in self._events]


class PreviewWidget(QWidget):
    """The picture, scaled to fit with its aspect kept, and everything drawn over it.

    Overlays: a hint while there is no picture, a dimming message (camera lost), the recording
    pill, the paused pill, the stats box, the countdown (in a corner, off the face), the drop
    highlight and the snapshot flash. ``mouse_moved`` reports pointer moves (full screen shows
    the controls again).
    """

    first_frame_shown = pyqtSignal()
    mouse_moved = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.stats = DisplayStats()
        self._pixmap: QPixmap | None = None
        self._unshown_ready_s: float | None = None
        self._hint = "Starting…"
        self._dim_message: str | None = None
        self._recording: str | None = None
        self._paused = False
        self._stats_lines: list[str] = []
        self._countdown: int | None = None
        self._drop_hint = False
        self._flash = 0.0
        self._flash_anim = QVariantAnimation(self)
        self._flash_anim.setStartValue(1.0)
        self._flash_anim.setEndValue(0.0)
        self._flash_anim.setDuration(280)
        self._flash_anim.valueChanged.connect(self._set_flash)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._mono.setPointSizeF(9.0)

    def show_image(self, image: QImage, ready_s: float) -> None:
        """Show a new frame; ``ready_s`` is its capture time (monotonic seconds) for the age stats."""
        self._pixmap = QPixmap.fromImage(image)
        self._unshown_ready_s = ready_s
        self.update()

    def clear_image(self, hint: str) -> None:
        self._pixmap = None
        self._hint = hint
        self.update()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def set_dim_message(self, message: str | None) -> None:
        self._dim_message = message
        self.update()

    def set_recording(self, text: str | None) -> None:
        self._recording = text
        self.update()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        self.update()

    def set_stats_lines(self, lines: Sequence[str]) -> None:
        self._stats_lines = list(lines)
        self.update()

    def set_countdown(self, seconds: int | None) -> None:
        self._countdown = seconds
        self.update()

    def set_drop_hint(self, on: bool) -> None:
        """Highlight the picture while a video file is dragged over the window."""
        self._drop_hint = on
        self.update()

    def _draw_drop_hint(self, p: QPainter) -> None:
        rect = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        p.fillRect(rect, QColor(255, 201, 60, 40))
        pen = QPen(QColor(theme.ACCENT), 3, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, 14, 14)
        self._centered_box(p, rect, "Drop to play this video with the filters")

    def flash(self) -> None:
        """A short white flash over the picture (the shutter)."""
        self._flash_anim.stop()
        self._flash_anim.start()

    def _set_flash(self, value: object) -> None:
        self._flash = float(value)  # type: ignore[arg-type]
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:
        self.mouse_moved.emit()
        super().mouseMoveEvent(event)

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    def image_rect(self) -> QRectF:
        """Where the picture is drawn, in widget pixels (the whole widget without a picture)."""
        if self._pixmap is None or self._pixmap.isNull():
            return QRectF(self.rect())
        size = QSize(self._pixmap.size()).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2.0
        y = (self.height() - size.height()) / 2.0
        return QRectF(x, y, size.width(), size.height())

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PREVIEW))
        area = self.image_rect()
        if self._pixmap is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(area.toRect(), self._pixmap)
        else:
            p.setPen(QColor(theme.TEXT_DIM))
            font = QFont(self.font())
            font.setPointSizeF(13.0)
            p.setFont(font)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, self._hint)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._dim_message and self._pixmap is not None:
            p.fillRect(area, QColor(0, 0, 0, 150))
            self._centered_box(p, area, self._dim_message)
        self._draw_pills(p, area)
        self._draw_stats(p, area)
        if self._countdown is not None:
            self._draw_countdown(p, area)
        if self._drop_hint:
            self._draw_drop_hint(p)
        if self._flash > 0.0:
            p.fillRect(area, QColor(255, 255, 255, int(235 * self._flash)))
        p.end()
        if self._unshown_ready_s is not None:
            now = time.monotonic()
            first = self.stats.shown == 0
            self.stats.record(now, now - self._unshown_ready_s)
            self._unshown_ready_s = None
            if first:
                self.first_frame_shown.emit()

    def _centered_box(self, p: QPainter, area: QRectF, text: str) -> None:
        font = QFont(self.font())
        font.setPointSizeF(12.0)
        p.setFont(font)
        bounds = p.fontMetrics().boundingRect(
            QRect(0, 0, int(area.width() * 0.7), 1000), Qt.TextFlag.TextWordWrap, text
        )
        box = QRectF(0, 0, bounds.width() + 40, bounds.height() + 26)
        box.moveCenter(area.center())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(20, 20, 24, 220))
        p.drawRoundedRect(box, 12, 12)
        p.setPen(QColor(theme.TEXT))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)

    def _draw_pills(self, p: QPainter, area: QRectF) -> None:
        x, y = area.left() + 14, area.top() + 14
        font = QFont(self.font())
        font.setPointSizeF(10.0)
        font.setWeight(QFont.Weight.DemiBold)
        p.setFont(font)
        for text, dot in ((self._recording, theme.RECORD), ("Paused" if self._paused else None, None)):
            if text is None:
                continue
            width = p.fontMetrics().horizontalAdvance(text) + (40 if dot else 24)
            rect = QRectF(x, y, width, 28)
            _pill(p, rect, QColor(0, 0, 0, 160))
            text_x = rect.left() + 12
            if dot:
                # Blinks once a second, like a camcorder.
                if int(time.monotonic() * 2) % 2 == 0:
                    p.setBrush(QColor(dot))
                    p.drawEllipse(QPointF(rect.left() + 16, rect.center().y()), 6, 6)
                text_x += 16
            p.setPen(QColor(theme.TEXT))
            p.drawText(QRectF(text_x, rect.top(), width, rect.height()), Qt.AlignmentFlag.AlignVCenter, text)
            y += 36

    def _draw_stats(self, p: QPainter, area: QRectF) -> None:
        if not self._stats_lines:
            return
        p.setFont(self._mono)
        fm = p.fontMetrics()
        width = max(fm.horizontalAdvance(line) for line in self._stats_lines) + 20
        height = fm.lineSpacing() * len(self._stats_lines) + 14
        rect = QRectF(area.right() - width - 14, area.top() + 14, width, height)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 170))
        p.drawRoundedRect(rect, 8, 8)
        p.setPen(QColor("#d8f5d0"))
        for i, line in enumerate(self._stats_lines):
            p.drawText(QPointF(rect.left() + 10, rect.top() + 7 + fm.ascent() + i * fm.lineSpacing()), line)

    def _draw_countdown(self, p: QPainter, area: QRectF) -> None:
        # In the bottom-right corner, away from the face (which the camera centres).
        radius = min(area.width(), area.height()) * 0.11
        center = QPointF(area.right() - radius - 18, area.bottom() - radius - 18)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 130))
        p.drawEllipse(center, radius, radius)
        font = QFont(self.font())
        font.setPixelSize(max(12, int(radius * 1.2)))
        font.setWeight(QFont.Weight.Bold)
        p.setFont(font)
        p.setPen(QColor(theme.TEXT))
        box = QRectF(center.x() - radius, center.y() - radius, 2 * radius, 2 * radius)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, str(self._countdown))


class RoundButton(QAbstractButton):
    """The shutter (white disc) or record (red dot; a red square while ``active``) button."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if kind not in ("shutter", "record"):
            raise ValueError(f"kind must be 'shutter' or 'record', got {kind!r}")
        self.kind = kind
        self._active = False
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        side = 68 if kind == "shutter" else 52
        self.setFixedSize(side, side)

    def set_active(self, active: bool) -> None:
        self._active = active
        self.update()

    def is_active(self) -> bool:
        return self._active

    def sizeHint(self) -> QSize:
        return self.size()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(3, 3, -3, -3)
        enabled = self.isEnabled()
        ring = QColor(theme.ACCENT if (self._active and self.kind == "shutter") else theme.TEXT)
        if not enabled:
            ring = QColor(theme.TEXT_DIM)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ring)
        p.drawEllipse(r)
        p.setBrush(QColor(theme.BACKGROUND))
        p.drawEllipse(r.adjusted(3.5, 3.5, -3.5, -3.5))
        inner = r.adjusted(7, 7, -7, -7)
        if self.isDown():
            inner = inner.adjusted(2, 2, -2, -2)
        if self.kind == "shutter":
            fill = QColor(theme.TEXT) if enabled else QColor(theme.TEXT_DIM)
            if self.underMouse() and enabled:
                fill = QColor("#ffffff")
            p.setBrush(fill)
            p.drawEllipse(inner)
        else:
            p.setBrush(QColor(theme.RECORD) if enabled else QColor(theme.TEXT_DIM))
            if self._active:
                square = QRectF(0, 0, inner.width() * 0.5, inner.height() * 0.5)
                square.moveCenter(inner.center())
                p.drawRoundedRect(square, 4, 4)
            else:
                p.drawEllipse(inner)
        p.end()


class CaptureStrip(QWidget):
    """The most recent photos and videos; ``opened(path)`` when one is clicked."""

    opened = pyqtSignal(str)
    folder_requested = pyqtSignal()
    MAX_ITEMS = 5
    THUMB_PX = 46

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(4)
        self.items: list[tuple[Path, QToolButton]] = []
        self.folder_button = QToolButton()
        self.folder_button.setObjectName("capture")
        self.folder_button.setIcon(theme.icon("folder", theme.TEXT_DIM))
        self.folder_button.setIconSize(QSize(22, 22))
        self.folder_button.setFixedSize(self.THUMB_PX + 4, self.THUMB_PX + 4)
        self.folder_button.setToolTip("Open the photo folder")
        self.folder_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.folder_button.clicked.connect(self.folder_requested)
        self._row.addWidget(self.folder_button)
        self._row.addStretch(1)

    def add(self, path: Path, thumbnail: QImage, is_video: bool = False) -> None:
        """Put a capture first in the strip (the oldest falls off the end)."""
        for known, button in list(self.items):
            if known == path:
                self.items.remove((known, button))
                button.deleteLater()
        button = QToolButton()
        button.setObjectName("capture")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        pixmap = rounded_pixmap(thumbnail, self.THUMB_PX, 8)
        if is_video:
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 140))
            c = self.THUMB_PX / 2
            p.drawEllipse(QPointF(c, c), 11, 11)
            p.setBrush(QColor(theme.TEXT))
            p.drawPolygon([QPointF(c - 3.5, c - 6), QPointF(c - 3.5, c + 6), QPointF(c + 6, c)])
            p.end()
        button.setIcon(QIcon(pixmap))
        button.setIconSize(QSize(self.THUMB_PX, self.THUMB_PX))
        button.setFixedSize(self.THUMB_PX + 4, self.THUMB_PX + 4)
        button.setToolTip(f"{path.name}\nClick to open")
        button.clicked.connect(lambda _=False, p=path: self.opened.emit(str(p)))
        self._row.insertWidget(0, button)
        self.items.insert(0, (path, button))
        while len(self.items) > self.MAX_ITEMS:
            _, old = self.items.pop()
            old.deleteLater()

    def paths(self) -> list[Path]:
        return [path for path, _ in self.items]


class Banner(QFrame):
    """A message above the picture that never blocks: optional action button, close button, timeout."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 8, 8)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.action_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.action_button.hide()
        close = QToolButton()
        close.setText("✕")
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        row.addWidget(self.label, 1)
        row.addWidget(self.action_button)
        row.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self._callback: object = None
        self.action_button.clicked.connect(self._run_action)
        self.hide()

    def show_message(
        self, text: str, level: str = "error", action: tuple[str, object] | None = None, timeout_ms: int = 0
    ) -> None:
        """Show ``text`` (``level``: error, warning or info); ``action`` is ``(label, callable)``."""
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self._callback = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self._timer.stop()
        if timeout_ms > 0:
            self._timer.start(timeout_ms)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self._timer.stop()
        self.hide()

    def _run_action(self) -> None:
        callback = self._callback
        self.dismiss()
        if callable(callback):
            callback()


class NoSourcePanel(QWidget):
    """Shown instead of the picture when no camera can be opened: what happened and what to do."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), QColor(theme.PREVIEW))
        self.setPalette(pal)
        column = QVBoxLayout(self)
        column.addStretch(2)
        glyph = QLabel()
        glyph.setPixmap(theme.icon("camera", theme.TEXT_DIM).pixmap(QSize(56, 56)))
        glyph.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel("No camera")
        self.title.setObjectName("title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setObjectName("dim")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # A fixed width keeps the wrapped text's height right (heightForWidth at one width).
        self.message.setFixedWidth(520)
        self.open_button = QPushButton("Open a video file…")
        self.demo_button = QPushButton("Play the demo clip")
        self.retry_button = QPushButton("Try the camera again")
        self.retry_button.setObjectName("primary")
        self.open_button.setObjectName("secondary")
        self.demo_button.setObjectName("secondary")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.retry_button, self.demo_button, self.open_button):
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(b)
        buttons.addStretch(1)
        column.addWidget(glyph)
        column.addSpacing(8)
        column.addWidget(self.title)
        # Centred by stretches, not by alignment: an aligned item loses height-for-width.
        message_row = QHBoxLayout()
        message_row.addStretch(1)
        message_row.addWidget(self.message)
        message_row.addStretch(1)
        column.addLayout(message_row)
        column.addSpacing(16)
        column.addLayout(buttons)
        column.addStretch(3)

    def set_message(self, title: str, text: str) -> None:
        self.title.setText(title)
        self.message.setText(text)
