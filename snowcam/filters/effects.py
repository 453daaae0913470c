"""Effects (group ``effect``): animations driven by the pipeline's time ``t_s`` and by expressions.

* ``fx-hearts`` — glossy hearts float up beside and above each head, always on.
* ``fx-rainbow`` — a flowing rainbow pours from the mouth while it is held wide open
  (:func:`snowcam.filters.triggers.mouth_trigger`).
* ``fx-stars`` — golden stars burst from the forehead when the brows go up
  (:func:`snowcam.filters.triggers.brows_trigger`).
* ``fx-sparkles`` — golden-white twinkles flash on and off around the head, always on.

Replays are frame for frame the same: every particle's properties come from a generator seeded
by the effect, the face's track id and the particle's spawn slot (``floor(t_s / period)``), and
its position is a function of its age, so a particle is *computed* for a time rather than
stepped; only the triggers keep state (per track id, forgotten by ``reset``). Nothing reads a
clock. The triggered effects take ``preview=True`` to draw as if their expression were held, for
gallery thumbnails and contact sheets made from a single still frame.

Sizes are in units of the face size ``S`` (the larger side of the keypoints' bounding box);
everything stays within 1.6 S above the face box, 0.6 S beside it and 1.0 S below it.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.filters import sprites
from snowcam.filters.triggers import Trigger, TriggerState, brows_trigger, mouth_trigger
from snowcam.overlay import PremultipliedImage, blend_premultiplied
from snowcam.types import Face, Frame

_OPACITY_STEPS = 8
# A triggered effect made with ``preview=True`` (gallery thumbnails, contact sheets, where a
# single still frame cannot show an expression) draws as if its trigger had fired this long ago.
PREVIEW_SINCE_S = 1.0


@dataclass(frozen=True, slots=True)
class FaceFrame:
    """Where a face is, for effects: keypoint box (frame px), size ``S`` and the eye-line angle.

    ``down_xy`` is the unit vector from the brows towards the chin (follows roll).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    size_px: float
    down_xy: tuple[float, float]

    @classmethod
    def of(cls, xy_px: npt.NDArray[np.floating]) -> FaceFrame | None:
        xy = np.asarray(xy_px, np.float64)
        if not np.all(np.isfinite(xy)):
            return None
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        size = max(x1 - x0, y1 - y0)
        line = xy[42:48].mean(axis=0) - xy[36:42].mean(axis=0)
        norm = math.hypot(*line)
        if not (size > 2.0 and norm > 1e-6):
            return None
        return cls(float(x0), float(y0), float(x1), float(y1), float(size), (-line[1] / norm, line[0] / norm))

    @property
    def centre_x(self) -> float:
        return 0.5 * (self.x0 + self.x1)


class _Sprite:
    """A sprite prepared at a few opacities, drawn centred at a point with a size and an angle."""

    def __init__(self, rgba: npt.NDArray[np.uint8]) -> None:
        self.size_px = rgba.shape[1]
        self.levels = []
        for i in range(1, _OPACITY_STEPS + 1):
            faded = rgba.copy()
            faded[..., 3] = np.rint(rgba[..., 3] * (i / _OPACITY_STEPS)).astype(np.uint8)
            self.levels.append(PremultipliedImage.from_rgba(faded))

    def draw(
        self, out: Frame, centre_xy: tuple[float, float], width_px: float, angle_rad: float, opacity: float
    ) -> None:
        step = round(min(max(opacity, 0.0), 1.0) * _OPACITY_STEPS)
        if step == 0 or not width_px > 1.0:
            return
        s = width_px / self.size_px
        c, n = math.cos(angle_rad) * s, math.sin(angle_rad) * s
        half = (self.size_px - 1) / 2.0
        affine = np.array(
            [
                [c, -n, centre_xy[0] - (c * half - n * half)],
                [n, c, centre_xy[1] - (n * half + c * half)],
            ]
        )
        blend_premultiplied(out, self.levels[step - 1], affine)


def _rng(effect: str, track_id: int, slot: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(effect.encode()), track_id & 0xFFFFFFFF, slot & 0xFFFFFFFF])


def _live_particles(t_s: float, period_s: float, life_s: float) -> Iterator[tuple[int, float]]:
    """``(slot, age_s)`` of the particles alive at ``t_s``: slot ``k`` is born at ``k * period_s``."""
    newest = math.floor(t_s / period_s)
    for slot in range(newest - math.ceil(life_s / period_s), newest + 1):
        age = t_s - slot * period_s
        if 0.0 <= age < life_s:
            yield slot, age


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


class _Effect:
    """Shared plumbing: one call per face with keypoints, its :class:`FaceFrame` and time."""

    name: str
    group = "effect"

    def apply(self, out: Frame, faces: Sequence[Face], t_s: float) -> None:
        """Draw the effect for every face with keypoints at time ``t_s`` (seconds)."""
        for face in faces:
            if face.keypoints is None:
                continue
            frame = FaceFrame.of(face.keypoints.xy_px)
            if frame is not None:
                self.draw_face(out, face, frame, t_s)
        self.after_frame(t_s)

    def draw_face(self, out: Frame, face: Face, frame: FaceFrame, t_s: float) -> None:
        raise NotImplementedError

    def after_frame(self, t_s: float) -> None:
        """Called once per frame after all faces (triggers forget unseen tracks here)."""

    preview = False

    def _state(self, trigger: Trigger, face: Face, t_s: float) -> TriggerState:
        """The trigger's state for ``face``; in preview, on since ``PREVIEW_SINCE_S`` before ``t_s``."""
        if self.preview:
            return TriggerState(True, t_s - PREVIEW_SINCE_S, float("nan"))
        assert face.keypoints is not None
        return trigger.update(face.track_id, face.keypoints.xy_px, t_s)

    def reset(self) -> None:
        """Nothing to forget."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class FloatingHearts(_Effect):
    """Hearts rise from beside the cheeks to above the head, swaying, then fade (always on).

    One heart is born every ``PERIOD_S`` per face and lives ``LIFE_S``; its side, start height,
    sway, size and colour come from its seeded generator.
    """

    PERIOD_S = 0.3
    LIFE_S = 2.2
    RISE_PER_S = 0.55  # face sizes per second
    COLOURS = ((140, 70, 255), (120, 60, 235), (200, 90, 190), (170, 120, 255))

    def __init__(self) -> None:
        self.name = "fx-hearts"
        self._sprites = [_Sprite(sprites.heart(64, c)) for c in self.COLOURS]

    def draw_face(self, out: Frame, face: Face, frame: FaceFrame, t_s: float) -> None:
        s = frame.size_px
        for slot, age in _live_particles(t_s, self.PERIOD_S, self.LIFE_S):
            rng = _rng(self.name, face.track_id, slot)
            side = -1.0 if rng.random() < 0.5 else 1.0
            start_u = side * rng.uniform(0.6, 0.85)  # from the face centre, in S
            start_v = rng.uniform(0.15, 0.55)  # down from the box top, in S
            sway, phase = rng.uniform(0.03, 0.08), rng.uniform(0, 2 * math.pi)
            width = rng.uniform(0.13, 0.2) * s
            sprite = self._sprites[int(rng.integers(len(self._sprites)))]
            u = start_u * (1.0 - 0.35 * age / self.LIFE_S) + sway * math.sin(2.6 * age + phase)
            v = start_v - self.RISE_PER_S * age
            grow = 0.6 + 0.4 * _smoothstep(age / 0.35)
            opacity = _smoothstep(age / 0.25) * _smoothstep((self.LIFE_S - age) / 0.6)
            tilt = 0.25 * math.sin(2.0 * age + phase)
            sprite.draw(out, (frame.centre_x + u * s, frame.y0 + v * s), width * grow, tilt, opacity)


class TwinkleSparkles(_Effect):
    """Twinkles flash on and off around the head and shoulders (always on)."""

    PERIOD_S = 0.12
    LIFE_S = 0.8

    def __init__(self) -> None:
        self.name = "fx-sparkles"
        self._sprite = _Sprite(sprites.sparkle(48))

    def draw_face(self, out: Frame, face: Face, frame: FaceFrame, t_s: float) -> None:
        s = frame.size_px
        for slot, age in _live_particles(t_s, self.PERIOD_S, self.LIFE_S):
            rng = _rng(self.name, face.track_id, slot)
            angle = rng.uniform(-math.pi * 1.05, math.pi * 0.05)  # the upper half around the head
            radius = rng.uniform(0.72, 0.98)
            cx = frame.centre_x + radius * s * math.cos(angle)
            cy = 0.5 * (frame.y0 + frame.y1) + radius * s * 1.05 * math.sin(angle)
            width = rng.uniform(0.16, 0.26) * s
            pulse = math.sin(math.pi * age / self.LIFE_S)
            sprite_angle = 0.6 * age
            self._sprite.draw(out, (cx, cy), width * (0.4 + 0.6 * pulse), sprite_angle, pulse)


class StarBurst(_Effect):
    """Brows up: a fan of golden stars bursts from the forehead, spinning as they fly and fade.

    A burst starts when the brow trigger switches on and every ``REPEAT_S`` while it stays on;
    each burst lives ``LIFE_S`` also after the brows come down.
    """

    STARS = 7
    LIFE_S = 0.9
    REPEAT_S = 0.6

    def __init__(self, preview: bool = False) -> None:
        self.name = "fx-stars"
        self.preview = preview
        self._trigger: Trigger = brows_trigger()
        self._sprite = _Sprite(sprites.star(64))
        self._bursts: dict[int, list[float]] = {}

    def reset(self) -> None:
        """Forget the triggers and the bursts."""
        self._trigger.reset()
        self._bursts.clear()

    def draw_face(self, out: Frame, face: Face, frame: FaceFrame, t_s: float) -> None:
        assert face.keypoints is not None
        state = self._state(self._trigger, face, t_s)
        bursts = [b for b in self._bursts.get(face.track_id, []) if 0.0 <= t_s - b < self.LIFE_S]
        if state.active:
            # Burst times follow from the onset, so they do not depend on the frame rate.
            latest = state.since_s + math.floor((t_s - state.since_s) / self.REPEAT_S) * self.REPEAT_S
            if latest not in bursts:
                bursts.append(latest)
        self._bursts[face.track_id] = bursts
        xy = face.keypoints.xy_px.astype(np.float64)
        s = frame.size_px
        dx, dy = frame.down_xy
        brow = xy[17:27].mean(axis=0)
        origin = (brow[0] - 0.12 * s * dx, brow[1] - 0.12 * s * dy)
        up_angle = math.atan2(-dy, -dx)
        for start in bursts:
            age = t_s - start
            rng = _rng(self.name, face.track_id, round(start * 1000))
            k = age / self.LIFE_S
            travel = 0.75 * (1.0 - (1.0 - k) ** 2)
            for i in range(self.STARS):
                spread = (i / (self.STARS - 1) - 0.5) * math.radians(150) + rng.uniform(-0.12, 0.12)
                direction = up_angle + spread
                reach = travel * rng.uniform(0.75, 1.0) * s
                centre = (origin[0] + reach * math.cos(direction), origin[1] + reach * math.sin(direction))
                width = rng.uniform(0.13, 0.19) * s * (0.5 + 0.5 * _smoothstep(k / 0.3))
                spin = rng.uniform(-1.0, 1.0) * 4.0 * age
                opacity = _smoothstep(k / 0.1) * _smoothstep((1.0 - k) / 0.35)
                self._sprite.draw(out, centre, width, spin, opacity)

    def after_frame(self, t_s: float) -> None:
        self._trigger.forget_unseen(t_s)
        for track_id in [
            k for k, v in self._bursts.items() if not any(0.0 <= t_s - b < self.LIFE_S for b in v)
        ]:
            del self._bursts[track_id]


# Rainbow stripes, outside to inside across the ribbon (BGR).
_RAINBOW_BGR = np.array(
    [(60, 60, 240), (40, 150, 255), (60, 230, 255), (90, 210, 90), (240, 160, 60), (210, 90, 150)], np.float32
)


class MouthRainbow(_Effect):
    """Mouth held open: a rainbow ribbon pours from the inner lips down past the chin, waving.

    It grows out over ``GROW_S`` when the mouth trigger switches on and is drawn back over
    ``SHRINK_S`` when it switches off. The ribbon follows the face's down direction (roll).
    """

    GROW_S = 0.3
    SHRINK_S = 0.25
    LENGTH = 0.9  # face sizes

    def __init__(self, preview: bool = False) -> None:
        self.name = "fx-rainbow"
        self.preview = preview
        self._trigger: Trigger = mouth_trigger()
        self._on: dict[int, tuple[bool, float]] = {}  # track id -> (trigger on?, at t_s) last frame
        self._off_s: dict[int, float] = {}  # track id -> when the trigger last switched off

    def reset(self) -> None:
        """Forget the triggers."""
        self._trigger.reset()
        self._on.clear()
        self._off_s.clear()

    def after_frame(self, t_s: float) -> None:
        self._trigger.forget_unseen(t_s)
        for track_id in [k for k, off in self._off_s.items() if not 0.0 <= t_s - off <= self.SHRINK_S]:
            del self._off_s[track_id]
        limit = self._trigger.config.forget_after_s
        for track_id in [k for k, (_, seen) in self._on.items() if not 0.0 <= t_s - seen <= limit]:
            del self._on[track_id]

    def draw_face(self, out: Frame, face: Face, frame: FaceFrame, t_s: float) -> None:
        assert face.keypoints is not None
        state = self._state(self._trigger, face, t_s)
        if self._on.get(face.track_id, (False, t_s))[0] and not state.active:
            self._off_s[face.track_id] = state.since_s
        self._on[face.track_id] = (state.active, t_s)
        if state.active:
            extent = _smoothstep((t_s - state.since_s) / self.GROW_S)
        elif face.track_id in self._off_s:
            extent = 1.0 - _smoothstep((t_s - self._off_s[face.track_id]) / self.SHRINK_S)
        else:
            return
        if extent <= 0.0:
            return
        xy = face.keypoints.xy_px.astype(np.float64)
        draw_rainbow(out, xy, frame, extent, t_s)


def draw_rainbow(
    out: Frame, xy: npt.NDArray[np.float64], frame: FaceFrame, extent: float, t_s: float
) -> None:
    """Draw the rainbow ribbon of ``MouthRainbow`` with ``extent`` in (0, 1] of its full length.

    The ribbon is computed on a grid of at most about 96 px along its length and resized to the
    frame: it is made of soft gradients, so the coarse grid does not show and the cost stays
    small for a face that fills the frame.
    """
    s = frame.size_px
    dx, dy = frame.down_xy
    start = xy[60:68].mean(axis=0)
    length = MouthRainbow.LENGTH * s * extent
    w0 = 0.45 * float(np.linalg.norm(xy[64] - xy[60])) + 0.02 * s
    w1 = 0.36 * s
    margin = w1 + 0.06 * s
    end = start + length * np.array([dx, dy])
    h, w = out.shape[:2]
    x0 = max(0, math.floor(min(start[0], end[0]) - margin))
    x1 = min(w, math.ceil(max(start[0], end[0]) + margin) + 1)
    y0 = max(0, math.floor(min(start[1], end[1]) - margin))
    y1 = min(h, math.ceil(max(start[1], end[1]) + margin) + 1)
    if x1 <= x0 or y1 <= y0 or length < 1.0:
        return
    scale = min(1.0, 96.0 / (MouthRainbow.LENGTH * s))
    grid_w, grid_h = max(2, round((x1 - x0) * scale)), max(2, round((y1 - y0) * scale))
    xs = np.linspace(x0, x1 - 1, grid_w, dtype=np.float32)
    ys = np.linspace(y0, y1 - 1, grid_h, dtype=np.float32)
    rx = xs[None, :] - np.float32(start[0])
    ry = ys[:, None] - np.float32(start[1])
    along = (rx * np.float32(dx) + ry * np.float32(dy)) / np.float32(length)  # 0 at the mouth, 1 at the end
    k = np.clip(along, 0.0, 1.0)
    half = (w0 + (w1 - w0) * np.sqrt(k)) / 2.0
    wave = np.float32(0.05 * s) * np.sin(6.0 * k - np.float32(7.0 * t_s)) * k
    across = (rx * np.float32(-dy) + ry * np.float32(dx) - wave) / (2.0 * half)  # -0.5..0.5 inside
    edge_px = 1.0 / scale  # one frame pixel of antialiasing at the ribbon's edge
    inside = np.clip((0.5 - np.abs(across)) * 2.0 * half / np.float32(edge_px), 0.0, 1.0)
    cap = np.clip(along * length / 3.0, 0.0, 1.0) * np.clip((1.0 - along) * 4.0, 0.0, 1.0)
    alpha = (inside * cap * 0.95).astype(np.float32)
    # Stripe index with a soft step between stripes (about a fifth of a stripe wide).
    n = len(_RAINBOW_BGR)
    position = np.clip((across + 0.5) * n - 0.5, 0.0, n - 1.0)
    band = np.minimum(position.astype(np.int32), n - 2)
    mix = np.clip((position - band - 0.5) * 5.0 + 0.5, 0.0, 1.0)[..., None]
    colour = _RAINBOW_BGR[band] * (1.0 - mix) + _RAINBOW_BGR[band + 1] * mix
    shine = 1.0 + 0.18 * np.sin(18.0 * k - np.float32(12.0 * t_s)) - 0.25 * (2.0 * np.abs(across)) ** 2
    colour = np.clip(colour * shine[..., None], 0, 255).astype(np.float32)
    size = (x1 - x0, y1 - y0)
    if (grid_w, grid_h) != size:
        colour = cv2.resize(colour, size, interpolation=cv2.INTER_LINEAR)
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR)
    roi = out[y0:y1, x0:x1]
    roi[...] = cv2.blendLinear(colour.astype(np.uint8), roi, alpha, 1.0 - alpha)
