"""Put two real clips side by side: a two-person clip on which each face must keep its own track.

Usage::

    python scripts/make_two_person_clip.py [LEFT.mp4 RIGHT.mp4] [--out out/two-people.mp4] [--height 360]

Default: ``../shared/data/clips/talking-d10.mp4`` and ``headturns-d3.mp4``. Each clip is scaled to
the same height, the shorter one sets the length, the first one the frame rate. The result is made
from the shared data, so it stays out of the repository (``out/`` is ignored).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", default=[CLIPS / "talking-d10.mp4", CLIPS / "headturns-d3.mp4"])
    parser.add_argument("--out", default="out/two-people.mp4")
    parser.add_argument("--height", type=int, default=360)
    args = parser.parse_args()
    if len(args.clips) != 2:
        parser.error("give two clips, or none for the default pair")
    caps = [cv2.VideoCapture(str(c)) for c in args.clips]
    if not all(c.isOpened() for c in caps):
        raise SystemExit(f"cannot read {args.clips}")
    fps = caps[0].get(cv2.CAP_PROP_FPS) or 30.0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    n = 0
    while True:
        frames = [c.read()[1] for c in caps]
        if any(f is None for f in frames):
            break
        scaled = [cv2.resize(f, (round(f.shape[1] * args.height / f.shape[0]), args.height)) for f in frames]
        frame = np.hstack(scaled)
        if writer is None:
            size = (frame.shape[1], frame.shape[0])
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        writer.write(frame)
        n += 1
    if writer is None:
        raise SystemExit("no frames")
    writer.release()
    print(f"wrote {out}: {n} frames, {frame.shape[1]}×{frame.shape[0]} at {fps:g} fps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
