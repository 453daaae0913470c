"""Output: snapshots written atomically and mp4 recordings that only appear when complete.

Frames are ``H×W×3`` ``uint8`` **BGR** arrays. Nothing here reads the clock: callers pass the
time a snapshot is named after.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from snowcam.types import Frame

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
JPEG_QUALITY = 95
PNG_COMPRESSION = 3
DEFAULT_FOURCCS = ("avc1", "mp4v")


class SinkError(RuntimeError):
    """Output could not be written; the message says why and what to do."""


def _check_frame(frame: Frame) -> None:
    if not (
        isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    ):
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", None)
        raise ValueError(f"frame must be an H×W×3 uint8 BGR array, got shape {shape} dtype {dtype}")


def _explain(err: OSError, what: str, path: Path) -> SinkError:
    folder = path.parent
    if err.errno == errno.ENOSPC or err.errno == getattr(errno, "EDQUOT", -1):
        hint = f"the disk holding {folder} is full. Free some space or choose another folder."
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = f"the folder {folder} is not writable. Choose another folder."
    elif err.errno in (errno.ENOTDIR, errno.EEXIST):
        hint = f"{folder} is not a folder. Choose another folder."
    else:
        hint = f"{err.strerror or err}. Check the folder {folder}."
    return SinkError(f"Could not {what} {path.name}: {hint}")


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every OS/filesystem, hence best effort.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_image_atomic(frame: Frame, path: str | os.PathLike[str]) -> Path:
    """Write a BGR frame as PNG or JPEG (by ``path``'s suffix) so it is whole or absent.

    The image is encoded in memory, written to a hidden temporary file in the target folder,
    flushed to disk and renamed over ``path``. Missing folders are created. On failure no
    temporary or partial file is left behind.

    Returns:
        The written path.

    Raises:
        ValueError: the frame is not ``H×W×3`` uint8 or the suffix is not .png/.jpg/.jpeg.
        SinkError: the folder is not writable, the disk is full, or similar.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"image path must end in one of {IMAGE_SUFFIXES}, got {target.name!r}")
    _check_frame(frame)
    params = (
        [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]
        if suffix == ".png"
        else [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    ok, encoded = cv2.imencode(suffix, frame, params)
    if not ok:
        raise SinkError(f"Could not encode the image for {target.name}.")
    data = encoded.tobytes()
    tmp_name: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as err:
        raise _explain(err, "save", target) from err
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    _fsync_dir(target.parent)
    return target


def snapshot_path(folder: str | os.PathLike[str], now: datetime, suffix: str = ".png") -> Path:
    """A new snapshot name in ``folder``: ``snowcam-YYYYmmdd-HHMMSS-mmm<suffix>``.

    ``now`` is the (local) time the snapshot is named after. When that name is taken, ``-1``,
    ``-2``, ... is appended. Uniqueness is checked against existing files only.
    """
    folder = Path(folder)
    stem = f"snowcam-{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}"
    candidate = folder / f"{stem}{suffix}"
    n = 0
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem}-{n}{suffix}"
    return candidate


_SNAPSHOT_NAME = re.compile(r"snowcam-\d{8}-\d{6}-\d{3}(-\d+)?\.(png|jpe?g|mp4)", re.IGNORECASE)


def is_snapshot_name(path: str | os.PathLike[str]) -> bool:
    """Whether ``path``'s file name is one that :func:`snapshot_path` gives (a photo or a recording)."""
    return _SNAPSHOT_NAME.fullmatch(Path(path).name) is not None


@functools.cache
def _fourcc_works(fourcc: str) -> bool:
    """Whether this OpenCV build can write an mp4 with ``fourcc`` that reads back."""
    with tempfile.TemporaryDirectory(prefix="snowcam-codec-") as tmp:
        probe = os.path.join(tmp, "probe.mp4")
        writer = cv2.VideoWriter(probe, cv2.VideoWriter_fourcc(*fourcc), 30.0, (64, 64))
        if not writer.isOpened():
            return False
        for level in (0, 128, 255):
            writer.write(np.full((64, 64, 3), level, np.uint8))
        writer.release()
        cap = cv2.VideoCapture(probe)
        n = 0
        while cap.read()[0]:
            n += 1
        cap.release()
        return n == 3


class VideoRecorder:
    """Record BGR frames to an mp4 that appears at ``path`` only once ``close()`` succeeds.

    Frames go to a hidden ``.<stem>.partial.mp4`` next to ``path``; ``close()`` renames it,
    ``abort()`` deletes it. ``fps`` is the playback rate and ``size`` is ``(width, height)`` in
    pixels; every frame must have exactly that size. Codecs are tried in the order of
    ``fourccs`` (H.264 ``avc1`` first, only if this OpenCV build really writes it, then
    ``mp4v``); the one in use is ``self.fourcc``.

    Raises:
        SinkError: no writer could be opened (folder not writable, no mp4 codec).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        size: tuple[int, int],
        *,
        fourccs: Sequence[str] = DEFAULT_FOURCCS,
    ) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise ValueError(f"recording path must end in .mp4, got {self.path.name!r}")
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        width, height = (int(v) for v in size)
        if width <= 0 or height <= 0:
            raise ValueError(f"size must be (width, height) in positive pixels, got {size}")
        self.fps = float(fps)
        self.size = (width, height)
        self.partial_path = self.path.with_name(f".{self.path.stem}.partial.mp4")
        self.frames_written = 0
        self.fourcc = ""
        self._writer: cv2.VideoWriter | None = None
        self._state = "recording"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise _explain(err, "start recording", self.path) from err
        for fourcc in fourccs:
            if fourcc != "mp4v" and not _fourcc_works(fourcc):
                continue
            writer = cv2.VideoWriter(
                str(self.partial_path), cv2.VideoWriter_fourcc(*fourcc), self.fps, self.size
            )
            if writer.isOpened():
                self._writer, self.fourcc = writer, fourcc
                break
            writer.release()
        if self._writer is None:
            self._remove_partial()
            raise SinkError(
                f"Could not start recording {self.path.name}: OpenCV cannot write an mp4 in "
                f"{self.path.parent} (folder not writable or no mp4 codec). Choose another folder."
            )

    def write(self, frame: Frame) -> None:
        """Append one BGR frame of exactly ``size``."""
        if self._writer is None:
            raise SinkError(f"The recording {self.path.name} is already finished; start a new one.")
        _check_frame(frame)
        if (frame.shape[1], frame.shape[0]) != self.size:
            raise ValueError(
                f"frame is {frame.shape[1]}×{frame.shape[0]} px but the recording is "
                f"{self.size[0]}×{self.size[1]} px"
            )
        self._writer.write(frame)
        self.frames_written += 1

    def close(self) -> Path:
        """Finish the file and move it to ``path``; returns ``path``. Safe to call twice.

        Raises:
            SinkError: the recording was aborted, nothing was recorded (the partial is removed),
                or the file cannot be moved into place.
        """
        if self._state == "closed":
            return self.path
        if self._writer is None:
            raise SinkError(f"The recording {self.path.name} was aborted; nothing was saved.")
        self._writer.release()
        self._writer = None
        self._state = "aborted"
        if self.frames_written == 0:
            self._remove_partial()
            raise SinkError(f"No frames were recorded, so {self.path.name} was not saved.")
        try:
            with open(self.partial_path, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(self.partial_path, self.path)
        except OSError as err:
            self._remove_partial()
            raise _explain(err, "save the recording", self.path) from err
        _fsync_dir(self.path.parent)
        self._state = "closed"
        return self.path

    def abort(self) -> None:
        """Stop recording and delete the partial file; ``path`` is left untouched. Idempotent."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._state != "closed":
            self._state = "aborted"
            self._remove_partial()

    def _remove_partial(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.partial_path.unlink()

    def __enter__(self) -> VideoRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
