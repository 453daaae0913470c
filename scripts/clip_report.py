"""Replay clips through the real pipeline, with and without smoothing, and print a Markdown table.

Usage: python scripts/clip_report.py [CLIP ...]   (default: ../shared/data/clips/*.mp4 and the demo clip)

Per clip: frames, share of frames with a face, distinct track ids, track restarts, how many frames
show 0, 1, 2... faces (a second face on a one-person clip is a ghost), and the median keypoint jitter
(second difference / outer-eye distance, %) raw and smoothed. On the demo clip, whose
true motion is known, it also prints how far the smoothed points trail the truth around the quick move.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from snowcam.pipeline import PipelineSettings, build_pipeline, run
from snowcam.replay_metrics import replay_stats
from snowcam.resources import assets_dir
from snowcam.sources import VideoFileSource
from snowcam.tracking import TrackerConfig

REPO = Path(__file__).resolve().parents[1]


def replay(path: Path, smooth: bool):
    settings = PipelineSettings(tracker=dataclasses.replace(TrackerConfig(), smooth=smooth))
    pipeline = build_pipeline(settings)
    with VideoFileSource(path) as source:
        return list(run(source, pipeline))


def demo_lag(smoothed, raw) -> list[str]:
    meta = json.loads((assets_dir() / "demo.json").read_text())
    frames = meta["frames"]
    p0 = np.mean([r.faces[0].keypoints.xy_px for r in raw[:45] if r.faces], axis=0)
    lines = []
    for name, results in (("raw", raw), ("smoothed", smoothed)):
        errs = []
        for t in range(160, 176):
            a = np.asarray(frames[t]["affine_from_frame0"], np.float64)
            truth = p0 @ a[:, :2].T + a[:, 2]
            face = results[t].faces[0]
            iod = np.linalg.norm(truth[45] - truth[36])
            errs.append(np.linalg.norm(face.keypoints.xy_px - truth, axis=-1).mean() / iod * 100)
        lines.append(f"{name:9s} " + " ".join(f"{e:4.1f}" for e in errs))
    return ["demo quick move (frames 160–175; move at 165→168): mean error vs truth, % eye distance", *lines]


def main(argv: list[str]) -> int:
    clips = [Path(a) for a in argv] or [
        *sorted((REPO.parent / "shared" / "data" / "clips").glob("*.mp4")),
        assets_dir() / "demo.mp4",
    ]
    columns = ["clip", "frames", "face found", "track ids", "restarts", "frames by face count"]
    print("| " + " | ".join([*columns, "jitter raw", "jitter smoothed"]) + " |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    notes = []
    for clip in clips:
        raw, smoothed = replay(clip, False), replay(clip, True)
        r, s = replay_stats(raw), replay_stats(smoothed)
        counts = Counter(len(result.faces) for result in smoothed)
        by_count = ", ".join(f"{k}: {counts[k]}" for k in sorted(counts))
        print(
            f"| {clip.name} | {s.frames} | {s.face_rate * 100:.1f} % | {s.track_ids} | {s.track_restarts} | "
            f"{by_count} | {r.jitter_median_percent:.2f} % | {s.jitter_median_percent:.2f} % |",
            flush=True,
        )
        if clip.name == "demo.mp4":
            notes = demo_lag(smoothed, raw)
    for line in notes:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
