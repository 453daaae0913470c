"""Developer filters: ``landmarks`` (the 68 points, their contours, box and track id) and ``none``."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from snowcam.filters.base import FaceFilter
from snowcam.types import Face, Frame

# Polylines through the 68 points: (indices, closed).
CONTOURS_68: tuple[tuple[tuple[int, ...], bool], ...] = (
    (tuple(range(0, 17)), False),
    (tuple(range(17, 22)), False),
    (tuple(range(22, 27)), False),
    (tuple(range(27, 31)), False),
    (tuple(range(31, 36)), False),
    (tuple(range(36, 42)), True),
    (tuple(range(42, 48)), True),
    (tuple(range(48, 60)), True),
    (tuple(range(60, 68)), True),
)

_SHIFT = 4  # sub-pixel bits for cv2 drawing, so dots and lines sit where the float points are
_ONE = 1 << _SHIFT
_LIMIT_PX = 1e5  # keeps fixed-point coordinates of far-off points inside int32


def _fixed(xy: np.ndarray) -> np.ndarray:
    return np.round(np.clip(xy, -_LIMIT_PX, _LIMIT_PX) * _ONE).astype(np.int32)


@dataclass(slots=True)
class NoFilter(FaceFilter):
    """The identity: draws nothing (the gallery's "no filter")."""

    name: str = field(default="none", init=False)
    group: str = field(default="none", init=False)

    def apply_face(self, out: Frame, face: Face) -> None:
        """Leave ``out`` unchanged."""


@dataclass(slots=True)
class Landmarks(FaceFilter):
    """Draws the face box and track id, and, when known, the 68 points and their contours.

    Colours are BGR; ``dot_radius_px`` is the radius of each point's anti-aliased dot.
    """

    point_bgr: tuple[int, int, int] = (0, 255, 0)
    contour_bgr: tuple[int, int, int] = (255, 200, 0)
    box_bgr: tuple[int, int, int] = (0, 200, 255)
    dot_radius_px: float = 1.5
    name: str = field(default="landmarks", init=False)
    group: str = field(default="debug", init=False)

    def apply_face(self, out: Frame, face: Face) -> None:
        """Draw the overlay for ``face`` on ``out``."""
        box = face.box
        corners = _fixed(np.array([[box.x, box.y], [box.x + box.w, box.y + box.h]]))
        cv2.rectangle(out, tuple(corners[0]), tuple(corners[1]), self.box_bgr, 1, cv2.LINE_AA, _SHIFT)
        if face.track_id >= 0:
            org = (
                round(np.clip(box.x, -_LIMIT_PX, _LIMIT_PX)),
                round(np.clip(box.y - 4, -_LIMIT_PX, _LIMIT_PX)),
            )
            cv2.putText(
                out, f"#{face.track_id}", org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, self.box_bgr, 1, cv2.LINE_AA
            )
        if face.keypoints is None:
            return
        xy = face.keypoints.xy_px
        finite = np.all(np.isfinite(xy), axis=1)
        points = _fixed(np.where(finite[:, None], xy, 0.0))
        for indices, closed in CONTOURS_68:
            if finite[list(indices)].all():
                cv2.polylines(out, [points[list(indices)]], closed, self.contour_bgr, 1, cv2.LINE_AA, _SHIFT)
        radius = max(1, round(self.dot_radius_px * _ONE))
        for (x, y), ok in zip(points, finite, strict=True):
            if ok:
                cv2.circle(out, (int(x), int(y)), radius, self.point_bgr, -1, cv2.LINE_AA, _SHIFT)
