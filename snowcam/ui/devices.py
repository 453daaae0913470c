"""The cameras the system has, by name, from Qt Multimedia.

OpenCV opens cameras by index and Qt lists them by name; the two are matched by order.
Qt Multimedia is optional: without it (missing system libraries) the list is a single
unnamed "Camera 0" and nothing is watched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PyQt6.QtCore import QObject, pyqtSignal

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CameraDevice:
    """A camera: its OpenCV ``index``, a ``name`` for the user and the ``(width, height)`` sizes it offers."""

    index: int
    name: str
    resolutions: tuple[tuple[int, int], ...] = ()


def _multimedia() -> object | None:
    try:
        from PyQt6 import QtMultimedia
    except ImportError as exc:
        logger.warning("Qt Multimedia is not available (%s); cameras are listed by number only.", exc)
        return None
    return QtMultimedia


def list_cameras() -> list[CameraDevice]:
    """The cameras Qt sees, in OpenCV index order; a lone ``Camera 0`` when Qt cannot tell."""
    mm = _multimedia()
    if mm is None:
        return [CameraDevice(0, "Camera 0")]
    devices = []
    for index, dev in enumerate(mm.QMediaDevices.videoInputs()):  # type: ignore[attr-defined]
        sizes = {(f.resolution().width(), f.resolution().height()) for f in dev.videoFormats()}
        sizes = {s for s in sizes if s[0] > 0 and s[1] > 0}
        devices.append(CameraDevice(index, dev.description() or f"Camera {index}", tuple(sorted(sizes))))
    return devices


class CameraWatcher(QObject):
    """Emits ``changed`` with the new camera list when one is plugged in or removed."""

    changed = pyqtSignal(list)

    def __init__(
        self, lister: Callable[[], list[CameraDevice]] = list_cameras, parent: QObject | None = None
    ):
        super().__init__(parent)
        self._lister = lister
        self._devices: object | None = None
        mm = _multimedia()
        if mm is not None:
            self._devices = mm.QMediaDevices(self)  # type: ignore[attr-defined]
            self._devices.videoInputsChanged.connect(self._on_changed)  # type: ignore[attr-defined]

    def _on_changed(self) -> None:
        self.changed.emit(self._lister())
