"""Core data types and keypoint tables shared by every part of snowcam.

Conventions:
    * A frame is an ``H×W×3`` ``uint8`` array in **BGR** order, as OpenCV delivers it.
    * Coordinates are pixels with the origin at the top-left pixel centre, x right, y down.
    * The 68 keypoints follow the iBUG / 300-W convention. Their "left/right" in the index
      table is as seen in the image; the Kaggle-15 names use the *subject's* sides, so the
      subject's left eye is on the image right.

No OpenCV, TensorFlow or Qt import here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]


def validate_frame(frame: object, what: str = "frame") -> None:
    """Check that ``frame`` is a non-empty ``H×W×3`` ``uint8`` BGR array.

    Raises:
        ValueError: naming ``what`` and saying what it got instead.
    """
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"{what} must be an H×W×3 uint8 BGR array, got {type(frame).__name__}")
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8 or 0 in frame.shape:
        raise ValueError(
            f"{what} must be a non-empty H×W×3 uint8 BGR array, got shape {frame.shape} dtype {frame.dtype}"
        )


N_KEYPOINTS = 68

POINT_NAMES_68: tuple[str, ...] = (
    *(f"jaw_{i}" for i in range(17)),
    *(f"brow_image_left_{i}" for i in range(5)),
    *(f"brow_image_right_{i}" for i in range(5)),
    *(f"nose_bridge_{i}" for i in range(4)),
    *(f"nostril_{i}" for i in range(5)),
    *(f"eye_image_left_{i}" for i in range(6)),
    *(f"eye_image_right_{i}" for i in range(6)),
    *(f"lip_outer_{i}" for i in range(12)),
    *(f"lip_inner_{i}" for i in range(8)),
)

JAW = tuple(range(0, 17))
BROW_IMAGE_LEFT = tuple(range(17, 22))
BROW_IMAGE_RIGHT = tuple(range(22, 27))
NOSE_BRIDGE = tuple(range(27, 31))
NOSTRILS = tuple(range(31, 36))
EYE_IMAGE_LEFT = tuple(range(36, 42))
EYE_IMAGE_RIGHT = tuple(range(42, 48))
LIP_OUTER = tuple(range(48, 60))
LIP_INNER = tuple(range(60, 68))

OUTER_EYE_CORNER_IMAGE_LEFT = 36
OUTER_EYE_CORNER_IMAGE_RIGHT = 45
NOSE_TIP = 30


def _flip_permutation_68() -> tuple[int, ...]:
    """Index map for a left-right mirror: mirrored point ``i`` is original point ``perm[i]``."""
    pairs: list[tuple[int, int]] = []
    pairs += [(i, 16 - i) for i in range(8)]  # jaw
    pairs += [(17 + i, 26 - i) for i in range(5)]  # brows
    pairs += [(31, 35), (32, 34)]  # nostrils
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]  # outer lips
    pairs += [(60, 64), (61, 63), (65, 67)]  # inner lips
    perm = list(range(N_KEYPOINTS))
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return tuple(perm)


FLIP_PERMUTATION_68: tuple[int, ...] = _flip_permutation_68()

# The 15 Kaggle Facial Keypoints, in the column order of Kaggle's training.csv. Each is the mean
# of the listed 68-point indices. Kaggle names sides from the subject's point of view.
KAGGLE15: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("left_eye_center", EYE_IMAGE_RIGHT),
    ("right_eye_center", EYE_IMAGE_LEFT),
    ("left_eye_inner_corner", (42,)),
    ("left_eye_outer_corner", (45,)),
    ("right_eye_inner_corner", (39,)),
    ("right_eye_outer_corner", (36,)),
    ("left_eyebrow_inner_end", (22,)),
    ("left_eyebrow_outer_end", (26,)),
    ("right_eyebrow_inner_end", (21,)),
    ("right_eyebrow_outer_end", (17,)),
    ("nose_tip", (30,)),
    ("mouth_left_corner", (54,)),
    ("mouth_right_corner", (48,)),
    ("mouth_center_top_lip", (51,)),
    ("mouth_center_bottom_lip", (57,)),
)
KAGGLE15_NAMES: tuple[str, ...] = tuple(name for name, _ in KAGGLE15)

# Mirroring the Kaggle-15 view swaps subject-left and subject-right names.
KAGGLE15_FLIP_PERMUTATION: tuple[int, ...] = (1, 0, 4, 5, 2, 3, 8, 9, 6, 7, 10, 12, 11, 13, 14)


def flip_permutation(n_points: int) -> tuple[int, ...]:
    """The mirror index map for a 68-point or a Kaggle-15 point set."""
    if n_points == N_KEYPOINTS:
        return FLIP_PERMUTATION_68
    if n_points == len(KAGGLE15):
        return KAGGLE15_FLIP_PERMUTATION
    raise ValueError(f"no flip table for {n_points} points (expected 68 or 15)")


def kaggle15_matrix() -> npt.NDArray[np.float32]:
    """The ``(15, 68)`` averaging matrix ``M`` with ``kaggle15_xy = M @ xy68``."""
    matrix = np.zeros((len(KAGGLE15), N_KEYPOINTS), np.float32)
    for row, (_, indices) in enumerate(KAGGLE15):
        matrix[row, list(indices)] = 1.0 / len(indices)
    return matrix


def to_kaggle15(xy68: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Derive the Kaggle-15 view ``(..., 15, 2)`` from 68 points ``(..., 68, 2)``."""
    points = np.asarray(xy68, np.float32)
    return np.einsum("kn,...nc->...kc", kaggle15_matrix(), points).astype(np.float32)


@dataclass(frozen=True, slots=True)
class FaceBox:
    """An axis-aligned face box in frame pixels: top-left corner, width and height."""

    x: float
    y: float
    w: float
    h: float
    score: float = 1.0

    def __post_init__(self) -> None:
        if not (self.w > 0 and self.h > 0):
            raise ValueError(f"FaceBox needs positive width and height, got w={self.w}, h={self.h}")

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.w, self.y + self.h)

    @property
    def center_xy(self) -> tuple[float, float]:
        return (self.x + self.w / 2.0, self.y + self.h / 2.0)

    def intersection_area(self, other: FaceBox) -> float:
        """The area (px²) this box shares with another (0 when disjoint)."""
        ax0, ay0, ax1, ay1 = self.xyxy
        bx0, by0, bx1, by1 = other.xyxy
        return max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))

    def iou(self, other: FaceBox) -> float:
        """Intersection over union with another box (0 when disjoint)."""
        inter = self.intersection_area(other)
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class CropRegion:
    """A square, possibly rotated, region of a frame that becomes one model input.

    ``center_x_px``/``center_y_px`` and ``size_px`` are in frame pixels; ``angle_deg`` is the
    rotation that makes the face upright in the crop (positive = counter-clockwise in the
    image, as ``cv2.getRotationMatrix2D``).
    """

    center_x_px: float
    center_y_px: float
    size_px: float
    angle_deg: float = 0.0

    def __post_init__(self) -> None:
        if not self.size_px > 0:
            raise ValueError(f"CropRegion needs a positive size, got {self.size_px}")

    def bounding_box(self) -> FaceBox:
        """The axis-aligned box that contains the (rotated) region."""
        theta = np.deg2rad(self.angle_deg)
        half = self.size_px / 2.0 * (abs(np.cos(theta)) + abs(np.sin(theta)))
        return FaceBox(self.center_x_px - half, self.center_y_px - half, 2 * half, 2 * half)


@dataclass(frozen=True, slots=True)
class Keypoints:
    """The 68 facial keypoints of one face, ``xy_px`` of shape ``(68, 2)`` float32, frame pixels.

    ``confidence`` is the model's face score for the crop they came from (about 0.2 on a face,
    0.1 on background; 1.0 when the model gives none).
    """

    xy_px: npt.NDArray[np.float32]
    confidence: float = 1.0

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy_px, dtype=np.float32)
        if xy.shape != (N_KEYPOINTS, 2):
            raise ValueError(f"Keypoints.xy_px must have shape ({N_KEYPOINTS}, 2), got {xy.shape}")
        object.__setattr__(self, "xy_px", xy)

    def __getitem__(self, index: int | tuple[int, ...]) -> npt.NDArray[np.float32]:
        """One point ``(2,)`` for an int, or the mean of several for a tuple of indices."""
        if isinstance(index, tuple):
            return self.xy_px[list(index)].mean(axis=0)
        return self.xy_px[index]

    @property
    def outer_eye_distance_px(self) -> float:
        """Distance between the outer eye corners (36, 45), the usual normaliser."""
        return float(np.linalg.norm(self.xy_px[45] - self.xy_px[36]))

    @property
    def roll_deg(self) -> float:
        """Head roll: angle of the line from the image-left to the image-right eye, in degrees.

        Positive when the image-right eye is lower than the image-left one (clockwise tilt on screen).
        """
        left = self.xy_px[list(EYE_IMAGE_LEFT)].mean(axis=0)
        right = self.xy_px[list(EYE_IMAGE_RIGHT)].mean(axis=0)
        d = right - left
        return float(np.degrees(np.arctan2(d[1], d[0])))


@dataclass(frozen=True, slots=True)
class Face:
    """One face in a frame: its box, its keypoints when known, and its track id (-1 = untracked)."""

    box: FaceBox
    keypoints: Keypoints | None = None
    track_id: int = -1


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What the pipeline made of one frame.

    ``frame`` is the input (BGR, never modified), ``output`` the filtered frame, ``t_s`` the
    frame's timestamp in seconds, ``stage_ms`` the time each stage took in milliseconds.
    """

    t_s: float
    frame: Frame
    faces: tuple[Face, ...]
    output: Frame
    stage_ms: dict[str, float] = field(default_factory=dict)
