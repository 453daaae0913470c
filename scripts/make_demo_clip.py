"""Make the built-in demo clip ``assets/demo.mp4`` and its exact motion ``assets/demo.json``.

The portrait is scikit-image's public-domain ``astronaut.png`` (NASA photo of Eileen Collins),
moved by a known similarity transform per frame (drifts, rolls to ±20°, scale 0.8–1.25, still
segments and one quick head movement) on a plain backdrop. Everything is analytic, so the clip is
reproducible and every frame has exact ground truth: a point ``p0`` in frame 0 is at
``A_t @ [p0, 1]`` in frame ``t``.

Usage (needs the ``dev`` extra for scikit-image)::

    python scripts/make_demo_clip.py [--out-dir assets]
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.files import write_text_atomic
from snowcam.video_writer import VideoWriter

Affine = npt.NDArray[np.float64]  # 2×3

WIDTH, HEIGHT = 640, 480
FPS = 30
N_FRAMES = 240

# Hand-picked on astronaut.png (x, y pixels): the region of the 68 points (jaw to brows) and the
# outer eye corners, accurate to about ±3 px. The clip is planned around them.
FACE_BOX_SOURCE_XYWH = (178.0, 88.0, 96.0, 92.0)
OUTER_EYE_CORNERS_SOURCE_XY = ((193.0, 102.0), (258.0, 102.0))

SOURCE_SCALE = 1.35  # source px -> frame-0 px; puts the outer eye distance at ~88 px in frame 0
FACE_CENTER_FRAME0_XY = (320.0, 235.0)
BACKDROP_BGR = (196, 201, 210)  # the studio backdrop's own tone, so the portrait's edge is soft
FEATHER_PX = 20.0  # source px over which the portrait fades into the backdrop


@dataclass(frozen=True)
class Key:
    """The pose reached at ``frame``: shift of the face centre (frame px), roll (deg, positive =
    clockwise on screen, as ``Keypoints.roll_deg``) and scale relative to frame 0."""

    frame: int
    dx_px: float
    dy_px: float
    roll_deg: float
    scale: float
    ease: str = "smooth"  # how the pose moves from the previous key: "smooth" or "linear"


KEYS: tuple[Key, ...] = (
    Key(0, 0.0, 0.0, 0.0, 1.0),
    Key(45, 0.0, 0.0, 0.0, 1.0),
    Key(105, 55.0, 20.0, 20.0, 0.85),
    Key(150, -45.0, -15.0, -20.0, 1.2),
    Key(165, -50.0, -10.0, -18.0, 1.25),
    Key(168, 10.0, -10.0, -3.0, 1.25, ease="linear"),
    Key(195, 10.0, -10.0, -3.0, 1.25),
    Key(239, 0.0, 10.0, 5.0, 0.8),
)

SEGMENTS: tuple[tuple[str, int, int], ...] = (
    ("still", 0, 45),
    ("drift right, roll to +20°, shrink to 0.85", 45, 105),
    ("drift left, roll to -20°, grow to 1.2", 105, 150),
    ("slow drift, grow to 1.25", 150, 165),
    ("QUICK: +60 px shift and +15° roll over 3 frames", 165, 168),
    ("still after the quick move", 168, 195),
    ("drift back, roll to +5°, shrink to 0.8", 195, 239),
)


def pose_at(frame: int) -> tuple[float, float, float, float]:
    """``(dx_px, dy_px, roll_deg, scale)`` at a frame index, interpolated between the keys."""
    for prev, key in itertools.pairwise(KEYS):
        if prev.frame <= frame <= key.frame:
            u = (frame - prev.frame) / (key.frame - prev.frame)
            w = u if key.ease == "linear" else u * u * (3.0 - 2.0 * u)
            a = np.array([prev.dx_px, prev.dy_px, prev.roll_deg, prev.scale])
            b = np.array([key.dx_px, key.dy_px, key.roll_deg, key.scale])
            dx, dy, roll, scale = a + (b - a) * w
            return float(dx), float(dy), float(roll), float(scale)
    raise ValueError(f"frame {frame} is outside the keys (0–{KEYS[-1].frame})")


def similarity(
    scale: float, roll_deg: float, center_xy: tuple[float, float], shift_xy: tuple[float, float]
) -> Affine:
    """The 2×3 map ``p -> scale·R(roll)·(p - center) + center + shift`` (y down, roll clockwise)."""
    th = np.deg2rad(roll_deg)
    c, s = scale * np.cos(th), scale * np.sin(th)
    lin = np.array([[c, -s], [s, c]])
    center = np.asarray(center_xy, np.float64)
    offset = center + np.asarray(shift_xy, np.float64) - lin @ center
    return np.hstack([lin, offset[:, None]])


def compose(outer: Affine, inner: Affine) -> Affine:
    """The 2×3 affine ``outer ∘ inner`` (``inner`` first)."""
    return (np.vstack([outer, [0, 0, 1]]) @ np.vstack([inner, [0, 0, 1]]))[:2]


def source_to_frame0() -> Affine:
    """Source (astronaut.png) pixels to frame-0 pixels: scale about the face box centre."""
    x, y, w, h = FACE_BOX_SOURCE_XYWH
    cx, cy = x + w / 2.0, y + h / 2.0
    fx, fy = FACE_CENTER_FRAME0_XY
    return np.array(
        [[SOURCE_SCALE, 0.0, fx - SOURCE_SCALE * cx], [0.0, SOURCE_SCALE, fy - SOURCE_SCALE * cy]]
    )


def frame_affines() -> list[Affine]:
    """Per frame, the 2×3 affine from frame-0 pixels to that frame's pixels."""
    out: list[Affine] = []
    for i in range(N_FRAMES):
        dx, dy, roll, scale = pose_at(i)
        out.append(similarity(scale, roll, FACE_CENTER_FRAME0_XY, (dx, dy)))
    return out


def load_portrait_bgr() -> npt.NDArray[np.uint8]:
    from skimage import data  # dev-only dependency, imported here so the module stays importable

    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


def feather_mask(height: int, width: int) -> npt.NDArray[np.float32]:
    """1 inside the portrait, easing to 0 over ``FEATHER_PX`` at its edges."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    edge = np.minimum.reduce([xs + 0.5, ys + 0.5, width - 0.5 - xs, height - 0.5 - ys])
    u = np.clip(edge / FEATHER_PX, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def render(
    portrait: npt.NDArray[np.uint8], mask: npt.NDArray[np.float32], src_to_frame: Affine
) -> npt.NDArray[np.uint8]:
    """One frame: the portrait warped by ``src_to_frame`` and blended onto the backdrop."""
    size = (WIDTH, HEIGHT)
    warped = cv2.warpAffine(
        portrait, src_to_frame, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    ).astype(np.float32)
    alpha = cv2.warpAffine(mask, src_to_frame, size, flags=cv2.INTER_LINEAR, borderValue=0.0)[..., None]
    backdrop = np.array(BACKDROP_BGR, np.float32)
    return np.clip(warped * alpha + backdrop * (1.0 - alpha) + 0.5, 0, 255).astype(np.uint8)


def metadata(affines: list[Affine]) -> dict[str, Any]:
    to0 = source_to_frame0()
    x, y, w, h = FACE_BOX_SOURCE_XYWH
    box0 = [round(float(v), 3) for v in (*(to0 @ [x, y, 1.0]), w * SOURCE_SCALE, h * SOURCE_SCALE)]
    eyes0 = [[round(float(v), 3) for v in to0 @ [px, py, 1.0]] for px, py in OUTER_EYE_CORNERS_SOURCE_XY]
    frames: list[dict[str, Any]] = []
    for i, a in enumerate(affines):
        dx, dy, roll, scale = pose_at(i)
        frames.append(
            {
                "index": i,
                "t_s": round(i / FPS, 6),
                "affine_from_frame0": [[round(float(v), 6) for v in row] for row in a],
                "dx_px": round(dx, 4),
                "dy_px": round(dy, 4),
                "roll_deg": round(roll, 4),
                "scale": round(scale, 6),
            }
        )
    return {
        "fps": FPS,
        "width": WIDTH,
        "height": HEIGHT,
        "frame_count": N_FRAMES,
        "coordinates": (
            "pixels, origin at the top-left pixel centre, x right, y down. affine_from_frame0 is the "
            "2×3 matrix A_t with p_t = A_t @ [x0, y0, 1]. roll_deg is positive clockwise on screen "
            "(as snowcam.types.Keypoints.roll_deg); dx/dy are the shift of the face centre."
        ),
        "face_center_frame0_xy": list(FACE_CENTER_FRAME0_XY),
        "face_box_frame0_xywh": box0,
        "outer_eye_corners_frame0_xy": eyes0,
        "face_annotation_note": "face box and eye corners are hand-picked on the source, about ±3 px",
        "source_to_frame0": [[round(float(v), 6) for v in row] for row in to0],
        "segments_note": "the pose is a key at start_frame and end_frame; the motion happens in between",
        "segments": [{"name": n, "start_frame": a, "end_frame": b} for n, a, b in SEGMENTS],
        "provenance": {
            "image": "astronaut.png from scikit-image (skimage.data.astronaut()), RGB converted to BGR",
            "image_origin": "NASA portrait of astronaut Eileen Collins, NASA Great Images database "
            "(https://flic.kr/p/r9qvLn), as documented by scikit-image",
            "image_licence": "no known copyright restrictions, released into the public domain",
            "generator": "scripts/make_demo_clip.py",
            "codec": "mp4v (MPEG-4 Part 2) in MP4, written with OpenCV " + cv2.__version__,
        },
        "frames": frames,
    }


def to_json(meta: dict[str, Any]) -> str:
    """Readable JSON with one line per frame, so diffs of the ground truth stay small."""
    head = {k: v for k, v in meta.items() if k != "frames"}
    text = json.dumps(head, indent=1, ensure_ascii=False)
    rows = ",\n  ".join(json.dumps(f, ensure_ascii=False) for f in meta["frames"])
    return text[:-2] + ',\n "frames": [\n  ' + rows + "\n ]\n}\n"


def count_readable_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parents[1] / "assets")
    args = parser.parse_args(argv)
    out_dir: Path = args.out_dir
    portrait = load_portrait_bgr()
    mask = feather_mask(*portrait.shape[:2])
    to0 = source_to_frame0()
    affines = frame_affines()

    video_path = out_dir / "demo.mp4"
    with VideoWriter(video_path, FPS, (WIDTH, HEIGHT)) as writer:
        for a in affines:
            writer.write(render(portrait, mask, compose(a, to0)))
    n = count_readable_frames(video_path)
    if n != N_FRAMES:
        raise SystemExit(f"{video_path} reads back {n} frames, expected {N_FRAMES}")

    json_path = out_dir / "demo.json"
    write_text_atomic(json_path, to_json(metadata(affines)))
    size_kb = video_path.stat().st_size / 1024
    print(f"wrote {video_path} ({size_kb:.0f} KiB, {N_FRAMES} frames) and {json_path}")


if __name__ == "__main__":
    main()
