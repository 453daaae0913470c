"""H.264 (+ AAC) MP4 files through PyAV: the one video writer of ``render`` and of the app.

While a file is being written it is a *fragmented* MP4 under a hidden name next to its target,
``.<stem>.recording.mp4``: the header comes first and then one fragment per keyframe (one
keyframe a second), each written out as soon as it is complete. Whatever happens to the process
(crash, SIGKILL, power cut after the page cache is written), everything up to the last keyframe
is a playable file. :meth:`VideoWriter.close` remuxes it (no re-encoding) into a normal
fast-start MP4 at the target and removes the hidden file; after a crash,
:func:`recover_recordings` does the same for every leftover on the next start.

Every write is checked: an ``OSError`` (full disk, I/O error, read-only file system) stops the
writer with a :class:`~snowcam.sinks.SinkError` that carries its ``errno``. The caller then
either discards the output (:meth:`VideoWriter.abort`, as ``render`` does) or keeps what was
written as a playable file (:meth:`VideoWriter.salvage`, as the app does).

Frames are ``H×W×3`` ``uint8`` **BGR** arrays; times ``t_s`` are seconds on one clock shared by
the video and audio of a file. Audio is PCM: ``(n, channels)`` float32 in [-1, 1] or int16.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import av
import numpy as np
import numpy.typing as npt

from snowcam.files import create_hidden_temp, fsync_dir
from snowcam.sinks import SinkError, explain_os_error
from snowcam.types import Frame, validate_frame

try:  # Locks tell a recording in progress (another snowcam) from a crash's leftover.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

VIDEO_CODEC = "libx264"
AUDIO_CODEC = "aac"
PIXEL_FORMAT = "yuv420p"
LEFTOVER_SUFFIX = ".recording.mp4"
# Leftovers of snowcam before PyAV (OpenCV mp4v without an index): nothing in them can be read.
OLD_LEFTOVER_RE = re.compile(r"^\.(?P<stem>.+)\.partial\.mp4$")
LEFTOVER_RE = re.compile(r"^\.(?P<stem>.+)\.recording\.mp4$")
# The fast-start copy being made by close(); one killed in the middle is deleted by recovery.
REMUX_SUFFIX = ".remux.tmp"
REMUX_RE = re.compile(r"^\..+\.[0-9a-f]{8}\.remux\.tmp$")
# A remux copy not written to for this long belongs to no running process.
STALE_REMUX_S = 60.0
FRAGMENTED_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
# A packet waits at most this long (µs) for the other stream before it is written anyway, so a
# microphone that stalls never holds seconds of video in memory instead of on disk.
MAX_INTERLEAVE_DELTA_US = "500000"
AAC_FRAME_SAMPLES = 1024
AUDIO_BIT_RATE = 128_000
# Audio that arrives this close to where it is expected is appended as is (clock jitter).
AUDIO_JITTER_S = 0.04

Opener = Callable[[Path], IO[bytes]]


def _open_exclusive(path: Path) -> IO[bytes]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    return os.fdopen(fd, "wb", buffering=0)


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """PCM audio given to or read for a writer: ``sample_rate_hz`` and 1 or 2 ``channels``."""

    sample_rate_hz: int
    channels: int

    def __post_init__(self) -> None:
        if self.sample_rate_hz <= 0 or self.channels not in (1, 2):
            raise ValueError(f"audio must have a positive rate and 1 or 2 channels, got {self}")


@dataclass(frozen=True, slots=True)
class SavedVideo:
    """A finished (or recovered) file: its ``path``, video ``frames`` and ``duration_s``."""

    path: Path
    frames: int
    duration_s: float
    recovered_from: Path | None = None


def leftover_path(path: Path) -> Path:
    """The hidden file a recording to ``path`` is written to until it is finished."""
    return path.with_name(f".{path.stem}{LEFTOVER_SUFFIX}")


def _even(n: int) -> int:
    return n - n % 2


class VideoWriter:
    """Write BGR frames (and optionally PCM audio) to an H.264/AAC MP4 at ``path``.

    ``fps`` is the source's frame rate (frames per second) and ``size`` its ``(width, height)`` in
    pixels; every frame must have that size (an odd side loses its last pixel row or column, as
    H.264 in yuv420p needs even sides). ``audio`` adds an AAC track fed by :meth:`write_audio`.
    ``preset`` is the libx264 speed preset; ``opener`` opens the hidden file for writing (default:
    create it, failing if it exists; tests pass one that fails like a full disk). The file
    appears at ``path`` only when :meth:`close` succeeds; until then it is the crash-safe hidden
    file :func:`leftover_path` (see the module).

    Raises:
        ValueError: a bad ``path`` suffix, ``fps`` or ``size``.
        SinkError: the folder is missing or not writable, or a recording to ``path`` is in progress.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        size: tuple[int, int],
        *,
        audio: AudioFormat | None = None,
        preset: str = "veryfast",
        keyframe_interval_s: float = 1.0,
        opener: Opener | None = None,
    ) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise ValueError(f"video path must end in .mp4, got {self.path.name!r}")
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be positive, got {fps}")
        width, height = (int(v) for v in size)
        if width < 2 or height < 2:
            raise ValueError(f"size must be (width, height) of at least 2 pixels, got {size}")
        self.fps = float(fps)
        self.size = (width, height)
        self.audio = audio
        self.partial_path = leftover_path(self.path)
        self.frames_written = 0
        self.error: SinkError | None = None
        self._rate = Fraction(self.fps).limit_denominator(1001)
        self._origin_s: float | None = None
        self._last_pts = -1
        self._audio_buffer = np.zeros((0, audio.channels if audio else 1), np.float32)
        self._audio_placed = 0  # samples placed on the timeline (encoded + buffered)
        self._audio_encoded = 0
        self._state = "recording"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[bytes] | None = (opener or _open_exclusive)(self.partial_path)
        except FileExistsError:
            raise SinkError(
                f"Could not start {self.path.name}: {self.partial_path.name} exists (a recording to that "
                "name is in progress, or a crashed one waits to be recovered). Choose another name.",
                errno.EEXIST,
            ) from None
        except OSError as err:
            raise explain_os_error(err, "start writing", self.path) from err
        if fcntl is not None:
            with contextlib.suppress(OSError, ValueError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            self._container = av.open(
                self._file,
                "w",
                format="mp4",
                options={**FRAGMENTED_OPTIONS, "max_interleave_delta": MAX_INTERLEAVE_DELTA_US},
            )
            self._video = self._container.add_stream(VIDEO_CODEC, rate=self._rate)
            self._video.width, self._video.height = _even(width), _even(height)
            self._video.pix_fmt = PIXEL_FORMAT
            self._video.codec_context.time_base = 1 / self._rate
            self._video.codec_context.gop_size = max(1, round(self.fps * keyframe_interval_s))
            # No B-frames: a fragmented MP4 has no edit list to hide their reordering delay, which
            # would start the picture a few frames after the sound.
            self._video.options = {"preset": preset, "bf": "0"}
            self._audio_stream: Any = None
            if audio is not None:
                self._audio_stream = self._container.add_stream(AUDIO_CODEC, rate=audio.sample_rate_hz)
                self._audio_stream.codec_context.layout = "mono" if audio.channels == 1 else "stereo"
                self._audio_stream.codec_context.bit_rate = AUDIO_BIT_RATE
        except (OSError, av.FFmpegError) as err:
            self._discard()
            raise explain_os_error(err, "start writing", self.path) from err

    # --- writing ---------------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        """Seconds of video written so far (up to the end of the last frame)."""
        return (self._last_pts + 1) / float(self._rate)

    def write(self, frame: Frame, t_s: float | None = None) -> None:
        """Append one BGR frame of exactly ``size``, shown from ``t_s`` (default: the next frame slot).

        The first frame's ``t_s`` is the file's time 0; a ``t_s`` that does not move forward by at
        least one frame still gets the next slot.

        Raises:
            ValueError: the frame is not ``H×W×3`` uint8 of ``size``.
            SinkError: writing failed (``errno`` says why); the writer is then stopped.
        """
        self._check_open()
        _check_frame(frame, self.size)
        if self._origin_s is None:
            self._origin_s = 0.0 if t_s is None else float(t_s)
        pts = self._last_pts + 1
        if t_s is not None:
            pts = max(pts, round((float(t_s) - self._origin_s) * self._rate))
        w, h = self._video.width, self._video.height
        image = frame if frame.shape[:2] == (h, w) else frame[:h, :w]
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        video_frame.pts = pts
        with self._checked():
            for packet in self._video.encode(video_frame):
                self._container.mux(packet)
        self._last_pts = pts
        self.frames_written += 1

    def write_audio(self, samples: npt.NDArray[Any], t_s: float) -> None:
        """Add PCM ``samples`` (``(n, channels)``, float32 in [-1, 1] or int16) starting at ``t_s``.

        Samples are placed on the video's timeline: a gap is filled with silence, an overlap is
        dropped, and whatever lies before the first video frame is dropped. Ignored without an
        audio track.

        Raises:
            ValueError: the samples do not have the writer's channel count.
            SinkError: writing failed.
        """
        if self.audio is None:
            return
        self._check_open()
        pcm = _as_float_pcm(samples, self.audio.channels)
        if self._origin_s is None or pcm.shape[0] == 0:
            return
        rate = self.audio.sample_rate_hz
        start = round((float(t_s) - self._origin_s) * rate)
        if abs(start - self._audio_placed) <= AUDIO_JITTER_S * rate:
            start = self._audio_placed
        if start > self._audio_placed:
            pcm = np.concatenate([np.zeros((start - self._audio_placed, pcm.shape[1]), np.float32), pcm])
        elif start < self._audio_placed:
            pcm = pcm[self._audio_placed - start :]
        if pcm.shape[0] == 0:
            return
        self._audio_buffer = np.concatenate([self._audio_buffer, pcm])
        self._audio_placed += pcm.shape[0]
        self._encode_audio(final=False)

    def _encode_audio(self, final: bool) -> None:
        assert self.audio is not None
        layout = "mono" if self.audio.channels == 1 else "stereo"
        with self._checked():
            while self._audio_buffer.shape[0] >= AAC_FRAME_SAMPLES or (final and self._audio_buffer.shape[0]):
                chunk = self._audio_buffer[:AAC_FRAME_SAMPLES]
                self._audio_buffer = self._audio_buffer[AAC_FRAME_SAMPLES:]
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(chunk.T), format="fltp", layout=layout
                )
                frame.sample_rate = self.audio.sample_rate_hz
                frame.pts = self._audio_encoded
                self._audio_encoded += chunk.shape[0]
                for packet in self._audio_stream.encode(frame):
                    self._container.mux(packet)

    @contextlib.contextmanager
    def _checked(self) -> Iterator[None]:
        try:
            yield
        except (OSError, av.FFmpegError) as err:
            self._state = "failed"
            self.error = explain_os_error(err, "write", self.path)
            raise self.error from err

    def _check_open(self) -> None:
        if self.error is not None:
            raise self.error
        if self._state != "recording":
            raise SinkError(f"{self.path.name} is already finished; start a new one.")

    # --- finishing ---------------------------------------------------------------------------

    def _finish_streams(self) -> None:
        """Flush the encoders (audio padded or cut to the video's end) and close the fragmented file."""
        if self.audio is not None and self._origin_s is not None:
            end = round(self.duration_s * self.audio.sample_rate_hz)
            if self._audio_placed < end:
                pad = np.zeros((end - self._audio_placed, self.audio.channels), np.float32)
                self._audio_buffer = np.concatenate([self._audio_buffer, pad])
                self._audio_placed = end
            elif self._audio_placed > end:
                cut = self._audio_placed - end
                self._audio_buffer = self._audio_buffer[: max(0, self._audio_buffer.shape[0] - cut)]
                self._audio_placed = end
            self._encode_audio(final=True)
        with self._checked():
            for packet in self._video.encode():
                self._container.mux(packet)
            if self._audio_stream is not None:
                for packet in self._audio_stream.encode():
                    self._container.mux(packet)
            self._container.close()
            assert self._file is not None
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def close(self) -> SavedVideo:
        """Finish the file and put it at ``path`` as a normal fast-start MP4 (an older file is replaced).

        Raises:
            SinkError: nothing was written, or writing failed (full disk...). The hidden file is
                kept: call :meth:`abort` to discard it or :meth:`salvage` to keep what it holds.
        """
        if self._state == "closed":
            raise SinkError(f"{self.path.name} is already finished.")
        if self._state == "aborted":
            raise SinkError(f"{self.path.name} was aborted; nothing was saved.")
        if self.error is not None:
            raise self.error
        if self.frames_written == 0:
            self.abort()
            raise SinkError(f"No frames were written, so {self.path.name} was not saved.")
        self._finish_streams()
        self._state = "finishing"
        try:
            saved = finish_fragmented(self.partial_path, self.path, replace=True)
        except SinkError as err:
            self._state = "failed"
            self.error = err
            raise
        self._state = "closed"
        return saved

    def abort(self) -> None:
        """Stop and delete what was written; ``path`` (and an older file there) is untouched. Idempotent."""
        if self._state == "closed":
            return
        self._discard()
        self._state = "aborted"

    def salvage(self) -> SavedVideo | None:
        """After a failure (or instead of :meth:`close`): keep what was written as a playable file.

        Returns the saved file (at ``path``, or a free name beside it when ``path`` exists), or
        ``None`` when not one frame could be kept. Never raises for a full disk: when there is no
        room to remux, the fragmented file itself (playable) is renamed into place.
        """
        if self._state in ("closed", "aborted"):
            return None
        if self._state == "recording":
            with contextlib.suppress(SinkError):
                self._finish_streams()
        self._close_quietly()
        self._state = "closed"
        return recover_file(self.partial_path, self.path)

    def _close_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self._container.close()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def _discard(self) -> None:
        self._close_quietly()
        with contextlib.suppress(FileNotFoundError):
            self.partial_path.unlink()

    def __enter__(self) -> VideoWriter:
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


def _check_frame(frame: Frame, size: tuple[int, int]) -> None:
    validate_frame(frame)
    if (frame.shape[1], frame.shape[0]) != size:
        raise ValueError(
            f"frame is {frame.shape[1]}×{frame.shape[0]} px but the video is {size[0]}×{size[1]} px"
        )


def _as_float_pcm(samples: npt.NDArray[Any], channels: int) -> npt.NDArray[np.float32]:
    pcm = np.asarray(samples)
    if pcm.ndim == 1:
        pcm = pcm[:, None]
    if pcm.ndim != 2 or pcm.shape[1] != channels:
        raise ValueError(f"audio samples must be (n, {channels}), got shape {pcm.shape}")
    if pcm.dtype == np.int16:
        return (pcm.astype(np.float32) / 32768.0).astype(np.float32)
    return np.clip(pcm.astype(np.float32), -1.0, 1.0)


# --- finishing and recovering fragmented files ----------------------------------------------


def complete_boxes_end(path: Path) -> int:
    """Bytes of ``path`` that hold complete top-level MP4 boxes, ending after a whole fragment.

    A fragment is a ``moof`` box followed by its ``mdat``; a cut-off box, or a ``moof`` whose
    ``mdat`` is missing or cut off, is not counted.
    """
    size = path.stat().st_size
    good = 0
    pos = 0
    pending_moof = False
    with path.open("rb") as f:
        while pos + 8 <= size:
            f.seek(pos)
            header = f.read(16)
            box_size = int.from_bytes(header[:4], "big")
            kind = header[4:8]
            if box_size == 1 and len(header) >= 16:
                box_size = int.from_bytes(header[8:16], "big")
            if box_size < 8 or pos + box_size > size:
                break
            pos += box_size
            if kind == b"moof":
                pending_moof = True
                continue
            if kind == b"mdat" or not pending_moof:
                good = pos
            pending_moof = False
    return good


def probe_video(path: Path) -> tuple[int, float]:
    """``(frames, duration_s)`` of the first video stream of ``path``, counted from its packets."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            return 0, 0.0
        stream = container.streams.video[0]
        n, first, end = 0, None, None
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            n += 1
            first = packet.pts if first is None else min(first, packet.pts)
            stop = packet.pts + (packet.duration or 0)
            end = stop if end is None else max(end, stop)
        if n == 0 or first is None or end is None:
            return 0, 0.0
        return n, float((end - first) * stream.time_base)


def _remux_faststart(src: Path, dst: Path) -> int:
    """Copy every stream of ``src`` into a fast-start MP4 ``dst``; returns the video packets copied."""
    video_packets = 0
    with av.open(str(src)) as inp:
        streams = [s for s in inp.streams if s.type in ("video", "audio")]
        with av.open(str(dst), "w", format="mp4", options={"movflags": "faststart"}) as out:
            mapping = {s.index: out.add_stream_from_template(s) for s in streams}
            for packet in inp.demux(streams):
                if packet.dts is None:
                    continue
                if packet.stream.type == "video":
                    video_packets += 1
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
    return video_packets


def _free_name(path: Path) -> Path:
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-recovered{'' if n == 1 else f'-{n}'}{path.suffix}")
    return candidate


def finish_fragmented(partial: Path, target: Path, *, replace: bool) -> SavedVideo:
    """Remux the fragmented ``partial`` into a fast-start MP4 at ``target``, then delete ``partial``.

    The new file is written beside ``target`` under a hidden name, fsynced and renamed; with
    ``replace`` an older ``target`` is replaced, otherwise a free name ``<stem>-recovered.mp4`` is
    used. ``partial`` is left as it was when this fails.

    Raises:
        SinkError: the remux failed (full disk, I/O error...) or ``partial`` has no frame.
    """
    fd, tmp = create_hidden_temp(target, REMUX_SUFFIX)
    os.close(fd)
    try:
        copied = _remux_faststart(partial, tmp)
        if copied == 0:
            raise SinkError(f"{partial.name} holds no video frame.", errno.ENODATA)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        frames, duration_s = probe_video(tmp)
        if frames != copied:
            raise SinkError(f"{target.name} could not be written completely.", errno.EIO)
        final = target if replace else _free_name(target)
        os.replace(tmp, final)
    except (OSError, av.FFmpegError) as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise explain_os_error(err, "finish", target) from err
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(final.parent)
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    return SavedVideo(final, frames, duration_s)


def recover_file(partial: Path, target: Path) -> SavedVideo | None:
    """Make the fragmented leftover ``partial`` a playable file at ``target`` (or a free name beside it).

    Cut-off data after the last complete fragment is dropped first. When there is no room for a
    remuxed copy, the (playable) fragmented file itself is renamed into place. Returns ``None``,
    and deletes ``partial``, when it holds no readable frame.
    """
    try:
        end = complete_boxes_end(partial)
        if end < partial.stat().st_size:
            os.truncate(partial, end)
    except FileNotFoundError:
        return None
    except OSError as err:
        logger.warning("Could not trim %s: %s", partial, err)
    try:
        saved = finish_fragmented(partial, target, replace=False)
        return SavedVideo(saved.path, saved.frames, saved.duration_s, partial)
    except SinkError as err:
        if not err.disk_full:
            logger.warning("Could not remux %s: %s", partial, err)
    try:
        frames, duration_s = probe_video(partial)
    except (OSError, av.FFmpegError):
        frames, duration_s = 0, 0.0
    if frames == 0:
        with contextlib.suppress(OSError):
            partial.unlink()
        return None
    final = _free_name(target)
    os.replace(partial, final)
    fsync_dir(final.parent)
    return SavedVideo(final, frames, duration_s, partial)


def discard_stale_leftover(path: Path) -> bool:
    """Delete the hidden leftover of an interrupted write to ``path`` unless a writer still holds it.

    For outputs that are about to be written again (``render``), where recovering the old
    attempt has no use. Returns whether a leftover was deleted.
    """
    _remove_stale_remux_copies(path.parent, f".{path.name}.")
    leftover = leftover_path(path)
    if not leftover.is_file() or _in_use(leftover):
        return False
    with contextlib.suppress(FileNotFoundError):
        leftover.unlink()
    return True


def _remove_stale_remux_copies(folder: Path, prefix: str = ".") -> list[Path]:
    """Delete fast-start copies left by a process killed while finishing a file (not written to
    for :data:`STALE_REMUX_S`); returns them."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not (entry.name.startswith(prefix) and REMUX_RE.match(entry.name)):
            continue
        with contextlib.suppress(OSError):
            if now - entry.stat().st_mtime > STALE_REMUX_S:
                entry.unlink()
                removed.append(entry)
    return removed


def _in_use(path: Path) -> bool:
    """Whether a running writer holds ``path`` (never true where file locks do not exist)."""
    if fcntl is None:  # pragma: no cover - Windows
        return False
    try:
        with path.open("rb") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


@dataclass(frozen=True, slots=True)
class Recovery:
    """What :func:`recover_recordings` did: files ``saved`` and leftovers ``lost`` (nothing readable)."""

    saved: tuple[SavedVideo, ...]
    lost: tuple[Path, ...]

    def message(self) -> str:
        """One sentence for the user, or ``""`` when there was nothing to recover."""
        parts = [f"{s.path.name} ({s.duration_s:.1f} s)" for s in self.saved]
        text = ""
        if parts:
            text = "Recovered a recording that was interrupted: " + ", ".join(parts) + "."
        if self.lost:
            text += (" " if text else "") + (
                f"{len(self.lost)} interrupted recording(s) held no readable frame and were removed."
            )
        return text


def recover_recordings(folder: str | os.PathLike[str]) -> Recovery:
    """Find leftovers of interrupted recordings in ``folder`` and make them normal playable files.

    ``.<stem>.recording.mp4`` becomes ``<stem>.mp4`` (``<stem>-recovered.mp4`` when that name is
    taken); a leftover that a running snowcam still writes is left alone. Leftovers without a
    readable frame (also the unreadable ``.<stem>.partial.mp4`` of older versions) are deleted,
    and so are fast-start copies that a process killed while finishing a file left behind.
    A missing folder recovers nothing.
    """
    root = Path(folder)
    saved: list[SavedVideo] = []
    lost: list[Path] = []
    _remove_stale_remux_copies(root)
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return Recovery((), ())
    for entry in entries:
        match = LEFTOVER_RE.match(entry.name) or OLD_LEFTOVER_RE.match(entry.name)
        if match is None or not entry.is_file() or _in_use(entry):
            continue
        target = root / f"{match['stem']}.mp4"
        try:
            result = recover_file(entry, target)
        except OSError as err:
            logger.warning("Could not recover %s: %s", entry, err)
            continue
        if result is None:
            lost.append(entry)
        else:
            logger.info("Recovered %s (%d frames) from %s", result.path, result.frames, entry.name)
            saved.append(result)
    return Recovery(tuple(saved), tuple(lost))
