"""Recording the live picture (and the microphone) to a file: cadence, a writer thread, outcomes.

No Qt here: the app's worker (or session) hands it processed frames with their capture times
and microphone PCM with its times, both in seconds on the camera's clock (``time.monotonic``).

* :class:`Recording` turns frames that arrive at an irregular rate into a constant-rate stream
  (a frame is repeated for each slot it covers, so the file's duration equals real time).
* :class:`RecordingWriter` encodes from a bounded queue in a thread of its own, so a slow disk
  never stalls the picture; when writing fails it stops and, on :meth:`RecordingWriter.finish`,
  keeps what was written as a playable file (:meth:`snowcam.video_writer.VideoWriter.salvage`).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from snowcam.sinks import SinkError
from snowcam.types import Frame

if TYPE_CHECKING:
    from snowcam.video_writer import SavedVideo

logger = logging.getLogger(__name__)

# A recording gap longer than this (pause, lost camera) is not filled with copies of one frame.
MAX_FILLED_GAP_S = 0.5
WRITER_QUEUE_ITEMS = 90


class VideoSink(Protocol):
    """What a recording needs from :class:`snowcam.video_writer.VideoWriter` (or a stand-in)."""

    def write(self, frame: Frame, t_s: float | None = None) -> None: ...

    def write_audio(self, samples: npt.NDArray[Any], t_s: float) -> None: ...

    def close(self) -> SavedVideo: ...

    def abort(self) -> None: ...

    def salvage(self) -> SavedVideo | None: ...


@dataclass(frozen=True, slots=True)
class RecordingResult:
    """How a recording ended: the file ``saved`` (``None`` if nothing could be kept), the write
    ``error`` that stopped it early (``None`` when it was stopped normally) and the frames
    ``dropped`` because the disk could not keep up."""

    saved: SavedVideo | None
    error: SinkError | None
    dropped: int = 0

    def message(self) -> str:
        """A sentence for the user: what was saved, and why it stopped early if it did."""
        if self.error is None and self.saved is not None:
            return f"Saved {self.saved.path.name} ({self.saved.duration_s:.1f} s)."
        reason = "The disk is full" if self.error is not None and self.error.disk_full else "Writing failed"
        detail = f" ({self.error})" if self.error is not None else ""
        if self.saved is None:
            return f"{reason}: the recording stopped and nothing could be saved{detail}."
        return (
            f"{reason}: the recording stopped. {self.saved.duration_s:.1f} seconds were saved in "
            f"{self.saved.path.name}{detail}."
        )


class RecordingWriter:
    """Writes frames and audio to a :class:`VideoSink` from a bounded queue in a thread of its own."""

    def __init__(self, sink: VideoSink, max_queue: int = WRITER_QUEUE_ITEMS) -> None:
        self.sink = sink
        self.dropped = 0
        self.error: SinkError | None = None
        self._queue: queue.Queue[tuple[str, Any, float] | None] = queue.Queue(max_queue)
        self._thread = threading.Thread(target=self._run, name="snowcam-recorder", daemon=True)
        self._thread.start()

    @property
    def failed(self) -> bool:
        """Whether writing failed; the caller should then :meth:`finish`."""
        return self.error is not None

    def submit(self, frame: Frame) -> None:
        """Queue the next frame; when the disk cannot keep up the frame is dropped (and counted)."""
        try:
            self._queue.put_nowait(("video", frame, 0.0))
        except queue.Full:
            self.dropped += 1

    def submit_audio(self, samples: npt.NDArray[Any], t_s: float) -> None:
        """Queue PCM samples that start ``t_s`` seconds after the recording's first frame."""
        try:
            self._queue.put_nowait(("audio", samples, t_s))
        except queue.Full:
            logger.debug("An audio chunk was dropped: the disk is too slow")

    def finish(self) -> RecordingResult:
        """Write what is queued and finish the file.

        After a write error (full disk...) the file keeps what was written up to then (a
        playable file), and the result carries the error.
        """
        self._queue.put(None)
        self._thread.join()
        if self.dropped:
            logger.warning("%d frames were dropped from the recording: the disk was too slow", self.dropped)
        if self.error is None:
            try:
                return RecordingResult(self.sink.close(), None, self.dropped)
            except SinkError as exc:
                self.error = exc
        logger.error("Recording failed: %s", self.error)
        try:
            saved = self.sink.salvage()
        except Exception:
            logger.exception("Keeping the written part of the recording failed")
            saved = None
        return RecordingResult(saved, self.error, self.dropped)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is not None:
                continue
            kind, data, t_s = item
            try:
                if kind == "video":
                    self.sink.write(data)
                else:
                    self.sink.write_audio(data, t_s)
            except SinkError as exc:
                self.error = exc
            except Exception as exc:
                logger.exception("Writing the recording failed")
                self.error = SinkError(f"Writing the recording failed: {exc}")


class Recording:
    """Turns processed frames with their times into a constant-rate stream for the writer.

    ``fps`` is the recording's frame rate. Frames are written as given: mirroring is the
    session's view rule (:func:`snowcam.session.mirror_view`), not the recording's. Audio times
    are moved to the recording's clock (0 at its first frame).
    """

    def __init__(self, writer: RecordingWriter, fps: float) -> None:
        self.writer = writer
        self.fps = fps
        self.frames = 0
        self._origin_s: float | None = None

    def add(self, frame: Frame, t_s: float) -> None:
        if self._origin_s is None:
            self._origin_s = t_s
        due = round((t_s - self._origin_s) * self.fps) + 1
        missing = due - self.frames
        if missing <= 0:
            return
        if missing > MAX_FILLED_GAP_S * self.fps:
            self._origin_s += (missing - 1) / self.fps
            missing = 1
        # Repeating a frame for each one skipped keeps the file's duration equal to real time.
        for _ in range(missing):
            self.writer.submit(frame)
        self.frames += missing

    def add_audio(self, samples: npt.NDArray[np.int16] | npt.NDArray[np.float32], t_s: float) -> None:
        """PCM captured from ``t_s`` (the frames' clock); dropped before the first frame."""
        if self._origin_s is not None:
            self.writer.submit_audio(samples, t_s - self._origin_s)
