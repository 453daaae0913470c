"""Time MediaPipe Face Mesh and ``snowcam bench`` on the same clip, interleaved, in one run.

MediaPipe is not a snowcam dependency (it pins numpy<2 and protobuf<5), so this script runs in a
separate virtual environment and starts snowcam's own interpreter for the bench::

    python -m venv /tmp/mp-venv && /tmp/mp-venv/bin/pip install mediapipe==0.10.21
    /tmp/mp-venv/bin/python scripts/time_mediapipe.py out/facefree.mp4 [--runs 3]

The clip's frames are decoded and converted to RGB before timing; MediaPipe's time is
``FaceMesh.process`` per frame (its BlazeFace detector on every frame without a face, then the mesh
model), snowcam's is ``processing_no_filters_ms_mean`` of ``snowcam bench --json`` (detector,
keypoints and tracking; no filters, no decoding). snowcam's interpreter is the one this virtual
environment was made from (``--snowcam-python`` to choose another); it imports snowcam from this
checkout. Prints one JSON object: each run and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]


def read_rgb(path: str) -> list:
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise SystemExit(f"{path}: no frames")
    return frames


def time_face_mesh(frames: list, max_faces: int) -> dict:
    import mediapipe as mp

    times, with_face = [], 0
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=max_faces) as mesh:
        for frame in frames:
            start = time.perf_counter()
            result = mesh.process(frame)
            times.append((time.perf_counter() - start) * 1000.0)
            with_face += bool(result.multi_face_landmarks)
    return {
        "ms_mean": statistics.fmean(times),
        "ms_median": statistics.median(times),
        "frames_with_face": with_face,
    }


def snowcam_bench(python: str, clip: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [python, "-m", "snowcam.cli", "bench", clip, "--json"],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = json.loads(out)
    return {
        "ms_mean": report["processing_no_filters_ms_mean"],
        "ms_median": report["processing_no_filters_ms_median"],
        "frames_with_face": report["frames_with_face"],
        "detect_ms_when_run": report["detect_ms_when_run"],
        "detector": report["detector"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-faces", type=int, default=1, help="Face Mesh's max_num_faces (its default: 1)")
    parser.add_argument("--snowcam-python", default=getattr(sys, "_base_executable", sys.executable))
    args = parser.parse_args()
    import mediapipe as mp

    frames = read_rgb(args.clip)
    runs = []
    for _ in range(args.runs):
        runs.append(
            {
                "mediapipe_face_mesh": time_face_mesh(frames, args.max_faces),
                "snowcam": snowcam_bench(args.snowcam_python, args.clip),
            }
        )
    medians = {
        name: {key: statistics.median(r[name][key] for r in runs) for key in ("ms_mean", "ms_median")}
        for name in ("mediapipe_face_mesh", "snowcam")
    }
    report = {
        "clip": args.clip,
        "frames": len(frames),
        "mediapipe": mp.__version__,
        "runs": runs,
        "median_over_runs": medians,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
