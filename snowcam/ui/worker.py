"""Capture, processing and recording off the UI thread, always on the newest frame.

Threads (all plain Python threads; none is ever killed, each stops through an ``Event``):

* **worker** (``FrameWorker``): opens sources, runs the pipeline on the newest frame, hands the
  result to the UI (coalesced: at most one ``frame_ready`` is ever queued) and feeds recordings.
* **camera grabber** (``CameraGrabber``): owns the camera (opens, reads and closes it in the
  same thread, as ``CameraSource`` requires), reads continuously and keeps only the latest frame;
  when the camera stops delivering it reports ``lost`` and reopens it with a growing delay.
* **recording writer** (:class:`snowcam.recording.RecordingWriter`): encodes to mp4 from a bounded queue.

A video file is read in the worker thread and paced by its timestamps (``FilePlayer``): frames
are shown when due and skipped when a newer one is already due, so replay keeps real time.
Only :class:`FrameWorker` knows Qt; the helpers are plain Python and tested without it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import cv2
from PyQt6.QtCore import QObject, pyqtSignal

from snowcam.filters import Filter, render
from snowcam.recording import Recording as _Recording
from snowcam.recording import RecordingResult, RecordingWriter
from snowcam.sinks import SinkError
from snowcam.sources import FrameSource, SourceError, SourceInfo
from snowcam.types import Frame, FrameResult

if TYPE_CHECKING:  # PyAV loads when the first recording starts, not with the app.
    from snowcam.video_writer import AudioFormat, VideoWriter

logger = logging.getLogger(__name__)

RECONNECT_DELAYS_S = (0.5, 1.0, 2.0)
# Beyond this lateness a file replay re-syncs its clock instead of skipping a burst of frames.
MAX_LATENESS_S = 0.5


class FrameProcessor(Protocol):
    """What the worker needs from :class:`snowcam.pipeline.Pipeline` (or a stand-in)."""

    filters: tuple[Filter, ...]

    def process(self, frame: Frame, t_s: float) -> FrameResult: ...

    def reset(self) -> None: ...


class PassThrough:
    """Shows frames unchanged; stands in for the pipeline when the face model cannot be loaded."""

    def __init__(self) -> None:
        self.filters: tuple[Filter, ...] = ()

    def process(self, frame: Frame, t_s: float) -> FrameResult:
        start = time.perf_counter()
        out = frame.copy()
        return FrameResult(t_s, frame, (), out, {"total": (time.perf_counter() - start) * 1000.0})

    def reset(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """A camera to open: OpenCV ``index``, requested ``width``×``height`` pixels and ``fps``."""

    index: int
    width: int = 640
    height: int = 480
    fps: float = 30.0
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or f"Camera {self.index}"


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A video file to replay in real time, from the start again at its end when ``loop``."""

    path: Path
    loop: bool = True
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.path.name


SourceSpec = CameraSpec | FileSpec
CameraFactory = Callable[[CameraSpec], FrameSource]
VideoFactory = Callable[[FileSpec], FrameSource]
ProcessorFactory = Callable[[], FrameProcessor]
# (path, fps, (width, height), audio format or None) -> writer
RecorderFactory = Callable[[Path, float, tuple[int, int], "AudioFormat | None"], "VideoWriter"]


def _video_writer(path: Path, fps: float, size: tuple[int, int], audio: AudioFormat | None) -> VideoWriter:
    from snowcam.video_writer import VideoWriter

    return VideoWriter(path, fps, size, audio=audio)


@dataclass(frozen=True, slots=True)
class DisplayFrame:
    """A processed frame for the screen.

    ``ready_s`` is the ``time.monotonic()`` second the frame was captured (camera) or due
    (file), so ``monotonic() - ready_s`` is its age when shown. ``mirrored`` says whether the
    picture is flipped left-right (selfie view). ``processed_fps`` is the worker's recent rate,
    ``dropped`` how many frames were skipped since the source opened to stay current.
    """

    result: FrameResult
    ready_s: float
    mirrored: bool
    processed_fps: float
    dropped: int


class CameraGrabber:
    """Owns one camera in its own thread and keeps only its newest frame.

    ``on_frame(t_s, frame, arrived_s)`` is called from the grabber thread for every frame;
    ``on_event(kind, payload)`` with ``("opened", SourceInfo)``, ``("failed", message)`` (the
    first open failed; the thread ends), ``("lost", message)`` and ``("recovered", SourceInfo)``.
    """

    def __init__(
        self,
        spec: CameraSpec,
        factory: CameraFactory,
        on_frame: Callable[[float, Frame, float], None],
        on_event: Callable[[str, object], None],
        reconnect_delays_s: Sequence[float] = RECONNECT_DELAYS_S,
    ) -> None:
        self.spec = spec
        self._factory = factory
        self._on_frame = on_frame
        self._on_event = on_event
        self._delays = tuple(reconnect_delays_s)
        self._stop = threading.Event()
        self._retry_now = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"snowcam-camera-{spec.index}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def retry_now(self) -> None:
        """Skip the wait before the next reconnection attempt (a camera was just plugged in)."""
        self._retry_now.set()

    def stop(self, timeout_s: float = 3.0) -> bool:
        """Ask the thread to close the camera and end; ``False`` if it is still blocked in a read."""
        self._stop.set()
        self._retry_now.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _open(self) -> tuple[FrameSource | None, str]:
        try:
            return self._factory(self.spec), ""
        except SourceError as exc:
            return None, str(exc)
        except Exception as exc:
            logger.exception("Opening %s failed unexpectedly", self.spec.label)
            return None, f"{self.spec.label} could not be opened ({exc})."

    def _run(self) -> None:
        source, message = self._open()
        if source is None:
            self._on_event("failed", message)
            return
        self._on_event("opened", source.info)
        try:
            while not self._stop.is_set():
                try:
                    item = source.read()
                except SourceError as exc:
                    item, message = None, str(exc)
                else:
                    message = f"{self.spec.label} stopped delivering pictures."
                if item is None:
                    source.close()
                    if self._stop.is_set():
                        return
                    logger.warning("%s", message)
                    source = self._reconnect(message)
                    if source is None:
                        return
                    continue
                t_s, frame = item
                self._on_frame(t_s, frame, time.monotonic())
        finally:
            if source is not None:
                source.close()

    def _reconnect(self, message: str) -> FrameSource | None:
        self._on_event("lost", message)
        attempt = 0
        while not self._stop.is_set():
            self._retry_now.wait(self._delays[min(attempt, len(self._delays) - 1)])
            self._retry_now.clear()
            if self._stop.is_set():
                return None
            source, _ = self._open()
            if source is not None:
                logger.info("%s is back after %d attempt(s)", self.spec.label, attempt + 1)
                self._on_event("recovered", source.info)
                return source
            attempt += 1
        return None


class FilePlayer:
    """Paces a video file by its timestamps against ``clock`` (seconds), skipping late frames.

    The first frame read fixes the clock origin; each later frame is due at its ``t_s``
    after it. A frame is skipped when the next one is already due; when the player falls
    more than ``MAX_LATENESS_S`` behind (a stall), it re-syncs instead of skipping a burst.
    """

    def __init__(self, source: FrameSource, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.clock = clock
        self.period_s = 1.0 / source.info.fps
        self.ended = False
        self.dropped = 0
        self._origin_s: float | None = None
        self._pending: tuple[float, Frame] | None = None

    def restart_clock(self) -> None:
        """Make the next frame due now (after a pause)."""
        self._origin_s = None

    def next_frame(self, wait: Callable[[float], bool]) -> tuple[float, Frame, float] | None:
        """The frame to show now as ``(t_s, frame, due_s)``.

        ``wait(seconds)`` sleeps until a frame is due and returns ``True`` when it was woken
        early; then ``None`` is returned and the frame stays pending for the next call.
        ``None`` is also returned at the end of the file (``ended`` is then ``True``).
        """
        while True:
            item, self._pending = self._pending or self.source.read(), None
            if item is None:
                self.ended = True
                return None
            t_s, frame = item
            now = self.clock()
            if self._origin_s is None:
                self._origin_s = now - t_s
            due = self._origin_s + t_s
            if now < due:
                if wait(due - now):
                    self._pending = item
                    return None
                return t_s, frame, due
            lateness = now - due
            if lateness > MAX_LATENESS_S:
                self._origin_s = now - t_s
                return t_s, frame, now
            if lateness >= self.period_s:
                self.dropped += 1
                continue
            return t_s, frame, due


class FrameWorker(QObject):
    """Runs sources and the pipeline in a worker thread; the UI calls its methods and reads ``take_latest``.

    Every public method may be called from the UI thread and returns at once: requests are
    queued and run in the worker thread between frames. Signals are emitted from worker threads
    and reach UI slots queued. ``frame_ready`` is coalesced: it is not emitted again until
    :meth:`take_latest` has been called, so a busy UI never builds a backlog of stale frames.
    """

    frame_ready = pyqtSignal()
    source_opened = pyqtSignal(object, object)
    source_failed = pyqtSignal(object, str)
    source_lost = pyqtSignal(str)
    source_recovered = pyqtSignal(object)
    playback_finished = pyqtSignal()
    processor_failed = pyqtSignal(str)
    processing_error = pyqtSignal(str)
    recording_started = pyqtSignal(str)
    recording_saved = pyqtSignal(str, int)
    recording_failed = pyqtSignal(str)
    # A write error stopped the recording; what was written is kept: (message, path or "", seconds)
    recording_cut_short = pyqtSignal(str, str, float)

    def __init__(
        self,
        processor_factory: ProcessorFactory,
        camera_factory: CameraFactory,
        video_factory: VideoFactory,
        recorder_factory: RecorderFactory = _video_writer,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._processor_factory = processor_factory
        self._camera_factory = camera_factory
        self._video_factory = video_factory
        self._recorder_factory = recorder_factory
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._commands: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._processor: FrameProcessor | None = None
        self._filters: tuple[Filter, ...] = ()
        self._latest_lock = threading.Lock()
        self._latest: DisplayFrame | None = None
        self._emit_pending = False
        # State below is only touched in the worker thread.
        self._spec: SourceSpec | None = None
        self._info: SourceInfo | None = None
        self._grabber: CameraGrabber | None = None
        self._generation = 0
        self._camera_item: tuple[float, Frame, float] | None = None
        self._camera_dropped = 0
        self._player: FilePlayer | None = None
        self._mirror = True
        self._paused = False
        self._last_result: FrameResult | None = None
        self._fps = 0.0
        self._last_processed_s: float | None = None
        self._recording: _Recording | None = None
        self._finishers: list[threading.Thread] = []
        self._errors_reported: set[str] = set()

    # --- called from the UI thread -------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread; it builds the pipeline while the first source opens."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="snowcam-worker", daemon=True)
            self._thread.start()

    def open_source(self, spec: SourceSpec) -> None:
        """Switch to ``spec``; ``source_opened`` or ``source_failed`` follows.

        A video file that cannot be opened leaves the current source running.
        """
        self._post(lambda: self._switch(spec))

    def set_filters(self, filters: Sequence[Filter]) -> None:
        """Use ``filters`` from the next frame on (and redraw the still frame while paused)."""
        self._filters = tuple(filters)
        processor = self._processor
        if processor is not None:
            processor.filters = self._filters
        self._post(self._redraw_if_still)

    def set_mirror(self, mirror: bool) -> None:
        """Flip camera pictures left-right (selfie view); video files are always shown as recorded."""
        self._post(lambda: self._set_mirror(mirror))

    def set_paused(self, paused: bool) -> None:
        """Pause or resume a video file (a camera keeps running)."""
        self._post(lambda: self._set_paused(paused))

    def set_loop(self, loop: bool) -> None:
        """Whether a video file starts over at its end; turning it on after the end replays it."""
        self._post(lambda: self._set_loop(loop))

    def retry_camera(self) -> None:
        """Try to reconnect a lost camera now instead of after the current delay."""
        grabber = self._grabber
        if grabber is not None:
            grabber.retry_now()

    def start_recording(self, path: Path, keep_mirror: bool = True, audio: AudioFormat | None = None) -> None:
        """Record the filtered picture to ``path`` (.mp4) from the next frame on.

        With ``keep_mirror`` False, a mirrored camera picture is written unmirrored. With
        ``audio``, the file gets a sound track fed by :meth:`add_audio`.
        ``recording_started`` or ``recording_failed`` follows.
        """
        self._post(lambda: self._start_recording(path, keep_mirror, audio))

    def add_audio(self, samples: object, t_s: float) -> None:
        """Microphone PCM captured from ``t_s`` (``time.monotonic`` seconds) for the recording."""
        self._post(lambda: self._add_audio(samples, t_s))

    def stop_recording(self) -> None:
        """Finish the recording; ``recording_saved`` (or ``recording_failed``) follows."""
        self._post(lambda: self._finish_recording(wait=False))

    def take_latest(self) -> DisplayFrame | None:
        """The newest processed frame (re-arms ``frame_ready``)."""
        with self._latest_lock:
            self._emit_pending = False
            return self._latest

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop the thread, close the source and finish any recording; ``True`` when all ended.

        Blocks until then (a recording in progress is finalised so the file is playable).
        """
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                logger.error("The frame worker did not stop within %.0f s", timeout_s)
                return False
        return True

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- worker thread -------------------------------------------------------------------

    def _post(self, command: Callable[[], None]) -> None:
        with self._cv:
            self._commands.append(command)
            self._cv.notify_all()

    def _wait(self, timeout_s: float | None) -> bool:
        """Sleep up to ``timeout_s``; ``True`` when woken early by a request or ``stop``."""
        with self._cv:
            return self._cv.wait_for(lambda: self._stop.is_set() or bool(self._commands), timeout_s)

    def _run_commands(self) -> None:
        with self._cv:
            commands, self._commands = self._commands, []
        for command in commands:
            try:
                command()
            except Exception:
                logger.exception("A request to the frame worker failed")

    def _run(self) -> None:
        # Frames flow unfiltered while the pipeline loads, so the first picture never waits for the model.
        self._processor = PassThrough()
        builder = threading.Thread(target=self._build_processor, name="snowcam-pipeline-load", daemon=True)
        builder.start()
        try:
            while not self._stop.is_set():
                self._run_commands()
                if self._stop.is_set():
                    break
                item = self._next_item()
                if item is not None:
                    self._handle(*item)
        except Exception:
            logger.exception("The frame worker stopped after an unexpected error")
            self.processing_error.emit("The picture stopped after an unexpected error (details in the log).")
        finally:
            self._close_source()
            self._finish_recording(wait=True)
            for finisher in self._finishers:
                finisher.join()
            builder.join()

    def _build_processor(self) -> None:
        """Runs in its own thread; the worker thread installs the result between two frames."""
        start = time.perf_counter()
        try:
            processor = self._processor_factory()
        except Exception as exc:
            logger.warning("Filters are off: %s", exc, exc_info=not isinstance(exc, (OSError, RuntimeError)))
            self.processor_failed.emit(str(exc))
            return
        logger.info("Pipeline ready in %.0f ms", (time.perf_counter() - start) * 1000.0)
        self._post(lambda: self._install_processor(processor))

    def _install_processor(self, processor: FrameProcessor) -> None:
        processor.filters = self._filters
        self._processor = processor

    def _next_item(self) -> tuple[float, Frame, float] | None:
        if self._grabber is not None:
            with self._cv:
                self._cv.wait_for(
                    lambda: self._stop.is_set() or bool(self._commands) or self._camera_item is not None, 1.0
                )
                item, self._camera_item = self._camera_item, None
            return item
        player = self._player
        if player is None or self._paused or player.ended:
            self._wait(None)
            return None
        item = player.next_frame(self._wait)
        if item is None and player.ended:
            self._on_file_end()
        return item

    def _handle(self, t_s: float, frame: Frame, ready_s: float) -> None:
        processor = self._processor
        if processor is None:
            return
        mirrored = self._grabber is not None and self._mirror
        if mirrored:
            frame = cv2.flip(frame, 1)
        try:
            result = processor.process(frame, t_s)
        except Exception as exc:
            self._report_once(
                f"{type(exc).__name__}: {exc}", "A filter failed, the picture is shown without it"
            )
            result = PassThrough().process(frame, t_s)
        now = time.monotonic()
        if self._last_processed_s is not None:
            rate = 1.0 / max(now - self._last_processed_s, 1e-6)
            self._fps = rate if self._fps == 0.0 else 0.9 * self._fps + 0.1 * rate
        self._last_processed_s = now
        self._last_result = result
        if self._recording is not None:
            self._recording.add(result.output, t_s)
            if self._recording.writer.failed:
                self._finish_recording(wait=False)
        self._publish(result, ready_s, mirrored)

    def _publish(self, result: FrameResult, ready_s: float, mirrored: bool) -> None:
        dropped = self._camera_dropped if self._grabber is not None else getattr(self._player, "dropped", 0)
        frame = DisplayFrame(result, ready_s, mirrored, self._fps, dropped)
        with self._latest_lock:
            self._latest = frame
            emit, self._emit_pending = not self._emit_pending, True
        if emit:
            self.frame_ready.emit()

    def _report_once(self, detail: str, message: str) -> None:
        if detail in self._errors_reported:
            return
        self._errors_reported.add(detail)
        logger.error("%s: %s", message, detail, exc_info=True)
        self.processing_error.emit(f"{message} (details in the log).")

    def _redraw_if_still(self) -> None:
        """While paused, show the current filters on the still frame without advancing tracking."""
        last = self._last_result
        if last is None or self._grabber is not None or not self._paused:
            return
        stage_ms: dict[str, float] = {}
        out = render(last.frame, last.faces, self._filters, last.t_s, stage_ms)
        result = FrameResult(last.t_s, last.frame, last.faces, out, stage_ms)
        self._last_result = result
        self._publish(result, time.monotonic(), False)

    def _set_mirror(self, mirror: bool) -> None:
        if mirror != self._mirror:
            self._mirror = mirror
            if self._processor is not None:
                self._processor.reset()

    def _set_paused(self, paused: bool) -> None:
        self._paused = paused
        if self._player is None:
            return
        if not paused and self._player.ended and isinstance(self._spec, FileSpec):
            self._switch(self._spec)
        self._player.restart_clock()

    def _set_loop(self, loop: bool) -> None:
        if isinstance(self._spec, FileSpec):
            self._spec = FileSpec(self._spec.path, loop, self._spec.name)
        if self._player is not None and hasattr(self._player.source, "loop"):
            self._player.source.loop = loop  # type: ignore[attr-defined]
            if loop and self._player.ended and self._spec is not None:
                self._switch(self._spec)

    def _on_file_end(self) -> None:
        logger.info("End of %s", self._spec.label if self._spec else "the video")
        self._finish_recording(wait=False)
        self.playback_finished.emit()

    def _switch(self, spec: SourceSpec) -> None:
        if isinstance(spec, FileSpec):
            try:
                source = self._video_factory(spec)
            except SourceError as exc:
                self.source_failed.emit(spec, str(exc))
                return
            except Exception as exc:
                logger.exception("Opening %s failed unexpectedly", spec.path)
                self.source_failed.emit(spec, f"Cannot open {spec.path.name}: {exc}")
                return
            self._close_source()
            self._spec, self._info = spec, source.info
            self._player = FilePlayer(source)
            self._paused = False
            self._reset_stream()
            logger.info(
                "Playing %s (%dx%d, %.1f fps)",
                spec.path,
                source.info.width,
                source.info.height,
                source.info.fps,
            )
            self.source_opened.emit(spec, source.info)
            return
        self._close_source()
        self._spec, self._info = spec, None
        self._reset_stream()
        self._generation += 1
        generation = self._generation

        def on_frame(t_s: float, frame: Frame, arrived_s: float) -> None:
            with self._cv:
                if generation != self._generation:
                    return
                if self._camera_item is not None:
                    self._camera_dropped += 1
                self._camera_item = (t_s, frame, arrived_s)
                self._cv.notify_all()

        def on_event(kind: str, payload: object) -> None:
            if generation != self._generation:
                return
            if kind == "opened":
                assert isinstance(payload, SourceInfo)
                self._info = payload
                logger.info(
                    "%s open: %dx%d at %.0f fps", spec.label, payload.width, payload.height, payload.fps
                )
                self.source_opened.emit(spec, payload)
            elif kind == "failed":
                logger.warning("%s", payload)
                self._post(lambda: self._drop_grabber(generation))
                self.source_failed.emit(spec, str(payload))
            elif kind == "lost":
                self.source_lost.emit(str(payload))
            elif kind == "recovered":
                self._post(self._reset_stream)
                self.source_recovered.emit(payload)

        self._grabber = CameraGrabber(spec, self._camera_factory, on_frame, on_event)
        self._grabber.start()

    def _drop_grabber(self, generation: int) -> None:
        if generation == self._generation and self._grabber is not None:
            self._grabber.stop()
            self._grabber = None

    def _reset_stream(self) -> None:
        if self._processor is not None:
            self._processor.reset()
        self._last_processed_s = None
        self._fps = 0.0
        self._camera_dropped = 0

    def _close_source(self) -> None:
        self._finish_recording(wait=False)
        self._generation += 1
        if self._grabber is not None:
            if not self._grabber.stop():
                logger.warning(
                    "%s did not close in time; it is left to close on its own", self._grabber.spec.label
                )
            self._grabber = None
        with self._cv:
            self._camera_item = None
        if self._player is not None:
            self._player.source.close()
            self._player = None
        self._last_result = None

    def _add_audio(self, samples: object, t_s: float) -> None:
        if self._recording is not None and self._grabber is not None:
            self._recording.add_audio(samples, t_s)  # type: ignore[arg-type]

    def _start_recording(self, path: Path, keep_mirror: bool, audio: AudioFormat | None = None) -> None:
        if self._recording is not None:
            return
        last, info = self._last_result, self._info
        if last is None or info is None:
            self.recording_failed.emit("There is no picture to record yet.")
            return
        height, width = last.output.shape[:2]
        try:
            # Only a camera recording gets the microphone; a replayed file's time is not the mic's.
            recorder = self._recorder_factory(
                path, info.fps, (width, height), audio if self._grabber is not None else None
            )
        except (SinkError, ValueError, OSError) as exc:
            self.recording_failed.emit(str(exc))
            return
        mirrored = self._grabber is not None and self._mirror
        self._recording = _Recording(RecordingWriter(recorder), info.fps, flip=mirrored and not keep_mirror)
        logger.info("Recording to %s at %.1f fps", path, info.fps)
        self.recording_started.emit(os.fspath(path))

    def _finish_recording(self, wait: bool) -> None:
        recording, self._recording = self._recording, None
        if recording is None:
            return

        def finish() -> None:
            try:
                outcome: RecordingResult = recording.writer.finish()
            except Exception as exc:
                logger.exception("Finishing the recording failed")
                self.recording_failed.emit(f"The recording could not be finished: {exc}")
                return
            saved = outcome.saved
            if outcome.error is None and saved is not None:
                logger.info("Saved %s (%d frames)", saved.path, saved.frames)
                self.recording_saved.emit(os.fspath(saved.path), saved.frames)
            elif saved is None:
                self.recording_failed.emit(outcome.message())
            else:
                self.recording_cut_short.emit(outcome.message(), os.fspath(saved.path), saved.duration_s)

        if wait:
            finish()
        else:
            self._finishers = [t for t in self._finishers if t.is_alive()]
            thread = threading.Thread(target=finish, name="snowcam-recording-finish", daemon=True)
            thread.start()
            self._finishers.append(thread)
