"""A contact sheet: every registered filter on one real face, through the real pipeline.

    python scripts/contact_sheet.py                      # docs/filters.png from the demo clip, frame 30
    python scripts/contact_sheet.py --clip CLIP --frame 10 --frame 90 --out /tmp/sheet.png --filter cat

The clip is run through the pipeline (detector, keypoint model, tracker) without filters up to
the chosen frames; each filter is then drawn on those frames with :func:`snowcam.filters.render`,
the function production uses, at the frame's time and with its default strength; effects whose
factory takes ``preview`` (triggered by an expression) are made with ``preview=True`` so one
still frame shows them. Each tile is a close-up around the face. With several ``--frame``
values, each filter gets a row.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

import cv2
import numpy as np

from snowcam.filters import FILTERS, create_filter, filter_names, render
from snowcam.filters.base import Filter
from snowcam.pipeline import build_pipeline, run
from snowcam.resources import assets_dir
from snowcam.sources import VideoFileSource
from snowcam.types import Face, FrameResult

TILE_PX = 200


def frames_with_faces(clip: Path, indices: list[int]) -> list[FrameResult]:
    """The pipeline's results (no filters) at the given frame indices of ``clip``."""
    wanted = sorted(set(indices))
    found: dict[int, FrameResult] = {}
    pipeline = build_pipeline()
    with VideoFileSource(str(clip)) as source:
        for i, result in enumerate(run(source, pipeline)):
            if i in wanted:
                found[i] = result
            if i >= wanted[-1]:
                break
    missing = [i for i in wanted if i not in found]
    if missing:
        raise SystemExit(f"{clip}: has no frame {missing[0]}")
    return [found[i] for i in indices]


def still_filter(name: str) -> Filter:
    """``name`` at its default strength, in preview mode when its factory has one."""
    info = FILTERS[name]
    try:
        previews = "preview" in inspect.signature(info.factory).parameters
    except (TypeError, ValueError):
        previews = False
    if not previews:
        return create_filter(name)
    if info.has_strength:
        return info.factory(strength=info.default_strength, preview=True)
    return info.factory(preview=True)


def close_up(frame: np.ndarray, faces: tuple[Face, ...]) -> np.ndarray:
    """A square around the first face with room above it for hats and ears, ``TILE_PX`` wide."""
    h, w = frame.shape[:2]
    if not faces:
        side = min(h, w)
        x0, y0 = (w - side) // 2, (h - side) // 2
    else:
        box = faces[0].box
        side = int(max(box.w, box.h) * 2.5)
        cx, cy = box.x + box.w / 2, box.y + box.h / 2 - 0.28 * side
        x0, y0 = int(cx - side / 2), int(cy - side / 2 + 0.07 * side)
    pad = side
    padded = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(40, 40, 40))
    crop = padded[y0 + pad : y0 + pad + side, x0 + pad : x0 + pad + side]
    return cv2.resize(crop, (TILE_PX, TILE_PX), interpolation=cv2.INTER_AREA)


def caption(tile: np.ndarray, text: str) -> np.ndarray:
    out = tile.copy()
    cv2.rectangle(out, (0, TILE_PX - 24), (TILE_PX, TILE_PX), (30, 30, 30), -1)
    cv2.putText(out, text, (6, TILE_PX - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def sheet(results: list[FrameResult], names: list[str], columns: int) -> np.ndarray:
    tiles = []
    for name in names:
        for result in results:
            filt = still_filter(name)
            out = render(result.frame, result.faces, [filt], result.t_s)
            label = f"{name} ({FILTERS[name].group})"
            tiles.append(caption(close_up(out, result.faces), label))
    if len(results) > 1:
        columns = len(results)
    while len(tiles) % columns:
        tiles.append(np.full_like(tiles[0], 255))
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    return np.vstack(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clip", type=Path, default=assets_dir() / "demo.mp4")
    parser.add_argument("--frame", type=int, action="append", default=None, help="frame index (repeatable)")
    parser.add_argument("--filter", action="append", default=None, help="only these filters (repeatable)")
    parser.add_argument("--columns", type=int, default=6)
    parser.add_argument("--out", type=Path, default=Path("docs/filters.png"))
    args = parser.parse_args(argv)
    names = args.filter or filter_names()
    unknown = [n for n in names if n not in FILTERS]
    if unknown:
        raise SystemExit(f"unknown filter {unknown[0]!r}")
    results = frames_with_faces(args.clip, args.frame or [30])
    if not any(r.faces for r in results):
        raise SystemExit(f"{args.clip}: no face found in the chosen frames")
    image = sheet(results, names, args.columns)
    cv2.imwrite(str(args.out), image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {args.out}: {len(names)} filters, {image.shape[1]}×{image.shape[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
