"""The live recording's Qt-free parts: the writer thread and how a recording ends."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from snowcam.recording import Recording, RecordingResult, RecordingWriter
from snowcam.sinks import SinkError
from snowcam.video_writer import SavedVideo, VideoWriter
from tests.media import streams


class ScriptedSink:
    """Fails the ``fail_at``-th write like a full disk; ``salvage`` keeps what came before."""

    def __init__(self, fail_at: int | None = None, salvage_keeps: bool = True) -> None:
        self.fail_at, self.salvage_keeps = fail_at, salvage_keeps
        self.frames = 0
        self.audio: list[float] = []
        self.closed = self.salvaged = False

    def write(self, frame, t_s=None) -> None:
        if self.fail_at is not None and self.frames + 1 >= self.fail_at:
            raise SinkError("Could not write clip.mp4: the disk is full.", errno.ENOSPC)
        self.frames += 1

    def write_audio(self, samples, t_s: float) -> None:
        self.audio.append(t_s)

    def close(self) -> SavedVideo:
        self.closed = True
        return SavedVideo(Path("clip.mp4"), self.frames, self.frames / 10)

    def abort(self) -> None:
        pass

    def salvage(self) -> SavedVideo | None:
        self.salvaged = True
        return SavedVideo(Path("clip.mp4"), self.frames, self.frames / 10) if self.salvage_keeps else None


def record(sink: ScriptedSink, n: int = 20) -> RecordingResult:
    writer = RecordingWriter(sink)
    recording = Recording(writer, fps=10.0)
    for i in range(n):
        recording.add(np.zeros((4, 4, 3), np.uint8), 100.0 + i / 10)
        recording.add_audio(np.zeros((160, 1), np.int16), 100.0 + i / 10)
    return writer.finish()


def test_a_normal_recording_is_closed_and_says_saved() -> None:
    sink = ScriptedSink()
    result = record(sink)
    assert sink.closed and not sink.salvaged and result.error is None
    assert result.saved is not None and result.saved.frames == 20
    assert result.message() == "Saved clip.mp4 (2.0 s)."
    assert sink.audio[0] == 0.0 and sink.audio[-1] == pytest.approx(1.9), "audio on the recording's clock"


def test_a_full_disk_keeps_what_was_written_and_says_how_many_seconds() -> None:
    sink = ScriptedSink(fail_at=13)
    result = record(sink)
    assert sink.salvaged and not sink.closed
    assert result.error is not None and result.error.disk_full
    assert result.saved is not None and result.saved.frames == 12
    assert result.message().startswith(
        "The disk is full: the recording stopped. 1.2 seconds were saved in clip.mp4"
    )


def test_when_nothing_could_be_kept_the_message_says_so() -> None:
    result = record(ScriptedSink(fail_at=1, salvage_keeps=False))
    assert result.saved is None
    assert "nothing could be saved" in result.message()


def test_a_real_recording_with_sound(tmp_path: Path) -> None:
    from snowcam.video_writer import AudioFormat

    writer = RecordingWriter(VideoWriter(tmp_path / "clip.mp4", 10.0, (64, 48), audio=AudioFormat(16000, 1)))
    recording = Recording(writer, fps=10.0)
    for i in range(20):
        recording.add(np.full((48, 64, 3), i * 10, np.uint8), 50.0 + i / 10)
        tone = (8000 * np.sin(np.arange(1600) / 3)).astype(np.int16)[:, None]
        recording.add_audio(tone, 50.0 + i / 10)
    result = writer.finish()
    assert result.error is None and result.saved is not None
    info = streams(result.saved.path)
    assert info["video"]["frames"] == 20 and info["audio"]["codec"] == "aac"
