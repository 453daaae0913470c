"""Writing files so they are whole or absent: the one atomic-write helper of snowcam.

Everything snowcam saves (photos, stats, model cards, models) goes through :func:`atomic_write`:
the content goes to a hidden temporary file in the target folder, is flushed to disk, and only
then renamed over the target. A failure (full disk, I/O error, read-only folder, an exception in
the caller) removes the temporary file and leaves any older file under that name untouched.
Files get the permissions the user's umask allows, like any other program's files.

:func:`strict_json` is the JSON every command writes: standard JSON (``null``, never ``NaN``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename in ``folder`` durable; best effort (not possible on every OS/filesystem)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def create_hidden_temp(target: Path, suffix: str = ".tmp") -> tuple[int, Path]:
    """Create a new hidden file next to ``target``; returns its open descriptor and path.

    Unlike :func:`tempfile.mkstemp` (mode 0600) the file is created with mode 0666 minus the
    umask, so the final file has the permissions the user expects.
    """
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        return fd, tmp


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "wb", *, make_parents: bool = False
) -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it appears only whole, when the ``with`` block succeeds.

    ``mode`` is ``"wb"`` or ``"w"`` (UTF-8 text). On leaving the block the file is flushed,
    fsynced and renamed over ``path`` (then the folder is fsynced). Any exception, including an
    ``OSError`` from a write, the flush or the fsync, removes the temporary file and propagates;
    ``path`` is then exactly as it was before.

    Raises:
        OSError: the folder is missing (unless ``make_parents``) or not writable, the disk is full...
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    target = Path(path)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_hidden_temp(target)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, make_parents: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`); returns the path."""
    with atomic_write(path, "wb", make_parents=make_parents) as f:
        f.write(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, make_parents: bool = False) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write`); returns the path."""
    with atomic_write(path, "w", make_parents=make_parents) as f:
        f.write(text)
    return Path(path)


def _strict(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (JSON has no NaN or Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    return value


def strict_json(value: Any, **kwargs: Any) -> str:
    """Standard JSON (``null`` where Python has NaN or infinity), as other tools expect."""
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError:
        return json.dumps(_strict(value), allow_nan=False, **kwargs)
