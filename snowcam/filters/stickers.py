"""Sticker filters: RGBA PNGs anchored to keypoints, declared in ``filters.toml``.

A one-part sticker is one table::

    [glasses-round]
    kind = "sticker"
    title = "Round glasses"                 # shown in the gallery
    image = "glasses_round.png"             # RGBA PNG, relative to the TOML file
    anchors = [[36, 37, 38, 39, 40, 41], [42, 43, 44, 45, 46, 47]]  # image-left, image-right
    anchor_px = [499.5, 190.0]              # PNG pixel placed on the anchor point
    width = 2.2                             # PNG width in anchor distances (frontal face)
    offset = [0.0, 0.0]                     # optional: shift in PNG widths / heights, +y down
    depth = 0.2                             # optional: in front of the anchors, in anchor distances
    at = [30]                               # optional: the anchor point (default: the anchors' midpoint)
    lift = 0.0                              # optional: up the face, in brow-to-nose heights
    slots = ["eyes"]                        # where it sits (eyes, head, nose, mouth, cheeks)
    show_when = "mouth_open"                # optional: drawn only then (or "mouth_closed")

A multi-part sticker puts the part keys (``image`` … ``show_when``) in an array of ``parts``
tables, drawn in file order; the entry's slots are the union of its parts' slots (or its own
``slots``)::

    [cat]
    kind = "sticker"
    title = "Cat"

    [[cat.parts]]
    image = "cat_ears.png"
    anchors = [17, 26]                      # outer brow ends: scale and roll
    anchor_px = [300.0, 260.0]
    width = 1.9
    lift = 1.0                              # ears sit above the forehead
    slots = ["head"]

    [[cat.parts]]
    image = "cat_nose.png"
    anchors = [31, 35]
    at = 30                                 # the nose tip
    anchor_px = [60.0, 40.0]
    width = 1.6
    slots = ["nose"]

Each anchor (and ``at``) is one keypoint index or a list whose mean is taken. The two anchors
give the part's scale (their distance) and roll (the line from the first to the second); ``at``
(default: their midpoint) is where ``anchor_px`` lands. ``lift`` extrapolates above the keypoints
(ears, hats): the anchor point moves up the face, perpendicular to the anchor line, by ``lift``
times the face's brow-to-nose height (the brow midpoint, 17–26, to the nose base, 31–35,
measured across the anchor line), so it scales with the face and turns with its roll. ``offset``
x runs along the anchor line, y across it (down on an upright face). The part is foreshortened
with the head yaw: compressed along the anchor line and shifted toward the side the face turns
to by its ``depth`` (parallax).

``show_when = "mouth_open"`` shows a part while the mouth is held open: the same trigger as the
effects' (:func:`snowcam.filters.triggers.mouth_trigger`: inner-lip opening over inner mouth
width, with hold times and hysteresis per track id), so it follows a deliberately opened mouth
and not speech.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.filters.base import SLOTS
from snowcam.filters.triggers import Trigger, mouth_trigger
from snowcam.overlay import Affine, PremultipliedImage, blend_premultiplied
from snowcam.types import N_KEYPOINTS, Face, Frame

if TYPE_CHECKING:
    from snowcam.filters import FilterInfo

MAX_YAW_DEG = 55.0
# The nose bridge sits this many times the jaw half-width in front of the head's vertical
# axis; the nose offset between the jaw sides is then this ratio times tan(yaw).
NOSE_DEPTH_PER_JAW_HALF_WIDTH = 1.1
CONDITIONS = ("mouth_open", "mouth_closed")

_ENTRY_KEYS = ("kind", "title", "slots", "parts")
_PART_REQUIRED = ("image", "anchors", "anchor_px", "width")
_PART_OPTIONAL = ("offset", "depth", "at", "lift", "slots", "show_when")


@dataclass(frozen=True, slots=True)
class StickerPart:
    """One validated PNG of a sticker (see the module docstring for the meaning of each field).

    ``rgba`` is the PNG as loaded: ``h×w×4`` ``uint8``, B, G, R and straight alpha.
    """

    image_path: Path
    rgba: npt.NDArray[np.uint8] = field(repr=False)
    anchors: tuple[tuple[int, ...], tuple[int, ...]]
    anchor_px: tuple[float, float]
    width: float
    offset: tuple[float, float] = (0.0, 0.0)
    depth: float = 0.0
    at: tuple[int, ...] = ()
    lift: float = 0.0
    slots: tuple[str, ...] = ()
    show_when: str | None = None


@dataclass(frozen=True, slots=True)
class StickerSpec:
    """One validated sticker: its name, gallery title, parts in drawing order, and slots."""

    name: str
    title: str
    parts: tuple[StickerPart, ...]
    slots: tuple[str, ...] = ()


def _fail(toml_path: Path, name: str, key: str, message: str) -> ValueError:
    return ValueError(f"{toml_path}: [{name}] {key}: {message}")


def _numbers(value: Any, count: int) -> tuple[float, ...] | None:
    if not isinstance(value, list) or len(value) != count:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        return None
    return tuple(float(v) for v in value)


def _number(value: Any) -> float | None:
    numbers = _numbers([value], 1)
    return None if numbers is None else numbers[0]


def _anchor(value: Any) -> tuple[int, ...] | None:
    indices = value if isinstance(value, list) else [value]
    if not indices or not all(isinstance(i, int) and not isinstance(i, bool) for i in indices):
        return None
    return tuple(indices)


def _keypoints(toml_path: Path, name: str, key: str, raw: Any) -> tuple[int, ...]:
    anchor = _anchor(raw)
    if anchor is None:
        raise _fail(toml_path, name, key, f"expected an index or a list of indices, got {raw!r}")
    bad = [i for i in anchor if not 0 <= i < N_KEYPOINTS]
    if bad:
        raise _fail(toml_path, name, key, f"unknown keypoint index {bad[0]} (valid: 0..{N_KEYPOINTS - 1})")
    return anchor


def _slots(toml_path: Path, name: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s in SLOTS for s in value):
        raise _fail(toml_path, name, key, f"expected a list of slots from {', '.join(SLOTS)}, got {value!r}")
    return tuple(value)


def _read_png(toml_path: Path, name: str, key: str, value: Any) -> tuple[Path, npt.NDArray[np.uint8]]:
    if not isinstance(value, str):
        raise _fail(toml_path, name, key, f"expected a file name, got {value!r}")
    image_path = toml_path.parent / value
    if not image_path.is_file():
        raise _fail(toml_path, name, key, f"no such file {image_path}")
    rgba = cv2.imread(str(image_path), cv2.IMREAD_UNCHANGED)
    if rgba is None:
        raise _fail(toml_path, name, key, f"cannot read {image_path} as an image")
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise _fail(toml_path, name, key, f"{image_path} has no alpha channel (need an RGBA PNG)")
    if rgba.dtype != np.uint8:
        raise _fail(toml_path, name, key, f"{image_path} must be 8 bits per channel, got {rgba.dtype}")
    return image_path, rgba


def _parse_part(toml_path: Path, name: str, table: dict[str, Any], prefix: str) -> StickerPart:
    """One part from ``table``; ``prefix`` (``""`` or ``"parts[i]."``) goes before key names in errors."""
    for key in _PART_REQUIRED:
        if key not in table:
            raise _fail(toml_path, name, prefix + key, "missing")

    anchors_value = table["anchors"]
    if not isinstance(anchors_value, list) or len(anchors_value) != 2:
        raise _fail(toml_path, name, prefix + "anchors", f"expected two anchors, got {anchors_value!r}")
    first, second = (_keypoints(toml_path, name, prefix + "anchors", raw) for raw in anchors_value)
    if set(first) == set(second):
        raise _fail(toml_path, name, prefix + "anchors", "the two anchors must differ")
    at = _keypoints(toml_path, name, prefix + "at", table["at"]) if "at" in table else ()

    image_path, rgba = _read_png(toml_path, name, prefix + "image", table["image"])
    png_h, png_w = rgba.shape[:2]
    anchor_px = _numbers(table["anchor_px"], 2)
    if anchor_px is None or not (0 <= anchor_px[0] <= png_w - 1 and 0 <= anchor_px[1] <= png_h - 1):
        raise _fail(
            toml_path,
            name,
            prefix + "anchor_px",
            f"expected [x, y] inside the {png_w}×{png_h} PNG, got {table['anchor_px']!r}",
        )
    width = _number(table["width"])
    if width is None or not 0 < width <= 20:
        raise _fail(
            toml_path, name, prefix + "width", f"expected a number in (0, 20], got {table['width']!r}"
        )
    offset = _numbers(table.get("offset", [0.0, 0.0]), 2)
    if offset is None or max(abs(v) for v in offset) > 5:
        raise _fail(
            toml_path,
            name,
            prefix + "offset",
            f"expected [x, y] with |x|, |y| <= 5, got {table.get('offset')!r}",
        )
    depth = _number(table.get("depth", 0.0))
    if depth is None or not -2 <= depth <= 2:
        raise _fail(
            toml_path, name, prefix + "depth", f"expected a number in [-2, 2], got {table.get('depth')!r}"
        )
    lift = _number(table.get("lift", 0.0))
    if lift is None or not -5 <= lift <= 5:
        raise _fail(
            toml_path, name, prefix + "lift", f"expected a number in [-5, 5], got {table.get('lift')!r}"
        )
    show_when = table.get("show_when")
    if show_when is not None and show_when not in CONDITIONS:
        raise _fail(
            toml_path,
            name,
            prefix + "show_when",
            f"expected one of {', '.join(CONDITIONS)}, got {show_when!r}",
        )
    return StickerPart(
        image_path=image_path,
        rgba=rgba.astype(np.uint8, copy=False),
        anchors=(first, second),
        anchor_px=(anchor_px[0], anchor_px[1]),
        width=width,
        offset=(offset[0], offset[1]),
        depth=depth,
        at=at,
        lift=lift,
        slots=_slots(toml_path, name, prefix + "slots", table.get("slots", [])),
        show_when=show_when,
    )


def parse_sticker(toml_path: Path, name: str, table: Any) -> StickerSpec:
    """Validate one ``kind = "sticker"`` table (one part, or an array of ``parts``).

    Raises:
        ValueError: ``"<file>: [<name>] <key>: <what is wrong>"``, the key of a part written
            ``parts[i].key`` (``i`` from 0).
    """
    if not isinstance(table, dict):
        raise _fail(toml_path, name, "-", f"expected a table, got {table!r}")
    multi = "parts" in table
    known = _ENTRY_KEYS if multi else (*_ENTRY_KEYS[:3], *_PART_REQUIRED, *_PART_OPTIONAL)
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise _fail(toml_path, name, unknown[0], f"unknown key (known: {', '.join(known)})")
    for key in ("kind", "title"):
        if key not in table:
            raise _fail(toml_path, name, key, "missing")
    if table["kind"] != "sticker":
        raise _fail(toml_path, name, "kind", f"expected 'sticker', got {table['kind']!r}")
    if not isinstance(table["title"], str) or not table["title"].strip():
        raise _fail(toml_path, name, "title", f"expected a non-empty string, got {table['title']!r}")

    if multi:
        raw_parts = table["parts"]
        if (
            not isinstance(raw_parts, list)
            or not raw_parts
            or not all(isinstance(p, dict) for p in raw_parts)
        ):
            raise _fail(toml_path, name, "parts", "expected one or more [[NAME.parts]] tables")
        parts = []
        for i, raw in enumerate(raw_parts):
            prefix = f"parts[{i}]."
            unknown = sorted(set(raw) - set(_PART_REQUIRED) - set(_PART_OPTIONAL))
            if unknown:
                keys = ", ".join(_PART_REQUIRED + _PART_OPTIONAL)
                raise _fail(toml_path, name, prefix + unknown[0], f"unknown key (known: {keys})")
            parts.append(_parse_part(toml_path, name, raw, prefix))
        slots = tuple(dict.fromkeys(s for part in parts for s in part.slots))
        if "slots" in table:
            slots = tuple(dict.fromkeys((*_slots(toml_path, name, "slots", table["slots"]), *slots)))
    else:
        part = _parse_part(toml_path, name, {k: v for k, v in table.items() if k != "slots"}, "")
        slots = _slots(toml_path, name, "slots", table.get("slots", []))
        parts = [StickerPart(**{**{f: getattr(part, f) for f in StickerPart.__slots__}, "slots": slots})]
    return StickerSpec(name=name, title=table["title"].strip(), parts=tuple(parts), slots=slots)


def parse_entry(toml_path: Path, name: str, table: dict[str, Any], source: str) -> FilterInfo:
    """The registry entry for one ``kind = "sticker"`` table (group ``face``); see :func:`parse_sticker`."""
    from functools import partial

    from snowcam.filters import FilterInfo

    spec = parse_sticker(toml_path, name, table)
    return FilterInfo(spec.name, spec.title, partial(StickerFilter, spec), "face", spec.slots, source=source)


def load_sticker_filters(toml_path: str | Path) -> list[StickerSpec]:
    """Read and validate every sticker declared in a ``filters.toml``, in file order.

    Raises:
        ValueError: naming the file, the sticker and the key, for a TOML syntax error, an unknown
            or missing key, an unknown anchor index, a missing or unreadable PNG, a PNG without
            alpha, or a number out of range.
    """
    from snowcam.filters.catalog import read_toml

    path = Path(toml_path)
    return [parse_sticker(path, name, table) for name, table in read_toml(path).items()]


def estimate_yaw_deg(xy_px: npt.ArrayLike) -> float:
    """Head yaw from 68 frame-pixel points, in degrees, clipped to ±``MAX_YAW_DEG``.

    Positive when the face turns toward the image right (its nose moves right of the jaw's
    centre). Models the head as a cylinder: along the eye line, the nose bridge (27–30) sits
    between the jaw sides at ear level (0–2, 14–16), offset from their centre by
    ``NOSE_DEPTH_PER_JAW_HALF_WIDTH · tan(yaw)`` jaw half-widths.
    """
    xy = np.asarray(xy_px, np.float64)
    eye_line = xy[42:48].mean(axis=0) - xy[36:42].mean(axis=0)
    norm = math.hypot(*eye_line)
    if not norm > 0:
        return 0.0
    along = xy @ (eye_line / norm)
    left, right = along[0:3].mean(), along[14:17].mean()
    half_width = 0.5 * (right - left)
    if not half_width > 0:
        return 0.0
    offset = (along[27:31].mean() - 0.5 * (left + right)) / half_width
    yaw = math.degrees(math.atan(offset / NOSE_DEPTH_PER_JAW_HALF_WIDTH))
    return float(np.clip(yaw, -MAX_YAW_DEG, MAX_YAW_DEG)) if math.isfinite(yaw) else 0.0


def sticker_affine(part: StickerPart, xy_px: npt.ArrayLike) -> Affine | None:
    """The 2×3 affine mapping one part's PNG pixels to frame pixels for one face's points.

    ``None`` when the points it needs are not finite or the anchors coincide.
    """
    xy = np.asarray(xy_px, np.float64)
    first, second = xy[list(part.anchors[0])].mean(axis=0), xy[list(part.anchors[1])].mean(axis=0)
    line = second - first
    distance = math.hypot(*line)
    if not (math.isfinite(distance) and distance > 1e-3):
        return None
    along = line / distance
    across = np.array([-along[1], along[0]])
    point = xy[list(part.at)].mean(axis=0) if part.at else 0.5 * (first + second)
    if part.lift:
        brow_to_nose_px = float((xy[31:36].mean(axis=0) - xy[17:27].mean(axis=0)) @ across)
        point = point - across * part.lift * brow_to_nose_px
    if not np.isfinite(point).all():
        return None
    yaw = math.radians(estimate_yaw_deg(xy))
    png_w, png_h = part.rgba.shape[1], part.rgba.shape[0]
    # The anchors are foreshortened by the yaw already: the sticker keeps its width relative to
    # them along the eye line, while across it keeps the size of the face seen frontally.
    scale_along = part.width * distance / png_w
    scale_across = scale_along / math.cos(yaw)
    parallax_px = part.depth * distance * math.tan(yaw)
    linear = np.column_stack([along * scale_along, across * scale_across])
    anchor_px = np.array(part.anchor_px) - np.array(part.offset) * (png_w, png_h)
    translation = point + along * parallax_px - linear @ anchor_px
    return np.column_stack([linear, translation])


class StickerFilter:
    """Draws a sticker's parts on every face with keypoints (see the module docstring).

    Parts with ``show_when`` follow the mouth trigger, kept per track id and forgotten by
    :meth:`reset`.
    """

    __slots__ = ("_images", "_mouth", "group", "name", "spec")

    def __init__(self, spec: StickerSpec) -> None:
        self.name: str = spec.name
        self.group: str = "face"
        self.spec = spec
        self._images = tuple(PremultipliedImage.from_rgba(part.rgba) for part in spec.parts)
        self._mouth: Trigger | None = mouth_trigger() if any(p.show_when for p in spec.parts) else None

    def apply(self, out: Frame, faces: Sequence[Face], t_s: float) -> None:
        """Blend the parts onto ``out`` for every face; faces without keypoints are skipped."""
        for face in faces:
            if face.keypoints is None:
                continue
            xy = face.keypoints.xy_px
            mouth_open = self._mouth is not None and self._mouth.update(face.track_id, xy, t_s).active
            for part, image in zip(self.spec.parts, self._images, strict=True):
                if part.show_when == "mouth_open" and not mouth_open:
                    continue
                if part.show_when == "mouth_closed" and mouth_open:
                    continue
                affine = sticker_affine(part, xy)
                if affine is not None:
                    blend_premultiplied(out, image, affine)
        if self._mouth is not None:
            self._mouth.forget_unseen(t_s)

    def reset(self) -> None:
        """Forget the mouth states (a new source)."""
        if self._mouth is not None:
            self._mouth.reset()

    def __repr__(self) -> str:
        return f"StickerFilter({self.name!r})"
