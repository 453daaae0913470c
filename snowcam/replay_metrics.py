"""Measures of a replayed video: how often a face was found, track stability, keypoint jitter."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from snowcam.types import FrameResult


def jitter_percent(points: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Per-frame, per-point jitter of a keypoint track, in percent of the outer-eye distance.

    ``points`` is ``(T, 68, 2)`` frame pixels of one face over consecutive frames. The jitter at
    frame t is ``|p(t) - 2 p(t-1) + p(t-2)|`` (the second difference: zero for still and for
    uniformly moving points) divided by the eye distance (36–45) at frame t. Returns ``(T-2, 68)``.
    """
    p = np.asarray(points, np.float64)
    if p.ndim != 3 or p.shape[0] < 3:
        return np.zeros((0, p.shape[1] if p.ndim == 3 else 0))
    second = np.linalg.norm(p[2:] - 2 * p[1:-1] + p[:-2], axis=-1)
    iod = np.linalg.norm(p[2:, 45] - p[2:, 36], axis=-1)
    return second / np.maximum(iod, 1e-6)[:, None] * 100.0


@dataclass(frozen=True, slots=True)
class ReplayStats:
    """Summary of a replay: frames, share with a face, distinct track ids, median jitter (%)."""

    frames: int
    face_rate: float
    track_ids: int
    track_restarts: int
    jitter_median_percent: float


def replay_stats(results: Sequence[FrameResult]) -> ReplayStats:
    """Face rate, track ids and the median jitter of the main face's longest unbroken run.

    The main face is the first track id seen; jitter is taken over its runs of consecutive
    frames (at least three long).
    """
    if not results:
        return ReplayStats(0, 0.0, 0, 0, float("nan"))
    with_face = sum(1 for r in results if r.faces)
    ids = [f.track_id for r in results for f in r.faces]
    main_id = ids[0] if ids else None
    runs: list[list[npt.NDArray[np.float32]]] = [[]]
    for r in results:
        face = next((f for f in r.faces if f.track_id == main_id and f.keypoints is not None), None)
        if face is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(face.keypoints.xy_px)  # type: ignore[union-attr]
    first_ids_per_frame = [r.faces[0].track_id for r in results if r.faces]
    restarts = sum(1 for a, b in itertools.pairwise(first_ids_per_frame) if a != b)
    jitters = [jitter_percent(np.stack(run)) for run in runs if len(run) >= 3]
    jitter = float(np.median(np.concatenate([j.ravel() for j in jitters]))) if jitters else float("nan")
    return ReplayStats(len(results), with_face / len(results), len(set(ids)), restarts, jitter)
