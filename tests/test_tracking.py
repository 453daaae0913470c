"""The tracker with a scripted detector and an oracle model: ids, detection schedule, confirmation, drops,
smoothing."""

from __future__ import annotations

import numpy as np

from snowcam.tracking import FaceTracker, TrackerConfig
from snowcam.types import FaceBox
from tests.fakes import FakeDetector, OracleModel, ScriptedScene
from tests.helpers import template_points

FRAME = np.zeros((480, 640, 3), np.uint8)


def make(config: TrackerConfig | None = None, noise_px: float = 0.0):
    scene = ScriptedScene()
    detector = FakeDetector(scene)
    model = OracleModel(scene, noise_px=noise_px)
    return scene, detector, FaceTracker(detector, model, config or TrackerConfig(smooth=False))


def test_one_moving_face_keeps_one_id_and_detector_runs_every_n_frames() -> None:
    scene, detector, tracker = make(TrackerConfig(detect_every_n_frames=10, smooth=False))
    ids = set()
    for i in range(40):
        scene.faces = [template_points((200 + 3 * i, 240), 80, roll_deg=i * 0.5)]
        faces = tracker.update(FRAME, i / 30)
        assert len(faces) == 1
        np.testing.assert_allclose(faces[0].keypoints.xy_px, scene.faces[0], atol=1e-3)
        ids.add(faces[0].track_id)
    assert ids == {1}
    assert detector.calls == 4  # frames 0, 10, 20, 30


def test_face_that_leaves_is_dropped_after_a_grace_period_and_not_recreated() -> None:
    scene, _, tracker = make(TrackerConfig(detect_every_n_frames=5, max_detector_misses=2, smooth=False))
    scene.faces = [template_points((320, 240), 80)]
    for i in range(5):
        tracker.update(FRAME, i / 30)
    scene.faces = []
    counts = [len(tracker.update(FRAME, (5 + i) / 30)) for i in range(20)]
    assert counts[0] == 0  # the oracle returns a collapsed shape at once: implausible, dropped
    assert all(c == 0 for c in counts)


def test_track_survives_detector_misses_while_the_face_is_still_there() -> None:
    config = TrackerConfig(detect_every_n_frames=5, max_detector_misses=3, smooth=False)
    scene, detector, tracker = make(config)
    scene.faces = [template_points((320, 240), 80)]
    tracker.update(FRAME, 0.0)
    detector.blind = True  # a head turn: Haar misses, the keypoints still follow
    kept = {i: len(tracker.update(FRAME, i / 30)) for i in range(1, 17)}
    # Detector runs at frames 5, 10 and 15: two misses are tolerated, the third drops the track.
    assert all(kept[i] == 1 for i in range(1, 15))
    assert kept[15] == 0 and kept[16] == 0


def test_second_face_gets_a_new_id_and_the_first_keeps_its_own() -> None:
    scene, _, tracker = make(TrackerConfig(detect_every_n_frames=3, smooth=False))
    scene.faces = [template_points((160, 240), 70)]
    first = tracker.update(FRAME, 0.0)[0].track_id
    scene.faces = [template_points((160, 240), 70), template_points((480, 240), 70)]
    seen = [tuple(sorted(f.track_id for f in tracker.update(FRAME, i / 30))) for i in range(1, 7)]
    assert seen[0] == (first,)  # no detection on frame 1 yet
    assert seen[-1] == (first, first + 1)


def test_tracking_crops_come_from_last_keypoints_and_follow_roll() -> None:
    scene, _, tracker = make(TrackerConfig(detect_every_n_frames=100, smooth=False))
    scene.faces = [template_points((320, 240), 90, roll_deg=25)]
    tracker.update(FRAME, 0.0)
    tracker.update(FRAME, 1 / 30)
    region = tracker.model.regions_seen[-1]
    assert abs(region.angle_deg - 25) < 0.5
    assert abs(region.center_x_px - 320) < 30


def test_smoothing_reduces_jitter_of_a_still_face() -> None:
    def jitter(smooth: bool) -> float:
        scene, _, tracker = make(TrackerConfig(smooth=smooth), noise_px=1.5)
        scene.faces = [template_points((320, 240), 80)]
        tracks = [tracker.update(FRAME, i / 30)[0].keypoints.xy_px for i in range(60)]
        p = np.stack(tracks[10:])
        return float(np.median(np.linalg.norm(p[2:] - 2 * p[1:-1] + p[:-2], axis=-1)))

    assert jitter(True) < 0.5 * jitter(False)


def test_reset_forgets_faces() -> None:
    scene, _, tracker = make()
    scene.faces = [template_points((320, 240), 80)]
    tracker.update(FRAME, 0.0)
    tracker.reset()
    scene.faces = []
    assert tracker.update(FRAME, 1 / 30) == ()


def test_false_detections_are_ignored_and_a_track_that_loses_its_face_is_dropped() -> None:
    scene, detector, tracker = make(TrackerConfig(detect_every_n_frames=5, smooth=False))
    scene.faces = [template_points((160, 240), 70)]
    detector.false_alarms = [FaceBox(420, 100, 120, 120)]  # e.g. a poster: the model scores it as background
    ids = [tuple(f.track_id for f in tracker.update(FRAME, i / 30)) for i in range(12)]
    assert set(ids) == {(1,)}
    scene.faces = []  # the person leaves; the tracking crop now shows background
    assert tracker.update(FRAME, 12 / 30) == ()


def test_with_a_face_score_detector_misses_do_not_drop_a_track() -> None:
    scene = ScriptedScene()
    detector = FakeDetector(scene)
    model = OracleModel(scene, has_confidence=True)
    tracker = FaceTracker(detector, model, TrackerConfig(detect_every_n_frames=5, max_detector_misses=2))
    scene.faces = [template_points((320, 240), 80, roll_deg=30)]
    tracker.update(FRAME, 0.0)
    detector.blind = True  # a strong roll the upright cascade misses for a second
    ids = [tuple(f.track_id for f in tracker.update(FRAME, i / 30)) for i in range(1, 40)]
    assert set(ids) == {(1,)}
    scene.faces = []
    assert tracker.update(FRAME, 40 / 30) == ()


def test_without_a_face_the_detector_runs_on_every_frame() -> None:
    scene, detector, tracker = make(TrackerConfig(detect_every_n_frames=30, smooth=False))
    for i in range(5):
        assert tracker.update(FRAME, i / 30) == ()
    assert detector.calls == 5
    scene.faces = [template_points((320, 240), 80)]
    assert [len(tracker.update(FRAME, i / 30)) for i in range(5, 12)] == [1] * 7
    assert detector.calls == 6  # then tracked from its keypoints until frame 30


def test_with_two_confirmations_a_face_found_on_one_detector_run_only_starts_no_track() -> None:
    """A false face the model scores as a face, for one frame at a time (a flickering scene)."""
    scene, detector, tracker = make(TrackerConfig(smooth=False, confirm_detections=2))
    face = template_points((320, 240), 80)
    counts = []
    for i in range(6):
        scene.faces = [face] if i % 2 == 0 else []
        counts.append(len(tracker.update(FRAME, i / 30)))
    assert counts == [0] * 6
    scene.faces = [face]
    calls = detector.calls
    assert [len(tracker.update(FRAME, i / 30)) for i in range(6, 9)] == [0, 1, 1]
    assert detector.calls == calls + 2  # the frame after a candidate runs the detector to confirm it


def test_a_detection_with_a_low_detector_score_starts_no_track() -> None:
    scene, detector, tracker = make()
    scene.faces = [template_points((320, 240), 80)]
    real = detector.detect

    def weak(frame):
        return [FaceBox(b.x, b.y, b.w, b.h, score=0.6) for b in real(frame)]

    detector.detect = weak  # type: ignore[method-assign]
    assert all(tracker.update(FRAME, i / 30) == () for i in range(3))
    detector.detect = real  # type: ignore[method-assign]
    assert len(tracker.update(FRAME, 3 / 30)) == 1


def test_max_faces_caps_the_tracks() -> None:
    scene, _, tracker = make(TrackerConfig(smooth=False, max_faces=2))
    scene.faces = [template_points((100 + 150 * k, 240), 50) for k in range(4)]
    assert [len(tracker.update(FRAME, i / 30)) for i in range(3)] == [2, 2, 2]
