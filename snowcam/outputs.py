"""Where the session's frames go besides the screen: the :class:`Output` protocol and the recording.

An output receives every processed frame as ``write(frame_bgr, t_s)`` on the session thread and
is released with ``close()``. The frame is shared with the screen and the other outputs: read it,
copy it, never draw on it. ``write`` must return quickly (a slow output queues work for a thread
of its own, as :class:`RecordingOutput` does); a paused replay sends no frames. Whether an output
gets the mirrored view or the camera's own orientation is decided by the session when the output
is added (see :meth:`snowcam.session.Session.add_output`), never by the output.

A virtual camera is one more :class:`Output`: ``Session.add_output("virtualcam", cam)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy.typing as npt

from snowcam.recording import Recording, RecordingResult, RecordingWriter, VideoSink
from snowcam.types import Frame

if TYPE_CHECKING:
    from snowcam.video_writer import AudioFormat


class Output(Protocol):
    """Receives processed frames: ``H×W×3`` ``uint8`` BGR, ``t_s`` in the source's seconds."""

    def write(self, frame_bgr: Frame, t_s: float) -> None: ...

    def close(self) -> None: ...


RecorderFactory = Callable[[Path, float, tuple[int, int], "AudioFormat | None"], VideoSink]


def default_recorder(
    path: Path, fps: float, size: tuple[int, int], audio: AudioFormat | None = None
) -> VideoSink:
    """An H.264 mp4 at ``path``: ``fps``, ``size`` = ``(width, height)`` pixels, sound with ``audio``."""
    from snowcam.video_writer import VideoWriter  # PyAV loads with the first recording, not with the app

    return VideoWriter(path, fps, size, audio=audio)


class RecordingOutput:
    """An :class:`Output` that records: a constant-rate stream (:class:`snowcam.recording.Recording`)
    written by a thread of its own (:class:`snowcam.recording.RecordingWriter`).

    ``add_audio`` takes microphone PCM on the frames' clock. When writing fails (a full disk)
    ``failed`` turns true; :meth:`finish` then keeps what was written and says so.
    """

    def __init__(self, sink: VideoSink, path: Path, fps: float) -> None:
        self.path = path
        self._recording = Recording(RecordingWriter(sink), fps)

    @property
    def frames(self) -> int:
        return self._recording.frames

    @property
    def failed(self) -> bool:
        return self._recording.writer.failed

    def write(self, frame_bgr: Frame, t_s: float) -> None:
        self._recording.add(frame_bgr, t_s)

    def add_audio(self, samples: npt.NDArray[Any], t_s: float) -> None:
        self._recording.add_audio(samples, t_s)

    def finish(self) -> RecordingResult:
        """Write what is queued and finish the file; the result says what was kept and why."""
        return self._recording.writer.finish()

    def close(self) -> None:
        self.finish()
