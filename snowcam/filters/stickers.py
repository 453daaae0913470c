"""Sticker filters: an RGBA PNG anchored to two groups of keypoints, declared in ``filters.toml``.

A sticker table in ``filters.toml``::

    [glasses-round]
    kind = "sticker"
    title = "Round glasses"                 # shown in the gallery
    image = "glasses_round.png"             # RGBA PNG, relative to the TOML file
    anchors = [[36, 37, 38, 39, 40, 41], [42, 43, 44, 45, 46, 47]]  # image-left, image-right
    anchor_px = [499.5, 190.0]              # PNG pixel placed on the midpoint of the two anchors
    width = 2.2                             # PNG width in anchor distances (frontal face)
    offset = [0.0, 0.0]                     # optional: shift in PNG widths / heights, +y down
    depth = 0.2                             # optional: in front of the anchors, in anchor distances
    slots = ["eyes"]                        # optional: where it sits (eyes, head, nose, mouth, cheeks)

Each anchor is one keypoint index or a list whose mean is taken. ``offset`` x runs along the
line from the first anchor to the second, y across it (down on an upright face). The sticker is
scaled to the anchor distance, rotated with the line from the first anchor to the second (head roll), and
foreshortened with the head yaw: compressed along that line and shifted toward the side the
face turns to by its ``depth`` (parallax).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.filters.base import SLOTS, FaceFilter
from snowcam.overlay import Affine, PremultipliedImage, blend_premultiplied
from snowcam.types import N_KEYPOINTS, Face, Frame

MAX_YAW_DEG = 55.0
# The nose bridge sits this many times the jaw half-width in front of the head's vertical
# axis; the nose offset between the jaw sides is then this ratio times tan(yaw).
NOSE_DEPTH_PER_JAW_HALF_WIDTH = 1.1

_REQUIRED = ("kind", "title", "image", "anchors", "anchor_px", "width")
_OPTIONAL = ("offset", "depth", "slots")


@dataclass(frozen=True, slots=True)
class StickerSpec:
    """One validated sticker declaration (see the module docstring for the meaning of each field).

    ``rgba`` is the PNG as loaded: ``h×w×4`` ``uint8``, B, G, R and straight alpha.
    """

    name: str
    title: str
    image_path: Path
    rgba: npt.NDArray[np.uint8] = field(repr=False)
    anchors: tuple[tuple[int, ...], tuple[int, ...]]
    anchor_px: tuple[float, float]
    width: float
    offset: tuple[float, float] = (0.0, 0.0)
    depth: float = 0.0
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


def _parse_sticker(toml_path: Path, name: str, table: Any) -> StickerSpec:
    if not isinstance(table, dict):
        raise _fail(toml_path, name, "-", f"expected a table, got {table!r}")
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise _fail(toml_path, name, unknown[0], f"unknown key (known: {', '.join(_REQUIRED + _OPTIONAL)})")
    for key in _REQUIRED:
        if key not in table:
            raise _fail(toml_path, name, key, "missing")
    if table["kind"] != "sticker":
        raise _fail(toml_path, name, "kind", f"expected 'sticker', got {table['kind']!r}")
    if not isinstance(table["title"], str) or not table["title"].strip():
        raise _fail(toml_path, name, "title", f"expected a non-empty string, got {table['title']!r}")

    anchors_value = table["anchors"]
    if not isinstance(anchors_value, list) or len(anchors_value) != 2:
        raise _fail(toml_path, name, "anchors", f"expected two anchors, got {anchors_value!r}")
    anchors: list[tuple[int, ...]] = []
    for raw in anchors_value:
        anchor = _anchor(raw)
        if anchor is None:
            raise _fail(toml_path, name, "anchors", f"expected an index or a list of indices, got {raw!r}")
        bad = [i for i in anchor if not 0 <= i < N_KEYPOINTS]
        if bad:
            raise _fail(toml_path, name, "anchors", f"unknown keypoint index {bad[0]} (valid: 0..67)")
        anchors.append(anchor)
    if set(anchors[0]) == set(anchors[1]):
        raise _fail(toml_path, name, "anchors", "the two anchors must differ")

    if not isinstance(table["image"], str):
        raise _fail(toml_path, name, "image", f"expected a file name, got {table['image']!r}")
    image_path = toml_path.parent / table["image"]
    if not image_path.is_file():
        raise _fail(toml_path, name, "image", f"no such file {image_path}")
    rgba = cv2.imread(str(image_path), cv2.IMREAD_UNCHANGED)
    if rgba is None:
        raise _fail(toml_path, name, "image", f"cannot read {image_path} as an image")
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise _fail(toml_path, name, "image", f"{image_path} has no alpha channel (need an RGBA PNG)")
    if rgba.dtype != np.uint8:
        raise _fail(toml_path, name, "image", f"{image_path} must be 8 bits per channel, got {rgba.dtype}")
    png_h, png_w = rgba.shape[:2]

    anchor_px = _numbers(table["anchor_px"], 2)
    if anchor_px is None or not (0 <= anchor_px[0] <= png_w - 1 and 0 <= anchor_px[1] <= png_h - 1):
        raise _fail(
            toml_path,
            name,
            "anchor_px",
            f"expected [x, y] inside the {png_w}×{png_h} PNG, got {table['anchor_px']!r}",
        )
    width = _number(table["width"])
    if width is None or not 0 < width <= 20:
        raise _fail(toml_path, name, "width", f"expected a number in (0, 20], got {table['width']!r}")
    offset = _numbers(table.get("offset", [0.0, 0.0]), 2)
    if offset is None or max(abs(v) for v in offset) > 5:
        raise _fail(
            toml_path, name, "offset", f"expected [x, y] with |x|, |y| <= 5, got {table.get('offset')!r}"
        )
    depth = _number(table.get("depth", 0.0))
    if depth is None or not -2 <= depth <= 2:
        raise _fail(toml_path, name, "depth", f"expected a number in [-2, 2], got {table.get('depth')!r}")
    slots_value = table.get("slots", [])
    if not isinstance(slots_value, list) or not all(s in SLOTS for s in slots_value):
        raise _fail(
            toml_path, name, "slots", f"expected a list of slots from {', '.join(SLOTS)}, got {slots_value!r}"
        )
    return StickerSpec(
        name=name,
        title=table["title"].strip(),
        image_path=image_path,
        rgba=rgba.astype(np.uint8, copy=False),
        anchors=(anchors[0], anchors[1]),
        anchor_px=(anchor_px[0], anchor_px[1]),
        width=width,
        offset=(offset[0], offset[1]),
        depth=depth,
        slots=tuple(slots_value),
    )


def load_sticker_filters(toml_path: str | Path, problems: list[str] | None = None) -> list[StickerSpec]:
    """Read and validate every sticker declared in a ``filters.toml``, in file order.

    With a ``problems`` list, a broken entry (or an unreadable file) is reported there, one
    message per entry, and skipped instead of raised, so one bad sticker never takes the others
    (or the app) down.

    Raises:
        ValueError: (without ``problems``) naming the file, the sticker and the key, for a TOML
            syntax error, an unknown or missing key, an unknown anchor index, a missing or
            unreadable PNG, a PNG without alpha, or a number out of range.
    """
    path = Path(toml_path)
    try:
        try:
            with path.open("rb") as f:
                document = tomllib.load(f)
        except OSError as exc:
            raise ValueError(f"{path}: cannot read ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc})") from None
    except ValueError as exc:
        if problems is None:
            raise
        problems.append(str(exc))
        return []
    specs = []
    for name, table in document.items():
        try:
            specs.append(_parse_sticker(path, name, table))
        except ValueError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
    return specs


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


def sticker_affine(spec: StickerSpec, xy_px: npt.ArrayLike) -> Affine | None:
    """The 2×3 affine mapping the sticker's PNG pixels to frame pixels for one face's points.

    ``None`` when the anchors are not finite or coincide.
    """
    xy = np.asarray(xy_px, np.float64)
    first, second = xy[list(spec.anchors[0])].mean(axis=0), xy[list(spec.anchors[1])].mean(axis=0)
    line = second - first
    distance = math.hypot(*line)
    if not (math.isfinite(distance) and distance > 1e-3):
        return None
    along = line / distance
    across = np.array([-along[1], along[0]])
    yaw = math.radians(estimate_yaw_deg(xy))
    png_w, png_h = spec.rgba.shape[1], spec.rgba.shape[0]
    # The anchors are foreshortened by the yaw already: the sticker keeps its width relative to
    # them along the eye line, while across it keeps the size of the face seen frontally.
    scale_along = spec.width * distance / png_w
    scale_across = scale_along / math.cos(yaw)
    parallax_px = spec.depth * distance * math.tan(yaw)
    linear = np.column_stack([along * scale_along, across * scale_across])
    anchor_px = np.array(spec.anchor_px) - np.array(spec.offset) * (png_w, png_h)
    translation = 0.5 * (first + second) + along * parallax_px - linear @ anchor_px
    return np.column_stack([linear, translation])


class StickerFilter(FaceFilter):
    """Draws one sticker on every face with keypoints (see the module docstring)."""

    __slots__ = ("_image", "group", "name", "spec")

    def __init__(self, spec: StickerSpec) -> None:
        self.name: str = spec.name
        self.group: str = "face"
        self.spec = spec
        self._image = PremultipliedImage.from_rgba(spec.rgba)

    def apply_face(self, out: Frame, face: Face) -> None:
        """Blend the sticker onto ``out`` at ``face``'s anchors; no-op without keypoints."""
        if face.keypoints is None:
            return
        affine = sticker_affine(self.spec, face.keypoints.xy_px)
        if affine is not None:
            blend_premultiplied(out, self._image, affine)

    def __repr__(self) -> str:
        return f"StickerFilter({self.name!r})"
