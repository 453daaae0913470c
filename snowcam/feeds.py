"""Where live frames come from: a camera read in its own thread, a video file paced in real time.

Plain Python threads, no Qt. :class:`CameraGrabber` owns one camera and keeps only its newest
frame; :class:`FilePlayer` shows a file's frames when they are due by its timestamps and skips
the late ones, so a replay keeps real time. :class:`snowcam.session.Session` drives both.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from snowcam.sources import FrameSource, SourceError
from snowcam.types import Frame

logger = logging.getLogger(__name__)

RECONNECT_DELAYS_S = (0.5, 1.0, 2.0)
# Beyond this lateness a file replay re-syncs its clock instead of skipping a burst of frames.
MAX_LATENESS_S = 0.5
# Weight of the newest frame interval in the smoothed frame rate.
RATE_SMOOTHING = 0.1


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """A camera to open: OpenCV ``index``, requested ``width``×``height`` pixels and ``fps``.

    ``name`` is the device's name as the system lists it; ``label`` is what the user is shown
    everywhere (selector, menu, status), the name or else ``Camera N`` with the same ``N`` as
    ``--camera N``.
    """

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


class CameraGrabber:
    """Owns one camera in its own thread and keeps only its newest frame.

    ``on_frame(t_s, frame, arrived_s)`` is called from the grabber thread for every frame;
    ``on_event(kind, payload)`` with ``("opened", SourceInfo)``, ``("failed", message)`` (the
    first open failed; the thread ends), ``("lost", message)`` and ``("recovered", SourceInfo)``.
    """

    def __init__(
        self,
        spec: CameraSpec,
        factory: Callable[[CameraSpec], FrameSource],
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

    def seeked(self) -> None:
        """The source moved: forget the frame read ahead, the end, and the clock."""
        self._pending = None
        self._origin_s = None
        self.ended = False

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


class Mailbox:
    """Work handed to the session thread from any thread: commands, and the newest camera frame."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._commands: list[Callable[[], None]] = []
        self._frame: tuple[int, tuple[float, Frame, float]] | None = None
        self.replaced = 0
        self.stopped = False

    def post(self, command: Callable[[], None]) -> None:
        with self._cv:
            self._commands.append(command)
            self._cv.notify_all()

    def stop(self) -> None:
        with self._cv:
            self.stopped = True
            self._cv.notify_all()

    def put_frame(self, generation: int, item: tuple[float, Frame, float]) -> None:
        """Keep only the newest camera frame; a frame replaced before it was taken is counted."""
        with self._cv:
            if self._frame is not None and self._frame[0] == generation:
                self.replaced += 1
            self._frame = (generation, item)
            self._cv.notify_all()

    def take_frame(self, generation: int) -> tuple[float, Frame, float] | None:
        with self._cv:
            frame, self._frame = self._frame, None
        return frame[1] if frame is not None and frame[0] == generation else None

    def take_commands(self) -> list[Callable[[], None]]:
        with self._cv:
            commands, self._commands = self._commands, []
        return commands

    def wait(self, timeout_s: float | None, for_frame: bool = False) -> bool:
        """Sleep up to ``timeout_s``; ``True`` when woken by a command or ``stop`` (or a frame)."""
        with self._cv:
            return self._cv.wait_for(
                lambda: self.stopped or bool(self._commands) or (for_frame and self._frame is not None),
                timeout_s,
            )


class RateMeter:
    """Frames per second from the times ``tick`` is called (seconds of ``clock``).

    The interval between ticks is smoothed (an exponential moving average) and ``fps`` is its
    inverse, so uneven intervals do not inflate the rate.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.fps = 0.0
        self._interval_s: float | None = None
        self._last_s: float | None = None

    def reset(self) -> None:
        self.fps, self._interval_s, self._last_s = 0.0, None, None

    def tick(self) -> None:
        now = self.clock()
        if self._last_s is not None:
            dt = max(now - self._last_s, 1e-6)
            previous = self._interval_s
            self._interval_s = dt if previous is None else previous + RATE_SMOOTHING * (dt - previous)
            self.fps = 1.0 / self._interval_s
        self._last_s = now
