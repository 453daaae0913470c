"""Synthetic faces for tests: a mean 68-point face placed, scaled and rolled at will."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.geometry import box_from_points
from snowcam.types import Face, Keypoints

# A frontal mean face in the iBUG 68-point order: the mean of near-frontal 300-W training shapes
# after aligning their eye lines, mirrored to be symmetric and rounded to 0.001. Units: the outer
# eye-corner distance (36–45) is 1; the origin is the midpoint of the two eye centres (means of
# 36–41 and 42–47); x right, y down.
MEAN_FACE_68: npt.NDArray[np.float64] = np.array(
    [
        (-0.798, 0.012), (-0.783, 0.224), (-0.755, 0.432), (-0.717, 0.637),
        (-0.642, 0.828), (-0.521, 0.995), (-0.369, 1.133), (-0.197, 1.242),
        (0.000, 1.273), (0.197, 1.242), (0.369, 1.133), (0.521, 0.995),
        (0.642, 0.828), (0.717, 0.637), (0.755, 0.432), (0.783, 0.224),
        (0.798, 0.012), (-0.667, -0.140), (-0.565, -0.230), (-0.424, -0.257),
        (-0.278, -0.239), (-0.139, -0.188), (0.139, -0.188), (0.278, -0.239),
        (0.424, -0.257), (0.565, -0.230), (0.667, -0.140), (0.000, -0.024),
        (0.000, 0.116), (0.000, 0.255), (0.000, 0.397), (-0.162, 0.482),
        (-0.084, 0.509), (0.000, 0.534), (0.084, 0.509), (0.162, 0.482),
        (-0.500, 0.001), (-0.412, -0.050), (-0.306, -0.048), (-0.216, 0.020),
        (-0.314, 0.039), (-0.419, 0.037), (0.216, 0.020), (0.306, -0.048),
        (0.412, -0.050), (0.500, 0.001), (0.419, 0.037), (0.314, 0.039),
        (-0.316, 0.737), (-0.200, 0.690), (-0.083, 0.667), (0.000, 0.687),
        (0.083, 0.667), (0.200, 0.690), (0.316, 0.737), (0.206, 0.851),
        (0.090, 0.900), (0.000, 0.909), (-0.090, 0.900), (-0.206, 0.851),
        (-0.268, 0.744), (-0.085, 0.735), (0.000, 0.744), (0.085, 0.735),
        (0.268, 0.744), (0.086, 0.797), (0.000, 0.807), (-0.086, 0.797),
    ],
    np.float64,
)  # fmt: skip


def template_points(
    center_xy: tuple[float, float], eye_distance_px: float, roll_deg: float = 0.0
) -> npt.NDArray[np.float32]:
    """The mean face's 68 points in frame pixels.

    ``center_xy`` is where the midpoint of the two eye centres lands, ``eye_distance_px`` the
    outer eye-corner distance, ``roll_deg`` the head roll as ``Keypoints.roll_deg`` measures it
    (positive = clockwise on screen, the image-right eye lower).
    """
    theta = math.radians(roll_deg)
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    xy = MEAN_FACE_68 @ rotation.T * eye_distance_px + np.asarray(center_xy, np.float64)
    return xy.astype(np.float32)


def face_from_template(
    center_xy: tuple[float, float], eye_distance_px: float, roll_deg: float = 0.0, track_id: int = -1
) -> Face:
    """A :class:`Face` with the mean face's keypoints (see :func:`template_points`) and their tight box."""
    xy = template_points(center_xy, eye_distance_px, roll_deg)
    return Face(box_from_points(xy), Keypoints(xy), track_id)


def textured_frame(height: int = 240, width: int = 320, seed: int = 0) -> npt.NDArray[np.uint8]:
    """A deterministic BGR frame with detail at every scale, so warps and stickers show."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    y, x = np.mgrid[0:height, 0:width]
    stripes = (127 + 120 * np.sin(x / 3.0) * np.cos(y / 5.0)).astype(np.uint8)
    return ((noise.astype(np.uint16) + stripes[..., None]) // 2).astype(np.uint8)


def write_video(path: Path, frames: Iterable[npt.NDArray[np.uint8]], fps: float) -> Path:
    """A small mp4 (MPEG-4 Part 2 through OpenCV) of BGR ``frames``, all of the first one's size."""
    writer = None
    for frame in frames:
        if writer is None:
            height, width = frame.shape[:2]
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
            assert writer.isOpened()
        writer.write(frame)
    assert writer is not None, "a video needs a frame"
    writer.release()
    return path
