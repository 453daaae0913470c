"""Frames (``H×W×3`` ``uint8`` BGR arrays) to Qt images, and the small crops the UI shows."""

from __future__ import annotations

import cv2
import numpy as np
from PyQt6.QtGui import QImage

from snowcam.types import Face, Frame, validate_frame


def ndarray_to_qimage(frame_bgr: Frame) -> QImage:
    """A ``QImage`` that owns a copy of an ``H×W×3`` ``uint8`` BGR frame (no channel swap).

    Raises:
        ValueError: the array is not ``H×W×3`` ``uint8``.
    """
    validate_frame(frame_bgr)
    array = np.ascontiguousarray(frame_bgr)
    height, width = array.shape[:2]
    image = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_BGR888)
    # QImage only borrows ``array``'s buffer; the copy lets the array be freed.
    return image.copy()


def face_crop_xywh(
    frame_shape: tuple[int, ...], faces: tuple[Face, ...], zoom: float = 2.0
) -> tuple[int, int, int, int]:
    """A square ``(x, y, side, side)`` in frame pixels around the first face, or the centre square.

    The side is ``zoom`` times the face box's larger side, clipped to the frame.
    """
    height, width = frame_shape[:2]
    if faces:
        box = faces[0].box
        cx, cy = box.center_xy
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
