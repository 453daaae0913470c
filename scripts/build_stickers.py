"""Build the face-sticker PNGs in ``assets/`` from Fluent Emoji art and from parts drawn here.

Run from the repository root (needs ``npm`` and ``rsvg-convert`` from Debian's ``librsvg2-bin``;
neither is a dependency of snowcam)::

    python scripts/build_stickers.py                    # fetches fluentui-emoji@1.3.0 with npm pack
    python scripts/build_stickers.py --fluent /tmp/fl   # or an unpacked package folder

Sources: the npm package ``fluentui-emoji`` 1.3.0 (MIT, Microsoft's Fluent Emoji "Color" SVGs in
``package/icons/modern/``). Whole emoji (crown, top hat, glasses, flowers) are rasterised; animal
parts are cut out of a whole emoji by keeping some of its top-level SVG elements, or by cropping
and masking its raster. Parts that are not in any emoji (whiskers, tongues, blush, freckles, a
moustache, cat and bear ears) are drawn here with 4× supersampling and soft gradient shading.

Every PNG is straight-alpha RGBA (cv2 writes BGRA). The geometry each TOML entry refers to
(``anchor_px``) is printed next to each file and recorded in ``assets/filters.toml``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

ASSETS = Path(__file__).resolve().parent.parent / "assets"
FLUENT_VERSION = "1.3.0"
SS = 4  # supersampling for drawn parts
SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

Image = np.ndarray  # h×w×4 float32, straight alpha, BGR + A in 0..1


# ----------------------------------------------------------------------------------- emoji input


def fetch_fluent(work: Path) -> Path:
    """``npm pack`` the package into ``work`` and unpack it; returns the ``icons/modern`` folder."""
    subprocess.run(["npm", "pack", f"fluentui-emoji@{FLUENT_VERSION}"], cwd=work, check=True)
    with tarfile.open(work / f"fluentui-emoji-{FLUENT_VERSION}.tgz") as tar:
        tar.extractall(work, filter="data")
    return work / "package" / "icons" / "modern"


def emoji(
    icons: Path, name: str, size_px: int, keep: Iterable[int] | None = None, drop: Iterable[int] = ()
) -> Image:
    """Rasterise ``icons/NAME.svg`` (a 32-unit view box) at ``size_px``², keeping only some
    top-level elements (by index; ``<defs>`` always kept) when ``keep`` or ``drop`` are given."""
    root = ET.parse(icons / f"{name}.svg").getroot()
    keep_set = None if keep is None else set(keep)
    drop_set = set(drop)
    for i, child in enumerate(list(root)):
        if child.tag.endswith("defs"):
            continue
        if (keep_set is not None and i not in keep_set) or i in drop_set:
            root.remove(child)
    with tempfile.TemporaryDirectory() as tmp:
        svg, png = Path(tmp) / "a.svg", Path(tmp) / "a.png"
        svg.write_bytes(ET.tostring(root))
        subprocess.run(
            ["rsvg-convert", "-w", str(size_px), "-h", str(size_px), str(svg), "-o", str(png)], check=True
        )
        bgra = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
    return bgra.astype(np.float32) / 255.0


def crop_units(img: Image, x0: float, y0: float, x1: float, y1: float) -> Image:
    """Crop by the emoji's 32-unit view-box coordinates."""
    k = img.shape[1] / 32.0
    return img[round(y0 * k) : round(y1 * k), round(x0 * k) : round(x1 * k)].copy()


def fade_bottom(img: Image, start: float, end: float = 1.0) -> Image:
    """Alpha falls smoothly to 0 between fractions ``start`` and ``end`` of the height."""
    h = img.shape[0]
    y = np.linspace(0.0, 1.0, h)[:, None]
    t = np.clip((y - start) / max(end - start, 1e-6), 0.0, 1.0)
    out = img.copy()
    out[..., 3] *= 1.0 - t * t * (3 - 2 * t)
    return out


def pad(img: Image, top: int = 0, bottom: int = 0, left: int = 0, right: int = 0) -> Image:
    return cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(0, 0, 0, 0))


def over(dst: Image, src: Image, x: int, y: int) -> None:
    """Composite ``src`` over ``dst`` in place with its top-left at (x, y), clipped (straight alpha)."""
    h, w = src.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, dst.shape[1]), min(y + h, dst.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    src = src[y0 - y : y1 - y, x0 - x : x1 - x]
    region = dst[y0:y1, x0:x1]
    a_s, a_d = src[..., 3:4], region[..., 3:4]
    a_o = a_s + a_d * (1 - a_s)
    colour = (src[..., :3] * a_s + region[..., :3] * a_d * (1 - a_s)) / np.maximum(a_o, 1e-6)
    region[..., :3], region[..., 3:4] = colour, a_o


def rotate(img: Image, angle_deg: float, scale: float = 1.0) -> Image:
    """Rotate about the centre (counter-clockwise on screen), on a canvas big enough to hold it."""
    h, w = img.shape[:2]
    side = int(np.ceil(np.hypot(h, w) * scale)) + 2
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, scale)
    m[:, 2] += (side / 2 - w / 2, side / 2 - h / 2)
    pre = img.copy()
    pre[..., :3] *= pre[..., 3:4]
    warped = cv2.warpAffine(pre, m, (side, side), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    warped[..., :3] /= np.maximum(warped[..., 3:4], 1e-6)
    return warped


def resize(img: Image, width: int) -> Image:
    h, w = img.shape[:2]
    pre = img.copy()
    pre[..., :3] *= pre[..., 3:4]
    out = cv2.resize(pre, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    out[..., :3] /= np.maximum(out[..., 3:4], 1e-6)
    return out


def trim(img: Image, margin: int = 4) -> Image:
    ys, xs = np.nonzero(img[..., 3] > 1 / 255)
    y0, y1 = max(ys.min() - margin, 0), min(ys.max() + margin + 1, img.shape[0])
    x0, x1 = max(xs.min() - margin, 0), min(xs.max() + margin + 1, img.shape[1])
    return img[y0:y1, x0:x1].copy()


# ------------------------------------------------------------------------------------ drawing


class Canvas:
    """A supersampled drawing surface (``SS``× the output size), premultiplied BGRA in 0..1.

    Shapes are antialiased masks drawn at the supersampled size; colours are gradients over the
    supersampled pixel grid ``x``, ``y`` (in output-pixel units). :meth:`result` shrinks it.
    """

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.pm = np.zeros((h * SS, w * SS, 4), np.float32)
        yy, xx = np.mgrid[0 : h * SS, 0 : w * SS].astype(np.float32)
        self.x, self.y = (xx + 0.5) / SS - 0.5, (yy + 0.5) / SS - 0.5

    def mask(self, *draws, blur: float = 0.0) -> np.ndarray:
        """Union of shapes; ``draw(m, s)`` draws 1.0 into ``m`` with coordinates scaled by ``s``."""
        m = np.zeros(self.pm.shape[:2], np.float32)
        for draw in draws:
            draw(m, SS)
        return cv2.GaussianBlur(m, (0, 0), blur * SS) if blur else m

    def paint(self, mask: np.ndarray, colour, opacity: float = 1.0) -> None:
        """Paint ``colour`` (a BGR triple or a per-pixel BGR array, 0..1) through ``mask``."""
        a = (mask * opacity)[..., None]
        colour = np.asarray(colour, np.float32)
        self.pm[..., :3] = colour * a + self.pm[..., :3] * (1 - a)
        self.pm[..., 3:] = a + self.pm[..., 3:] * (1 - a)

    def radial(self, cx: float, cy: float, r: float, inner, outer) -> np.ndarray:
        t = np.clip(np.hypot(self.x - cx, self.y - cy) / r, 0, 1)[..., None]
        return np.asarray(inner, np.float32) * (1 - t) + np.asarray(outer, np.float32) * t

    def linear(self, y0: float, y1: float, top, bottom) -> np.ndarray:
        t = np.clip((self.y - y0) / (y1 - y0), 0, 1)[..., None]
        return np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t

    def result(self) -> Image:
        small = cv2.resize(self.pm, (self.w, self.h), interpolation=cv2.INTER_AREA)
        small[..., :3] /= np.maximum(small[..., 3:], 1e-6)
        return small


def bgr(hex_rgb: str) -> tuple[float, float, float]:
    r, g, b = (int(hex_rgb[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return (b, g, r)


def poly(points: np.ndarray):
    def draw(m: np.ndarray, s: int) -> None:
        cv2.fillPoly(m, [np.round(np.asarray(points) * s).astype(np.int32)], 1.0, cv2.LINE_AA)

    return draw


def ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0):
    def draw(m: np.ndarray, s: int) -> None:
        cv2.ellipse(
            m,
            (round(cx * s), round(cy * s)),
            (round(rx * s), round(ry * s)),
            angle,
            0,
            360,
            1.0,
            -1,
            cv2.LINE_AA,
        )

    return draw


def stroke(points: np.ndarray, width: float):
    def draw(m: np.ndarray, s: int) -> None:
        pts = np.round(np.asarray(points) * s).astype(np.int32)
        cv2.polylines(m, [pts], False, 1.0, max(1, round(width * s)), cv2.LINE_AA)

    return draw


def bezier(p0, p1, p2, p3, n: int = 64) -> np.ndarray:
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2, p3 = (np.asarray(p, np.float64) for p in (p0, p1, p2, p3))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def rounded_triangle(a, b, c, r: float, n: int = 16) -> np.ndarray:
    """A triangle with its corners rounded by radius ``r``, as a polygon."""
    pts = [np.asarray(p, np.float64) for p in (a, b, c)]
    out = []
    for i in range(3):
        p, prev, nxt = pts[i], pts[i - 1], pts[(i + 1) % 3]
        u, v = (prev - p) / np.linalg.norm(prev - p), (nxt - p) / np.linalg.norm(nxt - p)
        half = np.arccos(np.clip(u @ v, -1, 1)) / 2
        d = r / np.tan(half)
        centre = p + (u + v) / np.linalg.norm(u + v) * r / np.sin(half)
        start, end = p + u * d, p + v * d
        a0 = np.arctan2(*(start - centre)[::-1])
        a1 = np.arctan2(*(end - centre)[::-1])
        if a1 - a0 > np.pi:
            a1 -= 2 * np.pi
        if a0 - a1 > np.pi:
            a1 += 2 * np.pi
        for t in np.linspace(a0, a1, n):
            out.append(centre + r * np.array([np.cos(t), np.sin(t)]))
    return np.array(out)


def save(name: str, img: Image, note: str = "") -> None:
    out = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    out[out[..., 3] == 0, :3] = 0
    path = ASSETS / name
    cv2.imwrite(str(path), out, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"{name}: {out.shape[1]}×{out.shape[0]}, {path.stat().st_size // 1024} KB {note}")


def shade(
    c: Canvas, mask: np.ndarray, base: str, light: str, dark: str, cx: float, cy: float, r: float
) -> None:
    """Fill ``mask`` with a soft radial light (``light`` at (cx, cy) fading to ``base`` then ``dark``)."""
    inner = c.radial(cx, cy, r, bgr(light), bgr(base))
    outer = c.radial(cx, cy, 2.2 * r, bgr(base), bgr(dark))
    t = np.clip(np.hypot(c.x - cx, c.y - cy) / r - 1, 0, 1)[..., None]
    c.paint(mask, inner * (1 - t) + outer * t)


# ----------------------------------------------------------------------------------- stickers


def cat_ears() -> Image:
    """Two ginger cat ears with pink insides, bases fading out (they sit in the hair)."""
    c = Canvas(640, 300)
    for side in (-1, 1):

        def x(v: float, side: int = side) -> float:
            return 320 + side * v

        outer = rounded_triangle((x(300), 292), (x(95), 292), (x(250), 22), 26)
        inner = rounded_triangle((x(258), 280), (x(140), 280), (x(240), 80), 22)
        m = c.mask(poly(outer))
        shade(c, m, "#f2a65a", "#ffd9a0", "#b8652a", x(215), 120, 150)
        c.paint(
            c.mask(poly(outer), blur=0) - c.mask(poly(outer + np.array([0, 8])), blur=3).clip(0, 1),
            bgr("#fff1d6"),
            0.35,
        )
        mi = c.mask(poly(inner), blur=2.5)
        shade(c, mi, "#ff9bb5", "#ffd0dc", "#d9577f", x(215), 150, 110)
        # fur tufts: a few light strokes from the inner ear's base
        for k, (dx, top) in enumerate(((0, 150), (18, 175), (-18, 178))):
            path = bezier(
                (x(205 + dx), 282), (x(205 + dx), 240), (x(210 + dx * 1.4), 205), (x(214 + dx * 1.8), top)
            )
            c.paint(c.mask(stroke(path, 4 - k), blur=1.5), bgr("#fff4e6"), 0.4)
    img = c.result()
    return fade_bottom(img, 0.86, 1.0)


def cat_nose() -> Image:
    c = Canvas(160, 120)
    tri = rounded_triangle((12, 14), (148, 14), (80, 104), 22)
    shade(c, c.mask(poly(tri)), "#f47aa0", "#ffc4d6", "#b83d66", 70, 34, 60)
    c.paint(c.mask(ellipse(60, 32, 22, 10, -8), blur=3), bgr("#ffffff"), 0.55)
    return c.result()


def whiskers() -> Image:
    """Three whiskers on each side, tapering, dark with a faint light edge."""
    c = Canvas(760, 220)
    for side in (-1, 1):
        for angle, bend in ((-13, -14), (0, -6), (13, 6)):
            t = np.radians(angle)
            start = np.array([380 + side * 85, 110 + 40 * np.sin(t)])
            end = start + np.array([side * 280 * np.cos(t), 280 * np.sin(t) * 1.3])
            mid1 = start + (end - start) * 0.35 + [0, bend]
            mid2 = start + (end - start) * 0.7 + [0, bend * 1.3]
            path = bezier(start, mid1, mid2, end, 80)
            for i in range(len(path) - 1):
                w = 7.0 * (1 - i / len(path)) + 1.2
                c.paint(c.mask(stroke(path[i : i + 2], w)), bgr("#2d2a2e"), 0.92)
    return c.result()


def tongue() -> Image:
    """A dog's tongue hanging out: pink-red, lit from above, with a centre groove."""
    c = Canvas(200, 250)
    outline = np.vstack(
        [
            [[18, 0], [182, 0]],
            bezier((182, 0), (190, 120), (180, 240), (100, 242), 40),
            bezier((100, 242), (20, 240), (10, 120), (18, 0), 40),
        ]
    )
    m = c.mask(poly(outline))
    shade(c, m, "#ef5f86", "#ff9cb8", "#b02a52", 80, 130, 90)
    c.paint(m * np.clip(1 - c.y / 60, 0, 1), bgr("#7a1232"), 0.75)  # in the mouth's shadow
    c.paint(
        c.mask(stroke(bezier((100, 20), (101, 80), (99, 130), (100, 170), 40), 7), blur=3),
        bgr("#a8234a"),
        0.75,
    )
    c.paint(c.mask(ellipse(70, 150, 16, 36, 10), blur=6), bgr("#ffd6e2"), 0.45)
    return c.result()


def build_cat(icons: Path) -> None:
    save("cat_ears.png", cat_ears(), "anchor (320, 292): bottom centre")
    save("cat_nose.png", cat_nose(), "anchor (80, 50)")
    save("cat_whiskers.png", whiskers(), "anchor (380, 110)")


def build_dog(icons: Path) -> None:
    ears = trim(emoji(icons, "dog-face", 640, keep=range(23, 32)))
    save("dog_ears.png", ears)
    nose = trim(emoji(icons, "dog-face", 1024, keep=range(39, 43)))
    save("dog_nose.png", resize(nose, 200))
    save("dog_tongue.png", tongue(), "anchor (100, 0): top centre")


def ears_from(
    icons: Path,
    name: str,
    box: tuple[float, float, float, float],
    split_x: float,
    gap_px: int,
    tilt_deg: float,
    width_px: int,
    fade: float = 0.8,
) -> Image:
    """Both ears of an animal emoji: the view-box region ``box`` (x0, y0, x1, y1) cut at ``split_x``,
    each ear tilted outward by ``tilt_deg``, set ``gap_px`` further apart, bases faded out."""
    img = emoji(icons, name, 1024)
    x0, y0, x1, y1 = box
    halves = [crop_units(img, x0, y0, split_x, y1), crop_units(img, split_x, y0, x1, y1)]
    halves = [fade_bottom(h, fade) for h in halves]
    left, right = trim(rotate(halves[0], tilt_deg), 2), trim(rotate(halves[1], -tilt_deg), 2)
    h = max(left.shape[0], right.shape[0])
    w = left.shape[1] + right.shape[1] + gap_px
    out = np.zeros((h, w, 4), np.float32)
    over(out, left, 0, h - left.shape[0])
    over(out, right, w - right.shape[1], h - right.shape[0])
    return resize(out, width_px)


def bunny_teeth() -> Image:
    c = Canvas(120, 110)
    for x0 in (8, 62):
        shape = np.vstack(
            [
                [[x0, 0], [x0 + 50, 0]],
                bezier((x0 + 50, 0), (x0 + 52, 60), (x0 + 50, 96), (x0 + 25, 98), 24),
                bezier((x0 + 25, 98), (x0, 96), (x0 - 2, 60), (x0, 0), 24),
            ]
        )
        m = c.mask(poly(shape))
        c.paint(m, c.linear(0, 100, bgr("#d9d4cf"), bgr("#ffffff")))
        c.paint(c.mask(stroke(shape, 3)), bgr("#b9b2ab"), 0.8)
        c.paint(c.mask(ellipse(x0 + 16, 40, 6, 22), blur=3), bgr("#ffffff"), 0.9)
    return c.result()


def bear_ears() -> Image:
    c = Canvas(640, 230)
    for cx in (92, 548):
        shade(c, c.mask(ellipse(cx, 118, 88, 86)), "#8a5a3c", "#b07a52", "#4f3020", cx - 20, 90, 70)
        shade(c, c.mask(ellipse(cx, 128, 50, 48), blur=3), "#e0a878", "#f6cfa5", "#b97a4c", cx, 112, 40)
    return fade_bottom(c.result(), 0.78)


def bear_nose() -> Image:
    c = Canvas(150, 110)
    shape = np.vstack(
        [
            bezier((10, 30), (10, -6), (140, -6), (140, 30), 30),
            bezier((140, 30), (140, 70), (100, 104), (75, 104), 20),
            bezier((75, 104), (50, 104), (10, 70), (10, 30), 20),
        ]
    )
    shade(c, c.mask(poly(shape)), "#3b2620", "#7a5a4c", "#1c1210", 62, 30, 50)
    c.paint(c.mask(ellipse(55, 26, 24, 10, -6), blur=3), bgr("#ffffff"), 0.5)
    return c.result()


def moustache() -> Image:
    """A curled handlebar moustache, dark brown with a soft top light."""
    c = Canvas(520, 170)
    half = np.vstack(
        [
            bezier((260, 30), (215, 0), (150, 18), (110, 62), 30),
            bezier((110, 62), (80, 96), (40, 106), (30, 72), 30),
            bezier((30, 72), (25, 52), (45, 42), (55, 58), 20),
            bezier((55, 58), (60, 75), (45, 80), (45, 80), 6),
            bezier((45, 80), (70, 135), (140, 140), (190, 120), 30),
            bezier((190, 120), (225, 106), (245, 102), (260, 110), 20),
        ]
    )
    both = [half, np.column_stack([520 - half[:, 0], half[:, 1]])]
    m = c.mask(*(poly(h) for h in both))
    c.paint(m, c.linear(20, 120, bgr("#6b4a33"), bgr("#2a1a12")))
    for h in both:
        c.paint(c.mask(stroke(h, 2.5)), bgr("#1e120c"), 0.6)
    c.paint(
        m * c.mask(ellipse(180, 58, 70, 14, 12), ellipse(340, 58, 70, 14, -12), blur=6), bgr("#b08a6a"), 0.55
    )
    return c.result()


def blush_cheek(mirror: bool) -> Image:
    """A soft pink blush with a few freckles for one cheek (``mirror`` for the image-right one)."""
    c = Canvas(260, 180)
    t = np.clip(np.hypot((c.x - 130) / 115, (c.y - 95) / 70), 0, 1)
    c.paint(np.ones_like(t) * (1 - t * t * (3 - 2 * t)), bgr("#ff6f91"), 0.65)
    rng = np.random.default_rng(11)
    for _ in range(14):
        x, y = rng.uniform(40, 220), rng.uniform(35, 115)
        r = rng.uniform(2.6, 4.4)
        c.paint(c.mask(ellipse(x, y, r, r * 0.85, rng.uniform(0, 180)), blur=1.2), bgr("#8a4b2f"), 0.75)
    img = c.result()
    return img[:, ::-1].copy() if mirror else img


def leaf(c: Canvas, x: float, y: float, length: float, angle_deg: float) -> None:
    t = np.radians(angle_deg)
    d = np.array([np.cos(t), np.sin(t)])
    n = np.array([-d[1], d[0]])
    p0 = np.array([x, y])
    p3 = p0 + d * length
    outline = np.vstack(
        [
            bezier(
                p0,
                p0 + d * length * 0.3 + n * length * 0.35,
                p3 - d * length * 0.25 + n * length * 0.1,
                p3,
                24,
            ),
            bezier(
                p3,
                p3 - d * length * 0.25 - n * length * 0.1,
                p0 + d * length * 0.3 - n * length * 0.35,
                p0,
                24,
            ),
        ]
    )
    m = c.mask(poly(outline))
    shade(c, m, "#4caf50", "#a5d86a", "#2e7d32", *(p0 + d * length * 0.4 + n * length * 0.08), length * 0.5)
    c.paint(
        c.mask(stroke(bezier(p0, p0 + d * length * 0.4, p3 - d * length * 0.3, p3, 12), 2)),
        bgr("#2e6b2f"),
        0.6,
    )


def flower_crown(icons: Path) -> Image:
    """Blossoms on an arc across the top of the head, bigger in front, leaves behind them."""
    w, h = 760, 300
    c = Canvas(w, h)
    xs = np.linspace(-1, 1, 9)

    def arc(u: float) -> tuple[float, float]:
        return 380 + 310 * u, 110 + 100 * (1 - u * u) ** 0.8

    for u in np.linspace(-1.05, 1.05, 14):
        x, y = arc(float(np.clip(u, -1, 1)))
        leaf(c, x, y, 70, -90 + 60 * u + (35 if int(u * 100) % 2 else -35))
    base = c.result()
    kinds = ["cherry-blossom", "hibiscus", "blossom"]
    flowers = {k: trim(emoji(icons, k, 512)) for k in kinds}
    order = [0, 2, 1, 0, 1, 2, 1, 0, 2]
    for i in sorted(range(9), key=lambda i: -abs(xs[i])):
        u = xs[i]
        size = int(205 - 80 * abs(u))
        f = resize(rotate(flowers[kinds[order[i]]], -25 * u), size)
        x, y = arc(float(u))
        over(base, f, int(x - f.shape[1] / 2), int(y - f.shape[0] / 2))
    return base


def face_mask() -> Image:
    """A pleated light-blue surgical mask with ear loops."""
    c = Canvas(600, 400)
    body = np.vstack(
        [
            bezier((95, 45), (200, 12), (400, 12), (505, 45), 40),
            bezier((505, 45), (520, 140), (510, 230), (470, 300), 30),
            bezier((470, 300), (400, 385), (200, 385), (130, 300), 40),
            bezier((130, 300), (90, 230), (80, 140), (95, 45), 30),
        ]
    )
    for top, bottom in (((100, 70), (22, 130)), ((125, 285), (22, 190))):
        for sign in (1, -1):
            x0, x1 = (top[0], bottom[0]) if sign == 1 else (600 - top[0], 600 - bottom[0])
            path = bezier(
                (x0, top[1]), ((x0 + x1) / 2, top[1]), (x1, (top[1] + bottom[1]) / 2), (x1, bottom[1]), 30
            )
            c.paint(c.mask(stroke(path, 7)), bgr("#e9f3fa"), 0.95)
            c.paint(c.mask(stroke(path, 2)), bgr("#9db7c9"), 0.5)
    m = c.mask(poly(body))
    c.paint(m, c.linear(20, 380, bgr("#e4f1fb"), bgr("#9fc4de")))
    c.paint(m * c.radial(300, 150, 260, (1.0,), (0.0,))[..., 0], bgr("#ffffff"), 0.45)
    for y in (120, 190, 260):
        fold = np.array([[110 + (y - 120) * 0.15, y], [300, y - 8], [490 - (y - 120) * 0.15, y]])
        c.paint(
            m * c.mask(stroke(bezier(fold[0], fold[1], fold[1], fold[2], 40), 9), blur=3),
            bgr("#7fa6c2"),
            0.45,
        )
        c.paint(
            m
            * c.mask(
                stroke(bezier(fold[0] - [0, 8], fold[1] - [0, 8], fold[1] - [0, 8], fold[2] - [0, 8], 40), 5),
                blur=2,
            ),
            bgr("#ffffff"),
            0.6,
        )
    c.paint(c.mask(stroke(body, 3)), bgr("#8fb3cc"), 0.7)
    c.paint(
        m * c.mask(stroke(bezier((160, 42), (250, 25), (350, 25), (440, 42), 20), 5), blur=1),
        bgr("#c9d6de"),
        0.9,
    )
    return c.result()


def build_bunny(icons: Path) -> None:
    save("bunny_ears.png", ears_from(icons, "rabbit-face", (8.0, 1.6, 24.5, 10.7), 16.25, 120, 10, 520, 0.8))
    save("bunny_nose.png", resize(trim(emoji(icons, "rabbit-face", 1024, keep=[33, 34, 35])), 120))
    save("bunny_teeth.png", bunny_teeth(), "anchor (60, 0): top centre")


def build_bear(icons: Path) -> None:
    save("bear_ears.png", bear_ears(), "anchor (320, 215)")
    save("bear_nose.png", bear_nose(), "anchor (75, 45)")


def build_fox(icons: Path) -> None:
    save("fox_ears.png", ears_from(icons, "fox", (5.8, 1.6, 26.2, 8.3), 16.0, 150, 14, 560, 0.72))
    save("fox_nose.png", resize(trim(emoji(icons, "fox", 1024, keep=[38])), 120))


def build_hats(icons: Path) -> None:
    save("crown.png", resize(trim(emoji(icons, "crown", 1024)), 420))
    save("top_hat.png", resize(trim(emoji(icons, "top-hat", 1024)), 440))
    save("flower_crown.png", flower_crown(icons))


def build_face(icons: Path) -> None:
    save("moustache.png", moustache(), "anchor (260, 60)")
    save("blush_left.png", blush_cheek(False), "anchor (130, 95)")
    save("blush_right.png", blush_cheek(True), "anchor (130, 95)")
    save("face_mask.png", face_mask(), "anchor (300, 30)")


def build_glasses(icons: Path) -> None:
    """Fluent's glasses and sunglasses with see-through lenses (the emoji's lenses are opaque)."""
    for name, out, lens_alpha in (
        ("glasses", "glasses_blue.png", 0.3),
        ("sunglasses", "glasses_shades.png", 0.8),
    ):
        img = trim(emoji(icons, name, 1024), 0)
        hsv = cv2.cvtColor(np.clip(img[..., :3], 0, 1), cv2.COLOR_BGR2HSV)
        # the lenses: the inside of the frame, found as the pixels not connected to the border
        frame = (img[..., 3] > 0.5) & ~_lens_colour(hsv, name)
        inside = _enclosed(frame)
        highlight = hsv[..., 1] < 0.25
        img[..., 3] = np.where(inside & ~highlight, img[..., 3] * lens_alpha, img[..., 3])
        save(out, pad(resize(img, 616), 12, 12, 12, 12))


def _lens_colour(hsv: np.ndarray, name: str) -> np.ndarray:
    if name == "glasses":
        return (hsv[..., 0] > 180) & (hsv[..., 0] < 215) & (hsv[..., 2] > 0.7)
    return hsv[..., 2] < 0.45


def _enclosed(frame: np.ndarray) -> np.ndarray:
    """Pixels of ``~frame`` not connected to the image border (the holes of the frame)."""
    free = (~frame).astype(np.uint8)
    n, labels = cv2.connectedComponents(free, connectivity=4)
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])))
    holes = np.isin(labels, [i for i in range(1, n) if i not in border])
    return cv2.GaussianBlur(holes.astype(np.float32), (0, 0), 1.5) > 0.5


BUILDERS = {
    "cat": build_cat,
    "dog": build_dog,
    "bunny": build_bunny,
    "bear": build_bear,
    "fox": build_fox,
    "hats": build_hats,
    "face": build_face,
    "glasses": build_glasses,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fluent", type=Path, default=None, help="an unpacked icons/modern folder")
    parser.add_argument("only", nargs="*", help=f"build only these ({', '.join(BUILDERS)})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        icons = args.fluent or fetch_fluent(Path(tmp))
        for name, build in BUILDERS.items():
            if not args.only or name in args.only:
                build(icons)
    return 0


if __name__ == "__main__":
    sys.exit(main())
