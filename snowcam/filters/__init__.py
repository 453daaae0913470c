"""The filter registry and the one function that applies filters, :func:`render`.

A filter is a small object with one verb, ``apply(out, faces, t_s)``, that draws in place on
the frame it is handed. Each registered filter belongs to a **group**, and groups always apply
in the fixed order of :data:`GROUPS`: beauty warps first (they move pixels, so nothing drawn
later is bent), then face stickers, then effects, then the colour look over the whole picture,
and the debug overlay last. Face stickers occupy **slots** (:data:`SLOTS`): two stickers that
share a slot replace each other (see :mod:`snowcam.filters.selection`).

Code filters (``none``, the beauty filters of :mod:`snowcam.filters.beauty` and ``big-eyes``,
the effects of :mod:`snowcam.filters.effects`, ``landmarks``) are registered here; data filters (stickers,
looks) come from ``assets/filters.toml`` and the user's own ``filters.toml`` through the
catalogue (:mod:`snowcam.filters.catalog`), which keeps the entries that failed to load.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from snowcam.filters.base import GROUPS, SLOTS, FaceFilter, Filter
from snowcam.filters.debug import Landmarks, NoFilter
from snowcam.filters.eyes import DEFAULT_STRENGTH, BigEyes
from snowcam.resources import assets_dir
from snowcam.types import Face, Frame, validate_frame

__all__ = [
    "FILTERS",
    "GROUPS",
    "SLOTS",
    "FaceFilter",
    "Filter",
    "FilterInfo",
    "create_filter",
    "filter_names",
    "register",
    "render",
]


@dataclass(frozen=True, slots=True)
class FilterInfo:
    """A registry entry: how to show a filter in the gallery and how to make one.

    ``factory()`` builds the filter; when ``has_strength``, it takes ``strength`` in [0, 1]
    (``default_strength`` when not chosen). ``group`` is one of :data:`GROUPS`; ``slots`` (face
    stickers only) the :data:`SLOTS` its parts occupy. ``source`` says where it was declared:
    ``"built-in"`` or the path of a user's ``filters.toml``.
    """

    name: str
    title: str
    factory: Callable[..., Filter]
    group: str = "face"
    slots: tuple[str, ...] = ()
    has_strength: bool = False
    default_strength: float = 1.0
    source: str = "built-in"

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(
                f"filter {self.name!r}: unknown group {self.group!r} (known: {', '.join(GROUPS)})"
            )
        unknown = [s for s in self.slots if s not in SLOTS]
        if unknown:
            raise ValueError(f"filter {self.name!r}: unknown slot {unknown[0]!r} (known: {', '.join(SLOTS)})")
        if not 0.0 <= self.default_strength <= 1.0:
            raise ValueError(f"filter {self.name!r}: default strength must be in [0, 1]")


FILTERS: dict[str, FilterInfo] = {}


def register(info: FilterInfo) -> FilterInfo:
    """Add a filter to :data:`FILTERS`; its name must be new."""
    if info.name in FILTERS:
        raise ValueError(f"a filter named {info.name!r} is already registered ({FILTERS[info.name].source})")
    FILTERS[info.name] = info
    return info


def filter_names() -> list[str]:
    """Registered names in gallery order: by group (:data:`GROUPS`), then in registration order."""
    rank = {group: i for i, group in enumerate(GROUPS)}
    return sorted(FILTERS, key=lambda n: rank[FILTERS[n].group])


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


def in_application_order(filters: Sequence[Filter]) -> list[Filter]:
    """``filters`` sorted by group (:data:`GROUPS`), keeping the given order within a group."""
    rank = {group: i for i, group in enumerate(GROUPS)}
    return sorted(filters, key=lambda f: rank.get(f.group, len(GROUPS)))


def render(
    frame: Frame,
    faces: Sequence[Face],
    filters: Sequence[Filter],
    t_s: float = 0.0,
    stage_ms: dict[str, float] | None = None,
) -> Frame:
    """Return a copy of ``frame`` (``H×W×3`` ``uint8`` BGR) with ``filters`` applied for ``faces``.

    The one filter loop: the pipeline, the live session, thumbnails and the contract test all
    call it. This is the one copy: filters only ever draw on it, ``frame`` is never modified.
    Filters apply group by group in the order of :data:`GROUPS` whatever order they are given
    in, each on all faces before the next, so a warp never bends a sticker. When ``stage_ms``
    is given, each filter's time is added to it as ``"filter:NAME"`` in milliseconds.
    """
    validate_frame(frame)
    out = frame.copy()
    for effect in in_application_order(filters):
        start = time.perf_counter()
        effect.apply(out, faces, t_s)
        if stage_ms is not None:
            stage_ms[f"filter:{effect.name}"] = (time.perf_counter() - start) * 1000.0
    return out


register(FilterInfo("none", "No filter", NoFilter, group="none"))
register(
    FilterInfo(
        "big-eyes", "Big eyes", BigEyes, "beauty", has_strength=True, default_strength=DEFAULT_STRENGTH
    )
)


def _register_beauty() -> None:
    from snowcam.filters import beauty

    for title, cls in (
        ("Smooth skin", beauty.SkinSmooth),
        ("Slim face", beauty.FaceSlim),
        ("Bright eyes", beauty.EyeBrighten),
        ("White teeth", beauty.TeethWhiten),
        ("Rose lips", beauty.LipColour),
    ):
        register(
            FilterInfo(
                cls.NAME, title, cls, "beauty", has_strength=True, default_strength=cls.DEFAULT_STRENGTH
            )
        )


def _register_effects() -> None:
    from snowcam.filters import effects

    register(FilterInfo("fx-hearts", "Floating hearts", effects.FloatingHearts, "effect"))
    register(FilterInfo("fx-sparkles", "Sparkles", effects.TwinkleSparkles, "effect"))
    register(FilterInfo("fx-rainbow", "Rainbow (open your mouth)", effects.MouthRainbow, "effect"))
    register(FilterInfo("fx-stars", "Stars (raise your brows)", effects.StarBurst, "effect"))


_register_beauty()
_register_effects()
register(FilterInfo("landmarks", "Landmarks (debug)", Landmarks, group="debug"))

from snowcam.filters import catalog  # noqa: E402  (needs register and FilterInfo above)

catalog.load_into_registry(assets_dir() / "filters.toml")
