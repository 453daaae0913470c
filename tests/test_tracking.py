"""The tracker with a scripted detector and an oracle model: ids, detection schedule, drops, smoothing."""

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


class _PassDetector(FakeDetector):
    """Has an idle pass cycle, and finds the face only in its last pass (as only the turned
    search finds a tilted head)."""

    idle_passes = ("quick", "slow", "quick", "turned")

    def __init__(self, scene: ScriptedScene) -> None:
        super().__init__(scene)
        self.frame = 0
        self.pass_frames: list[tuple[int, int]] = []  # (frame, step)
        self.detect_frames: list[int] = []

    def detect(self, frame) -> list[FaceBox]:
        self.detect_frames.append(self.frame)
        return FakeDetector.detect(self, frame)

    def detect_pass(self, frame, step: int) -> list[FaceBox]:
        self.pass_frames.append((self.frame, step))
        return FakeDetector.detect(self, frame) if step % len(self.idle_passes) == 3 else []


def test_without_a_face_the_detector_runs_one_pass_per_frame_and_tracking_takes_over() -> None:
    scene = ScriptedScene()
    detector = _PassDetector(scene)
    config = TrackerConfig(detect_every_n_frames=30, smooth=False)
    tracker = FaceTracker(detector, OracleModel(scene, has_confidence=True), config)

    def update(i: int) -> int:
        detector.frame = i
        return len(tracker.update(FRAME, i / 30))

    assert [update(i) for i in range(6)] == [0] * 6
    assert detector.pass_frames == [(i, i) for i in range(6)]
    scene.faces = [template_points((320, 240), 80)]
    # The face appears at frame 6 (the cycle's third pass); the fourth pass finds it at frame 7,
    # and from then on it is tracked from its keypoints: no pass, and detect() only at frame 30.
    assert [update(i) for i in range(6, 32)] == [0] + [1] * 25
    assert detector.pass_frames[-1] == (7, 7)
    assert detector.detect_frames == [30]
    scene.faces = []
    assert update(32) == 0
    # A face lost later is looked for from the start of the cycle.
    assert detector.pass_frames[-1] == (32, 0)
    assert detector.detect_frames == [30]


def test_reset_starts_the_idle_cycle_again() -> None:
    scene = ScriptedScene()
    detector = _PassDetector(scene)
    tracker = FaceTracker(detector, OracleModel(scene, has_confidence=True), TrackerConfig(smooth=False))
    for i in range(3):
        tracker.update(FRAME, i / 30)
    tracker.reset()
    tracker.update(FRAME, 0.0)
    assert [step for _, step in detector.pass_frames] == [0, 1, 2, 0]


def test_a_detector_without_passes_runs_on_every_nth_idle_frame() -> None:
    scene = ScriptedScene()
    detector = FakeDetector(scene)
    config = TrackerConfig(detect_every_n_frames=30, idle_detect_every_n_frames=3, smooth=False)
    tracker = FaceTracker(detector, OracleModel(scene), config)
    calls = []
    for i in range(7):
        before = detector.calls
        tracker.update(FRAME, i / 30)
        calls.append(detector.calls - before)
    assert calls == [1, 0, 0, 1, 0, 0, 1]
