"""Pure drawing primitives on BGR frames: sticker blending and local magnification.

Every function draws in place on the ``out`` frame it is handed (``H×W×3`` ``uint8``, BGR) and
reads and writes only the region its effect can reach, so its cost follows the effect's size,
not the frame's. Coordinates are frame pixels with the origin at the top-left pixel centre,
x right, y down; angles are in degrees, positive clockwise on screen (as ``Keypoints.roll_deg``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.types import Frame, validate_frame

Affine = npt.NDArray[np.float64]  # 2×3

_MAX_LEVELS = 6


def _check_frame(out: Frame, what: str = "out") -> None:
    validate_frame(out, what)


def _check_affine(affine_2x3: npt.ArrayLike) -> Affine:
    a = np.asarray(affine_2x3, np.float64)
    if a.shape != (2, 3) or not np.all(np.isfinite(a)):
        raise ValueError(f"affine_2x3 must be a finite 2×3 matrix, got {a.shape} {a.tolist()}")
    return a


def _half_size(premultiplied: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Average 2×2 blocks; an odd last row or column is padded with transparent pixels, so
    pixel ``q`` of the result is centred on pixel ``2q + 0.5`` of the input."""
    h, w = premultiplied.shape[:2]
    padded = cv2.copyMakeBorder(premultiplied, 0, h % 2, 0, w % 2, cv2.BORDER_CONSTANT, value=0)
    half = cv2.resize(padded, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
    return half.astype(np.float32, copy=False)


@dataclass(frozen=True, slots=True)
class PremultipliedImage:
    """A sticker prepared for repeated blending, as shrunk levels of two ``float32`` images.

    Level ``i`` is the sticker shrunk by ``2**i`` (level 0 is full size). ``colour[i]`` holds
    ``(B·a, G·a, R·a)``, colour in 0..255 premultiplied by the alpha ``a`` in 0..1;
    ``transparency[i]`` holds ``1 − a`` once per colour channel, so blending is one
    multiply-add per element. Premultiplied colour can be filtered (shrunk, warped bilinearly)
    without the colour of transparent pixels leaking into the edges as dark fringes.
    """

    colour: tuple[npt.NDArray[np.float32], ...]
    transparency: tuple[npt.NDArray[np.float32], ...]

    @classmethod
    def from_rgba(cls, rgba: npt.NDArray[np.uint8], max_levels: int = _MAX_LEVELS) -> PremultipliedImage:
        """Premultiply a straight-alpha ``H×W×4`` ``uint8`` sticker (B, G, R, A order, as
        ``cv2.imread(path, cv2.IMREAD_UNCHANGED)`` loads a PNG) and build its shrunk levels."""
        if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
            raise ValueError(f"sticker must be H×W×4 uint8 (B, G, R, A), got {rgba.shape} {rgba.dtype}")
        level = rgba.astype(np.float32)
        level[..., 3] *= 1.0 / 255.0
        level[..., :3] *= level[..., 3:4]
        levels = [level]
        while len(levels) < max_levels and min(levels[-1].shape[:2]) >= 16:
            levels.append(_half_size(levels[-1]))
        return cls(
            tuple(np.ascontiguousarray(lv[..., :3]) for lv in levels),
            tuple(np.repeat(1.0 - lv[..., 3:], 3, axis=2) for lv in levels),
        )

    @property
    def size_wh(self) -> tuple[int, int]:
        """Full-size width and height in sticker pixels."""
        h, w = self.colour[0].shape[:2]
        return w, h


def blend_premultiplied(out: Frame, sticker: PremultipliedImage, affine_2x3: npt.ArrayLike) -> None:
    """Warp a prepared sticker into ``out`` and alpha-blend it, in place.

    Args:
        out: BGR frame, modified in place inside the sticker's destination bounding box only.
        sticker: the prepared sticker.
        affine_2x3: maps full-size sticker pixels to frame pixels.

    Bilinear sampling of premultiplied colour and alpha anti-aliases the edges; when the sticker
    is shrunk a lot, a pre-shrunk level is used so thin lines do not alias. Parts falling outside
    the frame are clipped. Results are rounded to the nearest integer.
    """
    _check_frame(out)
    a = _check_affine(affine_2x3)
    scale = max(float(np.hypot(*a[:, 0])), float(np.hypot(*a[:, 1])))
    level = 0
    if 0 < scale < 1:
        level = min(math.floor(math.log2(1.0 / scale)), len(sticker.colour) - 1)
    factor = 2.0**level
    # Level pixel q covers full-size pixels factor·q … factor·q + factor − 1 (see _half_size).
    a = np.column_stack([a[:, :2] * factor, a[:, 2] + a[:, :2].sum(axis=1) * (factor - 1) / 2])
    h, w = sticker.colour[level].shape[:2]
    corners = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [-0.5, h - 0.5], [w - 0.5, h - 0.5]])
    xy = corners @ a[:, :2].T + a[:, 2]
    frame_h, frame_w = out.shape[:2]
    x0, y0 = max(0, math.floor(xy[:, 0].min())), max(0, math.floor(xy[:, 1].min()))
    x1 = min(frame_w, math.ceil(xy[:, 0].max()) + 1)
    y1 = min(frame_h, math.ceil(xy[:, 1].max()) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    a[:, 2] -= (x0, y0)
    size = (x1 - x0, y1 - y0)
    colour = cv2.warpAffine(
        sticker.colour[level], a, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    transparency = cv2.warpAffine(
        sticker.transparency[level],
        a,
        size,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(1.0, 1.0, 1.0),
    )
    roi = out[y0:y1, x0:x1]
    roi[...] = cv2.add(cv2.multiply(roi, transparency, dtype=cv2.CV_32F), colour, dtype=cv2.CV_8U)


def blend_rgba(out: Frame, rgba: npt.NDArray[np.uint8], affine_2x3: npt.ArrayLike) -> None:
    """Warp a straight-alpha sticker into ``out`` with a 2×3 affine and alpha-blend it, in place.

    Args:
        out: BGR frame (``H×W×3`` ``uint8``), modified only inside the sticker's destination box.
        rgba: ``h×w×4`` ``uint8`` sticker, colour in the frame's B, G, R order plus straight
            (not premultiplied) alpha, as ``cv2.imread(png, cv2.IMREAD_UNCHANGED)`` gives.
        affine_2x3: maps sticker pixels to frame pixels.

    To draw the same sticker every frame, prepare it once with
    :meth:`PremultipliedImage.from_rgba` and call :func:`blend_premultiplied`.
    """
    blend_premultiplied(out, PremultipliedImage.from_rgba(rgba), affine_2x3)


def alpha_blend(out: Frame, bgr: npt.NDArray[np.uint8], alpha01: npt.ArrayLike, x: int, y: int) -> None:
    """Blend an unwarped BGR patch into ``out`` with its top-left pixel at ``(x, y)``, in place.

    Args:
        out: BGR frame, modified where the patch lands; parts outside the frame are clipped.
        bgr: ``h×w×3`` ``uint8`` patch.
        alpha01: opacity in [0, 1]: a scalar or an ``h×w`` array.
        x, y: frame pixel of the patch's top-left pixel (may be negative).
    """
    _check_frame(out)
    _check_frame(bgr, "bgr")
    h, w = bgr.shape[:2]
    alpha = np.broadcast_to(np.asarray(alpha01, np.float32), (h, w))
    frame_h, frame_w = out.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(frame_w, x + w), min(frame_h, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    patch = bgr[y0 - y : y1 - y, x0 - x : x1 - x]
    a = np.clip(alpha[y0 - y : y1 - y, x0 - x : x1 - x], 0.0, 1.0)[..., None]
    roi = out[y0:y1, x0:x1]
    roi[...] = np.clip(patch * a + roi * (1.0 - a) + 0.5, 0, 255).astype(np.uint8)


def magnify(
    out: Frame,
    src: Frame,
    center_xy: Sequence[float] | npt.ArrayLike,
    radius_px: float | tuple[float, float],
    strength: float,
    angle_deg: float = 0.0,
) -> None:
    """Magnify an elliptical region smoothly (a bulge), writing into ``out`` in place.

    A pixel at elliptical radius ``r`` (0 at the centre, 1 on the ellipse) shows the ``src``
    pixel found in the same direction at radius ``r · (1 − k (1 − r²)²)`` with
    ``k = strength / (1 + strength)``. The centre is magnified by ``1 + strength``; the map is
    the identity on and outside the ellipse with a continuous first derivative there, so there
    is no seam, and it is monotonic in ``r`` for any strength, so nothing folds or tears.

    Args:
        out: BGR frame written inside the ellipse's bounding box only.
        src: BGR frame of the same shape that is sampled; may be ``out`` itself.
        center_xy: the ellipse centre in frame pixels; may lie outside the frame.
        radius_px: semi-axis in pixels: one value for a circle, or ``(along, across)`` for the
            semi-axes along the direction ``angle_deg`` and across it.
        strength: relative magnification at the centre, ``>= 0``; 0 is the identity.
        angle_deg: direction of the first semi-axis, degrees clockwise on screen from +x.
    """
    _check_frame(out)
    if src.shape != out.shape or src.dtype != out.dtype:
        raise ValueError(f"src must match out ({out.shape}), got {src.shape} {src.dtype}")
    radii = np.broadcast_to(np.asarray(radius_px, np.float64), (2,))
    ra, rb = float(radii[0]), float(radii[1])
    if not (math.isfinite(strength) and strength >= 0):
        raise ValueError(f"strength must be a finite number >= 0, got {strength}")
    cx, cy = (float(v) for v in np.asarray(center_xy, np.float64).reshape(2))
    if not all(math.isfinite(v) for v in (cx, cy, ra, rb, angle_deg)) or ra <= 0 or rb <= 0:
        raise ValueError(
            f"need a finite centre, positive radii and angle, got {(cx, cy)}, {(ra, rb)}, {angle_deg}"
        )
    theta = math.radians(angle_deg)
    c, s = math.cos(theta), math.sin(theta)
    half_w, half_h = math.hypot(ra * c, rb * s), math.hypot(ra * s, rb * c)
    frame_h, frame_w = out.shape[:2]
    x0, y0 = max(0, math.floor(cx - half_w)), max(0, math.floor(cy - half_h))
    x1, y1 = min(frame_w, math.ceil(cx + half_w) + 1), min(frame_h, math.ceil(cy + half_h) + 1)
    if x1 <= x0 or y1 <= y0 or strength == 0:
        return
    local_x = np.arange(x1 - x0, dtype=np.float32)[None, :]
    local_y = np.arange(y1 - y0, dtype=np.float32)[:, None]
    dx = local_x + np.float32(x0 - cx)
    dy = local_y + np.float32(y0 - cy)
    u = (dx * np.float32(c / ra) + dy * np.float32(s / ra)) ** 2
    v = (dy * np.float32(c / rb) - dx * np.float32(s / rb)) ** 2
    falloff = np.maximum(np.float32(1.0) - (u + v), np.float32(0.0))
    shrink = np.float32(-strength / (1.0 + strength)) * falloff * falloff
    map_x = local_x + dx * shrink
    map_y = local_y + dy * shrink
    out[y0:y1, x0:x1] = cv2.remap(
        src[y0:y1, x0:x1], map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
