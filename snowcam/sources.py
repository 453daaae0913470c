"""Frame sources: a video file or a camera, delivering ``(t_s, frame)`` pairs.

Frames are ``H×W×3`` ``uint8`` **BGR** arrays, as OpenCV delivers them. Sources *report* each
frame's timestamp ``t_s`` in seconds; nothing downstream reads the clock, so a replayed file gives
the same results frame for frame (a file's ``t_s`` is its frame index divided by its fps).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.types import Frame

if TYPE_CHECKING:
    from snowcam.video_writer import AudioFormat as AudioFormatLike

logger = logging.getLogger(__name__)

# snowcam reports a damaged or cut-short file itself (``render`` compares decoded and declared
# frames); FFmpeg's own lines inside OpenCV would only repeat that as noise. Set the variable to
# 32 (info) to see them when debugging.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

FALLBACK_FPS = 30.0
_MAX_PLAUSIBLE_FPS = 1000.0
_CAMERA_RETRY_DELAY_S = 0.02

_S = TypeVar("_S", bound="_SourceBase")


class SourceError(RuntimeError):
    """A source cannot deliver frames; the message says what happened and what to do."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a source delivers.

    ``width``/``height`` are the frame size in pixels; ``fps`` the frame rate in frames per
    second (for a camera: what the driver granted); ``name`` a label for the user;
    ``frame_count`` the number of frames in a file (``None`` for a camera or when unknown).
    """

    width: int
    height: int
    fps: float
    name: str
    frame_count: int | None


@runtime_checkable
class FrameSource(Protocol):
    """Anything that yields timestamped BGR frames."""

    info: SourceInfo

    def read(self) -> tuple[float, Frame] | None:
        """The next ``(t_s, frame_bgr)``, or ``None`` at the end (or after ``close``)."""
        ...

    def close(self) -> None:
        """Release the device or file; safe to call more than once."""
        ...

    def __enter__(self) -> FrameSource: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def __iter__(self) -> Iterator[tuple[float, Frame]]: ...


class _SourceBase:
    """Context manager and iteration on top of ``read``/``close``."""

    info: SourceInfo

    def read(self) -> tuple[float, Frame] | None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[float, Frame]]:
        while (item := self.read()) is not None:
            yield item


def _usable_fps(reported: float, name: str) -> float:
    if math.isfinite(reported) and 0.0 < reported <= _MAX_PLAUSIBLE_FPS:
        return float(reported)
    logger.warning("%s reports %s fps; assuming %.0f fps for its timestamps.", name, reported, FALLBACK_FPS)
    return FALLBACK_FPS


def _open_video(path: Path) -> cv2.VideoCapture:
    return cv2.VideoCapture(str(path))


def _open_camera(index: int) -> cv2.VideoCapture:
    return cv2.VideoCapture(index)


class VideoFileSource(_SourceBase):
    """Frames of a video file in any format OpenCV reads.

    ``t_s`` of the n-th delivered frame is ``n / info.fps``. With ``loop`` the file starts over
    at its end and ``t_s`` keeps increasing across passes, so downstream state sees one
    continuous stream. A file that reports no frame rate is timed at 30 fps (logged).

    Raises:
        SourceError: the file is missing, is not a video OpenCV can read, or has no frame.
    """

    def __init__(self, path: str | os.PathLike[str], loop: bool = False) -> None:
        self.path = Path(path)
        self.loop = loop
        if not self.path.exists():
            raise SourceError(f"Video file not found: {self.path}. Check the path and try again.")
        if not self.path.is_file():
            raise SourceError(f"{self.path} is a folder, not a video file. Choose a video file instead.")
        self._cap: cv2.VideoCapture | None = _open_video(self.path)
        if not self._cap.isOpened():
            self._cap.release()
            self._cap = None
            raise SourceError(
                f"Cannot open {self.path.name} as a video: the format is not supported or the file is "
                "damaged. Convert it to MP4 (H.264) and try again."
            )
        ok, frame = self._cap.read()
        if not ok or frame is None:
            self._cap.release()
            self._cap = None
            raise SourceError(
                f"{self.path.name} opened but contains no readable frame: the file is empty or corrupt. "
                "Re-export or re-download it and try again."
            )
        fps = _usable_fps(self._cap.get(cv2.CAP_PROP_FPS), self.path.name)
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.info = SourceInfo(
            width=int(frame.shape[1]),
            height=int(frame.shape[0]),
            fps=fps,
            name=self.path.name,
            frame_count=count if count > 0 else None,
        )
        self._pending: Frame | None = frame
        self._index = 0
        self._index_in_pass = 0

    def read(self) -> tuple[float, Frame] | None:
        """The next ``(t_s, frame_bgr)``; ``None`` at the end of the file (never, with ``loop``)."""
        if self._cap is None:
            return None
        frame = self._pending
        self._pending = None
        if frame is None:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                if not self.loop or self._index_in_pass == 0:
                    return None
                # Reopening is more reliable than seeking to frame 0 across containers.
                self._cap.release()
                self._cap = _open_video(self.path)
                self._index_in_pass = 0
                ok, frame = self._cap.read()
                if not ok or frame is None:
                    return None
        t_s = self._index / self.info.fps
        self._index += 1
        self._index_in_pass += 1
        return t_s, frame

    def close(self) -> None:
        """Release the file; later reads return ``None``."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._pending = None


class CameraSource(_SourceBase):
    """Live frames from a camera, timestamped by ``clock`` right after each capture.

    The requested ``width``, ``height`` (pixels) and ``fps`` are hints to the driver; ``info``
    reports what was granted (size from the first frame, fps from the driver or the request
    when the driver does not say). ``clock`` returns seconds (default ``time.monotonic``).
    Read and close from the same thread: releasing a device during a blocking read is unsafe.

    Raises:
        SourceError: the camera cannot be opened or delivers no first frame. ``read`` raises it
            too after ``max_failed_reads`` consecutive failed reads (device unplugged or taken
            by another app); close the source and open a new one to retry.
    """

    def __init__(
        self,
        index: int = 0,
        width: int = 640,
        height: int = 480,
        fps: float = 30,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_failed_reads: int = 10,
    ) -> None:
        if max_failed_reads < 1:
            raise ValueError(f"max_failed_reads must be ≥ 1, got {max_failed_reads}")
        self.index = index
        self.max_failed_reads = max_failed_reads
        self._clock = clock
        self._cap: cv2.VideoCapture | None = _open_camera(index)
        if not self._cap.isOpened():
            self._cap.release()
            self._cap = None
            raise SourceError(
                f"Camera {index} could not be opened. Check that it is connected, that no other app "
                "(video call, browser) is using it and that camera access is allowed, or choose "
                "another camera."
            )
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_FPS, fps)
        try:
            first = self._grab()
        except SourceError:
            self.close()
            raise SourceError(
                f"Camera {index} opened but delivers no picture. Close other apps that use it, "
                "reconnect it, or choose another camera."
            ) from None
        granted_fps = self._cap.get(cv2.CAP_PROP_FPS)
        if not (math.isfinite(granted_fps) and 0.0 < granted_fps <= _MAX_PLAUSIBLE_FPS):
            granted_fps = float(fps)
        frame = first[1]
        self.info = SourceInfo(
            width=int(frame.shape[1]),
            height=int(frame.shape[0]),
            fps=float(granted_fps),
            name=f"camera {index}",
            frame_count=None,
        )
        self._pending: tuple[float, Frame] | None = first

    def _grab(self) -> tuple[float, Frame]:
        assert self._cap is not None
        for attempt in range(self.max_failed_reads):
            ok, frame = self._cap.read()
            if ok and frame is not None:
                return self._clock(), frame
            if attempt + 1 < self.max_failed_reads:
                time.sleep(_CAMERA_RETRY_DELAY_S)
        raise SourceError(
            f"Camera {self.index} stopped delivering frames ({self.max_failed_reads} failed reads in a "
            "row). It may have been unplugged or taken by another app: reconnect it and retry."
        )

    def read(self) -> tuple[float, Frame] | None:
        """The next ``(t_s, frame_bgr)``; ``None`` once closed.

        Raises:
            SourceError: the camera stopped delivering frames.
        """
        if self._cap is None:
            return None
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        return self._grab()

    def close(self) -> None:
        """Release the camera; later reads return ``None``."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._pending = None


def declared_frame_count(path: str | os.PathLike[str]) -> int | None:
    """The number of video frames a file's container states (MP4's index does; Matroska does
    not), or ``None`` when it states none. Unlike :attr:`SourceInfo.frame_count` this is never
    an estimate from the duration."""
    import av

    try:
        with av.open(os.fspath(path)) as container:
            frames = container.streams.video[0].frames if container.streams.video else 0
    except (av.FFmpegError, ValueError):
        return None
    return int(frames) if frames > 0 else None


# The sampling rates an AAC track can have.
AAC_SAMPLE_RATES_HZ = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


class FileAudio:
    """The first audio track of a media file as PCM chunks, for carrying it into a rendered copy.

    ``format`` is the track's rate and channel count (more than two channels are mixed down to
    stereo; a rate AAC cannot carry is resampled to 48 kHz). :meth:`chunks` yields
    ``(samples, t_s)``: ``(n, channels)`` float32 samples in [-1, 1] starting at ``t_s`` seconds,
    on the clock of :class:`VideoFileSource` (0 at the first video frame). A damaged track ends
    the chunks early (logged) instead of raising.
    """

    def __init__(self, path: Path, stream_index: int, fmt: AudioFormatLike, video_start_s: float) -> None:
        self.path = path
        self.format = fmt
        self._stream_index = stream_index
        self._video_start_s = video_start_s

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> FileAudio | None:
        """The file's audio, or ``None`` when it has no audio track (or is no media file PyAV reads)."""
        import av

        from snowcam.video_writer import AudioFormat

        try:
            with av.open(os.fspath(path)) as container:
                if not container.streams.audio:
                    return None
                audio = container.streams.audio[0]
                rate = audio.codec_context.sample_rate
                if rate not in AAC_SAMPLE_RATES_HZ:
                    rate = 48000  # resampled to a rate AAC can carry
                channels = min(2, max(1, audio.codec_context.channels))
                video = container.streams.video[0] if container.streams.video else None
                start = video.start_time if video is not None else None
                video_start_s = float(start * video.time_base) if start is not None and video else 0.0
                return cls(Path(path), audio.index, AudioFormat(int(rate), channels), video_start_s)
        except (av.FFmpegError, ValueError) as exc:
            logger.warning("Cannot read the audio of %s: %s", path, exc)
            return None

    def chunks(self) -> Iterator[tuple[npt.NDArray[np.float32], float]]:
        import av

        layout = "mono" if self.format.channels == 1 else "stereo"
        resampler = av.AudioResampler(format="flt", layout=layout, rate=self.format.sample_rate_hz)
        try:
            with av.open(os.fspath(self.path)) as container:
                stream = container.streams[self._stream_index]
                for frame in container.decode(stream):
                    if frame.pts is None or frame.time is None:
                        continue
                    t_s = float(frame.time) - self._video_start_s
                    for out in resampler.resample(frame):
                        pcm = out.to_ndarray().reshape(-1, self.format.channels).astype(np.float32)
                        yield pcm, t_s
                        t_s += pcm.shape[0] / self.format.sample_rate_hz
                for out in resampler.resample(None):
                    yield out.to_ndarray().reshape(-1, self.format.channels).astype(np.float32), t_s
        except av.FFmpegError as exc:
            logger.warning("The audio of %s ends early: %s", self.path.name, exc)
