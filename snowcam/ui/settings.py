"""What the app remembers between runs, stored with ``QSettings``.

The filter combination is stored as :meth:`snowcam.filters.selection.Selection.to_dict` (JSON),
so the selection's own rules decide what comes back. What is saved mirrored is the session's
one rule (:mod:`snowcam.session`), not a setting.
"""

from __future__ import annotations

import json
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

    ``resolution`` is the requested camera ``(width, height)`` in pixels; ``selection`` the
    filter combination as ``Selection.to_dict()`` (names and strengths; loaded with
    ``Selection.from_dict``, which drops what is no longer registered).
    """

    camera_index: int = 0
    camera_name: str = ""
    resolution: tuple[int, int] = (640, 480)
    # A first launch shows what the app does with a SNOW classic; beauty filters start off.
    selection: dict = field(default_factory=lambda: {"names": ["cat"], "strengths": {}})
    mirror: bool = True
    record_sound: bool = True
    overlay: bool = False
    countdown: bool = False
    image_format: str = "png"
    photo_dir: str = field(default_factory=default_photo_dir)
    video_dir: str = field(default_factory=default_video_dir)
    loop: bool = True
    last_video_dir: str = ""
    virtualcam_mirror: bool = False

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
        fmt = str(get("capture/format", d.image_format, str)).lower()
        try:
            selection = json.loads(str(get("filters/selection", "", str)))
        except ValueError:
            # Settings of an earlier version kept only the active names.
            older = get("filters/active", None, list)
            selection = {"names": [str(n) for n in older], "strengths": {}} if older else d.selection
        if not isinstance(selection, dict):
            selection = d.selection
        return cls(
            camera_index=max(0, int(get("camera/index", d.camera_index, int))),
            camera_name=str(get("camera/name", d.camera_name, str)),
            resolution=(width, height) if width > 0 and height > 0 else d.resolution,
            selection=selection,
            mirror=bool(get("view/mirror", d.mirror, bool)),
            record_sound=bool(get("capture/record_sound", d.record_sound, bool)),
            overlay=bool(get("view/overlay", d.overlay, bool)),
            countdown=bool(get("capture/countdown", d.countdown, bool)),
            image_format=fmt if fmt in IMAGE_FORMATS else d.image_format,
            photo_dir=str(get("capture/photo_dir", d.photo_dir, str)) or d.photo_dir,
            video_dir=str(get("capture/video_dir", d.video_dir, str)) or d.video_dir,
            loop=bool(get("replay/loop", d.loop, bool)),
            last_video_dir=str(get("replay/last_dir", d.last_video_dir, str)),
            virtualcam_mirror=bool(get("virtualcam/mirror", d.virtualcam_mirror, bool)),
        )

    def save(self, store: QSettings) -> None:
        """Write every key (``QSettings`` flushes to disk on its own schedule and on ``sync``)."""
        store.setValue("camera/index", self.camera_index)
        store.setValue("camera/name", self.camera_name)
        store.setValue("camera/width", self.resolution[0])
        store.setValue("camera/height", self.resolution[1])
        store.setValue("filters/selection", json.dumps(self.selection))
        store.setValue("view/mirror", self.mirror)
        store.setValue("view/overlay", self.overlay)
        store.setValue("capture/record_sound", self.record_sound)
        store.setValue("capture/countdown", self.countdown)
        store.setValue("capture/format", self.image_format)
        store.setValue("capture/photo_dir", self.photo_dir)
        store.setValue("capture/video_dir", self.video_dir)
        store.setValue("replay/loop", self.loop)
        store.setValue("replay/last_dir", self.last_video_dir)
        store.setValue("virtualcam/mirror", self.virtualcam_mirror)
