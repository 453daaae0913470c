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

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from snowcam.sinks import SinkError, VideoRecorder
from snowcam.types import Frame

logger = logging.getLogger(__name__)

# A recording gap longer than this (pause, lost camera) is not filled with copies of one frame.
MAX_FILLED_GAP_S = 0.5
WRITER_QUEUE_FRAMES = 90


class Output(Protocol):
    """Receives processed frames: ``H×W×3`` ``uint8`` BGR, ``t_s`` in the source's seconds."""

    def write(self, frame_bgr: Frame, t_s: float) -> None: ...

    def close(self) -> None: ...


class Recorder(Protocol):
    """What a recording needs from :class:`snowcam.sinks.VideoRecorder` (the seam for another writer)."""

    path: Path

    def write(self, frame: Frame) -> None: ...

    def close(self) -> Path: ...

    def abort(self) -> None: ...


RecorderFactory = Callable[[Path, float, tuple[int, int]], Recorder]


def default_recorder(path: Path, fps: float, size: tuple[int, int]) -> Recorder:
    """An mp4 at ``path``, ``fps`` frames per second, ``size`` = ``(width, height)`` pixels."""
    return VideoRecorder(path, fps, size)


class RecordingWriter:
    """Writes frames to a :class:`Recorder` from a bounded queue in a thread of its own."""

    def __init__(self, recorder: Recorder, max_queue: int = WRITER_QUEUE_FRAMES) -> None:
        self.recorder = recorder
        self.dropped = 0
        self.error: Exception | None = None
        self._queue: queue.Queue[Frame | None] = queue.Queue(max_queue)
        self._thread = threading.Thread(target=self._run, name="snowcam-recorder", daemon=True)
        self._thread.start()

    def submit(self, frame: Frame) -> None:
        """Queue a frame; when the disk cannot keep up the frame is dropped (and counted)."""
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            self.dropped += 1

    def finish(self) -> Path:
        """Write what is queued, then finalise the file; returns its path.

        Raises:
            SinkError: writing or finalising failed (the partial file is removed).
        """
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            self.recorder.abort()
            if isinstance(self.error, SinkError):
                raise self.error
            raise SinkError(f"Recording {self.recorder.path.name} failed: {self.error}")
        if self.dropped:
            logger.warning(
                "%d frames were dropped from %s: the disk was too slow", self.dropped, self.recorder.path
            )
        return self.recorder.close()

    def _run(self) -> None:
        while (frame := self._queue.get()) is not None:
            if self.error is not None:
                continue
            try:
                self.recorder.write(frame)
            except Exception as exc:
                logger.exception("Writing %s failed", self.recorder.path)
                self.error = exc


class RecordingOutput:
    """An :class:`Output` that turns frames with their times into a constant-rate stream.

    A frame is repeated for each frame period it stood for, so the file lasts as long as the
    scene did; a gap longer than ``MAX_FILLED_GAP_S`` (a pause, a lost camera) is closed up
    instead. ``frames`` counts the frames submitted. ``close`` finishes the file (see
    :meth:`finish`, which also returns the path).
    """

    def __init__(self, recorder: Recorder, fps: float, max_queue: int = WRITER_QUEUE_FRAMES) -> None:
        self.writer = RecordingWriter(recorder, max_queue)
        self.fps = fps
        self.frames = 0
        self._origin_s: float | None = None

    @property
    def path(self) -> Path:
        return self.writer.recorder.path

    def write(self, frame_bgr: Frame, t_s: float) -> None:
        if self._origin_s is None:
            self._origin_s = t_s
        due = round((t_s - self._origin_s) * self.fps) + 1
        missing = due - self.frames
        if missing <= 0:
            return
        if missing > MAX_FILLED_GAP_S * self.fps:
            self._origin_s += (missing - 1) / self.fps
            missing = 1
        for _ in range(missing):
            self.writer.submit(frame_bgr)
        self.frames += missing

    def finish(self) -> Path:
        """Finalise the file and return its path.

        Raises:
            SinkError: writing or finalising failed (the partial file is removed).
        """
        return self.writer.finish()

    def close(self) -> None:
        self.finish()
