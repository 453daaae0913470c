"""``snowcam virtualcam``: the live session without a window, sent to a virtual camera, until Ctrl+C.

The command runs the app's :class:`snowcam.session.Session` (camera grabbing or real-time file
pacing with late frames skipped, the filters, the mirroring rule) with one output, a
:class:`snowcam.virtualcam.VirtualCameraOutput`, opened at the source's size and rate once the
source is live.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from snowcam.errors import UserError
from snowcam.feeds import CameraSpec, FileSpec
from snowcam.sources import CameraSource, FrameSource, VideoFileSource
from snowcam.virtualcam import CameraFactory, VirtualCameraOutput, VirtualCameraUnavailable

OUTPUT_NAME = "virtualcam"
# The virtual camera factory; None is pyvirtualcam. Tests replace it (and open_camera) with fakes.
CAMERA_FACTORY: CameraFactory | None = None


def open_camera(spec: CameraSpec) -> FrameSource:
    """The camera a ``CameraSpec`` names, at its requested size and rate."""
    return CameraSource(spec.index, spec.width, spec.height, spec.fps)


def open_video(spec: FileSpec) -> FrameSource:
    """The video file a ``FileSpec`` names, looping when asked."""
    return VideoFileSource(spec.path, loop=spec.loop)


def add_virtualcam_command(sub: argparse._SubParsersAction) -> None:
    """Register the ``virtualcam`` subcommand on the main parser."""
    p = sub.add_parser(
        "virtualcam",
        help="send the filtered picture to a virtual camera (for Zoom, Meet, Teams, Discord, OBS) "
        "until Ctrl+C",
        description="Runs the live session without a window and sends the filtered picture to a virtual "
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
        help="send a camera's selfie view (mirrored), as the app's preview shows it; by default the "
        "picture is sent unmirrored, as the other side of a call expects (video files: as recorded)",
    )
    p.add_argument("--model", default=None, help="a .tflite model (default: the shipped one)")
    p.set_defaults(handler=cmd_virtualcam)


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


class _NoTraceback(logging.Formatter):
    """One line per record: a command shows what went wrong, not a traceback."""

    def formatException(self, ei: object) -> str:
        return ""


@contextlib.contextmanager
def session_warnings_on_one_line() -> Iterator[None]:
    """While inside, the session's warnings and errors reach stderr as one line each.

    Only when nothing else configured logging (then Python would print them with tracebacks).
    """
    root = logging.getLogger()
    if root.handlers:
        yield
        return
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(_NoTraceback("snowcam virtualcam: %(message)s"))
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def cmd_virtualcam(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Run until a video without --loop ends, ``stop`` is set, or SIGINT/SIGTERM; then exit 0.

    The device is released on every way out. No virtual camera, a missing extra, a source that
    cannot be opened, an unknown filter: a UserError (exit 2) whose message says what to do.
    """
    if args.loop and args.video is None:
        raise UserError("--loop needs --video CLIP")
    stop = stop or threading.Event()
    with stop_on_signals(stop), session_warnings_on_one_line():
        return _stream(args, stop)


def _stream(args: argparse.Namespace, stop: threading.Event) -> int:
    from snowcam.commands import _build
    from snowcam.events import (
        CaptureSettings,
        CaptureState,
        OutputFailed,
        SessionEvent,
        SourceFailed,
        StateChanged,
    )
    from snowcam.filters.selection import Selection
    from snowcam.session import Session

    pipeline = _build(args.model, args.filter)
    output = VirtualCameraOutput(args.device, CAMERA_FACTORY)
    errors: list[str] = []

    def fail(message: str) -> None:
        errors.append(message)
        stop.set()

    def on_event(event: SessionEvent) -> None:  # on the session thread
        match event:
            case StateChanged(state=CaptureState.LIVE, info=info) if info and not output.is_open:
                try:
                    device = output.open(info.width, info.height, info.fps)
                except VirtualCameraUnavailable as exc:
                    fail(str(exc))
                    return
                session.add_output(OUTPUT_NAME, output, as_view=args.mirror)
                print(
                    f"snowcam virtualcam: sending {info.name} ({info.width}×{info.height}, "
                    f"{info.fps:g} fps{', mirrored' if args.mirror else ''}) to {device}; "
                    "press Ctrl+C to stop",
                    file=sys.stderr,
                    flush=True,
                )
            case StateChanged(state=CaptureState.ENDED):
                stop.set()
            case SourceFailed(message=message) | OutputFailed(message=message):
                fail(message)

    # The headless session takes no photos or recordings; its capture folders are never written.
    session = Session(
        lambda spec: open_camera(spec),  # looked up when called, so a test can replace it
        lambda spec: open_video(spec),
        CaptureSettings(Path.cwd(), Path.cwd()),
        on_event=on_event,
        processor=pipeline,
    )
    selection, left_out = Selection.combining(args.filter)
    for name in left_out:
        print(
            f"snowcam virtualcam: --filter {name} is not used (another filter takes its place)",
            file=sys.stderr,
        )
    session.set_selection(selection)
    session.set_loop(args.loop)
    session.set_mirror(True)  # the view is the selfie view; --mirror sends the view
    spec = FileSpec(Path(args.video), args.loop) if args.video else CameraSpec(args.camera or 0)
    session.open(spec)
    thread = threading.Thread(target=session.run, name="snowcam-session", daemon=True)
    thread.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        session.stop()
        thread.join()  # the session closes its outputs: the device is released
    if errors:
        raise UserError(errors[0])
    print(f"snowcam virtualcam: sent {output.frames_sent} frames, released the device", file=sys.stderr)
    return 0
