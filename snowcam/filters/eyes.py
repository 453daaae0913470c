"""Code-defined face effects: ``big-eyes``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from snowcam.filters.base import FaceFilter
from snowcam.overlay import magnify
from snowcam.types import EYE_IMAGE_LEFT, EYE_IMAGE_RIGHT, Face, Frame

# Centre magnification at strength 1 is 1 + MAX_GAIN. The default gives +48 %: at +30 % the
# change hid in a webcam frame (and its thumbnail looked like "No filter").
MAX_GAIN = 0.6
DEFAULT_STRENGTH = 0.8

# (contour indices, inner corner, outer corner) for the image-left and image-right eyes.
_EYES: tuple[tuple[tuple[int, ...], int, int], ...] = ((EYE_IMAGE_LEFT, 39, 36), (EYE_IMAGE_RIGHT, 42, 45))


@dataclass(slots=True)
class BigEyes(FaceFilter):
    """SNOW's big eyes: each eye is magnified smoothly around the centre of its contour.

    The magnified region of an eye is an ellipse centred on the mean of its 6 contour points,
    with semi-axes ``radius_per_eye_width`` × its width (corner-to-corner distance) along the
    line through both eye centres and ``aspect`` times that across it, so it turns with the head
    roll. The ellipse is capped at half the distance between the eyes so the two never overlap.

    Attributes:
        strength: 0..1; the eye centre is magnified by ``1 + MAX_GAIN * strength``.
        radius_per_eye_width: semi-axis along the eye line, in eye widths.
        aspect: semi-axis across the eye line divided by the one along it.
    """

    strength: float = DEFAULT_STRENGTH
    radius_per_eye_width: float = 1.0
    aspect: float = 0.75
    name: str = field(default="big-eyes", init=False)
    group: str = field(default="beauty", init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"big-eyes strength must be in [0, 1], got {self.strength}")
        if not (self.radius_per_eye_width > 0 and 0 < self.aspect <= 1.5):
            raise ValueError(
                f"big-eyes needs radius_per_eye_width > 0 and aspect in (0, 1.5], "
                f"got {self.radius_per_eye_width}, {self.aspect}"
            )

    def apply_face(self, out: Frame, face: Face) -> None:
        """Magnify both eyes of ``face`` in ``out``; no-op without keypoints."""
        if face.keypoints is None or self.strength == 0:
            return
        xy = face.keypoints.xy_px.astype(np.float64)
        centres = [xy[list(contour)].mean(axis=0) for contour, _, _ in _EYES]
        eye_line = centres[1] - centres[0]
        half_distance = 0.5 * math.hypot(*eye_line)
        angle_deg = math.degrees(math.atan2(eye_line[1], eye_line[0]))
        gain = MAX_GAIN * self.strength
        for centre, (_, inner, outer) in zip(centres, _EYES, strict=True):
            radius = min(self.radius_per_eye_width * math.hypot(*(xy[outer] - xy[inner])), half_distance)
            if not (math.isfinite(radius) and math.isfinite(angle_deg) and np.all(np.isfinite(centre))):
                continue
            if radius < 2.0:
                continue
            magnify(out, out, centre, (radius, radius * self.aspect), gain, angle_deg)
