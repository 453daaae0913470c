"""Colour looks: whole-frame colour grades read from standard ``.cube`` 3-D lookup tables.

A look table in ``filters.toml``::

    [look-warm]
    kind = "look"
    title = "Warm"             # shown in the gallery
    cube = "look_warm.cube"    # an Adobe / Resolve .cube file, relative to the TOML file

The ``.cube`` format (Adobe Cube LUT Specification 1.0, as photo and video editors export it):
a header of ``TITLE "…"``, ``LUT_3D_SIZE N`` (2..256), optional ``DOMAIN_MIN r g b`` /
``DOMAIN_MAX r g b`` (default 0 0 0 / 1 1 1; Resolve's ``LUT_3D_INPUT_RANGE lo hi`` is read as
the same), then ``N³`` lines of ``R G B`` output values with the **red index changing fastest**,
then green, then blue. ``#`` starts a comment; blank lines are ignored. Colours are RGB in the
file and BGR in frames; this module does the swap.

Applying a look: the table is interpolated trilinearly once, when the filter is made, onto a
64×64×64 grid (6 bits per channel, the bin centres of 8-bit input), packed as one ``uint32`` per
entry. A frame then costs one index computation and one gather per pixel. The price is that
the input is quantised to 6 bits before the lookup: an identity table is reproduced within
±2 levels (half a bin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import numpy.typing as npt

from snowcam.types import Face, Frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    from snowcam.filters import FilterInfo

INDEX_BITS = 6
_BINS = 1 << INDEX_BITS
_SHIFT = 8 - INDEX_BITS
MAX_CUBE_SIZE = 256

_KEYS = ("kind", "title", "cube")


@dataclass(frozen=True, slots=True)
class CubeLut:
    """A 3-D colour table as read from a ``.cube`` file.

    ``table_rgb[b, g, r]`` is the output RGB (floats, nominally 0..1) for the input whose red,
    green and blue grid indices are ``r, g, b``; grid index ``i`` of channel ``c`` stands for
    the input ``domain_min[c] + i / (size − 1) · (domain_max[c] − domain_min[c])``.
    """

    title: str
    size: int
    domain_min: tuple[float, float, float]
    domain_max: tuple[float, float, float]
    table_rgb: npt.NDArray[np.float32] = field(repr=False)

    def sample(self, rgb01: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Trilinear interpolation of the table at RGB inputs ``(..., 3)`` in 0..1 (clamped to the domain)."""
        rgb = np.asarray(rgb01, np.float64)
        lo, hi = np.array(self.domain_min), np.array(self.domain_max)
        pos = np.clip((rgb - lo) / (hi - lo), 0.0, 1.0) * (self.size - 1)
        i0 = np.minimum(np.floor(pos).astype(np.int64), self.size - 2)
        f = pos - i0
        result = np.zeros(rgb.shape, np.float64)
        for db in (0, 1):
            wb = f[..., 2] if db else 1.0 - f[..., 2]
            for dg in (0, 1):
                wg = f[..., 1] if dg else 1.0 - f[..., 1]
                for dr in (0, 1):
                    wr = f[..., 0] if dr else 1.0 - f[..., 0]
                    corner = self.table_rgb[i0[..., 2] + db, i0[..., 1] + dg, i0[..., 0] + dr]
                    result += (wb * wg * wr)[..., None] * corner
        return result.astype(np.float32)


def _floats(words: list[str], count: int, path: Path, line_no: int, what: str) -> tuple[float, ...]:
    if len(words) != count:
        raise ValueError(f"{path}:{line_no}: {what}: expected {count} numbers, got {len(words)}")
    try:
        values = tuple(float(w) for w in words)
    except ValueError:
        raise ValueError(f"{path}:{line_no}: {what}: not a number in {' '.join(words)!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{path}:{line_no}: {what}: numbers must be finite")
    return values


def load_cube(path: str | Path) -> CubeLut:
    """Read a 3-D ``.cube`` file (see the module docstring for the format).

    Raises:
        ValueError: ``"<file>:<line>: <what is wrong>"`` for an unreadable file, an unknown
            keyword, a 1-D table, a size out of 2..256, a bad domain, a data line without three
            finite numbers, or too few / too many data lines.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file") from None
    title = ""
    size: int | None = None
    domain_min, domain_max = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    rows: list[tuple[int, list[str]]] = []  # (line number, words) of the table lines
    last_line = 0
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        last_line = line_no
        words = line.split()
        keyword = words[0].upper()
        if keyword[0].isalpha():
            if rows:
                raise ValueError(f"{path}:{line_no}: keyword {words[0]} after the table data")
            if keyword == "TITLE":
                title = line[len(words[0]) :].strip().strip('"')
            elif keyword == "LUT_3D_SIZE":
                if len(words) != 2 or not words[1].isdigit() or not 2 <= int(words[1]) <= MAX_CUBE_SIZE:
                    raise ValueError(
                        f"{path}:{line_no}: LUT_3D_SIZE must be an integer in 2..{MAX_CUBE_SIZE}"
                    )
                size = int(words[1])
            elif keyword == "LUT_1D_SIZE":
                raise ValueError(f"{path}:{line_no}: a 1-D .cube table; a look needs a 3-D one (LUT_3D_SIZE)")
            elif keyword == "DOMAIN_MIN":
                domain_min = _floats(words[1:], 3, path, line_no, "DOMAIN_MIN")  # type: ignore[assignment]
            elif keyword == "DOMAIN_MAX":
                domain_max = _floats(words[1:], 3, path, line_no, "DOMAIN_MAX")  # type: ignore[assignment]
            elif keyword == "LUT_3D_INPUT_RANGE":
                lo, hi = _floats(words[1:], 2, path, line_no, "LUT_3D_INPUT_RANGE")
                domain_min, domain_max = (lo, lo, lo), (hi, hi, hi)
            else:
                raise ValueError(f"{path}:{line_no}: unknown keyword {words[0]!r}")
            continue
        if size is None:
            raise ValueError(f"{path}:{line_no}: table data before LUT_3D_SIZE")
        rows.append((line_no, words))
    values = _table_numbers(rows, path)
    if size is not None and len(rows) > size**3:
        raise ValueError(f"{path}:{rows[size**3][0]}: more than LUT_3D_SIZE³ = {size**3} table lines")
    if size is None:
        raise ValueError(f"{path}:{last_line or 1}: no LUT_3D_SIZE line (not a 3-D .cube file)")
    if len(rows) != size**3:
        raise ValueError(
            f"{path}:{last_line}: the table ends after {len(rows)} lines; LUT_3D_SIZE {size} needs {size**3}"
        )
    if not all(hi > lo for lo, hi in zip(domain_min, domain_max, strict=True)):
        raise ValueError(f"{path}: DOMAIN_MAX must be above DOMAIN_MIN in every channel")
    table = values.reshape(size, size, size, 3)
    return CubeLut(title or path.stem, size, domain_min, domain_max, table)


def _linear_weights(
    values01: npt.NDArray[np.float64], lo: float, hi: float, size: int
) -> npt.NDArray[np.float64]:
    """``(len(values), size)`` weights of linear interpolation on ``size`` nodes spanning lo..hi."""
    pos = np.clip((values01 - lo) / (hi - lo), 0.0, 1.0) * (size - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), size - 2)
    f = pos - i0
    weights = np.zeros((len(values01), size))
    rows = np.arange(len(values01))
    weights[rows, i0] = 1.0 - f
    weights[rows, i0 + 1] += f
    return weights


def _table_numbers(rows: list[tuple[int, list[str]]], path: Path) -> npt.NDArray[np.float32]:
    """The table lines as an ``(n, 3)`` array: numpy converts them in one go; when that fails,
    they are read line by line to name the first bad one."""
    if all(len(words) == 3 for _, words in rows):
        try:
            values = np.array([w for _, words in rows for w in words], np.float64)
        except ValueError:
            values = None
        if values is not None and np.all(np.isfinite(values)):
            return values.astype(np.float32).reshape(-1, 3)
    for line_no, words in rows:
        _floats(words, 3, path, line_no, "table line")
    raise AssertionError("unreachable: a bad line was not found")  # pragma: no cover


def packed_table(lut: CubeLut) -> npt.NDArray[np.uint32]:
    """The 6-bit lookup grid: entry ``(b >> 2) << 12 | (g >> 2) << 6 | (r >> 2)`` of 8-bit
    input B, G, R holds the output bytes B, G, R, 0 (little-endian ``uint32``), taken at the
    centre of the input bin.

    Trilinear interpolation from one regular grid onto another is the product of three linear
    interpolations, so it is done one axis at a time (the same result as :meth:`CubeLut.sample`).
    """
    centres = (np.arange(_BINS) * (1 << _SHIFT) + ((1 << _SHIFT) - 1) / 2.0) / 255.0
    wr, wg, wb = (_linear_weights(centres, lut.domain_min[c], lut.domain_max[c], lut.size) for c in range(3))
    table = lut.table_rgb.astype(np.float64)  # [b, g, r, rgb]
    table = np.tensordot(wb, table, axes=([1], [0]))  # [B, g, r, c]
    table = np.tensordot(wg, table, axes=([1], [1])).transpose(1, 0, 2, 3)  # [B, G, r, c]
    rgb = np.tensordot(wr, table, axes=([1], [2])).transpose(1, 2, 0, 3)  # [B, G, R, c]
    bgr = np.clip(np.rint(rgb[..., ::-1] * 255.0), 0, 255).astype(np.uint8)
    bgrx = np.concatenate([bgr, np.zeros((*bgr.shape[:3], 1), np.uint8)], axis=-1)
    return np.ascontiguousarray(bgrx).reshape(-1).view("<u4")


def apply_packed(out: Frame, table: npt.NDArray[np.uint32], strength: float = 1.0) -> None:
    """Map every pixel of ``out`` (BGR ``uint8``) through a :func:`packed_table`, in place,
    mixed with the original by ``strength`` in [0, 1]."""
    quantised = out >> _SHIFT
    index = quantised[..., 0].astype(np.uint32) << (2 * INDEX_BITS)
    index |= quantised[..., 1].astype(np.uint32) << INDEX_BITS
    index |= quantised[..., 2]
    bgrx = np.take(table, index).view(np.uint8).reshape(*out.shape[:2], 4)
    graded = cv2.cvtColor(bgrx, cv2.COLOR_BGRA2BGR)
    if strength < 1.0:
        graded = cv2.addWeighted(graded, strength, out, 1.0 - strength, 0.0)
    out[...] = graded


class ColourLook:
    """A whole-frame colour look from a ``.cube`` table; ``strength`` mixes it with the original.

    It grades every pixel whether or not a face is found (a look is a property of the picture).
    """

    __slots__ = ("_table", "group", "lut", "name", "strength")

    def __init__(self, name: str, lut: CubeLut, strength: float = 1.0) -> None:
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f"{name} strength must be in [0, 1], got {strength}")
        self.name = name
        self.group = "look"
        self.lut = lut
        self.strength = float(strength)
        self._table = _cached_table(lut)

    def apply(self, out: Frame, faces: Sequence[Face], t_s: float) -> None:
        """Grade all of ``out`` in place (``faces`` and ``t_s`` are not needed)."""
        if self.strength > 0.0:
            apply_packed(out, self._table, self.strength)

    def reset(self) -> None:
        """Nothing to forget."""

    def __repr__(self) -> str:
        return f"ColourLook({self.name!r}, strength={self.strength})"


_TABLES: dict[int, tuple[CubeLut, npt.NDArray[np.uint32]]] = {}


def _cached_table(lut: CubeLut) -> npt.NDArray[np.uint32]:
    # Filters are rebuilt on every selection change; the 1 MB grid is built once per table. The
    # cache holds the table object too, so its id cannot be reused by another while cached.
    entry = _TABLES.get(id(lut))
    if entry is None or entry[0] is not lut:
        entry = _TABLES[id(lut)] = (lut, packed_table(lut))
    return entry[1]


def _fail(toml_path: Path, name: str, key: str, message: str) -> ValueError:
    return ValueError(f"{toml_path}: [{name}] {key}: {message}")


def parse_entry(toml_path: Path, name: str, table: Any, source: str) -> FilterInfo:
    """The registry entry for a ``kind = "look"`` table of a ``filters.toml``.

    Raises:
        ValueError: naming the file, the entry and the key: an unknown or missing key, a title
            that is not a non-empty string, a missing ``.cube`` file, or a malformed one (with
            the ``.cube`` file's line).
    """
    from snowcam.filters import FilterInfo

    toml_path = Path(toml_path)
    if not isinstance(table, dict):
        raise _fail(toml_path, name, "-", f"expected a table, got {table!r}")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise _fail(toml_path, name, unknown[0], f"unknown key (known: {', '.join(_KEYS)})")
    for key in _KEYS:
        if key not in table:
            raise _fail(toml_path, name, key, "missing")
    if table["kind"] != "look":
        raise _fail(toml_path, name, "kind", f"expected 'look', got {table['kind']!r}")
    title = table["title"]
    if not isinstance(title, str) or not title.strip():
        raise _fail(toml_path, name, "title", f"expected a non-empty string, got {title!r}")
    cube = table["cube"]
    if not isinstance(cube, str) or not cube.endswith(".cube"):
        raise _fail(toml_path, name, "cube", f"expected a .cube file name, got {cube!r}")
    cube_path = toml_path.parent / cube
    if not cube_path.is_file():
        raise _fail(toml_path, name, "cube", f"no such file {cube_path}")
    try:
        lut = load_cube(cube_path)
    except ValueError as exc:
        raise _fail(toml_path, name, "cube", str(exc)) from None
    return FilterInfo(
        name,
        title.strip(),
        partial(ColourLook, name, lut),
        "look",
        has_strength=True,
        default_strength=1.0,
        source=source,
    )
