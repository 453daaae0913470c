"""What the live session reports: its capture state, the frame it shows, and its events.

Plain frozen dataclasses, no Qt. :class:`snowcam.session.Session` calls ``on_event`` with one
of :data:`SessionEvent` on its own thread; a view shows them (the Qt adapter carries them to the
UI thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from snowcam.feeds import SourceSpec
from snowcam.filters.selection import Selection
from snowcam.sources import SourceInfo
from snowcam.types import Frame, FrameResult


class CaptureState(Enum):
    """What the source is doing (see the module's docstring for the transitions)."""

    NO_SOURCE = "no source"
    OPENING = "opening"
    LIVE = "live"
    PAUSED = "paused"
    ENDED = "ended"
    LOST = "lost"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CaptureSettings:
    """Where and how captures are saved.

    ``image_format`` is ``png`` or ``jpg``; ``countdown_s`` the seconds before a photo (0: none).
    """

    photo_dir: Path
    video_dir: Path
    image_format: str = "png"
    countdown_s: int = 0


@dataclass(frozen=True, slots=True)
class Shown:
    """A processed frame for the screen.

    ``result`` is in the camera's orientation; ``view`` is what the screen shows (``result.output``
    flipped left-right when ``mirrored``). ``ready_s`` is the clock second the frame was captured
    (camera) or due (file). ``processed_fps`` is the session's recent processing rate;
    ``skipped`` counts the frames the source delivered that were never processed, to stay live
    (a newer camera frame replaced them, or a file frame was already late), since it opened.
    ``position_s``/``duration_s`` place a video file's frame (``None`` for a camera).
    """

    result: FrameResult
    view: Frame
    ready_s: float
    mirrored: bool
    processed_fps: float
    skipped: int
    position_s: float | None = None
    duration_s: float | None = None


# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateChanged:
    state: CaptureState
    spec: SourceSpec | None
    info: SourceInfo | None


@dataclass(frozen=True, slots=True)
class SourceFailed:
    """``spec`` could not be opened; a video file that fails leaves the current source running."""

    spec: SourceSpec
    message: str


@dataclass(frozen=True, slots=True)
class SourceLost:
    message: str


@dataclass(frozen=True, slots=True)
class SourceRecovered:
    info: SourceInfo


@dataclass(frozen=True, slots=True)
class ProcessorFailed:
    """The face model could not be loaded: filters are off."""

    message: str


@dataclass(frozen=True, slots=True)
class ProcessingError:
    message: str


@dataclass(frozen=True, slots=True)
class SelectionChanged:
    selection: Selection


@dataclass(frozen=True, slots=True)
class MirrorChanged:
    """``mirror`` is the setting; ``applies`` whether it flips the current source (a camera)."""

    mirror: bool
    applies: bool


@dataclass(frozen=True, slots=True)
class CountdownChanged:
    """Whole seconds left before the photo, or ``None`` when the countdown ended or was cancelled."""

    seconds_left: int | None


@dataclass(frozen=True, slots=True)
class PhotoSaved:
    path: Path
    thumbnail: Frame


@dataclass(frozen=True, slots=True)
class PhotoFailed:
    message: str


@dataclass(frozen=True, slots=True)
class CaptureRefused:
    """A photo or a recording asked for while there is no picture: a passing note, not an error."""

    message: str


@dataclass(frozen=True, slots=True)
class RecordingStarted:
    path: Path


@dataclass(frozen=True, slots=True)
class RecordingSaved:
    path: Path
    frames: int
    thumbnail: Frame | None


@dataclass(frozen=True, slots=True)
class RecordingCutShort:
    """A write error (a full disk) stopped the recording; ``duration_s`` seconds were kept in ``path``."""

    message: str
    path: Path
    duration_s: float
    thumbnail: Frame | None


@dataclass(frozen=True, slots=True)
class RecordingsRecovered:
    """Recordings cut off by a crash were turned into files at start; ``message`` says which."""

    message: str


@dataclass(frozen=True, slots=True)
class RecordingFailed:
    message: str


@dataclass(frozen=True, slots=True)
class OutputFailed:
    name: str
    message: str


@dataclass(frozen=True, slots=True)
class Closeups:
    """Gallery close-ups: ``THUMB_PX``-square BGR images by filter name."""

    images: dict[str, Frame]


SessionEvent = (
    StateChanged
    | SourceFailed
    | SourceLost
    | SourceRecovered
    | ProcessorFailed
    | ProcessingError
    | SelectionChanged
    | MirrorChanged
    | CountdownChanged
    | PhotoSaved
    | PhotoFailed
    | CaptureRefused
    | RecordingStarted
    | RecordingSaved
    | RecordingCutShort
    | RecordingsRecovered
    | RecordingFailed
    | OutputFailed
    | Closeups
)
