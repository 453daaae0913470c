"""Median time of one face through a model: crop (from a 640×480 frame) + LiteRT invoke, 1 thread.

Usage: python scripts/model_speed.py MODEL.tflite [MODEL.tflite ...]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

from snowcam.geometry import crop_face
from snowcam.keypoints import KeypointModel
from snowcam.types import CropRegion


def main(argv: list[str]) -> int:
    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    region = CropRegion(320, 240, 200, 10.0)
    for path in argv:
        model = KeypointModel(path, num_threads=1)
        times = []
        for _ in range(400):
            start = time.perf_counter()
            crop, _ = crop_face(frame, region)
            model.predict_crops(crop[None])
            times.append((time.perf_counter() - start) * 1000)
        size = Path(path).stat().st_size / 1e6
        print(f"{path}: {statistics.median(times[50:]):.3f} ms per face (median), {size:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
