"""The filter gallery: a "No filter" button, one tab per group, tiles with live close-ups, strength sliders.

The widgets show the state they are given and report clicks; the rules of which filters combine
live in :class:`snowcam.filters.selection.Selection`, applied by the session.
"""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QFontMetrics, QIcon, QImage, QPainter, QPainterPath, QPixmap
from PyQt6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from snowcam.ui import theme

# Tab order and labels; a group without filters gets no tab.
GROUP_TABS: tuple[tuple[str, str], ...] = (
    ("face", "Face"),
    ("beauty", "Beauty"),
    ("look", "Looks"),
    ("effect", "Effects"),
    ("debug", "Debug"),
)
COLUMNS = 3


def rounded_pixmap(image: QImage, side: int, radius: float, badge: str | None = None) -> QPixmap:
    """``image`` scaled into a rounded square of ``side`` px (a plain tile when null), with a number badge."""
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    clip = QPainterPath()
    clip.addRoundedRect(QRectF(0, 0, side, side), radius, radius)
    p.setClipPath(clip)
    if image.isNull():
        p.fillRect(pixmap.rect(), QColor(theme.PANEL_RAISED))
    else:
        p.drawImage(QRectF(0, 0, side, side), image)
    if badge:
        p.setClipping(False)
        font = QFont()
        font.setPixelSize(max(9, side // 6))
        font.setWeight(QFont.Weight.Bold)
        p.setFont(font)
        size = side * 0.28
        rect = QRectF(4, 4, size, size)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawEllipse(rect)
        p.setPen(QColor(theme.TEXT))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, badge)
    p.end()
    return pixmap


def two_lines(text: str, metrics: QFontMetrics, width_px: int) -> str:
    """``text`` on exactly two lines of ``width_px`` (broken at a space, the second elided)."""
    words = text.split()
    first = words.pop(0) if words else ""
    while words and metrics.horizontalAdvance(f"{first} {words[0]}") <= width_px:
        first = f"{first} {words.pop(0)}"
    second = metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width_px)
    # A no-break space keeps one-line titles two lines tall, so every tile lines up.
    return f"{metrics.elidedText(first, Qt.TextElideMode.ElideRight, width_px)}\n{second or chr(0xA0)}"


class FilterGallery(QWidget):
    """Tiles by group; ``chosen(name, combine)`` on a click (``combine`` with Ctrl held).

    ``entries`` are ``(name, title, group)`` in gallery order; the ``none`` entry becomes the
    "No filter" button above the tabs. ``group_shown(group)`` follows the visible tab.
    """

    chosen = pyqtSignal(str, bool)
    group_shown = pyqtSignal(str)
    THUMB_PX = 64

    def __init__(self, entries: Sequence[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.none_button = QPushButton("No filter  (0)")
        self.none_button.setObjectName("pill")
        self.none_button.setCheckable(True)
        self.none_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.none_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.none_button.clicked.connect(lambda: self.chosen.emit("none", False))
        column.addWidget(self.none_button)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        column.addWidget(self.tabs, 1)
        self.tiles: dict[str, QToolButton] = {}
        self.groups: list[str] = []
        self._names_by_group: dict[str, list[str]] = {}
        self._group_of: dict[str, str] = {}
        self._images: dict[str, QImage] = {}
        self._last_picked: str | None = None
        for name, _title, group in entries:
            if group != "none":
                self._names_by_group.setdefault(group, []).append(name)
                self._group_of[name] = group
        titles = {name: title for name, title, _ in entries}
        for group, label in GROUP_TABS:
            names = self._names_by_group.get(group)
            if names:
                self.groups.append(group)
                self.tabs.addTab(self._build_page(names, titles), label)
        self.tabs.currentChanged.connect(lambda i: self.group_shown.emit(self.current_group()))

    def _build_page(self, names: list[str], titles: dict[str, str]) -> QScrollArea:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setSpacing(4)
        for i, name in enumerate(names):
            tile = QToolButton()
            tile.setObjectName("tile")
            tile.setCheckable(True)
            tile.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            tile.setCursor(Qt.CursorShape.PointingHandCursor)
            tile.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            tile.setIconSize(QSize(self.THUMB_PX, self.THUMB_PX))
            tile.setFixedWidth(self.THUMB_PX + 22)
            key = str(i + 1) if i < 9 else ""
            tile.setText(two_lines(titles[name], tile.fontMetrics(), self.THUMB_PX + 12))
            tile.setToolTip(
                titles[name] + (f"  (key {key})" if key else "") + "\nClick: pick · click again: off"
                "\nCtrl+click: combine with what is on"
            )
            tile.setIcon(QIcon(rounded_pixmap(QImage(), self.THUMB_PX, 12, key or None)))
            tile.clicked.connect(lambda _=False, n=name: self._clicked(n))
            self.tiles[name] = tile
            grid.addWidget(tile, i // COLUMNS, i % COLUMNS)
        grid.setRowStretch(grid.rowCount(), 1)
        grid.setColumnStretch(COLUMNS, 1)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        area.setWidget(page)
        return area

    def _clicked(self, name: str) -> None:
        combine = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier)
        self.chosen.emit(name, combine)

    def current_group(self) -> str:
        index = self.tabs.currentIndex()
        return self.groups[index] if 0 <= index < len(self.groups) else ""

    def names_in(self, group: str) -> list[str]:
        """The filter names of ``group``'s tab, in order (number keys pick from these)."""
        return list(self._names_by_group.get(group, []))

    def visible_names(self) -> list[str]:
        return self.names_in(self.current_group())

    def show_group(self, group: str) -> None:
        if group in self.groups:
            self.tabs.setCurrentIndex(self.groups.index(group))

    def step_group(self, step: int) -> None:
        """Show the next (``step`` 1) or previous (-1) tab, wrapping around."""
        if self.groups:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % len(self.groups))

    def set_active(self, names: Sequence[str]) -> None:
        """Check the tiles of ``names``; when a new one was picked last, its tab is shown."""
        for name, tile in self.tiles.items():
            tile.setChecked(name in names)
        self.none_button.setChecked(not names)
        last, self._last_picked = self._last_picked, names[-1] if names else None
        if names and names[-1] in self._group_of and names[-1] != last:
            self.show_group(self._group_of[names[-1]])
            area = self.tabs.currentWidget()
            if isinstance(area, QScrollArea):
                area.ensureWidgetVisible(self.tiles[names[-1]])

    def set_thumbnail(self, name: str, image: QImage) -> None:
        tile = self.tiles.get(name)
        if tile is None:
            return
        self._images[name] = image
        index = self._names_by_group[self._group_of[name]].index(name)
        tile.setIcon(QIcon(rounded_pixmap(image, self.THUMB_PX, 12, str(index + 1) if index < 9 else None)))

    def has_thumbnail(self, name: str) -> bool:
        return name in self._images


class StrengthPanel(QWidget):
    """One slider per active filter with a strength; ``changed(name, strength)`` with strength in [0, 1]."""

    changed = pyqtSignal(str, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(2)
        self.sliders: dict[str, QSlider] = {}
        self._values: dict[str, QLabel] = {}
        self._rows: list[QWidget] = []

    def set_entries(self, entries: Sequence[tuple[str, str, float]]) -> None:
        """Show ``(name, title, strength)`` rows (rebuilt only when the names change)."""
        if [name for name, _, _ in entries] != list(self.sliders):
            for row in self._rows:
                row.deleteLater()
            self._rows, self.sliders, self._values = [], {}, {}
            for name, title, _ in entries:
                self._add_row(name, title)
        for name, _, value in entries:
            slider = self.sliders[name]
            slider.blockSignals(True)
            slider.setValue(round(value * 100))
            slider.blockSignals(False)
            self._values[name].setText(f"{round(value * 100)}%")
        self.setVisible(bool(entries))

    def _add_row(self, name: str, title: str) -> None:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(title)
        label.setObjectName("dim")
        # One width for every title, so the sliders line up.
        label.setFixedWidth(label.fontMetrics().horizontalAdvance("Smooth skin ") + 8)
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(0, 100)
        slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        slider.setToolTip(f"{title}: strength ([ and ] change the last picked)")
        value = QLabel()
        value.setObjectName("dim")
        value.setFixedWidth(value.fontMetrics().horizontalAdvance("100%") + 4)
        slider.valueChanged.connect(lambda v, n=name: self._moved(n, v))
        layout.addWidget(label)
        layout.addWidget(slider, 1)
        layout.addWidget(value)
        self._column.addWidget(row)
        self._rows.append(row)
        self.sliders[name] = slider
        self._values[name] = value

    def _moved(self, name: str, value: int) -> None:
        self._values[name].setText(f"{value}%")
        self.changed.emit(name, value / 100.0)
