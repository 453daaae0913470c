"""The live session's rules without Qt: replays, filters, capture state, mirroring, photos, recordings."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from snowcam.filters import FILTERS
from snowcam.filters.selection import Selection
from snowcam.session import (
    CameraSpec,
    CaptureRefused,
    CaptureSettings,
    CaptureState,
    Closeups,
    CountdownChanged,
    FileSpec,
    OutputFailed,
    PhotoSaved,
    RecordingFailed,
    RecordingSaved,
    RecordingStarted,
    SelectionChanged,
    Session,
    Shown,
    SourceFailed,
    SourceLost,
    SourceRecovered,
    StateChanged,
)
from snowcam.sources import VideoFileSource
from snowcam.types import Frame
from snowcam.video_writer import SavedVideo
from tests.clips import CLIP_FPS, CLIP_FRAMES, CLIP_SIZE, CameraBox, differs, fake_pipeline, write_clip


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """A fake recording file (the interface of ``VideoWriter``): keeps the frames it is given."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], audio: object = None) -> None:
        self.path, self.fps, self.size, self.audio_format = path, fps, size, audio
        self.frames: list[Frame] = []
        self.audio: list[float] = []
        self.closed = self.aborted = False

    def write(self, frame: Frame, t_s: float | None = None) -> None:
        assert (frame.shape[1], frame.shape[0]) == self.size
        self.frames.append(frame)

    def write_audio(self, samples: object, t_s: float) -> None:
        self.audio.append(t_s)

    def close(self) -> SavedVideo:
        self.closed = True
        return SavedVideo(self.path, len(self.frames), len(self.frames) / self.fps)

    def abort(self) -> None:
        self.aborted = True

    def salvage(self) -> SavedVideo | None:
        return None


class MemoryOutput:
    def __init__(self, fail: bool = False) -> None:
        self.frames: list[tuple[Frame, float]] = []
        self.closed = False
        self.fail = fail

    def write(self, frame_bgr: Frame, t_s: float) -> None:
        if self.fail:
            raise OSError("device gone")
        self.frames.append((frame_bgr, t_s))

    def close(self) -> None:
        self.closed = True


class Harness:
    """A session on fakes that records its events and shown frames."""

    def __init__(self, tmp_path: Path, cameras: CameraBox | None = None, **options: object) -> None:
        self.events: list[object] = []
        self.shown: list[Shown] = []
        self.recorders: list[Recorder] = []
        self.clock = Clock()
        self.stamp = datetime(2026, 1, 2, 3, 4, 5)

        def recorder(path: Path, fps: float, size: tuple[int, int], audio: object = None) -> Recorder:
            self.recorders.append(Recorder(path, fps, size, audio))
            return self.recorders[-1]

        def now() -> datetime:
            self.stamp += timedelta(seconds=1)
            return self.stamp

        kwargs: dict[str, object] = {
            "on_event": self.events.append,
            "on_shown": self.shown.append,
            "processor": fake_pipeline(),
            "recorder_factory": recorder,
            "clock": self.clock,
            "now": now,
            "realtime": False,
        }
        kwargs.update(options)
        self.session = Session(
            cameras or CameraBox(),
            lambda spec: VideoFileSource(spec.path, loop=spec.loop),
            CaptureSettings(tmp_path / "photos", tmp_path / "videos"),
            **kwargs,  # type: ignore[arg-type]
        )

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def states(self) -> list[CaptureState]:
        return [e.state for e in self.of(StateChanged)]

    def until(self, done, max_s: float = 5.0) -> None:
        """Step without blocking until ``done()`` (camera threads run in real time)."""
        deadline = time.monotonic() + max_s
        while not done() and time.monotonic() < deadline:
            self.session.step(block=False)
            time.sleep(0.002)
        assert done(), "timed out"

    def steps(self, n: int) -> None:
        for _ in range(n):
            self.session.step(block=False)

    def settle(self) -> None:
        """Let background saves report back (their events are posted to the session thread)."""
        self.session._io.submit(lambda: None).result()
        for helper in self.session._helpers:
            helper.join(5.0)
        self.session._run_commands()


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "clip.mp4")


def test_a_replay_runs_end_to_end_and_stops_at_the_end(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.set_loop(False)
    h.session.set_selection(Selection().choose("glasses-round"))
    h.session.open(FileSpec(clip))
    h.session.run_until(lambda: h.session.state is CaptureState.ENDED)
    assert len(h.shown) == CLIP_FRAMES
    assert all(len(s.result.faces) == 1 for s in h.shown[3:])
    assert all("filter:glasses-round" in s.result.stage_ms for s in h.shown)
    assert h.states() == [CaptureState.LIVE, CaptureState.ENDED]
    assert h.shown[-1].position_s == pytest.approx((CLIP_FRAMES - 1) / CLIP_FPS)
    assert h.shown[-1].duration_s == pytest.approx(CLIP_FRAMES / CLIP_FPS)
    h.steps(5)
    assert len(h.shown) == CLIP_FRAMES, "nothing more after the end"


def test_playing_from_the_end_starts_over_and_loop_keeps_going(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.set_loop(False)
    h.session.open(FileSpec(clip))
    h.session.run_until(lambda: h.session.state is CaptureState.ENDED)
    h.session.set_paused(False)
    assert h.session.state is CaptureState.LIVE
    h.steps(3)
    assert h.shown[-1].position_s == pytest.approx(2 / CLIP_FPS), "from the start again"

    h.session.set_loop(True)
    h.session.run_until(lambda: len(h.shown) >= 2 * CLIP_FRAMES + 10)
    assert h.session.state is CaptureState.LIVE
    assert h.shown[-1].result.t_s > h.shown[-20].result.t_s, "time keeps increasing across passes"
    assert CaptureState.ENDED not in h.states()[2:]

    h2 = Harness(tmp_path)
    h2.session.set_loop(False)
    h2.session.open(FileSpec(clip))
    h2.session.run_until(lambda: h2.session.state is CaptureState.ENDED)
    h2.session.set_loop(True)
    assert h2.session.state is CaptureState.LIVE, "turning loop on at the end plays again"


def test_pause_holds_the_frame_and_a_new_filter_redraws_it(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.open(FileSpec(clip))
    h.steps(5)
    h.session.set_paused(True)
    count, t_s = len(h.shown), h.shown[-1].result.t_s
    h.steps(5)
    assert len(h.shown) == count and h.session.state is CaptureState.PAUSED
    h.session.choose("glasses-round")
    assert len(h.shown) == count + 1
    assert h.shown[-1].result.t_s == t_s and "filter:glasses-round" in h.shown[-1].result.stage_ms
    h.session.set_paused(False)
    h.steps(1)
    assert h.shown[-1].result.t_s > t_s
    assert h.states() == [CaptureState.LIVE, CaptureState.PAUSED, CaptureState.LIVE]


def test_seek_shows_the_frame_at_that_position_while_paused(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.open(FileSpec(clip))
    h.steps(3)
    h.session.set_paused(True)
    h.session.seek(1.0)
    assert h.shown[-1].position_s == pytest.approx(1.0)
    expected = write_clip(tmp_path / "again.mp4")  # the same frames: compare with frame 30 read directly
    with VideoFileSource(expected) as source:
        frame_30 = [f for _, f in source][30]
    assert not differs(h.shown[-1].result.frame, frame_30)
    assert h.session.state is CaptureState.PAUSED


def test_selection_combines_by_the_rules_and_round_trips_through_settings(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.open(FileSpec(clip))
    h.session.choose("glasses-round")
    h.session.toggle("big-eyes")
    h.session.toggle("glasses-aviator")  # same slot: replaces the round glasses
    h.session.set_strength("big-eyes", 0.3)
    h.steps(2)
    used = [k for k in h.shown[-1].result.stage_ms if k.startswith("filter:")]
    assert used == ["filter:big-eyes", "filter:glasses-aviator"], "warps before stickers"
    saved = h.of(SelectionChanged)[-1].selection.to_dict()

    again = Harness(tmp_path)
    again.session.set_selection(Selection.from_dict(saved))
    again.session.open(FileSpec(clip))
    again.steps(2)
    assert [k for k in again.shown[-1].result.stage_ms if k.startswith("filter:")] == used
    assert again.session.selection.strength("big-eyes") == pytest.approx(0.3)

    h.session.choose("none")
    h.steps(1)
    assert not [k for k in h.shown[-1].result.stage_ms if k.startswith("filter:")]


def test_strength_keys_move_the_last_picked_beauty_filter(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    assert h.session.strength_target() is None
    h.session.change_strength(+1)  # nothing to change: no error
    h.session.choose("big-eyes")
    start = h.session.selection.strength("big-eyes")
    h.session.change_strength(-2)
    assert h.session.selection.strength("big-eyes") == pytest.approx(start - 0.2)
    for _ in range(20):
        h.session.change_strength(+1)
    assert h.session.selection.strength("big-eyes") == 1.0, "clipped"
    strong = [e.selection.strength("big-eyes") for e in h.of(SelectionChanged)]
    assert strong[-1] == 1.0


def test_closeups_are_rendered_per_filter_from_the_live_faces(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.open(FileSpec(clip))
    h.steps(5)
    h.session.request_closeups(["none", "glasses-round", "landmarks"])  # builds their filters aside
    h.settle()
    h.session.request_closeups(["none", "glasses-round", "landmarks"])
    h.steps(1)
    images = h.of(Closeups)[-1].images
    assert set(images) == {"none", "glasses-round", "landmarks"}
    assert images["none"].shape == (96, 96, 3)
    assert differs(images["glasses-round"], images["none"])
    assert differs(images["landmarks"], images["none"])
    h.steps(1)
    assert len(h.of(Closeups)) == 1, "one request, one answer"


def test_camera_states_failed_live_lost_and_back(tmp_path: Path) -> None:
    cameras = CameraBox()
    cameras.fail = True
    h = Harness(tmp_path, cameras)
    h.session.open(CameraSpec(3, name=""))
    h.until(lambda: bool(h.of(SourceFailed)))
    assert h.states() == [CaptureState.OPENING, CaptureState.FAILED]
    assert "Camera 3" in h.of(SourceFailed)[0].message
    h.session.take_photo()
    assert h.of(CaptureRefused), "no photo without a picture"
    h.session.start_recording()
    assert len(h.of(CaptureRefused)) == 2 and not h.of(RecordingFailed), "nor a recording, and it is no error"

    cameras.fail, cameras.fail_after = False, 8
    h.session.retry_camera()
    h.until(lambda: bool(h.of(SourceRecovered)))
    assert h.states()[2:] == [CaptureState.OPENING, CaptureState.LIVE, CaptureState.LOST, CaptureState.LIVE]
    assert "unplugged" in h.of(SourceLost)[0].message
    h.until(lambda: len(h.shown) >= 12)
    h.session.close()
    assert all(c.closed for c in cameras.opened)


def _left_is_brighter(image: np.ndarray) -> bool:
    width = image.shape[1]
    return image[:, : width // 2].mean() > image[:, width // 2 :].mean()


def test_mirroring_is_a_view_transform_saved_as_shown(tmp_path: Path, clip: Path) -> None:
    """The fake camera's left half is dark: mirrored, the preview's left half is bright."""
    h = Harness(tmp_path)
    virtual = MemoryOutput()
    h.session.add_output("virtualcam", virtual)  # default: the camera's orientation
    h.session.open(CameraSpec(0))
    h.until(lambda: len(h.shown) >= 3)
    shown = h.shown[-1]
    assert shown.mirrored and _left_is_brighter(shown.view)
    assert not _left_is_brighter(shown.result.output), "the pipeline works on the camera's picture"
    assert not _left_is_brighter(virtual.frames[-1][0]), "a virtual camera gets it unmirrored"

    h.session.take_photo()
    h.session.start_recording()
    h.until(lambda: len(h.shown) >= 6)
    h.session.stop_recording()
    h.settle()
    photo = cv2.imread(str(h.of(PhotoSaved)[0].path))
    assert _left_is_brighter(photo), "photos are saved as the preview shows them"
    assert h.recorders[0].frames and all(_left_is_brighter(f) for f in h.recorders[0].frames)

    h.session.set_mirror(False)
    h.until(lambda: not h.shown[-1].mirrored)
    assert not _left_is_brighter(h.shown[-1].view)

    h.session.set_mirror(True)
    h.session.open(FileSpec(clip))
    h.steps(2)
    assert not h.shown[-1].mirrored and h.shown[-1].view is h.shown[-1].result.output, (
        "files play as recorded"
    )
    h.session.close()
    assert virtual.closed


def test_a_failing_output_is_dropped_and_reported(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.add_output("broken", MemoryOutput(fail=True))
    h.session.open(FileSpec(clip))
    h.steps(3)
    assert len(h.shown) == 3, "the picture keeps going"
    assert [e.name for e in h.of(OutputFailed)] == ["broken"]
    assert h.session.output_names() == []


def test_recording_starts_stops_and_ends_with_the_video(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.set_loop(False)
    h.session.open(FileSpec(clip))
    h.session.start_recording()
    assert h.of(RecordingStarted) == [], "no picture yet"
    h.steps(5)
    h.session.start_recording()
    path = h.of(RecordingStarted)[0].path
    assert path.parent == tmp_path / "videos" and path.name == "snowcam-20260102-030406-000.mp4"
    h.steps(10)
    h.session.stop_recording()
    h.settle()
    saved = h.of(RecordingSaved)[0]
    assert (saved.path, saved.frames) == (path, 10)
    assert len(h.recorders[0].frames) == 10 and h.recorders[0].closed
    assert h.recorders[0].fps == CLIP_FPS and h.recorders[0].size == CLIP_SIZE

    h.session.start_recording()
    h.session.run_until(lambda: h.session.state is CaptureState.ENDED)
    h.settle()
    assert len(h.of(RecordingSaved)) == 2, "the end of the video finishes the recording"
    assert h.session.recording is None


def test_countdown_ticks_and_a_second_press_takes_the_photo_now(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.set_capture(CaptureSettings(tmp_path / "photos", tmp_path / "videos", "jpg", countdown_s=3))
    h.session.open(FileSpec(clip))
    h.steps(2)
    h.session.take_photo()
    for _ in range(3):
        h.clock.now += 1.0
        h.steps(1)
    h.settle()
    assert [e.seconds_left for e in h.of(CountdownChanged)] == [3, 2, 1, None]
    saved = h.of(PhotoSaved)
    assert len(saved) == 1 and saved[0].path.suffix == ".jpg"
    assert cv2.imread(str(saved[0].path)).shape == (CLIP_SIZE[1], CLIP_SIZE[0], 3)

    h.session.take_photo()
    h.session.take_photo()  # a second Space during the countdown: now, not cancelled
    h.settle()
    assert len(h.of(PhotoSaved)) == 2 and not h.session.counting_down

    h.session.take_photo()
    assert h.session.cancel_countdown()
    h.clock.now += 5.0
    h.steps(2)
    h.settle()
    assert len(h.of(PhotoSaved)) == 2, "Esc cancels"


def test_the_photo_is_the_frame_shown_with_its_filters(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.choose("glasses-round")
    h.session.open(FileSpec(clip))
    h.steps(5)
    h.session.take_photo()
    h.settle()
    photo = cv2.imread(str(h.of(PhotoSaved)[0].path))
    assert not differs(photo, h.shown[-1].view, threshold=2)
    assert differs(photo, h.shown[-1].result.frame)
    assert [p.name for p in (tmp_path / "photos").iterdir()] == [h.of(PhotoSaved)[0].path.name]


def test_fps_is_measured_on_the_given_clock(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    pipeline = fake_pipeline()

    class Slow:
        filters = ()

        def process(self, frame: Frame, t_s: float):
            h.clock.now += 0.04
            return pipeline.process(frame, t_s)

        def reset(self) -> None:
            pipeline.reset()

    h.session.install_processor(Slow())  # type: ignore[arg-type]
    h.session.open(FileSpec(clip))
    h.steps(30)
    assert h.shown[-1].processed_fps == pytest.approx(25.0, rel=0.01)
    assert h.shown[-1].skipped == 0


def test_camera_frames_replaced_before_processing_are_counted_as_skipped(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    frame = np.zeros((48, 64, 3), np.uint8)
    h.session.mailbox.put_frame(0, (0.0, frame, 0.0))
    h.session.mailbox.put_frame(0, (0.1, frame, 0.1))
    assert h.session.mailbox.replaced == 1
    assert h.session.mailbox.take_frame(0)[0] == 0.1
    assert h.session.mailbox.take_frame(0) is None


def test_every_registered_filter_can_be_chosen_through_the_session(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.open(FileSpec(clip))
    h.steps(4)
    for name in FILTERS:
        h.session.set_selection(Selection().choose(name))
        h.steps(1)
        expected = [] if FILTERS[name].group == "none" else [f"filter:{name}"]
        assert [k for k in h.shown[-1].result.stage_ms if k.startswith("filter:")] == expected


def test_a_look_built_for_its_closeup_is_not_built_again_for_the_picture(tmp_path: Path, clip: Path) -> None:
    looks = [n for n, info in FILTERS.items() if info.group == "look"]
    if not looks:
        pytest.skip("no look registered")
    h = Harness(tmp_path)
    h.session.open(FileSpec(clip))
    h.steps(2)
    h.session.request_closeups([looks[0], "glasses-round"])
    h.settle()
    h.session.choose(looks[0])
    assert h.session._filters[-1] is h.session._closeup_filters[(looks[0], 1.0)]
    h.session.choose("glasses-round")  # a sticker may keep state: never shared
    glasses = next(f for f in h.session._filters if f.name == "glasses-round")
    assert glasses is not h.session._closeup_filters[("glasses-round", 1.0)]


def test_a_triggered_effect_shows_in_its_closeup_without_the_expression(tmp_path: Path, clip: Path) -> None:
    if "fx-rainbow" not in FILTERS:
        pytest.skip("no rainbow effect registered")
    h = Harness(tmp_path)
    h.session.open(FileSpec(clip))
    h.steps(4)
    h.session.request_closeups(["none", "fx-rainbow"])
    h.settle()
    h.session.request_closeups(["none", "fx-rainbow"])
    h.steps(1)
    images = h.of(Closeups)[-1].images
    assert differs(images["fx-rainbow"], images["none"]), "the demo face's mouth is closed: preview mode"
    h.session.choose("fx-rainbow")
    h.steps(2)
    assert not h.session._filters[-1].preview, "the picture's effect waits for the real expression"


def test_a_full_disk_cuts_the_recording_short_and_keeps_what_was_written(tmp_path: Path, clip: Path) -> None:
    import errno

    from snowcam.events import RecordingCutShort
    from snowcam.sinks import SinkError

    class FullDisk(Recorder):
        def write(self, frame: Frame, t_s: float | None = None) -> None:
            if len(self.frames) == 5:
                raise SinkError("Could not write the recording: the disk is full.", errno.ENOSPC)
            super().write(frame, t_s)

        def salvage(self) -> SavedVideo | None:
            return SavedVideo(self.path, len(self.frames), len(self.frames) / self.fps)

    h = Harness(tmp_path, recorder_factory=lambda path, fps, size, audio=None: FullDisk(path, fps, size))
    h.session.open(FileSpec(clip))
    h.steps(2)
    h.session.start_recording()
    h.session.run_until(lambda: h.session.recording is None, max_steps=40)
    h.settle()
    cut = h.of(RecordingCutShort)
    assert len(cut) == 1 and "disk is full" in cut[0].message
    assert cut[0].duration_s == pytest.approx(5 / CLIP_FPS)
    assert len(h.shown) < 40, "the picture went on while the recording stopped"


def test_only_a_camera_recording_gets_the_microphone(tmp_path: Path, clip: Path) -> None:
    h = Harness(tmp_path)
    h.session.open(FileSpec(clip))
    h.steps(2)
    h.session.start_recording(audio="mono 48 kHz")
    h.session.add_audio(np.zeros((480, 1), np.int16), 0.0)
    h.steps(2)
    h.session.stop_recording()
    h.settle()
    assert h.recorders[0].audio_format is None and h.recorders[0].audio == []

    h.session.open(CameraSpec(0))
    h.until(lambda: len(h.shown) > 5)
    h.session.start_recording(audio="mono 48 kHz")
    h.until(lambda: len(h.recorders) == 2 and len(h.recorders[-1].frames) > 0)
    h.session.add_audio(np.zeros((480, 1), np.int16), h.shown[-1].result.t_s + 0.01)
    h.until(lambda: len(h.shown) > 10)
    h.session.stop_recording()
    h.settle()
    assert h.recorders[-1].audio_format == "mono 48 kHz" and len(h.recorders[-1].audio) == 1
    h.session.close()
