"""The filter registry: small effect classes with one verb, ``apply(out, face)``.

Code filters (``none``, ``big-eyes``, ``landmarks``) are registered here; sticker filters come
from ``assets/filters.toml`` (see :mod:`snowcam.filters.stickers`). :func:`render` makes the
one copy of a frame that all filters draw on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import numpy as np

from snowcam.filters.debug import Landmarks, NoFilter
from snowcam.filters.eyes import DEFAULT_STRENGTH, BigEyes
from snowcam.filters.stickers import StickerFilter, StickerSpec, load_sticker_filters
from snowcam.resources import assets_dir
from snowcam.types import Face, Frame

__all__ = [
    "FILTERS",
    "LOAD_PROBLEMS",
    "Filter",
    "FilterInfo",
    "create_filter",
    "filter_names",
    "register",
    "register_stickers",
    "render",
]


class Filter(Protocol):
    """An effect drawn on one face.

    ``apply`` draws in place on ``out`` (an ``H×W×3`` ``uint8`` BGR frame, coordinates in frame
    pixels), touches nothing else, keeps no per-frame state, and is a no-op for a face whose
    ``keypoints`` is ``None`` when it needs them.
    """

    name: str

    def apply(self, out: Frame, face: Face) -> None: ...


@dataclass(frozen=True, slots=True)
class FilterInfo:
    """A registry entry: how to show a filter in the gallery and how to make one.

    ``factory()`` builds the filter; when ``has_strength``, it takes ``strength`` in [0, 1]
    (``default_strength`` when not chosen).
    """

    name: str
    title: str
    factory: Callable[..., Filter]
    has_strength: bool = False
    default_strength: float = 1.0


FILTERS: dict[str, FilterInfo] = {}

# Shown last in the gallery, whatever is registered after them.
_DEBUG_NAMES = ("landmarks",)


def register(info: FilterInfo) -> FilterInfo:
    """Add a filter to :data:`FILTERS`; its name must be new."""
    if info.name in FILTERS:
        raise ValueError(f"a filter named {info.name!r} is already registered")
    FILTERS[info.name] = info
    return info


def register_stickers(specs: Sequence[StickerSpec]) -> None:
    """Register one filter per validated sticker declaration (see ``load_sticker_filters``)."""
    for spec in specs:
        register(FilterInfo(spec.name, spec.title, partial(StickerFilter, spec)))


def filter_names() -> list[str]:
    """Registered names in gallery order: ``none``, ``big-eyes``, the stickers, ``landmarks`` last."""
    return [n for n in FILTERS if n not in _DEBUG_NAMES] + [n for n in _DEBUG_NAMES if n in FILTERS]


def create_filter(name: str, strength: float | None = None) -> Filter:
    """Build the filter registered as ``name``.

    ``strength`` (in [0, 1]) is passed to filters that have one, their default when ``None``;
    filters without a strength ignore it.

    Raises:
        ValueError: unknown name (the message lists the known ones), or strength out of [0, 1].
    """
    info = FILTERS.get(name)
    if info is None:
        raise ValueError(f"unknown filter {name!r}; known filters: {', '.join(filter_names())}")
    if not info.has_strength:
        return info.factory()
    value = info.default_strength if strength is None else float(strength)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"strength for {name!r} must be in [0, 1], got {strength}")
    return info.factory(strength=value)


def render(frame: Frame, faces: Sequence[Face], filters: Sequence[Filter]) -> Frame:
    """Return a copy of ``frame`` (``H×W×3`` ``uint8`` BGR) with every filter applied to every face.

    This is the one copy: filters only ever draw on it, ``frame`` is never modified. Filters run
    in the given order, each on all faces before the next, so a warp (``big-eyes``) never bends
    a sticker that another face already got.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(
            f"frame must be an H×W×3 uint8 BGR frame, got shape {frame.shape} dtype {frame.dtype}"
        )
    out = frame.copy()
    for effect in filters:
        for face in faces:
            effect.apply(out, face)
    return out


register(FilterInfo("none", "No filter", NoFilter))
register(FilterInfo("big-eyes", "Big eyes", BigEyes, has_strength=True, default_strength=DEFAULT_STRENGTH))
# Broken entries of filters.toml are skipped and listed here; asking for one by name says why.
LOAD_PROBLEMS: list[str] = []
register_stickers(load_sticker_filters(assets_dir() / "filters.toml", LOAD_PROBLEMS))
for _problem in LOAD_PROBLEMS:
    logging.getLogger(__name__).warning("Skipped a sticker: %s", _problem)
register(FilterInfo("landmarks", "Landmarks (debug)", Landmarks))
