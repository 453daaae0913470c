"""Make a clip of a small face, the user sitting back from a laptop: the demo clip shrunk in a 640×480 frame.

Each frame of ``assets/demo.mp4`` (the astronaut, her face box about 130 px in frame 0, scaled
0.8–1.25 by the clip's own motion) is shrunk so that her frame-0 face is ``--face-px`` wide and
moved around the 640×480 frame on a slow loop (it crosses every zoom tile of
:func:`snowcam.blazeface.zoom_tiles` and their borders); the edges of the shrunk frame are
repeated out to the border. Deterministic; nothing is committed (the clip is rebuilt on demand).

Usage::

    python scripts/make_small_face_clip.py [--out out/small-face.mp4] [--face-px 60]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.resources import assets_dir
from snowcam.sources import VideoFileSource

WIDTH, HEIGHT, FPS = 640, 480, 30
DEMO_FACE_PX = 130.0  # the demo's frame-0 face box side (assets/demo.json)
DEMO_FACE_CENTRE_XY = (320.0, 235.0)


def shrink(frame: npt.NDArray[np.uint8], face_px: float, t: float) -> npt.NDArray[np.uint8]:
    """The demo frame shrunk so its frame-0 face is ``face_px`` wide, its face centre on the loop at
    time fraction ``t`` (0..1)."""
    s = face_px / DEMO_FACE_PX
    cx = WIDTH / 2 + 0.36 * WIDTH * np.sin(2 * np.pi * t)
    cy = HEIGHT / 2 + 0.3 * HEIGHT * np.sin(4 * np.pi * t + 0.5)
    fx, fy = DEMO_FACE_CENTRE_XY
    affine = np.array([[s, 0, cx - s * fx], [0, s, cy - s * fy]], np.float64)
    return cv2.warpAffine(
        frame, affine, (WIDTH, HEIGHT), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/small-face.mp4")
    parser.add_argument("--face-px", type=float, default=60.0, help="frame-0 face box side (default 60)")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with VideoFileSource(assets_dir() / "demo.mp4") as source:
        frames = []
        while (item := source.read()) is not None:
            frames.append(item[1])
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise SystemExit(f"cannot write {out}")
    for k, frame in enumerate(frames):
        writer.write(shrink(frame, args.face_px, k / len(frames)))
    writer.release()
    size = f"{WIDTH}×{HEIGHT}, face {args.face_px:g} px in frame 0 (×0.8–1.25 later)"
    print(f"wrote {out}: {len(frames)} frames, {size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
