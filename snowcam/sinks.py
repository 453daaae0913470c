"""Output: snapshots written atomically, and the error every writer raises.

Frames are ``H×W×3`` ``uint8`` **BGR** arrays. Nothing here reads the clock: callers pass the
time a snapshot is named after. Videos are written by :mod:`snowcam.video_writer`.
"""

from __future__ import annotations

import errno
import os
import re
from datetime import datetime
from pathlib import Path

import cv2

from snowcam.files import write_bytes_atomic
from snowcam.types import Frame, validate_frame

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
JPEG_QUALITY = 95
PNG_COMPRESSION = 3


class SinkError(RuntimeError):
    """Output could not be written; the message says why and what to do.

    ``errno`` is the operating system's error number when one caused it (``errno.ENOSPC`` for a
    full disk), else ``None``.
    """

    def __init__(self, message: str, errno_: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_

    @property
    def disk_full(self) -> bool:
        return self.errno in _DISK_FULL


_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), getattr(errno, "EFBIG", errno.ENOSPC))


def explain_os_error(err: BaseException, what: str, path: Path) -> SinkError:
    """A :class:`SinkError` that says why ``what`` failed for ``path`` and what to do, keeping ``errno``."""
    if isinstance(err, SinkError):
        return err
    folder = path.parent
    code = getattr(err, "errno", None)
    if code in _DISK_FULL:
        hint = f"the disk holding {folder} is full. Free some space or choose another folder."
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = f"the folder {folder} is not writable. Choose another folder."
    elif code in (errno.ENOTDIR, errno.EEXIST):
        hint = f"{folder} is not a folder. Choose another folder."
    elif code == errno.EIO:
        hint = f"the disk holding {folder} reported an input/output error. Check it or choose another folder."
    else:
        hint = f"{getattr(err, 'strerror', None) or err}. Check the folder {folder}."
    return SinkError(f"Could not {what} {path.name}: {hint}", code)


def save_image_atomic(frame: Frame, path: str | os.PathLike[str]) -> Path:
    """Write a BGR frame as PNG or JPEG (by ``path``'s suffix) so it is whole or absent.

    The image is encoded in memory and written with :func:`snowcam.files.atomic_write` (hidden
    temporary file, fsync, rename; permissions follow the umask). Missing folders are created.
    On failure no temporary or partial file is left behind and an older file is untouched.

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
    validate_frame(frame)
    params = (
        [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]
        if suffix == ".png"
        else [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    ok, encoded = cv2.imencode(suffix, frame, params)
    if not ok:
        raise SinkError(f"Could not encode the image for {target.name}.")
    try:
        write_bytes_atomic(target, encoded.tobytes(), make_parents=True)
    except OSError as err:
        raise explain_os_error(err, "save", target) from err
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
