"""Render a contact sheet of augmented training crops with their 68 points, to check augmentation by eye.

Each row is one photo: the plain crop of the crop rule first, then seeded augmented samples (as
``snowcam train`` makes them: rotations, shifts and photometric changes, plus mirrors, which
training uses only with ``--flip-probability`` but which the sheet keeps to check the swap). Points on
the image-left half of the face (by index: 0–7, 17–21, 31–32, 36–41, …) are drawn orange, the
image-right half cyan, the midline white; 36 and 45 (outer eye corners) are labelled. After a
mirror, orange must still be on the left and "36" on the image-left eye.

    python scripts/augment_sheet.py out/augment_sheet.png [--data ../shared/data/300w-train]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.datasets import DataError, load_faces68_folder
from snowcam.geometry import region_from_keypoints
from snowcam.training.augment import AugmentConfig, augmentation_affine, make_sample
from snowcam.types import FLIP_PERMUTATION_68

TILE = 192
ORANGE, CYAN, WHITE = (0, 150, 255), (255, 220, 0), (255, 255, 255)


def side_colors() -> list[tuple[int, int, int]]:
    """Orange for image-left points, cyan for their mirror partners, white for the midline."""
    colors: list[tuple[int, int, int]] = []
    for i, partner in enumerate(FLIP_PERMUTATION_68):
        colors.append(WHITE if partner == i else ORANGE if i < partner else CYAN)
    return colors


def draw_tile(
    crop: npt.NDArray[np.uint8], points: npt.NDArray[np.float32], label: str
) -> npt.NDArray[np.uint8]:
    """A crop scaled to the tile size with its points and a label."""
    scale = TILE / crop.shape[0]
    tile = cv2.cvtColor(cv2.resize(crop, (TILE, TILE), interpolation=cv2.INTER_LINEAR), cv2.COLOR_GRAY2BGR)
    for i, ((x, y), color) in enumerate(zip(points, side_colors(), strict=True)):
        if np.isnan(x) or np.isnan(y):
            continue
        center = (round((x + 0.5) * scale - 0.5), round((y + 0.5) * scale - 0.5))
        cv2.circle(tile, center, 2, color, -1, cv2.LINE_AA)
        if i in (36, 45):
            cv2.putText(
                tile, str(i), (center[0] - 8, center[1] - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35, color, 1
            )
    cv2.putText(tile, label, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 255, 0), 1, cv2.LINE_AA)
    return tile


def render_sheet(data_dir: Path, n_images: int, n_samples: int, seed: int) -> npt.NDArray[np.uint8]:
    """Rows of (plain crop, ``n_samples`` augmented crops) for the first ``n_images`` photos."""
    data = load_faces68_folder(data_dir, limit=n_images)
    rows = []
    for k, (gray, points) in enumerate(zip(data.images, data.points, strict=True)):
        region = region_from_keypoints(points, rotate=k % 2 == 1)
        crop, pts = make_sample(
            gray, points, region, FLIP_PERMUTATION_68, np.random.default_rng(0), AugmentConfig.none()
        )
        tiles = [draw_tile(crop, pts, f"plain {data.files[k][:18]}")]
        for s in range(n_samples):
            rng_seed = [seed, k, s]
            _, mirrored = augmentation_affine(np.random.default_rng(rng_seed), AugmentConfig())
            crop, pts = make_sample(
                gray, points, region, FLIP_PERMUTATION_68, np.random.default_rng(rng_seed), AugmentConfig()
            )
            tiles.append(draw_tile(crop, pts, "mirrored" if mirrored else "augmented"))
        rows.append(np.hstack(tiles))
    return np.vstack(rows)


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="the PNG to write")
    parser.add_argument("--data", type=Path, default=repo.parent / "shared" / "data" / "300w-train")
    parser.add_argument("--images", type=int, default=8, help="photos (rows)")
    parser.add_argument("--samples", type=int, default=5, help="augmented samples per photo")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    try:
        sheet = render_sheet(args.data, args.images, args.samples, args.seed)
    except DataError as exc:
        print(f"augment_sheet: {exc}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.output), sheet):
        print(f"cannot write {args.output}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({sheet.shape[1]}×{sheet.shape[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
