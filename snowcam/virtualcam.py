"""The virtual camera output: the filtered picture as a camera that video-call apps can choose.

Frames go out through pyvirtualcam (v4l2loopback on Linux, OBS Virtual Camera on Windows and
macOS, Unity Capture on Windows). pyvirtualcam is GPL-2.0 while snowcam is MIT, so it is the
optional extra ``snowcam[virtualcam]`` and is imported only when a virtual camera opens.

Contract of :class:`VirtualCameraOutput`:

* **Colour order.** ``send`` takes ``H×W×3`` ``uint8`` **BGR** frames (the rest of snowcam's
  convention). The device is opened with pyvirtualcam's ``PixelFormat.RGB`` (its default, accepted
  by every backend) and each frame is converted BGR→RGB here, so the camera factory always
  receives RGB.
* **Orientation.** Frames are sent exactly as given: the output never flips. Whether the picture
  that goes out is mirrored is the caller's rule (the live session's view transform; the
  headless command's ``--mirror``), so there is one place that flips.
* **Size and rate.** The device opens at the size and frame rate it is given (the source's).
  A frame of another size later (the user switched source) is scaled to fit the opened size,
  aspect ratio kept, with black bars (:func:`fit_frame`). The device is *not* reopened: a call
  app that is reading it would lose the camera (with v4l2loopback's ``exclusive_caps=1`` the
  capture device disappears while no writer holds it) or keep the old format. Stop and start the
  virtual camera to send at the new size.
* **Release.** ``close`` (or leaving the ``with`` block) releases the device; it is safe to call
  more than once, and a closed output can be opened again.
* **Failure.** Opening raises :class:`VirtualCameraUnavailable` whose message says what to
  install, per platform, or the pip command that adds the extra when pyvirtualcam is missing.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

import cv2
import numpy as np

from snowcam.types import Frame, validate_frame

EXTRA_INSTALL_COMMAND = 'python -m pip install "snowcam[virtualcam]"'
LINUX_INSTALL_COMMANDS = (
    "sudo apt install v4l2loopback-dkms",
    "sudo modprobe v4l2loopback exclusive_caps=1 card_label=snowcam",
)


class VirtualCameraUnavailable(RuntimeError):
    """No virtual camera can be opened or fed; the message says what to install or do."""


class VirtualCameraDevice(Protocol):
    """What the output needs from an open virtual camera (``pyvirtualcam.Camera`` fits it)."""

    @property
    def device(self) -> str:
        """The device's name as apps show it (``/dev/video2``, ``OBS Virtual Camera``)."""
        ...

    def send(self, frame: np.ndarray) -> None:
        """Send one ``H×W×3`` ``uint8`` **RGB** frame of the opened size."""
        ...

    def close(self) -> None: ...


CameraFactory = Callable[[int, int, float, "str | None"], VirtualCameraDevice]
"""Opens a virtual camera: ``(width_px, height_px, fps, device_or_None) -> device``; raises on failure."""


def install_hint(system: str | None = None) -> str:
    """What to install so that a virtual camera exists, for ``system`` (default: this machine's)."""
    system = system or platform.system()
    if system == "Linux":
        return "Install and load v4l2loopback, then try again:\n" + "\n".join(
            f"    {command}" for command in LINUX_INSTALL_COMMANDS
        )
    if system in ("Windows", "Darwin"):
        extra = (
            " (macOS asks once to allow its system extension in System Settings → Privacy & Security)"
            if system == "Darwin"
            else ""
        )
        return (
            "Install OBS Studio (https://obsproject.com), click 'Start Virtual Camera' in it once"
            f"{extra}, then close OBS and try again."
        )
    return f"pyvirtualcam has no virtual camera backend for {system}."


def missing_extra_message() -> str:
    """The message for a missing pyvirtualcam: the one command that adds it."""
    return (
        "The virtual camera needs the optional pyvirtualcam package (GPL-2.0). "
        f"Add it with: {EXTRA_INSTALL_COMMAND}"
    )


def open_pyvirtualcam(width: int, height: int, fps: float, device: str | None) -> VirtualCameraDevice:
    """The real :data:`CameraFactory`: a ``pyvirtualcam.Camera`` taking RGB frames.

    Raises:
        VirtualCameraUnavailable: pyvirtualcam is not installed (the message gives the pip command).
        RuntimeError: pyvirtualcam found no usable virtual camera (its own message, per backend).
    """
    try:
        import pyvirtualcam
    except ImportError:
        raise VirtualCameraUnavailable(missing_extra_message()) from None
    return pyvirtualcam.Camera(width, height, fps, fmt=pyvirtualcam.PixelFormat.RGB, device=device)


def fit_frame(frame: Frame, width: int, height: int) -> Frame:
    """``frame`` scaled to fit ``width×height`` pixels, aspect ratio kept, centred on black.

    Returns ``frame`` itself when it already has that size.
    """
    h, w = frame.shape[:2]
    if (w, h) == (width, height):
        return frame
    scale = min(width / w, height / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    scaled = cv2.resize(frame, (new_w, new_h), interpolation=interpolation)
    out = np.zeros((height, width, 3), np.uint8)
    x0, y0 = (width - new_w) // 2, (height - new_h) // 2
    out[y0 : y0 + new_h, x0 : x0 + new_w] = scaled
    return out


class VirtualCameraOutput:
    """Sends BGR frames to one virtual camera; see the module docstring for the contract.

    ``device`` asks for a particular device (``/dev/video2`` on Linux); ``None`` takes the first
    one available. ``factory`` opens the device (default :func:`open_pyvirtualcam`; tests pass
    a fake). ``fps`` (frames per second) is the rate :meth:`write` opens the device at when it
    was not opened before. ``on_open(device_name)`` is called after each successful open, on the
    thread that opened it.

    It is a live-session output: ``write(frame_bgr, t_s)`` and ``close()``.
    """

    def __init__(
        self,
        device: str | None = None,
        factory: CameraFactory | None = None,
        fps: float = 30.0,
        on_open: Callable[[str], None] | None = None,
    ) -> None:
        self.requested_device = device
        self.fps = fps
        self._on_open = on_open
        self._factory = factory or open_pyvirtualcam
        self._camera: VirtualCameraDevice | None = None
        self._size_px: tuple[int, int] | None = None
        self._device_name: str | None = None
        self.frames_sent = 0

    @property
    def is_open(self) -> bool:
        return self._camera is not None

    @property
    def device(self) -> str | None:
        """The name of the device in use (``None`` while closed)."""
        return self._device_name if self._camera is not None else None

    @property
    def size_px(self) -> tuple[int, int] | None:
        """``(width, height)`` the device was opened at (``None`` while closed)."""
        return self._size_px if self._camera is not None else None

    def open(self, width: int, height: int, fps: float) -> str:
        """Open the device for ``width×height`` pixel frames at ``fps`` frames per second.

        Returns:
            The name of the device in use.

        Raises:
            VirtualCameraUnavailable: no virtual camera (the message says what to install) or
                pyvirtualcam is missing (the message gives the pip command).
            ValueError: a size or rate that is not positive.
        """
        if width <= 0 or height <= 0 or not fps > 0:
            raise ValueError(f"a virtual camera needs a positive size and rate, got {width}×{height} @ {fps}")
        self.close()
        try:
            camera = self._factory(width, height, float(fps), self.requested_device)
        except VirtualCameraUnavailable:
            raise
        except Exception as exc:  # the native backends raise RuntimeError, ValueError, ...
            raise VirtualCameraUnavailable(self._explain(exc)) from exc
        self._camera = camera
        self._size_px = (width, height)
        self._device_name = str(camera.device)
        self.frames_sent = 0
        if self._on_open is not None:
            self._on_open(self._device_name)
        return self._device_name

    def send(self, frame: Frame) -> None:
        """Send one BGR frame (scaled to fit the opened size when it differs).

        Raises:
            RuntimeError: the output is not open.
            ValueError: ``frame`` is not an ``H×W×3`` ``uint8`` array.
            VirtualCameraUnavailable: the device stopped accepting frames; it has been released.
        """
        camera, size = self._camera, self._size_px
        if camera is None or size is None:
            raise RuntimeError("the virtual camera is not open; call open() first")
        validate_frame(frame, "virtual camera frame")
        rgb = cv2.cvtColor(fit_frame(frame, *size), cv2.COLOR_BGR2RGB)
        try:
            camera.send(rgb)
        except Exception as exc:
            name = self._device_name
            self.close()
            raise VirtualCameraUnavailable(
                f"The virtual camera {name} stopped accepting frames ({exc}). Start it again; if that "
                "fails, check that no other program writes to it."
            ) from exc
        self.frames_sent += 1

    def write(self, frame_bgr: Frame, t_s: float) -> None:
        """:meth:`send` as a session output: the first frame opens the device at its size and ``fps``.

        ``t_s`` is unused: the call app takes frames as they come.

        Raises:
            VirtualCameraUnavailable: see :meth:`open` and :meth:`send`.
        """
        if self._camera is None:
            validate_frame(frame_bgr, "virtual camera frame")
            self.open(frame_bgr.shape[1], frame_bgr.shape[0], self.fps)
        self.send(frame_bgr)

    def close(self) -> None:
        """Release the device; safe to call more than once."""
        camera, self._camera = self._camera, None
        if camera is not None:
            camera.close()

    def __enter__(self) -> VirtualCameraOutput:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _explain(self, exc: Exception) -> str:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        which = (
            f"The virtual camera {self.requested_device}" if self.requested_device else "No virtual camera"
        )
        verb = "could not be opened" if self.requested_device else "could be opened"
        return f"{which} {verb} ({detail}). {install_hint()}"
