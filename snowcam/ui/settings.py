"""What the app remembers between runs, stored with ``QSettings``.

Saved pictures and videos are, by default, exactly what the preview shows, mirror included
(``save_as_shown``): stickers and text read the way they were composed on screen, as in
Photo Booth or Snap Camera. Turn it off to save the camera's unmirrored view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PyQt6.QtCore import QSettings, QStandardPaths

IMAGE_FORMATS = ("png", "jpg")
RESOLUTIONS: tuple[tuple[int, int], ...] = ((640, 480), (960, 540), (1280, 720), (1920, 1080))


def _standard_dir(location: QStandardPaths.StandardLocation) -> str:
    base = QStandardPaths.writableLocation(location) or str(Path.home())
    return str(Path(base) / "snowcam")


def default_photo_dir() -> str:
    """``Pictures/snowcam`` in the user's standard pictures folder."""
    return _standard_dir(QStandardPaths.StandardLocation.PicturesLocation)


def default_video_dir() -> str:
    """``Videos/snowcam`` in the user's standard movies folder."""
    return _standard_dir(QStandardPaths.StandardLocation.MoviesLocation)


@dataclass
class AppSettings:
    """The user's choices; :meth:`load` and :meth:`save` map them to ``QSettings`` keys.

    ``resolution`` is the requested camera ``(width, height)`` in pixels; ``filters`` the active
    filter names in gallery order; ``strengths`` each filter's last strength in [0, 1].
    """

    camera_index: int = 0
    camera_name: str = ""
    resolution: tuple[int, int] = (640, 480)
    filters: tuple[str, ...] = ("big-eyes",)
    strengths: dict[str, float] = field(default_factory=dict)
    mirror: bool = True
    save_as_shown: bool = True
    record_sound: bool = True
    overlay: bool = False
    countdown: bool = False
    image_format: str = "png"
    photo_dir: str = field(default_factory=default_photo_dir)
    video_dir: str = field(default_factory=default_video_dir)
    loop: bool = True
    last_video_dir: str = ""

    @classmethod
    def load(cls, store: QSettings) -> AppSettings:
        """Read every key, keeping the default for missing or malformed values."""
        d = cls()

        def get(key: str, default: object, kind: type) -> object:
            try:
                value = store.value(key, default, type=kind)
            except (TypeError, ValueError):
                return default
            return default if value is None else value

        width = int(get("camera/width", d.resolution[0], int))
        height = int(get("camera/height", d.resolution[1], int))
        filters = get("filters/active", list(d.filters), list)
        fmt = str(get("capture/format", d.image_format, str)).lower()
        strengths: dict[str, float] = {}
        store.beginGroup("filters/strength")
        for key in store.childKeys():
            try:
                strengths[key] = min(1.0, max(0.0, float(store.value(key))))
            except (TypeError, ValueError):
                continue
        store.endGroup()
        return cls(
            camera_index=max(0, int(get("camera/index", d.camera_index, int))),
            camera_name=str(get("camera/name", d.camera_name, str)),
            resolution=(width, height) if width > 0 and height > 0 else d.resolution,
            filters=tuple(str(n) for n in filters) if isinstance(filters, list) else d.filters,
            strengths=strengths,
            mirror=bool(get("view/mirror", d.mirror, bool)),
            save_as_shown=bool(get("capture/save_as_shown", d.save_as_shown, bool)),
            record_sound=bool(get("capture/record_sound", d.record_sound, bool)),
            overlay=bool(get("view/overlay", d.overlay, bool)),
            countdown=bool(get("capture/countdown", d.countdown, bool)),
            image_format=fmt if fmt in IMAGE_FORMATS else d.image_format,
            photo_dir=str(get("capture/photo_dir", d.photo_dir, str)) or d.photo_dir,
            video_dir=str(get("capture/video_dir", d.video_dir, str)) or d.video_dir,
            loop=bool(get("replay/loop", d.loop, bool)),
            last_video_dir=str(get("replay/last_dir", d.last_video_dir, str)),
        )

    def save(self, store: QSettings) -> None:
        """Write every key (``QSettings`` flushes to disk on its own schedule and on ``sync``)."""
        store.setValue("camera/index", self.camera_index)
        store.setValue("camera/name", self.camera_name)
        store.setValue("camera/width", self.resolution[0])
        store.setValue("camera/height", self.resolution[1])
        store.setValue("filters/active", list(self.filters))
        for name, value in self.strengths.items():
            store.setValue(f"filters/strength/{name}", float(value))
        store.setValue("view/mirror", self.mirror)
        store.setValue("view/overlay", self.overlay)
        store.setValue("capture/save_as_shown", self.save_as_shown)
        store.setValue("capture/record_sound", self.record_sound)
        store.setValue("capture/countdown", self.countdown)
        store.setValue("capture/format", self.image_format)
        store.setValue("capture/photo_dir", self.photo_dir)
        store.setValue("capture/video_dir", self.video_dir)
        store.setValue("replay/loop", self.loop)
        store.setValue("replay/last_dir", self.last_video_dir)
