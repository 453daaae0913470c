"""Pure geometry: crop regions, the one crop function, mapping points between spaces, flips.

Every function here is deterministic and side-effect free. Points are ``(..., 2)`` float
arrays of ``(x, y)`` pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.types import (
    EYE_IMAGE_LEFT,
    EYE_IMAGE_RIGHT,
    FLIP_PERMUTATION_68,
    CropRegion,
    FaceBox,
    Frame,
)

MODEL_INPUT_SIZE = 96

# The crop rule: a face's region is centred on the centre of its 68 points' bounding box and
# its side is REGION_SCALE times the box's longer side, rotated by the head roll when asked.
REGION_SCALE = 1.30

Affine = npt.NDArray[np.float64]  # 2×3, maps frame px -> crop px


@dataclass(frozen=True, slots=True)
class DetectorCalibration:
    """How a detector's box relates to the crop rule, measured on training data.

    The crop region of a detected box has its centre at ``box centre + (dx, dy) * box width``
    and its side ``scale * box width``.
    """

    dx: float = 0.0
    dy: float = 0.12
    scale: float = 1.25

    def to_dict(self) -> dict[str, float]:
        return {"dx": self.dx, "dy": self.dy, "scale": self.scale}


def region_from_keypoints(xy68: npt.ArrayLike, *, rotate: bool = False) -> CropRegion:
    """The crop region that the crop rule gives for 68 points in frame pixels.

    With ``rotate`` the region turns with the head roll (eye line), so the crop is upright;
    its side is then measured in the rotated frame.
    """
    xy = np.asarray(xy68, np.float64)
    angle = 0.0
    if rotate:
        d = xy[list(EYE_IMAGE_RIGHT)].mean(0) - xy[list(EYE_IMAGE_LEFT)].mean(0)
        angle = float(np.degrees(np.arctan2(d[1], d[0])))
    theta = np.deg2rad(angle)
    c, s = np.cos(theta), np.sin(theta)
    # Coordinates in a frame rotated so that the eye line is horizontal.
    u = xy[:, 0] * c + xy[:, 1] * s
    v = -xy[:, 0] * s + xy[:, 1] * c
    cu, cv_ = (u.min() + u.max()) / 2.0, (v.min() + v.max()) / 2.0
    side = max(u.max() - u.min(), v.max() - v.min()) * REGION_SCALE
    cx, cy = cu * c - cv_ * s, cu * s + cv_ * c
    return CropRegion(float(cx), float(cy), float(max(side, 1.0)), angle)


def region_from_box(box: FaceBox, calibration: DetectorCalibration) -> CropRegion:
    """The crop region for a detector box, using the detector's measured calibration."""
    cx, cy = box.center_xy
    return CropRegion(
        cx + calibration.dx * box.w, cy + calibration.dy * box.w, calibration.scale * box.w, 0.0
    )


def crop_affine(region: CropRegion, size: int = MODEL_INPUT_SIZE) -> Affine:
    """The 2×3 affine matrix mapping frame pixels into a ``size``×``size`` crop of ``region``."""
    scale = size / region.size_px
    theta = np.deg2rad(region.angle_deg)
    c, s = np.cos(theta) * scale, np.sin(theta) * scale
    # Rotate by -angle about the region centre, scale, then move the centre to the crop centre.
    half = (size - 1) / 2.0
    return np.array(
        [
            [c, s, half - c * region.center_x_px - s * region.center_y_px],
            [-s, c, half + s * region.center_x_px - c * region.center_y_px],
        ],
        np.float64,
    )


def invert_affine(affine: Affine) -> Affine:
    """The inverse of a 2×3 affine matrix."""
    return cv2.invertAffineTransform(np.asarray(affine, np.float64))


def apply_affine(points: npt.ArrayLike, affine: Affine) -> npt.NDArray[np.float32]:
    """Map ``(..., 2)`` points through a 2×3 affine matrix."""
    p = np.asarray(points, np.float64)
    a = np.asarray(affine, np.float64)
    return (p @ a[:, :2].T + a[:, 2]).astype(np.float32)


def to_gray(frame: Frame) -> npt.NDArray[np.uint8]:
    """A BGR or already-grey frame as a 2-D grey image."""
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    raise ValueError(f"frame must be H×W grey or H×W×3 BGR, got shape {frame.shape}")


def crop_face(
    image: Frame, region: CropRegion, size: int = MODEL_INPUT_SIZE
) -> tuple[npt.NDArray[np.uint8], Affine]:
    """Cut ``region`` out of an image as a ``size``×``size`` grey crop.

    Args:
        image: BGR frame (``H×W×3``) or grey image (``H×W``), ``uint8``.
        region: the square region in frame pixels.
        size: the crop's side in pixels.

    Returns:
        The grey crop (``size×size`` uint8; outside the frame is filled by replicating the
        border) and the 2×3 affine mapping frame pixels to crop pixels. Map predictions back
        with ``apply_affine(points_crop, invert_affine(affine))``.
    """
    affine = crop_affine(region, size)
    # Resample first, convert after: converting a whole 640×480 frame to grey costs more than the
    # model; both steps are linear, so the order changes values by rounding only.
    return to_gray(warp_to_crop(image, affine, size)), affine


def warp_to_crop(gray: npt.NDArray[np.uint8], affine: Affine, size: int) -> npt.NDArray[np.uint8]:
    """Resample an image (grey or BGR) through a 2×3 affine (image px → crop px) into a square crop.

    Shrinking a lot with bilinear sampling aliases, so a large region is first reduced with
    area averaging around the part of the image the crop covers.
    """
    a = np.asarray(affine, np.float64)
    shrink = 1.0 / np.sqrt(abs(np.linalg.det(a[:, :2])))
    if shrink > 2.5:
        corners = apply_affine([[0, 0], [size - 1, 0], [0, size - 1], [size - 1, size - 1]], invert_affine(a))
        x0, y0, bw, bh = _clipped_box(box_from_points(corners), gray.shape)
        if bw > 0 and bh > 0:
            factor = 1.0 / np.floor(shrink / 1.5)
            small = cv2.resize(
                gray[y0 : y0 + bh, x0 : x0 + bw], None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA
            )
            sx, sy = small.shape[1] / bw, small.shape[0] / bh
            to_small = np.array([[sx, 0, (0.5 - x0) * sx - 0.5], [0, sy, (0.5 - y0) * sy - 0.5]], np.float64)
            a = _compose(a, invert_affine(to_small))
            gray = small
    return cv2.warpAffine(gray, a, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _compose(outer: Affine, inner: Affine) -> Affine:
    """The affine ``outer ∘ inner`` (apply ``inner`` first)."""
    a = np.vstack([outer, [0, 0, 1]])
    b = np.vstack([inner, [0, 0, 1]])
    return (a @ b)[:2]


def _clipped_box(box: FaceBox, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    h, w = shape[:2]
    x0, y0 = max(0, int(np.floor(box.x))), max(0, int(np.floor(box.y)))
    x1, y1 = min(w, int(np.ceil(box.x + box.w)) + 1), min(h, int(np.ceil(box.y + box.h)) + 1)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def flip_points_horizontal(xy68: npt.ArrayLike, width: int) -> npt.NDArray[np.float32]:
    """Mirror 68 points ``(..., 68, 2)`` left-right in an image ``width`` pixels wide.

    Mirrors x (``x' = width - 1 - x``) **and** swaps the left/right indices, so index 36 stays
    the image-left outer eye corner.
    """
    xy = np.array(xy68, np.float32, copy=True)
    xy[..., 0] = (width - 1) - xy[..., 0]
    return xy[..., list(FLIP_PERMUTATION_68), :]


def box_from_points(xy: npt.ArrayLike) -> FaceBox:
    """The tight axis-aligned box of a set of points."""
    p = np.asarray(xy, np.float64).reshape(-1, 2)
    x0, y0 = p.min(0)
    x1, y1 = p.max(0)
    return FaceBox(float(x0), float(y0), float(max(x1 - x0, 1e-3)), float(max(y1 - y0, 1e-3)))


def outer_eye_distance_px(true_xy68: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The distance between the outer eye corners (36, 45) of ``(..., 68, 2)`` points."""
    t = np.asarray(true_xy68, np.float64)
    return np.linalg.norm(t[..., 45, :] - t[..., 36, :], axis=-1)


def nme_percent(
    pred_xy: npt.ArrayLike, true_xy: npt.ArrayLike, normaliser_px: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Normalised mean error per face, in percent.

    Args:
        pred_xy, true_xy: ``(..., K, 2)`` points of the same view (68 points or Kaggle-15).
        normaliser_px: ``(...)`` per-face normaliser, usually ``outer_eye_distance_px(true68)``.

    Returns:
        ``(...)`` mean Euclidean error over the K points divided by the normaliser, × 100.
    """
    err = np.linalg.norm(np.asarray(pred_xy, np.float64) - np.asarray(true_xy, np.float64), axis=-1)
    return err.mean(axis=-1) / np.asarray(normaliser_px, np.float64) * 100.0
