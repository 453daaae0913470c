"""Effect artwork drawn by code: small shaded RGBA sprites (a heart, a star, a sparkle).

Each function returns a straight-alpha ``size×size×4`` ``uint8`` image in B, G, R, A order
(as ``cv2.imread(png, cv2.IMREAD_UNCHANGED)`` gives), centred on pixel ``(size − 1) / 2``. Shapes
are rasterised 4× larger and shrunk with area averaging, so edges are antialiased; the shading
is a soft diagonal light (a lit upper left, a darker rim) and a glossy highlight.
"""

from __future__ import annotations

import math
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt

_SUPER = 4

Rgba = npt.NDArray[np.uint8]


def _finish(bgr_hi: npt.NDArray[np.float32], alpha_hi: npt.NDArray[np.float32], size: int) -> Rgba:
    """Shrink a supersampled premultiplied drawing to ``size`` and un-premultiply it."""
    premul = np.dstack([bgr_hi * alpha_hi[..., None], alpha_hi])
    small = cv2.resize(premul, (size, size), interpolation=cv2.INTER_AREA)
    alpha = np.clip(small[..., 3], 0.0, 1.0)
    colour = small[..., :3] / np.maximum(alpha, 1e-6)[..., None]
    rgba = np.dstack([np.clip(colour, 0, 255), alpha * 255.0])
    return np.rint(rgba).astype(np.uint8)


def _shade(
    mask: npt.NDArray[np.float32], base_bgr: tuple[float, float, float], light: float
) -> npt.NDArray[np.float32]:
    """Shade a filled shape: lighter towards its upper left, darker on the rim, plus a highlight."""
    n = mask.shape[0]
    inside = (mask > 0.5).astype(np.uint8)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    depth = depth / max(float(depth.max()), 1.0)
    ys, xs = np.mgrid[0:n, 0:n].astype(np.float32) / n
    gradient = 1.0 + light * (0.55 - 0.6 * xs - 0.4 * ys)
    rim = 0.7 + 0.3 * np.sqrt(depth)
    colour = np.asarray(base_bgr, np.float32) * (gradient * rim)[..., None]
    return np.clip(colour, 0, 255)


def _highlight(
    colour: npt.NDArray[np.float32], centre: tuple[float, float], axes: tuple[float, float], angle: float
) -> None:
    n = colour.shape[0]
    spot = np.zeros((n, n), np.float32)
    cv2.ellipse(
        spot,
        (int(centre[0] * n), int(centre[1] * n)),
        (int(axes[0] * n), int(axes[1] * n)),
        angle,
        0,
        360,
        1.0,
        -1,
    )
    spot = cv2.GaussianBlur(spot, (0, 0), n * 0.03)
    colour += (255.0 - colour) * (0.75 * spot)[..., None]


@cache
def heart(size: int = 64, bgr: tuple[int, int, int] = (140, 70, 255)) -> Rgba:
    """A glossy heart filling about 90 % of the sprite."""
    n = size * _SUPER
    t = np.linspace(0, 2 * math.pi, 400)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    # The curve spans x in ±16 and y in about -12..17; fit it in 90 % of the sprite.
    scale = 0.9 * n / 34.0
    pts = np.stack([n / 2 + x * scale, n / 2 + (y - 2.5) * scale], axis=1)
    mask = np.zeros((n, n), np.float32)
    cv2.fillPoly(mask, [np.rint(pts * 16).astype(np.int32)], 1.0, cv2.LINE_AA, shift=4)
    colour = _shade(mask, bgr, 0.5)
    _highlight(colour, (0.33, 0.3), (0.1, 0.06), -35)
    return _finish(colour, mask, size)


@cache
def star(size: int = 64, bgr: tuple[int, int, int] = (40, 200, 255)) -> Rgba:
    """A plump golden five-pointed star with a soft glow."""
    n = size * _SUPER
    angles = -math.pi / 2 + np.arange(10) * math.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, 0.4, 0.19) * n
    pts = np.stack([n / 2 + radii * np.cos(angles), n / 2 + 0.03 * n + radii * np.sin(angles)], axis=1)
    mask = np.zeros((n, n), np.float32)
    cv2.fillPoly(mask, [np.rint(pts * 16).astype(np.int32)], 1.0, cv2.LINE_AA, shift=4)
    # Round the points a little: blur and re-threshold softly.
    mask = np.clip((cv2.GaussianBlur(mask, (0, 0), n * 0.012) - 0.5) * 4 + 0.5, 0, 1)
    colour = _shade(mask, bgr, 0.6)
    _highlight(colour, (0.4, 0.38), (0.07, 0.04), -30)
    glow = cv2.GaussianBlur(mask, (0, 0), n * 0.05) * 0.45
    alpha = np.maximum(mask, glow)
    glow_colour = np.array([150, 240, 255], np.float32)
    colour = (
        colour * (mask / np.maximum(alpha, 1e-6))[..., None]
        + glow_colour * (1 - mask / np.maximum(alpha, 1e-6))[..., None]
    )
    return _finish(colour, alpha, size)


@cache
def sparkle(size: int = 48) -> Rgba:
    """A white four-pointed twinkle with a warm golden halo."""
    n = size * _SUPER
    ys, xs = (np.mgrid[0:n, 0:n].astype(np.float32) - (n - 1) / 2) / (n / 2)
    ax, ay = np.abs(xs), np.abs(ys)
    # Four pointed rays: a concave diamond (astroid-like), plus a round core and a halo.
    rays = np.clip(1.0 - (np.sqrt(ax) + np.sqrt(ay)) / 0.95, 0, 1) ** 0.6
    r = np.hypot(xs, ys)
    core = np.clip(1.0 - r / 0.22, 0, 1)
    halo = 0.55 * np.exp(-((r / 0.42) ** 2))
    alpha = np.clip(np.maximum(np.maximum(rays * 1.6, core), halo), 0, 1).astype(np.float32)
    white = np.clip(np.maximum(rays * 1.6, core), 0, 1)[..., None]
    colour = white * np.array([255, 255, 255], np.float32) + (1 - white) * np.array(
        [255, 215, 200], np.float32
    )
    return _finish(colour.astype(np.float32), alpha, size)
