"""The live session: source → pipeline → filters → outputs, with the rules of a camera app. No Qt.

One :class:`Session` runs one live picture. It opens a camera or a video file, processes the
newest frame with the pipeline (whose filters come from the :class:`Selection` it holds), and
hands the result to the screen (``on_shown``), to the photo and recording outputs and to any
other :class:`~snowcam.outputs.Output` added (a virtual camera).

**Threads.** Every method of a session runs on one thread, the *session thread*, which calls
:meth:`Session.step` in a loop (:meth:`Session.run`). Other threads never call its methods:
they hand it work with :meth:`Session.post` (thread-safe), and so do the camera's own thread,
the model loader and the photo writer. ``on_event`` and ``on_shown`` are called on the session
thread. A test drives a replay end to end by calling ``step`` itself.

**Mirroring, the one rule.** The pipeline and the filters work on the picture as the camera
sees it. Mirroring is a view transform applied afterwards, to camera pictures only (a video
file plays as recorded): the screen, photos and recordings get the picture *as the preview
shows it*, mirror included, so what was composed on screen is what is saved; an output added
with ``as_view=False`` (the default: a virtual camera, whose viewers expect the camera's own
orientation) gets the unmirrored picture.

**Capture state.** :class:`CaptureState` says what the source is doing; transitions are
announced with :class:`StateChanged`. A camera goes OPENING → LIVE (or FAILED), LIVE → LOST →
LIVE when it is unplugged and back. A file goes LIVE ⇄ PAUSED, LIVE → ENDED at its end unless
it loops; playing (``set_paused(False)``) or turning loop on from ENDED starts it over.

**Photos.** ``take_photo`` saves the picture last shown, or starts the countdown when one is
set; while it runs, a second ``take_photo`` takes the photo at once and ``cancel_countdown``
drops it. There is no photo without a picture (:class:`CaptureRefused`).
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import cv2
import numpy.typing as npt

from snowcam.captures import CLOSEUP_FRAMING, DEFAULT_CLOSEUP_FRAMING, render_closeup, square_thumbnail
from snowcam.events import (
    CaptureRefused,
    CaptureSettings,
    CaptureState,
    Closeups,
    CountdownChanged,
    MirrorChanged,
    OutputFailed,
    PhotoFailed,
    PhotoSaved,
    ProcessingError,
    ProcessorFailed,
    RecordingCutShort,
    RecordingFailed,
    RecordingSaved,
    RecordingsRecovered,
    RecordingStarted,
    SelectionChanged,
    SessionEvent,
    Shown,
    SourceFailed,
    SourceLost,
    SourceRecovered,
    StateChanged,
)
from snowcam.feeds import CameraGrabber, CameraSpec, FilePlayer, FileSpec, Mailbox, RateMeter, SourceSpec
from snowcam.filters import FILTERS, Filter, create_filter, filter_names, render
from snowcam.filters.selection import Selection
from snowcam.outputs import Output, RecorderFactory, RecordingOutput, default_recorder
from snowcam.sinks import SinkError, save_image_atomic, snapshot_path
from snowcam.sources import FrameSource, SeekableSource, SourceError, SourceInfo
from snowcam.types import Frame, FrameResult

if TYPE_CHECKING:
    from snowcam.video_writer import AudioFormat

__all__ = [
    "CameraSpec",
    "CaptureSettings",
    "CaptureState",
    "FileSpec",
    "Session",
    "Shown",
    "SourceSpec",
]

logger = logging.getLogger(__name__)

THUMB_PX = 96
# The gallery's close-ups show a filter with at least this strength, so a subtle one is visible.
CLOSEUP_MIN_STRENGTH = 0.75
STRENGTH_STEP = 0.1


def mirror_view(frame: Frame, mirrored: bool) -> Frame:
    """The view transform, the one place a picture is mirrored: ``frame`` flipped left-right, or as is."""
    return cv2.flip(frame, 1) if mirrored else frame


class FrameProcessor(Protocol):
    """What the session needs from :class:`snowcam.pipeline.Pipeline` (or a stand-in)."""

    filters: tuple[Filter, ...]

    def process(self, frame: Frame, t_s: float) -> FrameResult: ...

    def reset(self) -> None: ...


class PassThrough:
    """Shows frames unfiltered, without faces; stands in while the model loads or when it cannot."""

    def __init__(self) -> None:
        self.filters: tuple[Filter, ...] = ()

    def process(self, frame: Frame, t_s: float) -> FrameResult:
        start = time.perf_counter()
        out = frame.copy()
        return FrameResult(t_s, frame, (), out, {"total": (time.perf_counter() - start) * 1000.0})

    def reset(self) -> None:
        pass


@dataclass
class _Recording:
    output: RecordingOutput
    thumbnail: Frame


@dataclass
class _FileFeed:
    source: FrameSource
    player: FilePlayer | None
    ended: bool = False


@dataclass
class _Outputs:
    """Outputs by name, each with whether it gets the view (``True``) or the camera's orientation."""

    by_name: dict[str, tuple[Output, bool]] = field(default_factory=dict)


def _closeup_filter(name: str, strength: float) -> Filter:
    """``name`` for a gallery close-up: at ``strength``, and triggered effects drawn as if triggered.

    A factory that takes ``preview`` (the effects' convention, see :mod:`snowcam.filters.effects`)
    gets ``preview=True``, so an effect that waits for an open mouth shows what it does.
    """
    info = FILTERS[name]
    kwargs: dict[str, object] = {"strength": strength} if info.has_strength else {}
    try:
        if "preview" in inspect.signature(info.factory).parameters:
            kwargs["preview"] = True
    except (TypeError, ValueError):
        pass
    return info.factory(**kwargs)


def _has_beauty_strength(name: str) -> bool:
    info = FILTERS[name]
    return info.group == "beauty" and info.has_strength


# --- the session -------------------------------------------------------------------------


class Session:
    """One live picture: a source, the pipeline, the filter selection, the view and the outputs.

    ``camera_factory``/``video_factory`` open sources (raising ``SourceError``);
    ``recorder_factory(path, fps, (width, height))`` opens a recording's file; ``clock`` gives
    seconds (pacing, fps, countdown) and ``now`` the local time that captures are named after.
    With ``realtime`` a video file plays at its own rate, skipping late frames; without, every
    frame is processed as fast as it comes (a replay in a test). See the module's docstring for
    the threading, mirroring and capture rules.
    """

    def __init__(
        self,
        camera_factory: Callable[[CameraSpec], FrameSource],
        video_factory: Callable[[FileSpec], FrameSource],
        capture: CaptureSettings,
        *,
        on_event: Callable[[SessionEvent], None] = lambda event: None,
        on_shown: Callable[[Shown], None] = lambda shown: None,
        processor: FrameProcessor | None = None,
        recorder_factory: RecorderFactory = default_recorder,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = datetime.now,
        realtime: bool = True,
    ) -> None:
        self._camera_factory = camera_factory
        self._video_factory = video_factory
        self.capture = capture
        self._on_event = on_event
        self._on_shown = on_shown
        self._processor: FrameProcessor = processor or PassThrough()
        self._recorder_factory = recorder_factory
        self._clock = clock
        self._now = now
        self._realtime = realtime
        self.mailbox = Mailbox()
        self.selection = Selection()
        self.mirror = True
        self.loop = True
        self.state = CaptureState.NO_SOURCE
        self.spec: SourceSpec | None = None
        self.info: SourceInfo | None = None
        self.last: Shown | None = None
        self._filters: tuple[Filter, ...] = ()
        self._built: dict[tuple[str, float], Filter] = {}
        self._closeup_filters: dict[tuple[str, float], Filter] = {}
        self._closeups_wanted: tuple[str, ...] = ()
        self._building_closeups = False
        self._grabber: CameraGrabber | None = None
        self._file: _FileFeed | None = None
        self._generation = 0
        self._rate = RateMeter(clock)
        self._outputs = _Outputs()
        self._recording: _Recording | None = None
        self._countdown_deadline_s: float | None = None
        self._countdown_shown: int | None = None
        self._errors_reported: set[str] = set()
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snowcam-io")
        self._helpers: list[threading.Thread] = []
        self._closed = False
        self._blocking = True

    # --- thread-safe -----------------------------------------------------------------------

    def post(self, command: Callable[[], None]) -> None:
        """Run ``command`` on the session thread before the next frame (thread-safe)."""
        self.mailbox.post(command)

    def stop(self) -> None:
        """Make :meth:`run` return after the current step (thread-safe)."""
        self.mailbox.stop()

    # --- running ---------------------------------------------------------------------------

    def run(self) -> None:
        """Step until :meth:`stop`, then close everything (a recording is finalised)."""
        try:
            while self.step():
                pass
        except Exception:
            logger.exception("The session stopped after an unexpected error")
            self._emit(ProcessingError("The picture stopped after an unexpected error (details in the log)."))
        finally:
            self.close()

    def step(self, block: bool = True) -> bool:
        """Run posted commands, then process at most one frame; ``False`` once stopped.

        With ``block`` it waits for the next frame (or a command, or a countdown tick); without,
        it never sleeps (a test stepping a paused replay).
        """
        self._blocking = block
        self._run_commands()
        if self.mailbox.stopped:
            return False
        self._tick_countdown()
        item = self._next_item()
        if item is not None:
            self._handle(*item)
        self._tick_countdown()
        return not self.mailbox.stopped

    def run_until(self, done: Callable[[], bool], max_steps: int = 100_000) -> None:
        """Step until ``done()`` (or ``max_steps``); for replays without a window."""
        for _ in range(max_steps):
            if done() or not self.step():
                return

    def load_processor(self, factory: Callable[[], FrameProcessor]) -> None:
        """Build the pipeline in a thread of its own; frames flow unfiltered until it is installed."""

        def build() -> None:
            start = time.perf_counter()
            try:
                processor = factory()
            except Exception as exc:
                logger.warning(
                    "Filters are off: %s", exc, exc_info=not isinstance(exc, (OSError, RuntimeError))
                )
                self._post_event(ProcessorFailed(str(exc)))
                return
            logger.info("Pipeline ready in %.0f ms", (time.perf_counter() - start) * 1000.0)
            self.post(lambda: self.install_processor(processor))

        self._start_helper(build, "snowcam-pipeline-load")

    def install_processor(self, processor: FrameProcessor) -> None:
        """Use ``processor`` from the next frame on, with the current filters."""
        processor.filters = self._filters
        self._processor = processor

    def close(self) -> None:
        """Close the source, finalise a recording, close every output, finish pending saves."""
        if self._closed:
            return
        self._closed = True
        self.cancel_countdown()
        self._finish_recording(wait=True)
        self._close_source()
        for name in list(self._outputs.by_name):
            self.remove_output(name)
        self._io.shutdown(wait=True)
        for helper in self._helpers:
            helper.join(10.0)
        self._run_commands()

    # --- sources ---------------------------------------------------------------------------

    def open(self, spec: SourceSpec) -> None:
        """Switch to ``spec``. A video file that cannot be opened leaves the current source running."""
        if isinstance(spec, FileSpec):
            self._open_file(spec)
        else:
            self._open_camera(spec)

    def retry_camera(self) -> None:
        """Reconnect a lost camera now, or open the last camera again after it failed."""
        if self._grabber is not None:
            self._grabber.retry_now()
        elif isinstance(self.spec, CameraSpec):
            self._open_camera(self.spec)

    def set_paused(self, paused: bool) -> None:
        """Pause or play a video file; playing from its end starts it over. A camera keeps running."""
        if self._file is None:
            return
        if paused and self.state is CaptureState.LIVE:
            self._set_state(CaptureState.PAUSED)
        elif not paused and self.state is CaptureState.ENDED:
            self._restart_file()
        elif not paused and self.state is CaptureState.PAUSED:
            if self._file.player is not None:
                self._file.player.restart_clock()
            self._set_state(CaptureState.LIVE)

    def set_loop(self, loop: bool) -> None:
        """Whether a video file starts over at its end; turning it on at the end plays it again."""
        self.loop = loop
        if isinstance(self.spec, FileSpec):
            self.spec = replace(self.spec, loop=loop)
        if self._file is not None:
            if isinstance(self._file.source, SeekableSource):
                self._file.source.loop = loop
            if loop and self.state is CaptureState.ENDED:
                self._restart_file()

    def seek(self, position_s: float) -> None:
        """Go to ``position_s`` seconds into a video file; paused or ended, its frame is shown."""
        feed = self._file
        if feed is None or not isinstance(feed.source, SeekableSource):
            return
        feed.source.seek(position_s)
        feed.ended = False
        if feed.player is not None:
            feed.player.seeked()
        self._processor.reset()
        if self.state in (CaptureState.PAUSED, CaptureState.ENDED):
            item = feed.source.read()
            if item is not None:
                self._handle(item[0], item[1], self._clock())
            self._set_state(CaptureState.PAUSED)

    def _open_file(self, spec: FileSpec) -> None:
        spec = replace(spec, loop=self.loop)
        try:
            source = self._video_factory(spec)
        except SourceError as exc:
            self._emit(SourceFailed(spec, str(exc)))
            if self.state is CaptureState.NO_SOURCE:
                self._set_state(CaptureState.FAILED)
            return
        except Exception as exc:
            logger.exception("Opening %s failed unexpectedly", spec.path)
            self._emit(SourceFailed(spec, f"Cannot open {spec.path.name}: {exc}"))
            return
        self._close_source()
        player = FilePlayer(source, self._clock) if self._realtime else None
        self._file = _FileFeed(source, player)
        self.spec, self.info = spec, source.info
        self._reset_stream()
        logger.info(
            "Playing %s (%dx%d, %.1f fps)", spec.path, source.info.width, source.info.height, source.info.fps
        )
        self._set_state(CaptureState.LIVE)
        self._emit_mirror()

    def _restart_file(self) -> None:
        if isinstance(self.spec, FileSpec):
            self._open_file(self.spec)

    def _open_camera(self, spec: CameraSpec) -> None:
        self._close_source()
        self.spec, self.info = spec, None
        self._reset_stream()
        self._generation += 1
        generation = self._generation
        self._set_state(CaptureState.OPENING)
        self._emit_mirror()

        def on_frame(t_s: float, frame: Frame, arrived_s: float) -> None:
            self.mailbox.put_frame(generation, (t_s, frame, arrived_s))

        def on_event(kind: str, payload: object) -> None:
            self.post(lambda: self._camera_event(generation, kind, payload))

        self._grabber = CameraGrabber(spec, self._camera_factory, on_frame, on_event)
        self._grabber.start()

    def _camera_event(self, generation: int, kind: str, payload: object) -> None:
        if generation != self._generation or not isinstance(self.spec, CameraSpec):
            return
        if kind == "opened" and isinstance(payload, SourceInfo):
            self.info = payload
            logger.info(
                "%s open: %dx%d at %.0f fps", self.spec.label, payload.width, payload.height, payload.fps
            )
            self._set_state(CaptureState.LIVE)
        elif kind == "failed":
            logger.warning("%s", payload)
            if self._grabber is not None:
                self._grabber.stop()
                self._grabber = None
            self.last = None
            self._emit(SourceFailed(self.spec, str(payload)))
            self._set_state(CaptureState.FAILED)
        elif kind == "lost":
            self._set_state(CaptureState.LOST)
            self._emit(SourceLost(str(payload)))
        elif kind == "recovered" and isinstance(payload, SourceInfo):
            self.info = payload
            self._reset_stream()
            self._set_state(CaptureState.LIVE)
            self._emit(SourceRecovered(payload))

    def _reset_stream(self) -> None:
        self._processor.reset()
        self._rate.reset()
        self.mailbox.replaced = 0

    def _close_source(self) -> None:
        self._finish_recording(wait=False)
        self.cancel_countdown()
        self._generation += 1
        if self._grabber is not None:
            if not self._grabber.stop():
                logger.warning(
                    "%s did not close in time; it is left to close on its own", self._grabber.spec.label
                )
            self._grabber = None
        if self._file is not None:
            self._file.source.close()
            self._file = None
        self.last = None

    def _set_state(self, state: CaptureState) -> None:
        self.state = state
        self._emit(StateChanged(state, self.spec, self.info))

    # --- frames ----------------------------------------------------------------------------

    def _wait(self, timeout_s: float | None, for_frame: bool = False) -> bool:
        if not self._blocking:
            timeout_s = 0.0
        if self._countdown_deadline_s is not None:
            tick_s = max(0.0, self._next_countdown_tick_s() - self._clock())
            timeout_s = tick_s if timeout_s is None else min(timeout_s, tick_s)
            if self.mailbox.wait(timeout_s, for_frame):
                return True
            return self._clock() >= self._next_countdown_tick_s()
        return self.mailbox.wait(timeout_s, for_frame)

    def _next_item(self) -> tuple[float, Frame, float] | None:
        if self._grabber is not None:
            item = self.mailbox.take_frame(self._generation)
            if item is None:
                self._wait(1.0, for_frame=True)
                item = self.mailbox.take_frame(self._generation)
            return item
        feed = self._file
        if feed is None or feed.ended or self.state is not CaptureState.LIVE:
            self._wait(None)
            return None
        if feed.player is None:
            read = feed.source.read()
            item = None if read is None else (read[0], read[1], self._clock())
        else:
            item = feed.player.next_frame(self._wait)
            if item is None and not feed.player.ended:
                return None
        if item is None:
            self._on_file_end()
        return item

    def _on_file_end(self) -> None:
        assert self._file is not None
        self._file.ended = True
        logger.info("End of %s", self.spec.label if self.spec else "the video")
        self._finish_recording(wait=False)
        self._set_state(CaptureState.ENDED)

    def _mirrored(self) -> bool:
        return self.mirror and isinstance(self.spec, CameraSpec)

    def _skipped(self) -> int:
        if self._file is not None:
            return self._file.player.dropped if self._file.player is not None else 0
        return self.mailbox.replaced

    def _handle(self, t_s: float, frame: Frame, ready_s: float) -> None:
        try:
            result = self._processor.process(frame, t_s)
        except Exception as exc:
            self._report_once(
                f"{type(exc).__name__}: {exc}", "A filter failed, the picture is shown without it"
            )
            result = PassThrough().process(frame, t_s)
        self._rate.tick()
        self._publish(result, ready_s)

    def _publish(self, result: FrameResult, ready_s: float) -> None:
        mirrored = self._mirrored()
        view = mirror_view(result.output, mirrored)
        position = duration = None
        if self._file is not None and isinstance(self._file.source, SeekableSource):
            position, duration = self._file.source.position_s, self._file.source.duration_s
        shown = Shown(result, view, ready_s, mirrored, self._rate.fps, self._skipped(), position, duration)
        self.last = shown
        for name, (output, as_view) in list(self._outputs.by_name.items()):
            try:
                output.write(view if as_view else result.output, result.t_s)
            except Exception as exc:
                logger.exception("The output %s failed", name)
                self._drop_output(name, str(exc))
        if self._recording is not None and self._recording.output.failed:
            self._finish_recording(wait=False)  # a full disk: keep what was written, say so
        self._on_shown(shown)
        if self._closeups_wanted:
            self._render_closeups()

    def _redraw_still(self) -> None:
        """Show the last frame again with the current filters and view, without advancing tracking."""
        last = self.last
        if last is None or self.state not in (CaptureState.PAUSED, CaptureState.ENDED):
            return
        stage_ms: dict[str, float] = {}
        r = last.result
        out = render(r.frame, r.faces, self._filters, r.t_s, stage_ms)
        self._publish(FrameResult(r.t_s, r.frame, r.faces, out, stage_ms), self._clock())

    def _report_once(self, detail: str, message: str) -> None:
        if detail in self._errors_reported:
            return
        self._errors_reported.add(detail)
        logger.error("%s: %s", message, detail, exc_info=True)
        self._emit(ProcessingError(f"{message} (details in the log)."))

    # --- filters ---------------------------------------------------------------------------

    def set_selection(self, selection: Selection) -> None:
        """Use ``selection``'s filters from the next frame on (a still frame is redrawn at once)."""
        self.selection = selection
        built: dict[tuple[str, float], Filter] = {}
        for name in selection.names:
            key = (name, selection.strength(name))
            built[key] = (
                self._built.get(key)
                or self._reusable(key)
                or create_filter(name, key[1] if FILTERS[name].has_strength else None)
            )
        self._built = built
        self._filters = tuple(built.values())
        self._processor.filters = self._filters
        self._emit(SelectionChanged(selection))
        self._redraw_still()

    def _reusable(self, key: tuple[str, float]) -> Filter | None:
        """A close-up's filter that the picture may share: a look (whole frame, no state, no faces)."""
        return self._closeup_filters.get(key) if FILTERS[key[0]].group == "look" else None

    def choose(self, name: str) -> None:
        """A plain pick (:meth:`Selection.choose`)."""
        self.set_selection(self.selection.choose(name))

    def choose_only(self, name: str) -> None:
        """Make ``name`` the only filter on (strengths are kept): stepping through the gallery."""
        self.set_selection(Selection(strengths=self.selection.strengths).choose(name))

    def step_filter(self, step: int) -> None:
        """The next (``step`` 1) or previous (-1) filter in gallery order, on its own (``←`` / ``→``)."""
        names = filter_names()
        current = self.selection.names[-1] if self.selection.names else "none"
        index = names.index(current) if current in names else 0
        self.choose_only(names[(index + step) % len(names)])

    def toggle(self, name: str) -> None:
        """Add or remove ``name`` (:meth:`Selection.toggle`)."""
        self.set_selection(self.selection.toggle(name))

    def set_strength(self, name: str, strength: float) -> None:
        """Set ``name``'s strength in [0, 1] (clipped)."""
        self.set_selection(self.selection.with_strength(name, strength))

    def strength_target(self) -> str | None:
        """The filter that ``change_strength`` moves: the beauty filter with a strength picked last."""
        return next((n for n in reversed(self.selection.names) if _has_beauty_strength(n)), None)

    def change_strength(self, steps: int) -> None:
        """Move the strength of :meth:`strength_target` by ``steps`` × ``STRENGTH_STEP`` (``[`` / ``]``)."""
        name = self.strength_target()
        if name is not None:
            value = round(self.selection.strength(name) + steps * STRENGTH_STEP, 6)
            self.set_strength(name, value)

    def request_closeups(self, names: Sequence[str]) -> None:
        """Render gallery close-ups of ``names`` after the next frame (now, on a still frame).

        Filters are built for the close-ups in a helper thread (some take a few hundred
        milliseconds to build), so the picture never waits; a close-up whose filter is not
        built yet is left out of this answer and comes with a later request.
        """
        self._closeups_wanted = tuple(n for n in names if n in FILTERS)
        missing = [
            key for key in map(self._closeup_key, self._closeups_wanted) if key not in self._closeup_filters
        ]
        if missing and not self._building_closeups:
            self._building_closeups = True

            def build() -> None:
                built = {}
                for name, strength in missing:
                    try:
                        built[(name, strength)] = _closeup_filter(name, strength)
                    except Exception:
                        logger.exception("The close-up of %s could not be built", name)

                def install() -> None:
                    self._closeup_filters.update(built)
                    self._building_closeups = False

                self.post(install)

            self._start_helper(build, "snowcam-closeup-filters")
        if self.state is not CaptureState.LIVE and self.last is not None:
            self._render_closeups()

    def _closeup_key(self, name: str) -> tuple[str, float]:
        return name, max(self.selection.strength(name), CLOSEUP_MIN_STRENGTH)

    def _render_closeups(self) -> None:
        names, self._closeups_wanted = self._closeups_wanted, ()
        last = self.last
        if last is None:
            return
        r = last.result
        images: dict[str, Frame] = {}
        for name in names:
            effect = self._closeup_filters.get(self._closeup_key(name))
            if effect is not None:
                zoom, lift = CLOSEUP_FRAMING.get(FILTERS[name].group, DEFAULT_CLOSEUP_FRAMING)
                closeup = render_closeup(r.frame, r.faces, (effect,), r.t_s, THUMB_PX, zoom, lift)
                images[name] = mirror_view(closeup, last.mirrored)
        if images:
            self._emit(Closeups(images))

    # --- view ------------------------------------------------------------------------------

    def set_mirror(self, mirror: bool) -> None:
        """Mirror camera pictures (the view transform; see the module's docstring)."""
        self.mirror = mirror
        self._emit_mirror()
        last = self.last
        if last is not None and self.state in (CaptureState.PAUSED, CaptureState.ENDED, CaptureState.LOST):
            self._publish(last.result, self._clock())

    def _emit_mirror(self) -> None:
        self._emit(MirrorChanged(self.mirror, self._mirrored()))

    # --- outputs ---------------------------------------------------------------------------

    def add_output(self, name: str, output: Output, as_view: bool = False) -> None:
        """Send every processed frame to ``output`` from now on (replacing one of that ``name``).

        With ``as_view`` it gets the picture as the screen shows it (mirror included); without,
        as the camera sees it. An output whose ``write`` raises is closed and removed
        (:class:`OutputFailed`).
        """
        self.remove_output(name)
        self._outputs.by_name[name] = (output, as_view)

    def remove_output(self, name: str) -> None:
        """Stop sending frames to ``name`` and close it (nothing happens for an unknown name)."""
        entry = self._outputs.by_name.pop(name, None)
        if entry is not None:
            try:
                entry[0].close()
            except Exception as exc:
                logger.exception("Closing the output %s failed", name)
                self._emit(OutputFailed(name, str(exc)))

    def output_names(self) -> list[str]:
        return list(self._outputs.by_name)

    def _drop_output(self, name: str, message: str) -> None:
        entry = self._outputs.by_name.pop(name, None)
        if entry is None:
            return
        if self._recording is not None and entry[0] is self._recording.output:
            self._finish_recording(wait=False)
            return
        try:
            entry[0].close()
        except Exception:
            logger.exception("Closing the output %s failed", name)
        self._emit(OutputFailed(name, message))

    # --- photos ----------------------------------------------------------------------------

    def set_capture(self, capture: CaptureSettings) -> None:
        """Folders, image format and countdown for the next captures."""
        self.capture = capture

    def take_photo(self) -> None:
        """Save the picture shown, or start the countdown; during it, take the photo at once."""
        if self._countdown_deadline_s is not None:
            self._end_countdown()
            self._save_photo()
            return
        if self.last is None or self.state in (
            CaptureState.FAILED,
            CaptureState.OPENING,
            CaptureState.NO_SOURCE,
        ):
            self._emit(CaptureRefused("No picture yet."))
            return
        if self.capture.countdown_s > 0:
            self._countdown_deadline_s = self._clock() + self.capture.countdown_s
            self._countdown_shown = self.capture.countdown_s
            self._emit(CountdownChanged(self._countdown_shown))
        else:
            self._save_photo()

    def cancel_countdown(self) -> bool:
        """Drop a running countdown without a photo; ``True`` if one was running."""
        if self._countdown_deadline_s is None:
            return False
        self._end_countdown()
        return True

    @property
    def counting_down(self) -> bool:
        return self._countdown_deadline_s is not None

    def _end_countdown(self) -> None:
        self._countdown_deadline_s = self._countdown_shown = None
        self._emit(CountdownChanged(None))

    def _next_countdown_tick_s(self) -> float:
        assert self._countdown_deadline_s is not None and self._countdown_shown is not None
        return self._countdown_deadline_s - (self._countdown_shown - 1)

    def _tick_countdown(self) -> None:
        if self._countdown_deadline_s is None:
            return
        left = math.ceil(self._countdown_deadline_s - self._clock() - 1e-9)
        if left <= 0:
            self._end_countdown()
            if self.last is not None:
                self._save_photo()
            else:
                self._emit(CaptureRefused("No picture yet."))
        elif left != self._countdown_shown:
            self._countdown_shown = left
            self._emit(CountdownChanged(left))

    def _save_photo(self) -> None:
        last = self.last
        if last is None:
            self._emit(CaptureRefused("No picture yet."))
            return
        image = last.view
        path = snapshot_path(self.capture.photo_dir, self._now(), f".{self.capture.image_format}")

        def save() -> None:
            try:
                saved = save_image_atomic(image, path)
            except (SinkError, ValueError) as exc:
                event: SessionEvent = PhotoFailed(str(exc))
            except Exception as exc:
                logger.exception("Saving a photo failed")
                event = PhotoFailed(f"The photo could not be saved: {exc}")
            else:
                event = PhotoSaved(saved, square_thumbnail(image, THUMB_PX))
            self.post(lambda: self._emit(event))

        self._io.submit(save)

    # --- recording -------------------------------------------------------------------------

    @property
    def recording(self) -> Path | None:
        """The path being recorded to, or ``None``."""
        return None if self._recording is None else self._recording.output.path

    def start_recording(self, audio: AudioFormat | None = None) -> None:
        """Record the picture as shown, from the next frame on, at the source's frame rate.

        With ``audio`` (a camera only: a replayed file's time is not the microphone's) the file
        gets a sound track, fed by :meth:`add_audio`.
        """
        if self._recording is not None:
            return
        last, info = self.last, self.info
        if last is None or info is None or self.state is CaptureState.FAILED:
            self._emit(CaptureRefused("There is no picture to record yet."))
            return
        height, width = last.view.shape[:2]
        path = snapshot_path(self.capture.video_dir, self._now(), ".mp4")
        sound = audio if isinstance(self.spec, CameraSpec) else None
        try:
            sink = self._recorder_factory(path, info.fps, (width, height), sound)
        except (SinkError, ValueError, OSError) as exc:
            self._emit(RecordingFailed(str(exc)))
            return
        output = RecordingOutput(sink, path, info.fps)
        self._recording = _Recording(output, square_thumbnail(last.view, THUMB_PX))
        self._outputs.by_name["recording"] = (output, True)
        logger.info("Recording to %s at %.1f fps%s", path, info.fps, " with sound" if sound else "")
        self._emit(RecordingStarted(path))

    def add_audio(self, samples: npt.NDArray[Any], t_s: float) -> None:
        """Microphone PCM captured from ``t_s`` (the camera's clock, ``time.monotonic``) for the recording."""
        if self._recording is not None and isinstance(self.spec, CameraSpec):
            self._recording.output.add_audio(samples, t_s)

    def stop_recording(self) -> None:
        """Finish the recording in the background; ``RecordingSaved`` (``CutShort``, ``Failed``) follows."""
        self._finish_recording(wait=False)

    def recover_recordings(self) -> None:
        """Turn what a crash left of earlier recordings in the video folder into files, in the background.

        :class:`RecordingsRecovered` follows when there was something to recover.
        """
        folder = self.capture.video_dir

        def recover() -> None:
            from snowcam.video_writer import recover_recordings

            try:
                message = recover_recordings(folder).message()
            except Exception:
                logger.exception("Recovering the recordings in %s failed", folder)
                return
            if message:
                self._post_event(RecordingsRecovered(message))

        self._start_helper(recover, "snowcam-recover-recordings")

    def _finish_recording(self, wait: bool) -> None:
        recording, self._recording = self._recording, None
        if recording is None:
            return
        self._outputs.by_name.pop("recording", None)
        frames = recording.output.frames

        def finish() -> SessionEvent:
            try:
                result = recording.output.finish()
            except Exception as exc:
                logger.exception("Finishing the recording failed")
                return RecordingFailed(f"The recording could not be finished: {exc}")
            saved = result.saved
            if saved is None:
                return RecordingFailed(result.message())
            if result.error is not None:
                return RecordingCutShort(result.message(), saved.path, saved.duration_s, recording.thumbnail)
            logger.info("Saved %s (%d frames)", saved.path, frames)
            return RecordingSaved(saved.path, frames, recording.thumbnail)

        if wait:
            self._emit(finish())
        else:
            self._start_helper(lambda: self._post_event(finish()), "snowcam-recording-finish")

    # --- helpers ---------------------------------------------------------------------------

    def _post_event(self, event: SessionEvent) -> None:
        self.post(lambda: self._emit(event))

    def _start_helper(self, target: Callable[[], None], name: str) -> None:
        self._helpers = [t for t in self._helpers if t.is_alive()]
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._helpers.append(thread)

    def _run_commands(self) -> None:
        for command in self.mailbox.take_commands():
            try:
                command()
            except Exception:
                logger.exception("A request to the session failed")

    def _emit(self, event: SessionEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            logger.exception("Handling %s failed", type(event).__name__)
