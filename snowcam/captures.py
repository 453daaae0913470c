"""Small pictures without Qt: thumbnails of saved captures and the gallery's live close-ups.

Frames are ``H×W×3`` ``uint8`` BGR arrays. The close-ups are drawn by the one filter loop,
:func:`snowcam.filters.render`, on the faces the live pipeline already found: no second pipeline.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

from snowcam.filters import Filter, render
from snowcam.sinks import is_snapshot_name
from snowcam.types import Face, FaceBox, Frame, Keypoints

logger = logging.getLogger(__name__)

VIDEO_SUFFIX = ".mp4"


# How a gallery close-up frames the face, by filter group: (zoom, lift). Beauty filters change
# the face itself, so their close-up is tight; face stickers reach above the brows (ears, hats),
# so theirs shows the head with room above it.
CLOSEUP_FRAMING: dict[str, tuple[float, float]] = {"beauty": (1.5, 0.0), "face": (2.4, 0.25)}
DEFAULT_CLOSEUP_FRAMING = (1.9, 0.0)


def face_crop_xywh(
    frame_shape: tuple[int, ...], faces: Sequence[Face], zoom: float = 2.0, lift: float = 0.0
) -> tuple[int, int, int, int]:
    """A square ``(x, y, side, side)`` in frame pixels around the first face, or the centre square.

    The side is ``zoom`` times the face box's larger side, clipped to the frame; its centre is
    ``lift`` face-box heights above the box's centre.
    """
    height, width = frame_shape[:2]
    if faces:
        box = faces[0].box
        cx, cy = box.center_xy
        cy -= lift * box.h
        side = zoom * max(box.w, box.h)
    else:
        cx, cy, side = width / 2.0, height / 2.0, float(min(width, height))
    side = round(min(side, width, height))
    x = round(min(max(cx - side / 2.0, 0.0), width - side))
    y = round(min(max(cy - side / 2.0, 0.0), height - side))
    return x, y, side, side


def square_thumbnail(frame_bgr: Frame, size_px: int, xywh: tuple[int, int, int, int] | None = None) -> Frame:
    """A ``size_px``×``size_px`` BGR thumbnail of the ``xywh`` square (default: the centre square)."""
    height, width = frame_bgr.shape[:2]
    if xywh is None:
        side = min(width, height)
        xywh = ((width - side) // 2, (height - side) // 2, side, side)
    x, y, w, h = xywh
    crop = frame_bgr[y : y + h, x : x + w]
    return cv2.resize(crop, (size_px, size_px), interpolation=cv2.INTER_AREA)


def read_capture_thumbnail(path: str | os.PathLike[str], size_px: int) -> Frame | None:
    """A square thumbnail of a saved photo or of a recording's first frame; ``None`` if unreadable."""
    path = Path(path)
    if path.suffix.lower() == VIDEO_SUFFIX:
        cap = cv2.VideoCapture(str(path))
        ok, frame = cap.read()
        cap.release()
        image = frame if ok else None
    else:
        image = cv2.imread(str(path), cv2.IMREAD_REDUCED_COLOR_4)
    return None if image is None else square_thumbnail(image, size_px)


def recent_captures(folders: Iterable[str | os.PathLike[str]], limit: int) -> list[Path]:
    """The newest ``limit`` photos and recordings in ``folders`` (named by ``sinks.snapshot_path``)."""
    found: list[tuple[float, Path]] = []
    for folder in {Path(f) for f in folders}:
        try:
            entries = list(folder.iterdir())
        except OSError as exc:
            logger.info("No earlier captures in %s: %s", folder, exc)
            continue
        for path in entries:
            if is_snapshot_name(path):
                try:
                    found.append((path.stat().st_mtime, path))
                except OSError:
                    continue
    found.sort(reverse=True)
    return [path for _, path in found[:limit]]


def transform_faces(
    faces: Sequence[Face], offset_xy_px: tuple[float, float], scale: float
) -> tuple[Face, ...]:
    """``faces`` in the pixels of a crop whose origin is ``offset_xy_px``, resized by ``scale``."""
    ox, oy = offset_xy_px
    moved = []
    for face in faces:
        b = face.box
        box = FaceBox((b.x - ox) * scale, (b.y - oy) * scale, b.w * scale, b.h * scale, b.score)
        points = None
        if face.keypoints is not None:
            xy = (face.keypoints.xy_px - np.float32([ox, oy])) * np.float32(scale)
            points = Keypoints(xy.astype(np.float32), face.keypoints.confidence)
        moved.append(Face(box, points, face.track_id))
    return tuple(moved)


def render_closeup(
    frame: Frame,
    faces: Sequence[Face],
    filters: Sequence[Filter],
    t_s: float,
    size_px: int,
    zoom: float = 1.9,
    lift: float = 0.0,
) -> Frame:
    """A ``size_px`` square close-up of the first face with ``filters`` drawn by :func:`render`.

    ``zoom`` and ``lift`` frame it as in :func:`face_crop_xywh` (see :data:`CLOSEUP_FRAMING`).

    The square around the face (``zoom`` × its box) is cut and shrunk first and the faces moved
    into it, so a close-up costs a fraction of a whole frame. It is in the camera's orientation
    (the session mirrors it like the preview).
    """
    x, y, side, _ = face_crop_xywh(frame.shape, faces, zoom, lift)
    work_px = min(side, 2 * size_px)
    scale = work_px / side
    crop = cv2.resize(frame[y : y + side, x : x + side], (work_px, work_px), interpolation=cv2.INTER_AREA)
    out = render(crop, transform_faces(faces[:1], (x, y), scale), filters, t_s)
    return cv2.resize(out, (size_px, size_px), interpolation=cv2.INTER_AREA)
