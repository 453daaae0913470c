"""Draw the sticker PNGs in ``assets/`` (glasses styles) with OpenCV and numpy.

Run from the repository root: ``python scripts/draw_assets.py``. Every shape is drawn at
``SUPERSAMPLE`` times the final size into a premultiplied BGRA canvas and shrunk with area
averaging, which anti-aliases the edges without dark fringes. The anchors and widths in
``assets/filters.toml`` refer to the geometry constants below: keep them in sync.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

SUPERSAMPLE = 4
WIDTH, HEIGHT = 1000, 380
# Lens centres sit on the eye centres: (CENTER_X ± LENS_SPACING / 2, CENTER_Y), final pixels.
CENTER_X, CENTER_Y = (WIDTH - 1) / 2.0, 190.0
LENS_SPACING = 460.0

Mask = npt.NDArray[np.float32]
Points = npt.NDArray[np.float64]


class Canvas:
    """A supersampled premultiplied BGRA canvas; shapes are composited over it with "over"."""

    def __init__(self) -> None:
        self.h, self.w = HEIGHT * SUPERSAMPLE, WIDTH * SUPERSAMPLE
        self.premul = np.zeros((self.h, self.w, 4), np.float32)

    def paint(
        self, coverage: Mask, bgr: tuple[float, float, float] | npt.NDArray[np.float32], alpha: float | Mask
    ) -> None:
        """Composite a colour (constant or per pixel, 0..255) with opacity ``coverage · alpha``."""
        a = (coverage * alpha).astype(np.float32)[..., None]
        colour = np.broadcast_to(np.asarray(bgr, np.float32), (self.h, self.w, 3))
        self.premul[..., :3] = colour * a + self.premul[..., :3] * (1.0 - a)
        self.premul[..., 3:] = a + self.premul[..., 3:] * (1.0 - a)

    def to_bgra(self) -> npt.NDArray[np.uint8]:
        """Shrink to the final size and un-premultiply into straight-alpha BGRA ``uint8``."""
        small = cv2.resize(self.premul, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
        alpha = small[..., 3:]
        colour = np.where(alpha > 1e-4, small[..., :3] / np.maximum(alpha, 1e-4), 0.0)
        out = np.concatenate([colour, alpha * 255.0], axis=2)
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _fixed(points: Points) -> npt.NDArray[np.int32]:
    """Final-pixel points to supersampled integer coordinates (pixel centres kept aligned)."""
    return np.round((points + 0.5) * SUPERSAMPLE - 0.5).astype(np.int32).reshape(-1, 1, 2)


def fill(points: Points) -> Mask:
    """Coverage of the filled polygon ``points`` (final pixels)."""
    mask = np.zeros((HEIGHT * SUPERSAMPLE, WIDTH * SUPERSAMPLE), np.uint8)
    cv2.fillPoly(mask, [_fixed(points)], 255, cv2.LINE_AA)
    return mask.astype(np.float32) / 255.0


def stroke(points: Points, thickness_px: float, closed: bool = True) -> Mask:
    """Coverage of a polyline ``thickness_px`` final pixels thick, with round joins and caps."""
    mask = np.zeros((HEIGHT * SUPERSAMPLE, WIDTH * SUPERSAMPLE), np.uint8)
    thickness = max(1, round(thickness_px * SUPERSAMPLE))
    cv2.polylines(mask, [_fixed(points)], closed, 255, thickness, cv2.LINE_AA)
    return mask.astype(np.float32) / 255.0


def soft(mask: Mask, blur_px: float, dy_px: float = 0.0) -> Mask:
    """A blurred (and shifted down by ``dy_px``) copy of a coverage mask: shadows and glows."""
    shift = np.array([[1, 0, 0], [0, 1, dy_px * SUPERSAMPLE]], np.float32)
    moved = cv2.warpAffine(mask, shift, (mask.shape[1], mask.shape[0]))
    sigma = blur_px * SUPERSAMPLE
    return cv2.GaussianBlur(moved, (0, 0), sigma).astype(np.float32, copy=False)


def vertical_ramp(top: float, bottom: float, y0: float, y1: float) -> Mask:
    """A per-pixel value going linearly from ``top`` at final row ``y0`` to ``bottom`` at ``y1``."""
    y = (np.arange(HEIGHT * SUPERSAMPLE, dtype=np.float32) + 0.5) / SUPERSAMPLE - 0.5
    t = np.clip((y - y0) / (y1 - y0), 0.0, 1.0)
    ramp = top + (bottom - top) * t
    return np.repeat(ramp[:, None], WIDTH * SUPERSAMPLE, axis=1).astype(np.float32)


def mirror(points: Points) -> Points:
    """The same shape mirrored about the sticker's vertical centre line (image-left ↔ image-right)."""
    flipped = points.copy()
    flipped[:, 0] = 2 * CENTER_X - flipped[:, 0]
    return flipped


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 180) -> Points:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def arc(cx: float, cy: float, rx: float, ry: float, t0_deg: float, t1_deg: float, n: int = 60) -> Points:
    t = np.radians(np.linspace(t0_deg, t1_deg, n))
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])


def glint(canvas: Canvas, lens: Mask, cx: float, cy: float, size: float, alpha: float) -> None:
    """A soft diagonal reflection streak on a lens, clipped to the lens."""
    streak = np.array(
        [
            [cx - size, cy + 0.15 * size],
            [cx + 0.15 * size, cy - size],
            [cx + 0.45 * size, cy - 0.85 * size],
            [cx - 0.85 * size, cy + 0.45 * size],
        ]
    )
    canvas.paint(soft(fill(streak), 0.12 * size) * lens, (255, 255, 255), alpha)


def draw_round() -> npt.NDArray[np.uint8]:
    """Round thin-rim metal glasses with clear lenses."""
    canvas = Canvas()
    radius, rim_px = 160.0, 7.0
    rim_bgr, shine_bgr = (38, 42, 48), (170, 175, 185)
    right = (CENTER_X + LENS_SPACING / 2, CENTER_Y)
    lenses = [ellipse(*right, radius, radius)]
    lenses.append(mirror(lenses[0]))
    bridge = arc(CENTER_X, CENTER_Y - 8, LENS_SPACING / 2 - radius + 4, 42, 200, 340)
    inner_x = LENS_SPACING / 2 - radius * 0.98
    bridge = np.vstack([[CENTER_X - inner_x, CENTER_Y - 30], bridge, [CENTER_X + inner_x, CENTER_Y - 30]])
    temple = np.array(
        [[CENTER_X + LENS_SPACING / 2 + radius * 0.97, CENTER_Y - 45], [WIDTH - 28.0, CENTER_Y - 52]]
    )
    lens_mask = np.maximum(fill(lenses[0]), fill(lenses[1]))
    frame = np.maximum.reduce(
        [
            stroke(lenses[0], rim_px),
            stroke(lenses[1], rim_px),
            stroke(bridge, rim_px * 0.9, closed=False),
            stroke(temple, rim_px * 1.4, closed=False),
            stroke(mirror(temple), rim_px * 1.4, closed=False),
        ]
    )
    canvas.paint(soft(frame, 3.0, 4.0), (0, 0, 0), 0.22)
    canvas.paint(lens_mask, (250, 235, 225), 0.10)
    for lens in lenses:
        c = lens.mean(axis=0)
        glint(canvas, fill(lens), c[0] - 40, c[1] - 40, 70, 0.28)
    canvas.paint(frame, rim_bgr, 1.0)
    shine = np.maximum(
        stroke(arc(*right, radius - 1.5, radius - 1.5, 200, 290), 2.0, closed=False),
        stroke(mirror(arc(*right, radius - 1.5, radius - 1.5, 250, 340)), 2.0, closed=False),
    )
    canvas.paint(shine, shine_bgr, 0.7)
    return canvas.to_bgra()


def teardrop(cx: float, cy: float, inner_sign: float, n: int = 240) -> Points:
    """An aviator lens around ``(cx, cy)``: flat top, round bottom drooping toward the nose.

    ``inner_sign`` is the direction of the nose along x (-1 for the image-right lens).
    """
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    half_w, top, bottom = 172.0, 118.0, 168.0
    s, c = np.sin(t), np.cos(t)
    x = half_w * np.sign(c) * np.abs(c) ** 0.8
    y = np.where(s < 0, -top * np.sqrt(np.abs(s)), bottom * np.clip(s, 0, None))
    x = x + inner_sign * 45.0 * np.clip(s, 0, None) ** 2
    return np.column_stack([cx + x, cy + y - 15.0])


def draw_aviator() -> npt.NDArray[np.uint8]:
    """Aviator sunglasses: thin gold frame, double bridge, tinted gradient lenses."""
    canvas = Canvas()
    rim_px = 6.0
    gold, gold_light = (48, 160, 205), (150, 225, 245)
    right = teardrop(CENTER_X + LENS_SPACING / 2, CENTER_Y, -1.0)
    lenses = [right, mirror(right)]
    top_y = float(right[:, 1].min())
    bar = np.array([[CENTER_X - 175, top_y + 10], [CENTER_X, top_y + 4], [CENTER_X + 175, top_y + 10]])
    inner_x = float(right[:, 0].min())
    bridge = arc(CENTER_X, CENTER_Y - 22, inner_x - CENTER_X + 6, 30, 195, 345)
    hinge_y = top_y + 26
    hinge_x = float(right[np.abs(right[:, 1] - hinge_y) < 12, 0].max())
    temple = np.array([[hinge_x - 4, hinge_y], [WIDTH - 20.0, top_y + 20]])
    frame = np.maximum.reduce(
        [
            stroke(lenses[0], rim_px),
            stroke(lenses[1], rim_px),
            stroke(bar, rim_px, closed=False),
            stroke(bridge, rim_px, closed=False),
            stroke(temple, rim_px * 1.3, closed=False),
            stroke(mirror(temple), rim_px * 1.3, closed=False),
        ]
    )
    lens_mask = np.maximum(fill(lenses[0]), fill(lenses[1]))
    y0, y1 = top_y, float(right[:, 1].max())
    tint = np.stack(
        [vertical_ramp(28, 95, y0, y1), vertical_ramp(38, 100, y0, y1), vertical_ramp(40, 95, y0, y1)], axis=2
    )
    canvas.paint(soft(frame, 3.0, 4.0), (0, 0, 0), 0.22)
    canvas.paint(lens_mask, tint, vertical_ramp(0.93, 0.5, y0, y1))
    for lens in lenses:
        c = lens.mean(axis=0)
        glint(canvas, fill(lens), c[0] - 55, c[1] - 35, 80, 0.22)
    canvas.paint(frame, gold, 1.0)
    canvas.paint(stroke(bar + np.array([0.0, -1.5]), 2.0, closed=False), gold_light, 0.8)
    return canvas.to_bgra()


def heart(cx: float, cy: float, size: float, n: int = 240) -> Points:
    """The classic parametric heart, ``size`` final pixels from its centre to its widest side."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    points = np.column_stack([x, y]) * size / 16.0
    return points - (points.min(axis=0) + points.max(axis=0)) / 2.0 + (cx, cy)


def draw_hearts() -> npt.NDArray[np.uint8]:
    """Heart-shaped pink party glasses: thick glossy frame, pink translucent lenses, sparkles."""
    canvas = Canvas()
    size, rim_px = 158.0, 22.0
    pink, pink_light, pink_dark = (170, 70, 250), (225, 190, 255), (120, 30, 200)
    right = heart(CENTER_X + LENS_SPACING / 2, CENTER_Y + 12, size)
    lenses = [right, mirror(right)]
    bridge = arc(CENTER_X, CENTER_Y - 20, 75, 22, 200, 340)
    frame = np.maximum.reduce(
        [stroke(lenses[0], rim_px), stroke(lenses[1], rim_px), stroke(bridge, 20, closed=False)]
    )
    lens_mask = np.maximum(fill(lenses[0]), fill(lenses[1]))
    canvas.paint(soft(frame, 4.0, 5.0), (40, 0, 60), 0.3)
    canvas.paint(lens_mask, (205, 150, 255), 0.38)
    for lens in lenses:
        c = lens.mean(axis=0)
        glint(canvas, fill(lens), c[0] - 45, c[1] - 45, 75, 0.35)
    canvas.paint(frame, pink, 1.0)
    inner_shadow = frame * (1.0 - soft(frame, 3.0, -4.0))
    canvas.paint(inner_shadow, pink_dark, 0.5)
    highlight = frame * (1.0 - soft(frame, 3.0, 4.0))
    canvas.paint(highlight, pink_light, 0.8)
    for x, y, r in (
        (CENTER_X + 395, CENTER_Y - 150, 26),
        (CENTER_X - 405, CENTER_Y + 40, 18),
        (CENTER_X + 20, CENTER_Y - 120, 14),
    ):
        star = np.array(
            [
                [x, y - r],
                [x + 0.22 * r, y - 0.22 * r],
                [x + r, y],
                [x + 0.22 * r, y + 0.22 * r],
                [x, y + r],
                [x - 0.22 * r, y + 0.22 * r],
                [x - r, y],
                [x - 0.22 * r, y - 0.22 * r],
            ]
        )
        canvas.paint(fill(star), (255, 255, 255), 0.95)
    return canvas.to_bgra()


ASSETS: dict[str, Callable[[], npt.NDArray[np.uint8]]] = {
    "glasses_round.png": draw_round,
    "glasses_aviator.png": draw_aviator,
    "glasses_hearts.png": draw_hearts,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "assets")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for file_name, draw in ASSETS.items():
        path = args.out / file_name
        if not cv2.imwrite(str(path), draw(), [cv2.IMWRITE_PNG_COMPRESSION, 9]):
            raise SystemExit(f"cannot write {path}")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
