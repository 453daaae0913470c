"""``snowcam virtualcam``: the filtered picture to a virtual camera, without a window, until Ctrl+C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

import cv2

from snowcam.errors import UserError
from snowcam.sources import FrameSource
from snowcam.types import Frame
from snowcam.virtualcam import CameraFactory, VirtualCameraOutput, VirtualCameraUnavailable

# The virtual camera factory; None is pyvirtualcam. Tests replace it with a fake.
CAMERA_FACTORY: CameraFactory | None = None

# A video file that falls further behind real time than this restarts its clock instead of
# rushing to catch up (a stall would otherwise be followed by a burst of frames).
MAX_LAG_S = 0.5


def add_virtualcam_command(sub: argparse._SubParsersAction) -> None:
    """Register the ``virtualcam`` subcommand on the main parser."""
    p = sub.add_parser(
        "virtualcam",
        help="send the filtered picture to a virtual camera (for Zoom, Meet, Teams, Discord, OBS) "
        "until Ctrl+C",
        description="Runs the pipeline and filters without a window and sends the picture to a virtual "
        "camera that video-call apps can choose. Needs the optional extra: "
        'python -m pip install "snowcam[virtualcam]".',
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--camera", type=int, default=None, metavar="N", help="camera index (default: 0)")
    source.add_argument("--video", default=None, metavar="CLIP", help="a video file, sent in real time")
    p.add_argument("--filter", action="append", default=[], help="a filter name; repeat to stack them")
    p.add_argument(
        "--device",
        default=None,
        help="the virtual camera to use, e.g. /dev/video2 on Linux (default: the first one found)",
    )
    p.add_argument("--loop", action="store_true", help="with --video: start over at the end")
    p.add_argument(
        "--mirror",
        action="store_true",
        help="send the selfie view (mirrored), as the app's preview shows it; by default the picture is "
        "sent unmirrored, as the other side of a call expects",
    )
    p.add_argument("--model", default=None, help="a .tflite model (default: the shipped one)")
    p.set_defaults(handler=cmd_virtualcam)


class RealTimePacer:
    """Holds frames back until their time: a frame stamped ``t_s`` goes out ``t_s`` after the first.

    ``clock`` returns seconds; ``wait(timeout_s)`` sleeps and returns True to stop early (a
    ``threading.Event.wait`` does both).
    """

    def __init__(self, clock: Callable[[], float], wait: Callable[[float], bool]) -> None:
        self._clock = clock
        self._wait = wait
        self._origin_s: float | None = None

    def until(self, t_s: float) -> bool:
        """Wait until the frame stamped ``t_s`` is due; True when asked to stop meanwhile."""
        now = self._clock()
        if self._origin_s is None or now - (self._origin_s + t_s) > MAX_LAG_S:
            self._origin_s = now - t_s
            return False
        delay = self._origin_s + t_s - now
        return self._wait(delay) if delay > 0 else False


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT and SIGTERM (instead of raising / being killed) while inside."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def cmd_virtualcam(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Run until the source ends (a video without --loop), ``stop`` is set, or SIGINT/SIGTERM; exit 0.

    The device is released on every way out. No virtual camera, a missing extra, a bad source or
    filter: a UserError (exit 2) whose message says what to do.
    """
    if args.loop and args.video is None:
        raise UserError("--loop needs --video CLIP")
    stop = stop or threading.Event()
    with stop_on_signals(stop):
        return _stream(args, stop)


def _stream(args: argparse.Namespace, stop: threading.Event) -> int:
    from snowcam.commands import _build
    from snowcam.pipeline import run
    from snowcam.sources import CameraSource, SourceError, VideoFileSource

    pipeline = _build(args.model, args.filter)
    try:
        source: FrameSource = (
            VideoFileSource(args.video, loop=args.loop)
            if args.video is not None
            else CameraSource(0 if args.camera is None else args.camera)
        )
    except SourceError as exc:
        raise UserError(str(exc)) from None
    with source, VirtualCameraOutput(args.device, CAMERA_FACTORY) as output:
        info = source.info
        try:
            device = output.open(info.width, info.height, info.fps)
        except VirtualCameraUnavailable as exc:
            raise UserError(str(exc)) from None
        print(
            f"snowcam virtualcam: sending {info.name} ({info.width}×{info.height}, {info.fps:g} fps"
            f"{', mirrored' if args.mirror else ''}) to {device}; press Ctrl+C to stop",
            file=sys.stderr,
            flush=True,
        )
        pacer = RealTimePacer(time.monotonic, stop.wait) if args.video is not None else None
        frames = _Mirrored(source) if args.mirror else source
        try:
            for result in run(frames, pipeline, stop):  # type: ignore[arg-type]
                if pacer is not None and pacer.until(result.t_s):
                    break
                output.send(result.output)
        except (SourceError, VirtualCameraUnavailable) as exc:
            raise UserError(str(exc)) from None
        sent = output.frames_sent
    print(f"snowcam virtualcam: sent {sent} frames to {device}, released it", file=sys.stderr)
    return 0


class _Mirrored:
    """A source whose frames are flipped left-right before the pipeline sees them (selfie view)."""

    def __init__(self, source: FrameSource) -> None:
        self.source = source
        self.info = source.info

    def read(self) -> tuple[float, Frame] | None:
        item = self.source.read()
        return None if item is None else (item[0], cv2.flip(item[1], 1))
