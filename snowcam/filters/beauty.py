"""Beauty filters (group ``beauty``): local retouching on each face, every one with a strength.

* ``beauty-smooth`` — skin smoothing: an edge-preserving (bilateral) filter on the face region,
  masked by a feathered face outline (jaw, and the brows raised to the forehead) with the eyes,
  brows and lips cut out so they stay sharp.
* ``beauty-slim`` — face slimming: the lower cheeks and jaw are pulled towards the face's centre
  line by a smooth displacement field that falls to zero (with zero slope) at a radius around
  each jaw point, so the warp has no edge and the background beside the jaw bends a little
  instead of tearing.
* ``beauty-eyes`` — eye brightening: inside the eye contours, lighter and crisper.
* ``beauty-teeth`` — teeth whitening: inside the inner lips, bright pixels lose their yellow.
* ``beauty-lips`` — lip colour: the lips take a rose tint, keeping their light and shade.

Each works on a region of interest around the face and never reads or writes outside it; masks
are drawn at a reduced size and blurred (feathered) before use. Strength 0 changes nothing.
Coordinates are frame pixels; frames are BGR ``uint8``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.filters.base import FaceFilter
from snowcam.types import Face, Frame

Points = npt.NDArray[np.float64]

# Working size of masks and of the smoothing pass: the face width is brought to about this
# many pixels (never enlarged), which keeps the cost per face nearly constant.
_WORK_FACE_PX = 110.0


class _BeautyFilter(FaceFilter):
    """A per-face beauty filter with a strength in [0, 1]; subclasses set NAME and DEFAULT_STRENGTH."""

    __slots__ = ("group", "name", "strength")
    NAME: ClassVar[str]
    DEFAULT_STRENGTH: ClassVar[float]

    def __init__(self, strength: float | None = None) -> None:
        value = self.DEFAULT_STRENGTH if strength is None else strength
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{self.NAME} strength must be in [0, 1], got {value}")
        self.name = self.NAME
        self.group = "beauty"
        self.strength = float(value)


@dataclass(frozen=True, slots=True)
class _Roi:
    """An integer frame rectangle ``[x0, x1) × [y0, y1)`` and the scale of its working copy."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float  # working pixels per frame pixel (<= 1)

    @classmethod
    def around(cls, points: Points, margin_px: float, shape: tuple[int, ...], face_px: float) -> _Roi | None:
        h, w = shape[:2]
        x0 = max(0, math.floor(points[:, 0].min() - margin_px))
        y0 = max(0, math.floor(points[:, 1].min() - margin_px))
        x1 = min(w, math.ceil(points[:, 0].max() + margin_px) + 1)
        y1 = min(h, math.ceil(points[:, 1].max() + margin_px) + 1)
        if x1 - x0 < 4 or y1 - y0 < 4:
            return None
        return cls(x0, y0, x1, y1, min(1.0, _WORK_FACE_PX / max(face_px, 1.0)))

    @property
    def size(self) -> tuple[int, int]:
        return self.x1 - self.x0, self.y1 - self.y0

    @property
    def work_size(self) -> tuple[int, int]:
        w, h = self.size
        return max(2, round(w * self.scale)), max(2, round(h * self.scale))

    def to_work(self, points: Points) -> npt.NDArray[np.int32]:
        """Frame points to fixed-point (4 fractional bits) working-image points for cv2 drawing."""
        sx, sy = self.work_size[0] / self.size[0], self.work_size[1] / self.size[1]
        xy = (points - (self.x0 - 0.5, self.y0 - 0.5)) * (sx, sy) - 0.5
        return np.rint(xy * 16).astype(np.int32)


def _face_points(face: Face) -> Points | None:
    if face.keypoints is None:
        return None
    xy = face.keypoints.xy_px.astype(np.float64)
    return xy if np.all(np.isfinite(xy)) else None


def _up_vector(xy: Points) -> npt.NDArray[np.float64]:
    """Unit vector across the eye line, towards the forehead."""
    line = xy[42:48].mean(axis=0) - xy[36:42].mean(axis=0)
    norm = math.hypot(*line) or 1.0
    return np.array([line[1], -line[0]]) / norm


def _scaled(points: Points, factor: float) -> Points:
    centre = points.mean(axis=0)
    return centre + (points - centre) * factor


def _feathered(
    mask: npt.NDArray[np.float32], sigma_px: float, size: tuple[int, int]
) -> npt.NDArray[np.float32]:
    """Blur a working-size mask and bring it to ``size`` (w, h) of the region."""
    if sigma_px > 0.3:
        mask = cv2.GaussianBlur(mask, (0, 0), sigma_px)
    if mask.shape[1] != size[0] or mask.shape[0] != size[1]:
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR)
    return mask


def _blend(roi: Frame, target: npt.NDArray[np.uint8], weight: npt.NDArray[np.float32]) -> None:
    """``roi = roi · (1 − weight) + target · weight`` in place (weight ``h×w`` in 0..1); pixels
    whose weight is below half a level's worth are left exactly as they were."""
    weight = np.where(weight < 1.0 / 512.0, np.float32(0.0), weight)
    roi[...] = cv2.blendLinear(target, roi, weight, 1.0 - weight)


def face_outline(xy: Points) -> Points:
    """The face region: the jaw (0–16) and the brows (26…17) raised by 0.45 outer eye distances
    towards the forehead, as one closed polygon in frame pixels."""
    eye_distance = float(np.linalg.norm(xy[45] - xy[36]))
    forehead = xy[26:16:-1] + _up_vector(xy) * 0.45 * eye_distance
    return np.concatenate([xy[0:17], forehead])


class SkinSmooth(_BeautyFilter):
    """Skin smoothing on the face outline, keeping eyes, brows and lips sharp (module docstring)."""

    __slots__ = ()
    NAME = "beauty-smooth"
    DEFAULT_STRENGTH = 0.7

    def apply_face(self, out: Frame, face: Face) -> None:
        xy = _face_points(face)
        if xy is None or self.strength == 0:
            return
        outline = face_outline(xy)
        face_px = float(np.ptp(xy[:, 0])) or 1.0
        roi = _Roi.around(outline, 2, out.shape, face_px)
        if roi is None:
            return
        work_w, work_h = roi.work_size
        mask = np.zeros((work_h, work_w), np.float32)
        cv2.fillPoly(mask, [roi.to_work(outline)], 1.0, cv2.LINE_AA, shift=4)
        # Shrink the outline's mask by 2.5 blur widths before feathering, so the feathered edge
        # ends on the outline instead of spilling past the jaw onto the background.
        feather = max(0.7, 0.015 * face_px * roi.scale)
        mask = cv2.erode(mask, None, iterations=round(2.5 * feather))
        eye_distance = float(np.linalg.norm(xy[45] - xy[36]))
        keep = np.zeros_like(mask)
        for eye in (xy[36:42], xy[42:48]):
            cv2.fillPoly(keep, [roi.to_work(_scaled(eye, 1.4))], 1.0, cv2.LINE_AA, shift=4)
        for brow in (xy[17:22], xy[22:27]):
            thickness = max(1, round(0.08 * eye_distance * roi.scale))
            cv2.polylines(keep, [roi.to_work(brow)], False, 1.0, thickness, cv2.LINE_AA, shift=4)
        cv2.fillPoly(keep, [roi.to_work(_scaled(xy[48:60], 1.05))], 1.0, cv2.LINE_AA, shift=4)
        # Grow the kept features by the feather too, so their insides stay untouched.
        keep = cv2.dilate(keep, None, iterations=round(2.5 * feather))
        weight = np.clip(mask - keep, 0.0, 1.0)
        weight = _feathered(weight, feather, roi.size) * np.float32(0.85 * self.strength)

        region = out[roi.y0 : roi.y1, roi.x0 : roi.x1]
        small = cv2.resize(region, (work_w, work_h), interpolation=cv2.INTER_AREA)
        sigma_space = 0.025 * face_px * roi.scale
        smooth = cv2.bilateralFilter(small, 7, 18.0 + 22.0 * self.strength, sigma_space)
        smooth = cv2.resize(smooth, roi.size, interpolation=cv2.INTER_LINEAR)
        _blend(region, smooth, weight)


class FaceSlim(_BeautyFilter):
    """Face slimming: a smooth local warp of the jaw line towards the face's centre line."""

    __slots__ = ()
    NAME = "beauty-slim"
    DEFAULT_STRENGTH = 0.6

    # At strength 1 a jaw point moves this fraction of its distance to the face's centre line
    # (the lower face narrows by about that much); its displacement fades out over RADIUS.
    SQUEEZE = 0.12
    RADIUS = 0.22  # in face widths (jaw 0 to 16)

    def apply_face(self, out: Frame, face: Face) -> None:
        xy = _face_points(face)
        if xy is None or self.strength == 0:
            return
        face_w = float(np.linalg.norm(xy[16] - xy[0]))
        if not face_w > 4.0:
            return
        up = _up_vector(xy)
        across = np.array([-up[1], up[0]])  # along the eye line, towards the image right
        centre = xy[27:31].mean(axis=0)
        controls = xy[2:15]
        # The pull is strongest at the lower cheeks (jaw 4-6, 10-12), gentle at the chin.
        profile = np.sin(np.linspace(0.0, math.pi, len(controls))) ** 0.7
        profile *= 1.0 - 0.6 * np.exp(-(((np.arange(len(controls)) - 6) / 1.5) ** 2))
        # Proportional to each point's distance from the centre line: under a head turn the far
        # side, foreshortened, moves less, and the chin (on the line) does not move sideways.
        offset = (controls - centre) @ across
        pull = (-offset * profile * self.SQUEEZE * self.strength)[:, None] * across[None, :]
        radius = self.RADIUS * face_w
        roi = _Roi.around(controls, radius + 1.0, out.shape, face_w)
        if roi is None:
            return
        map_x, map_y = _displacement_maps(roi, controls, pull, radius)
        region = out[roi.y0 : roi.y1, roi.x0 : roi.x1]
        region[...] = cv2.remap(region, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _displacement_maps(
    roi: _Roi, controls: Points, pull: Points, radius: float
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Sampling maps for ``cv2.remap`` in region coordinates: pixel ``p`` shows the pixel at
    ``p − Σ pullᵢ · (1 − |p − cᵢ|² / r²)²`` (zero, with zero slope, at distance ``r``). The
    field is computed on the working grid and resized, since it is smooth."""
    work_w, work_h = roi.work_size
    w, h = roi.size
    xs = np.linspace(roi.x0, roi.x1 - 1, work_w, dtype=np.float32)
    ys = np.linspace(roi.y0, roi.y1 - 1, work_h, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    dx = np.zeros_like(gx)
    dy = np.zeros_like(gy)
    for (cx, cy), (px, py) in zip(controls, pull, strict=True):
        d2 = ((gx - np.float32(cx)) ** 2 + (gy - np.float32(cy)) ** 2) * np.float32(1.0 / radius**2)
        falloff = np.clip(1.0 - d2, 0.0, 1.0) ** 2
        dx += np.float32(px) * falloff
        dy += np.float32(py) * falloff
    dx = cv2.resize(dx, (w, h), interpolation=cv2.INTER_LINEAR)
    dy = cv2.resize(dy, (w, h), interpolation=cv2.INTER_LINEAR)
    base_x, base_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return base_x - dx, base_y - dy


class EyeBrighten(_BeautyFilter):
    """Eye brightening: the eyes (inside their contours) lighter, with more local contrast."""

    __slots__ = ()
    NAME = "beauty-eyes"
    DEFAULT_STRENGTH = 0.6

    def apply_face(self, out: Frame, face: Face) -> None:
        xy = _face_points(face)
        if xy is None or self.strength == 0:
            return
        for eye in (xy[36:42], xy[42:48]):
            width = float(np.linalg.norm(eye[3] - eye[0]))
            if not width > 3.0:
                continue
            contour = _scaled(eye, 1.15)
            roi = _Roi.around(contour, 0.15 * width + 2, out.shape, 4.0 * width)
            if roi is None:
                continue
            region = out[roi.y0 : roi.y1, roi.x0 : roi.x1]
            mask = np.zeros(region.shape[:2], np.float32)
            full = _Roi(roi.x0, roi.y0, roi.x1, roi.y1, 1.0)
            cv2.fillPoly(mask, [full.to_work(contour)], 1.0, cv2.LINE_AA, shift=4)
            weight = _feathered(mask, 0.06 * width, roi.size) * np.float32(self.strength)
            detail = cv2.GaussianBlur(region, (0, 0), max(0.6, 0.05 * width))
            sharp = cv2.addWeighted(region, 1.4, detail, -0.4, 0.0)
            # Lighten by a gamma-like curve that lifts the mid-tones most (iris and sclera).
            bright = cv2.LUT(sharp, _LIGHTEN)
            _blend(region, bright, weight)


_LIGHTEN = np.clip(255.0 * (np.arange(256) / 255.0) ** 0.8 + 4.0, 0, 255).astype(np.uint8)


class TeethWhiten(_BeautyFilter):
    """Teeth whitening: bright pixels inside the inner lips lose their yellow and lighten a little."""

    __slots__ = ()
    NAME = "beauty-teeth"
    DEFAULT_STRENGTH = 0.7

    def apply_face(self, out: Frame, face: Face) -> None:
        xy = _face_points(face)
        if xy is None or self.strength == 0:
            return
        inner = xy[60:68]
        width = float(np.linalg.norm(xy[64] - xy[60]))
        if not width > 3.0:
            return
        roi = _Roi.around(inner, 2, out.shape, 4.0 * width)
        if roi is None:
            return
        region = out[roi.y0 : roi.y1, roi.x0 : roi.x1]
        mask = np.zeros(region.shape[:2], np.float32)
        full = _Roi(roi.x0, roi.y0, roi.x1, roi.y1, 1.0)
        cv2.fillPoly(mask, [full.to_work(inner)], 1.0, cv2.LINE_AA, shift=4)
        mask = _feathered(mask, 0.03 * width, roi.size)
        lab = cv2.cvtColor(region, cv2.COLOR_BGR2LAB).astype(np.float32)
        # Teeth are the bright part of the open mouth; the dark mouth and the tongue are left alone.
        toothy = np.clip((lab[..., 0] - 90.0) / 60.0, 0.0, 1.0)
        weight = mask * toothy * np.float32(self.strength)
        lab[..., 2] = 128.0 + (lab[..., 2] - 128.0) * (1.0 - 0.8 * weight)  # b*: yellow → neutral
        lab[..., 1] = 128.0 + (lab[..., 1] - 128.0) * (1.0 - 0.4 * weight)
        lab[..., 0] = lab[..., 0] + (255.0 - lab[..., 0]) * 0.25 * weight
        _blend(
            region,
            cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR),
            np.minimum(weight * 4.0, 1.0),
        )


class LipColour(_BeautyFilter):
    """Lip colour: a rose tint on the lips (outer minus inner contour), keeping their shading."""

    __slots__ = ()
    NAME = "beauty-lips"
    DEFAULT_STRENGTH = 0.6

    TINT_BGR = (120, 85, 205)

    def apply_face(self, out: Frame, face: Face) -> None:
        xy = _face_points(face)
        if xy is None or self.strength == 0:
            return
        width = float(np.linalg.norm(xy[54] - xy[48]))
        if not width > 3.0:
            return
        roi = _Roi.around(xy[48:60], 3, out.shape, 3.0 * width)
        if roi is None:
            return
        region = out[roi.y0 : roi.y1, roi.x0 : roi.x1]
        full = _Roi(roi.x0, roi.y0, roi.x1, roi.y1, 1.0)
        mask = np.zeros(region.shape[:2], np.float32)
        cv2.fillPoly(mask, [full.to_work(xy[48:60])], 1.0, cv2.LINE_AA, shift=4)
        cv2.fillPoly(mask, [full.to_work(xy[60:68])], 0.0, cv2.LINE_AA, shift=4)
        weight = _feathered(mask, 0.03 * width, roi.size) * np.float32(0.55 * self.strength)
        # Keep the lips' own lightness (L*) and take the tint's colour (a*, b*).
        lab = cv2.cvtColor(region, cv2.COLOR_BGR2LAB)
        tint = cv2.cvtColor(np.uint8([[self.TINT_BGR]]), cv2.COLOR_BGR2LAB)[0, 0]
        tinted = lab.copy()
        tinted[..., 1], tinted[..., 2] = tint[1], tint[2]
        _blend(region, cv2.cvtColor(tinted, cv2.COLOR_LAB2BGR), weight)
