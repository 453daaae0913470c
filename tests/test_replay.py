"""The real pipeline on the built-in demo clip (known motion) and on real recordings (when present)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from snowcam.pipeline import build_pipeline, run
from snowcam.replay_metrics import replay_stats
from snowcam.resources import assets_dir, models_dir
from snowcam.sources import VideoFileSource

pytestmark = pytest.mark.skipif(
    not (models_dir() / "keypoints.tflite").is_file(), reason="the shipped model is not built yet"
)
CLIPS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clips"


@pytest.fixture(scope="module")
def demo_results():
    with VideoFileSource(assets_dir() / "demo.mp4") as source:
        return list(run(source, build_pipeline()))


@pytest.fixture(scope="module")
def demo_truth() -> dict:
    return json.loads((assets_dir() / "demo.json").read_text())


def test_demo_has_a_face_in_every_frame_with_one_stable_track(demo_results) -> None:
    assert len(demo_results) == 240
    assert all(len(r.faces) == 1 for r in demo_results)
    assert {r.faces[0].track_id for r in demo_results} == {1}


def test_demo_points_follow_the_known_motion(demo_results, demo_truth) -> None:
    # Reference: the mean prediction over the still opening; each later frame must match it moved by
    # that frame's known transform.
    still = np.stack([r.faces[0].keypoints.xy_px for r in demo_results[:45]])
    p0 = still.mean(axis=0)
    errors = []
    for r, frame in zip(demo_results, demo_truth["frames"], strict=True):
        a = np.asarray(frame["affine_from_frame0"], np.float64)
        truth = p0 @ a[:, :2].T + a[:, 2]
        errors.append(np.linalg.norm(r.faces[0].keypoints.xy_px - truth, axis=-1).mean())
    errors = np.array(errors)
    assert np.median(errors) < 3.0, f"median error {np.median(errors):.2f} px"
    assert np.percentile(errors, 95) < 6.0, f"95th percentile {np.percentile(errors, 95):.2f} px"
    # The quick move ends at frame 168: two frames later the smoothed points have caught up.
    assert errors[170] < 6.0, f"error two frames after the quick move: {errors[170]:.2f} px"


def test_demo_jitter_is_small(demo_results) -> None:
    stats = replay_stats(demo_results[:45])
    assert stats.jitter_median_percent < 0.5


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("clip", sorted(p.name for p in CLIPS.glob("*.mp4")) or ["(no clips)"])
def test_real_recordings_face_found_without_flicker(clip: str) -> None:
    path = CLIPS / clip
    if not path.is_file():
        pytest.skip("../shared/data/clips is absent")
    with VideoFileSource(path) as source:
        stats = replay_stats(list(run(source, build_pipeline())))
    assert stats.face_rate >= 0.99
    assert stats.track_restarts == 0
    assert stats.jitter_median_percent < 1.5
