"""Choosing what to show: the camera/video selector, the resolution, and the Camera menu.

One list of cameras (:func:`camera_entries`) feeds the selector and the menu, so both name every
camera the same way as the status bar and messages do (``CameraSpec.label``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QWidget

from snowcam.session import CameraSpec, FileSpec, SourceSpec
from snowcam.ui import theme
from snowcam.ui.devices import CameraDevice
from snowcam.ui.settings import RESOLUTIONS


def camera_entries(
    cameras: Sequence[CameraDevice],
    current: SourceSpec | None,
    resolution: tuple[int, int],
    fallback_index: int,
) -> list[CameraSpec]:
    """The cameras to offer: the system's, the one in use if it is not listed, or ``fallback_index``."""
    width, height = resolution
    entries = [CameraSpec(d.index, width, height, name=d.name) for d in cameras]
    if isinstance(current, CameraSpec) and all(e.index != current.index for e in entries):
        entries.insert(0, current)
    if not entries:
        entries.append(CameraSpec(fallback_index, width, height))
    return entries


class SourcePicker(QWidget):
    """The source selector and the resolution selector.

    Signals: ``camera_chosen(index)``, ``open_requested()``, ``demo_requested()``,
    ``resolution_chosen(width, height)``.
    """

    camera_chosen = pyqtSignal(int)
    open_requested = pyqtSignal()
    demo_requested = pyqtSignal()
    resolution_chosen = pyqtSignal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        self.source_combo = QComboBox()
        self.source_combo.setMinimumWidth(180)
        self.source_combo.setToolTip("Camera or video to show")
        self.resolution_combo = QComboBox()
        self.resolution_combo.setToolTip("Camera resolution")
        for combo in (self.source_combo, self.resolution_combo):
            combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            combo.setCursor(Qt.CursorShape.PointingHandCursor)
        row.addWidget(self.source_combo)
        row.addWidget(self.resolution_combo)
        self.source_combo.activated.connect(self._on_source)
        self.resolution_combo.activated.connect(self._on_resolution)
        self._spec: SourceSpec | None = None
        self._entries: list[CameraSpec] = []

    def show_sources(self, entries: Sequence[CameraSpec], spec: SourceSpec | None) -> None:
        """List ``entries`` (and the video file playing), with ``spec`` selected."""
        self._entries, self._spec = list(entries), spec
        combo = self.source_combo
        combo.blockSignals(True)
        combo.clear()
        for camera in entries:
            combo.addItem(theme.icon("camera"), camera.label, ("camera", camera.index))
        if isinstance(spec, FileSpec):
            combo.addItem(theme.icon("film"), spec.label, ("file", str(spec.path)))
        combo.insertSeparator(combo.count())
        combo.addItem(theme.icon("folder"), "Open a video…", ("open", None))
        combo.addItem(theme.icon("film"), "Demo clip", ("demo", None))
        current = 0
        for i in range(combo.count()):
            data = combo.itemData(i)
            if isinstance(spec, FileSpec) and data == ("file", str(spec.path)):
                current = i
            elif isinstance(spec, CameraSpec) and data == ("camera", spec.index):
                current = i
        combo.setCurrentIndex(current)
        combo.blockSignals(False)

    def show_resolutions(self, device: CameraDevice | None, chosen: tuple[int, int]) -> None:
        """Offer the sizes ``device`` supports (all known ones when it does not say), ``chosen`` selected."""
        combo = self.resolution_combo
        combo.blockSignals(True)
        combo.clear()
        offered = set(device.resolutions) if device and device.resolutions else set(RESOLUTIONS)
        for w, h in sorted({s for s in RESOLUTIONS if s in offered} | {chosen}):
            combo.addItem(f"{w}×{h}", (w, h))
            if (w, h) == chosen:
                combo.setCurrentIndex(combo.count() - 1)
        combo.blockSignals(False)

    def _on_source(self, index: int) -> None:
        kind, value = self.source_combo.itemData(index) or (None, None)
        if kind == "camera":
            self.camera_chosen.emit(int(value))
        elif kind == "open":
            self.show_sources(self._entries, self._spec)  # keeps the source playing selected
            self.open_requested.emit()
        elif kind == "demo":
            self.demo_requested.emit()

    def _on_resolution(self, index: int) -> None:
        size = self.resolution_combo.itemData(index)
        if size:
            self.resolution_chosen.emit(int(size[0]), int(size[1]))


def fill_camera_menu(
    menu: QMenu,
    entries: Sequence[CameraSpec],
    spec: SourceSpec | None,
    on_pick: Callable[[int], object],
    extra: Sequence[QAction],
) -> None:
    """The Camera menu: ``entries`` (the one in use checked), then the ``extra`` actions."""
    menu.clear()
    group = QActionGroup(menu)
    for camera in entries:
        act = menu.addAction(camera.label)
        act.setCheckable(True)
        act.setChecked(isinstance(spec, CameraSpec) and spec.index == camera.index)
        act.triggered.connect(lambda _=False, i=camera.index: on_pick(i))
        group.addAction(act)
    menu.addSeparator()
    menu.addActions(list(extra))
