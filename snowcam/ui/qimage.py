"""Frames (``H×W×3`` ``uint8`` BGR arrays) to Qt images."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage

from snowcam.types import Frame, validate_frame


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
