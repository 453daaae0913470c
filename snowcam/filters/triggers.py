"""Expression triggers measured from the 68 keypoints, with hysteresis, per track id.

Three measures, each a pure function of one face's ``(68, 2)`` frame-pixel points:

* :func:`mouth_open_ratio` — the inner lips' opening (mean of 61–67, 62–66, 63–65) over the
  inner mouth width (60–64). About 0.0–0.1 closed, 0.2–0.5 while talking, above 0.6 for a
  deliberately wide-open mouth (an "O" also narrows the width, which raises it further).
* :func:`eye_aspect_ratio` — Soukupová and Čech's EAR, ``(|37−41| + |38−40|) / (2 |36−39|)``,
  averaged over both eyes: about 0.25–0.35 open, falling towards 0.1 in a blink.
* :func:`brow_raise_ratio` — how far the brows (17–26) sit above the eye corners, measured
  across the eye line, over the outer eye distance (36–45). Eye *corners*, not the eye
  contours' centres: a downcast gaze lowers the lids, which moves a contour's centre and would
  read as raised brows. About 0.2–0.35 at rest depending on the face, hence a relative trigger.

A :class:`Trigger` turns one measure into an on/off state with hysteresis: it switches on when
the value has stayed beyond ``on`` for ``hold_on_s`` and off when it has stayed back past
``off`` for ``hold_off_s``. A *relative* trigger divides the measure by the face's own baseline,
the median of its values over the last ``baseline_window_s`` seconds, so a face whose brows sit
high or whose eyes are narrow needs a change, not a particular shape; a held expression becomes
the new normal after about half the window and switches off. Time is the ``t_s`` handed in;
nothing reads a clock. A track not seen for ``forget_after_s`` starts afresh.

Speech versus expressions: a talking mouth opens and closes several times a second (each
opening lasts about 0.1–0.3 s) and rarely reaches a ratio of 0.6; a deliberate open mouth is
held. The mouth trigger therefore needs the ratio above 0.55 for 0.4 s. Brows move with speech
too, by less: the brow trigger needs 15 % above the baseline for 0.25 s. The thresholds are
checked on the real clips (docs/filters.md).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.floating]


def _dist(xy: Points, a: int, b: int) -> float:
    return float(math.hypot(*(xy[a] - xy[b])))


def mouth_open_ratio(xy_px: Points) -> float:
    """Inner-lip opening over inner mouth width (see the module docstring); 0 for a degenerate mouth."""
    xy = np.asarray(xy_px, np.float64)
    width = _dist(xy, 60, 64)
    if not width > 1e-6:
        return 0.0
    opening = (_dist(xy, 61, 67) + _dist(xy, 62, 66) + _dist(xy, 63, 65)) / 3.0
    return opening / width


def eye_aspect_ratio(xy_px: Points) -> float:
    """Mean eye aspect ratio of both eyes (see the module docstring); 0 for degenerate eyes."""
    xy = np.asarray(xy_px, np.float64)
    ratios = []
    for p in (36, 42):
        width = _dist(xy, p, p + 3)
        if width > 1e-6:
            ratios.append((_dist(xy, p + 1, p + 5) + _dist(xy, p + 2, p + 4)) / (2.0 * width))
    return float(np.mean(ratios)) if ratios else 0.0


def brow_raise_ratio(xy_px: Points) -> float:
    """Brow height over the outer eye distance (36–45): the mean height of the brow points
    (17–21, 22–26) above the line through their eye's corners (36–39, 42–45), measured across
    the eye line; 0 for degenerate eyes."""
    xy = np.asarray(xy_px, np.float64)
    left, right = xy[[36, 39]].mean(axis=0), xy[[42, 45]].mean(axis=0)
    line = right - left
    norm = math.hypot(*line)
    distance = _dist(xy, 36, 45)
    if not (norm > 1e-6 and distance > 1e-6):
        return 0.0
    up = np.array([line[1], -line[0]]) / norm  # across the eye line, towards the forehead
    heights = np.concatenate([(xy[17:22] - left) @ up, (xy[22:27] - right) @ up])
    return float(heights.mean() / distance)


@dataclass(frozen=True, slots=True)
class TriggerConfig:
    """Thresholds of one trigger.

    ``above``: the trigger fires when the (relative) value rises above ``on`` (else when it
    falls below). ``relative``: thresholds apply to value / baseline. Durations in seconds.
    """

    on: float
    off: float
    hold_on_s: float
    hold_off_s: float
    above: bool = True
    relative: bool = False
    baseline_window_s: float = 5.0
    forget_after_s: float = 1.0

    def __post_init__(self) -> None:
        if self.above != (self.on > self.off):
            raise ValueError(f"hysteresis needs on beyond off in the trigger's direction, got {self}")
        if min(self.hold_on_s, self.hold_off_s) < 0 or self.baseline_window_s <= 0:
            raise ValueError(f"durations must be >= 0 and the baseline window > 0, got {self}")


# Thresholds, checked on the real clips (docs/filters.md, "Beauty, looks and effects").
MOUTH_OPEN = TriggerConfig(on=0.55, off=0.35, hold_on_s=0.4, hold_off_s=0.15)
BROWS_UP = TriggerConfig(on=1.15, off=1.08, hold_on_s=0.25, hold_off_s=0.15, relative=True)
BLINK = TriggerConfig(on=0.6, off=0.8, hold_on_s=0.0, hold_off_s=0.0, above=False, relative=True)


@dataclass(slots=True)
class _TrackState:
    last_t_s: float
    history: deque[tuple[float, float]] = field(default_factory=deque)  # (t_s, raw) in the window
    active: bool = False
    since_s: float = 0.0  # when the current state began
    pending_s: float | None = None  # when the value first crossed towards the other state


@dataclass(frozen=True, slots=True)
class TriggerState:
    """One face's trigger after an update: on or off, since when (s), and the value used."""

    active: bool
    since_s: float
    value: float


class Trigger:
    """A measure with hysteresis and a minimum duration, kept per track id (module docstring)."""

    def __init__(self, measure: Callable[[Points], float], config: TriggerConfig) -> None:
        self.measure = measure
        self.config = config
        self._tracks: dict[int, _TrackState] = {}

    def reset(self) -> None:
        """Forget every track."""
        self._tracks.clear()

    def update(self, track_id: int, xy_px: Points, t_s: float) -> TriggerState:
        """Feed one face's points at time ``t_s``; returns the trigger's state for that track."""
        c = self.config
        raw = self.measure(xy_px)
        state = self._tracks.get(track_id)
        if state is None or not 0.0 <= t_s - state.last_t_s <= c.forget_after_s:
            state = self._tracks[track_id] = _TrackState(t_s, since_s=t_s)
        state.last_t_s = t_s
        if not math.isfinite(raw):
            return TriggerState(state.active, state.since_s, float("nan"))
        value = raw
        if c.relative:
            state.history.append((t_s, raw))
            while state.history[0][0] < t_s - c.baseline_window_s:
                state.history.popleft()
            baseline = float(np.median([v for _, v in state.history]))
            value = raw / baseline if baseline > 1e-9 else 1.0
        beyond_on = value > c.on if c.above else value < c.on
        back_past_off = value < c.off if c.above else value > c.off
        crossing = back_past_off if state.active else beyond_on
        if not crossing:
            state.pending_s = None
        else:
            if state.pending_s is None:
                state.pending_s = t_s
            if t_s - state.pending_s >= (c.hold_off_s if state.active else c.hold_on_s):
                state.active = not state.active
                state.since_s = t_s
                state.pending_s = None
        return TriggerState(state.active, state.since_s, value)

    def forget_unseen(self, t_s: float) -> None:
        """Drop tracks not updated within ``forget_after_s`` of ``t_s``."""
        limit = self.config.forget_after_s
        for track_id in [k for k, s in self._tracks.items() if not 0.0 <= t_s - s.last_t_s <= limit]:
            del self._tracks[track_id]


def mouth_trigger() -> Trigger:
    """The mouth held wide open (not speech): :data:`MOUTH_OPEN` on :func:`mouth_open_ratio`."""
    return Trigger(mouth_open_ratio, MOUTH_OPEN)


def brows_trigger() -> Trigger:
    """Brows raised against the face's own baseline: :data:`BROWS_UP` on :func:`brow_raise_ratio`."""
    return Trigger(brow_raise_ratio, BROWS_UP)


def blink_trigger() -> Trigger:
    """Eyes closed against the face's own open-eye baseline: :data:`BLINK` on :func:`eye_aspect_ratio`."""
    return Trigger(eye_aspect_ratio, BLINK)
