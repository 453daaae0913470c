"""Make a face-free textured 640×480 clip, the "empty room" of ``snowcam bench``.

A mosaic of scikit-image's sample images that show no face (coffee, rocket, brick, gravel, grass,
coins, clock, moon, text, a horse, Hubble's deep field, a tissue stain) is filmed by a slowly panning and
zooming virtual camera: detail at every scale, edges, text and round shapes, the things that
fool face detectors. Deterministic; nothing is committed (the clip is rebuilt on demand).

Usage (needs the ``dev`` extra for scikit-image)::

    python scripts/make_facefree_clip.py [--out out/facefree.mp4] [--frames 150]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

WIDTH, HEIGHT, FPS = 640, 480, 30
TILE = 400  # px, each sample image is fitted into a TILE×TILE cell
IMAGES = (
    "coffee", "rocket", "brick", "gravel", "grass", "coins",
    "clock", "moon", "text", "horse", "hubble_deep_field", "immunohistochemistry",
)  # fmt: skip


def _bgr(image: npt.NDArray) -> npt.NDArray[np.uint8]:
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.ndim == 2:
        return cv2.cvtColor(image.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[..., :3].astype(np.uint8), cv2.COLOR_RGB2BGR)


def mosaic() -> npt.NDArray[np.uint8]:
    """The sample images, each scaled to cover a TILE×TILE cell, in a 4×3 grid (1600×1200 BGR)."""
    from skimage import data

    canvas = np.zeros((3 * TILE, 4 * TILE, 3), np.uint8)
    for k, name in enumerate(IMAGES):
        image = _bgr(getattr(data, name)())
        scale = TILE / min(image.shape[:2])
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        r, c = divmod(k, 4)
        canvas[r * TILE : (r + 1) * TILE, c * TILE : (c + 1) * TILE] = image[:TILE, :TILE]
    return canvas


def view(canvas: npt.NDArray[np.uint8], t: float) -> npt.NDArray[np.uint8]:
    """The camera's 640×480 view at time fraction ``t`` (0..1): a loop over the mosaic, zoom 0.8–1.6."""
    h, w = canvas.shape[:2]
    zoom = 1.2 + 0.4 * np.sin(2 * np.pi * t * 1.5)
    cx = w / 2 + 0.3 * w * np.sin(2 * np.pi * t)
    cy = h / 2 + 0.25 * h * np.sin(4 * np.pi * t)
    affine = np.array([[zoom, 0, WIDTH / 2 - zoom * cx], [0, zoom, HEIGHT / 2 - zoom * cy]], np.float64)
    return cv2.warpAffine(canvas, affine, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/facefree.mp4")
    parser.add_argument("--frames", type=int, default=150)
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas = mosaic()
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise SystemExit(f"cannot write {out}")
    for i in range(args.frames):
        writer.write(view(canvas, i / args.frames))
    writer.release()
    print(f"wrote {out}: {args.frames} frames, {WIDTH}×{HEIGHT} at {FPS} fps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
