"""Which filters are on: the rules for combining them, as an immutable value.

The rules, by group (see :data:`snowcam.filters.GROUPS`):

* ``none`` clears the selection.
* ``face``: a sticker sits in slots (eyes, head, nose, mouth, cheeks). Picking one replaces
  every face sticker that shares a slot with it; combining (``toggle``) keeps stickers in
  other slots, so glasses and a crown go together while two pairs of glasses never stack.
  ``choose`` (a plain click in the gallery) keeps one face sticker.
* ``look``: one at a time; a new look replaces the old one.
* ``beauty``, ``effect``, ``debug``: each is on or off on its own.

Strengths are kept per filter name, also for filters that are off, so a slider remembers its
value. The selection is plain data: it round-trips through :meth:`Selection.to_dict` for the
settings file, and it never refers to a filter that is not registered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from snowcam.filters import FILTERS, Filter, FilterInfo, create_filter


def conflicts(new: FilterInfo, old: FilterInfo) -> bool:
    """Whether turning ``new`` on turns ``old`` off: stickers sharing a slot, or two looks."""
    if new.group == "face" and old.group == "face":
        return not new.slots or not old.slots or bool(set(new.slots) & set(old.slots))
    return new.group == "look" and old.group == "look"


@dataclass(frozen=True, slots=True)
class Selection:
    """The active filter names, in the order they were picked, and strengths by name (0..1)."""

    names: tuple[str, ...] = ()
    strengths: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [n for n in self.names if n not in FILTERS]
        if unknown:
            raise ValueError(f"unknown filter {unknown[0]!r}")
        bad = {n: s for n, s in self.strengths.items() if not 0.0 <= s <= 1.0}
        if bad:
            raise ValueError(f"strengths must be in [0, 1], got {bad}")

    def is_active(self, name: str) -> bool:
        """Whether ``name`` is on."""
        return name in self.names

    def strength(self, name: str) -> float:
        """The chosen strength of ``name``, or its default."""
        return self.strengths.get(name, FILTERS[name].default_strength)

    def _with(self, name: str, keep_other_face_stickers: bool) -> Selection:
        info = FILTERS[name]
        if info.group == "none":
            return replace(self, names=())
        kept = [
            n
            for n in self.names
            if n != name
            and not conflicts(info, FILTERS[n])
            and not (not keep_other_face_stickers and info.group == "face" and FILTERS[n].group == "face")
        ]
        return replace(self, names=(*kept, name))

    def choose(self, name: str) -> Selection:
        """Turn ``name`` on as a plain pick: a face sticker replaces every other face sticker."""
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}")
        return self._with(name, keep_other_face_stickers=False)

    def toggle(self, name: str) -> Selection:
        """Turn ``name`` off if it is on, else on, combined with what is on (slots and looks replace)."""
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}")
        if name in self.names:
            return replace(self, names=tuple(n for n in self.names if n != name))
        return self._with(name, keep_other_face_stickers=True)

    @classmethod
    def combining(cls, names: Sequence[str]) -> tuple[Selection, list[str]]:
        """The selection of ``names`` combined in order (as Ctrl+click does), and the names it left out.

        A name is left out when a later one replaced it (two stickers in one slot, two looks)
        or when it is ``none``; repeated names count once.
        """
        selection = cls()
        for name in dict.fromkeys(names):
            if FILTERS[name].group != "none" and not selection.is_active(name):
                selection = selection.toggle(name)
        return selection, [n for n in dict.fromkeys(names) if not selection.is_active(n)]

    def with_strength(self, name: str, strength: float) -> Selection:
        """Set the strength of ``name`` (clipped to [0, 1])."""
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}")
        return replace(self, strengths={**self.strengths, name: min(1.0, max(0.0, float(strength)))})

    def build(self) -> tuple[Filter, ...]:
        """New filter objects for the active names, with their strengths."""
        return tuple(create_filter(n, self.strength(n)) for n in self.names)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a settings file."""
        return {"names": list(self.names), "strengths": dict(self.strengths)}

    @classmethod
    def from_dict(cls, data: Any) -> Selection:
        """The selection stored by :meth:`to_dict`; unknown names and bad values are dropped.

        Names are re-applied one by one with :meth:`toggle`, so a stored selection that breaks
        today's rules (two stickers in one slot) comes back valid.
        """
        selection = cls()
        if not isinstance(data, Mapping):
            return selection
        strengths = data.get("strengths", {})
        if isinstance(strengths, Mapping):
            for name, value in strengths.items():
                if name in FILTERS and isinstance(value, int | float) and not isinstance(value, bool):
                    selection = selection.with_strength(name, value)
        names = data.get("names", [])
        if isinstance(names, list):
            for name in names:
                if isinstance(name, str) and name in FILTERS and FILTERS[name].group != "none":
                    if not selection.is_active(name):
                        selection = selection.toggle(name)
        return selection
