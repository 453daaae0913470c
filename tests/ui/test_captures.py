"""The app's captures when things go wrong: a full disk while recording, a crash's leftover at start."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from snowcam import video_writer
from snowcam.resources import assets_dir
from snowcam.ui.audio import Microphone
from snowcam.video_writer import VideoWriter, leftover_path
from tests.media import FailingFile, streams
from tests.ui.support import wait_frames


def test_a_full_disk_stops_the_recording_and_keeps_a_playable_file(
    qtbot, make_window, clip: Path, monkeypatch
) -> None:
    monkeypatch.setattr(video_writer, "_open_exclusive", lambda path: FailingFile(path, 900_000))
    window = make_window(video=clip)
    wait_frames(qtbot, window)
    with qtbot.waitSignal(window.recording_cut_short, timeout=20000) as cut:
        window.toggle_recording()
    message, path, seconds = cut.args
    qtbot.waitUntil(lambda: window.recording_path is None, timeout=5000)
    assert "disk is full" in message and f"{seconds:.1f} seconds were saved" in message
    assert window.banner.isVisible() and window.banner.label.text() == message
    saved = Path(path)
    assert os.listdir(saved.parent) == [saved.name], "no hidden leftover"
    assert seconds > 0 and streams(saved)["video"]["frames"] >= 1
    assert not window.record_button.is_active()


def test_a_crashed_recording_is_recovered_at_start_and_shown(qtbot, make_window, clip: Path, store) -> None:
    videos = Path(store.value("capture/video_dir"))
    videos.mkdir(parents=True)
    target = videos / "snowcam-20260101-120000-000.mp4"
    writer = VideoWriter(target, 30.0, (64, 48))
    for i in range(60):
        writer.write(np.full((48, 64, 3), i * 4, np.uint8))
    writer._finish_streams()  # the process died here: the fragments are on disk, not finished
    writer._file = None
    assert leftover_path(target).exists()
    window = make_window(video=clip)
    qtbot.waitUntil(lambda: "Recovered" in window.banner.label.text(), timeout=10000)
    assert target.name in window.banner.label.text()
    assert os.listdir(videos) == [target.name]
    qtbot.waitUntil(lambda: target in window.captures.paths(), timeout=10000)
    assert streams(target)["video"]["frames"] == 60


class FakeMicrophone:
    """Delivers a steady tone every 50 ms from the UI thread, as ``QAudioSource`` does."""

    def __init__(self, on_audio) -> None:
        from PyQt6.QtCore import QTimer

        from snowcam.video_writer import AudioFormat

        self.format = AudioFormat(16000, 1)
        self.on_audio = on_audio
        self.stopped = False
        self.phase = 0
        self.timer = QTimer()
        self.timer.timeout.connect(self._tick)
        self.timer.start(50)

    def _tick(self) -> None:
        n = 800
        t = (self.phase + np.arange(n)) / 16000
        self.phase += n
        samples = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)[:, None]
        self.on_audio(samples, time.monotonic() - n / 16000)

    def stop(self) -> None:
        self.timer.stop()
        self.stopped = True


def test_a_camera_recording_has_the_microphone_in_sync(qtbot, make_window, monkeypatch) -> None:
    mics: list[FakeMicrophone] = []

    def start(on_audio):
        mics.append(FakeMicrophone(on_audio))
        return mics[-1]

    monkeypatch.setattr(Microphone, "start", staticmethod(start))
    window = make_window(camera=0)
    wait_frames(qtbot, window)
    window.toggle_recording()
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=5000)
    wait_frames(qtbot, window, 30)
    with qtbot.waitSignal(window.recording_saved, timeout=10000) as saved:
        window.toggle_recording()
    assert mics and mics[0].stopped
    info = streams(Path(saved.args[0]))
    assert info["audio"]["codec"] == "aac" and info["audio"]["frames"] > 0
    assert abs(float(info["audio"]["end_s"]) - float(info["video"]["end_s"])) <= 1 / 30 + 0.03
    import av

    with av.open(saved.args[0]) as container:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert np.abs(pcm).max() > 0.15, "the tone, not silence"


def test_no_sound_track_when_sound_is_off(qtbot, make_window, monkeypatch) -> None:
    monkeypatch.setattr(Microphone, "start", staticmethod(lambda on_audio: FakeMicrophone(on_audio)))
    window = make_window(camera=0)
    window.set_record_sound(False)
    wait_frames(qtbot, window)
    window.toggle_recording()
    qtbot.waitUntil(lambda: window.recording_path is not None, timeout=5000)
    wait_frames(qtbot, window, 10)
    with qtbot.waitSignal(window.recording_saved, timeout=10000) as saved:
        window.toggle_recording()
    assert "audio" not in streams(Path(saved.args[0]))


def test_the_sound_setting_is_greyed_out_for_a_video_file(qtbot, make_window) -> None:
    window = make_window(video=assets_dir() / "demo.mp4")
    wait_frames(qtbot, window)
    assert not window.actions.sound.isEnabled(), "a file's recording has no microphone sound"
    window.open_camera(0)
    qtbot.waitUntil(lambda: window.actions.sound.isEnabled(), timeout=5000)
